//! Importing the usual spreadsheet MSEL, saved as CSV.
//!
//! Controllers keep MSELs in spreadsheets whose headers vary from template to template
//! ("Inject #", "Event #", "Control Number"; "Time", "Scenario Time"; "Method", "Delivery
//! Method"...). Headers are matched case-insensitively, with runs of spaces folded, against
//! the synonyms in [`COLUMNS`]; columns that match nothing (responsible controller, status,
//! evaluator comments) are ignored and listed in [`Import::ignored_columns`] so the CLI can say
//! so. Blank rows are skipped. Each error names the CSV line and the header of the column as
//! the spreadsheet spells it.
//!
//! Lines above the header whose first cell starts with `#` are comments, except these, which
//! carry what a spreadsheet has no column for (and what [`crate::export_csv`] writes):
//! `# title: ...`, `# description: ...`, `# speed: 60`, and `# move: M1: title` (the id ends at the first `: `), which declares
//! a move and its title in order. `# objective: O1: title` declares an objective the same way,
//! and `# capability: O1: ...` and `# task: O1: ...` (repeatable) give its core capability and
//! critical tasks; once objectives are declared, each row's objective must be one of their ids. Moves that rows name but no `# move:` line declares are added
//! in order of appearance, titled by an optional "Move title" column or else by their id.
//!
//! A cell that [`crate::export_csv`] prefixed with `'` to keep a spreadsheet from running it
//! as a formula is read without that quote ([`crate::export::from_spreadsheet_safe`]).

use std::collections::BTreeMap;

use fusioncell_wire::ChannelId;

use crate::error::ImportError;
use crate::export::from_spreadsheet_safe;
use crate::ids::{InjectId, MoveId, ObjectiveId};
use crate::msel::{Inject, Move, Scenario, check_speed, check_text};
use crate::objective::Objective;
use crate::time::parse_at;

/// The title of an imported scenario whose file has no `# title:` line.
pub const DEFAULT_TITLE: &str = "Imported MSEL";

/// A field of an inject that a column can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Column {
    /// The control number.
    Id,
    /// Scenario time.
    At,
    /// The move or phase.
    Move,
    /// The move's title (optional).
    MoveTitle,
    /// Simulated originator.
    From,
    /// Audience.
    To,
    /// Delivery channel.
    Channel,
    /// Short title.
    Title,
    /// Message text.
    Text,
    /// Expected player actions, split on `;` or line breaks.
    Expected,
    /// Objective or core capability.
    Objective,
    /// Controller notes.
    Notes,
    /// Contingency flag.
    Contingency,
}

impl Column {
    /// The field's name in the scenario TOML.
    pub fn name(self) -> &'static str {
        match self {
            Column::Id => "id",
            Column::At => "at",
            Column::Move => "move",
            Column::MoveTitle => "move title",
            Column::From => "from",
            Column::To => "to",
            Column::Channel => "channel",
            Column::Title => "title",
            Column::Text => "text",
            Column::Expected => "expected",
            Column::Objective => "objective",
            Column::Notes => "notes",
            Column::Contingency => "contingency",
        }
    }

    fn required(self) -> bool {
        matches!(
            self,
            Column::Id | Column::At | Column::Move | Column::Channel | Column::Title | Column::Text
        )
    }
}

/// Every column and the headers that give it, lowercase with single spaces.
pub const COLUMNS: &[(Column, &[&str])] = &[
    (
        Column::Id,
        &[
            "inject #",
            "inject",
            "event #",
            "control number",
            "no.",
            "id",
        ],
    ),
    (Column::At, &["time", "scenario time", "offset", "at"]),
    (Column::Move, &["move", "phase"]),
    (Column::MoveTitle, &["move title", "phase title"]),
    (Column::From, &["from"]),
    (Column::To, &["to"]),
    (Column::Channel, &["channel", "method", "delivery method"]),
    (Column::Title, &["title", "subject", "event"]),
    (
        Column::Text,
        &["text", "message", "description", "event description"],
    ),
    (
        Column::Expected,
        &[
            "expected action",
            "expected player action",
            "expected actions",
        ],
    ),
    (Column::Objective, &["objective", "core capability"]),
    (Column::Notes, &["notes", "controller notes"]),
    (Column::Contingency, &["contingency"]),
];

/// An imported scenario and what the import left out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Import {
    /// The scenario.
    pub scenario: Scenario,
    /// Headers of columns that match no field, as written.
    pub ignored_columns: Vec<String>,
}

/// Imports a spreadsheet MSEL saved as CSV.
pub fn import_csv(text: &str) -> Result<Scenario, ImportError> {
    import_csv_report(text).map(|i| i.scenario)
}

/// Imports a spreadsheet MSEL saved as CSV, also reporting the columns it ignored.
pub fn import_csv_report(text: &str) -> Result<Import, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let mut meta = Metadata::default();

    // Above the header: blank lines, comments and metadata.
    let (header_line, header) = loop {
        let Some(record) = records.next() else {
            return Err(ImportError::NoHeader);
        };
        let (line, record) = read(text, record)?;
        if blank(&record) {
            continue;
        }
        let first = record.get(0).unwrap_or("").trim_start();
        if first.starts_with('#') {
            let rest_blank = record.iter().skip(1).all(|f| f.trim().is_empty());
            let raw = if rest_blank {
                first.to_owned()
            } else {
                raw_line(text, &record)
                    .trim_end_matches([',', ' ', '\t', '\r'])
                    .to_owned()
            };
            meta.read(line, raw.trim_start().trim_start_matches('#'))?;
            continue;
        }
        break (line, record);
    };

    let headers: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    let (by_column, ignored_columns) = map_headers(header_line, &headers)?;
    let header_of = |c: Column| by_column.get(&c).map(|&i| headers[i].clone());
    let cell = |record: &csv::StringRecord, c: Column| -> Option<String> {
        let i = *by_column.get(&c)?;
        let v = from_spreadsheet_safe(record.get(i).unwrap_or("").trim());
        (!v.is_empty()).then(|| v.to_owned())
    };

    let mut moves: Vec<Move> = meta.moves.iter().map(|(_, m)| m.clone()).collect();
    // Move id -> (index in `moves`, line where its title was set, whether set by a row).
    let mut move_titles: BTreeMap<MoveId, (usize, u64, bool)> = meta
        .moves
        .iter()
        .enumerate()
        .map(|(i, (line, m))| (m.id.clone(), (i, *line, true)))
        .collect();
    let mut seen: BTreeMap<InjectId, u64> = BTreeMap::new();
    let mut injects = Vec::new();

    for record in records {
        let (line, record) = read(text, record)?;
        if blank(&record) {
            continue;
        }
        if let Some((i, _)) = record
            .iter()
            .enumerate()
            .skip(headers.len())
            .find(|(_, f)| !f.trim().is_empty())
        {
            return Err(ImportError::Value {
                line,
                column: format!("(column {}, no header)", i + 1),
                message: "a value beyond the last header".to_owned(),
            });
        }
        let fail = |c: Column, message: String| ImportError::Value {
            line,
            column: header_of(c).unwrap_or_else(|| c.name().to_owned()),
            message,
        };
        let required =
            |c: Column| cell(&record, c).ok_or_else(|| fail(c, "must not be blank".into()));

        let id = InjectId::new(required(Column::Id)?).map_err(|e| fail(Column::Id, e))?;
        if let Some(first) = seen.insert(id.clone(), line) {
            return Err(fail(
                Column::Id,
                format!("duplicate control number `{id}` (first at line {first})"),
            ));
        }
        let at_s = parse_at(&required(Column::At)?).map_err(|e| fail(Column::At, e))?;
        let move_id = MoveId::new(required(Column::Move)?).map_err(|e| fail(Column::Move, e))?;
        let move_title = cell(&record, Column::MoveTitle);
        match move_titles.get_mut(&move_id) {
            None => {
                move_titles.insert(move_id.clone(), (moves.len(), line, move_title.is_some()));
                moves.push(Move {
                    title: move_title.unwrap_or_else(|| move_id.to_string()),
                    id: move_id.clone(),
                });
            }
            Some((index, set_at, set)) => {
                if let Some(title) = move_title {
                    let current = &mut moves[*index].title;
                    if !*set {
                        *current = title;
                        (*set_at, *set) = (line, true);
                    } else if *current != title {
                        return Err(fail(
                            Column::MoveTitle,
                            format!(
                                "move `{move_id}` is titled \"{current}\" at line {set_at}, \
                                 not \"{title}\""
                            ),
                        ));
                    }
                }
            }
        }
        let channel_text = required(Column::Channel)?.to_lowercase();
        let channel =
            ChannelId::new(channel_text).map_err(|e| fail(Column::Channel, e.to_string()))?;
        let title = check_text(&required(Column::Title)?).map_err(|e| fail(Column::Title, e))?;
        let text_value = check_text(&required(Column::Text)?).map_err(|e| fail(Column::Text, e))?;
        let expected = cell(&record, Column::Expected)
            .map(|v| split_expected(&v))
            .unwrap_or_default();
        let contingency = match cell(&record, Column::Contingency) {
            None => false,
            Some(v) => parse_flag(&v).map_err(|e| fail(Column::Contingency, e))?,
        };
        injects.push(Inject {
            id,
            at_s,
            move_id,
            from: cell(&record, Column::From),
            to: cell(&record, Column::To),
            channel,
            title,
            text: text_value,
            expected,
            objective: match cell(&record, Column::Objective) {
                Some(o) if !meta.objectives.is_empty() && !meta.declares(&o) => {
                    return Err(fail(
                        Column::Objective,
                        format!(
                            "`{o}` is not an objective declared by a `# objective:` line ({})",
                            meta.objective_ids()
                        ),
                    ));
                }
                o => o,
            },
            notes: cell(&record, Column::Notes),
            contingency,
        });
    }
    if injects.is_empty() {
        return Err(ImportError::NoInjects);
    }
    let scenario = Scenario::assemble(
        meta.title.unwrap_or_else(|| DEFAULT_TITLE.to_owned()),
        meta.description,
        meta.speed,
        moves,
        meta.objectives,
        injects,
    );
    Ok(Import {
        scenario,
        ignored_columns,
    })
}

/// What the `#` lines above the header say.
#[derive(Default)]
struct Metadata {
    title: Option<String>,
    description: Option<String>,
    speed: Option<u32>,
    /// Declared moves, with the line that declared each.
    moves: Vec<(u64, Move)>,
    /// Declared objectives, in order.
    objectives: Vec<Objective>,
}

impl Metadata {
    /// Whether a `# objective:` line declared `id`.
    fn declares(&self, id: &str) -> bool {
        self.objectives.iter().any(|o| o.id == *id)
    }

    /// The declared objective ids, for an error message.
    fn objective_ids(&self) -> String {
        let ids: Vec<&str> = self.objectives.iter().map(|o| o.id.as_str()).collect();
        ids.join(", ")
    }

    /// `O1: text` of a `# capability:` or `# task:` line: the objective it adds to (declared
    /// by an earlier `# objective:` line) and the text.
    fn objective_part(
        &mut self,
        key: &str,
        value: &str,
    ) -> Result<(&mut Objective, String), String> {
        let (id, text) = value
            .split_once(": ")
            .ok_or_else(|| format!("`# {key}:` needs `objective id: text`"))?;
        let text = check_text(text).map_err(|e| format!("{key} {e}"))?;
        let id = id.trim();
        let known = self.objective_ids();
        let objective = self.objectives.iter_mut().find(|o| o.id == *id).ok_or_else(|| {
            format!("`# {key}:` names `{id}`, which no earlier `# objective:` line declares ({known})")
        })?;
        Ok((objective, text))
    }

    /// Reads one `#` line (without its `#`). Lines that are not `key: value` with a known key
    /// are comments.
    fn read(&mut self, line: u64, content: &str) -> Result<(), ImportError> {
        let Some((key, value)) = content.split_once(':') else {
            return Ok(());
        };
        let fail = |message: String| ImportError::Metadata { line, message };
        let key = key.trim().to_lowercase();
        let value = value.trim();
        let once = |given: bool, key: &str| {
            if given {
                Err(fail(format!("`# {key}:` is given twice")))
            } else {
                Ok(())
            }
        };
        match key.as_str() {
            "title" => {
                once(self.title.is_some(), "title")?;
                self.title = Some(check_text(value).map_err(|e| fail(format!("title {e}")))?);
            }
            "description" => {
                once(self.description.is_some(), "description")?;
                let d = check_text(value).map_err(|e| fail(format!("description {e}")))?;
                self.description = Some(d);
            }
            "speed" => {
                once(self.speed.is_some(), "speed")?;
                let n: u32 = value
                    .parse()
                    .map_err(|_| fail(format!("speed `{value}` is not a whole number")))?;
                self.speed = Some(check_speed(n).map_err(fail)?);
            }
            "move" => {
                // Ids have no spaces but may contain `:`, so the id ends at the first `: `.
                let (id, title) = match value.split_once(": ") {
                    Some(parts) => parts,
                    None => (value.strip_suffix(':').unwrap_or(value), ""),
                };
                let id = MoveId::new(id.trim()).map_err(|e| fail(format!("move id {e}")))?;
                if let Some((first, _)) = self.moves.iter().find(|(_, m)| m.id == id) {
                    return Err(fail(format!(
                        "move `{id}` is declared twice (first at line {first})"
                    )));
                }
                let title = match title.trim() {
                    "" => id.to_string(),
                    t => t.to_owned(),
                };
                self.moves.push((line, Move { id, title }));
            }
            "objective" => {
                let (id, title) = value
                    .split_once(": ")
                    .ok_or_else(|| fail("`# objective:` needs `id: title`".to_owned()))?;
                let id =
                    ObjectiveId::new(id.trim()).map_err(|e| fail(format!("objective id {e}")))?;
                if self.declares(id.as_str()) {
                    return Err(fail(format!("objective `{id}` is declared twice")));
                }
                let title = check_text(title).map_err(|e| fail(format!("objective title {e}")))?;
                self.objectives.push(Objective::new(id, title));
            }
            "capability" => {
                let (objective, capability) = self.objective_part(&key, value).map_err(fail)?;
                if objective.capability.is_some() {
                    return Err(fail(format!(
                        "objective `{}` has its capability given twice",
                        objective.id
                    )));
                }
                objective.capability = Some(capability);
            }
            "task" => {
                let (objective, task) = self.objective_part(&key, value).map_err(fail)?;
                objective.tasks.push(task);
            }
            _ => {}
        }
        Ok(())
    }
}

/// Maps each header to its column, refusing duplicates and missing required columns. Returns
/// the column indices and the headers that match no field.
fn map_headers(
    line: u64,
    headers: &[String],
) -> Result<(BTreeMap<Column, usize>, Vec<String>), ImportError> {
    let mut by_column: BTreeMap<Column, usize> = BTreeMap::new();
    let mut ignored = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        let normal = header
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let column = COLUMNS
            .iter()
            .find(|(_, names)| names.contains(&normal.as_str()))
            .map(|(c, _)| *c);
        match column {
            Some(c) => {
                if let Some(&first) = by_column.get(&c) {
                    return Err(ImportError::DuplicateColumn {
                        line,
                        field: c.name(),
                        first: headers[first].clone(),
                        second: header.clone(),
                    });
                }
                by_column.insert(c, i);
            }
            None if header.is_empty() => {}
            None => ignored.push(header.clone()),
        }
    }
    let missing: Vec<String> = COLUMNS
        .iter()
        .filter(|(c, _)| c.required() && !by_column.contains_key(c))
        .map(|(c, names)| {
            let names: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
            format!("{} (one of {})", c.name(), names.join(", "))
        })
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns {
            line,
            missing: missing.join("; "),
        });
    }
    Ok((by_column, ignored))
}

/// A record and the 1-based line it starts on.
fn read(
    text: &str,
    record: Result<csv::StringRecord, csv::Error>,
) -> Result<(u64, csv::StringRecord), ImportError> {
    match record {
        Ok(r) => {
            let start = record_start(text, &r);
            let line = text.get(..start).unwrap_or("").matches('\n').count() + 1;
            Ok((u64::try_from(line).unwrap_or(u64::MAX), r))
        }
        Err(e) => Err(ImportError::Csv {
            line: e.position().map_or(0, csv::Position::line),
            message: e.to_string(),
        }),
    }
}

fn blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|f| f.trim().is_empty())
}

/// The byte offset where a record's text starts. The reader's position is where it began
/// reading, before the blank lines it skips, so those are skipped here too.
fn record_start(text: &str, record: &csv::StringRecord) -> usize {
    let start = record
        .position()
        .and_then(|p| usize::try_from(p.byte()).ok())
        .unwrap_or(0);
    let rest = text.get(start..).unwrap_or("");
    start + (rest.len() - rest.trim_start_matches(['\n', '\r']).len())
}

/// The text of the line a record starts on (for a `#` line written with unquoted commas).
fn raw_line<'t>(text: &'t str, record: &csv::StringRecord) -> &'t str {
    let rest = text.get(record_start(text, record)..).unwrap_or("");
    rest.split('\n').next().unwrap_or("")
}

/// Splits expected actions on `;` and line breaks, dropping blanks.
fn split_expected(v: &str) -> Vec<String> {
    v.split([';', '\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A spreadsheet flag: yes/no, true/false, x (blank is no).
fn parse_flag(v: &str) -> Result<bool, String> {
    match v.trim().to_lowercase().as_str() {
        "yes" | "true" | "x" => Ok(true),
        "no" | "false" | "" => Ok(false),
        other => Err(format!(
            "`{other}` is not a flag: write yes, no, true, false, x or leave it blank"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHEET: &str = "\
# title: Mini exercise
# A comment line, ignored.
# move: P1: Opening

Inject #,Scenario Time,Phase,Delivery  Method,Subject,Event Description,Expected Player Action,Core Capability,Controller Notes,Contingency,Responsible Controller
1,0:05:00,P1,Diplomacy,Opening,\"Welcome, delegations.\",Confirm duty officer; Confirm hours,Open the cell,,no,Lead
,,,,,,,,,,
2,600,P2,security,Share,\"Line one
line two\",\"Post a summary
Wait for release\",,Watch timing,X,
";

    #[test]
    fn imports_a_sheet_with_synonyms() {
        let import = import_csv_report(SHEET).unwrap();
        assert_eq!(import.ignored_columns, ["Responsible Controller"]);
        let s = import.scenario;
        assert_eq!(s.title(), "Mini exercise");
        assert_eq!(s.moves().len(), 2);
        assert_eq!(s.moves()[0].title, "Opening");
        assert_eq!(
            s.moves()[1].title,
            "P2",
            "an undeclared move is titled by its id"
        );
        let a = s.inject("1").unwrap();
        assert_eq!(a.at_s, 300);
        assert_eq!(a.channel.as_str(), "diplomacy", "lowercased");
        assert_eq!(a.text, "Welcome, delegations.");
        assert_eq!(a.expected, ["Confirm duty officer", "Confirm hours"]);
        assert_eq!(a.objective.as_deref(), Some("Open the cell"));
        assert_eq!(a.notes, None);
        assert!(!a.contingency);
        let b = s.inject("2").unwrap();
        assert_eq!(b.text, "Line one\nline two");
        assert_eq!(b.expected, ["Post a summary", "Wait for release"]);
        assert!(b.contingency);
        assert_eq!(b.notes.as_deref(), Some("Watch timing"));
    }

    fn err(text: &str) -> String {
        import_csv(text).unwrap_err().to_string()
    }

    /// SHEET with objective `O1` declared above the header and named by the first row.
    fn with_objective() -> String {
        SHEET
            .replace(
                "# move: P1: Opening\n",
                "# move: P1: Opening\n# objective: O1: Open the cell\n\
                 # capability: O1: Operational Communications\n\
                 # task: O1: Confirm duty officer\n# task: O1: Confirm hours\n",
            )
            .replace(",Open the cell,", ",O1,")
    }

    #[test]
    fn objectives_are_declared_above_the_header() {
        let s = import_csv(&with_objective()).unwrap();
        let o = s.objective("O1").unwrap();
        assert_eq!(o.title, "Open the cell");
        assert_eq!(o.capability.as_deref(), Some("Operational Communications"));
        assert_eq!(o.tasks, ["Confirm duty officer", "Confirm hours"]);
        assert_eq!(s.inject("1").unwrap().objective.as_deref(), Some("O1"));
        // Written back and read again, nothing is lost.
        assert_eq!(import_csv(&crate::export_csv(&s)).unwrap(), s);

        let e = err(&with_objective().replace(",O1,", ",O7,"));
        assert!(
            e.contains("column \"Core Capability\": `O7` is not an objective declared"),
            "{e}"
        );
        let e = err(&with_objective().replace("# task: O1: Confirm hours", "# task: O2: x"));
        assert!(
            e.contains("`# task:` names `O2`, which no earlier `# objective:` line declares"),
            "{e}"
        );
        let e =
            err(&with_objective().replace("# task: O1: Confirm hours", "# objective: O1: Again"));
        assert!(e.contains("objective `O1` is declared twice"), "{e}");
        let e = err(&with_objective().replace("# objective: O1: Open the cell", "# objective: O1"));
        assert!(e.contains("`# objective:` needs `id: title`"), "{e}");
    }

    #[test]
    fn errors_name_line_and_header() {
        let e = err(&SHEET.replace("0:05:00", "5 min"));
        assert!(
            e.starts_with("line 6, column \"Scenario Time\": `5 min`"),
            "{e}"
        );
        let e = err(&SHEET.replace(",X,", ",maybe,"));
        assert!(
            e.starts_with("line 8, column \"Contingency\": `maybe`"),
            "{e}"
        );
        let e = err(&SHEET.replace("2,600", "1,600"));
        assert_eq!(
            e,
            "line 8, column \"Inject #\": duplicate control number `1` (first at line 6)"
        );
        let e = err(&SHEET.replace(",Diplomacy,", ",Dip lomacy,"));
        assert!(
            e.starts_with("line 6, column \"Delivery  Method\": name `dip lomacy`"),
            "{e}"
        );
        let e = err(&SHEET.replace(",Opening,", ",,"));
        assert_eq!(e, "line 6, column \"Subject\": must not be blank");
        assert!(import_csv(&SHEET.replace("Subject,Event Description", "Title,Message")).is_ok());
        let e = err(&SHEET.replace(",Core Capability,", ",Description,"));
        assert_eq!(
            e,
            "line 5: columns \"Event Description\" and \"Description\" both give the text"
        );
        let e = err(&SHEET.replace("Inject #,Scenario Time,Phase", "Number,When,Phase"));
        assert!(
            e.starts_with("line 5: missing required columns: id (one of \"inject #\""),
            "{e}"
        );
        assert!(e.contains("; at (one of \"time\""), "{e}");
        let e = err(&SHEET.replace("# title: Mini exercise", "# speed: fast"));
        assert_eq!(e, "line 1: speed `fast` is not a whole number");
        let e = err(&SHEET.replace(",Lead", ",Lead,extra"));
        assert!(
            e.starts_with("line 6, column \"(column 12, no header)\""),
            "{e}"
        );
        assert_eq!(
            err("# only\n\n"),
            "no header row: the file has no line that is not blank or a `#` line"
        );
        let header_only = SHEET.lines().take(5).collect::<Vec<_>>().join("\n");
        assert_eq!(
            err(&header_only),
            "the file has a header but no inject rows"
        );
    }

    #[test]
    fn move_titles_from_a_column_must_agree() {
        let sheet = "id,at,move,move title,channel,title,text\n\
                     a,1,M1,Opening,x,t,u\n\
                     b,2,M1,,x,t,u\n\
                     c,3,M1,Other,x,t,u\n";
        let e = err(sheet);
        assert_eq!(
            e,
            "line 4, column \"move title\": move `M1` is titled \"Opening\" at line 2, not \"Other\""
        );
        let s = import_csv(&sheet.replace("Other", "Opening")).unwrap();
        assert_eq!(s.moves()[0].title, "Opening");
        assert_eq!(s.title(), DEFAULT_TITLE);
    }

    #[test]
    fn metadata_with_unquoted_commas_and_a_bom() {
        let sheet =
            "\u{feff}# title: Talks, in Paris,,,\nid,at,move,channel,title,text\na,1,M1,x,t,u\n";
        assert_eq!(import_csv(sheet).unwrap().title(), "Talks, in Paris");
    }
}
