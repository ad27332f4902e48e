//! The relay's timing events (`fusioncell::timing`), collected the way `scripts/trace.sh`
//! collects them, from a real relay process under a `fusioncell bench --scenario many` load,
//! and read back by the analysis the script prints (`fusioncell_bench::trace`).

use std::io::BufReader;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fusioncell_bench::trace::report::{Report, stages};
use fusioncell_bench::trace::{Act, Trace};

use crate::harness::{free_port, fusioncell_bin};

/// Every act of the load is followed from its read to each recipient's flush, its stages in
/// pipeline order on one clock, no delivery or ack flushed before its fdatasync ended, and
/// the relay's part of each delivery no longer than what the bench measured around it.
#[test]
fn a_traced_load_shows_each_act_in_stage_order() {
    let dir = tempfile::tempdir().unwrap();
    let cell = dir.path().join("cell");
    let bin = fusioncell_bin();
    let made = Command::new(&bin)
        .args(["bench", "--keep"])
        .arg(&cell)
        .args(["--publishers", "1", "--subscribers", "1", "--rate", "1"])
        .args(["--duration", "0.2"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::remove_dir_all(cell.join("journal")).unwrap();
    let config = cell.join("cell.toml");
    let listen = format!("127.0.0.1:{}", free_port());
    let log = dir.path().join("relay.log");
    let mut relay = Command::new(&bin)
        .args(["--log-format", "json", "relay", "--config"])
        .arg(&config)
        .args(["--listen", &listen, "--admin", "off"])
        .env("RUST_LOG", "fusioncell::timing=trace")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(Instant::now() < until, "the relay does not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    let bench = Command::new(&bin)
        .args(["bench", "--relay", &format!("wss://{listen}"), "--config"])
        .arg(&config)
        .args(["--scenario", "many", "--duration", "1"])
        .output()
        .unwrap();
    let _ = Command::new("kill")
        .args(["-INT", &relay.id().to_string()])
        .status();
    let _ = relay.wait();
    let out = String::from_utf8_lossy(&bench.stdout);
    assert!(bench.status.success(), "{out}");
    let acked = number_after(&out, "sent, ").expect("the bench's acked count");
    let bench_p50 = number_after(&out, "latency        p50 ").expect("the bench's p50");

    let trace = Trace::parse(BufReader::new(std::fs::File::open(&log).unwrap())).unwrap();
    let acts = trace.acts().unwrap();
    assert_eq!(
        acts.len() as u64,
        acked,
        "every acknowledged act is followed"
    );
    let recipients = acts.iter().map(|a| a.deliveries.len()).max().unwrap();
    assert_eq!(recipients, 20, "20 clients receive everything");
    for act in &acts {
        in_stage_order(&trace, act);
    }
    let report = Report::of(&trace).unwrap();
    assert!(report.acts as u64 >= acked * 9 / 10, "{report}");
    assert_eq!(report.stages.len(), report.slowest.len());
    // Each delivery's relay interval lies inside the bench's publish → delivery interval,
    // so every quantile of the bench's is at least the trace's (the bench's histogram is
    // within 1.6 %).
    assert!(
        bench_p50 as f64 * 1.02 >= report.per_delivery.p50,
        "bench p50 {bench_p50} µs < relay part {}\n{report}",
        report.per_delivery.p50
    );
}

/// The stamps of one act rise through the pipeline, and its stages add up to its total.
fn in_stage_order(trace: &Trace, act: &Act) {
    let g = &trace.groups[act.group];
    let marks = [
        act.read,
        act.verified,
        act.handed,
        g.picked,
        g.journal,
        g.sync,
        g.synced,
        g.answered,
        g.queued,
    ];
    assert!(
        marks.windows(2).all(|w| w[0] <= w[1]),
        "act {act:?} in group {g:?}"
    );
    assert!(g.waited <= g.picked, "{g:?}");
    assert!(act.cell_seq >= g.first && act.cell_seq < g.first + g.records);
    for d in act.deliveries.iter().chain(&act.ack) {
        assert!(d.taken <= d.flushed, "{d:?}");
        assert!(
            d.flushed > g.synced,
            "flushed before its fsync ended: {d:?} {g:?}"
        );
    }
    if let Some(last) = act.last_flushed() {
        let total: u64 = stages(act, g, last).iter().sum();
        assert_eq!(total, last - act.read);
    }
}

/// The integer that follows `label` in `text`.
fn number_after(text: &str, label: &str) -> Option<u64> {
    let rest = &text[text.find(label)? + label.len()..];
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    rest[..end].parse().ok()
}
