//! The recording server handler every driver test uses (blocking, tokio,
//! embassy-net): what the session saw, and the decisions of a small mail
//! store.

use embedded_smtp::io::{Decision, Handler};
use embedded_smtp::sasl::{Credentials, Decoded};
use embedded_smtp::syntax::{
    ForwardPath, Host, MailParameters, RcptParameters, ReplyCode, ReversePath, Verb,
};

/// What the server's handler saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// The PROXY protocol header, behind a load balancer.
    pub proxied: Option<embedded_smtp::wire::proxy::ProxyHeader>,
    pub hellos: Vec<(Verb, String)>,
    pub mails: Vec<String>,
    pub messages: Vec<Vec<u8>>,
    pub aborted: usize,
    /// Decoded credentials: (mechanism, user, password).
    pub auths: Vec<(&'static str, String, String)>,
}

/// Accepts what it is told to; refuses the sender `spammer@…`, the
/// recipient `nobody@…`, every recipient with `refuse_rcpts`; checks
/// credentials against alice / s3cret; in LMTP, refuses the message for the
/// second accepted recipient with a 452.
#[derive(Default)]
pub struct Store {
    pub seen: Seen,
    pub current: Vec<u8>,
    pub refuse_rcpts: bool,
    pub lmtp_finals: usize,
}

impl Handler for Store {
    fn proxied(&mut self, header: &embedded_smtp::wire::proxy::ProxyHeader) {
        self.seen.proxied = Some(*header);
    }
    fn hello(&mut self, verb: Verb, domain: &Host<'_>) -> Decision<'_> {
        self.seen.hellos.push((verb, format!("{domain}")));
        Decision::Accept
    }
    fn mail(&mut self, from: &ReversePath<'_>, _: &MailParameters<'_>) -> Decision<'_> {
        let from = format!("{from}");
        let spam = from.contains("spammer@");
        self.seen.mails.push(from);
        if spam {
            Decision::Reject
        } else {
            Decision::Accept
        }
    }
    fn rcpt(&mut self, to: &ForwardPath<'_>, _: &RcptParameters<'_>) -> Decision<'_> {
        match to.mailbox() {
            _ if self.refuse_rcpts => Decision::Reject,
            Some(m) if m.local_part().as_str() == "nobody" => Decision::Respond {
                code: ReplyCode::new(550).unwrap(),
                enhanced: None,
                text: "no such user",
            },
            _ => Decision::Accept,
        }
    }
    fn data_start(&mut self) {
        self.current.clear();
        self.lmtp_finals = 0;
    }
    fn data(&mut self, bytes: &[u8]) {
        self.current.extend_from_slice(bytes);
    }
    fn message_end(&mut self) -> Decision<'_> {
        self.lmtp_finals += 1;
        if self.lmtp_finals == 1 {
            self.seen.messages.push(self.current.clone());
            Decision::Accept
        } else {
            Decision::Respond {
                code: ReplyCode::new(452).unwrap(),
                enhanced: None,
                text: "mailbox full",
            }
        }
    }
    fn message_aborted(&mut self, _: embedded_smtp::server::AbortReason) {
        self.seen.aborted += 1;
    }
    fn auth(&mut self, credentials: &Credentials<'_>) -> Decision<'_> {
        let mut scratch = [0u8; 512];
        let (mech, user, pass) = match credentials.decode(&mut scratch) {
            Ok(Decoded::Plain(p)) => ("PLAIN", p.authcid.to_owned(), p.password.to_owned()),
            Ok(Decoded::Login { username, password }) => {
                ("LOGIN", username.to_owned(), password.to_owned())
            }
            _ => return Decision::Reject,
        };
        let ok = user == "alice" && pass == "s3cret";
        self.seen.auths.push((mech, user, pass));
        if ok {
            Decision::Accept
        } else {
            Decision::Reject
        }
    }
}

impl Store {
    /// The greeting commands the client gave, in order.
    pub fn verbs(&self) -> Vec<Verb> {
        self.seen.hellos.iter().map(|(v, _)| *v).collect()
    }
}

/// The same store behind the async driver: each method answers at once
/// with the blocking handler's decision.
#[cfg(feature = "async")]
impl embedded_smtp::io::asynch::Handler for Store {
    async fn proxied(&mut self, header: &embedded_smtp::wire::proxy::ProxyHeader) {
        Handler::proxied(self, header);
    }
    async fn hello(&mut self, verb: Verb, domain: &Host<'_>) -> Decision<'_> {
        Handler::hello(self, verb, domain)
    }
    async fn mail(&mut self, from: &ReversePath<'_>, params: &MailParameters<'_>) -> Decision<'_> {
        Handler::mail(self, from, params)
    }
    async fn rcpt(&mut self, to: &ForwardPath<'_>, params: &RcptParameters<'_>) -> Decision<'_> {
        Handler::rcpt(self, to, params)
    }
    async fn data_start(&mut self) {
        Handler::data_start(self)
    }
    async fn data(&mut self, bytes: &[u8]) {
        Handler::data(self, bytes)
    }
    async fn message_end(&mut self) -> Decision<'_> {
        Handler::message_end(self)
    }
    async fn message_aborted(&mut self, reason: embedded_smtp::server::AbortReason) {
        Handler::message_aborted(self, reason)
    }
    async fn auth(&mut self, credentials: &Credentials<'_>) -> Decision<'_> {
        Handler::auth(self, credentials)
    }
}
