//! The identities of a cell from `[[identity]]`: ids unique and not the reserved `relay`, every
//! public key a canonical point of large order and used once.

use std::collections::BTreeMap;

use fusioncell_keys::PublicKey;
use fusioncell_wire::{IdentityId, Role};

use crate::error::CellError;
use crate::field::{display_text, public_key};
use crate::file::IdentityEntry;

/// One identity of the cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Its id.
    pub id: IdentityId,
    /// What it may do.
    pub role: Role,
    /// Display name (the id if the config gives none).
    pub name: String,
    /// Its validated Ed25519 public key.
    pub public_key: PublicKey,
}

/// Validates `[[identity]]` entries.
pub(crate) fn identities(
    entries: Vec<IdentityEntry>,
    relay_key: &PublicKey,
) -> Result<(Vec<Identity>, BTreeMap<IdentityId, usize>), CellError> {
    let mut out = Vec::with_capacity(entries.len());
    let mut index = BTreeMap::new();
    let mut keys: BTreeMap<[u8; 32], usize> = BTreeMap::new();
    for (i, e) in entries.into_iter().enumerate() {
        let field = |name: &str| format!("identity[{i}].{name}");
        if e.id.is_relay() {
            return Err(CellError::invalid(
                field("id"),
                "`relay` is reserved for the relay's own records",
            ));
        }
        if let Some(j) = index.get(&e.id) {
            return Err(CellError::invalid(
                field("id"),
                format!("`{}` is already identity[{j}]", e.id),
            ));
        }
        let name = display_text(&field("name"), e.name, e.id.as_str())?;
        let key = public_key(&field("public_key"), &e.public_key)?;
        if key == *relay_key {
            return Err(CellError::invalid(
                field("public_key"),
                "is the relay's key; every identity needs its own",
            ));
        }
        if let Some(j) = keys.insert(*key.bytes(), i) {
            return Err(CellError::invalid(
                field("public_key"),
                format!("is also identity[{j}]'s key; every identity needs its own"),
            ));
        }
        index.insert(e.id.clone(), i);
        out.push(Identity {
            id: e.id,
            role: e.role,
            name,
            public_key: key,
        });
    }
    if !out.iter().any(|i| i.role == Role::Party) {
        return Err(CellError::invalid(
            "identity",
            "a cell needs at least one identity with role `party`",
        ));
    }
    Ok((out, index))
}
