//! A private Postfix instance for one test (tests/interop/postfix/): the
//! full mail system (master, smtpd, cleanup, qmgr, the smtp and lmtp
//! clients, virtual delivery) with its own configuration directory, queue,
//! data directory, mailboxes and log file, all under one [`TempDir`]; its
//! SMTP server on 127.0.0.1 and a free high port; nothing of the machine's
//! own Postfix (/etc/postfix holds no main.cf here) is read or changed.
//!
//! What it takes, with Postfix 3.7 (Debian 12):
//!
//! - `postfix -c DIR start`: as root, a configuration directory need not be
//!   listed in the default main.cf's `alternate_config_directories`
//!   (postfix(1), `-c`); the command passes it on to the master daemon and
//!   its children (`MAIL_CONFIG`). Its integrity check creates the queue's
//!   subdirectories with their owners (`post-install create-missing`); the
//!   queue directory itself must exist, owned by root.
//! - `mail_owner` (`postfix`) and `setgid_group` (`postdrop`) exist on
//!   Debian; `chroot` is `n` for every service, so no chroot is set up.
//! - `maillog_file` needs the `postlog` service (postlogd) in master.cf
//!   and the file under one of `maillog_file_prefixes`: the temp dir.
//! - `debug_peer_list = 127.0.0.1` on the smtpd, smtp and lmtp services
//!   makes each log its whole conversation with a peer on 127.0.0.1 (every
//!   command and reply line, after STARTTLS too), which the tests read as
//!   Postfix's own record of what was said.
//! - Delivery goes to virtual mailboxes (Maildir) under the temp dir, owned
//!   by `nobody`, for the domain [`DOMAIN`].
//! - Postfix rereads a configuration file or `texthash:` map modified less
//!   than a second ago, 300 ms apart, until it is older: the files are
//!   written dated a minute back ([`settled`]), or each start took 1.5 s.
//! - `postfix start` gets a file, not a pipe, for its output: the master
//!   daemon holds the descriptors it inherits for a while.
//!
//! The instance is stopped (`postfix -c DIR stop`, then SIGKILL to the
//! master's process group if any of it still runs) when the guard drops,
//! a failed assertion included; every wait is bounded by [`LIMIT`]. (The
//! master daemon does not wait for its children: they are left as zombies
//! for init to reap, which it does within a second or two.)

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::peers::{POSTFIX, POSTQUEUE};
use super::{LIMIT, TempDir};

/// The name the instance gives itself (`myhostname`).
pub const HOSTNAME: &str = "postfix.test";
/// The domain of its virtual mailboxes.
pub const DOMAIN: &str = "example.net";

/// The services every instance runs (master.cf, without the SMTP server's
/// line). `chroot` (the fifth column) is `n` everywhere.
const SERVICES: &str = "\
pickup     unix  n - n 60    1 pickup
cleanup    unix  n - n -     0 cleanup
qmgr       unix  n - n 300   1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -     - trivial-rewrite
bounce     unix  - - n -     0 bounce
defer      unix  - - n -     0 bounce
trace      unix  - - n -     0 bounce
verify     unix  - - n -     1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -     - proxymap
showq      unix  n - n -     - showq
error      unix  - - n -     - error
retry      unix  - - n -     - error
discard    unix  - - n -     - discard
virtual    unix  - n n -     - virtual
anvil      unix  - - n -     1 anvil
scache     unix  - - n -     1 scache
postlog    unix-dgram n - n - 1 postlogd
smtp       unix  - - n -     - smtp -o debug_peer_list=127.0.0.1 -o smtp_tls_loglevel=1
lmtp       unix  - - n -     - lmtp -o debug_peer_list=127.0.0.1
";

/// A private Postfix instance; stopped when dropped.
pub struct Postfix {
    dir: TempDir,
    config: String,
    /// Where its SMTP server listens: `127.0.0.1:PORT` (once started).
    pub smtpd: String,
    /// The virtual mailboxes, in the order given to [`Postfix::start`].
    mailboxes: Vec<String>,
    /// `postfix start` was run: stop it.
    started: bool,
    /// The master daemon's process id (and process group).
    master: Option<u32>,
}

impl Postfix {
    /// A new instance's directory; nothing runs yet. Files the
    /// configuration refers to go in with [`Postfix::file`] before
    /// [`Postfix::start`].
    pub fn new(tag: &str) -> Postfix {
        let dir = TempDir::new(&format!("postfix-{tag}"));
        let config = dir.path("config");
        std::fs::create_dir(&config).expect("create the configuration directory");
        Postfix {
            smtpd: String::new(),
            dir,
            config,
            mailboxes: Vec::new(),
            started: false,
            master: None,
        }
    }

    /// Writes a file into the instance's directory (see [`settled`]); its
    /// path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.path(name);
        settled(&path, bytes);
        path
    }

    /// A path in the instance's directory.
    pub fn path(&self, name: &str) -> String {
        self.dir.path(name)
    }

    /// Writes main.cf and master.cf and starts the instance: `mailboxes`
    /// are the addresses at [`DOMAIN`] it delivers to (Maildirs), `main`
    /// lines are added to main.cf (parameters the base leaves unset:
    /// `default_transport`, `relayhost`, `transport_maps`,
    /// `smtpd_recipient_restrictions`, TLS), `services` lines to master.cf.
    /// Waits (bounded) until its SMTP server accepts connections.
    pub fn start(&mut self, mailboxes: &[&str], main: &[String], services: &[String]) {
        let queue = self.path("queue");
        let vmail = self.path("vmail");
        std::fs::create_dir(&queue).expect("create the queue directory");
        std::fs::create_dir(&vmail).expect("create the mailbox directory");
        // The virtual delivery agent writes the Maildirs as this user.
        let (uid, gid) = (id("-u"), id("-g"));
        std::os::unix::fs::chown(&vmail, Some(uid), Some(gid)).expect("chown the mailboxes");

        let mut map = String::new();
        for (i, address) in mailboxes.iter().enumerate() {
            assert!(address.ends_with(&format!("@{DOMAIN}")), "{address}");
            // A trailing slash: a Maildir (virtual(8)).
            map.push_str(&format!("{address} box{i}/\n"));
            self.mailboxes.push(address.to_string());
        }
        let mailbox_map = format!("{}/mailboxes", self.config);
        settled(&mailbox_map, map.as_bytes());

        let dir = self.dir.dir().to_str().expect("UTF-8 path");
        let mut main_cf = format!(
            "\
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {dir}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
myhostname = {HOSTNAME}
mydomain = {HOSTNAME}
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtputf8_enable = yes
smtpd_peername_lookup = no
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = {DOMAIN}
virtual_mailbox_base = {vmail}
virtual_mailbox_maps = texthash:{mailbox_map}
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
"
        );
        for line in main {
            main_cf.push_str(line);
            main_cf.push('\n');
        }
        settled(&format!("{}/main.cf", self.config), main_cf.as_bytes());
        self.started = true;
        // A free port, written into master.cf; another one if something
        // took it before the master daemon bound it.
        let output = self.path("postfix-start.out");
        for attempt in 1.. {
            self.smtpd = format!("127.0.0.1:{}", super::free_port());
            let mut master_cf = format!(
                "{} inet n - n - - smtpd -o debug_peer_list=127.0.0.1\n{SERVICES}",
                self.smtpd
            );
            for line in services {
                master_cf.push_str(line);
                master_cf.push('\n');
            }
            settled(&format!("{}/master.cf", self.config), master_cf.as_bytes());
            // Its output to a file: the master daemon keeps the
            // descriptors it inherits for a while, so a pipe would not end
            // with the command.
            let started = run_bounded(
                Command::new(POSTFIX).args(["-c", &self.config, "start"]),
                Some(Path::new(&output)),
            );
            if started.is_ok() {
                break;
            }
            let said = std::fs::read_to_string(&output).unwrap_or_default();
            let log = self.log();
            assert!(
                attempt < 5 && (said + &log).contains("Address already in use"),
                "postfix start: {started:?}: {}\nlog:\n{log}",
                std::fs::read_to_string(&output).unwrap_or_default(),
            );
        }
        let pid = std::fs::read_to_string(format!("{queue}/pid/master.pid"))
            .expect("the master's pid file");
        self.master = Some(pid.trim().parse().expect("a process id"));
        let start = Instant::now();
        while std::net::TcpStream::connect(&self.smtpd).is_err() {
            assert!(
                start.elapsed() < LIMIT,
                "Postfix does not listen on {} after {LIMIT:?}; log:\n{}",
                self.smtpd,
                self.log()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(self.path("maillog")).unwrap_or_default())
            .into_owned()
    }

    /// Waits (bounded) until `done` holds for the log; the log.
    pub fn wait_log(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let log = self.log();
            if done(&log) {
                return log;
            }
            assert!(
                start.elapsed() < LIMIT,
                "no {what} in Postfix's log after {LIMIT:?}:\n{log}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Runs one of Postfix's commands on this instance (`-c DIR` first);
    /// asserts that it succeeds; its stdout.
    pub fn command(&self, program: &str, args: &[&str]) -> String {
        let (code, out, err) = super::run(program, &[&["-c", &self.config][..], args].concat());
        assert_eq!(code, 0, "{program} {args:?}: {out}{err}");
        out
    }

    /// Delivers what is queued now (`postqueue -f`).
    pub fn flush(&self) {
        self.command(POSTQUEUE, &["-f"]);
    }

    /// The `new/` directory of a virtual mailbox given to `start`.
    pub fn maildir(&self, address: &str) -> PathBuf {
        let i = self
            .mailboxes
            .iter()
            .position(|a| a == address)
            .unwrap_or_else(|| panic!("{address} is not a mailbox of this instance"));
        Path::new(&self.path("vmail")).join(format!("box{i}/new"))
    }

    /// Stops the instance (bounded) and checks that none of its processes
    /// is left; its log.
    pub fn stop(mut self) -> String {
        if let Err(e) = self.shut_down() {
            panic!("{e}\nlog:\n{}", self.log());
        }
        self.log()
    }

    /// `postfix stop`, then waits for the master's process group to be
    /// gone, killing it after [`LIMIT`]. Does not panic (it runs in
    /// `drop`).
    fn shut_down(&mut self) -> Result<(), String> {
        if !std::mem::take(&mut self.started) {
            return Ok(());
        }
        let stopped = run_bounded(
            Command::new(POSTFIX).args(["-c", &self.config, "stop"]),
            None,
        );
        let Some(pid) = self.master.take() else {
            return stopped.map_err(|e| format!("postfix stop: {e}"));
        };
        // The master is a session leader: its children are in its group.
        let start = Instant::now();
        while running_in_group(pid) {
            if start.elapsed() > LIMIT {
                signal("KILL", &format!("-{pid}"));
                return Err(format!(
                    "Postfix's processes (group {pid}) still ran {LIMIT:?} after postfix stop ({stopped:?}): killed"
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
        stopped.map_err(|e| format!("postfix stop: {e}"))
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        if let Err(e) = self.shut_down() {
            eprintln!("{e}");
        }
    }
}

/// Writes a configuration file dated a minute ago. Postfix reads a file
/// that changed within the last second again and again, 300 ms apart,
/// until it is older (a guard against reading one half-written; main.cf
/// and `texthash:` maps alike): a fresh file cost each start, and each
/// daemon that opens a fresh map, over a second.
fn settled(path: &str, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("write {path}: {e}"));
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {path}: {e}"));
    let then = std::time::SystemTime::now() - Duration::from_secs(60);
    file.set_modified(then)
        .unwrap_or_else(|e| panic!("date {path}: {e}"));
}

/// `id FLAG nobody`: the user the mailboxes belong to.
fn id(flag: &str) -> u32 {
    let (code, out, err) = super::run("id", &[flag, "nobody"]);
    assert_eq!(code, 0, "id {flag} nobody: {err}");
    out.trim().parse().expect("a numeric id")
}

/// `kill -SIG -- TARGET`: whether it succeeded.
fn signal(sig: &str, target: &str) -> bool {
    Command::new("kill")
        .args([&format!("-{sig}"), "--", target])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether a process of process group `group` is alive (not a zombie:
/// the children the master leaves are reparented, and reaped by init a
/// little later).
fn running_in_group(group: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|e| {
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        // `pid (comm) state ppid pgrp …`; comm may hold spaces.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
        fields.len() > 2 && fields[0] != "Z" && fields[2] == group.to_string()
    })
}

/// Runs a command to its end, killed after [`LIMIT`], its output to
/// `output` (or nowhere); never panics.
fn run_bounded(command: &mut Command, output: Option<&Path>) -> Result<(), String> {
    let (stdout, stderr) = match output {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
            let copy = file.try_clone().map_err(|e| e.to_string())?;
            (Stdio::from(file), Stdio::from(copy))
        }
        None => (Stdio::null(), Stdio::null()),
    };
    let mut child = command
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(status.to_string()),
            Ok(None) if start.elapsed() > LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("still running after {LIMIT:?}: killed"));
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// One session of Postfix's SMTP server as it logged it
/// (`debug_peer_list`): the lines it received (`<`) and sent (`>`), in
/// order, and its closing counters.
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub lines: Vec<(char, String)>,
    /// The counters of its `disconnect from …` line, e.g. `ehlo=1 mail=1
    /// rcpt=1 data=1 quit=1 commands=5`.
    pub summary: Option<String>,
}

impl Session {
    /// The commands received, in order.
    pub fn commands(&self) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|(d, _)| *d == '<')
            .map(|(_, l)| l.as_str())
            .collect()
    }

    /// The replies to each command received that starts with `command`:
    /// every line smtpd sent from that command to the next one (the data
    /// itself is not logged: DATA's reply is its 354 and the final reply),
    /// each reply's lines joined by " / " as the `send` example prints
    /// them.
    pub fn replies_to(&self, command: &str) -> Vec<Vec<String>> {
        let mut replies = Vec::new();
        let mut current: Option<Vec<String>> = None;
        for (dir, line) in &self.lines {
            if *dir == '>' {
                if let Some(r) = &mut current {
                    r.push(line.clone());
                }
                continue;
            }
            replies.extend(current.take());
            if line.starts_with(command) {
                current = Some(Vec::new());
            }
        }
        replies.extend(current);
        replies
            .into_iter()
            .map(|lines| join_replies(&lines))
            .collect()
    }
}

/// Reply lines (`250-a`, `250 b`, `354 go`) grouped into replies, each
/// reply's lines joined by " / ".
fn join_replies(lines: &[String]) -> Vec<String> {
    let mut replies = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in lines {
        current.push(line);
        // The last line of a reply has a space (or nothing) after the code.
        if line.as_bytes().get(3) != Some(&b'-') {
            replies.push(current.join(" / "));
            current.clear();
        }
    }
    if !current.is_empty() {
        replies.push(current.join(" / "));
    }
    replies
}

/// Splits a log line of `postfix/PROGRAM[PID]: REST` into (pid, rest).
fn log_line<'a>(line: &'a str, program: &str) -> Option<(&'a str, &'a str)> {
    let tag = format!(" postfix/{program}[");
    let at = line.find(&tag)? + tag.len();
    line[at..].split_once("]: ")
}

/// A conversation line, `< PEER: TEXT` or `> PEER: TEXT`: direction, peer,
/// text.
fn chat_line(rest: &str) -> Option<(char, &str, &str)> {
    let dir = rest.chars().next().filter(|c| *c == '<' || *c == '>')?;
    let (peer, text) = rest.get(1..)?.strip_prefix(' ')?.split_once(": ")?;
    Some((dir, peer, text))
}

/// The sessions of Postfix's SMTP server in `log`, in the order they
/// started. An smtpd process serves one session at a time; each starts
/// with its `connect from` line.
pub fn smtpd_sessions(log: &str) -> Vec<Session> {
    let mut done = Vec::new();
    let mut open: Vec<(&str, Session)> = Vec::new();
    for line in log.lines() {
        let Some((pid, rest)) = log_line(line, "smtpd") else {
            continue;
        };
        let slot = open.iter().position(|(p, _)| *p == pid);
        if rest.starts_with("connect from ") {
            if let Some(i) = slot {
                done.push(open.remove(i).1);
            }
            open.push((pid, Session::default()));
            continue;
        }
        let Some(i) = slot else { continue };
        let session = &mut open[i].1;
        if let Some((dir, _, text)) = chat_line(rest) {
            session.lines.push((dir, text.to_string()));
        } else if let Some((_, counters)) = rest
            .strip_prefix("disconnect from ")
            .and_then(|r| r.split_once(' '))
        {
            session.summary = Some(counters.to_string());
        }
    }
    done.extend(open.into_iter().map(|(_, s)| s));
    done
}

/// What Postfix's `program` (`smtp` or `lmtp`, the clients) sent (`>`)
/// and received (`<`) in its conversations with `peer`
/// (`127.0.0.1[127.0.0.1]:PORT`), in log order, with the process id of
/// each line (a process runs one delivery at a time). Not cut into
/// sessions: a cached connection goes from one client process to another.
pub fn client_lines(log: &str, program: &str, peer: &str) -> Vec<(String, char, String)> {
    log.lines()
        .filter_map(|line| log_line(line, program))
        .filter_map(|(pid, rest)| Some((pid, chat_line(rest)?)))
        .filter(|(_, (_, p, _))| *p == peer)
        .map(|(pid, (d, _, text))| (pid.to_string(), d, text.to_string()))
        .collect()
}

/// Splits off the header fields Postfix put in front of a message: one
/// field per name in `names`, in that order (each with its continuation
/// lines); lines end in `eol`. The fields' values (continuation lines
/// joined, the line ends removed) and the rest, unchanged.
pub fn take_fields<'m>(message: &'m [u8], eol: &str, names: &[&str]) -> (Vec<String>, &'m [u8]) {
    let eol = eol.as_bytes();
    let mut rest = message;
    let mut values = Vec::new();
    for name in names {
        let prefix = format!("{name}: ");
        assert!(
            rest.starts_with(prefix.as_bytes()),
            "expected a {name}: field at {:?}",
            String::from_utf8_lossy(&rest[..rest.len().min(200)])
        );
        let mut value = Vec::new();
        let mut line = &rest[prefix.len()..];
        loop {
            let end = line
                .windows(eol.len())
                .position(|w| w == eol)
                .expect("a line end");
            value.extend_from_slice(&line[..end]);
            rest = &line[end + eol.len()..];
            if !(rest.starts_with(b" ") || rest.starts_with(b"\t")) {
                break;
            }
            line = rest;
        }
        values.push(String::from_utf8(value).expect("a UTF-8 header field"));
    }
    (values, rest)
}

/// The `Received:` field Postfix's smtpd adds (without a reverse lookup
/// of the client), whitespace runs made single spaces: `from HELO
/// (unknown [127.0.0.1]) by postfix.test (Postfix) with PROTOCOL id
/// QUEUE_ID` then ` for <RCPT>` when the message had one recipient, then
/// `; DATE`. Checks all but the date.
pub fn check_received(value: &str, helo: &str, protocol: &str, queue_id: &str, rcpt: Option<&str>) {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    let (head, date) = value
        .rsplit_once("; ")
        .unwrap_or_else(|| panic!("no date in Received: {value}"));
    let mut expected = format!(
        "from {helo} (unknown [127.0.0.1]) by {HOSTNAME} (Postfix) with {protocol} id {queue_id}"
    );
    if let Some(rcpt) = rcpt {
        expected.push_str(&format!(" for <{rcpt}>"));
    }
    assert_eq!(head, expected, "Received: {value}");
    assert!(!date.is_empty(), "Received: {value}");
}
