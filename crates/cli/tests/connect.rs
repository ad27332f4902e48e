//! `fusioncell connect` as people use it: a real relay process, and one interactive `connect`
//! process per role, driven through its stdin and read from its stdout. Every wait has a
//! timeout, so a failure is an assertion naming what was expected and what was shown.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use common::{fusioncell, relay};

const WAIT: Duration = Duration::from_secs(10);

/// An interactive `connect` process: its stdin, and its stdout lines read on a thread.
struct Session {
    who: &'static str,
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    /// Everything it printed so far, for failure messages and "never showed" checks.
    seen: Vec<String>,
}

impl Session {
    fn start(config: &str, url: &str, who: &'static str) -> Session {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fusioncell"))
            .args(["connect", "--config", config, "--relay", url, "--as", who])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take().unwrap();
        Session {
            who,
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    fn type_line(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next line that `matches`, within [`WAIT`].
    fn wait_for(&mut self, what: &str, matches: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if matches(&line) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "`{}` did not show {what} within {WAIT:?}; it showed:\n{}",
                    self.who,
                    self.seen.join("\n")
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "`{}` ended before showing {what}; it showed:\n{}",
                    self.who,
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Quits with `/quit` and waits for a clean exit.
    fn quit(mut self) {
        self.type_line("/quit");
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "`{}` exited with {status}", self.who);
                return;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("`{}` did not quit within {WAIT:?}", self.who);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn connect_shows_each_role_what_it_may_see_and_acts_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut relay, config, url) = relay(dir.path());
    let one_shot = |args: &[&str]| -> String {
        let mut all = args.to_vec();
        all.extend(["--config", &config, "--relay", &url]);
        let out = fusioncell(&all);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };

    let mut us = Session::start(&config, &url, "us");
    let mut syria = Session::start(&config, &url, "syria");
    let intro = us.wait_for("who it is", |l| l.contains("you are us (mediator"));
    assert!(intro.contains("U.S. mediation team"), "{intro}");
    let channels = us.wait_for("its channels", |l| l.starts_with("channels:"));
    assert!(channels.contains("#security rw moderated"), "{channels}");
    us.wait_for("the clock", |l| l == "clock: not started");
    us.wait_for("the help hint", |l| l.contains("/help"));
    us.wait_for("the live line", |l| l.starts_with("-- live"));
    syria.wait_for("the live line", |l| l.starts_with("-- live"));

    // A party's post to the moderated channel: held for the mediator, invisible to syria.
    let held = one_shot(&[
        "post",
        "--as",
        "israel",
        "--channel",
        "security",
        "Assessment: quiet night.",
    ]);
    let line = us.wait_for("the held post", |l| l.starts_with(&format!("#{held} ")));
    assert!(
        line.contains("israel → #security ✓ Assessment: quiet night.")
            && line.ends_with(&format!(
                "[PENDING #{held} — /approve {held} or /reject {held} REASON]"
            )),
        "{line}"
    );
    us.type_line("/pending");
    us.wait_for("the pending list", |l| {
        l.contains(&format!("#{held} ")) && l.contains("quiet night") && !l.contains("PENDING")
    });
    us.type_line(&format!("/approve {held}"));
    let ok = us.wait_for("the approval's outcome", |l| l.starts_with("ok: #"));
    assert!(ok.ends_with(&format!("(approve #{held})")), "{ok}");
    let released = syria.wait_for("the released post", |l| l.contains("quiet night"));
    assert!(
        released.starts_with(&format!("#{held} ")) && released.contains("[released by #"),
        "{released}"
    );
    assert!(
        !syria.seen.iter().any(|l| l.contains("PENDING")),
        "syria saw a held post: {:?}",
        syria.seen
    );

    // A hotline message: the other party is asked to acknowledge it.
    let hot = one_shot(&[
        "post",
        "--as",
        "israel",
        "--channel",
        "deescalation",
        "Patrol at marker 12.",
    ]);
    let line = syria.wait_for("the hotline message", |l| l.contains("marker 12"));
    assert!(
        line.contains(&format!("[HOTLINE — /ack {hot} within ")),
        "{line}"
    );
    syria.type_line(&format!("/ack {hot}"));
    syria.wait_for("the acknowledgement's outcome", |l| {
        l.starts_with("ok: #") && l.ends_with(&format!("(ack #{hot})"))
    });

    // A typed line posts to the current channel.
    syria.type_line("/join diplomacy");
    syria.wait_for("the channel switch", |l| l == "now posting to #diplomacy");
    syria.type_line("Damascus agrees to meet at ten.");
    syria.wait_for("the post's outcome", |l| {
        l.starts_with("ok: #") && l.ends_with("(post to #diplomacy)")
    });
    let line = us.wait_for("syria's post", |l| l.contains("agrees to meet"));
    assert!(
        line.contains("syria → #diplomacy ✓ Damascus agrees to meet at ten."),
        "{line}"
    );

    // A power the mediator lacks is refused, and the session goes on.
    us.type_line("/clock start");
    let refused = us.wait_for("the refusal", |l| l.starts_with("refused ("));
    assert!(refused.contains("(clock start)"), "{refused}");

    // Control starts the clock: everyone sees the banner.
    one_shot(&["clock", "--as", "control", "start", "--speed", "60"]);
    for s in [&mut us, &mut syria] {
        s.wait_for("the clock banner", |l| {
            l.starts_with("== CLOCK: running ×60, scenario 00:00:00 ==")
        });
    }
    us.type_line("/clock");
    us.wait_for("the clock", |l| {
        l.starts_with("clock: running ×60, scenario ")
    });

    us.quit();
    syria.quit();
    relay.kill().unwrap();
    relay.wait().unwrap();
}

#[test]
fn end_of_input_quits_after_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (mut relay, config, url) = relay(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_fusioncell"))
        .args([
            "connect", "--config", &config, "--relay", &url, "--as", "israel",
        ])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Everything typed at once, then end of input: the post is answered before the exit.
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "/join diplomacy\nGood morning.\n/observe 1 not mine").unwrap();
    drop(stdin);
    let (tx, rx) = channel();
    let mut stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        let _ = tx.send(text);
    });
    let text = rx
        .recv_timeout(WAIT)
        .expect("connect exits at end of input");
    assert!(child.wait().unwrap().success(), "{text}");
    assert!(text.contains("(post to #diplomacy)"), "{text}");
    assert!(text.contains("refused (forbidden)"), "{text}");
    assert!(text.trim_end().ends_with("-- bye --"), "{text}");
    relay.kill().unwrap();
    relay.wait().unwrap();
}
