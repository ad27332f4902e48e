//! PROTOCOL.md is the spec an outside implementation is written from, so its test vectors and
//! tables are checked against the code here:
//!
//! - every `name = value` line inside a ```` ```text ```` block is recomputed from the fixed
//!   inputs with `fusioncell_wire::canonical` and `fusioncell_keys`, and must match exactly;
//! - the set of vector names must be exactly the expected one (deleting, renaming or adding a
//!   vector fails);
//! - every close code and every in-band error code must have a row in the doc's tables;
//! - every ```` ```json ```` example must parse strictly as a frame (or journal line) type.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use fusioncell_keys::{PublicKey, SigningKey, sha256};
use fusioncell_wire::act_body::ReplyBody;
use fusioncell_wire::canonical;
use fusioncell_wire::{
    Act, ActBody, ActKind, Body, CellId, ChannelId, Checkpoint, ClientMsg, CloseCode, Digest,
    ErrorCode, IdentityId, IdentityInfo, Nonce, OpenBody, OpenChannel, OpenIdentity, PresenceMode,
    PublicKeyBytes, Record, RecoveredBody, Role, SecurityBody, ServerMsg, SignatureBytes,
    SignedAct,
};

#[allow(dead_code)]
#[path = "support/protocol_doc.rs"]
mod protocol_doc;
use protocol_doc::{DOC, blocks, mismatches};

/// How many vectors PROTOCOL.md holds. Changing the set of vectors means changing this too.
const EXPECTED_VECTORS: usize = 43;

// The fixed inputs of the vectors (PROTOCOL.md §10).
const CELL: &str = "paris-joint-cell";
const IDENTITY: &str = "israel";
const IDENTITY_SEED: [u8; 32] = [2; 32];
const RELAY_SEED: [u8; 32] = [1; 32];
const NONCE: [u8; 32] = [7; 32];
const CHANNEL: &str = "diplomacy";
const POST_SEQ: u64 = 1;
const POST_TS: i64 = 1_764_115_200_000;
const POST_BODY: &str = "Proposal: reactivate the 1974 disengagement agreement.";
const POST_RECORD_SEQ: u64 = 1;
const POST_RELAY_TS: i64 = 1_764_115_200_123;
const REPLY_SEQ: u64 = 2;
const REPLY_TS: i64 = 1_764_115_260_000;
const REPLY_TEXT: &str = "Agreed in principle; the details go to the working group.";
const OPEN_TS: i64 = 1_764_115_100_000;
const CONFIG_SHA256: [u8; 32] = [0; 32];
const CHECKPOINT_TS: i64 = 1_764_115_205_000;

fn name<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().expect("fixed names are valid")
}

/// `SHA-256(0x00 ‖ leaf)`.
fn leaf_hash(leaf: &[u8]) -> [u8; 32] {
    let mut buf = vec![0x00];
    buf.extend_from_slice(leaf);
    sha256(&buf)
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut buf = vec![0x01];
    buf.extend_from_slice(left);
    buf.extend_from_slice(right);
    sha256(&buf)
}

/// Every vector, recomputed from the code, in document order.
fn computed() -> Vec<(&'static str, String)> {
    let cell: CellId = name(CELL);
    let israel_id: IdentityId = name(IDENTITY);
    let israel = SigningKey::from_seed(IDENTITY_SEED);
    let relay = SigningKey::from_seed(RELAY_SEED);
    let israel_pk = PublicKeyBytes(*israel.public_key().bytes());
    let relay_pk = PublicKeyBytes(*relay.public_key().bytes());
    // Keys.
    let mut v: Vec<(&'static str, String)> = vec![
        ("key.israel_seed", hex::encode(IDENTITY_SEED)),
        ("key.israel_public", israel_pk.to_hex()),
        ("key.israel_pkcs8", hex::encode(israel.to_pkcs8_der())),
        ("key.israel_pem_b64", B64.encode(israel.to_pkcs8_der())),
        ("key.relay_seed", hex::encode(RELAY_SEED)),
        ("key.relay_public", relay_pk.to_hex()),
    ];

    // (a) Challenge and login.
    let nonce = Nonce(NONCE);
    let challenge = ServerMsg::Challenge {
        protocol: fusioncell_wire::PROTOCOL.to_owned(),
        cell: cell.clone(),
        nonce,
        relay_key: relay_pk,
    };
    v.push(("challenge.frame", challenge.to_json()));
    let login_bytes = canonical::login_bytes(&cell, &nonce, &relay_pk, &israel_id);
    let login_sig = israel.sign(&login_bytes);
    assert!(israel.public_key().verify(&login_bytes, &login_sig).is_ok());
    v.push(("login.nonce", nonce.to_hex()));
    v.push(("login.bytes", hex::encode(&login_bytes)));
    v.push(("login.sig", hex::encode(login_sig)));
    v.push(("login.sig_b64", B64.encode(login_sig)));
    let login = ClientMsg::Login {
        identity: israel_id.clone(),
        sig: SignatureBytes(login_sig),
        directory: None,
        presence: PresenceMode::Full,
    };
    v.push(("login.frame", login.to_json()));

    // The directory of the one-identity cell, and a login that names it.
    let directory = canonical::directory_bytes(
        &cell,
        &[IdentityInfo {
            id: israel_id.clone(),
            role: Role::Party,
            public_key: israel_pk,
        }],
    );
    let directory_sha256 = Digest(sha256(&directory));
    v.push(("directory.bytes", hex::encode(&directory)));
    v.push(("directory.sha256", directory_sha256.to_hex()));
    let login = ClientMsg::Login {
        identity: israel_id.clone(),
        sig: SignatureBytes(login_sig),
        directory: Some(directory_sha256),
        presence: PresenceMode::Changes,
    };
    v.push(("directory.login_frame", login.to_json()));

    // (b) A post act.
    let body_sha256 = Digest(sha256(POST_BODY.as_bytes()));
    let post = Act {
        kind: ActKind::Post,
        cell: cell.clone(),
        channel: Some(name::<ChannelId>(CHANNEL)),
        actor: israel_id.clone(),
        seq: POST_SEQ,
        ts: POST_TS,
        body_sha256,
    };
    let post_bytes = canonical::act_bytes(&post);
    let post_sig = israel.sign(&post_bytes);
    assert!(israel.public_key().verify(&post_bytes, &post_sig).is_ok());
    let signed = SignedAct {
        act: post,
        body: POST_BODY.to_owned(),
        sig: SignatureBytes(post_sig),
    };
    v.push(("post.body", POST_BODY.to_owned()));
    v.push(("post.body_sha256", body_sha256.to_hex()));
    v.push(("post.bytes", hex::encode(&post_bytes)));
    v.push(("post.sig", hex::encode(post_sig)));
    v.push(("post.sig_b64", B64.encode(post_sig)));
    v.push(("post.frame", ClientMsg::Act(signed.clone()).to_json()));

    // (c) Its journal record and leaf.
    let post_record =
        Record::from_signed(POST_RECORD_SEQ, POST_RELAY_TS, signed).expect("a post decodes");
    let post_leaf = post_record.leaf_bytes();
    let post_leaf_hash = leaf_hash(&post_leaf);
    v.push(("post.leaf", hex::encode(&post_leaf)));
    v.push(("post.leaf_hash", hex::encode(post_leaf_hash)));
    v.push((
        "post.record",
        serde_json::to_string(&post_record).expect("records serialize"),
    ));

    // (e) A reply to that post: a body with parameters, signed like any act.
    let reply_body = Body::new(ActBody::Reply(ReplyBody {
        target: POST_RECORD_SEQ,
        text: REPLY_TEXT.to_owned(),
    }));
    let reply = Act {
        kind: ActKind::Reply,
        cell: cell.clone(),
        channel: Some(name(CHANNEL)),
        actor: israel_id.clone(),
        seq: REPLY_SEQ,
        ts: REPLY_TS,
        body_sha256: Digest(sha256(reply_body.text().as_bytes())),
    };
    let reply_bytes = canonical::act_bytes(&reply);
    let reply_sig = israel.sign(&reply_bytes);
    v.push(("reply.body", reply_body.text().to_owned()));
    v.push(("reply.body_sha256", reply.body_sha256.to_hex()));
    v.push(("reply.bytes", hex::encode(&reply_bytes)));
    v.push(("reply.sig", hex::encode(reply_sig)));
    v.push((
        "reply.frame",
        ClientMsg::Act(SignedAct {
            act: reply,
            body: reply_body.into_text(),
            sig: SignatureBytes(reply_sig),
        })
        .to_json(),
    ));

    // Record 0: the `open` record of a one-identity, one-channel cell.
    let open_body = OpenBody {
        cell: cell.clone(),
        config_sha256: Digest(CONFIG_SHA256),
        relay_key: relay_pk,
        identities: vec![OpenIdentity {
            id: israel_id.clone(),
            role: Role::Party,
            public_key: israel_pk,
        }],
        channels: vec![OpenChannel {
            id: name(CHANNEL),
            policy: "open".to_owned(),
            members: vec![israel_id],
            readers: vec![],
        }],
    };
    let open_text = serde_json::to_string(&open_body).expect("bodies serialize");
    let open_sha256 = Digest(sha256(open_text.as_bytes()));
    let open = Act {
        kind: ActKind::Open,
        cell: cell.clone(),
        channel: None,
        actor: IdentityId::relay(),
        seq: 0,
        ts: OPEN_TS,
        body_sha256: open_sha256,
    };
    let open_bytes = canonical::act_bytes(&open);
    let open_sig = relay.sign(&open_bytes);
    let open_record = Record {
        seq: 0,
        ts: OPEN_TS,
        act: open,
        body: Some(Body::decode(ActKind::Open, open_text.clone()).expect("open decodes")),
        sig: SignatureBytes(open_sig),
    };
    let open_leaf = open_record.leaf_bytes();
    let open_leaf_hash = leaf_hash(&open_leaf);
    v.push(("open.body", open_text));
    v.push(("open.body_sha256", open_sha256.to_hex()));
    v.push(("open.bytes", hex::encode(&open_bytes)));
    v.push(("open.sig", hex::encode(open_sig)));
    v.push(("open.sig_b64", B64.encode(open_sig)));
    v.push(("open.leaf", hex::encode(&open_leaf)));
    v.push(("open.leaf_hash", hex::encode(open_leaf_hash)));
    v.push((
        "open.record",
        serde_json::to_string(&open_record).expect("records serialize"),
    ));

    // (d) The tree of records 0 and 1, and the checkpoint over it.
    let root = Digest(node_hash(&open_leaf_hash, &post_leaf_hash));
    v.push(("tree.root", root.to_hex()));
    let cp_bytes = canonical::checkpoint_bytes(&cell, 2, &root, CHECKPOINT_TS);
    let cp_sig = relay.sign(&cp_bytes);
    assert!(relay.public_key().verify(&cp_bytes, &cp_sig).is_ok());
    let cp = Checkpoint {
        cell,
        size: 2,
        root,
        ts: CHECKPOINT_TS,
        sig: SignatureBytes(cp_sig),
    };
    assert_eq!(cp.signed_bytes(), cp_bytes);
    v.push(("checkpoint.bytes", hex::encode(&cp_bytes)));
    v.push(("checkpoint.sig", hex::encode(cp_sig)));
    v.push(("checkpoint.sig_b64", B64.encode(cp_sig)));
    v.push((
        "checkpoint.line",
        serde_json::to_string(&cp).expect("checkpoints serialize"),
    ));
    v.push(("checkpoint.frame", ServerMsg::Checkpoint(cp).to_json()));
    v
}

/// A vector name: `group.item`, lowercase letters, digits and `_`.
fn is_vector_name(s: &str) -> bool {
    let mut parts = s.split('.');
    let part_ok = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
    };
    part_ok(parts.next()) && part_ok(parts.next()) && parts.next().is_none()
}

/// Every `name = value` line of the doc's ```text blocks.
fn documented() -> Vec<(&'static str, &'static str)> {
    protocol_doc::vectors("text")
        .into_iter()
        .filter(|(name, _)| is_vector_name(name))
        .collect()
}

#[test]
fn every_vector_matches_the_code() {
    let computed = computed();
    let documented = documented();
    let wrong = mismatches(&documented, computed.iter().map(|(n, v)| (n, v)));
    assert!(
        wrong.is_empty(),
        "PROTOCOL.md vectors differ from the code (expected lines shown):\n{}",
        wrong.join("\n")
    );
    assert_eq!(computed.len(), EXPECTED_VECTORS, "vectors computed");
    assert_eq!(documented.len(), EXPECTED_VECTORS, "vectors in PROTOCOL.md");
}

/// The relay key in the vectors is a valid, large-order key, and the signatures verify under
/// the documented public keys (a reader's first sanity check).
#[test]
fn documented_signatures_verify() {
    let doc: BTreeMap<&str, &str> = documented().into_iter().collect();
    let get = |name: &str| {
        doc.get(name)
            .copied()
            .unwrap_or_else(|| panic!("PROTOCOL.md has no vector `{name}`"))
    };
    let key = |name: &str| {
        let bytes = PublicKeyBytes::from_hex(get(name)).expect("hex key");
        PublicKey::from_bytes(bytes.0).expect("valid key")
    };
    let bytes = |name: &str| hex::decode(get(name)).expect("hex bytes");
    let sig = |name: &str| {
        let hex_sig: [u8; 64] = bytes(name).try_into().expect("64 bytes");
        let b64_sig = SignatureBytes::from_base64(get(&format!("{name}_b64"))).expect("base64");
        assert_eq!(hex_sig, b64_sig.0, "{name}: hex and base64 differ");
        hex_sig
    };
    let israel = key("key.israel_public");
    let relay = key("key.relay_public");
    for (k, msg, s) in [
        (israel, "login.bytes", "login.sig"),
        (israel, "post.bytes", "post.sig"),
        (relay, "open.bytes", "open.sig"),
        (relay, "checkpoint.bytes", "checkpoint.sig"),
    ] {
        assert!(k.verify(&bytes(msg), &sig(s)).is_ok(), "{s} over {msg}");
    }
}

/// Whether the doc has a table row starting with this code cell.
fn has_row(cell: &str) -> bool {
    let prefix = format!("| `{cell}` |");
    DOC.lines().any(|l| l.starts_with(&prefix))
}

#[test]
fn every_close_code_has_a_row() {
    for code in CloseCode::ALL {
        assert!(
            has_row(&code.code().to_string()),
            "PROTOCOL.md has no table row for close code `{}` ({code:?})",
            code.code()
        );
    }
}

#[test]
fn every_error_code_has_a_row() {
    for code in ErrorCode::ALL {
        assert!(
            has_row(code.as_str()),
            "PROTOCOL.md has no table row for error code `{code}`"
        );
    }
}

#[test]
fn every_act_kind_has_a_row() {
    for kind in ActKind::ALL {
        assert!(
            has_row(kind.as_str()),
            "PROTOCOL.md has no table row for act kind `{}`",
            kind.as_str()
        );
    }
}

/// Every JSON example is something the code parses, strictly.
#[test]
fn every_json_example_parses() {
    let examples = blocks("json");
    assert!(
        examples.len() >= 10,
        "only {} JSON examples",
        examples.len()
    );
    for lines in examples {
        let text = lines.join("\n");
        let ok = ClientMsg::from_json(&text).is_ok()
            || ServerMsg::from_json(&text).is_ok()
            || serde_json::from_str::<Record>(&text).is_ok()
            || serde_json::from_str::<Checkpoint>(&text).is_ok()
            || serde_json::from_str::<OpenBody>(&text).is_ok()
            || serde_json::from_str::<SecurityBody>(&text).is_ok()
            || serde_json::from_str::<RecoveredBody>(&text).is_ok();
        assert!(ok, "this PROTOCOL.md example does not parse:\n{text}");
    }
}
