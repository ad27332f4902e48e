//! Control's inject scheduler: which injects are due at a scenario time, and the controller's
//! commands on the timeline.
//!
//! The scheduler knows only scenario time, never wall time: control asks [`Schedule::due`]
//! with the clock's current scenario time, so pauses, halts and speed are the clock's business
//! and cannot shift, repeat or drop an inject here. Each inject moves through
//! [`Status`] one way: pending → fired, or pending → skipped, with held ⇄ pending in between.
//! Fired is final, so an inject never fires twice, whatever the order of polls and commands.
//!
//! `due` fires every pending non-contingency inject whose time has come, in (time, file order);
//! a contingency inject waits for [`Schedule::fire_now`]. A held inject stays back until
//! [`Schedule::release`]d; if its time has passed by then, the next `due` fires it.

use std::fmt;

use fusioncell_wire::ActBody;
use fusioncell_wire::act_body::MselAction;

use crate::error::ScheduleError;
use crate::ids::InjectId;
use crate::msel::Scenario;

/// Where an inject is on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Waiting for its time (or, for a contingency inject, for a controller).
    Pending,
    /// Kept back by a controller until released.
    Held,
    /// Delivered. Final.
    Fired,
    /// Dropped by a controller; still possible to fire on demand.
    Skipped,
}

impl Status {
    /// Its name, lowercase.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Held => "held",
            Status::Fired => "fired",
            Status::Skipped => "skipped",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One inject on the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// Its control number.
    pub id: InjectId,
    /// Its planned scenario time, in seconds.
    pub at_s: u64,
    /// Whether it fires only on demand.
    pub contingency: bool,
    /// Where it is.
    pub status: Status,
}

impl Entry {
    pub fn at_ms(&self) -> u64 {
        self.at_s.saturating_mul(1000)
    }

    /// How the inject is shown at scenario time `scenario_ms`: its status, or `due` for a
    /// pending timed inject whose time has come (it fires at once unless play is stopped).
    /// The console's `msel.js` computes the same, checked by the relay's tests.
    pub fn shown_at(&self, scenario_ms: u64) -> &'static str {
        match self.status {
            Status::Pending if !self.contingency && self.at_ms() <= scenario_ms => "due",
            other => other.as_str(),
        }
    }
}

/// The timeline of a scenario's injects and their status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// In firing order: by time, then file order.
    entries: Vec<Entry>,
}

impl Schedule {
    /// Every inject of `scenario`, pending.
    pub fn new(scenario: &Scenario) -> Schedule {
        let entries = scenario
            .timeline()
            .into_iter()
            .map(|i| Entry {
                id: i.id.clone(),
                at_s: i.at_s,
                contingency: i.contingency,
                status: Status::Pending,
            })
            .collect();
        Schedule { entries }
    }

    /// Marks fired, and returns in (time, file order), every pending non-contingency inject
    /// whose time is at or before `scenario_ms`.
    pub fn due(&mut self, scenario_ms: u64) -> Vec<InjectId> {
        let mut fired = Vec::new();
        for e in &mut self.entries {
            if e.at_ms() > scenario_ms {
                break;
            }
            if e.status == Status::Pending && !e.contingency {
                e.status = Status::Fired;
                fired.push(e.id.clone());
            }
        }
        fired
    }

    /// Fires an inject now, whatever its time or kind: a contingency, a held, a skipped or a
    /// future inject. Refused once it has fired.
    pub fn fire_now(&mut self, id: &str) -> Result<(), ScheduleError> {
        let e = self.entry_mut(id)?;
        match e.status {
            Status::Fired => Err(ScheduleError::AlreadyFired(e.id.clone())),
            _ => {
                e.status = Status::Fired;
                Ok(())
            }
        }
    }

    /// Drops a pending or held inject from the timeline.
    pub fn skip(&mut self, id: &str) -> Result<(), ScheduleError> {
        self.transition(
            id,
            "skip",
            &[Status::Pending, Status::Held],
            Status::Skipped,
        )
    }

    /// Keeps a pending inject back until released.
    pub fn hold(&mut self, id: &str) -> Result<(), ScheduleError> {
        self.transition(id, "hold", &[Status::Pending], Status::Held)
    }

    /// Puts a held inject back on the timeline; if its time has passed, the next
    /// [`Schedule::due`] fires it (unless it is a contingency inject).
    pub fn release(&mut self, id: &str) -> Result<(), ScheduleError> {
        self.transition(id, "release", &[Status::Held], Status::Pending)
    }

    /// The timeline as the journal tells it: every `inject` and `msel` record's body, in
    /// journal order, applied with [`Schedule::apply`].
    pub fn from_journal<'a>(
        scenario: &Scenario,
        bodies: impl IntoIterator<Item = &'a ActBody>,
    ) -> Schedule {
        let mut schedule = Schedule::new(scenario);
        for body in bodies {
            schedule.apply(body);
        }
        schedule
    }

    /// What a journaled record does to the timeline: an `inject` fires its inject, an `msel`
    /// act skips, holds or releases one; other kinds change nothing. A decision that does not
    /// apply (an inject of another scenario, a release of an inject not held, anything after
    /// it fired) changes nothing either: every reader of the journal, whatever its order of
    /// arrival, derives the same timeline — `exercise run`, `status`, and the console's
    /// `msel.js`, which mirrors this and is checked against it by the relay's tests.
    pub fn apply(&mut self, body: &ActBody) {
        let _ignored = match body {
            ActBody::Inject(i) => self.fire_now(&i.id),
            ActBody::Msel(m) => match m.action {
                MselAction::Skip => self.skip(&m.id),
                MselAction::Hold => self.hold(&m.id),
                MselAction::Release => self.release(&m.id),
            },
            _ => Ok(()),
        };
    }

    /// The status of an inject, if the scenario has it.
    pub fn status(&self, id: &str) -> Option<Status> {
        self.entries.iter().find(|e| e.id == *id).map(|e| e.status)
    }

    /// The injects not yet fired or skipped (pending and held, contingencies included), in
    /// firing order.
    pub fn upcoming(&self) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| matches!(e.status, Status::Pending | Status::Held))
            .collect()
    }

    /// The whole timeline, in firing order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn entry_mut(&mut self, id: &str) -> Result<&mut Entry, ScheduleError> {
        self.entries
            .iter_mut()
            .find(|e| e.id == *id)
            .ok_or_else(|| ScheduleError::Unknown(id.to_owned()))
    }

    fn transition(
        &mut self,
        id: &str,
        command: &'static str,
        from: &[Status],
        to: Status,
    ) -> Result<(), ScheduleError> {
        let e = self.entry_mut(id)?;
        if from.contains(&e.status) {
            e.status = to;
            Ok(())
        } else if e.status == Status::Fired {
            Err(ScheduleError::AlreadyFired(e.id.clone()))
        } else {
            Err(ScheduleError::WrongStatus {
                command,
                id: e.id.clone(),
                status: e.status,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        let inject = |id: &str, at: u64, contingency: bool| {
            format!(
                "[[inject]]\nid = \"{id}\"\nat = {at}\nmove = \"M1\"\nchannel = \"c\"\n\
                 title = \"t\"\ntext = \"x\"\nexpected = []\ncontingency = {contingency}\n"
            )
        };
        let text = [
            "[scenario]\ntitle = \"s\"\n[[move]]\nid = \"M1\"\ntitle = \"m\"\n".to_owned(),
            inject("c", 300, false),
            inject("a", 60, false),
            inject("b", 60, false),
            inject("k", 120, true),
            inject("d", 600, false),
        ]
        .concat();
        Scenario::from_toml(&text).unwrap()
    }

    fn ids(v: Vec<InjectId>) -> Vec<String> {
        v.into_iter().map(String::from).collect()
    }

    #[test]
    fn due_fires_in_time_then_file_order_once() {
        let mut s = Schedule::new(&scenario());
        assert!(s.due(59_999).is_empty());
        assert_eq!(ids(s.due(60_000)), ["a", "b"]);
        assert!(s.due(60_000).is_empty(), "never twice");
        assert_eq!(ids(s.due(1_000_000)), ["c", "d"], "the contingency waits");
        assert_eq!(s.status("k"), Some(Status::Pending));
        assert_eq!(s.status("a"), Some(Status::Fired));
        assert_eq!(s.status("zz"), None);
    }

    #[test]
    fn fire_now_fires_anything_once() {
        let mut s = Schedule::new(&scenario());
        s.fire_now("k").unwrap();
        s.fire_now("d").unwrap();
        assert_eq!(
            s.fire_now("d"),
            Err(ScheduleError::AlreadyFired(InjectId::new("d").unwrap()))
        );
        s.hold("c").unwrap();
        s.fire_now("c").unwrap();
        s.skip("a").unwrap();
        s.fire_now("a").unwrap();
        assert_eq!(ids(s.due(u64::MAX)), ["b"]);
        assert!(s.upcoming().is_empty());
        assert_eq!(
            s.fire_now("nope"),
            Err(ScheduleError::Unknown("nope".into()))
        );
    }

    #[test]
    fn skip_drops_from_the_timeline() {
        let mut s = Schedule::new(&scenario());
        s.skip("b").unwrap();
        assert_eq!(ids(s.due(60_000)), ["a"]);
        assert_eq!(
            s.skip("b").unwrap_err().to_string(),
            "cannot skip inject b: it is skipped"
        );
        assert_eq!(
            s.skip("a").unwrap_err().to_string(),
            "inject a has already fired"
        );
        s.hold("c").unwrap();
        s.skip("c").unwrap();
        assert!(s.due(u64::MAX).iter().all(|i| i != "c"));
    }

    #[test]
    fn hold_and_release() {
        let mut s = Schedule::new(&scenario());
        s.hold("a").unwrap();
        assert_eq!(
            s.hold("a").unwrap_err().to_string(),
            "cannot hold inject a: it is held"
        );
        assert_eq!(ids(s.due(100_000)), ["b"], "held stays back");
        let upcoming: Vec<&str> = s.upcoming().iter().map(|e| e.id.as_str()).collect();
        assert_eq!(upcoming, ["a", "k", "c", "d"]);
        s.release("a").unwrap();
        assert_eq!(
            s.release("a").unwrap_err().to_string(),
            "cannot release inject a: it is pending"
        );
        assert_eq!(
            ids(s.due(100_000)),
            ["a"],
            "released after its time: fires next poll"
        );
        assert!(s.hold("a").is_err());
        s.hold("d").unwrap();
        s.release("d").unwrap();
        assert_eq!(
            ids(s.due(599_999)),
            ["c"],
            "released before its time: waits for it"
        );
        assert_eq!(ids(s.due(600_000)), ["d"]);
    }

    #[test]
    fn a_held_contingency_returns_to_on_demand() {
        let mut s = Schedule::new(&scenario());
        s.hold("k").unwrap();
        s.release("k").unwrap();
        assert!(s.due(u64::MAX).iter().all(|i| i != "k"));
        s.fire_now("k").unwrap();
        assert_eq!(s.status("k"), Some(Status::Fired));
    }
}
