//! `fusioncell demo`: the Paris talks exercise on one machine with no set-up. A cell like
//! `init` makes, the relay, exercise control running the built-in scenario at high speed,
//! bots playing both delegations and the mediator, and a live transcript as the mediator's
//! screen shows it; at ENDEX the relay stops and the journal is verified. `--cells N` runs N
//! syndicates at once, each its own cell behind one relay (as `relay --cells` serves them),
//! each with its own control and bots; every journal is verified at the end.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use fusioncell_client::{Client, Event};
use fusioncell_exercise::{ControlEvent, ControlOptions, run_bot, run_control};
use fusioncell_relay::routes::PREFIX;
use fusioncell_relay::{Cells, RelayError, Server, ShutdownReport};
use fusioncell_scenario::{Persona, Scenario};
use fusioncell_wire::{ActKind, CellId, Record};
use tokio::sync::mpsc;

use crate::args::DemoArgs;
use crate::embedded;
use crate::init::{InitParams, write_cell_folder, write_cell_of_relay};
use crate::load::{self, ConnectArgs, LoadedCell};

pub(super) async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let speed = args.speed.max(1);
    let folder = match &args.keep {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!(
            "fusioncell-demo-{}",
            hex::encode(&fusioncell_keys::random_nonce()?[..4])
        )),
    };
    let scenario = Scenario::from_toml(embedded::SCENARIO).context("built-in scenario")?;
    let (relay, syndicates) = if args.cells > 1 {
        start_cells(&folder, usize::from(args.cells)).await?
    } else {
        start_one(&folder).await?
    };
    crate::outln!(
        "fusioncell demo: \"{}\" at ×{speed} — relay {}, {}",
        scenario.title(),
        relay.url(),
        match &relay {
            DemoRelay::One(_) => format!("cell folder {}", folder.display()),
            DemoRelay::Many(_) => format!(
                "{} syndicates, each its own cell, in {}",
                syndicates.len(),
                folder.display()
            ),
        }
    );
    crate::outln!("(fictional training scenario; bots play israel, syria and the U.S. mediator)\n");

    // Ctrl-C or SIGTERM stops the demo in order: the bots and clients stop, then the relay
    // shuts down as on any stop (final checkpoint), so every journal is left whole and
    // verifies.
    let plays = futures_util::future::try_join_all(
        syndicates
            .iter()
            .map(|s| play(s, &scenario, speed, syndicates.len() > 1)),
    );
    let played = tokio::select! {
        played = plays => Some(played?),
        () = crate::stop::signal() => None,
    };
    let stopped = relay.shutdown().await;
    let Some(stats) = played else {
        for (id, records) in &stopped {
            let records = records.as_ref().map_err(|e| anyhow::anyhow!("{id}: {e}"))?;
            eprintln!(
                "interrupted: cell `{id}` stopped, {} records in its journal",
                records.records
            );
        }
        eprintln!(
            "(`fusioncell audit verify` each journal of {})",
            folder.display()
        );
        return Ok(ExitCode::from(crate::stop::INTERRUPTED));
    };

    crate::outln!();
    for ((syndicate, stats), (_, stopped)) in syndicates.iter().zip(&stats).zip(stopped) {
        let records = stopped?.records;
        let journal: PathBuf = syndicate.loaded.cell.relay().journal.clone();
        let name = syndicate
            .label
            .as_deref()
            .map_or(String::new(), |l| format!("{l}: "));
        match super::audit::verify_journal(&journal, Some(&syndicate.loaded)) {
            Ok(report) => {
                crate::outln!(
                    "{name}journal verified: {records} records, {} checkpoints, root {}; every signature, the Merkle tree and every authorization decision check out",
                    report.checkpoints,
                    report.root
                );
            }
            Err(e) => {
                eprintln!("{name}journal verification FAILED: {e}");
                return Ok(ExitCode::FAILURE);
            }
        }
        crate::outln!(
            "{name}{} injects, {} posts, {} held for moderation ({} approved, {} rejected), {} hotline acknowledgements, {} escalations",
            stats.injects,
            stats.posts,
            stats.held,
            stats.approved,
            stats.rejected,
            stats.acks,
            stats.escalations
        );
        crate::outln!("{name}journal: {}", journal.display());
        crate::outln!(
            "{name}cell: {} (keys, certificates, journal; `fusioncell audit verify {}`)",
            syndicate.config.display(),
            journal.display()
        );
        if args.keep.is_some() {
            let cell_folder = syndicate.config.parent().unwrap_or(&folder);
            crate::outln!(
                "{name}exercise: {} and {}/ (for `report --scenario`, `exercise run` and `bot`)",
                cell_folder.join(crate::init::SCENARIO_FILE).display(),
                cell_folder.join(crate::init::BOTS_DIR).display()
            );
        }
    }
    crate::outln!("finished in {:.0} s", started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

/// The demo's relay: of one cell, or of one cell per syndicate.
enum DemoRelay {
    One(Server),
    Many(Cells),
}

impl DemoRelay {
    /// Where it listens.
    fn url(&self) -> String {
        let addr = match self {
            DemoRelay::One(server) => server.local_addr(),
            DemoRelay::Many(cells) => cells.local_addr(),
        };
        format!("wss://127.0.0.1:{}", addr.port())
    }

    /// Stops it: each cell's id and final journal size, in the syndicates' order.
    async fn shutdown(self) -> Vec<(String, Result<ShutdownReport, RelayError>)> {
        match self {
            DemoRelay::One(server) => vec![(String::new(), server.shutdown().await)],
            DemoRelay::Many(cells) => cells.shutdown().await,
        }
    }
}

/// One syndicate's cell, and how its clients reach it.
struct Syndicate {
    config: PathBuf,
    loaded: LoadedCell,
    url: String,
    /// Its name in the output when there are several (its cell id).
    label: Option<String>,
}

/// The built-in scenario as the relay gives it to control and evaluators at login.
fn built_in_scenario() -> anyhow::Result<serde_json::Value> {
    let scenario = Scenario::from_toml(embedded::SCENARIO).context("built-in scenario")?;
    Ok(serde_json::to_value(&scenario)?)
}

/// The demo as it always was: one cell in `folder`, a relay of it alone.
async fn start_one(folder: &Path) -> anyhow::Result<(DemoRelay, Vec<Syndicate>)> {
    let cell_id = CellId::new(format!(
        "paris-demo-{}",
        hex::encode(&fusioncell_keys::random_nonce()?[..3])
    ))?;
    let config = write_cell_folder(folder, &params(cell_id)?)?;
    let loaded = load::cell(&config)?;
    let mut relay_config = load::relay_config(&loaded, None, false)?;
    relay_config.cell.scenario = Some(built_in_scenario()?);
    let server = Server::spawn(relay_config).await?;
    let url = format!("wss://127.0.0.1:{}", server.local_addr().port());
    let syndicate = Syndicate {
        config,
        loaded,
        url,
        label: None,
    };
    Ok((DemoRelay::One(server), vec![syndicate]))
}

/// `n` syndicates: cells `paris-joint-cell-1` … `-n` in subfolders of `folder` (a folder
/// `relay --cells` serves), sharing the first one's TLS identity, behind one relay.
async fn start_cells(folder: &Path, n: usize) -> anyhow::Result<(DemoRelay, Vec<Syndicate>)> {
    let mut configs: Vec<PathBuf> = Vec::with_capacity(n);
    for i in 1..=n {
        let id = CellId::new(format!("paris-joint-cell-{i}"))?;
        let relay_tls = configs.first().and_then(|c| c.parent());
        let config = write_cell_of_relay(&folder.join(id.as_str()), &params(id)?, relay_tls)?;
        configs.push(config);
    }
    let mut loaded = Vec::with_capacity(n);
    for config in &configs {
        loaded.push(load::cell(config)?);
    }
    let first = load::relay_config(&loaded[0], None, false)?;
    let (front, _) = first.split();
    let cells = Cells::spawn(front).await?;
    let base = format!("wss://127.0.0.1:{}", cells.local_addr().port());
    let mut syndicates = Vec::with_capacity(n);
    for (config, loaded) in configs.into_iter().zip(loaded) {
        let mut cell_config = load::cell_config(&loaded)?;
        cell_config.scenario = Some(built_in_scenario()?);
        cells.add(cell_config).await?;
        let id = loaded.cell.id().as_str().to_owned();
        syndicates.push(Syndicate {
            url: format!("{base}{PREFIX}{id}"),
            config,
            loaded,
            label: Some(id),
        });
    }
    Ok((DemoRelay::Many(cells), syndicates))
}

/// The example cell as `init` writes it, with the built-in exercise, on a free port.
fn params(cell_id: CellId) -> anyhow::Result<InitParams> {
    Ok(InitParams {
        cell_id,
        listen: "127.0.0.1:0".parse()?,
        hosts: Vec::new(),
        scenario: Some(embedded::SCENARIO.to_owned()),
    })
}

/// Tasks aborted when dropped: a syndicate's bots and printers end with its play, also when
/// the play is abandoned (Ctrl-C).
#[derive(Default)]
struct Tasks(Vec<tokio::task::AbortHandle>);

impl Tasks {
    /// Spawns `task`, aborted with the others.
    fn spawn<T: Send + 'static>(
        &mut self,
        task: impl std::future::Future<Output = T> + Send + 'static,
    ) -> tokio::task::JoinHandle<T> {
        let handle = tokio::spawn(task);
        self.0.push(handle.abort_handle());
        handle
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// One syndicate's exercise: exercise control runs the scenario to ENDEX, bots play both
/// delegations and the mediator, and the mediator's screen is printed as a transcript (each
/// line named by the syndicate when `labelled`). Returns the transcript's counts.
async fn play(
    syndicate: &Syndicate,
    scenario: &Scenario,
    speed: u32,
    labelled: bool,
) -> anyhow::Result<Stats> {
    let connect = |id: &str, witness: bool| {
        let config = load::client_config(&ConnectArgs {
            config: Some(syndicate.config.clone()),
            relay: Some(syndicate.url.clone()),
            identity: id.to_owned(),
            ..Default::default()
        });
        async move {
            let mut config = config?;
            config.witness = witness;
            anyhow::Ok(Client::connect(config).await?)
        }
    };
    let label = match (&syndicate.label, labelled) {
        (Some(l), true) => format!("[{l}] "),
        _ => String::new(),
    };

    // The transcript: what the mediator's screen shows (every channel, held posts too).
    // A second session of the mediator that only watches: the mediator bot cosigns.
    let watcher = connect("us", false).await?;
    let mut transcript = watcher.subscribe(None).await?;
    let cell = syndicate.loaded.cell.clone();
    let printer_label = label.clone();
    let mut tasks = Tasks::default();
    let printer = tasks.spawn(async move {
        let mut stats = Stats::default();
        let mut clock = fusioncell_wire::Clock::default();
        while let Some(event) = transcript.next().await {
            match event {
                Event::Record {
                    record,
                    released_by,
                    ..
                } => {
                    let held = is_held(&cell, &record);
                    stats.count(&record, held, released_by);
                    // The mediator saw a held post already; its release shows as the approval.
                    let line = match released_by {
                        Some(_) => None,
                        None => crate::show::transcript_line(&record, held, None),
                    };
                    if let Some(line) = line {
                        let at = fusioncell_scenario::time::format_at(
                            clock.scenario_ms_at(record.ts) / 1000,
                        );
                        if crate::out::line(format_args!("{printer_label}[{at}] {line}")).is_err() {
                            break;
                        }
                    }
                }
                Event::State(state) => {
                    clock = state.clock;
                    if clock.phase == fusioncell_wire::Phase::Ended {
                        break;
                    }
                }
                _ => {}
            }
        }
        stats
    });

    let (log, mut bot_lines) = mpsc::channel::<String>(256);
    let refusals = label.clone();
    tasks.spawn(async move {
        while let Some(line) = bot_lines.recv().await {
            if line.contains("refused") {
                let _ = crate::out::line(format_args!("   {refusals}({line})"));
            }
        }
    });
    let mut bots = Vec::new();
    for (file, text) in embedded::BOTS {
        let persona = Persona::from_toml(text).with_context(|| format!("built-in bot {file}"))?;
        let client = connect(persona.identity().as_str(), true).await?;
        let cell = syndicate.loaded.cell.clone();
        let log = log.clone();
        bots.push(tasks.spawn(async move {
            let _ = run_bot(&client, &cell, persona, log).await;
            client.close().await;
        }));
    }

    let control = connect("control", true).await?;
    let options = ControlOptions {
        speed,
        start: true,
        end_when_done: true,
        grace_s: 300,
    };
    let (_commands, command_rx) = mpsc::channel(1);
    let (events_tx, mut events) = mpsc::channel(64);
    tasks.spawn(async move {
        while let Some(event) = events.recv().await {
            if let ControlEvent::Refused(why) = event {
                let _ = crate::out::line(format_args!("   {label}(control: {why})"));
            }
        }
    });
    run_control(&control, scenario, &options, command_rx, events_tx).await?;
    for bot in bots {
        let _ = bot.await;
    }
    let stats = printer.await.unwrap_or_default();
    control.close().await;
    watcher.close().await;
    Ok(stats)
}

/// Whether a post is held for the mediator (a party's post on a moderated channel).
fn is_held(cell: &fusioncell_cell::Cell, r: &Record) -> bool {
    r.act.kind == ActKind::Post
        && r.act
            .channel
            .as_ref()
            .is_some_and(|c| fusioncell_cell::policy::is_moderated_for(cell, &r.act.actor, c))
}

/// Counts for the closing summary.
#[derive(Debug, Default)]
struct Stats {
    injects: u64,
    posts: u64,
    held: u64,
    approved: u64,
    rejected: u64,
    acks: u64,
    escalations: u64,
}

impl Stats {
    fn count(&mut self, r: &Record, held: bool, released_by: Option<u64>) {
        match r.act.kind {
            ActKind::Inject => self.injects += 1,
            ActKind::Post if released_by.is_none() => {
                self.posts += 1;
                if held {
                    self.held += 1;
                }
            }
            ActKind::Approve => self.approved += 1,
            ActKind::Reject => self.rejected += 1,
            ActKind::Ack => self.acks += 1,
            ActKind::Escalate => self.escalations += 1,
            _ => {}
        }
    }
}
