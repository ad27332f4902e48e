//! Who receives a supervisory record: one that names a channel reaches only those who may
//! read that channel (and the supervisors), so an identity learns nothing of a channel's
//! traffic or of who is muted on it unless it reads it (PROTOCOL.md §3.3).

use std::collections::BTreeSet;

use fusioncell_wire::act_body::{Access, GrantBody, MuteBody, RedactBody};
use fusioncell_wire::{ActKind, ChannelId, IdentityId};

use crate::harness::*;

fn ch(name: &str) -> ChannelId {
    ChannelId::new(name).unwrap()
}

fn who(name: &str) -> IdentityId {
    IdentityId::new(name).unwrap()
}

/// Everything `sub` received up to and including record `last`.
async fn seqs_until(sub: &mut fusioncell_client::Subscription, last: u64) -> BTreeSet<u64> {
    let mut got = BTreeSet::new();
    loop {
        let (record, released_by) = next_where(sub, |_| true).await;
        if released_by.is_none() {
            got.insert(record.seq);
        }
        if record.seq >= last {
            return got;
        }
    }
}

#[tokio::test]
async fn supervision_of_a_channel_reaches_only_its_readers() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let us = client(&cell, &relay, "us").await;
    let israel = client(&cell, &relay, "israel").await;
    let france = client(&cell, &relay, "france").await;
    let syria = client(&cell, &relay, "syria").await;
    let evaluator = client(&cell, &relay, "evaluator").await;
    let mut france_sub = live(&france).await;
    let mut syria_sub = live(&syria).await;
    let mut israel_sub = live(&israel).await;
    let mut evaluator_sub = live(&evaluator).await;

    // France reads only `diplomacy`: commerce's supervision is none of its business.
    let mute = MuteBody {
        identity: who("israel"),
        channel: Some(ch("commerce")),
    };
    let muted = us
        .act_json(ActKind::Mute, Some(ch("commerce")), &mute)
        .await
        .unwrap();
    let unmuted = us
        .act_json(ActKind::Unmute, Some(ch("commerce")), &mute)
        .await
        .unwrap();
    let post = israel
        .post(&ch("commerce"), "a commerce post")
        .await
        .unwrap();
    let redacted = us
        .act_json(
            ActKind::Redact,
            None,
            &RedactBody {
                target: post.cell_seq,
                reason: "spill".into(),
            },
        )
        .await
        .unwrap();
    // Israel is granted, then loses, the U.S.-Syria back-channel: Syria (a member) and Israel
    // (whose access changes) learn it; France does not.
    let grant = GrantBody {
        identity: who("israel"),
        channel: ch("us-syria"),
        access: Access::Reader,
    };
    let granted = us
        .act_json(ActKind::Grant, Some(ch("us-syria")), &grant)
        .await
        .unwrap();
    let revoked = us
        .act_json(ActKind::Revoke, Some(ch("us-syria")), &grant)
        .await
        .unwrap();
    // A mute everywhere names no channel: everyone learns it.
    let everywhere = MuteBody {
        identity: who("syria"),
        channel: None,
    };
    let global = us.act_json(ActKind::Mute, None, &everywhere).await.unwrap();
    let last = global.cell_seq;

    let france_got = seqs_until(&mut france_sub, last).await;
    for (what, ack) in [
        ("mute on commerce", muted),
        ("unmute on commerce", unmuted),
        ("commerce post", post),
        ("redaction of a commerce post", redacted),
        ("grant on us-syria", granted),
        ("revoke on us-syria", revoked),
    ] {
        assert!(
            !france_got.contains(&ack.cell_seq),
            "the observer received the {what} (record {})",
            ack.cell_seq
        );
    }
    assert!(france_got.contains(&global.cell_seq), "a mute everywhere");

    let syria_got = seqs_until(&mut syria_sub, last).await;
    for ack in [muted, unmuted, post, redacted, granted, revoked, global] {
        assert!(
            syria_got.contains(&ack.cell_seq),
            "syria misses {}",
            ack.cell_seq
        );
    }
    let israel_got = seqs_until(&mut israel_sub, last).await;
    for ack in [muted, unmuted, post, redacted, granted, revoked, global] {
        assert!(
            israel_got.contains(&ack.cell_seq),
            "israel misses {}",
            ack.cell_seq
        );
    }
    let evaluator_got = seqs_until(&mut evaluator_sub, last).await;
    for ack in [muted, unmuted, post, redacted, granted, revoked, global] {
        assert!(evaluator_got.contains(&ack.cell_seq));
    }

    // The journal's replay for France agrees with what it received.
    let records = journal_records(&cell);
    let replayed: BTreeSet<u64> =
        fusioncell_cell::seen_by(&cell.loaded().cell, &records, &who("france"))
            .into_iter()
            .filter(|s| s.released_by.is_none())
            .map(|s| s.record.seq)
            .filter(|s| *s >= muted.cell_seq && *s <= last)
            .collect();
    let live_view: BTreeSet<u64> = france_got
        .into_iter()
        .filter(|s| *s >= muted.cell_seq)
        .collect();
    assert_eq!(replayed, live_view);
    relay.stop().await;
}
