//! How long the network clients wait for a server, and how often they ask
//! again: one setting for [`HickoryLookup`](super::resolver::HickoryLookup)
//! and [`StubLookup`](super::stub::StubLookup) alike.

use std::time::Duration;

/// How long to wait for a server, and how often to ask again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolverSettings {
    /// Time allowed for one attempt at one query, across all servers asked
    /// in parallel (hickory's `ResolverOpts::timeout`).
    pub timeout: Duration,
    /// Further attempts after the first one timed out or failed (hickory's
    /// `ResolverOpts::attempts`): a query is sent at most `attempts + 1`
    /// times, so it takes at most `timeout × (attempts + 1)` per CNAME hop.
    pub attempts: usize,
}

impl Default for ResolverSettings {
    /// Two seconds per attempt, two more attempts after the first.
    fn default() -> Self {
        ResolverSettings {
            timeout: Duration::from_secs(2),
            attempts: 2,
        }
    }
}
