//! Client frames, act bodies, canonical act bytes and journal lines (`fusioncell-wire`).

use fusioncell_wire::canonical::{TAG_PREFIX, act_bytes, leaf_bytes};
use fusioncell_wire::{Act, ActBody, ActKind, Body, CellId, ChannelId, ClientMsg, Digest};
use fusioncell_wire::{IdentityId, Record};

/// A client frame (`ClientMsg::from_json`, the relay's parse of every text frame): whatever
/// parses re-serializes and re-parses to the same frame, and an act's body, decoded for its
/// kind as the session does, has that kind and keeps its exact text (the signed hash covers it).
pub fn client_msg(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(msg) = ClientMsg::from_json(text) else {
        return false;
    };
    let json = msg.to_json();
    let again = ClientMsg::from_json(&json)
        .unwrap_or_else(|e| panic!("a parsed frame re-serializes to {json:?}, refused: {e}"));
    assert_eq!(again, msg);
    assert_eq!(again.to_json(), json, "serialization is deterministic");
    if let ClientMsg::Act(signed) = &msg {
        let kind = signed.act.kind;
        if let Ok(record) = Record::from_signed(0, 0, signed.clone()) {
            assert_eq!(record.params().map(ActBody::kind), Some(kind));
            assert_eq!(record.text(), Some(signed.body.as_str()));
        }
    }
    true
}

/// An act body (`Body::decode`): the first byte picks the kind, the rest is the text. A decoded
/// body has that kind and keeps the text; its parameters, encoded afresh (`Body::new`), decode
/// to the same parameters, and that compact text is a fixed point.
pub fn body(data: &[u8]) -> bool {
    let Some((&pick, rest)) = data.split_first() else {
        return false;
    };
    let kind = ActKind::ALL[usize::from(pick) % ActKind::ALL.len()];
    let Ok(text) = std::str::from_utf8(rest) else {
        return false;
    };
    let Ok(body) = Body::decode(kind, text.to_owned()) else {
        return false;
    };
    assert_eq!(body.kind(), kind);
    assert_eq!(body.text(), text);
    if kind != ActKind::Post {
        let fresh = Body::new(body.value().clone());
        let again = Body::decode(kind, fresh.text().to_owned()).unwrap_or_else(|e| {
            panic!(
                "{kind:?} parameters re-encode to {:?}, refused: {e}",
                fresh.text()
            )
        });
        assert_eq!(again.value(), body.value());
        assert_eq!(Body::new(again.value().clone()).text(), fresh.text());
    }
    true
}

/// Canonical act bytes (PROTOCOL.md §3): an act parsed from JSON (as it arrives in a frame)
/// encodes to bytes that decode back to the same act, so no two acts share signed bytes; and
/// bytes that decode as an act are exactly that act's encoding (the form is canonical). The
/// leaf bytes embed the act bytes length-prefixed.
pub fn canonical(data: &[u8]) -> bool {
    let mut accepted = false;
    if let Ok(act) = serde_json::from_slice::<Act>(data) {
        let json = serde_json::to_string(&act).unwrap();
        assert_eq!(serde_json::from_str::<Act>(&json).unwrap(), act);
        let bytes = act_bytes(&act);
        assert_eq!(decode_act_bytes(&bytes).as_ref(), Some(&act));
        let sig = [0x5a; 64];
        let leaf = leaf_bytes(act.seq, act.ts, &act, &sig);
        let tag = format!("{TAG_PREFIX}leaf\0");
        let len = u32::try_from(bytes.len()).unwrap().to_be_bytes();
        let expected = [
            tag.as_bytes(),
            &act.seq.to_be_bytes(),
            &act.ts.to_be_bytes(),
        ];
        assert_eq!(leaf, [&expected.concat(), &len[..], &bytes, &sig].concat());
        accepted = true;
    }
    if let Some(act) = decode_act_bytes(data) {
        assert_eq!(act_bytes(&act), data, "act bytes are canonical");
        accepted = true;
    }
    accepted
}

/// Reads canonical act bytes back into the act (PROTOCOL.md §3); `None` unless `bytes` is
/// exactly one act's encoding, with valid names.
pub fn decode_act_bytes(bytes: &[u8]) -> Option<Act> {
    fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, tail) = rest.split_at_checked(n)?;
        *rest = tail;
        Some(head)
    }
    fn lp<'a>(rest: &mut &'a [u8]) -> Option<&'a str> {
        let len = u32::from_be_bytes(take(rest, 4)?.try_into().ok()?);
        std::str::from_utf8(take(rest, usize::try_from(len).ok()?)?).ok()
    }
    let mut rest = bytes.strip_prefix(TAG_PREFIX.as_bytes())?;
    let end = rest.iter().position(|&b| b == 0)?;
    let name = std::str::from_utf8(take(&mut rest, end)?).ok()?;
    take(&mut rest, 1)?;
    let kind = ActKind::ALL.into_iter().find(|k| k.as_str() == name)?;
    let cell = CellId::new(lp(&mut rest)?).ok()?;
    let channel = match lp(&mut rest)? {
        "" => None,
        c => Some(ChannelId::new(c).ok()?),
    };
    let actor = IdentityId::new(lp(&mut rest)?).ok()?;
    let seq = u64::from_be_bytes(take(&mut rest, 8)?.try_into().ok()?);
    let ts = i64::from_be_bytes(take(&mut rest, 8)?.try_into().ok()?);
    let body_sha256 = Digest(take(&mut rest, 32)?.try_into().ok()?);
    rest.is_empty().then_some(Act {
        kind,
        cell,
        channel,
        actor,
        seq,
        ts,
        body_sha256,
    })
}

/// A journal line or a delivery (`Record` deserialization): a parsed record serializes to a
/// line that parses to the same record and serializes to the same line, and its body (if not
/// redacted) has the act's kind.
pub fn record(data: &[u8]) -> bool {
    let Ok(record) = serde_json::from_slice::<Record>(data) else {
        return false;
    };
    if let Some(body) = &record.body {
        assert_eq!(body.kind(), record.act.kind);
    }
    let line = serde_json::to_string(&record).unwrap();
    let again: Record = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("a parsed record re-serializes to {line:?}, refused: {e}"));
    assert_eq!(again, record);
    assert_eq!(serde_json::to_string(&again).unwrap(), line);
    let _ = record.leaf_bytes();
    true
}
