//! `size_of::<Client>()` stays small and fixed (DESIGN.md: sans-IO contract).
use embedded_smtp::Client;

#[test]
fn client_is_small() {
    let size = core::mem::size_of::<Client<'static>>();
    println!("size_of::<Client>() = {size}");
    assert!(size <= 512, "Client is {size} bytes");
}
