//! The blocking drivers at their edges: read timeouts on both sides, a
//! body source that fails half-way, lock-step sessions (no PIPELINING),
//! `std::net::TcpStream` on loopback, and a PROXY protocol header before
//! the greeting. Harness: `support/io_blocking.rs`.
#![cfg(feature = "blocking")]

use std::thread;
use std::time::Duration;

use crate::support::io_blocking::*;
use embedded_io::{Read, Write};
use embedded_smtp::client::{ClientConfig, Envelope, Recipient, TlsPolicy};
use embedded_smtp::io::Error;
use embedded_smtp::io::blocking::{SmtpClient, serve};
use embedded_smtp::server::ServerConfig;

#[test]
fn a_silent_client_gets_421_when_the_read_times_out() {
    let (served, heard) = bounded(|| {
        let (mut client_end, mut server_end, _) = pair(4096);
        server_end.read_timeout = Some(Duration::from_millis(200));
        let server = thread::spawn(move || {
            let (mut rx, mut tx) = (vec![0u8; 2048], vec![0u8; 1024]);
            serve(
                server_end,
                None,
                ServerConfig::new("mx.example"),
                &mut rx,
                &mut tx,
                &mut Store::default(),
            )
            .map(drop)
        });
        client_end.write_all(b"EHLO client.example\r\n").unwrap();
        let served = server.join().unwrap();
        let mut heard = Vec::new();
        let mut buf = [0u8; 256];
        loop {
            match client_end.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => heard.extend_from_slice(&buf[..n]),
            }
        }
        (served, String::from_utf8(heard).unwrap())
    });
    assert_eq!(served, Err(Error::Timeout));
    assert!(heard.starts_with("220 mx.example"), "{heard}");
    // RFC 5321 §4.5.3.2.7 / rule D7: 421 4.4.2 and the connection closes.
    let last = heard.trim_end().lines().last().unwrap();
    assert!(last.starts_with("421 4.4.2 "), "{heard}");
}

#[test]
fn a_silent_server_is_a_timeout_for_the_client() {
    let r = bounded(|| {
        let (mut client_end, server_end, _) = pair(4096);
        client_end.read_timeout = Some(Duration::from_millis(200));
        let config = ClientConfig::new("client.example");
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let r = SmtpClient::connect(client_end, config, &mut rx, &mut tx).map(drop);
        drop(server_end);
        r
    });
    assert_eq!(r, Err(Error::Timeout));
}

/// A body source that gives `good` and then fails.
struct Failing<'a> {
    good: &'a [u8],
}

impl embedded_smtp::io::BodySource for Failing<'_> {
    fn fill(&mut self) -> Result<&[u8], Error> {
        if self.good.is_empty() {
            Err(Error::Body)
        } else {
            Ok(self.good)
        }
    }
    fn consume(&mut self, n: usize) {
        self.good = &self.good[n.min(self.good.len())..];
    }
}

/// A body source that fails half-way: `send` reports it, the caller drops
/// the connection, and the server discards the partial message (content
/// cannot be withdrawn in band, so end of input is the only way out).
fn failing_body(chunk: usize, chunking: bool) {
    let o = scenario(
        Setup {
            chunking,
            ..Setup::new(chunk)
        },
        |end, config, _| {
            let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
            let mut client = SmtpClient::connect(end, config, &mut rx, &mut tx).unwrap();
            let rcpts = [Recipient::new("bob@mx.example").unwrap()];
            let envelope = Envelope::new("alice@client.example", &rcpts).unwrap();
            let r = client.send(
                &envelope,
                Failing {
                    good: b"Subject: half\r\n\r\nfirst line\r\n",
                },
                |_| {},
            );
            drop(client);
            r.map(drop)
        },
    );
    assert_eq!(o.client, Err(Error::Body));
    assert!(o.seen.messages.is_empty());
    if chunking {
        // The only BDAT chunk was still in the transmit buffer when the
        // source failed: the server never saw a message start.
        assert!(!o.plain.contains("BDAT"), "{}", o.plain);
        assert_eq!(o.seen.aborted, 0);
    } else {
        // After the 354 the server was in the data: end of input aborts it.
        assert!(o.plain.contains("DATA\r\n"), "{}", o.plain);
        assert_eq!(o.seen.aborted, 1);
    }
}

#[test]
fn failing_body_over_data_is_discarded() {
    failing_body(4096, false);
    failing_body(1, false);
}

#[cfg(feature = "chunking")]
#[test]
fn failing_body_over_bdat_is_discarded() {
    failing_body(4096, true);
    failing_body(1, true);
}

/// Without PIPELINING the client goes in lock-step: one command, one
/// reply, BDAT chunks included. A BDAT chunk's octets follow its command in
/// the same write (RFC 3030 §2): the server engine used to take them for a
/// command sent before the reply (554 synchronization, rule D8).
fn lock_step(chunk: usize, chunking: bool) {
    let o = three_messages(Setup {
        chunking,
        pipelining: false,
        ..Setup::new(chunk)
    });
    // The server refuses any command sent before the previous reply
    // (554 and close, rule D8): all three messages went through.
    check_three(&o);
}

#[test]
fn lock_step_data() {
    lock_step(4096, false);
    lock_step(1, false);
}

#[cfg(feature = "chunking")]
#[test]
fn lock_step_bdat() {
    lock_step(4096, true);
    lock_step(1, true);
}

/// The blocking drivers on a host: `std::net::TcpStream` over 127.0.0.1
/// through `embedded_io_adapters::std::FromStd`, with the socket's read
/// timeout standing for the engine's deadlines.
#[test]
fn over_std_tcp_loopback() {
    use embedded_io_adapters::std::FromStd;
    use std::net::{TcpListener, TcpStream};

    let o = bounded(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(300)))
                .unwrap();
            let mut store = Store::default();
            let (mut rx, mut tx) = (vec![0u8; 2048], vec![0u8; 1024]);
            serve(
                FromStd::new(stream),
                None,
                ServerConfig::new("mx.example"),
                &mut rx,
                &mut tx,
                &mut store,
            )
            .unwrap();
            store.seen
        });
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(300)))
            .unwrap();
        let mut config = ClientConfig::new("client.example");
        config.tls = TlsPolicy::Never;
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let mut client =
            SmtpClient::connect(FromStd::new(stream), config, &mut rx, &mut tx).unwrap();
        let r = send_all(
            &mut client,
            "alice@client.example",
            &["bob@mx.example", "nobody@mx.example"],
            &[BODY_1, BODY_2, BODY_3],
        );
        client.quit().unwrap();
        (r, server.join().unwrap())
    });
    let (sent, seen) = o;
    for (d, codes) in &sent {
        assert_eq!(codes, &[(0, 250), (1, 550)]);
        assert!(d.is_delivered());
    }
    assert_eq!(seen.messages, [BODY_1, BODY_2, BODY_3]);
}

/// A transport that hands out scripted reads, one element per `read`, and
/// records every `write` call apart.
struct Scripted {
    reads: std::collections::VecDeque<&'static [u8]>,
    writes: Vec<Vec<u8>>,
}

impl embedded_io::ErrorType for Scripted {
    type Error = embedded_io::ErrorKind;
}

impl Read for Scripted {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let Some(next) = self.reads.pop_front() else {
            return Ok(0);
        };
        let n = next.len().min(buf.len());
        buf[..n].copy_from_slice(&next[..n]);
        if n < next.len() {
            self.reads.push_front(&next[n..]);
        }
        Ok(n)
    }
}

impl Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.writes.push(buf.to_vec());
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// RFC 2920 §3.2: the server sends the replies to a pipelined group when
/// its input runs dry, in one write — also with the smallest transmit
/// buffer the driver documents for an idle session (1 KiB, twice the
/// engine's `MIN_ROOM`).
#[test]
fn a_pipelined_group_is_answered_in_one_write_with_a_1_kib_transmit_buffer() {
    let io = Scripted {
        reads: [
            &b"EHLO client.example\r\n"[..],
            b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n",
            b"Subject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n",
        ]
        .into(),
        writes: Vec::new(),
    };
    let (mut rx, mut tx) = (vec![0u8; 2048], vec![0u8; 1024]);
    let mut store = Store::default();
    let io = serve(
        io,
        None,
        ServerConfig::new("mx.example"),
        &mut rx,
        &mut tx,
        &mut store,
    )
    .unwrap();
    let writes: Vec<String> = io
        .writes
        .iter()
        .map(|w| String::from_utf8(w.clone()).unwrap())
        .collect();
    assert_eq!(writes.len(), 4, "{writes:#?}");
    assert!(writes[0].starts_with("220 mx.example"));
    assert!(writes[1].starts_with("250-mx.example\r\n"));
    // MAIL, RCPT, RCPT and DATA: four replies, one write.
    let codes: Vec<&str> = writes[2].lines().map(|l| &l[..3]).collect();
    assert_eq!(codes, ["250", "250", "250", "354"], "{writes:#?}");
    // The message content starts a group and QUIT ends it (§3.1): the
    // final 250 and the 221 go out together.
    let codes: Vec<&str> = writes[3].lines().map(|l| &l[..3]).collect();
    assert_eq!(codes, ["250", "221"], "{writes:#?}");
    assert_eq!(store.seen.messages.len(), 1);
}

/// The receive buffer must hold the longest command line the configuration
/// allows (`Server::input_room`): a shorter one is refused before the
/// greeting, not discovered mid-command (it used to end the session with
/// no reply at all).
#[test]
fn a_receive_buffer_below_input_room_is_refused_before_the_greeting() {
    let mut config = ServerConfig::new("mx.example");
    // RFC 6531 §3.1 item 5: +10 octets on MAIL, when this build has
    // SMTPUTF8.
    config.smtputf8 = embedded_smtp::built::SMTPUTF8;
    let room = embedded_smtp::server::Server::new(config)
        .unwrap()
        .input_room();
    let utf8 = if config.smtputf8 { 10 } else { 0 };
    assert_eq!(room, 2048 + utf8);
    let io = Scripted {
        reads: [&b"EHLO client.example\r\n"[..]].into(),
        writes: Vec::new(),
    };
    let (mut rx, mut tx) = (vec![0u8; room - 1], vec![0u8; 1024]);
    let r = serve(io, None, config, &mut rx, &mut tx, &mut Store::default());
    assert_eq!(r.err(), Some(Error::RxBufferFull));

    // With exactly `input_room`, a MAIL line at its limit is read whole and
    // answered (501: its local part is over 64 octets, §4.5.3.1.1 — not
    // 500 "line too long"), and the session goes on.
    let param = if config.smtputf8 { " SMTPUTF8" } else { "" };
    let path = format!("MAIL FROM:<{}@example.org>{param}", "a".repeat(2000));
    let pad = " ".repeat(room - 2 - path.len());
    let line: &'static [u8] = format!("{path}{pad}\r\n").leak().as_bytes();
    assert_eq!(line.len(), room);
    let io = Scripted {
        reads: [&b"EHLO client.example\r\n"[..], line, b"QUIT\r\n"].into(),
        writes: Vec::new(),
    };
    let mut rx = vec![0u8; room];
    let io = serve(io, None, config, &mut rx, &mut tx, &mut Store::default()).unwrap();
    let all: Vec<u8> = io.writes.concat();
    let all = String::from_utf8(all).unwrap();
    let last_lines: Vec<&str> = all.lines().filter(|l| &l[3..4] == " ").collect();
    let codes: Vec<&str> = last_lines.iter().map(|l| &l[..3]).collect();
    assert_eq!(codes, ["220", "250", "501", "221"], "{all}");
    assert!(!last_lines[2].contains("too long"), "{all}");
}

/// The blocking handler at the door: the address the caller passed reaches
/// `connect`, which may refuse the session (554, then only QUIT), and a
/// refused HELO/EHLO leaves the session as it was.
#[test]
fn the_blocking_handler_refuses_at_connect_and_at_helo() {
    use embedded_smtp::io::{Decision, Handler};
    use embedded_smtp::syntax::{EnhancedCode, Host, ReplyCode, Verb};
    use std::net::SocketAddr;

    #[derive(Default)]
    struct Door(Vec<Option<SocketAddr>>);
    impl Handler for Door {
        fn connect(&mut self, peer: Option<SocketAddr>) -> Decision<'_> {
            self.0.push(peer);
            match peer {
                Some(p) if p.ip().is_loopback() => Decision::Accept,
                _ => Decision::Reject,
            }
        }
        fn hello(&mut self, _: Verb, domain: &Host<'_>) -> Decision<'_> {
            if domain.to_string() == "spam.example" {
                Decision::Respond {
                    code: ReplyCode::new(554).unwrap(),
                    enhanced: EnhancedCode::new(5, 7, 1),
                    text: "go away",
                }
            } else {
                Decision::Accept
            }
        }
    }
    let session = |peer: &str, reads: Vec<&'static [u8]>| {
        let io = Scripted {
            reads: reads.into(),
            writes: Vec::new(),
        };
        let (mut rx, mut tx) = (vec![0u8; 2048], vec![0u8; 1024]);
        let mut door = Door::default();
        let config = ServerConfig::new("mx.example");
        let peer = Some(peer.parse().unwrap());
        let io = serve(io, peer, config, &mut rx, &mut tx, &mut door).unwrap();
        let text = String::from_utf8(io.writes.concat()).unwrap();
        (door.0, text)
    };

    let (peers, text) = session(
        "192.0.2.9:5000",
        vec![b"EHLO client.example\r\n", b"QUIT\r\n"],
    );
    assert_eq!(peers, [Some("192.0.2.9:5000".parse().unwrap())]);
    assert_eq!(
        text,
        "554 mx.example No SMTP service here\r\n\
         503 5.5.1 Error: no SMTP service here\r\n\
         221 2.0.0 Bye\r\n"
    );

    let (_, text) = session(
        "127.0.0.1:5000",
        vec![
            b"EHLO spam.example\r\n",
            b"MAIL FROM:<a@example.org>\r\n",
            b"HELO client.example\r\n",
            b"QUIT\r\n",
        ],
    );
    assert_eq!(
        text,
        "220 mx.example ESMTP\r\n\
         554 5.7.1 go away\r\n\
         503 5.5.1 Error: send HELO/EHLO first\r\n\
         250 mx.example\r\n\
         221 2.0.0 Bye\r\n"
    );
}

/// The blocking driver behind a PROXY-protocol proxy, unchanged: the
/// greeting waits for the header (sent here 5 bytes at a time), then the
/// session is an ordinary one.
#[cfg(feature = "proxy")]
#[test]
fn the_greeting_waits_for_the_proxy_header() {
    let (heard, hellos) = bounded(|| {
        let (mut client_end, server_end, _) = pair(5);
        let server = thread::spawn(move || {
            let mut config = ServerConfig::new("mx.example");
            config.proxy_protocol = true;
            let (mut rx, mut tx) = (vec![0u8; 2048], vec![0u8; 1024]);
            let mut store = Store::default();
            serve(server_end, None, config, &mut rx, &mut tx, &mut store).unwrap();
            store.seen.hellos.len()
        });
        let mut heard = Vec::new();
        // One reply line (each of ours is one line here).
        let mut reply = |end: &mut End| {
            let start = heard.len();
            let mut byte = [0u8; 1];
            while !(heard.len() > start && heard.ends_with(b"\r\n")) {
                match end.read(&mut byte) {
                    Ok(1) => heard.push(byte[0]),
                    _ => break,
                }
            }
        };
        client_end
            .write_all(b"PROXY TCP6 2001:db8::7 2001:db8::1 50123 25\r\n")
            .unwrap();
        reply(&mut client_end);
        client_end.write_all(b"HELO client.example\r\n").unwrap();
        reply(&mut client_end);
        client_end.write_all(b"QUIT\r\n").unwrap();
        reply(&mut client_end);
        (String::from_utf8(heard).unwrap(), server.join().unwrap())
    });
    assert_eq!(
        heard,
        "220 mx.example ESMTP\r\n250 mx.example\r\n221 2.0.0 Bye\r\n"
    );
    assert_eq!(hellos, 1);
}

/// Without the `proxy` feature the driver refuses a configuration that
/// expects a PROXY header before serving anything, naming the feature; the
/// same session without it is served.
#[cfg(not(feature = "proxy"))]
#[test]
fn without_the_proxy_feature_serve_refuses_proxy_protocol() {
    use embedded_smtp::server::ConfigError;
    let mut config = ServerConfig::new("mx.example");
    config.proxy_protocol = true;
    let io = Scripted {
        reads: [&b"PROXY TCP4 192.0.2.7 198.51.100.1 50123 25\r\n"[..]].into(),
        writes: Vec::new(),
    };
    let (mut rx, mut tx) = (vec![0u8; 2048], vec![0u8; 1024]);
    let r = serve(io, None, config, &mut rx, &mut tx, &mut Store::default());
    assert_eq!(
        r.err(),
        Some(Error::ServerConfig(ConfigError::NotBuilt("proxy")))
    );

    config.proxy_protocol = false;
    let io = Scripted {
        reads: [&b"QUIT\r\n"[..]].into(),
        writes: Vec::new(),
    };
    let io = serve(io, None, config, &mut rx, &mut tx, &mut Store::default()).unwrap();
    assert_eq!(
        String::from_utf8(io.writes.concat()).unwrap(),
        "220 mx.example ESMTP\r\n221 2.0.0 Bye\r\n"
    );
}
