//! The scenario: the MSEL (master scenario events list) of an exercise, parsed strictly from
//! TOML.
//!
//! A scenario is a title, moves (phases) in order, and injects: scripted events with a
//! control number, a time from STARTEX, a move, a channel, the text players read, and the
//! controller-only metadata (expected player actions, objective, notes) that the evaluator and
//! the after-action report use. Every table denies unknown keys: a misspelt `contingncy`
//! would otherwise silently schedule a contingency inject as a regular one.
//!
//! A scenario may declare its objectives (`[[objective]]`, see [`crate::objective`]); then an
//! inject's `objective` is one of their ids. Without them, an inject's `objective` is free
//! text, as older scenarios and spreadsheet imports write it.
//!
//! Holding a [`Scenario`] means every rule held: control numbers and objective ids unique,
//! every inject's move and declared objective exists, times parse and stay below a year, titles and texts are not blank. Injects are kept
//! in file order; [`Scenario::timeline`] gives the firing order, (time, file order), so authors
//! may group injects however they like.

use std::collections::BTreeMap;
use std::fmt;

use fusioncell_wire::ChannelId;
use fusioncell_wire::act_body::InjectBody;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::ScenarioError;
use crate::ids::{InjectId, MoveId, ObjectiveId};
use crate::objective::{Objective, ObjectiveEntry};
use crate::time::{check_at, parse_at};
use fusioncell_cell::toml_location::{self as location, line_of};

pub use crate::defaults::MAX_SPEED;

/// A validated scenario. It serializes (as JSON for the browser console's control panel,
/// `fusioncell scenario export`) with every field, controller notes included: an export is for
/// control staff only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scenario {
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    speed: Option<u32>,
    moves: Vec<Move>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    objectives: Vec<Objective>,
    injects: Vec<Inject>,
}

/// A move (phase, module): a stage of the exercise that groups injects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Move {
    /// Its id, e.g. `M1`.
    pub id: MoveId,
    /// What it is about.
    pub title: String,
}

/// One inject: a scripted event delivered to a channel at a scenario time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Inject {
    /// The control number, unique in the scenario.
    pub id: InjectId,
    /// Scenario time from STARTEX, in seconds.
    pub at_s: u64,
    /// The move it belongs to.
    #[serde(rename = "move")]
    pub move_id: MoveId,
    /// The simulated originator, if any.
    pub from: Option<String>,
    /// The intended audience, as free text.
    pub to: Option<String>,
    /// Where it is delivered.
    pub channel: ChannelId,
    /// Short title.
    pub title: String,
    /// What players read.
    pub text: String,
    /// Expected player actions (for controllers, evaluators and the report; not sent).
    pub expected: Vec<String>,
    /// The objective it exercises (not sent): an objective's id when the scenario declares
    /// objectives, else free text.
    pub objective: Option<String>,
    /// Controller notes: control staff only, never sent to players.
    pub notes: Option<String>,
    /// A contingency inject fires only on demand, when expected actions do not happen.
    pub contingency: bool,
}

impl Inject {
    /// Its scenario time in milliseconds, the clock's unit.
    pub fn at_ms(&self) -> u64 {
        self.at_s.saturating_mul(1000)
    }

    /// The body of the `inject` act that delivers it. Only what players may see goes in: no
    /// controller notes, and no expected actions or objective, which would tell the players
    /// what they are being tested on. The move id is the phase.
    pub fn body(&self) -> InjectBody {
        InjectBody {
            id: self.id.to_string(),
            phase: Some(self.move_id.to_string()),
            from: self.from.clone(),
            to: self.to.clone(),
            title: self.title.clone(),
            text: self.text.clone(),
            at_s: self.at_s,
        }
    }
}

impl Scenario {
    /// Parses and validates scenario TOML.
    pub fn from_toml(text: &str) -> Result<Scenario, ScenarioError> {
        let file: ScenarioFile = location::from_toml(text)?;
        let invalid =
            |span: std::ops::Range<usize>, field: String, reason: String| ScenarioError::Invalid {
                line: line_of(text, span.start),
                field,
                reason,
            };

        let mut move_lines: BTreeMap<MoveId, usize> = BTreeMap::new();
        let mut moves = Vec::with_capacity(file.moves.len());
        for (i, entry) in file.moves.into_iter().enumerate() {
            let span = entry.id.span();
            let id = entry.id.into_inner();
            if let Some(first) = move_lines.insert(id.clone(), line_of(text, span.start)) {
                return Err(invalid(
                    span,
                    format!("move[{i}].id"),
                    format!("duplicate move id `{id}` (first at line {first})"),
                ));
            }
            moves.push(Move {
                id,
                title: entry.title.0,
            });
        }

        let mut objective_lines: BTreeMap<ObjectiveId, usize> = BTreeMap::new();
        let mut objectives = Vec::with_capacity(file.objective.len());
        for (i, entry) in file.objective.into_iter().enumerate() {
            let span = entry.id.span();
            let line = line_of(text, span.start);
            let objective = entry.into_objective();
            if let Some(first) = objective_lines.insert(objective.id.clone(), line) {
                return Err(invalid(
                    span,
                    format!("objective[{i}].id"),
                    format!(
                        "duplicate objective id `{}` (first at line {first})",
                        objective.id
                    ),
                ));
            }
            objectives.push(objective);
        }

        if file.inject.is_empty() {
            return Err(invalid(
                file.scenario.span(),
                "inject".to_owned(),
                "the scenario has no [[inject]]".to_owned(),
            ));
        }
        let mut inject_lines: BTreeMap<InjectId, usize> = BTreeMap::new();
        let mut injects = Vec::with_capacity(file.inject.len());
        for (i, entry) in file.inject.into_iter().enumerate() {
            let span = entry.id.span();
            let id = entry.id.into_inner();
            if let Some(first) = inject_lines.insert(id.clone(), line_of(text, span.start)) {
                return Err(invalid(
                    span,
                    format!("inject[{i}].id"),
                    format!("duplicate control number `{id}` (first at line {first})"),
                ));
            }
            let move_span = entry.move_id.span();
            let move_id = entry.move_id.into_inner();
            if !move_lines.contains_key(&move_id) {
                return Err(invalid(
                    move_span,
                    format!("inject[{i}].move"),
                    format!("`{move_id}` is not the id of a [[move]]"),
                ));
            }
            if !objectives.is_empty()
                && let Some(o) = &entry.objective
                && !objective_lines.keys().any(|k| *k == *o.get_ref().0)
            {
                let known: Vec<&str> = objective_lines.keys().map(|k| k.as_str()).collect();
                return Err(invalid(
                    o.span(),
                    format!("inject[{i}].objective"),
                    format!(
                        "`{}` is not the id of an [[objective]] (the scenario declares {})",
                        o.get_ref().0,
                        known.join(", ")
                    ),
                ));
            }
            injects.push(Inject {
                id,
                at_s: entry.at.0,
                move_id,
                from: entry.from.map(|t| t.0),
                to: entry.to.map(|t| t.0),
                channel: entry.channel,
                title: entry.title.0,
                text: entry.text.0,
                expected: entry.expected.into_iter().map(|t| t.0).collect(),
                objective: entry.objective.map(|t| t.into_inner().0),
                notes: entry.notes.map(|t| t.0),
                contingency: entry.contingency,
            });
        }

        let header = file.scenario.into_inner();
        Ok(Scenario {
            title: header.title.0,
            description: header.description.map(|t| t.0),
            speed: header.speed.map(|s| s.0),
            moves,
            objectives,
            injects,
        })
    }

    /// Builds a scenario from parts the caller has validated (the CSV import).
    pub(crate) fn assemble(
        title: String,
        description: Option<String>,
        speed: Option<u32>,
        moves: Vec<Move>,
        objectives: Vec<Objective>,
        injects: Vec<Inject>,
    ) -> Scenario {
        Scenario {
            title,
            description,
            speed,
            moves,
            objectives,
            injects,
        }
    }

    /// The scenario's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Its description, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Default scenario seconds per real second for `exercise run`, if the file sets one.
    pub fn speed(&self) -> Option<u32> {
        self.speed
    }

    /// The moves, in order.
    pub fn moves(&self) -> &[Move] {
        &self.moves
    }

    /// The declared objectives, in file order (empty when the scenario declares none).
    pub fn objectives(&self) -> &[Objective] {
        &self.objectives
    }

    /// The objective with this id.
    pub fn objective(&self, id: &str) -> Option<&Objective> {
        self.objectives.iter().find(|o| o.id == *id)
    }

    /// The injects, in file order.
    pub fn injects(&self) -> &[Inject] {
        &self.injects
    }

    /// The inject with this control number.
    pub fn inject(&self, id: &str) -> Option<&Inject> {
        self.injects.iter().find(|i| i.id == *id)
    }

    /// The move with this id.
    pub fn move_by_id(&self, id: &str) -> Option<&Move> {
        self.moves.iter().find(|m| m.id == *id)
    }

    /// The injects in firing order: by time, then file order (a stable sort).
    pub fn timeline(&self) -> Vec<&Inject> {
        let mut all: Vec<&Inject> = self.injects.iter().collect();
        all.sort_by_key(|i| i.at_s);
        all
    }

    /// The time of the last inject, in seconds: the planned span of play.
    pub fn span_s(&self) -> u64 {
        self.injects.iter().map(|i| i.at_s).max().unwrap_or(0)
    }

    /// Checks that every inject goes to one of `channels` (the cell's), naming the first
    /// inject, in file order, that does not.
    pub fn check_channels(&self, channels: &[ChannelId]) -> Result<(), ScenarioError> {
        match self
            .injects
            .iter()
            .enumerate()
            .find(|(_, inj)| !channels.contains(&inj.channel))
        {
            Some((i, inj)) => Err(ScenarioError::UnknownChannel {
                inject: inj.id.clone(),
                field: format!("inject[{i}].channel"),
                channel: inj.channel.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Writes the scenario as TOML that [`Scenario::from_toml`] reads back to an equal value
    /// (how an imported spreadsheet becomes a reviewable scenario file).
    pub fn to_toml(&self) -> String {
        crate::write::scenario_to_toml(self)
    }
}

// ---- The file as written -------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    scenario: Spanned<Header>,
    #[serde(rename = "move", default)]
    moves: Vec<MoveEntry>,
    #[serde(default)]
    objective: Vec<ObjectiveEntry>,
    #[serde(default)]
    inject: Vec<InjectEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    title: Text,
    #[serde(default)]
    description: Option<Text>,
    #[serde(default)]
    speed: Option<Speed>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveEntry {
    id: Spanned<MoveId>,
    title: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InjectEntry {
    id: Spanned<InjectId>,
    at: At,
    #[serde(rename = "move")]
    move_id: Spanned<MoveId>,
    #[serde(default)]
    from: Option<Text>,
    #[serde(default)]
    to: Option<Text>,
    channel: ChannelId,
    title: Text,
    text: Text,
    expected: Vec<Text>,
    #[serde(default)]
    objective: Option<Spanned<Text>>,
    #[serde(default)]
    notes: Option<Text>,
    #[serde(default)]
    contingency: bool,
}

/// Text that is not blank, trimmed: surrounding whitespace never means anything in an MSEL,
/// and trimming makes a TOML scenario and its spreadsheet form compare equal.
#[derive(Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct Text(pub(crate) String);

impl TryFrom<String> for Text {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        check_text(&s).map(Text)
    }
}

/// Trims `s`, refusing it when blank.
pub(crate) fn check_text(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        Err("must not be blank".to_owned())
    } else {
        Ok(t.to_owned())
    }
}

/// A default speed, 1 to [`MAX_SPEED`].
#[derive(Deserialize)]
#[serde(try_from = "u32")]
struct Speed(u32);

impl TryFrom<u32> for Speed {
    type Error = String;
    fn try_from(s: u32) -> Result<Self, String> {
        check_speed(s).map(Speed)
    }
}

/// Checks a default speed.
pub(crate) fn check_speed(s: u32) -> Result<u32, String> {
    if (1..=MAX_SPEED).contains(&s) {
        Ok(s)
    } else {
        Err(format!(
            "speed must be 1 to {MAX_SPEED} scenario seconds per real second, got {s}"
        ))
    }
}

/// A scenario time: `"HH:MM:SS"` or an integer of seconds.
struct At(u64);

impl<'de> Deserialize<'de> for At {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AtVisitor;
        impl Visitor<'_> for AtVisitor {
            type Value = At;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time \"HH:MM:SS\" or a whole number of seconds")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<At, E> {
                parse_at(v).map(At).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<At, E> {
                let v = u64::try_from(v).map_err(|_| E::custom("a time must not be negative"))?;
                self.visit_u64(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<At, E> {
                check_at(v).map(At).map_err(E::custom)
            }
        }
        d.deserialize_any(AtVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"
[scenario]
title = "Mini"
speed = 60

[[move]]
id = "M1"
title = "First"

[[move]]
id = "M2"
title = "Second"

[[inject]]
id = "M1-02"
at = "00:10:00"
move = "M1"
channel = "security"
title = "Later in the file, earlier in time"
text = "Share an assessment."
expected = ["Post a summary"]
notes = "Watch the release time."

[[inject]]
id = "M1-01"
at = 300
move = "M1"
from = "Mediator"
to = "israel, syria"
channel = "diplomacy"
title = "  Opening  "
text = "Welcome."
expected = []
objective = "Open the cell"
contingency = true

[[inject]]
id = "M2-01"
at = "00:05:00"
move = "M2"
channel = "commerce"
title = "Same time as M1-01"
text = "Trade."
expected = ["a", "b"]
"#;

    fn err(text: &str) -> String {
        Scenario::from_toml(text).unwrap_err().to_string()
    }

    #[test]
    fn parses_a_scenario() {
        let s = Scenario::from_toml(MINI).unwrap();
        assert_eq!(s.title(), "Mini");
        assert_eq!(s.speed(), Some(60));
        assert_eq!(s.moves().len(), 2);
        let i = s.inject("M1-01").unwrap();
        assert_eq!(i.at_s, 300);
        assert_eq!(i.title, "Opening", "trimmed");
        assert!(i.contingency);
        assert_eq!(s.inject("M1-02").unwrap().at_s, 600);
        let order: Vec<&str> = s.timeline().iter().map(|i| i.id.as_str()).collect();
        assert_eq!(
            order,
            ["M1-01", "M2-01", "M1-02"],
            "by time, then file order"
        );
        assert_eq!(s.span_s(), 600);
    }

    #[test]
    fn body_carries_no_controller_material() {
        let s = Scenario::from_toml(MINI).unwrap();
        let body = s.inject("M1-02").unwrap().body();
        assert_eq!(body.id, "M1-02");
        assert_eq!(body.phase.as_deref(), Some("M1"));
        assert_eq!(body.at_s, 600);
        let json = serde_json::to_string(&body).unwrap();
        assert!(!json.contains("Watch the release"), "{json}");
        assert!(!json.contains("Post a summary"), "{json}");
    }

    /// The line of the `n`th (0-based) occurrence of `needle` in MINI.
    fn line(needle: &str, n: usize) -> usize {
        let at = MINI.match_indices(needle).nth(n).unwrap().0;
        MINI[..at].matches('\n').count() + 1
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = err(&MINI.replace("at = 300", "at = \"5 minutes\""));
        let l = line("at = 300", 0);
        assert!(
            e.starts_with(&format!("line {l}, column 6: inject[1].at: ")),
            "{e}"
        );
        let e = err(&MINI.replace("contingency = true", "contingncy = true"));
        assert!(
            e.contains("inject[1].contingncy") && e.contains("unknown field"),
            "{e}"
        );
        let e = err(&MINI.replace("move = \"M2\"", "move = \"M3\""));
        let l = line("move = \"M2\"", 0);
        assert_eq!(
            e,
            format!("line {l}: inject[2].move: `M3` is not the id of a [[move]]")
        );
        let e = err(&MINI.replace("id = \"M2-01\"", "id = \"M1-01\""));
        let (l, first) = (line("id = \"M2-01\"", 0), line("id = \"M1-01\"", 0));
        assert_eq!(
            e,
            format!(
                "line {l}: inject[2].id: duplicate control number `M1-01` (first at line {first})"
            )
        );
        let e = err(&MINI.replace("id = \"M2\"", "id = \"M1\""));
        let l = line("id = \"M2\"", 0);
        assert!(
            e.starts_with(&format!("line {l}: move[1].id: duplicate move id `M1`")),
            "{e}"
        );
        let e = err(&MINI.replace("text = \"Trade.\"", "text = \"  \""));
        assert!(e.contains("inject[2].text: must not be blank"), "{e}");
        let e = err(&MINI.replace("channel = \"commerce\"", "channel = \"Commerce\""));
        let l = line("channel = \"commerce\"", 0);
        assert!(
            e.starts_with(&format!("line {l}, column 11: inject[2].channel:")),
            "{e}"
        );
        let e = err(&MINI.replace("speed = 60", "speed = 0"));
        assert!(e.contains("scenario.speed: speed must be 1 to"), "{e}");
        let e = err(&MINI.replace("id = \"M1-02\"", "id = \"M1 02\""));
        assert!(
            e.contains("inject[0].id:") && e.contains("no spaces"),
            "{e}"
        );
        let e = err(&MINI.replace("at = 300", "at = -1"));
        assert!(
            e.contains("inject[1].at: a time must not be negative"),
            "{e}"
        );
        let e = err(&MINI.replace("expected = []\n", ""));
        assert!(e.contains("missing field `expected`"), "{e}");
        let e = err("[scenario]\ntitle = \"x\"\n");
        assert_eq!(e, "line 1: inject: the scenario has no [[inject]]");
        let e = err("[scenario\n");
        assert!(e.starts_with("line 1, column"), "{e}");
    }

    /// MINI with two declared objectives; M1-01 names the first by id.
    fn with_objectives() -> String {
        MINI.replace(
            "[[inject]]\nid = \"M1-02\"",
            "[[objective]]\nid = \"O1\"\ntitle = \"Open the cell\"\n\
             capability = \"Operational communications\"\n\
             tasks = [\"Confirm duty officers\", \"State the rules\"]\n\n\
             [[objective]]\nid = \"O2\"\ntitle = \"Share assessments\"\n\n\
             [[inject]]\nid = \"M1-02\"",
        )
        .replace("objective = \"Open the cell\"", "objective = \"O1\"")
    }

    #[test]
    fn declared_objectives_are_parsed_and_injects_name_them_by_id() {
        let text = with_objectives();
        let s = Scenario::from_toml(&text).unwrap();
        let ids: Vec<&str> = s.objectives().iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["O1", "O2"]);
        let o1 = s.objective("O1").unwrap();
        assert_eq!(o1.capability.as_deref(), Some("Operational communications"));
        assert_eq!(o1.tasks, ["Confirm duty officers", "State the rules"]);
        assert!(s.objective("O2").unwrap().tasks.is_empty());
        assert_eq!(s.inject("M1-01").unwrap().objective.as_deref(), Some("O1"));
        // The control panel's JSON carries them; TOML written back reads back equal.
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["objectives"][0]["id"], "O1");
        assert_eq!(Scenario::from_toml(&s.to_toml()).unwrap(), s);
        // Without declared objectives an inject's objective is free text, as before.
        let plain = Scenario::from_toml(MINI).unwrap();
        assert!(plain.objectives().is_empty());
        assert!(
            serde_json::to_value(&plain)
                .unwrap()
                .get("objectives")
                .is_none()
        );
    }

    #[test]
    fn an_undeclared_or_duplicate_objective_is_refused_where_written() {
        let text = with_objectives().replace("objective = \"O1\"", "objective = \"O9\"");
        let at = text.find("objective = \"O9\"").unwrap();
        let l = text[..at].matches('\n').count() + 1;
        assert_eq!(
            err(&text),
            format!(
                "line {l}: inject[1].objective: `O9` is not the id of an [[objective]] \
                 (the scenario declares O1, O2)"
            )
        );
        let text = with_objectives().replace("id = \"O2\"", "id = \"O1\"");
        let e = err(&text);
        assert!(
            e.contains("objective[1].id: duplicate objective id `O1` (first at line"),
            "{e}"
        );
        let e = err(&with_objectives().replace("id = \"O2\"", "id = \"O 2\""));
        assert!(
            e.contains("objective[1].id") && e.contains("no spaces"),
            "{e}"
        );
        let e = err(&with_objectives().replace("title = \"Share assessments\"", ""));
        assert!(e.contains("missing field `title`"), "{e}");
    }

    #[test]
    fn channels_are_checked_against_the_cell() {
        let s = Scenario::from_toml(MINI).unwrap();
        let ch = |names: &[&str]| -> Vec<ChannelId> {
            names.iter().map(|n| ChannelId::new(*n).unwrap()).collect()
        };
        assert!(
            s.check_channels(&ch(&["security", "diplomacy", "commerce"]))
                .is_ok()
        );
        let e = s
            .check_channels(&ch(&["security", "diplomacy"]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "inject M2-01 (inject[2].channel): `commerce` is not a channel of the cell"
        );
    }

    #[test]
    fn to_toml_round_trips() {
        let s = Scenario::from_toml(MINI).unwrap();
        let text = s.to_toml();
        assert_eq!(Scenario::from_toml(&text).unwrap(), s, "{text}");
    }
}
