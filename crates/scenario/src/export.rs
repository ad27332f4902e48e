//! Writing a scenario as a spreadsheet MSEL (CSV), for controllers who plan in a spreadsheet.
//!
//! The headers are the common spreadsheet names that [`crate::import_csv`] reads back; the
//! scenario title, description, speed and the moves with their titles go on `#` lines above
//! the header. Expected actions are one per line within their cell. Import of the output gives
//! an equal scenario as long as no expected action contains a `;` or a line break (the
//! spreadsheet form's separators).

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
    // Writing to a Vec cannot fail; the results are only io::Result of Vec::write.
    for line in &lines {
        let _ = w.write_record([line.as_str()]);
    }
    let _ = w.write_record(EXPORT_HEADERS);
    for i in s.injects() {
        let at = format_at(i.at_s);
        let expected = i.expected.join("\n");
        let _ = w.write_record([
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
        ]);
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
}
