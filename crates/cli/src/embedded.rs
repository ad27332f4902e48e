//! The example exercise built into the binary, so `fusioncell demo` needs no files: the
//! Paris talks scenario and the bot personas of `config/`; and the example cell with its
//! public TLS key, so the relay recognises them ([`crate::example_keys`]).

/// `config/cell.example.toml`: its public keys are those of `certs-example/keys/`.
pub const EXAMPLE_CELL: &str = include_str!("../../../config/cell.example.toml");

/// `certs-example/tls/relay-tls.key`: the example relay's TLS private key, which is public.
pub const EXAMPLE_TLS_KEY: &str = include_str!("../../../certs-example/tls/relay-tls.key");

/// `config/scenarios/paris-talks.toml`.
pub const SCENARIO: &str = include_str!("../../../config/scenarios/paris-talks.toml");

/// `config/bots/*.toml`: (file name, text).
pub const BOTS: [(&str, &str); 3] = [
    (
        "israel.toml",
        include_str!("../../../config/bots/israel.toml"),
    ),
    (
        "syria.toml",
        include_str!("../../../config/bots/syria.toml"),
    ),
    ("us.toml", include_str!("../../../config/bots/us.toml")),
];
