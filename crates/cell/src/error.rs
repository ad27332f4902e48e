//! Why a cell config was refused.
//!
//! Every error names where it is (a line and column for TOML that does not parse into the
//! config's shape, a field path such as `channel[0].members[1]` for a value that parses but is
//! not allowed) and why, on one line, so the CLI can print `cell.toml: <error>` and the operator
//! knows what to fix without reading code.

/// A cell config that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CellError {
    /// The text is not TOML, or not TOML of the config's shape (unknown key, missing key, wrong
    /// type, bad name, unknown role). When the position maps to a key, `message` starts with
    /// its field path, e.g. `identity[2].role: unknown variant ...`.
    #[error("line {line}, column {column}: {message}")]
    Parse {
        /// 1-based line of the offending text.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What is wrong, on one line.
        message: String,
    },
    /// The config parses but breaks a rule (a duplicate id, an unknown member, a weak key, ...).
    #[error("{field}: {reason}")]
    Invalid {
        /// The field path, e.g. `identity[2].public_key`.
        field: String,
        /// Why the value is refused.
        reason: String,
    },
}

impl CellError {
    /// An [`CellError::Invalid`] for `field`.
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        CellError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
