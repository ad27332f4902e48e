//! File descriptors: every connection holds one, so the process's descriptor limit bounds the
//! connections more tightly than `max_connections` may. A relay that hits the limit cannot
//! `accept` at all: participants are refused while the sockets of a silent flood hold every
//! descriptor. So the relay raises its soft limit to the hard one at start (as Go's runtime
//! does), and if the hard limit is still lower than the connection cap needs, it serves fewer
//! connections, which the connection cap then admits by evicting silent ones (SECURITY.md,
//! "Admission"), instead of failing its accepts.

use crate::defaults::RESERVED_DESCRIPTORS;

/// How many connections the relay can hold: `wanted` (the cell's `max_connections`), or as
/// many as the descriptor limit leaves after [`RESERVED_DESCRIPTORS`], if fewer. Raises the
/// soft limit to the hard one first; says in the log when it must serve fewer.
pub fn connection_capacity(wanted: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!("cannot read or raise the file-descriptor limit: {e}");
            return wanted;
        }
    };
    let room = usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX);
    if room < wanted {
        tracing::warn!(
            "max_connections is {wanted} but the file-descriptor limit is {limit}: serving at most {} connections (raise the limit, e.g. `ulimit -n {}`, to serve them all)",
            room.max(1),
            wanted as u64 + RESERVED_DESCRIPTORS
        );
    }
    wanted.min(room).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_capacity_never_exceeds_the_descriptor_limit() {
        let (soft, _) = rlimit::Resource::NOFILE.get().expect("limit");
        let capacity = connection_capacity(usize::MAX);
        assert!(capacity as u64 + RESERVED_DESCRIPTORS <= soft.max(RESERVED_DESCRIPTORS + 1));
        assert_eq!(
            connection_capacity(10),
            10,
            "below the limit, the cell's cap stands"
        );
    }
}
