//! The console's HTTP request parser (`fusioncell_relay::console::route`).

use std::path::Path;
use std::sync::OnceLock;

use fusioncell_cell::Cell;
use fusioncell_relay::console::{Route, route};

/// The statuses the console answers with (its `reason` table).
const STATUSES: [u16; 7] = [200, 400, 404, 405, 421, 431, 505];

/// The example cell, and the origins the relay admits when it listens where that cell says.
fn cell() -> &'static (Cell, Vec<String>) {
    static CELL: OnceLock<(Cell, Vec<String>)> = OnceLock::new();
    CELL.get_or_init(|| {
        let text = include_str!("../../../config/cell.example.toml");
        let cell = Cell::from_toml(text, Path::new("config")).expect("the example cell is valid");
        (cell, vec!["https://127.0.0.1:8443".to_owned()])
    })
}

/// A request head as the relay reads it (`route`): it never panics; an upgrade is routed to
/// the WebSocket only for a `GET`; every other answer is one complete HTTP/1.1 response whose
/// status is one the console gives, whose `Content-Length` is its body's length, and whose head
/// is exactly the console's fixed header lines (nothing of the request reaches a header); a
/// head with a bare LF is always answered 400 (the console refuses what a proxy could read
/// differently).
pub fn console(data: &[u8]) -> bool {
    let (cell, origins) = cell();
    let head_end = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(data.len(), |i| i + 4);
    let head = &data[..head_end];
    let bare_lf = head
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || head[i - 1] != b'\r'));
    let reply = match route(data, cell, origins) {
        Route::WebSocket => {
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
        Route::Http(reply) => reply,
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
