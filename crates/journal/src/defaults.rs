//! The journal's tuning constants, each with the reason for its value.

/// Lines per worker thread in one scan batch: large enough that spawning is noise (a few
/// microseconds against milliseconds of signatures), small enough for a lively progress bar.
pub(crate) const LINES_PER_THREAD: usize = 512;

/// A scan batch also ends at this many bytes, bounding memory when bodies are large.
pub(crate) const BATCH_BYTES: usize = 8 << 20;
