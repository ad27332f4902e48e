//! The relay's own records: `open` (record 0, the cell), `security` (a refused login or act)
//! and `recovered` (a restart). Clients never send them; the supervisors receive them.

use fusioncell_wire::{OpenBody, RecoveredBody, SecurityBody};

pub(super) fn describe_open(o: &OpenBody) -> String {
    format!(
        "cell {} opened: {} identities, {} channels",
        o.cell,
        o.identities.len(),
        o.channels.len()
    )
}

pub(super) fn describe_security(s: &SecurityBody) -> String {
    let who = s
        .identity
        .as_deref()
        .map(|i| format!(" ({i})"))
        .unwrap_or_default();
    format!("security: {}{who}: {}", s.event, s.reason)
}

pub(super) fn describe_recovered(r: &RecoveredBody) -> String {
    format!(
        "relay restarted: {} records intact, {} torn bytes cut off",
        r.records, r.truncated_bytes
    )
}
