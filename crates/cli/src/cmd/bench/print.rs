//! `fusioncell bench`'s human summary: per system its figures, whether they may be quoted
//! and why not, then the ratios to the floor.

use super::{Measured, Output};

/// Prints the summary of a run to standard output.
pub(super) fn human(out: &Output) -> std::io::Result<()> {
    let mut rows: Vec<&Measured> = vec![&out.relay];
    if let Some(f) = &out.floor {
        rows.push(f);
    }
    if let Some(s) = out.relay_start_s {
        crate::outln!(
            "relay start:     {s:.2} s from start to accepting connections (cell loaded and validated)"
        );
    }
    for m in rows {
        let r = &m.report;
        crate::outln!("{}:", m.system);
        crate::outln!(
            "  connect        {:>12.0}/s   ({} connections logged in, subscribed and live in {:.2} s; server CPU {})",
            m.connects_per_s,
            r.connections,
            r.connect_s,
            m.connect_cpu_s
                .map_or("unknown".to_owned(), |c| format!("{c:.2} s"))
        );
        crate::outln!(
            "  deliveries     {:>12.0}/s   ({} delivered to {} connections in {:.2} s{})",
            r.deliveries_per_s,
            r.totals.delivered,
            r.connections,
            r.elapsed_s,
            match r.totals.delivered {
                0 => String::new(),
                n => format!(
                    "; frames of {:.0} B",
                    r.totals.delivered_bytes as f64 / n as f64
                ),
            }
        );
        crate::outln!(
            "  acked          {:>12.0}/s   ({} sent, {} acked{})",
            r.acked_per_s,
            r.sent,
            r.acked,
            if m.system == "relay" {
                " as durable"
            } else {
                " (floor: sent)"
            }
        );
        crate::outln!(
            "  latency        p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs, max {:.0} µs (publish → delivery)",
            r.latency.p50_us,
            r.latency.p90_us,
            r.latency.p99_us,
            r.latency.max_us
        );
        if r.ack_latency.count > 0 {
            crate::outln!(
                "  ack latency    p50 {:.0} µs, p99 {:.0} µs (publish → durable ack)",
                r.ack_latency.p50_us,
                r.ack_latency.p99_us
            );
        }
        crate::outln!(
            "  accounting     {} lost, {} duplicates, {} gaps, {} refused, {} unanswered{}",
            r.totals.lost,
            r.totals.duplicates,
            r.totals.gaps,
            r.refused,
            r.unacked,
            if r.clean() { "" } else { "  ← NOT CLEAN" }
        );
        for f in r.failures.iter().take(5) {
            crate::outln!("  failure        {f}");
        }
        let mb = |b: u64| b as f64 / 1_048_576.0;
        match (m.cpu_cores, m.rss_end_bytes) {
            (Some(cpu), Some(rss)) => crate::outln!(
                "  server         CPU {:.2} cores ({} µs/msg; load generator {:.2} cores), RSS {:.1} MiB idle, {:.1} MiB connected, {:.1} MiB at end{}",
                cpu,
                m.cpu_us_per_message
                    .map_or("-".to_owned(), |c| format!("{c:.1}")),
                m.load_cpu_cores.unwrap_or(0.0),
                mb(m.rss_idle_bytes.unwrap_or(0)),
                mb(m.rss_connected_bytes.unwrap_or(0)),
                mb(rss),
                m.rss_per_connection_bytes
                    .map_or(String::new(), |b| format!(
                        ", {:.1} KB per connection",
                        b / 1000.0
                    ))
            ),
            _ => crate::outln!("  server         CPU and RSS unknown (give --relay-pid)"),
        }
        if let Some(c) = m.publish_cpu_s {
            crate::outln!(
                "  publishing     server CPU {c:.3} s, first send to last delivery {:.3} s",
                r.elapsed_s
            );
        }
        if let Some(others) = m.others_cores {
            crate::outln!(
                "  other work     {others:.2} cores (other processes); interrupts {:.2}, steal {:.2} cores",
                m.interrupt_cores.unwrap_or(0.0),
                m.steal_cores.unwrap_or(0.0)
            );
        }
        if let Some(why) = &m.load_bound {
            crate::outln!("  NOT QUOTABLE   {why}");
        }
    }
    if let Some(p) = &out.pinned {
        crate::outln!(
            "pinned:          server on CPU {}, load generator on CPU(s) {}",
            p.server,
            p.load
        );
    }
    if let Some(f) = &out.fdatasync {
        crate::outln!(
            "disk:            fdatasync of a 700 B append: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs ({} samples)",
            f.p50_us,
            f.p99_us,
            f.max_us,
            f.count
        );
    }
    if let (Some(x), Some(v)) = (out.acked_vs_verify_rate, out.verify_us) {
        crate::outln!(
            "durable acts/s:  relay {:.0}/s = {x:.2} × one core's verify rate ({:.0}/s; {})",
            out.relay.report.acked_per_s,
            1e6 / v,
            match (out.verify_us_before, out.verify_us_after) {
                (Some(a), Some(b)) => format!(
                    "the mean of {:.0}/s before the load and {:.0}/s after",
                    1e6 / a,
                    1e6 / b
                ),
                _ => "timed once".to_owned(),
            }
        );
    }
    if let Some(x) = &out.ratios
        && let (Some(relay), Some(floor)) = (
            out.relay.cpu_us_per_message,
            out.floor.as_ref().and_then(|f| f.cpu_us_per_message),
        )
    {
        let is = if x.cpu_ratios_at_least { "≥" } else { "=" };
        crate::outln!(
            "server CPU/act:  relay {relay:.1} µs, floor {floor:.1} µs: {}×{:.2}{}",
            if x.cpu_ratios_at_least { "≥ " } else { "" },
            x.cpu_us_per_message.unwrap_or(0.0),
            match (out.verify_us, x.cpu_vs_floor_plus_verify) {
                (Some(v), Some(q)) => format!(
                    "; one verify {v:.1} µs: relay / (floor + verify) {is} {q:.2} ({})",
                    match out.floor_size {
                        Some(size) => format!(
                            "the floor with {size} B bodies: equal bytes, not the goal's equal load"
                        ),
                        None => "goal ≤ 1.1".to_owned(),
                    }
                ),
                _ => String::new(),
            }
        );
        if x.cpu_ratios_at_least {
            crate::outln!(
                "                 (lower bounds: only the floor's load generator was the limit; pushed harder, the floor batches more and spends less per act)"
            );
        }
    }
    if let Some(x) = &out.ratios {
        crate::outln!(
            "relay / floor:   deliveries/s ×{:.3}, acked/s ×{:.3}, p50 ×{:.2}, p99 ×{:.2}{}{}",
            x.deliveries_per_s,
            x.acked_per_s,
            x.latency_p50,
            x.latency_p99,
            x.rss_per_connection
                .map_or(String::new(), |v| format!(", RSS/connection ×{v:.2}")),
            x.cpu_us_per_message
                .map_or(String::new(), |v| format!(", CPU/msg ×{v:.2}"))
        );
    }
    let bounds = out.ratios.as_ref().is_some_and(|x| x.cpu_ratios_at_least);
    if out.clean && !out.quotable {
        crate::outln!(
            "figures:         NOT QUOTABLE (the load generator or other work was the limit; see above){}",
            if bounds {
                "; the relay's own figures and the CPU ratios as lower bounds are"
            } else {
                ""
            }
        );
    }
    if let Some(once) = out.exactly_once {
        crate::outln!(
            "big cell:        {}",
            if once {
                "every participant received the post exactly once"
            } else {
                "a participant missed the post or received it twice  ← NOT CLEAN"
            }
        );
    }
    crate::outln!(
        "{}",
        if out.clean {
            "accounting: clean (nothing lost, duplicated, reordered or refused)"
        } else {
            "accounting: NOT CLEAN"
        }
    );
    Ok(())
}
