//! RFC 2047 encoded-words for text that is not plain ASCII.
//!
//! ```text
//! encoded-word = "=?" charset "?" encoding "?" encoded-text "?="
//! ```
//!
//! Always `charset = utf-8` and the `B` encoding (§4.1: base64), which is
//! valid in every place an encoded-word may stand (§5: `*text` of
//! unstructured fields, and a `phrase`, the display name). Each word holds
//! at most [`MAX_WORD_INPUT`] octets of text cut at a character boundary
//! (§5: a multi-octet character MUST NOT be split between words), so a
//! word is at most 64 characters and fits a 78-column line after any field
//! name of up to 12 characters, or on a folded line of its own (§2: at
//! most 75 characters per word). Adjacent words are separated by folding
//! white space, which a reader drops between encoded-words (§6.2), so the
//! text decodes back exactly.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The most octets of text one word carries: 39 octets are 52 base64
/// characters, a 64-character word.
pub(super) const MAX_WORD_INPUT: usize = 39;

/// The characters an encoded-word adds around its base64 text.
const PREFIX: &[u8] = b"=?utf-8?b?";
const SUFFIX: &[u8] = b"?=";

/// The pieces of `text` that become one word each: at most
/// [`MAX_WORD_INPUT`] octets, cut only between characters.
pub(super) fn pieces(text: &str) -> Pieces<'_> {
    Pieces { rest: text }
}

/// Iterator behind [`pieces`].
pub(super) struct Pieces<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        let mut cut = self.rest.len().min(MAX_WORD_INPUT);
        while !self.rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (piece, rest) = self.rest.split_at(cut);
        self.rest = rest;
        Some(piece)
    }
}

/// The encoded-word for one piece (at most [`MAX_WORD_INPUT`] octets),
/// written into `out`; returns its length.
pub(super) fn encode(piece: &str, out: &mut [u8; 64]) -> usize {
    out[..PREFIX.len()].copy_from_slice(PREFIX);
    let n = STANDARD
        .encode_slice(piece.as_bytes(), &mut out[PREFIX.len()..64 - SUFFIX.len()])
        .unwrap_or(0);
    let end = PREFIX.len() + n;
    out[end..end + SUFFIX.len()].copy_from_slice(SUFFIX);
    end + SUFFIX.len()
}

/// Whether `text` can be written as it is, unencoded, in an unstructured
/// field or a phrase: printable ASCII and space only, no `=?` a reader
/// could take for the start of an encoded-word, no white space at either
/// end or twice in a row (readers trim and collapse it), and no word too
/// long to fold (`max_word` characters).
pub(super) fn is_plain(text: &str, max_word: usize) -> bool {
    let b = text.as_bytes();
    !b.is_empty()
        && b.iter().all(|&c| (b' '..=b'~').contains(&c))
        && b[0] != b' '
        && b[b.len() - 1] != b' '
        && !b.windows(2).any(|w| w == b"=?" || w == b"  ")
        && text.split(' ').all(|w| w.len() <= max_word)
}
