//! PROTOCOL.md §12: the project's verifier, ring and (in the browser tests) WebCrypto reach the
//! same verdict on every edge case, and agree on random valid and mutated signatures.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use fusioncell_keys::{KeyError, PublicKey, SigningKey};
use proptest::prelude::*;
use ring::signature::{ED25519, UnparsedPublicKey};

#[allow(dead_code)]
#[path = "../../wire/tests/support/protocol_doc.rs"]
mod protocol_doc;
use protocol_doc::{DOC, vectors};

fn value(name: &str) -> &'static str {
    vectors("signatures")
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("{name} missing from PROTOCOL.md §12"))
        .1
}

fn bytes<const N: usize>(hex_text: &str) -> [u8; N] {
    hex::decode(hex_text).unwrap().try_into().unwrap()
}

/// The signature of a `sig.<case> = verdict hex` line.
fn signature(name: &str) -> [u8; 64] {
    bytes(value(name).split_once(' ').unwrap().1)
}

fn ring_accepts(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    UnparsedPublicKey::new(&ED25519, key)
        .verify(msg, sig)
        .is_ok()
}

fn point(encoding: &[u8]) -> Option<EdwardsPoint> {
    CompressedEdwardsY(encoding.try_into().unwrap()).decompress()
}

/// The verdict of the cofactored equation `[8]([S]B - [k]A - R) = 0`, which the rule does not
/// use: it shows which cases separate the two.
fn cofactored_accepts(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    let (Some(a), Some(r)) = (point(key), point(&sig[..32])) else {
        return false;
    };
    let s: Option<Scalar> = Scalar::from_canonical_bytes(sig[32..].try_into().unwrap()).into();
    let Some(s) = s else {
        return false;
    };
    let mut h = ring::digest::Context::new(&ring::digest::SHA512);
    h.update(&sig[..32]);
    h.update(key);
    h.update(msg);
    let k = Scalar::from_bytes_mod_order_wide(h.finish().as_ref().try_into().unwrap());
    (EdwardsPoint::vartime_double_scalar_mul_basepoint(&-k, &a, &s) - r).mul_by_cofactor()
        == EdwardsPoint::default()
}

#[test]
fn every_verdict_of_protocol_section_12_holds_for_the_verifier_and_for_ring() {
    let key_bytes: [u8; 32] = bytes(value("sig.key"));
    let msg = hex::decode(value("sig.message")).unwrap();
    let key = PublicKey::from_bytes(key_bytes).unwrap();
    assert_eq!(key, SigningKey::from_seed([7; 32]).public_key());

    let mut cases = 0;
    for (name, line) in vectors("signatures") {
        let Some((verdict, sig_hex)) = line.split_once(' ') else {
            continue;
        };
        let sig: [u8; 64] = bytes(sig_hex);
        let expected = match verdict {
            "accept" => true,
            "reject" => false,
            other => panic!("{name}: verdict {other}"),
        };
        assert_eq!(
            key.verify(&msg, &sig).is_ok(),
            expected,
            "{name}: fusioncell-keys"
        );
        assert_eq!(
            ring_accepts(&key_bytes, &msg, &sig),
            expected,
            "{name}: ring"
        );
        cases += 1;
    }
    assert_eq!(cases, 7, "signature cases in PROTOCOL.md §12");
}

#[test]
fn each_edge_case_is_what_it_claims_to_be() {
    let key: [u8; 32] = bytes(value("sig.key"));
    let msg = hex::decode(value("sig.message")).unwrap();
    let valid = signature("sig.valid");
    assert_eq!(valid, SigningKey::from_seed([7; 32]).sign(&msg));

    let s_plus = signature("sig.s_plus_order");
    assert_eq!(s_plus[..32], valid[..32]);
    let s: Option<Scalar> = Scalar::from_canonical_bytes(s_plus[32..].try_into().unwrap()).into();
    assert!(s.is_none(), "S is not below the order");
    assert_eq!(s_plus[63] & 0xe0, 0, "only the range check can refuse it");

    let identity = EdwardsPoint::default();
    assert_eq!(point(&signature("sig.r_identity")[..32]), Some(identity));
    let r_nc = signature("sig.r_noncanonical");
    assert_eq!(
        point(&r_nc[..32]),
        Some(identity),
        "decompresses to the identity"
    );
    assert!(
        cofactored_accepts(&key, &msg, &r_nc),
        "a decompressing verifier accepts it"
    );

    let r_t = signature("sig.r_torsion");
    assert!(!point(&r_t[..32]).unwrap().is_torsion_free());
    assert!(
        cofactored_accepts(&key, &msg, &r_t),
        "the cofactored equation accepts it"
    );
    assert!(cofactored_accepts(&key, &msg, &valid));

    let mixed: [u8; 32] = bytes(
        DOC.split("`sig.mixed_order_key` = `")
            .nth(1)
            .unwrap()
            .split('`')
            .next()
            .unwrap(),
    );
    assert_eq!(
        PublicKey::from_bytes(mixed),
        Err(KeyError::TorsionComponent)
    );
}

proptest! {
    /// Valid signatures, and signatures with one bit flipped anywhere, get the same verdict
    /// from the project's verifier and from ring.
    #[test]
    fn the_verifier_agrees_with_ring(
        seed in any::<[u8; 32]>(),
        msg in proptest::collection::vec(any::<u8>(), 0..200),
        flip in proptest::option::of(0usize..512),
    ) {
        let signer = SigningKey::from_seed(seed);
        let key = signer.public_key();
        let mut sig = signer.sign(&msg);
        if let Some(bit) = flip {
            sig[bit / 8] ^= 1 << (bit % 8);
        }
        let ours = key.verify(&msg, &sig).is_ok();
        prop_assert_eq!(ours, ring_accepts(key.bytes(), &msg, &sig));
        prop_assert_eq!(ours, flip.is_none());
    }
}
