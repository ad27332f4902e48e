//! Names of cells, channels and identities, and the roles identities hold.
//!
//! Names are restricted to a small alphabet so that they are safe in file names, log lines and
//! canonical bytes without escaping: 1 to 64 characters of `a-z`, `0-9`, `-` and `_`, starting
//! with a letter or digit.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The name is empty or longer than [`MAX_NAME_LEN`].
    #[error("name must be 1 to {MAX_NAME_LEN} characters, got {0}")]
    Length(usize),
    /// The name contains a character outside `a-z 0-9 - _` or starts with `-`/`_`.
    #[error(
        "name `{0}` may contain only a-z, 0-9, '-' and '_', and must start with a letter or digit"
    )]
    Alphabet(String),
}

/// Longest accepted name, in bytes.
pub const MAX_NAME_LEN: usize = 64;

/// Longest accepted scenario id (inject control number, move id, objective id), in bytes:
/// ample for any MSEL numbering, short enough to stay one readable column.
pub const MAX_SCENARIO_ID_LEN: usize = 64;

/// The rule for a scenario's ids, which an `observe` act also names (its objective).
///
/// Spreadsheet MSELs number things in many ways (`M1-03`, `ADMIN-1`, `12`, `2.4`), so these
/// are looser than the names above: 1 to 64 ASCII letters, digits and `-_.:/`. What they
/// exclude matters more: no spaces (`M1 03` and `M1-03` must not both exist and look alike in
/// a report), no control characters, nothing a log line or CSV cell would need to escape.
pub fn check_scenario_id(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > MAX_SCENARIO_ID_LEN {
        return Err(format!(
            "must be 1 to {MAX_SCENARIO_ID_LEN} characters, got {}",
            s.len()
        ));
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/');
    if !s.chars().all(ok) {
        return Err(format!(
            "`{s}` may contain only ASCII letters, digits and - _ . : / (no spaces)"
        ));
    }
    Ok(())
}

fn check_name(s: &str) -> Result<(), IdError> {
    if s.is_empty() || s.len() > MAX_NAME_LEN {
        return Err(IdError::Length(s.len()));
    }
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    let first_ok = s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !first_ok || !s.chars().all(ok_char) {
        return Err(IdError::Alphabet(s.to_owned()));
    }
    Ok(())
}

/// Declares a validated string newtype: `new` runs `check` (a `fn(&str) -> Result<(), error>`)
/// so every value of the type passed it, and serde, `FromStr` and `TryFrom<String>` all go
/// through `new`. Exported so that other crates' ids (a scenario's control numbers) get the
/// same conversions with their own alphabet, without a second copy of this code.
#[macro_export]
macro_rules! validated_name {
    ($(#[$doc:meta])* $name:ident, check: $check:path, error: $err:ty) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize,
            ::serde::Deserialize,
        )]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps a name; the error says why it was refused.
            pub fn new(s: impl Into<String>) -> Result<Self, $err> {
                let s = s.into();
                $check(&s)?;
                Ok(Self(s))
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, $err> {
                Self::new(s)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, $err> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                // `pad`, not `write_str`, so that width and alignment flags apply.
                f.pad(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

validated_name!(
    /// The id of one cell (one exercise's communication space). Bound into every signature, so
    /// an act cannot be replayed into another cell.
    CellId,
    check: check_name,
    error: IdError
);
validated_name!(
    /// The id of a channel within a cell.
    ChannelId,
    check: check_name,
    error: IdError
);
validated_name!(
    /// The id of an identity (a delegation, the mediator, exercise control, ...). The name
    /// [`IdentityId::RELAY`] is reserved for the relay's own records.
    IdentityId,
    check: check_name,
    error: IdError
);

impl IdentityId {
    /// The reserved actor name of records the relay itself writes (cell opened, security
    /// events, recovery reports).
    pub const RELAY: &'static str = "relay";

    /// The relay's identity.
    pub fn relay() -> Self {
        Self(Self::RELAY.to_owned())
    }

    /// Whether this is the relay's reserved identity.
    pub fn is_relay(&self) -> bool {
        self.0 == Self::RELAY
    }
}

/// What an identity may do in a cell (what it may post: PROTOCOL.md §3.2; read: §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// A delegation: reads and writes the channels it is a member of.
    Party,
    /// The third-party mediator: reads and writes every channel; supervisory powers.
    Mediator,
    /// Exercise control (the "white cell"): reads every channel, injects into any channel.
    Control,
    /// Reads the channels it is granted; writes nothing.
    Observer,
    /// Reads every channel; writes private observations only.
    Evaluator,
}

impl Role {
    /// The role's name as written in configs and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Party => "party",
            Role::Mediator => "mediator",
            Role::Control => "control",
            Role::Observer => "observer",
            Role::Evaluator => "evaluator",
        }
    }

    /// Whether the role reads every channel regardless of membership.
    pub fn reads_all(self) -> bool {
        matches!(self, Role::Mediator | Role::Control | Role::Evaluator)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(IdentityId::new("israel").is_ok());
        assert!(ChannelId::new("us-israel").is_ok());
        assert!(CellId::new("paris_2025").is_ok());
        assert_eq!(IdentityId::new(""), Err(IdError::Length(0)));
        assert!(IdentityId::new("-x").is_err());
        assert!(IdentityId::new("Israel").is_err());
        assert!(IdentityId::new("a b").is_err());
        assert!(IdentityId::new("a".repeat(65)).is_err());
        assert!(IdentityId::new("é").is_err());
    }

    #[test]
    fn names_deserialize_strictly() {
        let id: IdentityId = serde_json::from_str("\"syria\"").unwrap();
        assert_eq!(id.as_str(), "syria");
        assert!(serde_json::from_str::<IdentityId>("\"SYRIA\"").is_err());
        assert!(serde_json::from_str::<Role>("\"king\"").is_err());
    }
}
