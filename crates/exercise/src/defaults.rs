//! The timings of control and bots, each with the reason for its value.

use std::time::Duration;

/// How often a bot looks at the clock for due actions: a tenth of a second is below what a
/// reader notices, and a bot's clock reads are cheap.
pub const BOT_TICK: Duration = Duration::from_millis(100);

/// The longest control sleeps between looks at the clock: a state frame may change the speed
/// or phase meanwhile, and control must not miss that by more than a second.
pub const CONTROL_MAX_WAKE: Duration = Duration::from_secs(1);

/// The shortest control sleeps when an inject is due (or overdue), so that it waits a little
/// for the relay's clock instead of spinning.
pub const CONTROL_MIN_WAKE: Duration = Duration::from_millis(5);
