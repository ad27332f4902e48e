//! Control numbers of injects and ids of moves.
//!
//! Spreadsheet MSELs number injects in many ways (`M1-03`, `ADMIN-1`, `12`, `2.4`), so these
//! are looser than the wire's lowercase names: 1 to 64 ASCII letters, digits and `-_.:/`.
//! What they exclude matters more: no spaces (`M1 03` and `M1-03` must not both exist and
//! look alike in a report), no control characters, nothing a log line or CSV cell would need
//! to escape.

pub use crate::defaults::MAX_ID_LEN;

fn check_id(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > MAX_ID_LEN {
        return Err(format!(
            "must be 1 to {MAX_ID_LEN} characters, got {}",
            s.len()
        ));
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/');
    if !s.chars().all(ok) {
        return Err(format!(
            "`{s}` may contain only ASCII letters, digits and - _ . : / (no spaces)"
        ));
    }
    Ok(())
}

fusioncell_wire::validated_name!(
    /// An inject's control number, e.g. `M1-03`: unique within a scenario, carried in the
    /// inject act, and how controllers, bots and the report refer to the inject.
    InjectId,
    check: check_id,
    error: String
);
fusioncell_wire::validated_name!(
    /// A move's (phase's) id, e.g. `M1`.
    MoveId,
    check: check_id,
    error: String
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        for ok in ["M1-03", "ADMIN-1", "12", "2.4", "a_b:c/d"] {
            assert!(InjectId::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "M1 03", "M1\t03", "é", "x\n"] {
            assert!(InjectId::new(bad).is_err(), "{bad:?}");
        }
        assert!(MoveId::new("a".repeat(65)).is_err());
        assert_eq!(InjectId::new("M1-01").unwrap(), "M1-01");
    }
}
