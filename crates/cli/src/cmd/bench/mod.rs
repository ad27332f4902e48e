//! `fusioncell bench`: the project's load tool. It writes a temporary cell (like `demo`, see
//! [`cell`]) with publisher identities `pub-0…`, a subscriber identity `watcher` (or, for
//! `--scenario big-cell`, one identity per participant) and an open channel `bench`,
//! raises its rate limits, starts `fusioncell relay` on it as a child process (so that its CPU
//! and RSS are its own, read from `/proc/PID`), drives it with [`fusioncell_bench::load`], and
//! with `--floor` then starts the floor (`fusioncell bench --serve-floor`, also a child) and
//! drives it with the same load. It exits with status 1 if any message was lost, duplicated,
//! reordered or refused — never because of a timing.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fusioncell_bench::bottleneck::{self, LoadBound, Usage};
use fusioncell_bench::floor::{self, FloorOptions};
use fusioncell_bench::hist::{Histogram, Quantiles};
use fusioncell_bench::load::{self, LoadReport, LoadSpec, Phase, Target};
use fusioncell_bench::{pinning, procstat, verify_cost};
use serde::Serialize;

use crate::args::{BenchArgs, BenchScenario};

mod cell;
mod print;

/// Publisher identities written into the temporary cell (at least).
const PUBLISHER_IDS: usize = 20;

pub(super) async fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    if let Some(addr) = args.serve_floor {
        return serve_floor(addr, &args).await;
    }
    let spec = spec(&args);
    let progress = !args.json;
    let big_cell = args.scenario == Some(BenchScenario::BigCell);
    if big_cell && args.relay.is_some() {
        bail!(
            "--scenario big-cell writes its own cell (its participants' keys stay in this process): it cannot drive --relay"
        );
    }
    descriptors_for(spec.publishers + spec.subscribers)?;
    let pinned = match args.pin {
        Some(server) => {
            let load = pinning::other_cpus(server)?;
            pinning::pin_process(std::process::id(), &load)?;
            Some(Pinned { server, load })
        }
        None => None,
    };
    let load_budget = pinned.as_ref().map_or_else(
        || std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64) / 2.0,
        |p| p.load.split(',').count() as f64,
    );
    // Before any server runs, on the generator's CPUs: the price of one verification today.
    // Timed again after the load: this machine's speed moves from minute to minute (14,850
    // to 22,833 verifications/s within three minutes of one evening), and the mean of the
    // two is nearer what the run had than either.
    let time_verify = || verify_cost::verify_us(5, Duration::from_millis(60)).ok();
    let verify_before = time_verify();

    // The relay: our own on a temporary cell, or the one given.
    let mut participants = Vec::new();
    let mut relay_start_s = None;
    let (cell_config, url, mut relay_child, _folder) = match (&args.relay, &args.config) {
        (Some(url), Some(config)) => (config.clone(), url.clone(), None, None),
        _ => {
            let (folder, temp) = match &args.keep {
                Some(dir) => (dir.clone(), None),
                None => {
                    let dir = std::env::temp_dir().join(format!(
                        "fusioncell-bench-{}",
                        hex::encode(&fusioncell_keys::random_nonce()?[..4])
                    ));
                    (dir.clone(), Some(RemoveOnDrop(dir)))
                }
            };
            let readers = if big_cell {
                cell::Readers::Participants(spec.subscribers)
            } else {
                cell::Readers::Watcher
            };
            let written = cell::write(&folder, spec.publishers.max(PUBLISHER_IDS), readers)?;
            let config = written.config;
            participants = written.participants;
            let port = free_port()?;
            let started = Instant::now();
            let child = spawn_child(
                args.pin,
                &[
                    "relay".into(),
                    "--config".into(),
                    config.display().to_string(),
                    "--listen".into(),
                    format!("127.0.0.1:{port}"),
                    // Its own admin port: never the default one another relay may hold.
                    "--admin".into(),
                    "127.0.0.1:0".into(),
                ],
                &folder.join("relay.log"),
            )?;
            wait_for_port(port).await?;
            relay_start_s = Some(started.elapsed().as_secs_f64());
            (
                config,
                format!("wss://127.0.0.1:{port}"),
                Some(child),
                Some((folder, temp)),
            )
        }
    };
    let relay_pid = relay_child.as_ref().map(|c| c.0.id()).or(args.relay_pid);
    let fdatasync = cell_config
        .parent()
        .and_then(|dir| fdatasync_quantiles(dir, 200).ok());
    let target = cell::fusion_target(&cell_config, &url, spec.publishers, participants)?;
    let scenario = args.scenario;
    if progress {
        eprintln!(
            "fusioncell bench{}: {} publisher(s) at {}{}, {} subscriber(s){}, {} B bodies, {} s — relay {url}",
            scenario.map_or(String::new(), |s| format!(" --scenario {}", s.name())),
            spec.publishers,
            rate_text(spec.rate),
            spec.presign.map_or(String::new(), |n| format!(
                " ({n} acts each signed before the run)"
            )),
            spec.subscribers,
            if spec.publishers_subscribe {
                " (publishers subscribe too)"
            } else {
                ""
            },
            spec.size,
            spec.duration.as_secs_f64()
        );
    }
    let how = How {
        spec: &spec,
        progress,
        load_budget,
    };
    let relay = measure("relay", &Target::Fusion(target), &how, relay_pid).await;
    if let Some(child) = relay_child.take() {
        child.stop();
    }
    let relay = relay?;

    let floor = if args.floor {
        let tls = !args.floor_plain;
        let folder = cell_config.parent().unwrap_or(Path::new("."));
        let port = free_port()?;
        let mut argv: Vec<String> = vec![
            "bench".into(),
            "--serve-floor".into(),
            format!("127.0.0.1:{port}"),
        ];
        if tls {
            argv.extend([
                "--tls-cert".into(),
                folder.join("tls/relay.pem").display().to_string(),
                "--tls-key".into(),
                folder.join("tls/relay-tls.key").display().to_string(),
            ]);
        }
        if let Some(size) = args.floor_read_buffer {
            argv.extend(["--floor-read-buffer".into(), size.to_string()]);
        }
        let log = std::env::temp_dir().join(format!("fusioncell-floor-{port}.log"));
        let child = spawn_child(args.pin, &argv, &log)?;
        wait_for_port(port).await?;
        let ca = if tls {
            Some(std::fs::read(folder.join("tls/ca.pem")).context("the cell's CA")?)
        } else {
            None
        };
        let scheme = if tls { "wss" } else { "ws" };
        let target = Target::Floor {
            url: format!("{scheme}://127.0.0.1:{port}"),
            ca_pem: ca,
        };
        let floor_spec = LoadSpec {
            size: args.floor_size.unwrap_or(spec.size),
            ..spec.clone()
        };
        let name = format!(
            "floor ({}{})",
            if tls { "TLS" } else { "plain" },
            args.floor_size
                .map_or(String::new(), |size| format!(", {size} B bodies"))
        );
        let how = How {
            spec: &floor_spec,
            ..how
        };
        let m = measure(&name, &target, &how, Some(child.0.id())).await;
        child.stop();
        let _ = std::fs::remove_file(&log);
        Some(m?)
    } else {
        None
    };

    let verify_after = time_verify();
    let verify_us = match (verify_before, verify_after) {
        (Some(a), Some(b)) => Some((a + b) / 2.0),
        (a, b) => a.or(b),
    };
    // Big cell: the one post reached every participant exactly once, not only everything the
    // relay acknowledged.
    let exactly_once = big_cell.then(|| {
        let messages = spec.publishers as u64 * spec.max_messages.unwrap_or(0);
        let all = |m: &Measured| {
            m.report
                .totals
                .exactly_once(spec.subscribers as u64, messages)
        };
        all(&relay) && floor.as_ref().is_none_or(all)
    });
    let clean = relay.report.clean()
        && floor.as_ref().is_none_or(|f| f.report.clean())
        && exactly_once != Some(false);
    let out = Output {
        scenario,
        relay_start_s,
        exactly_once,
        quotable: clean
            && relay.load_bound.is_none()
            && floor.as_ref().is_none_or(|f| f.load_bound.is_none()),
        pinned,
        acked_vs_verify_rate: verify_us
            .filter(|v| *v > 0.0)
            .map(|v| relay.report.acked_per_s * v / 1e6),
        verify_us,
        verify_us_before: verify_before,
        verify_us_after: verify_after,
        fdatasync,
        publishers: spec.publishers,
        subscribers: spec.subscribers,
        publishers_subscribe: spec.publishers_subscribe,
        size: spec.size,
        floor_size: args.floor_size,
        rate: spec.rate,
        duration_s: spec.duration.as_secs_f64(),
        window: spec.window,
        presign: spec.presign,
        ratios: floor.as_ref().map(|f| Ratios::of(&relay, f, verify_us)),
        clean,
        relay,
        floor,
    };
    if let Some(path) = &args.json_file {
        std::fs::write(path, serde_json::to_string_pretty(&out)? + "\n")
            .with_context(|| path.display().to_string())?;
    }
    if args.json {
        // One compact line, for a pipe (`| jq`, a log collector); --json-file keeps it pretty.
        crate::outln!("{}", serde_json::to_string(&out)?);
    } else {
        print::human(&out)?;
    }
    if let Some((folder, _)) = &_folder
        && args.keep.is_some()
    {
        eprintln!(
            "cell kept in {} (serve it with `fusioncell relay --config {}`)",
            folder.display(),
            folder.join("cell.toml").display()
        );
    }
    Ok(if out.clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The load of the scenario, with explicit flags taking precedence.
fn spec(args: &BenchArgs) -> LoadSpec {
    let mut s = LoadSpec {
        duration: Duration::from_secs(5),
        ..LoadSpec::default()
    };
    match args.scenario {
        Some(BenchScenario::Fanout) => {
            s.publishers = 1;
            s.subscribers = 100;
            s.rate = 0.0;
            s.duration = Duration::from_secs(10);
        }
        Some(BenchScenario::Many) => {
            s.publishers = 20;
            s.subscribers = 0;
            s.publishers_subscribe = true;
            s.rate = 50.0;
            s.duration = Duration::from_secs(10);
        }
        Some(BenchScenario::Publishers) => {
            s.publishers = 20;
            s.subscribers = 1;
            s.rate = 0.0;
            s.duration = Duration::from_secs(10);
        }
        // Idle: 10,000 connections of one identity; big cell: 10,000 identities. Both hold
        // 3 s once all are live (RSS settles), then one post reaches all.
        Some(BenchScenario::Idle | BenchScenario::BigCell) => {
            s.publishers = 1;
            s.subscribers = 10_000;
            s.rate = 1.0;
            s.max_messages = Some(1);
            s.hold = Duration::from_secs(3);
            s.duration = Duration::from_secs(2);
        }
        None => {}
    }
    if let Some(v) = args.publishers {
        s.publishers = v;
    }
    if let Some(v) = args.subscribers {
        s.subscribers = v;
    }
    if let Some(v) = args.size {
        s.size = v;
    }
    if let Some(v) = args.rate {
        s.rate = v.max(0.0);
    }
    if let Some(v) = args.duration {
        s.duration = Duration::from_secs_f64(v.max(0.0));
    }
    if let Some(v) = args.window {
        s.window = v.max(1);
    }
    s.presign = args.presign;
    s
}

/// One system's figures.
#[derive(Debug, Serialize)]
struct Measured {
    /// What was driven.
    system: String,
    /// The load's figures.
    report: LoadReport,
    /// The server's CPU use while publishing, in cores (1.0 = one core busy).
    cpu_cores: Option<f64>,
    /// The load generator's own CPU use (this process) while publishing, in cores: on a
    /// 2-core machine, relay + load near 2.0 means the machine, not the relay, was the limit.
    load_cpu_cores: Option<f64>,
    /// Server CPU µs per acknowledged message: the figure to compare, since it does not
    /// depend on how hard the load pushed (unless the load was the limit, see `load_bound`).
    cpu_us_per_message: Option<f64>,
    /// Set when the load generator, not the server, limited this run: its figures are then
    /// the generator's and must not be quoted.
    load_bound: Option<LoadBound>,
    /// CPU other processes used while publishing, in cores (the process time from
    /// `/proc/stat` minus the server's and the load generator's).
    others_cores: Option<f64>,
    /// CPU spent on interrupts while publishing, in cores: charged to no process, and mostly
    /// the run's own sockets and disk.
    interrupt_cores: Option<f64>,
    /// CPU the hypervisor took from the machine while publishing (steal), in cores.
    steal_cores: Option<f64>,
    /// Server CPU seconds while every connection was opened (TLS, login, subscribe): from
    /// before the first to the last `live`.
    connect_cpu_s: Option<f64>,
    /// Logins (with subscribe and `live`) per second: connections / the report's `connect_s`.
    connects_per_s: f64,
    /// Server CPU seconds from the first send to the last delivery and acknowledgement.
    publish_cpu_s: Option<f64>,
    /// Server RSS before any connection, bytes.
    rss_idle_bytes: Option<u64>,
    /// Server RSS with every connection open (after the hold), bytes.
    rss_connected_bytes: Option<u64>,
    /// Server RSS at the end, bytes.
    rss_end_bytes: Option<u64>,
    /// (connected − idle) / connections.
    rss_per_connection_bytes: Option<f64>,
}

/// How every system of a run is driven and judged.
struct How<'a> {
    spec: &'a LoadSpec,
    progress: bool,
    /// Cores the load generator may use (see [`Usage::load_budget`]).
    load_budget: f64,
}

async fn measure(
    name: &str,
    target: &Target,
    how: &How<'_>,
    pid: Option<u32>,
) -> anyhow::Result<Measured> {
    let (spec, progress) = (how.spec, how.progress);
    let sample = || pid.and_then(|p| procstat::sample(Some(p)));
    let mut self_start = None;
    let mut self_end = None;
    let mut machine_start = None;
    let mut machine_end = None;
    let idle = sample();
    let mut start: Option<(Instant, procstat::Sample)> = None;
    let mut connected = None;
    let mut logged_in = None;
    let mut end = None;
    let bar = progress.then(|| {
        let total = (spec.duration.as_secs_f64() * 10.0).ceil() as u64;
        let bar = indicatif::ProgressBar::new(total.max(1));
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix:>13} [{bar:30}] {elapsed_precise} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(name.to_owned());
        bar.set_message("connecting…");
        bar
    });
    let report = load::run(target, spec, |phase| match phase {
        Phase::Connected { connections } => {
            logged_in = sample();
            if let Some(b) = &bar {
                b.set_message(format!("{connections} connections open"));
            }
        }
        Phase::Start => {
            connected = sample();
            start = sample().map(|s| (Instant::now(), s));
            self_start = procstat::sample(None).map(|s| (Instant::now(), s));
            machine_start = procstat::machine_time().map(|m| (Instant::now(), m));
        }
        Phase::Tick {
            elapsed_s,
            delivered,
            acked,
        } => {
            if let Some(b) = &bar {
                b.set_position((elapsed_s * 10.0) as u64);
                b.set_message(format!(
                    "{acked} acked, {delivered} delivered ({:.0}/s)",
                    delivered as f64 / elapsed_s.max(0.001)
                ));
            }
        }
        Phase::Done => {
            end = sample().map(|s| (Instant::now(), s));
            self_end = procstat::sample(None).map(|s| (Instant::now(), s));
            machine_end = procstat::machine_time().map(|m| (Instant::now(), m));
        }
    })
    .await
    .with_context(|| format!("{name}: the load could not start"))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let load_cpu_cores = per_second(self_start, self_end, |s| s.cpu_s);
    let cpu_cores = per_second(start, end, |s| s.cpu_s);
    // The machine's CPU time while publishing, in cores.
    let machine = machine_start
        .zip(machine_end)
        .and_then(|((t0, m0), (t1, m1))| {
            let dt = t1.duration_since(t0).as_secs_f64();
            let m = m1 - m0;
            (dt > 0.0).then(|| procstat::MachineTime {
                processes_s: m.processes_s / dt,
                interrupts_s: m.interrupts_s / dt,
                steal_s: m.steal_s / dt,
            })
        });
    let others_cores = machine
        .zip(cpu_cores.zip(load_cpu_cores))
        .map(|(m, (server, load))| (m.processes_s - server - load).max(0.0));
    let interrupt_cores = machine.map(|m| m.interrupts_s.max(0.0));
    let steal_cores = machine.map(|m| m.steal_s.max(0.0));
    let cpu_s = match (start, end) {
        (Some((_, s0)), Some((_, s1))) => Some(s1.cpu_s - s0.cpu_s),
        _ => None,
    };
    let conns = report.connections.max(1) as f64;
    let load_bound = cpu_cores.zip(load_cpu_cores).and_then(|(server, load)| {
        bottleneck::load_bound(Usage {
            server_cores: server,
            load_cores: load,
            others_cores: others_cores.unwrap_or(0.0),
            steal_cores: steal_cores.unwrap_or(0.0),
            load_budget: how.load_budget,
            full_speed: spec.rate == 0.0,
        })
    });
    Ok(Measured {
        connect_cpu_s: idle.zip(logged_in).map(|(a, b)| b.cpu_s - a.cpu_s),
        connects_per_s: if report.connect_s > 0.0 {
            report.connections as f64 / report.connect_s
        } else {
            0.0
        },
        publish_cpu_s: cpu_s,
        load_bound,
        others_cores,
        interrupt_cores,
        steal_cores,
        system: name.to_owned(),
        cpu_us_per_message: cpu_s
            .filter(|_| report.acked > 0)
            .map(|c| c * 1e6 / report.acked as f64),
        cpu_cores,
        load_cpu_cores,
        rss_idle_bytes: idle.map(|s| s.rss_bytes),
        rss_connected_bytes: connected.map(|s| s.rss_bytes),
        rss_end_bytes: end.map(|(_, s)| s.rss_bytes),
        rss_per_connection_bytes: match (idle, connected) {
            (Some(i), Some(c)) => Some((c.rss_bytes as f64 - i.rss_bytes as f64) / conns),
            _ => None,
        },
        report,
    })
}

/// How fast `seconds` of a sample grew between two timed samples (CPU seconds per second:
/// cores).
fn per_second(
    a: Option<(Instant, procstat::Sample)>,
    b: Option<(Instant, procstat::Sample)>,
    seconds: fn(&procstat::Sample) -> f64,
) -> Option<f64> {
    let ((t0, s0), (t1, s1)) = a.zip(b)?;
    let dt = t1.duration_since(t0).as_secs_f64();
    (dt > 0.0).then(|| (seconds(&s1) - seconds(&s0)).max(0.0) / dt)
}

/// The relay's figures over the floor's.
#[derive(Debug, Serialize)]
struct Ratios {
    /// The headline: server CPU per act, relay / floor.
    cpu_us_per_message: Option<f64>,
    /// Relay CPU per act / (floor CPU per act + one verification): the fan-out goal is ≤ 1.1.
    cpu_vs_floor_plus_verify: Option<f64>,
    /// The two CPU ratios are lower bounds: the relay's run could be quoted, and only the
    /// floor's load generator ran out of CPU. A server batches less when it is pushed less
    /// hard (the floor's CPU per act fell at every higher rate measured: BENCHMARKS.md), so
    /// its CPU per act at the rate its generator reached is at least its CPU per act flat
    /// out, and the relay's true ratio to it at least the one printed.
    cpu_ratios_at_least: bool,
    deliveries_per_s: f64,
    acked_per_s: f64,
    latency_p50: f64,
    latency_p99: f64,
    rss_per_connection: Option<f64>,
}

impl Ratios {
    fn of(relay: &Measured, floor: &Measured, verify_us: Option<f64>) -> Ratios {
        let r = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        let only_floor_generator_bound = relay.load_bound.is_none()
            && matches!(floor.load_bound, Some(LoadBound::GeneratorSaturated { .. }));
        Ratios {
            cpu_ratios_at_least: only_floor_generator_bound,
            cpu_vs_floor_plus_verify: relay
                .cpu_us_per_message
                .zip(floor.cpu_us_per_message)
                .zip(verify_us)
                .map(|((a, f), v)| r(a, f + v)),
            deliveries_per_s: r(relay.report.deliveries_per_s, floor.report.deliveries_per_s),
            acked_per_s: r(relay.report.acked_per_s, floor.report.acked_per_s),
            latency_p50: r(relay.report.latency.p50_us, floor.report.latency.p50_us),
            latency_p99: r(relay.report.latency.p99_us, floor.report.latency.p99_us),
            rss_per_connection: relay
                .rss_per_connection_bytes
                .zip(floor.rss_per_connection_bytes)
                .map(|(a, b)| r(a, b)),
            cpu_us_per_message: relay
                .cpu_us_per_message
                .zip(floor.cpu_us_per_message)
                .map(|(a, b)| r(a, b)),
        }
    }
}

#[derive(Debug, Serialize)]
struct Output {
    scenario: Option<BenchScenario>,
    /// Seconds from starting the relay to its accepting connections (loading and validating
    /// the cell, opening the journal); none for `--relay`.
    relay_start_s: Option<f64>,
    /// Big cell: whether each participant received each post exactly once.
    exactly_once: Option<bool>,
    /// Clean, and no system of the run was limited by its load generator: figures that may
    /// be quoted.
    quotable: bool,
    /// `--pin`: the server's CPU and the load generator's.
    pinned: Option<Pinned>,
    /// One Ed25519 verification (the project's verifier), µs: the mean of the timings just
    /// before and just after the load.
    verify_us: Option<f64>,
    /// The timing before the load, µs.
    verify_us_before: Option<f64>,
    /// The timing after the load, µs.
    verify_us_after: Option<f64>,
    /// The relay's durable acts/s as a multiple of one core's verification rate (1 s /
    /// `verify_us`): the publishers goal is ≥ 0.8.
    acked_vs_verify_rate: Option<f64>,
    /// 200 appends of a 700-byte line + fdatasync in the cell folder, just before the load:
    /// the disk's share of a durable acknowledgement in this run.
    fdatasync: Option<Quantiles>,
    publishers: usize,
    subscribers: usize,
    publishers_subscribe: bool,
    size: usize,
    /// The floor's body size, when `--floor-size` gave it one of its own.
    floor_size: Option<usize>,
    rate: f64,
    duration_s: f64,
    window: usize,
    /// Acts signed per publisher before the run (`--presign`).
    presign: Option<u64>,
    relay: Measured,
    floor: Option<Measured>,
    ratios: Option<Ratios>,
    /// No loss, duplicate, gap, refusal or failed connection anywhere.
    clean: bool,
}

/// Where `--pin` put the server and the load generator.
#[derive(Debug, Serialize)]
struct Pinned {
    /// The server's CPU (`taskset -c`).
    server: u32,
    /// The load generator's CPUs (a `taskset` list).
    load: String,
}

/// Descriptors this process keeps besides its connections (stdio, the runtime, files).
const RESERVED_DESCRIPTORS: u64 = 64;

/// Raises the soft descriptor limit to the hard one (each connection holds a descriptor),
/// and refuses a load the hard limit cannot hold, saying which limit to raise.
fn descriptors_for(connections: usize) -> anyhow::Result<()> {
    let limit = rlimit::increase_nofile_limit(u64::MAX)
        .context("reading or raising the file-descriptor limit")?;
    let needed = connections as u64 + RESERVED_DESCRIPTORS;
    if needed > limit {
        bail!(
            "{connections} connections need {needed} file descriptors but the limit is {limit}: raise the hard limit (`ulimit -Hn {needed}` as root, or LimitNOFILE= in a systemd unit)"
        );
    }
    Ok(())
}

fn rate_text(rate: f64) -> String {
    if rate > 0.0 {
        format!("{rate} msg/s")
    } else {
        "full speed".to_owned()
    }
}

/// A temporary folder, removed when dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process that is killed when dropped.
struct ChildGuard(Child);

impl ChildGuard {
    /// SIGTERM (the relay drains and writes its final checkpoint), then SIGKILL after 10 s.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Runs this executable with `argv` (pinned with `taskset -c CPU` if asked), stderr to `log`.
fn spawn_child(pin: Option<u32>, argv: &[String], log: &Path) -> anyhow::Result<ChildGuard> {
    let exe = std::env::current_exe().context("this executable")?;
    let mut cmd = match pin {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(cpu.to_string()).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    let log_file = std::fs::File::create(log).with_context(|| log.display().to_string())?;
    let child = cmd
        .args(argv)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .with_context(|| format!("starting {} {}", exe.display(), argv.join(" ")))?;
    Ok(ChildGuard(child))
}

fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

async fn wait_for_port(port: u16) -> anyhow::Result<()> {
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("nothing listens on 127.0.0.1:{port} after 20 s (see the log in the cell folder)")
}

/// `--serve-floor ADDR`: the floor, until killed.
async fn serve_floor(addr: SocketAddr, args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(floor::tls_config(
            &std::fs::read(cert).with_context(|| cert.display().to_string())?,
            &std::fs::read(key).with_context(|| key.display().to_string())?,
        )?),
        _ => None,
    };
    let options = FloorOptions {
        read_buffer: args.floor_read_buffer,
        ..FloorOptions::default()
    };
    floor::bind_and_serve(addr, tls, options).await?;
    Ok(ExitCode::SUCCESS)
}

/// Latency of `n` appends of a journal-sized line, each followed by `fdatasync`, in `dir`.
fn fdatasync_quantiles(dir: &Path, n: usize) -> std::io::Result<Quantiles> {
    use std::io::Write as _;
    let path = dir.join("fdatasync-probe");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    let line = [b'x'; 700];
    let mut h = Histogram::default();
    for _ in 0..n {
        let t = Instant::now();
        file.write_all(&line)?;
        file.sync_data()?;
        h.record(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(h.quantiles())
}
