//! What a witness checks before it cosigns a relay checkpoint: the relay's signature, and that
//! the history extends the last checkpoint seen (never the same size with another root, never
//! a smaller size). A fork or rollback is reported loudly and never cosigned (PROTOCOL.md §3.3).

use fusioncell_keys::PublicKey;
use fusioncell_wire::{Checkpoint, PublicKeyBytes};

/// Why a checkpoint cannot be trusted: a bad relay signature, or a history that does not
/// extend the last one seen (the same size with another root, or a smaller size). A full
/// consistency proof is the auditor's job (`audit consistency`); these checks need nothing
/// but the two checkpoints.
pub fn checkpoint_problem(
    relay_key: &PublicKeyBytes,
    prev: Option<&Checkpoint>,
    cp: &Checkpoint,
) -> Option<String> {
    let signed = PublicKey::from_bytes(relay_key.0)
        .ok()
        .is_some_and(|k| k.verify(&cp.signed_bytes(), &cp.sig.0).is_ok());
    if !signed {
        return Some(format!(
            "checkpoint of size {} is not signed by the relay key",
            cp.size
        ));
    }
    let prev = prev?;
    if cp.size == prev.size && cp.root != prev.root {
        return Some(format!(
            "fork: two checkpoints of size {} with different roots",
            cp.size
        ));
    }
    if cp.size < prev.size {
        return Some(format!(
            "rollback: checkpoint of size {} after one of size {}",
            cp.size, prev.size
        ));
    }
    None
}
