//! The console's describer (`web/describe.js`) says of every record exactly what
//! `fusioncell_cell::describe` says: one sample record per act kind (and the variants each
//! kind's description has), the Rust line for each, and node running the JavaScript module on
//! the same records. `node` is required: the browser tests need it too (README.md).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use fusioncell_wire::act_body::{
    Access, AckBody, ClockAction, ClockBody, CosignBody, DecisionBody, EscalateBody, GrantBody,
    InjectBody, MselAction, MselBody, MuteBody, ObserveBody, Rating, ReceiptBody, ReceiptKind,
    RedactBody, ReplyBody,
};
use fusioncell_wire::{
    Act, ActBody, ActKind, Body, CellId, ChannelId, Digest, IdentityId, OpenBody, OpenChannel,
    OpenIdentity, PublicKeyBytes, Record, RecoveredBody, Role, SecurityBody, SignatureBytes,
};

fn id(s: &str) -> IdentityId {
    IdentityId::new(s).expect("identity")
}

fn ch(s: &str) -> ChannelId {
    ChannelId::new(s).expect("channel")
}

/// A record of `kind` with `body` (`None`: redacted). Signatures are not looked at here.
fn record(seq: u64, kind: ActKind, channel: Option<&str>, body: Option<Body>) -> Record {
    let actor = match kind {
        ActKind::Open | ActKind::Security | ActKind::Recovered | ActKind::Escalate => "relay",
        _ => "israel",
    };
    Record {
        seq,
        ts: 1_764_115_200_000 + seq as i64,
        act: Act {
            kind,
            cell: CellId::new("paris-joint-cell").expect("cell"),
            channel: channel.map(ch),
            actor: id(actor),
            seq,
            ts: 1_764_115_200_000,
            body_sha256: Digest([7; 32]),
        },
        body,
        sig: SignatureBytes([9; 64]),
    }
}

fn of(value: ActBody) -> Option<Body> {
    Some(Body::new(value))
}

fn decision(target: u64, reason: Option<&str>) -> DecisionBody {
    DecisionBody {
        target,
        target_digest: Digest([1; 32]),
        epoch: 4,
        reason: reason.map(str::to_owned),
    }
}

fn clock(action: ClockAction, speed: Option<u32>, reason: Option<&str>) -> Option<Body> {
    of(ActBody::Clock(ClockBody {
        action,
        speed,
        reason: reason.map(str::to_owned),
    }))
}

/// One record per act kind, and per variant of each kind's description.
fn samples() -> Vec<Record> {
    use ActKind as K;
    let inject = |phase: Option<&str>| InjectBody {
        id: "M2-04".into(),
        phase: phase.map(str::to_owned),
        from: Some("Local media".into()),
        to: None,
        title: "Border \"incident\" reported".into(),
        text: "Exchange of fire near the crossing — 14:00.".into(),
        at_s: 3600,
    };
    let bodies: Vec<(K, Option<&str>, Option<Body>)> = vec![
        (
            K::Post,
            Some("diplomacy"),
            Some(Body::post("Israel proposes talks at 10:00 ✓")),
        ),
        (
            K::Post,
            Some("diplomacy"),
            Some(Body::post(r#"{"target":3,"text":"not a reply"}"#)),
        ),
        (K::Post, Some("diplomacy"), Some(Body::post(""))),
        (K::Post, Some("diplomacy"), None),
        (
            K::Reply,
            Some("diplomacy"),
            of(ActBody::Reply(ReplyBody {
                target: 5,
                text: "Agreed — 10:00 it is.".into(),
            })),
        ),
        (K::Reply, Some("diplomacy"), None),
        (
            K::Approve,
            Some("security"),
            of(ActBody::Approve(decision(6, None))),
        ),
        (
            K::Reject,
            Some("security"),
            of(ActBody::Reject(decision(7, Some("too specific")))),
        ),
        (
            K::Reject,
            Some("security"),
            of(ActBody::Reject(decision(7, None))),
        ),
        (
            K::Reject,
            Some("security"),
            of(ActBody::Reject(decision(7, Some("")))),
        ),
        (
            K::Mute,
            Some("diplomacy"),
            of(ActBody::Mute(MuteBody {
                identity: id("syria"),
                channel: Some(ch("diplomacy")),
            })),
        ),
        (
            K::Mute,
            None,
            of(ActBody::Mute(MuteBody {
                identity: id("syria"),
                channel: None,
            })),
        ),
        (
            K::Unmute,
            Some("diplomacy"),
            of(ActBody::Unmute(MuteBody {
                identity: id("syria"),
                channel: Some(ch("diplomacy")),
            })),
        ),
        (
            K::Unmute,
            None,
            of(ActBody::Unmute(MuteBody {
                identity: id("syria"),
                channel: None,
            })),
        ),
        (
            K::Grant,
            Some("security"),
            of(ActBody::Grant(GrantBody {
                identity: id("france"),
                channel: ch("security"),
                access: Access::Member,
            })),
        ),
        (
            K::Grant,
            Some("security"),
            of(ActBody::Grant(GrantBody {
                identity: id("france"),
                channel: ch("security"),
                access: Access::Reader,
            })),
        ),
        (
            K::Revoke,
            Some("security"),
            of(ActBody::Revoke(GrantBody {
                identity: id("france"),
                channel: ch("security"),
                access: Access::Reader,
            })),
        ),
        (
            K::Redact,
            None,
            of(ActBody::Redact(RedactBody {
                target: 9,
                reason: "wrong inject fired".into(),
            })),
        ),
        (K::Clock, None, clock(ClockAction::Start, None, None)),
        (K::Clock, None, clock(ClockAction::Start, Some(60), None)),
        (
            K::Clock,
            None,
            clock(ClockAction::Start, Some(0), Some("dry run")),
        ),
        (K::Clock, None, clock(ClockAction::Pause, None, None)),
        (
            K::Clock,
            None,
            clock(ClockAction::Pause, None, Some("lunch")),
        ),
        (K::Clock, None, clock(ClockAction::Resume, None, None)),
        (K::Clock, None, clock(ClockAction::Resume, None, Some(""))),
        (K::Clock, None, clock(ClockAction::End, None, None)),
        (
            K::Clock,
            None,
            clock(ClockAction::End, None, Some("objectives met")),
        ),
        (K::Clock, None, clock(ClockAction::Halt, None, None)),
        (
            K::Clock,
            None,
            clock(ClockAction::Halt, None, Some("fire alarm")),
        ),
        (
            K::Inject,
            Some("diplomacy"),
            of(ActBody::Inject(inject(Some("M2")))),
        ),
        (
            K::Inject,
            Some("diplomacy"),
            of(ActBody::Inject(inject(None))),
        ),
        (K::Inject, Some("diplomacy"), None),
        (
            K::Msel,
            None,
            of(ActBody::Msel(MselBody {
                id: "M2-04".into(),
                action: MselAction::Skip,
            })),
        ),
        (
            K::Msel,
            None,
            of(ActBody::Msel(MselBody {
                id: "M2-05".into(),
                action: MselAction::Hold,
            })),
        ),
        (
            K::Msel,
            None,
            of(ActBody::Msel(MselBody {
                id: "M2-05".into(),
                action: MselAction::Release,
            })),
        ),
        (
            K::Observe,
            None,
            of(ActBody::Observe(ObserveBody {
                refs: vec![5, 6],
                text: "Released within a minute.".into(),
                about: Some("M2-04".into()),
                objective: None,
                rating: None,
            })),
        ),
        (
            K::Observe,
            None,
            of(ActBody::Observe(ObserveBody {
                refs: vec![7],
                text: "Acknowledged late.".into(),
                about: None,
                objective: Some("O3".into()),
                rating: Some(Rating::MajorChallenges),
            })),
        ),
        (
            K::Observe,
            None,
            of(ActBody::Observe(ObserveBody {
                refs: vec![7],
                text: "Noted.".into(),
                about: Some("hotline".into()),
                objective: Some("O3".into()),
                rating: None,
            })),
        ),
        (
            K::Observe,
            None,
            of(ActBody::Observe(ObserveBody {
                refs: vec![],
                text: "Quiet phase.".into(),
                about: None,
                objective: None,
                rating: None,
            })),
        ),
        (
            K::Observe,
            None,
            of(ActBody::Observe(ObserveBody {
                refs: vec![5],
                text: "".into(),
                about: Some("".into()),
                objective: None,
                rating: None,
            })),
        ),
        (K::Observe, None, None),
        (
            K::Receipt,
            None,
            of(ActBody::Receipt(ReceiptBody {
                target: 5,
                kind: ReceiptKind::Read,
                also: vec![],
            })),
        ),
        (
            K::Receipt,
            None,
            of(ActBody::Receipt(ReceiptBody {
                target: 9,
                kind: ReceiptKind::Read,
                also: vec![5, 6, 8],
            })),
        ),
        (
            K::Receipt,
            None,
            of(ActBody::Receipt(ReceiptBody {
                target: 5,
                kind: ReceiptKind::Delivered,
                also: vec![],
            })),
        ),
        (
            K::Ack,
            Some("deescalation"),
            of(ActBody::Ack(AckBody { target: 11 })),
        ),
        (
            K::Cosign,
            None,
            of(ActBody::Cosign(CosignBody {
                size: 42,
                root: Digest([3; 32]),
            })),
        ),
        (
            K::Open,
            None,
            of(ActBody::Open(OpenBody {
                cell: CellId::new("paris-joint-cell").expect("cell"),
                config_sha256: Digest([2; 32]),
                relay_key: PublicKeyBytes([4; 32]),
                identities: ["israel", "syria", "us"]
                    .into_iter()
                    .map(|i| OpenIdentity {
                        id: id(i),
                        role: Role::Party,
                        public_key: PublicKeyBytes([5; 32]),
                    })
                    .collect(),
                channels: vec![OpenChannel {
                    id: ch("diplomacy"),
                    policy: "open".into(),
                    members: vec![id("israel"), id("syria")],
                    readers: vec![],
                }],
            })),
        ),
        (
            K::Security,
            None,
            of(ActBody::Security(SecurityBody {
                event: "bad_login".into(),
                identity: Some("israel".into()),
                peer: Some("127.0.0.1:5000".into()),
                act_seq: None,
                reason: "the signature does not verify".into(),
            })),
        ),
        (
            K::Security,
            None,
            of(ActBody::Security(SecurityBody {
                event: "login_timeout".into(),
                identity: None,
                peer: None,
                act_seq: Some(3),
                reason: "no login within 10 s".into(),
            })),
        ),
        (
            K::Recovered,
            None,
            of(ActBody::Recovered(RecoveredBody {
                records: 120,
                truncated_bytes: 17,
                config_sha256: Digest([6; 32]),
            })),
        ),
        (
            K::Escalate,
            Some("deescalation"),
            of(ActBody::Escalate(EscalateBody {
                target: 11,
                sender: id("israel"),
                ack_seconds: 120,
            })),
        ),
    ];
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, (kind, channel, body))| record(i as u64 + 1, kind, channel, body))
        .collect()
}

/// Runs `web/describe.js` in node on each record of `cases` (a JSON file of `[{record, ...}]`)
/// and returns its lines, in order.
fn describe_in_node(module: &Path, cases: &Path) -> Vec<String> {
    const SCRIPT: &str = r#"
        const { readFileSync } = await import("node:fs");
        const [module, cases] = [process.env.DESCRIBE_JS, process.env.DESCRIBE_CASES];
        const src = readFileSync(module, "utf8");
        const { describe } = await import(
            "data:text/javascript;base64," + Buffer.from(src).toString("base64"));
        const records = JSON.parse(readFileSync(cases, "utf8")).map((c) => c.record);
        process.stdout.write(JSON.stringify(records.map((r) => describe(r))));
    "#;
    let out = match Command::new("node")
        .args(["--input-type=module", "-e", SCRIPT])
        .env("DESCRIBE_JS", module)
        .env("DESCRIBE_CASES", cases)
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!(
            "this test runs the console's describe.js in node, and `node` could not be started \
             ({e}): install Node.js (also needed by tests/browser) and put it on PATH"
        ),
    };
    assert!(
        out.status.success(),
        "node failed on describe.js ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "node's output is not a JSON array of strings ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn the_console_describes_every_kind_as_the_cell_does() {
    let records = samples();
    let covered: BTreeSet<&str> = records.iter().map(|r| r.act.kind.as_str()).collect();
    let missing: Vec<&str> = ActKind::ALL
        .iter()
        .map(|k| k.as_str())
        .filter(|k| !covered.contains(k))
        .collect();
    assert!(
        missing.is_empty(),
        "no sample record of the kinds {missing:?}: add one to samples() (and its description \
         to crates/relay/web/describe.js)"
    );
    assert!(records.iter().any(|r| r.body.is_none()), "a redacted body");

    let cases: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            serde_json::json!({
                "record": r,
                "expected": fusioncell_cell::describe(r.body.as_ref()),
            })
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("describe-cases.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&cases).expect("cases as JSON"),
    )
    .expect("write the cases");
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("web/describe.js");
    let got = describe_in_node(&module, &path);

    assert_eq!(got.len(), cases.len(), "one line per record from node");
    let differ: Vec<String> = cases
        .iter()
        .zip(&got)
        .filter(|(case, js)| case["expected"] != **js)
        .map(|(case, js)| {
            format!(
                "{} {}\n    rust: {}\n    js:   {js:?}",
                case["record"]["act"]["kind"], case["record"]["body"], case["expected"]
            )
        })
        .collect();
    assert!(
        differ.is_empty(),
        "describe.js differs from fusioncell_cell::describe on {} of {} records:\n{}",
        differ.len(),
        cases.len(),
        differ.join("\n")
    );
}
