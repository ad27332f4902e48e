//! The HSEEP After-Action Report / Improvement Plan (AAR/IP) front matter of the Markdown
//! report: exercise overview, analysis of core capabilities by objective (expected actions
//! beside the journal's evidence and the evaluators' observations), strength and
//! area-for-improvement placeholders, and an improvement plan table to fill in. The report's
//! sections follow it as appendices.

use super::injects::responders;
use super::objectives::ratings;
use super::{Block, Inline, Line, Table, plural, redacted};
use crate::format::{duration, opt_scenario_time, scenario_duration, scenario_time, utc};
use crate::metrics::{InjectReport, ObjectiveReport, Planned};
use crate::model::AfterAction;

/// A placeholder for the planning team.
fn todo() -> Line {
    Inline::Muted("to be completed".into()).into()
}

/// The front matter, in order.
pub fn aar_ip(aar: &AfterAction) -> Vec<Block> {
    let mut out = vec![
        Block::Heading(1, "After-Action Report / Improvement Plan (AAR/IP)".into()),
        Block::Paragraph(Inline::Strong(aar.title()).into()),
        Block::Warn(
            Line::from("Draft generated from the signed journal of cell ")
                .push(Inline::Mono(aar.cell.clone()))
                .text(
                    ": the evidence is complete and verified; the analysis, strengths, areas for \
                     improvement and the improvement plan are for the exercise planning team to \
                     complete after the hot wash and the controller/evaluator debrief. Handling: \
                     for exercise control and evaluators (every channel, back-channels and \
                     evaluator observations).",
                ),
        ),
    ];
    out.extend(overview(aar));
    out.extend(analysis(aar));
    out.extend(improvement_plan(aar));
    out
}

fn overview(aar: &AfterAction) -> Vec<Block> {
    let span = &aar.span;
    let dates = match (span.startex, span.endex) {
        (Some((_, s)), Some((_, e))) => format!("{} to {}", utc(s), utc(e)),
        (Some((_, s)), None) => format!("{} (no ENDEX in the journal)", utc(s)),
        _ => "the clock was never started".to_owned(),
    };
    let objectives = &aar.metrics.objectives;
    let numbered = objectives
        .iter()
        .enumerate()
        .map(|(i, o)| Line::from(format!("{}. {}", i + 1, label(o))));
    let capabilities: Vec<&str> = objectives.iter().fold(Vec::new(), |mut all, o| {
        if let Some(c) = o.capability.as_deref()
            && !all.contains(&c)
        {
            all.push(c);
        }
        all
    });
    let participants = aar
        .identities
        .iter()
        .map(|p| Line::from(format!("{} ({})", p.id.as_str(), p.role.as_str())));
    let channels: Vec<String> = aar
        .channels
        .iter()
        .map(|c| format!("{} ({})", c.id.as_str(), c.policy))
        .collect();
    let rows: Vec<Vec<Line>> = vec![
        vec!["Exercise name".into(), aar.title().into()],
        vec!["Exercise dates".into(), dates.into()],
        vec![
            "Duration".into(),
            format!(
                "{} real time; scenario time reached {}{}",
                span.real_ms().map_or_else(|| "—".into(), duration),
                scenario_time(span.scenario_end_ms),
                span.speed.map(|s| format!(" (×{s})")).unwrap_or_default()
            )
            .into(),
        ],
        vec![
            "Scope".into(),
            aar.scenario
                .as_ref()
                .and_then(|s| s.description.as_deref())
                .map_or_else(todo, Line::from),
        ],
        vec!["Mission area(s)".into(), todo()],
        vec![
            "Objectives".into(),
            if objectives.is_empty() {
                todo()
            } else {
                Line::join(numbered, Inline::Break)
            },
        ],
        vec![
            "Core capabilities".into(),
            if capabilities.is_empty() {
                todo()
            } else {
                capabilities.join(", ").into()
            },
        ],
        vec!["Threat or hazard".into(), todo()],
        vec!["Sponsor".into(), todo()],
        vec![
            "Participants".into(),
            Line::join(participants, Inline::Text(", ".into())),
        ],
        vec![
            "Communication cell".into(),
            Line::from("cell ")
                .push(Inline::Mono(aar.cell.clone()))
                .text(format!("; channels: {}", channels.join(", "))),
        ],
        vec!["Point of contact".into(), todo()],
    ];
    vec![
        Block::Heading(2, "Exercise overview".into()),
        Block::Table(Table::new(&["", ""], &[], rows)),
    ]
}

/// An objective as the AAR/IP names it: `O2: title`, or the free text.
fn label(o: &ObjectiveReport) -> String {
    if o.id == o.title {
        o.title.clone()
    } else {
        format!("{}: {}", o.id, o.title)
    }
}

/// An inject under an objective: delivered (with its evidence) or only planned.
enum Item<'a> {
    Delivered(&'a InjectReport),
    Planned(&'a Planned),
}

fn analysis(aar: &AfterAction) -> Vec<Block> {
    let mut out = vec![
        Block::Heading(2, "Analysis of core capabilities".into()),
        Block::Paragraph(
            Line::from("Ratings: ")
                .push(Inline::Strong("P".into()))
                .text(" performed without challenges, ")
                .push(Inline::Strong("S".into()))
                .text(" performed with some challenges, ")
                .push(Inline::Strong("M".into()))
                .text(" performed with major challenges, ")
                .push(Inline::Strong("U".into()))
                .text(" unable to be performed."),
        ),
    ];
    let m = &aar.metrics;
    if !m.objectives.is_empty() {
        let rows = m
            .objectives
            .iter()
            .map(|o| {
                vec![
                    label(o).into(),
                    o.capability.as_deref().map_or_else(todo, Line::from),
                    if o.ratings(&m.observations).next().is_some() {
                        ratings(m, o)
                    } else {
                        Inline::Muted("P / S / M / U".into()).into()
                    },
                ]
            })
            .collect();
        out.push(Block::Table(Table::new(
            &["Objective", "Core capability", "Rating"],
            &[],
            rows,
        )));
    }
    let mut groups: Vec<(Option<String>, Vec<Item<'_>>)> = m
        .objectives
        .iter()
        .enumerate()
        .map(|(n, o)| {
            let mut items: Vec<Item<'_>> = o
                .injects
                .iter()
                .filter_map(|&k| m.injects.get(k))
                .map(Item::Delivered)
                .collect();
            items.extend(
                o.unfired
                    .iter()
                    .filter_map(|&k| m.unfired.get(k))
                    .map(Item::Planned),
            );
            // Declared objectives go by their id; free-text ones are numbered.
            let heading = if o.id == o.title {
                format!("Objective {}: {}", n + 1, o.title)
            } else {
                format!("Objective {}: {}", o.id, o.title)
            };
            (Some(heading), items)
        })
        .collect();
    let loose: Vec<Item<'_>> = m
        .injects
        .iter()
        .filter(|i| i.planned.as_ref().is_none_or(|p| p.objective.is_none()))
        .map(Item::Delivered)
        .chain(
            m.unfired
                .iter()
                .filter(|p| p.objective.is_none())
                .map(Item::Planned),
        )
        .collect();
    groups.push((None, loose));
    for (objective, items) in &groups {
        if items.is_empty() {
            continue;
        }
        out.push(Block::Heading(
            3,
            match objective {
                Some(heading) => heading.as_str().into(),
                None => "Injects without a stated objective".into(),
            },
        ));
        for item in items {
            match item {
                Item::Delivered(i) => out.extend(delivered(aar, i)),
                Item::Planned(p) => {
                    out.push(Block::Heading(
                        4,
                        format!(
                            "{}: {} (planned {}, not delivered{})",
                            p.id,
                            p.title,
                            scenario_time(p.at_s * 1000),
                            if p.contingency { "; contingency" } else { "" }
                        )
                        .into(),
                    ));
                    out.extend(expected(Some(p)));
                }
            }
        }
        out.push(Block::Heading(4, "Strengths".into()));
        out.push(Block::Bullets(vec![(
            Line::from(Inline::Strong("Strength 1:".into()))
                .text(" ")
                .push(Inline::Muted(
                    "to be completed from the evidence above.".into(),
                )),
            Vec::new(),
        )]));
        out.push(Block::Heading(4, "Areas for improvement".into()));
        out.push(Block::Bullets(vec![(
            Line::from(Inline::Strong("Area for improvement 1:".into()))
                .text(" ")
                .push(Inline::Muted("to be completed.".into())),
            vec![
                Line::from("Reference: ")
                    .push(Inline::Muted("plan, procedure or doctrine.".into())),
                Line::from("Analysis: ").push(Inline::Muted("root cause.".into())),
            ],
        )]));
    }
    out
}

fn delivered(aar: &AfterAction, i: &InjectReport) -> Vec<Block> {
    let title = i.title.as_deref().map_or_else(redacted, Line::from);
    let mut out = vec![Block::Heading(
        4,
        Line::from(format!("{}: ", i.name()))
            .extend(title)
            .text(format!(
                " (delivered {} on {})",
                opt_scenario_time(i.scenario_ms),
                i.channel.as_str()
            )),
    )];
    out.extend(expected(i.planned.as_ref()));
    out.push(Block::Paragraph(
        Line::from("Observed in the journal: ")
            .extend(evidence(i))
            .text("."),
    ));
    out.push(Block::Paragraph("Evaluator observations:".into()));
    let observations: Vec<(Line, Vec<Line>)> = i
        .observations
        .iter()
        .filter_map(|&k| aar.metrics.observations.get(k))
        .map(|o| {
            let text = o.text.as_deref().map_or_else(redacted, Line::from);
            let line = Line::from(format!(
                "#{} {} ({}): ",
                o.seq,
                o.actor.as_str(),
                opt_scenario_time(o.scenario_ms)
            ))
            .extend(text);
            (line, Vec::new())
        })
        .collect();
    out.push(Block::Bullets(if observations.is_empty() {
        vec![("none recorded".into(), Vec::new())]
    } else {
        observations
    }));
    out
}

fn evidence(i: &InjectReport) -> Line {
    match (i.first(), responders(i)) {
        (Some(r), Some(who)) => {
            Line::from(format!("{} from ", plural(i.responses.len(), "response")))
                .extend(who)
                .text(format!(
                    "; first #{} by {} after {} scenario time ({} real)",
                    r.seq,
                    r.actor.as_str(),
                    i.first_scenario_ms()
                        .map_or_else(|| "—".into(), scenario_duration),
                    i.first_real_ms().map_or_else(|| "—".into(), duration)
                ))
        }
        _ => "no response on the channel".into(),
    }
}

fn expected(planned: Option<&Planned>) -> Vec<Block> {
    let items: Vec<Line> = match planned {
        None => vec!["not in the scenario (or no scenario given)".into()],
        Some(p) if p.expected.is_empty() => vec!["none listed".into()],
        Some(p) => p.expected.iter().map(|e| Line::from(e.as_str())).collect(),
    };
    vec![
        Block::Paragraph("Expected actions:".into()),
        Block::Bullets(items.into_iter().map(|l| (l, Vec::new())).collect()),
    ]
}

fn improvement_plan(aar: &AfterAction) -> Vec<Block> {
    let mut rows: Vec<Vec<Line>> = aar
        .metrics
        .objectives
        .iter()
        .map(|o| {
            let mut r = vec![Line::from(label(o))];
            r.extend(std::iter::repeat_n(todo(), 7));
            r
        })
        .collect();
    if rows.is_empty() {
        rows.push(std::iter::repeat_n(todo(), 8).collect());
    }
    vec![
        Block::Heading(2, "Improvement plan".into()),
        Block::Paragraph(
            "One row per area for improvement identified above; corrective actions name a \
             capability element (planning, organization, equipment, training or exercise)."
                .into(),
        ),
        Block::Table(Table::new(
            &[
                "Objective / core capability",
                "Issue / area for improvement",
                "Corrective action",
                "Capability element",
                "Primary responsible organization",
                "Organization POC",
                "Start date",
                "Completion date",
            ],
            &[],
            rows,
        )),
    ]
}
