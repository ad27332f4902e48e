//! The validated cell: configs it refuses (each naming the field), defaults, and the `open`
//! record it describes.

use std::path::PathBuf;

use fusioncell_wire::Role;

use super::*;
use crate::defaults::HOTLINE_ACK_SECONDS;
use crate::example::fixture::{example_text, key_hex};

/// What a refused config must report.
#[derive(Debug)]
enum Expect {
    /// `CellError::Invalid` at this field path.
    Invalid(&'static str),
    /// `CellError::Parse` on the line holding `at` (first occurrence in the edited text),
    /// with a message starting `path: ` (or no path for a pure syntax error).
    Parse {
        path: &'static str,
        at: &'static str,
    },
}

/// Replaces the first occurrence of `from` in the example, which must be there.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the example no longer contains {from:?}"
    );
    text.replacen(from, to, 1)
}

fn small_order() -> &'static str {
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"
}

#[test]
fn invalid_configs_name_the_field() {
    let ex = example_text();
    let israel_key = key_hex(2);
    let syria_key = key_hex(3);
    let france_key = key_hex(6);
    let identity_point = format!("01{}", "00".repeat(31));
    let non_canonical = format!("ed{}7f", "ff".repeat(30));
    let cases: Vec<(&str, String, Expect)> = vec![
        (
            "unknown key",
            edit(
                &ex,
                "id = \"paris-joint-cell\"\n",
                "id = \"paris-joint-cell\"\ncolour = \"blue\"\n",
            ),
            Expect::Parse {
                path: "cell.colour",
                at: "colour",
            },
        ),
        (
            "unknown read receipts mode",
            edit(
                &ex,
                "id = \"paris-joint-cell\"\n",
                "id = \"paris-joint-cell\"\nread_receipts = \"sometimes\"\n",
            ),
            Expect::Parse {
                path: "cell.read_receipts",
                at: "\"sometimes\"",
            },
        ),
        (
            "misspelt limit",
            edit(&ex, "[limits]\n", "[limits]\nmax_mesage_bytes = 1\n"),
            Expect::Parse {
                path: "limits.max_mesage_bytes",
                at: "max_mesage_bytes",
            },
        ),
        (
            "unknown key in an identity",
            edit(
                &ex,
                "name = \"French observers\"\n",
                "name = \"French observers\"\nemail = \"x\"\n",
            ),
            Expect::Parse {
                path: "identity[4].email",
                at: "email",
            },
        ),
        (
            "bad role",
            edit(&ex, "role = \"observer\"", "role = \"king\""),
            Expect::Parse {
                path: "identity[4].role",
                at: "\"king\"",
            },
        ),
        (
            "bad channel name",
            edit(&ex, "id = \"commerce\"", "id = \"Commerce\""),
            Expect::Parse {
                path: "channel[3].id",
                at: "\"Commerce\"",
            },
        ),
        (
            "negative limit",
            edit(&ex, "[limits]\n", "[limits]\nmax_connections = -1\n"),
            Expect::Parse {
                path: "limits.max_connections",
                at: "-1",
            },
        ),
        (
            "TOML syntax error",
            edit(
                &ex,
                "title = \"Commercial opportunities\"",
                "title = \"Commercial opportunities",
            ),
            Expect::Parse {
                path: "",
                at: "title = \"Commercial opportunities\n",
            },
        ),
        (
            "duplicate TOML key",
            edit(
                &ex,
                "name = \"Paris joint communication cell\"\n",
                "name = \"a\"\nname = \"b\"\n",
            ),
            Expect::Parse {
                path: "",
                at: "name = \"b\"",
            },
        ),
        (
            "duplicate identity",
            edit(&ex, "id = \"syria\"", "id = \"israel\""),
            Expect::Invalid("identity[1].id"),
        ),
        (
            "reserved id relay",
            edit(&ex, "id = \"control\"", "id = \"relay\""),
            Expect::Invalid("identity[3].id"),
        ),
        (
            "member that does not exist",
            edit(
                &ex,
                "members = [\"us\", \"syria\"]",
                "members = [\"us\", \"iran\"]",
            ),
            Expect::Invalid("channel[5].members[1]"),
        ),
        (
            "observer as member",
            edit(
                &ex,
                "members = [\"us\", \"israel\"]",
                "members = [\"us\", \"france\"]",
            ),
            Expect::Invalid("channel[4].members[1]"),
        ),
        (
            "control as member",
            edit(
                &ex,
                "members = [\"us\", \"israel\"]",
                "members = [\"control\", \"israel\"]",
            ),
            Expect::Invalid("channel[4].members[0]"),
        ),
        (
            "member listed twice",
            edit(
                &ex,
                "members = [\"us\", \"israel\"]",
                "members = [\"us\", \"us\"]",
            ),
            Expect::Invalid("channel[4].members[1]"),
        ),
        (
            "evaluator as reader",
            edit(&ex, "readers = [\"france\"]", "readers = [\"evaluator\"]"),
            Expect::Invalid("channel[2].readers[0]"),
        ),
        (
            "member also reader",
            edit(
                &ex,
                "readers = [\"france\"]",
                "readers = [\"france\", \"syria\"]",
            ),
            Expect::Invalid("channel[2].readers[1]"),
        ),
        (
            "ack_seconds on an open channel",
            edit(
                &ex,
                "readers = [\"france\"]\n",
                "readers = [\"france\"]\nack_seconds = 5\n",
            ),
            Expect::Invalid("channel[2].ack_seconds"),
        ),
        (
            "ack_clock on an open channel",
            edit(
                &ex,
                "readers = [\"france\"]\n",
                "readers = [\"france\"]\nack_clock = \"scenario\"\n",
            ),
            Expect::Invalid("channel[2].ack_clock"),
        ),
        (
            "an unknown ack_clock",
            edit(
                &ex,
                "ack_seconds = 120\n",
                "ack_seconds = 120\nack_clock = \"lunar\"\n",
            ),
            Expect::Parse {
                path: "channel[1].ack_clock",
                at: "lunar",
            },
        ),
        (
            "duplicate channel",
            edit(&ex, "id = \"us-syria\"", "id = \"us-israel\""),
            Expect::Invalid("channel[5].id"),
        ),
        (
            "small-order key",
            edit(&ex, &france_key, small_order()),
            Expect::Invalid("identity[4].public_key"),
        ),
        (
            "identity-point key",
            edit(&ex, &israel_key, &identity_point),
            Expect::Invalid("identity[0].public_key"),
        ),
        (
            "non-canonical key",
            edit(&ex, &syria_key, &non_canonical),
            Expect::Invalid("identity[1].public_key"),
        ),
        (
            "short key",
            edit(&ex, &syria_key, "abcd"),
            Expect::Invalid("identity[1].public_key"),
        ),
        (
            "duplicate key",
            edit(&ex, &syria_key, &israel_key),
            Expect::Invalid("identity[1].public_key"),
        ),
        (
            "identity with the relay's key",
            edit(&ex, &israel_key, &key_hex(1)),
            Expect::Invalid("identity[0].public_key"),
        ),
        (
            "small-order relay key",
            edit(&ex, &key_hex(1), &identity_point),
            Expect::Invalid("relay.public_key"),
        ),
        (
            "no party",
            edit(&ex, "role = \"party\"", "role = \"observer\"").replacen(
                "role = \"party\"",
                "role = \"observer\"",
                1,
            ),
            Expect::Invalid("identity"),
        ),
        (
            "bad listen",
            edit(&ex, "listen = \"127.0.0.1:8443\"", "listen = \"127.0.0.1\""),
            Expect::Invalid("relay.listen"),
        ),
        (
            "public_url not a WebSocket URL",
            edit(&ex, "public_url = \"wss://", "public_url = \"https://"),
            Expect::Invalid("relay.public_url"),
        ),
        (
            "origin with a path",
            edit(
                &ex,
                "allowed_origins = []",
                "allowed_origins = [\"https://cell.example/\"]",
            ),
            Expect::Invalid("relay.allowed_origins[0]"),
        ),
        (
            "null origin",
            edit(
                &ex,
                "allowed_origins = []",
                "allowed_origins = [\"https://a.example\", \"null\"]",
            ),
            Expect::Invalid("relay.allowed_origins[1]"),
        ),
        (
            "empty path",
            edit(
                &ex,
                "journal = \"../target/example-journal\"",
                "journal = \"\"",
            ),
            Expect::Invalid("relay.journal"),
        ),
        (
            "frame larger than message",
            edit(&ex, "[limits]\n", "[limits]\nmax_frame_bytes = 70000\n"),
            Expect::Invalid("limits.max_frame_bytes"),
        ),
        (
            "zero limit",
            edit(&ex, "[limits]\n", "[limits]\nacts_per_minute = 0\n"),
            Expect::Invalid("limits.acts_per_minute"),
        ),
        (
            "idle timeout before the first ping",
            edit(&ex, "[limits]\n", "[limits]\nidle_timeout_ms = 20000\n"),
            Expect::Invalid("limits.idle_timeout_ms"),
        ),
        (
            "control character in a name",
            edit(
                &ex,
                "name = \"Syrian delegation\"",
                "name = \"Syrian\\u001b[2Jdelegation\"",
            ),
            Expect::Invalid("identity[1].name"),
        ),
    ];
    for (what, text, expect) in cases {
        let err = match Cell::from_toml(&text, Path::new("/c")) {
            Ok(_) => panic!("{what}: accepted"),
            Err(e) => e,
        };
        let shown = err.to_string();
        assert!(!shown.contains('\n'), "{what}: not one line: {shown}");
        match (&expect, &err) {
            (Expect::Invalid(path), CellError::Invalid { field, reason }) => {
                assert_eq!(field, path, "{what}: {shown}");
                assert!(!reason.is_empty(), "{what}");
            }
            (Expect::Parse { path, at }, CellError::Parse { line, message, .. }) => {
                let offset = text.find(at).unwrap();
                let expected_line = text[..offset].matches('\n').count() + 1;
                assert_eq!(*line, expected_line, "{what}: {shown}");
                if path.is_empty() {
                    assert!(!message.contains(": "), "{what}: unexpected path: {shown}");
                } else {
                    assert!(message.starts_with(&format!("{path}: ")), "{what}: {shown}");
                }
            }
            _ => panic!("{what}: expected {expect:?}, got {err:?}"),
        }
    }
}

#[test]
fn weak_keys_say_why() {
    let ex = example_text();
    let text = edit(&ex, &key_hex(2), &format!("01{}", "00".repeat(31)));
    let err = Cell::from_toml(&text, Path::new("/c")).unwrap_err();
    assert!(err.to_string().contains("small order"), "{err}");
    let text = edit(&ex, &key_hex(3), &key_hex(2));
    let err = Cell::from_toml(&text, Path::new("/c")).unwrap_err();
    assert!(err.to_string().contains("identity[0]"), "{err}");
}

#[test]
fn missing_keys_are_located() {
    let ex = example_text();
    let text = edit(&ex, "tls_cert = \"../certs-example/tls/relay.pem\"\n", "");
    let err = Cell::from_toml(&text, Path::new("/c")).unwrap_err();
    assert!(
        matches!(&err, CellError::Parse { message, .. }
                if message.starts_with("relay: ") && message.contains("tls_cert")),
        "{err}"
    );
    let text = edit(&ex, "[relay]\n", "[relai]\n");
    let err = Cell::from_toml(&text, Path::new("/c")).unwrap_err();
    assert!(matches!(&err, CellError::Parse { .. }), "{err}");
}

/// The smallest valid config: every optional key takes its default.
#[test]
fn optional_keys_take_their_defaults() {
    let text = format!(
        r#"
[cell]
id = "mini"

[relay]
listen = "[::1]:9000"
public_key = "{relay}"
key = "relay.key"
tls_cert = "/etc/fusioncell/relay.pem"
tls_key = "relay-tls.key"
ca = "ca.pem"
journal = "journal"

[[identity]]
id = "a"
role = "party"
public_key = "{a}"

[[channel]]
id = "line"
policy = "hotline"
members = ["a"]
"#,
        relay = key_hex(1),
        a = key_hex(2),
    );
    let cell = Cell::from_toml(&text, Path::new("/srv/mini")).unwrap();
    assert_eq!(cell.name(), "mini");
    let relay = cell.relay();
    assert_eq!(relay.public_url, "wss://[::1]:9000");
    assert_eq!(relay.key, PathBuf::from("/srv/mini/relay.key"));
    assert_eq!(relay.tls_cert, PathBuf::from("/etc/fusioncell/relay.pem"));
    assert!(relay.allowed_origins.is_empty());
    assert!(!relay.dangerous_no_fsync);
    assert_eq!(cell.limits(), &Limits::default());
    let a = &cell.identities()[0];
    assert_eq!(a.name, "a");
    let line = &cell.channels()[0];
    assert_eq!(line.title, "line");
    assert_eq!(
        line.policy,
        Policy::Hotline {
            ack_seconds: HOTLINE_ACK_SECONDS,
            ack_clock: crate::AckClock::Wall
        }
    );
    assert!(line.readers.is_empty());

    // Without a channel the cell is useless, and refused.
    let no_channel = text.split("[[channel]]").next().unwrap();
    let err = Cell::from_toml(no_channel, Path::new("/")).unwrap_err();
    assert!(
        matches!(&err, CellError::Invalid { field, .. } if field == "channel"),
        "{err}"
    );
}

#[test]
fn read_receipts_default_to_auto_and_may_be_manual() {
    use crate::ReadReceipts;
    let ex = example_text();
    let cell = Cell::from_toml(&ex, Path::new("/")).unwrap();
    assert_eq!(cell.read_receipts(), ReadReceipts::Auto);
    let text = edit(
        &ex,
        "id = \"paris-joint-cell\"\n",
        "id = \"paris-joint-cell\"\nread_receipts = \"manual\"\n",
    );
    let cell = Cell::from_toml(&text, Path::new("/")).unwrap();
    assert_eq!(cell.read_receipts(), ReadReceipts::Manual);
}

#[test]
fn limits_may_be_set() {
    let ex = example_text();
    let text = edit(
        &ex,
        "[limits]\n",
        "[limits]\nmax_message_bytes = 131072\nmax_frame_bytes = 131072\nclock_skew_ms = 5000\n",
    );
    let cell = Cell::from_toml(&text, Path::new("/")).unwrap();
    assert_eq!(cell.limits().max_message_bytes, 131_072);
    assert_eq!(cell.limits().max_frame_bytes, 131_072);
    assert_eq!(
        cell.limits().clock_skew(),
        std::time::Duration::from_secs(5)
    );
    assert_eq!(cell.limits().act_burst, crate::defaults::ACT_BURST);
}

#[test]
fn open_body_describes_the_cell() {
    let cell = crate::example::fixture::example_cell();
    let body = cell.open_body([7; 32]);
    assert_eq!(body.cell.as_str(), "paris-joint-cell");
    assert_eq!(body.config_sha256, Digest([7; 32]));
    assert_eq!(body.relay_key.to_hex(), key_hex(1));
    let ids: Vec<(&str, Role, String)> = body
        .identities
        .iter()
        .map(|i| (i.id.as_str(), i.role, i.public_key.to_hex()))
        .collect();
    assert_eq!(ids[0], ("israel", Role::Party, key_hex(2)));
    assert_eq!(ids[5], ("evaluator", Role::Evaluator, key_hex(7)));
    assert_eq!(ids.len(), 6);
    let policies: Vec<(&str, &str)> = body
        .channels
        .iter()
        .map(|c| (c.id.as_str(), c.policy.as_str()))
        .collect();
    assert_eq!(
        policies,
        [
            ("security", "moderated"),
            ("deescalation", "hotline"),
            ("diplomacy", "open"),
            ("commerce", "open"),
            ("us-israel", "open"),
            ("us-syria", "open"),
        ]
    );
    let diplomacy = &body.channels[2];
    let names = |v: &[IdentityId]| v.iter().map(|i| i.as_str().to_owned()).collect::<Vec<_>>();
    assert_eq!(names(&diplomacy.members), ["israel", "syria", "us"]);
    assert_eq!(names(&diplomacy.readers), ["france"]);
    assert_eq!(cell.identity_infos().len(), 6);
    assert_eq!(cell.identity_infos()[2].public_key.to_hex(), key_hex(4));
}
