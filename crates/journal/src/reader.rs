//! Reading records back: a [`Reader`] for other threads while the writer runs (a session
//! resuming from its last seq), and [`read_records`] for offline tools.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use fusioncell_wire::Record;

use crate::error::{Defect, DefectKind, JournalError, JournalFile};
use crate::lines::Lines;

/// Byte offsets of the durable lines of `records.jsonl`: where each starts, then where the
/// last one ends. The writer extends it only after a batch is durable, so a reader can never
/// hand out a record a crash could erase.
pub(crate) type Offsets = Arc<RwLock<Vec<u64>>>;

/// A cheap, cloneable handle that reads durable records while the writer appends.
///
/// It shares the writer's offset index (behind a `RwLock` held only to copy two numbers) and
/// opens the file anew for each read, so readers never contend for a file position.
#[derive(Debug, Clone)]
pub struct Reader {
    path: Arc<PathBuf>,
    offsets: Offsets,
}

impl Reader {
    pub(crate) fn new(path: PathBuf, offsets: Offsets) -> Self {
        Reader {
            path: Arc::new(path),
            offsets,
        }
    }

    /// Number of durable records.
    pub fn size(&self) -> u64 {
        let offsets = self.offsets.read().unwrap_or_else(PoisonError::into_inner);
        offsets.len().saturating_sub(1) as u64
    }

    /// The durable records from `from`, before `to`, whose lines take at most `max_bytes` of
    /// the file together (at least one record, whatever its size, if any is in range): a
    /// page bounded in memory, not in records.
    pub fn read_bytes(
        &self,
        from: u64,
        to: u64,
        max_bytes: u64,
    ) -> Result<Vec<Record>, JournalError> {
        let end = {
            let offsets = self.offsets.read().unwrap_or_else(PoisonError::into_inner);
            let size = offsets.len().saturating_sub(1) as u64;
            let to = to.min(size);
            let (Ok(first), Ok(last)) = (usize::try_from(from), usize::try_from(to)) else {
                return Ok(Vec::new());
            };
            if first >= last {
                return Ok(Vec::new());
            }
            // Ends of the lines `from..to`, in increasing order: those within the budget.
            let ends = offsets.get(first + 1..=last).unwrap_or_default();
            let limit = offsets[first].saturating_add(max_bytes);
            from + ends.partition_point(|&e| e <= limit).max(1) as u64
        };
        self.read(from, end)
    }

    /// The durable records with seq in `from..to` (fewer if `to` is past the durable size,
    /// none if `from` is). All of them are held in memory: callers page through long ranges.
    pub fn read(&self, from: u64, to: u64) -> Result<Vec<Record>, JournalError> {
        let (start, end, to) = {
            let offsets = self.offsets.read().unwrap_or_else(PoisonError::into_inner);
            let size = offsets.len().saturating_sub(1) as u64;
            let to = to.min(size);
            if from >= to {
                return Ok(Vec::new());
            }
            let at = |seq: u64| {
                usize::try_from(seq)
                    .ok()
                    .and_then(|i| offsets.get(i).copied())
            };
            match (at(from), at(to)) {
                (Some(start), Some(end)) if start <= end => (start, end, to),
                _ => return Ok(Vec::new()),
            }
        };
        let io_err = |source| JournalError::Io {
            path: self.path.to_path_buf(),
            source,
        };
        let mut file = File::open(&*self.path).map_err(io_err)?;
        file.seek(SeekFrom::Start(start)).map_err(io_err)?;
        let mut lines = Lines::new(BufReader::new(file.take(end - start)));
        let mut out = Vec::with_capacity(usize::try_from(to - from).unwrap_or(0));
        while let Some(line) = lines.next_line().map_err(io_err)? {
            let seq = from + line.index;
            let corrupt = |kind| {
                JournalError::Corrupt(Defect {
                    file: JournalFile::Records,
                    line: seq + 1,
                    seq: Some(seq),
                    kind,
                })
            };
            if !line.terminated {
                return Err(corrupt(DefectKind::TornTail {
                    bytes: line.text.len() as u64,
                }));
            }
            // These lines were verified (or written) by the writer; an error here means the
            // file was changed underneath it.
            let record: Record = serde_json::from_slice(line.text)
                .map_err(|e| corrupt(DefectKind::Parse(e.to_string())))?;
            if record.seq != seq {
                return Err(corrupt(DefectKind::SeqGap {
                    expected: seq,
                    found: record.seq,
                }));
            }
            out.push(record);
        }
        if out.len() as u64 != to - from {
            let seq = from + out.len() as u64;
            return Err(JournalError::Corrupt(Defect {
                file: JournalFile::Records,
                line: seq + 1,
                seq: Some(seq),
                kind: DefectKind::Parse("the file is shorter than its index".into()),
            }));
        }
        Ok(out)
    }
}

/// Every record of the journal in `dir`, parsed strictly and in seq order, for offline tools.
///
/// This checks only that each line is a record with the right seq; signatures, the tree and
/// checkpoints are [`verify`](crate::verify())'s job. A torn final line is an error here, as
/// every defect is: offline tools change nothing.
pub fn read_records(dir: &Path) -> Result<Vec<Record>, JournalError> {
    let path = dir.join(JournalFile::Records.name());
    let io_err = |source| JournalError::Io {
        path: path.clone(),
        source,
    };
    let file = File::open(&path).map_err(io_err)?;
    let mut lines = Lines::new(BufReader::new(file));
    let mut out = Vec::new();
    while let Some(line) = lines.next_line().map_err(io_err)? {
        let corrupt = |kind| {
            JournalError::Corrupt(Defect {
                file: JournalFile::Records,
                line: line.index + 1,
                seq: Some(line.index),
                kind,
            })
        };
        if !line.terminated {
            return Err(corrupt(DefectKind::TornTail {
                bytes: line.text.len() as u64,
            }));
        }
        let record: Record = serde_json::from_slice(line.text)
            .map_err(|e| corrupt(DefectKind::Parse(e.to_string())))?;
        if record.seq != line.index {
            return Err(corrupt(DefectKind::SeqGap {
                expected: line.index,
                found: record.seq,
            }));
        }
        out.push(record);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::fs::OpenOptions;
    use std::io::Write;

    use super::*;
    use crate::fixture::{Fixture, line};
    use crate::writer::{Journal, Options};

    #[test]
    fn pages_are_bounded_in_bytes() {
        let f = Fixture::new();
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _) =
            crate::Journal::open(dir.path(), crate::Options::default(), |_| {}).unwrap();
        let _ = j.append(&f.records(20)).unwrap();
        let r = j.reader();
        let all = r.read(0, 21).unwrap();
        let line = |x: &Record| serde_json::to_string(x).unwrap().len() as u64 + 1;
        let budget = line(&all[1]) * 3 + line(&all[2]);
        let page = r.read_bytes(1, 21, budget).unwrap();
        assert!(!page.is_empty());
        assert!(page.iter().map(line).sum::<u64>() <= budget);
        assert_eq!(page[..], all[1..1 + page.len()]);
        let next = r.read_bytes(1 + page.len() as u64, 21, budget).unwrap();
        assert_eq!(next[0], all[1 + page.len()], "the next page follows");
        assert_eq!(
            r.read_bytes(5, 21, 1).unwrap().len(),
            1,
            "one record at least"
        );
        assert!(r.read_bytes(21, 30, 1 << 20).unwrap().is_empty());
        assert_eq!(r.read_bytes(0, 30, 1 << 30).unwrap().len(), 21);
    }

    #[test]
    fn reads_durable_ranges_from_another_thread() {
        let f = Fixture::new();
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(dir.path(), Options::default(), |_| {}).unwrap();
        let reader = j.reader();
        assert_eq!(reader.size(), 0);
        assert_eq!(reader.read(0, 10).unwrap(), vec![]);

        let all = f.records(9);
        let _ = j.append(&all[..4]).unwrap();
        let clone = reader.clone();
        let got = std::thread::spawn(move || clone.read(0, 100).unwrap())
            .join()
            .unwrap();
        assert_eq!(got, all[..4]);

        let _ = j.append(&all[4..]).unwrap();
        assert_eq!(reader.size(), 10);
        assert_eq!(reader.read(3, 7).unwrap(), all[3..7]);
        assert_eq!(reader.read(9, 10).unwrap(), all[9..]);
        assert_eq!(reader.read(8, 1000).unwrap(), all[8..]);
        assert_eq!(reader.read(10, 11).unwrap(), vec![]);
        assert_eq!(reader.read(5, 2).unwrap(), vec![]);
    }

    #[test]
    fn reader_reports_a_file_changed_underneath() {
        let f = Fixture::new();
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(dir.path(), Options::default(), |_| {}).unwrap();
        let _ = j.append(&f.records(3)).unwrap();
        let path = dir.path().join(JournalFile::Records.name());
        let mut text = std::fs::read_to_string(&path).unwrap();
        text = text.replacen("\"seq\":2,", "\"seq\":7,", 1);
        std::fs::write(&path, text).unwrap();
        match j.reader().read(0, 4) {
            Err(JournalError::Corrupt(d)) => {
                assert_eq!(d.seq, Some(2));
                assert_eq!(
                    d.kind,
                    DefectKind::SeqGap {
                        expected: 2,
                        found: 7
                    }
                );
            }
            other => panic!("expected corruption, got {other:?}"),
        }
    }

    #[test]
    fn read_records_reads_all_and_refuses_a_torn_tail() {
        let f = Fixture::new();
        let dir = tempfile::tempdir().unwrap();
        let all = f.records(5);
        {
            let (mut j, _) = Journal::open(dir.path(), Options::default(), |_| {}).unwrap();
            let _ = j.append(&all).unwrap();
        }
        assert_eq!(read_records(dir.path()).unwrap(), all);

        let next = line(&f.nth_post(6));
        let mut file = OpenOptions::new()
            .append(true)
            .open(dir.path().join(JournalFile::Records.name()))
            .unwrap();
        file.write_all(&next.as_bytes()[..10]).unwrap();
        match read_records(dir.path()) {
            Err(JournalError::Corrupt(d)) => {
                assert_eq!((d.line, d.seq), (7, Some(6)));
                assert_eq!(d.kind, DefectKind::TornTail { bytes: 10 });
            }
            other => panic!("expected a torn tail, got {other:?}"),
        }
        assert!(matches!(
            read_records(&dir.path().join("missing")),
            Err(JournalError::Io { .. })
        ));
    }
}
