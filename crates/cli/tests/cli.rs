//! The command line as a user meets it: every bad flag, file or field gets one line naming it
//! and a non-zero exit; `init` then `check` works out of the box.

mod common;

use common::{fusioncell, relay, stderr};

#[test]
fn init_then_check() {
    let dir = tempfile::tempdir().unwrap();
    let cell = dir.path().join("mycell");
    let out = fusioncell(&["init", cell.to_str().unwrap(), "--listen", "127.0.0.1:8443"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let config = cell.join("cell.toml");
    let out = fusioncell(&["check", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("OK: "));
    // init refuses to overwrite.
    let again = fusioncell(&["init", cell.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("not empty"));
}

#[test]
fn init_copies_the_exercise_so_the_folder_stands_alone() {
    let dir = tempfile::tempdir().unwrap();
    let cell = dir.path().join("c");
    let out = fusioncell(&["init", cell.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    for bot in ["israel.toml", "syria.toml", "us.toml"] {
        assert!(cell.join("bots").join(bot).is_file(), "bots/{bot}");
    }
    // The copied scenario checks against the cell, read from the folder alone.
    let out = common::fusioncell_in(
        dir.path(),
        &[
            "scenario",
            "check",
            "c/scenario.toml",
            "--config",
            "c/cell.toml",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // --scenario copies another scenario, if its injects go to the cell's channels.
    let csv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/scenarios/paris-talks.toml"
    );
    let text = std::fs::read_to_string(csv).unwrap();
    let own = dir.path().join("own.toml");
    std::fs::write(&own, text.replace("title = \"", "title = \"Own: ")).unwrap();
    let other = dir.path().join("d");
    let out = fusioncell(&[
        "init",
        other.to_str().unwrap(),
        "--scenario",
        own.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let copied = std::fs::read_to_string(other.join("scenario.toml")).unwrap();
    assert!(copied.contains("Own: "), "{copied}");
    let stray = dir.path().join("stray.toml");
    std::fs::write(
        &stray,
        text.replace("channel = \"commerce\"", "channel = \"weather\""),
    )
    .unwrap();
    let out = fusioncell(&[
        "init",
        dir.path().join("e").to_str().unwrap(),
        "--scenario",
        stray.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("stray.toml") && err.contains("weather"),
        "{err}"
    );
    assert!(
        !dir.path().join("e").exists(),
        "nothing written for a refused scenario"
    );
}

#[test]
fn the_repository_example_checks() {
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/cell.example.toml"
    );
    let out = fusioncell(&["check", config]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_scenario_exports_as_json_for_the_console() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/scenarios/paris-talks.toml"
    );
    let out = fusioncell(&["scenario", "export", file, "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(json["title"].is_string());
    assert!(!json["moves"].as_array().unwrap().is_empty());
    let first = &json["injects"][0];
    for field in [
        "id",
        "at_s",
        "move",
        "from",
        "to",
        "channel",
        "title",
        "text",
        "expected",
        "objective",
        "notes",
        "contingency",
    ] {
        assert!(first.get(field).is_some(), "{field} missing: {first}");
    }
    let bad = fusioncell(&["scenario", "export", file, "--format", "xml"]);
    assert!(!bad.status.success());
}

#[test]
fn a_bad_field_is_named_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cell = dir.path().join("c");
    assert!(
        fusioncell(&["init", cell.to_str().unwrap()])
            .status
            .success()
    );
    let config = cell.join("cell.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replacen("role = \"observer\"", "role = \"spectator\"", 1),
    )
    .unwrap();
    let out = fusioncell(&["check", config.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("cell.toml") && err.contains("role"), "{err}");
}

#[test]
fn a_missing_file_is_named() {
    let out = fusioncell(&["check", "/nonexistent/cell.toml"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("/nonexistent/cell.toml"));
}

#[test]
fn bad_flags_are_refused() {
    let out = fusioncell(&["relay", "--config"]);
    assert!(!out.status.success());
    let out = fusioncell(&["post", "--as", "israel", "--channel", "diplomacy", "hi"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--config"), "{}", stderr(&out));
    let out = fusioncell(&["keygen", "--id", "Not A Name", "--out", "/tmp"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--id"));
}

#[test]
fn keygen_writes_a_key_openssl_can_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = fusioncell(&[
        "keygen",
        "--id",
        "jordan",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let hex = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(hex.len(), 64);
    let pem = std::fs::read_to_string(dir.path().join("jordan.key")).unwrap();
    // PKCS#8 v1, as OpenSSL writes it: 48 bytes of DER, base64 on one line.
    assert!(
        pem.starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"),
        "{pem}"
    );
}

#[test]
fn one_shot_commands_print_the_sequence_number() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, config, url) = relay(dir.path());
    let run = |args: &[&str]| -> String {
        let mut all = args.to_vec();
        all.extend(["--config", &config, "--relay", &url]);
        let out = fusioncell(&all);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(stdout.parse::<u64>().is_ok(), "{args:?} printed {stdout:?}");
        stdout
    };
    let held = run(&[
        "post",
        "--as",
        "israel",
        "--channel",
        "security",
        "Assessment: quiet night.",
    ]);
    run(&["approve", "--as", "us", &held]);
    let held2 = run(&[
        "post",
        "--as",
        "syria",
        "--channel",
        "security",
        "Coordinates follow.",
    ]);
    run(&[
        "reject",
        "--as",
        "us",
        &held2,
        "--reason",
        "no raw coordinates",
    ]);
    run(&["clock", "--as", "control", "start", "--speed", "60"]);
    run(&["clock", "--as", "us", "pause"]);
    let refused = fusioncell(&[
        "post",
        "--as",
        "israel",
        "--channel",
        "diplomacy",
        "while paused",
        "--config",
        &config,
        "--relay",
        &url,
    ]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("paused"), "{}", stderr(&refused));
    run(&["clock", "--as", "control", "resume"]);
    let hot = run(&[
        "post",
        "--as",
        "israel",
        "--channel",
        "deescalation",
        "Patrol at marker 12.",
    ]);
    run(&["ack", "--as", "syria", &hot]);
    run(&["mute", "--as", "us", "syria", "--channel", "commerce"]);
    run(&["unmute", "--as", "us", "syria", "--channel", "commerce"]);
    run(&[
        "grant",
        "--as",
        "us",
        "france",
        "--channel",
        "commerce",
        "--reader",
    ]);
    run(&[
        "revoke",
        "--as",
        "us",
        "france",
        "--channel",
        "commerce",
        "--reader",
    ]);
    let spill = run(&[
        "post",
        "--as",
        "israel",
        "--channel",
        "diplomacy",
        "a spill",
    ]);
    run(&["redact", "--as", "us", &spill, "--reason", "spill"]);
    run(&[
        "observe",
        "--as",
        "evaluator",
        "--refs",
        &format!("{held},{hot}"),
        "Timely release and acknowledgement.",
    ]);
    run(&["clock", "--as", "control", "end"]);
    // A power the identity lacks: refused, named, non-zero.
    let out = fusioncell(&[
        "approve", "--as", "syria", &held2, "--config", &config, "--relay", &url,
    ]);
    assert!(!out.status.success());
    child.kill().unwrap();
    child.wait().unwrap();
    let journal = dir.path().join("cell/journal");
    let out = fusioncell(&["audit", "verify", journal.to_str().unwrap()]);
    // Killed, not stopped: the tail may be unsigned, but every record verifies.
    assert!(out.status.success(), "{}", stderr(&out));
}

/// The README's "run it" command, at a speed that suits CI: a whole supervised exercise, and
/// its journal verifies.
#[test]
fn the_demo_runs_and_its_journal_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("demo");
    let out = fusioncell(&["demo", "--speed", "3000", "--keep", keep.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", stderr(&out));
    for expected in [
        "STARTEX",
        "INJECT M1-01",
        "[held for the mediator]",
        "approved #",
        "rejected #",
        "acknowledged #",
        "ENDEX",
        "journal verified",
    ] {
        assert!(stdout.contains(expected), "no `{expected}` in:\n{stdout}");
    }
    // The kept folder is a cell like `init` makes, and its journal verifies on its own.
    let journal = keep.join("journal");
    let verify = fusioncell(&[
        "audit",
        "verify",
        journal.to_str().unwrap(),
        "--config",
        keep.join("cell.toml").to_str().unwrap(),
    ]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    // Against a config with other channel readers, the same journal is refused, named.
    let text = std::fs::read_to_string(keep.join("cell.toml")).unwrap();
    let members = "members = [\"us\", \"israel\"]\n";
    assert!(
        text.contains(members),
        "the demo cell has the us-israel back-channel"
    );
    let other = keep.join("other.toml");
    let with_reader = text.replacen(members, &format!("{members}readers = [\"syria\"]\n"), 1);
    std::fs::write(&other, with_reader).unwrap();
    let verify = fusioncell(&[
        "audit",
        "verify",
        journal.to_str().unwrap(),
        "--config",
        other.to_str().unwrap(),
    ]);
    assert!(!verify.status.success());
    assert!(
        stderr(&verify).contains("opened for other identities or channels than"),
        "{}",
        stderr(&verify)
    );
}

/// `demo --cells 3`: three syndicates play the whole exercise at once, each in its own cell
/// behind one relay; each transcript line names its syndicate, and each journal verifies on
/// its own against its cell, with none of another cell's records.
#[test]
fn the_demo_runs_syndicates_side_by_side_in_one_relay() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("cells");
    let out = fusioncell(&[
        "demo",
        "--cells",
        "3",
        "--speed",
        "3000",
        "--keep",
        keep.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", stderr(&out));
    for i in 1..=3 {
        let id = format!("paris-joint-cell-{i}");
        for expected in ["== ENDEX ==", "INJECT M1-01"] {
            assert!(
                stdout.contains(&format!("[{id}] ")) && stdout.contains(expected),
                "no `{expected}` of {id} in:\n{stdout}"
            );
        }
        assert!(
            stdout.contains(&format!("{id}: journal verified")),
            "{stdout}"
        );
        let folder = keep.join(&id);
        let verify = fusioncell(&[
            "audit",
            "verify",
            folder.join("journal").to_str().unwrap(),
            "--config",
            folder.join("cell.toml").to_str().unwrap(),
        ]);
        assert!(verify.status.success(), "{id}: {}", stderr(&verify));
    }
    let one = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("[paris-joint-cell-1] ") && l.contains("ENDEX"))
        .count();
    assert_eq!(one, 1, "each syndicate ends once");
}

/// A one-second bench of one publisher at 50 acts/s and two subscribers, with `extra`
/// options, as JSON.
fn small_bench(extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "bench",
        "--publishers",
        "1",
        "--subscribers",
        "2",
        "--rate",
        "50",
        "--duration",
        "1",
        "--json",
    ];
    args.extend_from_slice(extra);
    fusioncell(&args)
}

#[test]
fn bench_json_is_one_compact_line() {
    let out = small_bench(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let v: serde_json::Value = serde_json::from_str(lines[0]).expect("one JSON object");
    assert_eq!(v["clean"], true, "{text}");
    // What says whether the figures may be quoted: the generator's own CPU, the rest of the
    // machine's, the verdict, and the verification cost of the same run.
    assert!(v["quotable"].is_boolean(), "{text}");
    assert!(v["relay"]["load_cpu_cores"].as_f64().is_some(), "{text}");
    assert!(v["relay"]["others_cores"].as_f64().is_some(), "{text}");
    assert!(v["relay"]["interrupt_cores"].as_f64().is_some(), "{text}");
    assert!(v["relay"]["steal_cores"].as_f64().is_some(), "{text}");
    assert!(v["verify_us"].as_f64().is_some_and(|us| us > 0.0), "{text}");
    // The mean of the timings before and after the load.
    let (before, after) = (
        v["verify_us_before"].as_f64(),
        v["verify_us_after"].as_f64(),
    );
    let mean = before.zip(after).map(|(b, a)| (b + a) / 2.0);
    assert!(
        mean.zip(v["verify_us"].as_f64())
            .is_some_and(|(m, us)| (m - us).abs() < 1e-6),
        "{text}"
    );
    assert_eq!(
        v["quotable"].as_bool(),
        Some(v["relay"]["load_bound"].is_null()),
        "{text}"
    );
}

/// `--floor-size`: the floor relays bodies of that size while the relay's load keeps its own,
/// and the bytes of each delivered frame are reported, so a run can compare equal bytes per
/// delivery (the relay's frame is the signed record, much longer than its body).
#[test]
fn bench_floor_size_gives_the_floor_bodies_of_their_own_size() {
    let out = small_bench(&["--floor", "--floor-size", "300"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(&text).expect("one JSON object");
    assert_eq!(v["clean"], true, "{text}");
    assert_eq!(v["size"], 256, "{text}");
    assert_eq!(v["floor_size"], 300, "{text}");
    assert_eq!(v["floor"]["system"], "floor (TLS, 300 B bodies)", "{text}");
    let per_frame = |system: &str| {
        let totals = &v[system]["report"]["totals"];
        totals["delivered_bytes"].as_f64().unwrap() / totals["delivered"].as_f64().unwrap()
    };
    assert_eq!(per_frame("floor"), 300.0, "{text}");
    assert!(
        per_frame("relay") > 2.0 * 256.0,
        "the signed record around the body: {text}"
    );

    let alone = fusioncell(&["bench", "--floor-size", "300", "--duration", "1"]);
    assert!(!alone.status.success());
    assert!(stderr(&alone).contains("--floor"), "{}", stderr(&alone));
}

/// `--presign`: each publisher sends exactly the acts signed before the run, every one is
/// acknowledged and delivered once, and every delivery's latency is measured from the time its
/// publisher noted when it sent the act (the pre-signed bodies carry none).
#[test]
fn bench_presign_sends_the_signed_acts_and_times_each_delivery() {
    let out = fusioncell(&[
        "bench",
        "--publishers",
        "3",
        "--subscribers",
        "2",
        "--presign",
        "150",
        "--duration",
        "30",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(&text).expect("one JSON object");
    assert_eq!(v["clean"], true, "{text}");
    assert_eq!(v["presign"], 150, "{text}");
    let report = &v["relay"]["report"];
    assert_eq!(report["sent"], 450, "{text}");
    assert_eq!(report["acked"], 450, "{text}");
    assert_eq!(report["totals"]["delivered"], 900, "{text}");
    let latency = &report["latency"];
    assert_eq!(latency["count"], 900, "{text}");
    // Each timed from its own send: far under the run's length.
    assert!(
        latency["max_us"].as_f64().is_some_and(|us| us < 60e6),
        "{text}"
    );
}

/// `--scenario big-cell` at 50 participants: the cell it writes has 50 distinct identities
/// with distinct keys, each a reader of the channel, one session each allowed (so a shared
/// identity would be superseded and the run would fail); every participant logs in as itself
/// and gets the one post exactly once, and the figures the scenario reports are there.
#[test]
fn bench_big_cell_reaches_every_participant_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("big");
    let out = fusioncell(&[
        "bench",
        "--scenario",
        "big-cell",
        "--subscribers",
        "50",
        "--keep",
        keep.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 1, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("one JSON object");
    assert_eq!(v["scenario"], "big-cell", "{text}");
    assert_eq!(v["exactly_once"], true, "{text}");
    assert_eq!(v["clean"], true, "{text}");
    let relay = &v["relay"];
    assert_eq!(relay["report"]["connections"], 51, "{text}");
    assert_eq!(relay["report"]["acked"], 1, "{text}");
    assert_eq!(relay["report"]["totals"]["delivered"], 50, "{text}");
    assert!(
        v["relay_start_s"].as_f64().is_some_and(|s| s > 0.0),
        "{text}"
    );
    for figure in ["connect_cpu_s", "publish_cpu_s", "rss_per_connection_bytes"] {
        assert!(relay[figure].as_f64().is_some(), "{figure}: {text}");
    }
    assert!(
        relay["connects_per_s"].as_f64().is_some_and(|r| r > 0.0),
        "{text}"
    );

    let toml = std::fs::read_to_string(keep.join("cell.toml")).unwrap();
    let cell = fusioncell_cell::Cell::from_toml(&toml, &keep).expect("the cell it wrote");
    let members: Vec<_> = cell
        .identities()
        .iter()
        .filter(|i| i.id.as_str().starts_with("member-"))
        .collect();
    assert_eq!(members.len(), 50);
    let keys: std::collections::BTreeSet<_> =
        members.iter().map(|i| *i.public_key.bytes()).collect();
    assert_eq!(keys.len(), 50, "each participant has its own key");
    let channel = cell
        .channel(&fusioncell_wire::ChannelId::new("bench").unwrap())
        .expect("channel bench");
    assert!(members.iter().all(|m| channel.readers.contains(&m.id)));
    assert_eq!(cell.limits().max_sessions_per_identity, 1);
}
