//! Real mail software over 127.0.0.1.

mod exim;
mod haproxy;
mod peers;
mod postfix;
mod tls_ending;
