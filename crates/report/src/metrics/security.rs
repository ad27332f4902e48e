//! Refused logins and acts, and relay restarts.

use fusioncell_wire::{ActKind, RecoveredBody, SecurityBody};

use crate::model::Entry;

/// A refused login or act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// The event (`bad_login`, an error code, ...).
    pub event: String,
    /// Identity claimed or authenticated.
    pub identity: Option<String>,
    /// Socket address.
    pub peer: Option<String>,
    /// Details.
    pub reason: String,
}

/// A relay restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Records found intact.
    pub records: u64,
    /// Torn bytes cut off.
    pub truncated_bytes: u64,
}

/// Every refused login or act the relay journaled.
pub(super) fn security(entries: &[Entry]) -> Vec<SecurityEvent> {
    entries
        .iter()
        .filter(|e| e.kind == ActKind::Security)
        .map(|e| {
            let body = e.params::<SecurityBody>();
            SecurityEvent {
                seq: e.seq,
                ts: e.ts,
                event: body
                    .as_ref()
                    .map_or_else(|| "unknown".to_owned(), |b| b.event.clone()),
                identity: body.as_ref().and_then(|b| b.identity.clone()),
                peer: body.as_ref().and_then(|b| b.peer.clone()),
                reason: body.map(|b| b.reason).unwrap_or_default(),
            }
        })
        .collect()
}

/// Every relay restart.
pub(super) fn recoveries(entries: &[Entry]) -> Vec<Recovery> {
    entries
        .iter()
        .filter(|e| e.kind == ActKind::Recovered)
        .filter_map(|e| {
            let r = e.params::<RecoveredBody>()?;
            Some(Recovery {
                seq: e.seq,
                ts: e.ts,
                records: r.records,
                truncated_bytes: r.truncated_bytes,
            })
        })
        .collect()
}
