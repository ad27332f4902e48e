//! The figures of a trace: each stage's duration over all acts and over the slowest 1 %, what
//! the commit thread was doing when an act had to wait for it, the group commits, and each
//! recipient's delivery delay. Every figure is in µs of the relay's timing clock.

use std::fmt;

use super::{Act, Group, Trace, TraceError};

/// Quantiles of a set of durations, in µs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spread {
    /// How many.
    pub count: usize,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
    /// Sum, for shares.
    pub sum: f64,
}

impl Spread {
    /// The spread of `ns` (nanoseconds).
    pub fn of(mut ns: Vec<u64>) -> Spread {
        ns.sort_unstable();
        let us = |v: u64| v as f64 / 1000.0;
        let at = |q: f64| match ns.len() {
            0 => 0.0,
            n => us(ns[((n as f64 * q).ceil() as usize).clamp(1, n) - 1]),
        };
        Spread {
            count: ns.len(),
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            max: at(1.0),
            sum: ns.iter().map(|v| us(*v)).sum(),
        }
    }

    /// The mean, in µs.
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }
}

/// The stages of an act, in order: their durations add up to read → last recipient flushed.
pub const STAGES: [&str; 8] = [
    "verify (read → verified)",
    "hand over (verified → handed)",
    "wait for the commit thread (handed → picked)",
    "sequence (picked → journal)",
    "journal encode + write (→ fsync start)",
    "fdatasync",
    "acks built (fsync end → answered)",
    "queue and deliver (answered → last recipient flushed)",
];

/// An act's stage durations (ns), in the order of [`STAGES`].
pub fn stages(act: &Act, group: &Group, last_flushed: u64) -> [u64; 8] {
    let marks = [
        act.read,
        act.verified,
        act.handed,
        group.picked,
        group.journal,
        group.sync,
        group.synced,
        group.answered,
        last_flushed,
    ];
    let mut out = [0; 8];
    for (i, d) in out.iter_mut().enumerate() {
        *d = marks[i + 1].saturating_sub(marks[i]);
    }
    out
}

/// What the commit thread was doing when an act was handed to it while busy.
pub const BUSY: [&str; 7] = [
    "idle (the act was taken at once)",
    "sequencing the previous group",
    "writing the previous group",
    "fdatasync of the previous group",
    "queuing the previous group's acks and deliveries",
    "a checkpoint",
    "other work between groups (state, escalations)",
];

/// The figures.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Acts followed from read to every recipient's flush.
    pub acts: usize,
    /// Acts seen, some of whose deliveries were not flushed before the end.
    pub incomplete: usize,
    /// Recipients per act (the most seen).
    pub recipients: usize,
    /// Read → last recipient flushed, per act.
    pub total: Spread,
    /// Read → flushed, per delivery (what the bench's publish → delivery latency contains).
    pub per_delivery: Spread,
    /// Read → the sender's ack flushed.
    pub ack: Spread,
    /// Each stage over all acts.
    pub stages: Vec<Spread>,
    /// Each stage over the slowest 1 % of acts by [`Report::total`].
    pub slowest: Vec<Spread>,
    /// Read → last recipient flushed of the slowest 1 %.
    pub slowest_total: Spread,
    /// Per [`BUSY`] activity: how long the acts handed during it waited until picked.
    pub busy: Vec<Spread>,
    /// Group commits: (what, spread).
    pub groups: Vec<(&'static str, Spread)>,
    /// Checkpoint durations.
    pub checkpoints: Spread,
    /// Per delivery: (what, spread).
    pub delivery: Vec<(&'static str, Spread)>,
}

impl Report {
    /// The figures of `trace`.
    pub fn of(trace: &Trace) -> Result<Report, TraceError> {
        let acts = trace.acts()?;
        let recipients = acts.iter().map(|a| a.deliveries.len()).max().unwrap_or(0);
        let complete: Vec<&Act> = acts
            .iter()
            .filter(|a| a.deliveries.len() == recipients && recipients > 0)
            .collect();
        let mut report = Report {
            acts: complete.len(),
            incomplete: acts.len() - complete.len(),
            recipients,
            ..Report::default()
        };
        let mut per_stage: Vec<Vec<u64>> = vec![Vec::new(); STAGES.len()];
        let mut timed: Vec<(u64, [u64; 8])> = Vec::new();
        let (mut per_delivery, mut ack) = (Vec::new(), Vec::new());
        let (mut waiting, mut writing, mut delay) = (Vec::new(), Vec::new(), Vec::new());
        for act in &complete {
            let group = &trace.groups[act.group];
            let last = act.last_flushed().unwrap_or(group.answered);
            let s = stages(act, group, last);
            for (all, d) in per_stage.iter_mut().zip(s) {
                all.push(d);
            }
            timed.push((last.saturating_sub(act.read), s));
            for d in &act.deliveries {
                per_delivery.push(d.flushed.saturating_sub(act.read));
                waiting.push(d.taken.saturating_sub(group.answered));
                writing.push(d.flushed.saturating_sub(d.taken.max(group.answered)));
                delay.push(d.flushed.saturating_sub(group.answered));
            }
            if let Some(a) = act.ack {
                ack.push(a.flushed.saturating_sub(act.read));
            }
        }
        report.total = Spread::of(timed.iter().map(|t| t.0).collect());
        report.per_delivery = Spread::of(per_delivery);
        report.ack = Spread::of(ack);
        report.stages = per_stage.into_iter().map(Spread::of).collect();
        timed.sort_by_key(|t| std::cmp::Reverse(t.0));
        let tail = &timed[..timed.len().div_ceil(100)];
        report.slowest_total = Spread::of(tail.iter().map(|t| t.0).collect());
        report.slowest = (0..STAGES.len())
            .map(|i| Spread::of(tail.iter().map(|t| t.1[i]).collect()))
            .collect();
        report.busy = busy(trace, &complete);
        report.groups = groups(&trace.groups);
        report.checkpoints = Spread::of(
            trace
                .checkpoints
                .iter()
                .map(|c| c.end.saturating_sub(c.start))
                .collect(),
        );
        report.delivery = vec![
            (
                "fan-out start → taken off the recipient's queue",
                Spread::of(waiting),
            ),
            (
                "taken (or queued, if later) → flushed: the write",
                Spread::of(writing),
            ),
            ("fan-out start → flushed", Spread::of(delay)),
            (
                "frames per write batch (count, not µs)",
                counts(
                    trace
                        .flushes
                        .iter()
                        .map(|f| (f.delivered.len() + f.acked.len()) as u64),
                ),
            ),
        ];
        Ok(report)
    }
}

/// For each [`BUSY`] activity, the waits (handed → picked) of the acts handed during it.
fn busy(trace: &Trace, acts: &[&Act]) -> Vec<Spread> {
    let mut waits: Vec<Vec<u64>> = vec![Vec::new(); BUSY.len()];
    for act in acts {
        let group = &trace.groups[act.group];
        let wait = group.picked.saturating_sub(act.handed);
        let h = act.handed;
        let kind = if h >= group.waited {
            0
        } else if trace.checkpoints.iter().any(|c| c.start <= h && h < c.end) {
            5
        } else {
            match act.group.checked_sub(1).map(|i| &trace.groups[i]) {
                Some(p) if p.picked <= h && h < p.journal => 1,
                Some(p) if p.journal <= h && h < p.sync => 2,
                Some(p) if p.sync <= h && h < p.synced => 3,
                Some(p) if p.synced <= h && h < p.queued => 4,
                _ => 6,
            }
        };
        waits[kind].push(wait);
    }
    waits.into_iter().map(Spread::of).collect()
}

/// The spread of counts, shown in the columns of µs (a [`Spread`] reads its values as ns).
fn counts(counts: impl Iterator<Item = u64>) -> Spread {
    Spread::of(counts.map(|c| c * 1000).collect())
}

/// The group commits' figures.
fn groups(groups: &[Group]) -> Vec<(&'static str, Spread)> {
    let each = |f: fn(&Group) -> u64| Spread::of(groups.iter().map(f).collect());
    let pairs = |f: fn(&Group, &Group) -> u64| {
        Spread::of(groups.windows(2).map(|w| f(&w[0], &w[1])).collect())
    };
    vec![
        (
            "records per group (count, not µs)",
            counts(groups.iter().map(|g| g.records)),
        ),
        (
            "commands per group (count, not µs)",
            counts(groups.iter().map(|g| g.commands)),
        ),
        (
            "idle: waiting for a command",
            each(|g| g.picked.saturating_sub(g.waited)),
        ),
        ("sequence", each(|g| g.journal.saturating_sub(g.picked))),
        (
            "journal encode + write",
            each(|g| g.sync.saturating_sub(g.journal)),
        ),
        ("fdatasync", each(|g| g.synced.saturating_sub(g.sync))),
        ("acks built", each(|g| g.answered.saturating_sub(g.synced))),
        (
            "acks and deliveries queued (fan-out)",
            each(|g| g.queued.saturating_sub(g.answered)),
        ),
        (
            "fsync end → next group picked",
            pairs(|a, b| b.picked.saturating_sub(a.synced)),
        ),
        (
            "group done → waiting again (work between groups)",
            pairs(|a, b| b.waited.saturating_sub(a.queued)),
        ),
    ]
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} acts followed to all {} recipients ({} with a delivery not flushed before the end, left out)",
            self.acts, self.recipients, self.incomplete
        )?;
        writeln!(f, "\ninside the relay (µs)")?;
        header(f)?;
        row(
            f,
            "read → last recipient flushed, per act",
            &self.total,
            None,
        )?;
        row(f, "read → flushed, per delivery", &self.per_delivery, None)?;
        row(f, "read → ack flushed to the sender", &self.ack, None)?;
        writeln!(
            f,
            "\nstages, all acts (µs; share of the summed read → last flushed)"
        )?;
        header(f)?;
        for (name, s) in STAGES.iter().zip(&self.stages) {
            row(f, name, s, Some(s.sum / self.total.sum))?;
        }
        writeln!(
            f,
            "\nstages, slowest 1 % of acts by read → last flushed ({} acts, p50 {:.0} µs)",
            self.slowest_total.count, self.slowest_total.p50
        )?;
        header(f)?;
        for (name, s) in STAGES.iter().zip(&self.slowest) {
            row(f, name, s, Some(s.sum / self.slowest_total.sum))?;
        }
        writeln!(
            f,
            "\nwait for the commit thread (handed → picked), by what the thread was doing when \
             the act was handed (share: of all acts)"
        )?;
        header(f)?;
        let all: usize = self.busy.iter().map(|s| s.count).sum();
        for (name, s) in BUSY.iter().zip(&self.busy) {
            row(f, name, s, Some(s.count as f64 / all.max(1) as f64))?;
        }
        writeln!(f, "\ngroup commits (µs unless said)")?;
        header(f)?;
        for (name, s) in &self.groups {
            row(f, name, s, None)?;
        }
        row(f, "checkpoint (write + fsync)", &self.checkpoints, None)?;
        writeln!(f, "\ndelivery to each recipient (µs unless said)")?;
        header(f)?;
        for (name, s) in &self.delivery {
            row(f, name, s, None)?;
        }
        Ok(())
    }
}

fn header(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(
        f,
        "  {:<58} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}",
        "", "n", "p50", "p90", "p99", "max", "mean", "share"
    )
}

fn row(f: &mut fmt::Formatter<'_>, name: &str, s: &Spread, share: Option<f64>) -> fmt::Result {
    let share = share.map_or(String::new(), |x| format!("{:.0} %", 100.0 * x));
    writeln!(
        f,
        "  {:<58} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>6}",
        name,
        s.count,
        s.p50,
        s.p90,
        s.p99,
        s.max,
        s.mean(),
        share
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_taken_from_the_sorted_values() {
        let s = Spread::of((1..=100).rev().map(|v| v * 1000).collect());
        assert_eq!(
            (s.count, s.p50, s.p90, s.p99, s.max),
            (100, 50.0, 90.0, 99.0, 100.0)
        );
        assert_eq!(s.mean(), 50.5);
        assert_eq!(Spread::of(Vec::new()).mean(), 0.0);
    }
}
