//! The after-action value: the journal folded once through the cell's own
//! [`State::apply`](fusioncell_cell::State::apply) (so moderation, hotline, clock and redaction
//! state are exactly what the relay and the verifier computed), each record placed on the
//! exercise clock, and everything the report shows derived from that.
//!
//! Building it reads no file: the caller passes the records, the `open` record's body, the
//! scenario if any, and the facts the journal's verification established ([`Integrity`]).

use fusioncell_cell::{Audience, Cell, CellError, Policy, State};
use fusioncell_scenario::Scenario;
use fusioncell_wire::act_body::{ClockAction, ClockBody};
use fusioncell_wire::{
    ActBody, ActKind, Body, ChannelId, Checkpoint, Digest, IdentityId, OpenBody, Params, Phase,
    Record, Role,
};

use crate::metrics::{self, Metrics};
use crate::timeline::{self, Timeline};

/// Why no report could be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// There is nothing to report on.
    #[error("the journal has no records")]
    Empty,
    /// Record 0 is not a well-formed `open` record.
    #[error("record 0 is not the cell's `open` record: {0}")]
    NotOpen(String),
    /// The `open` record does not describe a valid cell.
    #[error("the `open` record does not describe a valid cell: {0}")]
    Cell(#[from] CellError),
}

/// What the verification of the journal established; the report states it, it does not
/// re-check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integrity {
    /// Records in the journal: the Merkle tree's size.
    pub tree_size: u64,
    /// The Merkle root over all records.
    pub root: Digest,
    /// Relay-signed checkpoints, all verified.
    pub checkpoints: u64,
    /// The latest checkpoint.
    pub last_checkpoint: Option<Checkpoint>,
    /// Records after the last checkpoint: nothing signed proves they are all there.
    pub unsigned_tail: u64,
}

/// Everything [`AfterAction::build`] reads.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The journal, in seq order, record 0 first.
    pub records: &'a [Record],
    /// The body of record 0.
    pub open: &'a OpenBody,
    /// The scenario the exercise ran, for expected actions and objectives.
    pub scenario: Option<&'a Scenario>,
    /// The cell config, when the caller has it: it knows the hotline deadlines, which the
    /// `open` record does not carry. Without it the cell is rebuilt from `open`.
    pub config: Option<&'a Cell>,
    /// What verification established.
    pub integrity: &'a Integrity,
}

/// One record, placed on the exercise clock and in the supervision state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Cell sequence number.
    pub seq: u64,
    /// Relay time, ms since the Unix epoch.
    pub ts: i64,
    /// Scenario time in ms from STARTEX, from the journaled clock; `None` before STARTEX.
    pub scenario_ms: Option<u64>,
    /// The clock's phase once this record was applied.
    pub phase: Phase,
    /// What kind of act.
    pub kind: ActKind,
    /// Who made it.
    pub actor: IdentityId,
    /// The actor's role (`None` for the relay).
    pub role: Option<Role>,
    /// Its channel, if any.
    pub channel: Option<ChannelId>,
    /// The body; `None` when redacted (in the file, or by a later `redact` act).
    pub body: Option<Body>,
    /// A post held for the mediator's decision on a moderated channel.
    pub held: bool,
    /// A hotline post that had to be acknowledged by the other side.
    pub hotline: bool,
}

impl Entry {
    /// Whether the body was redacted.
    pub fn redacted(&self) -> bool {
        self.body.is_none()
    }

    /// The kind's name (also for kinds added to the protocol after this crate).
    pub fn kind_name(&self) -> &'static str {
        self.kind.as_str()
    }

    /// The body's parameters of type `T` (decoded when the record was read), if present.
    pub fn params<T: Params + Clone>(&self) -> Option<T> {
        self.body.as_ref()?.value().get::<T>().cloned()
    }
}

/// An identity of the cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// Its id.
    pub id: IdentityId,
    /// Its role.
    pub role: Role,
}

/// A channel of the cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    /// Its id.
    pub id: ChannelId,
    /// `open`, `moderated` or `hotline`.
    pub policy: &'static str,
    /// The hotline deadline, when known (from the cell config; the journal's `open` record
    /// does not carry it).
    pub ack_seconds: Option<u32>,
    /// Members (read and write), as opened.
    pub members: Vec<IdentityId>,
    /// Readers, as opened.
    pub readers: Vec<IdentityId>,
}

/// The scenario's own description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioInfo {
    /// Its title.
    pub title: String,
    /// Its description.
    pub description: Option<String>,
    /// Moves, in order: id and title.
    pub moves: Vec<(String, String)>,
    /// Injects planned (contingency injects included).
    pub planned_injects: usize,
}

/// When play happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Relay time of the first record.
    pub first_ts: i64,
    /// Relay time of the last record.
    pub last_ts: i64,
    /// STARTEX: seq and relay time.
    pub startex: Option<(u64, i64)>,
    /// ENDEX: seq and relay time.
    pub endex: Option<(u64, i64)>,
    /// The speed STARTEX set (scenario seconds per real second).
    pub speed: Option<u32>,
    /// Scenario time reached by the last record, in ms.
    pub scenario_end_ms: u64,
}

impl Span {
    /// Real time from STARTEX to ENDEX (or to the last record), in ms.
    pub fn real_ms(&self) -> Option<i64> {
        let (_, start) = self.startex?;
        let end = self.endex.map_or(self.last_ts, |(_, t)| t);
        Some(end.saturating_sub(start))
    }
}

/// The after-action report's content.
#[derive(Debug, Clone)]
pub struct AfterAction {
    /// The cell id.
    pub cell: String,
    /// The marking line on every page (`[cell] marking` of the config; the default without
    /// one, since the journal does not carry it).
    pub marking: String,
    /// SHA-256 of the config the cell was opened with.
    pub config_sha256: Digest,
    /// Whether hotline deadlines come from the config (otherwise only escalations state them).
    pub config_given: bool,
    /// The scenario, if given.
    pub scenario: Option<ScenarioInfo>,
    /// Identities, in config order.
    pub identities: Vec<Participant>,
    /// Channels, in config order.
    pub channels: Vec<ChannelInfo>,
    /// Every record, in order.
    pub entries: Vec<Entry>,
    /// When play happened.
    pub span: Span,
    /// The timeline per channel.
    pub timeline: Timeline,
    /// Injects, responses, moderation, clock, hotline, participation, security.
    pub metrics: Metrics,
    /// What verification established.
    pub integrity: Integrity,
}

impl AfterAction {
    /// Folds the journal and derives the report.
    pub fn build(inputs: Inputs<'_>) -> Result<AfterAction, ReportError> {
        let from_open;
        let cell = match inputs.config {
            Some(c) => c,
            None => {
                from_open = Cell::from_open_body(inputs.open)?;
                &from_open
            }
        };
        let entries = entries_with(inputs.records, cell)?;
        let identities: Vec<Participant> = inputs
            .open
            .identities
            .iter()
            .map(|i| Participant {
                id: i.id.clone(),
                role: i.role,
            })
            .collect();
        let channels: Vec<ChannelInfo> = inputs
            .open
            .channels
            .iter()
            .map(|c| {
                let configured = inputs.config.and_then(|cell| cell.channel(&c.id));
                ChannelInfo {
                    id: c.id.clone(),
                    policy: cell.channel(&c.id).map_or("open", |ch| ch.policy.as_str()),
                    ack_seconds: configured.and_then(|ch| match ch.policy {
                        Policy::Hotline { ack_seconds, .. } => Some(ack_seconds),
                        _ => None,
                    }),
                    members: c.members.clone(),
                    readers: c.readers.clone(),
                }
            })
            .collect();
        let span = span(&entries);
        let timeline = timeline::build(&entries, &channels, span.scenario_end_ms);
        let metrics = metrics::compute(&entries, &identities, &channels, inputs.scenario);
        Ok(AfterAction {
            cell: inputs.open.cell.as_str().to_owned(),
            marking: cell.marking().to_owned(),
            config_sha256: inputs.open.config_sha256,
            config_given: inputs.config.is_some(),
            scenario: inputs.scenario.map(|s| ScenarioInfo {
                title: s.title().to_owned(),
                description: s.description().map(str::to_owned),
                moves: s
                    .moves()
                    .iter()
                    .map(|m| (m.id.to_string(), m.title.clone()))
                    .collect(),
                planned_injects: s.injects().len(),
            }),
            identities,
            channels,
            entries,
            span,
            timeline,
            metrics,
            integrity: inputs.integrity.clone(),
        })
    }

    /// The role of an identity of the cell.
    pub fn role(&self, id: &IdentityId) -> Option<Role> {
        self.identities.iter().find(|p| p.id == *id).map(|p| p.role)
    }

    /// The record with this seq.
    pub fn entry(&self, seq: u64) -> Option<&Entry> {
        usize::try_from(seq).ok().and_then(|i| self.entries.get(i))
    }

    /// A title for the report: the scenario's, else the cell's.
    pub fn title(&self) -> String {
        match &self.scenario {
            Some(s) => s.title.clone(),
            None => format!("cell {}", self.cell),
        }
    }
}

/// The body of record 0, which every journal starts with.
pub fn open_body(records: &[Record]) -> Result<OpenBody, ReportError> {
    let first = records.first().ok_or(ReportError::Empty)?;
    if first.act.kind != ActKind::Open {
        return Err(ReportError::NotOpen(format!(
            "it is a `{}` record",
            first.act.kind.as_str()
        )));
    }
    match first.params() {
        Some(ActBody::Open(body)) => Ok(body.clone()),
        _ => Err(ReportError::NotOpen("its body is missing".into())),
    }
}

/// Every record placed on the exercise clock, for exports: the cell is rebuilt from the
/// `open` record.
pub fn entries(records: &[Record], open: &OpenBody) -> Result<Vec<Entry>, ReportError> {
    let cell = Cell::from_open_body(open)?;
    entries_with(records, &cell)
}

/// The one fold of the journal: each record applied to the cell's state, then read back.
fn entries_with(records: &[Record], cell: &Cell) -> Result<Vec<Entry>, ReportError> {
    if records.is_empty() {
        return Err(ReportError::Empty);
    }
    let mut state = State::new();
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        state.apply(cell, r);
        let clock = state.clock();
        out.push(Entry {
            seq: r.seq,
            ts: r.ts,
            scenario_ms: (clock.phase != Phase::NotStarted).then(|| clock.scenario_ms_at(r.ts)),
            phase: clock.phase,
            kind: r.act.kind,
            actor: r.act.actor.clone(),
            role: cell.identity(&r.act.actor).map(|i| i.role),
            channel: r.act.channel.clone(),
            body: r.body.clone(),
            held: matches!(state.audience(r.seq), Some(Audience::Held { .. })),
            hotline: state.awaiting().contains_key(&r.seq),
        });
    }
    // A redaction later in the journal removes the body everywhere, as on delivery.
    for e in &mut out {
        if state.is_redacted(e.seq) {
            e.body = None;
        }
    }
    Ok(out)
}

fn span(entries: &[Entry]) -> Span {
    let mut span = Span {
        first_ts: entries.first().map_or(0, |e| e.ts),
        last_ts: entries.last().map_or(0, |e| e.ts),
        startex: None,
        endex: None,
        speed: None,
        scenario_end_ms: 0,
    };
    for e in entries {
        span.scenario_end_ms = span.scenario_end_ms.max(e.scenario_ms.unwrap_or(0));
        if e.kind != ActKind::Clock {
            continue;
        }
        if let Some(c) = e.params::<ClockBody>() {
            match c.action {
                ClockAction::Start if span.startex.is_none() => {
                    span.startex = Some((e.seq, e.ts));
                    span.speed = Some(c.speed.unwrap_or(1).max(1));
                }
                ClockAction::End if span.endex.is_none() => span.endex = Some((e.seq, e.ts)),
                _ => {}
            }
        }
    }
    span
}
