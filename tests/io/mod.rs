//! The drivers (`src/io`).

mod async_handler;
mod batch;
mod blocking;
mod blocking_edges;
#[cfg(feature = "embassy")]
mod embassy;
mod send_futures;
mod tokio;
mod tokio_host;
mod tokio_transport;
