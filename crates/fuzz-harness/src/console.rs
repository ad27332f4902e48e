//! The relay's HTTP request parser and router (`fusioncell_relay::upgrade::decide`).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use fusioncell_cell::Cell;
use fusioncell_relay::context::Context;
use fusioncell_relay::routes::{CellRoute, Routes};
use fusioncell_relay::upgrade::decide;

/// The statuses the console answers with (its `reason` table).
const STATUSES: [u16; 8] = [200, 308, 400, 404, 405, 421, 431, 505];

/// A relay of the example cell alone, listening where that cell says (plain, so its own
/// origin is `https://127.0.0.1:8443` only through the cell's public URL).
fn routes() -> &'static Routes<()> {
    static ROUTES: OnceLock<Routes<()>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        let text = include_str!("../../../config/cell.example.toml");
        let cell = Arc::new(
            Cell::from_toml(text, Path::new("config")).expect("the example cell is valid"),
        );
        let shutdown = fusioncell_relay::shutdown::Shutdown::new(tracing::Span::none());
        let ctx = Context::new(
            cell.clone(),
            fusioncell_wire::PublicKeyBytes(*cell.relay().public_key.bytes()),
            None,
            Default::default(),
            shutdown,
            fusioncell_relay::metrics::Metrics::detached(&cell),
        );
        Routes::one(CellRoute {
            ctx: Arc::new(ctx),
            service: Arc::new(()),
        })
    })
}

/// A request head as the relay reads it (`decide`): it never panics; an upgrade is routed to
/// the WebSocket only for a `GET`; every other answer is one complete HTTP/1.1 response whose
/// status is one the console gives, whose `Content-Length` is its body's length, and whose head
/// is exactly the console's fixed header lines (nothing of the request reaches a header); a
/// head with a bare LF is always answered 400 (the console refuses what a proxy could read
/// differently).
pub fn console(data: &[u8]) -> bool {
    let head_end = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(data.len(), |i| i + 4);
    let head = &data[..head_end];
    let bare_lf = head
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || head[i - 1] != b'\r'));
    let local = "127.0.0.1:8443".parse().expect("address");
    let reply = match decide(data, routes(), true, local) {
        Ok(_) => {
            // httparse skips empty lines before the request line, as RFC 9112 §2.2 lets a
            // server do (so does tungstenite, which reads the same head next).
            let mut line = data;
            while let Some(rest) = line.strip_prefix(b"\r\n") {
                line = rest;
            }
            assert!(line.starts_with(b"GET "), "only a GET upgrades");
            assert!(!bare_lf, "a head with a bare LF upgraded");
            return true;
        }
        Err(reply) => reply,
    };
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut response = httparse::Response::new(&mut headers);
    let len = match response.parse(&reply) {
        Ok(httparse::Status::Complete(len)) => len,
        other => panic!("the console's answer is not one HTTP response: {other:?}"),
    };
    assert_eq!(response.version, Some(1));
    let status = response.code.expect("a status");
    assert!(STATUSES.contains(&status), "status {status}");
    if bare_lf {
        assert_eq!(status, 400, "a head with a bare LF");
    }
    let names: Vec<String> = response
        .headers
        .iter()
        .map(|h| h.name.to_ascii_lowercase())
        .collect();
    let mut expected = vec![
        "content-type",
        "content-length",
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "cross-origin-opener-policy",
        "cross-origin-resource-policy",
        "cache-control",
    ];
    if status == 405 {
        expected.push("allow");
    }
    if status == 308 {
        expected.push("location");
    }
    expected.push("connection");
    assert_eq!(names, expected, "the answer's header lines");
    let content_length = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .map(|h| {
            std::str::from_utf8(h.value)
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .expect("a Content-Length");
    assert_eq!(content_length, reply.len() - len);
    // 400, 431 and 505 are the parser's refusals; the other statuses answer a parsed request.
    ![400, 431, 505].contains(&status)
}
