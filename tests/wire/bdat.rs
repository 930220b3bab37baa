//! BDAT chunk accounting: RFC 3030 §2; rule D9; catalogue rows BDT-01,
//! BDT-02 (framing part), CNF-02. Every case is replayed whole, byte by
//! byte and at every 2-way split point.

use embedded_smtp::wire::bdat::{BdatReader, ChunkEvent};
use proptest::prelude::*;

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    content: Vec<u8>,
    /// `Some(last)` once End was reported.
    end: Option<bool>,
    /// Bytes after the chunk, never consumed (the next command).
    leftover: Vec<u8>,
}

/// Drives the reader over `chunks` the way a server does.
fn drive(size: u64, last: bool, chunks: &[&[u8]]) -> Outcome {
    let mut r = BdatReader::new(size, last);
    let mut out = Outcome {
        content: Vec::new(),
        end: None,
        leftover: Vec::new(),
    };
    let take = |r: &mut BdatReader, input: &[u8], out: &mut Outcome| -> usize {
        let (n, ev) = r.feed(input);
        assert!(n <= input.len());
        match ev {
            Some(ChunkEvent::Data(d)) => {
                assert_eq!(d, &input[..n], "data is the consumed input");
                assert!(!d.is_empty());
                out.content.extend_from_slice(d);
            }
            Some(ChunkEvent::End { last }) => {
                assert_eq!(n, 0);
                assert!(out.end.is_none(), "End twice");
                out.end = Some(last);
            }
            None => assert_eq!(n, 0),
        }
        n
    };
    for chunk in chunks {
        let mut off = 0;
        while off < chunk.len() && out.end.is_none() {
            off += take(&mut r, &chunk[off..], &mut out);
        }
        // End is due as soon as the count is reached, even with no input.
        take(&mut r, &[], &mut out);
        out.leftover.extend_from_slice(&chunk[off..]);
    }
    assert_eq!(r.is_done(), out.end.is_some());
    assert_eq!(r.remaining(), size - out.content.len() as u64);
    out
}

fn splits(input: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut all = vec![vec![input], input.chunks(1).collect()];
    for i in 1..input.len() {
        all.push(vec![&input[..i], &input[i..]]);
    }
    all
}

fn case(size: u64, last: bool, input: &[u8], content: &[u8], end: Option<bool>, leftover: &[u8]) {
    for chunks in splits(input) {
        let got = drive(size, last, &chunks);
        let lens: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
        assert_eq!(
            got,
            Outcome {
                content: content.to_vec(),
                end,
                leftover: leftover.to_vec()
            },
            "split {lens:?}"
        );
    }
}

#[test]
fn bdt01_the_octets_are_content_whatever_they_hold() {
    // "BDAT 12 LAST\r\nab\r\n.\r\nQUIT\r\n": the data after the command line is
    // 13 octets; with a count of 12, exactly the first 12 are content and the
    // final LF is what follows the chunk. No unstuffing, no end-of-data scan.
    let data = b"ab\r\n.\r\nQUIT\r\n";
    case(12, true, data, b"ab\r\n.\r\nQUIT\r", Some(true), b"\n");
    case(13, true, data, data, Some(true), b"");
    // NUL and dots are content too.
    case(
        6,
        false,
        b"\x00..\r\n\x00NOOP\r\n",
        b"\x00..\r\n\x00",
        Some(false),
        b"NOOP\r\n",
    );
}

#[test]
fn bdt02_chunks_then_a_zero_length_last() {
    // "BDAT 3\r\nabc" then "BDAT 0 LAST\r\n": the message is "abc".
    case(
        3,
        false,
        b"abcBDAT 0 LAST\r\n",
        b"abc",
        Some(false),
        b"BDAT 0 LAST\r\n",
    );
    let mut r = BdatReader::new(0, true);
    assert!(r.is_last());
    assert_eq!(r.remaining(), 0);
    assert_eq!(
        r.feed(b"QUIT\r\n"),
        (0, Some(ChunkEvent::End { last: true }))
    );
    assert_eq!(r.feed(b"QUIT\r\n"), (0, None));
    assert!(r.is_done());
}

#[test]
fn cnf02_rfc3030_examples() {
    // "BDAT 69 LAST" with a 69-octet message, and "BDAT 100000" + "BDAT 324 LAST".
    let msg = [
        &b"To: ned@ymir.claremont.edu\r\nFrom: x@y\r\nSubject: Test\r\n\r\n"[..],
        &[b'x'; 11][..],
        b"\r\n",
    ]
    .concat();
    assert_eq!(msg.len(), 69);
    let wire = [&msg[..], b"QUIT\r\n"].concat();
    assert_eq!(
        drive(69, true, &[&wire]),
        Outcome {
            content: msg.clone(),
            end: Some(true),
            leftover: b"QUIT\r\n".to_vec()
        }
    );
    let big = vec![b'.'; 100_000];
    let got = drive(100_000, false, &big.chunks(4096).collect::<Vec<_>>());
    assert_eq!((got.content.len(), got.end), (100_000, Some(false)));
    let got = drive(324, true, &[&[b'\n'; 324]]);
    assert_eq!((got.content.len(), got.end), (324, Some(true)));
}

#[test]
fn incomplete_chunks_wait() {
    case(10, true, b"abc", b"abc", None, b"");
    let mut r = BdatReader::new(u64::MAX, false);
    assert_eq!(r.feed(b"abc"), (3, Some(ChunkEvent::Data(b"abc"))));
    assert_eq!(r.remaining(), u64::MAX - 3);
    assert_eq!(r.feed(b""), (0, None));
    assert!(!r.is_done());
}

proptest! {
    #[test]
    fn exactly_size_octets_under_any_split(
        input in prop::collection::vec(any::<u8>(), 0..64),
        size in 0u64..80,
        last in any::<bool>(),
        cuts in prop::collection::vec(0usize..64, 0..6),
    ) {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut from = 0;
        for c in cuts {
            chunks.push(&input[from..c]);
            from = c;
        }
        chunks.push(&input[from..]);
        let n = (size as usize).min(input.len());
        let got = drive(size, last, &chunks);
        prop_assert_eq!(&got.content[..], &input[..n]);
        prop_assert_eq!(got.end, (size as usize <= input.len()).then_some(last));
        prop_assert_eq!(&got.leftover[..], &input[n..]);
    }
}
