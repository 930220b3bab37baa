// The README is the crate's front page; its examples use the drivers, so it
// is the documentation (and its examples are tested) when they are built.
#![cfg_attr(
    all(feature = "blocking", feature = "async"),
    doc = include_str!("../README.md")
)]
#![cfg_attr(
    not(all(feature = "blocking", feature = "async")),
    doc = "An embeddable, `no_std`, allocation-free, sans-IO SMTP client and server \
           (see the README, and the `blocking` and `async` features for the drivers)."
)]
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate std;

// The logging macros must be defined before the modules that use them.
#[macro_use]
mod fmt;

// The front door: what a program starts from — a driver (blocking, async,
// embassy), or an engine driven by hand, and their configurations.
pub use client::{Client, ClientConfig, Envelope, Recipient};
#[cfg(feature = "async")]
pub use io::asynch;
#[cfg(feature = "blocking")]
pub use io::blocking;
#[cfg(feature = "embassy")]
pub use io::embassy;
#[cfg(any(feature = "blocking", feature = "async"))]
pub use io::{Decision, Delivery, Handler};
pub use server::{Server, ServerConfig};

// The layers, bottom up: grammar, framing, SASL, the engines, the drivers;
// and the message writer, beside the engines (it uses grammar and framing
// only; the drivers take it as a body). `tests/rules.rs` checks the order.
pub mod built;
pub mod client;
#[cfg(any(feature = "blocking", feature = "async"))]
pub mod io;
pub mod message;
pub mod sasl;
pub mod server;
pub mod syntax;
pub mod wire;
