//! The async drivers on tokio over 127.0.0.1 loopback: the client driver
//! (`io::asynch::SmtpClient` over `FromTokio<TcpStream>`) talks to the server
//! driver (`io::asynch::serve_tls` / `serve`), with STARTTLS and implicit
//! TLS done by rustls (ring provider) on both sides, a self-signed
//! certificate made by rcgen, and AUTH PLAIN under TLS.
#![cfg(feature = "async")]

use core::future::Future;
use std::sync::Arc;
use std::time::Duration;

use embedded_io_adapters::tokio_1::FromTokio;
use embedded_smtp::client::{
    AuthConfig, ClientConfig, Envelope, Event as ClientEvent, Recipient, TlsPolicy,
};
use embedded_smtp::io::asynch::{SmtpClient, Timer, serve, serve_tls};
use embedded_smtp::io::{Decision, Delivery, Error, Handler};
use embedded_smtp::sasl::{Credentials, Decoded};
use embedded_smtp::server::Config;
use embedded_smtp::{AuthMechanism, AuthMechanisms, ForwardPath, Host, RcptParameters, Verb};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer, ServerName};
use tokio_rustls::rustls::{self, RootCertStore, crypto::ring};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// A [`Timer`] over `tokio::time::timeout`.
struct TokioTimer;

impl Timer for TokioTimer {
    async fn timeout<F: Future>(&mut self, after: Duration, future: F) -> Option<F::Output> {
        tokio::time::timeout(after, future).await.ok()
    }
}

/// A self-signed certificate for `mx.example`: the server's acceptor and a
/// connector that trusts exactly that certificate.
fn tls_pair() -> (TlsAcceptor, TlsConnector) {
    tls_pair_with_tickets(2)
}

/// The same, with `tickets` TLS 1.3 session tickets sent by the server
/// after the handshake (rustls sends 2 by default).
fn tls_pair_with_tickets(tickets: usize) -> (TlsAcceptor, TlsConnector) {
    let key = rcgen::generate_simple_self_signed(vec!["mx.example".to_owned()]).unwrap();
    let cert: CertificateDer<'static> = key.cert.der().clone();
    let pkcs8 = PrivatePkcs8KeyDer::from(key.signing_key.serialize_der());
    let provider = Arc::new(ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], pkcs8.into())
        .unwrap();
    server.send_tls13_tickets = tickets;
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (
        TlsAcceptor::from(Arc::new(server)),
        TlsConnector::from(Arc::new(client)),
    )
}

/// A connector that trusts nothing (the handshake must fail).
fn untrusting_connector() -> TlsConnector {
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth();
    TlsConnector::from(Arc::new(client))
}

fn server_name() -> ServerName<'static> {
    ServerName::try_from("mx.example").unwrap()
}

/// Stores messages, refuses `nobody@…`, accepts alice / s3cret.
#[derive(Debug, Default)]
struct Store {
    hellos: Vec<Verb>,
    current: Vec<u8>,
    messages: Vec<Vec<u8>>,
    auths: Vec<(String, String)>,
}

impl Handler for Store {
    fn hello(&mut self, verb: Verb, _: &Host<'_>) {
        self.hellos.push(verb);
    }
    fn rcpt(&mut self, to: &ForwardPath<'_>, _: &RcptParameters<'_>) -> Decision<'_> {
        match to.mailbox() {
            Some(m) if m.local_part().as_str() == "nobody" => Decision::Reject,
            _ => Decision::Accept,
        }
    }
    fn data_start(&mut self) {
        self.current.clear();
    }
    fn data(&mut self, bytes: &[u8]) {
        self.current.extend_from_slice(bytes);
    }
    fn message_end(&mut self) -> Decision<'_> {
        self.messages.push(std::mem::take(&mut self.current));
        Decision::Accept
    }
    fn auth(&mut self, credentials: &Credentials<'_>) -> Decision<'_> {
        let mut scratch = [0u8; 512];
        let Ok(Decoded::Plain(p)) = credentials.decode(&mut scratch) else {
            return Decision::Reject;
        };
        self.auths
            .push((p.authcid.to_owned(), p.password.to_owned()));
        if (p.authcid, p.password) == ("alice", "s3cret") {
            Decision::Accept
        } else {
            Decision::Reject
        }
    }
}

/// A body of about 200 KiB with dot lines, bare-dot lines and 8-bit text,
/// far larger than every buffer on the way.
fn big_body() -> Vec<u8> {
    let mut body = b"From: alice@client.example\r\nSubject: loopback\r\n\r\n".to_vec();
    for i in 0..3000 {
        body.extend_from_slice(format!("{i:05} .dot inside, caf\u{e9} line\r\n").as_bytes());
        body.extend_from_slice(b".starts with a dot\r\n");
        if i % 100 == 0 {
            body.extend_from_slice(b".\r\n");
        }
    }
    body
}

/// Sends `body` to bob (accepted) and nobody (refused); returns the
/// delivery and the per-recipient reply codes.
async fn send_one<T, M>(
    client: &mut SmtpClient<'_, '_, T, M>,
    body: &[u8],
) -> (Delivery, Vec<(usize, u16)>)
where
    T: embedded_io_async::Read + embedded_io_async::Write,
    M: Timer,
{
    let rcpts = [
        Recipient::new("bob@mx.example").unwrap(),
        Recipient::new("nobody@mx.example").unwrap(),
    ];
    // The body has 8-bit text: it goes as BODY=8BITMIME (RFC 6152).
    let envelope = Envelope::new("alice@client.example", &rcpts)
        .unwrap()
        .body(embedded_smtp::Body::EightBitMime);
    let mut codes = Vec::new();
    let d = client
        .send(&envelope, body, |e| {
            if let ClientEvent::Recipient { index, reply } = e {
                codes.push((*index, reply.code().get()));
            }
        })
        .await
        .unwrap();
    (d, codes)
}

fn check_delivery((d, codes): &(Delivery, Vec<(usize, u16)>)) {
    assert_eq!(codes, &[(0, 250), (1, 550)]);
    assert_eq!((d.accepted, d.rejected, d.delivered), (1, 1, 1));
    assert_eq!(d.final_code.map(|c| c.get()), Some(250));
    assert!(d.is_delivered());
}

fn tls_server_config() -> Config<'static> {
    let mut config = Config::new("mx.example");
    config.tls_available = true;
    config.tls_required = true;
    config.auth = AuthMechanisms::empty().with(AuthMechanism::Plain);
    config
}

fn client_config(auth: Option<AuthConfig<'static>>) -> ClientConfig<'static> {
    let mut config = ClientConfig::new("client.example").unwrap();
    config.tls = TlsPolicy::Required;
    config.auth = auth;
    config
}

/// Bounds a whole scenario: a driver waiting forever fails the test.
async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("scenario still running after 30 s")
}

#[tokio::test]
async fn starttls_then_auth_plain_over_loopback() {
    let (acceptor, connector) = tls_pair();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = big_body();

    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let mut store = Store::default();
        let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
        serve_tls(
            FromTokio::new(stream),
            &mut TokioTimer,
            tls_server_config(),
            &mut rx,
            &mut tx,
            &mut store,
            |io: FromTokio<TcpStream>| async {
                acceptor.accept(io.into_inner()).await.map(FromTokio::new)
            },
        )
        .await
        .unwrap();
        store
    };

    let client = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let config = client_config(Some(AuthConfig::password("alice", "s3cret")));
        let client =
            SmtpClient::connect(FromTokio::new(stream), TokioTimer, config, &mut rx, &mut tx)
                .await
                .unwrap();
        assert!(client.wants_tls());
        assert!(!client.engine().is_tls());
        let mut client = client
            .start_tls(|io: FromTokio<TcpStream>| async {
                connector
                    .connect(server_name(), io.into_inner())
                    .await
                    .map(FromTokio::new)
            })
            .await
            .unwrap();
        assert!(client.engine().is_tls());
        assert!(client.engine().is_authenticated());
        let first = send_one(&mut client, &body).await;
        let second = send_one(&mut client, b"Subject: 2\r\n\r\nsecond\r\n").await;
        client.quit().await.unwrap();
        (first, second)
    };

    let (store, (first, second)) = bounded(async { tokio::join!(server, client) }).await;
    check_delivery(&first);
    check_delivery(&second);
    // Byte-identical delivery, both messages on the one session.
    assert_eq!(store.messages.len(), 2);
    assert!(store.messages[0] == body, "first message differs");
    assert_eq!(store.messages[1], b"Subject: 2\r\n\r\nsecond\r\n");
    // EHLO before and after the upgrade (RFC 3207 §4.2), AUTH only after.
    assert_eq!(store.hellos, [Verb::Ehlo, Verb::Ehlo]);
    assert_eq!(store.auths, [("alice".to_owned(), "s3cret".to_owned())]);
}

#[tokio::test]
async fn implicit_tls_port_465_style() {
    let (acceptor, connector) = tls_pair();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = big_body();

    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(stream).await.unwrap();
        // The server engine has no notion of implicit TLS: the application
        // knows the transport is TLS and allows AUTH on it.
        let mut config = Config::new("mx.example");
        config.auth = AuthMechanisms::empty().with(AuthMechanism::Plain);
        config.auth_without_tls = true;
        let mut store = Store::default();
        let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
        serve(
            FromTokio::new(tls),
            &mut TokioTimer,
            config,
            &mut rx,
            &mut tx,
            &mut store,
        )
        .await
        .unwrap();
        store
    };

    let client = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let tls = connector.connect(server_name(), stream).await.unwrap();
        let mut config = client_config(Some(AuthConfig::password("alice", "s3cret")));
        config.implicit_tls = true;
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut client =
            SmtpClient::connect(FromTokio::new(tls), TokioTimer, config, &mut rx, &mut tx)
                .await
                .unwrap();
        assert!(!client.wants_tls());
        assert!(client.engine().is_tls());
        assert!(client.engine().is_authenticated());
        let d = send_one(&mut client, &body).await;
        client.quit().await.unwrap();
        d
    };

    let (store, d) = bounded(async { tokio::join!(server, client) }).await;
    check_delivery(&d);
    assert_eq!(store.messages.len(), 1);
    assert!(store.messages[0] == body, "message differs");
    assert_eq!(store.hellos, [Verb::Ehlo]);
    assert_eq!(store.auths, [("alice".to_owned(), "s3cret".to_owned())]);
}

#[tokio::test]
async fn failed_handshake_is_a_tls_error_on_both_sides() {
    let (acceptor, _) = tls_pair();
    let connector = untrusting_connector();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();

    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let mut store = Store::default();
        let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
        let r = serve_tls(
            FromTokio::new(stream),
            &mut TokioTimer,
            tls_server_config(),
            &mut rx,
            &mut tx,
            &mut store,
            |io: FromTokio<TcpStream>| async {
                acceptor.accept(io.into_inner()).await.map(FromTokio::new)
            },
        )
        .await;
        (r, store)
    };

    let client = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let config = client_config(Some(AuthConfig::password("alice", "s3cret")));
        let client =
            SmtpClient::connect(FromTokio::new(stream), TokioTimer, config, &mut rx, &mut tx)
                .await
                .unwrap();
        client
            .start_tls(|io: FromTokio<TcpStream>| async {
                connector
                    .connect(server_name(), io.into_inner())
                    .await
                    .map(FromTokio::new)
            })
            .await
            .map(drop)
    };

    let ((served, store), client) = bounded(async { tokio::join!(server, client) }).await;
    assert_eq!(client, Err(Error::Tls));
    assert_eq!(served, Err(Error::Tls));
    // Nothing but the first EHLO reached the handler; no credentials went
    // out in the clear.
    assert_eq!(store.hellos, [Verb::Ehlo]);
    assert!(store.auths.is_empty());
}

#[tokio::test]
async fn plain_session_over_loopback_with_1k_buffers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = big_body();

    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let mut config = Config::new("mx.example");
        config.chunking = false;
        let mut store = Store::default();
        let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
        serve(
            FromTokio::new(stream),
            &mut TokioTimer,
            config,
            &mut rx,
            &mut tx,
            &mut store,
        )
        .await
        .unwrap();
        store
    };

    let client = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut config = client_config(None);
        config.tls = TlsPolicy::Never;
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut client =
            SmtpClient::connect(FromTokio::new(stream), TokioTimer, config, &mut rx, &mut tx)
                .await
                .unwrap();
        let mut r = Vec::new();
        for _ in 0..3 {
            r.push(send_one(&mut client, &body).await);
        }
        client.quit().await.unwrap();
        r
    };

    let (store, r) = bounded(async { tokio::join!(server, client) }).await;
    r.iter().for_each(check_delivery);
    assert_eq!(store.messages.len(), 3);
    assert!(store.messages.iter().all(|m| *m == body));
}

#[tokio::test]
async fn a_silent_server_times_out() {
    // A server that accepts the connection and never greets: the client's
    // greeting deadline (shortened here) fires through the Timer.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(stream);
    };
    let client = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut config = client_config(None);
        config.timeouts.greeting = Duration::from_millis(200);
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        SmtpClient::connect(FromTokio::new(stream), TokioTimer, config, &mut rx, &mut tx)
            .await
            .map(drop)
    };
    let ((), r) = bounded(async { tokio::join!(server, client) }).await;
    assert_eq!(r, Err(Error::Timeout));
}

/// The device TLS stack, embedded-tls 0.19 (TLS 1.3, no_std), as the
/// client's STARTTLS wrapper against the rustls server, with the buffer
/// sizes documented in `io`: 1 KiB for the SMTP driver, a 16640-octet
/// record read buffer and a 4 KiB record write buffer.
#[tokio::test]
async fn embedded_tls_client_starttls_against_rustls_server() {
    use embedded_tls::{Aes128GcmSha256, TlsConfig, TlsConnection, TlsContext, UnsecureProvider};

    let (acceptor, _) = tls_pair();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = big_body();

    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let mut store = Store::default();
        let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
        serve_tls(
            FromTokio::new(stream),
            &mut TokioTimer,
            tls_server_config(),
            &mut rx,
            &mut tx,
            &mut store,
            |io: FromTokio<TcpStream>| async {
                acceptor.accept(io.into_inner()).await.map(FromTokio::new)
            },
        )
        .await
        .unwrap();
        store
    };

    let client = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let config = client_config(Some(AuthConfig::password("alice", "s3cret")));
        let client =
            SmtpClient::connect(FromTokio::new(stream), TokioTimer, config, &mut rx, &mut tx)
                .await
                .unwrap();
        assert!(client.wants_tls());
        let (mut tls_rx, mut tls_tx) = (vec![0u8; 16640], vec![0u8; 4096]);
        let tls_config = TlsConfig::new().with_server_name("mx.example");
        let (tls_rx, tls_tx, tls_config) = (&mut tls_rx[..], &mut tls_tx[..], &tls_config);
        let mut client = client
            .start_tls(move |socket: FromTokio<TcpStream>| async move {
                let mut tls = TlsConnection::new(socket, tls_rx, tls_tx);
                // No certificate check here (the rustls tests check the
                // certificate); a device uses a verifying CryptoProvider.
                let provider = UnsecureProvider::new::<Aes128GcmSha256>(rand_core::OsRng);
                tls.open(TlsContext::new(tls_config, provider))
                    .await
                    .map(|()| tls)
            })
            .await
            .unwrap();
        assert!(client.engine().is_tls());
        assert!(client.engine().is_authenticated());
        let d = send_one(&mut client, &body).await;
        client.quit().await.unwrap();
        d
    };

    let (store, d) = bounded(async { tokio::join!(server, client) }).await;
    check_delivery(&d);
    assert_eq!(store.messages.len(), 1);
    assert!(store.messages[0] == body, "message differs");
    assert_eq!(store.hellos, [Verb::Ehlo, Verb::Ehlo]);
    assert_eq!(store.auths, [("alice".to_owned(), "s3cret".to_owned())]);
}

/// embedded-tls for implicit TLS: the connection is opened on the socket
/// first, the session starts inside it.
#[tokio::test]
async fn embedded_tls_client_implicit_tls_against_rustls_server() {
    use embedded_tls::{Aes128GcmSha256, TlsConfig, TlsConnection, TlsContext, UnsecureProvider};

    let (acceptor, _) = tls_pair();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();

    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(stream).await.unwrap();
        let mut config = Config::new("mx.example");
        config.auth = AuthMechanisms::empty().with(AuthMechanism::Plain);
        config.auth_without_tls = true;
        let mut store = Store::default();
        let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
        serve(
            FromTokio::new(tls),
            &mut TokioTimer,
            config,
            &mut rx,
            &mut tx,
            &mut store,
        )
        .await
        .unwrap();
        store
    };

    let client = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut tls_rx, mut tls_tx) = (vec![0u8; 16640], vec![0u8; 4096]);
        let tls_config = TlsConfig::new().with_server_name("mx.example");
        let mut tls = TlsConnection::new(FromTokio::new(stream), &mut tls_rx, &mut tls_tx);
        let provider = UnsecureProvider::new::<Aes128GcmSha256>(rand_core::OsRng);
        tls.open(TlsContext::new(&tls_config, provider))
            .await
            .unwrap();
        let mut config = client_config(Some(AuthConfig::password("alice", "s3cret")));
        config.implicit_tls = true;
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut client = SmtpClient::connect(tls, TokioTimer, config, &mut rx, &mut tx)
            .await
            .unwrap();
        assert!(client.engine().is_authenticated());
        let d = send_one(&mut client, b"Subject: implicit\r\n\r\nhello\r\n").await;
        client.quit().await.unwrap();
        d
    };

    let (store, d) = bounded(async { tokio::join!(server, client) }).await;
    check_delivery(&d);
    assert_eq!(store.messages, [b"Subject: implicit\r\n\r\nhello\r\n"]);
    assert_eq!(store.auths, [("alice".to_owned(), "s3cret".to_owned())]);
}

/// The async server's command deadline (300 s, RFC 5321 §4.5.3.2.7) goes
/// through the Timer: a client that says EHLO and then nothing gets
/// `421 4.4.2` after 300 s of (paused, auto-advanced) tokio time.
#[tokio::test(start_paused = true)]
async fn async_server_answers_421_after_the_command_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (mut client, server_io) = tokio::io::duplex(4096);
    let started = tokio::time::Instant::now();
    let server = async {
        let mut store = Store::default();
        let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
        let r = serve(
            FromTokio::new(server_io),
            &mut TokioTimer,
            Config::new("mx.example"),
            &mut rx,
            &mut tx,
            &mut store,
        )
        .await
        .map(drop);
        (r, started.elapsed())
    };
    let talker = async {
        client.write_all(b"EHLO client.example\r\n").await.unwrap();
        let mut heard = String::new();
        client.read_to_string(&mut heard).await.unwrap();
        heard
    };
    let ((served, elapsed), heard) = tokio::join!(server, talker);
    assert_eq!(served, Err(Error::Timeout));
    assert!(elapsed >= Duration::from_secs(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(301), "{elapsed:?}");
    assert!(heard.starts_with("220 mx.example"), "{heard}");
    let last = heard.trim_end().lines().last().unwrap();
    assert!(last.starts_with("421 4.4.2 "), "{heard}");
}

/// The async drivers over a tokio duplex pipe that holds 64 bytes: every
/// read and write is cut small, and the TLS records (rustls on both sides,
/// STARTTLS, then AUTH PLAIN) cross it in pieces too. The server offers no
/// PIPELINING, so the client goes in lock-step — BDAT chunks included
/// (this found the server engine refusing a BDAT chunk's own octets as a
/// synchronization violation).
///
/// Why not 1 byte and PIPELINING here: a sequential driver does not read
/// while it writes, so a pipelined group needs a transport that absorbs it
/// while the server answers its first commands (any TCP socket does; a tiny
/// pipe cannot: the client blocks writing RCPT while the server blocks
/// writing the reply to MAIL). Likewise rustls's session tickets, pushed on
/// the server's first read while the client writes EHLO, so the server
/// sends none here; and rustls's handshake itself stalls on a 1-byte pipe.
/// The 1-byte matrix runs on the blocking driver (`tests/io_blocking.rs`),
/// which shares the protocol pumps with this one.
#[tokio::test]
async fn starttls_auth_and_lock_step_bdat_over_a_64_byte_pipe() {
    use tokio::io::DuplexStream;

    let (acceptor, connector) = tls_pair_with_tickets(0);
    let (client_io, server_io) = tokio::io::duplex(64);
    let body = b"Subject: tiny pipe\r\n\r\n.dot\r\nline\r\n".to_vec();

    let server = async {
        let mut store = Store::default();
        let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
        let mut config = tls_server_config();
        config.pipelining = false;
        serve_tls(
            FromTokio::new(server_io),
            &mut TokioTimer,
            config,
            &mut rx,
            &mut tx,
            &mut store,
            |io: FromTokio<DuplexStream>| async {
                acceptor.accept(io.into_inner()).await.map(FromTokio::new)
            },
        )
        .await
        .unwrap();
        store
    };

    let client = async {
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let config = client_config(Some(AuthConfig::password("alice", "s3cret")));
        let client = SmtpClient::connect(
            FromTokio::new(client_io),
            TokioTimer,
            config,
            &mut rx,
            &mut tx,
        )
        .await
        .unwrap();
        let mut client = client
            .start_tls(|io: FromTokio<DuplexStream>| async {
                connector
                    .connect(server_name(), io.into_inner())
                    .await
                    .map(FromTokio::new)
            })
            .await
            .unwrap();
        let d = send_one(&mut client, &body).await;
        client.quit().await.unwrap();
        d
    };

    let (store, d) = bounded(async { tokio::join!(server, client) }).await;
    check_delivery(&d);
    assert_eq!(store.messages, std::slice::from_ref(&body));
    assert_eq!(store.hellos, [Verb::Ehlo, Verb::Ehlo]);
    assert_eq!(store.auths, [("alice".to_owned(), "s3cret".to_owned())]);
}

/// A pipelined envelope far larger than the transport's buffering (MAIL
/// and 100 long recipients, about 6 KiB) over a pipe that holds 1 KiB each
/// way: the client keeps at most one transmit buffer of commands awaiting
/// replies and reads before writing more, so the server never blocks
/// writing replies to a client that is blocked writing commands
/// (RFC 2920 §3.1, catalogue row PIP-08).
#[tokio::test]
async fn a_large_pipelined_envelope_over_a_1k_pipe() {
    use tokio::io::DuplexStream;

    let (client_io, server_io) = tokio::io::duplex(1024);
    let names: Vec<String> = (0..100)
        .map(|i| format!("recipient-{i:03}-with-a-rather-long-local-part@mx.example"))
        .collect();
    let server = async {
        let mut store = Store::default();
        let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
        serve(
            FromTokio::new(server_io),
            &mut TokioTimer,
            Config::new("mx.example"),
            &mut rx,
            &mut tx,
            &mut store,
        )
        .await
        .unwrap();
        store
    };
    let client = async {
        let mut config = client_config(None);
        config.tls = TlsPolicy::Never;
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut client: SmtpClient<'_, '_, FromTokio<DuplexStream>, _> = SmtpClient::connect(
            FromTokio::new(client_io),
            TokioTimer,
            config,
            &mut rx,
            &mut tx,
        )
        .await
        .unwrap();
        let rcpts: Vec<Recipient<'_>> = names.iter().map(|n| Recipient::new(n).unwrap()).collect();
        let envelope = Envelope::new("alice@client.example", &rcpts).unwrap();
        let d = client
            .send(&envelope, &b"Subject: many\r\n\r\nhi\r\n"[..], |_| {})
            .await
            .unwrap();
        client.quit().await.unwrap();
        d
    };
    let (store, d) = bounded(async { tokio::join!(server, client) }).await;
    assert_eq!((d.accepted, d.rejected, d.delivered), (100, 0, 1));
    assert_eq!(store.messages, [b"Subject: many\r\n\r\nhi\r\n"]);
}
