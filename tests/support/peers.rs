//! The mail software the interop tests talk to (Debian packages: `postfix`
//! for `smtp-sink`/`smtp-source`, `swaks`, `curl`, `python3-aiosmtpd`;
//! `.ci/peers` installs them).
//!
//! A missing peer skips its test with a line saying why, unless
//! `EMBEDDED_SMTP_REQUIRE_PEERS=1`: then it fails the test (CI sets it, so
//! a peer that went missing cannot turn the interop tests into no-ops).

use std::path::Path;

pub const SMTP_SINK: &str = "/usr/sbin/smtp-sink";
pub const SMTP_SOURCE: &str = "/usr/sbin/smtp-source";
pub const SWAKS: &str = "/usr/bin/swaks";
pub const CURL: &str = "/usr/bin/curl";
/// Debian's Python, the one `python3-aiosmtpd` installs into (not a
/// `python3` that comes first on PATH, such as a pyenv build).
pub const PYTHON: &str = "/usr/bin/python3";

/// Whether peers must be present (`EMBEDDED_SMTP_REQUIRE_PEERS=1`).
pub fn required() -> bool {
    std::env::var("EMBEDDED_SMTP_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

/// Reports a missing peer: `false` (skip), or a panic when peers are
/// required.
fn missing(test: &str, why: &str) -> bool {
    assert!(
        !required(),
        "{test}: {why} (EMBEDDED_SMTP_REQUIRE_PEERS=1: peers are required; install them with .ci/peers)"
    );
    eprintln!("{test}: skipped: {why} (install with .ci/peers)");
    false
}

/// Whether every program in `paths` is there (an executable file).
pub fn programs(test: &str, paths: &[&str]) -> bool {
    for path in paths {
        if !Path::new(path).is_file() {
            return missing(test, &format!("{path} not found"));
        }
    }
    true
}

/// Whether Debian's Python can import `module`.
pub fn python_module(test: &str, module: &str) -> bool {
    if !programs(test, &[PYTHON]) {
        return false;
    }
    let (code, _, err) = super::run(PYTHON, &["-c", &format!("import {module}")]);
    if code == 0 {
        true
    } else {
        missing(
            test,
            &format!("{PYTHON} cannot import {module}: {}", err.trim()),
        )
    }
}

/// Whether this process runs as root (`smtp-sink` then needs `-u USER`).
pub fn is_root() -> bool {
    let (code, out, _) = super::run("id", &["-u"]);
    code == 0 && out.trim() == "0"
}
