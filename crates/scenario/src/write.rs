//! Writing a scenario back as TOML, for review and version control after an import.
//!
//! Written by hand rather than through serde so the file reads like one an author would
//! write: `[scenario]`, then the moves, then the injects in file order, times as `HH:MM:SS`,
//! one expected action per line, long texts as multi-line strings, and optional keys left out
//! when empty. [`Scenario::from_toml`] reads the output back to an equal scenario.

use std::fmt::Write as _;

use fusioncell_cell::toml_string::{basic_string, multiline_string};

use crate::msel::Scenario;
use crate::time::format_at;

/// The TOML text of `s`.
pub(crate) fn scenario_to_toml(s: &Scenario) -> String {
    let mut out = String::new();
    out.push_str("# fusioncell scenario (MSEL). Times are from STARTEX, HH:MM:SS.\n\n");
    out.push_str("[scenario]\n");
    key(&mut out, "title", s.title());
    if let Some(d) = s.description() {
        key(&mut out, "description", d);
    }
    if let Some(speed) = s.speed() {
        let _ = writeln!(out, "speed = {speed}");
    }
    for m in s.moves() {
        out.push_str("\n[[move]]\n");
        key(&mut out, "id", m.id.as_str());
        key(&mut out, "title", &m.title);
    }
    for o in s.objectives() {
        out.push_str("\n[[objective]]\n");
        key(&mut out, "id", o.id.as_str());
        key(&mut out, "title", &o.title);
        if let Some(c) = &o.capability {
            key(&mut out, "capability", c);
        }
        if !o.tasks.is_empty() {
            out.push_str("tasks = [\n");
            for t in &o.tasks {
                let _ = writeln!(out, "  {},", basic_string(t));
            }
            out.push_str("]\n");
        }
    }
    for i in s.injects() {
        out.push_str("\n[[inject]]\n");
        key(&mut out, "id", i.id.as_str());
        key(&mut out, "at", &format_at(i.at_s));
        key(&mut out, "move", i.move_id.as_str());
        if let Some(from) = &i.from {
            key(&mut out, "from", from);
        }
        if let Some(to) = &i.to {
            key(&mut out, "to", to);
        }
        key(&mut out, "channel", i.channel.as_str());
        key(&mut out, "title", &i.title);
        key(&mut out, "text", &i.text);
        if i.expected.is_empty() {
            out.push_str("expected = []\n");
        } else {
            out.push_str("expected = [\n");
            for e in &i.expected {
                let _ = writeln!(out, "  {},", basic_string(e));
            }
            out.push_str("]\n");
        }
        if let Some(o) = &i.objective {
            key(&mut out, "objective", o);
        }
        if let Some(n) = &i.notes {
            key(&mut out, "notes", n);
        }
        if i.contingency {
            out.push_str("contingency = true\n");
        }
    }
    out
}

/// `name = "value"`, as a multi-line string when the value has line breaks.
fn key(out: &mut String, name: &str, value: &str) {
    let _ = if value.contains('\n') {
        writeln!(out, "{name} = {}", multiline_string(value))
    } else {
        writeln!(out, "{name} = {}", basic_string(value))
    };
}
