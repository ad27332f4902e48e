//! The browser console: a few static files served on the relay's own TLS port, next to the
//! WebSocket endpoint, so that a browser needs nothing but the relay's address.
//!
//! [`crate::upgrade`] reads each connection's request head with [`read_head`] (bounded in size,
//! under the upgrade deadline) and asks `route` what it is: a WebSocket upgrade goes on to
//! tungstenite with the bytes already read replayed in front of the stream ([`crate::prefixed::Prefixed`]);
//! anything else gets one HTTP response ([`Route::Http`]) and the connection is closed.
//!
//! What is served, all embedded in the binary (no file is read at run time, no other host is
//! ever named):
//! - `/` (the page), `/app.js`, `/canonical.js`, `/clock.js`, `/describe.js`, `/dom.js`,
//!   `/evaluate.js`, `/receipts.js`, `/msel.js`, `/msel-view.js`, `/playback.js`,
//!   `/marking.js`, `/keystore.js`, `/style.css`: the console itself, plain ES modules with no
//!   build step (the scenario is not among them: the relay sends it to control and evaluators
//!   after login);
//! - `/cell.json`: the cell id, name and marking line, and each channel's id, title and policy (with the hotline
//!   acknowledgement deadline and its clock). A party's `welcome` names its channels but not their
//!   policies, and a party never sees record 0, yet the page must mark its held posts
//!   "awaiting approval" and count down hotline deadlines. Also the cell's `read_receipts`
//!   mode and the per-identity `acts_per_minute` and `act_burst`, by which the page paces its
//!   automatic read receipts. Members, readers, identities and keys are not in it.
//!
//! Every response carries a strict Content-Security-Policy (scripts, styles and connections
//! from this origin only, no inline code, no frames, no forms), `nosniff`, no caching and
//! `Connection: close`. Requests are parsed by `httparse`, and the console accepts a narrow
//! subset: `HTTP/1.1` only, CRLF line ends only, no bodies, no folded headers, a cap on the
//! head's size and on the number of headers.

use std::io;

use fusioncell_cell::{Cell, Policy};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::defaults::{HEAD_READ_BYTES, MAX_HEAD_BYTES, MAX_HEADERS};

/// The Content-Security-Policy of every response. `'self'` in `connect-src` also admits
/// `wss://` to this page's host and port (CSP Level 3).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One embedded file.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

/// A JavaScript module of `web/`, served at its file name.
macro_rules! js {
    ($name:literal) => {
        Asset {
            path: concat!("/", $name),
            content_type: "text/javascript; charset=utf-8",
            body: include_bytes!(concat!("../web/", $name)),
        }
    };
}

const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../web/index.html"),
    },
    Asset {
        path: "/index.html",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../web/index.html"),
    },
    js!("app.js"),
    js!("canonical.js"),
    js!("clock.js"),
    js!("msel.js"),
    js!("msel-view.js"),
    js!("playback.js"),
    js!("marking.js"),
    js!("keystore.js"),
    js!("describe.js"),
    js!("dom.js"),
    js!("evaluate.js"),
    js!("receipts.js"),
    Asset {
        path: "/style.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../web/style.css"),
    },
];

/// What a request head asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    /// A WebSocket upgrade: tungstenite takes it from here (it checks the rest of the
    /// handshake and the Origin).
    WebSocket,
    /// A plain HTTP request, answered with these bytes.
    Http(Vec<u8>),
}

/// Reads a request head: every byte up to and including the first blank line, plus whatever
/// the peer sent after it in the same reads (replayed to tungstenite by [`crate::prefixed::Prefixed`]).
/// `Ok(None)` when the head is over [`MAX_HEAD_BYTES`].
pub async fn read_head<S: AsyncRead + Unpin + ?Sized>(
    stream: &mut S,
) -> io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::with_capacity(HEAD_READ_BYTES);
    let mut chunk = [0u8; HEAD_READ_BYTES];
    loop {
        match head_len(&buf) {
            Some(len) if len <= MAX_HEAD_BYTES => return Ok(Some(buf)),
            Some(_) => return Ok(None),
            None if buf.len() > MAX_HEAD_BYTES => return Ok(None),
            None => {}
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside the request head",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Length of the head (through `\r\n\r\n`), if complete.
fn head_len(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// A parsed request head: only what routing and the upgrade checks need.
#[derive(Debug)]
pub(crate) struct Head<'a> {
    method: &'a str,
    target: &'a str,
    /// The minor version: `HTTP/1.0` or `HTTP/1.1`.
    minor: u8,
    headers: Vec<(&'a str, &'a str)>,
}

impl<'a> Head<'a> {
    /// The request method.
    pub(crate) fn method(&self) -> &'a str {
        self.method
    }

    /// The target's path, without its query.
    pub(crate) fn path(&self) -> &'a str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// Every value of header `name` (case-insensitive), trimmed, in order.
    pub(crate) fn header(&self, name: &str) -> impl Iterator<Item = &str> {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// Parses a complete head with `httparse`, then applies the console's own narrower rules
/// (`HTTP/1.1` only, exactly one `Host`); `Err` is the status to answer.
fn parse(head: &[u8]) -> Result<Head<'_>, u16> {
    let head = parse_request(head)?;
    if head.minor != 1 {
        return Err(505);
    }
    if head.header("host").count() != 1 {
        return Err(400);
    }
    Ok(head)
}

/// Parses what [`read_head`] returned (bytes after the head are not looked at) under the rules
/// every HTTP listener of the relay applies; `HTTP/1.0` passes. `Err` is the status to
/// answer. The admin listener ([`crate::admin`]) uses it as it is: a health check written
/// with a bare `HTTP/1.0` request line is answered.
pub(crate) fn request(buf: &[u8]) -> Result<Head<'_>, u16> {
    parse_request(&buf[..head_len(buf).unwrap_or(buf.len())])
}

/// The rules shared by the console and the admin listener: CRLF line ends, `httparse`'s
/// grammar, an origin-form target of visible ASCII, HTTP/1.x, UTF-8 header values, no body.
fn parse_request(head: &[u8]) -> Result<Head<'_>, u16> {
    // httparse also takes a bare LF as a line end; the console does not, so that a proxy in
    // front of it can never read a different request out of the same bytes.
    let bare_lf = head
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || head[i - 1] != b'\r'));
    if bare_lf {
        return Err(400);
    }
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut slots);
    match request.parse(head) {
        Ok(httparse::Status::Complete(len)) if len == head.len() => {}
        Ok(_) => return Err(400),
        Err(httparse::Error::TooManyHeaders) => return Err(431),
        Err(httparse::Error::Version) => return Err(505),
        Err(_) => return Err(400),
    }
    let (Some(method), Some(target), Some(version)) =
        (request.method, request.path, request.version)
    else {
        return Err(400);
    };
    // Origin-form only: no absolute URLs (a proxy's form) and nothing but visible ASCII.
    if !target.starts_with('/') || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(400);
    }
    if version > 1 {
        return Err(505);
    }
    let headers = request
        .headers
        .iter()
        .map(|h| {
            let value = std::str::from_utf8(h.value).map_err(|_| 400u16)?;
            Ok((h.name, value.trim_matches([' ', '\t'])))
        })
        .collect::<Result<Vec<_>, u16>>()?;
    let head = Head {
        method,
        target,
        minor: version,
        headers,
    };
    // A request with a body is not something the console asks for.
    if head.header("transfer-encoding").next().is_some()
        || head.header("content-length").any(|v| v != "0")
    {
        return Err(400);
    }
    Ok(head)
}

/// Parses a complete head ([`read_head`]'s bytes; bytes after the head are not looked at)
/// under the console's rules; `Err` is the answer to send.
pub(crate) fn parse_head(buf: &[u8]) -> Result<Head<'_>, Vec<u8>> {
    parse(&buf[..head_len(buf).unwrap_or(buf.len())]).map_err(error_response)
}

/// The answer to a path that names nothing served here, a cell's path or any other: the same
/// bytes for both, so that it tells nothing about which cells a relay serves.
pub(crate) fn not_found() -> Vec<u8> {
    error_response(404)
}

/// Decides what a parsed request for `cell` gets; `path` is the request's path within the
/// cell ([`crate::routes::Routes::find`]: `/` for the page, empty for `/cells/<id>` itself).
/// `origins` are the origins the relay admits for WebSockets: the page is served only under a
/// `Host` one of them names, since from any other address it could not connect (and a page
/// served under a foreign name is what DNS rebinding needs).
pub(crate) fn route(parsed: &Head<'_>, path: &str, cell: &Cell, origins: &[String]) -> Route {
    let upgrade = parsed.header("upgrade").any(|v| {
        v.split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("websocket"))
    });
    if upgrade && parsed.method == "GET" {
        return match crate::upgrade::check(parsed, origins) {
            Ok(()) => Route::WebSocket,
            Err(refusal) => Route::Http(refusal),
        };
    }
    let host = parsed.header("host").next().unwrap_or_default();
    let admitted = origins.iter().any(|o| {
        o.split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
    });
    if !admitted {
        let mut body = format!(
            "421 Misdirected Request\nThe console is not served under the name `{}`. Open it at:\n",
            host.escape_default()
        );
        for o in origins {
            body += &format!("  {o}/\n");
        }
        body += "(or add the origin to the cell's [relay] allowed_origins)\n";
        return Route::Http(response(421, "text/plain; charset=utf-8", body.as_bytes()));
    }
    if parsed.method != "GET" {
        return Route::Http(error_response(405));
    }
    if path.is_empty() {
        // `/cells/<id>`: the page's relative links need the trailing slash.
        let location = format!("Location: {}/\r\n", parsed.path());
        return Route::Http(with_header(
            308,
            "text/plain; charset=utf-8",
            &location,
            b"308 Permanent Redirect\n",
        ));
    }
    if path == "/cell.json" {
        return Route::Http(response(
            200,
            "application/json; charset=utf-8",
            cell_json(cell).as_bytes(),
        ));
    }
    match ASSETS.iter().find(|a| a.path == path) {
        Some(a) => Route::Http(response(200, a.content_type, a.body)),
        None => Route::Http(error_response(404)),
    }
}

/// The answer to a head over [`MAX_HEAD_BYTES`].
pub fn too_large() -> Vec<u8> {
    error_response(431)
}

/// What a page needs to know about the cell before and beside the `welcome`.
fn cell_json(cell: &Cell) -> String {
    let channels: Vec<serde_json::Value> = cell
        .channels()
        .iter()
        .map(|c| {
            let mut v = serde_json::json!({
                "id": c.id.as_str(),
                "title": c.title,
                "policy": c.policy.as_str(),
            });
            if let Policy::Hotline {
                ack_seconds,
                ack_clock,
            } = c.policy
            {
                v["ack_seconds"] = ack_seconds.into();
                v["ack_clock"] = ack_clock.as_str().into();
            }
            v
        })
        .collect();
    let limits = cell.limits();
    serde_json::json!({
        "cell": cell.id().as_str(),
        "name": cell.name(),
        "marking": cell.marking(),
        "channels": channels,
        "read_receipts": cell.read_receipts().as_str(),
        "acts_per_minute": limits.acts_per_minute,
        "act_burst": limits.act_burst,
    })
    .to_string()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        421 => "Misdirected Request",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    }
}

pub(crate) fn error_response(status: u16) -> Vec<u8> {
    let body = format!("{status} {}\n", reason(status));
    response(status, "text/plain; charset=utf-8", body.as_bytes())
}

/// A plain-text refusal with `status`, one extra header line (`Name: value\r\n`, or empty),
/// and `detail` after the status in the body.
pub(crate) fn refusal(status: u16, header: &str, detail: &str) -> Vec<u8> {
    let body = format!("{status} {}\n{detail}\n", reason(status));
    with_header(status, "text/plain; charset=utf-8", header, body.as_bytes())
}

/// A complete HTTP/1.1 response with the console's security headers.
pub(crate) fn response(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let allow = if status == 405 { "Allow: GET\r\n" } else { "" };
    with_header(status, content_type, allow, body)
}

/// [`response`] with one more header line (`Name: value\r\n`, or empty).
fn with_header(status: u16, content_type: &str, extra: &str, body: &[u8]) -> Vec<u8> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\n\
         Content-Type: {content_type}\r\n\
         Content-Length: {}\r\n\
         Content-Security-Policy: {CSP}\r\n\
         X-Content-Type-Options: nosniff\r\n\
         X-Frame-Options: DENY\r\n\
         Referrer-Policy: no-referrer\r\n\
         Cross-Origin-Opener-Policy: same-origin\r\n\
         Cross-Origin-Resource-Policy: same-origin\r\n\
         Cache-Control: no-store\r\n\
         {extra}Connection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::example_cell;

    fn origins() -> Vec<String> {
        vec!["https://127.0.0.1:8443".into()]
    }

    fn get(path: &str, extra: &str) -> Vec<u8> {
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:8443\r\n{extra}\r\n").into_bytes()
    }

    /// Routes a request of a relay of one cell, as [`crate::upgrade`] does.
    fn route(buf: &[u8], cell: &Cell, origins: &[String]) -> Route {
        match parse_head(buf) {
            Err(answer) => Route::Http(answer),
            Ok(head) => super::route(&head, head.path(), cell, origins),
        }
    }

    fn route_(buf: &[u8], cell: &Cell) -> Route {
        route(buf, cell, &origins())
    }

    fn http(route: Route) -> String {
        match route {
            Route::Http(bytes) => String::from_utf8(bytes).expect("utf-8"),
            Route::WebSocket => panic!("routed to the WebSocket"),
        }
    }

    fn status(route: Route) -> String {
        http(route).lines().next().unwrap_or_default().to_owned()
    }

    #[test]
    fn the_page_and_its_modules_are_served_with_a_strict_policy() {
        let cell = example_cell();
        for (path, ty) in [
            ("/", "text/html"),
            ("/app.js", "text/javascript"),
            ("/canonical.js", "text/javascript"),
            ("/clock.js", "text/javascript"),
            ("/msel.js", "text/javascript"),
            ("/msel-view.js", "text/javascript"),
            ("/playback.js", "text/javascript"),
            ("/marking.js", "text/javascript"),
            ("/keystore.js", "text/javascript"),
            ("/describe.js", "text/javascript"),
            ("/dom.js", "text/javascript"),
            ("/evaluate.js", "text/javascript"),
            ("/receipts.js", "text/javascript"),
            ("/style.css", "text/css"),
            ("/cell.json", "application/json"),
        ] {
            let text = http(route_(&get(path, ""), &cell));
            assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{path}: {text}");
            assert!(text.contains(&format!("Content-Type: {ty}")), "{path}");
            assert!(
                text.contains("Content-Security-Policy: default-src 'none'; script-src 'self';"),
                "{path}"
            );
            assert!(text.contains("X-Content-Type-Options: nosniff\r\n"));
            assert!(text.contains("Connection: close\r\n"));
            let (head, body) = text.split_once("\r\n\r\n").expect("head");
            assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())));
        }
    }

    #[test]
    fn the_page_has_no_inline_code_and_names_no_other_host() {
        let html = std::str::from_utf8(ASSETS[0].body).expect("utf-8");
        assert!(!html.contains("<script>"), "inline script");
        assert!(!html.contains("<style"), "inline style");
        assert!(!html.contains(" style="), "inline style attribute");
        let handler = html.split(" on").skip(1).any(|rest| {
            let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
            !name.is_empty() && rest[name.len()..].starts_with('=')
        });
        assert!(!handler, "inline event handler");
        for a in ASSETS {
            let text = std::str::from_utf8(a.body).expect("utf-8");
            for scheme in ["http://", "https://", "//cdn", "@import"] {
                assert!(!text.contains(scheme), "{} names {scheme}", a.path);
            }
        }
    }

    #[test]
    fn cell_json_has_policies_but_no_members_or_keys() {
        let text = http(route_(&get("/cell.json?x=1", ""), &example_cell()));
        let body = text.split_once("\r\n\r\n").expect("body").1;
        let v: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(v["cell"], "paris-joint-cell");
        let channels = v["channels"].as_array().expect("channels");
        let security = channels
            .iter()
            .find(|c| c["id"] == "security")
            .expect("security");
        assert_eq!(security["policy"], "moderated");
        let hotline = channels
            .iter()
            .find(|c| c["id"] == "deescalation")
            .expect("hotline");
        assert_eq!(hotline["policy"], "hotline");
        assert_eq!(hotline["ack_seconds"], 120);
        assert_eq!(hotline["ack_clock"], "wall");
        assert_eq!(v["name"], example_cell().name());
        // What the console needs to receipt automatically without being rate limited.
        assert_eq!(v["read_receipts"], "auto");
        assert_eq!(
            v["acts_per_minute"],
            example_cell().limits().acts_per_minute
        );
        assert_eq!(v["act_burst"], example_cell().limits().act_burst);
        assert_eq!(v["marking"], fusioncell_cell::defaults::MARKING);
        for absent in ["members", "readers", "public_key", "\"israel\"", "france"] {
            assert!(!body.contains(absent), "{absent} in {body}");
        }
    }

    #[test]
    fn everything_else_is_refused() {
        let cell = example_cell();
        let s = |req: &[u8]| status(route_(req, &cell));
        assert_eq!(s(&get("/nope", "")), "HTTP/1.1 404 Not Found");
        assert_eq!(s(&get("/../etc/passwd", "")), "HTTP/1.1 404 Not Found");
        assert_eq!(
            s(b"POST / HTTP/1.1\r\nHost: 127.0.0.1:8443\r\nContent-Length: 0\r\n\r\n"),
            "HTTP/1.1 405 Method Not Allowed"
        );
        assert!(
            http(route_(
                b"PUT / HTTP/1.1\r\nHost: 127.0.0.1:8443\r\n\r\n",
                &cell
            ))
            .contains("Allow: GET")
        );
        // Only under a name whose origin may connect.
        let other = http(route_(
            b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n",
            &cell,
        ));
        assert!(
            other.starts_with("HTTP/1.1 421 Misdirected Request\r\n"),
            "{other}"
        );
        assert!(other.contains("https://127.0.0.1:8443/"));
        assert!(!other.contains("<"), "plain text");
        let named = route(
            b"GET / HTTP/1.1\r\nhost: Cell.Example:8443\r\n\r\n",
            &cell,
            &["https://cell.example:8443".into()],
        );
        assert_eq!(status(named), "HTTP/1.1 200 OK");
        assert_eq!(
            s(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n"),
            "HTTP/1.1 505 HTTP Version Not Supported"
        );
        for bad in [
            &b"GET /\r\nHost: x\r\n\r\n"[..],
            b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET / HTTP/1.1\r\nHo st: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\x01\r\n\r\n",
            b"GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n",
        ] {
            assert_eq!(s(bad), "HTTP/1.1 400 Bad Request", "{bad:?}");
        }
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: y\r\n")).collect();
        assert_eq!(
            s(&get("/", &many)),
            "HTTP/1.1 431 Request Header Fields Too Large"
        );
        assert!(
            String::from_utf8(too_large())
                .expect("utf-8")
                .starts_with("HTTP/1.1 431 ")
        );
    }

    #[test]
    fn malformed_requests_are_answered_with_their_status() {
        let cell = example_cell();
        let s = |req: &[u8]| status(route_(req, &cell));
        let bad_request = "HTTP/1.1 400 Bad Request";
        // Request lines that are not `method SP target SP version`.
        for bad in [
            &b"GET\r\nHost: x\r\n\r\n"[..],
            b"/ HTTP/1.1\r\nHost: x\r\n\r\n",
            b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
            b"\r\n\r\n",
        ] {
            assert_eq!(s(bad), bad_request, "{bad:?}");
        }
        for version in ["HTTP/2.0", "HTTP/1.2", "FTP/1.1"] {
            let req = format!("GET / {version}\r\nHost: x\r\n\r\n");
            assert_eq!(
                s(req.as_bytes()),
                "HTTP/1.1 505 HTTP Version Not Supported",
                "{version}"
            );
        }
        // Headers without a colon, with a bare LF, DEL or bytes that are not UTF-8.
        for bad in [
            &b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost x\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\nX-Smuggled: y\r\n\r\n",
            b"GET / HTTP/1.1\nHost: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\x7f\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nX-Bytes: \xff\xfe\r\n\r\n",
        ] {
            assert_eq!(s(bad), bad_request, "{bad:?}");
        }
        // Exactly the cap of header lines is served; one more is refused.
        let at_cap: String = (1..MAX_HEADERS).map(|i| format!("X-{i}: y\r\n")).collect();
        assert_eq!(s(&get("/", &at_cap)), "HTTP/1.1 200 OK");
        let over_cap: String = (0..MAX_HEADERS).map(|i| format!("X-{i}: y\r\n")).collect();
        assert_eq!(
            s(&get("/", &over_cap)),
            "HTTP/1.1 431 Request Header Fields Too Large"
        );
    }

    #[tokio::test]
    async fn an_oversized_head_is_answered_431() {
        let request = |len: usize| {
            let mut req = get("/", "X-Pad: ").into_iter().collect::<Vec<u8>>();
            // `get` ends the head; insert the padding before the final blank line.
            let end = req.len() - 2;
            let pad = len.saturating_sub(req.len() + 2);
            req.splice(end..end, std::iter::repeat_n(b'a', pad).chain(*b"\r\n"));
            req
        };
        let fits = request(MAX_HEAD_BYTES);
        assert_eq!(fits.len(), MAX_HEAD_BYTES);
        let mut fits_: &[u8] = &fits;
        let head = read_head(&mut fits_).await.expect("read").expect("fits");
        assert_eq!(status(route_(&head, &example_cell())), "HTTP/1.1 200 OK");
        let over = request(MAX_HEAD_BYTES + 1);
        assert_eq!(over.len(), MAX_HEAD_BYTES + 1);
        let mut over: &[u8] = &over;
        assert!(read_head(&mut over).await.expect("read").is_none());
        assert_eq!(
            status(Route::Http(too_large())),
            "HTTP/1.1 431 Request Header Fields Too Large"
        );
    }

    #[test]
    fn upgrades_go_to_the_websocket() {
        let cell = example_cell();
        const KEY: &str =
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
        let up = get(
            "/",
            &format!("Upgrade: websocket\r\nConnection: Upgrade\r\n{KEY}"),
        );
        assert_eq!(route_(&up, &cell), Route::WebSocket);
        let up = get(
            "/",
            &format!("upgrade: h2c, WebSocket\r\nConnection: keep-alive, upgrade\r\n{KEY}"),
        );
        assert_eq!(route_(&up, &cell), Route::WebSocket);
        // An upgrade the WebSocket handshake cannot complete is answered, not dropped.
        for (extra, answer) in [
            ("Upgrade: websocket\r\n", "HTTP/1.1 400 Bad Request"),
            (
                "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n",
                "HTTP/1.1 400 Bad Request",
            ),
            (
                "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
                "HTTP/1.1 426 Upgrade Required",
            ),
        ] {
            assert_eq!(status(route_(&get("/", extra), &cell)), answer, "{extra}");
        }
        // Not a GET: not an upgrade.
        let post = b"POST / HTTP/1.1\r\nHost: 127.0.0.1:8443\r\nUpgrade: websocket\r\n\r\n";
        assert_eq!(
            status(route_(post, &cell)),
            "HTTP/1.1 405 Method Not Allowed"
        );
    }

    #[tokio::test]
    async fn heads_are_read_whole_and_bounded() {
        let mut ok: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nextra";
        let head = read_head(&mut ok).await.expect("read").expect("complete");
        assert_eq!(head, b"GET / HTTP/1.1\r\nHost: x\r\n\r\nextra");
        let huge = [b'a'; MAX_HEAD_BYTES + 4096];
        let mut huge: &[u8] = &huge;
        assert!(read_head(&mut huge).await.expect("read").is_none());
        let mut cut: &[u8] = b"GET / HTTP/1.1\r\nHost";
        assert!(read_head(&mut cut).await.is_err());
    }

    /// A relay on a free port (plain loopback, no TLS) and one raw request to it.
    #[tokio::test]
    async fn one_port_serves_the_console_and_the_websocket() {
        use tokio::io::AsyncWriteExt;
        use tokio::net::TcpStream;

        let dir = tempfile::tempdir().expect("tempdir");
        let server = crate::Server::spawn(crate::RelayConfig {
            cell: crate::CellConfig {
                cell: example_cell(),
                relay_key: std::sync::Arc::new(crate::testing::key("relay")),
                config_sha256: [0; 32],
                journal_dir: dir.path().join("journal"),
                scenario: None,
            },
            tls: None,
            listen: "127.0.0.1:0".parse().expect("addr"),
        })
        .await
        .expect("relay");
        let addr = server.local_addr();
        let ask = |req: String| async move {
            let mut tcp = TcpStream::connect(addr).await.expect("connect");
            tcp.write_all(req.as_bytes()).await.expect("write");
            let mut out = Vec::new();
            // The relay answers and closes (console), or answers and waits (upgrade).
            let _ =
                tokio::time::timeout(std::time::Duration::from_secs(2), tcp.read_to_end(&mut out))
                    .await;
            String::from_utf8_lossy(&out).into_owned()
        };
        let page = ask(format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n")).await;
        assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
        assert!(page.contains("Content-Security-Policy: default-src 'none'"));
        assert!(page.contains("<script type=\"module\" src=\"app.js\"></script>"));
        let rebound = ask("GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n".into()).await;
        assert!(rebound.starts_with("HTTP/1.1 421 "), "{rebound}");
        let upgrade = |origin: &str| {
            format!(
                "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                 Origin: {origin}\r\n\r\n"
            )
        };
        // The page's own origin (the port actually bound, not the config's): upgraded, and
        // the relay's challenge follows.
        let ws = ask(upgrade(&format!("http://{addr}"))).await;
        assert!(
            ws.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
            "{ws}"
        );
        assert!(ws.contains("\"type\":\"challenge\""), "{ws}");
        let evil = ask(upgrade("https://evil.example")).await;
        assert!(evil.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{evil}");
        let huge = format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nX-Big: {}\r\n\r\n",
            "a".repeat(MAX_HEAD_BYTES)
        );
        let refused = ask(huge).await;
        assert!(refused.starts_with("HTTP/1.1 431 "), "{refused}");
        server.shutdown().await.expect("shutdown");
    }
}
