//! How a bot keeps from sounding like a script: it picks among a rule's wordings, never posts
//! a near-duplicate of what it recently said on a channel, and varies its delays. All of it is
//! drawn from a seeded generator, so a rehearsal replays exactly with the same seed.

use std::collections::BTreeSet;

/// Delays vary by up to this share of `after_s`, either way (people do not answer on a beat).
pub const JITTER_PERCENT: u64 = 25;

/// Two texts whose word sets overlap at least this much (Jaccard index, in percent) are
/// near-duplicates: the same answer with a word or two changed reads as a copy.
pub const NEAR_DUPLICATE_PERCENT: usize = 80;

/// A small deterministic generator (SplitMix64): statistical quality is ample for choosing
/// wordings and delays, and it needs no dependency.
#[derive(Debug, Clone)]
pub struct Variation {
    state: u64,
}

impl Variation {
    /// A generator that always draws the same sequence from `seed`.
    pub fn seeded(seed: u64) -> Variation {
        Variation { state: seed }
    }

    /// A seed derived from a name (FNV-1a), so each bot varies differently but reproducibly.
    pub fn seed_of(name: &str) -> u64 {
        name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // n is small (a handful of wordings): the modulo bias is negligible.
        (self.next() % n as u64) as usize
    }

    /// `after_s` moved by up to [`JITTER_PERCENT`] either way.
    pub fn jitter_s(&mut self, after_s: u64) -> u64 {
        let spread = after_s.saturating_mul(JITTER_PERCENT) / 100;
        if spread == 0 {
            return after_s;
        }
        let offset = self.next() % (2 * spread + 1);
        after_s.saturating_sub(spread).saturating_add(offset)
    }
}

/// The lowercase words of a text, punctuation dropped.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether two texts say the same thing in nearly the same words.
pub fn near_duplicate(a: &str, b: &str) -> bool {
    let (a, b) = (words(a), words(b));
    let union = a.union(&b).count();
    if union == 0 {
        return true;
    }
    a.intersection(&b).count() * 100 >= union * NEAR_DUPLICATE_PERCENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_sequence() {
        let mut a = Variation::seeded(Variation::seed_of("israel"));
        let mut b = Variation::seeded(Variation::seed_of("israel"));
        let draws: Vec<usize> = (0..20).map(|_| a.below(5)).collect();
        assert_eq!(draws, (0..20).map(|_| b.below(5)).collect::<Vec<_>>());
        assert!(draws.iter().any(|d| *d != draws[0]), "it varies: {draws:?}");
        assert_ne!(Variation::seed_of("israel"), Variation::seed_of("syria"));
    }

    #[test]
    fn jitter_stays_within_a_quarter_and_varies() {
        let mut v = Variation::seeded(7);
        let delays: BTreeSet<u64> = (0..200).map(|_| v.jitter_s(120)).collect();
        assert!(delays.iter().all(|d| (90..=150).contains(d)), "{delays:?}");
        assert!(delays.len() > 10, "{delays:?}");
        assert_eq!(v.jitter_s(0), 0);
        assert_eq!(v.jitter_s(3), 3, "too short to vary");
        assert!(v.jitter_s(u64::MAX) >= u64::MAX - u64::MAX / 4 - 1);
    }

    #[test]
    fn near_duplicates_are_recognised() {
        let a = "The Israeli delegation confirms the record of the session.";
        assert!(near_duplicate(a, a));
        assert!(near_duplicate(
            a,
            "the israeli delegation confirms the record of the session"
        ));
        assert!(near_duplicate(
            "Hotline test from the Israeli delegation. Please acknowledge.",
            "Hotline test from the Israeli delegation, please acknowledge!"
        ));
        assert!(!near_duplicate(
            a,
            "Confirmed: the Israeli delegation has no amendment to the record."
        ));
        assert!(!near_duplicate("Yes.", "No."));
    }
}
