//! Control numbers of injects and ids of moves and objectives, all under the wire's rule for
//! scenario ids ([`fusioncell_wire::ids::check_scenario_id`]), since an `observe` act names an
//! objective by its id.

pub use fusioncell_wire::ids::MAX_SCENARIO_ID_LEN as MAX_ID_LEN;
use fusioncell_wire::ids::check_scenario_id as check_id;

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
fusioncell_wire::validated_name!(
    /// An objective's id, e.g. `O2`: how injects and evaluators' observations name it.
    ObjectiveId,
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
