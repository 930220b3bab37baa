//! Peak RAM does not depend on the message: a 10 MB attachment, made by a
//! generator as the writer asks for it (as a flash driver or a camera
//! would hand it over), goes out through the blocking client's 1 KiB
//! receive and transmit buffers and a 256-byte message buffer, under DATA
//! and under BDAT, to the crate's own server over 127.0.0.1. The client's
//! thread makes no heap allocation from the first byte of the message to
//! the server's final reply, and the server receives a message that
//! `mail-parser` decodes into the same 10 MB. And 8bit text only when the
//! server offers 8BITMIME, with `BODY=8BITMIME` declared; a source that
//! fails half-way never gets a truncated message delivered.

use std::net::{TcpListener, TcpStream};
use std::thread;

use embedded_io_adapters::std::FromStd;
use embedded_smtp::client::{ClientConfig, Envelope, Recipient, TlsPolicy};
use embedded_smtp::io::MessageBody;
use embedded_smtp::io::blocking::{SmtpClient, serve};
use embedded_smtp::message::{
    Address, Attachment, Date, FromFn, Message, MessageId, MessageWriter, SourceError,
};
use embedded_smtp::server::{Server, ServerConfig};
use mail_parser::{MessageParser, MimeHeaders};

use crate::support::alloc_count::allocations;
use crate::support::handler::Store;
use crate::support::io_blocking::bounded;

const SIZE: usize = 10 * 1024 * 1024;

/// The n-th byte of the attachment (xorshift of the position).
fn byte(n: usize) -> u8 {
    let mut x = n as u64 ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    (x >> 24) as u8
}

fn send_big(chunking: bool) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut config = ServerConfig::new("mx.example");
        config.chunking = chunking;
        config.max_message_size = 32 << 20;
        let room = Server::new(config).unwrap().input_room();
        let (mut rx, mut tx) = (vec![0u8; room], vec![0u8; 1024]);
        let mut store = Store::default();
        serve(
            FromStd::new(stream),
            None,
            config,
            &mut rx,
            &mut tx,
            &mut store,
        )
        .unwrap();
        store.seen.messages
    });

    let stream = TcpStream::connect(addr).unwrap();
    let mut config = ClientConfig::new("client.example");
    config.tls = TlsPolicy::Never;
    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
    let mut client = SmtpClient::connect(FromStd::new(stream), config, &mut rx, &mut tx).unwrap();
    let rcpts = [Recipient::new("bob@mx.example").unwrap()];
    let envelope = Envelope::new("camera@client.example", &rcpts).unwrap();

    let mut at = 0usize;
    let mut snapshot = FromFn(|buf: &mut [u8]| -> Result<usize, SourceError> {
        let n = buf.len().min(SIZE - at);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = byte(at + i);
        }
        at += n;
        Ok(n)
    });
    let mut files = [Attachment::new(
        "snapshot.raw",
        "application/octet-stream",
        &mut snapshot,
    )];
    let to = [Address::new("bob@mx.example")];
    let message = Message::new(
        Address::new("camera@client.example"),
        Date::new(1_796_368_884, 0).unwrap(),
        MessageId::new([9; 16], "client.example"),
    )
    .to(&to)
    .subject("snapshot")
    .text("The snapshot is attached.\n")
    .attachments(&mut files);
    let writer = MessageWriter::new(message).unwrap();
    let mut buf = [0u8; 256];

    let before = allocations();
    let delivery = client
        .send(&envelope, MessageBody::new(writer, &mut buf), |_| {})
        .unwrap();
    let allocated = allocations() - before;
    assert!(delivery.is_delivered(), "{delivery:?}");
    assert_eq!(allocated, 0, "the client's thread allocated while sending");
    client.quit().unwrap();

    let messages = server.join().unwrap();
    assert_eq!(messages.len(), 1);
    let raw = &messages[0];
    assert!(raw.len() > SIZE * 4 / 3, "{} bytes arrived", raw.len());
    let m = MessageParser::default().parse(raw.as_slice()).unwrap();
    assert_eq!(m.subject(), Some("snapshot"));
    let a = m.attachment(0).expect("the attachment");
    assert_eq!(a.attachment_name(), Some("snapshot.raw"));
    let got = a.contents();
    assert_eq!(got.len(), SIZE);
    let first = got.iter().enumerate().position(|(i, &b)| b != byte(i));
    assert_eq!(first, None, "the attachment differs");
}

#[test]
fn ten_megabytes_through_1k_buffers_over_data() {
    bounded(|| send_big(false));
}

#[cfg(feature = "chunking")]
#[test]
fn ten_megabytes_through_1k_buffers_over_bdat() {
    bounded(|| send_big(true));
}

/// 8bit only when the server offers 8BITMIME: the caller asks the engine
/// for the capability, lets the writer use 8bit, and declares
/// `BODY=8BITMIME` when the writer says it needs it. Against a server
/// without 8BITMIME the same text goes quoted-printable; and an 8bit body
/// without the declaration never leaves the client.
fn send_text(offer_8bit: bool) -> (Vec<u8>, bool) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut config = ServerConfig::new("mx.example");
        config.eight_bit_mime = offer_8bit;
        let room = Server::new(config).unwrap().input_room();
        let (mut rx, mut tx) = (vec![0u8; room], vec![0u8; 1024]);
        let mut store = Store::default();
        serve(
            FromStd::new(stream),
            None,
            config,
            &mut rx,
            &mut tx,
            &mut store,
        )
        .unwrap();
        store.seen.messages
    });
    let stream = TcpStream::connect(addr).unwrap();
    let mut config = ClientConfig::new("client.example");
    config.tls = TlsPolicy::Never;
    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
    let mut client = SmtpClient::connect(FromStd::new(stream), config, &mut rx, &mut tx).unwrap();
    let offered = client
        .engine()
        .capabilities()
        .has(embedded_smtp::syntax::Extension::EightBitMime);
    let to = [Address::new("bob@mx.example")];
    let message = Message::new(
        Address::new("a@client.example"),
        Date::new(1_796_368_884, 0).unwrap(),
        MessageId::new([3; 16], "client.example"),
    )
    .to(&to)
    .text("Température : 41 °C\n")
    .allow_8bit(offered);
    let writer = MessageWriter::new(message).unwrap();
    let eight_bit = writer.needs_8bitmime();
    let rcpts = [Recipient::new("bob@mx.example").unwrap()];
    let mut envelope = Envelope::new("a@client.example", &rcpts).unwrap();
    if eight_bit {
        envelope = envelope.body(embedded_smtp::syntax::params::Body::EightBitMime);
    }
    let mut buf = [0u8; 64];
    let d = client
        .send(&envelope, MessageBody::new(writer, &mut buf), |_| {})
        .unwrap();
    assert!(d.is_delivered(), "{d:?}");
    client.quit().unwrap();
    let messages = server.join().unwrap();
    (messages[0].clone(), eight_bit)
}

#[test]
fn eight_bit_only_when_the_server_offers_8bitmime() {
    let (raw, eight_bit) = send_text(true);
    assert!(eight_bit);
    let text = String::from_utf8(raw).unwrap();
    assert!(text.contains("Content-Transfer-Encoding: 8bit\r\n\r\nTempérature : 41 °C\r\n"));
    let (raw, eight_bit) = send_text(false);
    assert!(!eight_bit);
    assert!(raw.is_ascii());
    let m = MessageParser::default().parse(raw.as_slice()).unwrap();
    assert_eq!(m.body_text(0).as_deref(), Some("Température : 41 °C\r\n"));
}

#[test]
fn the_writer_is_small_and_of_fixed_size() {
    // Its size is a property of the type: nothing in it grows with the
    // message (one 57-octet base64 line of input is all it keeps, beside
    // the borrowed views of the `Message`). 304 bytes on x86-64.
    let size = std::mem::size_of::<MessageWriter<'static, 'static>>();
    assert!(size <= 320, "MessageWriter is {size} bytes");
}

/// An attachment's source that fails half-way: `send` stops with
/// `Error::Body`, and whatever the caller does next (QUIT, or dropping the
/// connection), the server never stores a truncated message — under DATA
/// (no end mark was sent) or BDAT (no `LAST` chunk).
fn failing_source(chunking: bool) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut config = ServerConfig::new("mx.example");
        config.chunking = chunking;
        let room = Server::new(config).unwrap().input_room();
        let (mut rx, mut tx) = (vec![0u8; room], vec![0u8; 1024]);
        let mut store = Store::default();
        let _ = serve(
            FromStd::new(stream),
            None,
            config,
            &mut rx,
            &mut tx,
            &mut store,
        );
        store.seen.messages
    });
    let stream = TcpStream::connect(addr).unwrap();
    let mut config = ClientConfig::new("client.example");
    config.tls = TlsPolicy::Never;
    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
    let mut client = SmtpClient::connect(FromStd::new(stream), config, &mut rx, &mut tx).unwrap();
    let rcpts = [Recipient::new("bob@mx.example").unwrap()];
    let envelope = Envelope::new("camera@client.example", &rcpts).unwrap();
    let mut given = 0usize;
    let mut flaky = FromFn(|buf: &mut [u8]| -> Result<usize, SourceError> {
        if given >= 20_000 {
            return Err(SourceError);
        }
        let n = buf.len().min(20_000 - given);
        buf[..n].fill(b'x');
        given += n;
        Ok(n)
    });
    let mut files = [Attachment::new(
        "a.bin",
        "application/octet-stream",
        &mut flaky,
    )];
    let to = [Address::new("bob@mx.example")];
    let message = Message::new(
        Address::new("camera@client.example"),
        Date::new(1_796_368_884, 0).unwrap(),
        MessageId::new([5; 16], "client.example"),
    )
    .to(&to)
    .attachments(&mut files);
    let writer = MessageWriter::new(message).unwrap();
    let mut buf = [0u8; 256];
    let r = client.send(&envelope, MessageBody::new(writer, &mut buf), |_| {});
    assert_eq!(r.err(), Some(embedded_smtp::io::Error::Body));
    // Whatever QUIT does now, it cannot complete the message.
    let _ = client.quit();
    assert_eq!(server.join().unwrap(), Vec::<Vec<u8>>::new());
}

#[test]
fn a_failing_source_never_delivers_a_truncated_message_over_data() {
    bounded(|| failing_source(false));
}

#[cfg(feature = "chunking")]
#[test]
fn a_failing_source_never_delivers_a_truncated_message_over_bdat() {
    bounded(|| failing_source(true));
}
