//! What the server advertises now and the limits that follow from it
//! (RFC 5321 §4.1.1.1, §4.5.3.1; RFC 4954 §3, §4; rules D6, D11, D14).

use crate::syntax::{AuthMechanism, Capabilities, Extension, Verb};
use crate::wire::line::AUTH_LINE_MAX;

use super::session::{Hello, Server};

impl Server<'_> {
    /// Whether the client gave EHLO/LHLO and PIPELINING is advertised.
    pub(super) fn pipelining(&self) -> bool {
        self.config.pipelining && self.hello == Hello::Ehlo
    }

    /// Whether AUTH is advertised now (RFC 4954 §4; rule D6).
    pub(super) fn auth_offered(&self) -> bool {
        !self.config.auth.is_empty()
            && (self.tls_active || (self.config.auth_without_tls && !self.config.tls_required))
    }

    /// What the EHLO reply advertises now.
    pub(super) fn capabilities(&self) -> Capabilities {
        let c = &self.config;
        let mut caps = Capabilities::new();
        caps.insert(Extension::Size);
        caps.set_size_limit(Some(c.max_message_size));
        let flags = [
            (c.pipelining, Extension::Pipelining),
            (c.eight_bit_mime, Extension::EightBitMime),
            (c.smtputf8, Extension::SmtpUtf8),
            (c.chunking, Extension::Chunking),
            (c.binarymime, Extension::BinaryMime),
            (c.dsn, Extension::Dsn),
            (c.enhanced_status_codes, Extension::EnhancedStatusCodes),
            (c.tls_available && !self.tls_active, Extension::StartTls),
            (c.requiretls && self.tls_active, Extension::RequireTls),
        ];
        for (on, ext) in flags {
            if on {
                caps.insert(ext);
            }
        }
        if self.auth_offered() {
            caps.set_auth(c.auth);
        }
        if c.limits.max_recipients <= 999_999 {
            caps.set_rcpt_max(Some(c.limits.max_recipients));
        }
        caps
    }

    /// The line limit for a command with this verb, CRLF included (rule
    /// D11): `limits.max_line`, plus for MAIL 500 when AUTH is configured
    /// (RFC 4954 §5 `AUTH=`), 100 with DSN (`RET`, `ENVID`) and 10 with
    /// SMTPUTF8 (RFC 6531 §3.4); for RCPT 500 with DSN (`NOTIFY`, `ORCPT`)
    /// and 10 with SMTPUTF8; AUTH lines may be 12288 octets (RFC 4954 §4)
    /// when AUTH is configured. A longer line gets `500 5.5.2`.
    pub fn line_limit(&self, verb: Verb) -> usize {
        let c = &self.config;
        let base = c.limits.max_line;
        let utf8 = if c.smtputf8 { 10 } else { 0 };
        match verb {
            Verb::Mail => {
                base + utf8 + if c.auth.is_empty() { 0 } else { 500 } + if c.dsn { 100 } else { 0 }
            }
            Verb::Rcpt => base + utf8 + if c.dsn { 500 } else { 0 },
            Verb::Auth if !c.auth.is_empty() => base.max(AUTH_LINE_MAX),
            _ => base,
        }
    }

    /// The limit the framer applies before the verb is known.
    pub(super) fn frame_limit(&self) -> usize {
        [Verb::Mail, Verb::Rcpt, Verb::Auth]
            .into_iter()
            .map(|v| self.line_limit(v))
            .max()
            .unwrap_or(self.config.limits.max_line)
    }

    /// Free output room `feed` needs before it takes a unit of input:
    /// [`Server::MIN_ROOM`], or the longest EHLO reply if that is longer.
    pub fn output_room(&self) -> usize {
        usize::from(self.room)
    }

    /// Unconsumed input the caller's receive buffer must be able to hold:
    /// the longest command line, or two AUTH lines during AUTH LOGIN.
    pub fn input_room(&self) -> usize {
        let login = self.config.auth.contains(AuthMechanism::Login);
        let frame = self.frame_limit();
        if login {
            frame.max(2 * AUTH_LINE_MAX)
        } else {
            frame
        }
    }
}
