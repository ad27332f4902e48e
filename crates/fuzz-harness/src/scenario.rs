//! The MSEL as TOML (`Scenario::from_toml`) and as a spreadsheet CSV (`import_csv`).

use fusioncell_scenario::{Scenario, export_csv, import_csv};

/// Whatever parses as a scenario is written back as TOML (`to_toml`) that parses to the same
/// scenario, and as CSV (`export_csv`) that imports to the same scenario (but for what the CSV
/// form cannot hold: see `round_trips`).
pub fn msel_toml(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(scenario) = Scenario::from_toml(text) else {
        return false;
    };
    round_trips(&scenario);
    true
}

/// A spreadsheet MSEL: whatever imports round-trips through TOML and back through CSV.
pub fn msel_csv(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(scenario) = import_csv(text) else {
        return false;
    };
    round_trips(&scenario);
    let csv = export_csv(&scenario);
    let again = import_csv(&csv)
        .unwrap_or_else(|e| panic!("an imported MSEL exports to CSV it refuses: {e}\n{csv}"));
    assert_eq!(again, scenario);
    true
}

fn round_trips(scenario: &Scenario) {
    let toml = scenario.to_toml();
    let again = Scenario::from_toml(&toml)
        .unwrap_or_else(|e| panic!("a scenario writes TOML it refuses: {e}\n{toml}"));
    assert_eq!(&again, scenario);
    let csv = export_csv(scenario);
    let imported = import_csv(&csv)
        .unwrap_or_else(|e| panic!("a scenario exports CSV it refuses: {e}\n{csv}"));
    // The CSV form splits expected actions on `;` and line breaks (its separators, see
    // `export_csv`): without them it keeps the scenario whole; with them, what it keeps is
    // kept by the next round trip.
    let separated = scenario
        .injects()
        .iter()
        .any(|i| i.expected.iter().any(|e| e.contains([';', '\n', '\r'])));
    if separated {
        let csv = export_csv(&imported);
        let again = import_csv(&csv)
            .unwrap_or_else(|e| panic!("an imported MSEL exports CSV it refuses: {e}\n{csv}"));
        assert_eq!(again, imported);
    } else {
        assert_eq!(&imported, scenario);
    }
}
