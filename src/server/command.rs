//! The command phase: one framed line, the pipelining and TLS gates, and
//! the sequencing of each command (RFC 5321 §4.1.1, §4.1.4, §4.3.2; rules
//! D3, D6, D7, D8, D13, D14, D15). Every function here reads the session
//! through a [`View`] and returns an [`Outcome`]; an error reply is an
//! `Outcome::Refuse`, which changes nothing (rule D7).

use crate::syntax::{
    Body, Command, CommandError, CommandErrorKind, ForwardPath, Host, MailParameters,
    RcptParameters, ReversePath, Verb,
};
use crate::wire::line::{LineEvent, LineFramer};

use super::auth;
use super::chunk;
use super::config::{PipeliningPolicy, Service, VrfyPolicy};
use super::event::{AbortReason, Event};
use super::outcome::{Change, Outcome};
use super::replies::{self as r, Canned};
use super::say::Say;
use super::state::{Hello, Pending, Transaction};
use super::view::View;

/// Frames the next command line in `input` and runs it.
pub(super) fn step<'a>(framer: &mut LineFramer, v: View<'_, '_>, input: &'a [u8]) -> Outcome<'a> {
    let (n, ev) = framer.next_line(input, v.frame_limit());
    match ev {
        None if n == 0 => Outcome::NeedInput,
        None => Outcome::go(n, Change::Stay),
        Some(LineEvent::TooLong) => {
            // RFC 4954 §4: an over-long AUTH line gets 500 5.5.6.
            let head = input.get(..5).unwrap_or_default();
            let reply = if head.eq_ignore_ascii_case(b"AUTH ") && !v.config.auth.is_empty() {
                r::AUTH_TOO_LONG
            } else {
                r::LINE_TOO_LONG
            };
            Outcome::refuse(n, reply)
        }
        Some(LineEvent::BareLineEnding) => Outcome::bare_line(v.config.bare_lf_reply, n),
        Some(LineEvent::Line(line)) => dispatch(v, line, n, input.get(n..).unwrap_or_default()),
    }
}

/// Whether `verb` ends a pipelining group (RFC 2920 §3.1); without
/// PIPELINING in effect every command but BDAT does.
fn ends_group(v: View<'_, '_>, verb: Option<Verb>) -> bool {
    // BDAT is followed by its chunk at once (RFC 3030 §2): never an end.
    if verb == Some(Verb::Bdat) {
        return false;
    }
    !v.pipelining()
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

/// One command line of `len` octets (CRLF included); `rest` is the input
/// after it.
fn dispatch<'a>(v: View<'_, '_>, line: &'a [u8], len: usize, rest: &'a [u8]) -> Outcome<'a> {
    let word = line.split(|&b| b == b' ').next().unwrap_or_default();
    let verb = Verb::from_bytes(word);
    if len > verb.map_or(v.config.limits.max_line, |vb| v.line_limit(vb)) {
        return Outcome::refuse(len, r::LINE_TOO_LONG);
    }
    let parsed = Command::parse(line, v.parse_options());
    if v.config.service == Service::NoService {
        if parsed == Ok(Command::Quit) {
            return close(len, r::BYE);
        }
        return Outcome::refuse(len, r::NO_SERVICE);
    }
    if let Err(e) = &parsed
        && e.kind == CommandErrorKind::CrossProtocol
    {
        return command_error(v, len, *e);
    }
    // Synchronization (D8); bytes behind STARTTLS are refused under every
    // policy (D6); bytes behind QUIT are ignored.
    let verb = parsed.as_ref().map_or(verb, |c| Some(c.verb()));
    // A BDAT chunk's octets follow its command at once (RFC 3030 §2): only
    // bytes beyond the chunk are a command sent too early.
    let trailing = match parsed {
        Ok(Command::Bdat { size, .. }) => u64::try_from(rest.len()).unwrap_or(u64::MAX) > size,
        _ => !rest.is_empty(),
    };
    if trailing
        && parsed != Ok(Command::Quit)
        && ends_group(v, verb)
        && (verb == Some(Verb::StartTls)
            || v.config.pipelining_violations == PipeliningPolicy::Reject)
    {
        return close(len, r::SYNC);
    }
    if v.config.tls_required
        && !v.session.tls_active
        && !matches!(
            verb,
            Some(Verb::Noop | Verb::Ehlo | Verb::Lhlo | Verb::StartTls | Verb::Quit)
        )
    {
        return Outcome::refuse(len, r::TLS_FIRST);
    }
    let cmd = match parsed {
        Ok(cmd) => cmd,
        Err(e) => return command_error(v, len, e),
    };
    match cmd {
        Command::Ehlo(h) => hello(v, len, Verb::Ehlo, h),
        Command::Helo(h) => hello(v, len, Verb::Helo, h),
        Command::Lhlo(h) => hello(v, len, Verb::Lhlo, h),
        Command::Mail { from, params } => mail(v, len, from, params),
        Command::Rcpt { to, params } => rcpt(v, len, to, params),
        Command::Data => data(v, len),
        Command::Bdat { size, last } => chunk::command(v, len, size, last),
        Command::Rset => drop_open_message(v).unwrap_or_else(|| {
            Outcome::go(len, Change::Reset)
                .say(Say::Canned(r::OK))
                .junk()
        }),
        Command::Noop(_) => simple(len, r::OK),
        Command::Help(_) => simple(len, r::HELP),
        Command::Vrfy(arg) => verify(len, Verb::Vrfy, v.config.vrfy, arg),
        Command::Expn(arg) => verify(len, Verb::Expn, v.config.expn, arg),
        Command::Quit => drop_open_message(v).unwrap_or(close(len, r::BYE)),
        Command::StartTls => starttls(v, len),
        Command::Auth { mechanism, initial } => auth::command(v, len, line, mechanism, initial),
    }
}

/// The reply, then close.
const fn close<'a>(consumed: usize, reply: Canned) -> Outcome<'a> {
    Outcome::Close {
        consumed,
        reply: Say::Canned(reply),
    }
}

/// A BDAT message whose content was already handed out is dropped before a
/// command that ends the transaction; the command is left unconsumed and
/// runs next.
fn drop_open_message<'a>(v: View<'_, '_>) -> Option<Outcome<'a>> {
    v.session.tx.chunks_open().then(|| {
        Outcome::go(0, Change::DropMessage).report(Event::MessageAborted(AbortReason::Reset))
    })
}

/// The reply the syntax layer suggests; close for another protocol (D15)
/// or an unreadable BDAT line (D3: the framing is lost).
fn command_error<'a>(v: View<'_, '_>, len: usize, e: CommandError) -> Outcome<'a> {
    let (code, esc, text) = e.reply();
    let c = Canned { code, esc, text };
    if e.closes_session() {
        return close(len, c);
    }
    if e.verb == Some(Verb::Lhlo) && !v.config.is_lmtp() {
        return Outcome::refuse(len, r::UNKNOWN);
    }
    Outcome::refuse(len, c)
}

/// NOOP, HELP: a junk command that ends a group.
fn simple<'a>(len: usize, c: Canned) -> Outcome<'a> {
    Outcome::go(len, Change::Stay)
        .say(Say::Canned(c))
        .junk()
        .ends_group()
}

fn hello<'a>(v: View<'_, '_>, len: usize, verb: Verb, domain: Host<'a>) -> Outcome<'a> {
    match (v.config.is_lmtp(), verb) {
        (true, Verb::Ehlo | Verb::Helo) => return Outcome::refuse(len, r::USE_LHLO),
        (false, Verb::Lhlo) => return Outcome::refuse(len, r::UNKNOWN),
        _ => {}
    }
    if let Some(o) = drop_open_message(v) {
        return o;
    }
    let (hello, say) = if verb == Verb::Helo {
        (Hello::Helo, Say::Helo)
    } else {
        (Hello::Ehlo, Say::Ehlo)
    };
    if v.config.hello_decision {
        // The reply and the reset wait for the answer (`Server::answered`).
        return Outcome::go(len, Change::Ask(Pending::Hello(hello)))
            .report(Event::Hello { verb, domain });
    }
    Outcome::go(len, Change::Hello(hello))
        .say(say)
        .report(Event::Hello { verb, domain })
}

/// D14: a parameter of an extension that was not advertised gets 555.
fn mail_params_refused(v: View<'_, '_>, p: &MailParameters<'_>) -> bool {
    if p.is_empty() {
        return false;
    }
    let c = v.config;
    v.session.hello != Hello::Ehlo
        || p.unknown.is_some()
        || p.mt_priority.is_some()
        || p.by.is_some()
        || p.hold.is_some()
        || (p.body == Some(Body::EightBitMime) && !c.eight_bit_mime)
        || (p.body == Some(Body::BinaryMime) && !(c.has_chunking() && c.binarymime))
        || (p.smtputf8 && !c.has_smtputf8())
        || ((p.ret.is_some() || p.envid.is_some()) && !c.has_dsn())
        || (p.auth.is_some() && !v.auth_offered())
        || (p.requiretls && !(c.requiretls && v.session.tls_active))
}

fn mail<'a>(
    v: View<'_, '_>,
    len: usize,
    from: ReversePath<'a>,
    params: MailParameters<'a>,
) -> Outcome<'a> {
    if v.session.hello == Hello::None {
        return Outcome::refuse(len, r::SEND_HELLO_FIRST);
    }
    if !matches!(v.session.tx, Transaction::Idle) {
        return Outcome::refuse(len, r::NESTED_MAIL);
    }
    if mail_params_refused(v, &params) {
        return Outcome::refuse(len, r::UNSUPPORTED_PARAM);
    }
    if !from.is_ascii() && !params.smtputf8 {
        return Outcome::refuse(len, r::NON_ASCII_SENDER);
    }
    let max = v.config.max_message_size;
    if max != 0 && params.size.is_some_and(|s| s > max) {
        return Outcome::refuse(len, r::SIZE_EXCEEDED);
    }
    let pending = Pending::Mail {
        binary: params.body == Some(Body::BinaryMime),
        smtputf8: params.smtputf8,
    };
    Outcome::go(len, Change::Ask(pending)).report(Event::Mail { from, params })
}

fn rcpt<'a>(
    v: View<'_, '_>,
    len: usize,
    to: ForwardPath<'a>,
    params: RcptParameters<'a>,
) -> Outcome<'a> {
    let s = v.session;
    if s.hello == Hello::None {
        return Outcome::refuse(len, r::SEND_HELLO_FIRST);
    }
    let mail = match s.tx {
        Transaction::Idle => return Outcome::refuse(len, r::NEED_MAIL),
        Transaction::Chunking(..) => return Outcome::refuse(len, r::AFTER_BDAT),
        Transaction::Mail(m) => m,
    };
    let dsn = params.notify.is_some() || params.orcpt.is_some();
    if !params.is_empty()
        && (s.hello != Hello::Ehlo || params.unknown.is_some() || (dsn && !v.config.has_dsn()))
    {
        return Outcome::refuse(len, r::UNSUPPORTED_PARAM);
    }
    if !to.is_ascii() && !mail.smtputf8 {
        return Outcome::refuse(len, r::NON_ASCII_RCPT);
    }
    if mail.recipients.accepted() >= v.config.limits.max_recipients {
        return Outcome::Overshoot { consumed: len };
    }
    Outcome::go(len, Change::Ask(Pending::Rcpt)).report(Event::Rcpt { to, params })
}

/// `DATA`: `354`, then the content (RFC 5321 §4.1.1.4).
fn data<'a>(v: View<'_, '_>, len: usize) -> Outcome<'a> {
    if v.session.hello == Hello::None {
        return Outcome::refuse(len, r::SEND_HELLO_FIRST);
    }
    let mail = match v.session.tx {
        Transaction::Idle => return Outcome::refuse(len, r::NEED_MAIL),
        Transaction::Chunking(..) => return Outcome::refuse(len, r::AFTER_BDAT),
        Transaction::Mail(m) => m,
    };
    if mail.binary {
        return Outcome::refuse(len, r::DATA_BINARYMIME);
    }
    if mail.recipients.accepted() == 0 {
        return Outcome::refuse(len, v.session.tx.no_recipients());
    }
    Outcome::go(len, Change::Data)
        .say(Say::Canned(r::START_DATA))
        .report(Event::DataStart)
}

fn verify<'a>(len: usize, verb: Verb, policy: VrfyPolicy, argument: &'a str) -> Outcome<'a> {
    match policy {
        VrfyPolicy::CannotVerify => simple(len, r::CANNOT_VRFY),
        VrfyPolicy::Disabled => Outcome::Refuse {
            consumed: len,
            reply: r::NOT_IMPLEMENTED,
            ends_group: true,
        },
        VrfyPolicy::Ask => Outcome::go(len, Change::Ask(Pending::Verify))
            .junk()
            .report(Event::Verify { verb, argument }),
    }
}

fn starttls<'a>(v: View<'_, '_>, len: usize) -> Outcome<'a> {
    if v.session.tls_active {
        return Outcome::refuse(len, r::TLS_ACTIVE);
    }
    if !v.config.tls_available {
        return Outcome::refuse(len, r::NOT_IMPLEMENTED);
    }
    if !v.session.tls_ready {
        return Outcome::refuse(len, r::TLS_TEMP);
    }
    if let Some(o) = drop_open_message(v) {
        return o;
    }
    Outcome::go(len, Change::StartTls)
        .say(Say::Canned(r::TLS_GO))
        .report(Event::StartTls)
}
