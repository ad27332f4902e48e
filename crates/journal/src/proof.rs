//! Inclusion and consistency proofs as `fusioncell audit prove` and `fusioncell audit
//! consistency` print them (PROTOCOL.md §11), made from a [`Verified`] journal, and the check
//! that a journal extends a checkpoint someone saved, naming what is wrong when it does not.
//!
//! The JSON names follow RFC 9162 §4.11–4.12 (`leaf_index`, `tree_size`, `inclusion_path`,
//! `consistency_path`); hashes are lowercase hex like every digest of the protocol.

use fusioncell_keys::PublicKey;
use fusioncell_wire::{CellId, Checkpoint, Digest, PublicKeyBytes};
use serde::{Deserialize, Serialize};

use crate::merkle::{Tree, verify_consistency, verify_inclusion};
use crate::verify::Verified;

/// That the leaf hash `leaf_hash` is leaf `leaf_index` of the tree of `tree_size` leaves whose
/// root is `root`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// The record's seq.
    pub leaf_index: u64,
    /// The size of the tree proved against.
    pub tree_size: u64,
    /// `SHA-256(0x00 ‖ leaf bytes)` of the record (PROTOCOL.md §5.4).
    pub leaf_hash: Digest,
    /// The audit path, innermost sibling first (RFC 9162 §2.1.3.1).
    pub inclusion_path: Vec<Digest>,
    /// The root of the tree of `tree_size` leaves.
    pub root: Digest,
    /// The relay's checkpoint that signs `root` at `tree_size`, if the journal holds one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
}

impl InclusionProof {
    /// The proof for leaf `index` in the tree of the first `size` leaves of `tree`; `None`
    /// unless `index < size <= tree.len()`.
    pub fn new(tree: &Tree, index: u64, size: u64) -> Option<Self> {
        Some(InclusionProof {
            leaf_index: index,
            tree_size: size,
            leaf_hash: Digest(tree.leaf(index)?),
            inclusion_path: tree
                .inclusion_proof(index, size)?
                .into_iter()
                .map(Digest)
                .collect(),
            root: Digest(tree.root_at(size)?),
            checkpoint: None,
        })
    }

    /// Whether the path leads from the leaf to the root (RFC 9162 §2.1.3.2), and the
    /// checkpoint, if any, is for this size and root. (The checkpoint's signature needs the
    /// relay key: see [`Checkpoint::signed_bytes`].)
    pub fn verify(&self) -> bool {
        let path: Vec<[u8; 32]> = self.inclusion_path.iter().map(|d| d.0).collect();
        verify_inclusion(
            &self.leaf_hash.0,
            self.leaf_index,
            self.tree_size,
            &path,
            &self.root.0,
        ) && self
            .checkpoint
            .as_ref()
            .is_none_or(|cp| cp.size == self.tree_size && cp.root == self.root)
    }
}

/// That the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The older tree's size.
    pub old_size: u64,
    /// The newer tree's size.
    pub new_size: u64,
    /// The older tree's root.
    pub old_root: Digest,
    /// The newer tree's root.
    pub new_root: Digest,
    /// The proof (RFC 9162 §2.1.4.1); empty when the sizes are equal.
    pub consistency_path: Vec<Digest>,
    /// The relay's checkpoint that signs `new_root` at `new_size`, if the journal holds one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
}

impl ConsistencyProof {
    /// The proof that the first `old` leaves of `tree` are a prefix of its first `new`;
    /// `None` unless `old <= new <= tree.len()`.
    pub fn new(tree: &Tree, old: u64, new: u64) -> Option<Self> {
        Some(ConsistencyProof {
            old_size: old,
            new_size: new,
            old_root: Digest(tree.root_at(old)?),
            new_root: Digest(tree.root_at(new)?),
            consistency_path: tree
                .consistency_proof(old, new)?
                .into_iter()
                .map(Digest)
                .collect(),
            checkpoint: None,
        })
    }

    /// Whether the proof holds (RFC 9162 §2.1.4.2), and the checkpoint, if any, is for the
    /// newer size and root.
    pub fn verify(&self) -> bool {
        let path: Vec<[u8; 32]> = self.consistency_path.iter().map(|d| d.0).collect();
        verify_consistency(
            self.old_size,
            self.new_size,
            &self.old_root.0,
            &self.new_root.0,
            &path,
        ) && self
            .checkpoint
            .as_ref()
            .is_none_or(|cp| cp.size == self.new_size && cp.root == self.new_root)
    }
}

/// Why no inclusion proof can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProveError {
    /// The tree size is 0 or past the journal.
    #[error("tree size {size} is out of range: the journal holds {records} records")]
    Size {
        /// The size asked for.
        size: u64,
        /// Records in the journal.
        records: u64,
    },
    /// The record is not in the tree of that size.
    #[error("record {seq} is not in the tree of size {size} (records 0..{size})")]
    Seq {
        /// The seq asked for.
        seq: u64,
        /// The tree size.
        size: u64,
    },
}

/// The inclusion proof of record `seq` in the tree of the first `size` records (default: all
/// of them), with the journal's checkpoint at that size if it has one; checked before it is
/// returned.
pub fn prove(
    verified: &Verified,
    seq: u64,
    size: Option<u64>,
) -> Result<InclusionProof, ProveError> {
    let records = verified.tree.len();
    let size = size.unwrap_or(records);
    if size == 0 || size > records {
        return Err(ProveError::Size { size, records });
    }
    let mut proof =
        InclusionProof::new(&verified.tree, seq, size).ok_or(ProveError::Seq { seq, size })?;
    proof.checkpoint = checkpoint_at(verified, size);
    if !proof.verify() {
        // The tree computed both: this would be a bug in it, not in the journal.
        return Err(ProveError::Seq { seq, size });
    }
    Ok(proof)
}

/// The journal's own checkpoint of exactly `size`, if any.
fn checkpoint_at(verified: &Verified, size: u64) -> Option<Checkpoint> {
    verified
        .checkpoints
        .binary_search_by_key(&size, |c| c.size)
        .ok()
        .and_then(|i| verified.checkpoints.get(i).cloned())
}

/// Why a journal does not extend a saved checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Mismatch {
    /// The checkpoint is another cell's.
    #[error("the checkpoint is for cell `{found}`, the journal is cell `{expected}`")]
    WrongCell {
        /// The journal's cell.
        expected: CellId,
        /// The checkpoint's.
        found: CellId,
    },
    /// The journal's relay key (record 0) did not sign the checkpoint.
    #[error(
        "the checkpoint's signature does not verify under the journal's relay key {relay_key}: \
         another relay signed it, it was altered, or the journal was rewritten under a new key"
    )]
    Signature {
        /// The relay key of the journal's record 0.
        relay_key: PublicKeyBytes,
    },
    /// The journal is shorter than the checkpoint.
    #[error(
        "the checkpoint covers {size} records, the journal holds only {records}: the journal \
         was cut short or rolled back"
    )]
    Truncated {
        /// The checkpoint's size.
        size: u64,
        /// Records in the journal.
        records: u64,
    },
    /// The journal's first `size` records are not the ones the checkpoint signed.
    #[error(
        "the journal's first {size} records have root {found}, the checkpoint signed {expected}: \
         {}",
        root_cause(.fork)
    )]
    Root {
        /// The checkpoint's size.
        size: u64,
        /// The checkpoint's root.
        expected: Digest,
        /// The journal's root at that size.
        found: Digest,
        /// Whether the journal holds a relay-signed checkpoint of the same size with `found`.
        fork: bool,
    },
}

/// The end of [`Mismatch::Root`]'s message.
fn root_cause(fork: &bool) -> &'static str {
    if *fork {
        "the journal holds its own checkpoint of that size with the other root, so the relay key \
         signed two histories (a fork)"
    } else {
        "records within that size were rewritten, removed or reordered"
    }
}

/// Checks that the verified journal extends `old`, a checkpoint saved earlier: it is this
/// cell's, signed by the journal's relay key, no larger than the journal, and the journal's
/// tree at its size has its root. Returns the consistency proof from its size to the
/// journal's, verified.
pub fn consistency(verified: &Verified, old: &Checkpoint) -> Result<ConsistencyProof, Mismatch> {
    let open = &verified.open;
    if old.cell != open.cell {
        return Err(Mismatch::WrongCell {
            expected: open.cell.clone(),
            found: old.cell.clone(),
        });
    }
    let signed = PublicKey::from_bytes(open.relay_key.0)
        .is_ok_and(|key| key.verify(&old.signed_bytes(), &old.sig.0).is_ok());
    if !signed {
        return Err(Mismatch::Signature {
            relay_key: open.relay_key,
        });
    }
    let records = verified.tree.len();
    let root_mismatch = |found: Digest| Mismatch::Root {
        size: old.size,
        expected: old.root,
        found,
        fork: checkpoint_at(verified, old.size).is_some_and(|c| c.root == found),
    };
    let Some(mut proof) = ConsistencyProof::new(&verified.tree, old.size, records) else {
        return Err(Mismatch::Truncated {
            size: old.size,
            records,
        });
    };
    if proof.old_root != old.root {
        return Err(root_mismatch(proof.old_root));
    }
    proof.checkpoint = checkpoint_at(verified, records);
    if !proof.verify() {
        // Made from the same tree as the root just compared: a bug in the tree, if ever.
        return Err(root_mismatch(proof.old_root));
    }
    Ok(proof)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use fusioncell_keys::SigningKey;

    use super::*;
    use crate::fixture::Fixture;
    use crate::verify::{VerifyOptions, verify_with};
    use crate::writer::{Journal, Options};

    /// Record 0 and `posts` posts, checkpointed after each record from `checkpoint_from` on.
    fn build(f: &Fixture, dir: &Path, posts: u64, checkpoint_from: u64) -> Verified {
        let (mut j, _) = Journal::open(dir, Options { fsync: false }, |_| {}).unwrap();
        for (i, r) in f.records(posts).into_iter().enumerate() {
            let _ = j.append(&[r]).unwrap();
            if i as u64 + 1 >= checkpoint_from {
                j.checkpoint(&f.relay, i as i64).unwrap();
            }
        }
        drop(j);
        verify_with(dir, &VerifyOptions::new()).unwrap()
    }

    #[test]
    fn every_record_of_a_small_log_has_a_proof_at_every_size() {
        let f = Fixture::new();
        let tmp = tempfile::tempdir().unwrap();
        let v = build(&f, tmp.path(), 10, 1);
        let n = v.tree.len();
        assert_eq!(n, 11);
        for size in 1..=n {
            for seq in 0..size {
                let p = prove(&v, seq, Some(size)).unwrap();
                assert!(p.verify(), "{seq}/{size}");
                // Every size was checkpointed, so every proof carries its signed root.
                let cp = p.checkpoint.as_ref().unwrap();
                assert_eq!((cp.size, cp.root), (size, p.root));
                let json = serde_json::to_string(&p).unwrap();
                assert_eq!(serde_json::from_str::<InclusionProof>(&json).unwrap(), p);
                let mut bad = p.clone();
                bad.leaf_hash.0[0] ^= 1;
                assert!(!bad.verify());
            }
            assert_eq!(
                prove(&v, size, Some(size)),
                Err(ProveError::Seq { seq: size, size })
            );
        }
        assert_eq!(prove(&v, 3, None).unwrap().tree_size, n);
        for size in [0, n + 1] {
            assert_eq!(
                prove(&v, 0, Some(size)),
                Err(ProveError::Size { size, records: n })
            );
        }
    }

    #[test]
    fn consistency_between_every_pair_of_sizes() {
        let f = Fixture::new();
        let tmp = tempfile::tempdir().unwrap();
        let v = build(&f, tmp.path(), 10, 1);
        let n = v.tree.len();
        for new in 0..=n {
            for old in 0..=new {
                let p = ConsistencyProof::new(&v.tree, old, new).unwrap();
                assert!(p.verify(), "{old}->{new}");
                if old > 0 && old < new {
                    let mut bad = p.clone();
                    bad.old_root.0[5] ^= 1;
                    assert!(!bad.verify(), "{old}->{new}");
                }
            }
        }
        // Every saved checkpoint of the journal is extended by it.
        for cp in &v.checkpoints {
            let p = consistency(&v, cp).unwrap();
            assert_eq!((p.old_size, p.new_size), (cp.size, n));
            assert_eq!(p.checkpoint.as_ref(), v.checkpoints.last());
        }
    }

    #[test]
    fn each_mismatch_is_named() {
        let f = Fixture::new();
        let tmp = tempfile::tempdir().unwrap();
        let v = build(&f, tmp.path(), 6, 3);
        let n = v.tree.len();
        let good = v.checkpoints[1].clone();
        assert!(consistency(&v, &good).is_ok());

        let root = good.root.0;
        let other_cell = Checkpoint {
            cell: CellId::new("elsewhere").unwrap(),
            ..good.clone()
        };
        assert!(matches!(
            consistency(&v, &other_cell),
            Err(Mismatch::WrongCell { .. })
        ));
        let stranger = SigningKey::generate().unwrap();
        let foreign = f.checkpoint(good.size, root, good.ts, &stranger);
        assert_eq!(
            consistency(&v, &foreign),
            Err(Mismatch::Signature {
                relay_key: v.open.relay_key
            })
        );
        let longer = f.checkpoint(n + 4, root, 99, &f.relay);
        assert_eq!(
            consistency(&v, &longer),
            Err(Mismatch::Truncated {
                size: n + 4,
                records: n
            })
        );
        // The relay key signed another root for a size the journal checkpointed too: a fork.
        let forked = f.checkpoint(good.size, [9; 32], 99, &f.relay);
        let err = consistency(&v, &forked).unwrap_err();
        assert_eq!(
            err,
            Mismatch::Root {
                size: good.size,
                expected: Digest([9; 32]),
                found: good.root,
                fork: true
            }
        );
        assert!(err.to_string().contains("fork"), "{err}");
        // A size the journal never checkpointed: the records were rewritten.
        let size = v.checkpoints[0].size - 1;
        let rewritten = f.checkpoint(size, [9; 32], 99, &f.relay);
        let err = consistency(&v, &rewritten).unwrap_err();
        assert!(matches!(err, Mismatch::Root { fork: false, .. }), "{err}");
        assert!(err.to_string().contains("rewritten"), "{err}");
    }
}
