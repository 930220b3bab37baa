//! MIME structure: transfer encodings, content types, multipart boundaries.
//!
//! RFC 2045 §6.1 (`Content-Transfer-Encoding`), §5.1 (`Content-Type`):
//!
//! ```text
//! content  := "Content-Type" ":" type "/" subtype *(";" parameter)
//! token    := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or tspecials>
//! tspecials :=  "(" / ")" / "<" / ">" / "@" / "," / ";" / ":" / "\" / <">
//!               "/" / "[" / "]" / "?" / "="
//! ```
//!
//! RFC 2046 §5.1.1, multipart bodies:
//!
//! ```text
//! multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF
//!                   body-part *encapsulation close-delimiter ...
//! encapsulation  := delimiter transport-padding CRLF body-part
//! delimiter      := CRLF dash-boundary        ; dash-boundary := "--" boundary
//! close-delimiter := delimiter "--"
//! ```
//!
//! The CRLF before a delimiter belongs to the delimiter, so a part's text
//! is written without a line break of its own at the end. A boundary is
//! `=_`, 32 hex digits from the caller's entropy and a letter per level
//! (`m` mixed, `a` alternative). It can never appear in quoted-printable
//! or base64 output (`=` is followed there by a hex digit, a line break
//! or nothing, and `_` is not base64), and text sent as it is (7bit,
//! 8bit) that holds it is sent quoted-printable instead
//! ([`Encoding::choose`]).

use super::Problem;
use super::qp::fits_plain;
use super::sink::Sink;

/// How a text part's octets travel (RFC 2045 §6.1, RFC 6152).
///
/// ```
/// use embedded_smtp::message::{Address, Date, Encoding, Message, MessageId, MessageWriter};
///
/// let writer = |text: &'static str, allow_8bit: bool| {
///     let m = Message::new(
///         Address::new("a@example.org"),
///         Date::new(0, 0).unwrap(),
///         MessageId::new([0; 16], "example.org"),
///     )
///     .text(text)
///     .allow_8bit(allow_8bit);
///     MessageWriter::new(m).unwrap().text_encoding()
/// };
/// assert_eq!(writer("plain ASCII", false), Encoding::SevenBit);
/// assert_eq!(writer("déjà", false), Encoding::QuotedPrintable);
/// assert_eq!(writer("déjà", true), Encoding::EightBit);
/// assert_eq!(Encoding::QuotedPrintable.as_str(), "quoted-printable");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Encoding {
    /// ASCII text in lines of at most 998 octets, as it is.
    SevenBit,
    /// Quoted-printable (RFC 2045 §6.7).
    QuotedPrintable,
    /// UTF-8 text as it is: only when the caller allows it and the server
    /// offers 8BITMIME (the envelope then says `BODY=8BITMIME`).
    EightBit,
}

impl Encoding {
    /// The encoding of a text: 7bit when it is ASCII, 8bit when it is not
    /// and `allow_8bit`, quoted-printable otherwise — and whenever a line
    /// is over 998 octets, the text holds a NUL, or it holds `marker` (the
    /// boundaries' common part).
    pub(super) fn choose(text: &str, allow_8bit: bool, marker: &[u8]) -> Encoding {
        let b = text.as_bytes();
        if !fits_plain(b) || contains(b, marker) {
            Encoding::QuotedPrintable
        } else if b.is_ascii() {
            Encoding::SevenBit
        } else if allow_8bit {
            Encoding::EightBit
        } else {
            Encoding::QuotedPrintable
        }
    }

    /// The value of `Content-Transfer-Encoding`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Encoding::SevenBit => "7bit",
            Encoding::QuotedPrintable => "quoted-printable",
            Encoding::EightBit => "8bit",
        }
    }
}

/// Whether `needle` (not empty) occurs in `hay`: each `needle[0]` found by
/// `memchr`, then compared. Linear for a marker whose first byte (`=`) is
/// rare; `memmem` would cost a kilobyte and a half of flash more.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let mut at = 0;
    while let Some(i) = memchr::memchr(needle[0], &hay[at..]) {
        if hay[at + i..].starts_with(needle) {
            return true;
        }
        at += i + 1;
    }
    false
}

/// Which multipart a boundary delimits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) enum Level {
    /// `multipart/mixed`: the text (or the alternative) and the attachments.
    Mixed,
    /// `multipart/alternative`: the text and the HTML.
    Alternative,
}

/// The boundaries' common part: `=_` and 32 hex digits.
pub(super) fn marker(entropy: &[u8; 16]) -> [u8; 34] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut m = [0u8; 34];
    m[0] = b'=';
    m[1] = b'_';
    for (i, b) in entropy.iter().enumerate() {
        m[2 + 2 * i] = HEX[usize::from(b >> 4)];
        m[3 + 2 * i] = HEX[usize::from(b & 15)];
    }
    m
}

/// A boundary (RFC 2046 §5.1.1: 1 to 70 characters).
pub(super) fn boundary(entropy: &[u8; 16], level: Level) -> [u8; 35] {
    let mut b = [0u8; 35];
    b[..34].copy_from_slice(&marker(entropy));
    b[34] = match level {
        Level::Mixed => b'm',
        Level::Alternative => b'a',
    };
    b
}

/// `Content-Type: multipart/…; boundary="…"` CRLF (the value is quoted:
/// `=` is a tspecial).
pub(super) fn multipart_type(sink: &mut Sink<'_>, entropy: &[u8; 16], level: Level) {
    sink.put(match level {
        Level::Mixed => b"Content-Type: multipart/mixed;\r\n boundary=\"".as_slice(),
        Level::Alternative => b"Content-Type: multipart/alternative;\r\n boundary=\"",
    });
    sink.put(&boundary(entropy, level));
    sink.put(b"\"\r\n");
}

/// A delimiter line: `--boundary` CRLF, after a CRLF unless it is the
/// first of its multipart.
pub(super) fn delimiter(sink: &mut Sink<'_>, entropy: &[u8; 16], level: Level, first: bool) {
    if !first {
        sink.crlf();
    }
    sink.put(b"--");
    sink.put(&boundary(entropy, level));
    sink.crlf();
}

/// The close delimiter: CRLF `--boundary--` (the line break after it is
/// the next delimiter's, or the message's last).
pub(super) fn close_delimiter(sink: &mut Sink<'_>, entropy: &[u8; 16], level: Level) {
    sink.put(b"\r\n--");
    sink.put(&boundary(entropy, level));
    sink.put(b"--");
}

/// The headers of a text part (or of a message that is only text):
/// `Content-Type: text/…; charset=utf-8` and its transfer encoding.
pub(super) fn text_type(sink: &mut Sink<'_>, html: bool, encoding: Encoding) {
    sink.put(if html {
        b"Content-Type: text/html; charset=utf-8\r\n".as_slice()
    } else {
        b"Content-Type: text/plain; charset=utf-8\r\n"
    });
    sink.put(b"Content-Transfer-Encoding: ");
    sink.put(encoding.as_str().as_bytes());
    sink.crlf();
}

/// The longest `type/subtype` accepted (RFC 6838 §4.2: 127 each).
pub const MAX_CONTENT_TYPE: usize = 255;

/// RFC 2045 §5.1 `token`.
pub(super) fn is_token(c: u8) -> bool {
    matches!(c, 33..=126) && !b"()<>@,;:\\\"/[]?=".contains(&c)
}

/// A caller's content type: `type "/" subtype`, two tokens, no parameters.
pub(super) fn check_content_type(ct: &str) -> Result<(), Problem> {
    super::header::check_text(ct)?;
    if ct.len() > MAX_CONTENT_TYPE {
        return Err(Problem::TooLong);
    }
    match ct.split_once('/') {
        Some((t, s))
            if !t.is_empty()
                && !s.is_empty()
                && t.bytes().all(is_token)
                && s.bytes().all(is_token) =>
        {
            Ok(())
        }
        _ => Err(Problem::Syntax),
    }
}
