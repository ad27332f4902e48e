//! The console's MSEL (`web/msel.js`) derives what exercise control derives: where every inject
//! stands — pending, due, fired, skipped, held — from the `inject` and `msel` records of the
//! journal (`fusioncell_scenario::Schedule::apply`, `Entry::shown_at`), over a few hundred
//! random scenarios and journals: injects fired, skipped, held and released in any order,
//! decisions that do not apply, control numbers of no inject, contingencies, probes at any
//! scenario time. `node` is required: the browser tests need it too (README.md).

mod support;

use fusioncell_scenario::{Scenario, Schedule};
use fusioncell_wire::ActBody;
use fusioncell_wire::act_body::{InjectBody, MselAction, MselBody};
use serde_json::{Value, json};
use support::{Rng, run_in_node};

const ACTIONS: [MselAction; 3] = [MselAction::Skip, MselAction::Hold, MselAction::Release];

/// One case: a scenario, a journal, probes; Rust's answer for each probe.
fn case(rng: &mut Rng) -> Value {
    let n = 1 + rng.next(8);
    let mut toml =
        String::from("[scenario]\ntitle = \"s\"\n[[move]]\nid = \"M1\"\ntitle = \"m\"\n");
    let mut injects = Vec::new();
    for i in 0..n {
        // Few distinct times, so that ties (file order) happen.
        let at = rng.next(5) * 60;
        let contingency = rng.next(4) == 0;
        toml.push_str(&format!(
            "[[inject]]\nid = \"I{i}\"\nat = {at}\nmove = \"M1\"\nchannel = \"c\"\ntitle = \"t\"\n\
             text = \"x\"\nexpected = []\ncontingency = {contingency}\n"
        ));
        injects.push(
            json!({"id": format!("I{i}"), "at_s": at, "channel": "c", "title": "t",
            "text": "x", "contingency": contingency}),
        );
    }
    let scenario = Scenario::from_toml(&toml).expect("generated scenario");
    let mut bodies = Vec::new();
    let mut records = Vec::new();
    let mut probes = Vec::new();
    for _ in 0..rng.next(16) {
        // One id in nine names no inject of the scenario.
        let id = format!("I{}", rng.next(n + 1));
        let body = if rng.next(4) == 0 {
            ActBody::Inject(InjectBody {
                id: id.clone(),
                phase: None,
                from: None,
                to: None,
                title: "t".into(),
                text: "x".into(),
                at_s: 0,
            })
        } else {
            ActBody::Msel(MselBody {
                id: id.clone(),
                action: ACTIONS[rng.next(3) as usize],
            })
        };
        records.push(match &body {
            ActBody::Inject(b) => json!({"kind": "inject", "body": b}),
            ActBody::Msel(b) => json!({"kind": "msel", "body": b}),
            _ => unreachable!("only injects and msel acts are generated"),
        });
        bodies.push(body);
        let now = rng.next(300_001);
        let schedule = Schedule::from_journal(&scenario, &bodies);
        let shown: Vec<Value> = schedule
            .entries()
            .iter()
            .map(|e| json!([e.id.as_str(), e.shown_at(now)]))
            .collect();
        probes.push(json!({"records": records.len(), "now": now, "expected": shown}));
    }
    json!({"injects": injects, "records": records, "probes": probes})
}

const SCRIPT: &str = r#"
    const out = cases.map((c) => {
        const injects = M.scenarioInjects({ injects: c.injects });
        return c.probes.map((p) => M.timeline(injects, c.records.slice(0, p.records), p.now)
            .map((r) => [r.inject.id, r.status]));
    });
    process.stdout.write(JSON.stringify(out));
"#;

#[test]
fn the_console_msel_derives_what_control_derives() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let cases: Vec<Value> = (0..300).map(|_| case(&mut rng)).collect();
    let got = run_in_node("msel.js", &json!(cases), SCRIPT);
    let got = got.as_array().expect("an array per case");
    let mut probes = 0;
    let mut seen = std::collections::BTreeSet::new();
    for (i, (c, got)) in cases.iter().zip(got.iter()).enumerate() {
        let expected: Vec<&Value> = c["probes"]
            .as_array()
            .expect("probes")
            .iter()
            .map(|p| &p["expected"])
            .collect();
        let got: Vec<&Value> = got.as_array().expect("array").iter().collect();
        assert_eq!(expected, got, "case {i}: {}", c["records"]);
        for e in &expected {
            for pair in e.as_array().expect("pairs") {
                seen.insert(pair[1].as_str().expect("status").to_owned());
                probes += 1;
            }
        }
    }
    assert!(probes > 1000, "only {probes} probes");
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["due", "fired", "held", "pending", "skipped"],
        "every status is exercised"
    );
}
