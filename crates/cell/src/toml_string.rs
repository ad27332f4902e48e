//! TOML string literals, for the files this workspace writes by hand (the example cell, a
//! scenario written back after an import) so that they read like a person's file.
//!
//! Any text round-trips: `"` and `\` are escaped, and control characters take their short
//! escapes or `\uXXXX`, since TOML refuses them raw.

use std::fmt::Write as _;

/// A TOML basic string: `"..."` on one line.
pub fn basic_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        escape(&mut out, c, false);
    }
    out.push('"');
    out
}

/// A TOML multi-line basic string. Its first line break is dropped by TOML, so the value
/// starts on the next line; every `"` is escaped so no run of quotes can close it early.
pub fn multiline_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str("\"\"\"\n");
    for c in s.chars() {
        escape(&mut out, c, true);
    }
    out.push_str("\"\"\"");
    out
}

/// Appends `c` as it stands inside a basic string; line breaks stay raw in a multi-line one.
fn escape(out: &mut String, c: char, multiline: bool) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' if multiline => out.push('\n'),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        c if c.is_control() => {
            let _ = write!(out, "\\u{:04X}", u32::from(c));
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape() {
        assert_eq!(basic_string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(basic_string("x\ny\u{7}"), r#""x\ny\u0007""#);
        let m = multiline_string("line one\nends with \"\"\"");
        let v: toml::Value = toml::from_str(&format!("k = {m}")).unwrap();
        assert_eq!(v["k"].as_str(), Some("line one\nends with \"\"\""));
    }

    #[test]
    fn quoting_round_trips_through_toml() {
        for s in [
            "plain",
            "a \"quoted\" path",
            r"C:\certs\",
            "tab\tnew\nline",
            "bell\u{7}",
        ] {
            let doc = format!("v = {}\n", basic_string(s));
            let table: toml::Table = toml::from_str(&doc).unwrap();
            assert_eq!(table["v"].as_str(), Some(s), "{doc}");
        }
    }
}
