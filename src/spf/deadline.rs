//! A time limit on a whole check, and what it was still waiting for when
//! the limit passed (RFC 7208 §4.6.4).
//!
//! RFC 7208 §4.6.4 asks for a limit on the time `check_host()` takes, of
//! at least 20 seconds, and a `temperror` when it is exceeded. The per-query
//! timeouts of a resolver do not bound a check: a server that answers each
//! query just in time, with CNAME chains, kept one check running for over
//! 15 minutes. [`Watched`] notes every query in flight, so that when the
//! check is cut off the result can say which names and types it was still
//! waiting for.

use std::cell::RefCell;
use std::fmt;
use std::time::Duration;

use hickory_proto::rr::RecordType;

use super::text::CompactText;
use crate::dns::{Lookup, LookupResult, RecordData};

/// The default limit on one check: the floor RFC 7208 §4.6.4 suggests.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(20);

/// Queries asked and not yet answered.
#[derive(Debug, Default)]
pub(crate) struct InFlight(RefCell<Vec<PendingQuery>>);

impl InFlight {
    /// The queries still in flight, in the order they were asked.
    pub(crate) fn pending(&self) -> Vec<PendingQuery> {
        self.0.borrow().clone()
    }
}

/// A query that had no answer when the time limit passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingQuery {
    /// The record type asked for.
    pub rtype: RecordType,
    /// The name asked for.
    pub name: CompactText,
}

impl fmt::Display for PendingQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}`", self.rtype, self.name)
    }
}

/// A [`Lookup`] that notes each query while it is in flight.
///
/// A query whose future is dropped before it is answered (the check was
/// cut off) stays in [`InFlight`].
pub(crate) struct Watched<'a, L> {
    inner: &'a L,
    in_flight: &'a InFlight,
}

impl<'a, L> Watched<'a, L> {
    pub(crate) fn new(inner: &'a L, in_flight: &'a InFlight) -> Self {
        Watched { inner, in_flight }
    }
}

impl<L: Lookup> Lookup for Watched<'_, L> {
    async fn query(&self, name: &str, rtype: RecordType) -> LookupResult<RecordData> {
        let name = name.strip_suffix('.').unwrap_or(name);
        let query = PendingQuery {
            rtype,
            name: CompactText::from(name),
        };
        self.in_flight.0.borrow_mut().push(query.clone());
        let result = self.inner.query(name, rtype).await;
        let mut in_flight = self.in_flight.0.borrow_mut();
        if let Some(at) = in_flight.iter().position(|q| *q == query) {
            in_flight.remove(at);
        }
        result
    }
}

/// Queries in flight as a list for a message: `TXT `a.example`, A `b.example``.
pub(crate) struct PendingList<'a>(pub(crate) &'a [PendingQuery]);

impl fmt::Display for PendingList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no query (the limit passed between queries)");
        }
        for (i, query) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{query}")?;
        }
        Ok(())
    }
}
