//! Fuzz targets of senderzone and their seed corpus.
//!
//! One target per input surface, each a function of arbitrary bytes that
//! panics when a property fails ([`targets`]); the seed corpus is built at
//! run time from the RFC 7208 suite and the repository's fixtures
//! ([`seeds`]). The AFL++ entry points are in `src/bin`; `scripts/fuzz`
//! runs them; `tests/fuzz_smoke.rs` of the main crate runs both modules
//! over the seeds in the normal test run.

pub mod seeds;
pub mod targets;
