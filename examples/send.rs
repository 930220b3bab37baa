//! A host SMTP client on the async driver, through the `tokio` and `rustls`
//! features' helpers (`io::tokio::connect`, `connect_tls`: TCP, STARTTLS
//! or implicit TLS, EHLO and AUTH in one call); all connections are
//! futures on one single-threaded tokio runtime, as smtp-source multiplexes
//! its sessions.
//!
//! ```text
//! send --server HOST:PORT --from ADDR --to ADDR [--to ADDR]... [--helo NAME]
//!      [--starttls | --tls] [--ca PEM | --insecure] [--auth USER:PASS]
//!      [--body FILE] [--count N] [--sessions S] [--no-pipelining]
//!      [--chunking auto|never] [--notify LIST] [--ret full|hdrs] [--envid ID]
//!      [--subject TEXT] [--text FILE] [--html FILE] [--attach FILE]...
//! ```
//!
//! The body comes from FILE, or from stdin without `--body`, and is sent as
//! given. With `--subject`, `--text`, `--html` or `--attach` (repeatable)
//! the message is composed instead, by the crate's `message` writer: `From`
//! and `To` from `--from` and `--to`, the current time as `Date`, a
//! `Message-ID` from the OS's random numbers, the text (UTF-8) with an HTML
//! alternative, and the files attached, read in chunks as the message goes
//! out (never whole in memory). Output: one line per recipient, `accepted ADDR: REPLY` or
//! `rejected ADDR: REPLY`, and one per message, `delivered: REPLY` or
//! `failed: REPLY`. Exit status: 0 every recipient of every message
//! accepted; 1 some recipient or message refused, or the credentials
//! (`authentication failed: REPLY` on stderr); 2 invalid arguments or
//! input, nothing sent (everything is validated before connecting); 3
//! connection or protocol error; 4 TLS error. With `--count N --sessions S`
//! it sends N messages on each of S parallel connections and ends with
//! `messages/s: X`.
//!
//! TLS is rustls with the `ring` provider: `--starttls` (RFC 3207) or
//! `--tls` (implicit TLS, RFC 8314, port 465). The server certificate is
//! checked against `--ca PEM` or the system's CA bundle; `--insecure` skips
//! the check (testing only). Credentials are sent only over TLS, or in
//! plaintext to a loopback address. After QUIT a TLS session ends with the
//! client's close_notify alert (RFC 8446 §6.1).
//!
//! Run: `cargo run --features rustls --example send -- --server 127.0.0.1:2525 --from a@example.org --to b@example.net < message.eml`

use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use embedded_smtp::client::{
    AuthConfig, ChunkingPolicy, ClientConfig, ClientError, ConfigError, Envelope, Event, Recipient,
    Stage, TlsPolicy,
};
use embedded_smtp::io::Error as DriverError;
use embedded_smtp::io::Message;
use embedded_smtp::io::tokio::{CLIENT_BUFFER, connect_tls_with_events, connect_with_events};
use embedded_smtp::syntax::Reply;
use embedded_smtp::syntax::params::{Body, Notify, Ret};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

const USAGE: &str =
    "usage: send --server HOST:PORT --from ADDR --to ADDR [--to ADDR]... [--helo NAME]
            [--starttls | --tls] [--ca PEM | --insecure] [--auth USER:PASS] [--body FILE]
            [--count N] [--sessions S] [--no-pipelining] [--chunking auto|never]
            [--notify LIST] [--ret full|hdrs] [--envid ID]
            [--subject TEXT] [--text FILE] [--html FILE] [--attach FILE]...";

/// Exit statuses.
const REFUSED: u8 = 1;
const INVALID: u8 = 2;
const CONNECTION: u8 = 3;
const TLS: u8 = 4;

#[derive(Clone, Copy, PartialEq, Eq)]
enum TlsMode {
    Plain,
    StartTls,
    Implicit,
}

/// The command line.
struct Args {
    server: String,
    from: String,
    to: Vec<String>,
    helo: String,
    tls: TlsMode,
    ca: Option<PathBuf>,
    insecure: bool,
    auth: Option<(String, String)>,
    body: Option<PathBuf>,
    count: usize,
    sessions: usize,
    load: bool,
    pipelining: bool,
    chunking: ChunkingPolicy,
    notify: Option<Notify>,
    ret: Option<Ret>,
    envid: Option<String>,
    compose: compose::Options,
}

/// Why the program stops early: a message and an exit status.
struct Fail(u8, String);

fn invalid(msg: impl Into<String>) -> Fail {
    Fail(INVALID, msg.into())
}

fn parse_args() -> Result<Args, Fail> {
    let mut args = Args {
        server: String::new(),
        from: String::new(),
        to: Vec::new(),
        helo: "localhost".into(),
        tls: TlsMode::Plain,
        ca: None,
        insecure: false,
        auth: None,
        body: None,
        count: 1,
        sessions: 1,
        load: false,
        pipelining: true,
        chunking: ChunkingPolicy::WhenAdvertised,
        notify: None,
        ret: None,
        envid: None,
        compose: compose::Options::default(),
    };
    let (mut server, mut from) = (None, None);
    let mut it = std::env::args_os().skip(1);
    while let Some(flag) = it.next() {
        let flag = flag
            .into_string()
            .map_err(|_| invalid("arguments must be UTF-8"))?;
        let mut value = || -> Result<String, Fail> {
            it.next()
                .ok_or_else(|| invalid(format!("{flag} needs a value")))?
                .into_string()
                .map_err(|_| invalid(format!("the value of {flag} must be UTF-8")))
        };
        match flag.as_str() {
            "--server" => server = Some(value()?),
            "--from" => from = Some(value()?),
            "--to" => args.to.push(value()?),
            "--helo" => args.helo = value()?,
            "--starttls" | "--tls" => {
                if args.tls != TlsMode::Plain {
                    return Err(invalid("--starttls and --tls exclude each other"));
                }
                args.tls = if flag == "--tls" {
                    TlsMode::Implicit
                } else {
                    TlsMode::StartTls
                };
            }
            "--ca" => args.ca = Some(value()?.into()),
            "--insecure" => args.insecure = true,
            "--auth" => {
                let v = value()?;
                let (user, pass) = v
                    .split_once(':')
                    .ok_or_else(|| invalid("--auth wants USER:PASS"))?;
                args.auth = Some((user.into(), pass.into()));
            }
            "--body" => args.body = Some(value()?.into()),
            "--count" | "--sessions" => {
                let n: usize = value()?
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| invalid(format!("{flag} wants a number above 0")))?;
                if flag == "--count" {
                    args.count = n;
                } else {
                    args.sessions = n;
                }
                args.load = true;
            }
            "--no-pipelining" => args.pipelining = false,
            "--chunking" => {
                args.chunking = match value()?.as_str() {
                    "auto" => ChunkingPolicy::WhenAdvertised,
                    "never" => ChunkingPolicy::Never,
                    _ => return Err(invalid("--chunking wants auto or never")),
                }
            }
            "--notify" => args.notify = Some(parse_notify(&value()?)?),
            "--ret" => {
                args.ret = Some(match value()?.to_ascii_lowercase().as_str() {
                    "full" => Ret::Full,
                    "hdrs" => Ret::Hdrs,
                    _ => return Err(invalid("--ret wants full or hdrs")),
                })
            }
            "--envid" => args.envid = Some(value()?),
            "--subject" | "--text" | "--html" | "--attach" => {
                args.compose.flag(&flag, value()?);
            }
            "-h" | "--help" => return Err(invalid(USAGE)),
            other => return Err(invalid(format!("unknown argument {other:?}\n{USAGE}"))),
        }
    }
    args.server = server.ok_or_else(|| invalid(format!("--server is required\n{USAGE}")))?;
    args.from = from.ok_or_else(|| invalid(format!("--from is required\n{USAGE}")))?;
    if args.to.is_empty() {
        return Err(invalid(format!("at least one --to is required\n{USAGE}")));
    }
    if args.body.is_some() && args.compose.is_on() {
        return Err(invalid(
            "--body excludes --subject, --text, --html and --attach",
        ));
    }
    if args.ca.is_some() && args.insecure {
        return Err(invalid("--ca and --insecure exclude each other"));
    }
    if (args.ca.is_some() || args.insecure) && args.tls == TlsMode::Plain {
        return Err(invalid("--ca and --insecure need --starttls or --tls"));
    }
    Ok(args)
}

/// `NEVER`, or a comma-separated list of `SUCCESS`, `FAILURE`, `DELAY`
/// (RFC 3461 §4.1).
fn parse_notify(list: &str) -> Result<Notify, Fail> {
    if list.eq_ignore_ascii_case("never") {
        return Ok(Notify::NEVER);
    }
    let mut notify = Notify::NEVER;
    for item in list.split(',') {
        notify = notify.union(match item.to_ascii_lowercase().as_str() {
            "success" => Notify::SUCCESS,
            "failure" => Notify::FAILURE,
            "delay" => Notify::DELAY,
            _ => {
                return Err(invalid(
                    "--notify wants NEVER or a list of SUCCESS,FAILURE,DELAY",
                ));
            }
        });
    }
    Ok(notify)
}

/// Checks the body the way the engine's default policy will (bare CR or
/// LF refused, lines of at most 998 octets), so that a bad body fails
/// before anything is sent.
fn check_body(body: &[u8]) -> Result<(), Fail> {
    let mut line = 0usize;
    for (i, &b) in body.iter().enumerate() {
        match b {
            b'\r' if body.get(i + 1) != Some(&b'\n') => {
                return Err(invalid("the body has a bare CR (lines must end in CRLF)"));
            }
            b'\n' if i == 0 || body[i - 1] != b'\r' => {
                return Err(invalid("the body has a bare LF (lines must end in CRLF)"));
            }
            b'\r' | b'\n' => line = 0,
            _ => {
                line += 1;
                if line > 998 {
                    return Err(invalid("the body has a line over 998 octets"));
                }
            }
        }
    }
    Ok(())
}

/// Everything a session needs, validated before the first connection.
struct Plan<'a> {
    addr: SocketAddr,
    server_name: ServerName<'static>,
    tls: Option<tokio_rustls::TlsConnector>,
    config: ClientConfig<'a>,
    envelope: Envelope<'a>,
    addresses: &'a [String],
    body: &'a [u8],
    composed: Option<&'a compose::Compose>,
    count: usize,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => ExitCode::from(code),
        Err(Fail(code, msg)) => {
            eprintln!("send: {msg}");
            ExitCode::from(code)
        }
    }
}

fn run() -> Result<u8, Fail> {
    let args = parse_args()?;

    // Everything is validated before connecting: a CR or LF in an address
    // fails here, with exit status 2 and nothing sent.
    let composed = compose::Compose::new(&args.compose, &args.from, &args.to)?;
    let body = match &args.body {
        Some(path) => fs::read(path).map_err(|e| invalid(format!("{}: {e}", path.display())))?,
        None if composed.is_some() => Vec::new(),
        None => {
            let mut b = Vec::new();
            io::stdin()
                .read_to_end(&mut b)
                .map_err(|e| invalid(format!("stdin: {e}")))?;
            b
        }
    };
    check_body(&body)?;
    let mut recipients = Vec::with_capacity(args.to.len());
    for to in &args.to {
        let r = Recipient::new(to).map_err(|e| invalid(format!("--to {to:?}: {e}")))?;
        recipients.push(match args.notify {
            Some(n) => r.notify(n),
            None => r,
        });
    }
    let mut envelope = Envelope::new(&args.from, &recipients)
        .map_err(|e| invalid(format!("--from {:?}: {e}", args.from)))?;
    let mut size = body.len() as u64;
    if !body.is_empty() && !body.ends_with(b"\r\n") {
        size += 2; // the engine ends the last line
    }
    if composed.is_none() {
        envelope = envelope.size(size);
    }
    if body.iter().any(|&b| b > 127) {
        envelope = envelope.body(Body::EightBitMime);
    }
    if let Some(ret) = args.ret {
        envelope = envelope.ret(ret);
    }
    if let Some(id) = &args.envid {
        envelope = envelope
            .envid(id.as_bytes())
            .map_err(|e| invalid(format!("--envid: {e}")))?;
    }

    let addr = args
        .server
        .to_socket_addrs()
        .map_err(|e| Fail(CONNECTION, format!("{}: {e}", args.server)))?
        .next()
        .ok_or_else(|| Fail(CONNECTION, format!("{}: no address", args.server)))?;
    let mut config = ClientConfig::new(&args.helo);
    config.tls = match args.tls {
        TlsMode::StartTls => TlsPolicy::Required,
        TlsMode::Plain | TlsMode::Implicit => TlsPolicy::Never,
    };
    config.implicit_tls = args.tls == TlsMode::Implicit;
    config.pipelining = args.pipelining;
    config.chunking = args.chunking;
    config.max_recipients =
        u16::try_from(recipients.len().max(100)).map_err(|_| invalid("too many recipients"))?;
    if let Some((user, pass)) = &args.auth {
        config.auth = Some(AuthConfig::password(user, pass));
        config.allow_plaintext_auth = addr.ip().is_loopback();
    }
    config.validate().map_err(|e| match e {
        ConfigError::HeloName => invalid(format!("--helo: {e}")),
        e => invalid(format!("configuration: {e}")),
    })?;

    let host = args.server.rsplit_once(':').map_or("", |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let server_name = ServerName::try_from(host.to_string())
        .map_err(|_| invalid(format!("{host:?} is not a host name for TLS")))?;
    let tls = match args.tls {
        TlsMode::Plain => None,
        _ => Some(tokio_rustls::TlsConnector::from(tls_config(&args)?)),
    };

    let plan = Plan {
        addr,
        server_name,
        tls,
        config,
        envelope,
        addresses: &args.to,
        body: &body,
        composed: composed.as_ref(),
        count: args.count,
    };
    let start = Instant::now();
    let results = run_sessions(&plan, args.sessions);
    let elapsed = start.elapsed().as_secs_f64();
    let status = results.iter().map(|r| r.0).max().unwrap_or(0);
    if args.load {
        let delivered: usize = results.iter().map(|r| r.1).sum();
        println!("messages/s: {:.1}", delivered as f64 / elapsed.max(1e-9));
    }
    Ok(status)
}

/// The rustls client configuration (ring provider).
fn tls_config(args: &Args) -> Result<Arc<rustls::ClientConfig>, Fail> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Fail(TLS, e.to_string()))?;
    let config = if args.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        let bundle = match &args.ca {
            Some(path) => path.clone(),
            None => SYSTEM_BUNDLES
                .iter()
                .map(PathBuf::from)
                .find(|p| p.exists())
                .ok_or_else(|| invalid("no system CA bundle found: give --ca PEM or --insecure"))?,
        };
        let certs = CertificateDer::pem_file_iter(&bundle)
            .map_err(|e| invalid(format!("{}: {e}", bundle.display())))?;
        for cert in certs {
            let cert = cert.map_err(|e| invalid(format!("{}: {e}", bundle.display())))?;
            roots
                .add(cert)
                .map_err(|e| invalid(format!("{}: {e}", bundle.display())))?;
        }
        if roots.is_empty() {
            return Err(invalid(format!("{}: no certificate", bundle.display())));
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(Arc::new(config))
}

const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// `--insecure`: accepts any certificate, still checks the handshake
/// signatures.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The exit status for a driver error.
fn status_of(e: &DriverError) -> u8 {
    match e {
        DriverError::Tls | DriverError::Client(ClientError::TlsUnavailable) => TLS,
        _ => CONNECTION,
    }
}

/// A reply on one line: its lines joined by " / ".
fn text(reply: &Reply<'_>) -> String {
    String::from_utf8_lossy(reply.raw())
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Messages per `send_many` call.
const BATCH: usize = 256;

/// `sessions` connections at once, all on one single-threaded tokio runtime
/// of this thread, as smtp-source multiplexes its sessions: each session is
/// a future, and they wait on their sockets together (a thread per
/// connection spent most of its CPU switching threads on every reply).
fn run_sessions(plan: &Plan<'_>, sessions: usize) -> Vec<(u8, usize)> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("send: runtime: {e}");
            return vec![(CONNECTION, 0)];
        }
    };
    let mut running: Vec<_> = (0..sessions).map(|_| Box::pin(session(plan))).collect();
    let mut results = vec![None; sessions];
    runtime.block_on(std::future::poll_fn(|cx| {
        for (future, result) in running.iter_mut().zip(results.iter_mut()) {
            if result.is_none()
                && let std::task::Poll::Ready(r) = future.as_mut().poll(cx)
            {
                *result = Some(r);
            }
        }
        if results.iter().all(Option::is_some) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    }));
    results.into_iter().flatten().collect()
}

/// One connection: `count` messages, then QUIT. Returns the worst exit
/// status seen and the number of messages delivered.
async fn session(plan: &Plan<'_>) -> (u8, usize) {
    let out = io::stdout();
    let fail = |code: u8, msg: String| {
        eprintln!("send: {msg}");
        code
    };
    // TCP, TLS (STARTTLS, or implicit with `--tls`), greeting, EHLO and
    // AUTH: one call. The engine's deadlines bound every wait
    // (`TokioTimer`, RFC 5321 §4.5.3.2).
    // A larger transmit buffer than the driver's default: a message of a
    // few KiB goes out with its end mark (and, pipelined, the next
    // envelope) in one write.
    let (mut rx, mut tx) = (vec![0u8; CLIENT_BUFFER], vec![0u8; 4 * CLIENT_BUFFER]);
    // The server's refusal of the credentials (RFC 4954 §4), if any.
    let mut auth_refused = None;
    let note = |event: &Event<'_>| {
        if let Event::AuthFailed(reply) = event {
            auth_refused = Some(text(reply));
        }
    };
    let connected = match &plan.tls {
        Some(connector) => {
            let name = plan.server_name.clone();
            let (config, rx, tx) = (plan.config, &mut rx, &mut tx);
            connect_tls_with_events(plan.addr, connector, name, config, rx, tx, note).await
        }
        None => connect_with_events(plan.addr, plan.config, &mut rx, &mut tx, note).await,
    };
    let mut client = match connected {
        Ok(c) => c,
        Err(e) => return (fail(status_of(&e), format!("{}: {e}", plan.addr)), 0),
    };
    if plan.config.auth.is_some() && !client.engine().is_authenticated() {
        // A refusal (status 1) with the server's reply, then QUIT as on
        // every other path (RFC 5321 §4.1.1.10).
        let why = auth_refused.map_or_else(String::new, |r| format!(": {r}"));
        let status = fail(REFUSED, format!("authentication failed{why}"));
        return match client.quit().await {
            // A TLS session ends with its close_notify (RFC 8446 §6.1).
            Ok(mut stream) => {
                stream.shutdown().await;
                (status, 0)
            }
            Err(e) => (status.max(fail(CONNECTION, format!("QUIT: {e}"))), 0),
        };
    }

    // The report lines, written to stdout a whole message at a time and at
    // most every 64 KiB: one write per message was a third of the
    // syscalls of a pipelined load run.
    let mut log: Vec<u8> = Vec::new();
    let flush = |log: &mut Vec<u8>| {
        let _ = out.lock().write_all(log);
        log.clear();
    };
    let (mut status, mut delivered) = (0u8, 0usize);
    // The messages go in batches: with PIPELINING each one's envelope is
    // written with the end of the previous one's content (RFC 2920 §3.1),
    // and each keeps its own outcome. A composed message goes alone: its
    // writer and its open attachments live for its own send.
    let mut left = plan.count;
    while left > 0 {
        let n = if plan.composed.is_some() {
            1
        } else {
            left.min(BATCH)
        };
        left -= n;
        // Per message: the last refusal (MAIL, or a RCPT), which a failure
        // without a reply of its own repeats.
        let mut last_refusal: Vec<Option<String>> = vec![None; n];
        let mut on_event = |i: usize, event: &Event<'_>| match event {
            Event::Recipient { index, reply } => {
                let addr = plan.addresses.get(*index).map_or("?", String::as_str);
                if reply.code().is_positive() {
                    let _ = writeln!(log, "accepted {addr}: {}", text(reply));
                } else {
                    last_refusal[i] = Some(text(reply));
                    let _ = writeln!(log, "rejected {addr}: {}", text(reply));
                }
            }
            Event::MailFrom(reply) if !reply.code().is_positive() => {
                last_refusal[i] = Some(text(reply));
            }
            Event::Delivered { reply, .. } => {
                let _ = writeln!(log, "delivered: {}", text(reply));
            }
            Event::Failed(f) => {
                let why = match (f.reply, &last_refusal[i], f.stage) {
                    (Some(r), _, _) => text(&r),
                    (None, Some(refusal), _) => refusal.clone(),
                    (None, None, Stage::Recipients) => "no recipient accepted".into(),
                    (None, None, stage) => format!("{stage:?} ({:?})", f.kind),
                };
                let _ = writeln!(log, "failed: {why}");
            }
            _ => {}
        };
        let (result, outcomes) = match plan.composed {
            Some(c) => c.send(&mut client, plan.envelope, &mut on_event).await,
            None => {
                let mut bodies = vec![plan.body; n];
                let mut batch: Vec<Message<'_>> = bodies
                    .iter_mut()
                    .map(|b| Message::new(plan.envelope, b))
                    .collect();
                let result = client.send_many(&mut batch, &mut on_event).await;
                let outcomes: Vec<_> = batch.iter().map(|m| (m.delivery, m.refused)).collect();
                (result, outcomes)
            }
        };
        for (d, refused) in outcomes {
            if let Some(ClientError::Envelope(e)) = refused {
                // The server's extensions do not allow this envelope;
                // nothing of it was sent.
                let _ = writeln!(log, "failed: {e}");
                status = status.max(REFUSED);
            } else if d.is_delivered() && d.rejected == 0 {
                delivered += 1;
            } else {
                if d.is_delivered() {
                    delivered += 1;
                }
                status = status.max(REFUSED);
            }
        }
        if log.len() >= 64 * 1024 {
            flush(&mut log);
        }
        if let Err(e) = result {
            flush(&mut log);
            return (status.max(fail(status_of(&e), format!("{e}"))), delivered);
        }
    }
    flush(&mut log);
    match client.quit().await {
        // A TLS session ends with its close_notify (RFC 8446 §6.1).
        Ok(mut stream) => {
            stream.shutdown().await;
            (status, delivered)
        }
        Err(e) => (
            status.max(fail(CONNECTION, format!("QUIT: {e}"))),
            delivered,
        ),
    }
}

// ------------------------------------------------------------ composing

/// `--subject`, `--text`, `--html`, `--attach`: the message composed by
/// the crate's `message` writer (a section of its own).
mod compose {
    use std::fs::{self, File};
    use std::path::{Path, PathBuf};
    use std::time::{SystemTime, UNIX_EPOCH};

    use embedded_io_adapters::std::FromStd;
    use embedded_smtp::client::ClientError;
    use embedded_smtp::client::Envelope;
    use embedded_smtp::io::asynch::SmtpClient;
    use embedded_smtp::io::tokio::{Stream, TokioTimer};
    use embedded_smtp::io::{Delivery, Error as DriverError, Message, MessageBody};
    use embedded_smtp::message::{
        Address, Attachment, Date, FromRead, Message as Composed, MessageId, MessageWriter, Source,
    };
    use rand_core::{OsRng, RngCore};

    use super::{Event, Fail, invalid};

    /// What a send did: its result, and each message's delivery and
    /// refusal.
    pub type Outcome = (
        Result<(), DriverError>,
        Vec<(Delivery, Option<ClientError>)>,
    );

    /// The composing flags as given.
    #[derive(Default)]
    pub struct Options {
        subject: Option<String>,
        text: Option<PathBuf>,
        html: Option<PathBuf>,
        attach: Vec<PathBuf>,
    }

    impl Options {
        pub fn flag(&mut self, flag: &str, value: String) {
            match flag {
                "--subject" => self.subject = Some(value),
                "--text" => self.text = Some(value.into()),
                "--html" => self.html = Some(value.into()),
                _ => self.attach.push(value.into()),
            }
        }

        pub fn is_on(&self) -> bool {
            self.subject.is_some()
                || self.text.is_some()
                || self.html.is_some()
                || !self.attach.is_empty()
        }
    }

    /// A file to attach: its name, content type and path.
    struct Attached {
        name: String,
        content_type: &'static str,
        path: PathBuf,
    }

    /// Everything a composed message is made of, read and checked before
    /// connecting (the attachments are only opened: they are read as the
    /// message goes out).
    pub struct Compose {
        from: String,
        to: Vec<String>,
        subject: Option<String>,
        text: String,
        html: Option<String>,
        files: Vec<Attached>,
        domain: String,
    }

    fn read_text(path: &Path) -> Result<String, Fail> {
        let bytes = fs::read(path).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
        String::from_utf8(bytes).map_err(|_| invalid(format!("{}: not UTF-8", path.display())))
    }

    /// The content type of a file, by its extension.
    fn content_type(path: &Path) -> &'static str {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => "text/csv",
            Some("txt" | "log") => "text/plain",
            Some("json") => "application/json",
            Some("pdf") => "application/pdf",
            Some("png") => "image/png",
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("gif") => "image/gif",
            _ => "application/octet-stream",
        }
    }

    impl Compose {
        /// `None` without composing flags.
        pub fn new(o: &Options, from: &str, to: &[String]) -> Result<Option<Compose>, Fail> {
            if !o.is_on() {
                return Ok(None);
            }
            let mut files = Vec::new();
            for path in &o.attach {
                File::open(path).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .ok_or_else(|| invalid(format!("{}: no UTF-8 file name", path.display())))?;
                files.push(Attached {
                    name: name.to_string(),
                    content_type: content_type(path),
                    path: path.clone(),
                });
            }
            let c = Compose {
                from: from.to_string(),
                to: to.to_vec(),
                subject: o.subject.clone(),
                text: o
                    .text
                    .as_deref()
                    .map(read_text)
                    .transpose()?
                    .unwrap_or_default(),
                html: o.html.as_deref().map(read_text).transpose()?,
                files,
                domain: from
                    .rsplit_once('@')
                    .map_or("localhost", |d| d.1)
                    .to_string(),
            };
            // Every value checked now, with empty sources: a CR or LF in
            // the subject fails here, before connecting.
            let mut empty: Vec<&[u8]> = vec![&[]; c.files.len()];
            let mut sources: Vec<&mut dyn Source> =
                empty.iter_mut().map(|s| s as &mut dyn Source).collect();
            // Nothing in it waits: one poll runs it to the end.
            let checked = {
                let check = c.with_message(&mut sources, async |m| {
                    MessageWriter::new(m)
                        .map(drop)
                        .map_err(|e| invalid(format!("message: {e}")))
                });
                let mut check = std::pin::pin!(check);
                let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
                match check.as_mut().poll(&mut cx) {
                    std::task::Poll::Ready(checked) => checked,
                    std::task::Poll::Pending => {
                        unreachable!("checking the message waits on nothing")
                    }
                }
            };
            checked?;
            Ok(Some(c))
        }

        /// Builds the message over `sources` (one per attachment) and
        /// hands it to `f`.
        async fn with_message<R>(
            &self,
            sources: &mut [&mut dyn Source],
            f: impl AsyncFnOnce(Composed<'_, '_>) -> R,
        ) -> R {
            let to: Vec<Address<'_>> = self.to.iter().map(|t| Address::new(t)).collect();
            let mut files: Vec<Attachment<'_>> = self
                .files
                .iter()
                .zip(sources.iter_mut())
                .map(|(f, s)| Attachment::new(&f.name, f.content_type, &mut **s))
                .collect();
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let mut entropy = [0u8; 16];
            OsRng.fill_bytes(&mut entropy);
            let utf8 = !self.from.is_ascii() || self.to.iter().any(|t| !t.is_ascii());
            let mut m = Composed::new(
                Address::new(&self.from),
                Date::new(now, 0).unwrap_or(Date::new(0, 0).expect("the epoch")),
                MessageId::new(entropy, &self.domain),
            )
            .to(&to)
            .text(&self.text)
            .utf8(utf8)
            .attachments(&mut files);
            if let Some(s) = &self.subject {
                m = m.subject(s);
            }
            if let Some(h) = &self.html {
                m = m.html(h);
            }
            f(m).await
        }

        /// Sends the message as a batch of one (`send_many`, as the
        /// messages given as they are): the attachments are opened again
        /// and read as it goes out. The result, and the message's
        /// delivery and refusal.
        pub async fn send(
            &self,
            client: &mut SmtpClient<'_, '_, Stream, TokioTimer>,
            envelope: Envelope<'_>,
            on_event: &mut dyn FnMut(usize, &Event<'_>),
        ) -> Outcome {
            let mut opened = Vec::new();
            for f in &self.files {
                // Checked before connecting; a file gone since is the
                // body source failing.
                match File::open(&f.path) {
                    Ok(file) => opened.push(FromRead(FromStd::new(file))),
                    Err(_) => return (Err(DriverError::Body), Vec::new()),
                }
            }
            let mut sources: Vec<&mut dyn Source> =
                opened.iter_mut().map(|s| s as &mut dyn Source).collect();
            self.with_message(&mut sources, async |m| {
                let Ok(writer) = MessageWriter::new(m) else {
                    return (Err(DriverError::Body), Vec::new());
                };
                let mut buf = [0u8; 1024];
                let mut body = MessageBody::new(writer, &mut buf);
                let mut batch = [Message::new(envelope, &mut body)];
                let result = client.send_many(&mut batch, on_event).await;
                (result, vec![(batch[0].delivery, batch[0].refused)])
            })
            .await
        }
    }
}
