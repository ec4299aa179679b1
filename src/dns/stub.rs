//! Live DNS through a lean stub client of our own.
//!
//! [`StubLookup`] answers [`Lookup`] queries from given name servers with
//! the semantics of [`HickoryLookup`](super::resolver::HickoryLookup), so
//! that either serves every caller, but at a fraction of the cost per
//! query: hickory-resolver opens, registers and closes a UDP socket for
//! every query, which dominated a large `verify` run.
//!
//! Queries go out over a small pool of UDP sockets per server, each bound
//! once to a port the operating system picks, connected to its server and
//! shared by all queries in flight to it. A response is taken only when it
//! comes from the server asked, carries the random ID of a query in flight
//! on that socket and echoes its question (RFC 5452 §4, §9.1); anything
//! else is dropped as a stray or forged packet. Queries carry EDNS(0) with
//! a 1232-octet buffer (RFC 6891 §6.2.5), and a truncated answer is asked
//! again over TCP (RFC 7766 §5). Queries are written out and responses
//! read by hand (RFC 1035 §4; `wire`), hickory-proto reading only the
//! data of record types other than those mail checks ask for.
//!
//! There is no cache (every check sees fresh data), no search list (every
//! name is fully qualified), no `/etc/hosts` and no DNSSEC validation.
//! Unlike hickory-resolver it answers no special-use name itself: every
//! name goes to the servers.
//!
//! The sockets are registered with the tokio runtime of the first query
//! that uses them, and each has a reader task there: it reads every
//! datagram that has arrived each time the socket is readable, hands each
//! response to the try it answers and wakes that try's task, and expires
//! the tries whose time is up with one timer for the socket. A try costs
//! no channel and no timer of its own: it waits in its entry in the
//! socket's table. A run's deadline ([`Lookup::query_by`]) is kept the
//! same way: a try expires at the timeout or at the deadline, whichever
//! comes first, and no try is sent after the deadline. A `StubLookup` may
//! be used from one runtime after another: sockets whose runtime is gone
//! are bound anew.

use std::collections::VecDeque;
use std::collections::hash_map::{Entry, HashMap, RandomState};
use std::fmt;
use std::future::{Future, poll_fn};
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker, ready};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::task::AbortHandle;
use tokio::time::{Instant, Sleep};

use super::lookup::{Answer, Lookup, LookupError, LookupResult};
use super::record::RecordData;
use super::settings::ResolverSettings;
use super::wire::{
    AnswerRecord, Response, WireQuery, decode, display_wire, encode_query, encode_query_wire,
    matches_query, rcode_name,
};

/// CNAME hops followed from the queried name before giving up: real
/// chains are one or two hops long, RFC 1034 §3.6.2 has no limit.
const MAX_CNAME_HOPS: usize = 8;
/// UDP sockets per server, shared by all queries in flight to it.
const POOL_SIZE: usize = 8;

/// Answers [`Lookup`] queries from live name servers with a stub client of
/// our own: UDP over a small socket pool, TCP when an answer is truncated.
///
/// Each query is sent to one server at a time, the servers taken in the
/// order given, starting with the one that gave the last answer: a server
/// that does not answer within [`ResolverSettings::timeout`], answers with
/// an error RCODE (SERVFAIL, REFUSED, …) or sends a malformed answer is
/// passed over for the next one. After every server has been asked, the
/// round starts again, [`ResolverSettings::attempts`] more times. The
/// first NOERROR or NXDOMAIN answer wins; when there is none, the last
/// error response stands, and [`LookupError::Timeout`] when no server
/// answered at all. As servers are asked one at a time, a query takes at
/// most `timeout × (attempts + 1) × servers` per CNAME hop.
///
/// Unlike hickory-resolver, which asks two servers at once, it never sends
/// a query to a second server while the first may still answer: fewer
/// packets, and the order given is the order of preference.
pub struct StubLookup {
    servers: Vec<SocketAddr>,
    settings: ResolverSettings,
    /// The index of the server that gave the last answer: a dead first
    /// server then costs one timeout, not one per query.
    preferred: AtomicUsize,
    pool: Pool,
    /// Responses received, of any kind: none at all after queries went
    /// out means the servers are down or drop every query.
    responses: AtomicUsize,
}

impl fmt::Debug for StubLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StubLookup")
            .field("servers", &self.servers)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl StubLookup {
    /// Asks the given servers (UDP, TCP on truncation), with default settings.
    pub fn with_nameservers(servers: &[SocketAddr]) -> Self {
        Self::from_nameservers(servers, ResolverSettings::default())
    }

    /// Asks the given servers in order (UDP, TCP on truncation), with
    /// `settings`. With no server at all every lookup fails.
    pub fn from_nameservers(servers: &[SocketAddr], settings: ResolverSettings) -> Self {
        StubLookup {
            servers: servers.to_vec(),
            settings,
            preferred: AtomicUsize::new(0),
            pool: Pool::new(servers.len()),
            responses: AtomicUsize::new(0),
        }
    }

    /// The servers asked, in order.
    pub fn servers(&self) -> &[SocketAddr] {
        &self.servers
    }

    /// Responses received so far from any server, errors and malformed
    /// ones included.
    pub fn responses(&self) -> usize {
        self.responses.load(Ordering::Relaxed)
    }

    /// One question to the servers in turn, until one gives a NOERROR or
    /// NXDOMAIN response: that response as received and as read, or why
    /// there is none. When `deadline` passes first, the result is
    /// [`LookupError::Timeout`].
    #[expect(
        clippy::manual_async_fn,
        reason = "an `async fn` keeps its arguments twice (rust-lang/rust#62958)"
    )]
    fn exchange(
        &self,
        query: &mut WireQuery,
        rtype: RecordType,
        deadline: Option<Instant>,
    ) -> impl Future<Output = Result<(Vec<u8>, Response), LookupError>> {
        async move {
            if self.servers.is_empty() {
                return Err(failed(query, rtype, "no name server to ask"));
            }
            let mut failure = LookupError::Timeout;
            let first = self.preferred.load(Ordering::Relaxed);
            for _ in 0..=self.settings.attempts {
                for turn in 0..self.servers.len() {
                    let index = (first + turn) % self.servers.len();
                    match self.ask(index, query, rtype, deadline).await {
                        Ok((packet, response)) => match response.rcode {
                            ResponseCode::NoError | ResponseCode::NXDomain => {
                                self.preferred.store(index, Ordering::Relaxed);
                                return Ok((packet, response));
                            }
                            ResponseCode::Refused => {
                                failure = LookupError::Refused(format!(
                                    "`{}` {rtype}: server answered REFUSED",
                                    display_wire(query.name())
                                ));
                            }
                            code => {
                                let cause = format!("server answered {}", rcode_name(code));
                                failure = failed(query, rtype, &cause);
                            }
                        },
                        Err(Try::Timeout) => {}
                        Err(Try::Late) => return Err(LookupError::Timeout),
                        Err(Try::Failed(cause)) => failure = failed(query, rtype, &cause),
                    }
                }
            }
            Err(failure)
        }
    }

    /// One try at one server, by `deadline`: `query` with a fresh ID over
    /// a pooled UDP socket, waiting for the matching response or for the
    /// socket's reader to expire the try; over TCP when the answer is
    /// truncated.
    #[expect(
        clippy::manual_async_fn,
        reason = "an `async fn` keeps its arguments twice (rust-lang/rust#62958)"
    )]
    fn ask(
        &self,
        index: usize,
        query: &mut WireQuery,
        rtype: RecordType,
        deadline: Option<Instant>,
    ) -> impl Future<Output = Result<(Vec<u8>, Response), Try>> {
        async move {
            let udp = {
                let server = self.servers[index];
                let expires = self.expiry(deadline)?;
                let channel = self.pool.channel(index, server).map_err(network)?;
                // Dropped on every way out (answer, timeout, error,
                // cancellation), so that a late response finds no taker.
                let mut pending = Pending {
                    channel: &channel,
                    id: None,
                };
                // Entered with the waker of its first poll and sent there:
                // the response or the expiry wakes that waker, so the
                // first poll ends without looking at the table again.
                let outcome = poll_fn(|cx| match pending.id {
                    None => {
                        let ids = &self.pool.ids;
                        let id = channel.register(server, query, expires, ids, cx.waker());
                        pending.id = Some(id);
                        match channel.socket.try_send(query.bytes()) {
                            Ok(_) => Poll::Pending,
                            // Sent below, once the socket is writable.
                            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                                Poll::Ready(Err(id))
                            }
                            Err(error) => Poll::Ready(Ok(Err(network(error)))),
                        }
                    }
                    Some(id) => {
                        let outcome = ready!(channel.poll_response(id, cx));
                        // Taken out of the table with its outcome.
                        pending.id = None;
                        Poll::Ready(Ok(outcome))
                    }
                })
                .await;
                let outcome = match outcome {
                    Ok(outcome) => outcome,
                    // Rare: a socket not yet seen writable, or its buffer
                    // full. Boxed, as the send future inline would make
                    // every query's future larger; a future, not
                    // `poll_send`, as that wakes only the last of the
                    // tries that wait to send on the socket.
                    Err(id) => {
                        Box::pin(channel.socket.send(query.bytes()))
                            .await
                            .map_err(network)?;
                        let outcome = poll_fn(|cx| channel.poll_response(id, cx)).await;
                        pending.id = None;
                        outcome
                    }
                };
                outcome.map_err(late(expires, deadline))?
            };
            self.responses.fetch_add(1, Ordering::Relaxed);
            let response = decode(&udp, rtype, Some(query.question())).map_err(Try::Failed)?;
            if !response.truncated {
                return Ok((udp, response));
            }
            // Boxed: rare, and its state would make every query's future larger.
            let tcp = Box::pin(self.tcp(self.servers[index], query, deadline)).await?;
            let response = decode(&tcp, rtype, Some(query.question())).map_err(Try::Failed)?;
            if response.truncated {
                return Err(Try::Failed("answer truncated over TCP too".to_owned()));
            }
            Ok((tcp, response))
        }
    }

    /// When a try that starts now expires: after the timeout, or at the
    /// run's `deadline` when that comes first; [`Try::Late`] once the
    /// deadline has passed, so that no try is sent after it.
    fn expiry(&self, deadline: Option<Instant>) -> Result<Instant, Try> {
        let now = Instant::now();
        let expires = now + self.settings.timeout;
        match deadline {
            Some(deadline) if deadline <= now => Err(Try::Late),
            Some(deadline) => Ok(expires.min(deadline)),
            None => Ok(expires),
        }
    }

    /// Asks `query` again over a fresh TCP connection (RFC 7766 §5, §8:
    /// each message behind a two-octet length).
    async fn tcp(
        &self,
        server: SocketAddr,
        query: &WireQuery,
        deadline: Option<Instant>,
    ) -> Result<Vec<u8>, Try> {
        let expires = self.expiry(deadline)?;
        let exchange = async {
            let mut stream = TcpStream::connect(server).await?;
            let length = u16::try_from(query.bytes().len()).expect("a query fits in 64 KiB");
            let mut framed = Vec::with_capacity(query.bytes().len() + 2);
            framed.extend_from_slice(&length.to_be_bytes());
            framed.extend_from_slice(query.bytes());
            stream.write_all(&framed).await?;
            let mut length = [0; 2];
            stream.read_exact(&mut length).await?;
            let mut response = vec![0; usize::from(u16::from_be_bytes(length))];
            stream.read_exact(&mut response).await?;
            Ok::<_, io::Error>(response)
        };
        let response = tokio::time::timeout_at(expires, exchange)
            .await
            .map_err(|_| late(expires, deadline)(Try::Timeout))?
            .map_err(network)?;
        match matches_query(query.id(), query.question(), &response) {
            true => Ok(response),
            false => Err(Try::Failed(
                "malformed answer: the TCP response is for another query".to_owned(),
            )),
        }
    }
}

impl StubLookup {
    /// [`Lookup::query`], by `deadline` when given: the records of `rtype`
    /// at `name` on its CNAME chain (RFC 1034 §3.6.2); for a CNAME query,
    /// the CNAME at `name` itself, not followed.
    ///
    /// The chain is followed through the answer section; when it ends in a
    /// CNAME whose target has no records there, and the server did not say
    /// why with an SOA in the authority section (RFC 2308 §2.2), the target
    /// is asked in turn (an RFC 2317 CNAME into another zone).
    ///
    /// Its future is the one a query costs, boxed by
    /// [`SharedLookup`](super::shared::SharedLookup) for each query (about 0.5 KiB):
    /// each layer is a function that returns an `async move` block, as an
    /// `async fn` would keep its arguments twice (rust-lang/rust#62958),
    /// and state that need not live across a wait (the name, the rare
    /// sends and TCP) is not kept in it.
    pub(super) fn lookup(
        &self,
        name: &str,
        rtype: RecordType,
        deadline: Option<Instant>,
    ) -> impl Future<Output = LookupResult<RecordData>> {
        // Encoded before the future is made, and used in place there.
        let mut first = encode_query(name, rtype);
        async move {
            let first = match &mut first {
                Ok(query) => query,
                Err(error) => return Err(LookupError::Failed(std::mem::take(error))),
            };
            // The chain: the name of `first`, then the targets of the CNAMEs
            // followed, in wire form, each asked by the query in `hop` in
            // turn. A response's question matches the name asked (see
            // `matches_query`).
            let mut targets: Vec<Vec<u8>> = Vec::new();
            let mut hop: Option<WireQuery> = None;
            loop {
                let asked = targets.len();
                let query = hop.as_mut().unwrap_or(&mut *first);
                let (packet, response) = self.exchange(query, rtype, deadline).await?;
                if rtype == RecordType::CNAME {
                    return Ok(alias(&packet, response, first.name()));
                }
                let referral = is_referral(&response);
                while let Some(alias) = response.aliases.iter().find(|alias| {
                    alias.owned_by(&packet, targets.last().map_or(first.name(), Vec::as_slice))
                }) {
                    let target = &alias.data;
                    let start = || display_wire(first.name());
                    if chain(first, &targets).any(|name| name.eq_ignore_ascii_case(target)) {
                        return Err(LookupError::Failed(format!(
                            "`{}` {rtype}: CNAME loop at `{}`",
                            start(),
                            display_wire(target)
                        )));
                    }
                    if targets.len() >= MAX_CNAME_HOPS {
                        return Err(LookupError::Failed(format!(
                            "`{}` {rtype}: CNAME chain longer than {MAX_CNAME_HOPS} hops",
                            start()
                        )));
                    }
                    targets.push(target.clone());
                }
                let mut answers = response.answers;
                // The records of the names asked in this hop; nearly always
                // all of them, owned by the one name asked.
                let owned = |record: &AnswerRecord<RecordData>| match targets.len() {
                    0 => record.owned_by(&packet, first.name()),
                    _ => chain(first, &targets)
                        .skip(asked)
                        .any(|name| record.owned_by(&packet, name)),
                };
                if !answers.iter().all(owned) {
                    answers.retain(owned);
                }
                if !answers.is_empty() {
                    // A vector's iterator has its length known ahead: the
                    // shared slice is allocated at its size at once.
                    return Ok(Answer::Records(
                        answers.into_iter().map(|record| record.data).collect(),
                    ));
                }
                if response.rcode == ResponseCode::NXDomain {
                    return Ok(Answer::NxDomain);
                }
                let followed = targets.len() > asked;
                if !followed && referral {
                    let shown = display_wire(targets.last().map_or(first.name(), Vec::as_slice));
                    return Err(LookupError::Refused(format!(
                        "`{shown}` {rtype}: server answered with a referral, without recursion (RA clear): it does not resolve names outside its own zones"
                    )));
                }
                if !followed || response.negative {
                    return Ok(Answer::NoData);
                }
                hop = Some(encode_query_wire(
                    targets.last().expect("a CNAME was followed"),
                    rtype,
                ));
            }
        }
    }
}

impl Lookup for StubLookup {
    // Not async: the future is `lookup`'s, without one more layer to poll.
    fn query(
        &self,
        name: &str,
        rtype: RecordType,
    ) -> impl Future<Output = LookupResult<RecordData>> {
        self.lookup(name, rtype, None)
    }

    /// No timer of its own: each try expires by the deadline, with the
    /// socket's one timer, and none is sent after it.
    fn query_by(
        &self,
        name: &str,
        rtype: RecordType,
        deadline: Instant,
    ) -> impl Future<Output = LookupResult<RecordData>> {
        self.lookup(name, rtype, Some(deadline))
    }
}

/// The answer to a CNAME query of `name` (wire form) from `response`: the
/// CNAME at `name` itself, not followed.
fn alias(packet: &[u8], response: Response, name: &[u8]) -> Answer<RecordData> {
    if response.rcode == ResponseCode::NXDomain {
        return Answer::NxDomain;
    }
    let mut targets = response.answers;
    targets.retain(|record| record.owned_by(packet, name));
    match targets.is_empty() {
        true => Answer::NoData,
        false => Answer::Records(targets.into_iter().map(|record| record.data).collect()),
    }
}

/// [`LookupError::Failed`] for a query of `rtype` with `query`'s name, and why.
fn failed(query: &WireQuery, rtype: RecordType, cause: &str) -> LookupError {
    LookupError::Failed(format!("`{}` {rtype}: {cause}", display_wire(query.name())))
}

/// The names of a CNAME chain in wire form: the name of the `first` query,
/// then the `targets` of the CNAMEs followed.
fn chain<'a>(first: &'a WireQuery, targets: &'a [Vec<u8>]) -> impl Iterator<Item = &'a [u8]> {
    std::iter::once(first.name()).chain(targets.iter().map(Vec::as_slice))
}

/// True for a NOERROR response without answer records from a server that
/// is no authority for the name and does not recurse: a referral (RFC
/// 1034 §4.3.1), which says nothing about whether the name has records.
fn is_referral(response: &Response) -> bool {
    response.rcode == ResponseCode::NoError
        && response.answers.is_empty()
        && response.aliases.is_empty()
        && !response.negative
        && !response.authoritative
        && !response.recursion_available
}

/// Why one try at one server gave no usable response.
enum Try {
    /// Nothing came back in time.
    Timeout,
    /// The run's deadline has passed: no other try.
    Late,
    /// Something came back, or could not be sent: the cause, for a message.
    Failed(String),
}

/// A try that timed out at the run's `deadline` itself, its `expires`,
/// is [`Try::Late`]: else the timer of a socket that fired a moment early
/// would let the next try go out.
fn late(expires: Instant, deadline: Option<Instant>) -> impl Fn(Try) -> Try {
    move |outcome| match outcome {
        Try::Timeout if deadline == Some(expires) => Try::Late,
        outcome => outcome,
    }
}

fn network(error: io::Error) -> Try {
    Try::Failed(format!("network error: {error}"))
}

/// The UDP sockets of one [`StubLookup`]: [`POOL_SIZE`] slots per server,
/// each bound and connected to its server when first used, taken in turn.
///
/// Connected, so that the kernel drops datagrams from anyone else and
/// sends without looking up the route for every query.
struct Pool {
    /// The slots of the first server, then those of the second, …
    slots: Vec<Mutex<Option<Slot>>>,
    next: AtomicUsize,
    ids: Ids,
}

/// A bound socket and its reader task.
struct Slot {
    channel: Arc<Channel>,
    reader: AbortHandle,
}

impl Pool {
    fn new(servers: usize) -> Pool {
        Pool {
            slots: (0..servers * POOL_SIZE).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
            ids: Ids::new(),
        }
    }

    /// A socket connected to `server`, the server at `index`, read on the
    /// current runtime.
    ///
    /// Must be called within a tokio runtime.
    fn channel(&self, index: usize, server: SocketAddr) -> io::Result<Arc<Channel>> {
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % POOL_SIZE;
        let mut slot = lock(&self.slots[index * POOL_SIZE + turn]);
        if let Some(Slot { channel, .. }) = slot.as_ref()
            && channel.alive.load(Ordering::Acquire)
        {
            return Ok(channel.clone());
        }
        // None yet, or its runtime is gone: a socket registered with a
        // runtime that was shut down fails every operation.
        let local: SocketAddr = if server.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = std::net::UdpSocket::bind(local)?;
        socket.connect(server)?;
        socket.set_nonblocking(true)?;
        let channel = Arc::new(Channel {
            socket: UdpSocket::from_std(socket)?,
            flight: Mutex::default(),
            alive: AtomicBool::new(true),
        });
        let reader = tokio::spawn(read(Alive(channel.clone()))).abort_handle();
        if let Some(old) = slot.replace(Slot {
            channel: channel.clone(),
            reader,
        }) {
            old.reader.abort();
        }
        Ok(channel)
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for slot in &self.slots {
            if let Some(slot) = lock(slot).take() {
                slot.reader.abort();
            }
        }
    }
}

/// One pooled UDP socket and the queries waiting for a response on it.
struct Channel {
    socket: UdpSocket,
    flight: Mutex<Flight>,
    /// False once the reader task has ended: the socket is no longer read.
    alive: AtomicBool,
}

/// The queries in flight on one socket.
#[derive(Default)]
struct Flight {
    /// By query ID.
    waiters: HashMap<u16, Waiter, foldhash::fast::RandomState>,
    /// When each try expires, earliest first. All tries of one
    /// [`StubLookup`] have the same timeout, and a run's deadline is the
    /// same for all its tries, so a try expires after those sent before
    /// it and goes at the back; one with an earlier deadline (another run
    /// sharing the lookup) goes in its place. Entries of tries that ended
    /// otherwise are skipped when they reach the front.
    deadlines: VecDeque<Deadline>,
    /// Tells the tries that reuse an ID apart.
    serial: u64,
    /// The random IDs drawn for this socket and not yet used.
    ids: IdStream,
    /// The reader's waker, once it has run.
    reader: Option<Waker>,
    /// The deadline the reader keeps, if any: a try entered that expires
    /// earlier wakes it to keep the try's.
    timer: Option<Instant>,
}

/// When the try with `id` and `serial` expires.
struct Deadline {
    at: Instant,
    id: u16,
    serial: u64,
}

/// A query in flight, waiting for its response.
struct Waiter {
    server: SocketAddr,
    /// Shared with the try, not copied: its question is matched.
    query: WireQuery,
    serial: u64,
    state: State,
}

/// Where a try stands.
enum State {
    /// No response yet; the waker of the try's task, until it is woken.
    Waiting(Option<Waker>),
    /// The matching response.
    Answered(Vec<u8>),
    /// Its time is up.
    Expired,
    /// The socket is no longer read.
    Closed,
}

impl Channel {
    /// Enters `query` to `server` that expires at `deadline`, its task
    /// woken by `waker`, under a random ID not in flight on this socket:
    /// sets the ID in `query` and returns it.
    fn register(
        &self,
        server: SocketAddr,
        query: &mut WireQuery,
        deadline: Instant,
        ids: &Ids,
        waker: &Waker,
    ) -> u16 {
        let mut flight = lock(&self.flight);
        let flight = &mut *flight;
        let serial = flight.serial;
        flight.serial += 1;
        let id = loop {
            if let Entry::Vacant(entry) = flight.waiters.entry(flight.ids.next(ids)) {
                let id = *entry.key();
                query.set_id(id);
                entry.insert(Waiter {
                    server,
                    query: query.clone(),
                    serial,
                    state: State::Waiting(Some(waker.clone())),
                });
                break id;
            }
        };
        let entry = Deadline {
            at: deadline,
            id,
            serial,
        };
        let deadlines = &mut flight.deadlines;
        if deadlines.back().is_some_and(|last| last.at > deadline) {
            let place = deadlines.partition_point(|entry| entry.at <= deadline);
            deadlines.insert(place, entry);
        } else {
            deadlines.push_back(entry);
        }
        if flight.timer.is_none_or(|timer| deadline < timer) {
            flight.timer = Some(deadline);
            if let Some(reader) = &flight.reader {
                reader.wake_by_ref();
            }
        }
        id
    }

    /// The outcome of the try with `id` once there is one, the try then
    /// taken out of the table; until then the task of `cx` is woken when
    /// it comes.
    fn poll_response(&self, id: u16, cx: &mut Context<'_>) -> Poll<Result<Vec<u8>, Try>> {
        let mut flight = lock(&self.flight);
        let Entry::Occupied(mut entry) = flight.waiters.entry(id) else {
            return Poll::Ready(Err(closed()));
        };
        if let State::Waiting(waker) = &mut entry.get_mut().state {
            keep(waker, cx.waker());
            return Poll::Pending;
        }
        Poll::Ready(match entry.remove().state {
            State::Answered(packet) => Ok(packet),
            State::Expired => Err(Try::Timeout),
            State::Waiting(_) | State::Closed => Err(closed()),
        })
    }

    /// Hands `packet` to the try it answers, or drops it.
    fn dispatch(&self, packet: &[u8], from: SocketAddr) {
        if packet.len() < 2 {
            return;
        }
        let id = u16::from_be_bytes([packet[0], packet[1]]);
        let mut flight = lock(&self.flight);
        if let Some(waiter) = flight.waiters.get_mut(&id)
            && let State::Waiting(waker) = &mut waiter.state
            && waiter.server == from
            && matches_query(id, waiter.query.question(), packet)
        {
            let waker = waker.take();
            waiter.state = State::Answered(packet.to_vec());
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// Expires the tries whose deadline has passed, drops the deadlines of
    /// tries that ended, and returns the next deadline to keep, if any.
    fn expire(&self, now: Instant, reader: &Waker) -> Option<Instant> {
        let mut flight = lock(&self.flight);
        let flight = &mut *flight;
        while let Some(front) = flight.deadlines.front() {
            if let Some(waiter) = flight.waiters.get_mut(&front.id)
                && waiter.serial == front.serial
                && let State::Waiting(waker) = &mut waiter.state
            {
                if front.at > now {
                    flight.timer = Some(front.at);
                    keep(&mut flight.reader, reader);
                    return Some(front.at);
                }
                if let Some(waker) = waker.take() {
                    waker.wake();
                }
                waiter.state = State::Expired;
            }
            flight.deadlines.pop_front();
        }
        flight.timer = None;
        keep(&mut flight.reader, reader);
        None
    }

    /// Reads every datagram waiting on the socket, then keeps the next
    /// deadline; ready only when the socket fails for good.
    fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buffer: &mut [u8],
        mut timer: Pin<&mut Sleep>,
    ) -> Poll<()> {
        loop {
            // Read while there is something to read, then wait to be woken
            // when there is more: `try_recv_from` costs no waker and no
            // cooperative budget per datagram, as `poll_recv_from` would.
            loop {
                match self.socket.try_recv_from(buffer) {
                    Ok((len, from)) => self.dispatch(&buffer[..len], from),
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                        match self.socket.poll_recv_ready(cx) {
                            // Readable again since: read on.
                            Poll::Ready(Ok(())) => {}
                            Poll::Ready(Err(_)) => return Poll::Ready(()),
                            Poll::Pending => break,
                        }
                    }
                    // An ICMP port unreachable for an earlier query (RFC
                    // 1122 §4.1.3.3): the queries in flight time out, the
                    // socket stays.
                    Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {}
                    Err(_) => return Poll::Ready(()),
                }
            }
            // A deadline the timer has reported passed counts as passed,
            // whatever the clock read here says: else a timer that fired a
            // moment early would be polled again and again until it is.
            let now = match timer.is_elapsed() {
                true => Instant::now().max(timer.deadline()),
                false => Instant::now(),
            };
            let Some(next) = self.expire(now, cx.waker()) else {
                return Poll::Pending;
            };
            if timer.deadline() != next {
                timer.as_mut().reset(next);
            }
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

/// Keeps `waker` in `slot`, without a clone when it is the one there.
fn keep(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(kept) => kept.clone_from(waker),
        None => *slot = Some(waker.clone()),
    }
}

fn closed() -> Try {
    Try::Failed("network error: socket closed".to_owned())
}

/// Removes a query from its socket when its try ends.
struct Pending<'a> {
    channel: &'a Channel,
    /// The query's ID while it is in the socket's table.
    id: Option<u16>,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            lock(&self.channel.flight).waiters.remove(&id);
        }
    }
}

/// Marks its channel dead when dropped: when the reader task ends, also
/// when its runtime shuts down before the task first ran.
struct Alive(Arc<Channel>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.alive.store(false, Ordering::Release);
        // Waiters learn that no response will come rather than wait in vain.
        let mut flight = lock(&self.0.flight);
        for waiter in flight.waiters.values_mut() {
            if let State::Waiting(Some(waker)) = std::mem::replace(&mut waiter.state, State::Closed)
            {
                waker.wake();
            }
        }
    }
}

/// The reader task of one socket: every datagram to the query it answers,
/// and every try whose time is up expired, with one timer for the socket.
async fn read(alive: Alive) {
    let channel = &alive.0;
    // The largest UDP payload: a server may ignore the EDNS size offered.
    let mut buffer = vec![0; usize::from(u16::MAX)];
    let timer = tokio::time::sleep_until(Instant::now());
    tokio::pin!(timer);
    poll_fn(|cx| channel.poll_read(cx, &mut buffer, timer.as_mut())).await;
}

/// Query IDs that an off-path attacker cannot predict (RFC 5452 §4.3):
/// SipHash, a keyed pseudorandom function, under a random key of the
/// lookup (std's `RandomState`, seeded from the operating system), over
/// a counter.
///
/// Each output of the PRF is 64 bits that cannot be told from random
/// without the key, so its four 16-bit quarters are four IDs as good as
/// four outputs: knowing some of them says nothing of the others, nor of
/// any other output. Each socket takes the quarters of one output in
/// turn ([`IdStream`]), one hash for four queries.
struct Ids {
    key: RandomState,
    counter: AtomicU64,
}

impl Ids {
    fn new() -> Ids {
        Ids {
            key: RandomState::new(),
            counter: AtomicU64::new(0),
        }
    }

    /// The next output: 64 bits, four IDs.
    fn next(&self) -> u64 {
        let mut hasher = self.key.build_hasher();
        hasher.write_u64(self.counter.fetch_add(1, Ordering::Relaxed));
        hasher.finish()
    }
}

/// The IDs of one output of [`Ids`] not yet used, kept by one socket.
#[derive(Default)]
struct IdStream {
    /// The unused quarters, in the low bits.
    bits: u64,
    /// How many quarters are left.
    left: u8,
}

impl IdStream {
    fn next(&mut self, ids: &Ids) -> u16 {
        if self.left == 0 {
            self.bits = ids.next();
            self.left = 4;
        }
        // Truncation intended: the low quarter.
        let id = self.bits as u16;
        self.bits >>= 16;
        self.left -= 1;
        id
    }
}

/// Locks `mutex`, also after a panic elsewhere: the maps stay consistent
/// between statements.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn queries_sent_at_once_on_fresh_sockets_are_each_answered_in_time() {
        // Answers every query with NXDOMAIN: the query itself, QR and
        // RCODE 3 set, its OPT record echoed.
        let server = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let address = server.local_addr().unwrap();
        let queries = 8 * POOL_SIZE;
        let responder = std::thread::spawn(move || {
            let mut buffer = [0; 512];
            for _ in 0..queries {
                let (len, from) = server.recv_from(&mut buffer).unwrap();
                buffer[2] |= 0x80;
                buffer[3] = 0x83;
                server.send_to(&buffer[..len], from).unwrap();
            }
        });
        let settings = ResolverSettings {
            timeout: Duration::from_secs(5),
            attempts: 0,
        };
        let stub = StubLookup::from_nameservers(&[address], settings);
        // Sockets not yet seen writable: a try that cannot be sent at once
        // waits its turn, and each is woken when its answer comes. With no
        // second attempt, a try left waiting until it expires is a timeout;
        // one never woken would hang, and the bound ends the test then.
        let names: Vec<String> = (0..queries).map(|i| format!("{i}.example.com")).collect();
        let all = futures_util::future::join_all(
            names.iter().map(|name| stub.query(name, RecordType::A)),
        );
        let answers = runtime()
            .block_on(async { tokio::time::timeout(Duration::from_secs(30), all).await })
            .expect("every try ends");
        assert!(answers.iter().all(|answer| *answer == Ok(Answer::NxDomain)));
        responder.join().unwrap();
    }

    #[test]
    fn a_silent_server_ends_at_the_deadline_and_gets_no_try_after_it() {
        let silent = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        silent.set_nonblocking(true).unwrap();
        let settings = ResolverSettings {
            timeout: Duration::from_secs(30),
            attempts: 2,
        };
        let stub = StubLookup::from_nameservers(&[silent.local_addr().unwrap()], settings);
        let started = std::time::Instant::now();
        runtime().block_on(async {
            let deadline = Instant::now() + Duration::from_millis(100);
            // Two runs with different deadlines share the sockets: the
            // earlier deadline is kept although its try was sent later, on
            // a socket (the pool's first, again) with a later one waiting.
            let late = Instant::now() + Duration::from_secs(2);
            let names: Vec<String> = (0..POOL_SIZE).map(|i| format!("{i}.example.com")).collect();
            let (later, earlier) = tokio::join!(
                futures_util::future::join_all(names.iter().map(|name| stub.query_by(
                    name,
                    RecordType::A,
                    late
                ))),
                async {
                    tokio::task::yield_now().await;
                    let result = stub
                        .query_by("b.example.com", RecordType::A, deadline)
                        .await;
                    (result, started.elapsed())
                },
            );
            assert_eq!(earlier.0, Err(LookupError::Timeout));
            assert!(earlier.1 < Duration::from_secs(1), "{:?}", earlier.1);
            assert!(
                later
                    .iter()
                    .all(|later| *later == Err(LookupError::Timeout))
            );
        });
        let mut buffer = [0; 512];
        let mut received = 0;
        while silent.recv(&mut buffer).is_ok() {
            received += 1;
        }
        assert_eq!(received, POOL_SIZE + 1, "one try for each query");
        runtime().block_on(async {
            let passed = Instant::now();
            assert_eq!(
                stub.query_by("c.example.com", RecordType::A, passed).await,
                Err(LookupError::Timeout)
            );
        });
        assert!(
            silent.recv(&mut buffer).is_err(),
            "no try after the deadline"
        );
    }
}
