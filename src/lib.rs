#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate std;

// The logging macros must be defined before the modules that use them.
#[macro_use]
mod fmt;

pub mod sasl;
pub mod syntax;
pub mod wire;

pub use syntax::*;
