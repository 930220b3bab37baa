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
//!   returns [`Event::NeedMore`];
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
//! use embedded_smtp::client::{Client, ClientConfig, Envelope, Event, Recipient, TlsPolicy};
//!
//! let mut config = ClientConfig::new("c.example").unwrap();
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
//!         let (used, event) = client.feed(input).unwrap();
//!         input = &input[used..];
//!         match event {
//!             Event::NeedMore => break,
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

use core::time::Duration;

use crate::syntax::{Capabilities, ReplyCode};
use crate::wire::stuff::DotStuffer;

mod config;
mod envelope;
mod error;
mod event;
mod session;
mod transaction;

pub use config::{
    AuthConfig, ChunkingPolicy, ClientConfig, ConfigError, LMTP_MAX_RECIPIENTS, Timeouts, TlsPolicy,
};
pub use envelope::{Envelope, EnvelopeError, Recipient};
pub use error::{ClientError, ContentError, ProtocolError};
pub use event::{Event, Failure, FailureKind, Phase};
pub use transaction::{Finish, Progress};

use envelope::Plan;
use session::{AuthState, HelloVerb};
use transaction::{Bdat, Tx};

/// Where the session is. `sent: false` means the command is due (written
/// by the next `transmit`), `true` that its reply is awaited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum State {
    Greeting,
    Hello {
        verb: HelloVerb,
        sent: bool,
    },
    StartTls {
        sent: bool,
    },
    /// The 220 to STARTTLS arrived; waiting for `tls_established`.
    Handshake,
    Auth(AuthState),
    Ready,
    /// MAIL, RCPTs (and DATA) being written and answered; see [`Tx`].
    Tx,
    /// DATA content being streamed.
    Body,
    /// BDAT chunks being sent and answered; see [`Bdat`].
    Bdat,
    /// Final replies to the content awaited.
    Final,
    /// A lone `.` after a 354 that came with no accepted recipient (PIP-07).
    Dot {
        sent: bool,
    },
    Rset {
        sent: bool,
    },
    /// VRFY or NOOP sent.
    Other,
    Quit {
        sent: bool,
    },
    Closed,
}

/// Something decided while handling a reply, reported by the next `feed`
/// with nothing consumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Pending {
    Failed(Phase, FailureKind),
    SendBody,
    Error(ClientError),
}

/// The SMTP client engine (see the [module docs](self)).
///
/// `size_of::<Client>()` is 416 bytes on 64-bit targets (at most 512, checked by a
/// test), whatever the envelope or message size.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Client<'c> {
    config: ClientConfig<'c>,
    state: State,
    caps: Capabilities,
    /// EHLO (or LHLO) succeeded: extensions may be used.
    extended: bool,
    tls: bool,
    authenticated: bool,
    pending: Option<Pending>,
    /// While folding an EHLO reply line by line: its code and line count.
    hello_code: Option<ReplyCode>,
    hello_lines: u32,
    tx: Tx,
    bdat: Bdat,
    stuffer: DotStuffer,
    /// LMTP: which recipients were accepted (one bit each).
    accepted_bits: [u32; 8],
}

impl<'c> Client<'c> {
    /// A client at the start of a connection, waiting for the greeting
    /// (or, with [`ClientConfig::implicit_tls`], already inside TLS).
    pub fn new(config: ClientConfig<'c>) -> Result<Self, ConfigError> {
        config.check()?;
        Ok(Client {
            tls: config.implicit_tls,
            config,
            state: State::Greeting,
            caps: Capabilities::new(),
            extended: false,
            authenticated: false,
            pending: None,
            hello_code: None,
            hello_lines: 0,
            tx: Tx::default(),
            bdat: Bdat::default(),
            stuffer: DotStuffer::new(config.stuff_policy),
            accepted_bits: [0; 8],
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig<'c> {
        &self.config
    }

    /// The server's capabilities from the last EHLO/LHLO reply (empty after
    /// HELO; reset by STARTTLS, TLS-09; STARTTLS is never listed inside TLS,
    /// TLS-12).
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Whether a transaction may start ([`Client::send`]) or the session
    /// may end ([`Client::quit`]).
    pub fn is_ready(&self) -> bool {
        self.state == State::Ready && self.pending.is_none()
    }

    /// Whether the session is over; drop the connection.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Whether the transport is TLS (implicit, or after STARTTLS).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether AUTH succeeded on this connection (since the last STARTTLS).
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// Whether [`Client::transmit`] has something to write.
    pub fn wants_transmit(&self) -> bool {
        match self.state {
            State::Hello { sent, .. }
            | State::StartTls { sent }
            | State::Dot { sent }
            | State::Rset { sent }
            | State::Quit { sent } => !sent,
            State::Auth(a) => !a.sent,
            State::Tx => self.tx.can_write(),
            _ => false,
        }
    }

    /// How long the current wait for the server may last, measured from the
    /// last byte written or read (RFC 5321 §4.5.3.2; RES-09); `None` when
    /// the client is not waiting for the server. When it passes, call
    /// [`Client::timeout`].
    pub fn deadline(&self) -> Option<Duration> {
        let t = &self.config.timeouts;
        match self.state {
            State::Greeting => Some(t.greeting),
            State::Hello { sent: true, .. }
            | State::StartTls { sent: true }
            | State::Dot { sent: true }
            | State::Rset { sent: true }
            | State::Quit { sent: true }
            | State::Other => Some(t.other),
            State::Auth(a) if a.sent => Some(t.other),
            State::Tx => self.tx.deadline(t),
            State::Body => Some(t.data_block),
            State::Bdat if self.bdat.outstanding > 0 => Some(t.other),
            State::Bdat if self.bdat.last_sent => Some(t.data_final),
            State::Bdat => Some(t.data_block),
            State::Final => Some(t.data_final),
            _ => None,
        }
    }

    /// The current wait timed out: a transient failure, as if the server
    /// had said 451 (rule D12). The session is closed; if a transaction was
    /// open, its failure is returned: the message was NOT delivered (in LMTP
    /// mode: to the recipients whose final reply had not come yet).
    pub fn timeout(&mut self) -> Option<Failure<'static>> {
        self.abandon()
    }

    /// The server closed the connection (EOF). Like [`Client::timeout`]: a
    /// transaction still open failed transiently (RPL-08).
    pub fn eof(&mut self) -> Option<Failure<'static>> {
        self.abandon()
    }

    fn abandon(&mut self) -> Option<Failure<'static>> {
        let phase = match self.state {
            State::Tx => Some(self.tx.phase()),
            State::Body | State::Bdat | State::Final => Some(Phase::Content),
            _ => None,
        };
        self.close();
        phase.map(|phase| Failure {
            phase,
            kind: FailureKind::Transient,
            reply: None,
            recipient: None,
        })
    }

    /// Ends the session: QUIT is due.
    pub fn quit(&mut self) -> Result<(), ClientError> {
        match self.state {
            State::Ready if self.pending.is_none() => {
                self.state = State::Quit { sent: false };
                Ok(())
            }
            State::Closed => Err(ClientError::Closed),
            _ => Err(ClientError::State),
        }
    }

    /// Writes `VRFY arg` (RFC 5321 §4.1.1.6) into `out` now; its reply comes
    /// as [`Event::Reply`]. Only when [`Client::is_ready`].
    pub fn vrfy(&mut self, arg: &str, out: &mut [u8]) -> Result<usize, ClientError> {
        self.simple(crate::Command::Vrfy(arg), out)
    }

    /// Writes `NOOP` into `out` now; its reply comes as [`Event::Reply`].
    pub fn noop(&mut self, out: &mut [u8]) -> Result<usize, ClientError> {
        self.simple(crate::Command::Noop(None), out)
    }

    fn simple(&mut self, cmd: crate::Command<'_>, out: &mut [u8]) -> Result<usize, ClientError> {
        if !self.is_ready() {
            return Err(self.state_error());
        }
        let mut pos = 0;
        put(out, &mut pos, |w| cmd.write_to(w))?;
        self.state = State::Other;
        Ok(pos)
    }

    /// The TLS handshake that followed [`Event::StartTls`] succeeded: the
    /// session starts over with EHLO, and everything learnt before is
    /// forgotten (RFC 3207 §4.2; TLS-09). Discard any bytes read before the
    /// handshake.
    pub fn tls_established(&mut self) -> Result<(), ClientError> {
        if self.state != State::Handshake {
            return Err(self.state_error());
        }
        self.tls = true;
        self.caps = Capabilities::new();
        self.extended = false;
        self.authenticated = false;
        self.state = State::Hello {
            verb: self.hello_verb(),
            sent: false,
        };
        Ok(())
    }

    fn state_error(&self) -> ClientError {
        if self.state == State::Closed {
            ClientError::Closed
        } else {
            ClientError::State
        }
    }

    /// Never inlined: called from every path that ends the session.
    #[inline(never)]
    fn close(&mut self) {
        self.state = State::Closed;
        self.pending = None;
    }

    /// Whether commands of a transaction may be pipelined (RFC 2920).
    fn pipelining(&self) -> bool {
        self.config.pipelining && self.extended && self.caps.has(crate::Extension::Pipelining)
    }

    /// The capabilities an envelope is checked against: none after HELO.
    fn caps_for_plan(&self) -> Option<&Capabilities> {
        if self.extended {
            Some(&self.caps)
        } else {
            None
        }
    }

    fn plan(&self, envelope: &Envelope<'_>) -> Result<Plan, EnvelopeError> {
        envelope.plan(&self.config, self.caps_for_plan())
    }
}

/// Writes `f`'s element at `out[*pos..]`; `Ok(false)` when it does not fit
/// but something was already written this call.
pub(crate) fn put(
    out: &mut [u8],
    pos: &mut usize,
    f: impl FnOnce(&mut crate::syntax::Writer<'_>) -> Result<(), crate::Invalid>,
) -> Result<bool, ClientError> {
    let room = out.get_mut(*pos..).unwrap_or_default();
    match crate::syntax::write_with(room, f) {
        Ok(n) => {
            *pos += n;
            Ok(true)
        }
        Err(crate::WriteError::BufferTooSmall { needed }) => {
            if *pos == 0 {
                Err(ClientError::BufferTooSmall { needed })
            } else {
                Ok(false)
            }
        }
        Err(crate::WriteError::Invalid(i)) => Err(ClientError::Envelope(EnvelopeError::Invalid(i))),
    }
}
