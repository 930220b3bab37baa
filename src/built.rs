//! Which optional SMTP extensions this build of the crate has: one
//! constant per Cargo feature (all on by default; a firmware built with
//! `default-features = false` names the ones it needs).
//!
//! An extension that is not built is never advertised by the
//! [`Server`](crate::Server) nor used by the [`Client`](crate::Client), and
//! asking for it is an error that names the feature:
//! [`server::ConfigError::NotBuilt`](crate::server::ConfigError::NotBuilt),
//! [`client::ConfigError::NotBuilt`](crate::client::ConfigError::NotBuilt),
//! [`client::EnvelopeError::NotBuilt`](crate::client::EnvelopeError::NotBuilt),
//! [`syntax::Invalid::NotBuilt`](crate::syntax::Invalid::NotBuilt) from the
//! parameter writers. The engines read these constants where they decide,
//! so the compiler leaves the extension's code out.
//!
//! | feature | constant | what it brings |
//! |---|---|---|
//! | `chunking` | [`CHUNKING`] | CHUNKING and BINARYMIME (RFC 3030): BDAT, client and server |
//! | `dsn` | [`DSN`] | DSN (RFC 3461): NOTIFY, ORCPT, RET, ENVID |
//! | `smtputf8` | [`SMTPUTF8`] | SMTPUTF8 (RFC 6531): UTF-8 addresses |
//! | `lmtp` | [`LMTP`] | LMTP (RFC 2033): LHLO, a reply per recipient |
//! | `xoauth2` | [`XOAUTH2`] | the XOAUTH2 SASL mechanism |
//! | `proxy` | [`PROXY`] | the PROXY protocol header before a server session |
//!
//! ```
//! use embedded_smtp::{ServerConfig, built, server::ConfigError};
//! let mut config = ServerConfig::new("mx.example");
//! config.dsn = true;
//! if built::DSN {
//!     assert!(config.validate().is_ok());
//! } else {
//!     assert_eq!(config.validate(), Err(ConfigError::NotBuilt("dsn")));
//! }
//! ```

/// CHUNKING and BINARYMIME (feature `chunking`).
pub const CHUNKING: bool = cfg!(feature = "chunking");
/// DSN (feature `dsn`).
pub const DSN: bool = cfg!(feature = "dsn");
/// SMTPUTF8 (feature `smtputf8`).
pub const SMTPUTF8: bool = cfg!(feature = "smtputf8");
/// LMTP (feature `lmtp`).
pub const LMTP: bool = cfg!(feature = "lmtp");
/// The XOAUTH2 mechanism (feature `xoauth2`).
pub const XOAUTH2: bool = cfg!(feature = "xoauth2");
/// The PROXY protocol (feature `proxy`).
pub const PROXY: bool = cfg!(feature = "proxy");
/// Every extension above: what a host build with the default features has.
pub const ALL: bool = CHUNKING && DSN && SMTPUTF8 && LMTP && XOAUTH2 && PROXY;
