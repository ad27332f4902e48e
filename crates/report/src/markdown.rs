//! The report as an HSEEP After-Action Report / Improvement Plan (AAR/IP) skeleton in
//! Markdown: exercise overview, analysis of core capabilities by objective (expected actions
//! beside the journal's evidence and the evaluators' observations), strength and
//! area-for-improvement placeholders, an improvement plan table to fill in, and the report's
//! tables as appendices. Text from the journal is escaped so that it renders as the text it
//! is (no Markdown, no HTML).

use std::fmt::Write as _;

use crate::format::{duration, opt_scenario_time, scenario_duration, scenario_time, utc};
use crate::html::SECTIONS;
use crate::metrics::{CATEGORIES, InjectReport, Planned};
use crate::model::AfterAction;
use crate::timeline::describe;

/// Appends formatted text to a `String` (writing to a `String` cannot fail).
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

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

fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    w!(out, "| {} |\n|", headers.join(" | "));
    for _ in headers {
        out.push_str("---|");
    }
    out.push('\n');
    for r in rows {
        w!(out, "| {} |\n", r.join(" | "));
    }
    out.push('\n');
}

const TODO: &str = "_to be completed_";

/// Renders the AAR/IP skeleton.
pub fn render(aar: &AfterAction) -> String {
    let mut out = String::with_capacity(32 * 1024 + aar.entries.len() * 200);
    let title = aar.title();
    w!(
        out,
        "# After-Action Report / Improvement Plan (AAR/IP)\n\n**{}**\n\n\
         > Draft generated from the signed journal of cell `{}`: the evidence is complete and verified; \
         the analysis, strengths, areas for improvement and the improvement plan are for the exercise \
         planning team to complete after the hot wash and the controller/evaluator debrief. \
         Handling: for exercise control and evaluators (every channel, back-channels and evaluator observations).\n\n",
        escape(&title),
        aar.cell
    );
    overview(aar, &mut out);
    analysis(aar, &mut out);
    improvement_plan(aar, &mut out);
    out.push_str("## Appendices\n\n");
    for (i, (_, heading)) in SECTIONS.iter().enumerate() {
        let letter = char::from(b'A' + u8::try_from(i).unwrap_or(0));
        w!(out, "### Appendix {letter}: {heading}\n\n");
        match i {
            0 => summary(aar, &mut out),
            1 => timeline(aar, &mut out),
            2 => injects(aar, &mut out),
            3 => expected(aar, &mut out),
            4 => moderation(aar, &mut out),
            5 => clock(aar, &mut out),
            6 => hotline(aar, &mut out),
            7 => participation(aar, &mut out),
            8 => security(aar, &mut out),
            _ => integrity(aar, &mut out),
        }
    }
    out
}

fn overview(aar: &AfterAction, out: &mut String) {
    out.push_str("## Exercise overview\n\n");
    let span = &aar.span;
    let dates = match (span.startex, span.endex) {
        (Some((_, s)), Some((_, e))) => format!("{} to {}", utc(s), utc(e)),
        (Some((_, s)), None) => format!("{} (no ENDEX in the journal)", utc(s)),
        _ => "the clock was never started".to_owned(),
    };
    let objectives = objectives(aar);
    let mut rows: Vec<Vec<String>> = vec![
        vec!["Exercise name".into(), escape(&aar.title())],
        vec!["Exercise dates".into(), dates],
        vec![
            "Duration".into(),
            format!(
                "{} real time; scenario time reached {}{}",
                span.real_ms().map_or_else(|| "—".into(), duration),
                scenario_time(span.scenario_end_ms),
                span.speed.map(|s| format!(" (×{s})")).unwrap_or_default()
            ),
        ],
        vec![
            "Scope".into(),
            aar.scenario
                .as_ref()
                .and_then(|s| s.description.as_deref())
                .map_or_else(|| TODO.to_owned(), escape),
        ],
        vec!["Mission area(s)".into(), TODO.into()],
        vec![
            "Objectives".into(),
            if objectives.is_empty() {
                TODO.into()
            } else {
                objectives
                    .iter()
                    .enumerate()
                    .map(|(i, o)| format!("{}. {}", i + 1, escape(o)))
                    .collect::<Vec<_>>()
                    .join("<br>")
            },
        ],
        vec!["Core capabilities".into(), TODO.into()],
        vec!["Threat or hazard".into(), TODO.into()],
        vec!["Sponsor".into(), TODO.into()],
    ];
    let participants: Vec<String> = aar
        .identities
        .iter()
        .map(|p| format!("{} ({})", escape(p.id.as_str()), p.role.as_str()))
        .collect();
    rows.push(vec!["Participants".into(), participants.join(", ")]);
    let channels: Vec<String> = aar
        .channels
        .iter()
        .map(|c| format!("{} ({})", escape(c.id.as_str()), c.policy))
        .collect();
    rows.push(vec![
        "Communication cell".into(),
        format!("cell `{}`; channels: {}", aar.cell, channels.join(", ")),
    ]);
    rows.push(vec!["Point of contact".into(), TODO.into()]);
    table(out, &["", ""], &rows);
}

/// The scenario's objectives, in first-use order.
fn objectives(aar: &AfterAction) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let planned = aar
        .metrics
        .injects
        .iter()
        .filter_map(|i| i.planned.as_ref())
        .chain(aar.metrics.unfired.iter());
    for p in planned {
        if let Some(o) = &p.objective
            && !out.contains(o)
        {
            out.push(o.clone());
        }
    }
    out
}

fn evidence(i: &InjectReport) -> String {
    match i.first() {
        None => "no response on the channel".to_owned(),
        Some(r) => {
            let who: Vec<String> = i.responders().iter().map(|r| escape(r.as_str())).collect();
            format!(
                "{} from {}; first #{} by {} after {} scenario time ({} real)",
                crate::html::plural(i.responses.len(), "response"),
                who.join(", "),
                r.seq,
                escape(r.actor.as_str()),
                i.first_scenario_ms()
                    .map_or_else(|| "—".into(), scenario_duration),
                i.first_real_ms().map_or_else(|| "—".into(), duration)
            )
        }
    }
}

/// An inject under an objective: delivered (with its evidence) or only planned.
enum Item<'a> {
    Delivered(&'a InjectReport),
    Planned(&'a Planned),
}

fn analysis(aar: &AfterAction, out: &mut String) {
    out.push_str(
        "## Analysis of core capabilities\n\n\
         Ratings: **P** performed without challenges, **S** performed with some challenges, \
         **M** performed with major challenges, **U** unable to be performed.\n\n",
    );
    let objectives = objectives(aar);
    let rows: Vec<Vec<String>> = objectives
        .iter()
        .map(|o| vec![escape(o), TODO.into(), "_P / S / M / U_".into()])
        .collect();
    if !rows.is_empty() {
        table(out, &["Objective", "Core capability", "Rating"], &rows);
    }
    let m = &aar.metrics;
    let mut groups: Vec<(Option<&str>, Vec<Item<'_>>)> = objectives
        .iter()
        .map(|o| (Some(o.as_str()), Vec::new()))
        .collect();
    groups.push((None, Vec::new()));
    for i in &m.injects {
        let o = i.planned.as_ref().and_then(|p| p.objective.as_deref());
        if let Some(g) = groups.iter_mut().find(|(k, _)| *k == o) {
            g.1.push(Item::Delivered(i));
        }
    }
    for p in &m.unfired {
        let o = p.objective.as_deref();
        if let Some(g) = groups.iter_mut().find(|(k, _)| *k == o) {
            g.1.push(Item::Planned(p));
        }
    }
    for (n, (objective, items)) in groups.iter().enumerate() {
        if items.is_empty() {
            continue;
        }
        match objective {
            Some(o) => w!(out, "### Objective {}: {}\n\n", n + 1, escape(o)),
            None => out.push_str("### Injects without a stated objective\n\n"),
        }
        for item in items {
            match item {
                Item::Delivered(i) => {
                    w!(
                        out,
                        "#### {}: {} (delivered {} on {})\n\n",
                        escape(&i.name()),
                        i.title
                            .as_deref()
                            .map_or_else(|| "[redacted]".into(), escape),
                        opt_scenario_time(i.scenario_ms),
                        escape(i.channel.as_str())
                    );
                    expected_list(out, i.planned.as_ref());
                    w!(out, "Observed in the journal: {}.\n\n", evidence(i));
                    out.push_str("Evaluator observations:\n\n");
                    if i.observations.is_empty() {
                        out.push_str("- none recorded\n");
                    }
                    for o in i.observations.iter().filter_map(|&k| m.observations.get(k)) {
                        w!(
                            out,
                            "- #{} {} ({}): {}\n",
                            o.seq,
                            escape(o.actor.as_str()),
                            opt_scenario_time(o.scenario_ms),
                            o.text
                                .as_deref()
                                .map_or_else(|| "[redacted]".into(), escape)
                        );
                    }
                    out.push('\n');
                }
                Item::Planned(p) => {
                    w!(
                        out,
                        "#### {}: {} (planned {}, not delivered{})\n\n",
                        escape(&p.id),
                        escape(&p.title),
                        scenario_time(p.at_s * 1000),
                        if p.contingency { "; contingency" } else { "" }
                    );
                    expected_list(out, Some(p));
                }
            }
        }
        out.push_str(
            "#### Strengths\n\n- **Strength 1:** _to be completed from the evidence above._\n\n\
             #### Areas for improvement\n\n- **Area for improvement 1:** _to be completed._\n  \
             - Reference: _plan, procedure or doctrine._\n  - Analysis: _root cause._\n\n",
        );
    }
}

fn expected_list(out: &mut String, planned: Option<&Planned>) {
    out.push_str("Expected actions:\n\n");
    match planned {
        None => out.push_str("- not in the scenario (or no scenario given)\n"),
        Some(p) if p.expected.is_empty() => out.push_str("- none listed\n"),
        Some(p) => {
            for e in &p.expected {
                w!(out, "- {}\n", escape(e));
            }
        }
    }
    out.push('\n');
}

fn improvement_plan(aar: &AfterAction, out: &mut String) {
    out.push_str(
        "## Improvement plan\n\n\
         One row per area for improvement identified above; corrective actions name a capability \
         element (planning, organization, equipment, training or exercise).\n\n",
    );
    let mut rows: Vec<Vec<String>> = objectives(aar)
        .iter()
        .map(|o| {
            let mut r = vec![escape(o)];
            r.extend(std::iter::repeat_n(TODO.to_owned(), 7));
            r
        })
        .collect();
    if rows.is_empty() {
        rows.push(std::iter::repeat_n(TODO.to_owned(), 8).collect());
    }
    table(
        out,
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
        &rows,
    );
}

// ---- appendices -------------------------------------------------------------------------------

fn summary(aar: &AfterAction, out: &mut String) {
    let m = &aar.metrics;
    let md = &m.moderation;
    let posts = aar
        .entries
        .iter()
        .filter(|e| e.kind == fusioncell_wire::ActKind::Post)
        .count();
    let rows = vec![
        vec![
            "Journal records".into(),
            aar.integrity.tree_size.to_string(),
        ],
        vec![
            "Injects delivered".into(),
            match &aar.scenario {
                Some(s) => format!("{} of {} planned", m.injects.len(), s.planned_injects),
                None => m.injects.len().to_string(),
            },
        ],
        vec!["Posts".into(), posts.to_string()],
        vec![
            "Held for moderation".into(),
            format!(
                "{} ({} approved, {} rejected, {} pending)",
                md.held(),
                md.approved(),
                md.rejected(),
                md.pending()
            ),
        ],
        vec![
            "Hotline messages".into(),
            format!(
                "{} ({} acknowledged, {} escalated)",
                m.hotline.len(),
                m.hotline.iter().filter(|h| h.ack.is_some()).count(),
                m.hotline.iter().filter(|h| h.escalation.is_some()).count()
            ),
        ],
        vec![
            "Pauses and halts".into(),
            format!(
                "{} ({} halts)",
                m.stoppages.len(),
                m.stoppages.iter().filter(|s| s.halted).count()
            ),
        ],
        vec![
            "Evaluator observations".into(),
            m.observations.len().to_string(),
        ],
        vec!["Security events".into(), m.security.len().to_string()],
        vec!["Redactions".into(), m.redactions.len().to_string()],
        vec![
            "Receipts".into(),
            format!("{} delivered, {} read", m.receipts.0, m.receipts.1),
        ],
    ];
    table(out, &["Measure", "Value"], &rows);
}

fn timeline(aar: &AfterAction, out: &mut String) {
    out.push_str("Every record per channel, in order; scenario time from the journaled clock.\n\n");
    let row = |e: &crate::model::Entry| {
        vec![
            e.seq.to_string(),
            opt_scenario_time(e.scenario_ms),
            utc(e.ts),
            escape(e.actor.as_str()),
            format!("{}{}", e.kind_name(), if e.held { " (held)" } else { "" }),
            escape(&describe(e)),
        ]
    };
    let headers = ["#", "Scenario", "Relay time", "Who", "Kind", "Text"];
    for lane in &aar.timeline.lanes {
        w!(
            out,
            "#### {} ({})\n\n",
            escape(lane.channel.as_str()),
            lane.policy
        );
        let rows: Vec<Vec<String>> = aar
            .entries
            .iter()
            .filter(|e| {
                e.channel.as_ref() == Some(&lane.channel)
                    && e.kind != fusioncell_wire::ActKind::Clock
            })
            .map(&row)
            .collect();
        if rows.is_empty() {
            out.push_str("No records.\n\n");
        } else {
            table(out, &headers, &rows);
        }
    }
    out.push_str("#### Cell-wide records\n\n");
    let rows: Vec<Vec<String>> = aar
        .entries
        .iter()
        .filter(|e| e.channel.is_none())
        .map(&row)
        .collect();
    table(out, &headers, &rows);
}

fn injects(aar: &AfterAction, out: &mut String) {
    let m = &aar.metrics;
    let rows: Vec<Vec<String>> = m
        .injects
        .iter()
        .map(|i| {
            vec![
                format!("{} (#{})", escape(&i.name()), i.seq),
                opt_scenario_time(i.scenario_ms),
                i.at_s
                    .map_or_else(|| "—".into(), |s| scenario_time(s * 1000)),
                escape(i.channel.as_str()),
                i.title
                    .as_deref()
                    .map_or_else(|| "[redacted]".into(), escape),
                i.responses.len().to_string(),
                i.first_scenario_ms()
                    .map_or_else(|| "no response".into(), scenario_duration),
                i.first_real_ms().map_or_else(|| "—".into(), duration),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("No inject was delivered.\n\n");
    } else {
        table(
            out,
            &[
                "Inject",
                "Delivered",
                "Planned",
                "Channel",
                "Title",
                "Responses",
                "First response (scenario)",
                "First response (real)",
            ],
            &rows,
        );
    }
    if !m.unfired.is_empty() {
        out.push_str("Planned but not delivered:\n\n");
        let rows: Vec<Vec<String>> = m
            .unfired
            .iter()
            .map(|p| {
                vec![
                    escape(&p.id),
                    scenario_time(p.at_s * 1000),
                    escape(p.channel.as_str()),
                    escape(&p.title),
                    if p.contingency {
                        "contingency"
                    } else {
                        "scheduled"
                    }
                    .into(),
                ]
            })
            .collect();
        table(
            out,
            &["Inject", "Planned", "Channel", "Title", "Kind"],
            &rows,
        );
    }
}

fn expected(aar: &AfterAction, out: &mut String) {
    let m = &aar.metrics;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for i in &m.injects {
        let obs: Vec<String> = i
            .observations
            .iter()
            .filter_map(|&k| m.observations.get(k))
            .map(|o| {
                format!(
                    "#{} {}: {}",
                    o.seq,
                    escape(o.actor.as_str()),
                    o.text
                        .as_deref()
                        .map_or_else(|| "[redacted]".into(), escape)
                )
            })
            .collect();
        rows.push(vec![
            escape(&i.name()),
            i.planned.as_ref().map_or_else(
                || "—".into(),
                |p| {
                    p.expected
                        .iter()
                        .map(|e| escape(e))
                        .collect::<Vec<_>>()
                        .join("<br>")
                },
            ),
            evidence(i),
            if obs.is_empty() {
                "none recorded".into()
            } else {
                obs.join("<br>")
            },
        ]);
    }
    if rows.is_empty() {
        out.push_str("No inject was delivered.\n\n");
    } else {
        table(
            out,
            &[
                "Inject",
                "Expected actions",
                "Journal evidence",
                "Evaluator observations",
            ],
            &rows,
        );
    }
    let loose: Vec<Vec<String>> = m
        .observations
        .iter()
        .filter(|o| o.injects.is_empty())
        .map(|o| {
            vec![
                o.seq.to_string(),
                escape(o.actor.as_str()),
                o.refs
                    .iter()
                    .map(|r| format!("#{r}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                o.about.as_deref().map_or_else(|| "—".into(), escape),
                o.text
                    .as_deref()
                    .map_or_else(|| "[redacted]".into(), escape),
            ]
        })
        .collect();
    if !loose.is_empty() {
        out.push_str("Observations not tied to an inject:\n\n");
        table(
            out,
            &["#", "Evaluator", "Refs", "About", "Observation"],
            &loose,
        );
    }
}

fn moderation(aar: &AfterAction, out: &mut String) {
    let m = &aar.metrics;
    let md = &m.moderation;
    w!(
        out,
        "{} posts held: {} approved, {} rejected, {} pending.",
        md.held(),
        md.approved(),
        md.rejected(),
        md.pending()
    );
    if let Some((med, max)) = md.queue_real() {
        w!(
            out,
            " Time in queue: median {} (max {}) real time",
            duration(med),
            duration(max)
        );
        if let Some((med, max)) = md.queue_scenario() {
            w!(
                out,
                "; median {} (max {}) scenario time",
                scenario_duration(med),
                scenario_duration(max)
            );
        }
        out.push('.');
    }
    out.push_str("\n\n");
    if !md.posts.is_empty() {
        let rows: Vec<Vec<String>> = md
            .posts
            .iter()
            .map(|p| {
                let d = p.decision.as_ref();
                vec![
                    p.seq.to_string(),
                    escape(p.channel.as_str()),
                    escape(p.sender.as_str()),
                    opt_scenario_time(p.scenario_ms),
                    d.map_or(
                        "pending",
                        |d| if d.approved { "approved" } else { "rejected" },
                    )
                    .into(),
                    d.map_or_else(|| "—".into(), |d| escape(d.by.as_str())),
                    p.queue_real_ms().map_or_else(|| "—".into(), duration),
                    p.queue_scenario_ms()
                        .map_or_else(|| "—".into(), scenario_duration),
                    d.and_then(|d| d.reason.as_deref())
                        .map_or_else(|| "—".into(), escape),
                ]
            })
            .collect();
        table(
            out,
            &[
                "Post",
                "Channel",
                "Sender",
                "Submitted",
                "Decision",
                "By",
                "Queue (real)",
                "Queue (scenario)",
                "Reason given",
            ],
            &rows,
        );
    }
    if !m.supervision.is_empty() {
        let rows: Vec<Vec<String>> = m
            .supervision
            .iter()
            .filter_map(|&s| aar.entry(s))
            .map(|e| {
                vec![
                    e.seq.to_string(),
                    escape(e.actor.as_str()),
                    escape(&describe(e)),
                ]
            })
            .collect();
        out.push_str("Mutes and membership changes:\n\n");
        table(out, &["#", "By", "Act"], &rows);
    }
    w!(
        out,
        "Redactions: {} (their text appears nowhere in this report).\n\n",
        m.redactions.len()
    );
    if !m.redactions.is_empty() {
        let rows: Vec<Vec<String>> = m
            .redactions
            .iter()
            .map(|r| {
                vec![
                    r.seq.to_string(),
                    escape(r.by.as_str()),
                    format!("#{}", r.target),
                    r.target_kind.unwrap_or("?").into(),
                    escape(&r.reason),
                ]
            })
            .collect();
        table(out, &["#", "By", "Record", "Kind", "Reason given"], &rows);
    }
}

fn clock(aar: &AfterAction, out: &mut String) {
    let m = &aar.metrics;
    if m.stoppages.is_empty() {
        out.push_str("Play was never paused or halted.\n\n");
    } else {
        let rows: Vec<Vec<String>> = m
            .stoppages
            .iter()
            .map(|s| {
                vec![
                    format!(
                        "{} #{}",
                        if s.halted { "HALT" } else { "pause" },
                        s.start.seq
                    ),
                    escape(s.start.actor.as_str()),
                    opt_scenario_time(s.start.scenario_ms),
                    s.start.reason.as_deref().map_or_else(|| "—".into(), escape),
                    s.end.as_ref().map_or_else(
                        || "still stopped at the end of the journal".into(),
                        |e| format!("{} #{}", e.action.as_str(), e.seq),
                    ),
                    s.real_ms().map_or_else(|| "—".into(), duration),
                ]
            })
            .collect();
        table(
            out,
            &[
                "Stop",
                "By",
                "At (scenario)",
                "Reason",
                "Ended by",
                "Duration (real)",
            ],
            &rows,
        );
    }
    let rows: Vec<Vec<String>> = m
        .clock_events
        .iter()
        .map(|c| {
            vec![
                c.seq.to_string(),
                c.action.as_str().into(),
                escape(c.actor.as_str()),
                opt_scenario_time(c.scenario_ms),
                utc(c.ts),
                c.reason.as_deref().map_or_else(|| "—".into(), escape),
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(
            out,
            &["#", "Action", "By", "Scenario", "Real", "Reason"],
            &rows,
        );
    }
}

fn hotline(aar: &AfterAction, out: &mut String) {
    let m = &aar.metrics;
    if m.hotline.is_empty() {
        out.push_str("No hotline message.\n\n");
        return;
    }
    let rows: Vec<Vec<String>> = m
        .hotline
        .iter()
        .map(|h| {
            vec![
                h.seq.to_string(),
                escape(h.channel.as_str()),
                escape(h.sender.as_str()),
                opt_scenario_time(h.scenario_ms),
                h.ack_seconds
                    .map_or_else(|| "—".into(), |s| format!("{s} s")),
                h.ack.as_ref().map_or_else(
                    || "not acknowledged".into(),
                    |a| {
                        format!(
                            "#{} by {} after {}",
                            a.seq,
                            escape(a.actor.as_str()),
                            duration(a.real_ms)
                        )
                    },
                ),
                h.escalation.as_ref().map_or_else(
                    || "—".into(),
                    |x| format!("escalated #{} after {}", x.seq, duration(x.real_ms)),
                ),
            ]
        })
        .collect();
    table(
        out,
        &[
            "Message",
            "Channel",
            "Sender",
            "Sent",
            "Deadline",
            "Acknowledged",
            "Escalation",
        ],
        &rows,
    );
}

fn participation(aar: &AfterAction, out: &mut String) {
    let rows: Vec<Vec<String>> = aar
        .metrics
        .participation
        .iter()
        .map(|p| {
            let mut r = vec![
                escape(p.id.as_str()),
                p.role.map_or("", |r| r.as_str()).into(),
            ];
            r.extend(p.parts().iter().map(|(_, n)| n.to_string()));
            r.push(p.total().to_string());
            r
        })
        .collect();
    let mut headers = vec!["Identity", "Role"];
    headers.extend(CATEGORIES);
    headers.push("Total");
    table(out, &headers, &rows);
}

fn security(aar: &AfterAction, out: &mut String) {
    let m = &aar.metrics;
    if m.security.is_empty() {
        out.push_str("No security event: no refused login and no refused act was journaled.\n\n");
    } else {
        let rows: Vec<Vec<String>> = m
            .security
            .iter()
            .map(|s| {
                vec![
                    s.seq.to_string(),
                    utc(s.ts),
                    escape(&s.event),
                    s.identity.as_deref().map_or_else(|| "—".into(), escape),
                    escape(&s.reason),
                ]
            })
            .collect();
        table(out, &["#", "When", "Event", "Identity", "Reason"], &rows);
    }
    if !m.recoveries.is_empty() {
        let rows: Vec<Vec<String>> = m
            .recoveries
            .iter()
            .map(|r| {
                vec![
                    r.seq.to_string(),
                    utc(r.ts),
                    r.records.to_string(),
                    r.truncated_bytes.to_string(),
                ]
            })
            .collect();
        out.push_str("Relay restarts:\n\n");
        table(
            out,
            &["#", "When", "Records intact", "Torn bytes cut off"],
            &rows,
        );
    }
}

fn integrity(aar: &AfterAction, out: &mut String) {
    let i = &aar.integrity;
    let mut rows = vec![
        vec!["Tree size".into(), format!("{} records", i.tree_size)],
        vec!["Root".into(), format!("`{}`", i.root)],
        vec![
            "Checkpoints".into(),
            format!("{} relay-signed", i.checkpoints),
        ],
        vec![
            "Last checkpoint".into(),
            i.last_checkpoint.as_ref().map_or_else(
                || "none".into(),
                |c| format!("size {} at {}", c.size, utc(c.ts)),
            ),
        ],
        vec![
            "Unsigned tail".into(),
            if i.unsigned_tail == 0 {
                "none: the last checkpoint covers every record".into()
            } else {
                format!(
                    "{} records after the last checkpoint: nothing signed proves they were not cut off or added",
                    i.unsigned_tail
                )
            },
        ],
    ];
    let witnesses = &aar.metrics.witnesses;
    rows.push(vec![
        "Witnesses".into(),
        if witnesses.is_empty() {
            "cosigning is not recorded in this journal: only the relay's signature vouches for the checkpoints".into()
        } else {
            witnesses
                .iter()
                .map(|w| format!("{} cosigned up to size {}", escape(w.identity.as_str()), w.size))
                .collect::<Vec<_>>()
                .join("<br>")
        },
    ]);
    table(out, &["Fact", "Value"], &rows);
}
