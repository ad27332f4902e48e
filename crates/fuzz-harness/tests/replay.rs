//! Replays every committed fuzz corpus without fuzzing (fuzz/README.md): each file of
//! `fuzz/corpus/<target>/` goes to the same function the cargo-fuzz target calls, so a
//! regression of any parser on an input the fuzzer once found is a failed test on stable Rust.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use fusioncell_fuzz_harness::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

#[test]
fn every_corpus_file_replays() {
    let mut failures = Vec::new();
    for (name, target) in TARGETS {
        let dir = fuzz_dir().join("corpus").join(name);
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{name}: the corpus is empty");
        let mut accepted = 0;
        for file in files {
            let data = fs::read(&file).unwrap();
            match catch_unwind(AssertUnwindSafe(|| target(&data))) {
                Ok(true) => accepted += 1,
                Ok(false) => {}
                Err(_) => failures.push(file.display().to_string()),
            }
        }
        // A corpus whose every input is refused would check no invariant at all.
        assert!(accepted > 0, "{name}: no input of the corpus is accepted");
    }
    assert!(failures.is_empty(), "inputs that fail: {failures:#?}");
}

#[test]
fn every_target_has_a_cargo_fuzz_target_and_back() {
    let dir = fuzz_dir().join("fuzz_targets");
    let mut on_disk: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = TARGETS.iter().map(|(n, _)| format!("{n}.rs")).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    for (name, _) in TARGETS {
        let text = fs::read_to_string(dir.join(format!("{name}.rs"))).unwrap();
        assert!(
            text.contains(&format!("fusioncell_fuzz_harness::{name}(")),
            "fuzz/fuzz_targets/{name}.rs does not call the harness's {name}"
        );
    }
}
