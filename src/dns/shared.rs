//! One run's view of DNS: every distinct query asked once, a bound on the
//! queries in flight, and a deadline for the whole run.
//!
//! [`SharedLookup`] wraps any [`Lookup`] at its one primitive, so every
//! typed accessor goes through it. Checks of many servers ask for the same
//! names (a domain's SPF record once per server, a PTR name that is also a
//! host name): the first caller sends the query and the others, also those
//! that arrive while it is in flight, get a copy of its result. Results are
//! kept for the run only, so each run sees the DNS of now. When the
//! deadline passes, every query not yet answered is a
//! [`LookupError::Timeout`]: a run against servers that stopped answering
//! ends on time, with "could not determine" rather than a result.
//!
//! `verify` runs its checks through one, and `dnsbl` (without a deadline)
//! its list tests and questions. [`Within`] holds a deadline alone, for
//! the phases of `verify` after its checks.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::hash::BuildHasher;
use std::rc::Rc;
use std::task::{Poll, Waker};

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use hickory_proto::rr::RecordType;
use tokio::time::Instant;

use super::lookup::{Lookup, LookupError, LookupResult};
use super::record::RecordData;
use crate::names::normal_form;

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

/// Queries in flight at most, whatever the caller allows.
///
/// Every query of a run goes to one server at a time, and a server's
/// socket buffer holds only so many: Linux's default (208 KiB) about 270
/// small queries as the kernel counts them (~770 octets each). Queries
/// beyond that are dropped there and each costs a timeout: NSD, verified
/// at 1,024 in flight, lost some and the run waited two seconds for them
/// (scripts/bench-verify).
pub const MAX_IN_FLIGHT: usize = 256;

/// A memoising, bounded [`Lookup`] with a deadline, for one run on one thread.
pub struct SharedLookup<'a, L> {
    inner: &'a L,
    progress: &'a Progress,
    permits: Permits,
    deadline: Option<Instant>,
    memos: RefCell<Memos>,
}

/// Every distinct query of a run, in the order first asked.
///
/// One table of indexes, found by a hash of type and name computed once
/// per query; each query keeps its hash, so the table grows without
/// hashing a name again (an IPv6 reverse name is 72 octets). The names
/// lie end to end in one string and the queries in one vector: no
/// allocation per query. A map by name per type, with a `Box<str>` key
/// and an `Rc` per query, hashed each new name twice and rehashed them as
/// it grew (with the tokio semaphore and the copied box: 122M of this
/// module's own instructions in a run of 62,000 queries, now 77M).
#[derive(Default)]
struct Memos {
    /// Indexes into `queries`: a run asks fewer than 2^32 distinct
    /// queries (each holds 64 octets here), and half-size slots keep more
    /// of the table in cache.
    index: HashTable<u32>,
    queries: Vec<Memo>,
    names: String,
    hasher: RandomState,
}

/// One query of a run, its name in [`normal_form`] (RFC 4343): 64
/// octets, so that a query found in the table costs one cache line, and
/// the name another.
struct Memo {
    hash: u64,
    /// Where the name starts in [`Memos::names`].
    start: usize,
    /// The name's length.
    len: u32,
    rtype: RecordType,
    state: State,
}

impl Memo {
    fn name<'a>(&self, names: &'a str) -> &'a str {
        &names[self.start..][..self.len as usize]
    }
}

/// A query in flight or answered.
enum State {
    /// Asked by one caller, the driver, which polls the query (when
    /// `driven`); the other callers wait with their wakers here, at the
    /// place each took. A driver dropped before the answer drops the query
    /// and wakes them: the first to come back asks again.
    Asked { driven: bool, waiters: Vec<Waker> },
    /// The result.
    Answered(LookupResult<RecordData>),
}

/// Octets room is made for per query expected: most names are host,
/// domain and IPv4 reverse names; an IPv6 reverse name has 72.
const NAME_OCTETS: usize = 40;

impl Memos {
    /// The result of `rtype` at `name` when there is one; else where the
    /// query is, and whether this caller added it (and so drives it).
    fn find(
        &mut self,
        name: &str,
        rtype: RecordType,
    ) -> Result<LookupResult<RecordData>, (usize, bool)> {
        let hash = self.hasher.hash_one((u16::from(rtype), name));
        let Memos {
            index,
            queries,
            names,
            ..
        } = self;
        let same = |&at: &u32| {
            let memo: &Memo = &queries[at as usize];
            memo.hash == hash && memo.rtype == rtype && memo.name(names) == name
        };
        match index.entry(hash, same, |&at| queries[at as usize].hash) {
            Entry::Occupied(found) => {
                let at = *found.get() as usize;
                match &queries[at].state {
                    State::Answered(result) => Ok(result.clone()),
                    State::Asked { .. } => Err((at, false)),
                }
            }
            Entry::Vacant(place) => {
                let at = queries.len();
                let start = names.len();
                names.push_str(name);
                queries.push(Memo {
                    hash,
                    start,
                    len: u32::try_from(name.len()).expect("a query name is shorter than 4 GiB"),
                    rtype,
                    state: State::Asked {
                        driven: true,
                        waiters: Vec::new(),
                    },
                });
                place.insert(u32::try_from(at).expect("fewer than 2^32 queries in a run"));
                Err((at, true))
            }
        }
    }
}

/// Frees a query when its driver is dropped before the answer.
struct Driver<'a> {
    memos: &'a RefCell<Memos>,
    at: usize,
}

impl Drop for Driver<'_> {
    fn drop(&mut self) {
        // The wakers stay at their places, which their callers keep.
        if let State::Asked { driven, waiters } =
            &mut self.memos.borrow_mut().queries[self.at].state
        {
            *driven = false;
            for waiter in waiters.iter() {
                waiter.wake_by_ref();
            }
        }
    }
}

/// The bound on queries in flight: free permits counted, and the callers
/// waiting for one in line, each handed a freed permit in turn.
///
/// In place of `tokio::sync::Semaphore`, whose atomics and lock a run on
/// one thread does not need.
struct Permits {
    free: Cell<usize>,
    line: RefCell<VecDeque<Rc<Place>>>,
}

/// A caller's place in line; `granted` once a permit is handed to it.
#[derive(Default)]
struct Place {
    granted: Cell<bool>,
    waker: Cell<Option<Waker>>,
}

/// A permit, handed on when dropped.
struct Permit<'a>(&'a Permits);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.0.hand_on();
    }
}

/// A caller in line: one that leaves after it was handed a permit hands
/// it on.
struct Waiting<'a> {
    permits: &'a Permits,
    place: Rc<Place>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.place.granted.get() {
            self.permits.hand_on();
        }
    }
}

impl Permits {
    fn new(count: usize) -> Self {
        Permits {
            free: Cell::new(count),
            line: RefCell::default(),
        }
    }

    /// A permit, when one is free.
    fn try_take(&self) -> Option<Permit<'_>> {
        let free = self.free.get();
        (free > 0).then(|| {
            self.free.set(free - 1);
            Permit(self)
        })
    }

    /// A permit, after the callers in line before this one.
    async fn take(&self) -> Permit<'_> {
        let place = Rc::new(Place::default());
        self.line.borrow_mut().push_back(Rc::clone(&place));
        let waiting = Waiting {
            permits: self,
            place,
        };
        poll_fn(|cx| {
            let place = &waiting.place;
            if place.granted.get() {
                return Poll::Ready(());
            }
            place.waker.set(Some(cx.waker().clone()));
            Poll::Pending
        })
        .await;
        // The permit handed to the place passes to the caller.
        waiting.place.granted.set(false);
        Permit(self)
    }

    /// Hands a permit given back to the first caller still in line (the
    /// line and one caller hold its place), else frees it.
    fn hand_on(&self) {
        let next = {
            let mut line = self.line.borrow_mut();
            std::iter::from_fn(|| line.pop_front()).find(|place| Rc::strong_count(place) > 1)
        };
        match next {
            Some(place) => {
                place.granted.set(true);
                if let Some(waker) = place.waker.take() {
                    waker.wake();
                }
            }
            None => self.free.set(self.free.get() + 1),
        }
    }
}

impl<'a, L: Lookup> SharedLookup<'a, L> {
    /// Wraps `inner`: at most `concurrency` queries in flight (at least
    /// one, at most [`MAX_IN_FLIGHT`]), none answered later than `deadline`.
    pub fn new(
        inner: &'a L,
        concurrency: usize,
        deadline: Instant,
        progress: &'a Progress,
    ) -> Self {
        SharedLookup {
            deadline: Some(deadline),
            ..Self::without_deadline(inner, concurrency, progress)
        }
    }

    /// Wraps `inner`: at most `concurrency` queries in flight (at least
    /// one, at most [`MAX_IN_FLIGHT`]), each given the time `inner` allows it.
    pub fn without_deadline(inner: &'a L, concurrency: usize, progress: &'a Progress) -> Self {
        SharedLookup {
            inner,
            progress,
            permits: Permits::new(concurrency.clamp(1, MAX_IN_FLIGHT)),
            deadline: None,
            memos: RefCell::default(),
        }
    }

    /// Makes room for about `queries` distinct queries at once, so that
    /// the memo does not grow as the run goes: for a caller that knows
    /// how many it will ask (`verify`: a handful per server and domain).
    pub fn expecting(self, queries: usize) -> Self {
        {
            let mut memos = self.memos.borrow_mut();
            let Memos {
                index,
                queries: memo,
                names,
                ..
            } = &mut *memos;
            index.reserve(queries, |&at| memo[at as usize].hash);
            memo.reserve(queries);
            names.reserve(queries.saturating_mul(NAME_OCTETS));
        }
        self
    }

    /// True when a query could go out at once: fewer than the bound are
    /// in flight.
    pub fn has_free_permit(&self) -> bool {
        self.permits.free.get() > 0
    }

    /// Asks `inner`, within the deadline.
    #[expect(
        clippy::manual_async_fn,
        reason = "an `async fn` keeps its arguments twice (rust-lang/rust#62958)"
    )]
    fn ask(&self, name: &str, rtype: RecordType) -> impl Future<Output = LookupResult<RecordData>> {
        async move {
            match self.deadline {
                Some(deadline) => self.inner.query_by(name, rtype, deadline).await,
                None => self.inner.query(name, rtype).await,
            }
        }
    }
}

impl<L: Lookup> Lookup for SharedLookup<'_, L> {
    /// Its future is part of every lookup's through `SharedLookup`: a
    /// function returning an `async move` block, as an `async fn` would
    /// keep its arguments twice (rust-lang/rust#62958).
    #[expect(
        clippy::manual_async_fn,
        reason = "an `async fn` keeps its arguments twice (rust-lang/rust#62958)"
    )]
    fn query(
        &self,
        name: &str,
        rtype: RecordType,
    ) -> impl Future<Output = LookupResult<RecordData>> {
        async move {
            // In a block of its own, so that the borrow ends here and what
            // was found is not kept in the future.
            let (at, drives) = {
                let found = self.memos.borrow_mut().find(&normal_form(name), rtype);
                match found {
                    Ok(result) => return result,
                    Err(place) => place,
                }
            };
            let at = match drives {
                true => at,
                // Another caller drives the query: waits for its result, or
                // to drive it in turn.
                false => {
                    let mut place = None;
                    let answered =
                        poll_fn(
                            move |cx| match &mut self.memos.borrow_mut().queries[at].state {
                                State::Answered(result) => Poll::Ready(Some(result.clone())),
                                State::Asked { driven, .. } if !*driven => {
                                    *driven = true;
                                    Poll::Ready(None)
                                }
                                State::Asked { waiters, .. } => {
                                    match place.and_then(|at: usize| waiters.get_mut(at)) {
                                        Some(waker) => waker.clone_from(cx.waker()),
                                        None => {
                                            place = Some(waiters.len());
                                            waiters.push(cx.waker().clone());
                                        }
                                    }
                                    Poll::Pending
                                }
                            },
                        )
                        .await;
                    if let Some(result) = answered {
                        return result;
                    }
                    at
                }
            };
            let driver = Driver {
                memos: &self.memos,
                at,
            };
            let progress = self.progress;
            progress.queries_sent.set(progress.queries_sent.get() + 1);
            let (permit, waited) = match self.permits.try_take() {
                Some(permit) => (permit, false),
                None => (self.permits.take().await, true),
            };
            let result = match self.deadline {
                // The queries that held the permits ended by the deadline (see
                // `Lookup::query_by`): one that gets its permit after it is
                // not sent.
                Some(deadline) if waited && Instant::now() >= deadline => Err(LookupError::Timeout),
                // Boxed: the query's state (over 500 octets through the source
                // and the stub) then lives once per query in flight instead of
                // inside every caller's future; a server's check joins six
                // lookups, and moving its 9 KiB future into place cost more
                // than this allocation (callgrind, scripts/bench-verify
                // inventory). `Box::write` into a box allocated first saves a
                // copy that `Box::pin` made (9M instructions a run). Allocated
                // once the permit is in hand, so that only the queries in
                // flight hold one, not those in line.
                _ => Box::into_pin(Box::write(Box::new_uninit(), self.ask(name, rtype))).await,
            };
            drop(permit);
            progress
                .queries_answered
                .set(progress.queries_answered.get() + 1);
            let asked = std::mem::replace(
                &mut self.memos.borrow_mut().queries[at].state,
                State::Answered(result.clone()),
            );
            drop(driver);
            if let State::Asked { waiters, .. } = asked {
                for waiter in waiters {
                    waiter.wake();
                }
            }
            result
        }
    }
}

/// A [`Lookup`] that answers by a deadline: a query not answered by then
/// is a [`LookupError::Timeout`], and none is sent after it.
///
/// For the phases of a run that follow its checks (`verify --receivers`,
/// `--dnsbl`), so that one deadline holds for the whole run.
pub struct Within<'a, L> {
    inner: &'a L,
    deadline: Instant,
}

impl<'a, L: Lookup> Within<'a, L> {
    /// Wraps `inner` with `deadline`.
    pub fn new(inner: &'a L, deadline: Instant) -> Self {
        Within { inner, deadline }
    }
}

impl<L: Lookup> Lookup for Within<'_, L> {
    async fn query(&self, name: &str, rtype: RecordType) -> LookupResult<RecordData> {
        self.query_by(name, rtype, self.deadline).await
    }

    /// By the earlier of the two deadlines.
    async fn query_by(
        &self,
        name: &str,
        rtype: RecordType,
        deadline: Instant,
    ) -> LookupResult<RecordData> {
        let deadline = deadline.min(self.deadline);
        if Instant::now() >= deadline {
            return Err(LookupError::Timeout);
        }
        self.inner.query_by(name, rtype, deadline).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use std::net::Ipv4Addr;

    use super::*;
    use crate::dns::lookup::Answer;
    use crate::dns::memory::MemoryZone;

    /// Counts the queries that reach it and the most in flight at once,
    /// and answers after a pause.
    struct Counting {
        zone: MemoryZone,
        asked: Cell<usize>,
        in_flight: Cell<usize>,
        most: Cell<usize>,
        pause: Duration,
    }

    impl Lookup for Counting {
        async fn query(&self, name: &str, rtype: RecordType) -> LookupResult<RecordData> {
            self.asked.set(self.asked.get() + 1);
            self.in_flight.set(self.in_flight.get() + 1);
            self.most.set(self.most.get().max(self.in_flight.get()));
            let result = self.zone.query(name, rtype).await;
            tokio::time::sleep(self.pause).await;
            self.in_flight.set(self.in_flight.get() - 1);
            result
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
            in_flight: Cell::new(0),
            most: Cell::new(0),
            pause,
        }
    }

    /// `inner` shared with four queries in flight and ten seconds to answer.
    fn four_in_flight<'a>(
        inner: &'a Counting,
        progress: &'a Progress,
    ) -> SharedLookup<'a, Counting> {
        SharedLookup::new(inner, 4, Instant::now() + Duration::from_secs(10), progress)
    }

    #[test]
    fn concurrent_duplicates_are_asked_once() {
        let inner = counting(Duration::from_millis(20));
        let progress = Progress::default();
        let shared = four_in_flight(&inner, &progress);
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

    /// Wakes by setting a flag.
    #[derive(Default)]
    struct Flag(std::sync::atomic::AtomicBool);

    impl std::task::Wake for Flag {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    #[test]
    fn a_caller_dropped_before_the_answer_leaves_the_query_to_a_waiter() {
        use std::future::Future;
        use std::sync::Arc;
        use std::sync::atomic::Ordering;
        use std::task::Context;

        let inner = counting(Duration::from_millis(20));
        let progress = Progress::default();
        let shared = four_in_flight(&inner, &progress);
        runtime().block_on(async {
            let first_flag = Arc::new(Flag::default());
            let second_flag = Arc::new(Flag::default());
            let first_waker = Waker::from(first_flag.clone());
            let second_waker = Waker::from(second_flag.clone());
            let mut first = Box::pin(shared.a("mail.example.com"));
            let mut second = Box::pin(shared.a("mail.example.com"));
            assert!(
                first
                    .as_mut()
                    .poll(&mut Context::from_waker(&first_waker))
                    .is_pending()
            );
            assert!(
                second
                    .as_mut()
                    .poll(&mut Context::from_waker(&second_waker))
                    .is_pending()
            );
            assert_eq!(inner.asked.get(), 1);
            drop(first);
            assert!(second_flag.0.load(Ordering::Relaxed), "the waiter is woken");
            // It asks again, and a third caller shares its answer.
            let (second, third) = tokio::join!(second, shared.a("mail.example.com"));
            assert_eq!(second.unwrap().records(), [Ipv4Addr::new(192, 0, 2, 1)]);
            assert_eq!(third.unwrap().records(), [Ipv4Addr::new(192, 0, 2, 1)]);
            // And with no waiter left, the next caller asks again.
            let mut fourth = Box::pin(shared.a("other.example.com"));
            assert!(
                fourth
                    .as_mut()
                    .poll(&mut Context::from_waker(&first_waker))
                    .is_pending()
            );
            drop(fourth);
            assert_eq!(shared.a("other.example.com").await, Ok(Answer::NxDomain));
        });
        assert_eq!(inner.asked.get(), 4);
        assert_eq!(progress.queries_sent(), 4);
    }

    #[test]
    fn a_caller_that_leaves_the_line_holds_up_no_other() {
        use std::future::Future;
        use std::task::Context;

        let inner = counting(Duration::from_millis(20));
        let progress = Progress::default();
        let shared = SharedLookup::without_deadline(&inner, 1, &progress);
        runtime().block_on(async {
            let mut cx = Context::from_waker(Waker::noop());
            let mut first = Box::pin(shared.a("h1.example.com"));
            let mut second = Box::pin(shared.a("h2.example.com"));
            let mut third = Box::pin(shared.a("h3.example.com"));
            let mut fourth = Box::pin(shared.a("h4.example.com"));
            for query in [&mut first, &mut second, &mut third, &mut fourth] {
                assert!(query.as_mut().poll(&mut cx).is_pending());
            }
            assert!(!shared.has_free_permit());
            // The third leaves while in line; the second, after the
            // permit was handed to it: it hands it on to the fourth.
            drop(third);
            assert_eq!(first.await, Ok(Answer::NxDomain));
            drop(second);
            let fourth = tokio::time::timeout(Duration::from_secs(5), fourth).await;
            assert_eq!(fourth, Ok(Ok(Answer::NxDomain)));
        });
        assert!(shared.has_free_permit());
        assert_eq!(inner.asked.get(), 2);
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

    #[test]
    fn within_answers_until_its_deadline_and_sends_nothing_after() {
        let inner = counting(Duration::from_secs(30));
        let started = std::time::Instant::now();
        runtime().block_on(async {
            let within = Within::new(&inner, Instant::now() + Duration::from_millis(50));
            assert_eq!(
                within.a("mail.example.com").await,
                Err(LookupError::Timeout)
            );
            assert_eq!(
                within.a("mail.example.com").await,
                Err(LookupError::Timeout)
            );
            let quick = counting(Duration::ZERO);
            let within = Within::new(&quick, Instant::now() + Duration::from_secs(10));
            assert!(within.a("mail.example.com").await.is_ok());
        });
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(inner.asked.get(), 1, "nothing is asked after the deadline");
    }

    #[test]
    fn queries_in_flight_stay_within_the_bound_and_its_limit() {
        for (concurrency, queries, expected) in
            [(3, 30, 3), (10_000, MAX_IN_FLIGHT + 50, MAX_IN_FLIGHT)]
        {
            let inner = counting(Duration::from_millis(10));
            let progress = Progress::default();
            let shared = SharedLookup::without_deadline(&inner, concurrency, &progress);
            let names: Vec<String> = (0..queries).map(|i| format!("h{i}.example.com")).collect();
            runtime().block_on(futures_util::future::join_all(
                names.iter().map(|name| shared.a(name)),
            ));
            assert_eq!(inner.asked.get(), queries);
            assert_eq!(inner.most.get(), expected, "concurrency {concurrency}");
        }
    }
}
