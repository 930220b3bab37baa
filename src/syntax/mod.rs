//! Stateless, zero-copy, allocation-free SMTP grammar: one parser and one
//! writer per element, shared by the client and the server.
//!
//! Parsers take one complete, already-framed line (or part of one) and borrow
//! from it; nom is used inside this module only and never appears in the
//! public API. Writers validate what they are given (rule D5) and write into a
//! caller buffer; see [`WriteError`].

pub mod address;
pub mod command;
pub mod domain;
pub mod ehlo;
mod grammar;
pub mod params;
pub mod reply;
mod writer;

pub use address::{AddressError, ForwardPath, LocalPart, Mailbox, ReversePath};
pub use command::{Command, CommandError, CommandErrorKind, InitialResponse, Verb};
pub use domain::{AddressLiteral, Domain, Host};
pub use ehlo::{AuthMechanism, AuthMechanisms, Capabilities, Extension};
pub use params::xtext::XText;
pub use params::{
    Body, By, ByMode, Hold, MailAuth, MailParameters, Notify, Orcpt, ParamError, RcptParameters,
    Ret, UnknownParam,
};
pub use reply::{EnhancedCode, Reply, ReplyClass, ReplyCode, ReplyError, ReplyLine, write_reply};
#[allow(unused_imports)]
pub(crate) use writer::{DIGEST_START, Writer, check_text, digest_with, write_with};
pub use writer::{Invalid, WriteError};

/// Whether the hand-written fast paths for the common shapes of paths,
/// hosts and parameters run before the nom grammar (feature `fast-parse`).
/// Without them the grammar alone parses every input, with the same
/// results (the fast paths' equivalence tests), in less code.
pub(crate) const FAST_PATHS: bool = cfg!(feature = "fast-parse");

/// How strictly the peer's lines are read.
///
/// `Strict` follows the RFC 5321 grammar to the letter. `Lenient` accepts the
/// deviations that real clients are known to send and that cannot be used to
/// smuggle anything:
///
/// - a space after the colon of `MAIL FROM:` / `RCPT TO:` (`MAIL FROM: <a@b>`);
/// - a path without angle brackets (`MAIL FROM:a@b`);
/// - more than one space between parameters, and trailing spaces;
/// - text after the domain of `EHLO`/`HELO`/`LHLO` (`EHLO a b c`), which is ignored.
///
/// Neither mode ever accepts a control byte, a bare CR or LF, or a path longer
/// than the RFC limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Mode {
    /// The RFC grammar to the letter (the default).
    #[default]
    Strict,
    /// The documented real-world deviations above.
    Lenient,
}

/// Options for parsing a command line.
///
/// ```
/// use embedded_smtp::syntax::{Mode, ParseOptions};
/// let opts = ParseOptions::default().lenient().utf8(true);
/// assert_eq!(opts.mode, Mode::Lenient);
/// assert!(opts.utf8);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ParseOptions {
    /// Strict (default) or lenient reading.
    pub mode: Mode,
    /// SMTPUTF8 mode (RFC 6531): UTF-8 is allowed in local parts, domains
    /// (U-labels) and parameter values. Off by default: only ASCII.
    pub utf8: bool,
}

impl ParseOptions {
    /// Strict, ASCII only.
    pub const STRICT: ParseOptions = ParseOptions {
        mode: Mode::Strict,
        utf8: false,
    };

    /// The same options in lenient mode.
    pub const fn lenient(self) -> Self {
        ParseOptions {
            mode: Mode::Lenient,
            ..self
        }
    }

    /// The same options with SMTPUTF8 mode on or off.
    pub const fn utf8(self, on: bool) -> Self {
        ParseOptions { utf8: on, ..self }
    }

    pub(crate) fn is_lenient(&self) -> bool {
        self.mode == Mode::Lenient
    }
}

/// The result of parsing input that may be incomplete (after httparse).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Status<T> {
    /// A complete element.
    Complete(T),
    /// More bytes are needed; nothing was consumed.
    Partial,
}

impl<T> Status<T> {
    /// The complete value, if any.
    pub fn complete(self) -> Option<T> {
        match self {
            Status::Complete(t) => Some(t),
            Status::Partial => None,
        }
    }
}
