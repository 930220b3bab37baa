//! The host helpers (`io::tokio`, features `tokio` and `rustls`): the
//! accept loop with a task per session, a bound on sessions and a graceful
//! shutdown; `serve_tcp` and `serve_starttls`; `connect` and `connect_tls`
//! (STARTTLS and implicit TLS over rustls). Over 127.0.0.1.
#![cfg(feature = "rustls")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::io_tokio::*;
use embedded_smtp::client::{ClientConfig, TlsPolicy};
use embedded_smtp::io::tokio::{
    CLIENT_BUFFER, Stopped, accept_loop, connect, connect_tls, serve_starttls, serve_tcp,
};
use embedded_smtp::server::ServerConfig;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// What each session's task reports: TLS started, ended well, messages.
type Sessions = Arc<Mutex<Vec<(bool, bool, Vec<Vec<u8>>)>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_clients_through_the_accept_loop() {
    let (acceptor, connector) = tls_pair();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Sessions = Arc::default();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = {
        let seen = seen.clone();
        async move {
            accept_loop(
                listener,
                8,
                async {
                    let _ = stopped.await;
                },
                Duration::from_secs(10),
                move |tcp, peer| {
                    let (acceptor, seen) = (acceptor.clone(), seen.clone());
                    async move {
                        let mut config = ServerConfig::new("mx.example");
                        config.tls_available = true;
                        let mut store = Store::default();
                        let (tls, r) =
                            serve_starttls(tcp, peer, &config, &acceptor, &mut store).await;
                        let messages = store.seen.messages.clone();
                        seen.lock().unwrap().push((tls, r.is_ok(), messages));
                    }
                },
            )
            .await
        }
    };
    let server = tokio::spawn(server);
    let body = big_body();
    let clients = (0..3).map(|_| {
        let connector = connector.clone();
        let body = body.clone();
        async move {
            let (mut rx, mut tx) = (vec![0u8; CLIENT_BUFFER], vec![0u8; CLIENT_BUFFER]);
            let config = ClientConfig::new("client.example");
            let mut client = connect_tls(addr, &connector, server_name(), config, &mut rx, &mut tx)
                .await
                .unwrap();
            assert!(client.engine().is_tls());
            let (delivery, codes) = send_one(&mut client, &body).await;
            assert!(delivery.is_delivered());
            assert_eq!(codes, [(0, 250), (1, 550)]);
            client.quit().await.unwrap();
        }
    });
    futures_join_all(clients).await;
    stop.send(()).unwrap();
    let Stopped { sessions, cut_off } = server.await.unwrap();
    assert_eq!((sessions, cut_off), (3, 0));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    for (tls, ok, messages) in seen.iter() {
        assert!(*tls && *ok);
        assert_eq!(messages, std::slice::from_ref(&body));
    }
}

/// Runs the futures concurrently (tokio has no `join_all`).
async fn futures_join_all<F: std::future::Future<Output = ()> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) {
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test]
async fn implicit_tls_client_and_a_plain_client() {
    let (acceptor, connector) = tls_pair();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = async {
        // Port-465 style first, then a plain session with serve_tcp.
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(tcp).await.unwrap();
        let io = embedded_smtp::io::tokio::Stream::Tls(Box::new(tls.into()));
        let mut store = Store::default();
        let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
        let mut config = ServerConfig::new("mx.example");
        config.auth_without_tls = true;
        embedded_smtp::io::asynch::serve(
            io,
            None,
            &mut embedded_smtp::io::tokio::TokioTimer,
            config,
            &mut rx,
            &mut tx,
            &mut store,
        )
        .await
        .unwrap();
        let (tcp, peer) = listener.accept().await.unwrap();
        let mut plain = Store::default();
        serve_tcp(tcp, peer, &ServerConfig::new("mx.example"), &mut plain)
            .await
            .unwrap();
        (store.seen.messages.len(), plain.seen.messages.len())
    };
    let clients = async {
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut config = ClientConfig::new("client.example");
        config.implicit_tls = true;
        let mut client = connect_tls(addr, &connector, server_name(), config, &mut rx, &mut tx)
            .await
            .unwrap();
        assert!(client.engine().is_tls());
        assert!(
            send_one(&mut client, b"Subject: a\r\n\r\n1\r\n")
                .await
                .0
                .is_delivered()
        );
        client.quit().await.unwrap();

        let mut config = ClientConfig::new("client.example");
        config.tls = TlsPolicy::Never;
        let mut client = connect(addr, config, &mut rx, &mut tx).await.unwrap();
        assert!(!client.engine().is_tls());
        assert!(
            send_one(&mut client, b"Subject: b\r\n\r\n2\r\n")
                .await
                .0
                .is_delivered()
        );
        client.quit().await.unwrap();
    };
    let (counts, ()) = tokio::join!(server, clients);
    assert_eq!(counts, (1, 1));
}

/// Reads one reply line.
async fn line(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
    let mut line = String::new();
    r.read_line(&mut line).await.unwrap();
    line
}

#[tokio::test]
async fn shutdown_lets_a_running_session_finish_and_cuts_off_an_idle_one() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let ended: Arc<Mutex<Vec<bool>>> = Arc::default();
    let server = {
        let ended = ended.clone();
        tokio::spawn(async move {
            accept_loop(
                listener,
                4,
                async {
                    let _ = stopped.await;
                },
                Duration::from_secs(3),
                move |tcp, peer| {
                    let ended = ended.clone();
                    async move {
                        let mut store = Store::default();
                        let r = serve_tcp(tcp, peer, &ServerConfig::new("mx.example"), &mut store)
                            .await;
                        ended.lock().unwrap().push(r.is_ok());
                    }
                },
            )
            .await
        })
    };
    // Two sessions, both greeted.
    let (r1, mut w1) = TcpStream::connect(addr).await.unwrap().into_split();
    let (r2, _w2) = TcpStream::connect(addr).await.unwrap().into_split();
    let (mut r1, mut r2) = (BufReader::new(r1), BufReader::new(r2));
    assert!(line(&mut r1).await.starts_with("220 "));
    assert!(line(&mut r2).await.starts_with("220 "));
    stop.send(()).unwrap();
    // The first finishes during the grace period; the second stays idle.
    w1.write_all(b"QUIT\r\n").await.unwrap();
    assert!(line(&mut r1).await.starts_with("221 "));
    let stopped = server.await.unwrap();
    assert_eq!(
        stopped,
        Stopped {
            sessions: 2,
            cut_off: 1
        }
    );
    assert_eq!(*ended.lock().unwrap(), [true]);
    // The idle session's connection was closed with its task.
    assert_eq!(line(&mut r2).await, "");
}

/// `serve_tcp` gives its buffers back while the client is silent and waits
/// for the socket with the engine alone; the deadline still holds there:
/// after EHLO and 300 s of silence, `421 4.4.2` and the session ends
/// (RFC 5321 §4.5.3.2.7). And a client that speaks after a pause, with a
/// command cut in two, is served as ever.
#[tokio::test(start_paused = true)]
async fn serve_tcp_keeps_its_deadlines_while_idle() {
    use embedded_smtp::io::Error;
    use tokio::io::AsyncReadExt;

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let started = tokio::time::Instant::now();
    let server = async {
        let (tcp, peer) = listener.accept().await.unwrap();
        let mut store = Store::default();
        let r = serve_tcp(tcp, peer, &ServerConfig::new("mx.example"), &mut store).await;
        (r, started.elapsed(), store.seen.hellos.len())
    };
    let client = async {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        // A command in two pieces, a pause between them.
        tcp.write_all(b"EHLO client").await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        tcp.write_all(b".example\r\n").await.unwrap();
        let mut heard = String::new();
        tcp.read_to_string(&mut heard).await.unwrap();
        heard
    };
    // On the paused clock a bound is virtual time: 1000 s, past every
    // deadline of the session.
    let both = async { tokio::join!(server, client) };
    let ((served, elapsed, hellos), heard) = tokio::time::timeout(Duration::from_secs(1000), both)
        .await
        .expect("the session ends at its deadline");
    assert_eq!(served, Err(Error::Timeout));
    assert_eq!(hellos, 1);
    assert!(
        heard.starts_with("220 mx.example ESMTP\r\n250-mx.example\r\n"),
        "{heard}"
    );
    assert!(
        heard.ends_with("421 4.4.2 mx.example Error: timeout exceeded\r\n"),
        "{heard}"
    );
    assert!(elapsed >= Duration::from_secs(305), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(306), "{elapsed:?}");
}

/// Inside STARTTLS, a client that stays silent past the command deadline
/// gets `421 4.4.2` and then the server's TLS close_notify (RFC 8446
/// §6.1): rustls reads the end of the stream, not "peer closed connection
/// without sending TLS close_notify". On the paused clock, as
/// `serve_tcp_keeps_its_deadlines_while_idle`.
#[tokio::test(start_paused = true)]
async fn a_silent_client_inside_tls_gets_421_then_close_notify() {
    use embedded_smtp::io::Error;
    use tokio::io::AsyncReadExt;

    let (acceptor, connector) = tls_pair();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = async {
        let (tcp, peer) = listener.accept().await.unwrap();
        let mut config = ServerConfig::new("mx.example");
        config.tls_available = true;
        let mut store = Store::default();
        serve_starttls(tcp, peer, &config, &acceptor, &mut store).await
    };
    let client = async {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut plain = BufReader::new(tcp);
        let mut reply = String::new();
        plain.read_line(&mut reply).await.unwrap();
        assert!(reply.starts_with("220 "), "{reply}");
        plain.get_mut().write_all(b"STARTTLS\r\n").await.unwrap();
        reply.clear();
        plain.read_line(&mut reply).await.unwrap();
        assert!(reply.starts_with("220 "), "{reply}");
        let mut tls = connector
            .connect(server_name(), plain.into_inner())
            .await
            .unwrap();
        // Silence: everything until the server ends the stream.
        let mut heard = Vec::new();
        let end = tls.read_to_end(&mut heard).await;
        (
            end.map(drop).map_err(|e| e.to_string()),
            String::from_utf8(heard).unwrap(),
        )
    };
    // Virtual time: past the 300 s deadline.
    let both = async { tokio::join!(server, client) };
    let ((tls, served), (end, heard)) = tokio::time::timeout(Duration::from_secs(1000), both)
        .await
        .expect("the session ends at its deadline");
    assert!(tls);
    assert_eq!(served, Err(Error::Timeout));
    assert_eq!(heard, "421 4.4.2 mx.example Error: timeout exceeded\r\n");
    assert_eq!(end, Ok(()), "the stream ended without close_notify");
}
