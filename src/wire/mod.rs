//! Byte-level framing over caller buffers: CRLF lines, DATA transparency
//! (dot-stuffing and end-of-data), and BDAT chunk accounting. Nothing here
//! knows about commands.

pub mod bdat;
pub mod line;
pub mod stuff;
pub mod unstuff;
