//! `fusioncell audit replay JOURNAL`: the exercise again, from a journal that verifies, at
//! its original pace (scaled), filtered, and — with `--as` — exactly as one identity saw it.

use std::process::ExitCode;
use std::time::Duration;

use fusioncell_cell::{Seen, State, seen_by};
use fusioncell_wire::{ChannelId, IdentityId};

use crate::args::ReplayArgs;
use crate::show;

/// Where a replay starts or stops: a record, or a scenario time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Seq(u64),
    ScenarioMs(u64),
}

fn bound(flag: &str, text: &str) -> anyhow::Result<Bound> {
    if text.contains(':') {
        let s = fusioncell_scenario::time::parse_at(text)
            .map_err(|e| anyhow::anyhow!("{flag} {text}: {e}"))?;
        Ok(Bound::ScenarioMs(s * 1000))
    } else {
        text.parse()
            .map(Bound::Seq)
            .map_err(|_| anyhow::anyhow!("{flag} {text}: expected a sequence number or HH:MM:SS"))
    }
}

pub(super) async fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let (records, cell) = super::audit::verified_recording(
        &args.journal,
        None,
        "refusing to replay a journal that does not verify",
    )?;
    let from = args
        .from
        .as_deref()
        .map(|t| bound("--from", t))
        .transpose()?;
    let to = args.to.as_deref().map(|t| bound("--to", t)).transpose()?;
    let channel = args
        .channel
        .as_deref()
        .map(|c| ChannelId::new(c).map_err(|e| anyhow::anyhow!("--channel {c}: {e}")))
        .transpose()?;
    let shown: Vec<Seen> = match &args.identity {
        Some(who) => {
            let who =
                IdentityId::new(who.clone()).map_err(|e| anyhow::anyhow!("--as {who}: {e}"))?;
            anyhow::ensure!(
                cell.identity(&who).is_some(),
                "--as {who}: not an identity of this journal's cell"
            );
            seen_by(&cell, &records, &who)
        }
        None => records
            .iter()
            .map(|r| Seen {
                record: r.clone(),
                released_by: None,
            })
            .collect(),
    };
    // Scenario time of every record, from the journaled clock.
    let mut state = State::new();
    let scenario_ms: Vec<u64> = records
        .iter()
        .map(|r| {
            state.apply(&cell, r);
            state.clock().scenario_ms_at(r.ts)
        })
        .collect();
    let at = |s: &Seen| {
        let seq = s.released_by.unwrap_or(s.record.seq);
        (seq, scenario_ms.get(seq as usize).copied().unwrap_or(0))
    };
    let within = |s: &Seen| {
        let (seq, ms) = at(s);
        let after = match from {
            Some(Bound::Seq(f)) => seq >= f,
            Some(Bound::ScenarioMs(f)) => ms >= f,
            None => true,
        };
        let before = match to {
            Some(Bound::Seq(t)) => seq <= t,
            Some(Bound::ScenarioMs(t)) => ms <= t,
            None => true,
        };
        let on_channel = channel
            .as_ref()
            .is_none_or(|c| s.record.act.channel.as_ref() == Some(c));
        after && before && on_channel
    };
    if !args.output.json {
        let marking = crate::show::marking_of(args.config.as_deref())?;
        crate::outln!("{}", crate::show::marking_head(&marking));
    }
    let mut previous_ts: Option<i64> = None;
    let mut stdin = std::io::stdin().lines();
    for seen in shown.iter().filter(|s| within(s)) {
        let ts = records
            .get(at(seen).0 as usize)
            .map_or(seen.record.ts, |r| r.ts);
        if args.step {
            eprint!("[Enter] ");
            if stdin.next().is_none() {
                break;
            }
        } else if let Some(prev) = previous_ts
            && args.speed > 0.0
        {
            let ms = (ts - prev).max(0) as f64 / args.speed;
            tokio::time::sleep(Duration::from_millis(ms.min(3_600_000.0) as u64)).await;
        }
        previous_ts = Some(ts);
        let line = if args.output.json {
            serde_json::to_string(&show::Printed::new(&seen.record, true))?
        } else {
            let clock = fusioncell_scenario::time::format_at(at(seen).1 / 1000);
            let r = &seen.record;
            let held = seen.released_by.is_none()
                && r.act.kind == fusioncell_wire::ActKind::Post
                && r.act.channel.as_ref().is_some_and(|c| {
                    fusioncell_cell::policy::is_moderated_for(&cell, &r.act.actor, c)
                });
            let text = show::transcript_line(r, held, seen.released_by)
                .unwrap_or_else(|| show::human(r, true));
            format!("[{clock}] {text}")
        };
        crate::outln!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}
