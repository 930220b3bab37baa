//! The tokio harness of the async driver tests (`io::tokio`,
//! `io::tokio_transport`): a `Timer` over `tokio::time::timeout`, a
//! self-signed certificate with rustls (ring provider) on both sides, and helpers that send and check one message.
#![allow(dead_code)]

use core::future::Future;
use std::sync::Arc;
use std::time::Duration;

use embedded_smtp::client::{
    AuthConfig, ClientConfig, Envelope, Event as ClientEvent, Recipient, TlsPolicy,
};
use embedded_smtp::io::Delivery;
use embedded_smtp::io::asynch::{SmtpClient, Timer};

pub use super::handler::Store;
use embedded_smtp::server::ServerConfig;
use embedded_smtp::syntax::{AuthMechanism, AuthMechanisms};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer, ServerName};
use tokio_rustls::rustls::{self, RootCertStore, crypto::ring};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// A [`Timer`] over `tokio::time::timeout`.
pub struct TokioTimer;

impl Timer for TokioTimer {
    async fn timeout<F: Future>(&mut self, after: Duration, future: F) -> Option<F::Output> {
        tokio::time::timeout(after, future).await.ok()
    }
}

/// A self-signed certificate for `mx.example`: the server's acceptor and a
/// connector that trusts exactly that certificate.
pub fn tls_pair() -> (TlsAcceptor, TlsConnector) {
    tls_pair_with_tickets(2)
}

/// The same, with `tickets` TLS 1.3 session tickets sent by the server
/// after the handshake (rustls sends 2 by default).
pub fn tls_pair_with_tickets(tickets: usize) -> (TlsAcceptor, TlsConnector) {
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
pub fn untrusting_connector() -> TlsConnector {
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth();
    TlsConnector::from(Arc::new(client))
}

pub fn server_name() -> ServerName<'static> {
    ServerName::try_from("mx.example").unwrap()
}

/// A body of about 200 KiB with dot lines, bare-dot lines and 8-bit text,
/// far larger than every buffer on the way.
pub fn big_body() -> Vec<u8> {
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
pub async fn send_one<T, M>(
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
        .body(embedded_smtp::syntax::Body::EightBitMime);
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

pub fn check_delivery((d, codes): &(Delivery, Vec<(usize, u16)>)) {
    assert_eq!(codes, &[(0, 250), (1, 550)]);
    assert_eq!((d.accepted, d.rejected, d.delivered), (1, 1, 1));
    assert_eq!(d.final_code.map(|c| c.get()), Some(250));
    assert!(d.is_delivered());
}

/// A server receive buffer of the size the engine needs for `config`
/// (`Server::input_room`; with AUTH, lines of 12288 octets, RFC 4954 §4).
pub fn server_rx(config: ServerConfig<'_>) -> Vec<u8> {
    let room = embedded_smtp::server::Server::new(config)
        .unwrap()
        .input_room();
    vec![0u8; room]
}

pub fn tls_server_config() -> ServerConfig<'static> {
    let mut config = ServerConfig::new("mx.example");
    config.tls_available = true;
    config.tls_required = true;
    config.auth = AuthMechanisms::empty().with(AuthMechanism::Plain);
    config
}

pub fn client_config(auth: Option<AuthConfig<'static>>) -> ClientConfig<'static> {
    let mut config = ClientConfig::new("client.example");
    config.tls = TlsPolicy::Required;
    config.auth = auth;
    config
}

/// Bounds a whole scenario: a driver waiting forever fails the test.
pub async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("scenario still running after 30 s")
}
