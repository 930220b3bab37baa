//! A private Exim 4 instance for tests/interop/exim/: its own
//! configuration files, spool and logs in a temporary directory, a daemon
//! on 127.0.0.1 and high ports, and local submissions; everything it
//! started is stopped when the guard drops (a failed assertion included).
//!
//! What running Exim this way takes (Exim's spec, "-C" and "Using a
//! different configuration file"):
//!
//! - The binary's compiled-in configuration (/etc/exim4/…) does not exist
//!   here: every run names one with `-C`. Called by root, Exim keeps its
//!   root privilege with `-C` (for anyone else it drops it), so the tests
//!   run as root ([`super::peers::exim`] checks).
//! - The daemon binds its ports as root and then runs as the Exim user
//!   (Debian-exim). When it re-executes itself to deliver a message, `-C`
//!   is no longer trusted (that would need the file listed in the
//!   TRUSTED_CONFIG_LIST, Debian's /etc/exim4/trusted_configs) and the
//!   delivery runs without root privilege, as the Exim user: Exim logs
//!   "exim user lost privilege for using -C option" (in the main and the
//!   panic log). Deliveries still
//!   work when they need no other user: the `smtp` transport runs as the
//!   Exim user anyway, and the Maildir transport is configured with
//!   `user = Debian-exim` (root is in Exim's fixed never_users anyway). So
//!   nothing is written outside the temporary directory.
//! - The spool, log and Maildir directories belong to the Exim user; the
//!   files the daemon reads after dropping privilege (the TLS key and
//!   certificate) must be readable by it.
//! - Re-executions use `exim_path`, compiled in as /usr/sbin/exim4: each
//!   configuration sets it to the unpacked binary.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use super::peers::{EXIM, EXIM_USER};
use super::{LIMIT, Proc, TempDir, run_input};

/// A private Exim: a temporary directory with `spool/`, `log/` and
/// `mail/` (a Maildir for local deliveries), configuration files in it,
/// and at most one daemon.
pub struct Exim {
    dir: TempDir,
    daemon: Option<Proc>,
}

/// The uid and gid of the Exim user.
fn exim_ids() -> (u32, u32) {
    let id = |flag: &str| {
        let (code, out, err) = super::run("id", &[flag, EXIM_USER]);
        assert_eq!(code, 0, "id {flag} {EXIM_USER}: {err}");
        out.trim().parse::<u32>().expect("a numeric id")
    };
    (id("-u"), id("-g"))
}

impl Exim {
    pub fn new(tag: &str) -> Exim {
        let dir = TempDir::new(tag);
        let (uid, gid) = exim_ids();
        for sub in ["spool", "log", "mail"] {
            let path = dir.dir().join(sub);
            std::fs::create_dir(&path).expect("create an Exim directory");
            std::os::unix::fs::chown(&path, Some(uid), Some(gid)).expect("chown to the Exim user");
        }
        Exim { dir, daemon: None }
    }

    /// The temporary directory (for certificates and message files).
    pub fn dir(&self) -> &TempDir {
        &self.dir
    }

    /// Writes a file the Exim user must be able to read (a TLS key):
    /// owned by it, mode 0600. Its path.
    pub fn private_file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.file(name, bytes);
        let (uid, gid) = exim_ids();
        std::os::unix::fs::chown(&path, Some(uid), Some(gid)).expect("chown to the Exim user");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("chmod 0600");
        path
    }

    /// Where local deliveries go (the Maildir's `new/`).
    pub fn maildir_new(&self) -> String {
        self.dir.path("mail/new")
    }

    /// Writes the configuration file `name`: the main options every
    /// instance needs (its paths, no environment, no IPv6, the log fields
    /// the tests read), then `rest` (more main options, then the
    /// `begin …` sections). `DIR` in `rest` stands for the instance's
    /// directory. Its path.
    pub fn config(&self, name: &str, rest: &str) -> String {
        let dir = self.dir.dir().to_str().expect("UTF-8 path");
        let text = format!(
            "exim_path = {EXIM}\n\
             primary_hostname = exim.example\n\
             keep_environment =\n\
             spool_directory = {dir}/spool\n\
             log_file_path = {dir}/log/%slog\n\
             disable_ipv6 = true\n\
             rfc1413_hosts =\n\
             log_selector = +pipelining +received_recipients +smtp_confirmation +outgoing_port\n\
             {}",
            rest.replace("DIR", dir)
        );
        self.dir.file(name, text.as_bytes())
    }

    /// Starts the daemon (`-bdf`: in the foreground, a child of the test)
    /// with configuration `conf` on 127.0.0.1 (the configuration says
    /// `local_interfaces`) and `ports`, its pid in a pid file (`-oP`);
    /// returns once its log says it listens (it logs that after
    /// `listen()`).
    pub fn start_daemon(&mut self, conf: &str, ports: &[u16]) {
        assert!(self.daemon.is_none(), "one daemon per instance");
        let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
        let pid = self.dir.path("exim.pid");
        let daemon = Proc::spawn(
            EXIM,
            &["-C", conf, "-bdf", "-oX", &ports.join(":"), "-oP", &pid],
        );
        let id = daemon.id();
        self.daemon = Some(daemon);
        let started = format!("daemon started: pid={id}, ");
        let start = Instant::now();
        while !self.mainlog().contains(&started) {
            let daemon = self.daemon.as_mut().expect("the daemon");
            if let Some(status) = daemon.wait_exit(Duration::ZERO) {
                panic!(
                    "exim -bdf exited ({status}): {}\n{}",
                    daemon.stderr(),
                    self.paniclog()
                );
            }
            assert!(
                start.elapsed() < LIMIT,
                "exim: no \"{started}\" in its log after {LIMIT:?}: {}",
                self.mainlog()
            );
            thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(self.pid_file(), Some(id), "the pid file names the daemon");
    }

    /// The pid in the daemon's pid file, if there is one.
    fn pid_file(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.path("exim.pid"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }

    /// Submits `message` locally, as root (a trusted user, so `-f` sets
    /// the sender): `exim -C conf -odi -oi -f sender -- recipients…`.
    /// `-odi` delivers before the command returns; `-oi`: a line of a
    /// single dot does not end the message (stdin's end does).
    pub fn submit(
        &self,
        conf: &str,
        sender: &str,
        recipients: &[&str],
        message: &[u8],
    ) -> (i32, String, String) {
        let mut args = vec!["-C", conf, "-odi", "-oi", "-f", sender, "--"];
        args.extend(recipients);
        run_input(EXIM, &args, message)
    }

    fn log(&self, name: &str) -> String {
        std::fs::read(self.dir.dir().join("log").join(name))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    pub fn mainlog(&self) -> String {
        self.log("mainlog")
    }

    pub fn rejectlog(&self) -> String {
        self.log("rejectlog")
    }

    pub fn paniclog(&self) -> String {
        self.log("paniclog")
    }

    /// The panic log's lines but the expected "exim user lost privilege
    /// for using -C option" of each delivery (see the module's comment):
    /// none when all went well.
    pub fn panics(&self) -> Vec<String> {
        self.paniclog()
            .lines()
            .filter(|l| !l.ends_with(" exim user lost privilege for using -C option"))
            .map(str::to_string)
            .collect()
    }

    /// The message id on the one `<=` (reception) line for `sender`.
    pub fn message_id(&self, sender: &str) -> String {
        let log = self.mainlog();
        let marker = format!(" <= {sender} ");
        let ids: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(&marker))
            .filter_map(|l| l.split(' ').nth(2))
            .collect();
        assert_eq!(ids.len(), 1, "one message from {sender} in:\n{log}");
        ids[0].to_string()
    }

    /// The main log lines of the message from `sender`, after waiting
    /// (bounded) for its `Completed` line: reception, deliveries,
    /// completion, without the date and id.
    pub fn completed(&self, sender: &str) -> Vec<String> {
        let id = self.message_id(sender);
        let prefix = format!(" {id} ");
        let start = Instant::now();
        loop {
            let lines: Vec<String> = self
                .mainlog()
                .lines()
                .filter_map(|l| l.split_once(&prefix).map(|(_, rest)| rest.to_string()))
                .collect();
            if lines.last().is_some_and(|l| l == "Completed") {
                return lines;
            }
            assert!(
                start.elapsed() < LIMIT,
                "message {id} from {sender} not completed after {LIMIT:?}:\n{}",
                self.mainlog()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the daemon: SIGTERM to the pid in its pid file (Exim removes
    /// the file and exits), SIGKILL after 10 s; then waits (bounded) for
    /// every other process of this instance (deliveries the daemon
    /// started: their command lines name a configuration in its
    /// directory) and kills what is left. Returns the pids it had to
    /// kill: none when everything ended by itself.
    pub fn stop(&mut self) -> Vec<u32> {
        let mut killed = Vec::new();
        if let Some(mut daemon) = self.daemon.take() {
            let pid = self.pid_file().unwrap_or(daemon.id());
            signal("TERM", pid);
            if daemon.wait_exit(Duration::from_secs(10)).is_none() {
                killed.push(daemon.id());
            }
            // Drop: SIGKILL if still running, and reap.
        }
        let start = Instant::now();
        loop {
            let left = processes_under(self.dir.dir());
            if left.is_empty() {
                break;
            }
            if start.elapsed() > Duration::from_secs(10) {
                for pid in left {
                    signal("KILL", pid);
                    killed.push(pid);
                }
                break;
            }
            thread::sleep(Duration::from_millis(20));
        }
        killed
    }
}

impl Drop for Exim {
    fn drop(&mut self) {
        let killed = self.stop();
        if !killed.is_empty() {
            eprintln!("exim: killed {killed:?}, still running at the end");
        }
    }
}

fn signal(sig: &str, pid: u32) {
    let _ = std::process::Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}

/// The live Exim processes whose command line names something under
/// `dir` (a configuration file there); zombies have an empty command line.
pub fn processes_under(dir: &Path) -> Vec<u32> {
    let needle = dir.to_str().expect("UTF-8 path").as_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                c.starts_with(EXIM.as_bytes()) && c.windows(needle.len()).any(|w| w == needle)
            })
        })
        .collect()
}
