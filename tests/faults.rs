//! Faults (RELIABILITY.md): a disk that fills up or fails under a live relay, a stop signal
//! while the journal recovers, and a reader that closes the pipe early. In each, an
//! acknowledged act is never lost and a refused one never half-applied.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use fusioncell_client::Client;
use fusioncell_wire::ChannelId;

use crate::harness::*;

fn client_at(cell: &TestCell, url: &str, id: &str) -> fusioncell_client::ClientConfig {
    let mut c = fusioncell::load::client_config(&fusioncell::load::ConnectArgs {
        config: Some(cell.config.clone()),
        relay: Some(url.to_owned()),
        identity: id.to_owned(),
        ..Default::default()
    })
    .expect("client config");
    c.reconnect = false;
    c
}

/// Posts until the relay stops acknowledging; returns what it acknowledged.
async fn post_until_refused(client: &Client) -> Vec<(u64, u64, String)> {
    let ch = ChannelId::new("commerce").expect("channel");
    let mut acked = Vec::new();
    for i in 0..100_000 {
        // Long bodies fill a small disk quickly.
        let text = format!("offer {i} {}", "x".repeat(2000));
        match tokio::time::timeout(Duration::from_secs(20), client.post(&ch, &text)).await {
            Ok(Ok(ack)) => acked.push((ack.seq, ack.cell_seq, text)),
            Ok(Err(_)) | Err(_) => return acked,
        }
    }
    panic!("the relay never stopped acknowledging");
}

/// After the fault: the relay stops with a non-zero status and says the journal failed, the
/// journal holds no partial line and verifies even before a restart; after a restart every
/// acknowledged act is in place.
async fn the_failure_is_told_and_nothing_acknowledged_is_lost(
    cell: &TestCell,
    relay: RelayProcess,
    acked: &[(u64, u64, String)],
    clear: impl FnOnce(),
) {
    let (status, printed) = relay.terminate();
    assert!(
        !status.success(),
        "a failed journal is not a clean stop:\n{printed}"
    );
    assert!(printed.contains("JOURNAL FAILED"), "{printed}");
    assert!(!printed.contains("final checkpoint written"), "{printed}");
    let records = std::fs::read(cell.journal_dir().join("records.jsonl")).expect("records");
    assert_eq!(records.last(), Some(&b'\n'), "no partial line is left");
    fusioncell_journal::verify(&cell.journal_dir(), None).expect("verifies before a restart");
    clear();
    let relay = Relay::start(cell).await;
    assert_eq!(relay.server().recovery().truncated_bytes, 0);
    relay.stop().await;
    fusioncell_journal::verify(&cell.journal_dir(), None).expect("verifies after a restart");
    let records = journal_records(cell);
    for (seq, cell_seq, text) in acked {
        let r = &records[*cell_seq as usize];
        assert_eq!((r.act.actor.as_str(), r.act.seq), ("israel", *seq));
        assert_eq!(r.text(), Some(text.as_str()));
    }
    // Refused acts were not half-applied: every israel act is one that was acknowledged.
    let journaled = records
        .iter()
        .filter(|r| r.act.actor.as_str() == "israel")
        .count();
    assert!(journaled >= acked.len());
}

/// A real full disk: the journal on a 2 MiB tmpfs (CI runs as root, as the brief of
/// RELIABILITY.md says), filled up while a client posts.
#[tokio::test]
async fn a_full_disk_stops_acknowledgements_and_tells_every_client() {
    let cell = TestCell::busy();
    let mount = cell.folder().join("small-disk");
    std::fs::create_dir_all(&mount).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&mount)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mounted {
        assert!(
            !is_root(),
            "root could not mount a tmpfs: the full-disk test needs one"
        );
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    }
    let _unmount = Unmount(mount.clone());
    // The journal folder lives on the small disk.
    let journal = cell.journal_dir();
    let _ = std::fs::remove_dir_all(&journal);
    std::fs::create_dir_all(mount.join("journal")).unwrap();
    std::os::unix::fs::symlink(mount.join("journal"), &journal).unwrap();

    let mut relay = RelayProcess::start(&fusioncell_bin(), &cell, "127.0.0.1:0", None);
    let url = relay.url();
    let israel = Client::connect(client_at(&cell, &url, "israel"))
        .await
        .unwrap();
    let mut syria = raw_login_at(&cell, &url, "syria").await;
    let ch = ChannelId::new("commerce").unwrap();
    for i in 0..5 {
        israel.post(&ch, &format!("before {i}")).await.unwrap();
    }
    // Leave a little room, then let the posts fill it.
    let filler = mount.join("filler");
    fill(&filler, 64 << 10);
    let acked = post_until_refused(&israel).await;
    assert!(!acked.is_empty(), "some posts fitted");
    let (code, reason) = expect_close(&mut syria, 20).await;
    assert_eq!(code, 1013, "{reason}");
    // A later login is told at once too.
    let mut late = raw_login_at(&cell, &url, "us").await;
    assert_eq!(expect_close(&mut late, 20).await.0, 1013);
    the_failure_is_told_and_nothing_acknowledged_is_lost(&cell, relay, &acked, || {
        std::fs::remove_file(&filler).unwrap();
    })
    .await;
}

/// A disk that fails with EIO on the 8th sync (the journal's `dangerous_*` fault point).
#[tokio::test]
async fn an_fsync_error_stops_acknowledgements_and_tells_every_client() {
    let cell = TestCell::busy();
    let mut relay = RelayProcess::start(
        &fusioncell_bin(),
        &cell,
        "127.0.0.1:0",
        Some("records-sync=eio@8"),
    );
    let url = relay.url();
    let israel = Client::connect(client_at(&cell, &url, "israel"))
        .await
        .unwrap();
    let mut syria = raw_login_at(&cell, &url, "syria").await;
    let acked = post_until_refused(&israel).await;
    assert!(!acked.is_empty());
    assert_eq!(expect_close(&mut syria, 20).await.0, 1013);
    the_failure_is_told_and_nothing_acknowledged_is_lost(&cell, relay, &acked, || {}).await;
}

/// SIGTERM while the journal recovers stops the relay cleanly (status 0) and changes nothing:
/// the torn tail it found is still there for the next start to cut.
#[tokio::test]
async fn sigterm_during_recovery_stops_cleanly_and_changes_nothing() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let ch = ChannelId::new("commerce").unwrap();
    for i in 0..5 {
        israel.post(&ch, &format!("line {i}")).await.unwrap();
    }
    israel.close().await;
    relay.stop().await;
    let path = cell.journal_dir().join("records.jsonl");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(br#"{"seq":99,"ts":1764"#);
    std::fs::write(&path, &bytes).unwrap();

    let mut relay = RelayProcess::start(
        &fusioncell_bin(),
        &cell,
        "127.0.0.1:0",
        Some("recovery=pause:600000"),
    );
    relay.wait_for("pausing at recovery");
    let (status, printed) = relay.terminate();
    assert!(status.success(), "{printed}");
    assert!(printed.contains("stopped while recovering"), "{printed}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing was written");
    let relay = Relay::start(&cell).await;
    assert!(relay.server().recovery().truncated_bytes > 0);
    relay.stop().await;
}

/// No command panics when its reader goes away: each stops quietly with status 141 (what a
/// process stopped by SIGPIPE reports), whatever it was printing.
#[tokio::test]
async fn a_closed_stdout_stops_commands_quietly() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let ch = ChannelId::new("commerce").unwrap();
    for i in 0..20 {
        israel.post(&ch, &format!("line {i}")).await.unwrap();
    }
    israel.close().await;
    relay.stop().await;
    let dir = cell.journal_dir();
    let dir = dir.to_str().unwrap();
    let commands: [&[&str]; 3] = [
        &["audit", "verify", dir],
        &["audit", "export", dir, "--format", "jsonl"],
        &["audit", "replay", dir, "--speed", "1000"],
    ];
    for args in commands {
        let mut child = Command::new(fusioncell_bin())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the first line.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(141), "{args:?}: {stderr}");
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Fills the file system of `path` until at most `room` bytes are free.
fn fill(path: &Path, room: u64) {
    use std::io::Write as _;
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 4096];
    loop {
        let free = free_bytes(path.parent().unwrap());
        if free <= room {
            break;
        }
        if f.write_all(&chunk).is_err() {
            break;
        }
    }
    f.sync_all().unwrap();
}

fn free_bytes(dir: &Path) -> u64 {
    let out = Command::new("df")
        .args(["-B1", "--output=avail"])
        .arg(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap()
}

struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}
