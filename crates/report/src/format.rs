//! Times and durations as the report writes them: scenario time `HH:MM:SS`, relay time in
//! UTC (RFC 3339), durations in the largest sensible unit, and medians.

use fusioncell_scenario::time::format_at;

/// Scenario time, `HH:MM:SS` from STARTEX.
pub fn scenario_time(ms: u64) -> String {
    format_at(ms / 1000)
}

/// Scenario time, or `pre-STARTEX` for a record before the clock started.
pub fn opt_scenario_time(ms: Option<u64>) -> String {
    ms.map_or_else(|| "pre-STARTEX".to_owned(), scenario_time)
}

/// A duration: `850 ms`, `12.4 s`, `3 min 05 s`, `2 h 05 min`.
pub fn duration(ms: i64) -> String {
    if ms < 0 {
        return format!("-{}", duration(ms.saturating_neg()));
    }
    let s = ms / 1000;
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if s < 3600 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{} h {:02} min", s / 3600, s / 60 % 60)
    }
}

/// A scenario-time duration (never negative).
pub fn scenario_duration(ms: u64) -> String {
    duration(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// Milliseconds in a UTC day (no leap seconds in Unix time).
const DAY_MS: i64 = 86_400_000;

/// Relay time as RFC 3339 UTC with milliseconds: `2026-11-26T14:55:06.362Z`.
pub fn rfc3339(ts_ms: i64) -> String {
    let (y, m, d) = civil_from_days(ts_ms.div_euclid(DAY_MS));
    format!(
        "{y:04}-{m:02}-{d:02}T{}.{:03}Z",
        time_of_day(ts_ms),
        ts_ms.rem_euclid(1000)
    )
}

/// Relay time of day to the second, marked UTC: `14:55:06Z` (the console's record lines).
pub fn utc_hms(ts_ms: i64) -> String {
    format!("{}Z", time_of_day(ts_ms))
}

/// `HH:MM:SS` of the UTC day a millisecond timestamp falls in.
fn time_of_day(ts_ms: i64) -> String {
    let seconds = ts_ms.rem_euclid(DAY_MS) / 1000;
    format_at(u64::try_from(seconds).unwrap_or_default())
}

/// Relay time for people: `2026-11-26 14:55:06 UTC`.
pub fn utc(ts_ms: i64) -> String {
    let t = rfc3339(ts_ms);
    format!("{} {} UTC", &t[..10], &t[11..19])
}

/// Relay time of day: `14:55:06.362`.
pub fn clock_time(ts_ms: i64) -> String {
    rfc3339(ts_ms)[11..23].to_owned()
}

/// Year, month, day of a day count from 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The median (the mean of the two middle values for an even count); `None` when empty.
pub fn median(values: &[i64]) -> Option<i64> {
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some(v[n / 2 - 1] / 2 + v[n / 2] / 2 + (v[n / 2 - 1] % 2 + v[n / 2] % 2) / 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_764_115_200_123), "2025-11-26T00:00:00.123Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(utc(1_764_115_200_123), "2025-11-26 00:00:00 UTC");
        assert_eq!(clock_time(1_764_115_201_123), "00:00:01.123");
        assert_eq!(utc_hms(1_764_168_906_362), "14:55:06Z");
        assert_eq!(utc_hms(-1), "23:59:59Z");
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(12_400), "12.4 s");
        assert_eq!(duration(185_000), "3 min 05 s");
        assert_eq!(duration(7_500_000), "2 h 05 min");
        assert_eq!(duration(-1500), "-1.5 s");
        assert_eq!(scenario_time(3_723_000), "01:02:03");
        assert_eq!(opt_scenario_time(None), "pre-STARTEX");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5));
        assert_eq!(median(&[9, 1, 5]), Some(5));
        assert_eq!(median(&[4, 1, 2, 3]), Some(2));
        assert_eq!(median(&[3, 5]), Some(4));
        assert_eq!(median(&[i64::MAX, i64::MAX]), Some(i64::MAX));
    }
}
