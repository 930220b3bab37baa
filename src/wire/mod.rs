//! Byte-level framing over caller buffers: CRLF command lines, replies,
//! DATA transparency (dot-stuffing and end-of-data), and BDAT chunks. Each
//! framed unit is parsed by `syntax`; nothing here reads its meaning.

pub mod bdat;
pub mod line;
mod plain;
pub mod reply;
pub mod stuff;
pub mod unstuff;
