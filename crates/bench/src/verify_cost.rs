//! The cost of one Ed25519 verification on this machine, measured in the same run as the load,
//! so that the relay's CPU per act can be compared with "the floor plus one verification"
//! without mixing figures taken at different times on a shared machine.

use std::time::{Duration, Instant};

use fusioncell_keys::{KeyError, SigningKey};

/// A message about the size of a signed act's canonical bytes.
const MESSAGE: [u8; 160] = [0x5a; 160];

/// Median µs of one verification (the project's verifier), over `rounds` rounds of about
/// `per_round` each, on the calling thread.
pub fn verify_us(rounds: usize, per_round: Duration) -> Result<f64, KeyError> {
    let key = SigningKey::generate()?;
    let public = key.public_key();
    let sig = key.sign(&MESSAGE);
    let mut per_round_us = Vec::with_capacity(rounds.max(1));
    for _ in 0..rounds.max(1) {
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < per_round || n == 0 {
            public.verify(std::hint::black_box(&MESSAGE), &sig)?;
            n += 1;
        }
        per_round_us.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(n));
    }
    per_round_us.sort_by(f64::total_cmp);
    Ok(per_round_us[per_round_us.len() / 2])
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_verification_takes_a_positive_time() {
        let us = super::verify_us(1, std::time::Duration::from_millis(5)).unwrap();
        assert!(us > 0.0 && us.is_finite());
    }
}
