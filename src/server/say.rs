//! Writing the replies the engine sends on its own: the canned ones
//! (`replies.rs`), the greeting, the HELO and EHLO replies (with what is
//! advertised now), BDAT's `250` with the chunk size, and AUTH challenges.

use crate::syntax::{EnhancedCode, ReplyClass, ReplyCode, WriteError, Writer, write_with};

use super::config::Service;
use super::error::ServerError;
use super::replies::{BDAT_OK, Canned};
use super::view::View;

/// A reply the engine writes on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Say {
    /// No reply.
    Nothing,
    /// One of the canned replies (`replies.rs`).
    Canned(Canned),
    /// The greeting (a client that spoke first, under the lenient policy).
    Greeting,
    /// `250 <hostname>` to HELO.
    Helo,
    /// The EHLO (or LHLO) reply with what is advertised now.
    Ehlo,
    /// `250 2.0.0 <size> octets received` to a BDAT chunk.
    ChunkOk(u64),
    /// `334 <challenge>` (RFC 4954 §4).
    Challenge(&'static str),
}

/// Writes `say` into `out`; the length.
pub(super) fn write(out: &mut [u8], say: Say, v: View<'_, '_>) -> Result<usize, ServerError> {
    let c = v.config;
    let esc = |canned: Canned| Some(canned.esc).filter(|_| c.enhanced_status_codes);
    match say {
        Say::Nothing => Ok(0),
        Say::Canned(canned) => write_line(out, canned.code, esc(canned), &[canned.text]),
        Say::Greeting => {
            let (code, parts) = match c.service {
                Service::NoService => {
                    let text = if c.greeting_text.is_empty() {
                        "No SMTP service here"
                    } else {
                        c.greeting_text
                    };
                    (ReplyCode::TRANSACTION_FAILED, [c.hostname, " ", text, ""])
                }
                Service::Ready => {
                    let proto = if c.is_lmtp() { " LMTP" } else { " ESMTP" };
                    let sep = if c.greeting_text.is_empty() { "" } else { " " };
                    (
                        ReplyCode::SERVICE_READY,
                        [c.hostname, proto, sep, c.greeting_text],
                    )
                }
            };
            write_line(out, code, None, &parts)
        }
        Say::Helo => write_line(out, ReplyCode::OK, None, &[c.hostname]),
        Say::Ehlo => {
            let caps = v.capabilities();
            write_with(out, |w| caps.write_ehlo_reply_to(c.hostname, "", w)).map_err(write_error)
        }
        Say::ChunkOk(size) => write_with(out, |w| {
            line_head(w, BDAT_OK.code, esc(BDAT_OK));
            w.put_decimal(size);
            w.put_byte(b' ');
            w.put_str(BDAT_OK.text);
            w.put(b"\r\n");
            Ok(())
        })
        .map_err(write_error),
        Say::Challenge(text) => write_line(out, ReplyCode::AUTH_CONTINUE, None, &[text]),
    }
}

/// `code SP [esc SP]` (no enhanced code on 3yz).
fn line_head(w: &mut Writer<'_>, code: ReplyCode, esc: Option<EnhancedCode>) {
    w.put_decimal(u64::from(code.get()));
    w.put_byte(b' ');
    if let Some(e) = esc.filter(|_| code.class() != ReplyClass::PositiveIntermediate) {
        e.write_to(w);
        w.put_byte(b' ');
    }
}

/// Writes `code SP [esc SP] parts… CRLF`.
pub(super) fn write_line(
    out: &mut [u8],
    code: ReplyCode,
    esc: Option<EnhancedCode>,
    parts: &[&str],
) -> Result<usize, ServerError> {
    write_with(out, |w| {
        line_head(w, code, esc);
        for p in parts {
            w.put_str(p);
        }
        w.put(b"\r\n");
        Ok(())
    })
    .map_err(write_error)
}

fn write_error(e: WriteError) -> ServerError {
    match e {
        WriteError::BufferTooSmall { needed } => ServerError::BufferTooSmall { needed },
        WriteError::Invalid(i) => ServerError::InvalidReply(i),
    }
}
