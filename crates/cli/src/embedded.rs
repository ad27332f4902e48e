//! The example exercise built into the binary, so `fusioncell demo` needs no files: the
//! Paris talks scenario and the bot personas of `config/`.

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
