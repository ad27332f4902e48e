//! An act's body, decoded once.
//!
//! A body travels as text: the signature covers its SHA-256, so the exact bytes must be kept
//! (PROTOCOL.md §5.2). Its parameters are decoded from that text once, where the act enters —
//! the relay's checks, a client's receive, the journal reader — into [`ActBody`], one variant
//! per [`ActKind`]. Every later step matches on the variant; nothing parses a body string again.
//!
//! Decoding is strict (unknown fields, duplicate keys and wrong types are errors), and the
//! variant always matches the act's kind: [`Body::decode`] is the only way from text to a body.

use serde::{Deserialize, Serialize, Serializer};

use crate::act::ActKind;
use crate::act_body::{
    AckBody, ClockBody, CosignBody, DecisionBody, EscalateBody, GrantBody, InjectBody, MselBody,
    MuteBody, ObserveBody, ReceiptBody, RedactBody, ReplyBody,
};
use crate::relay_body::{OpenBody, RecoveredBody, SecurityBody};

/// The parameters of an act, one variant per kind (PROTOCOL.md §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActBody {
    /// A message: the body's text is the message itself ([`Body::text`]).
    Post,
    /// A message answering an earlier record.
    Reply(ReplyBody),
    /// The mediator releases a held post.
    Approve(DecisionBody),
    /// The mediator refuses a held post.
    Reject(DecisionBody),
    /// The mediator silences an identity.
    Mute(MuteBody),
    /// The mediator lifts a mute.
    Unmute(MuteBody),
    /// The mediator adds a member or reader to a channel.
    Grant(GrantBody),
    /// The mediator removes one.
    Revoke(GrantBody),
    /// The mediator removes a record's body.
    Redact(RedactBody),
    /// The exercise clock changes.
    Clock(ClockBody),
    /// A scenario inject.
    Inject(InjectBody),
    /// A controller skips, holds or releases an inject.
    Msel(MselBody),
    /// An evaluator's observation.
    Observe(ObserveBody),
    /// A delivery or read receipt.
    Receipt(ReceiptBody),
    /// A hotline acknowledgement.
    Ack(AckBody),
    /// A witness's countersignature of a checkpoint.
    Cosign(CosignBody),
    /// Record 0: the cell as the relay opened it.
    Open(OpenBody),
    /// A refused login or act.
    Security(SecurityBody),
    /// What the relay found on restart.
    Recovered(RecoveredBody),
    /// A hotline post missed its deadline.
    Escalate(EscalateBody),
}

impl ActBody {
    /// The act kind this body belongs to.
    pub fn kind(&self) -> ActKind {
        match self {
            ActBody::Post => ActKind::Post,
            ActBody::Reply(_) => ActKind::Reply,
            ActBody::Approve(_) => ActKind::Approve,
            ActBody::Reject(_) => ActKind::Reject,
            ActBody::Mute(_) => ActKind::Mute,
            ActBody::Unmute(_) => ActKind::Unmute,
            ActBody::Grant(_) => ActKind::Grant,
            ActBody::Revoke(_) => ActKind::Revoke,
            ActBody::Redact(_) => ActKind::Redact,
            ActBody::Clock(_) => ActKind::Clock,
            ActBody::Inject(_) => ActKind::Inject,
            ActBody::Msel(_) => ActKind::Msel,
            ActBody::Observe(_) => ActKind::Observe,
            ActBody::Receipt(_) => ActKind::Receipt,
            ActBody::Ack(_) => ActKind::Ack,
            ActBody::Cosign(_) => ActKind::Cosign,
            ActBody::Open(_) => ActKind::Open,
            ActBody::Security(_) => ActKind::Security,
            ActBody::Recovered(_) => ActKind::Recovered,
            ActBody::Escalate(_) => ActKind::Escalate,
        }
    }

    /// The JSON text of the parameters; empty for a post, whose text is given by the caller.
    fn to_json(&self) -> String {
        fn json<T: Serialize>(value: &T) -> String {
            // Serializing these plain structs (strings, integers, enums) cannot fail.
            serde_json::to_string(value).unwrap_or_default()
        }
        match self {
            ActBody::Post => String::new(),
            ActBody::Reply(b) => json(b),
            ActBody::Approve(b) | ActBody::Reject(b) => json(b),
            ActBody::Mute(b) | ActBody::Unmute(b) => json(b),
            ActBody::Grant(b) | ActBody::Revoke(b) => json(b),
            ActBody::Redact(b) => json(b),
            ActBody::Clock(b) => json(b),
            ActBody::Inject(b) => json(b),
            ActBody::Msel(b) => json(b),
            ActBody::Observe(b) => json(b),
            ActBody::Receipt(b) => json(b),
            ActBody::Ack(b) => json(b),
            ActBody::Cosign(b) => json(b),
            ActBody::Open(b) => json(b),
            ActBody::Security(b) => json(b),
            ActBody::Recovered(b) => json(b),
            ActBody::Escalate(b) => json(b),
        }
    }
}

/// A parameter type that [`ActBody::get`] takes out of the variants that carry it (a decision
/// out of `approve` and `reject`, a mute out of `mute` and `unmute`, ...).
pub trait Params: Sized {
    /// The parameters, if `body` is of a kind that carries this type.
    fn of(body: &ActBody) -> Option<&Self>;
}

macro_rules! params {
    ($($ty:ty => $($variant:ident)|+;)*) => {$(
        impl Params for $ty {
            fn of(body: &ActBody) -> Option<&Self> {
                match body {
                    $(ActBody::$variant(b))|+ => Some(b),
                    _ => None,
                }
            }
        }
    )*};
}

params! {
    ReplyBody => Reply;
    DecisionBody => Approve | Reject;
    MuteBody => Mute | Unmute;
    GrantBody => Grant | Revoke;
    RedactBody => Redact;
    ClockBody => Clock;
    InjectBody => Inject;
    MselBody => Msel;
    ObserveBody => Observe;
    ReceiptBody => Receipt;
    AckBody => Ack;
    CosignBody => Cosign;
    OpenBody => Open;
    SecurityBody => Security;
    RecoveredBody => Recovered;
    EscalateBody => Escalate;
}

impl ActBody {
    /// The parameters of type `T`, if this body carries them.
    pub fn get<T: Params>(&self) -> Option<&T> {
        T::of(self)
    }
}

/// A body that does not decode for its act's kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the body of a `{kind}` act does not parse: {reason}")]
pub struct BodyError {
    /// The act's kind.
    pub kind: &'static str,
    /// What the JSON parser said, prefixed with the field at fault when its message does not
    /// name it (`target: invalid type: …`).
    pub reason: String,
}

/// An act's body: the exact text whose hash was signed, and its decoded parameters. The
/// parameters are boxed so that a record, which every delivery and fold carries, stays small;
/// a post (most records) has none, so it costs no allocation beyond its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    text: String,
    /// `None` for a post.
    params: Option<Box<ActBody>>,
}

/// The parameters of every post: none.
static POST: ActBody = ActBody::Post;

/// Boxes the parameters of a kind that has any.
fn boxed(value: ActBody) -> Option<Box<ActBody>> {
    match value {
        ActBody::Post => None,
        other => Some(Box::new(other)),
    }
}

impl Body {
    /// Decodes `text` as the body of a `kind` act: free text for a post, strict JSON of the
    /// kind's parameters otherwise.
    pub fn decode(kind: ActKind, text: String) -> Result<Body, BodyError> {
        fn parse<T: for<'de> Deserialize<'de>>(kind: ActKind, text: &str) -> Result<T, BodyError> {
            serde_json::from_str(text).map_err(|e| BodyError {
                kind: kind.as_str(),
                reason: crate::malformed::describe::<T>(text, &e),
            })
        }
        let t = text.as_str();
        let value = match kind {
            ActKind::Post => ActBody::Post,
            ActKind::Reply => ActBody::Reply(parse(kind, t)?),
            ActKind::Approve => ActBody::Approve(parse(kind, t)?),
            ActKind::Reject => ActBody::Reject(parse(kind, t)?),
            ActKind::Mute => ActBody::Mute(parse(kind, t)?),
            ActKind::Unmute => ActBody::Unmute(parse(kind, t)?),
            ActKind::Grant => ActBody::Grant(parse(kind, t)?),
            ActKind::Revoke => ActBody::Revoke(parse(kind, t)?),
            ActKind::Redact => ActBody::Redact(parse(kind, t)?),
            ActKind::Clock => ActBody::Clock(parse(kind, t)?),
            ActKind::Inject => ActBody::Inject(parse(kind, t)?),
            ActKind::Msel => ActBody::Msel(parse(kind, t)?),
            ActKind::Observe => ActBody::Observe(parse(kind, t)?),
            ActKind::Receipt => ActBody::Receipt(parse(kind, t)?),
            ActKind::Ack => ActBody::Ack(parse(kind, t)?),
            ActKind::Cosign => ActBody::Cosign(parse(kind, t)?),
            ActKind::Open => ActBody::Open(parse(kind, t)?),
            ActKind::Security => ActBody::Security(parse(kind, t)?),
            ActKind::Recovered => ActBody::Recovered(parse(kind, t)?),
            ActKind::Escalate => ActBody::Escalate(parse(kind, t)?),
        };
        Ok(Body {
            text,
            params: boxed(value),
        })
    }

    /// A post's body: the message.
    pub fn post(text: impl Into<String>) -> Body {
        Body {
            text: text.into(),
            params: None,
        }
    }

    /// The body of a kind with parameters, encoded as compact JSON. (A post's body is made
    /// with [`Body::post`]: given [`ActBody::Post`], this makes an empty post.)
    pub fn new(value: ActBody) -> Body {
        Body {
            text: value.to_json(),
            params: boxed(value),
        }
    }

    /// The exact text, as signed through its hash and journaled.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The decoded parameters.
    pub fn value(&self) -> &ActBody {
        self.params.as_deref().unwrap_or(&POST)
    }

    /// The kind of act this body belongs to.
    pub fn kind(&self) -> ActKind {
        self.value().kind()
    }

    /// Gives up the text.
    pub fn into_text(self) -> String {
        self.text
    }
}

/// A body is written as its text: the wire and journal formats hold the string that was signed.
impl Serialize for Body {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_text() {
        let cases = [
            (ActKind::Post, "hello"),
            (ActKind::Reply, r#"{"target":3,"text":"yes"}"#),
            (ActKind::Ack, r#"{"target":4}"#),
            (ActKind::Receipt, r#"{"target":4,"kind":"read"}"#),
        ];
        for (kind, text) in cases {
            let body = Body::decode(kind, text.to_owned()).unwrap();
            assert_eq!(body.kind(), kind);
            assert_eq!(body.text(), text);
            if kind != ActKind::Post {
                assert_eq!(Body::new(body.value().clone()).text(), text);
            }
        }
    }

    #[test]
    fn a_body_that_does_not_fit_its_kind_is_refused() {
        for (kind, text) in [
            (ActKind::Ack, "hello"),
            (ActKind::Ack, r#"{"target":4,"extra":1}"#),
            (ActKind::Ack, r#"{"target":4,"target":5}"#),
            (ActKind::Reply, r#"{"target":"4","text":"x"}"#),
            (ActKind::Approve, r#"{"target":4}"#),
        ] {
            let err = Body::decode(kind, text.to_owned()).unwrap_err();
            assert_eq!(err.kind, kind.as_str(), "{text}");
        }
    }

    #[test]
    fn a_refused_body_names_its_field() {
        let err = Body::decode(
            ActKind::Receipt,
            r#"{"target":"4","kind":"read"}"#.to_owned(),
        )
        .unwrap_err();
        assert!(
            err.reason.starts_with("target: invalid type"),
            "{}",
            err.reason
        );
        let err =
            Body::decode(ActKind::Receipt, r#"{"target":4,"kind":"seen"}"#.to_owned()).unwrap_err();
        assert!(
            err.reason.starts_with("kind: unknown variant"),
            "{}",
            err.reason
        );
    }

    /// PROTOCOL.md §1: `null` for an optional field is the same as leaving it out.
    #[test]
    fn null_is_absent_in_a_body() {
        let text = r#"{"target":4,"kind":"read","also":null}"#;
        let body = Body::decode(ActKind::Receipt, text.to_owned()).unwrap();
        assert_eq!(body.text(), text, "the signed text is kept as it was");
        let plain = Body::decode(ActKind::Receipt, r#"{"target":4,"kind":"read"}"#.to_owned());
        assert_eq!(body.value(), plain.unwrap().value());
    }

    #[test]
    fn a_body_serializes_as_its_exact_text() {
        let text = r#"{ "target" : 4 }"#;
        let body = Body::decode(ActKind::Ack, text.to_owned()).unwrap();
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            serde_json::to_string(text).unwrap()
        );
    }
}
