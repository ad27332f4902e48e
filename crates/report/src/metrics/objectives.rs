//! The exercise's objectives, each with the injects that tested it and the evaluators'
//! observations and ratings of it: the evaluation HSEEP's Exercise Evaluation Guide asks for.
//!
//! The objectives are the scenario's `[[objective]]` tables, in order. A scenario that
//! declares none (older files, some spreadsheet imports) names objectives as free text on its
//! injects; each distinct text is then an objective, in first-use order. An observation that
//! names an objective the scenario does not have (the relay checks only the id's form) gets an
//! entry of its own, marked undeclared, so no rating is silently dropped.

use fusioncell_scenario::Scenario;
use fusioncell_wire::act_body::Rating;

use super::{InjectReport, Observation, Planned};

/// One objective and what the journal holds about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectiveReport {
    /// Its id (for a free-text objective, the text).
    pub id: String,
    /// What it sets out to show (for a free-text objective, the text again).
    pub title: String,
    /// Its core capability, if the scenario states one.
    pub capability: Option<String>,
    /// Its critical tasks.
    pub tasks: Vec<String>,
    /// False when only observations name it: the scenario has no such objective.
    pub declared: bool,
    /// Delivered injects that tested it: indices into [`super::Metrics::injects`].
    pub injects: Vec<usize>,
    /// Planned injects that tested it and never fired: indices into
    /// [`super::Metrics::unfired`].
    pub unfired: Vec<usize>,
    /// Observations naming it: indices into [`super::Metrics::observations`].
    pub observations: Vec<usize>,
}

impl ObjectiveReport {
    fn new(id: String, title: String, declared: bool) -> ObjectiveReport {
        ObjectiveReport {
            id,
            title,
            capability: None,
            tasks: Vec::new(),
            declared,
            injects: Vec::new(),
            unfired: Vec::new(),
            observations: Vec::new(),
        }
    }

    /// The ratings given, in journal order, with the observation's index.
    pub fn ratings<'a>(
        &'a self,
        observations: &'a [Observation],
    ) -> impl Iterator<Item = (Rating, &'a Observation)> + 'a {
        self.observations
            .iter()
            .filter_map(|&k| observations.get(k))
            .filter_map(|o| Some((o.rating?, o)))
    }
}

/// Every objective, grouped with its injects and observations.
pub(super) fn objectives(
    scenario: Option<&Scenario>,
    injects: &[InjectReport],
    unfired: &[Planned],
    observations: &[Observation],
) -> Vec<ObjectiveReport> {
    let mut out: Vec<ObjectiveReport> = scenario
        .map(|s| {
            s.objectives()
                .iter()
                .map(|o| {
                    let mut r = ObjectiveReport::new(o.id.to_string(), o.title.clone(), true);
                    r.capability.clone_from(&o.capability);
                    r.tasks.clone_from(&o.tasks);
                    r
                })
                .collect()
        })
        .unwrap_or_default();
    let named = |p: Option<&Planned>| p.and_then(|p| p.objective.clone());
    let planned = injects
        .iter()
        .map(|i| named(i.planned.as_ref()))
        .chain(unfired.iter().map(|p| named(Some(p))));
    for text in planned.flatten() {
        if !out.iter().any(|o| o.id == text) {
            out.push(ObjectiveReport::new(text.clone(), text, true));
        }
    }
    for (k, i) in injects.iter().enumerate() {
        if let Some(id) = named(i.planned.as_ref())
            && let Some(o) = out.iter_mut().find(|o| o.id == id)
        {
            o.injects.push(k);
        }
    }
    for (k, p) in unfired.iter().enumerate() {
        if let Some(id) = &p.objective
            && let Some(o) = out.iter_mut().find(|o| o.id == *id)
        {
            o.unfired.push(k);
        }
    }
    for (k, obs) in observations.iter().enumerate() {
        let Some(id) = &obs.objective else { continue };
        let at = match out.iter().position(|o| o.id == *id) {
            Some(at) => at,
            None => {
                out.push(ObjectiveReport::new(id.clone(), id.clone(), false));
                out.len() - 1
            }
        };
        out[at].observations.push(k);
    }
    out
}
