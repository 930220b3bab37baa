//! Random sessions between the client and server engines: whatever the
//! configuration, the decisions, the bodies and the fragmentation, neither
//! engine ever sees the other break the protocol, and the client reports
//! exactly the messages the server accepted.

use crate::support::client_pair as pair;

use embedded_smtp::client::{ClientError, Envelope, Recipient};
use embedded_smtp::server::ServerConfig;
use embedded_smtp::wire::stuff::StuffPolicy;
use pair::{Pair, client_config};
use proptest::prelude::*;

fn body() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just(&b"."[..]),
            Just(&b"\r\n"[..]),
            Just(&b"\n"[..]),
            Just(&b"x"[..]),
            Just(&b"REJECT"[..]),
            Just(&b"TEMPFAIL"[..]),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn engines_agree(
        server_pipe in any::<bool>(),
        server_chunking in any::<bool>(),
        client_pipe in any::<bool>(),
        normalize in any::<bool>(),
        rcpt_mask in 0u8..8,
        bodies in proptest::collection::vec(body(), 1..4),
        chunk in prop_oneof![Just(usize::MAX), 1usize..9],
    ) {
        let all = [
            Recipient::new("r0@s.example").unwrap(),
            Recipient::new("nobody@s.example").unwrap(),
            Recipient::new("r2@s.example").unwrap(),
        ];
        let rcpts: Vec<Recipient<'_>> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| rcpt_mask & (1 << i) != 0)
            .map(|(_, r)| *r)
            .collect();
        prop_assume!(!rcpts.is_empty());
        let env = Envelope::new("a@c.example", &rcpts).unwrap();
        let mut s = ServerConfig::new("s.example");
        s.pipelining = server_pipe;
        // CHUNKING only when this build has it.
        s.chunking = server_chunking && embedded_smtp::built::CHUNKING;
        let mut c = client_config();
        c.pipelining = client_pipe;
        c.stuff_policy = if normalize { StuffPolicy::Normalize } else { StuffPolicy::Reject };
        let mut pair = Pair::new(c, s);
        pair.chunk = chunk;
        let msgs: Vec<(Envelope<'_>, &[u8])> =
            bodies.iter().map(|b| (env, b.as_slice())).collect();
        pair.run(&msgs);
        let protocol = pair
            .errors
            .iter()
            .any(|e| matches!(e, ClientError::Protocol(_)));
        prop_assert!(!protocol, "{:?}", pair.errors);
        // Never delivered unless the server accepted it.
        let accepted = pair
            .received
            .messages
            .iter()
            .filter(|m| {
                !m.windows(6).any(|w| w == b"REJECT")
                    && !m.windows(8).any(|w| w == b"TEMPFAIL")
            })
            .count();
        prop_assert!(pair.delivered <= accepted);
        if pair.errors.is_empty() {
            prop_assert_eq!(pair.delivered, accepted);
        }
    }
}
