//! Hotline posts and their acknowledgements or escalations.

use std::collections::BTreeMap;

use fusioncell_wire::act_body::{AckBody, EscalateBody};
use fusioncell_wire::{ActKind, ChannelId, IdentityId};

use crate::model::{ChannelInfo, Entry};

/// The acknowledgement, or escalation, of a hotline post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Its seq.
    pub seq: u64,
    /// Who.
    pub actor: IdentityId,
    /// Real time after the post, ms.
    pub real_ms: i64,
    /// Scenario time after the post, ms.
    pub scenario_ms: Option<u64>,
}

/// A hotline post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotlineMessage {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Scenario time.
    pub scenario_ms: Option<u64>,
    /// The hotline.
    pub channel: ChannelId,
    /// Sender.
    pub sender: IdentityId,
    /// The deadline, seconds, when known (config or escalation).
    pub ack_seconds: Option<u32>,
    /// The first acknowledgement.
    pub ack: Option<Reply>,
    /// The escalation to the mediator.
    pub escalation: Option<Reply>,
}

/// Every hotline post with its first acknowledgement and first escalation; the deadline comes
/// from the config when known, else from the escalation that states it.
pub(super) fn hotline(entries: &[Entry], channels: &[ChannelInfo]) -> Vec<HotlineMessage> {
    let mut out: Vec<HotlineMessage> = Vec::new();
    let mut index: BTreeMap<u64, usize> = BTreeMap::new();
    for e in entries {
        let (target, stated_deadline) = match e.kind {
            ActKind::Post if e.hotline => {
                let Some(channel) = &e.channel else { continue };
                index.insert(e.seq, out.len());
                out.push(HotlineMessage {
                    seq: e.seq,
                    ts: e.ts,
                    scenario_ms: e.scenario_ms,
                    channel: channel.clone(),
                    sender: e.actor.clone(),
                    ack_seconds: channels
                        .iter()
                        .find(|c| c.id == *channel)
                        .and_then(|c| c.ack_seconds),
                    ack: None,
                    escalation: None,
                });
                continue;
            }
            ActKind::Ack => match e.params::<AckBody>() {
                Some(a) => (a.target, None),
                None => continue,
            },
            ActKind::Escalate => match e.params::<EscalateBody>() {
                Some(x) => (x.target, Some(x.ack_seconds)),
                None => continue,
            },
            _ => continue,
        };
        let Some(msg) = index.get(&target).map(|&i| &mut out[i]) else {
            continue;
        };
        let reply = Reply {
            seq: e.seq,
            actor: e.actor.clone(),
            real_ms: e.ts.saturating_sub(msg.ts),
            scenario_ms: e
                .scenario_ms
                .zip(msg.scenario_ms)
                .map(|(a, b)| a.saturating_sub(b)),
        };
        let slot = if e.kind == ActKind::Ack {
            &mut msg.ack
        } else {
            msg.ack_seconds = msg.ack_seconds.or(stated_deadline);
            &mut msg.escalation
        };
        if slot.is_none() {
            *slot = Some(reply);
        }
    }
    out
}
