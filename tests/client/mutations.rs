//! A poor man's fuzzer for the client engine, run by `cargo test`: every
//! seed of fuzz/corpus/client mutated many times (byte flips, inserted
//! CR/LF/digits, truncations, splices) through the same check as the fuzz
//! target.

use crate::fuzz_checks as checks;

use std::path::Path;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn mutated_seeds_never_break_the_client() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/client");
    let seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert!(!seeds.is_empty());
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    const PICKS: &[u8] = b"\r\n 0123456789-.=+*AEHLOST";
    // CLIENT_MUTATIONS=1000000 cargo test --release --test client_mutations
    // for a longer run.
    let rounds: usize = std::env::var("CLIENT_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    for _ in 0..rounds {
        let mut data = seeds[rng.below(seeds.len())].clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(data.len() + 1);
            match rng.below(5) {
                0 if at < data.len() => data[at] ^= 1 << rng.below(8),
                1 => data.insert(at, PICKS[rng.below(PICKS.len())]),
                2 => data.truncate(at.max(3)),
                3 if at < data.len() => {
                    data.remove(at);
                }
                _ => {
                    let other = &seeds[rng.below(seeds.len())];
                    let from = rng.below(other.len());
                    let piece = other[from..].iter().take(40).copied().collect::<Vec<_>>();
                    data.splice(at..at, piece);
                }
            }
        }
        checks::client(&data);
    }
}

/// The seeds named `*delivered*` do deliver, so the mutations above start
/// from sessions that reach the content (those of the extensions built).
#[test]
fn delivering_seeds_deliver() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/client");
    // The seeds of an extension this build leaves out do not deliver: the
    // harness (like the client) does not use it, so the scripted server's
    // replies no longer fit.
    for (name, built) in [
        ("plain_lockstep_delivered", true),
        ("pipelined_delivered", true),
        ("bdat_pipelined", embedded_smtp::built::CHUNKING),
        ("lmtp_per_recipient", embedded_smtp::built::LMTP),
        ("ehlo_500_helo", true),
    ] {
        if !built {
            continue;
        }
        let data = std::fs::read(dir.join(name)).unwrap();
        assert!(checks::client_session(&data) > 0, "{name}");
    }
    // Two messages, the second's envelope pipelined behind the first's
    // content (the harness's `c & 1`): both delivered, each after its end.
    let data = std::fs::read(dir.join("cross_transaction_delivered")).unwrap();
    assert_eq!(checks::client_session(&data), 2);
}
