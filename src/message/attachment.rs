//! Attachments: where their bytes come from, and their file names.
//!
//! The bytes come from the caller in chunks, as the writer needs them (a
//! base64 line, 57 octets, at a time), through a [`Source`]: a slice, an
//! `embedded_io::Read` ([`FromRead`]), or a callback that fills a slice
//! ([`FromFn`]). Nothing of an attachment is kept but that one line, so an
//! attachment of any size goes through a writer of fixed size.
//!
//! The file name goes into `Content-Disposition` (RFC 2183) as a
//! quoted-string when it is short printable ASCII, otherwise by RFC 2231
//! (§4: `filename*=utf-8''%E2%82%AC.csv`, percent-encoded UTF-8; §3: in
//! numbered sections `filename*0*=`, `filename*1*=` … when that would pass
//! column 78, each section cut between characters).
//!
//! ```text
//! extended-initial-value := [charset] "'" [language] "'" extended-other-values
//! attribute-char := <any (US-ASCII) CHAR except SPACE, CTLs, "*", "'", "%", or tspecials>
//! ```

use super::Problem;
use super::encoded_word::is_plain;
use super::header::{Folder, LINE, check_text};
use super::mime::is_token;
use super::sink::Sink;

/// The attachment's source failed; the message cannot be completed (the
/// caller closes the connection: content cannot be withdrawn in band).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SourceError;

impl core::fmt::Display for SourceError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("an attachment's source failed")
    }
}

impl core::error::Error for SourceError {}

/// Where an attachment's bytes come from: like `embedded_io::Read`, `read`
/// fills the start of `buf` and says how many bytes it wrote, 0 at the end.
/// A slice is a source; so are [`FromFn`] and `FromRead`.
///
/// ```
/// use embedded_smtp::message::{Source, SourceError};
///
/// /// A flash region read 32 bytes at a time.
/// struct Flash<'a> { image: &'a [u8], at: usize }
///
/// impl Source for Flash<'_> {
///     fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError> {
///         let n = buf.len().min(32).min(self.image.len() - self.at);
///         buf[..n].copy_from_slice(&self.image[self.at..self.at + n]);
///         self.at += n;
///         Ok(n)
///     }
/// }
///
/// let mut flash = Flash { image: &[7; 40], at: 0 };
/// let mut buf = [0u8; 57];
/// assert_eq!(flash.read(&mut buf), Ok(32));
/// assert_eq!(flash.read(&mut buf), Ok(8));
/// assert_eq!(flash.read(&mut buf), Ok(0));
/// ```
pub trait Source {
    /// Fills `buf` with the next bytes; returns how many, 0 at the end.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError>;
}

impl Source for &[u8] {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError> {
        let n = buf.len().min(self.len());
        buf[..n].copy_from_slice(&self[..n]);
        *self = &self[n..];
        Ok(n)
    }
}

/// A callback as a [`Source`]: it fills the slice it is given and returns
/// how many bytes it wrote, 0 at the end.
///
/// ```
/// use embedded_smtp::message::{FromFn, Source};
///
/// let mut left = 5u8;
/// let mut counter = FromFn(|buf: &mut [u8]| {
///     let n = buf.len().min(usize::from(left));
///     buf[..n].fill(b'x');
///     left -= n as u8;
///     Ok(n)
/// });
/// let mut buf = [0u8; 8];
/// assert_eq!(counter.read(&mut buf), Ok(5));
/// assert_eq!(counter.read(&mut buf), Ok(0));
/// ```
pub struct FromFn<F>(pub F);

impl<F: FnMut(&mut [u8]) -> Result<usize, SourceError>> Source for FromFn<F> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError> {
        (self.0)(buf)
    }
}

/// An `embedded_io::Read` (a file, a flash region, a socket) as a
/// [`Source`]; its errors become [`SourceError`].
#[cfg(any(feature = "blocking", feature = "async"))]
pub struct FromRead<R>(pub R);

#[cfg(any(feature = "blocking", feature = "async"))]
impl<R: embedded_io::Read> Source for FromRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError> {
        self.0.read(buf).map_err(|_| SourceError)
    }
}

/// The longest file name accepted, in octets.
pub const MAX_FILE_NAME: usize = 255;

/// One attachment: a file name, a content type (`type/subtype`), and the
/// source of its bytes, sent base64 (RFC 2045 §6.8).
///
/// ```
/// use embedded_smtp::message::Attachment;
///
/// let mut csv: &[u8] = b"t,temp\n0,21.5\n";
/// let a = Attachment::new("log.csv", "text/csv", &mut csv);
/// assert_eq!(a.file_name(), "log.csv");
/// ```
pub struct Attachment<'a> {
    file_name: &'a str,
    content_type: &'a str,
    pub(super) source: &'a mut dyn Source,
}

impl<'a> Attachment<'a> {
    /// An attachment named `file_name`, of `content_type`, read from
    /// `source`. Both strings are checked by the writer
    /// ([`MessageWriter::new`](super::MessageWriter::new)).
    pub fn new(file_name: &'a str, content_type: &'a str, source: &'a mut dyn Source) -> Self {
        Attachment {
            file_name,
            content_type,
            source,
        }
    }

    /// The file name.
    pub fn file_name(&self) -> &'a str {
        self.file_name
    }

    /// The content type.
    pub fn content_type(&self) -> &'a str {
        self.content_type
    }
}

/// A caller's file name: 1 to [`MAX_FILE_NAME`] octets, no CR, LF or NUL.
pub(super) fn check_file_name(name: &str) -> Result<(), Problem> {
    check_text(name)?;
    if name.is_empty() {
        return Err(Problem::Syntax);
    }
    if name.len() > MAX_FILE_NAME {
        return Err(Problem::TooLong);
    }
    Ok(())
}

/// The headers of an attachment part, the blank line included.
pub(super) fn part_headers(sink: &mut Sink<'_>, a: &Attachment<'_>) {
    sink.put(b"Content-Type: ");
    sink.put(a.content_type.as_bytes());
    sink.put(b"\r\nContent-Transfer-Encoding: base64\r\n");
    let mut f = Folder::field(sink, b"Content-Disposition");
    f.word(&[b"attachment;"]);
    file_name(&mut f, a.file_name);
    f.end();
    sink.crlf();
}

/// RFC 2231 `attribute-char`: written as it is in an extended value.
fn is_attribute_char(c: u8) -> bool {
    is_token(c) && c != b'*' && c != b'\'' && c != b'%'
}

/// The octets an extended value takes for `s`.
fn extended_len(s: &str) -> usize {
    s.bytes()
        .map(|c| if is_attribute_char(c) { 1 } else { 3 })
        .sum()
}

/// Writes `s` percent-encoded (RFC 2231 §4).
fn put_extended(sink: &mut Sink<'_>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for c in s.bytes() {
        if is_attribute_char(c) {
            sink.put(&[c]);
        } else {
            sink.put(&[b'%', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
        }
    }
}

/// The most a section's value may take, so that `filename*NN*=` and `;`
/// fit a folded line with it.
const SECTION: usize = LINE - 20;

/// The `filename` parameter: quoted, or extended in one or more sections.
fn file_name(f: &mut Folder<'_, '_>, name: &str) {
    const QUOTED: &[u8] = b"filename=\"";
    let b = name.as_bytes();
    if is_plain(name, SECTION) {
        let escapes = b.iter().filter(|&&c| c == b'"' || c == b'\\').count();
        let len = QUOTED.len() + b.len() + escapes + 1;
        if len < LINE {
            let sink = f.space_for(len);
            sink.put(QUOTED);
            for c in b {
                if *c == b'"' || *c == b'\\' {
                    sink.put(b"\\");
                }
                sink.put(core::slice::from_ref(c));
            }
            sink.put(b"\"");
            return;
        }
    }
    const CHARSET: &[u8] = b"utf-8''";
    if extended_len(name) + CHARSET.len() <= SECTION {
        let sink = f.space_for(b"filename*=".len() + CHARSET.len() + extended_len(name));
        sink.put(b"filename*=");
        sink.put(CHARSET);
        put_extended(sink, name);
        return;
    }
    let mut rest = name;
    let mut n = 0u32;
    while !rest.is_empty() {
        // The longest run of characters whose encoding fits a section.
        let room = if n == 0 {
            SECTION - CHARSET.len()
        } else {
            SECTION
        };
        let mut cut = 0;
        let mut used = 0;
        for (i, ch) in rest.char_indices() {
            let end = i + ch.len_utf8();
            let w = extended_len(&rest[i..end]);
            if used + w > room {
                break;
            }
            used += w;
            cut = end;
        }
        let (piece, tail) = rest.split_at(cut);
        rest = tail;
        let mut digits = [0u8; 10];
        let d = decimal(n, &mut digits);
        let charset: &[u8] = if n == 0 { CHARSET } else { b"" };
        let semi: &[u8] = if rest.is_empty() { b"" } else { b";" };
        let len = 9 + d.len() + 2 + charset.len() + used + semi.len();
        let sink = f.space_for(len);
        sink.put(b"filename*");
        sink.put(d);
        sink.put(b"*=");
        sink.put(charset);
        put_extended(sink, piece);
        sink.put(semi);
        n += 1;
    }
}

/// `n` in decimal.
fn decimal(mut n: u32, out: &mut [u8; 10]) -> &[u8] {
    let mut i = out.len();
    loop {
        i -= 1;
        out[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &out[i..];
        }
    }
}
