//! The exact bytes that are signed and hashed. PROTOCOL.md specifies them byte for byte, with
//! test vectors; a browser builds the same bytes with `DataView` and signs them with WebCrypto.
//!
//! Rules, the same for every structure:
//! - it starts with a domain tag `fusioncell/v1/<name>` and one zero byte, so a signature made
//!   for one purpose can never verify for another;
//! - a variable-length field is `u32be(len) ‖ bytes` ([`put_lp`]), so no two field lists
//!   concatenate to the same bytes;
//! - integers are big-endian, fixed width; fixed-size values (digests, keys, nonces) are raw.
//!
//! JSON text is never signed: the relay and every verifier rebuild these bytes from typed
//! fields (SECURITY.md, P15 and §3.1).

use crate::act::Act;
use crate::bytes::{Digest, Nonce, PublicKeyBytes};
use crate::ids::{CellId, IdentityId};
use crate::server_msg::IdentityInfo;

/// Domain tag prefix shared by every signed structure.
pub const TAG_PREFIX: &str = "fusioncell/v1/";

/// Appends `fusioncell/v1/<name>` and a zero byte.
fn put_tag(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(TAG_PREFIX.as_bytes());
    out.extend_from_slice(name.as_bytes());
    out.push(0);
}

/// Appends a length-prefixed byte string: `u32be(len) ‖ bytes`.
pub fn put_lp(out: &mut Vec<u8>, bytes: &[u8]) {
    // Every field we prefix is bounded by the message size limit, far below 4 GiB; saturate
    // rather than wrap if a caller ever passes more.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The bytes an actor signs for an act:
///
/// ```text
/// "fusioncell/v1/" ‖ kind ‖ 0x00 ‖ lp(cell) ‖ lp(channel or "") ‖ lp(actor)
///   ‖ u64be(seq) ‖ i64be(ts) ‖ body_sha256[32]
/// ```
pub fn act_bytes(act: &Act) -> Vec<u8> {
    let channel = act.channel.as_ref().map_or("", |c| c.as_str());
    let mut out = Vec::with_capacity(
        TAG_PREFIX.len() + 16 + 12 + act.cell.as_str().len() + channel.len() + 64 + 16 + 32,
    );
    put_tag(&mut out, act.kind.as_str());
    put_lp(&mut out, act.cell.as_str().as_bytes());
    put_lp(&mut out, channel.as_bytes());
    put_lp(&mut out, act.actor.as_str().as_bytes());
    out.extend_from_slice(&act.seq.to_be_bytes());
    out.extend_from_slice(&act.ts.to_be_bytes());
    out.extend_from_slice(&act.body_sha256.0);
    out
}

/// The bytes a client signs to log in, answering the relay's challenge:
///
/// ```text
/// "fusioncell/v1/login" ‖ 0x00 ‖ lp(cell) ‖ nonce[32] ‖ relay_key[32] ‖ lp(identity)
/// ```
///
/// The fresh nonce makes an answer useless on any other connection; the relay key binds it to
/// this relay.
pub fn login_bytes(
    cell: &CellId,
    nonce: &Nonce,
    relay_key: &PublicKeyBytes,
    identity: &IdentityId,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    put_tag(&mut out, "login");
    put_lp(&mut out, cell.as_str().as_bytes());
    out.extend_from_slice(&nonce.0);
    out.extend_from_slice(&relay_key.0);
    put_lp(&mut out, identity.as_str().as_bytes());
    out
}

/// The bytes of a journal leaf, hashed as `SHA-256(0x00 ‖ leaf)` (RFC 9162 §2.1.1):
///
/// ```text
/// "fusioncell/v1/leaf" ‖ 0x00 ‖ u64be(seq) ‖ i64be(relay_ts) ‖ lp(act_bytes) ‖ sig[64]
/// ```
///
/// The leaf covers the act's bytes, which hold the body's hash and not the body, so a redacted
/// body leaves every proof intact.
pub fn leaf_bytes(seq: u64, relay_ts: i64, act: &Act, sig: &[u8; 64]) -> Vec<u8> {
    let act = act_bytes(act);
    let mut out = Vec::with_capacity(TAG_PREFIX.len() + 8 + 16 + 4 + act.len() + 64);
    put_tag(&mut out, "leaf");
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&relay_ts.to_be_bytes());
    put_lp(&mut out, &act);
    out.extend_from_slice(sig);
    out
}

/// The bytes the relay signs for a checkpoint (a signed tree head):
///
/// ```text
/// "fusioncell/v1/checkpoint" ‖ 0x00 ‖ lp(cell) ‖ u64be(size) ‖ root[32] ‖ i64be(ts)
/// ```
pub fn checkpoint_bytes(cell: &CellId, size: u64, root: &Digest, ts: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(TAG_PREFIX.len() + 12 + cell.as_str().len() + 4 + 48);
    put_tag(&mut out, "checkpoint");
    put_lp(&mut out, cell.as_str().as_bytes());
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(&root.0);
    out.extend_from_slice(&ts.to_be_bytes());
    out
}

/// The bytes whose SHA-256 names a cell's directory, so that a client holding the cell config
/// can skip the list in `welcome`:
///
/// ```text
/// "fusioncell/v1/directory" ‖ 0x00 ‖ lp(cell) ‖ u32be(count)
///   ‖ for each identity, in byte order of its id: lp(id) ‖ lp(role) ‖ public_key[32]
/// ```
///
/// The order is fixed here, not taken from the caller, so the relay and a client reading the
/// identities in another order agree.
pub fn directory_bytes(cell: &CellId, identities: &[IdentityInfo]) -> Vec<u8> {
    let mut sorted: Vec<&IdentityInfo> = identities.iter().collect();
    sorted.sort_by(|a, b| a.id.as_str().as_bytes().cmp(b.id.as_str().as_bytes()));
    let mut out =
        Vec::with_capacity(TAG_PREFIX.len() + 16 + cell.as_str().len() + 64 * sorted.len());
    put_tag(&mut out, "directory");
    put_lp(&mut out, cell.as_str().as_bytes());
    let count = u32::try_from(sorted.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&count.to_be_bytes());
    for identity in sorted {
        put_lp(&mut out, identity.id.as_str().as_bytes());
        put_lp(&mut out, identity.role.as_str().as_bytes());
        out.extend_from_slice(&identity.public_key.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::act::ActKind;
    use crate::ids::ChannelId;

    fn name() -> impl Strategy<Value = String> {
        "[a-z0-9][a-z0-9_-]{0,20}"
    }

    fn act() -> impl Strategy<Value = Act> {
        (
            prop_oneof![Just(ActKind::Post), Just(ActKind::Security)],
            name(),
            proptest::option::of(name()),
            name(),
            any::<u64>(),
            any::<i64>(),
            any::<[u8; 32]>(),
        )
            .prop_map(|(kind, cell, channel, actor, seq, ts, h)| Act {
                kind,
                cell: CellId::new(cell).unwrap(),
                channel: channel.map(|c| ChannelId::new(c).unwrap()),
                actor: IdentityId::new(actor).unwrap(),
                seq,
                ts,
                body_sha256: Digest(h),
            })
    }

    proptest! {
        /// Distinct acts never share signed bytes (except that "no channel" and the empty
        /// channel coincide, and the empty channel is not a valid name).
        #[test]
        fn act_bytes_are_injective(a in act(), b in act()) {
            prop_assert_eq!(a == b, act_bytes(&a) == act_bytes(&b));
        }

        /// The encoding has exactly the documented length.
        #[test]
        fn act_bytes_length(a in act()) {
            let ch = a.channel.as_ref().map_or(0, |c| c.as_str().len());
            let expected = TAG_PREFIX.len() + a.kind.as_str().len() + 1
                + 4 + a.cell.as_str().len() + 4 + ch + 4 + a.actor.as_str().len()
                + 8 + 8 + 32;
            prop_assert_eq!(act_bytes(&a).len(), expected);
        }

        /// Wire JSON round-trips the typed act exactly, so verifying over a re-parse is sound.
        #[test]
        fn act_json_round_trip(a in act()) {
            let json = serde_json::to_string(&a).unwrap();
            let back: Act = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &a);
            prop_assert_eq!(act_bytes(&back), act_bytes(&a));
        }

        #[test]
        fn leaf_bytes_bind_seq_and_time(a in act(), seq in any::<u64>(), ts in any::<i64>()) {
            let sig = [9u8; 64];
            let l = leaf_bytes(seq, ts, &a, &sig);
            prop_assert_ne!(&l, &leaf_bytes(seq.wrapping_add(1), ts, &a, &sig));
            prop_assert_ne!(&l, &leaf_bytes(seq, ts.wrapping_add(1), &a, &sig));
        }
    }

    #[test]
    fn tags_differ_per_kind() {
        let mut a = Act {
            kind: ActKind::Post,
            cell: CellId::new("c").unwrap(),
            channel: None,
            actor: IdentityId::new("a").unwrap(),
            seq: 1,
            ts: 0,
            body_sha256: Digest([0; 32]),
        };
        let post = act_bytes(&a);
        a.kind = ActKind::Security;
        assert_ne!(post, act_bytes(&a));
        assert!(post.starts_with(b"fusioncell/v1/post\0"));
    }
}
