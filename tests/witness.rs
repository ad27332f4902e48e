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
        let c: CosignBody = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
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
