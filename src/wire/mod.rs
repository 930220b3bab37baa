//! Byte-level framing over caller buffers: CRLF command lines, replies,
//! DATA transparency (dot-stuffing and end-of-data), and BDAT chunks. Each
//! framed unit is parsed by `syntax`; nothing here reads its meaning. Also
//! the PROXY protocol header a load balancer puts before the first byte of
//! SMTP (`proxy`), a small binary/text format of its own.

pub mod bdat;
pub mod line;
mod plain;
pub mod proxy;
pub mod reply;
pub mod stuff;
pub mod unstuff;
