//! The server side of the drivers: what the blocking and the async server
//! do between their I/O calls. It hands the engine the client's bytes, asks
//! the [`Handler`] for each decision and passes message bytes through; it
//! never parses.

use crate::sasl::Credentials;
use crate::server::{AbortReason, Event, Server};
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

/// What an application decides and receives while a server driver runs a
/// session. Every method has a default: accept the envelope and the
/// message, refuse credentials and VRFY, ignore the data.
pub trait Handler {
    /// The client said HELO, EHLO or LHLO (the engine already answered).
    fn hello(&mut self, _verb: Verb, _domain: &Host<'_>) {}
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

pub(crate) struct ServerPump<'b, 'c> {
    pub(crate) engine: Server<'c>,
    pub(crate) rx: RxBuffer<'b>,
    pub(crate) tx: TxBuffer<'b>,
    /// The engine asked for TLS; its 220 may still be in `tx`.
    tls_pending: bool,
    /// The PROXY protocol header, once the engine reported it.
    pub(crate) proxy: Option<ProxyHeader>,
}

impl<'b, 'c> ServerPump<'b, 'c> {
    pub(crate) fn new(engine: Server<'c>, rx: &'b mut [u8], tx: &'b mut [u8]) -> Self {
        ServerPump {
            engine,
            rx: RxBuffer::new(rx),
            tx: TxBuffer::new(tx),
            tls_pending: false,
            proxy: None,
        }
    }

    pub(crate) fn greet(&mut self) -> Result<(), Error> {
        // A receive buffer shorter than the longest line the configuration
        // allows would stop a session mid-command with no reply: refuse it
        // before saying anything.
        if self.rx.capacity() < self.engine.input_room() {
            return Err(Error::RxBufferFull);
        }
        let n = self.engine.greet(self.tx.free())?;
        self.tx.push(n);
        Ok(())
    }

    pub(crate) fn tls_established(&mut self) -> Result<(), Error> {
        self.tls_pending = false;
        self.engine.tls_established()?;
        Ok(())
    }

    /// The peer closed its side.
    pub(crate) fn eof<H: Handler>(&mut self, handler: &mut H) {
        if let Event::MessageAborted(reason) = self.engine.end_of_input() {
            handler.message_aborted(reason);
        }
    }

    /// A deadline passed: the engine writes `421 4.4.2` and closes.
    pub(crate) fn timeout(&mut self) -> Result<(), Error> {
        let n = self.engine.timeout(self.tx.free())?;
        self.tx.push(n);
        Ok(())
    }

    /// Runs the engine over the received bytes until I/O is needed.
    pub(crate) fn step<H: Handler>(&mut self, handler: &mut H) -> Result<Need, Error> {
        loop {
            if self.engine.is_closed() {
                return Ok(if self.tx.is_empty() {
                    Need::Done
                } else {
                    Need::Write
                });
            }
            if self.tls_pending {
                return Ok(if self.tx.is_empty() {
                    Need::StartTls
                } else {
                    Need::Write
                });
            }
            // The engine needs `output_room` free bytes to take a unit of
            // input, and counts only what it wrote in this call: replies
            // still pending from earlier calls must go out first, or a
            // transmit buffer of exactly that size is "too small".
            if !self.tx.is_empty() && self.tx.free().len() < self.engine.output_room() {
                return Ok(Need::Write);
            }
            let ServerPump {
                engine,
                rx,
                tx,
                tls_pending,
                proxy,
            } = self;
            let step = engine.feed(rx.data(), tx.free())?;
            tx.push(step.written);
            let decision = match step.event {
                Event::Hello { verb, domain } => {
                    handler.hello(verb, &domain);
                    None
                }
                Event::Mail { from, params } => Some(handler.mail(&from, &params)),
                Event::Rcpt { to, params } => Some(handler.rcpt(&to, &params)),
                Event::Verify { verb, argument } => Some(handler.verify(verb, argument)),
                Event::DataStart => {
                    handler.data_start();
                    None
                }
                Event::Data(bytes) => {
                    handler.data(bytes);
                    None
                }
                Event::MessageEnd => Some(handler.message_end()),
                Event::MessageAborted(reason) => {
                    handler.message_aborted(reason);
                    None
                }
                Event::Auth(credentials) => Some(handler.auth(&credentials)),
                Event::Proxy(header) => {
                    *proxy = Some(header);
                    None
                }
                Event::NeedInput | Event::Flush | Event::StartTls | Event::Close => None,
            };
            if let Some(decision) = decision {
                let n = match decision {
                    Decision::Accept => engine.accept(tx.free()),
                    Decision::Reject => engine.reject(tx.free()),
                    Decision::Respond {
                        code,
                        enhanced,
                        text,
                    } => engine.respond(code, enhanced, text, tx.free()),
                }?;
                tx.push(n);
            }
            let next = match step.event {
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
            rx.consume(step.consumed);
            if let Some(io) = next {
                return Ok(io);
            }
        }
    }
}
