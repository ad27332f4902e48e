//! Where in a TOML file something is: line, column and field path.
//!
//! A serde error from `toml` carries only a byte span. This maps the span back to a 1-based
//! line and column and to the path of the key it falls in (`inject[3].at`), so an author of a
//! cell config, scenario or persona reads `line 40, column 6: inject[3].at: ...` and goes straight there.
//! Shared by the cell config, scenarios and bot personas.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A TOML parse or shape error, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The message, prefixed with the field path when the span falls in a key or value.
    pub message: String,
}

/// Parses `text` strictly into `T`, locating any error.
pub fn from_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Located> {
    // Parse once without a schema: syntax errors are reported as such, and the spanned tree
    // lets a schema error's byte span be named as a field path.
    let doc = DeTable::parse(text).map_err(|e| locate(text, &e, None))?;
    toml::from_str(text).map_err(|e| locate(text, &e, Some(&doc)))
}

fn locate(text: &str, e: &toml::de::Error, doc: Option<&Spanned<DeTable<'_>>>) -> Located {
    let start = e.span().map_or(0, |s| s.start);
    let (line, column) = line_column(text, start);
    let message = e.message().trim().replace(['\n', '\r'], " ");
    let path = doc
        .zip(e.span())
        .map(|(doc, span)| field_path(doc, &span))
        .unwrap_or_default();
    let message = if path.is_empty() {
        message
    } else {
        format!("{path}: {message}")
    };
    Located {
        line,
        column,
        message,
    }
}

/// 1-based line and character column of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    line_column(text, offset).0
}

/// The path (`inject[2].move`) of the innermost key or value whose span holds `span`, or ""
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
/// The spans of `[[inject]]` tables cover only their header, so the walk descends into every
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
        assert_eq!(line_column(text, 10), (2, 4));
        assert_eq!(line_of(text, 1000), 3);
    }

    #[test]
    fn spans_map_to_field_paths() {
        let text = "[scenario]\ntitle = \"x\"\n\n[[inject]]\nid = \"a\"\n\n[[inject]]\nid = \"b\"\n\
                    at = \"nope\"\nexpected = [\"p\", \"q\"]\n";
        let doc = DeTable::parse(text).unwrap();
        let at = |needle: &str| {
            let start = text.find(needle).unwrap();
            field_path(&doc, &(start..start + needle.len()))
        };
        assert_eq!(at("\"nope\""), "inject[1].at");
        assert_eq!(at("\"x\""), "scenario.title");
        assert_eq!(at("\"q\""), "inject[1].expected[1]");
        assert_eq!(field_path(&doc, &doc.span()), "");
    }
}
