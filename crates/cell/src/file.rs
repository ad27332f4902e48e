//! The config file as written: raw serde structs, parsed strictly.
//!
//! Every struct denies unknown fields, so a misspelt key (`max_mesage_bytes`) is an error
//! rather than a silently ignored setting that leaves a limit at its default (SECURITY-NOTES
//! P15). Names, roles and policies are typed here, so they are checked while parsing; rules that
//! span several values (unique ids, members that exist, valid keys) are checked by
//! [`crate::model`]. A serde error carries only a byte span, so [`CellFile::parse`] maps it back
//! to a line, a column and the field path the span falls in.

use std::ops::Range;
use std::path::PathBuf;

use fusioncell_wire::{CellId, ChannelId, IdentityId, Role};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::defaults::Limits;
use crate::error::CellError;

/// The whole config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellFile {
    /// `[cell]`: what the cell is called.
    pub cell: CellSection,
    /// `[relay]`: where the relay listens and which files it uses.
    pub relay: RelaySection,
    /// `[limits]`: every key optional.
    #[serde(default)]
    pub limits: Limits,
    /// `[[identity]]`: who takes part. Defaults to none so that an empty cell gets the model's
    /// "needs at least one party" rather than a bare "missing field".
    #[serde(default)]
    pub identity: Vec<IdentityEntry>,
    /// `[[channel]]`: where they talk.
    #[serde(default)]
    pub channel: Vec<ChannelEntry>,
}

/// `[cell]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellSection {
    /// The cell id, bound into every signature.
    pub id: CellId,
    /// Display name; defaults to the id.
    pub name: Option<String>,
}

/// `[relay]`. Paths are as written, relative to the config file's folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaySection {
    /// Socket address to bind, parsed by the model.
    pub listen: String,
    /// URL clients dial; defaults to `wss://` + listen.
    pub public_url: Option<String>,
    /// The relay's Ed25519 public key, 64 hex characters.
    pub public_key: String,
    /// The relay's private signing key (PKCS#8 PEM).
    pub key: PathBuf,
    /// The relay's TLS certificate chain (PEM).
    pub tls_cert: PathBuf,
    /// The TLS certificate's private key (PEM).
    pub tls_key: PathBuf,
    /// The CA certificate clients trust for the relay (PEM).
    pub ca: PathBuf,
    /// The journal folder.
    pub journal: PathBuf,
    /// Exact-match browser `Origin` allow-list.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Skip fsync before acknowledging.
    #[serde(default)]
    pub dangerous_no_fsync: bool,
}

/// One `[[identity]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityEntry {
    /// Its id.
    pub id: IdentityId,
    /// Its role.
    pub role: Role,
    /// Display name; defaults to the id.
    pub name: Option<String>,
    /// Its Ed25519 public key, 64 hex characters.
    pub public_key: String,
}

/// One `[[channel]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelEntry {
    /// Its id.
    pub id: ChannelId,
    /// Display title; defaults to the id.
    pub title: Option<String>,
    /// How posts flow.
    pub policy: PolicyName,
    /// Identities that read and write it.
    pub members: Vec<IdentityId>,
    /// Identities that only read it.
    #[serde(default)]
    pub readers: Vec<IdentityId>,
    /// Hotline only: seconds the other side has to acknowledge a post.
    pub ack_seconds: Option<u32>,
}

/// A channel policy as written; [`crate::model::Policy`] adds its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PolicyName {
    /// Members post freely.
    Open,
    /// A party's post waits for the mediator's release.
    Moderated,
    /// A post must be acknowledged by the other side in time, or it escalates.
    Hotline,
}

impl CellFile {
    /// Parses config text strictly. A syntax error, an unknown or missing key and a value of
    /// the wrong type or form are all a [`CellError::Parse`] at the offending position.
    pub fn parse(text: &str) -> Result<CellFile, CellError> {
        // Parse the document once without a schema: syntax errors are reported as such, and
        // the spanned tree lets a schema error's byte span be named as a field path.
        let doc = DeTable::parse(text).map_err(|e| parse_error(text, &e, None))?;
        toml::from_str(text).map_err(|e| parse_error(text, &e, Some(&doc)))
    }
}

/// Converts a toml error to a one-line [`CellError::Parse`], prefixed with the field path
/// when the error's span falls in a known key or value.
fn parse_error(text: &str, e: &toml::de::Error, doc: Option<&Spanned<DeTable<'_>>>) -> CellError {
    let start = e.span().map_or(0, |s| s.start);
    let (line, column) = line_column(text, start);
    let message = e.message().replace(['\n', '\r'], " ");
    let path = doc
        .zip(e.span())
        .map(|(doc, span)| field_path(doc, &span))
        .unwrap_or_default();
    let message = if path.is_empty() {
        message
    } else {
        format!("{path}: {message}")
    };
    CellError::Parse {
        line,
        column,
        message,
    }
}

/// 1-based line and character column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// The path (`identity[2].role`) of the innermost key or value whose span holds `span`, or ""
/// for the root table itself (a key missing there is reported at the root's empty span).
fn field_path(doc: &Spanned<DeTable<'_>>, span: &Range<usize>) -> String {
    let mut path = String::new();
    if doc.span() != *span {
        find_in_table(doc.get_ref(), span, &mut path);
    }
    path
}

/// Whether `outer` holds the error span. Empty error spans (a missing key reported at a table)
/// count when they start inside.
fn holds(outer: &Range<usize>, span: &Range<usize>) -> bool {
    outer.start <= span.start && span.start < outer.end.max(outer.start + 1)
}

/// Appends the path within `table` to `path`; returns whether anything matched.
///
/// The spans of `[[identity]]` tables cover only their header, so the walk descends into every
/// table and array instead of only those whose span holds the error.
fn find_in_table(table: &DeTable<'_>, span: &Range<usize>, path: &mut String) -> bool {
    for (key, value) in table.iter() {
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key.get_ref());
        if holds(&key.span(), span) || find_in_value(value, span, path) {
            return true;
        }
        path.truncate(len);
    }
    false
}

/// Appends the path within `value` to `path`; returns whether anything matched.
fn find_in_value(value: &Spanned<DeValue<'_>>, span: &Range<usize>, path: &mut String) -> bool {
    let found_inside = match value.get_ref() {
        DeValue::Table(table) => find_in_table(table, span, path),
        DeValue::Array(items) => items.iter().enumerate().any(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = find_in_value(item, span, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        _ => false,
    };
    found_inside || holds(&value.span(), span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // After "bé " (4 bytes, 3 characters).
        assert_eq!(line_column(text, 10), (2, 4));
    }

    #[test]
    fn spans_map_to_field_paths() {
        let text = "[cell]\nid = \"x\"\n\n[[identity]]\nid = \"a\"\n\n[[identity]]\nid = \"b\"\n\
                    role = \"king\"\n\n[[channel]]\nmembers = [\"a\", \"b\"]\n";
        let doc = DeTable::parse(text).unwrap();
        let at = |needle: &str| {
            let start = text.find(needle).unwrap();
            field_path(&doc, &(start..start + needle.len()))
        };
        assert_eq!(at("\"king\""), "identity[1].role");
        assert_eq!(at("role"), "identity[1].role");
        assert_eq!(at("\"x\""), "cell.id");
        assert_eq!(at("\"b\"]"), "channel[0].members[1]");
        assert_eq!(field_path(&doc, &doc.span()), "");
    }
}
