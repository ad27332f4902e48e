//! Why a scenario, an import, a persona or a scheduler command was refused.
//!
//! Every file error says where, on one line, so the CLI can print `paris-talks.toml: <error>`
//! and the author knows what to fix without reading code: TOML errors give the line and the
//! field path (`inject[3].move`), CSV errors the line and the column's header as the
//! spreadsheet spells it.

use fusioncell_wire::ChannelId;

use crate::ids::InjectId;
use crate::schedule::Status;
use fusioncell_cell::toml_location::Located;

/// A scenario (MSEL) TOML that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// Not TOML, or not TOML of the scenario's shape: an unknown or missing key, a value of the
    /// wrong type, a bad time, id or channel name, an empty text. `message` starts with the
    /// field path when the position maps to a key, e.g. `inject[2].at: ...`.
    #[error("line {line}, column {column}: {message}")]
    Parse {
        /// 1-based line of the offending text.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What is wrong, on one line.
        message: String,
    },
    /// The file parses but breaks a rule that spans values (a duplicate control number, an
    /// inject naming a move that does not exist, no injects at all).
    #[error("line {line}: {field}: {reason}")]
    Invalid {
        /// 1-based line of the offending value.
        line: usize,
        /// The field path, e.g. `inject[4].id`.
        field: String,
        /// Why the value is refused.
        reason: String,
    },
    /// An inject is delivered to a channel the cell does not have
    /// ([`crate::Scenario::check_channels`]).
    #[error("inject {inject} ({field}): `{channel}` is not a channel of the cell")]
    UnknownChannel {
        /// The inject's control number.
        inject: InjectId,
        /// Its field path, e.g. `inject[4].channel`.
        field: String,
        /// The unknown channel.
        channel: ChannelId,
    },
}

impl From<Located> for ScenarioError {
    fn from(l: Located) -> Self {
        ScenarioError::Parse {
            line: l.line,
            column: l.column,
            message: l.message,
        }
    }
}

/// A spreadsheet MSEL (CSV) that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The text is not readable CSV (e.g. not UTF-8).
    #[error("line {line}: not readable CSV: {message}")]
    Csv {
        /// 1-based line.
        line: u64,
        /// What the CSV reader said.
        message: String,
    },
    /// Nothing but blank or `#` lines: no header row.
    #[error("no header row: the file has no line that is not blank or a `#` line")]
    NoHeader,
    /// The header row lacks required columns.
    #[error("line {line}: missing required columns: {missing}")]
    MissingColumns {
        /// 1-based line of the header row.
        line: u64,
        /// Each missing field with the headers accepted for it.
        missing: String,
    },
    /// Two columns give the same field (e.g. both `Message` and `Description` give the text).
    #[error("line {line}: columns \"{first}\" and \"{second}\" both give the {field}")]
    DuplicateColumn {
        /// 1-based line of the header row.
        line: u64,
        /// The field both give.
        field: &'static str,
        /// The first column's header.
        first: String,
        /// The second column's header.
        second: String,
    },
    /// A bad value in one cell.
    #[error("line {line}, column \"{column}\": {message}")]
    Value {
        /// 1-based line where the row starts.
        line: u64,
        /// The column's header as written in the file.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A bad `# key: value` line above the header.
    #[error("line {line}: {message}")]
    Metadata {
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A header and no inject rows.
    #[error("the file has a header but no inject rows")]
    NoInjects,
}

/// A bot persona TOML that cannot be used, or that does not fit a scenario and cell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PersonaError {
    /// Not TOML, or not TOML of the persona's shape. `message` starts with the field path when
    /// the position maps to a key, e.g. `on_inject[1].after_s: ...`.
    #[error("line {line}, column {column}: {message}")]
    Parse {
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What is wrong, on one line.
        message: String,
    },
    /// The file parses but a rule is inconsistent (both `inject` and `inject_channel`, a
    /// rejection possible without a reason, ...).
    #[error("line {line}: {field}: {reason}")]
    Invalid {
        /// 1-based line of the rule.
        line: usize,
        /// The field path, e.g. `on_inject[2]`.
        field: String,
        /// Why.
        reason: String,
    },
    /// The persona refers to an inject or channel that the scenario or cell lacks
    /// ([`crate::Persona::check`]).
    #[error("{field}: {reason}")]
    Mismatch {
        /// The field path, e.g. `on_inject[2].inject`.
        field: String,
        /// Why.
        reason: String,
    },
}

impl From<Located> for PersonaError {
    fn from(l: Located) -> Self {
        PersonaError::Parse {
            line: l.line,
            column: l.column,
            message: l.message,
        }
    }
}

/// A scheduler command that does not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// No inject has this control number.
    #[error("no inject `{0}` in the scenario")]
    Unknown(String),
    /// The inject has been delivered; an inject never fires twice.
    #[error("inject {0} has already fired")]
    AlreadyFired(InjectId),
    /// The command needs another status (e.g. `release` of an inject that is not held).
    #[error("cannot {command} inject {id}: it is {status}")]
    WrongStatus {
        /// What was asked.
        command: &'static str,
        /// The inject.
        id: InjectId,
        /// Its status.
        status: Status,
    },
}
