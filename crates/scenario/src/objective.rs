//! Exercise objectives, as HSEEP's Exercise Evaluation Guide (EEG) frames them: an id, what
//! the objective is, the core capability it exercises and the critical tasks that show it.
//! Injects name the objective they test by id; evaluators rate an objective by id (`observe`
//! with `objective` and `rating`), and the after-action report groups both under it.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::ids::ObjectiveId;
use crate::msel::Text;

/// One objective of the scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Objective {
    /// Its id, e.g. `O2`, unique in the scenario.
    pub id: ObjectiveId,
    /// What the exercise sets out to show, in one sentence.
    pub title: String,
    /// The core capability it exercises (HSEEP's term), if stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
    /// The critical tasks an evaluator watches for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<String>,
}

impl Objective {
    /// An objective with no capability or tasks yet (the CSV import adds them line by line).
    pub(crate) fn new(id: ObjectiveId, title: String) -> Objective {
        Objective {
            id,
            title,
            capability: None,
            tasks: Vec::new(),
        }
    }
}

/// `[[objective]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ObjectiveEntry {
    pub(crate) id: Spanned<ObjectiveId>,
    title: Text,
    #[serde(default)]
    capability: Option<Text>,
    #[serde(default)]
    tasks: Vec<Text>,
}

impl ObjectiveEntry {
    /// The objective, its id taken out of its span.
    pub(crate) fn into_objective(self) -> Objective {
        Objective {
            id: self.id.into_inner(),
            title: self.title.0,
            capability: self.capability.map(|t| t.0),
            tasks: self.tasks.into_iter().map(|t| t.0).collect(),
        }
    }
}
