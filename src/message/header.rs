//! Header fields: folding, address lists, unstructured values, field names.
//!
//! RFC 5322 §2.1.1: a line is at most 998 characters and SHOULD be at most
//! 78, CRLF excluded; §2.2.3: a field is folded by a CRLF inserted before
//! white space. Every field here is folded before a word that would pass
//! column 78; a word is never broken, and no word is longer than 998 minus
//! its field name (the longest are an address, at most 256 octets by
//! RFC 5321 §4.5.3.1.3, and a `Message-ID` with a 255-octet domain).
//!
//! ```text
//! address-list = (mailbox *("," mailbox))         ; §3.4
//! mailbox      = name-addr / addr-spec
//! name-addr    = [display-name] angle-addr        ; display-name = phrase
//! unstructured = (*([FWS] VCHAR) *WSP)             ; §3.2.5
//! field-name   = 1*ftext                          ; §3.6.8
//! ftext        = %d33-57 / %d59-126               ; printable, not ":"
//! ```
//!
//! A display name is written as atoms when it is a sequence of them, as a
//! quoted-string when it is other printable ASCII, and as RFC 2047
//! encoded-words otherwise (non-ASCII, or too long to fold). An
//! unstructured value is written as it is when it is plain printable
//! ASCII, otherwise as encoded-words ([`super::encoded_word`]).

use super::encoded_word::{
    ENCODED_WORD_OVERHEAD, MAX_NAME_INPUT, MAX_WORD, MAX_WORD_INPUT, encode, is_plain,
};
use super::sink::Sink;
use super::{Address, Problem};

/// The column a field is folded before (RFC 5322 §2.1.1).
pub(super) const LINE: usize = 78;

/// The longest field name accepted: the name, `:` and a space leave room
/// on the first line for an encoded-word of one character (20 columns), so
/// a value never starts with a fold.
pub const MAX_FIELD_NAME: usize = 56;

/// The longest plain word of an unstructured value: one that fits a
/// folded line (a space, the word).
const MAX_PLAIN_WORD: usize = LINE - 1;

/// Writes one field, folding before a word that would pass column 78.
pub(super) struct Folder<'s, 'o> {
    sink: &'s mut Sink<'o>,
    col: usize,
    /// No word is written yet.
    empty: bool,
}

impl<'s, 'o> Folder<'s, 'o> {
    /// Starts the field `name:`.
    pub(super) fn field(sink: &'s mut Sink<'o>, name: &[u8]) -> Self {
        sink.put(name);
        sink.put(b":");
        Folder {
            sink,
            col: name.len() + 1,
            empty: true,
        }
    }

    /// Makes room for a word of `len` characters: a space, after a fold
    /// when the word would pass column 78. The caller then puts the word.
    pub(super) fn space_for(&mut self, len: usize) -> &mut Sink<'o> {
        if self.col + 1 + len > LINE {
            self.sink.crlf();
            self.col = 0;
        }
        self.sink.put(b" ");
        self.col += 1 + len;
        self.empty = false;
        self.sink
    }

    /// A word made of `parts`, preceded by white space.
    pub(super) fn word(&mut self, parts: &[&[u8]]) {
        let len = parts.iter().map(|p| p.len()).sum();
        let sink = self.space_for(len);
        for p in parts {
            sink.put(p);
        }
    }

    /// The text as encoded-words, one word per piece of at most `max`
    /// octets; the first word of a field is cut shorter when that lets it
    /// stay on the field's first line (some readers keep the white space of a fold
    /// right after the colon).
    pub(super) fn encoded(&mut self, text: &str, max: usize) {
        // Room on this line for the word's base64, in whole quanta.
        let room = LINE.saturating_sub(self.col + 1 + ENCODED_WORD_OVERHEAD) / 4 * 3;
        let first = if self.empty && room >= 4 {
            room.min(max)
        } else {
            max
        };
        let mut rest = text;
        let mut limit = first;
        while !rest.is_empty() {
            let mut cut = rest.len().min(limit);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            if cut == 0 {
                // Not one character fits this line: fold before the word.
                limit = max;
                continue;
            }
            let (piece, tail) = rest.split_at(cut);
            rest = tail;
            let mut w = [0u8; MAX_WORD];
            let n = encode(piece, &mut w);
            self.word(&[&w[..n]]);
            limit = max;
        }
    }

    /// Ends the field.
    pub(super) fn end(self) {
        self.sink.crlf();
    }
}

/// An unstructured field (`Subject:` and the caller's own fields).
pub(super) fn unstructured(sink: &mut Sink<'_>, name: &[u8], value: &str) {
    let mut f = Folder::field(sink, name);
    // Plain when it is, and its first word fits the first line (see
    // `Folder::encoded`).
    let first = value.split(' ').next().map_or(0, str::len);
    if is_plain(value, MAX_PLAIN_WORD) && name.len() + 2 + first <= LINE {
        for w in value.split(' ') {
            f.word(&[w.as_bytes()]);
        }
    } else {
        f.encoded(value, MAX_WORD_INPUT);
    }
    f.end();
}

/// `From:`, `To:`, `Cc:`: the addresses as `name-addr` (with a display
/// name) or `addr-spec`, separated by commas.
pub(super) fn address_list(sink: &mut Sink<'_>, name: &[u8], list: &[Address<'_>]) {
    let mut f = Folder::field(sink, name);
    for (i, a) in list.iter().enumerate() {
        let comma: &[u8] = if i + 1 < list.len() { b"," } else { b"" };
        match a.name {
            Some(n) if !n.is_empty() => {
                display_name(&mut f, n);
                f.word(&[b"<", a.mailbox.as_bytes(), b">", comma]);
            }
            _ => f.word(&[a.mailbox.as_bytes(), comma]),
        }
    }
    f.end();
}

/// RFC 5322 §3.2.3 `atext`.
fn is_atext(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&c)
}

/// The longest quoted display name written as one word.
const MAX_QUOTED: usize = LINE - 2;

/// A display name: atoms, a quoted-string, or encoded-words.
fn display_name(f: &mut Folder<'_, '_>, name: &str) {
    if is_plain(name, MAX_PLAIN_WORD) {
        let b = name.as_bytes();
        if b.iter().all(|&c| c == b' ' || is_atext(c)) {
            for w in name.split(' ') {
                f.word(&[w.as_bytes()]);
            }
            return;
        }
        let escapes = b.iter().filter(|&&c| c == b'"' || c == b'\\').count();
        let len = b.len() + escapes + 2;
        if len <= MAX_QUOTED {
            let sink = f.space_for(len);
            sink.put(b"\"");
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
    f.encoded(name, MAX_NAME_INPUT);
}

/// A caller string that goes into a header: no CR, LF or NUL (rule D5),
/// nor another ASCII control character (readers flag them or turn a tab
/// into a space, and no header value needs one).
pub(super) fn check_text(s: &str) -> Result<(), Problem> {
    let mut problem = None;
    for b in s.bytes() {
        match b {
            b'\r' | b'\n' | 0 => return Err(Problem::LineBreak),
            0..=31 | 127 => problem = Some(Problem::Control),
            _ => {}
        }
    }
    problem.map_or(Ok(()), Err)
}

/// The fields the writer writes itself, which the caller may not add.
const RESERVED: [&str; 7] = [
    "date",
    "from",
    "to",
    "cc",
    "subject",
    "message-id",
    "mime-version",
];

/// A caller's field name: 1 to [`MAX_FIELD_NAME`] characters of `ftext`
/// (RFC 5322 §3.6.8), and not one the writer writes (nor `Content-*`).
pub(super) fn check_field_name(name: &str) -> Result<(), Problem> {
    check_text(name)?;
    let b = name.as_bytes();
    if b.is_empty()
        || b.len() > MAX_FIELD_NAME
        || !b.iter().all(|&c| matches!(c, 33..=57 | 59..=126))
    {
        return Err(Problem::FieldName);
    }
    let reserved = RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name))
        || (b.len() >= 8 && b[..8].eq_ignore_ascii_case(b"content-"));
    if reserved {
        return Err(Problem::Reserved);
    }
    Ok(())
}
