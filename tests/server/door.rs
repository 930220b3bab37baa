//! Policy at the door, in the engine: a session refused at connect
//! (`Server::refuse_service`, RFC 5321 §3.1 and §3.8) and HELO/EHLO/LHLO as
//! a decision (`ServerConfig::hello_decision`). The HELO scripts run whole,
//! byte by byte and at every split point (rule D2).

use crate::support::server_harness::*;
use embedded_smtp::server::{DecisionKind, Event, Phase, Server, ServerError};
use embedded_smtp::syntax::{Invalid, ReplyCode, Verb};

fn code(n: u16) -> ReplyCode {
    ReplyCode::new(n).unwrap()
}

/// Feeds `input` whole; the replies written.
fn say(server: &mut Server<'_>, input: &[u8]) -> String {
    let mut out = [0u8; 1024];
    let step = server.feed(input, &mut out).unwrap();
    assert_eq!(step.consumed, input.len());
    String::from_utf8(out[..step.written].to_vec()).unwrap()
}

#[test]
fn refused_with_554_only_quit_is_served() {
    let mut server = Server::new(config()).unwrap();
    let mut out = [0u8; 512];
    let n = server.refuse_service(code(554), "", &mut out).unwrap();
    assert_eq!(&out[..n], b"554 mx.example No SMTP service here\r\n");
    assert_eq!(server.phase(), Phase::Command);
    assert_eq!(
        say(&mut server, b"EHLO c.example\r\n"),
        "503 5.5.1 Error: no SMTP service here\r\n"
    );
    assert_eq!(
        say(&mut server, b"MAIL FROM:<a@c.example>\r\n"),
        "503 5.5.1 Error: no SMTP service here\r\n"
    );
    assert_eq!(say(&mut server, b"QUIT\r\n"), "221 2.0.0 Bye\r\n");
    assert!(server.is_closed());
}

#[test]
fn refused_with_421_the_session_is_closed() {
    let mut server = Server::new(config()).unwrap();
    let mut out = [0u8; 512];
    let n = server
        .refuse_service(
            code(421),
            "Error: too many connections from 192.0.2.1",
            &mut out,
        )
        .unwrap();
    assert_eq!(
        &out[..n],
        b"421 mx.example Error: too many connections from 192.0.2.1\r\n"
    );
    assert!(server.is_closed());
    assert_eq!(
        server.feed(b"EHLO c.example\r\n", &mut out),
        Err(ServerError::Closed)
    );
}

#[test]
fn a_refusal_at_the_door_is_checked_like_a_reply() {
    let mut out = [0u8; 1024];
    let mut server = Server::new(config()).unwrap();
    for (c, text) in [(220, "hi"), (550, "no"), (554, "a\r\nb")] {
        let e = server.refuse_service(code(c), text, &mut out).unwrap_err();
        assert!(
            matches!(e, ServerError::InvalidReply(_)),
            "{c} {text:?}: {e:?}"
        );
        assert_eq!(
            server.phase(),
            Phase::Connected,
            "a refused refusal changes nothing"
        );
    }
    let long = "x".repeat(600);
    assert_eq!(
        server.refuse_service(code(554), &long, &mut out),
        Err(ServerError::InvalidReply(Invalid::TooLong))
    );
    // Only instead of the greeting.
    server.greet(&mut out).unwrap();
    assert_eq!(
        server.refuse_service(code(554), "", &mut out),
        Err(ServerError::WrongState)
    );
}

fn ask_hello() -> embedded_smtp::server::ServerConfig<'static> {
    let mut c = config();
    c.hello_decision = true;
    c
}

#[test]
fn an_accepted_hello_decision_gives_the_same_replies_as_no_decision() {
    let script = vec![
        seg("EHLO c.example\r\n"),
        seg("HELO c.example\r\n"),
        seg("QUIT\r\n"),
    ];
    let asked = Script::new(ask_hello(), script.clone()).check();
    let plain = Script::new(config(), script).check();
    assert_eq!(asked.text(), plain.text());
    assert_eq!(asked.events, plain.events);
}

#[test]
fn a_refused_hello_changes_nothing() {
    let policy = |ev: &Ev| match ev {
        Ev::Hello(_, name) if name == "spam.example" => Decision::Reject,
        Ev::Hello(_, name) if name == "later.example" => {
            Decision::Respond(421, Some((4, 7, 0)), "Try again later")
        }
        _ => Decision::Accept,
    };
    let o = Script::new(
        ask_hello(),
        vec![
            seg("EHLO spam.example\r\n"),
            seg("MAIL FROM:<a@c.example>\r\n"),
            seg("HELO c.example\r\n"),
            seg("EHLO spam.example\r\n"),
            // Still the HELO session: no ESMTP parameters.
            seg("MAIL FROM:<a@c.example> SIZE=10\r\n"),
            seg("MAIL FROM:<a@c.example>\r\n"),
            seg("EHLO later.example\r\n"),
        ],
    )
    .policy(&policy)
    .check();
    assert_eq!(
        o.replies(),
        [
            (220, "220 mx.example ESMTP\r\n".into()),
            (550, "550 5.7.1 Helo command rejected\r\n".into()),
            (503, "503 5.5.1 Error: send HELO/EHLO first\r\n".into()),
            (250, "250 mx.example\r\n".into()),
            (550, "550 5.7.1 Helo command rejected\r\n".into()),
            (555, "555 5.5.4 Error: unsupported parameter\r\n".into()),
            (250, "250 2.1.0 Ok\r\n".into()),
            (421, "421 4.7.0 Try again later\r\n".into()),
        ]
    );
    assert!(o.closed);
}

#[test]
fn a_hello_decision_takes_no_2xx_of_the_application() {
    let mut server = Server::new(ask_hello()).unwrap();
    let mut out = [0u8; 1024];
    server.greet(&mut out).unwrap();
    let step = server.feed(b"EHLO c.example\r\n", &mut out).unwrap();
    assert!(matches!(
        step.event,
        Event::Hello {
            verb: Verb::Ehlo,
            ..
        }
    ));
    assert_eq!(step.written, 0, "nothing is said before the decision");
    assert_eq!(server.phase(), Phase::Decision(DecisionKind::Hello));
    assert_eq!(
        server.respond(code(250), None, "hi", &mut out),
        Err(ServerError::InvalidReply(Invalid::ReplyCode))
    );
    let n = server.accept(&mut out).unwrap();
    assert!(out[..n].starts_with(b"250-mx.example\r\n"));
}
