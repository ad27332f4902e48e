//! The body of every benchmark message: `b` + publisher (6 digits) + `.` + sequence number
//! (12 digits) + `.` + send time (20 digits, ns since this process's bench clock started) +
//! `.`, padded with `x` to the requested size. Only JSON-safe ASCII, so it appears verbatim
//! inside the relay's `deliver` frame and a subscriber finds it without parsing the JSON.

use std::sync::OnceLock;
use std::time::Instant;

/// Length of the header; bodies are at least this long.
pub const HEADER: usize = 42;

/// The send time in the body of an act signed before it was sent: its publisher notes the
/// time apart.
pub const UNSTAMPED: u64 = u64::MAX;

/// What a body says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// Publisher index.
    pub publisher: u32,
    /// Publisher's message number, from 0.
    pub seq: u64,
    /// Send time, ns on [`now_ns`]'s clock.
    pub sent_ns: u64,
}

/// Nanoseconds since the bench clock started (monotonic, one clock for the whole process).
pub fn now_ns() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The body for `mark`, `size` bytes long (or [`HEADER`] if `size` is smaller).
pub fn encode(mark: Mark, size: usize) -> String {
    let mut s = format!(
        "b{:06}.{:012}.{:020}.",
        mark.publisher % 1_000_000,
        mark.seq,
        mark.sent_ns
    );
    if size > s.len() {
        s.extend(std::iter::repeat_n('x', size - s.len()));
    }
    s
}

/// Reads a body's header (the body itself, or any text that contains it after `"body":"`).
pub fn decode(text: &str) -> Option<Mark> {
    static BODY: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    let start = if text.starts_with('b') {
        0
    } else {
        let finder = BODY.get_or_init(|| memchr::memmem::Finder::new(b"\"body\":\"b"));
        finder.find(text.as_bytes())? + 8
    };
    let h = text.get(start..start + HEADER)?.as_bytes();
    if h[0] != b'b' || h[7] != b'.' || h[20] != b'.' || h[41] != b'.' {
        return None;
    }
    Some(Mark {
        publisher: u32::try_from(digits(&h[1..7])?).ok()?,
        seq: digits(&h[8..20])?,
        sent_ns: digits(&h[21..41])?,
    })
}

fn digits(d: &[u8]) -> Option<u64> {
    d.iter().try_fold(0u64, |acc, &c| {
        c.is_ascii_digit()
            .then(|| acc.wrapping_mul(10).wrapping_add(u64::from(c - b'0')))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_plain_and_inside_json() {
        let mark = Mark {
            publisher: 17,
            seq: 123_456,
            sent_ns: 98_765_432_100,
        };
        let body = encode(mark, 256);
        assert_eq!(body.len(), 256);
        assert_eq!(decode(&body), Some(mark));
        let frame =
            format!(r#"{{"type":"deliver","record":{{"seq":9,"body":"{body}","sig":"x"}}}}"#);
        assert_eq!(decode(&frame), Some(mark));
        assert_eq!(encode(mark, 10).len(), HEADER);
        assert_eq!(decode("hello"), None);
        assert_eq!(decode(r#"{"body":"bad"}"#), None);
    }
}
