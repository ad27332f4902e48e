//! Property: any scenario written as TOML or as a spreadsheet CSV reads back equal.

use fusioncell_wire::ChannelId;
use proptest::prelude::*;

use crate::export::export_csv;
use crate::ids::{InjectId, MoveId};
use crate::import::import_csv;
use crate::msel::{Inject, Move, Scenario};

/// Non-blank trimmed text with the characters that need escaping in TOML and CSV.
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ,;:#\"'\\\\é€\n\t\r=\\[\\]{}-]{1,40}"
        .prop_map(|s| s.trim().to_owned())
        .prop_filter("blank", |s| !s.is_empty())
}

/// Like [`text`], without the CSV separators of expected actions.
fn action() -> impl Strategy<Value = String> {
    text().prop_filter("separator", |s| !s.contains([';', '\n', '\r']))
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let moves = prop::collection::btree_set("[A-Za-z0-9][A-Za-z0-9._:/-]{0,5}", 1..4);
    let inject = (
        0u64..=500_000,
        any::<prop::sample::Index>(),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::sample::select(vec!["security", "diplomacy", "us-israel", "c_2"]),
        text(),
        text(),
        prop::collection::vec(action(), 0..4),
        prop::option::of(text()),
        prop::option::of(text()),
        any::<bool>(),
    );
    (
        text(),
        prop::option::of(text()),
        prop::option::of(1u32..=86_400),
        moves,
        prop::collection::vec(text(), 4),
        prop::collection::vec(inject, 1..8),
    )
        .prop_map(|(title, description, speed, move_ids, move_titles, raw)| {
            let moves: Vec<Move> = move_ids
                .into_iter()
                .zip(move_titles)
                .map(|(id, title)| Move {
                    id: MoveId::new(id).unwrap(),
                    title,
                })
                .collect();
            let injects = raw
                .into_iter()
                .enumerate()
                .map(|(n, r)| Inject {
                    id: InjectId::new(format!("X-{n}")).unwrap(),
                    at_s: r.0,
                    move_id: r.1.get(&moves).id.clone(),
                    from: r.2,
                    to: r.3,
                    channel: ChannelId::new(r.4).unwrap(),
                    title: r.5,
                    text: r.6,
                    expected: r.7,
                    objective: r.8,
                    notes: r.9,
                    contingency: r.10,
                })
                .collect();
            Scenario::assemble(title, description, speed, moves, Vec::new(), injects)
        })
}

proptest! {
    #[test]
    fn toml_round_trips(s in scenario()) {
        let text = s.to_toml();
        prop_assert_eq!(Scenario::from_toml(&text).map_err(|e| format!("{e}\n{text}")), Ok(s));
    }

    #[test]
    fn csv_round_trips(s in scenario()) {
        let text = export_csv(&s);
        prop_assert_eq!(import_csv(&text).map_err(|e| format!("{e}\n{text}")), Ok(s));
    }
}
