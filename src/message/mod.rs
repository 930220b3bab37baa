//! Composing the message itself: an RFC 5322 / MIME writer that streams
//! into the caller's buffer, allocation-free and resumable at any byte.
//!
//! A [`Message`] is headers over caller storage (borrowed strings and
//! slices), a text body, an optional HTML alternative and any number of
//! [`Attachment`]s whose bytes come from the caller in chunks. A
//! [`MessageWriter`] checks all of it before it writes a byte (rule D5:
//! a CR, LF or NUL in any caller string (or another control character in
//! a header value), an address that is not a mailbox
//! of the crate's own grammar, a bad field name or content type is the
//! caller's error, and nothing is written), then writes it as a stream:
//! a full output buffer stops it, the next call goes on, exactly as the
//! dot-stuffer does (`wire::stuff`). Its size is fixed (one base64 line of
//! an attachment is all it keeps), so peak RAM does not depend on the
//! message: a 10 MB attachment goes out through a 1 KiB transmit buffer.
//! The drivers take a writer as a body through `io::MessageBody`, under
//! DATA or BDAT.
//!
//! What is written:
//!
//! - `Date` from a caller-supplied Unix time and UTC offset ([`Date`]; the
//!   crate reads no clock), `From`, `To`, `Cc` as RFC 5322 `name-addr`
//!   (display names as atoms, quoted, or RFC 2047 encoded-words),
//!   `Subject` and the caller's own fields as unstructured values
//!   (encoded-words when not plain ASCII), folded at 78 columns and never
//!   past 998, `Message-ID` from caller-supplied entropy and domain
//!   ([`MessageId`]), `MIME-Version: 1.0`;
//! - the text as `text/plain; charset=utf-8`, 7bit when it is ASCII,
//!   quoted-printable otherwise, 8bit only when the caller allows it
//!   ([`Message::allow_8bit`]: when the server offers 8BITMIME);
//!   an HTML alternative in `multipart/alternative`; attachments in
//!   `multipart/mixed`, base64 at 76 columns (the `base64` crate), with
//!   their file name (RFC 2231 when not plain ASCII) and content type;
//!   boundaries from the caller's entropy.
//!
//! This layer sits above `syntax` (its mailbox and domain grammar) and
//! beside the engines: nothing below it uses it, and it uses nothing above.
//!
//! ```
//! use embedded_smtp::message::{Address, Attachment, Date, Message, MessageId, MessageWriter};
//!
//! let to = [Address::new("ops@example.net").name("Opérations")];
//! let mut csv: &[u8] = b"t,temp\r\n0,21.5\r\n";
//! let mut files = [Attachment::new("log.csv", "text/csv", &mut csv)];
//! let message = Message::new(
//!     Address::new("sensor@example.org"),
//!     Date::new(1_796_368_884, 0).unwrap(),
//!     MessageId::new([7; 16], "example.org"),
//! )
//! .to(&to)
//! .subject("Température haute")
//! .text("Over 40 °C.\n")
//! .attachments(&mut files);
//! let mut writer = MessageWriter::new(message).unwrap();
//!
//! // Any buffer size: here 16 bytes at a time.
//! let (mut mail, mut buf) = (Vec::new(), [0u8; 16]);
//! while !writer.is_done() {
//!     let n = writer.write(&mut buf).unwrap();
//!     mail.extend_from_slice(&buf[..n]);
//! }
//! let mail = String::from_utf8(mail).unwrap();
//! assert!(mail.starts_with("Date: Fri, 04 Dec 2026 07:21:24 +0000\r\n"));
//! assert!(mail.contains("To: =?utf-8?b?T3DDqXJhdGlvbnM=?= <ops@example.net>\r\n"));
//! assert!(mail.contains("Subject: =?utf-8?b?VGVtcMOpcmF0dXJlIGhhdXRl?=\r\n"));
//! assert!(mail.contains("Content-Disposition: attachment; filename=\"log.csv\"\r\n"));
//! assert!(mail.contains("dCx0ZW1wDQowLDIxLjUNCg==")); // the CSV, base64
//! ```

mod attachment;
mod date;
mod encoded_word;
mod header;
mod mime;
mod qp;
mod sink;
mod writer;

#[cfg(any(feature = "blocking", feature = "async"))]
pub use attachment::FromRead;
pub use attachment::{Attachment, FromFn, MAX_FILE_NAME, Source, SourceError};
pub use date::{Date, MAX_OFFSET_MINUTES};
pub use header::MAX_FIELD_NAME;
pub use mime::{Encoding, MAX_CONTENT_TYPE};
pub use writer::MessageWriter;

use crate::syntax::AddressError;

/// A mailbox with an optional display name: `From`, `To`, `Cc`.
///
/// ```
/// use embedded_smtp::message::Address;
///
/// let a = Address::new("ops@example.net").name("Ops desk");
/// assert_eq!(a.mailbox(), "ops@example.net");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Address<'a> {
    mailbox: &'a str,
    name: Option<&'a str>,
}

impl<'a> Address<'a> {
    /// A bare mailbox (`local@domain`, checked by the writer against
    /// RFC 5321 `Mailbox`).
    pub const fn new(mailbox: &'a str) -> Self {
        Address {
            mailbox,
            name: None,
        }
    }

    /// The same mailbox with a display name (any UTF-8 without CR, LF or
    /// NUL).
    pub const fn name(self, name: &'a str) -> Self {
        Address {
            name: Some(name),
            ..self
        }
    }

    /// The mailbox.
    pub const fn mailbox(&self) -> &'a str {
        self.mailbox
    }

    /// The display name.
    pub const fn display_name(&self) -> Option<&'a str> {
        self.name
    }
}

/// What the `Message-ID` is made of (RFC 5322 §3.6.4): 16 bytes of the
/// caller's entropy (also the boundaries') and the domain on the right.
///
/// ```
/// use embedded_smtp::message::MessageId;
///
/// let id = MessageId::new([0xab; 16], "example.org");
/// assert_eq!(id.domain(), "example.org");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MessageId<'a> {
    entropy: [u8; 16],
    domain: &'a str,
}

impl<'a> MessageId<'a> {
    /// `<hex(entropy)@domain>`; the domain is checked by the writer.
    pub const fn new(entropy: [u8; 16], domain: &'a str) -> Self {
        MessageId { entropy, domain }
    }

    /// The domain.
    pub const fn domain(&self) -> &'a str {
        self.domain
    }
}

/// A message to write: build it, then hand it to [`MessageWriter::new`].
///
/// ```
/// use embedded_smtp::message::{Address, Date, Message, MessageId, MessageWriter};
///
/// let to = [Address::new("b@example.net"), Address::new("c@example.net")];
/// let cc = [Address::new("d@example.net").name("D. Dee")];
/// let headers = [("X-Priority", "1")];
/// let m = Message::new(
///     Address::new("a@example.org"),
///     Date::new(0, 0).unwrap(),
///     MessageId::new([0; 16], "example.org"),
/// )
/// .to(&to)
/// .cc(&cc)
/// .subject("Hi")
/// .headers(&headers)
/// .text("Hello.\n")
/// .html("<p>Hello.</p>");
/// let mut w = MessageWriter::new(m).unwrap();
/// let mut out = [0u8; 2048];
/// let n = w.write(&mut out).unwrap();
/// assert!(w.is_done());
/// let mail = core::str::from_utf8(&out[..n]).unwrap();
/// assert!(mail.contains("\r\nTo: b@example.net, c@example.net\r\n"));
/// assert!(mail.contains("\r\nCc: \"D. Dee\" <d@example.net>\r\n"));
/// assert!(mail.contains("Content-Type: multipart/alternative;"));
/// ```
pub struct Message<'a, 'b> {
    from: Address<'a>,
    to: &'a [Address<'a>],
    cc: &'a [Address<'a>],
    subject: Option<&'a str>,
    date: Date,
    id: MessageId<'a>,
    headers: &'a [(&'a str, &'a str)],
    text: &'a str,
    html: Option<&'a str>,
    attachments: &'b mut [Attachment<'a>],
    allow_8bit: bool,
    utf8: bool,
}

impl<'a, 'b> Message<'a, 'b> {
    /// A message from `from`, dated `date`, identified by `id`, with an
    /// empty text and nothing else.
    pub fn new(from: Address<'a>, date: Date, id: MessageId<'a>) -> Self {
        Message {
            from,
            to: &[],
            cc: &[],
            subject: None,
            date,
            id,
            headers: &[],
            text: "",
            html: None,
            attachments: &mut [],
            allow_8bit: false,
            utf8: false,
        }
    }

    /// The `To` addresses.
    pub fn to(self, to: &'a [Address<'a>]) -> Self {
        Message { to, ..self }
    }

    /// The `Cc` addresses.
    pub fn cc(self, cc: &'a [Address<'a>]) -> Self {
        Message { cc, ..self }
    }

    /// The subject.
    pub fn subject(self, subject: &'a str) -> Self {
        Message {
            subject: Some(subject),
            ..self
        }
    }

    /// More header fields, `(name, value)`, written after the writer's own
    /// as unstructured values. A name is 1 to [`MAX_FIELD_NAME`] printable
    /// ASCII characters without `:`, and not one of the fields the writer
    /// writes (`Date`, `From`, `To`, `Cc`, `Subject`, `Message-ID`,
    /// `MIME-Version`, `Content-*`).
    pub fn headers(self, headers: &'a [(&'a str, &'a str)]) -> Self {
        Message { headers, ..self }
    }

    /// The text (`text/plain`), any UTF-8; its line breaks (CRLF, LF or
    /// CR) are sent as CRLF.
    pub fn text(self, text: &'a str) -> Self {
        Message { text, ..self }
    }

    /// An HTML alternative to the text (`multipart/alternative`).
    pub fn html(self, html: &'a str) -> Self {
        Message {
            html: Some(html),
            ..self
        }
    }

    /// The attachments (`multipart/mixed`).
    pub fn attachments(self, attachments: &'b mut [Attachment<'a>]) -> Self {
        Message {
            attachments,
            ..self
        }
    }

    /// Lets non-ASCII text go as 8bit instead of quoted-printable. Set it
    /// only when the server offers 8BITMIME, and then declare
    /// `BODY=8BITMIME` in the envelope
    /// ([`MessageWriter::needs_8bitmime`]).
    pub fn allow_8bit(self, allow: bool) -> Self {
        Message {
            allow_8bit: allow,
            ..self
        }
    }

    /// Lets addresses be non-ASCII (RFC 6532 headers): only for a message
    /// sent with SMTPUTF8 ([`MessageWriter::needs_smtputf8`]).
    pub fn utf8(self, utf8: bool) -> Self {
        Message { utf8, ..self }
    }
}

/// Which caller value a [`ComposeError`] is about (indexes count from 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Field {
    /// The `From` address or its name.
    From,
    /// A `To` address or its name.
    To(usize),
    /// A `Cc` address or its name.
    Cc(usize),
    /// The subject.
    Subject,
    /// The `Message-ID` domain.
    MessageId,
    /// A caller's header field, its name or its value.
    Header(usize),
    /// An attachment's file name.
    FileName(usize),
    /// An attachment's content type.
    ContentType(usize),
}

/// What is wrong with the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Problem {
    /// A CR, LF or NUL: it could end the field and start another (rule D5).
    LineBreak,
    /// Another ASCII control character (HTAB included).
    Control,
    /// Not a mailbox, or not a domain, by the crate's grammar.
    Address(AddressError),
    /// A non-ASCII address without [`Message::utf8`].
    NonAscii,
    /// A field name that is not 1 to [`MAX_FIELD_NAME`] printable ASCII
    /// characters without `:`.
    FieldName,
    /// A field the writer writes itself.
    Reserved,
    /// Not of the value's syntax (an empty file name, a content type that
    /// is not `type/subtype`).
    Syntax,
    /// Longer than the value's limit.
    TooLong,
}

/// The caller's message cannot be written: nothing was. The caller is at
/// fault.
///
/// ```
/// use embedded_smtp::message::{Address, Date, Field, Message, MessageId, MessageWriter, Problem};
/// use embedded_smtp::syntax::AddressError;
///
/// let to = [Address::new("ok@example.net"), Address::new("not an address")];
/// let m = Message::new(
///     Address::new("a@example.org"),
///     Date::new(0, 0).unwrap(),
///     MessageId::new([0; 16], "example.org"),
/// )
/// .to(&to);
/// let e = MessageWriter::new(m).err().unwrap();
/// assert_eq!(e.field, Field::To(1));
/// assert_eq!(e.problem, Problem::Address(AddressError::Syntax));
/// assert_eq!(e.to_string(), "To #2: address syntax error");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ComposeError {
    /// The value.
    pub field: Field,
    /// What is wrong with it.
    pub problem: Problem,
}

impl core::fmt::Display for ComposeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.field {
            Field::From => f.write_str("From")?,
            Field::To(i) => write!(f, "To #{}", i + 1)?,
            Field::Cc(i) => write!(f, "Cc #{}", i + 1)?,
            Field::Subject => f.write_str("Subject")?,
            Field::MessageId => f.write_str("Message-ID domain")?,
            Field::Header(i) => write!(f, "header field #{}", i + 1)?,
            Field::FileName(i) => write!(f, "file name of attachment #{}", i + 1)?,
            Field::ContentType(i) => write!(f, "content type of attachment #{}", i + 1)?,
        }
        match self.problem {
            Problem::LineBreak => f.write_str(": CR, LF or NUL"),
            Problem::Control => f.write_str(": control character"),
            Problem::Address(e) => write!(f, ": {e}"),
            Problem::NonAscii => f.write_str(": non-ASCII address without SMTPUTF8"),
            Problem::FieldName => f.write_str(": not a field name"),
            Problem::Reserved => f.write_str(": written by the message writer itself"),
            Problem::Syntax => f.write_str(": malformed"),
            Problem::TooLong => f.write_str(": too long"),
        }
    }
}

impl core::error::Error for ComposeError {}
