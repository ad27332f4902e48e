//! Ed25519 identities for fusioncell: signing on ring; verification on ed25519-dalek (the
//! public key decompressed once; about 1.5 times ring's speed), by the rule of PROTOCOL.md §12.
//!
//! Files in flow order:
//! - [`signing`]: a private key: generate, load and write PKCS#8 **v1** PEM (the form OpenSSL
//!   writes and WebCrypto imports), sign;
//! - [`public`]: a validated public key: small-order, mixed-order and non-canonical encodings
//!   are refused (ring would accept a forged signature from the identity point, SECURITY.md,
//!   P14), and [`PublicKey::verify`] returns a [`SignatureValid`] proof;
//! - [`digest`]: SHA-256 and fresh random nonces.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod digest;
mod error;
pub mod public;
pub mod signing;

pub use digest::{random_nonce, sha256};
pub use error::KeyError;
pub use public::{PublicKey, SignatureValid};
pub use signing::SigningKey;
