//! The SMTP client session engine, sans-IO (RFC 5321 §3, §4; RFC 3207,
//! RFC 4954, RFC 2920, RFC 3030, RFC 2033).
//!
//! [`Client`] holds a few hundred bytes of fixed state and a
//! [`ClientConfig`]; it never does I/O, never reads a clock and never
//! allocates. The caller drives it:
//!
//! - [`Client::transmit`] writes the commands that are due into the caller's
//!   buffer (never a partial command);
//! - [`Client::feed`] takes the server's bytes, says how many it consumed and
//!   returns one [`Event`] per reply, borrowing the input; call it until it
//!   returns [`Event::NeedInput`];
//! - decisions go back as calls: [`Client::send`] an [`Envelope`],
//!   [`Client::body`] / [`Client::finish_body`] after [`Event::SendBody`],
//!   [`Client::tls_established`] after [`Event::StartTls`], [`Client::quit`];
//! - time: [`Client::deadline`] tells how long the current wait may last
//!   (RFC 5321 §4.5.3.2), [`Client::timeout`] / [`Client::eof`] end it.
//!
//! The envelope may live shorter than the client: pass the same
//! `&Envelope` to `transmit` while its commands are being written (from
//! `send` until [`Event::SendBody`] or [`Event::Failed`]); elsewhere pass
//! `None`.
//!
//! ```
//! use embedded_smtp::client::{Client, ClientConfig, Envelope, Event, Recipient, Step, TlsPolicy};
//!
//! let mut config = ClientConfig::new("c.example");
//! config.tls = TlsPolicy::Never; // a LAN relay without TLS
//! let mut client = Client::new(config).unwrap();
//! let mut out = [0u8; 512];
//!
//! // The server's side of the conversation, one reply per client turn.
//! let mut server: &[&[u8]] = &[
//!     b"220 s.example ESMTP\r\n",
//!     b"250-s.example\r\n250 PIPELINING\r\n",
//!     b"250 ok\r\n250 ok\r\n354 go\r\n",
//!     b"250 queued as 1\r\n",
//!     b"221 bye\r\n",
//! ];
//! let rcpts = [Recipient::new("b@s.example").unwrap()];
//! let env = Envelope::new("a@c.example", &rcpts).unwrap();
//! let mut wire = Vec::new();
//! let (mut sent, mut delivered) = (false, false);
//! while !client.is_closed() {
//!     let n = client.transmit(Some(&env), &mut out).unwrap();
//!     wire.extend_from_slice(&out[..n]);
//!     let Some((input, rest)) = server.split_first() else { break };
//!     server = rest;
//!     let mut input: &[u8] = input;
//!     loop {
//!         let Step { consumed: used, event } = client.feed(input).unwrap();
//!         input = &input[used..];
//!         match event {
//!             Event::NeedInput => break,
//!             Event::SendBody(_) => {
//!                 let p = client.body(b"Subject: hi\r\n\r\nhello", &mut out).unwrap();
//!                 wire.extend_from_slice(&out[..p.written]);
//!                 let f = client.finish_body(&mut out).unwrap();
//!                 wire.extend_from_slice(&out[..f.written]);
//!             }
//!             Event::Delivered { .. } => delivered = true,
//!             _ => {}
//!         }
//!     }
//!     if client.is_ready() {
//!         if !sent {
//!             client.send(&env).unwrap();
//!             sent = true;
//!         } else {
//!             client.quit().unwrap();
//!         }
//!     }
//! }
//! assert!(delivered);
//! assert_eq!(
//!     wire,
//!     b"EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@s.example>\r\nDATA\r\n\
//!       Subject: hi\r\n\r\nhello\r\n.\r\nQUIT\r\n"
//! );
//! ```

mod auth;
mod config;
mod content;
mod envelope;
mod error;
mod event;
mod hello;
mod outcome;
mod session;
mod state;
mod transaction;
mod transfer;
mod writer;

pub use crate::wire::stuff::{Finish, Progress};
pub use config::{
    AuthConfig, ChunkingPolicy, ClientConfig, ConfigError, LMTP_MAX_RECIPIENTS, Timeouts, TlsPolicy,
};
pub use envelope::{Envelope, EnvelopeError, Recipient};
pub use error::{AuthUnavailable, ClientError, ContentError, ProtocolError};
pub use event::{Event, Failure, FailureKind, Stage, Step};
pub use session::Client;
