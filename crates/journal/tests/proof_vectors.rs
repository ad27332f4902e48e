//! PROTOCOL.md §11.4: every `name = value` line of the ```` ```proofs ```` blocks is recomputed
//! here with the journal's own tree and proof code, and must match exactly; the set of names
//! must be exactly the expected one. Each documented proof must also verify, and fail once any
//! of its hashes is altered.

use std::collections::BTreeMap;

use fusioncell_journal::merkle::{Tree, leaf_hash};
use fusioncell_journal::{ConsistencyProof, InclusionProof};

#[allow(dead_code)]
#[path = "../../wire/tests/support/protocol_doc.rs"]
mod protocol_doc;

/// The leaves of the vector tree: SHA-256(0x00 ‖ "leaf i") for i in 0..7.
fn leaves() -> Vec<[u8; 32]> {
    (0..7)
        .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
        .collect()
}

/// Every vector, recomputed.
fn computed() -> Vec<(String, String)> {
    let mut tree = Tree::new();
    let mut v = Vec::new();
    for (i, leaf) in leaves().into_iter().enumerate() {
        tree.push(leaf);
        v.push((format!("tree.leaf_{i}"), hex::encode(leaf)));
    }
    for size in [3, 4, 7] {
        let root = tree.root_at(size).expect("size within the tree");
        v.push((format!("tree.root_{size}"), hex::encode(root)));
    }
    for index in [2, 6] {
        let proof = InclusionProof::new(&tree, index, 7).expect("a proof");
        let json = serde_json::to_string(&proof).expect("serializes");
        v.push((format!("inclusion.leaf_{index}_size_7"), json));
    }
    for old in [3, 4] {
        let proof = ConsistencyProof::new(&tree, old, 7).expect("a proof");
        let json = serde_json::to_string(&proof).expect("serializes");
        v.push((format!("consistency.size_{old}_to_7"), json));
    }
    v
}

/// Every `name = value` line of the doc's ```proofs blocks.
fn documented() -> Vec<(&'static str, &'static str)> {
    protocol_doc::vectors("proofs")
}

#[test]
fn every_proof_vector_matches_the_code() {
    let documented = documented();
    let wrong = protocol_doc::mismatches(&documented, computed());
    assert!(
        wrong.is_empty(),
        "PROTOCOL.md proof vectors differ from the code (expected lines shown):\n{}",
        wrong.join("\n")
    );
    assert_eq!(documented.len(), 14, "vectors in PROTOCOL.md");
}

#[test]
fn every_documented_proof_verifies_and_fails_when_altered() {
    let doc: BTreeMap<&str, &str> = documented().into_iter().collect();
    let root7 = doc["tree.root_7"];
    for (name, json) in &doc {
        if name.starts_with("inclusion.") {
            let proof: InclusionProof = serde_json::from_str(json).expect("parses strictly");
            assert!(proof.verify(), "{name}");
            assert_eq!(proof.root.to_hex(), root7);
            let leaf = doc[format!("tree.leaf_{}", proof.leaf_index).as_str()];
            assert_eq!(proof.leaf_hash.to_hex(), leaf, "{name}");
            for i in 0..proof.inclusion_path.len() {
                let mut bad = proof.clone();
                bad.inclusion_path[i].0[31] ^= 1;
                assert!(!bad.verify(), "{name}: path hash {i} altered");
            }
            let mut bad = proof.clone();
            bad.root.0[0] ^= 1;
            assert!(!bad.verify(), "{name}: root altered");
        } else if name.starts_with("consistency.") {
            let proof: ConsistencyProof = serde_json::from_str(json).expect("parses strictly");
            assert!(proof.verify(), "{name}");
            assert_eq!(proof.new_root.to_hex(), root7);
            let old = doc[format!("tree.root_{}", proof.old_size).as_str()];
            assert_eq!(proof.old_root.to_hex(), old, "{name}");
            for i in 0..proof.consistency_path.len() {
                let mut bad = proof.clone();
                bad.consistency_path[i].0[31] ^= 1;
                assert!(!bad.verify(), "{name}: path hash {i} altered");
            }
            let mut bad = proof.clone();
            bad.old_root.0[0] ^= 1;
            assert!(!bad.verify(), "{name}: old root altered");
        }
    }
    // Strict parsing: an unknown field is refused.
    let extra = doc["inclusion.leaf_2_size_7"].replacen('{', "{\"note\":1,", 1);
    assert!(serde_json::from_str::<InclusionProof>(&extra).is_err());
}
