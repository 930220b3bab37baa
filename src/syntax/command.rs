//! SMTP commands (RFC 5321 §4.1.1, RFC 3030 §2, RFC 3207 §4, RFC 4954 §4,
//! RFC 2033 §4.1): one parser for a complete, already-framed command line and
//! one writer, shared by the server (which parses) and the client (which writes).
//!
//! ```
//! use embedded_smtp::syntax::{Command, ParseOptions, ReversePath};
//!
//! let cmd = Command::parse(b"MAIL FROM:<alice@example.org> SIZE=1024", ParseOptions::STRICT).unwrap();
//! let Command::Mail { from: ReversePath::Mailbox(m), params } = cmd else { panic!() };
//! assert_eq!(m.local_part().as_str(), "alice");
//! assert_eq!(params.size, Some(1024));
//!
//! let mut buf = [0u8; 64];
//! let n = cmd.write(&mut buf).unwrap();
//! assert_eq!(&buf[..n], b"MAIL FROM:<alice@example.org> SIZE=1024\r\n");
//! ```

use super::address::{AddressError, ForwardPath, ReversePath};
use super::domain::Host;
use super::params::{MailParameters, ParamError, RcptParameters, eq_upper};
use super::reply::{EnhancedCode, ReplyCode};
use super::{Invalid, ParseOptions, WriteError, Writer, write_with};

mod args;

use args::{check_argument, is_base64, is_mechanism, parse_arguments};

/// The verb of a command, known even when its arguments do not parse, so a
/// server can pick the reply and the state transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Verb {
    /// `EHLO` (RFC 5321 §4.1.1.1)
    Ehlo,
    /// `HELO` (RFC 5321 §4.1.1.1)
    Helo,
    /// `LHLO` (RFC 2033 §4.1, LMTP)
    Lhlo,
    /// `MAIL` (RFC 5321 §4.1.1.2)
    Mail,
    /// `RCPT` (RFC 5321 §4.1.1.3)
    Rcpt,
    /// `DATA` (RFC 5321 §4.1.1.4)
    Data,
    /// `BDAT` (RFC 3030 §2)
    Bdat,
    /// `RSET` (RFC 5321 §4.1.1.5)
    Rset,
    /// `VRFY` (RFC 5321 §4.1.1.6)
    Vrfy,
    /// `EXPN` (RFC 5321 §4.1.1.7)
    Expn,
    /// `HELP` (RFC 5321 §4.1.1.8)
    Help,
    /// `NOOP` (RFC 5321 §4.1.1.9)
    Noop,
    /// `QUIT` (RFC 5321 §4.1.1.10)
    Quit,
    /// `STARTTLS` (RFC 3207 §4)
    StartTls,
    /// `AUTH` (RFC 4954 §4)
    Auth,
}

impl Verb {
    /// Every verb, in RFC order.
    pub const ALL: [Verb; 15] = [
        Verb::Ehlo,
        Verb::Helo,
        Verb::Lhlo,
        Verb::Mail,
        Verb::Rcpt,
        Verb::Data,
        Verb::Bdat,
        Verb::Rset,
        Verb::Vrfy,
        Verb::Expn,
        Verb::Help,
        Verb::Noop,
        Verb::Quit,
        Verb::StartTls,
        Verb::Auth,
    ];

    /// The verb as written on the wire (upper case).
    pub const fn as_str(self) -> &'static str {
        match self {
            Verb::Ehlo => "EHLO",
            Verb::Helo => "HELO",
            Verb::Lhlo => "LHLO",
            Verb::Mail => "MAIL",
            Verb::Rcpt => "RCPT",
            Verb::Data => "DATA",
            Verb::Bdat => "BDAT",
            Verb::Rset => "RSET",
            Verb::Vrfy => "VRFY",
            Verb::Expn => "EXPN",
            Verb::Help => "HELP",
            Verb::Noop => "NOOP",
            Verb::Quit => "QUIT",
            Verb::StartTls => "STARTTLS",
            Verb::Auth => "AUTH",
        }
    }

    /// Recognises a verb, case-insensitively (RFC 5321 §2.4).
    #[inline]
    pub fn from_bytes(word: &[u8]) -> Option<Verb> {
        // Every verb but STARTTLS has four letters: clearing bit 5 of each
        // byte maps `a-z` onto `A-Z` and no other byte onto a letter, so one
        // u32 comparison is a case-insensitive match.
        let &[a, b, c, d] = word else {
            return eq_upper(word, b"STARTTLS").then_some(Verb::StartTls);
        };
        const EHLO: u32 = four("EHLO");
        const HELO: u32 = four("HELO");
        const LHLO: u32 = four("LHLO");
        const MAIL: u32 = four("MAIL");
        const RCPT: u32 = four("RCPT");
        const DATA: u32 = four("DATA");
        const BDAT: u32 = four("BDAT");
        const RSET: u32 = four("RSET");
        const VRFY: u32 = four("VRFY");
        const EXPN: u32 = four("EXPN");
        const HELP: u32 = four("HELP");
        const NOOP: u32 = four("NOOP");
        const QUIT: u32 = four("QUIT");
        const AUTH: u32 = four("AUTH");
        Some(match u32::from_be_bytes([a, b, c, d]) & !0x2020_2020 {
            EHLO => Verb::Ehlo,
            HELO => Verb::Helo,
            LHLO => Verb::Lhlo,
            MAIL => Verb::Mail,
            RCPT => Verb::Rcpt,
            DATA => Verb::Data,
            BDAT => Verb::Bdat,
            RSET => Verb::Rset,
            VRFY => Verb::Vrfy,
            EXPN => Verb::Expn,
            HELP => Verb::Help,
            NOOP => Verb::Noop,
            QUIT => Verb::Quit,
            AUTH => Verb::Auth,
            _ => return None,
        })
    }
}

/// A four-letter upper-case verb as a big-endian u32 (0 for any other length).
const fn four(s: &str) -> u32 {
    match s.as_bytes() {
        &[a, b, c, d] => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// The initial response of `AUTH` (RFC 4954 §4): base64, or `=` for an empty one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum InitialResponse<'a> {
    /// `=`: a zero-length initial response.
    Empty,
    /// The base64 text as sent (not decoded here; the SASL layer decodes it strictly).
    Base64(&'a str),
}

/// One SMTP command (RFC 5321 §4.1.1 and the extensions this crate speaks).
///
/// Parse one framed line (without its CRLF) with [`Command::parse`]; write one
/// with [`Command::write`], which validates every caller-supplied string
/// first (rule D5) and writes nothing when one is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Command<'a> {
    /// `ehlo = "EHLO" SP ( Domain / address-literal ) CRLF`
    Ehlo(Host<'a>),
    /// `helo = "HELO" SP Domain CRLF` (an address literal is accepted too)
    Helo(Host<'a>),
    /// `LHLO` (RFC 2033), the LMTP greeting, with the grammar of EHLO.
    Lhlo(Host<'a>),
    /// `mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF`
    Mail {
        /// The reverse path, `<>` included.
        from: ReversePath<'a>,
        /// The typed parameters.
        params: MailParameters<'a>,
    },
    /// `rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path ) [SP Rcpt-parameters] CRLF`
    Rcpt {
        /// The forward path.
        to: ForwardPath<'a>,
        /// The typed parameters.
        params: RcptParameters<'a>,
    },
    /// `data = "DATA" CRLF`
    Data,
    /// `bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CRLF` (RFC 3030)
    Bdat {
        /// `chunk-size = 1*DIGIT`: octets that follow the command line.
        size: u64,
        /// `end-marker = "LAST"`
        last: bool,
    },
    /// `rset = "RSET" CRLF`
    Rset,
    /// `vrfy = "VRFY" SP String CRLF`
    Vrfy(&'a str),
    /// `expn = "EXPN" SP String CRLF`
    Expn(&'a str),
    /// `help = "HELP" [ SP String ] CRLF`
    Help(Option<&'a str>),
    /// `noop = "NOOP" [ SP String ] CRLF`
    Noop(Option<&'a str>),
    /// `quit = "QUIT" CRLF`
    Quit,
    /// `STARTTLS` CRLF (RFC 3207 §4; no parameters allowed)
    StartTls,
    /// `auth-command = "AUTH" SP sasl-mech [SP initial-response] CRLF` (RFC 4954 §4)
    Auth {
        /// `sasl-mech = 1*20mech-char`, as sent (compare case-insensitively).
        mechanism: &'a str,
        /// The optional initial response.
        initial: Option<InitialResponse<'a>>,
    },
}

/// Why a command line was refused. The peer is at fault; the server answers
/// with the reply [`CommandError::kind`] suggests (see the variants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CommandError {
    /// The verb, when it was recognised.
    pub verb: Option<Verb>,
    /// What was wrong.
    pub kind: CommandErrorKind,
}

/// What was wrong with a command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CommandErrorKind {
    /// Not an SMTP verb: `500 5.5.2` (RFC 5321 §4.2.4).
    Unknown,
    /// A verb SMTP defines that this crate does not implement (`TURN`,
    /// `ETRN`, `ATRN`, `SEND`, `SOML`, `SAML`, `BURL`): `502 5.5.1`.
    NotImplemented,
    /// An HTTP request line or an RFC 5322 header-like line (`Host: x`) in
    /// command state: another protocol is talking to us (rule D15); close.
    CrossProtocol,
    /// Bytes that are not UTF-8 (or not ASCII where ASCII is required):
    /// `500 5.5.2` (Postfix: "bad UTF-8 syntax").
    InvalidUtf8,
    /// Missing, extra or malformed arguments: `501 5.5.4`.
    Syntax,
    /// The path does not parse: `501 5.1.7` (MAIL) / `501 5.1.3` (RCPT), or
    /// `553 5.6.7` for [`AddressError::NonAscii`].
    Address(AddressError),
    /// A MAIL/RCPT parameter does not parse: `501 5.5.4`.
    Parameter(ParamError),
}

impl core::fmt::Display for CommandError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if let Some(v) = self.verb {
            write!(f, "{}: ", v.as_str())?;
        }
        match self.kind {
            CommandErrorKind::Unknown => f.write_str("command not recognized"),
            CommandErrorKind::NotImplemented => f.write_str("command not implemented"),
            CommandErrorKind::CrossProtocol => {
                f.write_str("not an SMTP command (another protocol?)")
            }
            CommandErrorKind::InvalidUtf8 => f.write_str("bad UTF-8 syntax"),
            CommandErrorKind::Syntax => f.write_str("syntax error in arguments"),
            CommandErrorKind::Address(e) => write!(f, "bad address: {e}"),
            CommandErrorKind::Parameter(e) => write!(f, "bad parameter: {e}"),
        }
    }
}

impl core::error::Error for CommandError {}

/// Builds an enhanced status code at compile time.
const fn esc(class: u8, subject: u16, detail: u16) -> EnhancedCode {
    match EnhancedCode::new(class, subject, detail) {
        Some(e) => e,
        None => panic!("invalid enhanced status code"),
    }
}

impl CommandError {
    /// The reply a server sends for this error (RFC 5321 §4.2.4, rule D7),
    /// with its enhanced status code (RFC 3463) and a default text.
    ///
    /// ```
    /// use embedded_smtp::syntax::{Command, ParseOptions};
    /// let e = Command::parse(b"FOO", ParseOptions::STRICT).unwrap_err();
    /// let (code, esc, _) = e.reply();
    /// assert_eq!((code.get(), esc.to_string().as_str()), (500, "5.5.2"));
    /// ```
    pub fn reply(&self) -> (ReplyCode, EnhancedCode, &'static str) {
        let code = |c| ReplyCode::new(c).unwrap_or(ReplyCode::SYNTAX_ERROR);
        match self.kind {
            CommandErrorKind::Unknown => (code(500), esc(5, 5, 2), "Error: command not recognized"),
            CommandErrorKind::NotImplemented => {
                (code(502), esc(5, 5, 1), "Error: command not implemented")
            }
            CommandErrorKind::CrossProtocol => (
                code(421),
                esc(4, 7, 0),
                "Error: this is an SMTP server; closing connection",
            ),
            CommandErrorKind::InvalidUtf8 => (code(500), esc(5, 5, 2), "Error: bad UTF-8 syntax"),
            CommandErrorKind::Syntax => (
                code(501),
                esc(5, 5, 4),
                "Error: syntax error in parameters or arguments",
            ),
            CommandErrorKind::Parameter(_) => {
                (code(501), esc(5, 5, 4), "Error: bad MAIL/RCPT parameter")
            }
            CommandErrorKind::Address(AddressError::NonAscii) => {
                let c = if self.verb == Some(Verb::Mail) {
                    550
                } else {
                    553
                };
                (
                    code(c),
                    esc(5, 6, 7),
                    "Error: non-ASCII address requires SMTPUTF8",
                )
            }
            CommandErrorKind::Address(_) => {
                if self.verb == Some(Verb::Mail) {
                    (code(501), esc(5, 1, 7), "Error: bad sender address syntax")
                } else {
                    (
                        code(501),
                        esc(5, 1, 3),
                        "Error: bad recipient address syntax",
                    )
                }
            }
        }
    }

    /// Whether a server closes the session after the reply: another
    /// protocol is talking (rule D15), or a BDAT line did not parse so the
    /// chunk's length, and with it the framing, is lost (rule D3).
    pub fn closes_session(&self) -> bool {
        self.kind == CommandErrorKind::CrossProtocol || self.verb == Some(Verb::Bdat)
    }
}

/// Verbs RFC 5321 and its predecessors define that this crate refuses with 502.
const NOT_IMPLEMENTED: [&str; 7] = ["TURN", "ETRN", "ATRN", "SEND", "SOML", "SAML", "BURL"];
/// Request methods of HTTP (and CONNECT for proxies): cross-protocol attacks.
const HTTP_METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE",
];

impl<'a> Command<'a> {
    /// Parses one command line, without its CRLF (the framer removed it).
    ///
    /// `opts.mode` selects the strict RFC grammar or the documented lenient
    /// deviations (see [`Mode`](super::Mode)); `opts.utf8` allows UTF-8 in
    /// MAIL/RCPT paths and parameters (the server turns it on when it
    /// advertises SMTPUTF8 and checks the `SMTPUTF8` parameter itself).
    pub fn parse(line: &'a [u8], opts: ParseOptions) -> Result<Command<'a>, CommandError> {
        let err = |verb, kind| CommandError { verb, kind };
        // The verb is ASCII; look at it before demanding UTF-8 of the rest,
        // so that "MAIL FROM:<\xff@b>" is reported as a MAIL error.
        // A verb has at most eight letters: its SP, if any, is among the first
        // nine bytes; a longer first word is no verb.
        let head = line.get(..9).unwrap_or(line);
        let word_end = match line.get(4) {
            // The common case: a four-letter verb, alone or with arguments.
            None if line.len() == 4 => 4,
            Some(b' ') if line.get(..4).is_some_and(|w| !w.contains(&b' ')) => 4,
            _ => match head.iter().position(|&b| b == b' ') {
                Some(sp) => sp,
                None if line.len() <= 9 => line.len(),
                None => return Err(err(None, classify_unknown(line))),
            },
        };
        let word = line.get(..word_end).unwrap_or_default();
        let Some(verb) = Verb::from_bytes(word) else {
            return Err(err(None, classify_unknown(line)));
        };
        // The verb is ASCII, so the line is UTF-8 exactly when the rest is;
        // a command without arguments needs no check at all.
        let rest = line.get(word_end..).unwrap_or_default();
        let rest = if rest.is_empty() {
            ""
        } else {
            core::str::from_utf8(rest)
                .map_err(|_| err(Some(verb), CommandErrorKind::InvalidUtf8))?
        };
        parse_arguments(verb, rest, opts)
    }

    /// The verb of this command.
    pub fn verb(&self) -> Verb {
        match self {
            Command::Ehlo(_) => Verb::Ehlo,
            Command::Helo(_) => Verb::Helo,
            Command::Lhlo(_) => Verb::Lhlo,
            Command::Mail { .. } => Verb::Mail,
            Command::Rcpt { .. } => Verb::Rcpt,
            Command::Data => Verb::Data,
            Command::Bdat { .. } => Verb::Bdat,
            Command::Rset => Verb::Rset,
            Command::Vrfy(_) => Verb::Vrfy,
            Command::Expn(_) => Verb::Expn,
            Command::Help(_) => Verb::Help,
            Command::Noop(_) => Verb::Noop,
            Command::Quit => Verb::Quit,
            Command::StartTls => Verb::StartTls,
            Command::Auth { .. } => Verb::Auth,
        }
    }

    /// Writes the command and its CRLF into `buf`; returns the length.
    ///
    /// Every caller-supplied string is validated by its grammar first (rule
    /// D5): a CR, LF, NUL or other control byte anywhere, an empty VRFY/EXPN
    /// argument, a malformed mechanism or initial response is refused with
    /// [`WriteError::Invalid`] and nothing is written.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        write_with(buf, |w| self.write_to(w))
    }

    pub(crate) fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
        w.put_str(self.verb().as_str());
        match self {
            Command::Ehlo(h) | Command::Helo(h) | Command::Lhlo(h) => {
                w.put_byte(b' ');
                h.write_to(w)?;
            }
            Command::Mail { from, params } => {
                w.put_str(" FROM:");
                from.write_to(w)?;
                params.write_to(w)?;
            }
            Command::Rcpt { to, params } => {
                w.put_str(" TO:");
                to.write_to(w)?;
                params.write_to(w)?;
            }
            Command::Bdat { size, last } => {
                w.put_byte(b' ');
                w.put_decimal(*size);
                if *last {
                    w.put_str(" LAST");
                }
            }
            Command::Vrfy(s) | Command::Expn(s) => {
                check_argument(s)?;
                w.put_byte(b' ');
                w.put_str(s);
            }
            Command::Help(s) | Command::Noop(s) => {
                if let Some(s) = s {
                    check_argument(s)?;
                    w.put_byte(b' ');
                    w.put_str(s);
                }
            }
            Command::Auth { mechanism, initial } => {
                if !is_mechanism(mechanism) {
                    return Err(Invalid::Auth);
                }
                w.put_byte(b' ');
                w.put_str(mechanism);
                match initial {
                    None => {}
                    Some(InitialResponse::Empty) => w.put_str(" ="),
                    Some(InitialResponse::Base64(b)) => {
                        if !is_base64(b) {
                            return Err(Invalid::Auth);
                        }
                        w.put_byte(b' ');
                        w.put_str(b);
                    }
                }
            }
            Command::Data | Command::Rset | Command::Quit | Command::StartTls => {}
        }
        w.put(b"\r\n");
        Ok(())
    }
}

/// An unrecognised first word: a known-but-unimplemented verb, another
/// protocol, or plain junk.
fn classify_unknown(line: &[u8]) -> CommandErrorKind {
    let word_end = memchr::memchr(b' ', line).unwrap_or(line.len());
    let word = &line[..word_end];
    if NOT_IMPLEMENTED
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(word))
    {
        return CommandErrorKind::NotImplemented;
    }
    // "GET / HTTP/1.1": the method in upper case, as HTTP requires.
    if HTTP_METHODS.iter().any(|m| m.as_bytes() == word) {
        return CommandErrorKind::CrossProtocol;
    }
    // An RFC 5322 header field: field-name ":" with no space before the colon.
    if let Some(colon) = memchr::memchr(b':', word)
        && colon > 0
        && word[..colon]
            .iter()
            .all(|&b| (33..=126).contains(&b) && b != b':')
    {
        return CommandErrorKind::CrossProtocol;
    }
    CommandErrorKind::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_fold_case_and_nothing_else() {
        extern crate std;
        for v in Verb::ALL {
            let name = v.as_str();
            assert_eq!(Verb::from_bytes(name.as_bytes()), Some(v));
            let lower = name.to_ascii_lowercase();
            assert_eq!(Verb::from_bytes(lower.as_bytes()), Some(v));
            // Any other byte at any position, including the bit-5 twins of
            // non-letters (`@` and `` ` ``), gives another verb or none.
            for at in 0..name.len() {
                for b in 0..=255u8 {
                    let mut w = name.as_bytes().to_vec();
                    if b.eq_ignore_ascii_case(&w[at]) {
                        continue;
                    }
                    w[at] = b;
                    let other = Verb::ALL
                        .into_iter()
                        .find(|o| o.as_str().as_bytes().eq_ignore_ascii_case(&w));
                    assert_eq!(Verb::from_bytes(&w), other, "{w:?}");
                }
            }
        }
        assert_eq!(Verb::from_bytes(b""), None);
        assert_eq!(Verb::from_bytes(b"STARTTL"), None);
    }

    #[test]
    fn unknown_words_are_classified() {
        assert_eq!(classify_unknown(b"FOO"), CommandErrorKind::Unknown);
        assert_eq!(classify_unknown(b"turn"), CommandErrorKind::NotImplemented);
        assert_eq!(
            classify_unknown(b"GET / HTTP/1.1"),
            CommandErrorKind::CrossProtocol
        );
        assert_eq!(
            classify_unknown(b"Host: example.org"),
            CommandErrorKind::CrossProtocol
        );
        assert_eq!(
            classify_unknown(b"User-Agent: x"),
            CommandErrorKind::CrossProtocol
        );
        assert_eq!(classify_unknown(b": x"), CommandErrorKind::Unknown);
    }
}
