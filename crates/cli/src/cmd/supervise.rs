//! One-shot supervisory and exercise acts: `approve`, `reject`, `mute`, `unmute`, `grant`,
//! `revoke`, `redact`, `clock`, `observe`, `ack`. Each signs one act, waits until it is
//! durable, and prints its cell sequence number alone on stdout (details on stderr).

use std::process::ExitCode;

use fusioncell_client::{Ack, Client, Event, acts};
use fusioncell_wire::act_body::{Access, ClockAction, ObserveBody};
use fusioncell_wire::{ChannelId, IdentityId, Record};

use crate::args::{
    ClockArgs, ConnectOpts, DecideArgs, GrantArgs, MuteArgs, ObserveArgs, RedactArgs, RejectArgs,
    TargetArgs,
};
use crate::cmd::listen::connect_args;
use crate::load;

/// Connects for one act: `connect` retries a relay that is restarting or busy admitting (with
/// jittered backoff, for a bounded time); once connected, a lost connection is an error.
async fn connect(opts: &ConnectOpts) -> anyhow::Result<Client> {
    let mut config = load::client_config(&connect_args(opts))?;
    config.reconnect = false;
    Ok(Client::connect(config).await?)
}

/// Prints the result the way every one-shot command does, and closes.
async fn done(client: Client, what: &str, ack: Ack) -> anyhow::Result<ExitCode> {
    eprintln!("durable: {what} is record {}", ack.cell_seq);
    crate::outln!("{}", ack.cell_seq);
    client.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Record `seq` as this identity receives it (its first record when resuming from `seq`).
async fn fetch(client: &Client, seq: u64) -> anyhow::Result<Record> {
    let mut sub = client.subscribe(Some(seq)).await?;
    loop {
        match sub.next().await {
            Some(Event::Record { record, .. }) if record.seq == seq => return Ok(record),
            Some(Event::Record { .. } | Event::Live { .. }) | None => {
                anyhow::bail!(
                    "record {seq} does not exist or `{}` cannot see it",
                    client.welcome().identity
                )
            }
            Some(_) => continue,
        }
    }
}

fn identity(name: &str) -> anyhow::Result<IdentityId> {
    IdentityId::new(name).map_err(|e| anyhow::anyhow!("identity `{name}`: {e}"))
}

fn channel(flag: &str, name: &str) -> anyhow::Result<ChannelId> {
    ChannelId::new(name).map_err(|e| anyhow::anyhow!("{flag} {name}: {e}"))
}

pub(super) async fn approve(args: DecideArgs) -> anyhow::Result<ExitCode> {
    let client = connect(&args.connect).await?;
    let held = fetch(&client, args.seq).await?;
    let ack = client.decide(&held, None).await?;
    done(client, &format!("approval of record {}", args.seq), ack).await
}

pub(super) async fn reject(args: RejectArgs) -> anyhow::Result<ExitCode> {
    let client = connect(&args.connect).await?;
    let held = fetch(&client, args.seq).await?;
    let ack = client.decide(&held, Some(args.reason)).await?;
    done(client, &format!("rejection of record {}", args.seq), ack).await
}

pub(super) async fn mute(args: MuteArgs, on: bool) -> anyhow::Result<ExitCode> {
    let channel = args
        .channel
        .as_deref()
        .map(|c| channel("--channel", c))
        .transpose()?;
    let who = identity(&args.target)?;
    let draft = if on {
        acts::mute(who, channel)
    } else {
        acts::unmute(who, channel)
    };
    let client = connect(&args.connect).await?;
    let kind = draft.kind();
    let ack = client.send(draft).await?;
    done(client, kind.as_str(), ack).await
}

pub(super) async fn grant(args: GrantArgs, give: bool) -> anyhow::Result<ExitCode> {
    let who = identity(&args.target)?;
    let on = channel("--channel", &args.channel)?;
    let access = if args.reader {
        Access::Reader
    } else {
        Access::Member
    };
    let draft = if give {
        acts::grant(who, on, access)
    } else {
        acts::revoke(who, on, access)
    };
    let client = connect(&args.connect).await?;
    let kind = draft.kind();
    let ack = client.send(draft).await?;
    done(client, kind.as_str(), ack).await
}

pub(super) async fn redact(args: RedactArgs) -> anyhow::Result<ExitCode> {
    let client = connect(&args.connect).await?;
    let ack = client.send(acts::redact(args.seq, args.reason)).await?;
    done(client, &format!("redaction of record {}", args.seq), ack).await
}

pub(super) async fn clock(args: ClockArgs) -> anyhow::Result<ExitCode> {
    let action = match args.action.as_str() {
        "start" => ClockAction::Start,
        "pause" => ClockAction::Pause,
        "resume" => ClockAction::Resume,
        "end" => ClockAction::End,
        "halt" => ClockAction::Halt,
        other => {
            anyhow::bail!("clock action `{other}`: expected start, pause, resume, end or halt")
        }
    };
    let client = connect(&args.connect).await?;
    let ack = client
        .send(acts::clock(action, args.speed, args.reason))
        .await?;
    done(client, &format!("clock {}", args.action), ack).await
}

pub(super) async fn observe(args: ObserveArgs) -> anyhow::Result<ExitCode> {
    let client = connect(&args.connect).await?;
    let ack = client
        .send(acts::observe(ObserveBody {
            refs: args.refs,
            text: args.text,
            about: args.about,
            objective: args.objective,
            rating: args.rating,
        }))
        .await?;
    done(client, "observation", ack).await
}

pub(super) async fn ack(args: TargetArgs) -> anyhow::Result<ExitCode> {
    let client = connect(&args.connect).await?;
    let target = fetch(&client, args.seq).await?;
    if target.act.channel.is_none() {
        anyhow::bail!("that record is not on a channel");
    }
    let ack = client.send(acts::ack(&target)).await?;
    done(
        client,
        &format!("acknowledgement of record {}", args.seq),
        ack,
    )
    .await
}
