//! senderzone: generate and verify the DNS records a mail server needs.
//!
//! The library holds all logic; `main.rs` only parses the command line, calls
//! [`app::run`] and turns its outcome into an exit code.

pub mod app;
pub mod cli;
pub mod dns;
pub mod dnsbl;
pub mod exit;
pub mod finding;
pub mod generic_ptr;
pub mod import;
pub mod inventory;
pub mod mailauth;
pub mod names;
pub mod net;
pub mod parallel;
pub mod records;
pub mod render;
pub mod reverse;
pub mod spf;
pub mod sync;
pub mod target;
pub mod text;
pub mod verify;
