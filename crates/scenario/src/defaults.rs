//! The scenario crate's limits, each with the reason for its value. They bound what a
//! scenario or persona file may ask for, so that a typo is refused where it is written instead
//! of surfacing hours into an exercise.

/// The latest scenario time accepted: one year. Later is a typo, and the bound keeps every
/// millisecond computation far from overflow.
pub const MAX_AT_S: u64 = 366 * 24 * 3600;

/// The largest default speed accepted: a scenario day per real second. Anything faster is a
/// typo, and the bound keeps clock arithmetic far from overflow.
pub const MAX_SPEED: u32 = 86_400;

/// The longest delay a persona rule may ask for: a scenario day. Longer is a typo.
pub const MAX_AFTER_S: u64 = 86_400;
