//! The SMTP side: one alert over one connection to the relay's submission
//! port, upgraded to TLS by STARTTLS (RFC 3207) before any credential or
//! message goes out.
//!
//! Today this file talks SMTP by hand with the engine's syntax layer
//! (`Command::write`, `Reply::parse`, `Capabilities::parse`) over
//! `embedded-io-async` 0.7. Each exchange the client driver will take over
//! is marked `// SMTP:` with the driver call that replaces it; the driver's
//! API will be roughly
//!
//! ```text
//! let client = Client::connect(socket, smtp_config, rx_buf, tx_buf).await?;
//! let client = client.starttls(|t| async { /* TlsConnection::new + open */ }).await?;
//! client.send(&envelope, body).await?;
//! client.quit().await?;
//! ```

use defmt::{Format, info, warn};
use embassy_net::tcp::TcpSocket;
use embedded_io_async::{Error as _, ErrorKind, Read, Write};
use embedded_smtp::syntax::ehlo::{Capabilities, Extension};
use embedded_smtp::{
    AddressError, Command, ForwardPath, Host, MailParameters, Mailbox, RcptParameters, Reply,
    ReplyCode, ReplyError, ReplyLimits, ReversePath, Status, WriteError,
};
#[cfg(not(feature = "verify"))]
use embedded_tls::UnsecureProvider;
#[cfg(feature = "verify")]
use embedded_tls::pki::CertVerifier;
use embedded_tls::{Aes128GcmSha256, TlsConfig, TlsConnection, TlsContext, TlsError};
#[cfg(feature = "verify")]
use embedded_tls::{Certificate, CryptoProvider, NoClock, TlsVerifier};
use rand_core::{CryptoRng, RngCore};
use static_cell::ConstStaticCell;

use crate::config;

/// Bytes for the replies being read. A reply line is at most 512 octets
/// (RFC 5321 §4.5.3.1.5); an EHLO reply of a dozen extensions is about
/// 300. One KiB holds any reply a relay sends to a client like this one.
pub const REPLY_BUF: usize = 1024;
/// Bytes for the command being written: a command line is at most 512
/// octets (RFC 5321 §4.5.3.1.4), `AUTH PLAIN` with its base64 included.
pub const COMMAND_BUF: usize = 512;
/// The TLS read record buffer must hold the largest record a server may
/// send: 2^14 bytes of plaintext plus 256 of expansion (RFC 8446 §5.2).
/// The `max_fragment_length` extension could shrink it, but relays do not
/// have to honour it, so the firmware does not count on it.
pub const TLS_READ_RECORD: usize = 16_640;
/// The TLS write record buffer bounds the records we send (each costs 21
/// bytes of overhead with AES-128-GCM). 4 KiB records keep the overhead
/// under 1 % while the body streams; the handshake is encoded in the
/// larger (read) buffer.
pub const TLS_WRITE_RECORD: usize = 4096;

/// How long a reply is allowed to be, tighter than the engine's defaults
/// (which are sized for servers) to fit [`REPLY_BUF`].
const LIMITS: ReplyLimits = ReplyLimits {
    max_line: 512,
    max_lines: 32,
    max_total: REPLY_BUF,
};

/// The SMTP engine's buffers: what the session costs in RAM, besides the
/// futures' state (see the README's footprint table).
pub struct SmtpState {
    reply: [u8; REPLY_BUF],
    command: [u8; COMMAND_BUF],
}

/// The TLS record buffers, only used once STARTTLS has been accepted.
pub struct TlsRecords {
    read: [u8; TLS_READ_RECORD],
    write: [u8; TLS_WRITE_RECORD],
}

/// Zero-initialised statics, so they land in `.bss` and are never built on
/// the stack and copied.
static SMTP_STATE: ConstStaticCell<SmtpState> = ConstStaticCell::new(SmtpState {
    reply: [0; REPLY_BUF],
    command: [0; COMMAND_BUF],
});
static TLS_RECORDS: ConstStaticCell<TlsRecords> = ConstStaticCell::new(TlsRecords {
    read: [0; TLS_READ_RECORD],
    write: [0; TLS_WRITE_RECORD],
});

/// Every buffer [`send_alert`] needs, borrowed for the program's life.
pub struct Buffers {
    smtp: &'static mut SmtpState,
    tls: &'static mut TlsRecords,
}

impl Buffers {
    /// Takes the statics. Call once.
    pub fn take() -> Buffers {
        Buffers {
            smtp: SMTP_STATE.take(),
            tls: TLS_RECORDS.take(),
        }
    }
}

/// Why an alert was not delivered.
#[derive(Clone, Copy, Debug, Format)]
pub enum MailError {
    /// A configured address is not a valid mailbox.
    Address(AddressError),
    /// More recipients are configured than the envelope holds.
    TooManyRecipients,
    /// A command could not be written (invalid value or no room).
    Write(WriteError),
    /// The transport failed (TCP or TLS record layer).
    Io(ErrorKind),
    /// The relay closed the connection.
    Closed,
    /// The relay's reply broke the grammar or the limits.
    Reply(ReplyError),
    /// The relay answered with a code other than the one expected.
    Refused(u16),
    /// The relay does not offer STARTTLS: nothing is sent in clear.
    NoStartTls,
    /// Bytes followed the 220 to STARTTLS before the handshake (RFC 3207
    /// §5: they could be injected, so the session stops).
    PipelinedBeforeTls,
    /// Feature `verify` without a CA in `config::RELAY_CA_DER`.
    #[cfg(feature = "verify")]
    NoCa,
    /// The TLS handshake failed (with `verify`: also a certificate that does
    /// not chain to the CA or does not name the relay).
    Tls(TlsError),
}

/// The validated envelope, checked before the connection is used.
struct Envelope<'a> {
    from: Mailbox<'a>,
    to: heapless::Vec<Mailbox<'a>, 4>,
}

impl<'a> Envelope<'a> {
    /// Parses the configured addresses (ASCII only: the relay is not
    /// assumed to offer SMTPUTF8).
    fn from_config() -> Result<Envelope<'static>, MailError> {
        let from = Mailbox::parse(config::MAIL_FROM, false).map_err(MailError::Address)?;
        let mut to = heapless::Vec::new();
        for rcpt in config::RCPT_TO {
            let mailbox = Mailbox::parse(rcpt, false).map_err(MailError::Address)?;
            to.push(mailbox).map_err(|_| MailError::TooManyRecipients)?;
        }
        Ok(Envelope { from, to })
    }

    /// Checks that every command of the envelope fits [`COMMAND_BUF`], so
    /// that nothing fails half-way through the transaction.
    fn check(&self, scratch: &mut [u8]) -> Result<(), MailError> {
        let mail = Command::Mail {
            from: ReversePath::Mailbox(self.from),
            params: MailParameters::default(),
        };
        mail.write(scratch).map_err(MailError::Write)?;
        for to in &self.to {
            let rcpt = Command::Rcpt {
                to: ForwardPath::Mailbox(*to),
                params: RcptParameters::default(),
            };
            rcpt.write(scratch).map_err(MailError::Write)?;
        }
        Ok(())
    }
}

/// Sends one alert through `socket`, already connected to the relay.
///
/// Greeting, EHLO, STARTTLS, TLS handshake, EHLO again; then (once the
/// driver exists) AUTH, the transaction and QUIT.
pub async fn send_alert<R>(
    mut socket: TcpSocket<'_>,
    buffers: &mut Buffers,
    rng: &mut R,
    text: &str,
) -> Result<(), MailError>
where
    R: RngCore + CryptoRng,
{
    let Buffers { smtp, tls } = buffers;
    let SmtpState { reply, command } = &mut **smtp;
    let envelope = Envelope::from_config()?;
    envelope.check(command)?;
    let helo = Host::parse(config::EHLO_NAME, false).map_err(MailError::Address)?;

    // SMTP: `Client::connect(socket, smtp_config, reply, command).await?`
    // reads the greeting and sends EHLO; it replaces everything from here
    // to the STARTTLS below.
    let mut replies = Replies::new(reply);
    let code = replies.next(&mut socket).await?.code();
    expect(code, 220)?;
    send(&mut socket, &Command::Ehlo(helo), command).await?;
    let caps = replies.next(&mut socket).await.and_then(|r| {
        expect(r.code(), 250)?;
        Ok(Capabilities::parse(&r))
    })?;
    if !caps.has(Extension::StartTls) {
        return Err(MailError::NoStartTls);
    }

    // SMTP: `client.starttls(|socket| async { ...the wrap below... }).await?`
    send(&mut socket, &Command::StartTls, command).await?;
    let code = replies.next(&mut socket).await?.code();
    expect(code, 220)?;
    if replies.pending() {
        return Err(MailError::PipelinedBeforeTls);
    }

    // The wrap: `TlsConnection` implements embedded-io-async 0.7's
    // `Read`/`Write` over any transport that does, which is what the
    // driver's `starttls` closure must return.
    let TlsRecords { read, write } = &mut **tls;
    let tls_config = TlsConfig::new().with_server_name(config::RELAY_HOST);
    let mut tls: TlsConnection<'_, _, Aes128GcmSha256> = TlsConnection::new(socket, read, write);
    tls.open(TlsContext::new(&tls_config, provider(rng)?))
        .await
        .map_err(MailError::Tls)?;
    info!("TLS is up");

    // RFC 3207 §4.2: everything learnt before TLS is forgotten; EHLO again.
    // SMTP: the driver's `starttls` does this itself.
    send(&mut tls, &Command::Ehlo(helo), command).await?;
    let caps = replies.next(&mut tls).await.and_then(|r| {
        expect(r.code(), 250)?;
        Ok(Capabilities::parse(&r))
    })?;
    info!("after TLS: {}", caps);

    // SMTP: `client.auth(Credentials::plain(config::USERNAME, config::PASSWORD)).await?`
    // SMTP: `client.send(&envelope, body).await?`: MAIL FROM, RCPT TO for
    //       each of `envelope.to`, DATA (or BDAT), then the message
    //       (`From:`, `To:`, `Subject: config::SUBJECT`, a blank line,
    //       `text`), dot-stuffed, and its final `.`.
    let _ = (config::USERNAME, config::PASSWORD, config::SUBJECT, text);
    warn!("SMTP: AUTH and the transaction wait for the client driver");

    // SMTP: `client.quit().await?`
    send(&mut tls, &Command::Quit, command).await?;
    let code = replies.next(&mut tls).await?.code();
    expect(code, 221)?;
    if let Err((_socket, e)) = tls.close().await {
        warn!("TLS close: {}", e);
    }
    Ok(())
}

/// The crypto of the handshake without the `verify` feature: the hardware
/// RNG, and NO check of the relay's certificate (see the README).
#[cfg(not(feature = "verify"))]
fn provider<R: RngCore + CryptoRng>(
    rng: &mut R,
) -> Result<UnsecureProvider<'static, Aes128GcmSha256, &mut R>, MailError> {
    Ok(UnsecureProvider::new::<Aes128GcmSha256>(rng))
}

/// The crypto of the handshake with the `verify` feature: the hardware RNG,
/// and the chain checked up to [`config::RELAY_CA_DER`] with the relay's
/// name (no dates: the board has no clock).
#[cfg(feature = "verify")]
fn provider<R: RngCore + CryptoRng>(rng: &mut R) -> Result<Verifying<'_, R>, MailError> {
    if config::RELAY_CA_DER.is_empty() {
        return Err(MailError::NoCa);
    }
    Ok(Verifying {
        rng,
        verifier: CertVerifier::new(Certificate::X509(config::RELAY_CA_DER)),
    })
}

/// A [`CryptoProvider`] that verifies the server (embedded-tls has a
/// verifier but no provider that uses it).
#[cfg(feature = "verify")]
struct Verifying<'r, R> {
    rng: &'r mut R,
    verifier: CertVerifier<'static, Aes128GcmSha256, NoClock, { config::MAX_CERT_CHAIN }>,
}

#[cfg(feature = "verify")]
impl<R: RngCore + CryptoRng> CryptoProvider for Verifying<'_, R> {
    type CipherSuite = Aes128GcmSha256;
    /// No client certificate, so nothing is signed.
    type Signature = [u8; 0];

    fn rng(&mut self) -> impl embedded_tls::CryptoRngCore {
        &mut *self.rng
    }

    fn verifier(&mut self) -> Result<&mut impl TlsVerifier<Aes128GcmSha256>, TlsError> {
        Ok(&mut self.verifier)
    }
}

/// Accepts exactly the reply code `want`.
fn expect(code: ReplyCode, want: u16) -> Result<(), MailError> {
    if code.get() == want {
        Ok(())
    } else {
        Err(MailError::Refused(code.get()))
    }
}

/// Writes one command and flushes it.
async fn send<T: Write>(io: &mut T, cmd: &Command<'_>, buf: &mut [u8]) -> Result<(), MailError> {
    let n = cmd.write(buf).map_err(MailError::Write)?;
    let line = buf.get(..n).unwrap_or(&[]);
    io.write_all(line)
        .await
        .map_err(|e| MailError::Io(e.kind()))?;
    io.flush().await.map_err(|e| MailError::Io(e.kind()))
}

/// Reads replies into one buffer, keeping what arrived past the end of the
/// current reply for the next one.
struct Replies<'b> {
    buf: &'b mut [u8],
    /// Bytes received.
    filled: usize,
    /// Bytes of the reply last returned.
    used: usize,
}

impl<'b> Replies<'b> {
    fn new(buf: &'b mut [u8]) -> Self {
        Replies {
            buf,
            filled: 0,
            used: 0,
        }
    }

    /// Whether bytes past the last reply have arrived.
    fn pending(&self) -> bool {
        self.filled > self.used
    }

    /// Reads until one whole reply is in, over any embedded-io-async 0.7
    /// transport: the TCP socket before STARTTLS, the TLS connection after.
    async fn next<T: Read>(&mut self, io: &mut T) -> Result<Reply<'_>, MailError> {
        self.buf.copy_within(self.used..self.filled, 0);
        self.filled -= self.used;
        self.used = 0;
        loop {
            let have = self.buf.get(..self.filled).unwrap_or(&[]);
            match Reply::parse(have, &LIMITS) {
                Ok(Status::Complete((_, n))) => {
                    self.used = n;
                    break;
                }
                Ok(Status::Partial) => {}
                Err(e) => return Err(MailError::Reply(e)),
            }
            let free = match self.buf.get_mut(self.filled..) {
                Some(free) if !free.is_empty() => free,
                _ => return Err(MailError::Reply(ReplyError::TooLong)),
            };
            let n = io.read(free).await.map_err(|e| MailError::Io(e.kind()))?;
            if n == 0 {
                return Err(MailError::Closed);
            }
            self.filled += n;
        }
        let have = self.buf.get(..self.used).unwrap_or(&[]);
        match Reply::parse(have, &LIMITS) {
            Ok(Status::Complete((reply, _))) => Ok(reply),
            Ok(Status::Partial) => Err(MailError::Closed),
            Err(e) => Err(MailError::Reply(e)),
        }
    }
}
