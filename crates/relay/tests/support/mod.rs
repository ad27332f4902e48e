//! What the tests that hold the console's JavaScript equal to the Rust share: a replayable
//! generator of random cases, and node running a console module on them.

use std::process::Command;

use serde_json::Value;

/// A small deterministic generator (xorshift), so that a failure can be replayed.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// A number below `below`.
    pub(crate) fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// Runs `script` (an ES module body) in node with the console's `web/<module>` imported as
/// `M` and `cases` parsed as `cases`; returns what the script printed, as JSON. `node` is
/// required: the browser tests need it too (README.md).
pub(crate) fn run_in_node(module: &str, cases: &Value, script: &str) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("cases.json");
    std::fs::write(&file, serde_json::to_vec(cases).expect("json")).expect("write");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("web")
        .join(module);
    let prelude = r#"
        const { readFileSync } = await import("node:fs");
        const src = readFileSync(process.env.CONSOLE_MODULE, "utf8");
        const M = await import("data:text/javascript;base64," + Buffer.from(src).toString("base64"));
        const cases = JSON.parse(readFileSync(process.env.CONSOLE_CASES, "utf8"));
    "#;
    let out = Command::new("node")
        .args(["--input-type=module", "-e", &format!("{prelude}{script}")])
        .env("CONSOLE_MODULE", &path)
        .env("CONSOLE_CASES", &file)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "this test runs the console's {module} in node, and `node` could not be started \
                 ({e}): install Node.js (also needed by tests/browser) and put it on PATH"
            )
        });
    assert!(
        out.status.success(),
        "node failed on {module}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("node printed JSON")
}
