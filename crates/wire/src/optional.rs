//! Optional fields on input: `null` means absent (PROTOCOL.md §1, "Strict JSON"). serde does
//! that by itself for an `Option`; a field with a default value (a mode, a list) needs this.

use serde::{Deserialize, Deserializer};

/// `#[serde(default, deserialize_with = "null_as_default")]`: `null` and absent both give the
/// default.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
