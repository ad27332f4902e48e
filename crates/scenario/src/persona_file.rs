//! A persona file as written: the TOML shape serde reads strictly (unknown keys refused),
//! before [`Persona::from_toml`](crate::Persona::from_toml) checks the rules against each other.

use fusioncell_wire::{ChannelId, IdentityId};
use serde::Deserialize;
use toml::Spanned;

use crate::defaults::MAX_AFTER_S;
use crate::ids::InjectId;
use crate::msel::Text;
use crate::persona::Decision;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PersonaFile {
    pub(crate) identity: IdentityId,
    #[serde(default)]
    pub(crate) on_inject: Vec<Spanned<InjectEntry>>,
    #[serde(default)]
    pub(crate) on_keyword: Vec<KeywordEntry>,
    #[serde(default)]
    pub(crate) hotline: Option<HotlineEntry>,
    #[serde(default)]
    pub(crate) moderation: Option<Spanned<ModerationEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InjectEntry {
    #[serde(default)]
    pub(crate) inject: Option<InjectId>,
    #[serde(default)]
    pub(crate) inject_channel: Option<ChannelId>,
    #[serde(default)]
    pub(crate) channel: Option<ChannelId>,
    pub(crate) after_s: AfterS,
    pub(crate) text: Text,
    #[serde(default)]
    pub(crate) variants: Vec<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeywordEntry {
    pub(crate) keyword: Text,
    #[serde(default)]
    pub(crate) channel: Option<ChannelId>,
    pub(crate) after_s: AfterS,
    pub(crate) text: Text,
    #[serde(default)]
    pub(crate) variants: Vec<Text>,
    #[serde(default)]
    pub(crate) max_times: Option<MaxTimes>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HotlineEntry {
    pub(crate) ack: bool,
    pub(crate) after_s: AfterS,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModerationEntry {
    pub(crate) default: Decision,
    #[serde(default)]
    pub(crate) reject_if_contains: Vec<Text>,
    #[serde(default)]
    pub(crate) reject_reason: Option<Text>,
    pub(crate) after_s: AfterS,
}

/// A delay, 0 to [`MAX_AFTER_S`].
#[derive(Deserialize)]
#[serde(try_from = "u64")]
pub(crate) struct AfterS(pub(crate) u64);

impl TryFrom<u64> for AfterS {
    type Error = String;
    fn try_from(s: u64) -> Result<Self, String> {
        if s <= MAX_AFTER_S {
            Ok(AfterS(s))
        } else {
            Err(format!(
                "after_s must be at most {MAX_AFTER_S} (a day), got {s}"
            ))
        }
    }
}

/// A cap of at least 1.
#[derive(Deserialize)]
#[serde(try_from = "u32")]
pub(crate) struct MaxTimes(pub(crate) u32);

impl TryFrom<u32> for MaxTimes {
    type Error = String;
    fn try_from(n: u32) -> Result<Self, String> {
        if n >= 1 {
            Ok(MaxTimes(n))
        } else {
            Err("max_times must be at least 1 (remove the rule to disable it)".to_owned())
        }
    }
}
