//! The async drivers on tokio without TLS: 1 KiB buffers over loopback
//! TCP, deadlines through the `Timer` (a silent server, a silent client
//! under paused time), a pipelined envelope larger than the transport
//! over a 1 KiB pipe, the events of a refused AUTH seen through
//! `connect_with_events`, and a server behind a PROXY-protocol proxy
//! (`serve`, the header reaching the handler's `proxied`). Harness: `support/io_tokio.rs`.
#![cfg(feature = "async")]

use std::time::Duration;

use crate::support::io_tokio::*;
use embedded_io_adapters::tokio_1::FromTokio;
use embedded_smtp::client::{Envelope, Recipient, TlsPolicy};
use embedded_smtp::io::Error;
use embedded_smtp::io::asynch::{SmtpClient, serve};
use embedded_smtp::server::ServerConfig;
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn plain_session_over_loopback_with_1k_buffers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = big_body();

    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let mut config = ServerConfig::new("mx.example");
        config.chunking = false;
        let mut store = Store::default();
        let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
        serve(
            FromTokio::new(stream),
            None,
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
    assert_eq!(store.seen.messages.len(), 3);
    assert!(store.seen.messages.iter().all(|m| *m == body));
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
            None,
            &mut TokioTimer,
            ServerConfig::new("mx.example"),
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
            None,
            &mut TokioTimer,
            ServerConfig::new("mx.example"),
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
    assert_eq!(store.seen.messages, [b"Subject: many\r\n\r\nhi\r\n"]);
}

/// A transport with its own read timeout (as embassy-net's `TcpSocket`
/// with `set_timeout`): its `TimedOut` error is the command timeout too —
/// `421 4.4.2` and `Error::Timeout`, as the blocking driver does.
#[tokio::test]
async fn a_transport_read_timeout_is_answered_with_421() {
    struct Silent(Vec<u8>);
    impl embedded_io_async::ErrorType for Silent {
        type Error = embedded_io_async::ErrorKind;
    }
    impl embedded_io_async::Read for Silent {
        async fn read(&mut self, _: &mut [u8]) -> Result<usize, Self::Error> {
            Err(embedded_io_async::ErrorKind::TimedOut)
        }
    }
    impl embedded_io_async::Write for Silent {
        async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        async fn flush(&mut self) -> Result<(), Self::Error> {
            Ok(())
        }
    }
    let mut io = Silent(Vec::new());
    let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
    let r = serve(
        &mut io,
        None,
        &mut TokioTimer,
        ServerConfig::new("mx.example"),
        &mut rx,
        &mut tx,
        &mut Store::default(),
    )
    .await;
    assert_eq!(r.err(), Some(Error::Timeout));
    let said = String::from_utf8(io.0).unwrap();
    let last = said.trim_end().lines().last().unwrap();
    assert!(said.starts_with("220 mx.example"), "{said}");
    assert!(last.starts_with("421 4.4.2 "), "{said}");
}

/// `connect_with_events` hands the caller every reply of the opening: a
/// refused AUTH is an `Event::AuthFailed` with the server's reply (the
/// `send` example reports it), and the session stays usable, so QUIT
/// still goes out.
#[tokio::test]
async fn refused_auth_is_an_event_of_connect_with_events() {
    use embedded_smtp::client::{AuthConfig, Event};
    use embedded_smtp::syntax::{AuthMechanism, AuthMechanisms, Verb};

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let mut config = ServerConfig::new("mx.example");
        config.auth = AuthMechanisms::empty().with(AuthMechanism::Plain);
        config.auth_without_tls = true;
        let mut store = Store::default();
        let (mut rx, mut tx) = (server_rx(config), [0u8; 1024]);
        let r = serve(
            FromTokio::new(stream),
            None,
            &mut TokioTimer,
            config,
            &mut rx,
            &mut tx,
            &mut store,
        )
        .await
        .map(drop);
        (r, store)
    };
    let client = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut config = client_config(Some(AuthConfig::password("alice", "wrong")));
        config.tls = TlsPolicy::Never;
        config.allow_plaintext_auth = true;
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut seen = Vec::new();
        let client = SmtpClient::connect_with_events(
            FromTokio::new(stream),
            TokioTimer,
            config,
            &mut rx,
            &mut tx,
            |event| {
                seen.push(match event {
                    Event::Greeting(r) => ("greeting", r.code().get()),
                    Event::Hello(r) => ("hello", r.code.get()),
                    Event::AuthFailed(r) => ("auth failed", r.code().get()),
                    Event::Authenticated(r) => ("authenticated", r.code().get()),
                    _ => ("other", 0),
                });
            },
        )
        .await
        .unwrap();
        assert!(!client.engine().is_authenticated());
        client.quit().await.unwrap();
        seen
    };
    let ((served, store), seen) = bounded(async { tokio::join!(server, client) }).await;
    assert_eq!(
        seen,
        [("greeting", 220), ("hello", 250), ("auth failed", 535)]
    );
    // The server saw the credentials, then a QUIT that ended the session.
    assert_eq!(served, Ok(()));
    assert_eq!(store.verbs(), [Verb::Ehlo]);
    assert_eq!(
        store.seen.auths,
        [("PLAIN", "alice".to_owned(), "wrong".to_owned())]
    );
}

/// The v1 header a proxy would send for the client 192.0.2.7:50123.
#[cfg(feature = "proxy")]
const PROXY_V1: &[u8] = b"PROXY TCP4 192.0.2.7 198.51.100.1 50123 25\r\n";

/// `serve` behind a proxy: the client's bytes start with the PROXY header,
/// the greeting waits for it, the session is an ordinary one, and the
/// header reaches the handler (`proxied`).
#[cfg(feature = "proxy")]
#[tokio::test]
async fn the_proxy_header_is_read_before_the_greeting_and_reaches_the_handler() {
    use tokio::io::AsyncWriteExt;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = ServerConfig::new("mx.example");
    config.proxy_protocol = true;

    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let mut store = Store::default();
        let (mut rx, mut tx) = (server_rx(config), [0u8; 1024]);
        serve(
            FromTokio::new(stream),
            None,
            &mut TokioTimer,
            config,
            &mut rx,
            &mut tx,
            &mut store,
        )
        .await
        .unwrap();
        let header = store.seen.proxied;
        (store, header)
    };

    let client = async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(PROXY_V1).await.unwrap();
        let mut config = client_config(None);
        config.tls = TlsPolicy::Never;
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut client =
            SmtpClient::connect(FromTokio::new(stream), TokioTimer, config, &mut rx, &mut tx)
                .await
                .unwrap();
        let r = send_one(&mut client, b"Subject: proxied\r\n\r\nhi\r\n").await;
        client.quit().await.unwrap();
        r
    };

    let ((store, header), r) = bounded(async { tokio::join!(server, client) }).await;
    check_delivery(&r);
    assert_eq!(store.seen.messages, [b"Subject: proxied\r\n\r\nhi\r\n"]);
    let header = header.expect("the header");
    assert_eq!(header.source(), Some("192.0.2.7:50123".parse().unwrap()));
    assert_eq!(
        header.destination(),
        Some("198.51.100.1:25".parse().unwrap())
    );
}

/// Without the header the connection is closed before any byte is sent,
/// and the handler never gets a header.
#[cfg(feature = "proxy")]
#[tokio::test]
async fn a_connection_without_the_proxy_header_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = ServerConfig::new("mx.example");
    config.proxy_protocol = true;

    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let mut store = Store::default();
        let (mut rx, mut tx) = (server_rx(config), [0u8; 1024]);
        let result = serve(
            FromTokio::new(stream),
            None,
            &mut TokioTimer,
            config,
            &mut rx,
            &mut tx,
            &mut store,
        )
        .await
        .map(drop);
        let header = store.seen.proxied;
        (result, header, store.seen.hellos.len())
    };
    let client = async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"EHLO client.example\r\n").await.unwrap();
        let mut got = Vec::new();
        stream.read_to_end(&mut got).await.unwrap();
        got
    };
    let ((result, header, hellos), got) = bounded(async { tokio::join!(server, client) }).await;
    assert_eq!(result, Ok(()));
    assert_eq!((header, hellos), (None, 0));
    assert_eq!(got, b"", "no reply without a header");
}
