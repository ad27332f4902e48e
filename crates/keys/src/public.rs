//! Validated Ed25519 public keys and signature verification.

use std::fmt;

use ed25519_dalek::{Signature, Verifier, VerifyingKey};

use crate::KeyError;
use crate::digest::sha256;

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the 32 key bytes follow.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// An Ed25519 public key that is the canonical encoding of a point of the prime-order subgroup.
///
/// Construction refuses the small-order points (the identity among them, under which a
/// cofactorless verifier accepts the signature `R = identity, S = 0` for every message), points
/// with a small-order component and non-canonical encodings, so every `PublicKey` is safe to
/// verify against. The point is decompressed once, here, not on every verification.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(VerifyingKey);

/// Proof that a signature verified: only [`PublicKey::verify`] makes one, so code that takes a
/// `SignatureValid` cannot be reached with an unverified act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureValid(());

impl PublicKey {
    /// Validates 32 bytes as a public key.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, KeyError> {
        // Decompressed once: the checks and every later verification use the same point.
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::NotCanonical)?;
        let point = key.to_edwards();
        if point.compress().0 != bytes {
            return Err(KeyError::NotCanonical);
        }
        if point.is_small_order() {
            return Err(KeyError::SmallOrder);
        }
        if !point.is_torsion_free() {
            return Err(KeyError::TorsionComponent);
        }
        Ok(PublicKey(key))
    }

    /// Parses a `PUBLIC KEY` PEM (SPKI, as `openssl pkey -pubout` writes).
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let der = crate::signing::pem_contents(text, "PUBLIC KEY")?;
        let key = der
            .strip_prefix(&SPKI_PREFIX[..])
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .ok_or(KeyError::NotEd25519("SubjectPublicKeyInfo"))?;
        Self::from_bytes(key)
    }

    /// The `PUBLIC KEY` PEM of this key.
    pub fn to_pem(&self) -> String {
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(self.bytes());
        crate::signing::pem_encode("PUBLIC KEY", der)
    }

    /// The raw 32 bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// SHA-256 of the key bytes: a short, stable name for the key.
    pub fn key_id(&self) -> [u8; 32] {
        sha256(self.bytes())
    }

    /// Verifies `sig` over `msg` by the rule of PROTOCOL.md §12: `S` below the group order,
    /// and `R` byte-equal to the encoding of `[S]B - [k]A` (cofactorless). ring and WebCrypto
    /// apply the same rule; `crates/keys/tests/signature_rule.rs` holds all three to it.
    /// ed25519-dalek, because it keeps the decompressed key and runs about 1.5 times as fast
    /// as ring here (BENCHMARKS.md).
    pub fn verify(&self, msg: &[u8], sig: &[u8; 64]) -> Result<SignatureValid, KeyError> {
        self.0
            .verify(msg, &Signature::from_bytes(sig))
            .map(|()| SignatureValid(()))
            .map_err(|_| KeyError::BadSignature)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(")?;
        for b in self.bytes() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use ring::signature::{ED25519, UnparsedPublicKey};

    use super::*;

    fn h(s: &str) -> [u8; 32] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    /// The small-order encodings listed by libsodium (its `blocklist` in `ge25519_has_small_order`).
    const SMALL_ORDER: [&str; 5] = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];

    #[test]
    fn small_order_keys_are_refused() {
        for k in SMALL_ORDER {
            let r = PublicKey::from_bytes(h(k));
            assert!(
                matches!(r, Err(KeyError::SmallOrder | KeyError::NotCanonical)),
                "{k}: {r:?}"
            );
        }
        // Non-canonical encodings of 0 and 1 (y = p, y = p + 1).
        for k in [
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ] {
            assert!(PublicKey::from_bytes(h(k)).is_err(), "{k}");
        }
    }

    /// The attack the check exists for: ring accepts (R = identity, S = 0) under the identity
    /// key for any message. It must never get that far.
    #[test]
    fn identity_key_forgery_is_blocked_at_registration() {
        let identity = h(SMALL_ORDER[1]);
        let mut forged = [0u8; 64];
        forged[0] = 1; // R = identity point encoding, S = 0
        let raw = UnparsedPublicKey::new(&ED25519, identity);
        assert!(
            raw.verify(b"any message at all", &forged).is_ok(),
            "ring's behaviour changed; revisit SECURITY.md, P14"
        );
        assert_eq!(PublicKey::from_bytes(identity), Err(KeyError::SmallOrder));
    }

    /// PROTOCOL.md §12's `sig.mixed_order_key`: an honest key plus a point of order 8.
    #[test]
    fn keys_with_a_small_order_component_are_refused() {
        let mixed = h("1f4f580e73ac208f06760190e9edc6f5916775dabd9c1cdca393175c2d6d1083");
        assert_eq!(
            PublicKey::from_bytes(mixed),
            Err(KeyError::TorsionComponent)
        );
        let honest = crate::SigningKey::from_seed([7; 32]).public_key();
        assert_eq!(PublicKey::from_bytes(*honest.bytes()), Ok(honest));
    }

    #[test]
    fn pem_round_trip() {
        let k = crate::SigningKey::from_seed([3; 32]).public_key();
        let pem = k.to_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(PublicKey::from_pem(&pem).unwrap(), k);
        assert!(PublicKey::from_pem("garbage").is_err());
    }
}
