//! How a record is shown on a terminal: one human line, or one JSON object (`--json`). Shared
//! by `listen` and `audit replay`, so a replay reads like the live session it replays.

use fusioncell_wire::act_body::ClockAction;
use fusioncell_wire::{ActBody, ActKind, Record};
use serde::Serialize;

/// The marking line at the head of a transcript (`connect`, `listen`, `audit replay`), so a
/// terminal capture or a pasted transcript says it is an exercise (`[cell] marking`).
pub(crate) fn marking_head(marking: &str) -> String {
    format!("=== {marking} ===")
}

/// The marking of the cell at `config`, or the default without one.
pub(crate) fn marking_of(config: Option<&std::path::Path>) -> anyhow::Result<String> {
    Ok(match config {
        Some(path) => crate::load::cell(path)?.cell.marking().to_owned(),
        None => fusioncell_cell::defaults::MARKING.to_owned(),
    })
}

/// One record as `listen --json` prints it.
#[derive(Serialize)]
pub(crate) struct Printed<'a> {
    seq: u64,
    ts: i64,
    kind: &'a str,
    sender: &'a str,
    channel: Option<&'a str>,
    body: Option<&'a str>,
    actor_seq: u64,
    sig: String,
    verified: bool,
}

impl<'a> Printed<'a> {
    pub(crate) fn new(r: &'a Record, verified: bool) -> Self {
        Printed {
            seq: r.seq,
            ts: r.ts,
            kind: r.act.kind.as_str(),
            sender: r.act.actor.as_str(),
            channel: r.act.channel.as_ref().map(|c| c.as_str()),
            body: r.text(),
            actor_seq: r.act.seq,
            sig: r.sig.to_base64(),
            verified,
        }
    }
}

pub(crate) fn human(r: &Record, verified: bool) -> String {
    let mark = if verified { "✓" } else { "✗ UNVERIFIED" };
    let channel = r.act.channel.as_ref().map_or("(cell)", |c| c.as_str());
    let text = fusioncell_cell::describe(r.body.as_ref());
    format!(
        "{}#{:<5} {} {:<10} {:<13} {mark} {text}",
        thread_mark(r),
        r.seq,
        utc_hms(r.ts),
        r.act.actor,
        channel
    )
}

/// `HH:MM:SSZ` of a millisecond timestamp, as the report writes relay time.
pub(crate) use fusioncell_report::format::utc_hms;

/// How a reply is threaded in a stream of lines: indented under the record it answers, which
/// came earlier (its description names it: `re #N`).
pub(crate) fn thread_mark(r: &Record) -> &'static str {
    if r.act.kind == ActKind::Reply {
        "  ↳ "
    } else {
        ""
    }
}

/// One transcript line for a record: who did what on which channel, in words. `held`: a
/// post awaiting the mediator; `released_by`: a held post arriving with its approval. `None`
/// for records a transcript leaves out (the relay's own, receipts, cosignatures).
pub(crate) fn transcript_line(r: &Record, held: bool, released_by: Option<u64>) -> Option<String> {
    let channel = r.act.channel.as_ref().map_or("", |c| c.as_str());
    let who = r.act.actor.as_str();
    let text = fusioncell_cell::describe(r.body.as_ref());
    let line = match r.act.kind {
        ActKind::Post | ActKind::Reply => {
            let note = match released_by {
                Some(m) => format!("   [released by #{m}]"),
                None if held => "   [held for the mediator]".to_owned(),
                None => String::new(),
            };
            let mark = thread_mark(r);
            format!("#{channel:<13} {mark}{who:>7}: {text}{note}")
        }
        ActKind::Inject => format!("#{channel:<13}  {text}"),
        ActKind::Approve | ActKind::Reject | ActKind::Ack => {
            format!("#{channel:<13} {who:>7}: {text}")
        }
        ActKind::Escalate => format!("#{channel:<13}  !! {text}"),
        ActKind::Clock if matches!(r.params(), Some(ActBody::Clock(c)) if c.action == ClockAction::Halt) =>
        {
            format!("!!! {text} !!!")
        }
        ActKind::Clock => format!("== {text} =="),
        _ => return None,
    };
    Some(format!("{:>5} {line}", format!("#{}", r.seq)))
}
