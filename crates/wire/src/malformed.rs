//! Which field of a malformed frame is wrong.
//!
//! serde says what was wrong ("invalid type: integer `7`, expected a string") but, for an
//! internally tagged enum such as [`ClientMsg`](crate::ClientMsg), not where: it buffers the
//! object before it knows the variant, and the path is lost. A client written from PROTOCOL.md
//! needs the field to fix its frame, so this finds it by taking fields out one at a time: the
//! field whose absence makes the frame parse, or leaves only that absence to complain of, is
//! the one at fault; then the same inside it, for a nested object. A frame with two faults
//! gets serde's message alone.
//!
//! It runs only on a frame already refused, and is bounded: a frame of at most 4 KiB, at most
//! 12 keys per object, 3 levels below the frame's own fields, so at most 49 parses of the
//! frame; the relay calls it after the sender's rate check.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Frames longer than this are described by serde's message alone.
const MAX_FRAME_BYTES: usize = 4 * 1024;
/// Objects with more keys than this are not searched (no frame of PROTOCOL.md §4.1 has more
/// than 8).
const MAX_KEYS: usize = 12;
/// Nested objects searched below the frame's own fields.
const MAX_DEPTH: usize = 3;
/// Every frame's tag (PROTOCOL.md §4). serde looks for it before anything else, so a frame
/// without it says "missing field `type`" whatever else is wrong: never searched.
const TAG: &str = "type";

/// serde's message for `error`, the refusal of `text` as a `T`, prefixed with the path of the
/// field at fault (`act.seq: invalid type: …`) when it can be found and the message does not
/// already name it.
pub(crate) fn describe<T: DeserializeOwned>(text: &str, error: &serde_json::Error) -> String {
    let message = error.to_string();
    let names_its_field = ["unknown field", "missing field", "duplicate field"]
        .iter()
        .any(|start| message.starts_with(start));
    if names_its_field || !error.is_data() || text.len() > MAX_FRAME_BYTES {
        return message;
    }
    let Ok(mut frame) = serde_json::from_str::<Value>(text) else {
        return message;
    };
    let mut path = Vec::new();
    locate::<T>(&mut frame, &mut path);
    if path.is_empty() {
        message
    } else {
        format!("{}: {message}", path.join("."))
    }
}

/// Appends to `path` the key at fault in the object at `path` (and below it), if one is.
fn locate<T: DeserializeOwned>(frame: &mut Value, path: &mut Vec<String>) {
    let keys: Vec<String> = match object_at(frame, path) {
        Some(object) if object.len() <= MAX_KEYS => object.keys().cloned().collect(),
        _ => return,
    };
    for key in keys {
        if path.is_empty() && key == TAG {
            continue;
        }
        let Some(value) = object_at(frame, path).and_then(|o| o.remove(&key)) else {
            continue;
        };
        let verdict = serde_json::from_value::<T>(frame.clone());
        let at_fault = match &verdict {
            Ok(_) => true,
            Err(e) => e.to_string() == format!("missing field `{key}`"),
        };
        let nested = value.is_object();
        if let Some(object) = object_at(frame, path) {
            object.insert(key.clone(), value);
        }
        if at_fault {
            path.push(key);
            if nested && path.len() <= MAX_DEPTH {
                locate::<T>(frame, path);
            }
            return;
        }
    }
}

/// The object at `path` in `frame`, if that is an object.
fn object_at<'a>(frame: &'a mut Value, path: &[String]) -> Option<&'a mut Map<String, Value>> {
    path.iter()
        .try_fold(frame, |value, key| value.get_mut(key))?
        .as_object_mut()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClientMsg;

    fn described(text: &str) -> String {
        let error = ClientMsg::from_json(text).expect_err("malformed");
        describe::<ClientMsg>(text, &error)
    }

    #[test]
    fn names_the_top_level_field_of_a_wrong_value() {
        let sig = "A".repeat(86) + "==";
        let text = format!(r#"{{"type":"login","identity":"israel","sig":"{sig}","directory":7}}"#);
        assert_eq!(
            described(&text),
            "directory: invalid type: integer `7`, expected a string"
        );
        let text =
            format!(r#"{{"type":"login","identity":"israel","sig":"{sig}","presence":"x"}}"#);
        assert!(described(&text).starts_with("presence: unknown variant `x`"));
        assert!(described(r#"{"type":"subscribe","from":"0"}"#).starts_with("from: invalid type"));
    }

    #[test]
    fn the_tag_is_never_blamed_for_another_field() {
        let text = r#"{"type":"login","identity":"israel","sig":7}"#;
        assert_eq!(
            described(text),
            "sig: invalid type: integer `7`, expected a string"
        );
    }

    #[test]
    fn names_a_nested_field() {
        let (sig, hash) = ("A".repeat(86) + "==", "0".repeat(64));
        let act = format!(
            r#"{{"kind":"post","cell":"c","channel":"diplomacy","actor":"israel","seq":SEQ,"ts":1,"body_sha256":"{hash}"}}"#
        );
        let text = format!(r#"{{"type":"act","act":{act},"body":"hi","sig":"{sig}"}}"#);
        ClientMsg::from_json(&text.replace("SEQ", "1")).expect("the frame is well formed");
        assert_eq!(
            described(&text.replace("SEQ", r#""x""#)),
            r#"act.seq: invalid type: string "x", expected u64"#
        );
    }

    #[test]
    fn leaves_alone_what_names_its_field_or_is_not_json() {
        assert_eq!(
            described(r#"{"type":"subscribe","zz":1}"#),
            ClientMsg::from_json(r#"{"type":"subscribe","zz":1}"#)
                .expect_err("unknown")
                .to_string()
        );
        let text = r#"{"type":"subscribe""#;
        let error = ClientMsg::from_json(text).expect_err("eof");
        assert_eq!(describe::<ClientMsg>(text, &error), error.to_string());
    }

    #[test]
    fn a_large_frame_is_not_searched() {
        let text = format!(
            r#"{{"type":"subscribe","from":"{}"}}"#,
            "9".repeat(MAX_FRAME_BYTES)
        );
        let error = ClientMsg::from_json(&text).expect_err("string");
        assert_eq!(describe::<ClientMsg>(&text, &error), error.to_string());
    }
}
