/// Why a key could not be loaded or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not PEM, or its label is not the one expected.
    #[error("not a PEM {expected} document: {reason}")]
    Pem {
        /// The label expected, e.g. `PRIVATE KEY`.
        expected: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The DER inside is not an Ed25519 PKCS#8 (v1 or v2) or SPKI document.
    #[error("not an Ed25519 {0} document")]
    NotEd25519(&'static str),
    /// A PKCS#8 v2 document whose embedded public key does not match its private key.
    #[error("the public key inside the PKCS#8 document does not match its private key")]
    Inconsistent,
    /// The 32 bytes are not the canonical encoding of a curve point.
    #[error("public key is not a canonical Ed25519 point encoding")]
    NotCanonical,
    /// The point has small order: signatures under it can be forged for any message.
    #[error("public key has small order (a forged signature would verify for any message)")]
    SmallOrder,
    /// The point has a small-order component: no honest key has one, and signatures under it
    /// verify or not depending on the message hash.
    #[error("public key is not in the prime-order subgroup (it has a small-order component)")]
    TorsionComponent,
    /// A signature did not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Rng,
}
