//! The async server driver's handler (`io::asynch::Handler`): decisions
//! that wait without holding the runtime or reading ahead, and policy at
//! the door (the peer's address at connect, HELO/EHLO refusals). In memory
//! over `tokio::io::duplex`, on one current-thread runtime: whatever runs
//! concurrently here runs on a single thread.
#![cfg(feature = "async")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use embedded_io_adapters::tokio_1::FromTokio;
use embedded_smtp::io::Decision;
use embedded_smtp::io::asynch::{Handler, NoTimer, serve};
use embedded_smtp::server::ServerConfig;
use embedded_smtp::syntax::{Host, MailParameters, ReplyCode, ReversePath, Verb};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf};
use tokio::sync::oneshot;

/// A transport that counts the bytes the driver has read.
struct Counted {
    inner: FromTokio<DuplexStream>,
    read: Arc<AtomicUsize>,
}

impl embedded_io_async::ErrorType for Counted {
    type Error = std::io::Error;
}

impl embedded_io_async::Read for Counted {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = embedded_io_async::Read::read(&mut self.inner, buf).await?;
        self.read.fetch_add(n, Ordering::SeqCst);
        Ok(n)
    }
}

impl embedded_io_async::Write for Counted {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        embedded_io_async::Write::write(&mut self.inner, buf).await
    }
    async fn flush(&mut self) -> Result<(), Self::Error> {
        embedded_io_async::Write::flush(&mut self.inner).await
    }
}

/// The client's end: lines out, replies in.
struct Peer {
    r: BufReader<ReadHalf<DuplexStream>>,
    w: WriteHalf<DuplexStream>,
}

impl Peer {
    fn new(end: DuplexStream) -> Self {
        let (r, w) = tokio::io::split(end);
        Peer {
            r: BufReader::new(r),
            w,
        }
    }

    async fn send(&mut self, line: &str) {
        self.w.write_all(line.as_bytes()).await.unwrap();
    }

    /// One whole reply (every line of a multiline one), or "" at the end.
    async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            if self.r.read_line(&mut line).await.unwrap() == 0 {
                return all;
            }
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }
}

/// A session over a 64 KiB in-memory pipe: the server's transport (with
/// its read counter) and the client's end.
fn pipe() -> (Counted, Arc<AtomicUsize>, Peer) {
    let (client, server) = tokio::io::duplex(64 * 1024);
    let read = Arc::new(AtomicUsize::new(0));
    let server = Counted {
        inner: FromTokio::new(server),
        read: read.clone(),
    };
    (server, read, Peer::new(client))
}

/// MAIL waits until the test releases it; tells the test it is waiting.
struct Gate {
    waiting: Option<oneshot::Sender<()>>,
    release: Option<oneshot::Receiver<()>>,
}

impl Handler for Gate {
    async fn mail(&mut self, _: &ReversePath<'_>, _: &MailParameters<'_>) -> Decision<'_> {
        if let Some(waiting) = self.waiting.take() {
            let _ = waiting.send(());
        }
        if let Some(release) = self.release.take() {
            let _ = release.await;
        }
        Decision::Accept
    }
}

#[tokio::test]
async fn nothing_is_read_while_a_decision_waits() {
    let (io, read, mut peer) = pipe();
    let (waiting_tx, waiting) = oneshot::channel();
    let (release, release_rx) = oneshot::channel();
    let mut gate = Gate {
        waiting: Some(waiting_tx),
        release: Some(release_rx),
    };
    let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
    let mut timer = NoTimer;
    let server = serve(
        io,
        None,
        &mut timer,
        ServerConfig::new("mx.example"),
        &mut rx,
        &mut tx,
        &mut gate,
    );
    let client = async {
        assert!(peer.reply().await.starts_with("220 "));
        peer.send("EHLO client.example\r\n").await;
        assert!(peer.reply().await.starts_with("250-"));
        peer.send("MAIL FROM:<a@client.example>\r\n").await;
        waiting.await.unwrap();
        let before = read.load(Ordering::SeqCst);
        // The rest of the transaction arrives while MAIL is undecided.
        peer.send("RCPT TO:<b@mx.example>\r\nDATA\r\n").await;
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            read.load(Ordering::SeqCst),
            before,
            "the driver read while a decision was pending"
        );
        release.send(()).unwrap();
        assert!(peer.reply().await.starts_with("250 2.1.0"));
        assert!(peer.reply().await.starts_with("250 2.1.5"));
        assert!(peer.reply().await.starts_with("354 "));
        assert!(read.load(Ordering::SeqCst) > before);
        peer.send("Subject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n").await;
        assert!(peer.reply().await.starts_with("250 "));
        assert!(peer.reply().await.starts_with("221 "));
    };
    let (served, ()) = tokio::join!(server, client);
    served.unwrap();
}

/// Commits each message when `commit` fires; the first one to finish
/// fires `then` for the other session.
struct Slow {
    commit: Option<oneshot::Receiver<()>>,
    then: Option<oneshot::Sender<()>>,
    order: Arc<AtomicUsize>,
    done_at: usize,
}

impl Handler for Slow {
    async fn message_end(&mut self) -> Decision<'_> {
        if let Some(commit) = self.commit.take() {
            let _ = commit.await;
        }
        self.done_at = self.order.fetch_add(1, Ordering::SeqCst);
        if let Some(then) = self.then.take() {
            let _ = then.send(());
        }
        Decision::Accept
    }
}

async fn one_message(peer: &mut Peer) -> String {
    assert!(peer.reply().await.starts_with("220 "));
    peer.send("EHLO client.example\r\n").await;
    assert!(peer.reply().await.starts_with("250-"));
    peer.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n")
        .await;
    assert!(peer.reply().await.starts_with("250 "));
    assert!(peer.reply().await.starts_with("250 "));
    assert!(peer.reply().await.starts_with("354 "));
    peer.send("Subject: x\r\n\r\nhi\r\n.\r\n").await;
    let accepted = peer.reply().await;
    peer.send("QUIT\r\n").await;
    assert!(peer.reply().await.starts_with("221 "));
    accepted
}

#[tokio::test]
async fn a_waiting_commit_holds_back_its_own_session_only() {
    // Session A's commit waits for session B's; on one thread. A blocking
    // handler would hold the thread in A and never let B run.
    let (b_done, a_may_commit) = oneshot::channel();
    let order = Arc::new(AtomicUsize::new(0));
    let mut a = Slow {
        commit: Some(a_may_commit),
        then: None,
        order: order.clone(),
        done_at: usize::MAX,
    };
    let mut b = Slow {
        commit: None,
        then: Some(b_done),
        order: order.clone(),
        done_at: usize::MAX,
    };
    let (io_a, _, mut peer_a) = pipe();
    let (io_b, _, mut peer_b) = pipe();
    let (mut rx_a, mut tx_a, mut rx_b, mut tx_b) =
        ([0u8; 2048], [0u8; 1024], [0u8; 2048], [0u8; 1024]);
    let config = ServerConfig::new("mx.example");
    let (mut timer_a, mut timer_b) = (NoTimer, NoTimer);
    let server_a = serve(
        io_a,
        None,
        &mut timer_a,
        config,
        &mut rx_a,
        &mut tx_a,
        &mut a,
    );
    let server_b = serve(
        io_b,
        None,
        &mut timer_b,
        config,
        &mut rx_b,
        &mut tx_b,
        &mut b,
    );
    let (sa, sb, ra, rb) = tokio::join!(
        server_a,
        server_b,
        one_message(&mut peer_a),
        one_message(&mut peer_b)
    );
    sa.unwrap();
    sb.unwrap();
    assert!(ra.starts_with("250 2.0.0"), "{ra}");
    assert!(rb.starts_with("250 2.0.0"), "{rb}");
    // B committed first, then A.
    assert_eq!((b.done_at, a.done_at), (0, 1));
}

/// Refuses by the client's address and by its HELO name.
#[derive(Default)]
struct Door {
    peers: Vec<Option<SocketAddr>>,
    hellos: Vec<String>,
}

impl Handler for Door {
    async fn connect(&mut self, peer: Option<SocketAddr>) -> Decision<'_> {
        self.peers.push(peer);
        match peer.map(|p| p.ip().to_string()).as_deref() {
            Some("192.0.2.1") => Decision::Reject,
            Some("192.0.2.2") => Decision::Respond {
                code: ReplyCode::new(421).unwrap(),
                enhanced: None,
                text: "Error: too many connections from 192.0.2.2",
            },
            Some("192.0.2.3") => Decision::Respond {
                code: ReplyCode::new(250).unwrap(),
                enhanced: None,
                text: "not a greeting",
            },
            _ => Decision::Accept,
        }
    }

    async fn hello(&mut self, _verb: Verb, domain: &Host<'_>) -> Decision<'_> {
        let name = domain.to_string();
        self.hellos.push(name.clone());
        if name == "spam.example" {
            Decision::Reject
        } else {
            Decision::Accept
        }
    }
}

/// Runs `script` against a session from `peer`; the handler and how the
/// driver ended.
async fn at_the_door<F: AsyncFnOnce(&mut Peer)>(
    peer: &str,
    script: F,
) -> (Door, Result<(), embedded_smtp::io::Error>) {
    let (io, _, mut client) = pipe();
    let mut door = Door::default();
    let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
    let mut timer = NoTimer;
    let server = serve(
        io,
        Some(peer.parse().unwrap()),
        &mut timer,
        ServerConfig::new("mx.example"),
        &mut rx,
        &mut tx,
        &mut door,
    );
    let (served, ()) = tokio::join!(async { server.await.map(drop) }, script(&mut client));
    (door, served)
}

#[tokio::test]
async fn a_refused_address_gets_554_and_only_quit_works() {
    let (door, served) = at_the_door("192.0.2.1:40000", async |peer: &mut Peer| {
        assert_eq!(
            peer.reply().await,
            "554 mx.example No SMTP service here\r\n"
        );
        peer.send("EHLO client.example\r\n").await;
        assert!(peer.reply().await.starts_with("503 5.5.1 "));
        peer.send("MAIL FROM:<a@client.example>\r\n").await;
        assert!(peer.reply().await.starts_with("503 5.5.1 "));
        peer.send("QUIT\r\n").await;
        assert!(peer.reply().await.starts_with("221 "));
    })
    .await;
    served.unwrap();
    assert_eq!(door.peers, [Some("192.0.2.1:40000".parse().unwrap())]);
    assert!(door.hellos.is_empty());
}

#[tokio::test]
async fn a_421_at_the_door_closes_after_the_greeting() {
    let (_, served) = at_the_door("192.0.2.2:40000", async |peer: &mut Peer| {
        assert_eq!(
            peer.reply().await,
            "421 mx.example Error: too many connections from 192.0.2.2\r\n"
        );
        assert_eq!(
            peer.reply().await,
            "",
            "the connection stays open after 421"
        );
    })
    .await;
    served.unwrap();
}

#[tokio::test]
async fn a_greeting_decision_other_than_554_or_421_is_an_error() {
    let (_, served) = at_the_door("192.0.2.3:40000", async |peer: &mut Peer| {
        assert_eq!(peer.reply().await, "");
    })
    .await;
    assert!(
        matches!(served, Err(embedded_smtp::io::Error::Server(_))),
        "{served:?}"
    );
}

#[tokio::test]
async fn a_refused_helo_changes_nothing_and_a_good_one_is_served() {
    let (door, served) = at_the_door("[2001:db8::1]:25", async |peer: &mut Peer| {
        assert!(peer.reply().await.starts_with("220 mx.example ESMTP"));
        peer.send("EHLO spam.example\r\n").await;
        assert_eq!(peer.reply().await, "550 5.7.1 Helo command rejected\r\n");
        peer.send("MAIL FROM:<a@client.example>\r\n").await;
        assert!(peer.reply().await.starts_with("503 5.5.1 "));
        peer.send("EHLO client.example\r\n").await;
        let ehlo = peer.reply().await;
        assert!(ehlo.starts_with("250-mx.example\r\n"), "{ehlo}");
        assert!(ehlo.contains("250-PIPELINING\r\n"), "{ehlo}");
        peer.send("HELO spam.example\r\n").await;
        assert!(peer.reply().await.starts_with("550 5.7.1 "));
        // The refused HELO left the EHLO session as it was.
        peer.send("MAIL FROM:<a@client.example> SIZE=10\r\n").await;
        assert!(peer.reply().await.starts_with("250 "));
        peer.send("QUIT\r\n").await;
        assert!(peer.reply().await.starts_with("221 "));
    })
    .await;
    served.unwrap();
    assert_eq!(
        door.hellos,
        ["spam.example", "client.example", "spam.example"]
    );
}
