//! Cell TOML (`fusioncell_cell::Cell::from_toml`, what the relay and the CLI load).

use std::path::Path;

use fusioncell_cell::Cell;
use fusioncell_wire::{ActKind, Body, OpenBody};

/// A cell config: whatever validates describes itself in the journal's `open` record, and that
/// record (its JSON text decoded as an `open` body, as `verify` reads it) rebuilds a cell
/// (`Cell::from_open_body`) that opens with the very same record.
pub fn cell_toml(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(cell) = Cell::from_toml(text, Path::new("config")) else {
        return false;
    };
    let open = cell.open_body([7; 32]);
    let json = serde_json::to_string(&open).unwrap();
    let body = Body::decode(ActKind::Open, json.clone())
        .unwrap_or_else(|e| panic!("the open body {json:?} is refused: {e}"));
    let decoded: OpenBody = serde_json::from_str(body.text()).unwrap();
    assert_eq!(decoded, open);
    let back = Cell::from_open_body(&decoded)
        .unwrap_or_else(|e| panic!("the open record of a valid cell is refused: {e}"));
    assert_eq!(back.id(), cell.id());
    assert_eq!(back.open_body([7; 32]), open);
    true
}
