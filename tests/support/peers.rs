//! The mail software the interop tests talk to (Debian packages: `postfix`
//! for `smtp-sink`/`smtp-source` and the full Postfix that
//! tests/interop/postfix/ runs as a private instance, `swaks`, `curl`,
//! `python3-aiosmtpd`, `msmtp`, `haproxy`, and `exim4-daemon-light`'s
//! binary unpacked under `/opt/embedded-smtp/exim4`; `.ci/peers` installs
//! them).
//!
//! A missing peer skips its test with a line saying why, unless
//! `EMBEDDED_SMTP_REQUIRE_PEERS=1`: then it fails the test (CI sets it, so
//! a peer that went missing cannot turn the interop tests into no-ops).

use std::path::Path;

pub const SMTP_SINK: &str = "/usr/sbin/smtp-sink";
pub const SMTP_SOURCE: &str = "/usr/sbin/smtp-source";
pub const SWAKS: &str = "/usr/bin/swaks";
pub const CURL: &str = "/usr/bin/curl";
/// OpenSSL's command line (`s_client -starttls smtp`).
pub const OPENSSL: &str = "/usr/bin/openssl";
/// msmtp (Debian's, built with GnuTLS and GNU SASL).
pub const MSMTP: &str = "/usr/bin/msmtp";
/// Exim 4 from Debian's `exim4-daemon-light`, unpacked by `.ci/peers`
/// (Debian's exim4 packages conflict with postfix); always run with a
/// private configuration (`-C`), see `support::exim`.
pub const EXIM: &str = "/opt/embedded-smtp/exim4/usr/sbin/exim4";
/// The user the Exim binary was built to run as (its compiled-in
/// `exim_user`; exim4-base's postinst would create it, `.ci/peers` does).
pub const EXIM_USER: &str = "Debian-exim";
/// Postfix's commands (Debian's paths); its daemons are in
/// [`POSTFIX_DAEMONS`].
pub const POSTFIX: &str = "/usr/sbin/postfix";
pub const POSTCONF: &str = "/usr/sbin/postconf";
pub const POSTCAT: &str = "/usr/sbin/postcat";
pub const POSTQUEUE: &str = "/usr/sbin/postqueue";
pub const POSTSUPER: &str = "/usr/sbin/postsuper";
/// Postfix's `daemon_directory` on Debian.
pub const POSTFIX_DAEMON_DIRECTORY: &str = "/usr/lib/postfix/sbin";
/// The daemons a private instance runs (tests/support/postfix.rs).
pub const POSTFIX_DAEMONS: &[&str] = &[
    "master",
    "smtpd",
    "qmgr",
    "cleanup",
    "trivial-rewrite",
    "smtp",
    "lmtp",
    "virtual",
    "bounce",
    "error",
    "postlogd",
    "tlsmgr",
];
/// HAProxy (Debian's), run as a private instance by tests/support/haproxy.rs.
pub const HAPROXY: &str = "/usr/sbin/haproxy";
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

/// Whether `program` (already found by [`programs`]) has a capability: the
/// output of `program args…` (stdout and stderr) contains `needle`. `what`
/// names the capability in the skip or failure message.
pub fn capability(test: &str, program: &str, args: &[&str], needle: &str, what: &str) -> bool {
    let (_, out, err) = super::run(program, args);
    if out.contains(needle) || err.contains(needle) {
        true
    } else {
        missing(
            test,
            &format!(
                "{program} lacks {what} (`{program} {}` does not say {needle:?}): {}{}",
                args.join(" "),
                out.trim(),
                err.trim()
            ),
        )
    }
}

/// Whether swaks is there and supports each of `features` as `swaks
/// --support` names them ("TLS", "Basic AUTH", "AUTH DIGEST-MD5"): TLS
/// needs Perl's Net::SSLeay, a "Recommends" of Debian's swaks that
/// `--no-install-recommends` leaves out.
pub fn swaks(test: &str, features: &[&str]) -> bool {
    programs(test, &[SWAKS])
        && features.iter().all(|feature| {
            capability(
                test,
                SWAKS,
                &["--support"],
                &format!("=== {feature} supported"),
                &format!("{feature} support"),
            )
        })
}

/// Whether HAProxy is there and runs (`haproxy -v`); every version since
/// 1.5 sends both PROXY protocol versions.
pub fn haproxy(test: &str) -> bool {
    programs(test, &[HAPROXY])
        && capability(
            test,
            HAPROXY,
            &["-v"],
            "HAProxy version",
            "a working binary",
        )
}

/// Whether Exim is there with what the Exim tests use: GnuTLS (STARTTLS
/// both ways), I18N (SMTPUTF8), the plaintext authenticator (AUTH PLAIN
/// and LOGIN both ways), as `exim -bV` lists them; its user; and root, as
/// which the tests run it (a caller other than root loses Exim's root
/// privilege with `-C`, and then cannot start a daemon or switch to the
/// Exim user).
pub fn exim(test: &str) -> bool {
    if !programs(test, &[EXIM]) {
        return false;
    }
    // An empty configuration: -bV then only reports the build.
    let bv = ["-C", "/dev/null", "-bV"];
    let capable = capability(test, EXIM, &bv, "GnuTLS", "TLS through GnuTLS")
        && capability(test, EXIM, &bv, " I18N", "internationalisation (SMTPUTF8)")
        && capability(test, EXIM, &bv, "Authenticators:", "authenticators")
        && capability(test, EXIM, &bv, " plaintext", "the plaintext authenticator")
        && capability(test, EXIM, &bv, "appendfile/maildir", "Maildir delivery");
    if !capable {
        return false;
    }
    if super::run("id", &["-u", EXIM_USER]).0 != 0 {
        return missing(
            test,
            &format!("no user {EXIM_USER} (Exim's compiled-in user)"),
        );
    }
    if !is_root() {
        return missing(
            test,
            "the Exim tests run Exim as root (with -C, Exim keeps its privilege only for root)",
        );
    }
    true
}

/// Whether msmtp is there, built with GnuTLS (`--version`).
pub fn msmtp(test: &str) -> bool {
    programs(test, &[MSMTP])
        && capability(
            test,
            MSMTP,
            &["--version"],
            "TLS/SSL library: GnuTLS",
            "TLS through GnuTLS",
        )
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

/// Whether a private Postfix instance can run here: Postfix's commands
/// and daemons; Postfix 3.4 or later (`maillog_file`, which the tests read,
/// and the server side of CHUNKING came in 3.4); its users (`mail_owner`
/// `postfix`, `setgid_group` `postdrop`); and root, since the master
/// daemon starts as root and its children switch to those users.
pub fn postfix(test: &str) -> bool {
    let daemons: Vec<String> = POSTFIX_DAEMONS
        .iter()
        .map(|d| format!("{POSTFIX_DAEMON_DIRECTORY}/{d}"))
        .collect();
    let daemons: Vec<&str> = daemons.iter().map(String::as_str).collect();
    if !(programs(test, &[POSTFIX, POSTCONF, POSTCAT, POSTQUEUE, POSTSUPER])
        && programs(test, &daemons)
        && capability(
            test,
            POSTCONF,
            &["-d", "maillog_file_prefixes"],
            "maillog_file_prefixes =",
            "maillog_file (Postfix 3.4 or later)",
        ))
    {
        return false;
    }
    for (what, args) in [
        ("the user postfix", ["passwd", "postfix"]),
        ("the group postdrop", ["group", "postdrop"]),
    ] {
        if super::run("getent", &args).0 != 0 {
            return missing(test, &format!("{what} does not exist"));
        }
    }
    if !is_root() {
        return missing(
            test,
            "a private Postfix instance must be started as root (its master daemon switches users)",
        );
    }
    true
}

/// Whether this process runs as root (`smtp-sink` then needs `-u USER`).
pub fn is_root() -> bool {
    let (code, out, _) = super::run("id", &["-u"]);
    code == 0 && out.trim() == "0"
}

/// Splits a Postfix `smtp-sink` dump (`-d`, see smtp-sink(1) "DUMP FILE
/// FORMAT") into its `X-*` records and the message: the records, then
/// smtp-sink's own `Received:` header (with its continuation lines), then
/// the message as received with LF line ends, then an empty line.
pub fn smtp_sink_dump(dump: &[u8]) -> (Vec<String>, Vec<u8>) {
    let mut records = Vec::new();
    let mut rest = dump;
    // The X-* records.
    while rest.starts_with(b"X-") {
        let end = rest.iter().position(|&b| b == b'\n').expect("record line");
        records.push(String::from_utf8(rest[..end].to_vec()).expect("UTF-8 record"));
        rest = &rest[end + 1..];
    }
    assert!(
        rest.starts_with(b"Received: from "),
        "no Received: after the records: {}",
        String::from_utf8_lossy(dump)
    );
    // The Received: header and its folded lines.
    loop {
        let end = rest.iter().position(|&b| b == b'\n').expect("header line");
        rest = &rest[end + 1..];
        if !rest.starts_with(b"\t") && !rest.starts_with(b" ") {
            break;
        }
    }
    let message = rest
        .strip_suffix(b"\n")
        .expect("the dump ends in an empty line");
    (records, message.to_vec())
}

/// CRLF → LF, as smtp-sink writes its dumps.
pub fn lf_lines(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i..].starts_with(b"\r\n") {
            out.push(b'\n');
            i += 2;
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    out
}
