//! The after-action report and the exports from a real run: the demo's journal, with one post
//! then redacted by the mediator through a restarted relay. Every section is present, the
//! moderation counts are real, nothing refers outside the file, the exports have one row per
//! record, and a journal that fails verification gets no report.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{fusioncell, fusioncell_in, stderr};
use fusioncell_report::html::SECTIONS;

const SECRET: &str = "duty officer";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The decimal number written just before `marker` in `text` (tags skipped).
fn number_before(text: &str, marker: &str) -> u64 {
    let at = text.find(marker).unwrap_or_else(|| panic!("no {marker:?}"));
    let head = text[..at].trim_end_matches(|c: char| !c.is_ascii_digit());
    let digits: String = head
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number before {marker:?}"))
}

/// A strict RFC 4180 reader: rows of fields; every row ends with CRLF.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => {
                assert!(field.is_empty(), "quote inside an unquoted field");
                quoted = true;
            }
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'));
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("bare LF outside quotes"),
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "ends with CRLF"
    );
    rows
}

/// Restarts the relay on the demo's cell, has the mediator redact `seq`, waits for the relay
/// to scrub the body from the file, and stops the relay.
fn redact(cell: &Path, journal: &Path, seq: u64) {
    let config = cell.join("cell.toml");
    let mut relay = Command::new(env!("CARGO_BIN_EXE_fusioncell"))
        .args(["relay", "--config", s(&config), "--admin", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("relay starts");
    let mut line = String::new();
    BufReader::new(relay.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening on"), "relay said {line:?}");
    let url = line.split_whitespace().last().unwrap().to_owned();
    let out = fusioncell(&[
        "redact",
        "--config",
        s(&config),
        "--relay",
        &url,
        "--as",
        "us",
        &seq.to_string(),
        "--reason",
        "a test of redaction",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let scrubbed = (0..100).any(|_| {
        let text = std::fs::read_to_string(journal.join("records.jsonl")).unwrap();
        let line = text.lines().nth(seq as usize).unwrap();
        // Scrubbed in place: the line keeps its length but no longer has a body member.
        if !line.contains("\"body\":") {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        false
    });
    relay.kill().unwrap();
    relay.wait().unwrap();
    assert!(scrubbed, "the relay scrubbed record {seq}");
}

#[test]
fn the_demo_journal_reports_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let cell = dir.path().join("demo");
    let out = fusioncell(&["demo", "--speed", "3000", "--keep", s(&cell)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let journal = cell.join("journal");

    // Redact the first post that mentions the duty officer (record numbers vary per run).
    let first_post = std::fs::read_to_string(journal.join("records.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| {
            r["act"]["kind"] == "post" && r["body"].as_str().is_some_and(|b| b.contains(SECRET))
        })
        .expect("a post to redact");
    let target = first_post["seq"].as_u64().unwrap();
    let secret_text = first_post["body"].as_str().unwrap().to_owned();
    redact(&cell, &journal, target);
    let records = std::fs::read_to_string(journal.join("records.jsonl"))
        .unwrap()
        .lines()
        .count();

    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/scenarios/paris-talks.toml"
    );
    let html = dir.path().join("aar.html");
    let out = fusioncell(&[
        "report",
        s(&journal),
        "--scenario",
        scenario,
        "--out",
        s(&html),
        "--config",
        s(&cell.join("cell.toml")),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), s(&html));
    let page = std::fs::read_to_string(&html).unwrap();
    for (id, heading) in SECTIONS {
        assert!(page.contains(&format!("<section id=\"{id}\">")), "no {id}");
        assert!(
            page.contains(&format!("<h2>{heading}</h2>")),
            "no {heading}"
        );
    }
    let held = number_before(&page, "</b> posts held for the mediator");
    let approved = number_before(&page, " approved</span>");
    let rejected = number_before(&page, " rejected</span>");
    assert!(
        held > 0 && approved > 0 && rejected > 0,
        "{held} {approved} {rejected}"
    );
    assert!(approved + rejected <= held);
    for banned in ["://", "src=", "url(", "@import", "<link", "<img", "<script"] {
        assert!(!page.contains(banned), "{banned} in the report");
    }
    for (at, _) in page.match_indices("href=\"") {
        assert!(page[at + 6..].starts_with('#'), "only in-page links");
    }
    assert!(page.contains("INJECT M1-01") || page.contains("<b>M1-01</b>"));
    // The marking line top and bottom (on every printed page: fixed in the print CSS).
    let marking = fusioncell_cell::defaults::MARKING;
    assert_eq!(
        page.matches(&format!(">{marking}</div>")).count(),
        2,
        "marking top and bottom"
    );
    assert!(page.contains(".marking.top{top:0}.marking.bottom{bottom:0}"));
    assert!(page.contains("[redacted]"));
    let escaped = fusioncell_report::html::escape(&secret_text);
    assert!(!page.contains(&escaped), "redacted text in the report");
    assert!(page.contains("cosigning is not recorded") || page.contains("cosigned up to size"));

    let md = dir.path().join("aar.md");
    let out = fusioncell(&[
        "report",
        s(&journal),
        "--scenario",
        scenario,
        "--out",
        s(&md),
        "--format",
        "md",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.starts_with(&format!("**{marking}**\n")),
        "the AAR/IP is marked at its head"
    );
    assert!(
        text.ends_with(&format!("**{marking}**\n\n")),
        "and at its end"
    );
    // A transcript is marked at its head; injects carry the exercise prefix.
    let out = fusioncell(&[
        "audit",
        "replay",
        s(&journal),
        "--speed",
        "0",
        "--config",
        s(&cell.join("cell.toml")),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let transcript = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        transcript.lines().next(),
        Some(&*format!("=== {marking} ==="))
    );
    assert!(
        transcript.contains("EXERCISE EXERCISE EXERCISE INJECT M1-01"),
        "{transcript}"
    );
    for heading in [
        "# After-Action Report / Improvement Plan (AAR/IP)",
        "## Exercise overview",
        "## Analysis of core capabilities",
        "#### Strengths",
        "#### Areas for improvement",
        "## Improvement plan",
        "## Appendices",
    ] {
        assert!(text.contains(heading), "no {heading}");
    }
    for (_, heading) in SECTIONS {
        assert!(
            text.contains(&format!(": {heading}\n")),
            "no appendix {heading}"
        );
    }
    assert!(!text.contains(&fusioncell_report::markdown::escape(&secret_text)));
    assert!(!text.contains("://"));
    // `--out -` is standard output, not a file named `-`.
    let out = fusioncell_in(
        dir.path(),
        &[
            "report",
            s(&journal),
            "--scenario",
            scenario,
            "--out",
            "-",
            "--format",
            "md",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout) == text,
        "standard output is not the report written to a file"
    );
    assert!(!dir.path().join("-").exists(), "a file named -");

    // Exports: one row per record; the redacted row stays, without its body.
    let csv_path = dir.path().join("journal.csv");
    let out = fusioncell(&[
        "audit",
        "export",
        s(&journal),
        "--format",
        "csv",
        "--out",
        s(&csv_path),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = parse_csv(&std::fs::read_to_string(&csv_path).unwrap());
    assert_eq!(rows.len(), records + 1, "a header and one row per record");
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[col("seq")], i.to_string());
    }
    let redacted = &rows[1 + target as usize];
    assert_eq!(redacted[col("redacted")], "true");
    assert_eq!(redacted[col("body")], "");
    assert_eq!(redacted[col("kind")], "post");

    let out = fusioncell(&["audit", "export", s(&journal), "--format", "jsonl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), records);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["seq"], i as u64);
    }
    let redacted = &lines[target as usize];
    assert_eq!(redacted["redacted"], true);
    assert!(redacted.get("body").is_none());
    assert!(!stdout.contains(&secret_text));
    assert!(lines.iter().any(|l| l["kind"] == "redact"));
    assert!(lines.iter().any(|l| l["scenario_time"].is_string()));

    // A journal that does not verify gets no report: one line naming the record.
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    std::fs::copy(
        journal.join("checkpoints.jsonl"),
        bad.join("checkpoints.jsonl"),
    )
    .unwrap();
    let text = std::fs::read_to_string(journal.join("records.jsonl")).unwrap();
    std::fs::write(
        bad.join("records.jsonl"),
        text.replacen("Hotline test", "Hotline tesT", 1),
    )
    .unwrap();
    let refused = dir.path().join("refused.html");
    let out = fusioncell(&["report", s(&bad), "--out", s(&refused)]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("seq "), "{err}");
    assert!(!refused.exists());
    let out = fusioncell(&["audit", "export", s(&bad), "--format", "csv"]);
    assert!(!out.status.success());
}
