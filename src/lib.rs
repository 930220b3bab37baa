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

pub mod client;
#[cfg(any(feature = "blocking", feature = "async"))]
pub mod io;
pub mod sasl;
pub mod server;
pub mod syntax;
pub mod wire;

pub use server::{
    AbortReason, Config as ServerConfig, Event as ServerEvent, Server, ServerError,
    Step as ServerStep,
};
pub use syntax::{
    AddressError, AddressLiteral, AuthMechanism, AuthMechanisms, Body, By, ByMode, Capabilities,
    Command, CommandError, CommandErrorKind, Domain, EnhancedCode, Extension, ForwardPath, Hold,
    Host, InitialResponse, Invalid, LocalPart, MailAuth, MailParameters, Mailbox, Mode, Notify,
    Orcpt, ParamError, ParseOptions, RcptParameters, Reply, ReplyClass, ReplyCode, ReplyError,
    ReplyLine, Ret, ReversePath, Status, UnknownParam, Verb, WriteError, XText, write_reply,
};

pub use client::{Client, ClientConfig, ClientError, Envelope, Event as ClientEvent};
