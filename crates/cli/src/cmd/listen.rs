//! `fusioncell listen`: prints what an identity receives, human-readable or as JSON lines.

use std::process::ExitCode;

use fusioncell_client::{Client, Event};
use fusioncell_wire::ChannelId;

use crate::args::{CellOpts, ConnectOpts, ListenArgs};
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
    if !args.output.json {
        let marking = crate::show::marking_of(args.connect.config.as_deref())?;
        crate::outln!("{}", crate::show::marking_head(&marking));
    }
    let mut sub = client.subscribe(args.from).await?;
    let mut printed = 0u64;
    let stop = crate::stop::signal();
    tokio::pin!(stop);
    while args.count.is_none_or(|n| printed < n) {
        // A signal is taken between records, so no line is left half-printed.
        let next = tokio::select! {
            next = sub.next() => next,
            () = &mut stop => {
                client.close().await;
                return Ok(ExitCode::from(crate::stop::INTERRUPTED));
            }
        };
        let Some(event) = next else {
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
                if args.output.json {
                    let line =
                        serde_json::to_string(&crate::show::Printed::new(&record, verified))?;
                    crate::outln!("{line}");
                } else {
                    crate::outln!("{}", crate::show::human(&record, verified));
                }
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
/// How exercise control or a bot connects: from the cell folder, as `identity`.
pub(super) fn cell_connect_args(c: &CellOpts, identity: String) -> ConnectArgs {
    ConnectArgs {
        config: Some(c.config.clone()),
        relay: c.relay.clone(),
        identity,
        key: c.key.clone(),
        ca: None,
    }
}

pub(super) fn connect_args(c: &ConnectOpts) -> ConnectArgs {
    ConnectArgs {
        config: c.config.clone(),
        relay: c.relay.clone(),
        identity: c.identity.clone(),
        key: c.key.clone(),
        ca: c.ca.clone(),
    }
}
