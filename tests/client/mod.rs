//! The client engine, sans-IO (`src/client`), alone and with the server engine.

mod appendix_d;
mod content;
mod cross;
mod envelope;
mod mutations;
mod props;
mod providers;
mod replies;
mod size;
mod tls;
mod with_server;
mod with_server_random;
