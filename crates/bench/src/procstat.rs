//! CPU time and resident memory of a process, from `/proc/PID/stat` and `/proc/PID/status`.

/// Kernel clock ticks per second (`USER_HZ`): 100 on every Linux the relay runs on.
const TICKS_PER_S: f64 = 100.0;

/// One reading.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sample {
    /// User + system CPU seconds so far.
    pub cpu_s: f64,
    /// Resident set size, bytes.
    pub rss_bytes: u64,
}

/// Reads process `pid` (`None`: this process).
pub fn sample(pid: Option<u32>) -> Option<Sample> {
    let dir = pid.map_or_else(|| "/proc/self".to_owned(), |p| format!("/proc/{p}"));
    let stat = std::fs::read_to_string(format!("{dir}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("{dir}/status")).ok()?;
    let rss_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(Sample {
        cpu_s: (utime + stime) / TICKS_PER_S,
        rss_bytes: rss_kb * 1024,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_process() {
        let s = super::sample(None).expect("/proc/self");
        assert!(s.rss_bytes > 0);
        assert!(s.cpu_s >= 0.0);
        assert_eq!(super::sample(Some(u32::MAX)), None);
    }
}
