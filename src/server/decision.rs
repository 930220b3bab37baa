//! The application's answers to DECISION events: the reply it chose, or the
//! engine's default (RFC 5321 §4.1.1, §4.2; RFC 4954 §4; RFC 2033 §4.2).
//! The state change an answer brings is `Server::answered`.

use crate::syntax::{EnhancedCode, Invalid, ReplyClass, ReplyCode, check_text};

use super::error::ServerError;
use super::replies as r;
use super::say::{self, Say};
use super::session::Server;
use super::state::{Hello, Pending, State};

impl Server<'_> {
    /// The decision owed, if any.
    fn pending(&self) -> Result<Pending, ServerError> {
        match self.state {
            State::Decision(p) => Ok(p),
            _ => Err(ServerError::NoDecisionPending),
        }
    }

    /// Answers the pending decision positively: `250 2.1.0` (MAIL),
    /// `250 2.1.5` (RCPT, VRFY), `250 2.0.0 Ok: queued` (MessageEnd),
    /// `235 2.7.0` (AUTH), `250 <hostname>` or the EHLO reply with what is
    /// advertised (Hello).
    pub fn accept(&mut self, out: &mut [u8]) -> Result<usize, ServerError> {
        let c = match self.pending()? {
            Pending::Hello(hello) => {
                let reply = if hello == Hello::Helo {
                    Say::Helo
                } else {
                    Say::Ehlo
                };
                let n = say::write(out, reply, self.view())?;
                self.answered(Pending::Hello(hello), ReplyCode::OK);
                return Ok(n);
            }
            Pending::Mail { .. } => r::MAIL_OK,
            Pending::Rcpt => r::RCPT_OK,
            Pending::Verify => r::VRFY_OK,
            Pending::MessageEnd { .. } => r::MESSAGE_OK,
            Pending::Auth => r::AUTH_OK,
        };
        self.answer(out, c.code, Some(c.esc), c.text)
    }

    /// Answers the pending decision negatively: `550 5.7.1` (MAIL),
    /// `550 5.1.1` (RCPT, VRFY), `554 5.7.1` (MessageEnd), `535 5.7.8` (AUTH),
    /// `550 5.7.1` (Hello; the session stays as it was).
    pub fn reject(&mut self, out: &mut [u8]) -> Result<usize, ServerError> {
        let c = match self.pending()? {
            Pending::Hello(_) => r::HELLO_REJECTED,
            Pending::Mail { .. } => r::MAIL_REJECTED,
            Pending::Rcpt => r::RCPT_REJECTED,
            Pending::Verify => r::VRFY_REJECTED,
            Pending::MessageEnd { .. } => r::MESSAGE_REJECTED,
            Pending::Auth => r::AUTH_FAILED,
        };
        self.answer(out, c.code, Some(c.esc), c.text)
    }

    /// Answers the pending decision with the application's own reply: a
    /// 2xx accepts, a 4xx or 5xx refuses; 3xx is never allowed. `text` must
    /// hold no control byte (rule D5), and the reply is one line of at most
    /// [`Server::MIN_ROOM`] (512) octets, RFC 5321 §4.5.3.1.5 and the room
    /// `feed` kept for it ([`Invalid::TooLong`] otherwise: up to 496 to 506
    /// octets of text, with or without the enhanced code). The enhanced
    /// code is written only with ENHANCEDSTATUSCODES on. A `421` closes the
    /// session after the reply (the next `feed` reports Close). A Hello
    /// decision takes refusals only: accept it with [`Server::accept`],
    /// which writes the EHLO reply ([`Invalid::ReplyCode`] for a 2xx).
    pub fn respond(
        &mut self,
        code: ReplyCode,
        enhanced: Option<EnhancedCode>,
        text: &str,
        out: &mut [u8],
    ) -> Result<usize, ServerError> {
        let pending = self.pending()?;
        if code.class() == ReplyClass::PositiveIntermediate
            || (matches!(pending, Pending::Hello(_))
                && code.class() == ReplyClass::PositiveCompletion)
        {
            return Err(ServerError::InvalidReply(Invalid::ReplyCode));
        }
        check_text(text.as_bytes()).map_err(ServerError::InvalidReply)?;
        if enhanced.is_some_and(|e| u16::from(e.class()) != code.get() / 100) {
            return Err(ServerError::InvalidReply(Invalid::ReplyCode));
        }
        let room = out.len().min(Self::MIN_ROOM);
        match self.answer(
            out.get_mut(..room).unwrap_or_default(),
            code,
            enhanced,
            text,
        ) {
            // The reply does not fit where a whole reply line would.
            Err(ServerError::BufferTooSmall { .. }) if room == Self::MIN_ROOM => {
                Err(ServerError::InvalidReply(Invalid::TooLong))
            }
            r => r,
        }
    }

    /// Writes the reply, then applies the answer.
    fn answer(
        &mut self,
        out: &mut [u8],
        code: ReplyCode,
        esc: Option<EnhancedCode>,
        text: &str,
    ) -> Result<usize, ServerError> {
        let pending = self.pending()?;
        let esc = esc.filter(|_| self.config.enhanced_status_codes);
        let n = super::say::write_line(out, code, esc, &[text])?;
        self.answered(pending, code);
        Ok(n)
    }
}
