//! Exit codes, the same for every command.
//!
//! Each [`crate::app::Error`] maps to one of them in
//! [`crate::app::Error::code`]; the `--help` epilogue and the README's table
//! say the same.

/// Everything checked is fine, or the output was written.
pub const OK: u8 = 0;
/// A check found problems (an SPF record fails, verify found errors).
pub const PROBLEMS: u8 = 1;
/// The command could not do its job: bad input or usage (an invalid
/// inventory, record, option value or file), or the output could not be
/// written.
pub const BAD_INPUT: u8 = 2;
/// DNS could not answer enough to decide (timeouts, SERVFAIL).
pub const DNS_FAILURE: u8 = 3;
/// The reader of the output went away (`senderzone … | head -1`): the
/// program ends quietly with the status a shell reports for a process
/// killed by `SIGPIPE` (128 + 13), so that no partial run reads as a
/// verdict; 0 would say "all good" for a `verify` that never finished.
pub const CLOSED_PIPE: u8 = 141;
