//! Expected actions and observations: per inject, what the scenario expected beside what the
//! journal shows and what the evaluators wrote; then observations tied to no inject.

use super::injects::{first_response, name, responders};
use super::{Block, Inline, Line, Table, dash, plural, redacted, seq, text_or_dash, time};
use crate::format::opt_scenario_time;
use crate::metrics::{InjectReport, Metrics, Observation, Planned};
use crate::model::AfterAction;

pub(super) fn blocks(aar: &AfterAction) -> Vec<Block> {
    let m = &aar.metrics;
    let mut out = Vec::new();
    if aar.scenario.is_none() {
        out.push(Block::Warn(
            Line::from(
                "No scenario was given: expected actions and objectives are not in the journal \
                 (injects carry only what players may see). Run the report with ",
            )
            .push(Inline::Mono("--scenario".into()))
            .text(" to list them."),
        ));
    }
    let mut rows: Vec<Vec<Line>> = m.injects.iter().map(|i| delivered_row(m, i)).collect();
    rows.extend(m.unfired.iter().map(unfired_row));
    if rows.is_empty() {
        out.push(Block::Nothing("No inject was delivered or planned.".into()));
    } else {
        out.push(Block::Table(Table::new(
            &[
                "inject",
                "expected actions",
                "journal evidence",
                "evaluator observations",
            ],
            &[],
            rows,
        )));
    }
    out.push(Block::Heading(
        3,
        "Observations not tied to an inject".into(),
    ));
    let loose: Vec<Vec<Line>> = m
        .observations
        .iter()
        .filter(|o| o.injects.is_empty())
        .map(|o| {
            let refs = Line::join(o.refs.iter().map(|r| seq(*r)), Inline::Text(", ".into()));
            vec![
                seq(o.seq),
                o.actor.as_str().into(),
                time(opt_scenario_time(o.scenario_ms)),
                if o.refs.is_empty() { dash() } else { refs },
                text_or_dash(o.about.as_deref()),
                observation_text(o),
            ]
        })
        .collect();
    if loose.is_empty() {
        out.push(Block::Nothing("None.".into()));
    } else {
        out.push(Block::Table(Table::new(
            &["#", "evaluator", "scenario", "refs", "about", "observation"],
            &[],
            loose,
        )));
    }
    out
}

fn delivered_row(m: &Metrics, i: &InjectReport) -> Vec<Line> {
    let (expected, objective) = match &i.planned {
        Some(p) => (expected_list(&p.expected), objective(p)),
        None => (
            Inline::Muted("not in the scenario".into()).into(),
            Line::default(),
        ),
    };
    let evidence = match responders(i) {
        None => first_response(i),
        Some(who) => Line::from(format!("{} from ", plural(i.responses.len(), "response")))
            .extend(who)
            .text("; first: ")
            .extend(first_response(i)),
    };
    let observations: Vec<Line> = i
        .observations
        .iter()
        .filter_map(|&k| m.observations.get(k))
        .map(|o| {
            seq(o.seq)
                .text(format!(
                    " {} ({}): ",
                    o.actor.as_str(),
                    opt_scenario_time(o.scenario_ms)
                ))
                .extend(observation_text(o))
        })
        .collect();
    vec![
        name(i)
            .push(Inline::Break)
            .text(i.title.clone().unwrap_or_default())
            .extend(objective),
        expected,
        evidence,
        if observations.is_empty() {
            Inline::Muted("none recorded".into()).into()
        } else {
            Inline::List(observations).into()
        },
    ]
}

fn unfired_row(p: &Planned) -> Vec<Line> {
    vec![
        Line::from(Inline::Strong(p.id.clone()))
            .text(" ")
            .push(Inline::Muted("not delivered".into()))
            .push(Inline::Break)
            .text(p.title.as_str())
            .extend(objective(p)),
        expected_list(&p.expected),
        Inline::Muted("not delivered".into()).into(),
        dash(),
    ]
}

/// The planned inject's objective on a line of its own, if it has one.
fn objective(p: &Planned) -> Line {
    p.objective.as_deref().map_or_else(Line::default, |o| {
        Line::from(Inline::Break).push(Inline::Muted(format!("Objective: {o}")))
    })
}

fn expected_list(items: &[String]) -> Line {
    if items.is_empty() {
        return Inline::Muted("none listed".into()).into();
    }
    Inline::List(items.iter().map(|t| Line::from(t.as_str())).collect()).into()
}

/// An observation's text, or that it was redacted.
pub(super) fn observation_text(o: &Observation) -> Line {
    o.text.as_deref().map_or_else(redacted, Line::from)
}
