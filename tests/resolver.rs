//! `HickoryLookup` and `StubLookup` against real servers on loopback: NSD
//! and BIND serving hand-written zones, and small UDP responders in
//! threads that stay silent, answer SERVFAIL or REFUSED, send garbage or
//! forged responses.
//!
//! Each behaviour is one generic function over the [`Lookup`] it is
//! given, run once for each implementation (`<test>::hickory`,
//! `<test>::stub`): the two must be interchangeable.
//!
//! Every lookup runs on a current-thread runtime, as the CLI runs it, under
//! a hard time bound; servers stop when dropped. Nothing leaves 127.0.0.1.

use std::future::Future;

use futures_util::future::join_all;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::support::{self, Bind, Nsd};
use hickory_proto::rr::RecordType;
use senderzone::dns::resolver::{HickoryLookup, ResolverSettings};
use senderzone::dns::stub::StubLookup;
use senderzone::dns::{Answer, Lookup, LookupError, Mx, RecordData};

const FORWARD: &str = "example.com";
const REVERSE6: &str = "8.b.d.0.1.0.0.2.ip6.arpa";
const PARENT: &str = "100.51.198.in-addr.arpa";
const CHILD: &str = "64/26.100.51.198.in-addr.arpa";

/// How a test opens the implementation under test on given servers.
type Open<L> = fn(&[SocketAddr], ResolverSettings) -> L;

/// One test per implementation for each generic test function named.
macro_rules! for_both {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            use super::*;

            #[test]
            fn hickory() {
                super::$test(HickoryLookup::from_nameservers)
            }

            #[test]
            fn stub() {
                super::$test(StubLookup::from_nameservers)
            }
        }
    )*};
}

for_both!(
    nsd_answers_come_back_typed_and_byte_exact,
    nsd_nxdomain_and_no_data_are_kept_apart_for_every_type,
    nsd_cname_chains_are_followed_and_loops_fail,
    nsd_rfc2317_names_with_a_slash_work,
    bind_cname_only_answer_is_chased_into_the_rfc2317_child,
    a_large_txt_rrset_is_fetched_whole_over_tcp,
    each_check_sees_fresh_data,
    bind_cname_chains_across_zones_end_in_records_or_an_error,
    names_that_cannot_be_encoded_fail_without_a_query,
    a_silent_server_is_a_timeout_within_the_configured_time,
    a_silent_server_beside_a_working_one_does_not_hide_it,
    servfail_and_refused_are_failures_that_name_the_rcode,
    an_error_response_does_not_hide_a_good_server,
    a_malformed_response_is_never_records,
    stray_and_forged_responses_are_ignored,
);

/// The longest any one test's lookups may take, servers' start excluded.
const TEST_BOUND: Duration = Duration::from_secs(30);

/// Runs `f` on a current-thread runtime, as the CLI does, within [`TEST_BOUND`].
fn run<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a current-thread runtime")
        .block_on(async {
            tokio::time::timeout(TEST_BOUND, f)
                .await
                .expect("lookups finished within the test bound")
        })
}

/// Settings for fault tests: quick to give up.
fn quick() -> ResolverSettings {
    ResolverSettings {
        timeout: Duration::from_millis(300),
        attempts: 1,
    }
}

/// The 255-octet first string of the apex TXT.
fn head() -> Vec<u8> {
    let mut head = b"v=spf1".to_vec();
    let mut i = 0;
    while head.len() < 255 {
        head.extend_from_slice(format!(" ip4:198.51.100.{i}").as_bytes());
        i += 1;
    }
    head.truncate(255);
    head
}

/// The 45-octet second string of the apex TXT.
fn tail() -> Vec<u8> {
    b" include:_spf.example.net ip6:2001:db8::/32 ~all"[3..].to_vec()
}

/// One 255-octet string of the large RRset at `big`.
fn big_string(record: usize, part: usize) -> Vec<u8> {
    format!("r{record:02}p{part}.")
        .bytes()
        .cycle()
        .take(255)
        .collect()
}

/// Records in the large RRset: 12 × 2 × 255 octets, far beyond 1232 and 4096.
const BIG_RECORDS: usize = 12;

fn forward_zone() -> String {
    let mut snippet = format!(
        "$ORIGIN example.com.\n$TTL 300\n\
         @        IN TXT   \"{}\" \"{}\"\n\
         @        IN MX    10 mail.example.com.\n\
         @        IN MX    20 mx2.example.com.\n\
         tricky   IN TXT   \"q\\\"b\\\\s\\200z\" \"\"\n\
         mail     IN A     198.51.100.10\n\
         mail     IN A     198.51.100.11\n\
         mail     IN AAAA  2001:db8::10\n\
         nullmx   IN MX    0 .\n\
         www      IN CNAME alias.example.com.\n\
         alias    IN CNAME mail.example.com.\n\
         dangling IN CNAME nowhere.example.com.\n\
         self     IN CNAME self.example.com.\n\
         loop1    IN CNAME loop2.example.com.\n\
         loop2    IN CNAME loop1.example.com.\n",
        String::from_utf8(head()).unwrap(),
        String::from_utf8(tail()).unwrap(),
    );
    for record in 0..BIG_RECORDS {
        snippet.push_str(&format!(
            "big      IN TXT   \"{}\" \"{}\"\n",
            String::from_utf8(big_string(record, 0)).unwrap(),
            String::from_utf8(big_string(record, 1)).unwrap(),
        ));
    }
    support::wrap_zone(FORWARD, &snippet)
}

fn reverse6_zone() -> String {
    support::wrap_zone(
        REVERSE6,
        "$TTL 3600\n\
         0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR mail.example.com.\n\
         1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN TXT \"no ptr here\"\n",
    )
}

/// RFC 2317 parent: `.65` is a CNAME into the `64/26` child.
fn parent_zone() -> String {
    support::wrap_zone(
        PARENT,
        "$TTL 3600\n\
         10    IN PTR   mail.example.com.\n\
         11    IN TXT   \"no ptr here\"\n\
         64/26 IN NS    ns1.test.invalid.\n\
         65    IN CNAME 65.64/26.100.51.198.in-addr.arpa.\n\
         66    IN CNAME 66.64/26.100.51.198.in-addr.arpa.\n",
    )
}

/// RFC 2317 child; `.66` has a CNAME in the parent but no PTR here.
fn child_zone() -> String {
    support::wrap_zone(CHILD, "$TTL 3600\n65 IN PTR mail2.example.com.\n")
}

fn all_zones() -> Vec<(&'static str, String)> {
    vec![
        (FORWARD, forward_zone()),
        (REVERSE6, reverse6_zone()),
        (PARENT, parent_zone()),
        (CHILD, child_zone()),
    ]
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// The records of an answer, sorted (servers may rotate RRsets); panics otherwise.
fn records<T: Ord + Clone + std::fmt::Debug>(answer: Result<Answer<T>, LookupError>) -> Vec<T> {
    let mut records = unsorted(answer);
    records.sort();
    records
}

/// The records of an answer as received; panics on anything else.
fn unsorted<T: Clone + std::fmt::Debug>(answer: Result<Answer<T>, LookupError>) -> Vec<T> {
    match answer {
        Ok(Answer::Records(records)) => records.to_vec(),
        other => panic!("expected records, got {other:?}"),
    }
}

#[test]
fn fixture_zones_pass_both_validators() {
    for (origin, zone) in all_zones() {
        support::checkzone(origin, &zone).unwrap_or_else(|e| panic!("{e}\n{zone}"));
    }
}

fn nsd_answers_come_back_typed_and_byte_exact<L: Lookup>(open: Open<L>) {
    let zones = all_zones();
    let nsd = Nsd::start(&zones);
    let dns = open(&[nsd.addr()], ResolverSettings::default());
    run(async {
        assert_eq!(
            records(dns.a("mail.example.com").await),
            [
                Ipv4Addr::new(198, 51, 100, 10),
                Ipv4Addr::new(198, 51, 100, 11)
            ]
        );
        assert_eq!(
            records(dns.aaaa("mail.example.com.").await),
            ["2001:db8::10".parse::<std::net::Ipv6Addr>().unwrap()]
        );

        let apex = records(dns.txt("example.com").await);
        assert_eq!(apex, [vec![head(), tail()]]);
        assert_eq!((apex[0][0].len(), apex[0][1].len()), (255, 45));
        // `\200` is one octet, 0xC8; the empty string stays a string
        assert_eq!(
            records(dns.txt("tricky.example.com").await),
            [vec![b"q\"b\\s\xc8z".to_vec(), Vec::new()]]
        );
        assert_eq!(
            support::query_txt(nsd.addr(), "tricky.example.com"),
            [vec![b"q\"b\\s\xc8z".to_vec(), Vec::new()]],
            "dig agrees"
        );

        let mut mx = unsorted(dns.mx("example.com").await);
        mx.sort_by_key(|mx| mx.preference);
        assert_eq!(
            mx,
            [
                Mx {
                    preference: 10,
                    exchange: "mail.example.com".into()
                },
                Mx {
                    preference: 20,
                    exchange: "mx2.example.com".into()
                },
            ]
        );
        // a name compressed against the question takes the query's case
        // (NSD echoes it): names compare without regard to case
        let shouted = unsorted(dns.mx("EXAMPLE.com").await);
        assert_eq!(shouted.len(), 2);
        assert!(shouted.iter().all(|mx| {
            ["mail.example.com", "mx2.example.com"]
                .iter()
                .any(|name| mx.exchange.eq_ignore_ascii_case(name))
        }));
        // RFC 7505 null MX: the root as exchange
        assert_eq!(
            unsorted(dns.mx("nullmx.example.com").await),
            [Mx {
                preference: 0,
                exchange: String::new()
            }]
        );

        assert_eq!(
            records(dns.ptr(ip("198.51.100.10")).await),
            ["mail.example.com"]
        );
        assert_eq!(
            records(dns.ptr(ip("2001:db8::10")).await),
            ["mail.example.com"]
        );
    });
}

fn nsd_nxdomain_and_no_data_are_kept_apart_for_every_type<L: Lookup>(open: Open<L>) {
    let zones = all_zones();
    let nsd = Nsd::start(&zones);
    let dns = open(&[nsd.addr()], ResolverSettings::default());
    run(async {
        let missing = "nonexistent.example.com";
        assert_eq!(dns.a(missing).await, Ok(Answer::NxDomain));
        assert_eq!(dns.aaaa(missing).await, Ok(Answer::NxDomain));
        assert_eq!(dns.txt(missing).await, Ok(Answer::NxDomain));
        assert_eq!(dns.mx(missing).await, Ok(Answer::NxDomain));
        assert_eq!(dns.ptr(ip("198.51.100.12")).await, Ok(Answer::NxDomain));
        assert_eq!(dns.ptr(ip("2001:db8::12")).await, Ok(Answer::NxDomain));

        assert_eq!(dns.a("example.com").await, Ok(Answer::NoData));
        assert_eq!(dns.aaaa("nullmx.example.com").await, Ok(Answer::NoData));
        assert_eq!(dns.txt("mail.example.com").await, Ok(Answer::NoData));
        assert_eq!(dns.mx("mail.example.com").await, Ok(Answer::NoData));
        assert_eq!(dns.ptr(ip("198.51.100.11")).await, Ok(Answer::NoData));
        assert_eq!(dns.ptr(ip("2001:db8::11")).await, Ok(Answer::NoData));

        // the apex's NS and SOA serial (support::wrap_zone writes serial 1)
        assert_eq!(records(dns.ns("example.com").await), ["ns1.test.invalid"]);
        assert_eq!(records(dns.soa("example.com").await), [1]);
        assert_eq!(dns.soa("mail.example.com").await, Ok(Answer::NoData));
        assert_eq!(dns.ns(missing).await, Ok(Answer::NxDomain));
    });
}

fn nsd_cname_chains_are_followed_and_loops_fail<L: Lookup>(open: Open<L>) {
    let zones = all_zones();
    let nsd = Nsd::start(&zones);
    let dns = open(&[nsd.addr()], ResolverSettings::default());
    run(async {
        // www → alias → mail
        assert_eq!(
            records(dns.a("www.example.com").await),
            [
                Ipv4Addr::new(198, 51, 100, 10),
                Ipv4Addr::new(198, 51, 100, 11)
            ]
        );
        assert_eq!(dns.txt("www.example.com").await, Ok(Answer::NoData));
        assert_eq!(dns.a("dangling.example.com").await, Ok(Answer::NxDomain));
        // The answer holds the asked type only, not the CNAMEs on the way;
        // a CNAME query is answered at the name itself.
        assert_eq!(
            unsorted(dns.query("www.example.com", RecordType::AAAA).await),
            [RecordData::Aaaa("2001:db8::10".parse().unwrap())]
        );
        assert_eq!(
            unsorted(dns.query("www.example.com", RecordType::CNAME).await),
            [RecordData::Cname("alias.example.com".into())]
        );

        for name in ["self.example.com", "loop1.example.com"] {
            let started = Instant::now();
            match dns.a(name).await {
                Err(LookupError::Failed(message)) => {
                    assert!(message.contains("CNAME loop"), "{name}: {message}")
                }
                other => panic!("{name}: expected a CNAME loop error, got {other:?}"),
            }
            assert!(started.elapsed() < Duration::from_secs(5), "{name}");
        }
    });
}

fn nsd_rfc2317_names_with_a_slash_work<L: Lookup>(open: Open<L>) {
    let zones = all_zones();
    let nsd = Nsd::start(&zones);
    let dns = open(&[nsd.addr()], ResolverSettings::default());
    run(async {
        // NSD sends the CNAME and the child's PTR in one answer
        assert_eq!(
            records(dns.ptr(ip("198.51.100.65")).await),
            ["mail2.example.com"]
        );
        assert_eq!(dns.ptr(ip("198.51.100.66")).await, Ok(Answer::NxDomain));
        // the parent's CNAME itself, not followed
        assert_eq!(
            records(dns.cname("65.100.51.198.in-addr.arpa").await),
            ["65.64/26.100.51.198.in-addr.arpa"]
        );
        assert_eq!(
            records(dns.cname("66.100.51.198.in-addr.arpa").await),
            ["66.64/26.100.51.198.in-addr.arpa"]
        );
        assert_eq!(
            dns.cname("67.100.51.198.in-addr.arpa").await,
            Ok(Answer::NxDomain)
        );
        assert_eq!(
            dns.cname("100.51.198.in-addr.arpa").await,
            Ok(Answer::NoData)
        );
        // a name with `/` queried directly as text
        assert_eq!(
            dns.a("65.64/26.100.51.198.in-addr.arpa").await,
            Ok(Answer::NoData)
        );
        assert_eq!(
            dns.a("67.64/26.100.51.198.in-addr.arpa").await,
            Ok(Answer::NxDomain)
        );
    });
}

fn bind_cname_only_answer_is_chased_into_the_rfc2317_child<L: Lookup>(open: Open<L>) {
    let zones = all_zones();
    let bind = Bind::start(&zones[2..]);
    let owner = "65.100.51.198.in-addr.arpa";
    let types: Vec<String> = support::query(bind.addr(), owner, "PTR")
        .answer
        .into_iter()
        .map(|rr| rr.rtype)
        .collect();
    assert_eq!(
        types,
        ["CNAME"],
        "BIND answers only the CNAME (formats.md §5.7)"
    );
    let dns = open(&[bind.addr()], ResolverSettings::default());
    run(async {
        assert_eq!(
            records(dns.ptr(ip("198.51.100.65")).await),
            ["mail2.example.com"]
        );
        assert_eq!(
            records(dns.ptr(ip("198.51.100.10")).await),
            ["mail.example.com"]
        );
        assert_eq!(dns.ptr(ip("198.51.100.66")).await, Ok(Answer::NxDomain));
        assert_eq!(dns.ptr(ip("198.51.100.11")).await, Ok(Answer::NoData));
    });
}

fn a_large_txt_rrset_is_fetched_whole_over_tcp<L: Lookup>(open: Open<L>) {
    let zones = all_zones();
    let nsd = Nsd::start(&zones[..1]);
    // over UDP with a 1232-octet buffer the answer is truncated
    let udp_only = support::tool("dig");
    let output = std::process::Command::new(udp_only)
        .args([
            "@127.0.0.1",
            "-p",
            &nsd.port().to_string(),
            "+ignore",
            "+bufsize=1232",
            "+norec",
            "big.example.com.",
            "TXT",
        ])
        .output()
        .expect("run dig");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains(" tc"), "the UDP answer is truncated:\n{text}");

    let dns = open(&[nsd.addr()], ResolverSettings::default());
    let expected: Vec<Vec<Vec<u8>>> = (0..BIG_RECORDS)
        .map(|record| vec![big_string(record, 0), big_string(record, 1)])
        .collect();
    run(async {
        assert_eq!(records(dns.txt("big.example.com").await), expected);
    });
}

fn each_check_sees_fresh_data<L: Lookup>(open: Open<L>) {
    let zone = support::wrap_zone("example.net", "$TTL 3600\n@ IN TXT \"v=spf1 -all\"\n");
    let bind = Bind::start_dynamic(&[("example.net", &zone)]);
    let dns = open(&[bind.addr()], ResolverSettings::default());
    run(async {
        assert_eq!(
            records(dns.txt("example.net").await),
            [vec![b"v=spf1 -all".to_vec()]]
        );
        assert_eq!(dns.a("mail.example.net").await, Ok(Answer::NxDomain));
    });
    bind.nsupdate(
        "zone example.net.\n\
         update delete example.net. TXT\n\
         update add example.net. 3600 IN TXT \"v=spf1 mx -all\"\n\
         update add mail.example.net. 3600 IN A 192.0.2.25\n\
         send\n",
    )
    .unwrap();
    // the same resolver, right after: no cached positive or negative answer
    run(async {
        assert_eq!(
            records(dns.txt("example.net").await),
            [vec![b"v=spf1 mx -all".to_vec()]]
        );
        assert_eq!(
            records(dns.a("mail.example.net").await),
            [Ipv4Addr::new(192, 0, 2, 25)]
        );
    });
}

/// Zones `c0.example` … `c9.example`: `www.cN` is a CNAME to `www.cN+1`,
/// `www.c9` has an address. Each hop is another zone, so BIND answers
/// each with the CNAME alone and the resolver has to ask again.
fn chain_zones() -> Vec<(String, String)> {
    (0..10)
        .map(|i| {
            let origin = format!("c{i}.example");
            let body = if i == 9 {
                "www IN A 192.0.2.9\n".to_owned()
            } else {
                format!("www IN CNAME www.c{}.example.\n", i + 1)
            };
            let zone = support::wrap_zone(&origin, &format!("$TTL 300\n{body}"));
            (origin, zone)
        })
        .collect()
}

fn bind_cname_chains_across_zones_end_in_records_or_an_error<L: Lookup>(open: Open<L>) {
    let mut zones = chain_zones();
    zones.push((FORWARD.to_owned(), forward_zone()));
    let bind = Bind::start(&zones);
    let dns = open(&[bind.addr()], ResolverSettings::default());
    run(async {
        // seven hops: followed to the end
        assert_eq!(
            records(dns.a("www.c2.example").await),
            [Ipv4Addr::new(192, 0, 2, 9)]
        );
        assert_eq!(dns.txt("www.c2.example").await, Ok(Answer::NoData));
        // nine hops: more than hickory follows, never taken for no data
        match dns.a("www.c0.example").await {
            Err(LookupError::Failed(message)) => {
                assert!(message.contains("CNAME chain longer"), "{message}")
            }
            other => panic!("expected a chain error, got {other:?}"),
        }
        // BIND answers an in-zone loop with SERVFAIL itself
        assert!(matches!(
            dns.a("loop1.example.com").await,
            Err(LookupError::Failed(message)) if message.contains("SERVFAIL")
        ));
    });
}

fn names_that_cannot_be_encoded_fail_without_a_query<L: Lookup>(open: Open<L>) {
    // no server at all: an attempt to send would fail differently
    let dns = open(&[], ResolverSettings::default());
    run(async {
        let long_label = format!("{}.example.com", "a".repeat(64));
        match dns.txt(&long_label).await {
            Err(LookupError::Failed(message)) => {
                assert!(message.contains("at most 63"), "{message}")
            }
            other => panic!("expected an encoding error, got {other:?}"),
        }
        let long_name = vec!["b".repeat(60); 5].join(".");
        match dns.a(&long_name).await {
            Err(LookupError::Failed(message)) => {
                assert!(message.contains("at most 255"), "{message}")
            }
            other => panic!("expected an encoding error, got {other:?}"),
        }
        match dns.mx("a..example.com").await {
            Err(LookupError::Failed(message)) => {
                assert!(message.contains("empty label"), "{message}")
            }
            other => panic!("expected an encoding error, got {other:?}"),
        }
        // with nothing to ask, an encodable name fails too, and says why
        match dns.a("example.com").await {
            Err(LookupError::Failed(message)) => {
                assert!(message.contains("no name server"), "{message}")
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    });
}

/// What a [`Responder`] sends back to every query.
#[derive(Clone, Copy)]
enum Reply {
    /// Nothing, ever.
    Silence,
    /// The question echoed with this RCODE and no records.
    Rcode(u8),
    /// The query's ID, then bytes that are no DNS message.
    Garbage,
    /// Three bytes: not even a header.
    Noise,
    /// An A record derived from the name ([`address_of`]), for queries
    /// answered in batches, last query first.
    Address,
    /// Forged responses with [`FORGED`] first: one with another ID, one
    /// for another name, one from another port; then the true answer,
    /// [`GENUINE`].
    Forged,
    /// A referral to the root, as a server that is no authority for the
    /// name and does not recurse may send: NOERROR, AA and RA clear, no
    /// answer, an NS record in the authority section.
    Referral,
}

/// The address in every forged response of [`Reply::Forged`].
const FORGED: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 66);
/// The address in the true response of [`Reply::Forged`].
const GENUINE: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

/// A UDP "server" on 127.0.0.1 in a thread; stopped and joined on drop.
struct Responder {
    addr: SocketAddr,
    queries: Arc<AtomicUsize>,
    /// The client ports queries came from.
    ports: Arc<std::sync::Mutex<std::collections::BTreeSet<u16>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Where a response of a [`Responder`] is sent from.
enum From {
    /// The server's address, where the query went.
    Server,
    /// Another port on the same host: an off-path forger.
    Decoy,
}

impl Responder {
    fn start(reply: Reply) -> Responder {
        let port = support::free_port();
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).expect("bind responder");
        let decoy = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind decoy");
        let addr = socket.local_addr().unwrap();
        let queries = Arc::new(AtomicUsize::new(0));
        let ports: Arc<std::sync::Mutex<std::collections::BTreeSet<u16>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (queries, ports, stop) = (queries.clone(), Arc::clone(&ports), stop.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while !stop.load(Ordering::Relaxed) {
                    // a batch: what arrives within a moment of the first query
                    let mut batch = Vec::new();
                    let mut wait = Duration::from_millis(20);
                    while batch.len() < 64 {
                        socket.set_read_timeout(Some(wait)).unwrap();
                        let Ok((len, peer)) = socket.recv_from(&mut buf) else {
                            break;
                        };
                        queries.fetch_add(1, Ordering::Relaxed);
                        batch.push((buf[..len].to_vec(), peer));
                        wait = Duration::from_millis(2);
                    }
                    for (query, peer) in batch.into_iter().rev() {
                        ports.lock().unwrap().insert(peer.port());
                        for (from, response) in respond(&query, reply) {
                            let sender = match from {
                                From::Server => &socket,
                                From::Decoy => &decoy,
                            };
                            let _ = sender.send_to(&response, peer);
                        }
                    }
                }
            })
        };
        Responder {
            addr,
            queries,
            ports,
            stop,
            thread: Some(thread),
        }
    }

    fn queries(&self) -> usize {
        self.queries.load(Ordering::Relaxed)
    }

    fn ports(&self) -> usize {
        self.ports.lock().unwrap().len()
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Where the question of `query` ends: after the name's root label,
/// QTYPE and QCLASS.
fn question_end(query: &[u8]) -> usize {
    let mut end = 12;
    while end < query.len() && query[end] != 0 {
        end += 1 + usize::from(query[end]);
    }
    (end + 5).min(query.len())
}

/// The responses to one query (RFC 1035 §4.1), none for silence.
fn respond(query: &[u8], reply: Reply) -> Vec<(From, Vec<u8>)> {
    if query.len() < 12 {
        return Vec::new();
    }
    match reply {
        Reply::Silence => Vec::new(),
        Reply::Noise => vec![(From::Server, vec![1, 2, 3])],
        Reply::Garbage => {
            let mut response = query[..2].to_vec();
            response.extend_from_slice(&[0x81, 0x80, 0xff, 0xff, 0xff]);
            vec![(From::Server, response)]
        }
        Reply::Rcode(rcode) => {
            let mut response = query[..2].to_vec();
            // QR, opcode QUERY, RD copied; RA; RCODE
            response.push(0x80 | (query[2] & 0x01));
            response.push(0x80 | (rcode & 0x0f));
            response.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
            response.extend_from_slice(&query[12..question_end(query)]);
            vec![(From::Server, response)]
        }
        Reply::Referral => {
            let mut response = query[..2].to_vec();
            // QR, opcode QUERY, RD copied; no AA, no RA; NOERROR; one
            // question, one authority record
            response.push(0x80 | (query[2] & 0x01));
            response.push(0x00);
            response.extend_from_slice(&[0, 1, 0, 0, 0, 1, 0, 0]);
            response.extend_from_slice(&query[12..question_end(query)]);
            // `. NS a.` : the root, NS, IN, TTL 60, three octets of data
            response.extend_from_slice(&[0, 0, 2, 0, 1, 0, 0, 0, 60, 0, 3, 1, b'a', 0]);
            vec![(From::Server, response)]
        }
        Reply::Address => {
            let name = &query[12..question_end(query)];
            vec![(From::Server, a_response(query, address_of(name)))]
        }
        Reply::Forged => {
            let mut other_id = a_response(query, FORGED);
            other_id[0] ^= 0x55;
            let mut other_name = query.to_vec();
            other_name[13] ^= 0x01;
            vec![
                (From::Server, other_id),
                (From::Server, a_response(&other_name, FORGED)),
                (From::Decoy, a_response(query, FORGED)),
                (From::Server, a_response(query, GENUINE)),
            ]
        }
    }
}

/// A response to `query` with one A record, `address`, at the question's name.
fn a_response(query: &[u8], address: Ipv4Addr) -> Vec<u8> {
    let mut response = query[..2].to_vec();
    // QR, opcode QUERY, RD copied; RA; NOERROR; one question, one answer
    response.push(0x80 | (query[2] & 0x01));
    response.push(0x80);
    response.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 0]);
    response.extend_from_slice(&query[12..question_end(query)]);
    // the owner a pointer to the question's name (RFC 1035 §4.1.4), A, IN, TTL 60
    response.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
    response.extend_from_slice(&address.octets());
    response
}

/// The address [`Reply::Address`] gives a name: its first label's digits
/// (`h1234` → 10.0.4.210), in two octets.
fn address_of(question: &[u8]) -> Ipv4Addr {
    let label = &question[1..=usize::from(question[0])];
    let digits: String = label
        .iter()
        .filter(|c| c.is_ascii_digit())
        .map(|&c| char::from(c))
        .collect();
    let [high, low] = digits.parse::<u16>().unwrap_or(0).to_be_bytes();
    Ipv4Addr::new(10, 0, high, low)
}

fn stray_and_forged_responses_are_ignored<L: Lookup>(open: Open<L>) {
    let server = Responder::start(Reply::Forged);
    let dns = open(&[server.addr], quick());
    run(async {
        for name in ["mail.example.com", "ns.example.net"] {
            assert_eq!(records(dns.a(name).await), [GENUINE], "{name}");
        }
    });
}

#[test]
fn stub_answers_many_concurrent_queries_over_few_sockets() {
    let server = Responder::start(Reply::Address);
    let dns = StubLookup::from_nameservers(&[server.addr], ResolverSettings::default());
    const QUERIES: u16 = 1000;
    run(async {
        let names: Vec<String> = (0..QUERIES).map(|i| format!("h{i}.example")).collect();
        let answers = join_all(names.iter().map(|name| dns.a(name))).await;
        for (i, answer) in (0..QUERIES).zip(answers) {
            let [high, low] = i.to_be_bytes();
            assert_eq!(records(answer), [Ipv4Addr::new(10, 0, high, low)], "h{i}");
        }
    });
    // a few sockets, bound once: not one per query
    assert!(server.ports() <= 16, "{} client ports", server.ports());
    assert!(server.queries() >= usize::from(QUERIES));
}

fn a_silent_server_is_a_timeout_within_the_configured_time<L: Lookup>(open: Open<L>) {
    let silent = Responder::start(Reply::Silence);
    let dns = open(&[silent.addr], quick());
    run(async {
        let started = Instant::now();
        assert_eq!(dns.txt("example.com").await, Err(LookupError::Timeout));
        let elapsed = started.elapsed();
        // two attempts of 300 ms
        assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    });
    assert!(silent.queries() >= 2, "asked {} times", silent.queries());
}

fn a_silent_server_beside_a_working_one_does_not_hide_it<L: Lookup>(open: Open<L>) {
    let silent = Responder::start(Reply::Silence);
    let zones = all_zones();
    let nsd = Nsd::start(&zones[..1]);
    let dns = open(&[silent.addr, nsd.addr()], quick());
    run(async {
        for round in 0..3 {
            let started = Instant::now();
            assert_eq!(
                records(dns.a("mail.example.com").await),
                [
                    Ipv4Addr::new(198, 51, 100, 10),
                    Ipv4Addr::new(198, 51, 100, 11)
                ]
            );
            // the silent server costs a timeout once, not on every query
            if round > 0 {
                assert!(started.elapsed() < quick().timeout, "round {round}");
            }
        }
    });
}

fn servfail_and_refused_are_failures_that_name_the_rcode<L: Lookup>(open: Open<L>) {
    for (rcode, mnemonic) in [(2, "SERVFAIL"), (5, "REFUSED")] {
        let server = Responder::start(Reply::Rcode(rcode));
        let dns = open(&[server.addr], quick());
        // REFUSED is a server that will not resolve the name, told apart
        // so that verify can say so.
        let kind = |error: &LookupError| match error {
            LookupError::Failed(message) if rcode == 2 => Some(message.clone()),
            LookupError::Refused(message) if rcode == 5 => Some(message.clone()),
            _ => None,
        };
        run(async {
            let started = Instant::now();
            match dns.mx("example.com").await {
                Err(error) if kind(&error).is_some() => {
                    let message = kind(&error).unwrap();
                    assert!(message.contains(mnemonic), "{message}");
                    assert!(message.contains("`example.com` MX"), "{message}");
                }
                other => panic!("{mnemonic}: expected a failure, got {other:?}"),
            }
            assert!(started.elapsed() < Duration::from_secs(3));
            assert!(
                matches!(dns.ptr(ip("198.51.100.10")).await, Err(error) if kind(&error).is_some()),
                "{mnemonic} for PTR"
            );
        });
        assert!(server.queries() >= 1);
    }
}

/// A referral says nothing about the name: the stub does not read it as
/// "no data" (which would fail an SPF include that exists), but as a
/// server that does not resolve names outside its zones.
#[test]
fn stub_reads_a_referral_without_recursion_as_a_refusal() {
    let server = Responder::start(Reply::Referral);
    let dns = StubLookup::from_nameservers(&[server.addr], quick());
    run(async {
        match dns.txt("_spf.example.com").await {
            Err(LookupError::Refused(message)) => {
                assert!(message.contains("referral"), "{message}");
                assert!(message.contains("`_spf.example.com` TXT"), "{message}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    });
}

fn an_error_response_does_not_hide_a_good_server<L: Lookup>(open: Open<L>) {
    let zones = all_zones();
    let nsd = Nsd::start(&zones[..1]);
    let servfail = Responder::start(Reply::Rcode(2));
    let refused = Responder::start(Reply::Rcode(5));
    let expected = [
        Ipv4Addr::new(198, 51, 100, 10),
        Ipv4Addr::new(198, 51, 100, 11),
    ];
    // the responders answer first: hickory alone would return their rcode;
    // a stub asks the servers in order, so it meets the SERVFAIL first
    for servers in [[servfail.addr, nsd.addr()], [nsd.addr(), refused.addr]] {
        let dns = open(&servers, quick());
        run(async {
            for _ in 0..5 {
                assert_eq!(records(dns.a("mail.example.com").await), expected);
                assert_eq!(dns.a("nope.example.com").await, Ok(Answer::NxDomain));
            }
        });
    }
    assert!(servfail.queries() >= 1);
    // when every server fails, the error stands
    let dns = open(&[servfail.addr, refused.addr], quick());
    run(async {
        assert!(matches!(
            dns.a("mail.example.com").await,
            Err(LookupError::Failed(message) | LookupError::Refused(message))
                if message.contains("SERVFAIL") || message.contains("REFUSED")
        ));
    });
    assert!(refused.queries() >= 1);
}

fn a_malformed_response_is_never_records<L: Lookup>(open: Open<L>) {
    // with the query's ID it is taken for the answer and fails to decode;
    // without a header it is ignored like a stray packet, until the timeout
    for (reply, decodes) in [(Reply::Garbage, true), (Reply::Noise, false)] {
        let server = Responder::start(reply);
        let dns = open(&[server.addr], quick());
        run(async {
            let started = Instant::now();
            let result = dns.a("example.com").await;
            match &result {
                Err(LookupError::Failed(message)) if decodes => {
                    assert!(message.contains("malformed answer"), "{message}")
                }
                Err(LookupError::Timeout) if !decodes => {}
                other => panic!("expected a failure or timeout, got {other:?}"),
            }
            assert!(started.elapsed() < Duration::from_secs(3), "{result:?}");
        });
        assert!(server.queries() >= 1);
    }
}
