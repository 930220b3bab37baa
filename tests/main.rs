//! The test suite, one binary with a module per layer of the crate (bottom
//! up, as in `src/`) and one helper folder:
//!
//! - `syntax`, `wire`: grammar tables from the RFCs, property tests, every
//!   framing case whole, byte by byte and at every split point (rule D2);
//! - `server`, `client`: the engines with no I/O — scripted sessions replayed
//!   at every split, RFC 5321 Appendix D, the catalogue rows of
//!   `docs/rules.md`, models and property tests, the two engines together;
//! - `io`: the drivers over in-memory transports, tokio and embassy-net;
//! - `message`: the message writer, its output parsed back by Python's
//!   `email` and by `mail-parser`, at every output-buffer size;
//! - `interop`: real mail software over 127.0.0.1 (skipped with a reason
//!   unless `EMBEDDED_SMTP_REQUIRE_PEERS=1`);
//! - `examples`: the example programs as a user runs them;
//! - `fuzz`: the fuzz targets' seed corpus replayed through their checks;
//! - `rules`: every rule and catalogue row cited in the code exists in the
//!   rule book, and every place the rule book points at exists.
//!
//! `support/` holds the helpers: scripted peers and harnesses for the
//! engines, in-memory and tokio transports, and processes and private
//! daemons for the interop tests.

mod support;

/// The checks the fuzz targets run (`fuzz/src/lib.rs`), shared with the
/// corpus replay, the client mutations and the server property test.
#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod fuzz_checks;

mod client;
// The examples (sink, send) and the interop suites speak every extension:
// they run in a build with all of them (the defaults).
#[cfg(all(
    feature = "chunking",
    feature = "dsn",
    feature = "smtputf8",
    feature = "lmtp",
    feature = "xoauth2",
    feature = "proxy"
))]
mod examples;
mod fuzz;
#[cfg(all(
    feature = "chunking",
    feature = "dsn",
    feature = "smtputf8",
    feature = "lmtp",
    feature = "xoauth2",
    feature = "proxy"
))]
mod interop;
mod io;
mod message;
mod rules;
mod server;
mod syntax;
mod wire;
