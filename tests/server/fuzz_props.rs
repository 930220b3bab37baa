//! The fuzz target's session check (`fuzz/src/lib.rs`, `server`) run by
//! proptest over inputs assembled from SMTP fragments, so that `cargo test`
//! explores more than the seed corpus: no panic, no over-consumption, no
//! stall, only valid replies, constant size.

#[allow(dead_code)]
use crate::fuzz_checks as checks;

use proptest::prelude::*;

const TOKENS: &[&[u8]] = &[
    b"EHLO c.example\r\n",
    b"HELO c.example\r\n",
    b"LHLO c.example\r\n",
    b"MAIL FROM:<a@c.example>\r\n",
    b"MAIL FROM:<a@c.example> SIZE=10 BODY=BINARYMIME\r\n",
    b"RCPT TO:<b@s.example>\r\n",
    b"DATA\r\n",
    b"BDAT 3\r\n",
    b"BDAT 0 LAST\r\n",
    b"BDAT 5 LAST\r\n",
    b"RSET\r\n",
    b"NOOP\r\n",
    b"VRFY bob\r\n",
    b"STARTTLS\r\n",
    b"AUTH PLAIN\r\n",
    b"AUTH LOGIN\r\n",
    b"AUTH LOGIN dXNlcg==\r\n",
    b"dGVzdAB0ZXN0ADEyMzQ=\r\n",
    b"*\r\n",
    b"QUIT\r\n",
    b"hello world\r\n",
    b".\r\n",
    b"\r\n.\r\n",
    b"\n.\n",
    b"\r",
    b"\n",
    b"..x\r\n",
    b"GET / HTTP/1.1\r\n",
    b"\x00\xff",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn server_sessions_never_break_the_invariants(
        sel in any::<u8>(),
        seed in any::<u8>(),
        parts in proptest::collection::vec(
            prop_oneof![
                4 => proptest::sample::select(TOKENS).prop_map(|t| t.to_vec()),
                1 => proptest::collection::vec(any::<u8>(), 0..8),
            ],
            0..30,
        ),
    ) {
        let mut data = vec![sel, seed];
        for p in parts {
            data.extend_from_slice(&p);
        }
        checks::server(&data);
    }
}
