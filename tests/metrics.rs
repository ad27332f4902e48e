//! The admin listener (README, "Monitoring"; SECURITY.md, "The admin listener"): `/metrics`
//! scraped over a real TCP socket counts exactly what clients did and parses as Prometheus
//! text; `/healthz` and `/readyz`, the latter turning 503 when the journal fails; unknown
//! paths, other methods, oversized and slow requests.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fusioncell_client::Client;
use fusioncell_wire::ChannelId;

use crate::harness::*;

const CELL: &str = "test-cell";

/// One scrape: every sample by name and labels (sorted, without `cell`, which every sample
/// must carry with the cell's id), checked against the Prometheus text format on the way.
/// A sample's name, cell (none for the shared listener's) and other labels.
type Series = (String, Option<String>, Vec<(String, String)>);

#[derive(Debug)]
pub struct Scrape {
    samples: BTreeMap<Series, f64>,
    pub types: BTreeMap<String, String>,
}

impl Scrape {
    /// Parses the text format 0.0.4: `# HELP` and `# TYPE` lines, then samples
    /// `name{label="value",…} number`, each belonging to the family of the last `# TYPE`.
    pub fn parse(text: &str) -> Scrape {
        let mut samples = BTreeMap::new();
        let mut types = BTreeMap::new();
        let mut family: Option<(String, String)> = None;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# ") {
                let mut words = rest.splitn(3, ' ');
                let (kind, name, what) = (words.next(), words.next(), words.next());
                let name = name.unwrap_or_else(|| panic!("bad comment line {line:?}"));
                assert!(is_name(name), "bad name in {line:?}");
                match (kind, what) {
                    (Some("HELP"), Some(help)) => assert!(!help.is_empty(), "{line:?}"),
                    (Some("TYPE"), Some(t)) => {
                        assert!(
                            ["counter", "gauge", "histogram"].contains(&t),
                            "type in {line:?}"
                        );
                        assert!(types.insert(name.to_owned(), t.to_owned()).is_none());
                        family = Some((name.to_owned(), t.to_owned()));
                    }
                    _ => panic!("unexpected comment line {line:?}"),
                }
                continue;
            }
            assert!(!line.is_empty(), "an empty line in the exposition");
            let (series, value) = line
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("no value in {line:?}"));
            let value: f64 = match value {
                "+Inf" => f64::INFINITY,
                v => v
                    .parse()
                    .unwrap_or_else(|_| panic!("bad value in {line:?}")),
            };
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (
                    name,
                    rest.strip_suffix('}')
                        .unwrap_or_else(|| panic!("unclosed labels in {line:?}")),
                ),
                None => (series, ""),
            };
            assert!(is_name(name), "bad name in {line:?}");
            assert!(name.starts_with("fusioncell_"), "unprefixed {line:?}");
            let (fam, kind) = family
                .as_ref()
                .unwrap_or_else(|| panic!("sample before any # TYPE: {line:?}"));
            let belongs = match kind.as_str() {
                "histogram" => ["_bucket", "_sum", "_count"]
                    .iter()
                    .any(|s| name.strip_suffix(s) == Some(fam.as_str())),
                "counter" => name == fam && name.ends_with("_total"),
                _ => name == fam,
            };
            assert!(belongs, "{line:?} is not of the family {fam} ({kind})");
            let mut pairs = Vec::new();
            let mut cell = None;
            for pair in labels.split(',').filter(|p| !p.is_empty()) {
                let (k, v) = pair
                    .split_once('=')
                    .unwrap_or_else(|| panic!("bad label in {line:?}"));
                assert!(is_label(k), "bad label name in {line:?}");
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or_else(|| panic!("unquoted label value in {line:?}"));
                if k == "cell" {
                    cell = Some(v.to_owned());
                } else {
                    pairs.push((k.to_owned(), v.to_owned()));
                }
            }
            // Only the shared listener's series belong to no cell.
            assert_eq!(
                cell.is_none(),
                name.starts_with("fusioncell_listener_"),
                "the cell label in {line:?}"
            );
            if name.ends_with("_bucket") {
                assert!(pairs.iter().any(|(k, _)| k == "le"), "{line:?}");
            }
            pairs.sort();
            let key = (name.to_owned(), cell, pairs);
            assert!(samples.insert(key, value).is_none(), "repeated {line:?}");
        }
        Scrape { samples, types }
    }

    /// The sample `name` of the test cell with `labels` (besides `cell`); panics if there is
    /// none.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get_in(Some(CELL), name, labels)
    }

    /// The sample `name` of `cell` (`None`: the shared listener's) with `labels` besides
    /// `cell`; panics if there is none.
    pub fn get_in(&self, cell: Option<&str>, name: &str, labels: &[(&str, &str)]) -> f64 {
        let mut key: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        key.sort();
        *self
            .samples
            .get(&(name.to_owned(), cell.map(str::to_owned), key))
            .unwrap_or_else(|| panic!("no sample {name} {labels:?} in {:#?}", self.samples))
    }

    /// The sum of every sample named `name`, whatever its labels.
    fn sum(&self, name: &str) -> f64 {
        self.samples
            .iter()
            .filter(|((n, _, _), _)| n == name)
            .map(|(_, v)| v)
            .sum()
    }
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label(s: &str) -> bool {
    is_name(s) && !s.contains(':')
}

/// The status line and body of an admin answer.
pub fn split(answer: &str) -> (&str, &str) {
    let status = answer.lines().next().unwrap_or_default();
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body)
}

pub async fn get(admin: SocketAddr, path: &str) -> String {
    admin_exchange(admin, &format!("GET {path} HTTP/1.0\r\n\r\n")).await
}

pub async fn scrape(admin: SocketAddr) -> Scrape {
    let answer = admin_exchange(
        admin,
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n",
    )
    .await;
    let (status, body) = split(&answer);
    assert_eq!(status, "HTTP/1.1 200 OK", "{answer}");
    assert!(
        answer.contains("Content-Type: text/plain; version=0.0.4"),
        "{answer}"
    );
    Scrape::parse(body)
}

/// Scrapes until `done` holds (up to 10 s); returns that scrape.
async fn scrape_until(admin: SocketAddr, done: impl Fn(&Scrape) -> bool) -> Scrape {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let s = scrape(admin).await;
        if done(&s) {
            return s;
        }
        assert!(Instant::now() < until, "never reached: {:#?}", s.samples);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Two parties and an observer log in and go live, the parties post once each and the
/// observer's post is refused (`forbidden`); then all three close. Each counter moves by
/// exactly what that makes, and the journal gauges match the files.
#[tokio::test]
async fn metrics_count_exactly_what_clients_did() {
    // No timed checkpoint during the test: the parties would cosign it (more accepted acts).
    let cell = TestCell::busy_with(&[
        ("checkpoint_every_ms", "600000"),
        ("max_sessions_per_identity", "1"),
    ]);
    let relay = Relay::start_with_admin(&cell, Duration::from_secs(5)).await;
    let admin = relay.admin();
    let before = scrape(admin).await;

    let expected: BTreeSet<&str> = [
        "fusioncell_acts_accepted_total",
        "fusioncell_acts_refused_total",
        "fusioncell_checkpoint_age_seconds",
        "fusioncell_commit_batch_records",
        "fusioncell_connections_open",
        "fusioncell_connections_waiting_login",
        "fusioncell_deliveries_total",
        "fusioncell_journal_failed",
        "fusioncell_journal_fsync_duration_seconds",
        "fusioncell_journal_records",
        "fusioncell_journal_size_bytes",
        "fusioncell_journal_uncheckpointed_records",
        "fusioncell_outbound_queued_frames",
        "fusioncell_session_closes_total",
        "fusioncell_sessions",
    ]
    .into();
    let types: BTreeSet<&str> = before.types.keys().map(String::as_str).collect();
    // No checkpoint yet: its age has no value until the first one.
    let missing: Vec<_> = expected.difference(&types).collect();
    assert_eq!(missing, [&"fusioncell_checkpoint_age_seconds"], "{types:?}");
    assert_eq!(before.types["fusioncell_sessions"], "gauge");
    assert_eq!(before.types["fusioncell_acts_accepted_total"], "counter");
    assert_eq!(
        before.types["fusioncell_journal_fsync_duration_seconds"],
        "histogram"
    );
    // Every series exists before anything happens: every role, error code and close code.
    assert_eq!(
        before.get("fusioncell_sessions", &[("role", "evaluator")]),
        0.0
    );
    assert_eq!(
        before.get("fusioncell_acts_refused_total", &[("code", "unavailable")]),
        0.0
    );
    assert_eq!(
        before.get("fusioncell_session_closes_total", &[("code", "4009")]),
        0.0
    );
    assert_eq!(
        before.get("fusioncell_session_closes_total", &[("code", "4008")]),
        0.0
    );
    assert_eq!(before.get("fusioncell_connections_open", &[]), 0.0);

    let israel = client(&cell, &relay, "israel").await;
    let syria = client(&cell, &relay, "syria").await;
    let france = client(&cell, &relay, "france").await;
    let _subs = (live(&israel).await, live(&syria).await, live(&france).await);
    let during = scrape(admin).await;
    assert_eq!(during.get("fusioncell_sessions", &[("role", "party")]), 2.0);
    assert_eq!(
        during.get("fusioncell_sessions", &[("role", "observer")]),
        1.0
    );
    assert_eq!(
        during.get("fusioncell_sessions", &[("role", "mediator")]),
        0.0
    );
    assert_eq!(during.get("fusioncell_connections_open", &[]), 3.0);
    assert_eq!(during.get("fusioncell_connections_waiting_login", &[]), 0.0);

    let ch = ChannelId::new("diplomacy").expect("channel");
    israel.post(&ch, "one").await.expect("accepted");
    syria.post(&ch, "two").await.expect("accepted");
    let refused = france.post(&ch, "may I?").await;
    assert!(refused.is_err(), "an observer may not post: {refused:?}");

    // The frames queued are written out: the queue gauge comes back to zero.
    let after = scrape_until(admin, |s| {
        s.get("fusioncell_outbound_queued_frames", &[]) == 0.0
    })
    .await;
    let delta =
        |name: &str, labels: &[(&str, &str)]| after.get(name, labels) - before.get(name, labels);
    assert_eq!(delta("fusioncell_acts_accepted_total", &[]), 2.0);
    assert_eq!(
        delta("fusioncell_acts_refused_total", &[("code", "forbidden")]),
        1.0
    );
    assert_eq!(
        after.sum("fusioncell_acts_refused_total") - before.sum("fusioncell_acts_refused_total"),
        1.0,
        "no other refusal"
    );
    // Each post reaches the three live sessions that read `diplomacy` (the two parties, its
    // members, and France, its reader); the refusal's security record reaches none of them.
    assert_eq!(delta("fusioncell_deliveries_total", &[]), 6.0);
    // Record 0 and the three new ones (two posts, one security record), and the files' size.
    let records = journal_records(&cell);
    assert_eq!(records.len(), 4);
    assert_eq!(after.get("fusioncell_journal_records", &[]), 4.0);
    let on_disk: u64 = ["records.jsonl", "checkpoints.jsonl"]
        .iter()
        .map(|f| {
            std::fs::metadata(cell.journal_dir().join(f))
                .map(|m| m.len())
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(
        after.get("fusioncell_journal_size_bytes", &[]),
        on_disk as f64
    );
    assert_eq!(
        after.get("fusioncell_journal_uncheckpointed_records", &[]),
        4.0
    );
    // Three records in group commits, each commit one fsync.
    assert_eq!(delta("fusioncell_commit_batch_records_sum", &[]), 3.0);
    let commits = delta("fusioncell_commit_batch_records_count", &[]);
    assert!((1.0..=3.0).contains(&commits), "{commits} commits");
    assert_eq!(
        delta("fusioncell_journal_fsync_duration_seconds_count", &[]),
        commits
    );
    assert_eq!(
        after.get("fusioncell_commit_batch_records_bucket", &[("le", "+Inf")]),
        after.get("fusioncell_commit_batch_records_count", &[])
    );
    assert_eq!(after.get("fusioncell_journal_failed", &[]), 0.0);

    // A second session of Israel supersedes the first: the relay closes it with 4010.
    let israel_again = client(&cell, &relay, "israel").await;
    let superseded = scrape_until(admin, |s| {
        s.get("fusioncell_session_closes_total", &[("code", "4010")]) > 0.0
    })
    .await;
    assert_eq!(
        superseded.sum("fusioncell_session_closes_total")
            - before.sum("fusioncell_session_closes_total"),
        1.0
    );
    drop(israel);

    israel_again.close().await;
    syria.close().await;
    france.close().await;
    let closed = scrape_until(admin, |s| {
        s.get("fusioncell_sessions", &[("role", "party")]) == 0.0
            && s.get("fusioncell_sessions", &[("role", "observer")]) == 0.0
            && s.get("fusioncell_connections_open", &[]) == 0.0
    })
    .await;
    // The supersession is counted once. Each client's own close is counted with the code the
    // relay answered: 1000, or 1002 when the socket broke before its close frame was read (a
    // busy machine); one whose socket was gone sends no close frame and counts none.
    let code = |c: &str| {
        closed.get("fusioncell_session_closes_total", &[("code", c)])
            - before.get("fusioncell_session_closes_total", &[("code", c)])
    };
    assert_eq!(code("4010"), 1.0);
    let total = closed.sum("fusioncell_session_closes_total")
        - before.sum("fusioncell_session_closes_total");
    assert!(
        total - 1.0 <= 3.0 && total - 1.0 == code("1000") + code("1002"),
        "{:#?}",
        closed
            .samples
            .iter()
            .filter(|((n, _, _), v)| n == "fusioncell_session_closes_total" && **v > 0.0)
            .collect::<Vec<_>>()
    );
    assert_eq!(closed.get("fusioncell_outbound_queued_frames", &[]), 0.0);
    relay.stop().await;
}

/// `/healthz` and `/readyz` answer a bare HTTP/1.0 health check; an unknown path is 404,
/// another method 405; a head over the size cap is answered 431 and a request that never
/// ends is cut off at the deadline, after which the listener still serves.
#[tokio::test]
async fn the_admin_listener_answers_narrowly_and_cuts_off_bad_requests() {
    let cell = TestCell::busy();
    let deadline = Duration::from_millis(500);
    let relay = Relay::start_with_admin(&cell, deadline).await;
    let admin = relay.admin();

    let health = get(admin, "/healthz").await;
    assert_eq!(split(&health), ("HTTP/1.1 200 OK", "ok\n"));
    let ready = get(admin, "/readyz").await;
    assert!(ready.starts_with("HTTP/1.1 200 "), "{ready}");
    let unknown = get(admin, "/metrics/../secret").await;
    assert!(unknown.starts_with("HTTP/1.1 404 "), "{unknown}");
    let post = admin_exchange(
        admin,
        "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    assert!(post.starts_with("HTTP/1.1 405 "), "{post}");
    assert!(post.contains("Allow: GET\r\n"), "{post}");

    // 20 KiB of header that never ends: the head cap (16 KiB) answers without waiting.
    let huge = format!("GET /metrics HTTP/1.1\r\nX-Pad: {}", "a".repeat(20 * 1024));
    let started = Instant::now();
    let answer = admin_exchange(admin, &huge).await;
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
    assert!(started.elapsed() < deadline, "answered at once");

    // A request line and nothing more: closed without an answer at the deadline.
    let mut slow = tokio::net::TcpStream::connect(admin)
        .await
        .expect("connect");
    tokio::io::AsyncWriteExt::write_all(&mut slow, b"GET /metrics HTTP/1.1\r\n")
        .await
        .expect("send");
    let started = Instant::now();
    assert!(closed_within(&mut slow, 5_000).await, "cut off");
    let took = started.elapsed();
    assert!(
        took >= deadline - Duration::from_millis(50),
        "cut off at the deadline, not before: {took:?}"
    );

    let again = get(admin, "/healthz").await;
    assert!(again.starts_with("HTTP/1.1 200 "), "{again}");
    relay.stop().await;
}

/// The real binary with an fsync that fails (the journal's `records-sync` fault point): ready
/// while the journal works; once it failed, `/readyz` is 503 and the metrics say why, while
/// `/healthz` stays 200 (the process still serves, and answers acts with `unavailable`).
#[tokio::test]
async fn readyz_turns_503_when_the_journal_fails_and_healthz_stays_200() {
    let cell = TestCell::busy_with(&[("checkpoint_every_ms", "600000")]);
    // Sync 1 is the journal's `recovered`/`open` record, sync 2 the first post; the 3rd fails.
    let mut relay = RelayProcess::start(
        &fusioncell_bin(),
        &cell,
        "127.0.0.1:0",
        Some("records-sync=eio@3"),
    );
    let url = relay.url();
    let admin = relay.admin();
    let ready = get(admin, "/readyz").await;
    assert_eq!(split(&ready), ("HTTP/1.1 200 OK", "ready\n"));

    let mut config = fusioncell::load::client_config(&fusioncell::load::ConnectArgs {
        config: Some(cell.config.clone()),
        relay: Some(url),
        identity: "israel".into(),
        ..Default::default()
    })
    .expect("client config");
    config.reconnect = false;
    let israel = Client::connect(config).await.expect("connects");
    let ch = ChannelId::new("commerce").expect("channel");
    israel.post(&ch, "durable").await.expect("acknowledged");
    let ready = get(admin, "/readyz").await;
    assert!(ready.starts_with("HTTP/1.1 200 "), "{ready}");
    let failed = tokio::time::timeout(Duration::from_secs(20), israel.post(&ch, "lost")).await;
    assert!(
        !matches!(failed, Ok(Ok(_))),
        "an act after the fsync error is never acknowledged"
    );

    let ready = get(admin, "/readyz").await;
    assert!(ready.starts_with("HTTP/1.1 503 "), "{ready}");
    let health = get(admin, "/healthz").await;
    assert_eq!(split(&health), ("HTTP/1.1 200 OK", "ok\n"));
    let s = scrape(admin).await;
    assert_eq!(s.get("fusioncell_journal_failed", &[]), 1.0);
    assert_eq!(s.get("fusioncell_acts_accepted_total", &[]), 1.0);
    assert!(
        s.get("fusioncell_acts_refused_total", &[("code", "unavailable")]) >= 1.0,
        "{:#?}",
        s.samples
    );
    // Every session was closed with 1013 (try again later).
    assert!(s.get("fusioncell_session_closes_total", &[("code", "1013")]) >= 1.0);
    let (status, printed) = relay.terminate();
    assert!(!status.success(), "{printed}");
}
