//! A host SMTP (or LMTP) server on the async driver over tokio, many
//! connections at once (a task per connection, by default at most 1024 at
//! a time), built from the `tokio` and `rustls` features' helpers
//! (`io::tokio`: the accept loop, `serve_tcp`, `serve_starttls`) and an
//! async handler: its Maildir writes and commits never block the runtime.
//!
//! ```text
//! sink [--listen ADDR] [--maildir DIR] [--hostname NAME] [--max-size BYTES]
//!      [--max-recipients N] [--bare-lf reject|normalize]
//!      [--tls-cert PEM --tls-key PEM] [--require-tls] [--auth USER:PASS]...
//!      [--no-pipelining] [--no-chunking] [--lmtp] [--max-sessions N]
//!      [--max-line N] [--max-per-ip N] [--proxy-protocol]
//! ```
//!
//! - `--listen`: default `127.0.0.1:2525`; port 0 picks a free port. Once
//!   ready it prints `listening on ADDR` on stdout.
//! - `--maildir DIR`: each accepted message is written to `DIR/tmp/`, synced,
//!   then renamed into `DIR/new/` (Maildir), as a `Return-Path: <sender>`
//!   line followed by the message bytes exactly as received; the file is in
//!   `new/` before the `250` is sent. The writes go through `tokio::fs`, the
//!   sync and rename through `spawn_blocking`: a slow disk holds back its
//!   own session only. Under LMTP, one file per accepted
//!   recipient. Without `--maildir` messages are counted and dropped.
//! - `--tls-cert`/`--tls-key`: offer STARTTLS (rustls, `ring` provider);
//!   `--require-tls` refuses mail before it. `--auth USER:PASS` (repeatable)
//!   offers AUTH PLAIN and LOGIN — only under TLS when TLS is configured,
//!   also in plaintext otherwise (a test sink).
//! - SMTPUTF8 (RFC 6531) is offered: UTF-8 addresses and headers are
//!   stored as received.
//! - `--max-recipients N` is enforced by the handler (`452 4.5.3`), so any
//!   N works; the engine keeps its RFC floor of 100.
//! - `--bare-lf normalize`: a bare LF in DATA ends a line (stored as CRLF),
//!   a bare CR is stored as a space, a `.` line next to a bare LF is kept;
//!   `reject` (the default) refuses such a message (`550 5.5.2`).
//! - `--max-sessions N`: most sessions served at once (default 1024);
//!   further connections wait in the listen queue.
//! - `--max-line N`: the longest command line (default 2048, as Postfix's
//!   `line_length_limit`; at least 512, RFC 5321 §4.5.3.1.4), before the
//!   extension allowances. Each session's receive buffer is the engine's
//!   `input_room` for the configuration: 2058 bytes by default, 522 with
//!   `--max-line 512` (the smallest idle session; README, "Performance
//!   under load").
//! - `--max-per-ip N`: most sessions at once from one client address
//!   (Postfix's `smtpd_client_connection_count_limit`); the handler refuses
//!   the next at the door with `421 <hostname> Error: too many connections
//!   from ADDR`, so one client holding idle sessions cannot take them all.
//!   Default: no limit.
//! - `--proxy-protocol`: each connection starts with a PROXY protocol header
//!   (HAProxy's `send-proxy[-v2]`; README, "Behind a load balancer"); the
//!   log line then says `session CLIENT via PROXY`. Behind a proxy,
//!   `--max-per-ip` counts the proxy's address (the handler's `connect`
//!   comes before the header; `proxied` then gives the client's).
//!
//! A TLS session ends with the sink's close_notify alert after its `221`
//! (RFC 8446 §6.1). One log line per session on stderr; a TLS client gone
//! without its own close_notify is logged as such. SIGINT or SIGTERM stops
//! accepting, lets the running sessions finish (at most 10 s), and exits 0;
//! a message counts as accepted only once its file is in `new/`, so none is
//! lost.
//!
//! Run: `cargo run --features rustls --example sink -- --maildir /tmp/mail`

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use embedded_io_adapters::tokio_1::FromTokio;
use embedded_smtp::io::asynch::{Handler, serve_tls};
use embedded_smtp::io::tokio::{SERVER_TX_BUFFER, TokioTimer, accept_loop, serve_tcp};
use embedded_smtp::io::{Decision, Error, Transport};
use embedded_smtp::sasl::{Credentials, Decoded};
use embedded_smtp::server::{AbortReason, BareLfPolicy, ServerConfig};
use embedded_smtp::syntax::{
    AuthMechanism, AuthMechanisms, EnhancedCode, ForwardPath, MailParameters, RcptParameters,
    ReplyCode, ReversePath,
};
use embedded_smtp::wire::proxy::ProxyHeader;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{SignalKind, signal};

const USAGE: &str =
    "usage: sink [--listen ADDR] [--maildir DIR] [--hostname NAME] [--max-size BYTES]
            [--max-recipients N] [--bare-lf reject|normalize] [--tls-cert PEM --tls-key PEM]
            [--require-tls] [--auth USER:PASS]... [--no-pipelining] [--no-chunking] [--lmtp]
            [--max-sessions N] [--max-line N] [--max-per-ip N] [--proxy-protocol]";

/// Most sessions served at once, by default.
const MAX_SESSIONS: usize = 1024;
/// How long running sessions may go on after SIGINT / SIGTERM.
const GRACE: Duration = Duration::from_secs(10);
/// How long the TLS close_notify and the FIN may take to go out.
const CLOSE_NOTIFY: Duration = Duration::from_secs(5);

/// The command line.
struct Options {
    listen: String,
    maildir: Option<PathBuf>,
    hostname: String,
    max_size: u64,
    max_recipients: u32,
    bare_lf: BareLfPolicy,
    tls: Option<tokio_rustls::TlsAcceptor>,
    require_tls: bool,
    users: Vec<(String, String)>,
    pipelining: bool,
    chunking: bool,
    lmtp: bool,
    max_sessions: usize,
    max_line: usize,
    /// Most sessions at once from one address (0: no limit).
    max_per_ip: u32,
    /// Sessions running per client address (with `max_per_ip`).
    clients: Mutex<HashMap<IpAddr, u32>>,
    proxy_protocol: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        listen: "127.0.0.1:2525".into(),
        maildir: None,
        hostname: "localhost".into(),
        max_size: 10_240_000,
        max_recipients: 1000,
        bare_lf: BareLfPolicy::Reject,
        tls: None,
        require_tls: false,
        users: Vec::new(),
        pipelining: true,
        chunking: true,
        lmtp: false,
        max_sessions: MAX_SESSIONS,
        max_line: 2048,
        max_per_ip: 0,
        clients: Mutex::new(HashMap::new()),
        proxy_protocol: false,
    };
    let (mut cert, mut key) = (None::<PathBuf>, None::<PathBuf>);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => o.listen = value()?,
            "--maildir" => o.maildir = Some(value()?.into()),
            "--hostname" => o.hostname = value()?,
            "--max-size" => {
                o.max_size = value()?
                    .parse()
                    .map_err(|_| "--max-size wants a number of bytes (0: no limit)")?
            }
            "--max-line" => {
                o.max_line = value()?
                    .parse()
                    .map_err(|_| "--max-line wants a number of octets")?
            }
            "--max-recipients" => {
                o.max_recipients = value()?
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or("--max-recipients wants a number above 0")?
            }
            "--bare-lf" => {
                o.bare_lf = match value()?.as_str() {
                    "reject" => BareLfPolicy::Reject,
                    "normalize" => BareLfPolicy::Normalize,
                    _ => return Err("--bare-lf wants reject or normalize".into()),
                }
            }
            "--tls-cert" => cert = Some(value()?.into()),
            "--tls-key" => key = Some(value()?.into()),
            "--require-tls" => o.require_tls = true,
            "--auth" => {
                let v = value()?;
                let (u, p) = v.split_once(':').ok_or("--auth wants USER:PASS")?;
                o.users.push((u.into(), p.into()));
            }
            "--no-pipelining" => o.pipelining = false,
            "--no-chunking" => o.chunking = false,
            "--lmtp" => o.lmtp = true,
            "--proxy-protocol" => o.proxy_protocol = true,
            "--max-sessions" => {
                o.max_sessions = value()?
                    .parse()
                    .ok()
                    .filter(|n| (1..=1 << 20).contains(n))
                    .ok_or("--max-sessions wants a number from 1 to 1048576")?
            }
            "--max-per-ip" => {
                o.max_per_ip = value()?
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or("--max-per-ip wants a number above 0")?
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    o.tls = match (cert, key) {
        (Some(c), Some(k)) => Some(acceptor(&c, &k)?),
        (None, None) => None,
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    if o.require_tls && o.tls.is_none() {
        return Err("--require-tls needs --tls-cert and --tls-key".into());
    }
    if let Some(dir) = &o.maildir {
        for sub in ["tmp", "new", "cur"] {
            fs::create_dir_all(dir.join(sub))
                .map_err(|e| format!("{}: {e}", dir.join(sub).display()))?;
        }
    }
    // Check the configuration once, before listening.
    embedded_smtp::server::Server::new(config(&o)).map_err(|e| format!("configuration: {e}"))?;
    Ok(o)
}

/// The rustls server configuration (ring provider) from PEM files.
fn acceptor(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| format!("TLS: {e}"))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// The engine configuration from the options.
fn config(o: &Options) -> ServerConfig<'_> {
    let mut c = ServerConfig::new(&o.hostname);
    c.lmtp = o.lmtp;
    c.pipelining = o.pipelining;
    c.chunking = o.chunking;
    c.max_message_size = o.max_size;
    c.bare_lf = o.bare_lf;
    // The bytes are stored as received: UTF-8 addresses and headers
    // (RFC 6531) need nothing more from a sink.
    c.smtputf8 = true;
    c.limits.max_recipients = o.max_recipients.max(100);
    c.limits.max_line = o.max_line;
    c.tls_available = o.tls.is_some();
    c.tls_required = o.require_tls;
    c.proxy_protocol = o.proxy_protocol;
    if !o.users.is_empty() {
        c.auth = AuthMechanisms::empty()
            .with(AuthMechanism::Plain)
            .with(AuthMechanism::Login);
        c.auth_without_tls = o.tls.is_none();
    }
    c
}

/// Process-wide counters (unique Maildir names, totals).
static DELIVERY_COUNTER: AtomicU64 = AtomicU64::new(0);
static MESSAGES: AtomicU64 = AtomicU64::new(0);

/// A message being written to `tmp/`.
struct Pending {
    file: BufWriter<tokio::fs::File>,
    path: PathBuf,
}

/// One session's handler: Maildir delivery (or counting) and AUTH.
struct Sink<'o> {
    options: &'o Options,
    sender: String,
    recipients: u32,
    size: u64,
    /// Boxed: an idle session carries a pointer, not a file's state.
    pending: Option<Box<Pending>>,
    /// LMTP: the file already delivered for this message (copied for the
    /// next recipients).
    delivered: Option<PathBuf>,
    write_error: Option<String>,
    // What the log line says.
    messages: u64,
    bytes: u64,
    user: Option<String>,
    error: Option<String>,
    /// The address counted in `options.clients` (released on drop).
    counted: Option<IpAddr>,
    /// The text of a refusal at the door.
    refusal: String,
    /// With `--proxy-protocol`: the header, whose source is the client
    /// (boxed: an idle session carries a pointer).
    proxied: Option<Box<ProxyHeader>>,
}

impl<'o> Sink<'o> {
    fn new(options: &'o Options) -> Self {
        Sink {
            options,
            sender: String::new(),
            recipients: 0,
            size: 0,
            pending: None,
            delivered: None,
            write_error: None,
            messages: 0,
            bytes: 0,
            user: None,
            error: None,
            counted: None,
            refusal: String::new(),
            proxied: None,
        }
    }

    /// A unique Maildir file name: `time.MmicrosPpidQcounter.host`.
    fn unique_name(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let host: String = self
            .options
            .hostname
            .chars()
            .map(|c| if c == '/' || c == ':' { '_' } else { c })
            .collect();
        format!(
            "{}.M{}P{}Q{}.{host}",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            DELIVERY_COUNTER.fetch_add(1, Ordering::Relaxed)
        )
    }

    async fn start_file(&mut self, dir: &Path) -> std::io::Result<Pending> {
        let path = dir.join("tmp").join(self.unique_name());
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        let mut file = BufWriter::new(file);
        let head = format!("Return-Path: {}\r\n", self.sender);
        if let Err(e) = file.write_all(head.as_bytes()).await {
            let _ = fs::remove_file(&path);
            return Err(e);
        }
        Ok(Pending { file, path })
    }

    /// Writes out the file in `tmp/`, then syncs it and renames it into
    /// `new/` on a blocking thread: from then on the message is accepted.
    async fn commit(&mut self, dir: &Path) -> std::io::Result<PathBuf> {
        let pending = match self.pending.take() {
            Some(p) => *p,
            None => {
                // LMTP: the next recipient gets a copy of the first file.
                let first = self.delivered.clone().ok_or(std::io::ErrorKind::NotFound)?;
                let path = dir.join("tmp").join(self.unique_name());
                tokio::fs::copy(&first, &path).await?;
                let file = tokio::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .await?;
                Pending {
                    file: BufWriter::new(file),
                    path,
                }
            }
        };
        let Pending { mut file, path } = pending;
        if let Err(e) = file.flush().await {
            let _ = fs::remove_file(&path);
            return Err(e);
        }
        let file = file.into_inner().into_std().await;
        let dir = dir.to_path_buf();
        let committed = tokio::task::spawn_blocking(move || {
            let done = sync_and_rename(&file, &path, &dir);
            if done.is_err() {
                let _ = fs::remove_file(&path);
            }
            done
        })
        .await;
        committed.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    fn discard(&mut self) {
        if let Some(p) = self.pending.take() {
            drop(p.file);
            let _ = fs::remove_file(&p.path);
        }
    }
}

/// The Maildir commit (blocking): `fsync` the file in `tmp/`, rename it into
/// `new/`, `fsync` the directory.
fn sync_and_rename(file: &fs::File, path: &Path, dir: &Path) -> std::io::Result<PathBuf> {
    file.sync_all()?;
    let name = path.file_name().ok_or(std::io::ErrorKind::InvalidInput)?;
    let target = dir.join("new").join(name);
    fs::rename(path, &target)?;
    if let Ok(d) = fs::File::open(dir.join("new")) {
        let _ = d.sync_all();
    }
    Ok(target)
}

impl Drop for Sink<'_> {
    fn drop(&mut self) {
        self.discard();
        if let Some(ip) = self.counted.take() {
            let mut clients = self
                .options
                .clients
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if let Some(n) = clients.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    clients.remove(&ip);
                }
            }
        }
    }
}

impl Handler for Sink<'_> {
    /// `--max-per-ip`: a client address with N sessions running gets `421`.
    async fn proxied(&mut self, header: &ProxyHeader) {
        self.proxied = Some(Box::new(*header));
    }

    async fn connect(&mut self, peer: Option<SocketAddr>) -> Decision<'_> {
        let (Some(peer), max) = (peer, self.options.max_per_ip) else {
            return Decision::Accept;
        };
        if max == 0 {
            return Decision::Accept;
        }
        let ip = peer.ip();
        {
            let mut clients = self
                .options
                .clients
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let n = clients.entry(ip).or_insert(0);
            if *n < max {
                *n += 1;
                self.counted = Some(ip);
                return Decision::Accept;
            }
        }
        self.error = Some("refused: too many connections".into());
        self.refusal = format!("Error: too many connections from {ip}");
        Decision::Respond {
            code: ReplyCode::new(421).expect("a valid code"),
            enhanced: None,
            text: &self.refusal,
        }
    }

    async fn mail(&mut self, from: &ReversePath<'_>, _params: &MailParameters<'_>) -> Decision<'_> {
        self.sender = from.to_string();
        self.recipients = 0;
        Decision::Accept
    }

    async fn rcpt(&mut self, _to: &ForwardPath<'_>, _params: &RcptParameters<'_>) -> Decision<'_> {
        if self.recipients >= self.options.max_recipients {
            return Decision::Respond {
                code: ReplyCode::new(452).expect("a valid code"),
                enhanced: EnhancedCode::new(4, 5, 3),
                text: "Error: too many recipients",
            };
        }
        self.recipients += 1;
        Decision::Accept
    }

    async fn data_start(&mut self) {
        self.discard();
        self.delivered = None;
        self.write_error = None;
        self.size = 0;
        if let Some(dir) = &self.options.maildir {
            // Boxed, as the commit: kept out of every session's future.
            match Box::pin(self.start_file(dir)).await {
                Ok(p) => self.pending = Some(Box::new(p)),
                Err(e) => self.write_error = Some(e.to_string()),
            }
        }
    }

    async fn data(&mut self, bytes: &[u8]) {
        self.size += bytes.len() as u64;
        if self.write_error.is_none()
            && let Some(p) = &mut self.pending
            && let Err(e) = p.file.write_all(bytes).await
        {
            self.write_error = Some(e.to_string());
        }
    }

    async fn message_end(&mut self) -> Decision<'_> {
        if self.write_error.is_none()
            && let Some(dir) = &self.options.maildir
        {
            // Boxed: the commit's state (tokio::fs, spawn_blocking) would
            // otherwise be part of every session's future, idle or not.
            match Box::pin(self.commit(dir)).await {
                Ok(path) => {
                    self.delivered.get_or_insert(path);
                }
                Err(e) => self.write_error = Some(e.to_string()),
            }
        }
        if let Some(e) = &self.write_error {
            self.error = Some(format!("maildir: {e}"));
            self.discard();
            return Decision::Respond {
                code: ReplyCode::new(451).expect("a valid code"),
                enhanced: EnhancedCode::new(4, 3, 0),
                text: "Error: local problem, try again later",
            };
        }
        self.messages += 1;
        self.bytes += self.size;
        MESSAGES.fetch_add(1, Ordering::Relaxed);
        Decision::Accept
    }

    async fn message_aborted(&mut self, _reason: AbortReason) {
        self.discard();
    }

    async fn auth(&mut self, credentials: &Credentials<'_>) -> Decision<'_> {
        let mut scratch = vec![0u8; 16 * 1024];
        let (user, pass) = match credentials.decode(&mut scratch) {
            Ok(Decoded::Plain(p)) if p.authzid.is_empty() || p.authzid == p.authcid => {
                (p.authcid, p.password)
            }
            Ok(Decoded::Login { username, password }) => (username, password),
            _ => return Decision::Reject,
        };
        if self
            .options
            .users
            .iter()
            .any(|(u, p)| u == user && p == pass)
        {
            self.user = Some(user.to_string());
            Decision::Accept
        } else {
            Decision::Reject
        }
    }
}

/// The TLS stream of a session, keeping what its first failure was: the
/// driver sees only an error's kind, and rustls reports most failures as
/// `Other`.
struct Noted<'e, S> {
    io: FromTokio<S>,
    error: &'e Mutex<Option<String>>,
}

impl<S> Noted<'_, S> {
    fn note(&self, e: &std::io::Error) {
        note_tls_error(self.error, || {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                // The TCP connection ended without the TLS close_notify
                // alert: the client vanished (or cut the session short).
                "the client closed the connection without a TLS close_notify".into()
            } else {
                format!("TLS: {e}")
            }
        });
    }
}

/// Keeps the first TLS failure of a session for its log line.
fn note_tls_error(error: &Mutex<Option<String>>, why: impl FnOnce() -> String) {
    let mut error = error.lock().unwrap_or_else(|e| e.into_inner());
    if error.is_none() {
        *error = Some(why());
    }
}

impl<S> embedded_io_async::ErrorType for Noted<'_, S> {
    type Error = std::io::Error;
}

impl<S: tokio::io::AsyncRead + Unpin> embedded_io_async::Read for Noted<'_, S> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let r = embedded_io_async::Read::read(&mut self.io, buf).await;
        if let Err(e) = &r {
            self.note(e);
        }
        r
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> embedded_io_async::Write for Noted<'_, S> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        let r = embedded_io_async::Write::write(&mut self.io, buf).await;
        if let Err(e) = &r {
            self.note(e);
        }
        r
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        let r = embedded_io_async::Write::flush(&mut self.io).await;
        if let Err(e) = &r {
            self.note(e);
        }
        r
    }
}

/// One session, then its log line.
async fn session(socket: TcpStream, peer: SocketAddr, options: Arc<Options>) {
    let mut sink = Sink::new(&options);
    let config = config(&options);
    // What went wrong under TLS, in rustls's words (the driver sees only an
    // error's kind, `Other` for most of them).
    let tls_error = Mutex::new(None);
    // Buffers sized for the configuration (`io::tokio`: the engine's
    // `input_room` and 1 KiB): an idle session costs little
    // (scripts/load.sh measures it).
    let (tls, result) = match &options.tls {
        None => (false, serve_tcp(socket, peer, &config, &mut sink).await),
        // Boxed: the TLS state machine is larger, and a plaintext
        // session's task should not carry its size.
        Some(acceptor) => {
            Box::pin(starttls(
                socket, peer, config, acceptor, &mut sink, &tls_error,
            ))
            .await
        }
    };
    let tls_error = tls_error.into_inner().unwrap_or_else(|e| e.into_inner());
    let outcome = match (result, &sink.error, tls_error) {
        (Err(Error::Io(_) | Error::Tls), _, Some(e)) => format!("error: {e}"),
        (Err(e), _, _) => format!("error: {e}"),
        (Ok(()), Some(e), _) => format!("error: {e}"),
        // The engine closes a connection without a valid header silently.
        (Ok(()), None, _) if options.proxy_protocol && sink.proxied.is_none() => {
            "error: no valid PROXY header".into()
        }
        (Ok(()), None, _) => "ok".into(),
    };
    // Behind a proxy: the client from its header, and the proxy itself.
    let who = match sink.proxied.as_deref().and_then(ProxyHeader::source) {
        Some(client) => format!("{client} via {peer}"),
        None => peer.to_string(),
    };
    eprintln!(
        "session {who}: tls={} auth={} messages={} bytes={} {outcome}",
        if tls { "yes" } else { "no" },
        sink.user.as_deref().unwrap_or("-"),
        sink.messages,
        sink.bytes,
    );
}

/// A session that offers STARTTLS: the driver's `serve_tls` over the TCP
/// stream, the handshake by rustls, each TLS failure noted in rustls's
/// words; a TLS stream ends with its close_notify alert (RFC 8446 §6.1),
/// then the TCP FIN (bounded: a client already gone is no error of the
/// session). Whether TLS was started, and how the session ended.
async fn starttls(
    socket: TcpStream,
    peer: SocketAddr,
    config: ServerConfig<'_>,
    acceptor: &tokio_rustls::TlsAcceptor,
    sink: &mut Sink<'_>,
    tls_error: &Mutex<Option<String>>,
) -> (bool, Result<(), Error>) {
    let _ = socket.set_nodelay(true);
    let room = match embedded_smtp::Server::new(config) {
        Ok(engine) => engine.input_room(),
        Err(e) => return (false, Err(Error::ServerConfig(e))),
    };
    let mut buffers = vec![0u8; room + SERVER_TX_BUFFER];
    let (rx, tx) = buffers.split_at_mut(room);
    let tls = AtomicBool::new(false);
    let upgrade = |io: FromTokio<TcpStream>| async {
        let stream = acceptor.accept(io.into_inner()).await.inspect_err(|e| {
            note_tls_error(tls_error, || format!("TLS handshake: {e}"));
        })?;
        tls.store(true, Ordering::Relaxed);
        Ok::<_, std::io::Error>(Noted {
            io: FromTokio::new(stream),
            error: tls_error,
        })
    };
    let io = FromTokio::new(socket);
    let served = serve_tls(
        io,
        Some(peer),
        &mut TokioTimer,
        config,
        rx,
        tx,
        sink,
        upgrade,
    )
    .await;
    let result = match served {
        Ok(Transport::Tls(noted)) => {
            let mut stream = noted.io.into_inner();
            let _ = tokio::time::timeout(CLOSE_NOTIFY, stream.shutdown()).await;
            Ok(())
        }
        Ok(Transport::Plain(io)) => {
            let _ = tokio::time::timeout(CLOSE_NOTIFY, io.into_inner().shutdown()).await;
            Ok(())
        }
        Err(e) => Err(e),
    };
    (tls.load(Ordering::Relaxed), result)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => Arc::new(o),
        Err(e) => {
            eprintln!("sink: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sink: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(options));
    // Sessions still running after the grace period are dropped here; their
    // unfinished messages (never answered 250) are removed from tmp/.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sink: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Arc<Options>) -> std::io::Result<()> {
    let listener = TcpListener::bind(&options.listen).await?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut out = std::io::stdout();
    writeln!(out, "listening on {}", listener.local_addr()?)?;
    out.flush()?;

    let shutdown = async move {
        tokio::select! {
            _ = sigterm.recv() => {}
            _ = sigint.recv() => {}
        }
        eprintln!("sink: stopping; waiting for the running sessions");
    };
    let stopped = accept_loop(
        listener,
        options.max_sessions,
        shutdown,
        GRACE,
        |socket, peer| session(socket, peer, options.clone()),
    )
    .await;
    if stopped.cut_off > 0 {
        eprintln!(
            "sink: grace period over; closed {} remaining session(s)",
            stopped.cut_off
        );
    }
    eprintln!(
        "sink: stopped after {} session(s), {} message(s) accepted",
        stopped.sessions,
        MESSAGES.load(Ordering::Relaxed)
    );
    Ok(())
}
