//! The output side shared by every writer: a cursor over a caller buffer that
//! never writes past its end, and the error a writer returns.
//!
//! Every public writer in this crate has the shape
//! `fn write(&self, buf: &mut [u8]) -> Result<usize, WriteError>`: on `Ok(n)`
//! the first `n` bytes of `buf` hold the element; on `Err` nothing counts as
//! written (bytes of `buf` may have been scribbled on, but the caller commits
//! none of them).

/// Why a writer refused. Nothing was written.
///
/// ```
/// use embedded_smtp::syntax::{Command, WriteError};
/// let mut small = [0u8; 4];
/// assert_eq!(Command::Quit.write(&mut small), Err(WriteError::BufferTooSmall { needed: 6 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum WriteError {
    /// The caller's value would break the wire grammar (rule D5): the caller is at fault.
    Invalid(Invalid),
    /// The output buffer is too small; `needed` bytes in all are required.
    BufferTooSmall {
        /// How many bytes the whole element needs.
        needed: usize,
    },
}

/// What was wrong with a caller-supplied value (rule D5). Nothing was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Invalid {
    /// CR, LF, NUL or another control byte where text goes on the wire.
    ControlByte,
    /// An address, local part or path outside the RFC 5321 grammar
    /// (for example `<`, `>` or an unquoted space).
    Address,
    /// A domain or address literal outside the RFC 5321 grammar.
    Domain,
    /// A MAIL/RCPT parameter keyword or value outside its grammar.
    Parameter,
    /// An AUTH mechanism name or response outside its grammar.
    Auth,
    /// A reply code outside 200–599 with a second digit 0–5, or an enhanced
    /// status code whose class does not match it.
    ReplyCode,
    /// An argument that must not be empty was empty, or a value out of range.
    Argument,
    /// An element longer than the RFC allows.
    TooLong,
    /// A parameter of an extension this build leaves out: RET, ENVID,
    /// NOTIFY or ORCPT without the `dsn` feature, SMTPUTF8 without
    /// `smtputf8`.
    NotBuilt,
}

impl core::fmt::Display for WriteError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            WriteError::Invalid(i) => write!(f, "invalid argument: {i}"),
            WriteError::BufferTooSmall { needed } => {
                write!(f, "output buffer too small: {needed} bytes needed")
            }
        }
    }
}

impl core::fmt::Display for Invalid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Invalid::ControlByte => "CR, LF, NUL or another control byte in text",
            Invalid::Address => "address outside the RFC 5321 grammar",
            Invalid::Domain => "domain or address literal outside the RFC 5321 grammar",
            Invalid::Parameter => "MAIL/RCPT parameter outside its grammar",
            Invalid::Auth => "AUTH mechanism or response outside its grammar",
            Invalid::ReplyCode => "reply code or enhanced status code out of range",
            Invalid::NotBuilt => "parameter of an extension not built (Cargo feature off)",
            Invalid::Argument => "empty or out-of-range argument",
            Invalid::TooLong => "element longer than the RFC allows",
        })
    }
}

impl core::error::Error for WriteError {}
impl core::error::Error for Invalid {}

impl From<Invalid> for WriteError {
    fn from(i: Invalid) -> Self {
        WriteError::Invalid(i)
    }
}

/// A cursor over a caller buffer. It writes what fits and keeps counting past
/// the end, so that [`Writer::finish`] can say how many bytes were needed.
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
    /// When digesting: the FNV-1a hash of every byte appended so far.
    digest: Option<u64>,
}

/// FNV-1a (64-bit) offset basis and prime.
const FNV_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl<'b> Writer<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Writer {
            buf,
            pos: 0,
            digest: None,
        }
    }

    /// Appends `bytes` (what fits of them; the count always advances).
    /// Never inlined: every writer calls it many times, and one copy of its
    /// bounds logic is smaller than one per call on a microcontroller.
    #[inline(never)]
    pub(crate) fn put(&mut self, bytes: &[u8]) {
        if let Some(h) = &mut self.digest {
            for &b in bytes {
                *h = (*h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
            }
        }
        let end = self.pos.saturating_add(bytes.len());
        if end <= self.buf.len() {
            self.buf[self.pos..end].copy_from_slice(bytes);
        } else if self.pos < self.buf.len() {
            let room = self.buf.len() - self.pos;
            self.buf[self.pos..].copy_from_slice(&bytes[..room]);
        }
        self.pos = end;
    }

    pub(crate) fn put_str(&mut self, s: &str) {
        self.put(s.as_bytes());
    }

    pub(crate) fn put_byte(&mut self, b: u8) {
        self.put(&[b]);
    }

    /// Appends `n` in decimal.
    pub(crate) fn put_decimal(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.put(&digits[i..]);
    }

    /// Bytes appended so far (may exceed the buffer).
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// `Ok(len)` when everything fitted.
    pub(crate) fn finish(self) -> Result<usize, WriteError> {
        if self.pos <= self.buf.len() {
            Ok(self.pos)
        } else {
            Err(WriteError::BufferTooSmall { needed: self.pos })
        }
    }
}

/// Runs `f` against a fresh [`Writer`] over `buf` and finishes it.
pub(crate) fn write_with(
    buf: &mut [u8],
    f: impl FnOnce(&mut Writer<'_>) -> Result<(), Invalid>,
) -> Result<usize, WriteError> {
    let mut w = Writer::new(buf);
    f(&mut w)?;
    w.finish()
}

/// Runs the writers in `f` without writing anything and folds every byte
/// they would write into `digest` (FNV-1a, 64-bit): two sequences of
/// elements get the same digest only if they write the same bytes (or, with
/// odds of about 2^-64, by chance).
pub(crate) fn digest_with(
    digest: u64,
    f: impl FnOnce(&mut Writer<'_>) -> Result<(), Invalid>,
) -> Result<u64, Invalid> {
    let mut w = Writer {
        buf: &mut [],
        pos: 0,
        digest: Some(digest),
    };
    f(&mut w)?;
    Ok(w.digest.unwrap_or(digest))
}

/// The digest of nothing, to start [`digest_with`] from.
pub(crate) const DIGEST_START: u64 = FNV_BASIS;

/// Refuses CR, LF, NUL, DEL and every other control byte (rule D5). Bytes
/// from 0x80 up (UTF-8) pass; callers that need ASCII check it themselves.
pub(crate) fn check_text(bytes: &[u8]) -> Result<(), Invalid> {
    if bytes.iter().any(|&b| b < 0x20 || b == 0x7f) {
        Err(Invalid::ControlByte)
    } else {
        Ok(())
    }
}

/// Lets `core::fmt` output go into a [`Writer`].
pub(crate) struct FmtSink<'w, 'b>(pub(crate) &'w mut Writer<'b>);

impl core::fmt::Write for FmtSink<'_, '_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.put_str(s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_counts_past_the_end_and_reports_needed() {
        let mut buf = [0u8; 4];
        let r = write_with(&mut buf, |w| {
            w.put(b"abc");
            w.put(b"def");
            Ok(())
        });
        assert_eq!(r, Err(WriteError::BufferTooSmall { needed: 6 }));
    }

    #[test]
    fn digest_sees_every_byte_in_order() {
        let d = |parts: &[&[u8]]| {
            digest_with(DIGEST_START, |w| {
                for p in parts {
                    w.put(p);
                }
                Ok(())
            })
            .unwrap()
        };
        assert_eq!(d(&[b"ab", b"c"]), d(&[b"a", b"bc"]));
        assert_ne!(d(&[b"abc"]), d(&[b"acb"]));
        assert_ne!(d(&[b"abc"]), d(&[b"abd"]));
        assert_ne!(d(&[b""]), d(&[b"\0"]));
    }

    #[test]
    fn decimal() {
        let mut buf = [0u8; 32];
        for (n, s) in [
            (0u64, "0"),
            (7, "7"),
            (10, "10"),
            (u64::MAX, "18446744073709551615"),
        ] {
            let len = write_with(&mut buf, |w| {
                w.put_decimal(n);
                Ok(())
            })
            .unwrap();
            assert_eq!(&buf[..len], s.as_bytes());
        }
    }

    #[test]
    fn text_check_refuses_every_control_byte() {
        for b in (0u8..0x20).chain([0x7f]) {
            assert_eq!(
                check_text(&[b'a', b, b'b']),
                Err(Invalid::ControlByte),
                "{b:#x}"
            );
        }
        assert_eq!(check_text("ok ü".as_bytes()), Ok(()));
    }
}
