//! AFL++ entry point of the `inventory` target ([`senderzone_fuzz::targets::inventory`]).
//!
//! Built by `cargo afl build`; built plainly, it runs one input from
//! standard input, which is how a saved crash is replayed.

fn main() {
    afl::fuzz!(|data: &[u8]| senderzone_fuzz::targets::inventory(data));
}
