//! senderzone: generate and verify the DNS records a mail server needs.
//!
//! The library holds all logic; `main.rs` only parses the command line, calls
//! [`app::run`] and turns its outcome into an exit code.

pub mod dns;
pub mod spf;
