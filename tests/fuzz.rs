//! Replays the checked-in fuzz seed corpus (fuzz/corpus/<target>/) through
//! the very checks the fuzz targets run, so `cargo test` covers them and a
//! crash input saved there stays a regression test.

use crate::fuzz_checks as checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| check(&data));
        assert!(
            result.is_ok(),
            "fuzz check `{target}` failed on {}",
            path.display()
        );
        count += 1;
    }
    assert!(count > 0, "no seeds in {}", dir.display());
}

#[test]
fn command_seeds() {
    replay("command", checks::command);
}

#[test]
fn address_seeds() {
    replay("address", checks::address);
}

#[test]
fn reply_seeds() {
    replay("reply", checks::reply);
}

#[test]
fn ehlo_seeds() {
    replay("ehlo", checks::ehlo);
}

#[test]
fn line_framer_seeds() {
    replay("line_framer", checks::line_framer);
}

#[test]
fn dot_seeds() {
    replay("dot", checks::dot);
}

#[test]
fn bdat_seeds() {
    replay("bdat", checks::bdat);
}

#[test]
fn proxy_seeds() {
    replay("proxy", checks::proxy);
}

#[test]
fn server_seeds() {
    replay("server", checks::server);
}

#[test]
fn client_seeds() {
    replay("client", checks::client);
}

#[test]
fn differential_seeds() {
    replay("differential", checks::differential::differential);
}

#[test]
fn message_seeds() {
    replay("message", checks::message);
}
