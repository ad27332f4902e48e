//! The bodies the console builds for `receipt` and `observe` acts (`web/receipts.js`,
//! `web/evaluate.js`) are exactly what the relay's strict types accept, and the console refuses
//! what the relay would: node runs the modules, and each body is parsed with the wire types.
//! `node` is required, as for the describer's test.

use std::process::Command;

use fusioncell_wire::act_body::{ObserveBody, Rating, ReceiptBody, ReceiptKind};

/// Runs the console's pure body builders in node and returns their results as JSON.
fn in_node() -> serde_json::Value {
    const SCRIPT: &str = r#"
        const { pathToFileURL } = await import("node:url");
        const web = process.env.WEB_DIR;
        const R = await import(pathToFileURL(`${web}/receipts.js`).href);
        const E = await import(pathToFileURL(`${web}/evaluate.js`).href);
        const objectives = E.objectivesOf({ objectives: [
            { id: "O1", title: "Open the cell", capability: "Operational Communications", tasks: ["Confirm"] },
            { id: "O2", title: "Share assessments" },
        ] });
        const refused = (f) => { try { f(); return null; } catch (e) { return e.message; } };
        const form = { refs: [14, 12], text: "Released within a minute.", about: " ", objective: "O2", rating: "S" };
        process.stdout.write(JSON.stringify({
            single: R.receiptBody([7]),
            batch: R.receiptBody([3, 5, 9]),
            full: R.receiptBody(Array.from({ length: R.MAX_BATCH }, (_, i) => i + 1)),
            intervals: [R.receiptInterval(100), R.receiptInterval(10), R.receiptInterval(undefined), R.receiptInterval(100000)],
            objectives: objectives.map((o) => o.id),
            rated: E.observeBody(form, objectives),
            general: E.observeBody({ ...form, refs: [], objective: "", rating: "" }, objectives),
            no_objective: refused(() => E.observeBody({ ...form, objective: "" }, objectives)),
            unknown_objective: refused(() => E.observeBody({ ...form, objective: "O9" }, objectives)),
            no_text: refused(() => E.observeBody({ ...form, text: "  " }, objectives)),
            bad_export: refused(() => E.objectivesOf({ objectives: [{ id: "O1" }] })),
        }));
    "#;
    let web = concat!(env!("CARGO_MANIFEST_DIR"), "/web");
    let out = match Command::new("node")
        .args(["--input-type=module", "-e", SCRIPT])
        .env("WEB_DIR", web)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            panic!("this test runs the console's modules in node, which could not be started ({e})")
        }
    };
    assert!(
        out.status.success(),
        "node failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("node printed JSON")
}

/// Parses a body as the relay does (strict: unknown fields and wrong types refused).
macro_rules! parse {
    ($v:expr) => {
        serde_json::from_value($v.clone())
            .unwrap_or_else(|e| panic!("the relay refuses {}: {e}", $v))
    };
}

#[test]
fn receipt_and_observe_bodies_are_what_the_relay_accepts() {
    let v = in_node();
    let single: ReceiptBody = parse!(v["single"]);
    assert_eq!(
        single,
        ReceiptBody {
            target: 7,
            kind: ReceiptKind::Read,
            also: vec![]
        }
    );
    assert!(
        v["single"].get("also").is_none(),
        "a single receipt is the old form"
    );
    let batch: ReceiptBody = parse!(v["batch"]);
    assert_eq!((batch.target, batch.also), (9, vec![3, 5]));
    let full: ReceiptBody = parse!(v["full"]);
    assert_eq!(
        full.also.len(),
        fusioncell_wire::act_body::MAX_RECEIPT_ALSO,
        "a full batch is the largest the relay accepts"
    );
    // A quarter of the sustained rate, never faster than one a second.
    assert_eq!(v["intervals"], serde_json::json!([2400, 30000, 2400, 1000]));

    assert_eq!(v["objectives"], serde_json::json!(["O1", "O2"]));
    let rated: ObserveBody = parse!(v["rated"]);
    assert_eq!(
        rated,
        ObserveBody {
            refs: vec![12, 14],
            text: "Released within a minute.".into(),
            about: None,
            objective: Some("O2".into()),
            rating: Some(Rating::SomeChallenges),
        }
    );
    let general: ObserveBody = parse!(v["general"]);
    assert_eq!((general.objective, general.rating), (None, None));
    for (case, needle) in [
        ("no_objective", "a rating is of an objective"),
        ("unknown_objective", "O9 is not in the scenario"),
        ("no_text", "write the observation"),
        ("bad_export", "objectives[0] lacks an id or a title"),
    ] {
        let reason = v[case]
            .as_str()
            .unwrap_or_else(|| panic!("{case} was not refused"));
        assert!(reason.contains(needle), "{case}: {reason}");
    }
}
