//! Test fixtures: the repository's example cell with its fixed development keys.

use std::path::Path;
use std::sync::Arc;

use fusioncell_cell::Cell;
use fusioncell_keys::{SigningKey, sha256};
use fusioncell_wire::{
    Act, ActKind, CellId, ChannelId, Digest, IdentityId, SignatureBytes, SignedAct, canonical,
};

use crate::verify::{VerifiedAct, verify};

/// The example cell (config/cell.example.toml).
pub(crate) fn example_cell() -> Arc<Cell> {
    let text = include_str!("../../../config/cell.example.toml");
    Arc::new(Cell::from_toml(text, Path::new("config")).expect("example cell"))
}

/// Metrics for a relay of `cell`, with nobody connected.
pub(crate) fn metrics(cell: &Cell) -> Arc<crate::metrics::Metrics> {
    crate::metrics::Metrics::detached(cell)
}

/// The development key of an example identity (certs-example/keys).
pub(crate) fn key(id: &str) -> SigningKey {
    let seed = match id {
        "relay" => 1,
        "israel" => 2,
        "syria" => 3,
        "us" => 4,
        "control" => 5,
        "france" => 6,
        "evaluator" => 7,
        other => panic!("no example key for {other}"),
    };
    SigningKey::from_seed([seed; 32])
}

/// A post by `actor`, signed with its key and verified.
pub(crate) fn verified(
    cell: &Cell,
    actor: &str,
    channel: &str,
    seq: u64,
    ts: i64,
    body: &str,
) -> VerifiedAct {
    let act = Act {
        kind: ActKind::Post,
        cell: CellId::clone(cell.id()),
        channel: Some(ChannelId::new(channel).expect("channel")),
        actor: IdentityId::new(actor).expect("actor"),
        seq,
        ts,
        body_sha256: Digest(sha256(body.as_bytes())),
    };
    let sig = SignatureBytes(key(actor).sign(&canonical::act_bytes(&act)));
    let signed = SignedAct {
        act,
        body: body.to_owned(),
        sig,
    };
    verify(cell, signed).expect("verifies")
}
