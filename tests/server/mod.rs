//! The server engine, sans-IO (`src/server`).

mod data;
mod door;
mod ext;
mod fuzz_props;
mod model;
mod pipelining;
mod proxy;
mod rfc;
mod session;
