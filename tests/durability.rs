//! Nothing acknowledged is ever lost: a relay process killed with SIGKILL mid-load, a torn
//! final line, and damage in the middle of the journal.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fusioncell_client::Client;
use fusioncell_wire::{ActKind, ChannelId, RecoveredBody};

use crate::harness::*;

/// Starts `fusioncell relay` as a child process on a free port; returns it and its URL.
/// A relay process, killed when dropped so that a failing test leaves nothing running.
struct RelayProcess(std::process::Child);

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_relay_process(cell: &TestCell) -> (RelayProcess, String) {
    let mut child = Command::new(fusioncell_bin())
        .args(["relay", "--config"])
        .arg(&cell.config)
        .args(["--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("relay process starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("relay prints its address");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("wss://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    (RelayProcess(child), url)
}

#[tokio::test]
async fn sigkill_under_load_loses_no_acknowledged_act() {
    let cell = TestCell::busy();
    let (mut child, url) = spawn_relay_process(&cell);
    let acked = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for id in ["israel", "syria", "us"] {
        let mut config = fusioncell::load::client_config(&fusioncell::load::ConnectArgs {
            config: Some(cell.config.clone()),
            relay: Some(url.clone()),
            identity: id.to_owned(),
            ..Default::default()
        })
        .unwrap();
        config.reconnect = false;
        let client = Client::connect(config).await.unwrap();
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            let ch = ChannelId::new("commerce").unwrap();
            for i in 0.. {
                match client.post(&ch, &format!("{id} offer {i}")).await {
                    Ok(ack) => acked.lock().unwrap().push((id, ack)),
                    Err(_) => break,
                }
            }
        }));
    }
    assert!(
        eventually(30, || acked.lock().unwrap().len() >= 60).await,
        "posts flow"
    );
    child.0.kill().expect("SIGKILL");
    child.0.wait().expect("reaped");
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(20), t)
            .await
            .expect("posters stop")
            .unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    // Restart (in process): recovery, then a clean stop.
    let relay = Relay::start(&cell).await;
    relay.stop().await;
    fusioncell_journal::verify(&cell.journal_dir(), None).expect("the journal verifies");
    let records = journal_records(&cell);
    for (id, ack) in &acked {
        let r = &records[ack.cell_seq as usize];
        assert_eq!(
            (r.act.actor.as_str(), r.act.seq),
            (*id, ack.seq),
            "acknowledged act is in place"
        );
    }
    assert!(records.iter().any(|r| r.act.kind == ActKind::Recovered));
}

#[tokio::test]
async fn a_torn_final_line_is_cut_and_reported() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let ch = ChannelId::new("diplomacy").unwrap();
    for i in 0..5 {
        israel.post(&ch, &format!("line {i}")).await.unwrap();
    }
    israel.close().await;
    let before = relay.stop().await;
    let path = cell.journal_dir().join("records.jsonl");
    let torn = br#"{"seq":99,"ts":17641152"#;
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(torn);
    std::fs::write(&path, bytes).unwrap();
    // verify reports the torn tail and changes nothing...
    let err = fusioncell_journal::verify(&cell.journal_dir(), None).unwrap_err();
    assert!(err.to_string().contains("torn"), "{err}");
    // ...the relay cuts it, says so, and journals what it did.
    let relay = Relay::start(&cell).await;
    assert_eq!(relay.server().recovery().truncated_bytes, torn.len() as u64);
    relay.stop().await;
    let records = journal_records(&cell);
    let recovered = records
        .iter()
        .rev()
        .find(|r| r.act.kind == ActKind::Recovered)
        .unwrap();
    let body: RecoveredBody = serde_json::from_str(recovered.text().unwrap()).unwrap();
    assert_eq!(
        (body.records, body.truncated_bytes),
        (before, torn.len() as u64)
    );
    fusioncell_journal::verify(&cell.journal_dir(), None).expect("verifies after recovery");
}

#[tokio::test]
async fn a_flipped_byte_mid_journal_is_named_and_stops_the_relay() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let ch = ChannelId::new("diplomacy").unwrap();
    let mut target = 0;
    for i in 0..10 {
        let ack = israel
            .post(&ch, &format!("statement number {i}"))
            .await
            .unwrap();
        if i == 4 {
            target = ack.cell_seq;
        }
    }
    israel.close().await;
    relay.stop().await;
    let path = cell.journal_dir().join("records.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let flipped = text.replacen("statement number 4", "statement number 5", 1);
    assert_ne!(text, flipped);
    std::fs::write(&path, flipped).unwrap();

    let err = fusioncell_journal::verify(&cell.journal_dir(), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("seq {target}")), "{err}");
    let refused = fusioncell_relay::Server::spawn(
        fusioncell::load::relay_config(&cell.loaded(), None, false).unwrap(),
    )
    .await;
    let err = refused
        .err()
        .expect("the relay refuses a corrupt journal")
        .to_string();
    assert!(err.contains(&format!("seq {target}")), "{err}");
    // The CLI says the same and exits non-zero.
    let out = Command::new(fusioncell_bin())
        .args(["audit", "verify"])
        .arg(cell.journal_dir())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("seq {target}")));
}
