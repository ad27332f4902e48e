//! CPU time and resident memory of a process, from `/proc/PID/stat` and `/proc/PID/status`,
//! and the whole machine's busy CPU time, from `/proc/stat`.

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

/// Seconds every CPU of the machine together spent so far, by what it did.
#[derive(Debug, Clone, Copy, Default)]
pub struct MachineTime {
    /// Running processes and kernel threads (user, nice, system).
    pub processes_s: f64,
    /// Handling interrupts (irq, softirq). No process is charged for it, and much of it is
    /// the run's own traffic: on loopback, the receiving side of every TCP segment.
    pub interrupts_s: f64,
    /// Taken by the hypervisor from this machine's CPUs (steal): other guests, and the
    /// host's handling of this guest's own disk and network requests.
    pub steal_s: f64,
}

/// The machine's CPU time so far, from the first line of `/proc/stat` (idle and iowait are
/// not counted; guest time is inside user already).
pub fn machine_time() -> Option<MachineTime> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let all = stat.lines().next()?.strip_prefix("cpu ")?;
    let ticks: Vec<f64> = all
        .split_whitespace()
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal
    let sum = |columns: &[usize]| -> f64 {
        columns.iter().filter_map(|i| ticks.get(*i)).sum::<f64>() / TICKS_PER_S
    };
    Some(MachineTime {
        processes_s: sum(&[0, 1, 2]),
        interrupts_s: sum(&[5, 6]),
        steal_s: sum(&[7]),
    })
}

impl std::ops::Sub for MachineTime {
    type Output = MachineTime;
    fn sub(self, earlier: MachineTime) -> MachineTime {
        MachineTime {
            processes_s: self.processes_s - earlier.processes_s,
            interrupts_s: self.interrupts_s - earlier.interrupts_s,
            steal_s: self.steal_s - earlier.steal_s,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_process() {
        let s = super::sample(None).expect("/proc/self");
        assert!(s.rss_bytes > 0);
        assert!(s.cpu_s >= 0.0);
        assert_eq!(super::sample(Some(u32::MAX)), None);
        let machine = super::machine_time().expect("/proc/stat");
        assert!(
            machine.processes_s >= s.cpu_s,
            "processes ran at least while this one did"
        );
        assert!(machine.interrupts_s >= 0.0 && machine.steal_s >= 0.0);
    }
}
