//! Every reply the engine writes on its own, in one table: code, enhanced
//! status code (RFC 3463; written only when ENHANCEDSTATUSCODES is on) and
//! text. Rule D7 gives the codes. `say.rs` writes them.

use crate::syntax::{EnhancedCode, ReplyCode};

/// One canned reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Canned {
    pub(crate) code: ReplyCode,
    pub(crate) esc: EnhancedCode,
    pub(crate) text: &'static str,
}

const fn r(code: u16, class: u8, subject: u16, detail: u16, text: &'static str) -> Canned {
    let code = match ReplyCode::new(code) {
        Some(c) => c,
        None => panic!("bad reply code"),
    };
    let esc = match EnhancedCode::new(class, subject, detail) {
        Some(e) => e,
        None => panic!("bad enhanced code"),
    };
    Canned { code, esc, text }
}

// Sequencing and syntax (RFC 5321 §4.1.4, §4.2.4).
pub(crate) const OK: Canned = r(250, 2, 0, 0, "Ok");
pub(crate) const HELP: Canned = r(214, 2, 0, 0, "See RFC 5321");
pub(crate) const BYE: Canned = r(221, 2, 0, 0, "Bye");
pub(crate) const CANNOT_VRFY: Canned = r(
    252,
    2,
    5,
    2,
    "Cannot VRFY user, but will accept message and attempt delivery",
);
pub(crate) const SEND_HELLO_FIRST: Canned = r(503, 5, 5, 1, "Error: send HELO/EHLO first");
pub(crate) const NESTED_MAIL: Canned = r(503, 5, 5, 1, "Error: nested MAIL command");
pub(crate) const NEED_MAIL: Canned = r(503, 5, 5, 1, "Error: need MAIL command");
pub(crate) const NEED_RCPT: Canned = r(503, 5, 5, 1, "Error: need RCPT command");
pub(crate) const NO_VALID_RCPT: Canned = r(554, 5, 5, 1, "Error: no valid recipients");
pub(crate) const AFTER_BDAT: Canned = r(503, 5, 5, 1, "Error: command not allowed after BDAT");
pub(crate) const DATA_BINARYMIME: Canned = r(503, 5, 5, 1, "Error: BODY=BINARYMIME requires BDAT");
pub(crate) const NO_SERVICE: Canned = r(503, 5, 5, 1, "Error: no SMTP service here");
pub(crate) const USE_LHLO: Canned = r(500, 5, 5, 1, "Error: this is LMTP; use LHLO");
pub(crate) const UNKNOWN: Canned = r(500, 5, 5, 2, "Error: command not recognized");
pub(crate) const NOT_IMPLEMENTED: Canned = r(502, 5, 5, 1, "Error: command not implemented");
pub(crate) const LINE_TOO_LONG: Canned = r(500, 5, 5, 2, "Error: line too long");
pub(crate) const BARE_LF: Canned = r(550, 5, 5, 2, "Error: bare <CR> or <LF> received");
pub(crate) const BARE_LF_521: Canned = r(521, 5, 5, 2, "Error: bare <CR> or <LF> received");
pub(crate) const SYNC: Canned = r(554, 5, 5, 0, "Error: SMTP protocol synchronization");
pub(crate) const TOO_MANY_ERRORS: Canned = r(421, 4, 7, 0, "Error: too many errors");

// MAIL / RCPT parameters and limits (rule D14, RFC 1870, RFC 6531).
pub(crate) const UNSUPPORTED_PARAM: Canned = r(555, 5, 5, 4, "Error: unsupported parameter");
pub(crate) const SIZE_EXCEEDED: Canned = r(552, 5, 3, 4, "Error: message size exceeds fixed limit");
pub(crate) const NON_ASCII_SENDER: Canned =
    r(550, 5, 6, 7, "Error: non-ASCII address requires SMTPUTF8");
pub(crate) const NON_ASCII_RCPT: Canned =
    r(553, 5, 6, 7, "Error: non-ASCII address requires SMTPUTF8");
pub(crate) const TOO_MANY_RCPTS: Canned = r(452, 4, 5, 3, "Error: too many recipients");

// DATA and BDAT (RFC 5321 §4.1.1.4, RFC 3030).
pub(crate) const START_DATA: Canned = r(354, 2, 0, 0, "End data with <CR><LF>.<CR><LF>");
pub(crate) const BDAT_OK: Canned = r(250, 2, 0, 0, "octets received");

// STARTTLS (RFC 3207).
pub(crate) const TLS_GO: Canned = r(220, 2, 0, 0, "Ready to start TLS");
pub(crate) const TLS_ACTIVE: Canned = r(554, 5, 5, 1, "Error: TLS already active");
pub(crate) const TLS_TEMP: Canned = r(454, 4, 7, 0, "TLS not available due to temporary reason");
pub(crate) const TLS_FIRST: Canned = r(530, 5, 7, 0, "Must issue a STARTTLS command first");

// AUTH (RFC 4954).
pub(crate) const AUTH_CANCELLED: Canned = r(501, 5, 7, 0, "Authentication cancelled");
pub(crate) const AUTH_BASE64: Canned = r(501, 5, 5, 2, "Error: invalid base64 data");
pub(crate) const AUTH_TOO_LONG: Canned =
    r(500, 5, 5, 6, "Authentication Exchange line is too long");
pub(crate) const AUTH_MECHANISM: Canned = r(504, 5, 5, 4, "Unrecognized authentication type");
pub(crate) const AUTH_AGAIN: Canned = r(503, 5, 5, 1, "Error: already authenticated");
pub(crate) const AUTH_IN_TX: Canned = r(503, 5, 5, 1, "Error: MAIL transaction in progress");
pub(crate) const AUTH_NEEDS_TLS: Canned = r(
    538,
    5,
    7,
    11,
    "Encryption required for requested authentication mechanism",
);
pub(crate) const AUTH_TOO_MANY: Canned = r(421, 4, 7, 0, "Error: too many authentication failures");

// Closing.
pub(crate) const TIMEOUT: Canned = r(421, 4, 4, 2, "Error: timeout exceeded");

// Default answers to decisions.
pub(crate) const MAIL_OK: Canned = r(250, 2, 1, 0, "Ok");
pub(crate) const MAIL_REJECTED: Canned = r(550, 5, 7, 1, "Sender rejected");
pub(crate) const RCPT_OK: Canned = r(250, 2, 1, 5, "Ok");
pub(crate) const RCPT_REJECTED: Canned = r(550, 5, 1, 1, "Recipient address rejected");
pub(crate) const VRFY_OK: Canned = r(250, 2, 1, 5, "Ok");
pub(crate) const VRFY_REJECTED: Canned = r(550, 5, 1, 1, "No such user");
pub(crate) const MESSAGE_OK: Canned = r(250, 2, 0, 0, "Ok: queued");
pub(crate) const MESSAGE_REJECTED: Canned = r(554, 5, 7, 1, "Message rejected");
pub(crate) const AUTH_OK: Canned = r(235, 2, 7, 0, "Authentication successful");
pub(crate) const HELLO_REJECTED: Canned = r(550, 5, 7, 1, "Helo command rejected");
pub(crate) const AUTH_FAILED: Canned = r(535, 5, 7, 8, "Authentication credentials invalid");
