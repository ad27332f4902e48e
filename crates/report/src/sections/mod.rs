//! The report's content as one model, computed once from the [`AfterAction`] and rendered by
//! both [`crate::html`] and [`crate::markdown`]: sections of blocks (paragraphs, tables,
//! facts, charts), whose text is held as typed [`Inline`] pieces. Nothing here is escaped:
//! each renderer escapes every piece of text for its own format, in one place, so no table
//! or sentence is assembled twice and no call site has to remember to escape.

mod aar_ip;
mod clock;
mod expected;
mod hotline;
mod injects;
mod integrity;
mod moderation;
mod objectives;
mod participation;
mod security;
mod summary;
mod transcript;

pub use aar_ip::aar_ip;

use crate::model::AfterAction;

/// The report's sections: element id and heading, in order.
pub const SECTIONS: [(&str, &str); 11] = [
    ("summary", "Summary"),
    ("timeline", "Timeline"),
    ("injects", "Injects and responses"),
    ("objectives", "Evaluation by objective"),
    ("expected", "Expected actions and observations"),
    ("moderation", "Moderation"),
    ("clock", "Clock: pauses and halts"),
    ("hotline", "Hotline"),
    ("participation", "Participation"),
    ("security", "Security events"),
    ("integrity", "Integrity"),
];

/// One section of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Its element id (HTML anchor).
    pub id: &'static str,
    /// Its heading.
    pub heading: &'static str,
    /// Its content, in order.
    pub blocks: Vec<Block>,
}

/// Every section of [`SECTIONS`], built from the after-action value.
pub fn sections(aar: &AfterAction) -> Vec<Section> {
    let builders: [fn(&AfterAction) -> Vec<Block>; 11] = [
        summary::blocks,
        transcript::blocks,
        injects::blocks,
        objectives::blocks,
        expected::blocks,
        moderation::blocks,
        clock::blocks,
        hotline::blocks,
        participation::blocks,
        security::blocks,
        integrity::blocks,
    ];
    builders
        .iter()
        .zip(SECTIONS)
        .map(|(build, (id, heading))| Section {
            id,
            heading,
            blocks: build(aar),
        })
        .collect()
}

/// A piece of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph.
    Paragraph(Line),
    /// A paragraph of explanation, set apart from the findings.
    Note(Line),
    /// A warning, or a notice set apart from the text (a Markdown block quote).
    Warn(Line),
    /// A statement that there is nothing to list.
    Nothing(String),
    /// A heading; level 3 is a sub-heading of a section.
    Heading(u8, Line),
    /// A bulleted list; each item may have sub-items.
    Bullets(Vec<(Line, Vec<Line>)>),
    /// A table.
    Table(Table),
    /// Name and value pairs.
    Facts(Vec<(String, Line)>),
    /// Headline numbers: value and what it counts.
    Cards(Vec<(String, String)>),
    /// A chart drawn from the after-action value; only the HTML report draws charts.
    Chart(Chart),
    /// Content folded away behind a one-line summary.
    Details(String, Vec<Block>),
}

/// The charts of the HTML report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// Each channel's records over scenario time, with the clock's changes.
    Timeline,
    /// Time from inject to first response.
    ResponseTimes,
    /// Acts per identity by category.
    Participation,
}

/// A table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Column headers.
    pub headers: Vec<&'static str>,
    /// Indices of the columns holding numbers (right-aligned).
    pub numeric: Vec<usize>,
    /// Rows of cells.
    pub rows: Vec<Vec<Line>>,
}

impl Table {
    /// A table with these headers; `numeric` names the right-aligned columns.
    pub fn new(headers: &[&'static str], numeric: &[usize], rows: Vec<Vec<Line>>) -> Table {
        Table {
            headers: headers.to_vec(),
            numeric: numeric.to_vec(),
            rows,
        }
    }
}

/// A run of text: a table cell, a fact's value, a paragraph.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Line(pub Vec<Inline>);

/// A piece of text, typed by what it is rather than by how a format shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    /// Plain text.
    Text(String),
    /// Emphasized text.
    Strong(String),
    /// A reference to a record: a link to its row in the timeline.
    Seq(u64),
    /// A record's own row, the target of [`Inline::Seq`].
    Anchor(u64),
    /// A time, set in tabular figures.
    Time(String),
    /// A hash, address or identifier, set in monospace.
    Mono(String),
    /// An outcome, coloured by its tone.
    Status(Tone, String),
    /// Muted text.
    Muted(String),
    /// Text standing in for a redacted body.
    Redacted(String),
    /// A line break.
    Break,
    /// A compact bulleted list within a cell.
    List(Vec<Line>),
}

/// How an outcome reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// As it should be.
    Ok,
    /// Refused, escalated, halted.
    Bad,
    /// Still open.
    Pending,
}

impl Line {
    /// Appends a piece.
    pub fn push(mut self, piece: Inline) -> Line {
        self.0.push(piece);
        self
    }

    /// Appends plain text.
    pub fn text(self, s: impl Into<String>) -> Line {
        self.push(Inline::Text(s.into()))
    }

    /// Appends another line's pieces.
    pub fn extend(mut self, other: Line) -> Line {
        self.0.extend(other.0);
        self
    }

    /// Lines joined by a separator.
    pub fn join(lines: impl IntoIterator<Item = Line>, separator: Inline) -> Line {
        let mut out = Line::default();
        for (i, l) in lines.into_iter().enumerate() {
            if i > 0 {
                out.0.push(separator.clone());
            }
            out.0.extend(l.0);
        }
        out
    }
}

impl From<Inline> for Line {
    fn from(piece: Inline) -> Line {
        Line(vec![piece])
    }
}

impl From<String> for Line {
    fn from(s: String) -> Line {
        Inline::Text(s).into()
    }
}

impl From<&str> for Line {
    fn from(s: &str) -> Line {
        Inline::Text(s.to_owned()).into()
    }
}

/// An em dash for an empty cell.
pub(crate) fn dash() -> Line {
    "—".into()
}

/// A reference to a record.
pub(crate) fn seq(n: u64) -> Line {
    Inline::Seq(n).into()
}

/// A time in tabular figures.
pub(crate) fn time(s: String) -> Line {
    Inline::Time(s).into()
}

/// Optional text, or a dash.
pub(crate) fn text_or_dash(s: Option<&str>) -> Line {
    s.map_or_else(dash, Line::from)
}

/// Text that is absent because it was redacted.
pub(crate) fn redacted() -> Line {
    Inline::Redacted("[redacted]".into()).into()
}

/// `1 response`, `2 responses`.
pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
