//! What a phase may read: the configuration and the session facts, and
//! what follows from them — what is advertised now and the line limits
//! (RFC 5321 §4.1.1.1, §4.5.3.1; RFC 4954 §3, §4; rules D6, D11, D14).

use crate::syntax::{AuthMechanism, Capabilities, Extension, ParseOptions, Verb};
use crate::wire::line::AUTH_LINE_MAX;

use super::config::ServerConfig;
use super::state::{Hello, Session};

/// A read-only view of a server session, handed to its phases.
#[derive(Clone, Copy)]
pub(super) struct View<'s, 'c> {
    pub(super) config: &'s ServerConfig<'c>,
    pub(super) session: &'s Session,
}

impl View<'_, '_> {
    /// Whether the client gave EHLO/LHLO and PIPELINING is advertised.
    pub(super) fn pipelining(&self) -> bool {
        self.config.pipelining && self.session.hello == Hello::Ehlo
    }

    /// Whether AUTH is advertised now (RFC 4954 §4; rule D6).
    pub(super) fn auth_offered(&self) -> bool {
        let c = self.config;
        !c.auth.is_empty() && (self.session.tls_active || (c.auth_without_tls && !c.tls_required))
    }

    /// What the EHLO reply advertises now.
    pub(super) fn capabilities(&self) -> Capabilities {
        let c = self.config;
        let tls = self.session.tls_active;
        let mut caps = Capabilities::new();
        caps.insert(Extension::Size);
        caps.set_size_limit(Some(c.max_message_size));
        let flags = [
            (c.pipelining, Extension::Pipelining),
            (c.eight_bit_mime, Extension::EightBitMime),
            (c.has_smtputf8(), Extension::SmtpUtf8),
            (c.has_chunking(), Extension::Chunking),
            (c.has_chunking() && c.binarymime, Extension::BinaryMime),
            (c.has_dsn(), Extension::Dsn),
            (c.enhanced_status_codes, Extension::EnhancedStatusCodes),
            (c.tls_available && !tls, Extension::StartTls),
            (c.requiretls && tls, Extension::RequireTls),
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

    /// How command lines are read now: UTF-8 only after EHLO with SMTPUTF8.
    pub(super) fn parse_options(&self) -> ParseOptions {
        ParseOptions {
            mode: self.config.mode,
            utf8: self.config.has_smtputf8() && self.session.hello == Hello::Ehlo,
        }
    }

    /// Whether `more` octets after `received` would take the message over
    /// the size limit.
    pub(super) fn too_big(&self, received: u64, more: u64) -> bool {
        let max = self.config.max_message_size;
        max != 0 && received.saturating_add(more) > max
    }

    /// The line limit for a command with this verb, CRLF included; see
    /// [`Server::line_limit`](super::Server::line_limit).
    pub(super) fn line_limit(&self, verb: Verb) -> usize {
        let c = self.config;
        let base = c.limits.max_line;
        let utf8 = if c.has_smtputf8() { 10 } else { 0 };
        match verb {
            Verb::Mail => {
                base + utf8
                    + if c.auth.is_empty() { 0 } else { 500 }
                    + if c.has_dsn() { 100 } else { 0 }
            }
            Verb::Rcpt => base + utf8 + if c.has_dsn() { 500 } else { 0 },
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

    /// Unconsumed input the caller's receive buffer must be able to hold;
    /// see [`Server::input_room`](super::Server::input_room).
    pub(super) fn input_room(&self) -> usize {
        let frame = self.frame_limit();
        if self.config.auth.contains(AuthMechanism::Login) {
            frame.max(2 * AUTH_LINE_MAX)
        } else {
            frame
        }
    }
}
