//! The message writer (`src/message/`): exact header and body forms from
//! the RFCs (headers.rs, bodies.rs), the caller's errors (refusals.rs),
//! what two independent parsers read back (parse_back.rs), property tests
//! at every output-buffer size (props.rs), and a 10 MB attachment through
//! the blocking client's 1 KiB buffers (streaming.rs).

mod bodies;
mod headers;
mod parse_back;
mod props;
mod refusals;
#[cfg(feature = "blocking")]
mod streaming;
