//! Standard output that a closed pipe cannot crash (`fusioncell audit verify DIR | head -1`).
//!
//! `println!` panics when its reader has gone away; every command writes through [`line()`] (or
//! the [`outln!`](crate::outln) macro, which returns the error with `?`) instead. A closed pipe
//! becomes a [`StdoutClosed`] error that `main` turns into a quiet exit with status 141, the
//! status of a process stopped by `SIGPIPE` (128 + 13), as `yes | head -1` reports: the output
//! was cut short, so it is not reported as a success. No signal disposition is changed (the
//! workspace forbids `unsafe`).

use std::fmt;
use std::io::{self, Write as _};

/// The exit status after standard output was closed by its reader.
pub const CLOSED_STATUS: u8 = 141;

/// Standard output's reader went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("standard output was closed")]
pub struct StdoutClosed;

/// Writes `args` and a newline to standard output.
pub fn line(args: fmt::Arguments<'_>) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(mark)
}

/// Writes `text` to standard output as it is and flushes it.
pub fn text(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(mark)
}

/// Writes `text` to the file `to`, or to standard output when `to` is absent or `-` (as Unix
/// tools read it). Returns the file written, if any.
pub fn to_file_or_stdout<'a>(
    to: Option<&'a std::path::Path>,
    text: &str,
) -> anyhow::Result<Option<&'a std::path::Path>> {
    use anyhow::Context as _;
    match to {
        Some(path) if path.as_os_str() != "-" => {
            std::fs::write(path, text).with_context(|| format!("{}", path.display()))?;
            Ok(Some(path))
        }
        _ => {
            self::text(text).context("stdout")?;
            Ok(None)
        }
    }
}

/// A broken pipe is marked as [`StdoutClosed`]; other errors pass unchanged.
pub fn mark(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        io::Error::new(io::ErrorKind::BrokenPipe, StdoutClosed)
    } else {
        e
    }
}

/// Whether `e` (or anything it wraps) is standard output closing.
pub fn is_closed(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.is::<StdoutClosed>()
            || c.downcast_ref::<io::Error>()
                .and_then(|e| e.get_ref())
                .is_some_and(|inner| inner.is::<StdoutClosed>())
    })
}

/// `println!` that returns a closed pipe (or any write error) with `?` instead of panicking.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::out::line(format_args!(""))?
    };
    ($($arg:tt)*) => {
        $crate::out::line(format_args!($($arg)*))?
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_is_marked_and_recognised_through_context() {
        let e = mark(io::Error::from(io::ErrorKind::BrokenPipe));
        let e = anyhow::Error::from(e).context("writing the report");
        assert!(is_closed(&e));
        let other = mark(io::Error::from(io::ErrorKind::StorageFull));
        assert!(!is_closed(&anyhow::Error::from(other)));
        // A broken pipe elsewhere (a socket) is not standard output closing.
        assert!(!is_closed(&anyhow::Error::from(io::Error::from(
            io::ErrorKind::BrokenPipe
        ))));
    }
}
