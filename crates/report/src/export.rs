//! Machine-readable exports of the journal, one row per record: JSON Lines and CSV with the
//! same columns. A redacted body is absent (JSON) or empty with `redacted` true (CSV); the row
//! itself stays, so a row count always equals the journal's size.
//!
//! Columns: `seq`, `ts` (relay time, ms since the Unix epoch), `time` (the same, RFC 3339
//! UTC), `scenario_ms` and `scenario_time` (exercise time from STARTEX by the journaled clock;
//! absent before STARTEX), `kind`, `actor`, `channel` (absent for cell-wide records),
//! `redacted`, `body` (the text exactly as journaled: JSON parameters stay JSON text).

use serde::Serialize;

use crate::format::{rfc3339, scenario_time};
use crate::model::Entry;

/// The CSV header, and the JSON keys in order.
pub const COLUMNS: [&str; 10] = [
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
    fn of(e: &'a Entry) -> Row<'a> {
        Row {
            seq: e.seq,
            ts: e.ts,
            time: rfc3339(e.ts),
            scenario_ms: e.scenario_ms,
            scenario_time: e.scenario_ms.map(scenario_time),
            kind: e.kind_name(),
            actor: e.actor.as_str(),
            channel: e.channel.as_ref().map(|c| c.as_str()),
            redacted: e.redacted(),
            body: e.body.as_deref(),
        }
    }
}

/// JSON Lines: one compact object per record, each line ended by `\n`.
pub fn jsonl(entries: &[Entry]) -> String {
    let mut out = String::with_capacity(entries.len() * 256);
    for e in entries {
        // A struct of strings and integers always serializes.
        if let Ok(line) = serde_json::to_string(&Row::of(e)) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// CSV (RFC 4180): a header row, then one row per record; every line ends with CRLF.
pub fn csv(entries: &[Entry]) -> String {
    let mut out = String::with_capacity(entries.len() * 256);
    push_row(&mut out, COLUMNS.iter().copied());
    for e in entries {
        let r = Row::of(e);
        let seq = r.seq.to_string();
        let ts = r.ts.to_string();
        let scenario_ms = r.scenario_ms.map(|m| m.to_string()).unwrap_or_default();
        let fields = [
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
        push_row(&mut out, fields.into_iter());
    }
    out
}

fn push_row<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_field(f));
    }
    out.push_str("\r\n");
}

/// One CSV field: quoted when it holds a comma, a double quote, CR or LF (or starts or ends
/// with a space, which some readers trim), with every double quote doubled.
pub fn csv_field(s: &str) -> String {
    let needs = s.contains([',', '"', '\r', '\n']) || s.starts_with(' ') || s.ends_with(' ');
    if needs {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_per_rfc_4180() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field(""), "");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("cr\r\nlf"), "\"cr\r\nlf\"");
        assert_eq!(csv_field(" padded"), "\" padded\"");
        assert_eq!(csv_field("\""), "\"\"\"\"");
        assert_eq!(
            csv_field("{\"a\":1,\"b\":2}"),
            "\"{\"\"a\"\":1,\"\"b\"\":2}\""
        );
    }
}
