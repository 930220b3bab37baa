//! Command state: framing a line, the pipelining and TLS gates, and the
//! sequencing of each command (RFC 5321 §4.1.1, §4.1.4, §4.3.2; rules D3,
//! D6, D7, D8, D13, D14, D15). An error reply never changes the state.

use crate::syntax::{
    Body, Command, CommandError, CommandErrorKind, ForwardPath, Host, MailParameters, ParseOptions,
    RcptParameters, ReversePath, Verb, WriteError, write_with,
};
use crate::wire::line::LineEvent;

use super::config::{BareLfReply, PipeliningPolicy, Service, VrfyPolicy};
use super::error::ServerError;
use super::event::Event;
use super::replies::{self as r, Canned};
use super::session::{Flow, Hello, Io, Pending, Server, State, Transaction};

impl Server<'_> {
    /// Frames and runs one command line.
    pub(super) fn command_step<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
    ) -> Result<Flow<'a>, ServerError> {
        let start = io.pos;
        let (n, ev) = self.framer.next_line(io.rest(), self.frame_limit());
        io.pos += n;
        match ev {
            None if n == 0 => Ok(Flow::Return(Event::NeedInput)),
            None => Ok(Flow::Continue),
            Some(LineEvent::TooLong) => {
                // RFC 4954 §4: an over-long AUTH line gets 500 5.5.6.
                let head = io.rest_from(start).get(..5).unwrap_or_default();
                if head.eq_ignore_ascii_case(b"AUTH ") && !self.config.auth.is_empty() {
                    self.error(io, r::AUTH_TOO_LONG)
                } else {
                    self.error(io, r::LINE_TOO_LONG)
                }
            }
            Some(LineEvent::BareLineEnding) => self.bare_line(io),
            Some(LineEvent::Line(line)) => self.dispatch(io, start, line, n),
        }
    }

    /// A bare CR or LF in a line (rule D1, catalogue SMG-15): the line is
    /// never executed and the session is closed, since what follows cannot
    /// be trusted to be a command.
    pub(super) fn bare_line<'a>(&mut self, io: &mut Io<'a, '_>) -> Result<Flow<'a>, ServerError> {
        let c = match self.config.bare_lf_reply {
            BareLfReply::Reject550 => r::BARE_LF,
            BareLfReply::Disconnect521 => r::BARE_LF_521,
        };
        self.put(io, c)?;
        Ok(self.close())
    }

    fn parse_options(&self) -> ParseOptions {
        ParseOptions {
            mode: self.config.mode,
            utf8: self.config.smtputf8 && self.hello == Hello::Ehlo,
        }
    }

    /// Whether `verb` ends a pipelining group (RFC 2920 §3.1); without
    /// PIPELINING in effect every command but BDAT does.
    fn ends_group(&self, verb: Option<Verb>) -> bool {
        // BDAT is followed by its chunk at once (RFC 3030 §2): never an end.
        if verb == Some(Verb::Bdat) {
            return false;
        }
        !self.pipelining()
            || matches!(
                verb,
                Some(
                    Verb::Ehlo
                        | Verb::Helo
                        | Verb::Lhlo
                        | Verb::Data
                        | Verb::Vrfy
                        | Verb::Expn
                        | Verb::Noop
                        | Verb::Help
                        | Verb::Quit
                        | Verb::StartTls
                        | Verb::Auth
                )
            )
    }

    /// After a group-ending reply: flush before reading more.
    fn group_end<'a>(&self, io: &Io<'a, '_>) -> Flow<'a> {
        if io.rest().is_empty() {
            Flow::Return(Event::NeedInput)
        } else {
            Flow::Return(Event::Flush)
        }
    }

    fn dispatch<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        start: usize,
        line: &'a [u8],
        len: usize,
    ) -> Result<Flow<'a>, ServerError> {
        let word = line.split(|&b| b == b' ').next().unwrap_or_default();
        let verb = Verb::from_bytes(word);
        if len > verb.map_or(self.config.limits.max_line, |v| self.line_limit(v)) {
            return self.error(io, r::LINE_TOO_LONG);
        }
        let parsed = Command::parse(line, self.parse_options());
        if self.config.service == Service::NoService {
            if parsed == Ok(Command::Quit) {
                self.put(io, r::BYE)?;
                return Ok(self.close());
            }
            return self.error(io, r::NO_SERVICE);
        }
        if let Err(e) = &parsed
            && e.kind == CommandErrorKind::CrossProtocol
        {
            return self.command_error(io, *e);
        }
        // Synchronization (D8); bytes behind STARTTLS are refused under
        // every policy (D6); bytes behind QUIT are ignored.
        let verb = parsed.as_ref().map_or(verb, |c| Some(c.verb()));
        // A BDAT chunk's octets follow its command at once (RFC 3030 §2):
        // only bytes beyond the chunk are a command sent too early.
        let trailing = match parsed {
            Ok(Command::Bdat { size, .. }) => {
                u64::try_from(io.rest().len()).unwrap_or(u64::MAX) > size
            }
            _ => !io.rest().is_empty(),
        };
        if trailing
            && parsed != Ok(Command::Quit)
            && self.ends_group(verb)
            && (verb == Some(Verb::StartTls)
                || self.config.pipelining_violations == PipeliningPolicy::Reject)
        {
            self.put(io, r::SYNC)?;
            return Ok(self.close());
        }
        if self.config.tls_required
            && !self.tls_active
            && !matches!(
                verb,
                Some(Verb::Noop | Verb::Ehlo | Verb::Lhlo | Verb::StartTls | Verb::Quit)
            )
        {
            return self.error(io, r::TLS_FIRST);
        }
        let cmd = match parsed {
            Ok(cmd) => cmd,
            Err(e) => return self.command_error(io, e),
        };
        match cmd {
            Command::Ehlo(h) => self.hello_cmd(io, start, Verb::Ehlo, h),
            Command::Helo(h) => self.hello_cmd(io, start, Verb::Helo, h),
            Command::Lhlo(h) => self.hello_cmd(io, start, Verb::Lhlo, h),
            Command::Mail { from, params } => self.mail(io, from, params),
            Command::Rcpt { to, params } => self.rcpt(io, to, params),
            Command::Data => self.data(io),
            Command::Bdat { size, last } => self.bdat(io, size, last),
            Command::Rset => {
                if let Some(f) = self.abort_open_message(io, start) {
                    return Ok(f);
                }
                self.tx = Transaction::default();
                self.put(io, r::OK)?;
                self.count_junk(io)
            }
            Command::Noop(_) => self.simple(io, r::OK),
            Command::Help(_) => self.simple(io, r::HELP),
            Command::Vrfy(arg) => self.verify(io, Verb::Vrfy, self.config.vrfy, arg),
            Command::Expn(arg) => self.verify(io, Verb::Expn, self.config.expn, arg),
            Command::Quit => {
                if let Some(f) = self.abort_open_message(io, start) {
                    return Ok(f);
                }
                self.put(io, r::BYE)?;
                Ok(self.close())
            }
            Command::StartTls => self.starttls(io, start),
            Command::Auth { mechanism, initial } => {
                self.auth_command(io, start, line, mechanism, initial)
            }
        }
    }

    /// The reply the syntax layer suggests; close for another protocol
    /// (D15) or an unreadable BDAT line (D3: the framing is lost).
    fn command_error<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        e: CommandError,
    ) -> Result<Flow<'a>, ServerError> {
        let (code, esc, text) = e.reply();
        let c = Canned { code, esc, text };
        if e.closes_session() {
            self.put(io, c)?;
            return Ok(self.close());
        }
        if e.verb == Some(Verb::Lhlo) && !self.config.lmtp {
            return self.error(io, r::UNKNOWN);
        }
        self.error(io, c)
    }

    /// NOOP, HELP: a junk command that ends a group.
    fn simple<'a>(&mut self, io: &mut Io<'a, '_>, c: Canned) -> Result<Flow<'a>, ServerError> {
        self.put(io, c)?;
        match self.count_junk(io)? {
            Flow::Continue => Ok(self.group_end(io)),
            f => Ok(f),
        }
    }

    fn hello_cmd<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        start: usize,
        verb: Verb,
        domain: Host<'a>,
    ) -> Result<Flow<'a>, ServerError> {
        match (self.config.lmtp, verb) {
            (true, Verb::Ehlo | Verb::Helo) => return self.error(io, r::USE_LHLO),
            (false, Verb::Lhlo) => return self.error(io, r::UNKNOWN),
            _ => {}
        }
        if let Some(f) = self.abort_open_message(io, start) {
            return Ok(f);
        }
        self.tx = Transaction::default();
        let buf = io.out.get_mut(io.written..).unwrap_or_default();
        let hostname = self.config.hostname;
        let n = if verb == Verb::Helo {
            self.hello = Hello::Helo;
            super::session::write_line(buf, crate::ReplyCode::OK, None, &[hostname])?
        } else {
            self.hello = Hello::Ehlo;
            let caps = self.capabilities();
            write_with(buf, |w| caps.write_ehlo_reply_to(hostname, "", w)).map_err(|e| match e {
                WriteError::BufferTooSmall { needed } => ServerError::BufferTooSmall { needed },
                WriteError::Invalid(i) => ServerError::InvalidReply(i),
            })?
        };
        io.written += n;
        Ok(Flow::Return(Event::Hello { verb, domain }))
    }

    /// D14: a parameter of an extension that was not advertised gets 555.
    fn mail_params_refused(&self, p: &MailParameters<'_>) -> bool {
        if p.is_empty() {
            return false;
        }
        let c = &self.config;
        self.hello != Hello::Ehlo
            || p.unknown.is_some()
            || p.mt_priority.is_some()
            || p.by.is_some()
            || p.hold.is_some()
            || (p.body == Some(Body::EightBitMime) && !c.eight_bit_mime)
            || (p.body == Some(Body::BinaryMime) && !c.binarymime)
            || (p.smtputf8 && !c.smtputf8)
            || ((p.ret.is_some() || p.envid.is_some()) && !c.dsn)
            || (p.auth.is_some() && !self.auth_offered())
            || (p.requiretls && !(c.requiretls && self.tls_active))
    }

    fn mail<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        from: ReversePath<'a>,
        params: MailParameters<'a>,
    ) -> Result<Flow<'a>, ServerError> {
        if self.hello == Hello::None {
            return self.error(io, r::SEND_HELLO_FIRST);
        }
        if self.tx.mail {
            return self.error(io, r::NESTED_MAIL);
        }
        if self.mail_params_refused(&params) {
            return self.error(io, r::UNSUPPORTED_PARAM);
        }
        if !from.is_ascii() && !params.smtputf8 {
            return self.error(io, r::NON_ASCII_SENDER);
        }
        let max = self.config.max_message_size;
        if max != 0 && params.size.is_some_and(|s| s > max) {
            return self.error(io, r::SIZE_EXCEEDED);
        }
        self.pending = Some(Pending::Mail {
            binary: params.body == Some(Body::BinaryMime),
            smtputf8: params.smtputf8,
        });
        Ok(Flow::Return(Event::Mail { from, params }))
    }

    fn rcpt<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        to: ForwardPath<'a>,
        params: RcptParameters<'a>,
    ) -> Result<Flow<'a>, ServerError> {
        if self.hello == Hello::None {
            return self.error(io, r::SEND_HELLO_FIRST);
        }
        if !self.tx.mail {
            return self.error(io, r::NEED_MAIL);
        }
        if self.tx.bdat {
            return self.error(io, r::AFTER_BDAT);
        }
        let dsn = params.notify.is_some() || params.orcpt.is_some();
        if !params.is_empty()
            && (self.hello != Hello::Ehlo || params.unknown.is_some() || (dsn && !self.config.dsn))
        {
            return self.error(io, r::UNSUPPORTED_PARAM);
        }
        if !to.is_ascii() && !self.tx.smtputf8 {
            return self.error(io, r::NON_ASCII_RCPT);
        }
        if self.tx.accepted >= self.config.limits.max_recipients {
            return self.error(io, r::TOO_MANY_RCPTS);
        }
        self.pending = Some(Pending::Rcpt);
        Ok(Flow::Return(Event::Rcpt { to, params }))
    }

    /// The reply owed when a transaction has no accepted recipient.
    pub(super) fn no_recipients(&self) -> Canned {
        if self.tx.rcpt_seen {
            r::NO_VALID_RCPT
        } else {
            r::NEED_RCPT
        }
    }

    fn verify<'a>(
        &mut self,
        io: &mut Io<'a, '_>,
        verb: Verb,
        policy: VrfyPolicy,
        argument: &'a str,
    ) -> Result<Flow<'a>, ServerError> {
        match policy {
            VrfyPolicy::CannotVerify => self.simple(io, r::CANNOT_VRFY),
            VrfyPolicy::Disabled => match self.error(io, r::NOT_IMPLEMENTED)? {
                Flow::Continue => Ok(self.group_end(io)),
                f => Ok(f),
            },
            VrfyPolicy::Ask => {
                self.junk = self.junk.saturating_add(1);
                self.pending = Some(Pending::Verify);
                Ok(Flow::Return(Event::Verify { verb, argument }))
            }
        }
    }

    fn starttls<'a>(&mut self, io: &mut Io<'a, '_>, start: usize) -> Result<Flow<'a>, ServerError> {
        if self.tls_active {
            return self.error(io, r::TLS_ACTIVE);
        }
        if !self.config.tls_available {
            return self.error(io, r::NOT_IMPLEMENTED);
        }
        if !self.tls_ready {
            return self.error(io, r::TLS_TEMP);
        }
        if let Some(f) = self.abort_open_message(io, start) {
            return Ok(f);
        }
        self.put(io, r::TLS_GO)?;
        self.state = State::TlsHandshake;
        Ok(Flow::Return(Event::StartTls))
    }
}
