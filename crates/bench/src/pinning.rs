//! Keeping the server and the load generator off each other's cores. On a small machine they
//! otherwise steal CPU from each other, and the server's figures then depend on how hard the
//! generator happened to push. `taskset` (util-linux) does the pinning: the server is started
//! under `taskset -c CPU`, and the generator pins every thread of its own process to the other
//! CPUs with `taskset -a -p -c LIST PID` (threads it starts later inherit the mask).

use std::process::Command;

/// Pinning failed.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// No CPU is left for the load generator.
    #[error("--pin {server}: this machine has {cpus} CPU(s), none left for the load generator")]
    NoCpuLeft {
        /// The server's CPU.
        server: u32,
        /// Online CPUs.
        cpus: usize,
    },
    /// `taskset` could not run or refused.
    #[error("taskset -a -p -c {cpus} {pid}: {reason}")]
    Taskset {
        /// The CPU list.
        cpus: String,
        /// The process.
        pid: u32,
        /// Why.
        reason: String,
    },
}

/// The CPUs of this machine other than `server`, as a `taskset` list (`1`, `0,2,3`).
pub fn other_cpus(server: u32) -> Result<String, PinError> {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let rest: Vec<String> = (0..u32::try_from(cpus).unwrap_or(u32::MAX))
        .filter(|c| *c != server)
        .map(|c| c.to_string())
        .collect();
    if rest.is_empty() {
        return Err(PinError::NoCpuLeft { server, cpus });
    }
    Ok(rest.join(","))
}

/// Pins every thread of process `pid` to `cpus` (a `taskset` list).
pub fn pin_process(pid: u32, cpus: &str) -> Result<(), PinError> {
    let err = |reason: String| PinError::Taskset {
        cpus: cpus.to_owned(),
        pid,
        reason,
    };
    let out = Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &pid.to_string()])
        .output()
        .map_err(|e| err(e.to_string()))?;
    if !out.status.success() {
        return Err(err(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_gets_every_cpu_but_the_servers() {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        match other_cpus(0) {
            Ok(list) => {
                assert_eq!(list.split(',').count(), cpus - 1);
                assert!(!list.split(',').any(|c| c == "0"));
            }
            Err(e) => assert_eq!(cpus, 1, "{e}"),
        }
    }

    #[test]
    fn taskset_refusing_is_an_error_naming_the_process() {
        let e = pin_process(u32::MAX, "0").unwrap_err();
        assert!(e.to_string().contains(&u32::MAX.to_string()), "{e}");
    }
}
