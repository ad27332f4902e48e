//! The transport against rustls's own client (tokio-rustls and a bare `ClientConnection`),
//! over real loopback sockets.

use std::io::{Read as _, Write as _};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::*;

/// The relay's TLS settings for a fresh self-signed certificate, and a client that trusts it.
fn configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let server = crate::tls::server_config(
        made.cert.pem().as_bytes(),
        made.signing_key.serialize_pem().as_bytes(),
    )
    .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(made.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.alpn_protocols = vec![b"http/1.1".to_vec()];
    (server, Arc::new(client))
}

/// A listener and the server side of the next connection to it, accepted by the transport.
async fn server() -> (
    std::net::SocketAddr,
    Arc<ClientConfig>,
    tokio::task::JoinHandle<io::Result<TlsTransport>>,
) {
    let (server, client) = configs();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        accept(tcp, server).await
    });
    (addr, client, accepted)
}

/// Both ends of one TLS connection.
async fn pair() -> (TlsTransport, TlsStream<TcpStream>) {
    let (addr, client, accepted) = server().await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let client = TlsConnector::from(client).connect(name, tcp).await.unwrap();
    (accepted.await.unwrap().unwrap(), client)
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

fn assert_holds_no_buffer(tls: &TlsTransport) {
    assert_eq!(
        (
            tls.incoming.capacity(),
            tls.plain.capacity(),
            tls.outgoing.capacity()
        ),
        (0, 0, 0),
        "an idle connection holds a buffer"
    );
}

#[tokio::test]
async fn data_crosses_both_ways_in_records_of_every_size_and_nothing_stays_buffered() {
    let (mut server, mut client) = pair().await;
    assert_holds_no_buffer(&server);

    // Server to client: writes of 1 B to 200 KB, the largest over many records, flushed.
    for len in [1, 610, 16 * 1024, 16 * 1024 + 1, 200_000] {
        let sent = pattern(len);
        server.write_all(&sent).await.unwrap();
        server.flush().await.unwrap();
        assert_holds_no_buffer(&server);
        let mut got = vec![0; len];
        client.read_exact(&mut got).await.unwrap();
        assert!(got == sent, "{len} bytes changed on the way");
    }

    // Client to server, read 7 bytes at a time: a record is handed out in pieces.
    let sent = pattern(40_000);
    client.write_all(&sent).await.unwrap();
    client.flush().await.unwrap();
    let mut got = Vec::new();
    let mut piece = [0u8; 7];
    while got.len() < sent.len() {
        let n = server.read(&mut piece).await.unwrap();
        assert!(n > 0);
        got.extend_from_slice(&piece[..n]);
    }
    assert!(got == sent);
    assert_holds_no_buffer(&server);
}

#[tokio::test]
async fn close_notify_ends_reads_cleanly_both_ways() {
    let (mut server, mut client) = pair().await;
    client.write_all(b"last words").await.unwrap();
    client.shutdown().await.unwrap();
    let mut got = Vec::new();
    server.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"last words");

    // Only the client's direction is closed: the server may still write, then close.
    server.write_all(b"reply").await.unwrap();
    server.shutdown().await.unwrap();
    let mut got = Vec::new();
    client.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"reply");
}

#[tokio::test]
async fn a_socket_closed_without_close_notify_is_an_unexpected_eof() {
    let (mut server, client) = pair().await;
    // The socket's end of file without TLS's: the client's TCP write side shut.
    let (mut tcp, _) = client.into_inner();
    tcp.shutdown().await.unwrap();
    let err = server.read(&mut [0; 16]).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
}

#[tokio::test]
async fn a_key_update_from_the_client_is_followed_both_ways() {
    let (mut server, mut client) = pair().await;
    client.get_mut().1.refresh_traffic_keys().unwrap();
    client.write_all(b"after the update").await.unwrap();
    client.flush().await.unwrap();
    let mut got = [0u8; 16];
    server.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"after the update");
    // The server answered the update (its own key update goes out before its next record).
    server.write_all(b"answer").await.unwrap();
    server.flush().await.unwrap();
    let mut got = [0u8; 6];
    client.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"answer");
}

/// Runs `f` on the raw socket of a client that has not started TLS, and returns the server's
/// verdict on the handshake.
async fn raw_client(f: impl FnOnce(std::net::TcpStream) + Send + 'static) -> io::Error {
    let (addr, _, accepted) = server().await;
    let tcp = std::net::TcpStream::connect(addr).unwrap();
    let client = tokio::task::spawn_blocking(move || f(tcp));
    let verdict = tokio::time::timeout(Duration::from_secs(10), accepted)
        .await
        .expect("the handshake ends")
        .unwrap();
    client.await.unwrap();
    verdict.err().expect("the handshake fails")
}

#[tokio::test]
async fn plain_http_on_the_tls_port_is_refused_with_an_alert() {
    let err = raw_client(|mut tcp| {
        tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let mut reply = Vec::new();
        let _ = tcp.read_to_end(&mut reply);
        // An alert record (content type 21) is the whole answer.
        assert_eq!(reply.first(), Some(&21), "reply {reply:?}");
    })
    .await;
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
}

#[tokio::test]
async fn an_oversized_record_header_is_refused_at_once() {
    // A handshake record that claims 65,535 bytes: refused from its header, without waiting
    // for (or making room for) the bytes it announces.
    let err = raw_client(|mut tcp| {
        tcp.write_all(&[22, 3, 1, 0xff, 0xff]).unwrap();
        let mut reply = Vec::new();
        let _ = tcp.read_to_end(&mut reply);
    })
    .await;
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
}

#[tokio::test]
async fn a_client_that_sends_one_byte_at_a_time_is_understood() {
    let (addr, client_config, accepted) = server().await;
    let client = tokio::task::spawn_blocking(move || {
        let mut tcp = std::net::TcpStream::connect(addr).unwrap();
        tcp.set_nodelay(true).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let mut conn = ClientConnection::new(client_config, name).unwrap();
        // Every TLS byte the client sends goes out alone: handshake and data records arrive
        // split at every possible point, headers included.
        let dribble = |conn: &mut ClientConnection, tcp: &mut std::net::TcpStream| {
            let mut out = Vec::new();
            while conn.wants_write() {
                conn.write_tls(&mut out).unwrap();
            }
            for b in out {
                tcp.write_all(&[b]).unwrap();
                std::thread::sleep(Duration::from_micros(50));
            }
        };
        while conn.is_handshaking() {
            dribble(&mut conn, &mut tcp);
            if conn.is_handshaking() && conn.wants_read() {
                conn.read_tls(&mut tcp).unwrap();
                conn.process_new_packets().unwrap();
            }
        }
        conn.writer()
            .write_all(b"hello, one byte at a time")
            .unwrap();
        dribble(&mut conn, &mut tcp);
        // Wait for the server's echo.
        let mut echo = Vec::new();
        while echo.len() < 25 {
            conn.read_tls(&mut tcp).unwrap();
            conn.process_new_packets().unwrap();
            let mut buf = [0u8; 64];
            match conn.reader().read(&mut buf) {
                Ok(n) => echo.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
        }
        echo
    });
    let mut server = accepted.await.unwrap().unwrap();
    let mut got = [0u8; 25];
    server.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"hello, one byte at a time");
    server.write_all(&got).await.unwrap();
    server.flush().await.unwrap();
    assert_eq!(client.await.unwrap(), b"hello, one byte at a time");
    assert_holds_no_buffer(&server);
}

#[tokio::test]
async fn a_record_that_arrives_during_a_write_waits_for_the_reader() {
    let (mut server, mut client) = pair().await;
    // Two records in one segment: the server's read decrypts the first; the second is still
    // undecrypted when the server writes, and the write decrypts it on its way.
    client.write_all(b"first").await.unwrap();
    client.write_all(b"second").await.unwrap();
    client.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut got = [0u8; 5];
    server.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"first");
    server.write_all(b"reply").await.unwrap();
    server.flush().await.unwrap();
    let mut got = [0u8; 6];
    server.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"second");
    let mut got = [0u8; 5];
    client.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"reply");
}
