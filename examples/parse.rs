//! Parse a client's command lines and write the replies a server owes, using
//! only the stateless layers (`wire::line` to frame, `syntax` to parse and
//! write). No I/O: the "connection" is a byte string.
//!
//! Run: `cargo run --example parse`

use embedded_smtp::syntax::{
    Capabilities, Command, CommandError, EnhancedCode, Extension, ForwardPath, ParseOptions,
    ReplyCode, ReversePath, write_reply,
};
use embedded_smtp::wire::line::{BareLfPolicy, LineEvent, LineFramer};

fn main() {
    // What a client might send, with a few mistakes and an attack mixed in.
    let input: &[u8] = b"EHLO client.example.org\r\n\
        MAIL FROM:<alice@example.org> SIZE=1200 BODY=8BITMIME\r\n\
        RCPT TO:<bob@example.net> NOTIFY=SUCCESS,FAILURE\r\n\
        RCPT TO:<Postmaster>\r\n\
        RCPT TO:<bad@b_c.example>\r\n\
        MAIL FROM: <a@b.example>\r\n\
        RCPT TO:<x@y.example> FOO=bar\r\n\
        RCPT TO:<v@x.example>\nDATA\r\n\
        VRFY bob\r\n\
        TURN\r\n\
        GET / HTTP/1.1\r\n";

    let mut framer = LineFramer::new(BareLfPolicy::Reject);
    let mut rest = input;
    let mut out = [0u8; 1024];
    loop {
        let (used, event) = framer.next_line(rest, 512);
        if used == 0 && event.is_none() {
            break;
        }
        let shown = String::from_utf8_lossy(&rest[..used])
            .escape_debug()
            .to_string();
        rest = &rest[used..];
        let Some(event) = event else { continue };
        println!("C: {shown}");
        let n = match event {
            LineEvent::Line(line) => match Command::parse(line, ParseOptions::STRICT) {
                Ok(cmd) => answer(&cmd, &mut out),
                Err(e) => refuse(e, &mut out),
            },
            LineEvent::TooLong => reply(&mut out, 500, (5, 5, 2), "Error: line too long"),
            LineEvent::BareLineEnding => {
                reply(&mut out, 550, (5, 5, 2), "Error: bare <LF> received")
            }
        };
        print!(
            "S: {}",
            String::from_utf8_lossy(&out[..n])
                .replace("\r\n", "\r\nS: ")
                .trim_end_matches("S: ")
        );
    }
}

fn answer(cmd: &Command<'_>, out: &mut [u8]) -> usize {
    match cmd {
        Command::Ehlo(_) => {
            let mut caps = Capabilities::default();
            for ext in [
                Extension::Pipelining,
                Extension::EightBitMime,
                Extension::Dsn,
                Extension::EnhancedStatusCodes,
            ] {
                caps.insert(ext);
            }
            caps.insert(Extension::Size);
            caps.set_size_limit(Some(10 << 20));
            caps.write_ehlo_reply("mx.example.net", "hello", out)
                .expect("fits")
        }
        Command::Mail { from, params } => {
            let who = match from {
                ReversePath::Null => "<>".to_string(),
                ReversePath::Mailbox(m) => m.to_string(),
            };
            let text = format!("Sender {who} OK (declared size {:?})", params.size);
            reply(out, 250, (2, 1, 0), &text)
        }
        Command::Rcpt { params, .. } if params.unknown.is_some() => {
            reply(out, 555, (5, 5, 4), "Unsupported option")
        }
        Command::Rcpt {
            to: ForwardPath::Postmaster,
            ..
        } => reply(out, 250, (2, 1, 5), "Postmaster OK"),
        Command::Rcpt {
            to: ForwardPath::Mailbox(m),
            ..
        } => reply(out, 250, (2, 1, 5), &format!("{m} OK")),
        Command::Vrfy(_) => reply(
            out,
            252,
            (2, 5, 2),
            "Cannot VRFY user, but will accept message",
        ),
        other => reply(
            out,
            250,
            (2, 0, 0),
            &format!("{} OK", other.verb().as_str()),
        ),
    }
}

fn refuse(e: CommandError, out: &mut [u8]) -> usize {
    let (code, esc, text) = e.reply();
    let n = write_reply(out, code, Some(esc), &[text]).expect("fits");
    if e.closes_session() {
        println!("   (the session is closed after this reply: {e})");
    }
    n
}

fn reply(out: &mut [u8], code: u16, esc: (u8, u16, u16), text: &str) -> usize {
    let code = ReplyCode::new(code).expect("valid code");
    let esc = EnhancedCode::new(esc.0, esc.1, esc.2);
    write_reply(out, code, esc, &[text]).expect("fits")
}
