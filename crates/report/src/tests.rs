//! The report over a journal built in memory: records with valid structure (signatures are
//! not checked here: `audit verify` does that before a report is written) covering
//! moderation, the hotline, a pause and a halt, injects and responses, observations, a
//! security event and a redaction.

use fusioncell_keys::{SigningKey, sha256};
use fusioncell_scenario::Scenario;
use fusioncell_wire::{
    Act, ActKind, Body, CellId, ChannelId, Digest, IdentityId, OpenBody, OpenChannel, OpenIdentity,
    PublicKeyBytes, Record, Role, SignatureBytes,
};

mod objectives;

use crate::metrics::Metrics;
use crate::model::{AfterAction, Inputs, Integrity};
use crate::{export, html, markdown};

const T0: i64 = 1_800_000_000_000;

const SCENARIO: &str = r#"
[scenario]
title = "Test talks"
description = "A test <exercise> & more"
speed = 60

[[move]]
id = "M1"
title = "First move"

[[inject]]
id = "M1-01"
at = "00:02:00"
move = "M1"
channel = "diplomacy"
title = "Opening"
text = "Confirm your duty officer."
expected = ["Each delegation confirms its duty officer on diplomacy"]
objective = "Establish communication through the cell"

[[inject]]
id = "M1-02"
at = "00:10:00"
move = "M1"
channel = "security"
title = "Handling rules"
text = "State whether you accept the handling rules."
expected = ["Both delegations accept the handling rules", "The mediator releases both answers"]
objective = "Agree handling rules"

[[inject]]
id = "M1-03"
at = "00:20:00"
move = "M1"
channel = "deescalation"
title = "Hotline test"
text = "Test the hotline."
expected = ["Each side acknowledges within the deadline"]
objective = "Establish communication through the cell"

[[inject]]
id = "M1-09"
at = "00:50:00"
move = "M1"
channel = "diplomacy"
title = "Contingency prompt"
text = "Please answer."
expected = ["Answer"]
contingency = true
"#;

fn id(s: &str) -> IdentityId {
    IdentityId::new(s).unwrap()
}

fn ch(s: &str) -> ChannelId {
    ChannelId::new(s).unwrap()
}

fn key(n: u8) -> PublicKeyBytes {
    PublicKeyBytes(*SigningKey::from_seed([n; 32]).public_key().bytes())
}

fn open_body() -> OpenBody {
    let ident = |name: &str, role: Role, n: u8| OpenIdentity {
        id: id(name),
        role,
        public_key: key(n),
    };
    let parties = vec![id("israel"), id("syria")];
    OpenBody {
        cell: CellId::new("test-cell").unwrap(),
        config_sha256: Digest(sha256(b"cell.toml")),
        relay_key: key(1),
        identities: vec![
            ident("israel", Role::Party, 2),
            ident("syria", Role::Party, 3),
            ident("us", Role::Mediator, 4),
            ident("control", Role::Control, 5),
            ident("eval", Role::Evaluator, 6),
            ident("france", Role::Observer, 7),
        ],
        channels: vec![
            OpenChannel {
                id: ch("diplomacy"),
                policy: "open".into(),
                members: parties.clone(),
                readers: vec![id("france")],
            },
            OpenChannel {
                id: ch("security"),
                policy: "moderated".into(),
                members: parties.clone(),
                readers: vec![],
            },
            OpenChannel {
                id: ch("deescalation"),
                policy: "hotline".into(),
                members: parties,
                readers: vec![],
            },
        ],
    }
}

/// Builds a journal record by record, numbering cell and actor sequences.
struct Journal {
    records: Vec<Record>,
    actor_seq: std::collections::BTreeMap<String, u64>,
}

impl Journal {
    fn new() -> Journal {
        let mut j = Journal {
            records: Vec::new(),
            actor_seq: Default::default(),
        };
        let open = serde_json::to_string(&open_body()).unwrap();
        j.push(0, ActKind::Open, "relay", None, &open);
        j
    }

    fn push(&mut self, at_ms: i64, kind: ActKind, actor: &str, channel: Option<&str>, body: &str) {
        let seq = self.records.len() as u64;
        let ts = T0 + at_ms;
        let actor_seq = if actor == "relay" {
            seq
        } else {
            let n = self.actor_seq.entry(actor.to_owned()).or_default();
            *n += 1;
            *n
        };
        self.records.push(Record {
            seq,
            ts,
            act: Act {
                kind,
                cell: CellId::new("test-cell").unwrap(),
                channel: channel.map(ch),
                actor: id(actor),
                seq: actor_seq,
                ts,
                body_sha256: Digest(sha256(body.as_bytes())),
            },
            body: Some(Body::decode(kind, body.to_owned()).unwrap()),
            sig: SignatureBytes([0; 64]),
        });
    }
}

fn inject(id: &str, title: &str, at_s: u64) -> String {
    format!(
        r#"{{"id":"{id}","phase":"M1","title":"{title}","text":"Players read this.","at_s":{at_s}}}"#
    )
}

fn decision(target: u64, reason: Option<&str>) -> String {
    let reason = reason
        .map(|r| format!(r#","reason":"{r}""#))
        .unwrap_or_default();
    format!(
        r#"{{"target":{target},"target_digest":"{}","epoch":0{reason}}}"#,
        "00".repeat(32)
    )
}

const SECRET: &str = "Grid ref EX 4711 0815";
const XSS: &str = "We confirm <script>alert(1)</script> & welcome";
const CSV_NASTY: &str = "Syria confirms, \"fully\",\nwith a second line";

fn journal() -> Vec<Record> {
    journal_builder().records
}

fn journal_builder() -> Journal {
    use ActKind as K;
    let mut j = Journal::new();
    j.push(
        1_000,
        K::Clock,
        "control",
        None,
        r#"{"action":"start","speed":60}"#,
    ); // 1
    j.push(
        3_000,
        K::Inject,
        "control",
        Some("diplomacy"),
        &inject("M1-01", "Opening", 120),
    ); // 2
    j.push(4_000, K::Post, "israel", Some("diplomacy"), XSS); // 3
    j.push(6_000, K::Post, "syria", Some("diplomacy"), CSV_NASTY); // 4
    j.push(
        11_000,
        K::Inject,
        "control",
        Some("security"),
        &inject("M1-02", "Handling rules", 600),
    ); // 5
    j.push(
        12_000,
        K::Post,
        "israel",
        Some("security"),
        "Israel accepts the rules.",
    ); // 6 held
    j.push(13_000, K::Post, "syria", Some("security"), SECRET); // 7 held
    j.push(
        15_000,
        K::Approve,
        "us",
        Some("security"),
        &decision(6, None),
    ); // 8
    j.push(
        20_000,
        K::Reject,
        "us",
        Some("security"),
        &decision(7, Some("No raw targeting data")),
    ); // 9
    j.push(
        21_000,
        K::Clock,
        "us",
        None,
        r#"{"action":"pause","reason":"Coffee"}"#,
    ); // 10
    j.push(31_000, K::Clock, "control", None, r#"{"action":"resume"}"#); // 11
    j.push(
        32_000,
        K::Inject,
        "control",
        Some("deescalation"),
        &inject("M1-03", "Hotline test", 1200),
    ); // 12
    j.push(
        33_000,
        K::Post,
        "israel",
        Some("deescalation"),
        "Hotline test. Please acknowledge.",
    ); // 13
    j.push(
        35_000,
        K::Ack,
        "syria",
        Some("deescalation"),
        r#"{"target":13}"#,
    ); // 14
    j.push(
        36_000,
        K::Post,
        "syria",
        Some("deescalation"),
        "Hotline test back.",
    ); // 15
    j.push(
        96_000,
        K::Escalate,
        "relay",
        Some("deescalation"),
        r#"{"target":15,"sender":"syria","ack_seconds":60}"#,
    ); // 16
    j.push(
        97_000,
        K::Observe,
        "eval",
        None,
        r#"{"refs":[3],"text":"Israel answered within a minute.","about":"M1-01"}"#,
    ); // 17
    j.push(
        98_000,
        K::Observe,
        "eval",
        None,
        r#"{"refs":[],"text":"On M1-02 the mediator rejected raw coordinates."}"#,
    ); // 18
    j.push(
        99_000,
        K::Observe,
        "eval",
        None,
        r#"{"refs":[],"text":"General: the cell worked."}"#,
    ); // 19
    j.push(99_500, K::Security, "relay", None, r#"{"event":"bad_login","identity":"syria","peer":"127.0.0.1:5555","reason":"signature <b>does not</b> verify"}"#); // 20
    j.push(
        99_600,
        K::Receipt,
        "france",
        None,
        r#"{"target":3,"kind":"read"}"#,
    ); // 21
    j.push(
        99_700,
        K::Redact,
        "us",
        None,
        r#"{"target":7,"reason":"raw targeting data"}"#,
    ); // 22
    j.push(
        100_000,
        K::Clock,
        "control",
        None,
        r#"{"action":"halt","reason":"Real-world emergency drill"}"#,
    ); // 23
    j.push(110_000, K::Clock, "control", None, r#"{"action":"end"}"#); // 24
    j
}

fn integrity(size: u64) -> Integrity {
    Integrity {
        tree_size: size,
        root: Digest([0xab; 32]),
        checkpoints: 1,
        last_checkpoint: None,
        unsigned_tail: 3,
    }
}

fn build(with_scenario: bool) -> AfterAction {
    let records = journal();
    let open = open_body();
    let scenario = Scenario::from_toml(SCENARIO).unwrap();
    let integrity = integrity(records.len() as u64);
    AfterAction::build(Inputs {
        records: &records,
        open: &open,
        scenario: with_scenario.then_some(&scenario),
        config: None,
        integrity: &integrity,
    })
    .unwrap()
}

fn metrics() -> Metrics {
    build(true).metrics
}

#[test]
fn records_are_placed_on_the_exercise_clock() {
    let aar = build(true);
    let at = |seq: usize| aar.entries[seq].scenario_ms;
    assert_eq!(at(0), None, "before STARTEX");
    assert_eq!(at(1), Some(0));
    assert_eq!(at(2), Some(120_000), "2 s at ×60");
    assert_eq!(at(10), Some(1_200_000));
    assert_eq!(at(11), Some(1_200_000), "the pause lost and gained nothing");
    assert_eq!(at(12), Some(1_260_000));
    assert_eq!(at(24), at(23), "the clock stands still while halted");
    assert_eq!(aar.span.startex, Some((1, T0 + 1_000)));
    assert_eq!(aar.span.endex, Some((24, T0 + 110_000)));
    assert_eq!(aar.span.speed, Some(60));
    assert!(aar.entries[6].held && aar.entries[7].held && !aar.entries[3].held);
    assert!(aar.entries[13].hotline && aar.entries[15].hotline);
    assert_eq!(aar.entries[7].body, None, "redacted by a later act");
    let lane = |c: &str| {
        aar.timeline
            .lanes
            .iter()
            .find(|l| l.channel.as_str() == c)
            .unwrap()
    };
    assert_eq!(lane("diplomacy").marks.len(), 3);
    assert_eq!(lane("security").marks[0].label, "M1-02");
    assert_eq!(aar.timeline.clock.len(), 5);
}

#[test]
fn moderation_decisions_and_time_in_queue() {
    let m = metrics().moderation;
    assert_eq!(
        (m.held(), m.approved(), m.rejected(), m.pending()),
        (2, 1, 1, 0)
    );
    assert_eq!(m.queue_real(), Some((5_000, 7_000)));
    assert_eq!(m.queue_scenario(), Some((300_000, 420_000)));
    let rejected = &m.posts[1];
    let d = rejected.decision.as_ref().unwrap();
    assert_eq!((rejected.seq, d.seq, d.approved), (7, 9, false));
    assert_eq!(d.reason.as_deref(), Some("No raw targeting data"));
}

#[test]
fn hotline_acknowledgements_and_escalations() {
    let h = metrics().hotline;
    assert_eq!(h.len(), 2);
    let ack = h[0].ack.as_ref().unwrap();
    assert_eq!(
        (ack.seq, ack.actor.as_str(), ack.real_ms),
        (14, "syria", 2_000)
    );
    assert_eq!(ack.scenario_ms, Some(120_000));
    assert!(h[0].escalation.is_none());
    assert!(h[1].ack.is_none());
    let esc = h[1].escalation.as_ref().unwrap();
    assert_eq!((esc.seq, esc.real_ms), (16, 60_000));
    assert_eq!(h[1].ack_seconds, Some(60), "stated by the escalation");
    assert_eq!(h[0].ack_seconds, None, "not in the open record");
}

#[test]
fn pauses_and_halts_with_durations() {
    let m = metrics();
    assert_eq!(m.stoppages.len(), 2);
    let pause = &m.stoppages[0];
    assert!(!pause.halted);
    assert_eq!(pause.start.reason.as_deref(), Some("Coffee"));
    assert_eq!(pause.end.as_ref().map(|e| e.seq), Some(11));
    assert_eq!(pause.real_ms(), Some(10_000));
    let halt = &m.stoppages[1];
    assert!(halt.halted);
    assert_eq!(halt.real_ms(), Some(10_000), "ended by ENDEX");
    assert_eq!(m.clock_events.len(), 5);
}

#[test]
fn injects_with_their_responses_and_observations() {
    let m = metrics();
    assert_eq!(m.injects.len(), 3);
    let first = &m.injects[0];
    assert_eq!(first.id.as_deref(), Some("M1-01"));
    let seqs: Vec<u64> = first.responses.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [3, 4]);
    assert_eq!(first.first_real_ms(), Some(1_000));
    assert_eq!(first.first_scenario_ms(), Some(60_000));
    let planned = first.planned.as_ref().unwrap();
    assert_eq!(
        planned.objective.as_deref(),
        Some("Establish communication through the cell")
    );
    let seqs: Vec<u64> = m.injects[1].responses.iter().map(|r| r.seq).collect();
    assert_eq!(
        seqs,
        [6, 7],
        "held posts are responses too; decisions are not"
    );
    let seqs: Vec<u64> = m.injects[2].responses.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [13, 15]);

    let obs = |i: usize| -> Vec<u64> {
        m.injects[i]
            .observations
            .iter()
            .map(|&k| m.observations[k].seq)
            .collect()
    };
    assert_eq!(obs(0), [17], "references the response and names the inject");
    assert_eq!(obs(1), [18], "mentions the control number");
    assert!(obs(2).is_empty());
    assert!(m.observations[2].injects.is_empty());
    let unfired: Vec<&str> = m.unfired.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(unfired, ["M1-09"]);
}

#[test]
fn participation_security_and_redactions() {
    let m = metrics();
    let p = |who: &str| {
        m.participation
            .iter()
            .find(|p| p.id.as_str() == who)
            .unwrap()
    };
    assert_eq!((p("israel").posts, p("israel").total()), (3, 3));
    assert_eq!((p("syria").posts, p("syria").acks), (3, 1));
    assert_eq!((p("us").decisions, p("us").other), (2, 2));
    assert_eq!((p("control").injects, p("control").other), (3, 4));
    assert_eq!(p("eval").observations, 3);
    assert_eq!(p("france").receipts, 1);
    assert!(m.participation.iter().all(|p| !p.id.is_relay()));
    assert_eq!(m.security.len(), 1);
    assert_eq!(m.security[0].event, "bad_login");
    assert_eq!(m.redactions.len(), 1);
    assert_eq!(
        (m.redactions[0].target, m.redactions[0].target_kind),
        (7, Some("post"))
    );
    assert_eq!(m.receipts, (0, 1));
    assert!(m.witnesses.is_empty());
}

#[test]
fn html_escapes_journal_text() {
    assert_eq!(
        html::escape(r#"<script>alert("x" & 'y')</script>"#),
        "&lt;script&gt;alert(&quot;x&quot; &amp; 'y')&lt;/script&gt;",
        "maud's escaping; `'` is left as is because every attribute is double-quoted"
    );
    let page = html::render(&build(true));
    assert!(!page.contains("<script"), "no script, escaped or not");
    assert!(page.contains("We confirm &lt;script&gt;alert(1)&lt;/script&gt; &amp; welcome"));
    assert!(page.contains("signature &lt;b&gt;does not&lt;/b&gt; verify"));
    assert!(page.contains("A test &lt;exercise&gt; &amp; more"));
    assert!(!page.contains("<b>does not"));
}

#[test]
fn html_has_every_section_and_makes_no_request() {
    for scenario in [true, false] {
        let page = html::render(&build(scenario));
        assert!(page.starts_with("<!DOCTYPE html>"));
        for (id, heading) in html::SECTIONS {
            assert!(
                page.contains(&format!("<section id=\"{id}\">")),
                "no section {id}"
            );
            assert!(page.contains(heading), "no heading {heading}");
        }
        for banned in [
            "://", "src=", "url(", "@import", "<link", "<img", "<script", "<iframe", "<object",
        ] {
            assert!(!page.contains(banned), "{banned} in the page");
        }
        for (at, _) in page.match_indices("href=\"") {
            assert!(page[at + 6..].starts_with('#'), "only in-page links");
        }
        assert_eq!(
            page.matches("<svg").count(),
            3,
            "timeline, histogram, participation"
        );
        assert!(page.contains("cosigning is not recorded in this journal"));
        assert!(page.contains("default-src 'none'"));
    }
}

/// A marking line with a comma, so the CSV must quote it.
const MARK: &str = "EXERCISE, EXERCISE — TEST";

#[test]
fn redacted_text_appears_nowhere() {
    let aar = build(true);
    let page = html::render(&aar);
    let md = markdown::render(&aar);
    let jsonl = export::jsonl(&aar.entries, MARK);
    let csv = export::csv(&aar.entries, MARK);
    for (name, text) in [
        ("html", &page),
        ("md", &md),
        ("jsonl", &jsonl),
        ("csv", &csv),
    ] {
        assert!(!text.contains("4711"), "redacted text in {name}");
    }
    assert!(page.contains("[redacted]"));
    assert!(md.contains("\\[redacted\\]") || md.contains("[redacted]"));
}

#[test]
fn markdown_is_an_aar_ip_skeleton() {
    let md = markdown::render(&build(true));
    for heading in [
        "# After-Action Report / Improvement Plan (AAR/IP)",
        "## Exercise overview",
        "## Analysis of core capabilities",
        "### Objective 1: Establish communication through the cell",
        "### Objective 2: Agree handling rules",
        "#### Strengths",
        "#### Areas for improvement",
        "## Improvement plan",
        "| Objective / core capability | Issue / area for improvement | Corrective action |",
        "## Appendices",
    ] {
        assert!(md.contains(heading), "no `{heading}` in:\n{md}");
    }
    for (i, (_, heading)) in html::SECTIONS.iter().enumerate() {
        let letter = char::from(b'A' + i as u8);
        assert!(
            md.contains(&format!("### Appendix {letter}: {heading}")),
            "{heading}"
        );
    }
    assert!(md.contains("Each delegation confirms its duty officer on diplomacy"));
    assert!(md.contains("M1-09"), "the undelivered inject is listed");
    assert!(!md.contains("<script>"));
    assert!(md.contains("&lt;script&gt;"));
    assert_eq!(
        markdown::escape("a|b *c* <d>\nx"),
        "a\\|b \\*c\\* &lt;d&gt; x"
    );
}

/// A strict RFC 4180 reader for the test: fields, rows.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                assert!(field.is_empty(), "quote inside an unquoted field");
                quoted = true;
            }
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CRLF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            '\n' => panic!("bare LF outside quotes"),
            c => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "ends with CRLF"
    );
    rows
}

#[test]
fn exports_have_one_row_per_record() {
    let aar = build(false);
    let n = aar.entries.len();
    let jsonl = export::jsonl(&aar.entries, MARK);
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), n);
    assert_eq!(lines[0]["kind"], "open");
    assert!(lines[0].get("scenario_ms").is_none() && lines[0].get("channel").is_none());
    assert_eq!(lines[2]["scenario_time"], "00:02:00");
    assert_eq!(lines[4]["body"], CSV_NASTY);
    assert_eq!(lines[7]["redacted"], true);
    assert!(lines[7].get("body").is_none(), "redacted body absent");
    assert_eq!(lines[7]["channel"], "security");
    assert!(
        lines.iter().all(|l| l["marking"] == MARK),
        "every line is marked"
    );

    let csv = export::csv(&aar.entries, MARK);
    let rows = parse_csv(&csv);
    assert_eq!(rows.len(), n + 1);
    assert_eq!(rows[0], export::COLUMNS);
    assert!(rows.iter().all(|r| r.len() == export::COLUMNS.len()));
    assert!(
        rows[1..].iter().all(|r| r[0] == MARK),
        "every row is marked"
    );
    assert_eq!(
        rows[1 + 4][10],
        CSV_NASTY,
        "commas, quotes and a newline round-trip"
    );
    assert_eq!(rows[1 + 3][10], XSS);
    assert_eq!(
        (rows[1 + 7][9].as_str(), rows[1 + 7][10].as_str()),
        ("true", "")
    );
    assert_eq!(rows[1][4], "", "no scenario time before STARTEX");
    assert_eq!(rows[1 + 2][3], "2027-01-15T08:00:03.000Z");
}

#[test]
fn a_journal_that_does_not_start_with_open_is_refused() {
    let mut records = journal();
    records.remove(0);
    assert!(crate::open_body(&records).is_err());
    assert!(crate::open_body(&[]).is_err());
    assert_eq!(crate::open_body(&journal()).unwrap(), open_body());
}

#[test]
fn witnesses_list_the_largest_size_each_identity_cosigned() {
    // `cosign` is newer than some wire versions: the test runs where the kind exists.
    let Some(cosign) = ActKind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == "cosign")
    else {
        return;
    };
    let mut j = Journal::new();
    j.records = journal();
    j.actor_seq = [("israel", 10), ("us", 10)]
        .map(|(a, n)| (a.to_owned(), n))
        .into_iter()
        .collect();
    let root = "cd".repeat(32);
    j.push(
        111_000,
        cosign,
        "israel",
        None,
        &format!(r#"{{"size":10,"root":"{root}"}}"#),
    );
    j.push(
        112_000,
        cosign,
        "israel",
        None,
        &format!(r#"{{"size":20,"root":"{root}"}}"#),
    );
    j.push(
        113_000,
        cosign,
        "us",
        None,
        &format!(r#"{{"size":15,"root":"{root}"}}"#),
    );
    let open = open_body();
    let integrity = integrity(j.records.len() as u64);
    let aar = AfterAction::build(Inputs {
        records: &j.records,
        open: &open,
        scenario: None,
        config: None,
        integrity: &integrity,
    })
    .unwrap();
    let w: Vec<(&str, u64)> = aar
        .metrics
        .witnesses
        .iter()
        .map(|w| (w.identity.as_str(), w.size))
        .collect();
    assert_eq!(w, [("israel", 20), ("us", 15)]);
    let page = html::render(&aar);
    assert!(page.contains("israel cosigned up to size 20"));
    assert!(page.contains("no cosignature from syria"));
    assert!(!page.contains("cosigning is not recorded"));
    let md = markdown::render(&aar);
    assert!(md.contains("israel cosigned up to size 20"));
}
