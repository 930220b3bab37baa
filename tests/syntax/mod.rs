//! Grammar: one parser and one writer per element (`src/syntax`).

mod address;
mod address_props;
mod command;
mod domain;
mod ehlo;
mod params;
mod params_props;
mod params_write;
mod reply;
mod reply_write;
