//! The server side of the drivers: what the blocking and the async server
//! do between their I/O calls. It hands the engine the client's bytes, asks
//! the [`Handler`] for each decision and passes message bytes through; it
//! never parses.

use core::net::SocketAddr;

use crate::sasl::Credentials;
use crate::server::{AbortReason, Event, Server, ServerConfig};
use crate::syntax::{
    EnhancedCode, ForwardPath, Host, MailParameters, RcptParameters, ReplyCode, ReversePath, Verb,
};
use crate::wire::proxy::ProxyHeader;

use super::{Error, Need, RxBuffer, TxBuffer};

/// An answer to one decision of the server engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decision<'r> {
    /// The engine's default positive reply (`250 2.1.0`, `250 2.1.5`,
    /// `250 2.0.0 Ok: queued`, `235 2.7.0`, `252`, …).
    Accept,
    /// The engine's default refusal (`550`, `554`, `535 5.7.8`, …).
    Reject,
    /// A reply of your own; the engine checks that its class fits the
    /// decision, that the text has no control byte and that the reply is
    /// one line of at most 512 octets (else the session ends with
    /// [`Error::Server`](super::Error::Server)`(InvalidReply(..))`).
    Respond {
        /// The reply code.
        code: ReplyCode,
        /// The enhanced status code (sent only when ENHANCEDSTATUSCODES is
        /// advertised).
        enhanced: Option<EnhancedCode>,
        /// The text.
        text: &'r str,
    },
}

/// The transport a server driver's `serve_tls` gives back when the session
/// is over: the one it was given, or the TLS stream its `upgrade` made.
///
/// Close a TLS stream with its close_notify alert, which RFC 8446 §6.1
/// requires before the connection ends (tokio-rustls: `shutdown().await`;
/// rustls: `send_close_notify()` then flush; embedded-tls:
/// `close().await`); the driver cannot, since `embedded-io` has no call for
/// it.
///
/// ```
/// use embedded_smtp::io::Transport;
///
/// // What `serve_tls` gives back, as a name for the log.
/// fn kind<T, U>(served: &Transport<T, U>) -> &'static str {
///     match served {
///         Transport::Plain(_) => "plain",
///         Transport::Tls(_) => "TLS",
///     }
/// }
/// assert_eq!(kind(&Transport::<(), ()>::Tls(())), "TLS");
/// ```
#[derive(Debug, PartialEq, Eq)]
pub enum Transport<T, U> {
    /// The session never upgraded: the transport given to `serve_tls`.
    Plain(T),
    /// The session went on over TLS after STARTTLS: the stream `upgrade`
    /// returned.
    Tls(U),
}

/// What an application decides and receives while the blocking server
/// driver runs a session (the async driver's is
/// [`asynch::Handler`](super::asynch::Handler), the same methods `async`).
/// Every method has a default: serve every client, accept the envelope and
/// the message, refuse credentials and VRFY, ignore the data.
pub trait Handler {
    /// A client connected from `peer` (what the caller passed to the
    /// driver; `None` when it has no address): serve it (accept), or refuse
    /// it at the door. Reject greets with `554 <hostname> No SMTP service
    /// here` and answers every command but QUIT with `503 5.5.1` (RFC 5321
    /// §3.1); `Respond` with code 554 does the same with your text, with
    /// code 421 it closes after the greeting (§3.8). Any other code ends
    /// the session with [`Error::Server`](super::Error::Server).
    fn connect(&mut self, _peer: Option<SocketAddr>) -> Decision<'_> {
        Decision::Accept
    }
    /// Behind a load balancer
    /// ([`ServerConfig::proxy_protocol`](crate::server::ServerConfig::proxy_protocol)):
    /// the PROXY protocol header came before the greeting.
    /// [`ProxyHeader::source`] is the client's address (`None` for the
    /// proxy's own health checks); `connect` saw the proxy's address, so
    /// decide on the client from here on (at `hello`, say).
    fn proxied(&mut self, _header: &ProxyHeader) {}
    /// The client said HELO, EHLO or LHLO: accept (the engine writes its
    /// `250` or the EHLO reply) or refuse (`550 5.7.1 Helo command
    /// rejected`, or a 4xx/5xx of your own; the session stays as it was,
    /// so MAIL then gets `503 5.5.1`).
    fn hello(&mut self, _verb: Verb, _domain: &Host<'_>) -> Decision<'_> {
        Decision::Accept
    }
    /// `MAIL FROM`: accept or refuse the sender.
    fn mail(&mut self, _from: &ReversePath<'_>, _params: &MailParameters<'_>) -> Decision<'_> {
        Decision::Accept
    }
    /// `RCPT TO`: accept or refuse a recipient.
    fn rcpt(&mut self, _to: &ForwardPath<'_>, _params: &RcptParameters<'_>) -> Decision<'_> {
        Decision::Accept
    }
    /// `VRFY` / `EXPN` (only with `VrfyPolicy::Ask`).
    fn verify(&mut self, _verb: Verb, _argument: &str) -> Decision<'_> {
        Decision::Reject
    }
    /// A message body starts.
    fn data_start(&mut self) {}
    /// Message bytes, in order, unstuffed.
    fn data(&mut self, _bytes: &[u8]) {}
    /// The body is complete: accept (commit it) or refuse it. In LMTP mode
    /// this is asked once per accepted recipient, in RCPT order.
    fn message_end(&mut self) -> Decision<'_> {
        Decision::Accept
    }
    /// Drop what `data` gave since `data_start`: the message will not be
    /// accepted (too big, bare line ending, reset, end of input).
    fn message_aborted(&mut self, _reason: AbortReason) {}
    /// AUTH: check the credentials (decode them with
    /// [`Credentials::decode`]).
    fn auth(&mut self, _credentials: &Credentials<'_>) -> Decision<'_> {
        Decision::Reject
    }
}

/// What a driver does after feeding the engine: I/O, or hand an event to
/// its handler (and answer the engine with the decision, if one is owed).
// An event is large (MAIL's parameters); a `Turn` lives for one step of
// the driver and there is no `Box` in a `no_std` crate.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Turn<'p, 'b, 'c> {
    /// Perform this I/O.
    Io(Need),
    /// An event for the handler.
    Event(Fed<'p, 'b, 'c>),
}

/// One `feed` of the engine whose event the driver hands to its handler;
/// the engine and the transmit buffer, to answer a decision.
pub(crate) struct Fed<'p, 'b, 'c> {
    pub(crate) event: Event<'p>,
    consumed: usize,
    engine: &'p mut Server<'c>,
    tx: &'p mut TxBuffer<'b>,
    tls_pending: &'p mut bool,
}

impl Fed<'_, '_, '_> {
    /// Answers the decision the event asked for.
    pub(crate) fn answer(&mut self, decision: Decision<'_>) -> Result<(), Error> {
        let out = self.tx.free();
        let n = match decision {
            Decision::Accept => self.engine.accept(out),
            Decision::Reject => self.engine.reject(out),
            Decision::Respond {
                code,
                enhanced,
                text,
            } => self.engine.respond(code, enhanced, text, out),
        }?;
        self.tx.push(n);
        Ok(())
    }

    /// After the handler: the input used (release it with
    /// `rx.consume` only now: the event borrowed it) and the I/O owed now,
    /// if any.
    pub(crate) fn finish(self) -> Result<(usize, Option<Need>), Error> {
        let Fed {
            event,
            consumed,
            engine,
            tx,
            tls_pending,
        } = self;
        let next = match event {
            Event::NeedInput if tx.is_empty() => Some(Need::Read),
            Event::NeedInput | Event::Flush if !tx.is_empty() => Some(Need::Write),
            Event::Flush => {
                // Nothing pending and still no room: the buffer is too small.
                let needed = engine.output_room();
                return Err(Error::Server(crate::server::ServerError::BufferTooSmall {
                    needed,
                }));
            }
            Event::StartTls => {
                *tls_pending = true;
                Some(if tx.is_empty() {
                    Need::StartTls
                } else {
                    Need::Write
                })
            }
            _ => None,
        };
        Ok((consumed, next))
    }
}

pub(crate) struct ServerPump<'b, 'c> {
    pub(crate) engine: Server<'c>,
    pub(crate) rx: RxBuffer<'b>,
    pub(crate) tx: TxBuffer<'b>,
    /// The engine asked for TLS; its 220 may still be in `tx`.
    tls_pending: bool,
}

impl<'b, 'c> ServerPump<'b, 'c> {
    pub(crate) fn new(engine: Server<'c>, rx: &'b mut [u8], tx: &'b mut [u8]) -> Self {
        ServerPump {
            engine,
            rx: RxBuffer::new(rx),
            tx: TxBuffer::new(tx),
            tls_pending: false,
        }
    }

    /// Greets the client, or refuses it at the door (the handler's
    /// `connect` decision).
    pub(crate) fn greet(&mut self, decision: Decision<'_>) -> Result<(), Error> {
        // A receive buffer shorter than the longest line the configuration
        // allows would stop a session mid-command with no reply: refuse it
        // before saying anything.
        if self.rx.capacity() < self.engine.input_room() {
            return Err(Error::RxBufferFull);
        }
        let out = self.tx.free();
        let n = match decision {
            Decision::Accept => self.engine.greet(out),
            Decision::Reject => self
                .engine
                .refuse_service(ReplyCode::TRANSACTION_FAILED, "", out),
            Decision::Respond { code, text, .. } => self.engine.refuse_service(code, text, out),
        }?;
        self.tx.push(n);
        Ok(())
    }

    /// Whether nothing is held: no byte received and not yet used, no
    /// reply not yet written, no TLS upgrade due. The pump's buffers may
    /// then be given back and the engine put in a new pump later
    /// ([`ServerPump::into_engine`]).
    #[cfg(feature = "async")]
    pub(crate) fn holds_nothing(&self) -> bool {
        self.rx.data().is_empty() && self.tx.is_empty() && !self.tls_pending
    }

    /// The engine, out of its buffers (see [`ServerPump::holds_nothing`]).
    #[cfg(feature = "tokio")]
    pub(crate) fn into_engine(self) -> Server<'c> {
        self.engine
    }

    pub(crate) fn tls_established(&mut self) -> Result<(), Error> {
        self.tls_pending = false;
        self.engine.tls_established()?;
        Ok(())
    }

    /// The peer closed its side: the reason to give the handler's
    /// `message_aborted`, if a message was open.
    pub(crate) fn eof(&mut self) -> Option<AbortReason> {
        match self.engine.end_of_input() {
            Event::MessageAborted(reason) => Some(reason),
            _ => None,
        }
    }

    /// The driver's configuration: the handlers answer `hello`.
    pub(crate) fn engine(mut config: ServerConfig<'c>) -> Result<Server<'c>, Error> {
        config.hello_decision = true;
        Server::new(config).map_err(Error::ServerConfig)
    }

    /// A deadline passed: the engine writes `421 4.4.2` and closes.
    pub(crate) fn timeout(&mut self) -> Result<(), Error> {
        let n = self.engine.timeout(self.tx.free())?;
        self.tx.push(n);
        Ok(())
    }

    /// Feeds the engine what was received: the I/O needed next, or an
    /// event for the handler (then [`Fed::finish`]).
    pub(crate) fn turn(&mut self) -> Result<Turn<'_, 'b, 'c>, Error> {
        if self.engine.is_closed() {
            return Ok(Turn::Io(if self.tx.is_empty() {
                Need::Done
            } else {
                Need::Write
            }));
        }
        if self.tls_pending {
            return Ok(Turn::Io(if self.tx.is_empty() {
                Need::StartTls
            } else {
                Need::Write
            }));
        }
        // The engine needs `output_room` free bytes to take a unit of
        // input, and counts only what it wrote in this call: replies
        // still pending from earlier calls must go out first, or a
        // transmit buffer of exactly that size is "too small".
        if !self.tx.is_empty() && self.tx.free().len() < self.engine.output_room() {
            return Ok(Turn::Io(Need::Write));
        }
        let ServerPump {
            engine,
            rx,
            tx,
            tls_pending,
        } = self;
        let step = engine.feed(rx.data(), tx.free())?;
        tx.push(step.written);
        Ok(Turn::Event(Fed {
            event: step.event,
            consumed: step.consumed,
            engine,
            tx,
            tls_pending,
        }))
    }
}
