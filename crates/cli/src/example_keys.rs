//! The public development keys of `certs-example/`, recognised by their content: the relay
//! refuses to serve them beyond loopback, where anyone who has the repository could log in as
//! any identity or impersonate the relay.

use std::path::Path;

use fusioncell_cell::Cell;
use fusioncell_keys::PublicKey;

use crate::embedded;

/// What of `cell` is public example material, in words (`the relay key`, …); empty if none.
/// `tls_key_pem` is the cell's TLS private key file. Recognised by the keys themselves, not by
/// path, so a copied or renamed example folder is caught too.
pub fn found_in(cell: &Cell, tls_key_pem: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    // Every Ed25519 key of the example, the relay's and the identities'.
    let example_keys: Vec<PublicKey> = example_cell()
        .iter()
        .flat_map(|c| {
            let identities = c.identities().iter().map(|i| i.public_key);
            identities.chain([c.relay().public_key])
        })
        .collect();
    if example_keys.contains(&cell.relay().public_key) {
        found.push("the relay key".to_owned());
    }
    if same_pem_key(tls_key_pem, embedded::EXAMPLE_TLS_KEY.as_bytes()) {
        found.push("the TLS key".to_owned());
    }
    let identities: Vec<&str> = cell
        .identities()
        .iter()
        .filter(|i| example_keys.contains(&i.public_key))
        .map(|i| i.id.as_str())
        .collect();
    if !identities.is_empty() {
        found.push(format!("the keys of {}", identities.join(", ")));
    }
    found
}

/// The example cell built into the binary; `None` only if it does not parse, which the tests
/// below rule out.
fn example_cell() -> Option<Cell> {
    // Parsing resolves paths against the folder but reads no file.
    Cell::from_toml(embedded::EXAMPLE_CELL, Path::new("config")).ok()
}

/// Whether two PEM documents hold the same key (the DER, whatever the line endings or
/// wrapping).
fn same_pem_key(a: &[u8], b: &[u8]) -> bool {
    match (pem::parse(a), pem::parse(b)) {
        (Ok(a), Ok(b)) => a.contents() == b.contents(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_example_cell_parses() {
        let cell = example_cell().expect("config/cell.example.toml parses");
        assert_eq!(cell.identities().len(), 6);
    }

    #[test]
    fn the_example_cell_is_recognised_by_every_key() {
        let cell = example_cell().expect("example");
        let found = found_in(&cell, embedded::EXAMPLE_TLS_KEY.as_bytes());
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0], "the relay key");
        assert_eq!(found[1], "the TLS key");
        assert_eq!(
            found[2],
            "the keys of israel, syria, us, control, france, evaluator"
        );
    }

    #[test]
    fn the_tls_key_is_recognised_whatever_its_line_endings() {
        let crlf = embedded::EXAMPLE_TLS_KEY.replace('\n', "\r\n");
        assert!(same_pem_key(
            crlf.as_bytes(),
            embedded::EXAMPLE_TLS_KEY.as_bytes()
        ));
        assert!(!same_pem_key(
            b"not a key",
            embedded::EXAMPLE_TLS_KEY.as_bytes()
        ));
    }

    #[test]
    fn a_fresh_cell_has_no_example_material() {
        let dir = tempfile::tempdir().expect("tempdir");
        let params = crate::init::InitParams {
            cell_id: fusioncell_wire::CellId::new("fresh").expect("id"),
            listen: "0.0.0.0:8443".parse().expect("addr"),
            hosts: vec![],
            scenario: None,
        };
        let config = crate::init::write_cell_folder(&dir.path().join("c"), &params).expect("init");
        let loaded = crate::load::cell(&config).expect("loads");
        let tls_key = std::fs::read(&loaded.cell.relay().tls_key).expect("tls key");
        assert!(found_in(&loaded.cell, &tls_key).is_empty());
    }
}
