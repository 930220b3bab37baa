//! Text bodies, a line at a time: quoted-printable, or the text as it is
//! (7bit, 8bit).
//!
//! RFC 2045 §6.7, quoted-printable: an octet may be written as `=` and two
//! upper-case hex digits (rule 1); printable ASCII but `=` may stand for
//! itself (rule 2); a space or tab may too, but not at the end of an
//! encoded line (rule 3); a line break of the text is a CRLF (rule 4);
//! encoded lines are at most 76 characters, and a longer line is broken by
//! a soft line break, `=` CRLF (rule 5).
//!
//! The text's line breaks (`CRLF`, a bare `LF` or a bare `CR`) become CRLF
//! in every encoding (RFC 2045 §2.10, RFC 5321 §2.3.8). Each function
//! writes one output line from a position in the text and returns how many
//! octets of the text it took, so that the writer keeps only that position
//! between calls.

use super::sink::Sink;

/// The longest encoded line, soft line break included (RFC 2045 §6.7 (5)).
const QP_LINE: usize = 76;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// The length of the line break at the start of `rest`: 2 for CRLF, 1 for
/// a bare LF or CR, 0 when `rest` does not start with one.
pub(super) fn line_break(rest: &[u8]) -> usize {
    match rest {
        [b'\r', b'\n', ..] => 2,
        [b'\r' | b'\n', ..] => 1,
        _ => 0,
    }
}

/// One output line of quoted-printable from `text[at..]`: the encoded
/// characters, then CRLF for a line break of the text, `=` CRLF for a soft
/// break, or nothing at the end of the text. Returns the octets taken.
pub(super) fn qp_line(text: &[u8], at: usize, sink: &mut Sink<'_>) -> usize {
    let mut i = at;
    let mut col = 0;
    loop {
        let rest = &text[i..];
        if rest.is_empty() {
            return i - at;
        }
        let br = line_break(rest);
        if br > 0 {
            sink.crlf();
            return i + br - at;
        }
        let c = rest[0];
        // A space or tab stays literal unless a line break or the end
        // follows (the delimiter or the end of the message comes next).
        let next_ends_line = rest.len() == 1 || line_break(&rest[1..]) > 0;
        let literal = matches!(c, b'!'..=b'<' | b'>'..=b'~')
            || (matches!(c, b' ' | b'\t') && !next_ends_line);
        let width = if literal { 1 } else { 3 };
        // Room for the character and a soft line break after it, unless
        // the line ends right after it.
        let limit = if next_ends_line { QP_LINE } else { QP_LINE - 1 };
        if col + width > limit {
            sink.put(b"=\r\n");
            return i - at;
        }
        if literal {
            sink.put(&[c]);
        } else {
            sink.put(&[b'=', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
        }
        col += width;
        i += 1;
    }
}

/// One output line of the text as it is (7bit or 8bit): the octets up to
/// the next line break, then CRLF for it, or nothing at the end of the
/// text. Returns the octets taken.
pub(super) fn plain_line(text: &[u8], at: usize, sink: &mut Sink<'_>) -> usize {
    let rest = &text[at..];
    let end = memchr::memchr2(b'\r', b'\n', rest).unwrap_or(rest.len());
    sink.put(&rest[..end]);
    let br = line_break(&rest[end..]);
    if br > 0 {
        sink.crlf();
    }
    end + br
}

/// The longest text line written as it is (RFC 5322 §2.1.1, RFC 2045
/// §2.7: 998 octets without the CRLF).
pub(super) const MAX_PLAIN_LINE: usize = 998;

/// Whether every line of `text` is at most [`MAX_PLAIN_LINE`] octets and
/// none holds a NUL (RFC 2045 §2.7, §2.8: neither 7bit nor 8bit data may).
pub(super) fn fits_plain(text: &[u8]) -> bool {
    let mut line = 0;
    for &c in text {
        match c {
            b'\r' | b'\n' => line = 0,
            0 => return false,
            _ => {
                line += 1;
                if line > MAX_PLAIN_LINE {
                    return false;
                }
            }
        }
    }
    true
}
