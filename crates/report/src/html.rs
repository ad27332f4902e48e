//! The report as one self-contained HTML file: inline CSS, charts drawn as inline SVG, no
//! script, and no external request of any kind (no fonts, stylesheets or images by URL; a
//! Content-Security-Policy of `default-src 'none'` makes any slip inert). Every piece of text
//! that comes from the journal or the scenario goes through [`escape`]; a redacted body is
//! shown as `[redacted]`.

use std::fmt::Write as _;

use fusioncell_wire::Role;
use fusioncell_wire::act_body::ClockAction;

use crate::format::{
    clock_time, duration, opt_scenario_time, scenario_duration, scenario_time, utc,
};
use crate::metrics::{CATEGORIES, InjectReport, Participation};
use crate::model::{AfterAction, Entry};
use crate::timeline::{MarkKind, describe};

/// The report's sections: element id and heading, in order.
pub const SECTIONS: [(&str, &str); 10] = [
    ("summary", "Summary"),
    ("timeline", "Timeline"),
    ("injects", "Injects and responses"),
    ("expected", "Expected actions and observations"),
    ("moderation", "Moderation"),
    ("clock", "Clock: pauses and halts"),
    ("hotline", "Hotline"),
    ("participation", "Participation"),
    ("security", "Security events"),
    ("integrity", "Integrity"),
];

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Appends formatted text to a `String` (writing to a `String` cannot fail).
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

const CSS: &str = r#"
:root{--ink:#1d2733;--muted:#5b6b7c;--line:#d9dee4;--accent:#1f3b6e;--soft:#f5f7fa}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
header{background:var(--accent);color:#fff;padding:22px 40px}
header h1{margin:0;font-size:26px;font-weight:650}
header p{margin:4px 0 0;opacity:.92}
header .handling{margin-top:10px;font-size:13px;opacity:.85}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:8px 40px;font-size:14px;z-index:1}
nav a{color:var(--accent);margin-right:14px;text-decoration:none;white-space:nowrap}
main{max-width:1120px;padding:4px 40px 60px}
section{margin-top:30px}
h2{font-size:21px;border-bottom:2px solid var(--accent);padding-bottom:4px;margin-bottom:12px}
h3{font-size:16px;margin:20px 0 6px}
table{border-collapse:collapse;width:100%;font-size:13.5px;margin:8px 0 4px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.t{white-space:nowrap;font-variant-numeric:tabular-nums}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(165px,1fr));gap:12px;margin:8px 0 16px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;background:var(--soft)}
.card b{display:block;font-size:24px;line-height:1.2}
.card span{color:var(--muted);font-size:13px}
.note,.none{color:var(--muted);font-size:13.5px}
.warn{border-left:4px solid #d08c00;background:#fff8e6;padding:8px 12px;margin:8px 0}
.redacted{color:var(--muted);font-style:italic}
.ok{color:#2e7d32;font-weight:600}
.bad{color:#b71c1c;font-weight:600}
.pending{color:#8a6d00;font-weight:600}
details{margin:6px 0;border:1px solid var(--line);border-radius:6px;padding:4px 10px}
details>summary{cursor:pointer;font-weight:600}
svg{max-width:100%;height:auto;display:block;margin:6px 0}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
.legend{margin:2px 0 10px}
.legend span{display:inline-block;margin-right:16px;font-size:13px;color:var(--muted)}
.legend i{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:5px;vertical-align:-1px}
.mono,.tm{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.mono{word-break:break-all}
.tm{white-space:nowrap}
ul.tight{margin:2px 0;padding-left:18px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:8px 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
footer{color:var(--muted);font-size:12.5px;border-top:1px solid var(--line);margin-top:40px;padding-top:10px}
@media print{nav{display:none}header{background:#fff;color:var(--ink)}details{border:none}}
"#;

/// Colours of the timeline marks.
fn mark_colour(k: MarkKind) -> &'static str {
    match k {
        MarkKind::Inject => "#1f3b6e",
        MarkKind::Post => "#5b84c4",
        MarkKind::Held => "#e09b00",
        MarkKind::Approve => "#2e8b57",
        MarkKind::Reject => "#c0392b",
        MarkKind::Ack => "#3fb37f",
        MarkKind::Escalate => "#8b0000",
        MarkKind::Other => "#9aa5b1",
    }
}

/// Colours of the participation categories, in [`Participation::parts`] order.
const PART_COLOURS: [&str; 7] = [
    "#5b84c4", "#3fb37f", "#9aa5b1", "#e09b00", "#1f3b6e", "#8e44ad", "#c8ced6",
];

/// Renders the whole report.
pub fn render(aar: &AfterAction) -> String {
    let mut out = String::with_capacity(64 * 1024 + aar.entries.len() * 400);
    let title = aar.title();
    w!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>After-action report: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        escape(&title)
    );
    w!(
        out,
        "<header>\n<h1>After-action report</h1>\n<p>{}</p>\n<p>cell <b>{}</b>{}</p>\n\
         <p class=\"handling\">For exercise control and evaluators: this report shows every channel, \
         back-channels included, and evaluator observations. Derived from the cell's signed journal.</p>\n</header>\n",
        escape(&title),
        escape(&aar.cell),
        aar.span
            .startex
            .map(|(_, t)| format!(" · STARTEX {}", utc(t)))
            .unwrap_or_default()
    );
    out.push_str("<nav>");
    for (id, heading) in SECTIONS {
        w!(out, "<a href=\"#{id}\">{heading}</a>\n");
    }
    out.push_str("</nav>\n<main>\n");
    let sections: [fn(&AfterAction, &mut String); 10] = [
        summary,
        timeline,
        injects,
        expected,
        moderation,
        clock,
        hotline,
        participation,
        security,
        integrity,
    ];
    for (f, (id, heading)) in sections.iter().zip(SECTIONS) {
        w!(out, "<section id=\"{id}\">\n<h2>{heading}</h2>\n");
        f(aar, &mut out);
        out.push_str("</section>\n");
    }
    w!(
        out,
        "<footer>Generated by fusioncell-report from the journal of cell {} ({} records, root <span class=\"mono\">{}</span>). \
         Scenario times are exercise time from STARTEX, as the journaled clock computed them; real times are the relay's, in UTC.</footer>\n",
        escape(&aar.cell),
        aar.integrity.tree_size,
        aar.integrity.root
    );
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

// ---- building blocks --------------------------------------------------------------------------

/// A table; `rows` hold HTML already escaped. Columns whose header starts with `#` or ends
/// with `)` after a unit are not special: numeric columns are named in `numeric`.
fn table(out: &mut String, headers: &[&str], numeric: &[usize], rows: &[Vec<String>]) {
    out.push_str("<table>\n<thead><tr>");
    for (i, h) in headers.iter().enumerate() {
        let class = if numeric.contains(&i) {
            " class=\"n\""
        } else {
            ""
        };
        w!(out, "<th{class}>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if numeric.contains(&i) {
                " class=\"n\""
            } else {
                ""
            };
            w!(out, "<td{class}>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn none(out: &mut String, what: &str) {
    w!(out, "<p class=\"none\">{}</p>\n", escape(what));
}

fn card(out: &mut String, value: &str, label: &str) {
    w!(
        out,
        "<div class=\"card\"><b>{}</b><span>{}</span></div>",
        escape(value),
        escape(label)
    );
}

/// A link to a record's row in the timeline.
fn seq_link(seq: u64) -> String {
    format!("<a href=\"#r{seq}\">#{seq}</a>")
}

/// A record's text, escaped, `[redacted]` styled.
fn text_of(e: &Entry) -> String {
    let text = escape(&describe(e));
    if e.redacted() {
        format!("<span class=\"redacted\">{text}</span>")
    } else {
        text
    }
}

/// `1 response`, `2 responses`.
pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn dash() -> String {
    "—".to_owned()
}

// ---- sections ----------------------------------------------------------------------------------

fn summary(aar: &AfterAction, out: &mut String) {
    let m = &aar.metrics;
    let planned = aar
        .scenario
        .as_ref()
        .map(|s| format!(" of {} planned", s.planned_injects))
        .unwrap_or_default();
    let party_posts = aar
        .entries
        .iter()
        .filter(|e| e.kind == fusioncell_wire::ActKind::Post)
        .count();
    let acked = m.hotline.iter().filter(|h| h.ack.is_some()).count();
    let escalated = m.hotline.iter().filter(|h| h.escalation.is_some()).count();
    let halts = m.stoppages.iter().filter(|s| s.halted).count();
    out.push_str("<div class=\"cards\">");
    card(out, &aar.integrity.tree_size.to_string(), "journal records");
    card(
        out,
        &m.injects.len().to_string(),
        &format!("injects delivered{planned}"),
    );
    card(out, &party_posts.to_string(), "posts");
    card(
        out,
        &m.moderation.held().to_string(),
        &format!(
            "held for moderation ({} approved, {} rejected, {} pending)",
            m.moderation.approved(),
            m.moderation.rejected(),
            m.moderation.pending()
        ),
    );
    card(
        out,
        &m.hotline.len().to_string(),
        &format!("hotline messages ({acked} acknowledged, {escalated} escalated)"),
    );
    card(
        out,
        &m.stoppages.len().to_string(),
        &format!("pauses and halts ({halts} real-world emergency)"),
    );
    card(
        out,
        &m.observations.len().to_string(),
        "evaluator observations",
    );
    card(out, &m.security.len().to_string(), "security events");
    card(out, &m.redactions.len().to_string(), "redactions");
    out.push_str("</div>\n");

    if let Some(s) = &aar.scenario
        && let Some(d) = &s.description
    {
        w!(out, "<p>{}</p>\n", escape(d));
    }
    out.push_str("<dl class=\"facts\">\n");
    let mut fact = |k: &str, v: String| w!(out, "<dt>{}</dt><dd>{v}</dd>\n", escape(k));
    fact("Cell", escape(&aar.cell));
    if let Some(s) = &aar.scenario {
        fact("Scenario", escape(&s.title));
        let moves: Vec<String> = s
            .moves
            .iter()
            .map(|(id, t)| format!("{}: {}", escape(id), escape(t)))
            .collect();
        fact("Moves", moves.join(" · "));
    } else {
        fact(
            "Scenario",
            "not given: injects are listed from the journal alone".to_owned(),
        );
    }
    let span = &aar.span;
    fact(
        "STARTEX",
        span.startex.map_or_else(
            || "not started".to_owned(),
            |(seq, t)| format!("{} ({})", utc(t), seq_link(seq)),
        ),
    );
    fact(
        "ENDEX",
        span.endex.map_or_else(
            || "not recorded: the journal ends during play".to_owned(),
            |(seq, t)| format!("{} ({})", utc(t), seq_link(seq)),
        ),
    );
    fact(
        "Duration",
        format!(
            "{} real time; scenario time reached {}{}",
            span.real_ms().map_or_else(dash, duration),
            scenario_time(span.scenario_end_ms),
            span.speed
                .map(|s| format!(" (×{s} at STARTEX)"))
                .unwrap_or_default()
        ),
    );
    let mut by_role: Vec<String> = Vec::new();
    for p in &aar.identities {
        by_role.push(format!("{} ({})", escape(p.id.as_str()), p.role.as_str()));
    }
    fact("Identities", by_role.join(", "));
    let channels: Vec<String> = aar
        .channels
        .iter()
        .map(|c| format!("{} ({})", escape(c.id.as_str()), c.policy))
        .collect();
    fact("Channels", channels.join(", "));
    fact(
        "Receipts",
        format!("{} delivered, {} read", m.receipts.0, m.receipts.1),
    );
    out.push_str("</dl>\n");
}

fn timeline(aar: &AfterAction, out: &mut String) {
    let tl = &aar.timeline;
    out.push_str(
        "<p class=\"note\">Each strip is a channel over scenario time (the journaled exercise clock: \
         it stands still while play is paused). Vertical bars are injects; dashed lines are clock changes.</p>\n",
    );
    let (w, left, right, top, lane_h) = (1000.0_f64, 150.0, 16.0, 44.0, 38.0);
    let plot = w - left - right;
    let height = top + lane_h * tl.lanes.len() as f64 + 30.0;
    let x = |ms: u64| left + plot * (ms as f64 / tl.span_ms as f64);
    w!(
        out,
        "<svg viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-label=\"Timeline per channel\">\n"
    );
    for (i, lane) in tl.lanes.iter().enumerate() {
        let y0 = top + lane_h * i as f64;
        let fill = if i % 2 == 0 { "#f5f7fa" } else { "#ffffff" };
        w!(
            out,
            "<rect x=\"{left}\" y=\"{y0}\" width=\"{plot}\" height=\"{lane_h}\" fill=\"{fill}\"/>\
             <text x=\"8\" y=\"{:.1}\" font-size=\"13\" fill=\"#1d2733\">#{}</text>\
             <text x=\"8\" y=\"{:.1}\" font-size=\"10.5\" fill=\"#5b6b7c\">{}</text>\n",
            y0 + 17.0,
            escape(lane.channel.as_str()),
            y0 + 30.0,
            lane.policy
        );
    }
    // Axis and ticks.
    let bottom = top + lane_h * tl.lanes.len() as f64;
    let step = tick_step_ms(tl.span_ms);
    let mut t = 0;
    while t <= tl.span_ms {
        let xt = x(t);
        let label = if step >= 60_000 {
            scenario_time(t)[..5].to_owned()
        } else {
            scenario_time(t)
        };
        w!(
            out,
            "<line x1=\"{xt:.1}\" y1=\"{top}\" x2=\"{xt:.1}\" y2=\"{:.1}\" stroke=\"#d9dee4\" stroke-width=\"1\"/>\
             <text x=\"{xt:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#5b6b7c\" text-anchor=\"middle\">{label}</text>\n",
            bottom + 4.0,
            bottom + 18.0
        );
        t += step;
    }
    w!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#5b6b7c\" text-anchor=\"end\">scenario time (HH:MM)</text>\n",
        w - right,
        bottom + 30.0
    );
    // Clock changes across every strip; labels take the first of three rows where they do
    // not run into the previous label (a pause and its resume share a scenario time).
    let mut row_end = [f64::NEG_INFINITY; 3];
    for c in &tl.clock {
        let xc = x(c.scenario_ms);
        let (colour, label) = match c.action {
            ClockAction::Start => ("#1f3b6e", "STARTEX"),
            ClockAction::End => ("#1f3b6e", "ENDEX"),
            ClockAction::Pause => ("#8a6d00", "pause"),
            ClockAction::Resume => ("#2e7d32", "resume"),
            ClockAction::Halt => ("#b71c1c", "HALT"),
        };
        let width = label.len() as f64 * 6.5 + 4.0;
        let (anchor, tx, start) = if xc > w - 80.0 {
            ("end", xc - 3.0, xc - 3.0 - width)
        } else {
            ("start", xc + 3.0, xc + 3.0)
        };
        let row = row_end.iter().position(|end| start > *end).unwrap_or(2);
        row_end[row] = start + width;
        let ty = top - 4.0 - 13.0 * row as f64;
        w!(
            out,
            "<g><title>#{} {} at {}</title><line x1=\"{xc:.1}\" y1=\"{:.1}\" x2=\"{xc:.1}\" y2=\"{bottom}\" stroke=\"{colour}\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>\
             <text x=\"{tx:.1}\" y=\"{ty:.1}\" font-size=\"10.5\" fill=\"{colour}\" text-anchor=\"{anchor}\">{label}</text></g>\n",
            c.seq,
            label,
            scenario_time(c.scenario_ms),
            ty - 9.0,
        );
    }
    // Marks.
    for (i, lane) in tl.lanes.iter().enumerate() {
        let y0 = top + lane_h * i as f64;
        let cy = y0 + lane_h / 2.0 + 4.0;
        for mk in &lane.marks {
            let xm = x(mk.scenario_ms);
            let colour = mark_colour(mk.kind);
            let tip = format!(
                "#{} {} {}: {}",
                mk.seq,
                scenario_time(mk.scenario_ms),
                mk.label,
                mk.kind.label()
            );
            match mk.kind {
                MarkKind::Inject => w!(
                    out,
                    "<g><title>{}</title><line x1=\"{xm:.1}\" y1=\"{:.1}\" x2=\"{xm:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"2.5\"/>\
                     <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" font-weight=\"600\" fill=\"{colour}\">{}</text></g>\n",
                    escape(&tip),
                    y0 + 3.0,
                    y0 + lane_h - 3.0,
                    xm + 3.0,
                    y0 + 11.0,
                    escape(&mk.label)
                ),
                MarkKind::Escalate | MarkKind::Reject => w!(
                    out,
                    "<g><title>{}</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"{colour}\" transform=\"rotate(45 {xm:.1} {cy:.1})\"/></g>\n",
                    escape(&tip),
                    xm - 4.0,
                    cy - 4.0
                ),
                _ => w!(
                    out,
                    "<g><title>{}</title><circle cx=\"{xm:.1}\" cy=\"{cy:.1}\" r=\"4.5\" fill=\"{colour}\" fill-opacity=\"0.85\" stroke=\"#fff\" stroke-width=\"0.8\"/></g>\n",
                    escape(&tip)
                ),
            }
        }
    }
    out.push_str("</svg>\n<div class=\"legend\">");
    for k in MarkKind::ALL {
        w!(
            out,
            "<span><i style=\"background:{}\"></i>{}</span>",
            mark_colour(k),
            k.label()
        );
    }
    out.push_str("</div>\n");

    // The transcript, per channel, then cell-wide records.
    let headers = ["#", "scenario", "relay (UTC)", "who", "kind", "text"];
    let row = |e: &Entry| {
        vec![
            format!("<span id=\"r{0}\">{0}</span>", e.seq),
            format!(
                "<span class=\"tm\">{}</span>",
                opt_scenario_time(e.scenario_ms)
            ),
            format!("<span class=\"tm\">{}</span>", clock_time(e.ts)),
            escape(e.actor.as_str()),
            format!("{}{}", e.kind_name(), if e.held { " (held)" } else { "" }),
            text_of(e),
        ]
    };
    for lane in &tl.lanes {
        let rows: Vec<Vec<String>> = aar
            .entries
            .iter()
            .filter(|e| {
                e.channel.as_ref() == Some(&lane.channel)
                    && e.kind != fusioncell_wire::ActKind::Clock
            })
            .map(&row)
            .collect();
        w!(
            out,
            "<details><summary>#{} ({}): {} records</summary>\n",
            escape(lane.channel.as_str()),
            lane.policy,
            rows.len()
        );
        if rows.is_empty() {
            none(out, "No records on this channel.");
        } else {
            table(out, &headers, &[0], &rows);
        }
        out.push_str("</details>\n");
    }
    let rows: Vec<Vec<String>> = aar
        .entries
        .iter()
        .filter(|e| e.channel.is_none())
        .map(row)
        .collect();
    w!(
        out,
        "<details><summary>Cell-wide records (clock, supervision, observations, receipts, relay): {}</summary>\n",
        rows.len()
    );
    table(out, &headers, &[0], &rows);
    out.push_str("</details>\n");
}

/// A tick step giving at most about 12 ticks.
fn tick_step_ms(span_ms: u64) -> u64 {
    const STEPS_S: [u64; 18] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
        86_400,
    ];
    for s in STEPS_S {
        if span_ms / (s * 1000) <= 12 {
            return s * 1000;
        }
    }
    (span_ms / 12).max(1)
}

fn response_cell(i: &InjectReport) -> String {
    match i.first() {
        None => "<span class=\"pending\">no response</span>".to_owned(),
        Some(r) => format!(
            "{} by {} after {} scenario / {} real",
            seq_link(r.seq),
            escape(r.actor.as_str()),
            i.first_scenario_ms().map_or_else(dash, scenario_duration),
            i.first_real_ms().map_or_else(dash, duration)
        ),
    }
}

fn injects(aar: &AfterAction, out: &mut String) {
    let m = &aar.metrics;
    out.push_str(
        "<p class=\"note\">Responses are the posts on the inject's channel after it, until the next inject on that channel \
         (exercise control's own posts excluded). Time to first response is given in scenario time and in real time.</p>\n",
    );
    if m.injects.is_empty() {
        none(out, "No inject was delivered.");
    } else {
        let rows: Vec<Vec<String>> = m
            .injects
            .iter()
            .map(|i| {
                let planned = i
                    .at_s
                    .map(|s| {
                        format!(
                            " <span class=\"note\">(planned {})</span>",
                            scenario_time(s * 1000)
                        )
                    })
                    .unwrap_or_default();
                let responders: Vec<String> =
                    i.responders().iter().map(|r| escape(r.as_str())).collect();
                vec![
                    format!("<b>{}</b> {}", escape(&i.name()), seq_link(i.seq)),
                    format!(
                        "<span class=\"tm\">{}</span>{planned}",
                        opt_scenario_time(i.scenario_ms)
                    ),
                    escape(i.channel.as_str()),
                    i.title.as_deref().map_or_else(
                        || "<span class=\"redacted\">[redacted]</span>".to_owned(),
                        escape,
                    ),
                    i.responses.len().to_string(),
                    if responders.is_empty() {
                        dash()
                    } else {
                        responders.join(", ")
                    },
                    response_cell(i),
                ]
            })
            .collect();
        table(
            out,
            &[
                "inject",
                "delivered",
                "channel",
                "title",
                "responses",
                "responders",
                "first response",
            ],
            &[4],
            &rows,
        );
    }
    if !m.unfired.is_empty() {
        out.push_str("<h3>Planned but not delivered</h3>\n");
        let rows: Vec<Vec<String>> = m
            .unfired
            .iter()
            .map(|p| {
                vec![
                    escape(&p.id),
                    format!("<span class=\"tm\">{}</span>", scenario_time(p.at_s * 1000)),
                    escape(p.channel.as_str()),
                    escape(&p.title),
                    if p.contingency {
                        "contingency (fires only on demand)".to_owned()
                    } else {
                        "scheduled".to_owned()
                    },
                ]
            })
            .collect();
        table(
            out,
            &["inject", "planned", "channel", "title", "kind"],
            &[],
            &rows,
        );
    }
    out.push_str("<h3>Time to first response (scenario time)</h3>\n");
    histogram(aar, out);
}

fn histogram(aar: &AfterAction, out: &mut String) {
    let values: Vec<u64> = aar
        .metrics
        .injects
        .iter()
        .filter_map(InjectReport::first_scenario_ms)
        .collect();
    let unanswered = aar
        .metrics
        .injects
        .iter()
        .filter(|i| i.first().is_none())
        .count();
    let Some(&max) = values.iter().max() else {
        none(out, "No inject drew a response.");
        return;
    };
    const BINS_S: [u64; 14] = [
        10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
    ];
    let bin = BINS_S
        .iter()
        .map(|s| s * 1000)
        .find(|b| max / b < 10)
        .unwrap_or_else(|| max / 9 + 1);
    let n = usize::try_from(max / bin + 1).unwrap_or(1);
    let mut counts = vec![0_usize; n];
    for v in &values {
        if let Some(c) = usize::try_from(v / bin)
            .ok()
            .and_then(|i| counts.get_mut(i))
        {
            *c += 1;
        }
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1);
    let (w, h, left, bottom, top_pad) = (720.0_f64, 230.0_f64, 44.0, 46.0, 14.0);
    let plot_w = w - left - 26.0;
    let plot_h = h - bottom - top_pad;
    let bw = plot_w / n as f64;
    w!(
        out,
        "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Histogram of time to first response\">\n"
    );
    // Y grid.
    let ystep = (top as f64 / 4.0).ceil().max(1.0) as usize;
    let mut y = 0;
    while y <= top {
        let yy = top_pad + plot_h - plot_h * y as f64 / top as f64;
        w!(
            out,
            "<line x1=\"{left}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"#e6e9ed\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#5b6b7c\" text-anchor=\"end\">{y}</text>\n",
            left + plot_w,
            left - 6.0,
            yy + 4.0
        );
        y += ystep;
    }
    for (i, &c) in counts.iter().enumerate() {
        let x0 = left + bw * i as f64;
        let bh = plot_h * c as f64 / top as f64;
        let lo = bin * i as u64;
        w!(
            out,
            "<g><title>{}–{}: {c} injects</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#5b84c4\"/></g>\n",
            edge_label(lo, bin),
            edge_label(lo + bin, bin),
            x0 + 2.0,
            top_pad + plot_h - bh,
            (bw - 4.0).max(1.0)
        );
        if c > 0 {
            w!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#1d2733\" text-anchor=\"middle\">{c}</text>\n",
                x0 + bw / 2.0,
                top_pad + plot_h - bh - 3.0
            );
        }
    }
    for i in 0..=n {
        let xe = left + bw * i as f64;
        w!(
            out,
            "<text x=\"{xe:.1}\" y=\"{:.1}\" font-size=\"10.5\" fill=\"#5b6b7c\" text-anchor=\"middle\">{}</text>\n",
            top_pad + plot_h + 15.0,
            edge_label(bin * i as u64, bin)
        );
    }
    w!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#5b6b7c\" text-anchor=\"middle\">scenario time from inject to first response{}</text>\n</svg>\n",
        left + plot_w / 2.0,
        h - 8.0,
        if bin < 60_000 { " (min:s)" } else { "" }
    );
    w!(
        out,
        "<p class=\"note\">{} answered; {unanswered} drew no response.</p>\n",
        plural(values.len(), "inject")
    );
}

/// A histogram edge: `m:ss` for bins under a minute, else minutes, else `h:mm`.
fn edge_label(ms: u64, bin: u64) -> String {
    let s = ms / 1000;
    if bin < 60_000 {
        format!("{}:{:02}", s / 60, s % 60)
    } else if bin < 3_600_000 {
        format!("{} min", s / 60)
    } else {
        format!("{}:{:02} h", s / 3600, s / 60 % 60)
    }
}

fn expected(aar: &AfterAction, out: &mut String) {
    let m = &aar.metrics;
    if aar.scenario.is_none() {
        out.push_str(
            "<p class=\"warn\">No scenario was given: expected actions and objectives are not in the journal \
             (injects carry only what players may see). Run the report with <span class=\"mono\">--scenario</span> to list them.</p>\n",
        );
    }
    let obs_html = |idx: &[usize]| -> String {
        if idx.is_empty() {
            return "<span class=\"note\">none recorded</span>".to_owned();
        }
        let items: Vec<String> = idx
            .iter()
            .filter_map(|&i| m.observations.get(i))
            .map(|o| {
                let text = o.text.as_deref().map_or_else(
                    || "<span class=\"redacted\">[redacted]</span>".to_owned(),
                    escape,
                );
                format!(
                    "<li>{} {} ({}): {text}</li>",
                    seq_link(o.seq),
                    escape(o.actor.as_str()),
                    opt_scenario_time(o.scenario_ms)
                )
            })
            .collect();
        format!("<ul class=\"tight\">{}</ul>", items.join(""))
    };
    let list = |items: &[String]| -> String {
        if items.is_empty() {
            return "<span class=\"note\">none listed</span>".to_owned();
        }
        let li: Vec<String> = items
            .iter()
            .map(|t| format!("<li>{}</li>", escape(t)))
            .collect();
        format!("<ul class=\"tight\">{}</ul>", li.join(""))
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    for i in &m.injects {
        let (expected, objective) = match &i.planned {
            Some(p) => (
                list(&p.expected),
                p.objective
                    .as_deref()
                    .map(|o| format!("<br><span class=\"note\">Objective: {}</span>", escape(o)))
                    .unwrap_or_default(),
            ),
            None => (
                "<span class=\"note\">not in the scenario</span>".to_owned(),
                String::new(),
            ),
        };
        let evidence = if i.responses.is_empty() {
            response_cell(i)
        } else {
            let r: Vec<String> = i.responders().iter().map(|r| escape(r.as_str())).collect();
            format!(
                "{} from {}; first: {}",
                plural(i.responses.len(), "response"),
                r.join(", "),
                response_cell(i)
            )
        };
        rows.push(vec![
            format!(
                "<b>{}</b> {}<br>{}{objective}",
                escape(&i.name()),
                seq_link(i.seq),
                i.title.as_deref().map(escape).unwrap_or_default()
            ),
            expected,
            evidence,
            obs_html(&i.observations),
        ]);
    }
    for p in &m.unfired {
        rows.push(vec![
            format!(
                "<b>{}</b> <span class=\"note\">not delivered</span><br>{}{}",
                escape(&p.id),
                escape(&p.title),
                p.objective
                    .as_deref()
                    .map(|o| format!("<br><span class=\"note\">Objective: {}</span>", escape(o)))
                    .unwrap_or_default()
            ),
            list(&p.expected),
            "<span class=\"note\">not delivered</span>".to_owned(),
            dash(),
        ]);
    }
    if rows.is_empty() {
        none(out, "No inject was delivered or planned.");
    } else {
        table(
            out,
            &[
                "inject",
                "expected actions",
                "journal evidence",
                "evaluator observations",
            ],
            &[],
            &rows,
        );
    }
    let loose: Vec<usize> = m
        .observations
        .iter()
        .enumerate()
        .filter(|(_, o)| o.injects.is_empty())
        .map(|(i, _)| i)
        .collect();
    out.push_str("<h3>Observations not tied to an inject</h3>\n");
    if loose.is_empty() {
        none(out, "None.");
    } else {
        let rows: Vec<Vec<String>> = loose
            .iter()
            .filter_map(|&i| m.observations.get(i))
            .map(|o| {
                let refs: Vec<String> = o.refs.iter().map(|r| seq_link(*r)).collect();
                vec![
                    seq_link(o.seq),
                    escape(o.actor.as_str()),
                    format!(
                        "<span class=\"tm\">{}</span>",
                        opt_scenario_time(o.scenario_ms)
                    ),
                    if refs.is_empty() {
                        dash()
                    } else {
                        refs.join(", ")
                    },
                    o.about.as_deref().map_or_else(dash, escape),
                    o.text.as_deref().map_or_else(
                        || "<span class=\"redacted\">[redacted]</span>".to_owned(),
                        escape,
                    ),
                ]
            })
            .collect();
        table(
            out,
            &["#", "evaluator", "scenario", "refs", "about", "observation"],
            &[],
            &rows,
        );
    }
}

fn moderation(aar: &AfterAction, out: &mut String) {
    let md = &aar.metrics.moderation;
    w!(
        out,
        "<p><b>{}</b> posts held for the mediator: <span class=\"ok\">{} approved</span>, \
         <span class=\"bad\">{} rejected</span>, <span class=\"pending\">{} pending</span> at the end of the journal.</p>\n",
        md.held(),
        md.approved(),
        md.rejected(),
        md.pending()
    );
    if let (Some((med, max)), scen) = (md.queue_real(), md.queue_scenario()) {
        w!(
            out,
            "<p>Time in queue: median {} (max {}) real time{}.</p>\n",
            duration(med),
            duration(max),
            scen.map(|(m, x)| format!(
                "; median {} (max {}) scenario time",
                scenario_duration(m),
                scenario_duration(x)
            ))
            .unwrap_or_default()
        );
    }
    if md.posts.is_empty() {
        none(out, "No post was held for moderation.");
    } else {
        let rows: Vec<Vec<String>> = md
            .posts
            .iter()
            .map(|p| {
                let (decision, by, reason) = match &p.decision {
                    Some(d) if d.approved => (
                        format!("<span class=\"ok\">approved</span> {}", seq_link(d.seq)),
                        escape(d.by.as_str()),
                        dash(),
                    ),
                    Some(d) => (
                        format!("<span class=\"bad\">rejected</span> {}", seq_link(d.seq)),
                        escape(d.by.as_str()),
                        d.reason.as_deref().map_or_else(dash, escape),
                    ),
                    None => (
                        "<span class=\"pending\">pending</span>".to_owned(),
                        dash(),
                        dash(),
                    ),
                };
                vec![
                    seq_link(p.seq),
                    escape(p.channel.as_str()),
                    escape(p.sender.as_str()),
                    format!(
                        "<span class=\"tm\">{}</span>",
                        opt_scenario_time(p.scenario_ms)
                    ),
                    decision,
                    by,
                    p.queue_real_ms().map_or_else(dash, duration),
                    p.queue_scenario_ms().map_or_else(dash, scenario_duration),
                    reason,
                ]
            })
            .collect();
        table(
            out,
            &[
                "post",
                "channel",
                "sender",
                "submitted",
                "decision",
                "by",
                "queue (real)",
                "queue (scenario)",
                "reason given",
            ],
            &[6, 7],
            &rows,
        );
    }
    let m = &aar.metrics;
    if !m.supervision.is_empty() {
        out.push_str("<h3>Mutes and membership changes</h3>\n");
        let rows: Vec<Vec<String>> = m
            .supervision
            .iter()
            .filter_map(|&s| aar.entry(s))
            .map(|e| {
                vec![
                    seq_link(e.seq),
                    format!(
                        "<span class=\"tm\">{}</span>",
                        opt_scenario_time(e.scenario_ms)
                    ),
                    escape(e.actor.as_str()),
                    text_of(e),
                ]
            })
            .collect();
        table(out, &["#", "scenario", "by", "act"], &[], &rows);
    }
    out.push_str("<h3>Redactions</h3>\n");
    if m.redactions.is_empty() {
        none(out, "No record was redacted.");
    } else {
        w!(
            out,
            "<p>{} redacted. Their text is shown nowhere in this report; their hashes stay in the journal, so it still verifies.</p>\n",
            plural(m.redactions.len(), "record")
        );
        let rows: Vec<Vec<String>> = m
            .redactions
            .iter()
            .map(|r| {
                vec![
                    seq_link(r.seq),
                    escape(r.by.as_str()),
                    seq_link(r.target),
                    r.target_kind.unwrap_or("?").to_owned(),
                    r.target_actor
                        .as_ref()
                        .map_or_else(dash, |a| escape(a.as_str())),
                    escape(&r.reason),
                ]
            })
            .collect();
        table(
            out,
            &["#", "by", "record", "kind", "author", "reason given"],
            &[],
            &rows,
        );
    }
}

fn clock(aar: &AfterAction, out: &mut String) {
    let m = &aar.metrics;
    let paused: i64 = m.stoppages.iter().filter_map(|s| s.real_ms()).sum();
    if m.stoppages.is_empty() {
        none(out, "Play was never paused or halted.");
    } else {
        w!(
            out,
            "<p>{}, {}; play stood still for {} of real time in all.</p>\n",
            plural(m.stoppages.iter().filter(|s| !s.halted).count(), "pause"),
            plural(
                m.stoppages.iter().filter(|s| s.halted).count(),
                "real-world-emergency halt"
            ),
            duration(paused)
        );
        let rows: Vec<Vec<String>> = m
            .stoppages
            .iter()
            .map(|s| {
                let kind = if s.halted {
                    "<span class=\"bad\">HALT</span>"
                } else {
                    "pause"
                };
                let end = s.end.as_ref().map_or_else(
                    || {
                        "<span class=\"pending\">still stopped at the end of the journal</span>"
                            .to_owned()
                    },
                    |e| {
                        format!(
                            "{} {} by {}",
                            e.action.as_str(),
                            seq_link(e.seq),
                            escape(e.actor.as_str())
                        )
                    },
                );
                vec![
                    format!("{kind} {}", seq_link(s.start.seq)),
                    escape(s.start.actor.as_str()),
                    format!(
                        "<span class=\"tm\">{}</span>",
                        opt_scenario_time(s.start.scenario_ms)
                    ),
                    format!("<span class=\"tm\">{}</span>", utc(s.start.ts)),
                    s.start.reason.as_deref().map_or_else(dash, escape),
                    end,
                    s.real_ms().map_or_else(dash, duration),
                ]
            })
            .collect();
        table(
            out,
            &[
                "stop",
                "by",
                "at (scenario)",
                "at (real)",
                "reason",
                "ended by",
                "duration (real)",
            ],
            &[6],
            &rows,
        );
    }
    out.push_str("<h3>Every clock change</h3>\n");
    if m.clock_events.is_empty() {
        none(out, "The clock was never started.");
        return;
    }
    let rows: Vec<Vec<String>> = m
        .clock_events
        .iter()
        .map(|c| {
            vec![
                seq_link(c.seq),
                c.action.as_str().to_owned(),
                escape(c.actor.as_str()),
                format!(
                    "<span class=\"tm\">{}</span>",
                    opt_scenario_time(c.scenario_ms)
                ),
                format!("<span class=\"tm\">{}</span>", utc(c.ts)),
                c.speed.map_or_else(dash, |s| format!("×{s}")),
                c.reason.as_deref().map_or_else(dash, escape),
            ]
        })
        .collect();
    table(
        out,
        &["#", "action", "by", "scenario", "real", "speed", "reason"],
        &[],
        &rows,
    );
}

fn hotline(aar: &AfterAction, out: &mut String) {
    let m = &aar.metrics;
    let acks: Vec<i64> = m
        .hotline
        .iter()
        .filter_map(|h| h.ack.as_ref().map(|a| a.real_ms))
        .collect();
    let escalated = m.hotline.iter().filter(|h| h.escalation.is_some()).count();
    w!(
        out,
        "<p>{} hotline messages: {} acknowledged, {escalated} escalated to the mediator.{}</p>\n",
        m.hotline.len(),
        acks.len(),
        match (crate::format::median(&acks), acks.iter().max()) {
            (Some(med), Some(max)) => format!(
                " Acknowledgement time: median {} (max {}) real time.",
                duration(med),
                duration(*max)
            ),
            _ => String::new(),
        }
    );
    if !aar.config_given {
        out.push_str(
            "<p class=\"note\">Deadlines are shown when an escalation states them; the journal's open record does not \
             carry them (give <span class=\"mono\">--config</span> for all).</p>\n",
        );
    }
    if m.hotline.is_empty() {
        none(out, "No hotline message.");
        return;
    }
    let rows: Vec<Vec<String>> = m
        .hotline
        .iter()
        .map(|h| {
            let ack = h.ack.as_ref().map_or_else(
                || "<span class=\"pending\">not acknowledged</span>".to_owned(),
                |a| format!("{} by {}", seq_link(a.seq), escape(a.actor.as_str())),
            );
            let esc = h.escalation.as_ref().map_or_else(dash, |x| {
                format!(
                    "<span class=\"bad\">escalated</span> {} after {}",
                    seq_link(x.seq),
                    duration(x.real_ms)
                )
            });
            vec![
                seq_link(h.seq),
                escape(h.channel.as_str()),
                escape(h.sender.as_str()),
                format!(
                    "<span class=\"tm\">{}</span>",
                    opt_scenario_time(h.scenario_ms)
                ),
                h.ack_seconds.map_or_else(dash, |s| format!("{s} s")),
                ack,
                h.ack.as_ref().map_or_else(dash, |a| duration(a.real_ms)),
                h.ack
                    .as_ref()
                    .and_then(|a| a.scenario_ms)
                    .map_or_else(dash, scenario_duration),
                esc,
            ]
        })
        .collect();
    table(
        out,
        &[
            "message",
            "channel",
            "sender",
            "sent",
            "deadline",
            "acknowledged",
            "after (real)",
            "after (scenario)",
            "escalation",
        ],
        &[6, 7],
        &rows,
    );
}

fn participation(aar: &AfterAction, out: &mut String) {
    let parts = &aar.metrics.participation;
    let max = parts
        .iter()
        .map(Participation::total)
        .max()
        .unwrap_or(0)
        .max(1);
    let (w, left, right, row_h, top) = (1000.0_f64, 150.0, 60.0, 26.0, 6.0);
    let plot = w - left - right;
    let h = top + row_h * parts.len() as f64 + 6.0;
    w!(
        out,
        "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Acts per identity\">\n"
    );
    for (i, p) in parts.iter().enumerate() {
        let y = top + row_h * i as f64;
        w!(
            out,
            "<text x=\"8\" y=\"{:.1}\" font-size=\"13\" fill=\"#1d2733\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10.5\" fill=\"#5b6b7c\" text-anchor=\"end\">{}</text>\n",
            y + 17.0,
            escape(p.id.as_str()),
            left - 8.0,
            y + 17.0,
            p.role.map_or("", |r| r.as_str())
        );
        let mut x = left;
        for ((name, n), colour) in p.parts().iter().zip(PART_COLOURS) {
            if *n == 0 {
                continue;
            }
            let bw = plot * *n as f64 / max as f64;
            w!(
                out,
                "<g><title>{}: {n} {name}</title><rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{colour}\"/></g>\n",
                escape(p.id.as_str()),
                y + 4.0,
                row_h - 8.0
            );
            x += bw;
        }
        w!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#1d2733\">{}</text>\n",
            x + 6.0,
            y + 17.0,
            p.total()
        );
    }
    out.push_str("</svg>\n<div class=\"legend\">");
    for (name, colour) in CATEGORIES.iter().zip(PART_COLOURS) {
        w!(
            out,
            "<span><i style=\"background:{colour};border-radius:2px\"></i>{name}</span>"
        );
    }
    out.push_str("</div>\n");
    let rows: Vec<Vec<String>> = parts
        .iter()
        .map(|p| {
            let mut row = vec![
                escape(p.id.as_str()),
                p.role.map_or("", |r| r.as_str()).to_owned(),
            ];
            row.extend(p.parts().iter().map(|(_, n)| n.to_string()));
            row.push(p.total().to_string());
            row
        })
        .collect();
    table(
        out,
        &[
            "identity",
            "role",
            "posts",
            "acks",
            "receipts",
            "decisions",
            "injects",
            "observations",
            "other",
            "total",
        ],
        &[2, 3, 4, 5, 6, 7, 8, 9],
        &rows,
    );
}

fn security(aar: &AfterAction, out: &mut String) {
    let m = &aar.metrics;
    if m.security.is_empty() {
        none(
            out,
            "No security event: no refused login and no refused act was journaled.",
        );
    } else {
        let mut by_kind: std::collections::BTreeMap<&str, usize> = Default::default();
        for s in &m.security {
            *by_kind.entry(s.event.as_str()).or_default() += 1;
        }
        out.push_str("<h3>By kind</h3>\n");
        let rows: Vec<Vec<String>> = by_kind
            .iter()
            .map(|(k, n)| vec![escape(k), n.to_string()])
            .collect();
        table(out, &["event", "count"], &[1], &rows);
        out.push_str("<h3>Every event</h3>\n");
        let rows: Vec<Vec<String>> = m
            .security
            .iter()
            .map(|s| {
                vec![
                    seq_link(s.seq),
                    format!("<span class=\"tm\">{}</span>", utc(s.ts)),
                    escape(&s.event),
                    s.identity.as_deref().map_or_else(dash, escape),
                    s.peer.as_deref().map_or_else(dash, |p| {
                        format!("<span class=\"mono\">{}</span>", escape(p))
                    }),
                    escape(&s.reason),
                ]
            })
            .collect();
        table(
            out,
            &["#", "when", "event", "identity", "peer", "reason"],
            &[],
            &rows,
        );
    }
    out.push_str("<h3>Relay restarts</h3>\n");
    if m.recoveries.is_empty() {
        none(out, "The relay did not restart during the exercise.");
    } else {
        let rows: Vec<Vec<String>> = m
            .recoveries
            .iter()
            .map(|r| {
                vec![
                    seq_link(r.seq),
                    format!("<span class=\"tm\">{}</span>", utc(r.ts)),
                    r.records.to_string(),
                    r.truncated_bytes.to_string(),
                ]
            })
            .collect();
        table(
            out,
            &["#", "when", "records intact", "torn bytes cut off"],
            &[2, 3],
            &rows,
        );
    }
}

fn integrity(aar: &AfterAction, out: &mut String) {
    let i = &aar.integrity;
    out.push_str(
        "<p>The journal was verified before this report was written: every signature, the Merkle tree \
         against every checkpoint, per-identity sequence numbers, and every authorization decision re-derived.</p>\n\
         <dl class=\"facts\">\n",
    );
    w!(out, "<dt>Tree size</dt><dd>{} records</dd>\n", i.tree_size);
    w!(
        out,
        "<dt>Root</dt><dd class=\"mono\">{}</dd>\n<dt>Checkpoints</dt><dd>{} relay-signed</dd>\n",
        i.root,
        i.checkpoints
    );
    match &i.last_checkpoint {
        Some(cp) => w!(
            out,
            "<dt>Last checkpoint</dt><dd>size {} at {}, root <span class=\"mono\">{}</span></dd>\n",
            cp.size,
            utc(cp.ts),
            cp.root
        ),
        None => out.push_str("<dt>Last checkpoint</dt><dd>none</dd>\n"),
    }
    if i.unsigned_tail == 0 {
        out.push_str("<dt>Unsigned tail</dt><dd class=\"ok\">none: the last checkpoint covers every record</dd>\n");
    } else {
        w!(
            out,
            "<dt>Unsigned tail</dt><dd class=\"pending\">{} records after the last checkpoint: nothing signed proves \
             they were not cut off or added</dd>\n",
            i.unsigned_tail
        );
    }
    w!(
        out,
        "<dt>Config</dt><dd>SHA-256 <span class=\"mono\">{}</span></dd>\n",
        aar.config_sha256
    );
    let witnesses = &aar.metrics.witnesses;
    if witnesses.is_empty() {
        out.push_str(
            "<dt>Witnesses</dt><dd>cosigning is not recorded in this journal: no party's cosignature of a checkpoint \
             is journaled, so only the relay's signature vouches for the checkpoints</dd>\n",
        );
    } else {
        let items: Vec<String> = witnesses
            .iter()
            .map(|w| {
                format!(
                    "{} cosigned up to size {} ({}{})",
                    escape(w.identity.as_str()),
                    w.size,
                    seq_link(w.seq),
                    if w.root.is_empty() {
                        String::new()
                    } else {
                        format!(", root <span class=\"mono\">{}</span>", escape(&w.root))
                    }
                )
            })
            .collect();
        let silent: Vec<String> = aar
            .identities
            .iter()
            .filter(|p| matches!(p.role, Role::Party | Role::Mediator))
            .filter(|p| !witnesses.iter().any(|w| w.identity == p.id))
            .map(|p| escape(p.id.as_str()))
            .collect();
        let silent = if silent.is_empty() {
            String::new()
        } else {
            format!("<br>no cosignature from {}", silent.join(", "))
        };
        w!(
            out,
            "<dt>Witnesses</dt><dd>{}{silent}</dd>\n",
            items.join("<br>")
        );
    }
    out.push_str("</dl>\n");
}
