//! Shared set-up: a cell folder, a relay, clients, raw connections.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fusioncell::init::{InitParams, write_cell_folder};
use fusioncell::load::{self, ConnectArgs, LoadedCell};
use fusioncell_client::connection::{self, Expect, Target, Ws};
use fusioncell_client::{Client, ClientConfig};
use fusioncell_keys::SigningKey;
use fusioncell_relay::Server;
use fusioncell_wire::{CellId, IdentityId, PublicKeyBytes, ServerMsg};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

/// A cell folder written like `fusioncell init` does, in a temporary directory (which the
/// cells of one relay share, [`TestCell::of_relay`]).
pub struct TestCell {
    /// The temporary directory, removed when its last cell is dropped.
    _dir: std::sync::Arc<tempfile::TempDir>,
    pub config: PathBuf,
}

impl TestCell {
    /// The example cell with the given `[limits]` keys set (the example lists each one
    /// commented out with its default).
    pub fn new(limits: &[(&str, &str)]) -> TestCell {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("cell");
        let params = InitParams {
            cell_id: CellId::new("test-cell").expect("id"),
            listen: "127.0.0.1:0".parse().expect("addr"),
            hosts: vec![],
            scenario: None,
        };
        let config = write_cell_folder(&root, &params).expect("init");
        let mut text = std::fs::read_to_string(&config).expect("read config");
        for (key, value) in limits {
            let prefix = format!("# {key} = ");
            let start = text
                .find(&prefix)
                .unwrap_or_else(|| panic!("no limit `{key}`"));
            let end = start + text[start..].find('\n').expect("line end");
            text.replace_range(start..end, &format!("{key} = {value}"));
        }
        std::fs::write(&config, text).expect("write config");
        TestCell {
            _dir: std::sync::Arc::new(dir),
            config,
        }
    }

    /// Cell `id` in folder `root/id`, written for a relay of several cells (`relay --cells
    /// root`): its clients dial `/cells/<id>`, and with `relay_tls` it shares that cell's TLS
    /// identity (as every cell of one relay must). Limits generous enough to post a lot.
    pub fn of_relay(
        root: &std::sync::Arc<tempfile::TempDir>,
        id: &str,
        relay_tls: Option<&TestCell>,
    ) -> TestCell {
        let params = InitParams {
            cell_id: CellId::new(id).expect("id"),
            listen: "127.0.0.1:0".parse().expect("addr"),
            hosts: vec![],
            scenario: None,
        };
        let config = fusioncell::init::write_cell_of_relay(
            &root.path().join(id),
            &params,
            relay_tls.map(TestCell::folder),
        )
        .expect("init");
        let cell = TestCell {
            _dir: root.clone(),
            config,
        };
        cell.edit("# acts_per_minute = ", "acts_per_minute = 1000000 #")
            .edit("# act_burst = ", "act_burst = 100000 #")
            .edit("# bytes_per_second = ", "bytes_per_second = 100000000 #")
    }

    /// Replaces text in the config (for settings that are not limits).
    pub fn edit(self, from: &str, to: &str) -> TestCell {
        let text = std::fs::read_to_string(&self.config).expect("read config");
        assert!(text.contains(from), "config has no `{from}`");
        std::fs::write(&self.config, text.replacen(from, to, 1)).expect("write config");
        self
    }

    /// The example cell with limits generous enough for tests that post a lot.
    pub fn busy() -> TestCell {
        TestCell::busy_with(&[])
    }

    /// [`TestCell::busy`] with more limits set.
    pub fn busy_with(limits: &[(&str, &str)]) -> TestCell {
        let mut all = vec![
            ("acts_per_minute", "1000000"),
            ("act_burst", "100000"),
            ("bytes_per_second", "100000000"),
        ];
        all.extend_from_slice(limits);
        TestCell::new(&all)
    }

    pub fn loaded(&self) -> LoadedCell {
        load::cell(&self.config).expect("load cell")
    }

    pub fn journal_dir(&self) -> PathBuf {
        self.folder().join("journal")
    }

    pub fn key_path(&self, id: &str) -> PathBuf {
        self.folder().join("keys").join(format!("{id}.key"))
    }

    pub fn key(&self, id: &str) -> SigningKey {
        load::signing_key(&self.key_path(id)).expect("key")
    }

    pub fn folder(&self) -> &Path {
        self.config.parent().expect("folder")
    }
}

/// A relay serving a test cell.
pub struct Relay {
    server: Option<Server>,
    pub url: String,
}

impl Relay {
    pub async fn start(cell: &TestCell) -> Relay {
        Relay::start_with_scenario(cell, None).await
    }

    /// A relay that gives `scenario` (as `scenario export` writes it) to control and evaluators.
    pub async fn start_with_scenario(
        cell: &TestCell,
        scenario: Option<serde_json::Value>,
    ) -> Relay {
        let loaded = cell.loaded();
        let mut config = load::relay_config(&loaded, None, false).expect("relay config");
        config.cell.scenario = scenario;
        let server = Server::spawn(config).await.expect("relay starts");
        let url = format!("wss://127.0.0.1:{}", server.local_addr().port());
        Relay {
            server: Some(server),
            url,
        }
    }

    /// A relay that also serves its admin listener (metrics, health) on `127.0.0.1:0`, with
    /// `request_timeout` as the deadline of one admin exchange.
    pub async fn start_with_admin(cell: &TestCell, request_timeout: Duration) -> Relay {
        let mut relay = Relay::start(cell).await;
        let admin = fusioncell_relay::admin::AdminConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            request_timeout,
        };
        let server = relay.server.as_mut().expect("running");
        server.serve_admin(admin).await.expect("admin listener");
        relay
    }

    /// A handle on a server this test does not own (a playback relay), to dial it.
    pub fn at(url: String) -> Relay {
        Relay { server: None, url }
    }

    /// `audit serve` of `records` (the cell's journal) at `speed`, on a free loopback port
    /// with the cell's TLS: the playback, and a handle to dial it.
    pub async fn playback(
        cell: &TestCell,
        records: Vec<fusioncell_wire::Record>,
        speed: f64,
    ) -> (fusioncell_relay::playback::Playback, Relay) {
        let loaded = cell.loaded();
        let tls = load::tls(&loaded, "127.0.0.1:0".parse().expect("addr"), false).expect("tls");
        let playback = fusioncell_relay::playback::Playback::spawn(
            loaded.cell.clone(),
            records,
            tls,
            "127.0.0.1:0".parse().expect("addr"),
            speed,
        )
        .await
        .expect("playback starts");
        let at = Relay::at(format!("wss://127.0.0.1:{}", playback.local_addr().port()));
        (playback, at)
    }

    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("running")
    }

    /// The admin listener's address (after [`Relay::start_with_admin`]).
    pub fn admin(&self) -> std::net::SocketAddr {
        self.server().admin_addr().expect("an admin listener")
    }

    /// Clean shutdown; returns the final journal size.
    pub async fn stop(mut self) -> u64 {
        let server = self.server.take().expect("running");
        server.shutdown().await.expect("clean shutdown").records
    }
}

/// The client configuration for `id`, as `--config` builds it, pointed at `relay`.
pub fn client_config(cell: &TestCell, relay: &Relay, id: &str) -> ClientConfig {
    client_config_at(cell, &relay.url, id)
}

/// A port that was free a moment ago, for a relay process to listen on.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A client configuration for `id` on the relay at `url` (a relay process, say).
pub fn client_config_at(cell: &TestCell, url: &str, id: &str) -> ClientConfig {
    load::client_config(&ConnectArgs {
        config: Some(cell.config.clone()),
        relay: Some(url.to_owned()),
        identity: id.to_owned(),
        key: None,
        ca: None,
    })
    .expect("client config")
}

/// A connected client library instance.
pub async fn client(cell: &TestCell, relay: &Relay, id: &str) -> Client {
    Client::connect(client_config(cell, relay, id))
        .await
        .expect("client connects")
}

/// Subscribes from now and waits until the subscription is live, so that everything posted
/// afterwards is delivered.
pub async fn live(client: &Client) -> fusioncell_client::Subscription {
    let mut sub = client.subscribe(None).await.expect("subscribe");
    loop {
        match sub.next().await.expect("subscription open") {
            fusioncell_client::Event::Live { .. } => return sub,
            _ => continue,
        }
    }
}

/// A raw WebSocket to the relay, TLS done, not logged in.
pub async fn raw(cell: &TestCell, relay: &Relay) -> Ws {
    let ca = std::fs::read(cell.folder().join("tls/ca.pem")).expect("ca");
    let target = Target::new(&relay.url, Some(&ca)).expect("target");
    connection::dial(&target).await.expect("dial")
}

/// A raw WebSocket logged in as `id`.
pub async fn raw_login(cell: &TestCell, relay: &Relay, id: &str) -> Ws {
    raw_login_at(cell, &relay.url, id).await
}

/// A raw WebSocket logged in as `id` of `cell` at `url` (a relay process, a cell's path).
pub async fn raw_login_at(cell: &TestCell, url: &str, id: &str) -> Ws {
    let ca = std::fs::read(cell.folder().join("tls/ca.pem")).expect("ca");
    let target = Target::new(url, Some(&ca)).expect("target");
    let mut ws = connection::dial(&target).await.expect("dial");
    let loaded = cell.loaded();
    let expect = Expect {
        cell: Some(loaded.cell.id().clone()),
        relay_key: Some(PublicKeyBytes(*loaded.cell.relay().public_key.bytes())),
        ..Expect::default()
    };
    let key = cell.key(id);
    connection::login(&mut ws, &IdentityId::new(id).expect("id"), &key, &expect)
        .await
        .expect("login");
    ws
}

/// What a raw connection received next: a protocol frame or a close.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // a test value, moved a few times
pub enum Got {
    Msg(ServerMsg),
    Close(u16, String),
    Gone,
}

/// The next frame within `secs` seconds (pings skipped).
pub async fn next(ws: &mut Ws, secs: u64) -> Got {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let msg = match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => panic!("nothing received within {secs} s"),
            Ok(m) => m,
        };
        match msg {
            None | Some(Err(_)) => return Got::Gone,
            Some(Ok(Message::Text(t))) => {
                return Got::Msg(ServerMsg::from_json(&t).expect("relay frames parse"));
            }
            Some(Ok(Message::Close(f))) => {
                let (code, reason) = f.map_or((1005, String::new()), |f| {
                    (u16::from(f.code), f.reason.to_string())
                });
                return Got::Close(code, reason);
            }
            Some(Ok(_)) => continue,
        }
    }
}

/// Reads frames until a close arrives (within `secs`), returning its code and reason.
pub async fn expect_close(ws: &mut Ws, secs: u64) -> (u16, String) {
    loop {
        match next(ws, secs).await {
            Got::Close(code, reason) => return (code, reason),
            Got::Gone => panic!("connection dropped without a close frame"),
            Got::Msg(_) => continue,
        }
    }
}

/// The journal's records, read from disk.
pub fn journal_records(cell: &TestCell) -> Vec<fusioncell_wire::Record> {
    fusioncell_journal::read_records(&cell.journal_dir()).expect("journal reads")
}

/// Security events journaled so far, as (event, reason).
pub fn security_events(cell: &TestCell) -> Vec<(String, String)> {
    journal_records(cell)
        .into_iter()
        .filter(|r| r.act.kind == fusioncell_wire::ActKind::Security)
        .map(|r| {
            let body: fusioncell_wire::SecurityBody =
                serde_json::from_str(r.text().expect("body")).expect("security body");
            (body.event, body.reason)
        })
        .collect()
}

/// Polls `cond` every 20 ms until it holds or `secs` pass.
pub async fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond()
}

impl Relay {
    /// A relay on a given address (to restart one where its clients expect it).
    pub async fn start_at(cell: &TestCell, addr: std::net::SocketAddr) -> Relay {
        let loaded = cell.loaded();
        let mut tries = 0;
        let server = loop {
            match Server::spawn(load::relay_config(&loaded, Some(addr), false).expect("config"))
                .await
            {
                Ok(s) => break s,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("relay does not restart on {addr}: {e}"),
            }
        };
        Relay {
            url: format!("wss://127.0.0.1:{}", server.local_addr().port()),
            server: Some(server),
        }
    }
}

/// A signed act frame as `id` would send it, with full control over every field.
pub fn act_frame(
    cell: &TestCell,
    id: &str,
    channel: &str,
    seq: u64,
    body: &str,
) -> fusioncell_wire::SignedAct {
    let loaded = cell.loaded();
    let act = fusioncell_wire::Act {
        kind: fusioncell_wire::ActKind::Post,
        cell: loaded.cell.id().clone(),
        channel: Some(fusioncell_wire::ChannelId::new(channel).expect("channel")),
        actor: IdentityId::new(id).expect("id"),
        seq,
        ts: now_ms(),
        body_sha256: fusioncell_wire::Digest(fusioncell_keys::sha256(body.as_bytes())),
    };
    sign_act(&cell.key(id), act, body)
}

/// Signs `act` with `key` (which may be the wrong key, on purpose).
pub fn sign_act(
    key: &SigningKey,
    act: fusioncell_wire::Act,
    body: &str,
) -> fusioncell_wire::SignedAct {
    fusioncell_client::sign(key, act, body.to_owned())
}

/// Sends a text frame.
pub async fn send_text(ws: &mut Ws, text: impl Into<String>) {
    use futures_util::SinkExt;
    ws.send(Message::text(text.into())).await.expect("send");
}

/// Sends an act frame.
pub async fn send_act(ws: &mut Ws, act: &fusioncell_wire::SignedAct) {
    send_text(ws, fusioncell_wire::ClientMsg::Act(act.clone()).to_json()).await;
}

/// The next `ack` or `error`, skipping other frames.
pub async fn next_reply(ws: &mut Ws) -> ServerMsg {
    loop {
        match next(ws, 10).await {
            Got::Msg(m @ (ServerMsg::Ack { .. } | ServerMsg::Error { .. })) => return m,
            Got::Msg(_) => continue,
            other => panic!("expected a reply, got {other:?}"),
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

/// The next record on `sub` that satisfies `pred`, within 10 s; other records are skipped.
pub async fn next_where(
    sub: &mut fusioncell_client::Subscription,
    mut pred: impl FnMut(&fusioncell_wire::Record) -> bool,
) -> (fusioncell_wire::Record, Option<u64>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, sub.next())
            .await
            .expect("a matching record within 10 s")
            .expect("subscription open");
        if let fusioncell_client::Event::Record {
            record,
            released_by,
            ..
        } = event
            && pred(&record)
        {
            return (record, released_by);
        }
    }
}

/// Collects every record `sub` receives within `ms` milliseconds.
pub async fn drain(
    sub: &mut fusioncell_client::Subscription,
    ms: u64,
) -> Vec<fusioncell_wire::Record> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, sub.next()).await {
        if let fusioncell_client::Event::Record { record, .. } = event {
            out.push(record);
        }
    }
    out
}

/// The `fusioncell` binary next to this test binary (cargo builds it for the workspace's
/// tests).
pub fn fusioncell_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let bin = dir.join(format!("fusioncell{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo test --workspace` (it builds the binary)",
        bin.display()
    );
    bin
}

/// An attacker's connections, each re-opened as soon as the relay drops it: what a client
/// that wants to hold the pending-login cap does. Dropping the value stops them.
pub struct Flood {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Connections opened so far, re-openings included.
    pub opened: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Flood {
    /// `n` TCP sockets from `from` (an address of this host; `None`: the system's choice)
    /// that never send a byte.
    pub fn silent(relay: std::net::SocketAddr, n: usize, from: Option<std::net::IpAddr>) -> Flood {
        Flood::spawn(n, move || async move {
            use tokio::io::AsyncReadExt;
            let Ok(mut s) = tcp_from(relay, from).await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                return;
            };
            let mut buf = [0u8; 64];
            while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
        })
    }

    /// `n` connections that complete TLS and the upgrade, never log in, and send a WebSocket
    /// ping every 100 ms.
    pub fn pinging(cell: &TestCell, url: &str, n: usize) -> Flood {
        let ca = std::fs::read(cell.folder().join("tls/ca.pem")).expect("ca");
        let target = Target::new(url, Some(&ca)).expect("target");
        Flood::spawn(n, move || {
            let target = target.clone();
            async move {
                use futures_util::SinkExt;
                let Ok(mut ws) = connection::dial(&target).await else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    return;
                };
                let mut tick = tokio::time::interval(Duration::from_millis(100));
                loop {
                    tokio::select! {
                        msg = ws.next() => match msg {
                            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                            Some(Ok(_)) => {}
                        },
                        _ = tick.tick() => {
                            if ws.send(Message::Ping(Default::default())).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            }
        })
    }

    fn spawn<F, Fut>(n: usize, connection: F) -> Flood
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let opened = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let connection = std::sync::Arc::new(connection);
        // `FC_REOPEN=0`: open each connection once and keep it as long as the relay does.
        let reopen = std::env::var("FC_REOPEN").map_or(true, |v| v != "0");
        let tasks = (0..n)
            .map(|_| {
                let (opened, connection) = (opened.clone(), connection.clone());
                tokio::spawn(async move {
                    loop {
                        opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        connection().await;
                        if !reopen {
                            std::future::pending::<()>().await;
                        }
                    }
                })
            })
            .collect();
        Flood { tasks, opened }
    }

    /// Connections opened so far.
    pub fn opened(&self) -> u64 {
        self.opened.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for Flood {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// A TCP connection to `to` from the local address `from` (any port).
pub async fn tcp_from(
    to: std::net::SocketAddr,
    from: Option<std::net::IpAddr>,
) -> std::io::Result<tokio::net::TcpStream> {
    match from {
        None => tokio::net::TcpStream::connect(to).await,
        Some(ip) => {
            let socket = match ip {
                std::net::IpAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
                std::net::IpAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
            };
            socket.bind(std::net::SocketAddr::new(ip, 0))?;
            socket.connect(to).await
        }
    }
}

/// Sends `head` (an HTTP request head) over TLS and returns the relay's whole answer as text
/// (empty when it answered nothing before closing).
pub async fn http_exchange(cell: &TestCell, addr: std::net::SocketAddr, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ca = std::fs::read(cell.folder().join("tls/ca.pem")).expect("ca");
    let tls = fusioncell_client::tls::client_config(&ca).expect("tls");
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let mut stream = tokio_rustls::TlsConnector::from(tls)
        .connect(name, tcp)
        .await
        .expect("tls");
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => break,
            Ok(Ok(n)) => {
                out.extend_from_slice(&buf[..n]);
                // An upgrade answered 101 stays open: its head is all there is to read.
                if out.starts_with(b"HTTP/1.1 101") && out.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One `post` the way the CLI's one-shot command makes it: connect (with the library's
/// retries), post, close. The time it took, or the error.
pub async fn one_shot_post(config: ClientConfig, body: &str) -> Result<Duration, String> {
    let started = std::time::Instant::now();
    let ch = fusioncell_wire::ChannelId::new("diplomacy").expect("channel");
    let mut config = config;
    config.reconnect = false;
    let client = Client::connect(config).await.map_err(|e| e.to_string())?;
    client.post(&ch, body).await.map_err(|e| e.to_string())?;
    client.close().await;
    Ok(started.elapsed())
}

/// The relay binary as a child process, its standard output and error read on threads;
/// killed when dropped. The crash loop and the fault tests drive it.
pub struct RelayProcess {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<(Stream, String)>,
    seen: Vec<(Stream, String)>,
}

/// Where a [`RelayProcess`] printed a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output: the relay's address line.
    Stdout,
    /// Standard error: its log and status lines.
    Stderr,
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RelayProcess {
    /// Starts `bin relay` for `cell` on `listen`, with the journal's fault points `faults`
    /// (RELIABILITY.md, "The fault points") or none.
    pub fn start(bin: &Path, cell: &TestCell, listen: &str, faults: Option<&str>) -> RelayProcess {
        let mut cmd = RelayProcess::command(bin, &cell.config, listen);
        match faults {
            Some(f) => cmd.env("FUSIONCELL_DANGEROUS_FAULTS", f),
            None => cmd.env_remove("FUSIONCELL_DANGEROUS_FAULTS"),
        };
        RelayProcess::spawn(cmd)
    }

    /// `bin relay --config CONFIG --listen LISTEN` with its admin listener on a free port,
    /// logging warnings and errors: add flags or change the environment before
    /// [`spawn`](Self::spawn).
    pub fn command(bin: &Path, config: &Path, listen: &str) -> std::process::Command {
        let mut cmd = std::process::Command::new(bin);
        cmd.args(["relay", "--config"])
            .arg(config)
            .args(["--listen", listen, "--admin", "127.0.0.1:0"])
            .env("RUST_LOG", "warn");
        cmd
    }

    /// [`RelayProcess::start`] under a file-descriptor limit of `nofile` (soft and hard), set
    /// by util-linux's `prlimit`.
    pub fn start_with_descriptor_limit(
        bin: &Path,
        cell: &TestCell,
        listen: &str,
        nofile: u64,
    ) -> RelayProcess {
        let relay = RelayProcess::command(bin, &cell.config, listen);
        let mut cmd = std::process::Command::new("prlimit");
        cmd.arg(format!("--nofile={nofile}:{nofile}"))
            .arg(relay.get_program())
            .args(relay.get_args())
            .env("RUST_LOG", "warn")
            .env_remove("FUSIONCELL_DANGEROUS_FAULTS");
        RelayProcess::spawn(cmd)
    }

    /// Runs `cmd`, collecting what it prints on stdout and stderr.
    pub fn spawn(mut cmd: std::process::Command) -> RelayProcess {
        use std::io::{BufRead, BufReader};
        use std::process::Stdio;
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("relay starts");
        let (tx, lines) = std::sync::mpsc::channel();
        let out: Box<dyn std::io::Read + Send> = Box::new(child.stdout.take().expect("stdout"));
        let err: Box<dyn std::io::Read + Send> = Box::new(child.stderr.take().expect("stderr"));
        for (stream, r) in [(Stream::Stdout, out), (Stream::Stderr, err)] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(r).lines().map_while(Result::ok) {
                    let _ = tx.send((stream, line));
                }
            });
        }
        RelayProcess {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first line containing `what`, waiting up to `secs`.
    pub fn wait_within(&mut self, what: &str, secs: u64) -> Option<String> {
        let until = std::time::Instant::now() + Duration::from_secs(secs);
        while let Ok((stream, line)) = self
            .lines
            .recv_timeout(until.saturating_duration_since(std::time::Instant::now()))
        {
            self.seen.push((stream, line.clone()));
            if line.contains(what) {
                return Some(line);
            }
        }
        None
    }

    /// The first line containing `what` (waiting up to 60 s); panics with what was printed.
    pub fn wait_for(&mut self, what: &str) -> String {
        match self.wait_within(what, 60) {
            Some(line) => line,
            None => panic!("no line with {what:?} in {:#?}", self.seen),
        }
    }

    /// The `wss://` address it announced.
    pub fn url(&mut self) -> String {
        self.announced("listening on")
            .split_whitespace()
            .find(|w| w.starts_with("wss://"))
            .expect("address")
            .to_owned()
    }

    /// The first line containing `what`, among those already read or the next ones: standard
    /// output and error are read apart, so an announcement may have been read while waiting
    /// for another.
    fn announced(&mut self, what: &str) -> String {
        match self.seen.iter().find(|(_, l)| l.contains(what)) {
            Some((_, line)) => line.clone(),
            None => self.wait_for(what),
        }
    }

    /// The admin listener's address it announced (`http://ADDR/metrics …`).
    pub fn admin(&mut self) -> std::net::SocketAddr {
        self.announced("metrics and health")
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://"))
            .and_then(|w| w.strip_suffix("/metrics"))
            .expect("admin address")
            .parse()
            .expect("admin address")
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGHUP (a relay of several cells rescans its folder).
    pub fn hangup(&self) {
        let sent = std::process::Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status();
        assert!(sent.expect("kill").success());
    }

    /// SIGKILL, and reaps it.
    pub fn sigkill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// Sends SIGTERM and returns the exit status and everything it printed.
    pub fn terminate(self) -> (std::process::ExitStatus, String) {
        let (status, lines) = self.terminate_lines();
        let text: Vec<String> = lines.into_iter().map(|(_, line)| line).collect();
        (status, text.join("\n"))
    }

    /// [`terminate`](Self::terminate), with each line and where it was printed.
    pub fn terminate_lines(mut self) -> (std::process::ExitStatus, Vec<(Stream, String)>) {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        assert!(sent.expect("kill").success());
        let status = self.child.wait().expect("relay exits");
        // The reader threads end with the process.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(10)) {
            self.seen.push(line);
        }
        (status, std::mem::take(&mut self.seen))
    }
}

/// Reads until the peer closes; true if it closed within `ms` milliseconds.
pub async fn closed_within(stream: &mut (impl tokio::io::AsyncRead + Unpin), ms: u64) -> bool {
    let mut buf = [0u8; 256];
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    loop {
        match tokio::time::timeout_at(deadline, tokio::io::AsyncReadExt::read(stream, &mut buf))
            .await
        {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// Sends `request` as it is to the admin listener at `addr` over plain TCP and returns
/// everything it answers, up to its close (panics after 10 s).
pub async fn admin_exchange(addr: std::net::SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut answer))
        .await
        .expect("answered within 10 s")
        .expect("read");
    String::from_utf8(answer).expect("UTF-8")
}

/// `name` from the environment, or `default`.
pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `p`-th percentile (nearest rank) of `times`, in milliseconds.
pub fn percentile_ms(times: &mut [Duration], p: f64) -> f64 {
    times.sort();
    if times.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * times.len() as f64).ceil() as usize;
    times[rank.clamp(1, times.len()) - 1].as_secs_f64() * 1000.0
}
