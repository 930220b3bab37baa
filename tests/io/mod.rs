//! The drivers (`src/io`).

mod batch;
mod blocking;
mod blocking_edges;
#[cfg(feature = "embassy")]
mod embassy;
mod tokio;
mod tokio_transport;
