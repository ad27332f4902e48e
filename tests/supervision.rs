//! Supervision and the exercise, end to end: moderation, hotline, mutes, membership,
//! redaction, the clock, observations and receipts — and every power refused to the roles
//! that lack it.

use fusioncell_client::{Client, ClientError};
use fusioncell_wire::act_body::{
    Access, AckBody, ClockAction, ClockBody, DecisionBody, GrantBody, InjectBody, MAX_RECEIPT_ALSO,
    MuteBody, ObserveBody, Rating, ReceiptBody, ReceiptKind, RedactBody,
};
use fusioncell_wire::{ActKind, ChannelId, Digest, ErrorCode, IdentityId, Phase};

use crate::harness::*;

fn ch(name: &str) -> ChannelId {
    ChannelId::new(name).unwrap()
}

fn who(name: &str) -> IdentityId {
    IdentityId::new(name).unwrap()
}

fn refused(result: Result<fusioncell_client::Ack, ClientError>) -> ErrorCode {
    match result {
        Err(ClientError::Rejected { code, .. }) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn clock(
    c: &Client,
    action: ClockAction,
    speed: Option<u32>,
) -> Result<fusioncell_client::Ack, ClientError> {
    c.act_json(
        ActKind::Clock,
        None,
        &ClockBody {
            action,
            speed,
            reason: None,
        },
    )
    .await
}

#[tokio::test]
async fn moderation_round_trip() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let syria = client(&cell, &relay, "syria").await;
    let us = client(&cell, &relay, "us").await;
    let control = client(&cell, &relay, "control").await;
    let mut israel_sub = live(&israel).await;
    let mut syria_sub = live(&syria).await;
    let mut us_sub = live(&us).await;
    let mut control_sub = live(&control).await;

    let share = "Assessment: armed group movements near the buffer strip, moderate confidence.";
    let held = israel.post(&ch("security"), share).await.unwrap();
    // The mediator sees it pending; the sender too; nobody else.
    let (pending, _) = next_where(&mut us_sub, |r| r.seq == held.cell_seq).await;
    assert_eq!(pending.text(), Some(share));
    next_where(&mut israel_sub, |r| r.seq == held.cell_seq).await;
    assert!(
        drain(&mut syria_sub, 300)
            .await
            .iter()
            .all(|r| r.seq != held.cell_seq)
    );
    assert!(
        drain(&mut control_sub, 100)
            .await
            .iter()
            .all(|r| r.seq != held.cell_seq)
    );

    // Approval: syria now receives the post itself, signed by israel, with the approval.
    let approval = us.decide(&pending, None).await.unwrap();
    let (released, by) = next_where(&mut syria_sub, |r| r.seq == held.cell_seq).await;
    assert_eq!(by, Some(approval.cell_seq));
    assert_eq!(released.text(), Some(share));
    next_where(&mut syria_sub, |r| r.seq == approval.cell_seq).await;
    next_where(&mut israel_sub, |r| r.seq == approval.cell_seq).await;
    // A reader of the released post may acknowledge reading it.
    let receipt = ReceiptBody {
        target: held.cell_seq,
        kind: ReceiptKind::Read,
        also: vec![],
    };
    syria
        .act_json(ActKind::Receipt, None, &receipt)
        .await
        .unwrap();

    // Rejection: the sender is told why; the other party never sees anything.
    let raw = "Grid 36.12N 35.80E, strike window 0400.";
    let held = israel.post(&ch("security"), raw).await.unwrap();
    let (pending, _) = next_where(&mut us_sub, |r| r.seq == held.cell_seq).await;
    let reason = "Share assessments, not raw targeting data.";
    let rejection = us.decide(&pending, Some(reason.into())).await.unwrap();
    let (told, _) = next_where(&mut israel_sub, |r| r.seq == rejection.cell_seq).await;
    assert!(told.text().unwrap().contains(reason));
    let seen = drain(&mut syria_sub, 300).await;
    assert!(
        seen.iter()
            .all(|r| r.seq != held.cell_seq && r.seq != rejection.cell_seq)
    );
    // A decided post cannot be decided again.
    assert_eq!(
        refused(us.decide(&pending, None).await),
        ErrorCode::Conflict
    );
    relay.stop().await;
}

#[tokio::test]
async fn a_decision_is_bound_to_its_act_and_epoch() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let us = client(&cell, &relay, "us").await;
    let syria = client(&cell, &relay, "syria").await;
    let mut us_sub = live(&us).await;
    let a = israel.post(&ch("security"), "first share").await.unwrap();
    let b = israel.post(&ch("security"), "second share").await.unwrap();
    let (post_a, _) = next_where(&mut us_sub, |r| r.seq == a.cell_seq).await;
    let (post_b, _) = next_where(&mut us_sub, |r| r.seq == b.cell_seq).await;
    let epoch = us.supervision().await.unwrap().epoch;
    // The approval of A replayed onto B: the digest names A.
    let moved = DecisionBody {
        target: b.cell_seq,
        target_digest: Digest(fusioncell_keys::sha256(
            &fusioncell_wire::canonical::act_bytes(&post_a.act),
        )),
        epoch,
        reason: None,
    };
    assert_eq!(
        refused(
            us.act_json(ActKind::Approve, Some(ch("security")), &moved)
                .await
        ),
        ErrorCode::TargetMismatch
    );
    // A state change in between makes an older decision stale.
    us.act_json(
        ActKind::Mute,
        None,
        &MuteBody {
            identity: who("syria"),
            channel: None,
        },
    )
    .await
    .unwrap();
    let stale = DecisionBody {
        target: b.cell_seq,
        target_digest: Digest(fusioncell_keys::sha256(
            &fusioncell_wire::canonical::act_bytes(&post_b.act),
        )),
        epoch,
        reason: None,
    };
    assert_eq!(
        refused(
            us.act_json(ActKind::Approve, Some(ch("security")), &stale)
                .await
        ),
        ErrorCode::StaleEpoch
    );
    // Only the mediator decides.
    assert_eq!(
        refused(syria.decide(&post_b, None).await),
        ErrorCode::Forbidden
    );
    assert_eq!(
        refused(israel.decide(&post_b, None).await),
        ErrorCode::Forbidden
    );
    // Still held; the mediator, looking again, approves.
    assert!(us.decide(&post_b, None).await.is_ok());
    assert!(us.decide(&post_a, None).await.is_ok());
    relay.stop().await;
}

#[tokio::test]
async fn an_unacknowledged_hotline_message_escalates() {
    let cell = TestCell::busy().edit("ack_seconds = 120", "ack_seconds = 1");
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let syria = client(&cell, &relay, "syria").await;
    let us = client(&cell, &relay, "us").await;
    let mut us_sub = live(&us).await;
    let mut syria_sub = live(&syria).await;

    // Acknowledged in time: no escalation.
    let first = israel
        .post(
            &ch("deescalation"),
            "Patrol crossing at marker 12, routine.",
        )
        .await
        .unwrap();
    next_where(&mut syria_sub, |r| r.seq == first.cell_seq).await;
    // Neither the sender nor the mediator can acknowledge it.
    let ack = AckBody {
        target: first.cell_seq,
    };
    assert_eq!(
        refused(
            israel
                .act_json(ActKind::Ack, Some(ch("deescalation")), &ack)
                .await
        ),
        ErrorCode::OwnPost
    );
    assert_eq!(
        refused(
            us.act_json(ActKind::Ack, Some(ch("deescalation")), &ack)
                .await
        ),
        ErrorCode::Forbidden
    );
    syria
        .act_json(ActKind::Ack, Some(ch("deescalation")), &ack)
        .await
        .unwrap();

    // Not acknowledged: the relay escalates to the mediator, journaled.
    let second = israel
        .post(&ch("deescalation"), "Shots heard near marker 14.")
        .await
        .unwrap();
    let (escalation, _) = next_where(&mut us_sub, |r| r.act.kind == ActKind::Escalate).await;
    assert!(
        escalation
            .text()
            .unwrap()
            .contains(&format!("\"target\":{}", second.cell_seq))
    );
    assert!(escalation.act.actor.is_relay());
    let escalated: Vec<_> = journal_records(&cell)
        .into_iter()
        .filter(|r| r.act.kind == ActKind::Escalate)
        .collect();
    assert_eq!(
        escalated.len(),
        1,
        "the acknowledged message did not escalate"
    );
    // Too late to acknowledge now.
    let late = AckBody {
        target: second.cell_seq,
    };
    assert_eq!(
        refused(
            syria
                .act_json(ActKind::Ack, Some(ch("deescalation")), &late)
                .await
        ),
        ErrorCode::Conflict
    );
    relay.stop().await;
}

#[tokio::test]
async fn mute_grant_and_revoke() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let us = client(&cell, &relay, "us").await;
    let france = client(&cell, &relay, "france").await;
    let syria = client(&cell, &relay, "syria").await;
    let mute = MuteBody {
        identity: who("israel"),
        channel: Some(ch("diplomacy")),
    };
    assert_eq!(
        refused(
            syria
                .act_json(ActKind::Mute, Some(ch("diplomacy")), &mute)
                .await
        ),
        ErrorCode::Forbidden
    );
    us.act_json(ActKind::Mute, Some(ch("diplomacy")), &mute)
        .await
        .unwrap();
    assert_eq!(
        refused(israel.post(&ch("diplomacy"), "hello?").await),
        ErrorCode::Muted
    );
    israel
        .post(&ch("commerce"), "muted only on diplomacy")
        .await
        .unwrap();
    us.act_json(ActKind::Unmute, Some(ch("diplomacy")), &mute)
        .await
        .unwrap();
    israel.post(&ch("diplomacy"), "back").await.unwrap();

    // An observer may be given a channel to read, never a voice.
    let member = GrantBody {
        identity: who("france"),
        channel: ch("commerce"),
        access: Access::Member,
    };
    assert_eq!(
        refused(
            us.act_json(ActKind::Grant, Some(ch("commerce")), &member)
                .await
        ),
        ErrorCode::Forbidden
    );
    let reader = GrantBody {
        access: Access::Reader,
        ..member.clone()
    };
    assert_eq!(
        refused(
            france
                .act_json(ActKind::Grant, Some(ch("commerce")), &reader)
                .await
        ),
        ErrorCode::Forbidden
    );
    us.act_json(ActKind::Grant, Some(ch("commerce")), &reader)
        .await
        .unwrap();
    let mut france_sub = live(&france).await;
    let offer = israel
        .post(&ch("commerce"), "Port logistics offer.")
        .await
        .unwrap();
    next_where(&mut france_sub, |r| r.seq == offer.cell_seq).await;
    assert_eq!(
        refused(france.post(&ch("commerce"), "may we speak?").await),
        ErrorCode::Forbidden
    );
    // A party granted membership on a back-channel posts there; revoked, it may not.
    let syria_in = GrantBody {
        identity: who("syria"),
        channel: ch("us-israel"),
        access: Access::Member,
    };
    us.act_json(ActKind::Grant, Some(ch("us-israel")), &syria_in)
        .await
        .unwrap();
    syria
        .post(&ch("us-israel"), "joining the trilateral")
        .await
        .unwrap();
    us.act_json(ActKind::Revoke, Some(ch("us-israel")), &syria_in)
        .await
        .unwrap();
    assert_eq!(
        refused(syria.post(&ch("us-israel"), "still here?").await),
        ErrorCode::Forbidden
    );
    us.act_json(ActKind::Revoke, Some(ch("commerce")), &reader)
        .await
        .unwrap();
    let after = israel
        .post(&ch("commerce"), "not for france")
        .await
        .unwrap();
    assert!(
        drain(&mut france_sub, 300)
            .await
            .iter()
            .all(|r| r.seq != after.cell_seq)
    );
    relay.stop().await;
}

#[tokio::test]
async fn a_redacted_body_is_gone_everywhere_and_the_journal_still_verifies() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let us = client(&cell, &relay, "us").await;
    let syria = client(&cell, &relay, "syria").await;
    let spill = "Source identity: the liaison officer in sector 3.";
    let posted = israel.post(&ch("diplomacy"), spill).await.unwrap();
    let redact = RedactBody {
        target: posted.cell_seq,
        reason: "classified spill".into(),
    };
    assert_eq!(
        refused(syria.act_json(ActKind::Redact, None, &redact).await),
        ErrorCode::Forbidden
    );
    us.act_json(ActKind::Redact, None, &redact).await.unwrap();
    assert_eq!(
        refused(us.act_json(ActKind::Redact, None, &redact).await),
        ErrorCode::Conflict
    );
    // Gone from a resume...
    let mut resumed = syria.subscribe(Some(posted.cell_seq)).await.unwrap();
    let (record, _) = next_where(&mut resumed, |r| r.seq == posted.cell_seq).await;
    assert_eq!(record.body, None);
    // ...and from the journal on disk, which still verifies.
    let text = std::fs::read_to_string(cell.journal_dir().join("records.jsonl")).unwrap();
    assert!(!text.contains(spill));
    relay.stop().await;
    fusioncell_journal::verify(&cell.journal_dir(), None).expect("verifies after redaction");
}

#[tokio::test]
async fn the_clock_gates_play() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let control = client(&cell, &relay, "control").await;
    let us = client(&cell, &relay, "us").await;
    let israel = client(&cell, &relay, "israel").await;
    let syria = client(&cell, &relay, "syria").await;
    assert_eq!(
        israel.supervision().await.unwrap().clock.phase,
        Phase::NotStarted
    );
    assert_eq!(
        refused(clock(&syria, ClockAction::Start, None).await),
        ErrorCode::Forbidden
    );
    assert_eq!(
        refused(clock(&us, ClockAction::Start, None).await),
        ErrorCode::Forbidden
    );
    assert_eq!(
        refused(clock(&control, ClockAction::Pause, None).await),
        ErrorCode::Conflict
    );
    clock(&control, ClockAction::Start, Some(60)).await.unwrap();
    let running = israel.state_changed().await.unwrap();
    assert_eq!(
        (running.clock.phase, running.clock.speed),
        (Phase::Running, 60)
    );
    israel.post(&ch("diplomacy"), "during play").await.unwrap();

    clock(&control, ClockAction::Pause, None).await.unwrap();
    assert_eq!(
        refused(israel.post(&ch("diplomacy"), "while paused").await),
        ErrorCode::Paused
    );
    us.post(&ch("diplomacy"), "the mediator may speak while paused")
        .await
        .unwrap();
    let inject = InjectBody {
        id: "X-1".into(),
        phase: None,
        from: None,
        to: None,
        title: "Admin".into(),
        text: "Play resumes in five minutes.".into(),
        at_s: 0,
    };
    control
        .act_json(ActKind::Inject, Some(ch("diplomacy")), &inject)
        .await
        .unwrap();
    assert_eq!(
        refused(
            israel
                .act_json(ActKind::Inject, Some(ch("diplomacy")), &inject)
                .await
        ),
        ErrorCode::Forbidden
    );
    clock(&us, ClockAction::Resume, None).await.unwrap();
    israel.post(&ch("diplomacy"), "after resume").await.unwrap();

    // Real-world emergency: the mediator halts, every client hears it.
    let halt = ClockBody {
        action: ClockAction::Halt,
        speed: None,
        reason: Some("This is a real-world emergency.".into()),
    };
    us.act_json(ActKind::Clock, None, &halt).await.unwrap();
    // The resume's own state announcement may still be on its way: wait for the halt's.
    let mut halted = syria.state_changed().await.unwrap();
    while !halted.clock.halted && halted.clock.phase == Phase::Running {
        halted = syria.state_changed().await.unwrap();
    }
    assert!(halted.clock.halted);
    assert_eq!(
        refused(syria.post(&ch("commerce"), "during the halt").await),
        ErrorCode::Paused
    );
    clock(&control, ClockAction::Resume, None).await.unwrap();
    clock(&control, ClockAction::End, None).await.unwrap();
    assert_eq!(
        refused(israel.post(&ch("diplomacy"), "after ENDEX").await),
        ErrorCode::Paused
    );
    assert_eq!(
        refused(clock(&control, ClockAction::Resume, None).await),
        ErrorCode::Conflict
    );
    relay.stop().await;
}

#[tokio::test]
async fn observations_reach_the_white_cell_only_and_receipts_reach_the_sender() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let syria = client(&cell, &relay, "syria").await;
    let evaluator = client(&cell, &relay, "evaluator").await;
    let control = client(&cell, &relay, "control").await;
    let us = client(&cell, &relay, "us").await;
    let mut israel_sub = live(&israel).await;
    let mut control_sub = live(&control).await;
    let mut us_sub = live(&us).await;
    let posted = israel
        .post(&ch("diplomacy"), "We accept the agenda.")
        .await
        .unwrap();

    let note = ObserveBody {
        refs: vec![posted.cell_seq],
        text: "Prompt acceptance; objective 2 met.".into(),
        about: None,
        objective: None,
        rating: None,
    };
    assert_eq!(
        refused(israel.act_json(ActKind::Observe, None, &note).await),
        ErrorCode::Forbidden
    );
    let observed = evaluator
        .act_json(ActKind::Observe, None, &note)
        .await
        .unwrap();
    next_where(&mut control_sub, |r| r.seq == observed.cell_seq).await;
    assert!(
        drain(&mut us_sub, 300)
            .await
            .iter()
            .all(|r| r.seq != observed.cell_seq)
    );
    assert!(
        drain(&mut israel_sub, 100)
            .await
            .iter()
            .all(|r| r.seq != observed.cell_seq)
    );
    let bad = ObserveBody {
        refs: vec![99_999],
        text: "no such record".into(),
        about: None,
        objective: None,
        rating: None,
    };
    assert_eq!(
        refused(evaluator.act_json(ActKind::Observe, None, &bad).await),
        ErrorCode::Conflict
    );
    // A rated observation of an objective is accepted and journaled as sent.
    let rated = ObserveBody {
        refs: vec![posted.cell_seq],
        text: "Accepted, but only after a reminder.".into(),
        about: None,
        objective: Some("O2".into()),
        rating: Some(Rating::SomeChallenges),
    };
    let rated_ack = evaluator
        .act_json(ActKind::Observe, None, &rated)
        .await
        .unwrap();
    let (got, _) = next_where(&mut control_sub, |r| r.seq == rated_ack.cell_seq).await;
    assert_eq!(
        got.params().and_then(|b| b.get::<ObserveBody>()),
        Some(&rated)
    );
    // An unknown rating, a rating of no objective and an objective id that could not be a
    // scenario id are each refused with a reason naming the field.
    let refusal = |r: Result<fusioncell_client::Ack, ClientError>| match r {
        Err(ClientError::Rejected { code, reason }) => (code, reason),
        other => panic!("expected a refusal, got {other:?}"),
    };
    let body = format!(
        r#"{{"refs":[{}],"text":"t","objective":"O2","rating":"X"}}"#,
        posted.cell_seq
    );
    let (code, reason) = refusal(evaluator.act(ActKind::Observe, None, body).await);
    assert_eq!(code, ErrorCode::Malformed);
    assert!(
        reason.contains("rating") || reason.contains("`X`"),
        "{reason}"
    );
    let unrated = ObserveBody {
        objective: None,
        ..rated.clone()
    };
    let (code, reason) = refusal(evaluator.act_json(ActKind::Observe, None, &unrated).await);
    assert_eq!(code, ErrorCode::Malformed);
    assert!(reason.contains("rating needs an objective"), "{reason}");
    let spaced = ObserveBody {
        objective: Some("objective 2".into()),
        ..rated.clone()
    };
    let (code, reason) = refusal(evaluator.act_json(ActKind::Observe, None, &spaced).await);
    assert_eq!(code, ErrorCode::Malformed);
    assert!(
        reason.contains("objective") && reason.contains("no spaces"),
        "{reason}"
    );

    let receipt = ReceiptBody {
        target: posted.cell_seq,
        kind: ReceiptKind::Read,
        also: vec![],
    };
    let r = syria
        .act_json(ActKind::Receipt, None, &receipt)
        .await
        .unwrap();
    let (got, _) = next_where(&mut israel_sub, |x| x.seq == r.cell_seq).await;
    assert_eq!(got.act.actor.as_str(), "syria");
    // A receipt for something one never received is refused, alone or hidden in a batch.
    let back = israel.post(&ch("us-israel"), "private").await.unwrap();
    let forged = ReceiptBody {
        target: back.cell_seq,
        kind: ReceiptKind::Delivered,
        also: vec![],
    };
    assert_eq!(
        refused(syria.act_json(ActKind::Receipt, None, &forged).await),
        ErrorCode::Forbidden
    );
    let smuggled = ReceiptBody {
        target: posted.cell_seq,
        kind: ReceiptKind::Read,
        also: vec![back.cell_seq],
    };
    assert_eq!(
        refused(syria.act_json(ActKind::Receipt, None, &smuggled).await),
        ErrorCode::Forbidden
    );
    // One receipt covers a batch; each record's sender gets it; a record named twice or an
    // oversized batch is refused.
    let second = israel
        .post(&ch("diplomacy"), "Agenda item two.")
        .await
        .unwrap();
    let batch = ReceiptBody {
        target: second.cell_seq,
        kind: ReceiptKind::Read,
        also: vec![posted.cell_seq],
    };
    let b = syria
        .act_json(ActKind::Receipt, None, &batch)
        .await
        .unwrap();
    let (got, _) = next_where(&mut israel_sub, |x| x.seq == b.cell_seq).await;
    assert_eq!(
        got.params().and_then(|b| b.get::<ReceiptBody>()),
        Some(&batch)
    );
    let twice = ReceiptBody {
        also: vec![second.cell_seq],
        ..batch.clone()
    };
    assert_eq!(
        refused(syria.act_json(ActKind::Receipt, None, &twice).await),
        ErrorCode::Malformed
    );
    let oversized = ReceiptBody {
        also: (0..=MAX_RECEIPT_ALSO as u64).collect(),
        ..batch.clone()
    };
    assert_eq!(
        refused(syria.act_json(ActKind::Receipt, None, &oversized).await),
        ErrorCode::Malformed
    );
    relay.stop().await;
}

/// A hotline deadline counts only while play is on (PROTOCOL.md §3.3): paused right after the
/// post, nothing escalates however long the pause; resumed, the post escalates once, when the
/// play time since the post reaches the deadline.
#[tokio::test]
async fn a_hotline_deadline_stands_still_while_play_is_paused() {
    let cell = TestCell::busy().edit("ack_seconds = 120", "ack_seconds = 3");
    let relay = Relay::start(&cell).await;
    let control = client(&cell, &relay, "control").await;
    let israel = client(&cell, &relay, "israel").await;
    let us = client(&cell, &relay, "us").await;
    let mut us_sub = live(&us).await;
    clock(&control, ClockAction::Start, Some(60)).await.unwrap();
    let post = israel
        .post(&ch("deescalation"), "Convoy moving at dawn.")
        .await
        .unwrap();
    let pause = clock(&control, ClockAction::Pause, None).await.unwrap();
    let played_before_pause = pause.ts - post.ts;
    assert!(
        played_before_pause < 3000,
        "the pause came too late to test anything"
    );
    // Longer than the whole deadline: nothing escalates while play stands still.
    tokio::time::sleep(std::time::Duration::from_millis(4000)).await;
    let escalated = |records: &[fusioncell_wire::Record]| {
        records
            .iter()
            .filter(|r| r.act.kind == ActKind::Escalate)
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(
        escalated(&journal_records(&cell)).is_empty(),
        "escalated while paused"
    );
    let resume = clock(&control, ClockAction::Resume, None).await.unwrap();
    let (escalation, _) = next_where(&mut us_sub, |r| r.act.kind == ActKind::Escalate).await;
    assert!(escalation.seq > resume.cell_seq);
    assert!(
        escalation.ts - resume.ts + played_before_pause >= 3000,
        "escalated after {} ms of play",
        escalation.ts - resume.ts + played_before_pause
    );
    let all = escalated(&journal_records(&cell));
    assert_eq!(all.len(), 1, "escalated once");
    assert!(
        all[0]
            .text()
            .unwrap()
            .contains(&format!("\"target\":{}", post.cell_seq))
    );
    relay.stop().await;
}

/// The journal replayed through `State::apply` gives the relay's own state, and every
/// decision re-derives: the relay and the verifier are one state machine.
#[tokio::test]
async fn replaying_the_journal_reproduces_the_relay_state() {
    let cell = TestCell::busy().edit("ack_seconds = 120", "ack_seconds = 1");
    let relay = Relay::start(&cell).await;
    let control = client(&cell, &relay, "control").await;
    let us = client(&cell, &relay, "us").await;
    let israel = client(&cell, &relay, "israel").await;
    let mut us_sub = live(&us).await;
    clock(&control, ClockAction::Start, Some(30)).await.unwrap();
    let held = israel.post(&ch("security"), "held one").await.unwrap();
    let (p, _) = next_where(&mut us_sub, |r| r.seq == held.cell_seq).await;
    israel.post(&ch("security"), "still held").await.unwrap();
    us.decide(&p, None).await.unwrap();
    israel
        .post(&ch("deescalation"), "will escalate")
        .await
        .unwrap();
    next_where(&mut us_sub, |r| r.act.kind == ActKind::Escalate).await;
    israel.post(&ch("deescalation"), "awaiting").await.unwrap();
    us.act_json(
        ActKind::Mute,
        None,
        &MuteBody {
            identity: who("syria"),
            channel: None,
        },
    )
    .await
    .unwrap();
    us.act_json(
        ActKind::Redact,
        None,
        &RedactBody {
            target: held.cell_seq,
            reason: "test".into(),
        },
    )
    .await
    .unwrap();
    clock(&control, ClockAction::Pause, None).await.unwrap();

    let live_state = relay.server().state();
    let cell_model = cell.loaded().cell;
    let mut replayed = fusioncell_cell::State::new();
    for r in journal_records(&cell) {
        if !r.act.kind.is_relay_kind() {
            fusioncell_cell::authorize(&cell_model, &replayed, &r.act, r.params())
                .unwrap_or_else(|e| panic!("record {} re-derives: {e}", r.seq));
        }
        replayed.apply(&cell_model, &r);
    }
    assert_eq!(replayed, live_state);
    assert_eq!(replayed.held().len(), 1);
    assert_eq!(replayed.awaiting().len(), 1);
    relay.stop().await;
}

/// Every supervisory power, attempted by every role that lacks it: refused as forbidden,
/// journaled as a security event, and the supervision state unchanged.
#[tokio::test]
async fn every_power_is_refused_to_the_roles_that_lack_it() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let us = client(&cell, &relay, "us").await;
    let mut us_sub = live(&us).await;
    let held = israel
        .post(&ch("security"), "held for the test")
        .await
        .unwrap();
    let (post, _) = next_where(&mut us_sub, |r| r.seq == held.cell_seq).await;
    let decision = DecisionBody {
        target: held.cell_seq,
        target_digest: Digest(fusioncell_keys::sha256(
            &fusioncell_wire::canonical::act_bytes(&post.act),
        )),
        epoch: 0,
        reason: Some("no".into()),
    };
    let json = |v: &dyn erased::Body| v.json();
    let powers: Vec<(ActKind, Option<ChannelId>, String, &[&str])> = vec![
        (
            ActKind::Approve,
            Some(ch("security")),
            json(&decision),
            &["israel", "syria", "control", "france", "evaluator"],
        ),
        (
            ActKind::Reject,
            Some(ch("security")),
            json(&decision),
            &["israel", "syria", "control", "france", "evaluator"],
        ),
        (
            ActKind::Mute,
            None,
            json(&MuteBody {
                identity: who("syria"),
                channel: None,
            }),
            &["israel", "control", "france", "evaluator"],
        ),
        (
            ActKind::Grant,
            Some(ch("commerce")),
            json(&GrantBody {
                identity: who("france"),
                channel: ch("commerce"),
                access: Access::Reader,
            }),
            &["israel", "control", "france", "evaluator"],
        ),
        (
            ActKind::Revoke,
            Some(ch("commerce")),
            json(&GrantBody {
                identity: who("syria"),
                channel: ch("commerce"),
                access: Access::Member,
            }),
            &["israel", "control", "france", "evaluator"],
        ),
        (
            ActKind::Redact,
            None,
            json(&RedactBody {
                target: held.cell_seq,
                reason: "x".into(),
            }),
            &["israel", "syria", "control", "france", "evaluator"],
        ),
        (
            ActKind::Clock,
            None,
            json(&ClockBody {
                action: ClockAction::Start,
                speed: None,
                reason: None,
            }),
            &["israel", "syria", "us", "france", "evaluator"],
        ),
        (
            ActKind::Clock,
            None,
            json(&ClockBody {
                action: ClockAction::Halt,
                speed: None,
                reason: None,
            }),
            &["israel", "syria", "france", "evaluator"],
        ),
        (
            ActKind::Inject,
            Some(ch("diplomacy")),
            json(&InjectBody {
                id: "X".into(),
                phase: None,
                from: None,
                to: None,
                title: "t".into(),
                text: "t".into(),
                at_s: 0,
            }),
            &["israel", "syria", "us", "france", "evaluator"],
        ),
        (
            ActKind::Observe,
            None,
            json(&ObserveBody {
                refs: vec![],
                text: "t".into(),
                about: None,
                objective: None,
                rating: None,
            }),
            &["israel", "syria", "us", "control", "france"],
        ),
        (
            ActKind::Post,
            Some(ch("diplomacy")),
            "words".into(),
            &["evaluator", "france"],
        ),
    ];
    let before = relay.server().state();
    let mut attempts = 0;
    for (kind, channel, body, lacking) in &powers {
        for id in *lacking {
            let c = client(&cell, &relay, id).await;
            let result = c.act(*kind, channel.clone(), body.clone()).await;
            assert_eq!(
                refused(result),
                ErrorCode::Forbidden,
                "{} by {id}",
                kind.as_str()
            );
            attempts += 1;
        }
    }
    assert_eq!(
        relay.server().state().epoch(),
        before.epoch(),
        "no power took effect"
    );
    assert_eq!(
        relay.server().state().held().len(),
        1,
        "the post is still held"
    );
    assert!(
        eventually(5, || security_events(&cell)
            .iter()
            .filter(|(e, _)| e == "forbidden")
            .count()
            >= attempts)
        .await,
        "each refusal is journaled"
    );
    relay.stop().await;
}

/// Bodies serialized for the table above.
mod erased {
    pub(super) trait Body {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Body for T {
        fn json(&self) -> String {
            serde_json::to_string(self).expect("serializes")
        }
    }
}
