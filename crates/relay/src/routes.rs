//! Which cell a request is for: the path of its request line (PROTOCOL.md, section 1).
//!
//! `/cells/<id>` (the WebSocket) and `/cells/<id>/…` (the console's files) name cell `<id>`. A
//! relay of one cell (`fusioncell relay --config`) also takes every other path as its cell's,
//! as it always has, so that `wss://host:port` keeps working. A relay of several cells
//! (`--cells`) has no such default. A path that names no cell served here is answered exactly
//! as any unknown path is (404, the same body): the answer says nothing about which cells
//! exist.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::context::Context;

/// The prefix of a cell's paths.
pub const PREFIX: &str = "/cells/";

/// A served cell: its context and what its logged-in connections get.
pub struct CellRoute<S> {
    /// The cell's context.
    pub ctx: Arc<Context>,
    /// Its sessions.
    pub service: Arc<S>,
}

impl<S> Clone for CellRoute<S> {
    fn clone(&self) -> Self {
        CellRoute {
            ctx: self.ctx.clone(),
            service: self.service.clone(),
        }
    }
}

/// The cells a listener serves, by id.
pub struct Routes<S> {
    table: RwLock<HashMap<String, CellRoute<S>>>,
    /// A relay of one cell: paths outside [`PREFIX`] are that cell's.
    single: bool,
}

impl<S> Routes<S> {
    /// The routes of a relay of one cell, which also takes every path outside `/cells/`.
    pub fn one(route: CellRoute<S>) -> Routes<S> {
        let routes = Routes {
            table: RwLock::default(),
            single: true,
        };
        routes.insert(route);
        routes
    }

    /// The routes of a relay of several cells, none yet.
    pub fn many() -> Routes<S> {
        Routes {
            table: RwLock::default(),
            single: false,
        }
    }

    /// Serves `route` from now on; `false` (and nothing changes) if its cell is served already.
    pub fn insert(&self, route: CellRoute<S>) -> bool {
        let id = route.ctx.cell.id().as_str().to_owned();
        let mut table = self.table.write().unwrap_or_else(|p| p.into_inner());
        if table.contains_key(&id) {
            return false;
        }
        table.insert(id, route);
        true
    }

    /// Stops routing requests to cell `id`; its route, if it was served.
    pub fn remove(&self, id: &str) -> Option<CellRoute<S>> {
        self.table
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
    }

    /// The cell `path` names and the rest of the path within the cell (`/`, `/app.js`; empty
    /// for `/cells/<id>` itself), or `None` when it names no cell served here.
    pub fn find<'p>(&self, path: &'p str) -> Option<(CellRoute<S>, &'p str)> {
        let table = self.table.read().unwrap_or_else(|p| p.into_inner());
        match path.strip_prefix(PREFIX) {
            Some(rest) => {
                let (id, within) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                table.get(id).map(|route| (route.clone(), within))
            }
            None if self.single => table.values().next().map(|route| (route.clone(), path)),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(cell: &str) -> CellRoute<()> {
        let text = include_str!("../../../config/cell.example.toml")
            .replace("id = \"paris-joint-cell\"", &format!("id = \"{cell}\""));
        let cell = Arc::new(
            fusioncell_cell::Cell::from_toml(&text, std::path::Path::new("config")).expect("cell"),
        );
        let shutdown = crate::shutdown::Shutdown::new(tracing::Span::none());
        CellRoute {
            ctx: Arc::new(Context::new(
                cell.clone(),
                fusioncell_wire::PublicKeyBytes([0; 32]),
                None,
                Default::default(),
                shutdown,
                crate::metrics::Metrics::detached(&cell),
            )),
            service: Arc::new(()),
        }
    }

    fn found(routes: &Routes<()>, path: &str) -> Option<(String, String)> {
        routes
            .find(path)
            .map(|(r, rest)| (r.ctx.cell.id().as_str().to_owned(), rest.to_owned()))
    }

    #[test]
    fn paths_name_cells() {
        let many = Routes::many();
        assert!(many.insert(route("a")));
        assert!(many.insert(route("b")));
        assert!(!many.insert(route("a")), "a cell is served once");
        let at = |cell: &str, rest: &str| Some((cell.to_owned(), rest.to_owned()));
        assert_eq!(found(&many, "/cells/a"), at("a", ""));
        assert_eq!(found(&many, "/cells/a/"), at("a", "/"));
        assert_eq!(found(&many, "/cells/b/app.js"), at("b", "/app.js"));
        for unknown in [
            "/",
            "/app.js",
            "/cells/",
            "/cells/c",
            "/cells/ab",
            "/cells//a",
            "/cellsa",
        ] {
            assert_eq!(found(&many, unknown), None, "{unknown}");
        }
        assert!(many.remove("a").is_some());
        assert_eq!(found(&many, "/cells/a"), None);

        let one = Routes::one(route("a"));
        assert_eq!(found(&one, "/"), at("a", "/"));
        assert_eq!(found(&one, "/app.js"), at("a", "/app.js"));
        assert_eq!(found(&one, "/cells/a/"), at("a", "/"));
        assert_eq!(
            found(&one, "/cells/b"),
            None,
            "another cell's path is unknown"
        );
    }
}
