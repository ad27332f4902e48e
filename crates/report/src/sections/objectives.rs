//! Evaluation by objective: for each of the exercise's objectives, its core capability and
//! critical tasks, the evaluators' ratings (HSEEP P/S/M/U), the injects that tested it and the
//! observations about it, each linked to its record.

use fusioncell_wire::act_body::Rating;

use super::expected::observation_text;
use super::injects::name;
use super::{Block, Inline, Line, Table, Tone, dash, seq, text_or_dash, time};
use crate::format::{opt_scenario_time, scenario_time};
use crate::metrics::{Metrics, ObjectiveReport};
use crate::model::AfterAction;

pub(super) fn blocks(aar: &AfterAction) -> Vec<Block> {
    let m = &aar.metrics;
    let mut out = vec![Block::Note(legend())];
    if m.objectives.is_empty() {
        out.push(Block::Nothing(
            "No objective: the scenario declares none (or none was given with --scenario) and \
             no observation names one."
                .into(),
        ));
        return out;
    }
    for o in &m.objectives {
        out.extend(objective(m, o));
    }
    out
}

/// What the four letters mean.
pub(super) fn legend() -> Line {
    let mut line = Line::from("Ratings (HSEEP): ");
    for (n, r) in Rating::ALL.into_iter().enumerate() {
        if n > 0 {
            line = line.text(", ");
        }
        line = line
            .push(Inline::Strong(r.letter().into()))
            .text(format!(" {}", r.meaning()));
    }
    line.text(".")
}

/// A rating as an outcome: P reads as fine, M and U as trouble.
fn rating(r: Rating) -> Inline {
    let tone = match r {
        Rating::Performed => Tone::Ok,
        Rating::SomeChallenges => Tone::Pending,
        Rating::MajorChallenges | Rating::Unable => Tone::Bad,
    };
    Inline::Status(tone, r.letter().into())
}

/// The ratings given to an objective, each with its observation; or that none was given.
pub(super) fn ratings(m: &Metrics, o: &ObjectiveReport) -> Line {
    let given: Vec<Line> = o
        .ratings(&m.observations)
        .map(|(r, obs)| {
            Line::from(rating(r))
                .text(format!(" by {} (", obs.actor.as_str()))
                .extend(seq(obs.seq))
                .text(")")
        })
        .collect();
    if given.is_empty() {
        Inline::Muted("not rated".into()).into()
    } else {
        Line::join(given, Inline::Text(", ".into()))
    }
}

fn objective(m: &Metrics, o: &ObjectiveReport) -> Vec<Block> {
    let heading = if o.id == o.title {
        Line::from(o.title.as_str())
    } else {
        Line::from(Inline::Strong(o.id.clone())).text(format!(": {}", o.title))
    };
    let mut out = vec![Block::Heading(3, heading)];
    if !o.declared {
        out.push(Block::Warn(
            Line::from("Observations name objective ")
                .push(Inline::Mono(o.id.clone()))
                .text(", which the scenario does not declare."),
        ));
    }
    let tasks: Vec<Line> = o.tasks.iter().map(|t| Line::from(t.as_str())).collect();
    let mut tested: Vec<Line> = o
        .injects
        .iter()
        .filter_map(|&k| m.injects.get(k))
        .map(|i| {
            name(i).text(format!(
                " {} (delivered {})",
                i.title.as_deref().unwrap_or("[redacted]"),
                opt_scenario_time(i.scenario_ms)
            ))
        })
        .collect();
    tested.extend(o.unfired.iter().filter_map(|&k| m.unfired.get(k)).map(|p| {
        Line::from(Inline::Strong(p.id.clone()))
            .text(format!(" {} ", p.title))
            .push(Inline::Muted(format!(
                "(planned {}, not delivered)",
                scenario_time(p.at_s * 1000)
            )))
    }));
    out.push(Block::Facts(vec![
        (
            "Core capability".into(),
            text_or_dash(o.capability.as_deref()),
        ),
        (
            "Critical tasks".into(),
            if tasks.is_empty() {
                dash()
            } else {
                Inline::List(tasks).into()
            },
        ),
        ("Ratings".into(), ratings(m, o)),
        (
            "Injects that tested it".into(),
            if tested.is_empty() {
                Inline::Muted("none".into()).into()
            } else {
                Inline::List(tested).into()
            },
        ),
    ]));
    let rows: Vec<Vec<Line>> = o
        .observations
        .iter()
        .filter_map(|&k| m.observations.get(k))
        .map(|obs| {
            let refs = Line::join(obs.refs.iter().map(|r| seq(*r)), Inline::Text(", ".into()));
            vec![
                seq(obs.seq),
                obs.actor.as_str().into(),
                time(opt_scenario_time(obs.scenario_ms)),
                obs.rating.map_or_else(dash, |r| rating(r).into()),
                if obs.refs.is_empty() { dash() } else { refs },
                observation_text(obs),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push(Block::Nothing(
            "No observation names this objective.".into(),
        ));
    } else {
        out.push(Block::Table(Table::new(
            &[
                "#",
                "evaluator",
                "scenario",
                "rating",
                "records",
                "observation",
            ],
            &[],
            rows,
        )));
    }
    out
}
