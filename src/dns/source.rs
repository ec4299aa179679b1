//! The DNS a command reads: zone files in memory for the names of their
//! zones, servers over the network for the rest. One type so that every
//! check runs unchanged against either.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::pin::pin;

use hickory_proto::rr::RecordType;
use tokio::time::Instant;

use super::lookup::{Answer, Lookup, LookupError, LookupResult};
use super::memory::MAX_CNAME_CHAIN;
use super::record::RecordData;
use super::resolver::{self, HickoryLookup};
use super::stub::StubLookup;
use super::zonefile::{self, ZoneFileError, ZoneFiles};
use crate::names::normal_form;

/// Where answers come from: zone files for the names of their zones, the
/// network (or, offline, nothing) for every other name.
///
/// A pre-publish check (`--zone-file`) reads the zones about to be
/// published from files, while the names of other operators (a third
/// party's SPF include, a reverse zone run by the ISP) are asked of
/// `--nameserver` or the system resolver; with `--offline` they are not
/// asked at all and their checks are "not checkable offline"
/// ([`LookupError::Offline`]).
pub struct DnsSource {
    /// `--zone-file`, when given.
    files: Option<ZoneFiles>,
    /// Everything the files do not hold.
    network: Network,
    /// What the network did with the queries sent to it.
    usage: Usage,
}

/// The network side of a [`DnsSource`].
enum Network {
    /// `--offline`: no query leaves the machine.
    Offline,
    /// The system resolver configuration, through hickory-resolver.
    Resolver(Box<HickoryLookup>),
    /// Named servers (`--nameserver`), through our multiplexing stub
    /// client: thousands of queries a run, where hickory's socket per
    /// query was the bottleneck (scripts/bench-verify).
    Servers(Box<StubLookup>),
}

/// What the network did with the queries of a run, counted as they end.
#[derive(Debug, Default)]
struct Usage {
    /// Queries sent.
    asked: Cell<usize>,
    /// Queries that did not time out (the system resolver only: the stub
    /// counts the responses it receives itself).
    answered: Cell<usize>,
    /// Queries the servers would not resolve.
    refused: Cell<usize>,
    /// The first [`REFUSED_SHOWN`] names refused, as asked.
    refused_names: RefCell<Vec<String>>,
}

/// Names refused that a message shows.
const REFUSED_SHOWN: usize = 3;

/// How the network fared in a run: how many queries went out, whether
/// any came back, and what the servers refused to resolve.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkUse {
    /// The servers asked, for messages: `127.0.0.1:5353`, or `the system
    /// resolver (10.0.0.53)`.
    pub servers: String,
    /// Queries sent.
    pub asked: usize,
    /// Responses received from the servers (of any kind, SERVFAIL
    /// included); for the system resolver, queries that did not time out.
    pub answered: usize,
    /// Queries the servers would not resolve: REFUSED, or a referral
    /// without recursion (see [`LookupError::Refused`]).
    pub refused: usize,
    /// The first names refused, lower case.
    pub refused_names: Vec<String>,
}

impl NetworkUse {
    /// True when queries went out and not one response came back: the
    /// servers are down, unreachable or drop every query.
    pub fn silent(&self) -> bool {
        self.asked > 0 && self.answered == 0
    }
}

/// Why a [`DnsSource`] could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A zone file could not be read.
    #[error(transparent)]
    ZoneFile(#[from] ZoneFileError),
    /// The system resolver configuration could not be read.
    #[error(
        "cannot use the system resolver: {0}; give `--nameserver IP` instead (or `--offline` with `--zone-file`)"
    )]
    System(String),
}

impl DnsSource {
    /// The zone files, when given, for the names of their zones; the
    /// named servers, else the system resolver, for every other name;
    /// with `offline`, no network at all.
    pub fn open(
        nameservers: &[SocketAddr],
        zone_files: &[PathBuf],
        offline: bool,
    ) -> Result<Self, SourceError> {
        let files = match zone_files.is_empty() {
            true => None,
            false => Some(zonefile::load(zone_files)?),
        };
        let network = if offline {
            Network::Offline
        } else if nameservers.is_empty() {
            HickoryLookup::system()
                .map(|resolver| Network::Resolver(Box::new(resolver)))
                .map_err(|err| SourceError::System(err.to_string()))?
        } else {
            Network::Servers(Box::new(StubLookup::with_nameservers(nameservers)))
        };
        Ok(DnsSource {
            files,
            network,
            usage: Usage::default(),
        })
    }

    /// True when a zone file holds `name`'s zone: the files answer it.
    pub fn in_zone_files(&self, name: &str) -> bool {
        self.files.as_ref().is_some_and(|files| files.holds(name))
    }

    /// What the network did with the queries of the run so far.
    pub fn network_use(&self) -> NetworkUse {
        let usage = &self.usage;
        let (servers, answered) = match &self.network {
            Network::Offline => (String::new(), 0),
            Network::Resolver(_) => {
                let system: Vec<String> =
                    system_nameservers().iter().map(IpAddr::to_string).collect();
                (
                    format!("the system resolver ({})", system.join(", ")),
                    usage.answered.get(),
                )
            }
            Network::Servers(stub) => {
                let servers: Vec<String> =
                    stub.servers().iter().map(SocketAddr::to_string).collect();
                (servers.join(", "), stub.responses())
            }
        };
        NetworkUse {
            servers,
            asked: usage.asked.get(),
            answered,
            refused: usage.refused.get(),
            refused_names: usage.refused_names.borrow().clone(),
        }
    }
}

/// The name servers of the system configuration (`/etc/resolv.conf`);
/// empty when it cannot be read.
pub fn system_nameservers() -> Vec<IpAddr> {
    resolver::system_servers()
        .map(|servers| servers.iter().map(SocketAddr::ip).collect())
        .unwrap_or_default()
}

/// `IP`, `IP:PORT` or `[IPv6]:PORT`; the port defaults to 53, and port 0
/// (no server listens there) is refused.
pub fn parse_nameserver(text: &str) -> Option<SocketAddr> {
    let server = match text.parse::<IpAddr>() {
        Ok(ip) => SocketAddr::new(ip, 53),
        Err(_) => text.parse::<SocketAddr>().ok()?,
    };
    (server.port() != 0).then_some(server)
}

impl Lookup for DnsSource {
    // Not async: the future is `answer`'s, without one more layer to poll.
    fn query(
        &self,
        name: &str,
        rtype: RecordType,
    ) -> impl Future<Output = LookupResult<RecordData>> {
        self.answer(name, rtype, None)
    }

    /// Zone files answer at once, with no timer; the stub client keeps the
    /// deadline with the timers it has (see [`StubLookup`]).
    fn query_by(
        &self,
        name: &str,
        rtype: RecordType,
        deadline: Instant,
    ) -> impl Future<Output = LookupResult<RecordData>> {
        self.answer(name, rtype, Some(deadline))
    }
}

impl DnsSource {
    /// The files' answer for the names of their zones, the network's for
    /// the rest; by `deadline`, when given. The network's answers are
    /// counted as they come back.
    ///
    /// One future around the network's: each layer would hold the
    /// arguments again and move the network's future into its own.
    #[expect(
        clippy::manual_async_fn,
        reason = "an `async fn` keeps its arguments twice (rust-lang/rust#62958)"
    )]
    fn answer(
        &self,
        name: &str,
        rtype: RecordType,
        deadline: Option<Instant>,
    ) -> impl Future<Output = LookupResult<RecordData>> {
        async move {
            let asked = match self.files.as_ref().filter(|files| files.holds(name)) {
                None => Cow::Borrowed(name),
                Some(files) => match files_answer(files, name, rtype) {
                    Ok(answer) => return answer,
                    Err(outside) => Cow::Owned(outside),
                },
            };
            let usage = &self.usage;
            let result = match &self.network {
                Network::Offline => {
                    return Err(LookupError::Offline(normal_form(&asked).into_owned()));
                }
                // Boxed: hickory's query state is large, and unboxed it
                // would be part of every query's future, whichever source
                // answers.
                Network::Resolver(resolver) => {
                    usage.asked.set(usage.asked.get() + 1);
                    let result = match deadline {
                        Some(deadline) => {
                            Box::pin(resolver.query_by(&asked, rtype, deadline)).await
                        }
                        None => Box::pin(resolver.query(&asked, rtype)).await,
                    };
                    if !matches!(result, Err(LookupError::Timeout)) {
                        usage.answered.set(usage.answered.get() + 1);
                    }
                    result
                }
                Network::Servers(stub) => {
                    usage.asked.set(usage.asked.get() + 1);
                    // Pinned in place and awaited by reference: awaited by
                    // value, its state (over 500 octets) was copied twice
                    // on the way into ours.
                    let lookup = pin!(stub.lookup(&asked, rtype, deadline));
                    lookup.await
                }
            };
            if let Err(LookupError::Refused(_)) = result {
                usage.refused.set(usage.refused.get() + 1);
                let mut names = usage.refused_names.borrow_mut();
                if names.len() < REFUSED_SHOWN {
                    names.push(normal_form(&asked).into_owned());
                }
            }
            result
        }
    }
}

/// The answer of `files`, which hold `name`'s zone; or, when a CNAME chain
/// of theirs leaves their zones, the target outside, whose answer is the
/// network's (RFC 1034 §3.6.2).
fn files_answer(
    files: &ZoneFiles,
    name: &str,
    rtype: RecordType,
) -> Result<LookupResult<RecordData>, String> {
    let answer = files.zone.answer(name, rtype);
    if rtype == RecordType::CNAME || !matches!(answer, Ok(Answer::NoData | Answer::NxDomain)) {
        return Ok(answer);
    }
    let mut owner = Cow::Borrowed(name);
    for _ in 0..MAX_CNAME_CHAIN {
        let Ok(Answer::Records(targets)) = files.zone.answer(&owner, RecordType::CNAME) else {
            break;
        };
        let Some(RecordData::Cname(target)) = targets.first() else {
            break;
        };
        if !files.holds(target) {
            return Err(target.clone());
        }
        owner = Cow::Owned(target.clone());
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_files_answer_their_zones_and_offline_names_what_is_outside() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("example.com.zone");
        std::fs::write(
            &file,
            "$TTL 300\n$ORIGIN example.com.\n@ SOA ns1.example.net. h.example.net. 1 2 3 4 5\n\
             @ TXT \"v=spf1 include:_spf.provider.test -all\"\n\
             spf CNAME _spf.provider.test.\n",
        )
        .unwrap();
        let source = DnsSource::open(&[], &[file], true).unwrap();
        let offline = || Err(LookupError::Offline("_spf.provider.test".to_owned()));
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(async {
                assert_eq!(source.txt("example.com").await.unwrap().records().len(), 1);
                assert_eq!(
                    source.txt("nothing.example.com").await,
                    Ok(Answer::NxDomain)
                );
                assert_eq!(source.txt("_SPF.provider.test.").await, offline());
                // A CNAME of the files that leaves their zones goes on
                // outside; the CNAME itself is theirs.
                assert_eq!(source.txt("spf.example.com").await, offline());
                assert_eq!(
                    source.cname("spf.example.com").await.unwrap().records(),
                    ["_spf.provider.test"]
                );
            });
        assert!(source.in_zone_files("spf.example.com"));
        assert!(!source.in_zone_files("example.net"));
        assert_eq!(source.network_use().asked, 0);
    }

    #[test]
    fn parses_nameserver_forms() {
        assert_eq!(
            parse_nameserver("192.0.2.53"),
            Some("192.0.2.53:53".parse().unwrap())
        );
        assert_eq!(
            parse_nameserver("127.0.0.1:5353"),
            Some("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(parse_nameserver("::1"), Some("[::1]:53".parse().unwrap()));
        assert_eq!(
            parse_nameserver("[::1]:5353"),
            Some("[::1]:5353".parse().unwrap())
        );
        assert_eq!(parse_nameserver("ns1.example.com"), None);
        assert_eq!(parse_nameserver("127.0.0.1:99999"), None);
        assert_eq!(parse_nameserver("127.0.0.1:0"), None);
        assert_eq!(parse_nameserver("[::1]:0"), None);
    }
}
