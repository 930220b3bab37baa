//! Running programs from a test, bounded: the example binaries (built once
//! by `cargo build --examples`, as tests/examples.rs does), and the mail
//! software of the interop tests (see `peers`; a private Exim: `exim`; a
//! private HAProxy: `haproxy`).
//!
//! Every spawned process is killed and reaped when its guard drops (a
//! failed assertion included), every wait is bounded by [`LIMIT`], and
//! every temporary directory is removed when its guard drops.
#![allow(dead_code)]

pub mod alloc_count;
pub mod client_pair;
pub mod client_script;
pub mod exim;
#[cfg(any(feature = "blocking", feature = "async"))]
pub mod handler;
pub mod haproxy;
#[cfg(feature = "blocking")]
pub mod io_blocking;
#[cfg(feature = "async")]
pub mod io_tokio;
pub mod mail;
pub mod peers;
pub mod postfix;
pub mod server_harness;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// The longest any one program, or any one wait, may take.
pub const LIMIT: Duration = Duration::from_secs(60);

/// `target/<profile>/examples`, after building the examples once with this
/// test's features into this test's own target directory.
pub fn examples_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // This test is target/<profile>/deps/<name>-<hash>.
        let exe = std::env::current_exe().expect("test executable path");
        let profile = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let target = profile.parent().expect("target directory");
        // `rustls` (with `tokio`) and every extension always: the host
        // examples are built on the `io::tokio` helpers, which the default
        // features leave out, and offer every extension.
        let features: Vec<&str> = [
            ("rustls", true),
            ("extensions", true),
            ("blocking", cfg!(feature = "blocking")),
            ("async", cfg!(feature = "async")),
            ("embassy", cfg!(feature = "embassy")),
            ("log", cfg!(feature = "log")),
            ("defmt", cfg!(feature = "defmt")),
            ("std", cfg!(feature = "std")),
        ]
        .into_iter()
        .filter_map(|(f, on)| on.then_some(f))
        .collect();
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--quiet", "--examples", "--no-default-features"])
            .args(["--features", &features.join(",")])
            .arg("--target-dir")
            .arg(target);
        // Not the variables cargo sets for this test: a build script that
        // watches one (CARGO_MANIFEST_DIR) would rebuild on every switch.
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("CARGO_PKG_")
                || k.starts_with("CARGO_BIN_EXE_")
                || [
                    "CARGO_MANIFEST_DIR",
                    "CARGO_MANIFEST_PATH",
                    "CARGO_CRATE_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "OUT_DIR",
                ]
                .contains(&k.as_ref())
            {
                cargo.env_remove(&key);
            }
        }
        if profile.file_name().is_some_and(|n| n == "release") {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("run cargo build --examples");
        assert!(status.success(), "cargo build --examples failed");
        profile.join("examples")
    })
}

/// A spawned program, killed (and reaped) when dropped.
pub struct Proc {
    name: String,
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// Spawns `program` with `args`, stdin closed, stdout read by lines and
    /// stderr collected.
    pub fn spawn<S: AsRef<OsStr>>(program: impl AsRef<OsStr>, args: &[S]) -> Proc {
        Proc::spawn_with_input(program, args, None)
    }

    /// As [`Proc::spawn`], with `input` written to its stdin (by a thread,
    /// then closed) instead of a closed stdin when it is `Some`.
    pub fn spawn_with_input<S: AsRef<OsStr>>(
        program: impl AsRef<OsStr>,
        args: &[S],
        input: Option<Vec<u8>>,
    ) -> Proc {
        let program = program.as_ref();
        let name = Path::new(program)
            .file_name()
            .unwrap_or(program)
            .to_string_lossy()
            .into_owned();
        let mut child = Command::new(program)
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            // A program that exits without reading it all gets EPIPE here,
            // which the exit status then explains.
            thread::spawn(move || {
                let _ = stdin.write_all(&input);
            });
        }
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                sink.lock().unwrap().push_str(&text);
            }
        });
        Proc {
            name,
            child,
            stdout: rx,
            stderr,
        }
    }

    /// An example binary.
    pub fn example(name: &str, args: &[&str]) -> Proc {
        Proc::spawn(examples_dir().join(name), args)
    }

    /// A server example: waits for its `listening on ADDR` line.
    pub fn example_server(name: &str, args: &[&str]) -> (Proc, String) {
        let p = Proc::example(name, args);
        let line = p.line();
        let addr = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{name} printed {line:?}"))
            .to_string();
        (p, addr)
    }

    /// The next line on stdout (bounded wait).
    pub fn line(&self) -> String {
        self.stdout.recv_timeout(LIMIT).unwrap_or_else(|_| {
            panic!(
                "{}: no line on stdout within {LIMIT:?}: {}",
                self.name,
                self.stderr()
            )
        })
    }

    /// What it wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `limit` for its exit; its status, or `None` if it is
    /// still running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                return Some(s);
            }
            if start.elapsed() >= limit {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Waits for the exit (bounded); then everything it printed.
    pub fn finish(mut self) -> (ExitStatus, String, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            assert!(
                start.elapsed() < LIMIT,
                "{} still running after {LIMIT:?}: {}",
                self.name,
                self.stderr()
            );
            thread::sleep(Duration::from_millis(20));
        };
        // The reader threads end at EOF, right after the exit.
        let mut out = String::new();
        while let Ok(line) = self.stdout.recv_timeout(Duration::from_secs(5)) {
            out.push_str(&line);
            out.push('\n');
        }
        thread::sleep(Duration::from_millis(50));
        let err = self.stderr();
        (status, out, err)
    }
}

/// Runs a program to completion (bounded): exit code (-1 if killed by a
/// signal), stdout, stderr.
pub fn run<S: AsRef<OsStr>>(program: impl AsRef<OsStr>, args: &[S]) -> (i32, String, String) {
    let (status, out, err) = Proc::spawn(program, args).finish();
    (status.code().unwrap_or(-1), out, err)
}

/// As [`run`], with `input` on the program's stdin.
pub fn run_input<S: AsRef<OsStr>>(
    program: impl AsRef<OsStr>,
    args: &[S],
    input: &[u8],
) -> (i32, String, String) {
    let (status, out, err) = Proc::spawn_with_input(program, args, Some(input.to_vec())).finish();
    (status.code().unwrap_or(-1), out, err)
}

/// A free TCP port on 127.0.0.1 (for peers that cannot pick their own).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// Waits (bounded) until something accepts connections at `addr`.
pub fn wait_listening(addr: &str, who: &Proc) {
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < LIMIT,
            "{} does not listen on {addr}: {}",
            who.name,
            who.stderr()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Waits (bounded) until `dir` holds `n` files; then their contents,
/// sorted by file name.
pub fn wait_files(dir: &Path, n: usize) -> Vec<Vec<u8>> {
    let start = Instant::now();
    loop {
        let got = files(dir);
        if got.len() >= n {
            return got;
        }
        assert!(
            start.elapsed() < LIMIT,
            "{}: {} of {n} file(s) after {LIMIT:?}",
            dir.display(),
            got.len()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// The files in `dir` (not directories), sorted by name; none if `dir`
/// does not exist.
pub fn files(dir: &Path) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<PathBuf> = entries
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read(p).expect("read file"))
        .collect()
}

/// A scratch directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "embedded-smtp-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    /// Writes `bytes` to `name`; its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write temp file");
        path.to_str().expect("UTF-8 temp path").to_string()
    }

    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().expect("UTF-8 path").to_string()
    }

    pub fn dir(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A self-signed certificate for `localhost` and `127.0.0.1`: PEM
/// certificate, PEM key.
pub fn certificate() -> (String, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("generate a certificate");
    (ck.cert.pem(), ck.signing_key.serialize_pem())
}

/// `Return-Path: <sender>` CRLF, then the message exactly as sent: what
/// the `sink` example stores.
pub fn stored(sender: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!("Return-Path: <{sender}>\r\n").into_bytes();
    v.extend_from_slice(body);
    v
}

/// RFC 5321 §4.5.2 transparency: a dot before every line that starts
/// with one (`body` ends in CRLF).
pub fn dot_stuff(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 16);
    let mut at_line_start = true;
    for &b in body {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    out
}

/// Stops a sink (SIGTERM) and returns its log.
pub fn stop(sink: Proc) -> String {
    sink.signal("TERM");
    let (status, _, err) = sink.finish();
    assert!(status.success(), "{err}");
    err
}

/// `expected` and `got` as the same multiset of messages.
pub fn assert_same_messages(mut got: Vec<Vec<u8>>, mut expected: Vec<Vec<u8>>) {
    got.sort();
    expected.sort();
    let show = |v: &[Vec<u8>]| {
        v.iter()
            .map(|m| String::from_utf8_lossy(m).into_owned())
            .collect::<Vec<_>>()
    };
    assert!(
        got == expected,
        "stored:\n{:#?}\nexpected:\n{:#?}",
        show(&got),
        show(&expected)
    );
}
