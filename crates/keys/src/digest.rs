//! Hashing and randomness.

use ring::rand::{SecureRandom, SystemRandom};

use crate::KeyError;

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// 32 bytes from the operating system's CSPRNG, for login challenges.
pub fn random_nonce() -> Result<[u8; 32], KeyError> {
    let mut out = [0u8; 32];
    SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| KeyError::Rng)?;
    Ok(out)
}
