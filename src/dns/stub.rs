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
//! again over TCP (RFC 7766 §5). Queries are written out by hand,
//! responses decoded with hickory-proto (RFC 1035 §4).
//!
//! There is no cache (every check sees fresh data), no search list (every
//! name is fully qualified), no `/etc/hosts` and no DNSSEC validation.
//! Unlike hickory-resolver it answers no special-use name itself: every
//! name goes to the servers.
//!
//! The sockets are registered with the tokio runtime of the first query
//! that uses them, and each has a reader task there. A `StubLookup` may be
//! used from one runtime after another: sockets whose runtime is gone are
//! bound anew.

use std::collections::HashMap;
use std::collections::hash_map::{Entry, RandomState};
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::CNAME;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use super::rdata;
use super::resolver::ResolverSettings;
use super::{Answer, Lookup, LookupError, LookupResult, Mx, Txt};

/// Longest label, in octets (RFC 1035 §2.3.4).
const MAX_LABEL: usize = 63;
/// Longest name in wire form, in octets, root label included (RFC 1035 §2.3.4).
const MAX_NAME: usize = 255;
/// CNAME hops followed from the queried name before giving up: real
/// chains are one or two hops long, RFC 1034 §3.6.2 has no limit.
const MAX_CNAME_HOPS: usize = 8;
/// The EDNS(0) UDP payload size offered: what fits in one packet on
/// nearly every path without fragmentation (RFC 6891 §6.2.5, DNS Flag Day 2020).
const UDP_PAYLOAD: u16 = 1232;
/// UDP sockets per server, shared by all queries in flight to it.
const POOL_SIZE: usize = 8;
/// Length of the DNS header (RFC 1035 §4.1.1).
const HEADER_LEN: usize = 12;

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
        }
    }

    /// Asks for `rtype` at `name` (text, and wire form) and keeps the
    /// records of that type on its CNAME chain (RFC 1034 §3.6.2).
    ///
    /// The chain is followed through the answer section; when it ends in a
    /// CNAME whose target has no records there, and the server did not say
    /// why with an SOA in the authority section (RFC 2308 §2.2), the target
    /// is asked in turn (an RFC 2317 CNAME into another zone).
    async fn query(&self, name: &str, wire: Vec<u8>, rtype: RecordType) -> LookupResult<RData> {
        let start = name.strip_suffix('.').unwrap_or(name);
        let mut chain: Vec<Name> = Vec::new();
        let (mut shown, mut wire) = (start.to_owned(), wire);
        loop {
            let mut response = self.exchange(&shown, &wire, rtype).await?;
            if chain.is_empty() {
                // The name asked as decoded from the echoed question (a
                // matching response has it, see `matches_query`); later
                // hops ask the chain's last target.
                let Some(question) = response.queries.pop() else {
                    return Err(LookupError::Failed(format!(
                        "`{shown}` {rtype}: malformed answer: no question"
                    )));
                };
                chain.push(question.name);
            }
            let asked = chain.len() - 1;
            loop {
                let last = chain.last().expect("the chain holds the name asked");
                let Some(target) = response
                    .answers
                    .iter()
                    .find_map(|record| match &record.data {
                        RData::CNAME(CNAME(target)) if record.name == *last => Some(target),
                        _ => None,
                    })
                else {
                    break;
                };
                if chain.contains(target) {
                    return Err(LookupError::Failed(format!(
                        "`{start}` {rtype}: CNAME loop at `{}`",
                        display_name(target)
                    )));
                }
                if chain.len() > MAX_CNAME_HOPS {
                    return Err(LookupError::Failed(format!(
                        "`{start}` {rtype}: CNAME chain longer than {MAX_CNAME_HOPS} hops"
                    )));
                }
                chain.push(target.clone());
            }
            let records: Vec<RData> = response
                .answers
                .drain(..)
                .filter(|record: &Record| {
                    record.record_type() == rtype && chain[asked..].contains(&record.name)
                })
                .map(|record| record.data)
                .collect();
            if !records.is_empty() {
                return Ok(Answer::Records(records.into()));
            }
            if response.response_code == ResponseCode::NXDomain {
                return Ok(Answer::NxDomain);
            }
            let followed = chain.len() - 1 > asked;
            let negative = response
                .authorities
                .iter()
                .any(|record| record.record_type() == RecordType::SOA);
            if !followed || negative {
                return Ok(Answer::NoData);
            }
            let target = chain.last().expect("the chain is never empty");
            (shown, wire) = (display_name(target), wire_name(target));
        }
    }

    /// Encodes `name` and asks for `rtype`, mapping the records with `pick`.
    async fn typed<T>(
        &self,
        name: &str,
        rtype: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> LookupResult<T> {
        let wire = encode_wire(name).map_err(LookupError::Failed)?;
        // Boxed: callers join and move many lookups at once, and the
        // state of a query is large.
        Ok(Box::pin(self.query(name, wire, rtype))
            .await?
            .filter_map(pick))
    }

    /// One question to the servers in turn, until one gives a NOERROR or
    /// NXDOMAIN response: that response, or why there is none.
    ///
    /// `name` is the wire form of the name asked, `shown` its text for messages.
    async fn exchange(
        &self,
        shown: &str,
        name: &[u8],
        rtype: RecordType,
    ) -> Result<Message, LookupError> {
        let fail = |cause: String| LookupError::Failed(format!("`{shown}` {rtype}: {cause}"));
        if self.servers.is_empty() {
            return Err(fail("no name server to ask".to_owned()));
        }
        let mut query = encode_query(name, rtype);
        let mut failure = LookupError::Timeout;
        let first = self.preferred.load(Ordering::Relaxed);
        for _ in 0..=self.settings.attempts {
            for turn in 0..self.servers.len() {
                let index = (first + turn) % self.servers.len();
                match self.ask(index, &mut query).await {
                    Ok(response) => match response.response_code {
                        ResponseCode::NoError | ResponseCode::NXDomain => {
                            self.preferred.store(index, Ordering::Relaxed);
                            return Ok(response);
                        }
                        code => {
                            failure = fail(format!("server answered {}", rcode_name(code)));
                        }
                    },
                    Err(Try::Timeout) => {}
                    Err(Try::Failed(cause)) => failure = fail(cause),
                }
            }
        }
        Err(failure)
    }

    /// One try at one server: over UDP, and over TCP when the answer is truncated.
    async fn ask(&self, index: usize, query: &mut WireQuery) -> Result<Message, Try> {
        let udp = self.udp(index, query).await?;
        let response = decode(&udp)?;
        if !response.truncation {
            return Ok(response);
        }
        let response = decode(&self.tcp(self.servers[index], query).await?)?;
        if response.truncation {
            return Err(Try::Failed("answer truncated over TCP too".to_owned()));
        }
        Ok(response)
    }

    /// Sends `query` with a fresh ID over a pooled socket and waits for
    /// the matching response.
    async fn udp(&self, index: usize, query: &mut WireQuery) -> Result<Vec<u8>, Try> {
        let server = self.servers[index];
        let channel = self.pool.channel(index, server).map_err(network)?;
        let (reply, response) = oneshot::channel();
        let id = channel.register(server, query.question(), reply, &self.pool.ids);
        // Dropped on every way out (answer, timeout, error, cancellation),
        // so that a late response finds no taker.
        let _pending = Pending {
            channel: &channel,
            id,
        };
        query.set_id(id);
        channel.socket.send(&query.bytes).await.map_err(network)?;
        match tokio::time::timeout(self.settings.timeout, response).await {
            Ok(Ok(packet)) => Ok(packet),
            Ok(Err(_)) => Err(Try::Failed("network error: socket closed".to_owned())),
            Err(_) => Err(Try::Timeout),
        }
    }

    /// Asks `query` again over a fresh TCP connection (RFC 7766 §5, §8:
    /// each message behind a two-octet length).
    async fn tcp(&self, server: SocketAddr, query: &WireQuery) -> Result<Vec<u8>, Try> {
        let exchange = async {
            let mut stream = TcpStream::connect(server).await?;
            let length = u16::try_from(query.bytes.len()).expect("a query fits in 64 KiB");
            let mut framed = Vec::with_capacity(query.bytes.len() + 2);
            framed.extend_from_slice(&length.to_be_bytes());
            framed.extend_from_slice(&query.bytes);
            stream.write_all(&framed).await?;
            let mut length = [0; 2];
            stream.read_exact(&mut length).await?;
            let mut response = vec![0; usize::from(u16::from_be_bytes(length))];
            stream.read_exact(&mut response).await?;
            Ok::<_, io::Error>(response)
        };
        let response = tokio::time::timeout(self.settings.timeout, exchange)
            .await
            .map_err(|_| Try::Timeout)?
            .map_err(network)?;
        match matches_query(query.id(), query.question(), &response) {
            true => Ok(response),
            false => Err(Try::Failed(
                "malformed answer: the TCP response is for another query".to_owned(),
            )),
        }
    }
}

impl Lookup for StubLookup {
    async fn txt(&self, name: &str) -> LookupResult<Txt> {
        self.typed(name, RecordType::TXT, rdata::txt).await
    }

    async fn a(&self, name: &str) -> LookupResult<Ipv4Addr> {
        self.typed(name, RecordType::A, rdata::a).await
    }

    async fn aaaa(&self, name: &str) -> LookupResult<Ipv6Addr> {
        self.typed(name, RecordType::AAAA, rdata::aaaa).await
    }

    async fn mx(&self, name: &str) -> LookupResult<Mx> {
        self.typed(name, RecordType::MX, rdata::mx).await
    }

    async fn ptr(&self, ip: IpAddr) -> LookupResult<String> {
        let name = super::reverse_name(ip);
        let wire = encode_wire(&name).map_err(LookupError::Failed)?;
        Ok(Box::pin(self.query(&name, wire, RecordType::PTR))
            .await?
            .filter_map(rdata::ptr))
    }

    async fn cname(&self, name: &str) -> LookupResult<String> {
        let wire = encode_wire(name).map_err(LookupError::Failed)?;
        let shown = name.strip_suffix('.').unwrap_or(name);
        let response = Box::pin(self.exchange(shown, &wire, RecordType::CNAME)).await?;
        if response.response_code == ResponseCode::NXDomain {
            return Ok(Answer::NxDomain);
        }
        let asked = response.queries.first().map(|question| &question.name);
        let targets: Vec<String> = response
            .answers
            .iter()
            .filter_map(|record| match &record.data {
                RData::CNAME(CNAME(target)) if Some(&record.name) == asked => {
                    Some(display_name(target))
                }
                _ => None,
            })
            .collect();
        Ok(if targets.is_empty() {
            Answer::NoData
        } else {
            Answer::Records(targets.into())
        })
    }

    async fn ns(&self, name: &str) -> LookupResult<String> {
        self.typed(name, RecordType::NS, rdata::ns).await
    }

    async fn soa(&self, name: &str) -> LookupResult<u32> {
        self.typed(name, RecordType::SOA, rdata::soa_serial).await
    }
}

/// Why one try at one server gave no usable response.
enum Try {
    /// Nothing came back in time.
    Timeout,
    /// Something came back, or could not be sent: the cause, for a message.
    Failed(String),
}

fn network(error: io::Error) -> Try {
    Try::Failed(format!("network error: {error}"))
}

/// Decodes a response (RFC 1035 §4.1).
fn decode(packet: &[u8]) -> Result<Message, Try> {
    Message::from_vec(packet).map_err(|error| Try::Failed(format!("malformed answer: {error}")))
}

/// A query in wire form, its ID rewritten for each try.
struct WireQuery {
    bytes: Vec<u8>,
    /// Where the question section ends: a response must echo
    /// `bytes[HEADER_LEN..question_end]` (RFC 1035 §4.1.2).
    question_end: usize,
}

impl WireQuery {
    fn id(&self) -> u16 {
        u16::from_be_bytes([self.bytes[0], self.bytes[1]])
    }

    fn set_id(&mut self, id: u16) {
        self.bytes[..2].copy_from_slice(&id.to_be_bytes());
    }

    fn question(&self) -> &[u8] {
        &self.bytes[HEADER_LEN..self.question_end]
    }
}

/// A recursive query for `rtype` at `name` (wire form), class IN, with an
/// EDNS(0) OPT record offering [`UDP_PAYLOAD`] octets (RFC 1035 §4.1,
/// RFC 6891 §6.1.2).
///
/// Written out rather than built as a hickory `Message`: a query is a
/// fixed header, one question and a fixed OPT record, and building and
/// encoding a `Message` cost more than the rest of sending it. The unit
/// tests decode it with hickory.
fn encode_query(name: &[u8], rtype: RecordType) -> WireQuery {
    let mut bytes = Vec::with_capacity(HEADER_LEN + name.len() + 4 + 11);
    // ID (set per try), RD, QDCOUNT 1, ARCOUNT 1 (the OPT record)
    bytes.extend_from_slice(&[0, 0, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(&u16::from(rtype).to_be_bytes());
    bytes.extend_from_slice(&u16::from(DNSClass::IN).to_be_bytes());
    let question_end = bytes.len();
    // OPT: root owner, TYPE 41, CLASS the payload size, TTL extended
    // RCODE 0, version 0, no flags, no options
    bytes.push(0);
    bytes.extend_from_slice(&u16::from(RecordType::OPT).to_be_bytes());
    bytes.extend_from_slice(&UDP_PAYLOAD.to_be_bytes());
    bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    WireQuery {
        bytes,
        question_end,
    }
}

/// True when `packet` is a response to the query with `id` and `question`
/// (RFC 5452 §9.1: ID and question must match), or an unusable packet
/// with that ID: an error response without a question, or one too short
/// to hold a question, which the caller then fails to decode.
///
/// The name compares without regard to ASCII case (RFC 4343 §3), QTYPE
/// and QCLASS octet for octet.
fn matches_query(id: u16, question: &[u8], packet: &[u8]) -> bool {
    if packet.len() < 2 || u16::from_be_bytes([packet[0], packet[1]]) != id {
        return false;
    }
    if packet.len() < HEADER_LEN {
        return true;
    }
    let is_response = packet[2] & 0x80 != 0;
    let rcode = packet[3] & 0x0f;
    let questions = u16::from_be_bytes([packet[4], packet[5]]);
    let echoed = &packet[HEADER_LEN..];
    match questions {
        _ if !is_response => false,
        // FORMERR and the like may come without the question; a
        // positive or negative answer never does.
        0 => rcode != 0 && rcode != 3,
        1 if echoed.len() < question.len() => true,
        1 => {
            let (name, class_type) = question.split_at(question.len() - 4);
            echoed[..name.len()].eq_ignore_ascii_case(name)
                && echoed[name.len()..question.len()] == *class_type
        }
        _ => false,
    }
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
            pending: Mutex::new(HashMap::new()),
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
    pending: Mutex<HashMap<u16, Waiter>>,
    /// False once the reader task has ended: the socket is no longer read.
    alive: AtomicBool,
}

/// A query in flight, waiting for its response.
struct Waiter {
    server: SocketAddr,
    question: Vec<u8>,
    reply: oneshot::Sender<Vec<u8>>,
}

impl Channel {
    /// Enters a query to `server` under a random ID not in flight on this
    /// socket, and returns the ID.
    fn register(
        &self,
        server: SocketAddr,
        question: &[u8],
        reply: oneshot::Sender<Vec<u8>>,
        ids: &Ids,
    ) -> u16 {
        let mut pending = lock(&self.pending);
        loop {
            if let Entry::Vacant(entry) = pending.entry(ids.next()) {
                let id = *entry.key();
                entry.insert(Waiter {
                    server,
                    question: question.to_vec(),
                    reply,
                });
                return id;
            }
        }
    }

    /// Hands `packet` to the query it answers, or drops it.
    fn dispatch(&self, packet: &[u8], from: SocketAddr) {
        if packet.len() < 2 {
            return;
        }
        let id = u16::from_be_bytes([packet[0], packet[1]]);
        let mut pending = lock(&self.pending);
        if let Entry::Occupied(entry) = pending.entry(id) {
            let waiter = entry.get();
            if waiter.server == from && matches_query(id, &waiter.question, packet) {
                let _ = entry.remove().reply.send(packet.to_vec());
            }
        }
    }
}

/// Removes a query from its socket when its try ends.
struct Pending<'a> {
    channel: &'a Channel,
    id: u16,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        lock(&self.channel.pending).remove(&self.id);
    }
}

/// Marks its channel dead when dropped: when the reader task ends, also
/// when its runtime shuts down before the task first ran.
struct Alive(Arc<Channel>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.alive.store(false, Ordering::Release);
        // Waiters see their reply channel closed rather than wait in vain.
        lock(&self.0.pending).clear();
    }
}

/// The reader task of one socket: every datagram to the query it answers.
async fn read(alive: Alive) {
    let channel = &alive.0;
    // The largest UDP payload: a server may ignore the EDNS size offered.
    let mut buffer = vec![0; usize::from(u16::MAX)];
    loop {
        match channel.socket.recv_from(&mut buffer).await {
            Ok((len, from)) => channel.dispatch(&buffer[..len], from),
            // An ICMP port unreachable for an earlier query (RFC 1122
            // §4.1.3.3): the queries in flight time out, the socket stays.
            Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {}
            Err(_) => break,
        }
    }
}

/// Query IDs that an off-path attacker cannot predict (RFC 5452 §4.3):
/// SipHash under a random key of the lookup, over a counter.
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

    fn next(&self) -> u16 {
        let mut hasher = self.key.build_hasher();
        hasher.write_u64(self.counter.fetch_add(1, Ordering::Relaxed));
        // Truncation intended: any 16 bits of the hash are as good.
        hasher.finish() as u16
    }
}

/// Locks `mutex`, also after a panic elsewhere: the maps stay consistent
/// between statements.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The labels of the text form of a name, octet for octet.
///
/// The text is split at dots and each label taken as raw octets, without
/// escapes, so `64/26`, `_spf` or a space (legal octets, RFC 2181 §11) go
/// on the wire as written. One trailing dot is allowed; `""` and `"."` are
/// the root. Empty labels, labels over 63 octets and names over 255
/// octets (RFC 1035 §2.3.4) are errors.
fn labels(text: &str) -> Result<Vec<&[u8]>, String> {
    let trimmed = text.strip_suffix('.').unwrap_or(text);
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    let mut wire_len = 1;
    let mut labels = Vec::with_capacity(8);
    for label in trimmed.split('.') {
        if label.is_empty() {
            return Err(format!("cannot query `{text}`: empty label"));
        }
        if label.len() > MAX_LABEL {
            return Err(format!(
                "cannot query `{text}`: label of {} octets, at most {MAX_LABEL} allowed",
                label.len()
            ));
        }
        wire_len += label.len() + 1;
        labels.push(label.as_bytes());
    }
    if wire_len > MAX_NAME {
        return Err(format!(
            "cannot query `{text}`: name of {wire_len} octets, at most {MAX_NAME} allowed"
        ));
    }
    Ok(labels)
}

/// Turns the text form of a name into a fully qualified [`Name`], octet
/// for octet (see [`labels`]).
pub(super) fn encode_name(text: &str) -> Result<Name, String> {
    Name::from_labels(labels(text)?).map_err(|error| format!("cannot query `{text}`: {error}"))
}

/// The wire form of the text form of a name (RFC 1035 §3.1), octet for
/// octet (see [`labels`]).
fn encode_wire(text: &str) -> Result<Vec<u8>, String> {
    let mut wire = Vec::with_capacity(text.len() + 2);
    for label in labels(text)? {
        wire.push(u8::try_from(label.len()).expect("labels are at most 63 octets"));
        wire.extend_from_slice(label);
    }
    wire.push(0);
    Ok(wire)
}

/// The wire form of `name`, uncompressed (RFC 1035 §3.1).
fn wire_name(name: &Name) -> Vec<u8> {
    let mut wire = Vec::with_capacity(name.len() + 2);
    for label in name.iter() {
        wire.push(u8::try_from(label.len()).expect("labels are at most 63 octets"));
        wire.extend_from_slice(label);
    }
    wire.push(0);
    wire
}

/// The text form of a name: labels as raw octets joined by dots, no trailing dot.
///
/// The inverse of [`encode_name`] for every name whose labels hold no dot.
/// Octets that are not UTF-8 become U+FFFD; the root is `""` (a null MX,
/// RFC 7505).
pub(super) fn display_name(name: &Name) -> String {
    let mut text = String::with_capacity(name.len());
    for (i, label) in name.iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        text.push_str(&String::from_utf8_lossy(label));
    }
    text
}

/// The mnemonic of a response code (RFC 1035 §4.1.1, RFC 6895 §2.3).
pub(super) fn rcode_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::NoError => "NOERROR".to_owned(),
        ResponseCode::FormErr => "FORMERR".to_owned(),
        ResponseCode::ServFail => "SERVFAIL".to_owned(),
        ResponseCode::NXDomain => "NXDOMAIN".to_owned(),
        ResponseCode::NotImp => "NOTIMP".to_owned(),
        ResponseCode::Refused => "REFUSED".to_owned(),
        ResponseCode::NotAuth => "NOTAUTH".to_owned(),
        other => format!("rcode {}", u16::from(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_octet_for_octet() {
        let name = encode_name("65.64/26.100.51.198.in-addr.arpa").unwrap();
        assert!(name.is_fqdn());
        assert_eq!(name.num_labels(), 7);
        assert_eq!(display_name(&name), "65.64/26.100.51.198.in-addr.arpa");
        let spaced = encode_name("a b:c%d._spf.example.com.").unwrap();
        assert_eq!(display_name(&spaced), "a b:c%d._spf.example.com");
        assert_eq!(encode_name("").unwrap(), Name::root());
        assert_eq!(encode_name(".").unwrap(), Name::root());
        assert_eq!(display_name(&Name::root()), "");
    }

    #[test]
    fn names_that_cannot_be_encoded_are_errors() {
        let long_label = format!("{}.example.com", "x".repeat(64));
        assert!(encode_name(&long_label).unwrap_err().contains("64 octets"));
        assert!(encode_name(&format!("{}.com", "x".repeat(63))).is_ok());
        // 4 × (63 + 1) + 1 = 257 octets on the wire
        let long_name = vec!["y".repeat(63); 4].join(".");
        assert!(encode_name(&long_name).unwrap_err().contains("257 octets"));
        // 3 × 64 + 61 + 1 + 1 = 255 octets: the longest name
        let longest = format!("{}.{}", vec!["z".repeat(63); 3].join("."), "z".repeat(61));
        assert!(encode_name(&longest).is_ok());
        assert!(encode_name("a..b").unwrap_err().contains("empty label"));
    }

    #[test]
    fn rcodes_have_their_mnemonics() {
        assert_eq!(rcode_name(ResponseCode::ServFail), "SERVFAIL");
        assert_eq!(rcode_name(ResponseCode::Refused), "REFUSED");
        assert_eq!(rcode_name(ResponseCode::Unknown(3841)), "rcode 3841");
    }

    #[test]
    fn a_query_carries_its_question_and_edns() {
        let name = encode_name("Mail.example.com").unwrap();
        let query = encode_query(&encode_wire("Mail.example.com.").unwrap(), RecordType::AAAA);
        let mut question = b"\x04Mail\x07example\x03com\x00".to_vec();
        question.extend_from_slice(&[0, 28, 0, 1]);
        assert_eq!(query.question(), question);
        let decoded = Message::from_vec(&query.bytes).unwrap();
        assert!(decoded.recursion_desired);
        assert_eq!(decoded.max_payload(), UDP_PAYLOAD);
        assert_eq!(decoded.edns.as_ref().map(|edns| edns.version()), Some(0));
        assert_eq!(wire_name(&name), encode_wire("Mail.example.com").unwrap());
        assert_eq!(
            decoded.queries,
            [hickory_proto::op::Query::query(name, RecordType::AAAA)]
        );
    }

    #[test]
    fn only_responses_to_the_query_match_it() {
        let mut query = encode_query(&encode_wire("mail.example.com").unwrap(), RecordType::A);
        query.set_id(0x1234);
        let respond = |edit: &dyn Fn(&mut Vec<u8>)| {
            let mut packet = query.bytes.clone();
            packet[2] |= 0x80;
            edit(&mut packet);
            matches_query(0x1234, query.question(), &packet)
        };
        assert!(respond(&|_| {}));
        // the name in another case (RFC 4343), e.g. after 0x20 mixing
        assert!(respond(&|p| p[13] = b'M'));
        assert!(!respond(&|p| p[1] = 0x35), "another ID");
        assert!(!respond(&|p| p[14] = b'x'), "another name");
        assert!(!respond(&|p| p[HEADER_LEN + 18] = 28), "another type");
        assert!(!respond(&|p| p[2] &= 0x7f), "a query, not a response");
        assert!(!respond(&|p| p[5] = 0), "NOERROR without the question");
        assert!(respond(&|p| {
            p[3] = 1;
            p[5] = 0;
        }));
        assert!(!respond(&|p| p[5] = 2), "two questions");
        assert!(
            respond(&|p| p.truncate(7)),
            "too short, decodes to an error"
        );
        assert!(!matches_query(0x1234, query.question(), &[0x12]));
    }
}
