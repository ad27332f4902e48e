//! Operating the relay process: its log (`--log-format json`, each line about a cell naming
//! it), and the public example keys refused beyond loopback (`--insecure-demo-keys`).

use std::path::Path;
use std::process::Command;

use crate::harness::*;

/// Runs `fusioncell post` against the relay at `url`; true if it was accepted.
fn post(cell: &TestCell, url: &str, id: &str, text: &str) -> bool {
    Command::new(fusioncell_bin())
        .args(["post", "--config"])
        .arg(&cell.config)
        .args(["--relay", url, "--as", id, "--channel", "diplomacy", text])
        .output()
        .expect("post runs")
        .status
        .success()
}

#[test]
fn json_logs_are_one_object_per_line_and_name_the_cell() {
    let cell = TestCell::new(&[]);
    let mut cmd = RelayProcess::command(&fusioncell_bin(), &cell.config, "127.0.0.1:0");
    cmd.args(["--log-format", "json"]).env("RUST_LOG", "info");
    let mut relay = RelayProcess::spawn(cmd);
    let url = relay.url();
    // A session that posts (logged in and closed by a session task), and a refusal (logged by
    // the commit thread): every kind of task the relay runs writes a line.
    assert!(post(&cell, &url, "israel", "hello"), "israel may post");
    assert!(!post(&cell, &url, "france", "hello"), "an observer may not");
    relay.wait_for("refused:");
    let (status, lines) = relay.terminate_lines();
    assert!(status.success(), "{lines:#?}");

    // Standard output is the address line alone: it is the command's output, not its log.
    let stdout: Vec<&String> = lines
        .iter()
        .filter(|(s, _)| *s == Stream::Stdout)
        .map(|(_, l)| l)
        .collect();
    assert_eq!(stdout.len(), 1, "{stdout:#?}");
    assert!(stdout[0].contains("listening on wss://"), "{stdout:#?}");

    let mut messages = Vec::new();
    for (_, line) in lines.iter().filter(|(s, _)| *s == Stream::Stderr) {
        let event: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
        let message = event["fields"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message: {line}"))
            .to_owned();
        assert!(event["level"].is_string(), "no level: {line}");
        assert!(event["timestamp"].is_string(), "no timestamp: {line}");
        // Every line of the relay's tasks and threads, and every status line about the cell
        // once it is served, is in the cell's span.
        assert_eq!(event["span"]["cell"], "test-cell", "no cell: {line}");
        assert_eq!(event["spans"][0]["cell"], "test-cell", "no cell: {line}");
        messages.push((event["target"].as_str().unwrap_or("").to_owned(), message));
    }
    let has = |target: &str, start: &str| {
        messages
            .iter()
            .any(|(t, m)| t == target && m.starts_with(start))
    };
    assert!(
        has("fusioncell_relay::session", "logged in"),
        "{messages:#?}"
    );
    assert!(
        has("fusioncell_relay::session", "closing:"),
        "{messages:#?}"
    );
    assert!(has("fusioncell_relay::commit", "refused:"), "{messages:#?}");
    assert!(has("fusioncell_relay::listener", "listener stopped"));
    assert!(has("fusioncell", "stopped: "), "{messages:#?}");
}

#[test]
fn text_logs_show_the_cell_at_any_level() {
    let cell = TestCell::new(&[]);
    // Warnings only: the cell's span must not be filtered out with the info lines.
    let mut cmd = RelayProcess::command(&fusioncell_bin(), &cell.config, "127.0.0.1:0");
    cmd.env("RUST_LOG", "warn");
    let mut relay = RelayProcess::spawn(cmd);
    let url = relay.url();
    assert!(!post(&cell, &url, "france", "hello"), "an observer may not");
    let line = relay.wait_for("refused:");
    assert!(line.contains("WARN relay{cell=test-cell}:"), "{line}");
    assert!(serde_json::from_str::<serde_json::Value>(&line).is_err());
}

/// `config/cell.example.toml` as it is, but with absolute paths to `certs-example/` and its
/// journal in `dir`, so that the test does not lock the repository's example journal.
fn example_cell_in(dir: &Path) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root");
    let text = std::fs::read_to_string(root.join("config/cell.example.toml")).expect("example");
    let certs = root.join("certs-example");
    let text = text
        .replace("../certs-example", certs.to_str().expect("utf-8 path"))
        .replace(
            "../target/example-journal",
            dir.join("journal").to_str().expect("utf-8 path"),
        );
    let config = dir.join("cell.toml");
    std::fs::write(&config, text).expect("write config");
    config
}

#[test]
fn the_example_keys_are_refused_beyond_loopback_unless_a_demo_is_asked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = example_cell_in(dir.path());
    let bin = fusioncell_bin();

    // On every interface: refused before anything is opened, in one line naming the flag.
    for listen in ["0.0.0.0:0", "[::]:0"] {
        let out = RelayProcess::command(&bin, &config, listen)
            .output()
            .expect("relay runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: refusing to serve the public example keys"),
            "{stderr}"
        );
        assert!(stderr.contains(&format!(" on {listen}, ")), "{stderr}");
        assert!(stderr.contains("--insecure-demo-keys"), "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(!dir.path().join("journal").exists(), "nothing was opened");
    }

    // Asked for: it serves, and says what it serves.
    let mut cmd = RelayProcess::command(&bin, &config, "0.0.0.0:0");
    cmd.arg("--insecure-demo-keys");
    let mut relay = RelayProcess::spawn(cmd);
    assert!(relay.url().starts_with("wss://0.0.0.0:"));
    let (status, printed) = relay.terminate();
    assert!(status.success(), "{printed}");
    assert!(printed.contains("(--insecure-demo-keys): for a demonstration only"));

    // On loopback the example needs no flag (`cargo run -- relay --config
    // config/cell.example.toml`).
    let mut relay = RelayProcess::spawn(RelayProcess::command(&bin, &config, "127.0.0.1:0"));
    assert!(relay.url().starts_with("wss://127.0.0.1:"));
    let (status, printed) = relay.terminate();
    assert!(status.success(), "{printed}");
}

#[test]
fn a_cell_of_its_own_is_served_on_every_interface() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("cell");
    let init = Command::new(fusioncell_bin())
        .arg("init")
        .arg(&folder)
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .expect("init runs");
    assert!(init.status.success(), "{init:?}");
    let config = folder.join("cell.toml");
    let check = Command::new(fusioncell_bin())
        .arg("check")
        .arg(&config)
        .output()
        .expect("check runs");
    assert!(check.status.success(), "{check:?}");
    let mut relay = RelayProcess::spawn(RelayProcess::command(
        &fusioncell_bin(),
        &config,
        "0.0.0.0:0",
    ));
    assert!(relay.url().starts_with("wss://0.0.0.0:"));
    let (status, printed) = relay.terminate();
    assert!(status.success(), "{printed}");
    assert!(!printed.contains("example keys"), "{printed}");
}
