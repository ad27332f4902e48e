//! Scenario time as written in an MSEL: an offset from STARTEX, `HH:MM:SS` or whole seconds.
//!
//! Hours may have any number of digits (`0:05:00` is how a spreadsheet formats five minutes;
//! `100:00:00` is a long exercise); minutes and seconds take two digits below 60. Two-part
//! forms (`05:00`) are refused: spreadsheets use them for both `HH:MM` and `MM:SS`, and
//! guessing wrong shifts an inject by a factor of sixty.

pub use crate::defaults::MAX_AT_S;

/// Parses `HH:MM:SS` or a whole number of seconds (surrounding spaces allowed).
pub fn parse_at(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let seconds = if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse::<u64>()
            .map_err(|_| format!("`{t}` is too large"))?
    } else {
        parse_hms(t).ok_or_else(|| {
            format!("`{t}` is not a scenario time: write HH:MM:SS (e.g. 00:05:00) or seconds")
        })?
    };
    check_at(seconds)
}

/// Checks a number of seconds against [`MAX_AT_S`].
pub fn check_at(seconds: u64) -> Result<u64, String> {
    if seconds > MAX_AT_S {
        return Err(format!(
            "{seconds} s is later than the limit of {} (one year)",
            format_at(MAX_AT_S)
        ));
    }
    Ok(seconds)
}

fn parse_hms(t: &str) -> Option<u64> {
    let mut parts = t.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || h.len() > 6 || m.len() != 2 || s.len() != 2 || !digits(m) || !digits(s) {
        return None;
    }
    let (h, m, s): (u64, u64, u64) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    (m < 60 && s < 60).then_some(h * 3600 + m * 60 + s)
}

/// Writes seconds as `HH:MM:SS` (more hour digits when needed).
pub fn format_at(seconds: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse() {
        assert_eq!(parse_at("00:05:00"), Ok(300));
        assert_eq!(parse_at("0:05:00"), Ok(300));
        assert_eq!(parse_at(" 01:59:59 "), Ok(7199));
        assert_eq!(parse_at("300"), Ok(300));
        assert_eq!(parse_at("100:00:00"), Ok(360_000));
        for bad in [
            "",
            "05:00",
            "00:60:00",
            "00:00:60",
            "1:2:3",
            "-5",
            "1.5",
            "a:bc:de",
            "00:05:00:00",
        ] {
            assert!(parse_at(bad).is_err(), "{bad:?}");
        }
        assert!(parse_at("99999999999999999999999").is_err());
        assert!(parse_at(&(MAX_AT_S + 1).to_string()).is_err());
    }

    #[test]
    fn times_format_and_round_trip() {
        assert_eq!(format_at(0), "00:00:00");
        assert_eq!(format_at(7199), "01:59:59");
        assert_eq!(format_at(360_000), "100:00:00");
        for s in [0, 59, 60, 3599, 3600, 86_399, MAX_AT_S] {
            assert_eq!(parse_at(&format_at(s)), Ok(s));
        }
    }
}
