//! Exit codes, the same for every command.

/// Everything checked is fine, or the output was written.
pub const OK: u8 = 0;
/// A check found problems (an SPF record fails, verify found errors).
pub const PROBLEMS: u8 = 1;
/// Bad input or usage: an invalid inventory, record, option or file.
pub const BAD_INPUT: u8 = 2;
/// DNS could not answer enough to decide (timeouts, SERVFAIL).
pub const DNS_FAILURE: u8 = 3;
