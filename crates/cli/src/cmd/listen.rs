//! `fusioncell listen`: prints what an identity receives, human-readable or as JSON lines.

use std::io::Write;
use std::process::ExitCode;

use fusioncell_client::{Client, Event};
use fusioncell_wire::{ChannelId, Record};
use serde::Serialize;

use crate::args::{ConnectOpts, ListenArgs};
use crate::load::{self, ConnectArgs};

pub(super) async fn run(args: ListenArgs) -> anyhow::Result<ExitCode> {
    let channel = args
        .channel
        .as_ref()
        .map(|c| ChannelId::new(c.clone()).map_err(|e| anyhow::anyhow!("--channel {c}: {e}")))
        .transpose()?;
    let config = load::client_config(&connect_args(&args.connect))?;
    let client = Client::connect(config).await?;
    let welcome = client.welcome();
    if let Some(ch) = &channel
        && !welcome.channels.iter().any(|c| c.id == *ch)
    {
        anyhow::bail!(
            "--channel {ch}: `{}` cannot read this channel",
            welcome.identity
        );
    }
    eprintln!(
        "listening as `{}` ({}), channels: {}",
        welcome.identity,
        welcome.role,
        welcome
            .channels
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut sub = client.subscribe(args.from).await?;
    let mut printed = 0u64;
    let mut out = std::io::stdout();
    while args.count.is_none_or(|n| printed < n) {
        let Some(event) = sub.next().await else {
            anyhow::bail!("the connection ended");
        };
        match event {
            Event::Record {
                record, verified, ..
            } => {
                if channel
                    .as_ref()
                    .is_some_and(|ch| record.act.channel.as_ref() != Some(ch))
                {
                    continue;
                }
                if args.json {
                    let line = serde_json::to_string(&Printed::new(&record, verified))?;
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(out, "{}", human(&record, verified))?;
                }
                out.flush()?;
                printed += 1;
            }
            Event::Live { size } => eprintln!("live (journal has {size} records)"),
            Event::Checkpoint(cp) => {
                tracing::debug!(size = cp.size, "checkpoint");
            }
            Event::Reconnecting { reason } => eprintln!("reconnecting: {reason}"),
            _ => {}
        }
    }
    client.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The flags shared by client commands, as the loader takes them.
pub(super) fn connect_args(c: &ConnectOpts) -> ConnectArgs {
    ConnectArgs {
        config: c.config.clone(),
        relay: c.relay.clone(),
        identity: c.identity.clone(),
        key: c.key.clone(),
        ca: c.ca.clone(),
    }
}

/// One record as `listen --json` prints it.
#[derive(Serialize)]
struct Printed<'a> {
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
    fn new(r: &'a Record, verified: bool) -> Self {
        Printed {
            seq: r.seq,
            ts: r.ts,
            kind: r.act.kind.as_str(),
            sender: r.act.actor.as_str(),
            channel: r.act.channel.as_ref().map(|c| c.as_str()),
            body: r.body.as_deref(),
            actor_seq: r.act.seq,
            sig: r.sig.to_base64(),
            verified,
        }
    }
}

fn human(r: &Record, verified: bool) -> String {
    let mark = if verified { "✓" } else { "✗ UNVERIFIED" };
    let channel = r.act.channel.as_ref().map_or("(cell)", |c| c.as_str());
    let body = r.body.as_deref().unwrap_or("[redacted]");
    format!(
        "#{:<5} {} {:<10} {:<13} {mark} {body}",
        r.seq,
        super::connect::utc_hms(r.ts),
        r.act.actor,
        channel
    )
}
