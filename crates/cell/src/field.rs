//! Checks of single config values that several sections share: public keys and display texts.

use fusioncell_keys::PublicKey;
use fusioncell_wire::PublicKeyBytes;

use crate::error::CellError;

/// Parses and validates a public key given as 64 hex characters.
pub(crate) fn public_key(field: &str, hex_text: &str) -> Result<PublicKey, CellError> {
    let bytes = PublicKeyBytes::from_hex(hex_text)
        .map_err(|e| CellError::invalid(field, format!("`{hex_text}`: {e}")))?;
    PublicKey::from_bytes(bytes.0).map_err(|e| CellError::invalid(field, e.to_string()))
}

/// A display name or title: the id if absent; otherwise one visible line, since it is shown in
/// consoles and reports where a newline or escape sequence could disguise what follows.
pub(crate) fn display_text(
    field: &str,
    text: Option<String>,
    id: &str,
) -> Result<String, CellError> {
    let Some(text) = text else {
        return Ok(id.to_owned());
    };
    if text.trim().is_empty() {
        return Err(CellError::invalid(
            field,
            "must not be blank (omit it to use the id)",
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(CellError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text)
}
