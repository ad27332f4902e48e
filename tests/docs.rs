//! The repository explains itself. A comment or a document may cite only what a reader of the
//! repository can open (README.md, PROTOCOL.md, SECURITY.md, BENCHMARKS.md, ARCHITECTURE.md),
//! or state its reason in place: never design or security notes kept elsewhere, a style guide
//! that is not here, or an issue number. And every repository path that README.md and
//! SECURITY.md name, in backticks or as a link, exists.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

/// The repository's files, relative to the root: what git tracks or would track, or, where git
/// is missing, every file outside `target/`, `node_modules/` and `.git/`.
fn files(root: &Path) -> Vec<String> {
    let git = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output();
    if let Ok(out) = git
        && out.status.success()
    {
        let mut list: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter(|f| !f.is_empty() && !f.split('/').any(|c| c == "node_modules"))
            .map(str::to_owned)
            .collect();
        list.sort();
        list.dedup();
        return list;
    }
    let mut list = Vec::new();
    walk(root, root, &mut list);
    list.sort();
    list
}

fn walk(root: &Path, dir: &Path, list: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if !matches!(name.to_str(), Some("target" | "node_modules" | ".git")) {
                walk(root, &path, list);
            }
        } else if let Ok(rel) = path.strip_prefix(root) {
            list.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The readable text of a file; `None` for a binary or deleted file.
fn text(root: &Path, file: &str) -> Option<String> {
    fs::read_to_string(root.join(file)).ok()
}

/// An issue or pull-request number: "issue 6", "issues 4 and 6", "Issue #12", "(#12)".
fn cites_an_issue(line: &str) -> bool {
    let lower = line.to_lowercase();
    let numbered = |rest: &str| {
        let rest = rest.trim_start_matches('s').trim_start();
        let rest = rest.strip_prefix('#').unwrap_or(rest);
        rest.starts_with(|c: char| c.is_ascii_digit())
    };
    let issue = lower.match_indices("issue").any(|(at, word)| {
        let before = lower[..at].chars().next_back();
        !before.is_some_and(char::is_alphanumeric) && numbered(&lower[at + word.len()..])
    });
    let pull = lower.match_indices("(#").any(|(at, open)| {
        let rest = &lower[at + open.len()..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        digits > 0 && rest[digits..].starts_with(')')
    });
    issue || pull
}

/// The documents a citation may name: the upper-case Markdown files at the repository root.
fn documents(root: &Path) -> Vec<String> {
    let Ok(dir) = fs::read_dir(root) else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".md") && is_document_name(&name[..name.len() - 3]))
        .collect()
}

/// A document's name as this repository writes them: upper case, digits, `-` and `_`.
fn is_document_name(word: &str) -> bool {
    word.len() >= 3
        && word.starts_with(|c: char| c.is_ascii_uppercase())
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Why `line` cites something a reader of the repository cannot open, if it does: a document
/// named as `NAME.md`, `NAME §N` or `NAME-NOTES` that is not one of `documents`, or an issue
/// number.
fn outside_citation(line: &str, documents: &[String]) -> Option<String> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut rest = line;
    let mut offset = 0;
    while let Some(start) = rest.find(|c: char| c.is_ascii_uppercase()) {
        let at = offset + start;
        let len = line[at..]
            .find(|c: char| !is_word(c))
            .unwrap_or(line.len() - at);
        let word = line[at..at + len].trim_end_matches(['-', '_']);
        let whole = !line[..at].ends_with(|c: char| is_word(c) || c == '.' || c == '/');
        let after = &line[at + word.len()..];
        let cited = after.starts_with(".md") || after.starts_with(" §") || word.ends_with("-NOTES");
        if whole && cited && is_document_name(word) && !documents.contains(&format!("{word}.md")) {
            return Some(format!("`{word}` is not a document of this repository"));
        }
        offset = at + len.max(1);
        rest = &line[offset..];
    }
    cites_an_issue(line).then(|| "an issue number".to_owned())
}

#[test]
fn comments_and_docs_cite_only_what_is_in_the_repository() {
    let root = root();
    let documents = documents(&root);
    let mut found = Vec::new();
    // This file is skipped: its examples are the citations it looks for.
    for file in files(&root).into_iter().filter(|f| f != "tests/docs.rs") {
        let Some(text) = text(&root, &file) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if let Some(what) = outside_citation(line, &documents) {
                found.push(format!("{file}:{}: {what}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "cite README.md, PROTOCOL.md §N, SECURITY.md (a row's label), BENCHMARKS.md or \
         ARCHITECTURE.md, or write the reason itself:\n{}",
        found.join("\n")
    );
}

/// The repository paths a Markdown line names: backticked spans that look like a path into
/// the repository, and relative link targets.
fn named_paths(line: &str, top: &[String]) -> Vec<String> {
    let mut paths = Vec::new();
    for span in line.split('`').skip(1).step_by(2) {
        let path = span.trim_end_matches('/');
        let plain = path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c));
        let first = path.split('/').next().unwrap_or_default();
        let in_repo = top.iter().any(|t| t == first) || path.ends_with(".rs");
        if plain && path.contains('/') && !path.starts_with('/') && in_repo {
            paths.push(path.to_owned());
        }
    }
    for (at, open) in line.match_indices("](") {
        let rest = &line[at + open.len()..];
        let target = rest[..rest.find(')').unwrap_or(rest.len())].trim();
        let target = target.split('#').next().unwrap_or_default();
        if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
            paths.push(target.trim_end_matches('/').to_owned());
        }
    }
    paths
}

#[test]
fn every_path_readme_and_security_name_exists() {
    let root = root();
    let mut top: Vec<String> = files(&root)
        .iter()
        .filter_map(|f| f.split_once('/').map(|(dir, _)| dir.to_owned()))
        .collect();
    top.sort();
    top.dedup();
    let mut missing = Vec::new();
    let mut checked = 0;
    for doc in ["README.md", "SECURITY.md"] {
        let text = text(&root, doc).unwrap_or_else(|| panic!("{doc} is readable"));
        let mut fenced = false;
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                continue;
            }
            if fenced {
                continue;
            }
            for path in named_paths(line, &top) {
                checked += 1;
                if !root.join(&path).exists() {
                    missing.push(format!("{doc}:{}: `{path}`", i + 1));
                }
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} paths found: is the scan broken?"
    );
    assert!(
        missing.is_empty(),
        "paths named in the docs that do not exist (write them from the repository root):\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_citation_scan_finds_what_it_should() {
    let documents = ["SECURITY.md".to_owned(), "PROTOCOL.md".to_owned()];
    for line in [
        "ELSEWHERE-NOTES §3.3",
        "(PLANS §5)",
        "see ROADMAP.md",
        "the goals of issue 6",
        "Issues #4 and 6",
        "fixed in (#12).",
    ] {
        assert!(outside_citation(line, &documents).is_some(), "{line}");
    }
    for line in [
        "SECURITY.md, P15",
        "PROTOCOL.md §12",
        "a DESIGNATED inject",
        "RFC 9162 §2.1",
        "crates/cli/README.md",
        "the issue of a certificate",
        "#1 15:00:36Z",
        "reissue 3 keys",
    ] {
        assert_eq!(outside_citation(line, &documents), None, "{line}");
    }
    let top = ["crates".to_owned(), ".ci".to_owned()];
    assert_eq!(
        named_paths(
            "in `relay/src/a.rs`, `crates/x/`, `tls/ca.pem`, [b](crates/b.rs#L1), [w](https://x)",
            &top
        ),
        ["relay/src/a.rs", "crates/x", "crates/b.rs"]
    );
}

/// A source file is one concept: past this many lines it is doing the work of two, and the
/// next reader pays for it. Tests beside the code count too, so they move to a sibling file.
const MAX_SOURCE_LINES: usize = 800;

#[test]
fn no_source_file_is_over_the_size_of_one_concept() {
    let root = root();
    let long: Vec<String> = files(&root)
        .into_iter()
        .filter(|f| f.starts_with("crates/") && f.contains("/src/") && f.ends_with(".rs"))
        .filter_map(|f| {
            let lines = text(&root, &f)?.lines().count();
            (lines > MAX_SOURCE_LINES).then(|| format!("{f}: {lines} lines"))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these along their concepts (at most {MAX_SOURCE_LINES} lines):\n{}",
        long.join("\n")
    );
}
