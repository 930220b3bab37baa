//! The async drivers on tokio with TLS: the client driver
//! (`io::asynch::SmtpClient` over `FromTokio<TcpStream>`) talks to the
//! server driver (`io::asynch::serve_tls` / `serve`) over 127.0.0.1, with
//! STARTTLS and implicit TLS done by rustls (ring provider) on both sides or
//! by embedded-tls (the device stack) on the client, a self-signed
//! certificate made by rcgen, and AUTH PLAIN under TLS. Plain transports,
//! deadlines and pipelining bounds are in `io_tokio_transport`.
#![cfg(feature = "async")]

use crate::support::io_tokio::*;
use embedded_io_adapters::tokio_1::FromTokio;
use embedded_smtp::client::AuthConfig;
use embedded_smtp::io::asynch::{SmtpClient, serve, serve_tls};
use embedded_smtp::io::{Error, Transport};
use embedded_smtp::server::ServerConfig;
use embedded_smtp::syntax::{AuthMechanism, AuthMechanisms, Verb};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn starttls_then_auth_plain_over_loopback() {
    let (acceptor, connector) = tls_pair();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = big_body();

    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let mut store = Store::default();
        let (mut rx, mut tx) = (server_rx(tls_server_config()), [0u8; 1024]);
        let served = serve_tls(
            FromTokio::new(stream),
            None,
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
        // The TLS stream comes back: close_notify, then the TCP FIN.
        let Transport::Tls(tls) = served else {
            panic!("the session upgraded, yet the plain transport came back");
        };
        tls.into_inner().shutdown().await.unwrap();
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
        let mut tls = client.quit().await.unwrap().into_inner();
        // After the 221, the server's close_notify: rustls reports a clean
        // end (0), where a connection closed without it is an error
        // (UnexpectedEof).
        let mut byte = [0u8; 1];
        assert_eq!(tls.read(&mut byte).await.map_err(|e| e.kind()), Ok(0));
        (first, second)
    };

    let (store, (first, second)) = bounded(async { tokio::join!(server, client) }).await;
    check_delivery(&first);
    check_delivery(&second);
    // Byte-identical delivery, both messages on the one session.
    assert_eq!(store.seen.messages.len(), 2);
    assert!(store.seen.messages[0] == body, "first message differs");
    assert_eq!(store.seen.messages[1], b"Subject: 2\r\n\r\nsecond\r\n");
    // EHLO before and after the upgrade (RFC 3207 §4.2), AUTH only after.
    assert_eq!(store.verbs(), [Verb::Ehlo, Verb::Ehlo]);
    assert_eq!(
        store.seen.auths,
        [("PLAIN", "alice".to_owned(), "s3cret".to_owned())]
    );
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
        let mut config = ServerConfig::new("mx.example");
        config.auth = AuthMechanisms::empty().with(AuthMechanism::Plain);
        config.auth_without_tls = true;
        let mut store = Store::default();
        let (mut rx, mut tx) = (server_rx(config), [0u8; 1024]);
        serve(
            FromTokio::new(tls),
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
    assert_eq!(store.seen.messages.len(), 1);
    assert!(store.seen.messages[0] == body, "message differs");
    assert_eq!(store.verbs(), [Verb::Ehlo]);
    assert_eq!(
        store.seen.auths,
        [("PLAIN", "alice".to_owned(), "s3cret".to_owned())]
    );
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
        let (mut rx, mut tx) = (server_rx(tls_server_config()), [0u8; 1024]);
        let r = serve_tls(
            FromTokio::new(stream),
            None,
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
    assert_eq!(served.err(), Some(Error::Tls));
    // Nothing but the first EHLO reached the handler; no credentials went
    // out in the clear.
    assert_eq!(store.verbs(), [Verb::Ehlo]);
    assert!(store.seen.auths.is_empty());
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
        let (mut rx, mut tx) = (server_rx(tls_server_config()), [0u8; 1024]);
        serve_tls(
            FromTokio::new(stream),
            None,
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
    assert_eq!(store.seen.messages.len(), 1);
    assert!(store.seen.messages[0] == body, "message differs");
    assert_eq!(store.verbs(), [Verb::Ehlo, Verb::Ehlo]);
    assert_eq!(
        store.seen.auths,
        [("PLAIN", "alice".to_owned(), "s3cret".to_owned())]
    );
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
        let mut config = ServerConfig::new("mx.example");
        config.auth = AuthMechanisms::empty().with(AuthMechanism::Plain);
        config.auth_without_tls = true;
        let mut store = Store::default();
        let (mut rx, mut tx) = (server_rx(config), [0u8; 1024]);
        serve(
            FromTokio::new(tls),
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
    assert_eq!(store.seen.messages, [b"Subject: implicit\r\n\r\nhello\r\n"]);
    assert_eq!(
        store.seen.auths,
        [("PLAIN", "alice".to_owned(), "s3cret".to_owned())]
    );
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
/// The 1-byte matrix runs on the blocking driver (`tests/io/blocking.rs`),
/// which shares the protocol pumps with this one.
#[tokio::test]
async fn starttls_auth_and_lock_step_bdat_over_a_64_byte_pipe() {
    use tokio::io::DuplexStream;

    let (acceptor, connector) = tls_pair_with_tickets(0);
    let (client_io, server_io) = tokio::io::duplex(64);
    let body = b"Subject: tiny pipe\r\n\r\n.dot\r\nline\r\n".to_vec();

    let server = async {
        let mut store = Store::default();
        let (mut rx, mut tx) = (server_rx(tls_server_config()), [0u8; 1024]);
        let mut config = tls_server_config();
        config.pipelining = false;
        serve_tls(
            FromTokio::new(server_io),
            None,
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
    assert_eq!(store.seen.messages, std::slice::from_ref(&body));
    assert_eq!(store.verbs(), [Verb::Ehlo, Verb::Ehlo]);
    assert_eq!(
        store.seen.auths,
        [("PLAIN", "alice".to_owned(), "s3cret".to_owned())]
    );
}
