//! A relay of several cells (`fusioncell relay --cells DIR`, the real binary): each cell at
//! its own path, none visible from another; cells added and retired by SIGHUP while the
//! others serve; one cell's failing journal stops only that cell; one scrape with every cell's
//! series. And the single-cell form also answers at `/cells/<its id>`.

use std::sync::Arc;
use std::time::Duration;

use fusioncell_client::{Client, ClientConfig, Event};
use fusioncell_wire::{ActKind, ChannelId};

use crate::harness::*;
use crate::metrics::{Scrape, get, scrape, split};

/// Cells `ids` in one folder, sharing the first one's TLS identity.
fn cells_dir(ids: &[&str]) -> (Arc<tempfile::TempDir>, Vec<TestCell>) {
    let root = Arc::new(tempfile::tempdir().expect("tempdir"));
    let mut cells: Vec<TestCell> = Vec::new();
    for id in ids {
        let cell = TestCell::of_relay(&root, id, cells.first());
        cells.push(cell);
    }
    (root, cells)
}

/// `fusioncell relay --cells ROOT` on a free port, with its admin listener, and `faults` set
/// for every journal it opens; on CPU `FC_RELAY_CPU` only (`taskset -c`) when it is set.
fn relay_of(root: &tempfile::TempDir, faults: Option<&str>) -> RelayProcess {
    let mut cmd = match std::env::var("FC_RELAY_CPU") {
        Ok(cpu) => {
            let mut cmd = std::process::Command::new("taskset");
            cmd.args(["-c", &cpu]).arg(fusioncell_bin());
            cmd
        }
        Err(_) => std::process::Command::new(fusioncell_bin()),
    };
    cmd.args(["relay", "--cells"])
        .arg(root.path())
        .args(["--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"])
        .env("RUST_LOG", "warn");
    match faults {
        Some(f) => cmd.env("FUSIONCELL_DANGEROUS_FAULTS", f),
        None => cmd.env_remove("FUSIONCELL_DANGEROUS_FAULTS"),
    };
    RelayProcess::spawn(cmd)
}

/// SIGTERM while a cell's journal recovers stops the relay cleanly (status 0), as `relay
/// --config` does: the recovery in progress is abandoned before it writes anything (the torn
/// tail it found is still there), and no further cell is served.
#[tokio::test]
async fn sigterm_during_a_cells_recovery_stops_cleanly_and_changes_nothing() {
    let (root, cells) = cells_dir(&["joint-a", "joint-b"]);
    let mut relay = relay_of(&root, None);
    let url = relay.url();
    relay.wait_for("cell `joint-b` served");
    for cell in &cells {
        let israel = connect(cell, &url, "israel").await;
        israel.post(&diplomacy(), "before the stop").await.unwrap();
        israel.close().await;
    }
    let (status, printed) = relay.terminate();
    assert!(status.success(), "{printed}");
    let files: Vec<_> = cells
        .iter()
        .map(|c| c.journal_dir().join("records.jsonl"))
        .collect();
    let mut torn = std::fs::read(&files[0]).unwrap();
    torn.extend_from_slice(br#"{"seq":99,"ts":1764"#);
    std::fs::write(&files[0], &torn).unwrap();
    let before: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();

    let mut relay = relay_of(&root, Some("recovery=pause:600000"));
    relay.wait_for("pausing at recovery");
    let (status, printed) = relay.terminate();
    assert!(status.success(), "{printed}");
    assert!(printed.contains("stopped while recovering"), "{printed}");
    assert!(
        !printed.contains("` served"),
        "no cell was served: {printed}"
    );
    for (file, bytes) in files.iter().zip(&before) {
        assert_eq!(&std::fs::read(file).unwrap(), bytes, "{}", file.display());
    }
}

/// A client of `cell` (its own folder's keys and CA) at `url`, not reconnecting.
fn config(cell: &TestCell, url: &str, id: &str) -> ClientConfig {
    let mut c = client_config_at(cell, url, id);
    c.reconnect = false;
    c
}

/// A connected client of `cell` at its path on the relay at `relay_url`, as `id`.
async fn connect(cell: &TestCell, relay_url: &str, id: &str) -> Client {
    let path = at(relay_url, cell.loaded().cell.id().as_str());
    Client::connect(config(cell, &path, id))
        .await
        .unwrap_or_else(|e| panic!("{id} connects at {path}: {e}"))
}

fn at(relay_url: &str, id: &str) -> String {
    format!("{relay_url}/cells/{id}")
}

fn diplomacy() -> ChannelId {
    ChannelId::new("diplomacy").expect("channel")
}

/// The post bodies of a cell's journal.
fn posts(cell: &TestCell) -> Vec<String> {
    journal_records(cell)
        .into_iter()
        .filter(|r| r.act.kind == ActKind::Post)
        .filter_map(|r| r.body.map(fusioncell_wire::Body::into_text))
        .collect()
}

/// Two cells behind one relay: clients of each post and receive; no act of one reaches the
/// other's clients or journal; one scrape holds both cells' series with one `TYPE` per
/// family; a client of one cell at the other's path is refused as the other cell's stranger.
#[tokio::test]
async fn two_cells_behind_one_relay_never_see_each_other() {
    let (root, cells) = cells_dir(&["joint-a", "joint-b"]);
    let (a, b) = (&cells[0], &cells[1]);
    let mut relay = relay_of(&root, None);
    let url = relay.url();
    relay.wait_for("cell `joint-a` served");
    relay.wait_for("cell `joint-b` served");
    let admin = relay.admin();

    let a_us = connect(a, &url, "us").await;
    let b_us = connect(b, &url, "us").await;
    let mut a_sub = live(&a_us).await;
    let mut b_sub = live(&b_us).await;
    let a_israel = connect(a, &url, "israel").await;
    let b_israel = connect(b, &url, "israel").await;
    a_israel
        .post(&diplomacy(), "only in A")
        .await
        .expect("acknowledged in A");
    b_israel
        .post(&diplomacy(), "only in B")
        .await
        .expect("acknowledged in B");
    for (sub, own) in [(&mut a_sub, "only in A"), (&mut b_sub, "only in B")] {
        let body = loop {
            match tokio::time::timeout(Duration::from_secs(10), sub.next())
                .await
                .expect("a delivery within 10 s")
                .expect("subscription open")
            {
                Event::Record { record, .. } if record.act.kind == ActKind::Post => {
                    break record.body.map(fusioncell_wire::Body::into_text);
                }
                _ => continue,
            }
        };
        assert_eq!(
            body.as_deref(),
            Some(own),
            "each cell's client gets its own cell's post first"
        );
    }

    // One scrape: both cells' series, and the listener's, each family typed once (the
    // parser refuses a repeated `TYPE`).
    let s: Scrape = scrape(admin).await;
    for cell in ["joint-a", "joint-b"] {
        assert_eq!(
            s.get_in(Some(cell), "fusioncell_sessions", &[("role", "party")]),
            1.0
        );
        assert_eq!(
            s.get_in(Some(cell), "fusioncell_sessions", &[("role", "mediator")]),
            1.0,
            "`us` is the mediator"
        );
        assert_eq!(
            s.get_in(Some(cell), "fusioncell_connections_open", &[]),
            2.0
        );
        assert_eq!(
            s.get_in(Some(cell), "fusioncell_acts_accepted_total", &[]),
            1.0
        );
    }
    assert_eq!(
        s.get_in(None, "fusioncell_listener_connections_open", &[]),
        4.0
    );

    // A's client at B's path: B's challenge names B, which A's client refuses to log in to.
    let crossed = Client::connect(config(a, &at(&url, "joint-b"), "israel")).await;
    assert!(crossed.is_err(), "a client of A does not log in to B");
    // A's key, B's path, raw: B refuses the login as it refuses a name it does not know
    // (4001), journals it in B, and A hears nothing of it.
    let ca = std::fs::read(a.folder().join("tls/ca.pem")).expect("ca");
    let target =
        fusioncell_client::connection::Target::new(&at(&url, "joint-b"), Some(&ca)).expect("url");
    for name in ["israel", "nobody"] {
        let mut ws = fusioncell_client::connection::dial(&target)
            .await
            .expect("dial");
        let id = fusioncell_wire::IdentityId::new(name).expect("id");
        let expect = fusioncell_client::connection::Expect::default();
        let refused =
            fusioncell_client::connection::login(&mut ws, &id, &a.key("israel"), &expect).await;
        assert!(
            matches!(
                refused,
                Err(fusioncell_client::ClientError::Closed { code: 4001, .. })
            ),
            "{name}: {refused:?}"
        );
    }
    for client in [a_us, b_us, a_israel, b_israel] {
        client.close().await;
    }

    let (status, printed) = relay.terminate();
    assert!(status.success(), "{printed}");
    assert!(printed.contains("cell `joint-a` stopped"), "{printed}");
    assert!(printed.contains("cell `joint-b` stopped"), "{printed}");
    assert_eq!(posts(a), ["only in A"]);
    assert_eq!(posts(b), ["only in B"]);
    let b_events = security_events(b);
    assert!(
        b_events.iter().any(|(e, _)| e == "bad_login"),
        "{b_events:?}"
    );
    assert!(security_events(a).is_empty(), "{:?}", security_events(a));
    for cell in [a, b] {
        fusioncell_journal::verify(&cell.journal_dir(), None).expect("verifies");
    }
}

/// The same bytes for a cell the relay does not serve as for any path it does not know:
/// an upgrade, the console page, a file of it. Nothing tells a cell that does not exist
/// from one that exists elsewhere.
#[tokio::test]
async fn an_unknown_cell_is_answered_as_any_unknown_path() {
    let (root, cells) = cells_dir(&["joint-a", "joint-b"]);
    let mut relay = relay_of(&root, None);
    let url = relay.url();
    relay.wait_for("cell `joint-b` served");
    let addr: std::net::SocketAddr = url
        .strip_prefix("wss://")
        .expect("wss")
        .parse()
        .expect("addr");
    let upgrade = |path: &str| {
        format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
    };
    let page = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let a = &cells[0];
    let unknown = http_exchange(a, addr, &upgrade("/nothing")).await;
    assert!(unknown.starts_with("HTTP/1.1 404 "), "{unknown}");
    for head in [
        upgrade("/"),
        upgrade("/cells/joint-c"),
        upgrade("/cells/joint-"),
        upgrade("/cells/JOINT-A"),
        upgrade("/cells/"),
        page("/cells/joint-c/"),
        page("/cells/joint-c/app.js"),
        page("/"),
    ] {
        assert_eq!(http_exchange(a, addr, &head).await, unknown, "{head}");
    }
    // A served cell: its upgrade, its page (which names it alone) and its cell.json.
    let served = http_exchange(a, addr, &upgrade("/cells/joint-a")).await;
    assert!(served.starts_with("HTTP/1.1 101 "), "{served}");
    let console = http_exchange(a, addr, &page("/cells/joint-a/")).await;
    assert!(console.starts_with("HTTP/1.1 200 "), "{console}");
    assert!(
        console.contains("src=\"app.js\""),
        "relative, within the cell's path"
    );
    let json = http_exchange(a, addr, &page("/cells/joint-a/cell.json")).await;
    assert!(json.contains("\"cell\":\"joint-a\""), "{json}");
    assert!(!json.contains("joint-b"), "{json}");
    let bare = http_exchange(a, addr, &page("/cells/joint-a")).await;
    assert!(bare.starts_with("HTTP/1.1 308 "), "{bare}");
    assert!(bare.contains("Location: /cells/joint-a/\r\n"), "{bare}");
    relay.terminate();
}

/// SIGHUP: a new folder's cell starts and serves; a broken one gets one line naming its file
/// and field and changes nothing else; a folder marked `retired` drains its cell (its clients
/// closed with 1001, its final checkpoint written) while the other cell serves on.
#[tokio::test]
async fn cells_are_added_and_retired_while_the_others_serve() {
    let (root, cells) = cells_dir(&["joint-a"]);
    let a = &cells[0];
    let mut relay = relay_of(&root, None);
    let url = relay.url();
    relay.wait_for("cell `joint-a` served");
    let a_israel = connect(a, &url, "israel").await;
    a_israel.post(&diplomacy(), "A, before").await.expect("ack");

    let b = TestCell::of_relay(&root, "joint-b", Some(a));
    let broken = TestCell::of_relay(&root, "joint-c", Some(a))
        .edit("listen = \"127.0.0.1:0\"", "listen = \"nowhere\"");
    let other_limits = TestCell::of_relay(&root, "joint-d", Some(a))
        .edit("# login_timeout_ms = ", "login_timeout_ms = 1 #");
    relay.hangup();
    relay.wait_for("cell `joint-b` served");
    let line = relay.wait_for("joint-c");
    assert!(
        line.contains(&broken.config.display().to_string()) && line.contains("relay.listen"),
        "one line naming the file and the field: {line}"
    );
    let line = relay.wait_for("joint-d");
    assert!(
        line.contains(&other_limits.config.display().to_string())
            && line.contains("limits.login_timeout_ms"),
        "{line}"
    );
    let b_israel = connect(&b, &url, "israel").await;
    b_israel.post(&diplomacy(), "B, added").await.expect("ack");

    let mut a_watcher = raw_login_at(a, &at(&url, "joint-a"), "us").await;
    std::fs::write(a.folder().join("retired"), "").expect("marker");
    relay.hangup();
    let (code, _) = expect_close(&mut a_watcher, 20).await;
    assert_eq!(
        code, 1001,
        "a retired cell's sessions are closed as at a shutdown"
    );
    relay.wait_for("cell `joint-a` stopped");
    b_israel
        .post(&diplomacy(), "B, after A retired")
        .await
        .expect("the other cell serves on");
    let again = Client::connect(config(a, &at(&url, "joint-a"), "israel")).await;
    assert!(again.is_err(), "a retired cell is not served");
    // Its journal is closed cleanly: its final checkpoint covers every record.
    let audit = std::process::Command::new(fusioncell_bin())
        .args(["audit", "verify"])
        .arg(a.journal_dir())
        .output()
        .expect("audit");
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stderr)
    );
    assert_eq!(posts(a), ["A, before"]);
    drop(a_israel);
    b_israel.close().await;
    let (status, printed) = relay.terminate();
    assert!(status.success(), "{printed}");
    assert_eq!(posts(&b), ["B, added", "B, after A retired"]);
}

/// An fsync that fails in one cell's journal (the journal's `records-sync` fault point):
/// that cell refuses acts and `/readyz` names it, while the other cell acknowledges on; the
/// stop reports the failed journal and exits non-zero.
#[tokio::test]
async fn one_cells_failing_journal_stops_only_that_cell() {
    let (root, cells) = cells_dir(&["joint-a", "joint-b"]);
    let (a, b) = (&cells[0], &cells[1]);
    for cell in [a, b] {
        // No timed checkpoint: only the syncs counted below happen.
        std::fs::write(
            &cell.config,
            std::fs::read_to_string(&cell.config)
                .expect("read")
                .replace("# checkpoint_every_ms = ", "checkpoint_every_ms = 600000 #"),
        )
        .expect("write");
    }
    // Each journal counts its own syncs: the open record is the 1st, then one per post. A
    // fails at its 6th; B posts 3 times (4 syncs) and never reaches it.
    let mut relay = relay_of(&root, Some("records-sync=eio@6"));
    let url = relay.url();
    relay.wait_for("cell `joint-b` served");
    let admin = relay.admin();
    let ready = get(admin, "/readyz").await;
    assert_eq!(split(&ready), ("HTTP/1.1 200 OK", "ready\n"));

    let a_israel = connect(a, &url, "israel").await;
    let b_israel = connect(b, &url, "israel").await;
    b_israel.post(&diplomacy(), "B 1").await.expect("ack");
    let mut acked = 0;
    for i in 0..10 {
        match tokio::time::timeout(
            Duration::from_secs(20),
            a_israel.post(&diplomacy(), &format!("A {i}")),
        )
        .await
        {
            Ok(Ok(_)) => acked += 1,
            _ => break,
        }
    }
    assert_eq!(acked, 4, "syncs 2 to 5 acknowledged, the 6th failed");
    let ready = get(admin, "/readyz").await;
    let (status, body) = split(&ready);
    assert_eq!(status, "HTTP/1.1 503 Service Unavailable", "{ready}");
    assert!(body.contains("cell `joint-a`"), "{body}");
    assert!(!body.contains("joint-b"), "{body}");
    b_israel
        .post(&diplomacy(), "B 2")
        .await
        .expect("the other cell acknowledges on");
    b_israel.post(&diplomacy(), "B 3").await.expect("ack");
    let s = scrape(admin).await;
    assert_eq!(
        s.get_in(Some("joint-a"), "fusioncell_journal_failed", &[]),
        1.0
    );
    assert_eq!(
        s.get_in(Some("joint-b"), "fusioncell_journal_failed", &[]),
        0.0
    );
    drop(a_israel);
    b_israel.close().await;
    let (status, printed) = relay.terminate();
    assert!(
        !status.success(),
        "a failed journal is not a clean stop:\n{printed}"
    );
    assert!(
        printed.contains("cell `joint-a` stopped: JOURNAL FAILED"),
        "{printed}"
    );
    assert!(printed.contains("cell `joint-b` stopped: "), "{printed}");
    assert!(
        !printed.contains("cell `joint-b` stopped: JOURNAL FAILED"),
        "{printed}"
    );
    assert_eq!(posts(b), ["B 1", "B 2", "B 3"]);
}

/// The single-cell form answers at `/cells/<its id>` too, so that a client can always dial
/// that form; another id there is unknown.
#[tokio::test]
async fn a_relay_of_one_cell_also_answers_at_its_cell_path() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = connect(&cell, &relay.url, "israel").await;
    israel.post(&diplomacy(), "by path").await.expect("ack");
    let other = Client::connect(config(&cell, &at(&relay.url, "other-cell"), "israel")).await;
    assert!(other.is_err(), "another cell's path is not this relay's");
    israel.close().await;
    relay.stop().await;
    assert_eq!(posts(&cell), ["by path"]);
}

/// `n` posts by `client`, one started every `pace` (or at once after a slower one): the time
/// from sending each to its durable acknowledgement.
async fn paced_posts(client: &Client, n: usize, pace: Duration) -> Vec<Duration> {
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let next = tokio::time::Instant::now() + pace;
        let sent = std::time::Instant::now();
        client
            .post(&diplomacy(), &format!("paced {i}"))
            .await
            .expect("acknowledged");
        times.push(sent.elapsed());
        tokio::time::sleep_until(next).await;
    }
    times
}

/// Acts posted into one cell as fast as durable acknowledgements allow: `ids` each with
/// `window` posts in flight, on the runtime it is started in; counts what was acknowledged.
struct ActFlood {
    acked: Arc<std::sync::atomic::AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl ActFlood {
    async fn start(
        runtime: &tokio::runtime::Runtime,
        cell: &TestCell,
        url: &str,
        ids: &[&str],
        window: usize,
    ) -> ActFlood {
        let acked = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut tasks = Vec::new();
        for id in ids {
            let client = Arc::new(
                runtime
                    .spawn(Client::connect(config(cell, url, id)))
                    .await
                    .expect("joined")
                    .expect("the flood connects"),
            );
            for _ in 0..window {
                let (client, acked) = (client.clone(), acked.clone());
                tasks.push(runtime.spawn(async move {
                    let ch = ChannelId::new("commerce").expect("channel");
                    while client.post(&ch, "flood").await.is_ok() {
                        acked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }));
            }
        }
        ActFlood { acked, tasks }
    }

    fn acked(&self) -> u64 {
        self.acked.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for ActFlood {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Acts acknowledged by `floods` per second over `window`, and the relay process's CPU
/// (cores: CPU seconds per second) meanwhile.
async fn rate(relay_pid: u32, floods: &[&ActFlood], window: Duration) -> (f64, f64) {
    let cpu = || fusioncell_bench::procstat::sample(Some(relay_pid)).map_or(0.0, |s| s.cpu_s);
    let acked = || floods.iter().map(|f| f.acked()).sum::<u64>();
    let (acks, cpu0, t0) = (acked(), cpu(), std::time::Instant::now());
    tokio::time::sleep(window).await;
    let dt = t0.elapsed().as_secs_f64();
    ((acked() - acks) as f64 / dt, (cpu() - cpu0) / dt)
}

/// The measurement of BENCHMARKS.md, "Cells": cell B's post latency (`FC_POSTS` (300) posts
/// by one client, one every `FC_PACE_MS` (10 ms), send to durable acknowledgement) alone,
/// then while cell A of the same relay process is flooded (2 identities with `FC_WINDOW`
/// (16) posts each in flight, on a runtime of their own); then the acts/s of A flooded alone
/// and of A and B flooded together over `FC_SECONDS` (10) each, with the relay's CPU.
/// `FC_NO_FSYNC=1` sets both cells' `dangerous_no_fsync`, to see the relay's own limit
/// without the disk's; `FC_RELAY_CPU=0` pins the relay to CPU 0 (run the test itself under
/// `taskset -c 1`, so that the load and the relay do not share a core). Prints the figures;
/// asserts nothing about time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, run by hand (BENCHMARKS.md, Cells)"]
async fn measure_one_cells_flood_against_anothers_latency() {
    let posts = env_or("FC_POSTS", 300);
    let pace = Duration::from_millis(env_or("FC_PACE_MS", 10) as u64);
    let window = env_or("FC_WINDOW", 16);
    let seconds = Duration::from_secs(env_or("FC_SECONDS", 10) as u64);
    let (root, mut cells) = cells_dir(&["joint-a", "joint-b"]);
    if env_or("FC_NO_FSYNC", 0) == 1 {
        cells = cells
            .into_iter()
            .map(|c| c.edit("dangerous_no_fsync = false", "dangerous_no_fsync = true"))
            .collect();
    }
    let (a, b) = (&cells[0], &cells[1]);
    let mut relay = relay_of(&root, None);
    let url = relay.url();
    relay.wait_for("cell `joint-b` served");
    let pid = relay.pid();
    let b_israel = connect(b, &url, "israel").await;
    // Warm up: TLS session, first journal writes.
    paced_posts(&b_israel, 20, pace).await;
    let mut alone = paced_posts(&b_israel, posts, pace).await;

    let flooder = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the flood's runtime");
    let flooders = ["syria", "us"];
    let flood_a = ActFlood::start(&flooder, a, &at(&url, "joint-a"), &flooders, window).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (acks_before, t0) = (flood_a.acked(), std::time::Instant::now());
    let mut flooded = paced_posts(&b_israel, posts, pace).await;
    let a_during = (flood_a.acked() - acks_before) as f64 / t0.elapsed().as_secs_f64();
    let (one_rate, one_cpu) = rate(pid, &[&flood_a], seconds).await;
    let flood_b = ActFlood::start(&flooder, b, &at(&url, "joint-b"), &flooders, window).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (two_rate, two_cpu) = rate(pid, &[&flood_a, &flood_b], seconds).await;
    drop((flood_a, flood_b));
    flooder.shutdown_background();

    let p99_alone = percentile_ms(&mut alone, 99.0);
    let p99_flooded = percentile_ms(&mut flooded, 99.0);
    println!(
        "cell B alone: {posts} posts, p50 {:.2} ms, p99 {p99_alone:.2} ms",
        percentile_ms(&mut alone, 50.0)
    );
    println!(
        "cell B while cell A is flooded ({a_during:.0} acts/s in A): p50 {:.2} ms, p99 \
         {p99_flooded:.2} ms ({:.2}x alone)",
        percentile_ms(&mut flooded, 50.0),
        p99_flooded / p99_alone
    );
    println!("one cell flooded: {one_rate:.0} acts/s, relay CPU {one_cpu:.2} cores");
    println!("two cells flooded: {two_rate:.0} acts/s together, relay CPU {two_cpu:.2} cores");
    b_israel.close().await;
    let (status, printed) = relay.terminate();
    assert!(status.success(), "{printed}");
}
