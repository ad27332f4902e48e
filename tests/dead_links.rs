//! A connection that dies silently — no FIN, no RST, no close frame: a closed laptop lid, a NAT
//! that forgot the flow — is found by the client's receive deadline and replaced: it
//! reconnects, resumes and resends, and nothing is lost or delivered twice. The link is a TCP
//! proxy in the test that stops forwarding the connections it carries without closing them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use fusioncell_client::{Client, Event, Subscription};
use fusioncell_wire::ChannelId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::harness::*;

/// A TCP proxy whose existing connections can be made to go silent.
struct Proxy {
    addr: SocketAddr,
    /// Connections numbered below this forward nothing more (and are never closed).
    dead_below: Arc<AtomicU64>,
    opened: Arc<AtomicU64>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let dead_below = Arc::new(AtomicU64::new(0));
        let opened = Arc::new(AtomicU64::new(0));
        let (dead, count) = (dead_below.clone(), opened.clone());
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let id = count.fetch_add(1, Ordering::SeqCst);
                let Ok(outbound) = TcpStream::connect(target).await else {
                    continue;
                };
                let (ri, wi) = inbound.into_split();
                let (ro, wo) = outbound.into_split();
                tokio::spawn(pump(ri, wo, id, dead.clone()));
                tokio::spawn(pump(ro, wi, id, dead.clone()));
            }
        });
        Proxy {
            addr,
            dead_below,
            opened,
        }
    }

    /// Every connection open now stops forwarding; new ones are carried as before.
    fn kill_silently(&self) {
        self.dead_below
            .store(self.opened.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

/// Copies one direction until the connection is declared dead; then holds both ends open and
/// silent for as long as the test runs.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    id: u64,
    dead_below: Arc<AtomicU64>,
) {
    let mut buf = vec![0u8; 16 << 10];
    loop {
        let Ok(n) = from.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        if id < dead_below.load(Ordering::SeqCst) {
            // Swallow this and everything after it, and never close.
            std::future::pending::<()>().await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn a_silently_dead_link_is_found_replaced_and_nothing_is_lost() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let relay_addr = relay.server().local_addr();
    let proxy = Proxy::start(relay_addr).await;
    let mut config = client_config(&cell, &relay, "israel");
    config.url = format!("wss://127.0.0.1:{}", proxy.addr.port());
    config.receive_deadline = Duration::from_secs(2);
    let israel = Client::connect(config).await.unwrap();
    let mut sub = israel.subscribe(Some(0)).await.unwrap();
    let diplomacy = ChannelId::new("diplomacy").unwrap();

    let before = israel
        .post(&diplomacy, "before the link died")
        .await
        .unwrap();
    proxy.kill_silently();
    // Sent into the dead link: answered once the client has found it dead and replaced it.
    let during = tokio::time::timeout(
        Duration::from_secs(30),
        israel.post(&diplomacy, "sent into a dead link"),
    )
    .await
    .expect("the dead link is replaced within the deadline")
    .expect("acknowledged after the reconnect");
    assert_eq!(
        during.cell_seq,
        before.cell_seq + 1,
        "resent once, in order"
    );
    assert!(
        proxy.opened.load(Ordering::SeqCst) >= 2,
        "the client dialed a new connection"
    );

    // The subscription saw the reconnect and every record once, in order.
    let mut seqs = Vec::new();
    let mut reconnected = false;
    while !seqs.contains(&during.cell_seq) {
        let event = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .expect("records keep coming")
            .expect("subscription open");
        match event {
            Event::Record { record, .. } => seqs.push(record.seq),
            Event::Reconnecting { .. } => reconnected = true,
            _ => {}
        }
    }
    assert!(reconnected, "the subscription was told of the reconnect");
    // Record 0 (the relay's `open`) goes to the supervisors only: israel sees its two posts.
    assert_eq!(
        seqs,
        [before.cell_seq, during.cell_seq],
        "no gap, no duplicate across the dead link"
    );
    relay.stop().await;
}

#[tokio::test]
async fn a_cancellation_token_stops_reconnecting() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let mut sub = israel.subscribe(None).await.unwrap();
    relay.stop().await;
    // The relay is gone: the client keeps trying until told to stop.
    until_reconnecting(&mut sub).await;
    israel.cancellation().cancel();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while sub.next().await.is_some() {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the subscription ends once reconnecting is cancelled"
    );
    let diplomacy = ChannelId::new("diplomacy").unwrap();
    assert!(israel.post(&diplomacy, "too late").await.is_err());
}

#[tokio::test]
async fn a_client_closed_while_it_reconnects_closes_at_once() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let syria = client(&cell, &relay, "syria").await;
    let mut sub = syria.subscribe(None).await.unwrap();
    relay.stop().await;
    until_reconnecting(&mut sub).await;
    // What `fusioncell listen` does at SIGTERM: with the relay gone, it must not wait for a
    // reconnect that cannot come.
    tokio::time::timeout(Duration::from_secs(5), syria.close())
        .await
        .expect("close returns while the client is reconnecting");
}

/// Reads `sub` until it reports that the client is reconnecting (the relay is gone).
async fn until_reconnecting(sub: &mut Subscription) {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .expect("the lost connection is reported")
            .expect("the subscription is open while reconnecting");
        if let Event::Reconnecting { .. } = event {
            return;
        }
    }
}
