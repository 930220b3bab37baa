//! How a TLS session with the `sink` example ends (issue 17): the sink
//! sends its TLS close_notify alert after the `221` (RFC 8446 §6.1: each
//! party MUST send one before closing its write side), so a TLS client
//! sees a clean end of the stream, not an "unexpected EOF"; a client that
//! goes away without its own close_notify is logged as such, and a failed
//! handshake with rustls's reason.
//!
//! The peers: OpenSSL's `s_client -starttls smtp` (it reports an end
//! without close_notify as `unexpected eof while reading` and exits 1), and
//! a rustls client (rustls reads a close_notify as the end of the stream,
//! `Ok(0)`, and an end without it as `UnexpectedEof`). Exim's view (no
//! "non-properly terminated" after a TLS delivery) is checked in
//! tests/interop/exim/from_exim.rs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::support::peers::{self, OPENSSL};
use crate::support::{LIMIT, Proc, TempDir, run_input, stop};

/// A sink offering STARTTLS with a fresh certificate: the sink, its
/// address, the certificate's path.
fn tls_sink(dir: &TempDir) -> (Proc, String, String) {
    let (cert, key) = crate::support::certificate();
    let cert = dir.file("cert.pem", cert.as_bytes());
    let key = dir.file("key.pem", key.as_bytes());
    let (sink, addr) = Proc::example_server(
        "sink",
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ],
    );
    (sink, addr, cert)
}

#[test]
fn openssl_s_client_to_sink_gets_close_notify_after_221() {
    const TEST: &str = "openssl_s_client_to_sink_gets_close_notify_after_221";
    if !peers::programs(TEST, &[OPENSSL]) {
        return;
    }
    let dir = TempDir::new("interop-openssl-sink");
    let (sink, addr, cert) = tls_sink(&dir);
    // s_client says EHLO and STARTTLS itself, then sends stdin (`-crlf`:
    // LF becomes CRLF) and, with `-ign_eof`, reads until the server ends
    // the connection: exit 0 after a close_notify, 1 and "unexpected eof
    // while reading" without one.
    let (code, out, err) = run_input(
        OPENSSL,
        &[
            "s_client",
            "-starttls",
            "smtp",
            "-connect",
            &addr,
            "-CAfile",
            &cert,
            "-verify_return_error",
            "-crlf",
            "-ign_eof",
        ],
        b"QUIT\n",
    );
    assert!(out.contains("\n221 "), "{out}\n{err}");
    assert!(!err.contains("unexpected eof"), "{err}");
    assert_eq!(code, 0, "{out}\n{err}");
    let log = stop(sink);
    assert_eq!(
        log.matches("tls=yes auth=- messages=0 bytes=0 ok").count(),
        1,
        "{log}"
    );
}

/// Reads one (possibly multi-line) reply; returns its last line.
fn reply(r: &mut impl BufRead) -> String {
    loop {
        let mut line = String::new();
        assert!(r.read_line(&mut line).expect("read a reply") > 0, "EOF");
        if line.as_bytes().get(3) != Some(&b'-') {
            return line;
        }
    }
}

/// A rustls client: EHLO, STARTTLS, the handshake (the sink's certificate
/// trusted), EHLO again. Returns the TLS stream.
fn starttls(addr: &str, cert: &str) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let tcp = TcpStream::connect(addr).expect("connect to the sink");
    tcp.set_read_timeout(Some(LIMIT)).expect("read timeout");
    let mut plain = BufReader::new(tcp.try_clone().expect("clone"));
    let mut tcp = tcp;
    assert!(reply(&mut plain).starts_with("220 "));
    tcp.write_all(b"EHLO client.example\r\n").expect("write");
    assert!(reply(&mut plain).starts_with("250 "));
    tcp.write_all(b"STARTTLS\r\n").expect("write");
    assert!(reply(&mut plain).starts_with("220 "));
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(cert).expect("the certificate"))
        .expect("a root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").expect("a name");
    let conn = rustls::ClientConnection::new(Arc::new(config), name).expect("a connection");
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"EHLO client.example\r\n").expect("write");
    let mut r = BufReader::new(&mut tls);
    assert!(reply(&mut r).starts_with("250 "));
    assert!(r.buffer().is_empty());
    tls
}

#[test]
fn rustls_client_sees_close_notify_and_a_vanished_client_is_logged() {
    let dir = TempDir::new("rustls-sink");
    let (sink, addr, cert) = tls_sink(&dir);

    // QUIT: the 221, then the sink's close_notify: rustls reads the end of
    // the stream (0), not an UnexpectedEof error.
    let mut tls = starttls(&addr, &cert);
    tls.write_all(b"QUIT\r\n").expect("write");
    let mut r = BufReader::new(&mut tls);
    assert!(reply(&mut r).starts_with("221 "));
    let mut rest = Vec::new();
    let end = r.read_to_end(&mut rest).map_err(|e| e.kind());
    assert_eq!(end, Ok(0), "{rest:?}");

    // A client that goes away mid-session without its close_notify (the
    // TCP connection simply closes).
    let tls = starttls(&addr, &cert);
    drop(tls);

    // A client that answers the 220 to STARTTLS with plain text: the
    // handshake fails, and the log says rustls's reason.
    let mut tcp = TcpStream::connect(&addr).expect("connect to the sink");
    tcp.set_read_timeout(Some(LIMIT)).expect("read timeout");
    let mut plain = BufReader::new(tcp.try_clone().expect("clone"));
    assert!(reply(&mut plain).starts_with("220 "));
    tcp.write_all(b"EHLO client.example\r\n").expect("write");
    assert!(reply(&mut plain).starts_with("250 "));
    tcp.write_all(b"STARTTLS\r\n").expect("write");
    assert!(reply(&mut plain).starts_with("220 "));
    tcp.write_all(b"EHLO client.example\r\n").expect("write");
    let mut rest = Vec::new();
    let _ = plain.read_to_end(&mut rest);

    let log = stop(sink);
    assert_eq!(
        log.matches("tls=yes auth=- messages=0 bytes=0 ok").count(),
        1,
        "{log}"
    );
    assert_eq!(
        log.matches(
            "tls=yes auth=- messages=0 bytes=0 error: the client closed the connection without a TLS close_notify"
        )
        .count(),
        1,
        "{log}"
    );
    assert_eq!(
        log.matches("tls=no auth=- messages=0 bytes=0 error: TLS handshake: ")
            .count(),
        1,
        "{log}"
    );
}
