//! Participation: acts per identity by category, charted and tabled.

use super::{Block, Chart, Line, Table};
use crate::metrics::CATEGORIES;
use crate::model::AfterAction;

pub(super) fn blocks(aar: &AfterAction) -> Vec<Block> {
    let rows = aar
        .metrics
        .participation
        .iter()
        .map(|p| {
            let mut row: Vec<Line> = vec![
                p.id.as_str().into(),
                p.role.map_or("", |r| r.as_str()).into(),
            ];
            row.extend(p.parts().iter().map(|(_, n)| Line::from(n.to_string())));
            row.push(p.total().to_string().into());
            row
        })
        .collect();
    let mut headers = vec!["identity", "role"];
    headers.extend(CATEGORIES);
    headers.push("total");
    vec![
        Block::Chart(Chart::Participation),
        Block::Table(Table::new(&headers, &[2, 3, 4, 5, 6, 7, 8, 9], rows)),
    ]
}
