//! Splitting a JSON Lines file into lines, keeping what recovery needs to tell a torn tail
//! from corruption: each line's byte offset, whether it ended in `\n`, whether it is the last.

use std::io::{self, BufRead};

/// One line, without its `\n`.
pub(crate) struct Line<'a> {
    /// Its index in the file, from 0.
    pub(crate) index: u64,
    /// Byte offset of its first byte.
    pub(crate) offset: u64,
    /// Its bytes, without the `\n`.
    pub(crate) text: &'a [u8],
    /// Whether it ended in `\n`. Only the last line can be unterminated.
    pub(crate) terminated: bool,
    /// Whether nothing follows it.
    pub(crate) last: bool,
}

/// Reads lines one by one into a reused buffer (a lending iterator, so no per-line allocation).
pub(crate) struct Lines<R> {
    inner: R,
    offset: u64,
    index: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(inner: R) -> Self {
        Lines {
            inner,
            offset: 0,
            index: 0,
            buf: Vec::new(),
        }
    }

    /// Bytes consumed so far: after the last line, the file's length.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// The next line, or `None` at the end of the file.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let n = self.inner.read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        let terminated = self.buf.last() == Some(&b'\n');
        let last = !terminated || self.inner.fill_buf()?.is_empty();
        let line = Line {
            index: self.index,
            offset: self.offset,
            text: self.buf.strip_suffix(b"\n").unwrap_or(&self.buf),
            terminated,
            last,
        };
        self.offset += n as u64;
        self.index += 1;
        Ok(Some(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(bytes: &[u8]) -> Vec<(u64, u64, Vec<u8>, bool, bool)> {
        let mut lines = Lines::new(bytes);
        let mut out = Vec::new();
        while let Some(l) = lines.next_line().unwrap() {
            out.push((l.index, l.offset, l.text.to_vec(), l.terminated, l.last));
        }
        assert_eq!(lines.offset(), bytes.len() as u64);
        out
    }

    #[test]
    fn offsets_termination_and_last() {
        assert_eq!(collect(b""), vec![]);
        assert_eq!(
            collect(b"ab\ncd\n"),
            vec![
                (0, 0, b"ab".to_vec(), true, false),
                (1, 3, b"cd".to_vec(), true, true)
            ]
        );
        assert_eq!(
            collect(b"ab\n\nc"),
            vec![
                (0, 0, b"ab".to_vec(), true, false),
                (1, 3, b"".to_vec(), true, false),
                (2, 4, b"c".to_vec(), false, true)
            ]
        );
    }
}
