//! One run's view of DNS: every distinct query asked once, a bound on the
//! queries in flight, and a deadline for the whole run.
//!
//! [`SharedLookup`] wraps any [`Lookup`]. Checks of many servers ask for
//! the same names (a domain's SPF record once per server, a PTR name that
//! is also a host name): the first caller sends the query and the others,
//! also those that arrive while it is in flight, get a copy of its result.
//! Results are kept for the run only, so each run sees the DNS of now.
//! When the deadline passes, every query not yet answered is a
//! [`LookupError::Timeout`]: a run against servers that stopped answering
//! ends on time, with "could not determine" rather than a result.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::rc::Rc;
use tokio::sync::{OnceCell, Semaphore};
use tokio::time::Instant;

use crate::dns::{Lookup, LookupError, LookupResult, Mx, Txt};

/// Counters a caller may watch while a run goes on (for a progress line).
#[derive(Debug, Default)]
pub struct Progress {
    queries_sent: Cell<usize>,
    queries_answered: Cell<usize>,
    checks_total: Cell<usize>,
    checks_done: Cell<usize>,
}

impl Progress {
    /// Distinct queries sent so far.
    pub fn queries_sent(&self) -> usize {
        self.queries_sent.get()
    }

    /// Queries that have a result (an answer, an error or the deadline).
    pub fn queries_answered(&self) -> usize {
        self.queries_answered.get()
    }

    /// Servers and domains to check in this run.
    pub fn checks_total(&self) -> usize {
        self.checks_total.get()
    }

    /// Servers and domains whose checks are finished.
    pub fn checks_done(&self) -> usize {
        self.checks_done.get()
    }

    pub(crate) fn plan_checks(&self, total: usize) {
        self.checks_total.set(total);
    }

    pub(crate) fn check_done(&self) {
        self.checks_done.set(self.checks_done.get() + 1);
    }
}

/// Results by key, each filled once; callers that come while the query is
/// in flight wait on the same cell.
type Table<K, T> = RefCell<HashMap<K, Rc<OnceCell<LookupResult<T>>>>>;

/// A memoising, bounded [`Lookup`] with a deadline, for one run on one thread.
pub struct SharedLookup<'a, L> {
    inner: &'a L,
    progress: &'a Progress,
    permits: Semaphore,
    deadline: Instant,
    txt: Table<String, Txt>,
    a: Table<String, Ipv4Addr>,
    aaaa: Table<String, Ipv6Addr>,
    mx: Table<String, Mx>,
    ptr: Table<IpAddr, String>,
    cname: Table<String, String>,
    ns: Table<String, String>,
    soa: Table<String, u32>,
}

impl<'a, L: Lookup> SharedLookup<'a, L> {
    /// Wraps `inner`: at most `concurrency` queries in flight (at least
    /// one), none answered later than `deadline`.
    pub fn new(
        inner: &'a L,
        concurrency: usize,
        deadline: Instant,
        progress: &'a Progress,
    ) -> Self {
        SharedLookup {
            inner,
            progress,
            permits: Semaphore::new(concurrency.max(1)),
            deadline,
            txt: Table::default(),
            a: Table::default(),
            aaaa: Table::default(),
            mx: Table::default(),
            ptr: Table::default(),
            cname: Table::default(),
            ns: Table::default(),
            soa: Table::default(),
        }
    }

    async fn once<K, T, F>(&self, table: &Table<K, T>, key: K, ask: F) -> LookupResult<T>
    where
        K: Eq + Hash,
        T: Clone,
        F: Future<Output = LookupResult<T>>,
    {
        let cell = Rc::clone(table.borrow_mut().entry(key).or_default());
        cell.get_or_init(|| async {
            let progress = self.progress;
            progress.queries_sent.set(progress.queries_sent.get() + 1);
            let bounded = async {
                // The semaphore is never closed, so acquiring only waits.
                let _permit = self.permits.acquire().await;
                ask.await
            };
            let result = tokio::time::timeout_at(self.deadline, bounded)
                .await
                .unwrap_or(Err(LookupError::Timeout));
            progress
                .queries_answered
                .set(progress.queries_answered.get() + 1);
            result
        })
        .await
        .clone()
    }
}

/// The cache key of a name: lower case, no trailing dot (RFC 4343).
fn key(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

impl<L: Lookup> Lookup for SharedLookup<'_, L> {
    async fn txt(&self, name: &str) -> LookupResult<Txt> {
        self.once(&self.txt, key(name), self.inner.txt(name)).await
    }

    async fn a(&self, name: &str) -> LookupResult<Ipv4Addr> {
        self.once(&self.a, key(name), self.inner.a(name)).await
    }

    async fn aaaa(&self, name: &str) -> LookupResult<Ipv6Addr> {
        self.once(&self.aaaa, key(name), self.inner.aaaa(name))
            .await
    }

    async fn mx(&self, name: &str) -> LookupResult<Mx> {
        self.once(&self.mx, key(name), self.inner.mx(name)).await
    }

    async fn ptr(&self, ip: IpAddr) -> LookupResult<String> {
        self.once(&self.ptr, ip, self.inner.ptr(ip)).await
    }

    async fn cname(&self, name: &str) -> LookupResult<String> {
        self.once(&self.cname, key(name), self.inner.cname(name))
            .await
    }

    async fn ns(&self, name: &str) -> LookupResult<String> {
        self.once(&self.ns, key(name), self.inner.ns(name)).await
    }

    async fn soa(&self, name: &str) -> LookupResult<u32> {
        self.once(&self.soa, key(name), self.inner.soa(name)).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::dns::memory::MemoryZone;
    use crate::dns::{Answer, RecordData};

    /// Counts the queries that reach it, and answers after a pause.
    struct Counting {
        zone: MemoryZone,
        asked: Cell<usize>,
        pause: Duration,
    }

    impl Counting {
        async fn answer<T>(&self, result: LookupResult<T>) -> LookupResult<T> {
            self.asked.set(self.asked.get() + 1);
            tokio::time::sleep(self.pause).await;
            result
        }
    }

    impl Lookup for Counting {
        async fn txt(&self, name: &str) -> LookupResult<Txt> {
            self.answer(self.zone.txt(name).await).await
        }
        async fn a(&self, name: &str) -> LookupResult<Ipv4Addr> {
            self.answer(self.zone.a(name).await).await
        }
        async fn aaaa(&self, name: &str) -> LookupResult<Ipv6Addr> {
            self.answer(self.zone.aaaa(name).await).await
        }
        async fn mx(&self, name: &str) -> LookupResult<Mx> {
            self.answer(self.zone.mx(name).await).await
        }
        async fn ptr(&self, ip: IpAddr) -> LookupResult<String> {
            self.answer(self.zone.ptr(ip).await).await
        }
        async fn cname(&self, name: &str) -> LookupResult<String> {
            self.answer(self.zone.cname(name).await).await
        }
        async fn ns(&self, name: &str) -> LookupResult<String> {
            self.answer(self.zone.ns(name).await).await
        }
        async fn soa(&self, name: &str) -> LookupResult<u32> {
            self.answer(self.zone.soa(name).await).await
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn counting(pause: Duration) -> Counting {
        let mut zone = MemoryZone::new();
        zone.insert(
            "mail.example.com",
            RecordData::A(Ipv4Addr::new(192, 0, 2, 1)),
        );
        Counting {
            zone,
            asked: Cell::new(0),
            pause,
        }
    }

    #[test]
    fn concurrent_duplicates_are_asked_once() {
        let inner = counting(Duration::from_millis(20));
        let progress = Progress::default();
        let shared = SharedLookup::new(
            &inner,
            4,
            Instant::now() + Duration::from_secs(10),
            &progress,
        );
        runtime().block_on(async {
            let (one, two, three) = tokio::join!(
                shared.a("mail.example.com"),
                shared.a("MAIL.example.com."),
                shared.a("mail.example.com"),
            );
            assert_eq!(one, two);
            assert_eq!(two, three);
            assert_eq!(shared.a("other.example.com").await, Ok(Answer::NxDomain));
            assert_eq!(shared.a("other.example.com").await, Ok(Answer::NxDomain));
        });
        assert_eq!(inner.asked.get(), 2);
        assert_eq!(progress.queries_sent(), 2);
        assert_eq!(progress.queries_answered(), 2);
    }

    #[test]
    fn the_deadline_turns_unanswered_queries_into_timeouts() {
        let inner = counting(Duration::from_secs(30));
        let progress = Progress::default();
        let shared = SharedLookup::new(
            &inner,
            1,
            Instant::now() + Duration::from_millis(50),
            &progress,
        );
        let started = std::time::Instant::now();
        runtime().block_on(async {
            let (a, txt) = tokio::join!(shared.a("mail.example.com"), shared.txt("example.com"));
            assert_eq!(a, Err(LookupError::Timeout));
            assert_eq!(txt, Err(LookupError::Timeout));
        });
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
