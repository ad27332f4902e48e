//! Which side of a run was the limit: the server, the load generator driving it, or the
//! rest of the machine.
//!
//! A load generator that runs out of CPU stops pushing before the server does, and the server
//! then looks slower and costlier per message than it is (fewer frames per write, more
//! wake-ups per message). Such a run measures the generator, so it is flagged and not quoted.
//! So is a run during which other processes used a noticeable share of the machine (the
//! process time from `/proc/stat` minus the server's and the generator's), or the hypervisor
//! took one (steal): they take CPU from one side or the other, and the figures then measure
//! the contention. Interrupt time is not held against a run: no process is charged for it,
//! and most of it is the run's own sockets and disk.

use serde::Serialize;

/// The share of the generator's cores above which it is taken to be saturated.
pub const SATURATED: f64 = 0.9;
/// CPU used by other processes, in cores, above which the run is taken to be contended.
pub const CONTENDED: f64 = 0.1;
/// CPU taken by the hypervisor, in cores, above which the run is taken to be contended. Higher
/// than [`CONTENDED`]: a run that fsyncs thousands of times a second has some taken for its
/// own disk requests (0.07–0.09 cores in the 20-publisher runs here, 0.02 without fsync).
pub const STOLEN: f64 = 0.25;

/// What one run used, in cores (1.0 = one core busy for the whole run).
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// The server's CPU while publishing.
    pub server_cores: f64,
    /// The load generator's own CPU over the same interval.
    pub load_cores: f64,
    /// What other processes used over the same interval, in cores.
    pub others_cores: f64,
    /// What the hypervisor took from the machine's CPUs over the same interval, in cores.
    pub steal_cores: f64,
    /// Cores the load generator may fairly use: the CPUs it is pinned to, or, unpinned, its
    /// share of the machine it shares with the server (half of it).
    pub load_budget: f64,
    /// Whether publishers send as fast as the server takes (a paced run has no bottleneck by
    /// design as long as the generator keeps its pace).
    pub full_speed: bool,
}

/// Why a run cannot be quoted as the server's figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LoadBound {
    /// Other processes used at least [`CONTENDED`] cores during the run.
    Contended {
        /// Their CPU, in cores.
        others_cores: f64,
    },
    /// The hypervisor took at least [`STOLEN`] cores during the run.
    Stolen {
        /// Its steal time, in cores.
        steal_cores: f64,
    },
    /// The generator used at least [`SATURATED`] of the cores it may use.
    GeneratorSaturated {
        /// Its CPU, in cores.
        load_cores: f64,
        /// The cores it may use.
        budget: f64,
    },
    /// At full speed, the server sat below one core while the generator used more CPU than
    /// it: the server was waiting for work.
    ServerWaiting {
        /// The server's CPU, in cores.
        server_cores: f64,
        /// The generator's CPU, in cores.
        load_cores: f64,
    },
}

impl std::fmt::Display for LoadBound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadBound::Contended { others_cores } => write!(
                f,
                "other processes used {others_cores:.2} cores during the run: the machine was busy with other work"
            ),
            LoadBound::Stolen { steal_cores } => write!(
                f,
                "the hypervisor took {steal_cores:.2} cores of this machine's CPUs during the run (steal)"
            ),
            LoadBound::GeneratorSaturated { load_cores, budget } => write!(
                f,
                "the load generator used {load_cores:.2} of the {budget:.2} cores it may use: it, not the server, was the limit"
            ),
            LoadBound::ServerWaiting {
                server_cores,
                load_cores,
            } => write!(
                f,
                "the server used {server_cores:.2} cores and the load generator {load_cores:.2}: the server was waiting for load"
            ),
        }
    }
}

/// `Some` when the load generator, not the server, limited the run.
pub fn load_bound(u: Usage) -> Option<LoadBound> {
    if u.others_cores >= CONTENDED {
        return Some(LoadBound::Contended {
            others_cores: u.others_cores,
        });
    }
    if u.steal_cores >= STOLEN {
        return Some(LoadBound::Stolen {
            steal_cores: u.steal_cores,
        });
    }
    if u.load_cores >= SATURATED * u.load_budget {
        return Some(LoadBound::GeneratorSaturated {
            load_cores: u.load_cores,
            budget: u.load_budget,
        });
    }
    if u.full_speed && u.server_cores < 1.0 && u.load_cores > u.server_cores {
        return Some(LoadBound::ServerWaiting {
            server_cores: u.server_cores,
            load_cores: u.load_cores,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(server_cores: f64, load_cores: f64, full_speed: bool) -> Usage {
        Usage {
            server_cores,
            load_cores,
            others_cores: 0.0,
            steal_cores: 0.0,
            load_budget: 1.0,
            full_speed,
        }
    }

    #[test]
    fn a_saturated_generator_is_the_bottleneck_whatever_the_server_did() {
        // The floor run the neutral measurement caught: generator 1.03 cores, floor 0.60.
        assert!(matches!(
            load_bound(usage(0.60, 1.03, true)),
            Some(LoadBound::GeneratorSaturated { .. })
        ));
        assert!(load_bound(usage(1.0, 0.95, true)).is_some());
        assert!(load_bound(usage(0.1, 0.95, false)).is_some());
    }

    #[test]
    fn a_server_below_one_core_under_a_busier_generator_was_waiting() {
        assert_eq!(
            load_bound(usage(0.70, 0.85, true)),
            Some(LoadBound::ServerWaiting {
                server_cores: 0.70,
                load_cores: 0.85
            })
        );
        // Paced: the server is meant to idle, and the generator kept its pace.
        assert_eq!(load_bound(usage(0.10, 0.40, false)), None);
    }

    #[test]
    fn cpu_taken_by_other_processes_makes_any_run_unquotable() {
        // The run at load average 10: the relay got 0.24 cores.
        let busy = Usage {
            others_cores: 1.4,
            ..usage(0.24, 0.19, true)
        };
        assert_eq!(
            load_bound(busy),
            Some(LoadBound::Contended { others_cores: 1.4 })
        );
        let quiet = Usage {
            others_cores: 0.05,
            ..usage(1.0, 0.5, true)
        };
        assert_eq!(load_bound(quiet), None);
        // Steal: some is the run's own disk requests; much is another guest's.
        let own_fsyncs = Usage {
            steal_cores: 0.09,
            ..usage(1.0, 0.5, true)
        };
        assert_eq!(load_bound(own_fsyncs), None);
        let taken = Usage {
            steal_cores: 0.4,
            ..usage(1.0, 0.5, true)
        };
        assert_eq!(
            load_bound(taken),
            Some(LoadBound::Stolen { steal_cores: 0.4 })
        );
    }

    #[test]
    fn a_busy_server_under_a_lighter_generator_is_quotable() {
        assert_eq!(load_bound(usage(1.0, 0.86, true)), None);
        assert_eq!(load_bound(usage(0.95, 0.60, true)), None);
        // Two cores for the generator: 1.5 of them is not saturation.
        let wide = Usage {
            load_budget: 2.0,
            ..usage(1.0, 1.5, true)
        };
        assert_eq!(load_bound(wide), None);
    }
}
