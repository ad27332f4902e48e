//! The journal scanner and offline audit over a folder (`fusioncell_journal::verify_with`).

use std::cell::RefCell;
use std::fs;

use fusioncell_journal::{Tree, VerifyOptions, leaf_hash, read_records, verify_with};

/// Splits an input into `records.jsonl` and `checkpoints.jsonl`: the bytes before the first
/// 0xFF (a byte no UTF-8 text holds) and those after it.
pub fn split_journal(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == 0xff) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[]),
    }
}

thread_local! {
    static DIR: RefCell<Option<tempfile::TempDir>> = const { RefCell::new(None) };
}

/// A journal folder (see [`split_journal`]), audited on one thread as `fusioncell verify`
/// does: it never panics, and a journal it passes reads back (`read_records`) as exactly the
/// records it counted, whose Merkle root is the one it reports, with every checkpoint it
/// counted.
pub fn journal(data: &[u8]) -> bool {
    let (records, checkpoints) = split_journal(data);
    DIR.with(|dir| {
        let mut dir = dir.borrow_mut();
        let dir = dir.get_or_insert_with(|| tempfile::tempdir().expect("a temporary folder"));
        let path = dir.path();
        fs::write(path.join("records.jsonl"), records).unwrap();
        fs::write(path.join("checkpoints.jsonl"), checkpoints).unwrap();
        let Ok(verified) = verify_with(path, &VerifyOptions::new().threads(1)) else {
            return false;
        };
        let report = &verified.report;
        let read = read_records(path).expect("a verified journal reads");
        assert_eq!(u64::try_from(read.len()).unwrap(), report.records);
        assert!(report.records > 0, "record 0 opens the cell");
        let mut tree = Tree::new();
        for record in &read {
            tree.push(leaf_hash(&record.leaf_bytes()));
        }
        assert_eq!(tree.root(), report.root.0);
        assert_eq!(
            u64::try_from(verified.checkpoints.len()).unwrap(),
            report.checkpoints
        );
        assert_eq!(verified.checkpoints.last(), report.last_checkpoint.as_ref());
        let covered = report.last_checkpoint.as_ref().map_or(0, |c| c.size);
        assert_eq!(report.unsigned_tail, report.records - covered);
        true
    })
}
