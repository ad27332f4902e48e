//! The report as an HSEEP After-Action Report / Improvement Plan (AAR/IP) skeleton in
//! Markdown: the AAR/IP front matter ([`crate::sections::aar_ip`]), then the report's
//! sections as appendices. Every piece of text goes through [`escape`] here, in one place, so
//! it renders as the text it is (no Markdown, no HTML, no broken table). Charts are not
//! drawn.

use std::fmt::Write as _;

use crate::model::AfterAction;
use crate::sections::{self, Block, Inline, Line, Table};

/// Escapes text for Markdown (table cells included): punctuation that Markdown would
/// interpret is backslash-escaped, `<`, `>` and `&` become entities (Markdown passes raw HTML
/// through), and line breaks become spaces.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {}
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Renders the AAR/IP skeleton.
pub fn render(aar: &AfterAction) -> String {
    let mut out = String::with_capacity(32 * 1024 + aar.entries.len() * 200);
    let marking = format!("**{}**\n\n", escape(&aar.marking));
    out.push_str(&marking);
    blocks(&mut out, &sections::aar_ip(aar), 0);
    out.push_str("## Appendices\n\n");
    for (i, section) in sections::sections(aar).iter().enumerate() {
        let letter = char::from(b'A' + u8::try_from(i).unwrap_or(0));
        let _ = write!(out, "### Appendix {letter}: {}\n\n", section.heading);
        blocks(&mut out, &section.blocks, 1);
    }
    out.push_str(&marking);
    out
}

/// Renders blocks; headings are moved `deeper` levels down (appendix sub-headings).
fn blocks(out: &mut String, blocks: &[Block], deeper: u8) {
    for b in blocks {
        match b {
            Block::Paragraph(l) | Block::Note(l) => paragraph(out, &line(l)),
            Block::Warn(l) => paragraph(out, &format!("> {}", line(l))),
            Block::Nothing(s) => paragraph(out, &escape(s)),
            Block::Heading(level, l) => {
                let hashes = "#".repeat(usize::from(level.saturating_add(deeper).clamp(1, 6)));
                paragraph(out, &format!("{hashes} {}", line(l)));
            }
            Block::Bullets(items) => {
                for (item, sub) in items {
                    let _ = writeln!(out, "- {}", line(item));
                    for s in sub {
                        let _ = writeln!(out, "  - {}", line(s));
                    }
                }
                out.push('\n');
            }
            Block::Table(t) => table(out, t),
            Block::Facts(facts) => {
                let rows = facts
                    .iter()
                    .map(|(name, value)| vec![Line::from(name.as_str()), value.clone()])
                    .collect();
                table(out, &Table::new(&["Fact", "Value"], &[], rows));
            }
            Block::Cards(cards) => {
                let rows = cards
                    .iter()
                    .map(|(value, label)| vec![Line::from(label.as_str()), value.as_str().into()])
                    .collect();
                table(out, &Table::new(&["Measure", "Value"], &[], rows));
            }
            Block::Chart(_) => {}
            Block::Details(summary, inner) => {
                let hashes = "#".repeat(usize::from(deeper.saturating_add(3).min(6)));
                paragraph(out, &format!("{hashes} {}", escape(summary)));
                self::blocks(out, inner, deeper);
            }
        }
    }
}

fn paragraph(out: &mut String, text: &str) {
    out.push_str(text);
    out.push_str("\n\n");
}

fn table(out: &mut String, t: &Table) {
    let headers: Vec<String> = t.headers.iter().map(|h| escape(h)).collect();
    let _ = write!(out, "| {} |\n|", headers.join(" | "));
    for i in 0..t.headers.len() {
        out.push_str(if t.numeric.contains(&i) {
            "--:|"
        } else {
            "---|"
        });
    }
    out.push('\n');
    for row in &t.rows {
        let cells: Vec<String> = row.iter().map(line).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

/// A line of pieces as Markdown; safe in a table cell (no `|`, no line break).
fn line(l: &Line) -> String {
    l.0.iter().map(inline).collect()
}

fn inline(piece: &Inline) -> String {
    match piece {
        Inline::Text(s) | Inline::Time(s) | Inline::Status(_, s) | Inline::Redacted(s) => escape(s),
        Inline::Strong(s) => format!("**{}**", escape(s)),
        Inline::Muted(s) => format!("_{}_", escape(s)),
        // A record reference links to the record's row in the transcript appendix.
        Inline::Seq(n) => format!("[\\#{n}](#r{n})"),
        Inline::Anchor(n) => format!("<a id=\"r{n}\"></a>{n}"),
        Inline::Mono(s)
            if s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:".contains(c)) =>
        {
            format!("`{s}`")
        }
        Inline::Mono(s) => escape(s),
        Inline::Break => "<br>".to_owned(),
        Inline::List(items) => items.iter().map(line).collect::<Vec<_>>().join("<br>"),
    }
}
