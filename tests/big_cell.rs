//! What keeps a big cell's logins cheap (PROTOCOL.md §3.1, §4.2, §5.7): a client that holds
//! the cell config names its directory and gets a `welcome` without the list; presence as
//! changes tells each session who came and went, not the whole set. And the safety that
//! comes with it: a client whose config lists other identities than the relay's refuses to
//! log in.

use fusioncell_client::ClientError;
use fusioncell_client::connection::{self, Directory, Expect, Ws};
use fusioncell_wire::{Digest, IdentityId, IdentityInfo, PresenceMode, PublicKeyBytes, ServerMsg};

use crate::harness::*;

/// Dials and logs in as `id` with `expect`, returning the socket and the raw welcome fields.
async fn login(
    cell: &TestCell,
    relay: &Relay,
    id: &str,
    expect: &Expect,
) -> Result<(Ws, connection::RelayFacts, fusioncell_client::Welcome), ClientError> {
    let mut ws = raw(cell, relay).await;
    let id = IdentityId::new(id).expect("id");
    let (facts, welcome) = connection::login(&mut ws, &id, &cell.key(id.as_str()), expect).await?;
    Ok((ws, facts, welcome))
}

fn expect_of(cell: &TestCell, directory: Option<Directory>, presence: PresenceMode) -> Expect {
    let loaded = cell.loaded();
    Expect {
        cell: Some(loaded.cell.id().clone()),
        relay_key: Some(PublicKeyBytes(*loaded.cell.relay().public_key.bytes())),
        directory,
        presence,
    }
}

/// The `welcome` frame as the relay wrote it, for a login that names `directory`.
async fn raw_welcome(cell: &TestCell, relay: &Relay, directory: Option<Digest>) -> ServerMsg {
    let mut ws = raw(cell, relay).await;
    let Got::Msg(ServerMsg::Challenge {
        cell: cell_id,
        nonce,
        relay_key,
        ..
    }) = next(&mut ws, 5).await
    else {
        panic!("no challenge")
    };
    let israel = IdentityId::new("israel").unwrap();
    let sig = cell
        .key("israel")
        .sign(&fusioncell_wire::canonical::login_bytes(
            &cell_id, &nonce, &relay_key, &israel,
        ));
    let login = fusioncell_wire::ClientMsg::Login {
        identity: israel,
        sig: fusioncell_wire::SignatureBytes(sig),
        directory,
        presence: PresenceMode::Full,
    };
    send_text(&mut ws, login.to_json()).await;
    match next(&mut ws, 5).await {
        Got::Msg(welcome @ ServerMsg::Welcome { .. }) => welcome,
        other => panic!("expected welcome, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_that_names_the_directory_gets_a_welcome_without_the_list() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let loaded = cell.loaded();
    let held = Directory::new(loaded.cell.id(), loaded.cell.identity_infos());

    let ServerMsg::Welcome {
        directory,
        identities,
        ..
    } = raw_welcome(&cell, &relay, None).await
    else {
        unreachable!()
    };
    assert_eq!(
        directory, held.digest,
        "the welcome states the cell's directory"
    );
    let listed = identities.expect("no directory named: the list");
    assert_eq!(listed.len(), loaded.cell.identities().len());

    let ServerMsg::Welcome { identities, .. } = raw_welcome(&cell, &relay, Some(held.digest)).await
    else {
        unreachable!()
    };
    assert!(identities.is_none(), "the client holds the list");

    let ServerMsg::Welcome { identities, .. } =
        raw_welcome(&cell, &relay, Some(Digest([7; 32]))).await
    else {
        unreachable!()
    };
    assert!(identities.is_some(), "another directory: the relay's list");

    // The client library fills the welcome from what it holds.
    let expect = expect_of(&cell, Some(held.clone()), PresenceMode::Full);
    let (_ws, _, welcome) = login(&cell, &relay, "syria", &expect).await.expect("login");
    assert_eq!(&welcome.identities[..], &held.identities[..]);
    relay.stop().await;
}

/// A config with one identity more, or one key changed, is not the relay's: the client
/// refuses to log in (as for a wrong relay key), and says which directories differ.
#[tokio::test]
async fn a_client_whose_config_lists_other_identities_refuses_the_relay() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let loaded = cell.loaded();
    let mut infos = loaded.cell.identity_infos();
    infos.push(IdentityInfo {
        id: IdentityId::new("stranger").unwrap(),
        role: fusioncell_wire::Role::Observer,
        public_key: PublicKeyBytes([3; 32]),
    });
    let stale = Directory::new(loaded.cell.id(), infos);
    let expect = expect_of(&cell, Some(stale), PresenceMode::Full);
    match login(&cell, &relay, "syria", &expect).await {
        Err(ClientError::WrongRelay(reason)) => {
            assert!(reason.contains("not those of the cell config"), "{reason}");
        }
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    }
    relay.stop().await;
}

/// A session that asked for changes gets the whole set once, then `joined` and `left`; a
/// session beside it that did not still gets the whole set each time.
#[tokio::test]
async fn presence_as_changes_tells_who_came_and_went() {
    type Told = (Option<Vec<String>>, Vec<String>, Vec<String>);
    async fn next_presence(ws: &mut Ws) -> Told {
        let names = |ids: Vec<IdentityId>| ids.iter().map(|i| i.to_string()).collect();
        loop {
            match next(ws, 5).await {
                Got::Msg(ServerMsg::Presence {
                    online,
                    joined,
                    left,
                }) => return (online.map(names), names(joined), names(left)),
                Got::Msg(_) => continue,
                other => panic!("expected presence, got {other:?}"),
            }
        }
    }
    fn whole(names: &[&str]) -> Told {
        (
            Some(names.iter().map(|n| (*n).to_owned()).collect()),
            vec![],
            vec![],
        )
    }
    fn change(joined: &[&str], left: &[&str]) -> Told {
        let owned = |v: &[&str]| v.iter().map(|n| (*n).to_owned()).collect();
        (None, owned(joined), owned(left))
    }

    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let changes = expect_of(&cell, None, PresenceMode::Changes);
    let (mut syria, ..) = login(&cell, &relay, "syria", &changes).await.unwrap();
    assert_eq!(next_presence(&mut syria).await, whole(&["syria"]));
    let mut us = raw_login(&cell, &relay, "us").await;
    assert_eq!(next_presence(&mut us).await, whole(&["syria", "us"]));
    assert_eq!(next_presence(&mut syria).await, change(&["us"], &[]));

    let (israel, ..) = login(&cell, &relay, "israel", &changes).await.unwrap();
    assert_eq!(next_presence(&mut syria).await, change(&["israel"], &[]));
    assert_eq!(
        next_presence(&mut us).await,
        whole(&["israel", "syria", "us"])
    );
    drop(israel);
    assert_eq!(next_presence(&mut syria).await, change(&[], &["israel"]));
    assert_eq!(next_presence(&mut us).await, whole(&["syria", "us"]));
    relay.stop().await;
}

/// A login whose new fields are malformed is refused like any malformed login (4000), with a
/// reason that says what was wrong, and the relay goes on serving the others.
#[tokio::test]
async fn a_login_with_a_malformed_directory_or_presence_closes_4000() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let cases = [
        (r#""directory":"abc""#, "directory: expected 64 hex"),
        (r#""directory":7"#, "directory: invalid type"),
        (r#""presence":"bogus""#, "presence: unknown variant `bogus`"),
        (r#""presence":["changes"]"#, "presence: invalid type"),
    ];
    for (field, named) in cases {
        let mut ws = raw(&cell, &relay).await;
        let Got::Msg(ServerMsg::Challenge { .. }) = next(&mut ws, 5).await else {
            panic!("no challenge")
        };
        let sig = fusioncell_wire::SignatureBytes([0u8; 64]).to_base64();
        let frame = format!(r#"{{"type":"login","identity":"israel","sig":"{sig}",{field}}}"#);
        send_text(&mut ws, frame).await;
        let (code, reason) = expect_close(&mut ws, 5).await;
        println!("{field}: {code} {reason}");
        assert_eq!(code, 4000, "{field}: {reason}");
        assert!(reason.contains(named), "{field}: the reason {reason:?}");
    }
    // The relay still serves a well-formed login.
    let expect = expect_of(&cell, None, PresenceMode::Changes);
    login(&cell, &relay, "syria", &expect).await.expect("login");
    relay.stop().await;
}
