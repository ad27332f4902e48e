//! The online set kept up to date from `presence` frames that carry only what changed (the
//! client logs in with `presence: "changes"`, PROTOCOL.md §4.2).

use std::collections::BTreeSet;

use fusioncell_wire::IdentityId;

/// `online` after `joined` came online and `left` went offline, sorted.
pub(crate) fn apply(
    online: Vec<IdentityId>,
    joined: Vec<IdentityId>,
    left: &[IdentityId],
) -> Vec<IdentityId> {
    let mut set: BTreeSet<IdentityId> = online.into_iter().chain(joined).collect();
    for gone in left {
        set.remove(gone);
    }
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<IdentityId> {
        names.iter().map(|n| IdentityId::new(*n).unwrap()).collect()
    }

    #[test]
    fn changes_apply_to_the_known_set_and_keep_it_sorted() {
        let now = apply(ids(&["b", "d"]), ids(&["c", "a"]), &ids(&["d", "x"]));
        assert_eq!(now, ids(&["a", "b", "c"]));
        assert_eq!(apply(Vec::new(), Vec::new(), &[]), ids(&[]));
    }
}
