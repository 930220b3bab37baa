//! xtext (RFC 3461 §4): the encoding that carries arbitrary octets in the
//! `ENVID`, `ORCPT` and `AUTH=` parameter values.
//!
//! ```text
//! xtext   = *( xchar / hexchar )
//! xchar   = any ASCII CHAR between "!" (33) and "~" (126) inclusive,
//!           except for "+" and "="
//! hexchar = ASCII "+" immediately followed by two upper case
//!           hexadecimal digits
//! ```

// The nom grammar is the oracle the hand-written `is_xtext` is tested against.
#[cfg(test)]
use nom::{
    Parser,
    branch::alt,
    bytes::complete::take_while_m_n,
    character::complete::{char, satisfy},
    combinator::{all_consuming, map, verify},
    multi::many0_count,
    sequence::preceded,
};

use super::ParamError;
use crate::syntax::{Invalid, WriteError, Writer, write_with};

/// An xtext value (RFC 3461 §4): either the encoded form read off the wire,
/// or plain bytes given by a client, which are encoded when written.
///
/// Equality compares the *decoded* bytes, so the same value in either form
/// compares equal. A value never decodes to a control byte (below 0x20, or
/// 0x7F): both constructors refuse one (rule D5).
///
/// ```
/// use embedded_smtp::syntax::params::xtext::XText;
/// let wire = XText::from_encoded("e+3Dmc2@example.com").unwrap();
/// let plain = XText::from_plain(b"e=mc2@example.com").unwrap();
/// assert_eq!(wire, plain);
/// assert!(wire.decode().eq(b"e=mc2@example.com".iter().copied()));
///
/// let mut buf = [0u8; 32];
/// let n = XText::from_plain(b"a b=c+d").unwrap().write(&mut buf).unwrap();
/// assert_eq!(&buf[..n], b"a+20b+3Dc+2Bd");
/// ```
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct XText<'a> {
    repr: Repr<'a>,
}

#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Repr<'a> {
    /// Validated wire form.
    Encoded(&'a str),
    /// Control-free plain bytes, encoded on write.
    Plain(&'a [u8]),
}

fn is_xchar(c: char) -> bool {
    matches!(c, '!'..='~') && c != '+' && c != '='
}

fn is_upper_hex(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, 'A'..='F')
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'A'..=b'F' => b - b'A' + 10,
        b'a'..=b'f' => b - b'a' + 10,
        _ => 0,
    }
}

fn is_control(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

/// `hexchar`, decoded, refusing a control byte.
#[cfg(test)]
fn hexchar(input: &str) -> nom::IResult<&str, u8> {
    verify(
        map(
            preceded(char('+'), take_while_m_n(2, 2, is_upper_hex)),
            |h: &str| {
                let b = h.as_bytes();
                (hex_value(b.first().copied().unwrap_or(b'0')) << 4)
                    | hex_value(b.get(1).copied().unwrap_or(b'0'))
            },
        ),
        |b: &u8| !is_control(*b),
    )
    .parse(input)
}

/// Whether `s` is `xtext` as a whole, hexchars decoding to a control byte
/// refused: the grammar of `xtext` (the nom oracle) in one byte loop (it runs on every
/// `ENVID=`, `ORCPT=` and `AUTH=`; `tests::fast_xtext_agrees` checks the two).
fn is_xtext(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'+' {
            let hex = |k: usize| {
                b.get(i + k)
                    .copied()
                    .filter(|&h| is_upper_hex(char::from(h)))
            };
            let (Some(hi), Some(lo)) = (hex(1), hex(2)) else {
                return false;
            };
            if is_control((hex_value(hi) << 4) | hex_value(lo)) {
                return false;
            }
            i += 3;
        } else if is_xchar(char::from(c)) && c.is_ascii() {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// `xtext` as a whole, refusing hexchars that decode to a control byte.
#[cfg(test)]
fn xtext(input: &str) -> nom::IResult<&str, usize> {
    all_consuming(many0_count(alt((map(satisfy(is_xchar), |_| 0u8), hexchar)))).parse(input)
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Whether a plain byte is written as a `+XX` hexchar.
fn needs_hex(b: u8) -> bool {
    !(0x21..=0x7e).contains(&b) || b == b'+' || b == b'='
}

impl<'a> XText<'a> {
    /// Takes an encoded value as it appears on the wire, checking the xtext
    /// grammar (upper-case hex only) and refusing a hexchar that decodes to a
    /// control byte (`x+0Ay`), as Exim's CVE-2020-28021 teaches.
    ///
    /// ```
    /// use embedded_smtp::{syntax::params::ParamError, syntax::params::xtext::XText};
    /// assert!(XText::from_encoded("a+2Bb").is_ok());
    /// assert_eq!(XText::from_encoded("x+0Ay"), Err(ParamError::InvalidValue));
    /// assert_eq!(XText::from_encoded("a+2bb"), Err(ParamError::InvalidValue));
    /// assert_eq!(XText::from_encoded("a=b"), Err(ParamError::InvalidValue));
    /// ```
    pub fn from_encoded(s: &'a str) -> Result<XText<'a>, ParamError> {
        if is_xtext(s) {
            Ok(XText {
                repr: Repr::Encoded(s),
            })
        } else {
            Err(ParamError::InvalidValue)
        }
    }

    /// Takes plain bytes to be encoded on write. Control bytes (CR, LF, NUL,
    /// DEL, …) are refused; bytes from 0x80 up are allowed and written as `+XX`.
    ///
    /// ```
    /// use embedded_smtp::{syntax::params::xtext::XText, syntax::Invalid};
    /// assert_eq!(XText::from_plain(b"a\r\nb"), Err(Invalid::ControlByte));
    /// assert_eq!(XText::from_plain("ü".as_bytes()).unwrap().encoded_len(), 6);
    /// ```
    pub fn from_plain(bytes: &'a [u8]) -> Result<XText<'a>, Invalid> {
        if bytes.iter().any(|&b| is_control(b)) {
            return Err(Invalid::ControlByte);
        }
        Ok(XText {
            repr: Repr::Plain(bytes),
        })
    }

    /// The decoded bytes, one by one.
    pub fn decode(&self) -> XTextBytes<'a> {
        match self.repr {
            Repr::Encoded(s) => XTextBytes {
                bytes: s.as_bytes(),
                encoded: true,
            },
            Repr::Plain(b) => XTextBytes {
                bytes: b,
                encoded: false,
            },
        }
    }

    /// Decodes into `out` and returns the filled part, or
    /// [`WriteError::BufferTooSmall`] (with [`XText::decoded_len`]) when it does not fit.
    pub fn decode_into<'b>(&self, out: &'b mut [u8]) -> Result<&'b [u8], WriteError> {
        let needed = self.decoded_len();
        let Some(dst) = out.get_mut(..needed) else {
            return Err(WriteError::BufferTooSmall { needed });
        };
        for (slot, b) in dst.iter_mut().zip(self.decode()) {
            *slot = b;
        }
        Ok(dst)
    }

    /// How many bytes [`XText::decode`] yields.
    pub fn decoded_len(&self) -> usize {
        match self.repr {
            Repr::Encoded(s) => {
                let plus = s.bytes().filter(|&b| b == b'+').count();
                s.len().saturating_sub(2 * plus)
            }
            Repr::Plain(b) => b.len(),
        }
    }

    /// How many bytes the encoded (wire) form takes.
    pub fn encoded_len(&self) -> usize {
        match self.repr {
            Repr::Encoded(s) => s.len(),
            Repr::Plain(b) => b.iter().map(|&c| if needs_hex(c) { 3 } else { 1 }).sum(),
        }
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        match self.repr {
            Repr::Encoded(s) => s.is_empty(),
            Repr::Plain(b) => b.is_empty(),
        }
    }

    /// Whether the encoded form is exactly `s` (ASCII).
    pub(crate) fn encodes_as(&self, s: &str) -> bool {
        match self.repr {
            Repr::Encoded(e) => e == s,
            Repr::Plain(b) => b == s.as_bytes() && !b.iter().any(|&c| needs_hex(c)),
        }
    }

    /// Writes the encoded form.
    ///
    /// ```
    /// use embedded_smtp::syntax::params::xtext::XText;
    /// let mut buf = [0u8; 16];
    /// let n = XText::from_plain(b"x=1").unwrap().write(&mut buf).unwrap();
    /// assert_eq!(&buf[..n], b"x+3D1");
    /// ```
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        write_with(buf, |w| self.write_to(w))
    }

    /// Appends the encoded form: xchars as they are; `+`, `=`, SP and bytes
    /// from 0x7F up as `+XX` with upper-case hex.
    pub(crate) fn write_to(&self, w: &mut Writer<'_>) -> Result<(), Invalid> {
        match self.repr {
            Repr::Encoded(s) => w.put_str(s),
            Repr::Plain(bytes) => {
                // Checked at construction; checked again as the repr is the only guard.
                if bytes.iter().any(|&b| is_control(b)) {
                    return Err(Invalid::ControlByte);
                }
                let mut rest = bytes;
                while !rest.is_empty() {
                    let run = rest
                        .iter()
                        .position(|&b| needs_hex(b))
                        .unwrap_or(rest.len());
                    let (plain, tail) = rest.split_at(run);
                    w.put(plain);
                    if let Some((&b, after)) = tail.split_first() {
                        w.put(&[b'+', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0x0f)]]);
                        rest = after;
                    } else {
                        rest = tail;
                    }
                }
            }
        }
        Ok(())
    }
}

impl PartialEq for XText<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.decoded_len() == other.decoded_len() && self.decode().eq(other.decode())
    }
}

impl Eq for XText<'_> {}

/// Iterator over the decoded bytes of an [`XText`] (see [`XText::decode`]).
///
/// ```
/// use embedded_smtp::syntax::params::xtext::XText;
/// let v = XText::from_encoded("a+2Bb").unwrap();
/// let mut it = v.decode();
/// assert_eq!((it.next(), it.next(), it.next(), it.next()), (Some(b'a'), Some(b'+'), Some(b'b'), None));
/// ```
#[derive(Clone, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct XTextBytes<'a> {
    bytes: &'a [u8],
    encoded: bool,
}

impl Iterator for XTextBytes<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        let (&first, rest) = self.bytes.split_first()?;
        if self.encoded && first == b'+' {
            // Validated at construction: two hex digits follow.
            let hi = rest.first().copied().unwrap_or(b'0');
            let lo = rest.get(1).copied().unwrap_or(b'0');
            self.bytes = rest.get(2..).unwrap_or(&[]);
            Some((hex_value(hi) << 4) | hex_value(lo))
        } else {
            self.bytes = rest;
            Some(first)
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.encoded {
            (self.bytes.len().div_ceil(3), Some(self.bytes.len()))
        } else {
            (self.bytes.len(), Some(self.bytes.len()))
        }
    }
}

impl core::iter::FusedIterator for XTextBytes<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        for ok in ["", "abc", "a+2Bb", "+7E", "~!", "+80+FF"] {
            assert!(XText::from_encoded(ok).is_ok(), "{ok}");
        }
        for bad in [
            "a b", "a=b", "a+", "a+2", "a+2b", "a+G0", "+0A", "+7F", "+1F", "é",
        ] {
            assert_eq!(
                XText::from_encoded(bad),
                Err(ParamError::InvalidValue),
                "{bad}"
            );
        }
    }

    #[test]
    fn fast_xtext_agrees() {
        use proptest::prelude::*;
        let pieces = proptest::sample::select(
            &[
                "a", "+", "2", "B", "b", "0", "A", "F", "7", "=", " ", "é", "~", "\x7f",
            ][..],
        );
        proptest!(|(parts in proptest::collection::vec(pieces, 0..12))| {
            let s = parts.concat();
            prop_assert_eq!(is_xtext(&s), xtext(&s).is_ok(), "{:?}", s);
        });
    }

    #[test]
    fn lengths() {
        let e = XText::from_encoded("a+2Bb").unwrap();
        assert_eq!((e.decoded_len(), e.encoded_len()), (3, 5));
        let p = XText::from_plain(b"a+b \xff").unwrap();
        assert_eq!((p.decoded_len(), p.encoded_len()), (5, 11));
    }
}
