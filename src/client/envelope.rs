//! The envelope of one message: reverse path, recipients and the MAIL/RCPT
//! parameters, and its validation against what the server advertised.

use crate::syntax::params::{Body, MailParameters, Notify, Orcpt, RcptParameters, Ret};
use crate::syntax::{
    AddressError, Capabilities, Command, DIGEST_START, Extension, ForwardPath, Invalid, Mailbox,
    ReversePath, WriteError, XText, digest_with,
};
use crate::wire::stuff::StuffPolicy;

use super::config::{ChunkingPolicy, ClientConfig, LMTP_MAX_RECIPIENTS};

/// Why an envelope cannot be sent. The caller is at fault; nothing of the
/// transaction was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum EnvelopeError {
    /// An address does not parse (INJ-01, INJ-02, INJ-03).
    Address(AddressError),
    /// A value would break the wire grammar (rule D5; INJ-01..03).
    Invalid(Invalid),
    /// No recipient.
    NoRecipients,
    /// More recipients than [`ClientConfig::max_recipients`], than the
    /// server's `LIMITS RCPTMAX` (RFC 9422), or than LMTP mode can track.
    TooManyRecipients,
    /// A non-ASCII address (or [`Envelope::smtputf8`]) and the server does not
    /// advertise SMTPUTF8 (RFC 6531 §3.2, EXT-06).
    SmtpUtf8,
    /// The declared size is over the server's SIZE limit (RFC 1870, EXT-07).
    TooBig {
        /// The server's limit.
        limit: u64,
    },
    /// `BODY=8BITMIME` and the server does not advertise 8BITMIME
    /// (RFC 6152, EXT-10).
    EightBitMime,
    /// `BODY=BINARYMIME` without CHUNKING and BINARYMIME advertised and
    /// BDAT allowed (RFC 3030 §3).
    BinaryMime,
    /// RET, ENVID, NOTIFY or ORCPT and the server does not advertise DSN
    /// (RFC 3461).
    Dsn,
    /// The envelope needs an extension this build leaves out: SMTPUTF8
    /// without the `smtputf8` feature, BINARYMIME without `chunking`, RET,
    /// ENVID, NOTIFY or ORCPT without `dsn`. The value is the Cargo feature
    /// to turn on.
    NotBuilt(&'static str),
}

impl core::fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            EnvelopeError::Address(e) => write!(f, "bad address: {e}"),
            EnvelopeError::Invalid(i) => write!(f, "invalid envelope value: {i}"),
            EnvelopeError::NoRecipients => f.write_str("no recipients"),
            EnvelopeError::TooManyRecipients => f.write_str("too many recipients"),
            EnvelopeError::SmtpUtf8 => f.write_str("server does not support SMTPUTF8"),
            EnvelopeError::TooBig { limit } => write!(f, "message over the server limit {limit}"),
            EnvelopeError::EightBitMime => f.write_str("server does not support 8BITMIME"),
            EnvelopeError::BinaryMime => f.write_str("BINARYMIME needs CHUNKING and BINARYMIME"),
            EnvelopeError::Dsn => f.write_str("server does not support DSN"),
            EnvelopeError::NotBuilt(feature) => {
                write!(f, "needs the `{feature}` feature of embedded-smtp")
            }
        }
    }
}

impl core::error::Error for EnvelopeError {}

impl From<AddressError> for EnvelopeError {
    fn from(e: AddressError) -> Self {
        EnvelopeError::Address(e)
    }
}

impl From<Invalid> for EnvelopeError {
    fn from(i: Invalid) -> Self {
        EnvelopeError::Invalid(i)
    }
}

/// One recipient: `RCPT TO:<forward-path>` with its DSN parameters
/// (RFC 5321 §4.1.1.3, RFC 3461 §4.1–§4.2).
///
/// ```
/// use embedded_smtp::client::Recipient;
/// use embedded_smtp::syntax::params::Notify;
/// let r = Recipient::new("bob@s.example").unwrap().notify(Notify::FAILURE);
/// assert_eq!(r.notify, Some(Notify::FAILURE));
/// assert!(Recipient::new("v@x>\r\nDATA").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Recipient<'e> {
    /// The forward path.
    pub to: ForwardPath<'e>,
    /// `NOTIFY=` (needs DSN).
    pub notify: Option<Notify>,
    /// `ORCPT=` (needs DSN).
    pub orcpt: Option<Orcpt<'e>>,
}

/// Parses `a@b`, `<a@b>` or `Postmaster` forms.
fn forward_path(s: &str) -> Result<ForwardPath<'_>, AddressError> {
    if s.starts_with('<') {
        ForwardPath::parse(s, true)
    } else if s.eq_ignore_ascii_case("postmaster") {
        Ok(ForwardPath::Postmaster)
    } else {
        Mailbox::parse(s, true).map(ForwardPath::Mailbox)
    }
}

impl<'e> Recipient<'e> {
    /// A recipient from `local@domain` (or `<local@domain>`); UTF-8 is
    /// allowed here and needs SMTPUTF8 at send time.
    pub fn new(address: &'e str) -> Result<Self, EnvelopeError> {
        Ok(Recipient {
            to: forward_path(address)?,
            notify: None,
            orcpt: None,
        })
    }

    /// With `NOTIFY=`.
    pub fn notify(self, notify: Notify) -> Self {
        Recipient {
            notify: Some(notify),
            ..self
        }
    }

    /// With `ORCPT=addr_type;address`, the address xtext-encoded by the
    /// engine (RFC 3461 §4.2; EXT-10). Control bytes are refused.
    pub fn orcpt(self, addr_type: &'e str, address: &'e [u8]) -> Result<Self, EnvelopeError> {
        if !cfg!(feature = "dsn") {
            return Err(EnvelopeError::NotBuilt("dsn"));
        }
        let orcpt = Orcpt {
            addr_type,
            address: XText::from_plain(address)?,
        };
        // Validate now: the writer checks the type and the length.
        let mut sink = [0u8; 0];
        check(
            RcptParameters {
                orcpt: Some(orcpt),
                ..RcptParameters::default()
            }
            .write(&mut sink),
        )?;
        Ok(Recipient {
            orcpt: Some(orcpt),
            ..self
        })
    }

    fn is_ascii(&self) -> bool {
        self.to.is_ascii()
    }
}

/// Maps a writer result on an empty buffer: only a grammar refusal counts.
fn check(r: Result<usize, WriteError>) -> Result<usize, Invalid> {
    match r {
        Ok(n) | Err(WriteError::BufferTooSmall { needed: n }) => Ok(n),
        Err(WriteError::Invalid(i)) => Err(i),
    }
}

/// The envelope of one message (RFC 5321 §3.3): the reverse path, the
/// recipients and the MAIL parameters the caller wants.
///
/// SIZE is sent only when the server advertises SIZE, BODY only when it
/// advertises 8BITMIME (or BINARYMIME), SMTPUTF8 only when an address is
/// not ASCII or [`Envelope::smtputf8`] is set. Everything is checked before
/// the first byte of the transaction is written
/// ([`Client::send`](super::Client::send)).
///
/// The envelope may live shorter than the [`Client`](super::Client): the
/// client keeps only counts and a digest of its commands, and the caller passes the
/// same envelope to [`Client::transmit`](super::Client::transmit) while the
/// transaction's commands are being written.
///
/// ```
/// use embedded_smtp::client::{Envelope, Recipient};
/// let rcpts = [Recipient::new("b@s.example").unwrap()];
/// let env = Envelope::new("a@c.example", &rcpts).unwrap().size(1234);
/// assert_eq!(env.size, Some(1234));
/// let bounce = Envelope::new("", &rcpts).unwrap();
/// assert!(bounce.from.mailbox().is_none());
/// assert!(Envelope::new("a@b>\r\nRCPT TO:<v@x>", &rcpts).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Envelope<'e> {
    /// The reverse path (`<>` for bounces).
    pub from: ReversePath<'e>,
    /// The recipients, in the order RCPT is sent.
    pub recipients: &'e [Recipient<'e>],
    /// The message size in octets, CRLFs included, stuffing excluded
    /// (RFC 1870 §3); sent as `SIZE=` when SIZE is advertised.
    pub size: Option<u64>,
    /// `BODY=` (RFC 6152, RFC 3030). An 8-bit body needs `8BITMIME`.
    pub body: Option<Body>,
    /// Send `SMTPUTF8` even when every address is ASCII (UTF-8 headers).
    pub smtputf8: bool,
    /// `RET=` (needs DSN).
    pub ret: Option<Ret>,
    /// `ENVID=` (needs DSN).
    pub envid: Option<XText<'e>>,
}

impl<'e> Envelope<'e> {
    /// An envelope from `sender` (`""` or `"<>"` for the null reverse path;
    /// `local@domain` or `<local@domain>`) to `recipients`.
    pub fn new(sender: &'e str, recipients: &'e [Recipient<'e>]) -> Result<Self, EnvelopeError> {
        let from = if sender.is_empty() || sender.starts_with('<') {
            if sender.is_empty() {
                ReversePath::Null
            } else {
                ReversePath::parse(sender, true)?
            }
        } else {
            ReversePath::Mailbox(Mailbox::parse(sender, true)?)
        };
        Ok(Envelope {
            from,
            recipients,
            size: None,
            body: None,
            smtputf8: false,
            ret: None,
            envid: None,
        })
    }

    /// With a declared size.
    pub fn size(self, size: u64) -> Self {
        Envelope {
            size: Some(size),
            ..self
        }
    }

    /// With `BODY=`.
    pub fn body(self, body: Body) -> Self {
        Envelope {
            body: Some(body),
            ..self
        }
    }

    /// With `RET=`.
    pub fn ret(self, ret: Ret) -> Self {
        Envelope {
            ret: Some(ret),
            ..self
        }
    }

    /// With `ENVID=`, xtext-encoded by the engine (RFC 3461 §4.4; EXT-10);
    /// control bytes and values over 100 encoded characters are refused.
    pub fn envid(self, envid: &'e [u8]) -> Result<Self, EnvelopeError> {
        if !cfg!(feature = "dsn") {
            return Err(EnvelopeError::NotBuilt("dsn"));
        }
        let x = XText::from_plain(envid)?;
        let mut sink = [0u8; 0];
        check(
            MailParameters {
                envid: Some(x),
                ..MailParameters::default()
            }
            .write(&mut sink),
        )?;
        Ok(Envelope {
            envid: Some(x),
            ..self
        })
    }

    /// Whether the envelope needs SMTPUTF8.
    fn needs_utf8(&self) -> bool {
        self.smtputf8 || !self.from.is_ascii() || self.recipients.iter().any(|r| !r.is_ascii())
    }

    fn uses_dsn(&self) -> bool {
        self.ret.is_some()
            || self.envid.is_some()
            || self
                .recipients
                .iter()
                .any(|r| r.notify.is_some() || r.orcpt.is_some())
    }

    /// Checks the envelope against the configuration and the server's
    /// capabilities (`None` after HELO: no extension at all) and decides
    /// how it is sent.
    pub(crate) fn plan(
        &self,
        config: &ClientConfig<'_>,
        caps: Option<&Capabilities>,
    ) -> Result<Plan, EnvelopeError> {
        // An extension this build leaves out is never used, whatever the
        // server offers.
        let has = |e: Extension| e.is_built() && caps.is_some_and(|c| c.has(e));
        let count = self.recipients.len();
        if count == 0 {
            return Err(EnvelopeError::NoRecipients);
        }
        let server_max = caps
            .and_then(|c| c.rcpt_max())
            .map_or(usize::MAX, |m| m as usize);
        let lmtp_max = if config.is_lmtp() {
            usize::from(LMTP_MAX_RECIPIENTS)
        } else {
            usize::MAX
        };
        if count > usize::from(config.max_recipients) || count > server_max || count > lmtp_max {
            return Err(EnvelopeError::TooManyRecipients);
        }
        let utf8 = self.needs_utf8();
        if utf8 && !Extension::SmtpUtf8.is_built() {
            return Err(EnvelopeError::NotBuilt("smtputf8"));
        }
        if self.body == Some(Body::BinaryMime) && !Extension::BinaryMime.is_built() {
            return Err(EnvelopeError::NotBuilt("chunking"));
        }
        if self.uses_dsn() && !Extension::Dsn.is_built() {
            return Err(EnvelopeError::NotBuilt("dsn"));
        }
        if utf8 && !has(Extension::SmtpUtf8) {
            return Err(EnvelopeError::SmtpUtf8);
        }
        if let (Some(size), Some(limit)) = (self.size, caps.and_then(|c| c.size_limit()))
            && has(Extension::Size)
            && size > limit
        {
            return Err(EnvelopeError::TooBig { limit });
        }
        // BDAT when offered and allowed (RFC 3030), and only for content
        // that needs no rewriting: BDAT is never stuffed, so a body that
        // the stuffer would normalise goes by DATA (rule D4).
        let chunking =
            has(Extension::Chunking) && config.chunking == ChunkingPolicy::WhenAdvertised;
        let bdat = chunking
            && (self.body == Some(Body::BinaryMime) || config.stuff_policy == StuffPolicy::Reject);
        match self.body {
            Some(Body::EightBitMime) if !has(Extension::EightBitMime) => {
                return Err(EnvelopeError::EightBitMime);
            }
            Some(Body::BinaryMime) if !(chunking && has(Extension::BinaryMime)) => {
                return Err(EnvelopeError::BinaryMime);
            }
            _ => {}
        }
        if self.uses_dsn() && !has(Extension::Dsn) {
            return Err(EnvelopeError::Dsn);
        }
        let body = match self.body {
            Some(Body::SevenBit) if !has(Extension::EightBitMime) => None,
            b => b,
        };
        let plan = Plan {
            size: has(Extension::Size),
            utf8,
            body,
            bdat,
            count: count as u16,
            digest: 0,
        };
        // Every command must be writable (the grammar check of rule D5); the
        // digest of what they write binds the envelope to the transaction.
        Ok(Plan {
            digest: self.digest(&plan)?,
            ..plan
        })
    }

    /// The MAIL command under `plan`.
    pub(crate) fn mail(&self, plan: &Plan) -> Command<'e> {
        Command::Mail {
            from: self.from,
            params: MailParameters {
                size: if plan.size { self.size } else { None },
                body: plan.body,
                smtputf8: cfg!(feature = "smtputf8") && plan.utf8,
                ret: if cfg!(feature = "dsn") {
                    self.ret
                } else {
                    None
                },
                envid: if cfg!(feature = "dsn") {
                    self.envid
                } else {
                    None
                },
                ..MailParameters::default()
            },
        }
    }

    /// The RCPT command for recipient `i`.
    pub(crate) fn rcpt(&self, i: usize) -> Option<Command<'e>> {
        let r = self.recipients.get(i)?;
        Some(Command::Rcpt {
            to: r.to,
            params: RcptParameters {
                notify: if cfg!(feature = "dsn") {
                    r.notify
                } else {
                    None
                },
                orcpt: if cfg!(feature = "dsn") { r.orcpt } else { None },
                unknown: None,
            },
        })
    }

    /// The digest of every byte the commands of `plan` write (MAIL with
    /// its parameters, then each RCPT with its parameters): `transmit`
    /// writes the commands of the envelope it is handed only if its digest
    /// is the one `send` computed, so another envelope is refused whatever
    /// differs in it.
    pub(crate) fn digest(&self, plan: &Plan) -> Result<u64, Invalid> {
        digest_with(DIGEST_START, |w| {
            self.mail(plan).write_to(w)?;
            for i in 0..self.recipients.len() {
                self.rcpt(i).ok_or(Invalid::Argument)?.write_to(w)?;
            }
            Ok(())
        })
    }
}

/// How an envelope is sent, decided by [`Envelope::plan`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Plan {
    /// Send `SIZE=` (when the envelope has a size).
    pub size: bool,
    /// Send `SMTPUTF8`.
    pub utf8: bool,
    /// The `BODY=` to send.
    pub body: Option<Body>,
    /// Send the content with BDAT (CHUNKING offered and allowed, and the
    /// content needs no rewriting): the one place this is decided.
    pub bdat: bool,
    /// Recipients.
    pub count: u16,
    /// See [`Envelope::digest`].
    pub digest: u64,
}

impl Plan {
    /// Whether 8-bit octets may appear in the content.
    pub fn eight_bit(&self) -> bool {
        self.utf8 || matches!(self.body, Some(Body::EightBitMime | Body::BinaryMime))
    }

    /// Whether the content goes by BDAT: [`bdat`](Self::bdat) in a build
    /// with the `chunking` feature (read only through here, so that the
    /// BDAT code is left out without the feature).
    pub const fn uses_bdat(&self) -> bool {
        cfg!(feature = "chunking") && self.bdat
    }

    /// Whether the content is BINARYMIME (no line rules at all).
    pub fn binary(&self) -> bool {
        self.body == Some(Body::BinaryMime)
    }
}
