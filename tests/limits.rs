//! Every limit of the cell's `[limits]` (SECURITY.md, §6) crossed on purpose: the relay closes
//! or refuses with the right code, and the others carry on.

use std::time::{Duration, Instant};

use fusioncell_wire::{ClientMsg, ErrorCode, ServerMsg};
use tokio::io::AsyncReadExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::harness::*;

#[tokio::test]
async fn a_message_at_the_limit_passes_and_one_byte_more_closes_1009() {
    let cell = TestCell::new(&[
        ("max_message_bytes", "4096"),
        ("max_frame_bytes", "4096"),
        ("max_write_buffer_bytes", "1048576"),
        ("outbound_queue_bytes", "1048576"),
    ]);
    let relay = Relay::start(&cell).await;
    let mut ws = raw_login(&cell, &relay, "israel").await;
    let sized = |seq: u64, len: usize| {
        let empty = ClientMsg::Act(act_frame(&cell, "israel", "diplomacy", seq, "")).to_json();
        let body = "x".repeat(len - empty.len());
        let frame = ClientMsg::Act(act_frame(&cell, "israel", "diplomacy", seq, &body)).to_json();
        assert_eq!(frame.len(), len);
        frame
    };
    send_text(&mut ws, sized(1, 4096)).await;
    assert!(matches!(
        next_reply(&mut ws).await,
        ServerMsg::Ack { seq: 1, .. }
    ));
    send_text(&mut ws, sized(2, 4097)).await;
    let (code, reason) = expect_close(&mut ws, 5).await;
    assert_eq!(code, 1009, "{reason}");
    relay.stop().await;
}

#[tokio::test]
async fn a_flood_gets_errors_then_4008_and_others_carry_on() {
    let cell = TestCell::new(&[("acts_per_minute", "60"), ("act_burst", "5")]);
    let relay = Relay::start(&cell).await;
    let syria = client(&cell, &relay, "syria").await;
    let mut syria_sub = live(&syria).await;
    let mut ws = raw_login(&cell, &relay, "israel").await;
    for seq in 1..=5 {
        send_act(
            &mut ws,
            &act_frame(&cell, "israel", "diplomacy", seq, "burst"),
        )
        .await;
        assert!(matches!(next_reply(&mut ws).await, ServerMsg::Ack { .. }));
    }
    let mut limited = 0;
    let mut closed = None;
    for seq in 6..40 {
        send_act(
            &mut ws,
            &act_frame(&cell, "israel", "diplomacy", seq, "flood"),
        )
        .await;
        match next(&mut ws, 5).await {
            Got::Msg(ServerMsg::Error {
                code: ErrorCode::RateLimited,
                ..
            }) => limited += 1,
            Got::Close(code, _) => {
                closed = Some(code);
                break;
            }
            Got::Msg(ServerMsg::Deliver { .. } | ServerMsg::Checkpoint(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(limited >= 9, "errors before the close: {limited}");
    assert_eq!(closed, Some(4008));
    // The refusal is journaled by the commit thread, after the close went out.
    assert!(
        eventually(5, || security_events(&cell)
            .iter()
            .any(|(e, _)| e == "rate_limited"))
        .await
    );
    // Syria was never affected: it posts and reads as before.
    let ch = fusioncell_wire::ChannelId::new("diplomacy").unwrap();
    let ack = syria.post(&ch, "still here").await.unwrap();
    loop {
        let (r, _) = syria_sub.next_record().await.unwrap();
        if r.seq == ack.cell_seq {
            break;
        }
    }
    relay.stop().await;
}

#[tokio::test]
async fn no_login_within_the_deadline_closes_4001() {
    let cell = TestCell::new(&[("login_timeout_ms", "300")]);
    let relay = Relay::start(&cell).await;
    let mut ws = raw(&cell, &relay).await;
    let started = Instant::now();
    let (code, reason) = expect_close(&mut ws, 5).await;
    assert_eq!(code, 4001, "{reason}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        eventually(5, || security_events(&cell)
            .iter()
            .any(|(e, _)| e == "login_timeout"))
        .await
    );
    relay.stop().await;
}

#[tokio::test]
async fn half_open_handshakes_are_dropped_and_do_not_block_others() {
    let cell = TestCell::busy_with(&[("tls_handshake_timeout_ms", "500")]);
    let relay = Relay::start(&cell).await;
    let addr = relay.server().local_addr();
    let mut idle = Vec::new();
    for _ in 0..50 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        // A few bytes of a TLS record header, then nothing: a slowloris.
        use tokio::io::AsyncWriteExt;
        s.write_all(&[0x16, 0x03, 0x01]).await.unwrap();
        idle.push(s);
    }
    let started = Instant::now();
    let israel = client(&cell, &relay, "israel").await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "a legitimate client still connects at once"
    );
    drop(israel);
    for mut s in idle {
        let mut buf = [0u8; 16];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("dropped at the handshake deadline")
            .unwrap_or(0);
        assert_eq!(n, 0, "the relay closed the half-open connection");
    }
    relay.stop().await;
}

#[tokio::test]
async fn a_silent_connection_is_closed_1008() {
    let cell = TestCell::new(&[("ping_interval_ms", "100"), ("idle_timeout_ms", "300")]);
    let relay = Relay::start(&cell).await;
    let mut ws = raw_login(&cell, &relay, "israel").await;
    // Not reading means not answering pings.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (code, reason) = expect_close(&mut ws, 5).await;
    assert_eq!(code, 1008, "{reason}");
    relay.stop().await;
}

#[tokio::test]
async fn a_session_beyond_the_per_identity_limit_supersedes_the_oldest() {
    let cell = TestCell::new(&[("max_sessions_per_identity", "1")]);
    let relay = Relay::start(&cell).await;
    let mut old = raw_login(&cell, &relay, "syria").await;
    let _new = raw_login(&cell, &relay, "syria").await;
    let (code, _) = expect_close(&mut old, 5).await;
    assert_eq!(code, 4010);
    relay.stop().await;
}

#[tokio::test]
async fn browser_origins_are_checked_against_the_allow_list() {
    let cell = TestCell::new(&[]);
    let text = std::fs::read_to_string(&cell.config).unwrap().replace(
        "allowed_origins = []",
        r#"allowed_origins = ["https://console.example"]"#,
    );
    std::fs::write(&cell.config, text).unwrap();
    let relay = Relay::start(&cell).await;
    let ca = std::fs::read(cell.folder().join("tls/ca.pem")).unwrap();
    let tls = fusioncell_client::tls::client_config(&ca).unwrap();
    for (origin, allowed) in [
        ("https://console.example", true),
        ("https://evil.example", false),
        ("https://console.example.evil", false),
        ("null", false),
    ] {
        let tcp = tokio::net::TcpStream::connect(relay.server().local_addr())
            .await
            .unwrap();
        let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let stream = tokio_rustls::TlsConnector::from(tls.clone())
            .connect(name, tcp)
            .await
            .unwrap();
        let mut request = relay.url.as_str().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("origin", HeaderValue::from_static(origin));
        let result = tokio_tungstenite::client_async(request, stream).await;
        match (result, allowed) {
            (Ok(_), true) => {}
            (Err(tokio_tungstenite::tungstenite::Error::Http(resp)), false) => {
                assert_eq!(resp.status(), 403, "{origin}");
            }
            (r, _) => panic!("origin {origin}: {:?}", r.map(|_| ())),
        }
    }
    relay.stop().await;
}

#[tokio::test]
async fn a_consumer_that_stops_reading_is_cut_off_and_resumes_without_loss() {
    let cell = TestCell::busy_with(&[("outbound_queue_messages", "8")]);
    let relay = Relay::start(&cell).await;
    let syria = client(&cell, &relay, "syria").await;
    let mut fast = live(&syria).await;
    let mut slow = raw_login(&cell, &relay, "us").await;
    send_text(&mut slow, ClientMsg::Subscribe { from: None }.to_json()).await;
    while !matches!(next(&mut slow, 5).await, Got::Msg(ServerMsg::Live { .. })) {}
    let israel = client(&cell, &relay, "israel").await;
    let ch = fusioncell_wire::ChannelId::new("commerce").unwrap();
    let body = "z".repeat(60_000);
    let mut posted = Vec::new();
    for _ in 0..300 {
        posted.push(israel.post(&ch, &body).await.unwrap().cell_seq);
    }
    // The fast reader got all of it.
    // (Cosignatures of checkpoints interleave; only israel's posts are counted.)
    let mut got = Vec::new();
    while got.len() < posted.len() {
        let (r, _) = fast.next_record().await.unwrap();
        if r.act.actor.as_str() == "israel" {
            got.push(r.seq);
        }
    }
    assert_eq!(got, posted);
    // The slow one was cut off somewhere in the middle: it has a prefix, in order...
    let mut seen = Vec::new();
    loop {
        match next(&mut slow, 10).await {
            Got::Msg(ServerMsg::Deliver { record, .. })
                if record.act.actor.as_str() == "israel" =>
            {
                seen.push(record.seq)
            }
            Got::Msg(_) => {}
            Got::Close(code, _) => {
                assert_eq!(code, 4009);
                break;
            }
            Got::Gone => break,
        }
    }
    assert!(seen.len() < posted.len(), "it was cut off");
    assert_eq!(seen[..], posted[..seen.len()]);
    // ...and a resume from where it stopped returns the rest, exactly.
    let mut again = raw_login(&cell, &relay, "us").await;
    let from = seen.last().map_or(posted[0], |s| s + 1);
    send_text(
        &mut again,
        ClientMsg::Subscribe { from: Some(from) }.to_json(),
    )
    .await;
    let mut rest = Vec::new();
    loop {
        match next(&mut again, 10).await {
            Got::Msg(ServerMsg::Deliver { record, .. })
                if record.act.actor.as_str() == "israel" =>
            {
                rest.push(record.seq)
            }
            Got::Msg(ServerMsg::Live { .. }) => break,
            Got::Msg(_) => {}
            other => panic!("{other:?}"),
        }
    }
    seen.extend(rest);
    assert_eq!(seen, posted);
    relay.stop().await;
}

#[tokio::test]
async fn connections_over_the_total_cap_are_dropped_at_once() {
    let cell = TestCell::new(&[("max_connections", "2")]);
    let relay = Relay::start(&cell).await;
    let _a = raw_login(&cell, &relay, "israel").await;
    let _b = raw_login(&cell, &relay, "syria").await;
    let mut third = tokio::net::TcpStream::connect(relay.server().local_addr())
        .await
        .unwrap();
    assert!(closed_within(&mut third, 1000).await);
    relay.stop().await;
}

#[tokio::test]
async fn a_tls_connection_that_never_upgrades_is_dropped_at_the_deadline() {
    let cell = TestCell::new(&[("upgrade_timeout_ms", "300")]);
    let relay = Relay::start(&cell).await;
    let ca = std::fs::read(cell.folder().join("tls/ca.pem")).unwrap();
    let tls = fusioncell_client::tls::client_config(&ca).unwrap();
    let tcp = tokio::net::TcpStream::connect(relay.server().local_addr())
        .await
        .unwrap();
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut stream = tokio_rustls::TlsConnector::from(tls)
        .connect(name, tcp)
        .await
        .unwrap();
    let started = Instant::now();
    assert!(closed_within(&mut stream, 3000).await);
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "not before the deadline"
    );
    relay.stop().await;
}

#[tokio::test]
async fn the_byte_rate_limit_is_separate_from_the_act_rate() {
    let cell = TestCell::new(&[
        ("acts_per_minute", "100000"),
        ("act_burst", "1000"),
        ("bytes_per_second", "2000"),
        ("max_message_bytes", "2000"),
        ("max_frame_bytes", "2000"),
        ("max_write_buffer_bytes", "1048576"),
        ("outbound_queue_bytes", "1048576"),
    ]);
    let relay = Relay::start(&cell).await;
    let mut ws = raw_login(&cell, &relay, "israel").await;
    let body = "b".repeat(400); // each frame about 800 bytes: two fit in the 2000-byte burst
    for seq in 1..=2 {
        send_act(
            &mut ws,
            &act_frame(&cell, "israel", "diplomacy", seq, &body),
        )
        .await;
        assert!(matches!(next_reply(&mut ws).await, ServerMsg::Ack { .. }));
    }
    send_act(&mut ws, &act_frame(&cell, "israel", "diplomacy", 3, &body)).await;
    match next_reply(&mut ws).await {
        ServerMsg::Error { code, seq, .. } => {
            assert_eq!((code, seq), (ErrorCode::RateLimited, Some(3)));
        }
        other => panic!("{other:?}"),
    }
    relay.stop().await;
}

/// The group-commit cap at its smallest: every act committed alone, none lost, in order.
#[tokio::test]
async fn a_batch_cap_of_one_commits_everything_in_order() {
    let cell = TestCell::busy_with(&[("max_batch_records", "1")]);
    let relay = Relay::start(&cell).await;
    let ch = fusioncell_wire::ChannelId::new("commerce").unwrap();
    let mut tasks = Vec::new();
    for who in ["israel", "syria", "us"] {
        let c = client(&cell, &relay, who).await;
        let ch = ch.clone();
        tasks.push(tokio::spawn(async move {
            let mut acks = Vec::new();
            for i in 0..20 {
                acks.push(c.post(&ch, &format!("{i}")).await.unwrap().cell_seq);
            }
            acks
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let acks = t.await.unwrap();
        assert!(
            acks.windows(2).all(|w| w[0] < w[1]),
            "each client's acts in order"
        );
        all.extend(acks);
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 60);
    relay.stop().await;
    fusioncell_journal::verify(&cell.journal_dir(), None).expect("verifies");
}

/// The load generator's connections read from the moment they are live, as a client does, so
/// a hold longer than the idle timeout (or a long login phase, like a big cell's) does not get
/// them closed 1008 before the run starts; and each subscriber logs in as its own identity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_generator_keeps_its_connections_alive_until_the_run() {
    use fusioncell_bench::load::{self, FusionTarget, LoadSpec, Target as LoadTarget};
    let cell = TestCell::new(&[("ping_interval_ms", "100"), ("idle_timeout_ms", "300")]);
    let relay = Relay::start(&cell).await;
    let loaded = cell.loaded();
    let identity = |id: &str| {
        (
            fusioncell_wire::IdentityId::new(id).expect("id"),
            std::sync::Arc::new(cell.key(id)),
        )
    };
    let target = LoadTarget::Fusion(FusionTarget {
        url: relay.url.clone(),
        ca_pem: Some(std::fs::read(cell.folder().join("tls/ca.pem")).expect("ca")),
        cell: loaded.cell.id().clone(),
        relay_key: fusioncell_wire::PublicKeyBytes(*loaded.cell.relay().public_key.bytes()),
        directory: fusioncell_client::connection::Directory::new(
            loaded.cell.id(),
            loaded.cell.identity_infos(),
        ),
        channel: fusioncell_wire::ChannelId::new("diplomacy").expect("channel"),
        publishers: vec![identity("israel")],
        subscribers: vec![identity("syria"), identity("us"), identity("france")],
    });
    let spec = LoadSpec {
        publishers: 1,
        subscribers: 3,
        rate: 1.0,
        max_messages: Some(1),
        // Four idle timeouts between the last `live` and the post.
        hold: Duration::from_millis(1200),
        duration: Duration::from_secs(2),
        ..LoadSpec::default()
    };
    let report = load::run(&target, &spec, |_| {}).await.expect("load");
    assert!(report.clean(), "{report:?}");
    assert!(report.totals.exactly_once(3, 1), "{report:?}");
    relay.stop().await;
}
