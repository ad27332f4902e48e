//! Evaluation by objective: the test journal with rated observations, against a scenario that
//! declares its objectives.

use fusioncell_scenario::Scenario;
use fusioncell_wire::ActKind;

use super::{SCENARIO, integrity, journal_builder, open_body};
use crate::model::{AfterAction, Inputs};
use crate::{html, markdown};

/// SCENARIO with declared objectives, its injects naming them by id.
fn scenario_with_objectives() -> Scenario {
    let text = SCENARIO
        .replace(
            "[[inject]]\nid = \"M1-01\"",
            "[[objective]]\nid = \"O1\"\ntitle = \"Establish communication through the cell\"\n\
             capability = \"Operational Communications\"\n\
             tasks = [\"Duty officers confirmed\", \"Hotline acknowledged in time\"]\n\n\
             [[objective]]\nid = \"O2\"\ntitle = \"Agree handling rules\"\n\
             capability = \"Intelligence and Information Sharing\"\n\n\
             [[objective]]\nid = \"O3\"\ntitle = \"Unused objective\"\n\n\
             [[inject]]\nid = \"M1-01\"",
        )
        .replace(
            "objective = \"Establish communication through the cell\"",
            "objective = \"O1\"",
        )
        .replace("objective = \"Agree handling rules\"", "objective = \"O2\"");
    Scenario::from_toml(&text).unwrap()
}

/// The test journal, then rated observations (25, 26, 27) and one naming an objective the
/// scenario lacks (28), and an observation from before ratings existed (17, 18, 19).
fn rated_report() -> AfterAction {
    let mut j = journal_builder();
    let rated = |refs: &str, objective: &str, rating: &str, text: &str| {
        format!(
            r#"{{"refs":[{refs}],"text":"{text}","objective":"{objective}","rating":"{rating}"}}"#
        )
    };
    j.push(
        111_000,
        ActKind::Observe,
        "eval",
        None,
        &rated("3", "O1", "P", "Duty officer confirmed at once."),
    );
    j.push(
        112_000,
        ActKind::Observe,
        "eval",
        None,
        &rated("15,16", "O1", "M", "Hotline test missed its deadline."),
    );
    j.push(
        113_000,
        ActKind::Observe,
        "eval",
        None,
        &rated("6,7", "O2", "S", "Rules accepted after a rejection."),
    );
    j.push(
        114_000,
        ActKind::Observe,
        "eval",
        None,
        &rated("4", "O9", "U", "Typed by hand."),
    );
    let records = j.records;
    let open = open_body();
    let scenario = scenario_with_objectives();
    let integrity = integrity(records.len() as u64);
    AfterAction::build(Inputs {
        records: &records,
        open: &open,
        scenario: Some(&scenario),
        config: None,
        integrity: &integrity,
    })
    .unwrap()
}

#[test]
fn observations_and_ratings_are_grouped_by_objective() {
    use fusioncell_wire::act_body::Rating;
    let aar = rated_report();
    let m = &aar.metrics;
    let ids: Vec<&str> = m.objectives.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(
        ids,
        ["O1", "O2", "O3", "O9"],
        "declared in order, then undeclared"
    );
    let o1 = &m.objectives[0];
    assert!(o1.declared);
    let injects: Vec<&str> = o1
        .injects
        .iter()
        .filter_map(|&k| m.injects[k].id.as_deref())
        .collect();
    assert_eq!(injects, ["M1-01", "M1-03"]);
    let ratings: Vec<(Rating, u64)> = o1
        .ratings(&m.observations)
        .map(|(r, o)| (r, o.seq))
        .collect();
    assert_eq!(
        ratings,
        [(Rating::Performed, 25), (Rating::MajorChallenges, 26)]
    );
    assert!(m.objectives[2].injects.is_empty() && m.objectives[2].observations.is_empty());
    assert!(!m.objectives[3].declared, "O9 is not in the scenario");
    // Observations written before objectives and ratings existed still read, unrated.
    assert_eq!(m.observations[0].seq, 17);
    assert_eq!(
        (
            m.observations[0].objective.as_deref(),
            m.observations[0].rating
        ),
        (None, None)
    );

    let html = html::render(&aar);
    assert!(
        html.contains("id=\"objectives\""),
        "the section is in the HTML report"
    );
    let section =
        &html[html.find("id=\"objectives\"").unwrap()..html.find("id=\"expected\"").unwrap()];
    for needle in [
        "O1",
        "Operational Communications",
        "Hotline acknowledged in time",
        "href=\"#r26\"",
        "Hotline test missed its deadline.",
        "href=\"#r12\"",
        "Rules accepted after a rejection.",
        "which the scenario does not declare",
        "No observation names this objective.",
    ] {
        assert!(
            section.contains(needle),
            "no `{needle}` in the objectives section"
        );
    }
    let md = markdown::render(&aar);
    for needle in [
        "| O1: Establish communication through the cell | Operational Communications | P by eval ([\\#25](#r25)), M by eval ([\\#26](#r26)) |",
        "| O2: Agree handling rules | Intelligence and Information Sharing | S by eval ([\\#27](#r27)) |",
        "| O3: Unused objective | _to be completed_ | _P / S / M / U_ |",
        "### Objective O1: Establish communication through the cell",
        "Evaluation by objective",
        "<a id=\"r26\"></a>26",
    ] {
        assert!(md.contains(needle), "no `{needle}` in:\n{md}");
    }
}
