//! PROTOCOL.md's fenced vector blocks, shared by the tests that hold the code to them
//! (`crates/wire/tests/protocol_vectors.rs`: ```` ```text ````, `crates/journal/tests/
//! proof_vectors.rs`: ```` ```proofs ````, `crates/keys/tests/signature_rule.rs`:
//! ```` ```signatures ````). Each includes this file with `#[path]`.

use std::collections::BTreeMap;

/// The protocol document.
pub(crate) const DOC: &str = include_str!("../../../../PROTOCOL.md");

/// Fenced blocks of the doc with the given info string, as their lines.
pub(crate) fn blocks(info: &str) -> Vec<Vec<&'static str>> {
    let mut out = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in DOC.lines() {
        match current.as_mut() {
            None if line.trim_end() == format!("```{info}") => current = Some(Vec::new()),
            None => {}
            Some(_) if line.trim_end() == "```" => out.extend(current.take()),
            Some(lines) => lines.push(line),
        }
    }
    assert!(current.is_none(), "an unterminated ```{info} block");
    out
}

/// Every `name = value` line of the blocks with the given info string.
pub(crate) fn vectors(info: &str) -> Vec<(&'static str, &'static str)> {
    blocks(info)
        .into_iter()
        .flatten()
        .filter_map(|line| line.split_once(" = "))
        .collect()
}

/// How the documented vectors differ from the computed ones: one line per wrong, missing or
/// unknown vector (empty when they agree). A name documented twice fails at once.
pub(crate) fn mismatches<N: AsRef<str>, V: AsRef<str>>(
    documented: &[(&str, &str)],
    computed: impl IntoIterator<Item = (N, V)>,
) -> Vec<String> {
    let mut doc: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, value) in documented {
        assert!(
            doc.insert(name, value).is_none(),
            "vector `{name}` appears twice"
        );
    }
    let mut wrong = Vec::new();
    for (name, value) in computed {
        let (name, value) = (name.as_ref(), value.as_ref());
        match doc.remove(name) {
            Some(found) if found == value => {}
            Some(_) => wrong.push(format!("wrong:   {name} = {value}")),
            None => wrong.push(format!("missing: {name} = {value}")),
        }
    }
    wrong.extend(doc.keys().map(|name| format!("unknown: {name}")));
    wrong
}
