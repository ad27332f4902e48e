//! Helpers shared by the CLI's test binaries: run the real `fusioncell` binary, start a relay
//! process on a free port.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

/// Runs `fusioncell ARGS` to completion.
pub(crate) fn fusioncell(args: &[&str]) -> Output {
    fusioncell_in(std::path::Path::new("."), args)
}

/// Runs `fusioncell ARGS` to completion in the folder `dir`.
pub(crate) fn fusioncell_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fusioncell"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs")
}

/// Its standard error as text.
pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A child process that is killed when dropped, so that a failing test leaves no relay
/// running behind it.
pub(crate) struct Killed(pub(crate) Child);

impl std::ops::Deref for Killed {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Killed {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A relay process on a free port for a fresh cell (`init`); returns it, the config path and
/// the URL it printed.
pub(crate) fn relay(dir: &std::path::Path) -> (Killed, String, String) {
    let cell = dir.join("cell");
    assert!(
        fusioncell(&["init", cell.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .status
            .success()
    );
    let config = cell.join("cell.toml").to_str().unwrap().to_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fusioncell"))
        .args(["relay", "--config", &config, "--admin", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("relay starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("relay prints its address");
    assert!(line.contains("listening on"), "relay said {line:?}");
    let url = line.split_whitespace().last().expect("url").to_owned();
    (Killed(child), config, url)
}
