//! The sans-IO SMTP (and LMTP) server session engine (RFC 5321, with
//! PIPELINING, SIZE, 8BITMIME, SMTPUTF8, CHUNKING/BINARYMIME, DSN,
//! ENHANCEDSTATUSCODES, STARTTLS, AUTH, REQUIRETLS, LIMITS; RFC 2033 LMTP).
//!
//! The engine never touches I/O or a clock. The caller:
//!
//! 1. creates a [`Server`] from a [`ServerConfig`] and sends what
//!    [`Server::greet`] writes (nothing behind a load balancer, with
//!    [`ServerConfig::proxy_protocol`]: `feed` writes the greeting once the
//!    PROXY header is in, and reports it as [`Event::Proxy`]);
//! 2. hands every received byte to [`Server::feed`] with an output buffer;
//!    the [`Step`] says how many input bytes were consumed (keep the rest
//!    for the next call), how many reply bytes were written, and one [`Event`];
//! 3. sends the output at [`Event::NeedInput`], [`Event::Flush`],
//!    [`Event::StartTls`] and [`Event::Close`] (earlier is fine);
//! 4. answers each DECISION event ([`Event::Mail`], [`Event::Rcpt`],
//!    [`Event::Verify`], [`Event::MessageEnd`], [`Event::Auth`]) with
//!    [`Server::accept`], [`Server::reject`] or [`Server::respond`], which
//!    write the reply;
//! 5. stores [`Event::Data`] slices between [`Event::DataStart`] and
//!    [`Event::MessageEnd`], and drops them on [`Event::MessageAborted`];
//! 6. watches [`Server::deadline`] and calls [`Server::timeout`] when it
//!    passes, and calls [`Server::end_of_input`] when the peer closes.
//!
//! Rules from the rule book (`docs/rules.md`) that the engine enforces: CRLF
//! is the only line end and `\r\n.\r\n` the only end of data (D1, D2; SMTP
//! smuggling); over-long lines fail closed (D3); STARTTLS is a hard boundary
//! (D6); an explicit state machine where an error never changes the state
//! (D7); strict PIPELINING synchronization (D8); BDAT chunks always consumed
//! (D9); limits never below the RFC floors and abuse budgets (D11, D13);
//! extensions gated on what was advertised (D14); other protocols are shut
//! out (D15).
//!
//! `size_of::<Server>()` is 232 bytes on 64-bit targets (checked by a test).
//!
//! ```
//! use embedded_smtp::server::{ServerConfig, Event, Server};
//!
//! let mut server = Server::new(ServerConfig::new("mx.example")).unwrap();
//! let mut out = [0u8; 2048];
//! let mut sent = Vec::new(); // what would go to the socket
//! let n = server.greet(&mut out).unwrap();
//! sent.extend_from_slice(&out[..n]);
//!
//! // What the client sent, in the order it waited for each reply.
//! let segments: [&[u8]; 4] = [
//!     b"EHLO client.example\r\n",
//!     b"MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n",
//!     b"Subject: hi\r\n\r\n..dot\r\n.\r\n",
//!     b"QUIT\r\n",
//! ];
//! let mut message = Vec::new();
//! let mut rx: Vec<u8> = Vec::new();
//! 'session: for segment in segments {
//!     rx.extend_from_slice(segment);
//!     loop {
//!         let step = server.feed(&rx, &mut out).unwrap();
//!         sent.extend_from_slice(&out[..step.written]);
//!         // Decisions are answered before the input is released.
//!         let written = match step.event {
//!             Event::Mail { .. } | Event::Rcpt { .. } | Event::MessageEnd => {
//!                 server.accept(&mut out).unwrap()
//!             }
//!             Event::Data(bytes) => {
//!                 message.extend_from_slice(bytes);
//!                 0
//!             }
//!             _ => 0,
//!         };
//!         sent.extend_from_slice(&out[..written]);
//!         let event_is_close = step.event == Event::Close;
//!         let need_input = step.event == Event::NeedInput;
//!         rx.drain(..step.consumed);
//!         if event_is_close {
//!             break 'session;
//!         }
//!         if need_input {
//!             break;
//!         }
//!     }
//! }
//! assert_eq!(message, b"Subject: hi\r\n\r\n.dot\r\n");
//! let text = String::from_utf8(sent).unwrap();
//! let codes: Vec<&str> = text.lines().map(|l| &l[..4]).collect();
//! assert_eq!(codes.first(), Some(&"220 "));
//! assert!(text.contains("250 2.0.0 Ok: queued\r\n221 2.0.0 Bye\r\n"));
//! assert!(server.is_closed());
//! ```

mod auth;
mod chunk;
mod command;
mod config;
mod data;
mod decision;
mod error;
mod event;
mod greeting;
mod outcome;
mod replies;
mod say;
mod session;
mod state;
mod view;

pub use config::{
    BareLfPolicy, BareLfReply, ConfigError, Limits, PipeliningPolicy, ServerConfig, Service,
    Timeouts, VrfyPolicy,
};
pub use error::ServerError;
pub use event::{AbortReason, DecisionKind, Event, Phase, Step};
pub use session::Server;
