//! Every party is a witness: clients cosign the relay's checkpoints, the cosignatures are
//! journaled, and a cosignature of a root the relay never had is refused loudly.

use fusioncell_client::ClientError;
use fusioncell_wire::act_body::CosignBody;
use fusioncell_wire::{ActKind, ChannelId, Digest, ErrorCode, IdentityId};

use crate::harness::*;

#[tokio::test]
async fn parties_and_the_mediator_cosign_checkpoints() {
    let cell = TestCell::busy_with(&[("checkpoint_every_records", "3")]);
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let syria = client(&cell, &relay, "syria").await;
    let us = client(&cell, &relay, "us").await;
    let france = client(&cell, &relay, "france").await;
    let _subs = (
        live(&israel).await,
        live(&syria).await,
        live(&us).await,
        live(&france).await,
    );
    let ch = ChannelId::new("diplomacy").unwrap();
    for i in 0..6 {
        israel.post(&ch, &format!("statement {i}")).await.unwrap();
    }
    let witnesses = || {
        relay
            .server()
            .state()
            .witnessed()
            .keys()
            .map(IdentityId::to_string)
            .collect::<Vec<_>>()
    };
    assert!(
        eventually(10, || witnesses() == ["israel", "syria", "us"]).await,
        "witnesses: {:?}",
        witnesses()
    );
    // Each cosignature names a checkpoint the relay signed.
    let checkpoints =
        std::fs::read_to_string(cell.journal_dir().join("checkpoints.jsonl")).unwrap();
    for r in journal_records(&cell)
        .iter()
        .filter(|r| r.act.kind == ActKind::Cosign)
    {
        let c: CosignBody = serde_json::from_str(r.text().unwrap()).unwrap();
        assert!(
            checkpoints.contains(&format!("\"size\":{},\"root\":\"{}\"", c.size, c.root)),
            "{c:?}"
        );
    }
    relay.stop().await;
    // The audit checks each cosignature against the journal's own tree and reports them.
    let audited = fusioncell::cmd::audit_journal(&cell.journal_dir(), None, None).expect("audits");
    let witnesses: Vec<_> = audited.witnessed.keys().map(|w| w.to_string()).collect();
    assert_eq!(witnesses, ["israel", "syria", "us"]);
}

#[tokio::test]
async fn a_cosignature_of_another_history_is_refused() {
    let cell = TestCell::busy_with(&[("checkpoint_every_records", "2")]);
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let ch = ChannelId::new("diplomacy").unwrap();
    for i in 0..3 {
        israel.post(&ch, &format!("statement {i}")).await.unwrap();
    }
    let syria = client(&cell, &relay, "syria").await;
    let forged = CosignBody {
        size: 2,
        root: Digest([7; 32]),
    };
    let err = syria
        .act_json(ActKind::Cosign, None, &forged)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Rejected {
                code: ErrorCode::Conflict,
                ..
            }
        ),
        "{err:?}"
    );
    let control = client(&cell, &relay, "control").await;
    let err = control
        .act_json(ActKind::Cosign, None, &forged)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Rejected {
                code: ErrorCode::Forbidden,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        eventually(5, || security_events(&cell)
            .iter()
            .any(|(e, r)| e == "conflict" && r.contains("root")))
        .await
    );
    relay.stop().await;
}

/// A client checks, from its own act and the relay's signed checkpoint, that an acknowledged
/// act is in the log.
#[tokio::test]
async fn a_client_checks_its_acknowledged_acts_are_in_the_log() {
    let cell = TestCell::busy_with(&[("checkpoint_every_records", "4")]);
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let mut sub = live(&israel).await;
    let ch = ChannelId::new("diplomacy").unwrap();
    let mut acks = Vec::new();
    for i in 0..5 {
        acks.push(israel.post(&ch, &format!("statement {i}")).await.unwrap());
    }
    let checkpoint = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), sub.next()).await {
            Ok(Some(fusioncell_client::Event::Checkpoint(cp))) if cp.size > acks[2].cell_seq => {
                break cp;
            }
            Ok(Some(_)) => continue,
            other => panic!("no checkpoint: {other:?}"),
        }
    };
    for ack in acks.iter().filter(|a| a.cell_seq < checkpoint.size) {
        assert!(
            israel.check_included(ack, &checkpoint).await.unwrap(),
            "record {}",
            ack.cell_seq
        );
    }
    // An acknowledgement for another act (a different leaf) does not check out.
    let mut forged = acks[0];
    forged.leaf_hash[0] ^= 1;
    assert!(!israel.check_included(&forged, &checkpoint).await.unwrap());
    relay.stop().await;
}

/// A witness that connects to a quiet cell holds the current tree head at once: the latest
/// checkpoint follows `live` (PROTOCOL.md §3.4), and the client cosigns it without waiting for
/// the next record.
#[tokio::test]
async fn the_latest_checkpoint_follows_live_and_is_cosigned() {
    let cell = TestCell::busy_with(&[("checkpoint_every_records", "3")]);
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let ch = ChannelId::new("diplomacy").unwrap();
    for i in 0..4 {
        israel.post(&ch, &format!("statement {i}")).await.unwrap();
    }
    // Quiet: every record covered by a checkpoint.
    let covered = || {
        let checkpoints =
            std::fs::read_to_string(cell.journal_dir().join("checkpoints.jsonl")).unwrap();
        let last = checkpoints.lines().last().map(str::to_owned);
        last.map(|l| serde_json::from_str::<fusioncell_wire::Checkpoint>(&l).unwrap())
    };
    let records = || journal_records(&cell).len() as u64;
    assert!(eventually(10, || covered().is_some_and(|c| c.size == records())).await);
    let head = covered().unwrap();

    // A raw session: `live`, then that checkpoint, and nothing else is needed to get it.
    let mut ws = raw_login(&cell, &relay, "france").await;
    send_text(&mut ws, r#"{"type":"subscribe"}"#).await;
    let mut live_seen = false;
    let cp = loop {
        match next(&mut ws, 5).await {
            Got::Msg(fusioncell_wire::ServerMsg::Live { .. }) => live_seen = true,
            Got::Msg(fusioncell_wire::ServerMsg::Checkpoint(cp)) => break cp,
            Got::Msg(_) => {}
            other => panic!("no checkpoint: {other:?}"),
        }
    };
    assert!(live_seen, "the checkpoint comes after `live`");
    assert_eq!(cp, head);

    // A witness that connects now cosigns it, though nothing new is written.
    let syria = client(&cell, &relay, "syria").await;
    let _sub = live(&syria).await;
    let syria_id = IdentityId::new("syria").unwrap();
    let witnessed = || relay.server().state().witnessed().get(&syria_id).copied();
    assert!(
        eventually(10, || witnessed() == Some(head.size)).await,
        "syria witnessed {:?}, the head is {}",
        witnessed(),
        head.size
    );
    relay.stop().await;
}
