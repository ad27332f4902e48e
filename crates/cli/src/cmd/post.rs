//! `fusioncell post --channel CH [--reply-to N] BODY`: prints the cell sequence number alone on stdout once
//! the act is durable; details go to stderr.

use std::process::ExitCode;

use fusioncell_client::{Client, acts};
use fusioncell_wire::ChannelId;

use crate::args::PostArgs;
use crate::cmd::listen::connect_args;
use crate::load;

pub(super) async fn run(args: PostArgs) -> anyhow::Result<ExitCode> {
    let channel = ChannelId::new(args.channel.clone())
        .map_err(|e| anyhow::anyhow!("--channel {}: {e}", args.channel))?;
    let mut config = load::client_config(&connect_args(&args.connect))?;
    // A one-shot post: `connect` retries a relay that is restarting or busy admitting (with
    // jittered backoff, for a bounded time); once connected, a lost connection is an error.
    config.reconnect = false;
    let client = Client::connect(config).await?;
    let draft = match args.reply_to {
        Some(target) => acts::reply_to(channel, target, args.body.clone()),
        None => acts::post(channel, args.body.clone()),
    };
    let ack = client.send(draft).await?;
    eprintln!(
        "durable: record {} (act {} of {}), relay time {}",
        ack.cell_seq, ack.seq, args.connect.identity, ack.ts
    );
    crate::outln!("{}", ack.cell_seq);
    client.close().await;
    Ok(ExitCode::SUCCESS)
}
