//! The SMTP side: one alert over one connection to the relay's submission
//! port, upgraded to TLS by STARTTLS (RFC 3207) before any credential or
//! message goes out. The engine's async client driver does the protocol
//! work; this file only provides the transport, the TLS wrap and the
//! message:
//!
//! 1. [`io::embassy::connect`] resolves [`config::RELAY_HOST`] and opens the
//!    TCP connection;
//! 2. [`SmtpClient::connect`] reads the greeting, says EHLO and STARTTLS
//!    (`TlsPolicy::Required`: no STARTTLS offered, no session);
//! 3. [`SmtpClient::start_tls`] hands the socket to embedded-tls for the
//!    handshake, then says EHLO again and authenticates;
//! 4. [`SmtpClient::send`] sends the envelope and the message, which the
//!    crate's `message` writer composes as it goes out (headers, the text,
//!    a small CSV of the latest readings attached; feature `compose`, on by
//!    default), or, without `compose`, a plain-text message written here
//!    into a small buffer (the smallest firmware: see `plain_message`);
//! 5. [`SmtpClient::quit`] says QUIT.

use defmt::{Format, info, warn};
use embassy_net::Stack;
use embassy_net::tcp::TcpSocket;
use embassy_time::{Duration, with_timeout};
use embedded_smtp::client::{
    AuthConfig, Client, ClientConfig, ConfigError, Envelope, EnvelopeError, Event, FailureKind,
    Recipient,
};
#[cfg(feature = "compose")]
use embedded_smtp::io::MessageBody;
use embedded_smtp::io::asynch::SmtpClient;
use embedded_smtp::io::embassy::{ConnectError, EmbassyTimer};
use embedded_smtp::io::{self, CLIENT_MIN_BUFFER, Delivery};
#[cfg(feature = "compose")]
use embedded_smtp::message::{
    Address, Attachment, ComposeError, Date, FromFn, Message, MessageId, MessageWriter, SourceError,
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

/// Bytes of the TCP receive window. It holds one full segment (an Ethernet
/// MSS is 1460 bytes), so the relay never has to send runts; the TLS record
/// buffer, not this one, holds a whole record while it is decrypted.
pub const TCP_RX: usize = 2048;
/// Bytes of the TCP send buffer. SMTP commands are short and the body goes
/// out in TLS records of at most [`TLS_WRITE_RECORD`] bytes, which
/// `write_all` feeds in as the peer acknowledges: 1 KiB is enough.
pub const TCP_TX: usize = 1024;
/// The driver's receive buffer: the smallest it works with
/// ([`CLIENT_MIN_BUFFER`]), which holds any reply line under the engine's
/// default limits (1000 octets).
pub const SMTP_RX: usize = CLIENT_MIN_BUFFER;
/// The driver's transmit buffer: whole commands (`AUTH PLAIN` with its
/// base64 included) and the body, streamed through it piece by piece.
pub const SMTP_TX: usize = CLIENT_MIN_BUFFER;
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
/// Bytes of the buffer the message writer fills for the driver, a piece
/// of the message at a time (the message itself is never whole in RAM).
#[cfg(feature = "compose")]
pub const MESSAGE: usize = 512;
/// Most recipients in [`config::RCPT_TO`].
pub const MAX_RECIPIENTS: usize = 4;

/// The SMTP driver's buffers: with the client engine and the driver
/// themselves (in the `main` task's future), the RAM of the SMTP session
/// (see the README's footprint table).
pub struct SmtpState {
    rx: [u8; SMTP_RX],
    tx: [u8; SMTP_TX],
}

/// The TLS record buffers, only used once STARTTLS has been accepted.
pub struct TlsRecords {
    read: [u8; TLS_READ_RECORD],
    write: [u8; TLS_WRITE_RECORD],
}

/// The TCP socket's buffers.
pub struct TcpBuffers {
    rx: [u8; TCP_RX],
    tx: [u8; TCP_TX],
}

/// Zero-initialised statics, so they land in `.bss` and are never built on
/// the stack and copied.
static SMTP_STATE: ConstStaticCell<SmtpState> = ConstStaticCell::new(SmtpState {
    rx: [0; SMTP_RX],
    tx: [0; SMTP_TX],
});
static TLS_RECORDS: ConstStaticCell<TlsRecords> = ConstStaticCell::new(TlsRecords {
    read: [0; TLS_READ_RECORD],
    write: [0; TLS_WRITE_RECORD],
});
static TCP_BUFFERS: ConstStaticCell<TcpBuffers> = ConstStaticCell::new(TcpBuffers {
    rx: [0; TCP_RX],
    tx: [0; TCP_TX],
});

/// Every buffer [`send_alert`] needs, borrowed for the program's life.
pub struct Buffers {
    smtp: &'static mut SmtpState,
    tls: &'static mut TlsRecords,
    tcp: &'static mut TcpBuffers,
}

impl Buffers {
    /// Takes the statics. Call once.
    pub fn take() -> Buffers {
        Buffers {
            smtp: SMTP_STATE.take(),
            tls: TLS_RECORDS.take(),
            tcp: TCP_BUFFERS.take(),
        }
    }
}

/// Why an alert was not delivered.
#[derive(Clone, Copy, Debug, Format)]
pub enum MailError {
    /// `config::EHLO_NAME` or the credentials were refused by the engine.
    Config(ConfigError),
    /// A configured address was refused by the engine.
    Envelope(EnvelopeError),
    /// More recipients are configured than [`MAX_RECIPIENTS`].
    TooManyRecipients,
    /// [`config::UNIX_TIME_AT_BOOT`] plus the uptime is not a date the
    /// writer can write (before 1900, or an offset of a day or more).
    #[cfg(feature = "compose")]
    Clock,
    /// Without `compose`: the plain message does not fit [`PLAIN_MAX`].
    #[cfg(not(feature = "compose"))]
    TooLong,
    /// The message writer refused a configured value (an address, the
    /// subject, the attachment's name): nothing was sent.
    #[cfg(feature = "compose")]
    Message(ComposeError),
    /// Feature `verify` without a CA in `config::RELAY_CA_DER`.
    #[cfg(feature = "verify")]
    NoCa,
    /// DNS or TCP failed (or the TCP connection timed out).
    Connect(ConnectError),
    /// The SMTP session failed: transport, timeout, the relay closed or
    /// broke the protocol, or refused STARTTLS (`TlsPolicy::Required`:
    /// nothing is sent in clear).
    Smtp(io::Error),
    /// The relay does not offer STARTTLS.
    NoStartTls,
    /// The TLS handshake failed (with `verify`: also a certificate that does
    /// not chain to the CA or does not name the relay).
    Tls(TlsError),
    /// The relay refused the credentials (the session was closed with QUIT).
    AuthFailed,
    /// The relay refused the message; see [`Delivery::failure`] for whether
    /// it may be retried.
    NotDelivered(Delivery),
}

impl MailError {
    /// Whether trying again later may succeed: the network, a timeout, a
    /// closed connection, or a transient (4yz) refusal of the message.
    pub fn is_transient(&self) -> bool {
        match self {
            MailError::Connect(_) | MailError::Tls(_) => true,
            MailError::Smtp(e) => {
                matches!(e, io::Error::Io(_) | io::Error::Eof | io::Error::Timeout)
            }
            MailError::NotDelivered(d) => {
                matches!(d.failure, Some((_, FailureKind::Transient)))
            }
            _ => false,
        }
    }
}

impl From<io::Error> for MailError {
    fn from(e: io::Error) -> Self {
        MailError::Smtp(e)
    }
}

/// The client configuration: EHLO name, STARTTLS required (the default),
/// AUTH with the configured credentials; RFC 5321 timeouts for replies.
fn client_config() -> Result<ClientConfig<'static>, MailError> {
    let mut smtp = ClientConfig::new(config::EHLO_NAME);
    smtp.auth = Some(AuthConfig::password(config::USERNAME, config::PASSWORD));
    Ok(smtp)
}

/// One reading of the log attached to the alert: seconds since boot and
/// the input's value.
#[derive(Clone, Copy)]
pub struct Reading {
    pub uptime_s: u32,
    pub value: i32,
}

/// The attachment's bytes, made as the writer asks for them: a CSV header
/// line, then one line per reading (`FromFn` over this).
#[cfg(feature = "compose")]
struct Csv<'a> {
    readings: &'a [Reading],
    /// The next line to write (0: the header).
    line: usize,
    /// The part of the current line not yet handed over.
    pending: heapless::String<32>,
    at: usize,
}

#[cfg(feature = "compose")]
impl Csv<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError> {
        if self.at == self.pending.len() {
            self.pending.clear();
            self.at = 0;
            let line = match self.line {
                0 => self.pending.push_str("uptime_s,value\r\n"),
                n => match self.readings.get(n - 1) {
                    Some(r) => decimal(&mut self.pending, i64::from(r.uptime_s))
                        .and_then(|()| self.pending.push(','))
                        .and_then(|()| decimal(&mut self.pending, i64::from(r.value)))
                        .and_then(|()| self.pending.push_str("\r\n")),
                    None => return Ok(0),
                },
            };
            line.map_err(|_| SourceError)?;
            self.line += 1;
        }
        let rest = &self.pending.as_bytes()[self.at..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

/// Appends `v` in decimal (by hand: `core::fmt` costs kilobytes of flash,
/// which nothing else in the firmware needs).
fn decimal(out: &mut heapless::String<32>, v: i64) -> Result<(), heapless::CapacityError> {
    if v < 0 {
        out.push('-')?;
    }
    let mut digits = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(char::from(d))?;
    }
    Ok(())
}

/// The domain of [`config::MAIL_FROM`], on the right of the `Message-ID`.
#[cfg(feature = "compose")]
fn sender_domain() -> &'static str {
    config::MAIL_FROM
        .rsplit_once('@')
        .map_or(config::EHLO_NAME, |(_, d)| d)
}

/// The alert as a [`Message`]: `From`, `To`, `Date` (the configured boot
/// time plus the uptime: the board has no RTC), `Subject`, a `Message-ID`
/// from the hardware RNG's `entropy`, the text, and the readings attached
/// as `readings.csv`.
#[cfg(feature = "compose")]
fn message<'a, 'b>(
    to: &'a [Address<'a>],
    entropy: [u8; 16],
    text: &'a str,
    files: &'b mut [Attachment<'a>],
) -> Result<Message<'a, 'b>, MailError> {
    let now = config::UNIX_TIME_AT_BOOT + embassy_time::Instant::now().as_secs() as i64;
    let date = Date::new(now, config::UTC_OFFSET_MINUTES).ok_or(MailError::Clock)?;
    Ok(Message::new(
        Address::new(config::MAIL_FROM).name(config::FROM_NAME),
        date,
        MessageId::new(entropy, sender_domain()),
    )
    .to(to)
    .subject(config::SUBJECT)
    .text(text)
    .attachments(files))
}

/// The most bytes of the plain message (without `compose`).
#[cfg(not(feature = "compose"))]
pub const PLAIN_MAX: usize = 1024;

/// Without `compose`: the alert as a plain-text RFC 5322 message, From, To
/// and Subject from [`config`], the text, then the readings one per line as
/// `uptime_s,value`. No Date or Message-ID: the board has no clock, and a
/// submission server adds both (RFC 6409 §8.2, §8.3; Postfix does). The
/// configured values are ASCII without CR or LF; the text must be too, or
/// the engine refuses the body (a bare CR or LF, an 8-bit octet without
/// 8BITMIME) before it sends any of it.
#[cfg(not(feature = "compose"))]
fn plain_message(
    out: &mut heapless::String<PLAIN_MAX>,
    text: &str,
    readings: &[Reading],
) -> Result<(), MailError> {
    let mut put = |s: &str| out.push_str(s).map_err(|_| MailError::TooLong);
    put("From: ")?;
    put(config::FROM_NAME)?;
    put(" <")?;
    put(config::MAIL_FROM)?;
    put(">\r\nTo: ")?;
    for (i, rcpt) in config::RCPT_TO.iter().enumerate() {
        put(if i == 0 { "<" } else { ", <" })?;
        put(rcpt)?;
        put(">")?;
    }
    put("\r\nSubject: ")?;
    put(config::SUBJECT)?;
    put("\r\n\r\n")?;
    put(text)?;
    put("\r\n\r\nuptime_s,value\r\n")?;
    for r in readings {
        let mut line = heapless::String::<32>::new();
        decimal(&mut line, i64::from(r.uptime_s))
            .and_then(|()| line.push(','))
            .and_then(|()| decimal(&mut line, i64::from(r.value)))
            .and_then(|()| line.push_str("\r\n"))
            .map_err(|_| MailError::TooLong)?;
        put(&line)?;
    }
    Ok(())
}

/// Sends one alert with `text` and the `readings` attached as a CSV to
/// [`config::RCPT_TO`] through the relay.
///
/// Everything the engine can check without the relay (EHLO name,
/// credentials, addresses, message) is checked before connecting.
pub async fn send_alert<R>(
    stack: Stack<'_>,
    buffers: &mut Buffers,
    rng: &mut R,
    text: &str,
    readings: &[Reading],
) -> Result<Delivery, MailError>
where
    R: RngCore + CryptoRng,
{
    let Buffers { smtp, tls, tcp } = buffers;

    // Checked up front: the configuration (the engine refuses a bad EHLO
    // name or credentials with a NUL, CR or LF), the envelope, the message.
    let smtp_config = client_config()?;
    Client::new(smtp_config).map_err(MailError::Config)?;
    let mut recipients: heapless::Vec<Recipient<'static>, MAX_RECIPIENTS> = heapless::Vec::new();
    for rcpt in config::RCPT_TO {
        let rcpt = Recipient::new(rcpt).map_err(MailError::Envelope)?;
        recipients
            .push(rcpt)
            .map_err(|_| MailError::TooManyRecipients)?;
    }
    let envelope = Envelope::new(config::MAIL_FROM, &recipients).map_err(MailError::Envelope)?;
    #[cfg(feature = "compose")]
    let mut to: heapless::Vec<Address<'static>, MAX_RECIPIENTS> = heapless::Vec::new();
    #[cfg(feature = "compose")]
    for rcpt in config::RCPT_TO {
        to.push(Address::new(rcpt))
            .map_err(|_| MailError::TooManyRecipients)?;
    }
    #[cfg(feature = "compose")]
    let mut entropy = [0u8; 16];
    #[cfg(feature = "compose")]
    rng.fill_bytes(&mut entropy);
    #[cfg(not(feature = "compose"))]
    let _ = &rng;
    #[cfg(not(feature = "compose"))]
    let mut plain = heapless::String::<PLAIN_MAX>::new();
    #[cfg(not(feature = "compose"))]
    plain_message(&mut plain, text, readings)?;
    #[cfg(feature = "compose")]
    {
        // The message, checked with an empty log: every value the writer
        // refuses is refused here, before connecting.
        let mut none: &[u8] = &[];
        let mut files = [Attachment::new("readings.csv", "text/csv", &mut none)];
        MessageWriter::new(message(&to, entropy, text, &mut files)?).map_err(MailError::Message)?;
    }
    check_ca()?;

    // DNS and TCP; smoltcp's own timeouts bound DNS, this one the connect.
    info!(
        "connecting to {}:{}",
        config::RELAY_HOST,
        config::RELAY_PORT
    );
    let timeout = Duration::from_secs(config::TIMEOUT_SECS);
    let connect = io::embassy::connect(
        stack,
        config::RELAY_HOST,
        config::RELAY_PORT,
        &mut tcp.rx,
        &mut tcp.tx,
    );
    let mut socket = match with_timeout(timeout, connect).await {
        Ok(socket) => socket.map_err(MailError::Connect)?,
        Err(_) => return Err(MailError::Connect(ConnectError::Tcp)),
    };
    // Any step (a reply, the handshake, an acknowledgement) that hears
    // nothing from the relay for this long aborts the connection.
    socket.set_timeout(Some(timeout));

    // Greeting, EHLO, STARTTLS and its 220 (bytes after the 220 are refused
    // by the engine, RFC 3207 §5).
    let client = SmtpClient::connect(
        socket,
        EmbassyTimer,
        smtp_config,
        &mut smtp.rx,
        &mut smtp.tx,
    )
    .await?;
    if !client.wants_tls() {
        // Unreachable with `TlsPolicy::Required`: without STARTTLS the
        // engine stops before this (`ClientError::TlsUnavailable`).
        return Err(MailError::NoStartTls);
    }

    // The handshake over the socket; the TLS connection implements
    // embedded-io-async 0.7 `Read` + `Write`, which is all the driver needs.
    // Then EHLO again (RFC 3207 §4.2) and AUTH.
    let TlsRecords { read, write } = &mut **tls;
    let tls_config = TlsConfig::new().with_server_name(config::RELAY_HOST);
    let mut tls_error = None;
    let started = client
        .start_tls(|socket: TcpSocket<'_>| async {
            let mut tls: TlsConnection<'_, _, Aes128GcmSha256> =
                TlsConnection::new(socket, read, write);
            // The provider is built here, inside the handshake's future: a
            // verifier (feature `verify`) holds the certificate chain, and a
            // copy of it in `send_alert`'s own state would cost that again.
            match tls.open(TlsContext::new(&tls_config, provider(rng))).await {
                Ok(()) => Ok(tls),
                Err(e) => {
                    tls_error = Some(e);
                    Err(e)
                }
            }
        })
        .await;
    let mut client = match (started, tls_error) {
        (Ok(client), _) => client,
        (Err(_), Some(e)) => return Err(MailError::Tls(e)),
        (Err(e), None) => return Err(MailError::Smtp(e)),
    };
    info!("TLS is up: {}", client.engine().capabilities());

    if !client.engine().is_authenticated() {
        warn!("the relay refused the credentials");
        quit(client).await;
        return Err(MailError::AuthFailed);
    }

    // MAIL FROM, RCPT TO for each recipient, DATA or BDAT, the message as
    // the writer composes it, [`MESSAGE`] bytes at a time.
    #[cfg(feature = "compose")]
    let delivery = {
        let mut csv = Csv {
            readings,
            line: 0,
            pending: heapless::String::new(),
            at: 0,
        };
        let mut log = FromFn(|buf: &mut [u8]| csv.read(buf));
        let mut files = [Attachment::new("readings.csv", "text/csv", &mut log)];
        let writer = MessageWriter::new(message(&to, entropy, text, &mut files)?)
            .map_err(MailError::Message)?;
        let mut piece = [0u8; MESSAGE];
        let body = MessageBody::new(writer, &mut piece);
        client.send(&envelope, body, log_event).await?
    };
    #[cfg(not(feature = "compose"))]
    let delivery = client.send(&envelope, plain.as_bytes(), log_event).await?;
    quit(client).await;
    if delivery.is_delivered() {
        Ok(delivery)
    } else {
        Err(MailError::NotDelivered(delivery))
    }
}

/// Logs the relay's answer to each step of the transaction.
fn log_event(event: &Event<'_>) {
    match event {
        Event::MailFrom(reply) if !reply.code().is_positive() => {
            warn!(
                "MAIL FROM refused: {} {=[u8]:a}",
                reply.code().get(),
                reply.text()
            );
        }
        Event::Recipient { index, reply } => {
            let to = config::RCPT_TO.get(*index).copied().unwrap_or("?");
            if reply.code().is_positive() {
                info!("RCPT {}: accepted ({})", to, reply.code().get());
            } else {
                warn!(
                    "RCPT {}: refused {} {=[u8]:a}",
                    to,
                    reply.code().get(),
                    reply.text()
                );
            }
        }
        Event::Delivered { reply, .. } => {
            info!("delivered: {} {=[u8]:a}", reply.code().get(), reply.text());
        }
        Event::Failed(failure) => warn!("not delivered: {}", failure),
        _ => {}
    }
}

/// QUIT, then close TLS (close_notify) and TCP (FIN). The message's fate is
/// settled before this: failures here are only logged.
async fn quit(
    client: SmtpClient<'_, '_, TlsConnection<'_, TcpSocket<'_>, Aes128GcmSha256>, EmbassyTimer>,
) {
    let tls = match client.quit().await {
        Ok(tls) => tls,
        Err(e) => {
            warn!("QUIT: {}", e);
            return;
        }
    };
    let mut socket = match tls.close().await {
        Ok(socket) => socket,
        Err((socket, e)) => {
            warn!("TLS close: {}", e);
            socket
        }
    };
    socket.close();
    let _ = socket.flush().await;
}

/// Without the `verify` feature there is nothing to check before connecting.
#[cfg(not(feature = "verify"))]
fn check_ca() -> Result<(), MailError> {
    Ok(())
}

/// With the `verify` feature, a CA must be configured.
#[cfg(feature = "verify")]
fn check_ca() -> Result<(), MailError> {
    if config::RELAY_CA_DER.is_empty() {
        Err(MailError::NoCa)
    } else {
        Ok(())
    }
}

/// The crypto of the handshake without the `verify` feature: the hardware
/// RNG, and NO check of the relay's certificate (see the README).
#[cfg(not(feature = "verify"))]
fn provider<R: RngCore + CryptoRng>(
    rng: &mut R,
) -> UnsecureProvider<'static, Aes128GcmSha256, &mut R> {
    UnsecureProvider::new::<Aes128GcmSha256>(rng)
}

/// The crypto of the handshake with the `verify` feature: the hardware RNG,
/// and the chain checked up to [`config::RELAY_CA_DER`] (see [`check_ca`])
/// with the relay's name (no dates: the board has no clock).
#[cfg(feature = "verify")]
fn provider<R: RngCore + CryptoRng>(rng: &mut R) -> Verifying<'_, R> {
    Verifying {
        rng,
        verifier: CertVerifier::new(Certificate::X509(config::RELAY_CA_DER)),
    }
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
