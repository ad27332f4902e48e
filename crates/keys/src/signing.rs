//! Private keys: generation, PKCS#8 PEM in and out, signing.
//!
//! Keys are written as PKCS#8 **v1** (RFC 8410), exactly what `openssl genpkey -algorithm
//! ed25519` writes, because Chromium's WebCrypto rejects the v2 documents ring generates and
//! ring's strict loader rejects v1 (SECURITY.md, P13). On input, v1 and v2 are accepted; a v2
//! document's embedded public key must match the private key.

use std::fmt;

use ring::signature::{Ed25519KeyPair, KeyPair};

use crate::KeyError;
use crate::public::PublicKey;

/// DER prefix of an Ed25519 PKCS#8 v1 document: the 32-byte seed follows (48 bytes total).
const PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// DER of an Ed25519 PKCS#8 v2 document after its outer length byte, up to the seed.
const PKCS8_V2_BODY_PREFIX: [u8; 14] = [
    0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// What sits between the seed and the public key in a v2 document: ring writes the public key
/// as `[1] IMPLICIT BIT STRING`, other encoders as `[1] { BIT STRING }`.
const PKCS8_V2_PUBLIC_TAGS: [&[u8]; 2] = [&[0x81, 0x21, 0x00], &[0xa1, 0x23, 0x03, 0x21, 0x00]];

/// An Ed25519 private key.
pub struct SigningKey {
    seed: [u8; 32],
    pair: Ed25519KeyPair,
    public: PublicKey,
}

impl SigningKey {
    /// A new key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, KeyError> {
        Ok(Self::from_seed(crate::random_nonce()?))
    }

    /// The key with this 32-byte seed (RFC 8032 private key).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed)
            .unwrap_or_else(|_| unreachable!("ring accepts every 32-byte seed"));
        let mut pk = [0u8; 32];
        pk.copy_from_slice(pair.public_key().as_ref());
        // A public key derived from a seed is a clamped scalar times the base point: never of
        // small order, always canonical.
        let public = PublicKey::from_bytes(pk)
            .unwrap_or_else(|_| unreachable!("derived public keys have large order"));
        SigningKey { seed, pair, public }
    }

    /// Parses a `PRIVATE KEY` PEM (PKCS#8 v1 or v2, Ed25519).
    pub fn from_pkcs8_pem(text: &str) -> Result<Self, KeyError> {
        let der = pem_contents(text, "PRIVATE KEY")?;
        Self::from_pkcs8_der(&der)
    }

    /// Parses PKCS#8 DER (v1 or v2, Ed25519).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let seed_of = |prefix: &[u8; 16]| -> Option<[u8; 32]> {
            der.strip_prefix(&prefix[..])
                .and_then(|rest| rest.get(..32))
                .and_then(|s| s.try_into().ok())
        };
        if der.len() == 48
            && let Some(seed) = seed_of(&PKCS8_V1_PREFIX)
        {
            return Ok(Self::from_seed(seed));
        }
        // v2: SEQUENCE (short length covering the rest), version 1, algorithm, seed, public key.
        let v2_seed = match der {
            [0x30, len, rest @ ..] if usize::from(*len) == rest.len() => rest
                .strip_prefix(&PKCS8_V2_BODY_PREFIX[..])
                .filter(|r| r.len() >= 32)
                .map(|r| r.split_at(32)),
            _ => None,
        };
        if let Some((seed, tail)) = v2_seed {
            let embedded = PKCS8_V2_PUBLIC_TAGS
                .iter()
                .find_map(|tag| tail.strip_prefix(*tag))
                .filter(|pk| pk.len() == 32)
                .ok_or(KeyError::NotEd25519("PKCS#8"))?;
            let seed: [u8; 32] = seed
                .try_into()
                .map_err(|_| KeyError::NotEd25519("PKCS#8"))?;
            let key = Self::from_seed(seed);
            if embedded != key.public.bytes() {
                return Err(KeyError::Inconsistent);
            }
            return Ok(key);
        }
        Err(KeyError::NotEd25519("PKCS#8"))
    }

    /// The PKCS#8 v1 DER document.
    pub fn to_pkcs8_der(&self) -> Vec<u8> {
        let mut der = PKCS8_V1_PREFIX.to_vec();
        der.extend_from_slice(&self.seed);
        der
    }

    /// The `PRIVATE KEY` PEM (PKCS#8 v1). Whoever writes it to disk must use mode 0600.
    pub fn to_pkcs8_pem(&self) -> String {
        crate::signing::pem_encode("PRIVATE KEY", self.to_pkcs8_der())
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// Signs `msg` (deterministic, RFC 8032).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(msg).as_ref());
        out
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the seed.
        write!(f, "SigningKey({:?})", self.public)
    }
}

/// A PEM document with Unix line endings (as OpenSSL writes them).
pub(crate) fn pem_encode(label: &str, der: Vec<u8>) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(label, der), config)
}

/// The DER inside a PEM document with the given label.
pub(crate) fn pem_contents(text: &str, label: &'static str) -> Result<Vec<u8>, KeyError> {
    let doc = pem::parse(text).map_err(|e| KeyError::Pem {
        expected: label,
        reason: e.to_string(),
    })?;
    if doc.tag() != label {
        return Err(KeyError::Pem {
            expected: label,
            reason: format!("found `{}`", doc.tag()),
        });
    }
    Ok(doc.into_contents())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written by `openssl genpkey -algorithm ed25519` (OpenSSL 3.0).
    const OPENSSL_KEY: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJbw4n4WB8wWwB/Hk7fs+cgBVUMdb5jAPlfY6MjLoPc0
-----END PRIVATE KEY-----
";

    #[test]
    fn loads_openssl_v1() {
        let k = SigningKey::from_pkcs8_pem(OPENSSL_KEY).unwrap();
        // And writes the same document back.
        assert_eq!(k.to_pkcs8_pem(), OPENSSL_KEY);
    }

    #[test]
    fn loads_ring_v2_and_checks_consistency() {
        let rng = ring::rand::SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
        let k = SigningKey::from_pkcs8_der(doc.as_ref()).unwrap();
        assert_eq!(k.public_key().bytes()[..], pair.public_key().as_ref()[..]);

        let mut tampered = doc.as_ref().to_vec();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            SigningKey::from_pkcs8_der(&tampered).unwrap_err(),
            KeyError::Inconsistent
        );
    }

    #[test]
    fn refuses_other_documents() {
        assert!(SigningKey::from_pkcs8_der(&[0x30, 0x00]).is_err());
        let public_pem = SigningKey::from_seed([1; 32]).public_key().to_pem();
        assert!(matches!(
            SigningKey::from_pkcs8_pem(&public_pem),
            Err(KeyError::Pem { .. })
        ));
    }

    #[test]
    fn sign_and_verify() {
        let k = SigningKey::generate().unwrap();
        let sig = k.sign(b"hello");
        assert!(k.public_key().verify(b"hello", &sig).is_ok());
        assert!(k.public_key().verify(b"hellp", &sig).is_err());
        let mut bad = sig;
        bad[10] ^= 0x40;
        assert!(k.public_key().verify(b"hello", &bad).is_err());
    }

    /// RFC 8032 §7.1 test 1.
    #[test]
    fn rfc8032_vector() {
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let k = SigningKey::from_seed(seed);
        assert_eq!(
            hex::encode(k.public_key().bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            hex::encode(k.sign(b"")),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }
}
