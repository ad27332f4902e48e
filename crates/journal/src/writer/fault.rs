//! `dangerous_*` fault points: named places in the writer where a test or the chaos run
//! (RELIABILITY.md) makes the journal fail as a broken disk does, or pause so that the process
//! can be killed exactly there. Nothing happens unless faults are configured, either by the
//! `FUSIONCELL_DANGEROUS_FAULTS` environment variable (read when a journal opens) or by
//! [`Journal::dangerous_set_faults`](super::Journal::dangerous_set_faults). Never set it in
//! production: it exists to prove what the journal does when the disk misbehaves.
//!
//! The variable holds comma-separated rules `POINT=ACTION[@N]`: at `POINT`, from its `N`th
//! pass on (1 if absent), do `ACTION`: `eio` or `enospc` (fail with that operating-system
//! error; at a write point the first half of the bytes is already written, as a disk that
//! fills up mid-write leaves it) or `pause:MS` (print `dangerous fault: pausing at POINT` on
//! stderr, then sleep). Example: `records-sync=eio@20,checkpoint-write=pause:300`.

use std::io;
use std::time::Duration;

/// The environment variable that configures faults.
pub const ENV: &str = "FUSIONCELL_DANGEROUS_FAULTS";

/// Where a fault can strike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// Halfway through writing a batch to `records.jsonl`.
    RecordsWrite,
    /// Before syncing `records.jsonl`.
    RecordsSync,
    /// Halfway through writing a checkpoint line.
    CheckpointWrite,
    /// Before syncing `checkpoints.jsonl`.
    CheckpointSync,
    /// Before a redaction rewrites a line in place.
    RedactWrite,
    /// After a redaction rewrote a line, before it is synced.
    RedactSync,
    /// After recovery read and checked the journal, before it cuts a torn tail.
    Recovery,
}

const POINTS: [(Point, &str); 7] = [
    (Point::RecordsWrite, "records-write"),
    (Point::RecordsSync, "records-sync"),
    (Point::CheckpointWrite, "checkpoint-write"),
    (Point::CheckpointSync, "checkpoint-sync"),
    (Point::RedactWrite, "redact-write"),
    (Point::RedactSync, "redact-sync"),
    (Point::Recovery, "recovery"),
];

impl Point {
    /// The name used in the environment variable.
    pub fn name(self) -> &'static str {
        POINTS
            .iter()
            .find(|(p, _)| *p == self)
            .map_or("?", |(_, n)| n)
    }

    fn index(self) -> usize {
        POINTS.iter().position(|(p, _)| *p == self).unwrap_or(0)
    }
}

/// What happens at a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Fail with this raw operating-system error (`EIO`, `ENOSPC`).
    Fail(i32),
    /// Sleep this long.
    Pause(Duration),
}

/// Linux's `EIO`.
pub const EIO: i32 = 5;
/// Linux's `ENOSPC`.
pub const ENOSPC: i32 = 28;

#[derive(Debug, Clone, Copy)]
struct Rule {
    point: Point,
    action: Action,
    from: u64,
}

/// The configured faults and how often each point was passed.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Vec<Rule>,
    passes: [u64; POINTS.len()],
}

impl Faults {
    /// No faults.
    pub fn none() -> Faults {
        Faults::default()
    }

    /// Parses rules in the environment variable's syntax.
    pub fn parse(spec: &str) -> Result<Faults, String> {
        let mut rules = Vec::new();
        for rule in spec.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            let (point, rest) = rule
                .split_once('=')
                .ok_or_else(|| format!("`{rule}`: expected POINT=ACTION"))?;
            let point = POINTS
                .iter()
                .find(|(_, n)| *n == point)
                .map(|(p, _)| *p)
                .ok_or_else(|| format!("`{point}`: no such fault point"))?;
            let (action, from) = match rest.split_once('@') {
                Some((a, n)) => (
                    a,
                    n.parse::<u64>()
                        .map_err(|_| format!("`{n}`: not a pass number"))?,
                ),
                None => (rest, 1),
            };
            let action = match action {
                "eio" => Action::Fail(EIO),
                "enospc" => Action::Fail(ENOSPC),
                other => match other.strip_prefix("pause:").map(str::parse::<u64>) {
                    Some(Ok(ms)) => Action::Pause(Duration::from_millis(ms)),
                    _ => return Err(format!("`{other}`: expected eio, enospc or pause:MS")),
                },
            };
            rules.push(Rule {
                point,
                action,
                from: from.max(1),
            });
        }
        Ok(Faults {
            rules,
            passes: [0; POINTS.len()],
        })
    }

    /// The faults the environment asks for; none if it asks for none. An unreadable rule is
    /// reported on stderr and ignored.
    pub fn from_env() -> Faults {
        let Ok(spec) = std::env::var(ENV) else {
            return Faults::none();
        };
        match Faults::parse(&spec) {
            Ok(f) => {
                eprintln!("{ENV} is set: this journal fails or pauses on purpose ({spec})");
                f
            }
            Err(e) => {
                eprintln!("{ENV} ignored: {e}");
                Faults::none()
            }
        }
    }

    /// Whether any fault is configured.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Passes `point`: sleeps or fails if a rule says so. A pause ends early once `cancelled`
    /// says so.
    pub(crate) fn hit(&mut self, point: Point, cancelled: &dyn Fn() -> bool) -> io::Result<()> {
        if self.rules.is_empty() {
            return Ok(());
        }
        let pass = &mut self.passes[point.index()];
        *pass += 1;
        let pass = *pass;
        for rule in self
            .rules
            .iter()
            .filter(|r| r.point == point && pass >= r.from)
        {
            match rule.action {
                Action::Fail(errno) => return Err(io::Error::from_raw_os_error(errno)),
                Action::Pause(d) => {
                    eprintln!("dangerous fault: pausing at {} for {d:?}", point.name());
                    let until = std::time::Instant::now() + d;
                    while std::time::Instant::now() < until && !cancelled() {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_fire_from_their_pass() {
        let mut f = Faults::parse("records-sync=eio@2, checkpoint-write=enospc").unwrap();
        let never = || false;
        assert!(f.hit(Point::RecordsSync, &never).is_ok());
        let err = f.hit(Point::RecordsSync, &never).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(EIO));
        let err = f.hit(Point::CheckpointWrite, &never).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(ENOSPC));
        assert!(f.hit(Point::RecordsWrite, &never).is_ok());
        assert!(Faults::parse("nowhere=eio").is_err());
        assert!(Faults::parse("recovery=pause:x").is_err());
        assert!(Faults::parse("recovery").is_err());
    }
}
