//! The example cell of the Paris talks, as fully commented config text.
//!
//! Israeli and Syrian officials meet in Paris under U.S. mediation, with French involvement,
//! and set up a joint communication cell. `fusioncell init` writes this text with freshly
//! generated keys; `config/cell.example.toml` in the repository is the same text with the
//! fixed development keys of `certs-example/` (a test keeps the two identical). Rendering it
//! from one function, with the limits taken from [`Limits::default`], means the example can
//! never drift from the defaults or from what the parser accepts.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use fusioncell_wire::CellId;

use crate::defaults::Limits;
use crate::toml_string::basic_string;

/// The identity ids of the example cell, in config order: `init` generates one key for each.
pub const EXAMPLE_IDENTITIES: [&str; 6] =
    ["israel", "syria", "us", "control", "france", "evaluator"];

/// What varies between copies of the example cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleParams {
    /// The cell id.
    pub cell_id: CellId,
    /// The address the relay binds; `public_url` is `wss://` + this + `public_path`.
    pub listen: SocketAddr,
    /// The path clients dial: `""` for a relay of this cell alone, `"/cells/<id>"` for one of
    /// several cells behind one relay.
    pub public_path: String,
    /// Prepended to the key and TLS paths (`keys/relay.key`, `tls/relay.pem`,
    /// `tls/relay-tls.key`, `tls/ca.pem`): `""` for a folder written by `init`,
    /// `"../certs-example/"` for the repository's example.
    pub path_prefix: String,
    /// The journal folder, as written (`"journal"`, or `"../target/example-journal"`).
    pub journal: String,
    /// The relay's public key, 64 hex characters.
    pub relay_public_key: String,
    /// Each identity's public key, 64 hex characters, by identity id. An identity missing from
    /// the map gets an empty key, which [`crate::Cell::from_toml`] refuses.
    pub identity_keys: BTreeMap<String, String>,
}

/// An identity of the example: id, role, display name, and the comment above it.
struct ExampleIdentity {
    id: &'static str,
    role: &'static str,
    name: &'static str,
    about: &'static str,
}

const IDENTITIES: [ExampleIdentity; 6] = [
    ExampleIdentity {
        id: "israel",
        role: "party",
        name: "Israeli delegation",
        about: "The Israeli delegation: a party to the talks.",
    },
    ExampleIdentity {
        id: "syria",
        role: "party",
        name: "Syrian delegation",
        about: "The Syrian delegation: a party to the talks.",
    },
    ExampleIdentity {
        id: "us",
        role: "mediator",
        name: "U.S. mediation team",
        about: "The U.S. mediation team: reads and writes every channel, releases moderated posts.",
    },
    ExampleIdentity {
        id: "control",
        role: "control",
        name: "Exercise control (white cell)",
        about: "Exercise control (the white cell): runs the scenario, injects into any channel.",
    },
    ExampleIdentity {
        id: "france",
        role: "observer",
        name: "French observers",
        about: "The French observers: read the diplomacy channel, post nothing.",
    },
    ExampleIdentity {
        id: "evaluator",
        role: "evaluator",
        name: "Exercise evaluator",
        about: "The exercise evaluator: reads every channel, posts nothing.",
    },
];

/// A channel of the example.
struct ExampleChannel {
    id: &'static str,
    title: &'static str,
    policy: &'static str,
    ack_seconds: Option<u32>,
    members: &'static [&'static str],
    readers: &'static [&'static str],
    about: &'static str,
}

/// The ids of the example cell's channels, in config order: what a scenario written for it
/// may address.
pub fn example_channel_ids() -> impl Iterator<Item = &'static str> {
    CHANNELS.iter().map(|c| c.id)
}

/// The four subject channels every side of the talks shares.
const TALKS: &[&str] = &["israel", "syria", "us"];

const CHANNELS: [ExampleChannel; 6] = [
    ExampleChannel {
        id: "security",
        title: "Intelligence sharing",
        policy: "moderated",
        ack_seconds: None,
        members: TALKS,
        readers: &[],
        about: "Intelligence sharing under supervision: the mediator releases each party's post.",
    },
    ExampleChannel {
        id: "deescalation",
        title: "Military de-escalation",
        policy: "hotline",
        ack_seconds: Some(120),
        members: TALKS,
        readers: &[],
        about: "Military de-escalation: each post must be acknowledged within two minutes.",
    },
    ExampleChannel {
        id: "diplomacy",
        title: "Diplomatic engagement",
        policy: "open",
        ack_seconds: None,
        members: TALKS,
        readers: &["france"],
        about: "Diplomatic engagement, with the French observers reading.",
    },
    ExampleChannel {
        id: "commerce",
        title: "Commercial opportunities",
        policy: "open",
        ack_seconds: None,
        members: TALKS,
        readers: &[],
        about: "Commercial opportunities: the proposed joint economic zone.",
    },
    ExampleChannel {
        id: "us-israel",
        title: "U.S.-Israel back-channel",
        policy: "open",
        ack_seconds: None,
        members: &["us", "israel"],
        readers: &[],
        about: "Back-channel between the mediator and the Israeli delegation.",
    },
    ExampleChannel {
        id: "us-syria",
        title: "U.S.-Syria back-channel",
        policy: "open",
        ack_seconds: None,
        members: &["us", "syria"],
        readers: &[],
        about: "Back-channel between the mediator and the Syrian delegation.",
    },
];

/// The text of the example cell config.
pub fn render_example(params: &ExampleParams) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let mut line = |s: &str| {
        out.push_str(s);
        out.push('\n');
    };
    line("# fusioncell cell configuration: the Paris joint communication cell.");
    line("#");
    line("# Israeli and Syrian officials meet in Paris under U.S. mediation, with French");
    line("# involvement, and set up a joint communication cell. Each identity holds its own");
    line("# Ed25519 private key; this file holds only public keys. Every act is written to a");
    line("# tamper-evident journal.");
    line("#");
    line("# Parsed strictly: an unknown key is an error. Relative paths are resolved against the");
    line("# folder of this file.");
    line("");
    line("[cell]");
    line("# The cell's id: bound into every signature, so acts cannot move to another cell.");
    line(&format!("id = {}", basic_string(params.cell_id.as_str())));
    line("# Display name (optional; defaults to the id).");
    line(&format!(
        "name = {}",
        basic_string("Paris joint communication cell")
    ));
    line("# Read receipts in the browser console: auto (default; a record shown in the open");
    line("# channel of a visible, focused page is receipted, in batches paced under the rate");
    line("# limit) | manual (a \"Mark read\" button on each message).");
    line("# read_receipts = \"auto\"");
    line("# The marking line on every console page, transcript and report page (optional).");
    line(&format!(
        "# marking = {}",
        basic_string(crate::defaults::MARKING)
    ));
    line("");
    line("[relay]");
    line("# IP address and port the relay binds.");
    line(&format!(
        "listen = {}",
        basic_string(&params.listen.to_string())
    ));
    line("# The URL clients dial (optional; defaults to \"wss://\" + listen).");
    line(&format!(
        "public_url = {}",
        basic_string(&format!("wss://{}{}", params.listen, params.public_path))
    ));
    line("# The relay's Ed25519 public key (64 hex): it signs checkpoints and its own records.");
    line(&format!(
        "public_key = {}",
        basic_string(&params.relay_public_key)
    ));
    line("# The relay's private signing key (PKCS#8 PEM, mode 0600).");
    let prefixed = |p: &str| basic_string(&format!("{}{p}", params.path_prefix));
    line(&format!("key = {}", prefixed("keys/relay.key")));
    line("# The relay's TLS certificate chain (PEM).");
    line(&format!("tls_cert = {}", prefixed("tls/relay.pem")));
    line("# The TLS certificate's private key (PEM, mode 0600).");
    line(&format!("tls_key = {}", prefixed("tls/relay-tls.key")));
    line("# The CA certificate clients trust for the relay (PEM).");
    line(&format!("ca = {}", prefixed("tls/ca.pem")));
    line("# The journal folder: the tamper-evident record of every act.");
    line(&format!("journal = {}", basic_string(&params.journal)));
    line("# Browser Origins allowed, exact match; clients that send no Origin are not browsers.");
    line("allowed_origins = []");
    line("# true acknowledges acts before fsync: faster, but a power failure may lose them.");
    line("dangerous_no_fsync = false");
    line("");
    line("[limits]");
    line("# Every key is optional: each is shown commented out with its default. Uncomment a");
    line("# line to change it. Limits that contradict each other are refused.");
    for (comment, key, value) in limit_lines(&Limits::default()) {
        line("");
        line(&format!("# {comment}"));
        line(&format!("# {key} = {value}"));
    }
    line("");
    line("# Identities: who takes part. The relay knows only their public keys.");
    line("#   id          lowercase letters, digits, - and _; `relay` is reserved");
    line("#   role        party (reads and writes its channels) | mediator (reads and writes all)");
    line(
        "#               | control (reads all, injects anywhere) | observer (reads what lists it)",
    );
    line("#               | evaluator (reads all, posts nothing)");
    line("#   name        display name (optional; defaults to the id)");
    line("#   public_key  Ed25519 public key, 64 hex; each identity has its own");
    for identity in &IDENTITIES {
        let key = params
            .identity_keys
            .get(identity.id)
            .map_or("", String::as_str);
        line("");
        line(&format!("# {}", identity.about));
        line("[[identity]]");
        line(&format!("id = {}", basic_string(identity.id)));
        line(&format!("role = {}", basic_string(identity.role)));
        line(&format!("name = {}", basic_string(identity.name)));
        line(&format!("public_key = {}", basic_string(key)));
    }
    line("");
    line(
        "# Channels: where they talk. The mediator, control and the evaluator read every channel;",
    );
    line("# parties and observers read the channels that list them.");
    line("#   id           lowercase letters, digits, - and _");
    line("#   title        display title (optional; defaults to the id)");
    line("#   policy       open (members post freely) | moderated (the mediator releases each");
    line("#                party post) | hotline (the other side must acknowledge each post");
    line("#                within ack_seconds, or it escalates to the mediator)");
    line("#   members      read and write: parties or the mediator");
    line("#   readers      read only: observers or parties (optional)");
    line(&format!(
        "#   ack_seconds  hotline only (optional; default {})",
        crate::defaults::HOTLINE_ACK_SECONDS
    ));
    line(
        "#   ack_clock    hotline only: wall (default; real seconds) | scenario (scenario seconds,",
    );
    line(
        "#                at the clock's speed); either way it stands still while play is stopped",
    );
    for channel in &CHANNELS {
        line("");
        line(&format!("# {}", channel.about));
        line("[[channel]]");
        line(&format!("id = {}", basic_string(channel.id)));
        line(&format!("title = {}", basic_string(channel.title)));
        line(&format!("policy = {}", basic_string(channel.policy)));
        line(&format!("members = {}", list(channel.members)));
        if !channel.readers.is_empty() {
            line(&format!("readers = {}", list(channel.readers)));
        }
        if let Some(ack) = channel.ack_seconds {
            line(&format!("ack_seconds = {ack}"));
        }
    }
    out
}

/// Every `[limits]` key with its value and a one-line comment, in the order of [`Limits`].
fn limit_lines(l: &Limits) -> [(&'static str, &'static str, String); 20] {
    [
        (
            "Largest WebSocket message, in bytes; a larger one closes the connection (1009).",
            "max_message_bytes",
            l.max_message_bytes.to_string(),
        ),
        (
            "Largest WebSocket frame, in bytes; at most max_message_bytes.",
            "max_frame_bytes",
            l.max_frame_bytes.to_string(),
        ),
        (
            "Most bytes buffered for writing to one connection.",
            "max_write_buffer_bytes",
            l.max_write_buffer_bytes.to_string(),
        ),
        (
            "Deadline for the TLS handshake, from accept (ms).",
            "tls_handshake_timeout_ms",
            l.tls_handshake_timeout_ms.to_string(),
        ),
        (
            "Deadline for the WebSocket upgrade, after TLS (ms).",
            "upgrade_timeout_ms",
            l.upgrade_timeout_ms.to_string(),
        ),
        (
            "Deadline for the signed login answer, after the challenge (ms).",
            "login_timeout_ms",
            l.login_timeout_ms.to_string(),
        ),
        (
            "How often the relay pings a connection (ms).",
            "ping_interval_ms",
            l.ping_interval_ms.to_string(),
        ),
        (
            "A connection silent this long is closed (ms); more than ping_interval_ms.",
            "idle_timeout_ms",
            l.idle_timeout_ms.to_string(),
        ),
        (
            "Connections that have started their handshake and not logged in yet.",
            "max_pending_connections",
            l.max_pending_connections.to_string(),
        ),
        (
            "Connections in total, silent ones included.",
            "max_connections",
            l.max_connections.to_string(),
        ),
        (
            "Sessions of one identity at once (several devices); a new one supersedes the oldest.",
            "max_sessions_per_identity",
            l.max_sessions_per_identity.to_string(),
        ),
        (
            "Acts per minute per identity, sustained (token bucket).",
            "acts_per_minute",
            l.acts_per_minute.to_string(),
        ),
        (
            "Acts per identity allowed in a burst.",
            "act_burst",
            l.act_burst.to_string(),
        ),
        (
            "Bytes per second per identity, sustained.",
            "bytes_per_second",
            l.bytes_per_second.to_string(),
        ),
        (
            "Frames queued for one session before it is closed as too slow (it then resumes).",
            "outbound_queue_messages",
            l.outbound_queue_messages.to_string(),
        ),
        (
            "Bytes queued for one session before it is closed as too slow.",
            "outbound_queue_bytes",
            l.outbound_queue_bytes.to_string(),
        ),
        (
            "Largest difference between an act's timestamp and the relay's clock (ms).",
            "clock_skew_ms",
            l.clock_skew_ms.to_string(),
        ),
        (
            "The relay signs a checkpoint at least every this many records...",
            "checkpoint_every_records",
            l.checkpoint_every_records.to_string(),
        ),
        (
            "... and at least this often while records arrive (ms).",
            "checkpoint_every_ms",
            l.checkpoint_every_ms.to_string(),
        ),
        (
            "Most records made durable by one group commit (one fsync).",
            "max_batch_records",
            l.max_batch_records.to_string(),
        ),
    ]
}

/// A TOML array of strings on one line.
fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| basic_string(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The repository example's parameters and the example cell, for tests across the crate.
#[cfg(test)]
pub(crate) mod fixture {
    use std::collections::BTreeMap;
    use std::path::Path;

    use fusioncell_keys::SigningKey;

    use super::{EXAMPLE_IDENTITIES, ExampleParams, render_example};
    use crate::model::Cell;

    /// The public key of the fixed development seed `[n; 32]`: 1 is the relay, 2.. the
    /// identities in [`EXAMPLE_IDENTITIES`] order (what `certs-example/` holds).
    pub(crate) fn key_hex(n: u8) -> String {
        hex::encode(SigningKey::from_seed([n; 32]).public_key().bytes())
    }

    /// The parameters of `config/cell.example.toml`.
    pub(crate) fn repo_params() -> ExampleParams {
        let identity_keys: BTreeMap<String, String> = EXAMPLE_IDENTITIES
            .iter()
            .zip(2u8..)
            .map(|(id, n)| ((*id).to_owned(), key_hex(n)))
            .collect();
        ExampleParams {
            cell_id: "paris-joint-cell".parse().unwrap(),
            listen: "127.0.0.1:8443".parse().unwrap(),
            public_path: String::new(),
            path_prefix: "../certs-example/".to_owned(),
            journal: "../target/example-journal".to_owned(),
            relay_public_key: key_hex(1),
            identity_keys,
        }
    }

    /// The text of the repository example.
    pub(crate) fn example_text() -> String {
        render_example(&repo_params())
    }

    /// The repository example, validated, as if read from `/work/config`.
    pub(crate) fn example_cell() -> Cell {
        Cell::from_toml(&example_text(), Path::new("/work/config")).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use fusioncell_wire::{ChannelId, IdentityId, Role};

    use super::fixture::{example_cell, example_text, key_hex, repo_params};
    use super::*;
    use crate::error::CellError;
    use crate::model::{Cell, Policy};

    /// The file in the repository is exactly what `render_example` writes for it. After a
    /// deliberate change, regenerate it with
    /// `FUSIONCELL_UPDATE_EXAMPLE=1 cargo test -p fusioncell-cell repo_example` (the only
    /// place this crate writes a file, and only in a test).
    #[test]
    fn repo_example_is_rendered_byte_for_byte() {
        let rendered = example_text();
        if std::env::var_os("FUSIONCELL_UPDATE_EXAMPLE").is_some() {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/cell.example.toml");
            std::fs::write(path, &rendered).unwrap();
            return;
        }
        let file = include_str!("../../../config/cell.example.toml");
        assert!(
            file == rendered,
            "config/cell.example.toml differs from render_example(repo params); regenerate it \
             with FUSIONCELL_UPDATE_EXAMPLE=1 cargo test -p fusioncell-cell repo_example"
        );
    }

    #[test]
    fn example_parses_and_validates() {
        let cell = example_cell();
        assert_eq!(cell.id().as_str(), "paris-joint-cell");
        assert_eq!(cell.name(), "Paris joint communication cell");

        let ids: Vec<&str> = cell.identities().iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, EXAMPLE_IDENTITIES);
        let roles: Vec<Role> = cell.identities().iter().map(|i| i.role).collect();
        assert_eq!(
            roles,
            [
                Role::Party,
                Role::Party,
                Role::Mediator,
                Role::Control,
                Role::Observer,
                Role::Evaluator
            ]
        );
        for (identity, seed) in cell.identities().iter().zip(2u8..) {
            assert_eq!(hex::encode(identity.public_key.bytes()), key_hex(seed));
        }
        let france = cell.identity(&IdentityId::new("france").unwrap()).unwrap();
        assert_eq!(france.name, "French observers");

        let channels: Vec<&str> = cell.channels().iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            channels,
            [
                "security",
                "deescalation",
                "diplomacy",
                "commerce",
                "us-israel",
                "us-syria"
            ]
        );
        let channel = |id: &str| cell.channel(&ChannelId::new(id).unwrap()).unwrap();
        let set = |ids: &[&str]| -> BTreeSet<IdentityId> {
            ids.iter().map(|i| IdentityId::new(*i).unwrap()).collect()
        };
        assert_eq!(channel("security").policy, Policy::Moderated);
        assert_eq!(channel("security").title, "Intelligence sharing");
        assert_eq!(
            channel("deescalation").policy,
            Policy::Hotline {
                ack_seconds: 120,
                ack_clock: crate::AckClock::Wall
            }
        );
        assert_eq!(channel("diplomacy").policy, Policy::Open);
        assert_eq!(
            channel("diplomacy").members,
            set(&["israel", "syria", "us"])
        );
        assert_eq!(channel("diplomacy").readers, set(&["france"]));
        assert_eq!(channel("commerce").readers, set(&[]));
        assert_eq!(channel("us-israel").members, set(&["us", "israel"]));
        assert_eq!(channel("us-syria").members, set(&["us", "syria"]));

        let relay = cell.relay();
        assert_eq!(relay.listen.to_string(), "127.0.0.1:8443");
        assert_eq!(relay.public_url, "wss://127.0.0.1:8443");
        assert_eq!(hex::encode(relay.public_key.bytes()), key_hex(1));
        let base = Path::new("/work/config");
        assert_eq!(relay.key, base.join("../certs-example/keys/relay.key"));
        assert_eq!(relay.tls_cert, base.join("../certs-example/tls/relay.pem"));
        assert_eq!(
            relay.tls_key,
            base.join("../certs-example/tls/relay-tls.key")
        );
        assert_eq!(relay.ca, base.join("../certs-example/tls/ca.pem"));
        assert_eq!(relay.journal, base.join("../target/example-journal"));
        assert!(relay.allowed_origins.is_empty());
        assert!(!relay.dangerous_no_fsync);
        assert_eq!(cell.limits(), &Limits::default());
    }

    /// Uncommenting the `[limits]` lines gives exactly the defaults, and every key is there.
    #[test]
    fn commented_limits_are_every_default() {
        let text = example_text();
        let section: String = text
            .split("[limits]\n")
            .nth(1)
            .unwrap()
            .lines()
            .take_while(|l| !l.starts_with("# Identities"))
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| l.contains(" = "))
            .map(|l| format!("{l}\n"))
            .collect();
        let parsed: toml::Table = toml::from_str(&section).unwrap();
        let expected = toml::Table::try_from(Limits::default()).unwrap();
        assert_eq!(parsed, expected);
        let limits: Limits = toml::from_str(&section).unwrap();
        assert_eq!(limits, Limits::default());
    }

    /// The layout `fusioncell init` writes: paths inside the cell's own folder.
    #[test]
    fn init_layout_resolves_inside_the_folder() {
        let params = ExampleParams {
            path_prefix: String::new(),
            journal: "journal".to_owned(),
            listen: "0.0.0.0:9443".parse().unwrap(),
            cell_id: "drill-7".parse().unwrap(),
            ..repo_params()
        };
        let text = render_example(&params);
        assert!(text.contains("\nkey = \"keys/relay.key\"\n"));
        assert!(text.contains("\ntls_cert = \"tls/relay.pem\"\n"));
        assert!(text.contains("\ntls_key = \"tls/relay-tls.key\"\n"));
        assert!(text.contains("\nca = \"tls/ca.pem\"\n"));
        assert!(text.contains("\njournal = \"journal\"\n"));
        let cell = Cell::from_toml(&text, Path::new("/srv/drill")).unwrap();
        assert_eq!(cell.id().as_str(), "drill-7");
        assert_eq!(cell.relay().key, PathBuf::from("/srv/drill/keys/relay.key"));
        assert_eq!(cell.relay().journal, PathBuf::from("/srv/drill/journal"));
        assert_eq!(cell.relay().public_url, "wss://0.0.0.0:9443");
    }

    #[test]
    fn a_missing_identity_key_is_refused_not_invented() {
        let mut params = repo_params();
        params.identity_keys.remove("france");
        let err = Cell::from_toml(&render_example(&params), Path::new("/")).unwrap_err();
        assert!(
            matches!(&err, CellError::Invalid { field, .. } if field == "identity[4].public_key"),
            "{err}"
        );
    }
}
