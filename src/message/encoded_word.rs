//! RFC 2047 encoded-words for text that is not plain ASCII.
//!
//! ```text
//! encoded-word = "=?" charset "?" encoding "?" encoded-text "?="
//! ```
//!
//! Always `charset = utf-8` and the `B` encoding (§4.1: base64), which is
//! valid in every place an encoded-word may stand (§5: `*text` of
//! unstructured fields, and a `phrase`, the display name). Each word holds
//! at most [`MAX_WORD_INPUT`] octets of unstructured text, or
//! [`MAX_NAME_INPUT`] of a display name, cut at a character boundary (§5:
//! a multi-octet character MUST NOT be split between words): a word of
//! unstructured text is at most 64 characters and fits a 78-column line
//! after a field name of up to 12 characters, a word of a name at most 72,
//! on a folded line of its own if need be (§2: at most 75 characters per
//! word). Adjacent words are separated by folding white space, which a
//! reader drops between encoded-words (§6.2), so the text decodes back
//! exactly. (Python's `email` reads that white space as a space in a
//! display name, against §6.2; a name of up to 45 octets is one word.)

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The most octets of text one word carries: 39 octets are 52 base64
/// characters, a 64-character word.
pub(super) const MAX_WORD_INPUT: usize = 39;

/// The most octets of a display name one word carries: 45 octets are 60
/// base64 characters, a 72-character word.
pub(super) const MAX_NAME_INPUT: usize = 45;

/// The longest word written.
pub(super) const MAX_WORD: usize = 72;

/// The characters an encoded-word adds around its base64 text.
const PREFIX: &[u8] = b"=?utf-8?b?";
const SUFFIX: &[u8] = b"?=";

/// The characters an encoded-word adds to its base64: `=?utf-8?b?`, `?=`.
pub(super) const ENCODED_WORD_OVERHEAD: usize = PREFIX.len() + SUFFIX.len();

/// The encoded-word for one piece (at most [`MAX_NAME_INPUT`] octets),
/// written into `out`; returns its length.
pub(super) fn encode(piece: &str, out: &mut [u8; MAX_WORD]) -> usize {
    out[..PREFIX.len()].copy_from_slice(PREFIX);
    let n = STANDARD
        .encode_slice(
            piece.as_bytes(),
            &mut out[PREFIX.len()..MAX_WORD - SUFFIX.len()],
        )
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
