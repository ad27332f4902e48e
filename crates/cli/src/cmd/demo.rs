//! `fusioncell demo`: the Paris talks exercise on one machine with no set-up. A cell like
//! `init` makes, the relay, exercise control running the built-in scenario at high speed,
//! bots playing both delegations and the mediator, and a live transcript as the mediator's
//! screen shows it; at ENDEX the relay stops and the journal is verified.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use fusioncell_client::{Client, Event};
use fusioncell_exercise::{ControlEvent, ControlOptions, run_bot, run_control};
use fusioncell_relay::Server;
use fusioncell_scenario::{Persona, Scenario};
use fusioncell_wire::{ActKind, CellId, Record};
use tokio::sync::mpsc;

use crate::args::DemoArgs;
use crate::embedded;
use crate::init::{InitParams, write_cell_folder};
use crate::load::{self, ConnectArgs};

pub(super) async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let speed = args.speed.max(1);
    let folder = match &args.keep {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!(
            "fusioncell-demo-{}",
            hex::encode(&fusioncell_keys::random_nonce()?[..4])
        )),
    };
    let cell_id = CellId::new(format!(
        "paris-demo-{}",
        hex::encode(&fusioncell_keys::random_nonce()?[..3])
    ))?;
    let params = InitParams {
        cell_id,
        listen: "127.0.0.1:0".parse()?,
        hosts: Vec::new(),
        scenario: Some(embedded::SCENARIO.to_owned()),
    };
    let config = write_cell_folder(&folder, &params)?;
    let loaded = load::cell(&config)?;
    let scenario = Scenario::from_toml(embedded::SCENARIO).context("built-in scenario")?;
    let mut relay_config = load::relay_config(&loaded, None, false)?;
    relay_config.scenario = Some(serde_json::to_value(&scenario)?);
    let server = Server::spawn(relay_config).await?;
    let url = format!("wss://127.0.0.1:{}", server.local_addr().port());
    crate::outln!(
        "fusioncell demo: \"{}\" at ×{speed} — relay {url}, cell folder {}",
        scenario.title(),
        folder.display()
    );
    crate::outln!("(fictional training scenario; bots play israel, syria and the U.S. mediator)\n");

    let connect = |id: &str| {
        let config = load::client_config(&ConnectArgs {
            config: Some(config.clone()),
            relay: Some(url.clone()),
            identity: id.to_owned(),
            ..Default::default()
        });
        async move { anyhow::Ok(Client::connect(config?).await?) }
    };

    // The transcript: what the mediator's screen shows (every channel, held posts too).
    // A second session of the mediator that only watches: the mediator bot cosigns.
    let watcher = {
        let mut config = load::client_config(&ConnectArgs {
            config: Some(config.clone()),
            relay: Some(url.clone()),
            identity: "us".to_owned(),
            ..Default::default()
        })?;
        config.witness = false;
        Client::connect(config).await?
    };
    let mut transcript = watcher.subscribe(None).await?;
    let cell = loaded.cell.clone();
    let printer = tokio::spawn(async move {
        let mut stats = Stats::default();
        let mut clock = fusioncell_wire::Clock::default();
        while let Some(event) = transcript.next().await {
            match event {
                Event::Record {
                    record,
                    released_by,
                    ..
                } => {
                    let held = is_held(&cell, &record);
                    stats.count(&record, held, released_by);
                    // The mediator saw a held post already; its release shows as the approval.
                    let line = match released_by {
                        Some(_) => None,
                        None => crate::show::transcript_line(&record, held, None),
                    };
                    if let Some(line) = line {
                        let at = fusioncell_scenario::time::format_at(
                            clock.scenario_ms_at(record.ts) / 1000,
                        );
                        if crate::out::line(format_args!("[{at}] {line}")).is_err() {
                            break;
                        }
                    }
                }
                Event::State(state) => {
                    clock = state.clock;
                    if clock.phase == fusioncell_wire::Phase::Ended {
                        break;
                    }
                }
                _ => {}
            }
        }
        stats
    });

    let (log, mut bot_lines) = mpsc::channel::<String>(256);
    tokio::spawn(async move {
        while let Some(line) = bot_lines.recv().await {
            if line.contains("refused") {
                let _ = crate::out::line(format_args!("   ({line})"));
            }
        }
    });
    let mut bots = Vec::new();
    for (file, text) in embedded::BOTS {
        let persona = Persona::from_toml(text).with_context(|| format!("built-in bot {file}"))?;
        let client = connect(persona.identity().as_str()).await?;
        let cell = loaded.cell.clone();
        let log = log.clone();
        bots.push(tokio::spawn(async move {
            let _ = run_bot(&client, &cell, persona, log).await;
            client.close().await;
        }));
    }

    let control = connect("control").await?;
    let options = ControlOptions {
        speed,
        start: true,
        end_when_done: true,
        grace_s: 300,
    };
    let (_commands, command_rx) = mpsc::channel(1);
    let (events_tx, mut events) = mpsc::channel(64);
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let ControlEvent::Refused(why) = event {
                let _ = crate::out::line(format_args!("   (control: {why})"));
            }
        }
    });
    // Ctrl-C or SIGTERM stops the demo in order: the bots and clients stop, then the relay
    // shuts down as on any stop (final checkpoint), so the journal is left whole and verifies.
    let played = async {
        run_control(&control, &scenario, &options, command_rx, events_tx).await?;
        for bot in bots.iter_mut() {
            let _ = bot.await;
        }
        anyhow::Ok(())
    };
    let interrupted = tokio::select! {
        played = played => {
            played?;
            false
        }
        () = crate::stop::signal() => true,
    };
    if interrupted {
        for bot in &bots {
            bot.abort();
        }
        printer.abort();
        control.close().await;
        watcher.close().await;
        let records = server.shutdown().await?.records;
        eprintln!(
            "interrupted: relay stopped, {records} records in {} (`fusioncell audit verify` it)",
            loaded.cell.relay().journal.display()
        );
        return Ok(ExitCode::from(crate::stop::INTERRUPTED));
    }
    let stats = printer.await.unwrap_or_default();
    control.close().await;
    watcher.close().await;
    let records = server.shutdown().await?.records;

    let journal: PathBuf = loaded.cell.relay().journal.clone();
    crate::outln!();
    match super::audit::verify_journal(&journal, Some(&loaded)) {
        Ok(report) => {
            crate::outln!(
                "journal verified: {records} records, {} checkpoints, root {}; every signature, the Merkle tree and every authorization decision check out",
                report.checkpoints,
                report.root
            );
        }
        Err(e) => {
            eprintln!("journal verification FAILED: {e}");
            return Ok(ExitCode::FAILURE);
        }
    }
    crate::outln!(
        "{} injects, {} posts, {} held for moderation ({} approved, {} rejected), {} hotline acknowledgements, {} escalations",
        stats.injects,
        stats.posts,
        stats.held,
        stats.approved,
        stats.rejected,
        stats.acks,
        stats.escalations
    );
    crate::outln!("journal: {}", journal.display());
    crate::outln!(
        "cell: {} (keys, certificates, journal; `fusioncell audit verify {}`)",
        config.display(),
        journal.display()
    );
    if args.keep.is_some() {
        crate::outln!(
            "exercise: {} and {}/ (for `report --scenario`, `exercise run` and `bot`)",
            folder.join(crate::init::SCENARIO_FILE).display(),
            folder.join(crate::init::BOTS_DIR).display()
        );
    }
    crate::outln!("finished in {:.0} s", started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

/// Whether a post is held for the mediator (a party's post on a moderated channel).
fn is_held(cell: &fusioncell_cell::Cell, r: &Record) -> bool {
    r.act.kind == ActKind::Post
        && r.act
            .channel
            .as_ref()
            .is_some_and(|c| fusioncell_cell::policy::is_moderated_for(cell, &r.act.actor, c))
}

/// Counts for the closing summary.
#[derive(Debug, Default)]
struct Stats {
    injects: u64,
    posts: u64,
    held: u64,
    approved: u64,
    rejected: u64,
    acks: u64,
    escalations: u64,
}

impl Stats {
    fn count(&mut self, r: &Record, held: bool, released_by: Option<u64>) {
        match r.act.kind {
            ActKind::Inject => self.injects += 1,
            ActKind::Post if released_by.is_none() => {
                self.posts += 1;
                if held {
                    self.held += 1;
                }
            }
            ActKind::Approve => self.approved += 1,
            ActKind::Reject => self.rejected += 1,
            ActKind::Ack => self.acks += 1,
            ActKind::Escalate => self.escalations += 1,
            _ => {}
        }
    }
}
