//! Framing over caller buffers (`src/wire`).

mod bdat;
mod dot;
mod line;
mod normalize;
mod proxy;
