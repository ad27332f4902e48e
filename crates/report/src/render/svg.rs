//! The HTML report's charts, as inline SVG written with `maud` (every label escaped): the
//! timeline of every channel, the histogram of time to first response, and acts per identity.

use fusioncell_wire::act_body::ClockAction;
use maud::{Markup, html};

use crate::format::scenario_time;
use crate::metrics::{CATEGORIES, InjectReport, Participation};
use crate::timeline::{MarkKind, Timeline};

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

/// A coordinate with one decimal.
fn f1(x: f64) -> String {
    format!("{x:.1}")
}

/// Each channel's strip over scenario time, clock changes across all strips, and a legend.
pub(super) fn timeline(tl: &Timeline) -> Markup {
    let (w, left, right, top, lane_h) = (1000.0_f64, 150.0, 16.0, 44.0, 38.0);
    let plot = w - left - right;
    let height = top + lane_h * tl.lanes.len() as f64 + 30.0;
    let x = |ms: u64| left + plot * (ms as f64 / tl.span_ms as f64);
    let bottom = top + lane_h * tl.lanes.len() as f64;
    let step = tick_step_ms(tl.span_ms);
    let ticks: Vec<u64> = (0..)
        .map(|i| i * step)
        .take_while(|t| *t <= tl.span_ms)
        .collect();
    html! {
        svg viewBox={ "0 0 " (w) " " (height) } width=(w) height=(height) role="img" aria-label="Timeline per channel" {
            "\n"
            @for (i, lane) in tl.lanes.iter().enumerate() {
                @let y0 = top + lane_h * i as f64;
                rect x=(left) y=(y0) width=(plot) height=(lane_h) fill=(if i % 2 == 0 { "#f5f7fa" } else { "#ffffff" }) {}
                text x="8" y=(f1(y0 + 17.0)) font-size="13" fill="#1d2733" { "#" (lane.channel.as_str()) }
                text x="8" y=(f1(y0 + 30.0)) font-size="10.5" fill="#5b6b7c" { (lane.policy) }
                "\n"
            }
            @for t in &ticks {
                @let xt = f1(x(*t));
                @let label = if step >= 60_000 { scenario_time(*t)[..5].to_owned() } else { scenario_time(*t) };
                line x1=(xt) y1=(top) x2=(xt) y2=(f1(bottom + 4.0)) stroke="#d9dee4" stroke-width="1" {}
                text x=(xt) y=(f1(bottom + 18.0)) font-size="11" fill="#5b6b7c" text-anchor="middle" { (label) }
                "\n"
            }
            text x=(f1(w - right)) y=(f1(bottom + 30.0)) font-size="11" fill="#5b6b7c" text-anchor="end" { "scenario time (HH:MM)" }
            "\n"
            (clock_changes(tl, x, w, top, bottom))
            @for (i, lane) in tl.lanes.iter().enumerate() {
                @let y0 = top + lane_h * i as f64;
                @let cy = y0 + lane_h / 2.0 + 4.0;
                @for mk in &lane.marks {
                    @let xm = x(mk.scenario_ms);
                    @let colour = mark_colour(mk.kind);
                    @let tip = format!("#{} {} {}: {}", mk.seq, scenario_time(mk.scenario_ms), mk.label, mk.kind.label());
                    g {
                        title { (tip) }
                        @match mk.kind {
                            MarkKind::Inject => {
                                line x1=(f1(xm)) y1=(f1(y0 + 3.0)) x2=(f1(xm)) y2=(f1(y0 + lane_h - 3.0)) stroke=(colour) stroke-width="2.5" {}
                                text x=(f1(xm + 3.0)) y=(f1(y0 + 11.0)) font-size="10" font-weight="600" fill=(colour) { (mk.label) }
                            }
                            MarkKind::Escalate | MarkKind::Reject => {
                                rect x=(f1(xm - 4.0)) y=(f1(cy - 4.0)) width="8" height="8" fill=(colour) transform={ "rotate(45 " (f1(xm)) " " (f1(cy)) ")" } {}
                            }
                            _ => {
                                circle cx=(f1(xm)) cy=(f1(cy)) r="4.5" fill=(colour) fill-opacity="0.85" stroke="#fff" stroke-width="0.8" {}
                            }
                        }
                    }
                    "\n"
                }
            }
        }
        "\n"
        div.legend {
            @for k in MarkKind::ALL {
                span { i style={ "background:" (mark_colour(k)) } {} (k.label()) }
            }
        }
    }
}

/// Dashed lines for the clock's changes; labels take the first of three rows where they do
/// not run into the previous label (a pause and its resume share a scenario time).
fn clock_changes(tl: &Timeline, x: impl Fn(u64) -> f64, w: f64, top: f64, bottom: f64) -> Markup {
    let mut row_end = [f64::NEG_INFINITY; 3];
    let placed: Vec<_> = tl
        .clock
        .iter()
        .map(|c| {
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
            (c, xc, colour, label, anchor, tx, ty)
        })
        .collect();
    html! {
        @for (c, xc, colour, label, anchor, tx, ty) in placed {
            g {
                title { "#" (c.seq) " " (label) " at " (scenario_time(c.scenario_ms)) }
                line x1=(f1(xc)) y1=(f1(ty - 9.0)) x2=(f1(xc)) y2=(bottom) stroke=(colour) stroke-width="1.2" stroke-dasharray="4 3" {}
                text x=(f1(tx)) y=(f1(ty)) font-size="10.5" fill=(colour) text-anchor=(anchor) { (label) }
            }
            "\n"
        }
    }
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

/// The histogram of scenario time from inject to first response.
pub(super) fn response_times(injects: &[InjectReport]) -> Markup {
    let values: Vec<u64> = injects
        .iter()
        .filter_map(InjectReport::first_scenario_ms)
        .collect();
    let max = values.iter().copied().max().unwrap_or(0);
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
    let ystep = (top as f64 / 4.0).ceil().max(1.0) as usize;
    html! {
        svg viewBox={ "0 0 " (w) " " (h) } width=(w) height=(h) role="img" aria-label="Histogram of time to first response" {
            "\n"
            @for y in (0..=top).step_by(ystep) {
                @let yy = top_pad + plot_h - plot_h * y as f64 / top as f64;
                line x1=(left) y1=(f1(yy)) x2=(f1(left + plot_w)) y2=(f1(yy)) stroke="#e6e9ed" {}
                text x=(f1(left - 6.0)) y=(f1(yy + 4.0)) font-size="11" fill="#5b6b7c" text-anchor="end" { (y) }
                "\n"
            }
            @for (i, &c) in counts.iter().enumerate() {
                @let x0 = left + bw * i as f64;
                @let bh = plot_h * c as f64 / top as f64;
                @let lo = bin * i as u64;
                g {
                    title { (edge_label(lo, bin)) "–" (edge_label(lo + bin, bin)) ": " (c) " injects" }
                    rect x=(f1(x0 + 2.0)) y=(f1(top_pad + plot_h - bh)) width=(f1((bw - 4.0).max(1.0))) height=(f1(bh)) fill="#5b84c4" {}
                }
                "\n"
                @if c > 0 {
                    text x=(f1(x0 + bw / 2.0)) y=(f1(top_pad + plot_h - bh - 3.0)) font-size="11" fill="#1d2733" text-anchor="middle" { (c) }
                    "\n"
                }
            }
            @for i in 0..=n {
                text x=(f1(left + bw * i as f64)) y=(f1(top_pad + plot_h + 15.0)) font-size="10.5" fill="#5b6b7c" text-anchor="middle" { (edge_label(bin * i as u64, bin)) }
                "\n"
            }
            text x=(f1(left + plot_w / 2.0)) y=(f1(h - 8.0)) font-size="11" fill="#5b6b7c" text-anchor="middle" {
                "scenario time from inject to first response"
                @if bin < 60_000 { " (min:s)" }
            }
            "\n"
        }
    }
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

/// Acts per identity as stacked bars by category, and a legend.
pub(super) fn participation(parts: &[Participation]) -> Markup {
    let max = parts
        .iter()
        .map(Participation::total)
        .max()
        .unwrap_or(0)
        .max(1);
    let (w, left, right, row_h, top) = (1000.0_f64, 150.0, 60.0, 26.0, 6.0);
    let plot = w - left - right;
    let h = top + row_h * parts.len() as f64 + 6.0;
    html! {
        svg viewBox={ "0 0 " (w) " " (h) } width=(w) height=(h) role="img" aria-label="Acts per identity" {
            "\n"
            @for (i, p) in parts.iter().enumerate() {
                @let y = top + row_h * i as f64;
                text x="8" y=(f1(y + 17.0)) font-size="13" fill="#1d2733" { (p.id.as_str()) }
                text x=(f1(left - 8.0)) y=(f1(y + 17.0)) font-size="10.5" fill="#5b6b7c" text-anchor="end" { (p.role.map_or("", |r| r.as_str())) }
                "\n"
                @let (bars, end) = stack(p, left, plot / max as f64);
                @for (x, bw, name, n, colour) in bars {
                    g {
                        title { (p.id.as_str()) ": " (n) " " (name) }
                        rect x=(f1(x)) y=(f1(y + 4.0)) width=(f1(bw)) height=(f1(row_h - 8.0)) fill=(colour) {}
                    }
                    "\n"
                }
                text x=(f1(end + 6.0)) y=(f1(y + 17.0)) font-size="12" fill="#1d2733" { (p.total()) }
                "\n"
            }
        }
        "\n"
        div.legend {
            @for (name, colour) in CATEGORIES.iter().zip(PART_COLOURS) {
                span { i style={ "background:" (colour) ";border-radius:2px" } {} (name) }
            }
        }
    }
}

/// A bar segment: x, width, category, count, colour.
type Segment = (f64, f64, &'static str, u64, &'static str);

/// One identity's bar segments from `left`, `scale` pixels per act: x, width, category,
/// count and colour of each non-empty category; and where the bar ends.
fn stack(p: &Participation, left: f64, scale: f64) -> (Vec<Segment>, f64) {
    let mut x = left;
    let mut bars = Vec::new();
    for ((name, n), colour) in p.parts().into_iter().zip(PART_COLOURS) {
        if n > 0 {
            let bw = scale * n as f64;
            bars.push((x, bw, name, n, colour));
            x += bw;
        }
    }
    (bars, x)
}
