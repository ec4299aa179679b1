//! Live DNS through hickory-resolver.
//!
//! [`HickoryLookup`] answers [`Lookup`] queries from real name servers: the
//! system's (`/etc/resolv.conf`) or a given list. It is a stub resolver
//! without a cache worth the name (every check sees fresh data), without
//! search domains (every name is fully qualified), without `/etc/hosts` and
//! without DNSSEC validation.
//!
//! Results keep apart what RFC 7208 §5 and §2.6 keep apart: records, NOERROR
//! with no data, NXDOMAIN (RFC 8020), and no answer at all (timeout,
//! SERVFAIL, REFUSED, a malformed or truncated response), which becomes a
//! [`LookupError`]. CNAME chains are followed (RFC 1034 §3.6.2), also into
//! RFC 2317 classless reverse zones when the server answers only the CNAME.
//!
//! hickory runs its connections as background tasks on the runtime of the
//! query that opened them, and must reconnect when a later query runs on
//! another runtime: create and use one `HickoryLookup` inside one tokio
//! runtime (a current-thread runtime with `enable_all()` is enough).
//! Names in the RFC 6761 special-use zones are answered by hickory without a
//! query: `localhost.` and the loopback reverse names resolve to loopback,
//! `invalid.` is NXDOMAIN.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::lookup::Lookup as HickoryAnswer;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::rdata::CNAME;
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};

use super::lookup::{Answer, Lookup, LookupError, LookupResult};
use super::rdata::record_data;
use super::record::RecordData;
pub use super::settings::ResolverSettings;
use super::wire::{display_name, encode_name, rcode_name};

/// CNAME hops hickory 0.26 follows for certain: it sends at most eight
/// queries per lookup, each of which moves at least one hop.
const FOLLOWED_CNAME_HOPS: usize = 7;

/// The system resolver configuration could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the system resolver configuration (`/etc/resolv.conf`)")]
pub struct ResolverSetupError {
    #[source]
    source: NetError,
}

/// The system resolver configuration (`/etc/resolv.conf`).
fn read_system_conf() -> Result<(ResolverConfig, ResolverOpts), ResolverSetupError> {
    hickory_resolver::system_conf::read_system_conf()
        .map_err(|source| ResolverSetupError { source })
}

/// The addresses of the `nameserver` lines of the system configuration,
/// on port 53 (`resolv.conf` has no port): what [`HickoryLookup::system`]
/// asks, and what the public-resolver warning of `dnsbl` looks at.
pub fn system_servers() -> Result<Vec<SocketAddr>, ResolverSetupError> {
    let (config, _) = read_system_conf()?;
    Ok(config
        .name_servers()
        .iter()
        .map(|server| SocketAddr::new(server.ip, 53))
        .collect())
}

/// Answers [`Lookup`] queries from live name servers through hickory-resolver.
///
/// Built with [`HickoryLookup::system`] for the servers of
/// `/etc/resolv.conf`, or [`HickoryLookup::with_nameservers`] for given
/// servers (tests, `--server`). Queries go over UDP and are repeated over
/// TCP when the answer comes back truncated (RFC 7766 §5).
///
/// With several servers, hickory asks two at a time and returns the first
/// response; an error response (SERVFAIL, REFUSED) from a quick broken
/// server would then hide a good answer from another one. So after an
/// error response each server is asked on its own, in the order given, and
/// the first answer that is no error wins.
#[derive(Clone)]
pub struct HickoryLookup {
    /// Every server, in one hickory pool.
    pool: TokioResolver,
    /// One resolver per server, when there is more than one server.
    singles: Vec<TokioResolver>,
}

impl fmt::Debug for HickoryLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HickoryLookup").finish_non_exhaustive()
    }
}

impl HickoryLookup {
    /// Asks the name servers of the system configuration, with default settings.
    ///
    /// Only the `nameserver` lines are taken: search domains, `ndots` and
    /// the system's timeouts are not (see [`HickoryLookup::from_system`]).
    pub fn system() -> Result<Self, ResolverSetupError> {
        Self::from_system(ResolverSettings::default())
    }

    /// Asks the name servers of the system configuration, with `settings`.
    pub fn from_system(settings: ResolverSettings) -> Result<Self, ResolverSetupError> {
        let (config, _) = read_system_conf()?;
        let (_, _, servers) = config.into_parts();
        Ok(Self::build(servers, settings))
    }

    /// Asks the given servers (UDP, TCP on truncation), with default settings.
    pub fn with_nameservers(servers: &[SocketAddr]) -> Self {
        Self::from_nameservers(servers, ResolverSettings::default())
    }

    /// Asks the given servers (UDP, TCP on truncation), with `settings`.
    ///
    /// Each server is one candidate of the pool: hickory asks two at a time
    /// and moves on to another one when a server does not answer; after an
    /// error response every server is asked (see [`HickoryLookup`]). With
    /// no server at all every lookup fails.
    pub fn from_nameservers(servers: &[SocketAddr], settings: ResolverSettings) -> Self {
        let servers = servers
            .iter()
            .map(|addr| {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
            })
            .collect();
        Self::build(servers, settings)
    }

    fn build(servers: Vec<NameServerConfig>, settings: ResolverSettings) -> Self {
        let singles = if servers.len() > 1 {
            servers
                .iter()
                .map(|server| resolver(vec![server.clone()], settings))
                .collect()
        } else {
            Vec::new()
        };
        HickoryLookup {
            pool: resolver(servers, settings),
            singles,
        }
    }

    /// One hickory lookup, asking each server alone after an error response.
    ///
    /// A single server's failure (error response, timeout, garbage) is
    /// passed over; when no server gives an answer, the pool's error stands.
    async fn ask(&self, name: &Name, rtype: RecordType) -> Result<HickoryAnswer, NetError> {
        let pooled = self.pool.lookup(name.clone(), rtype).await;
        if !matches!(pooled, Err(NetError::Dns(DnsError::ResponseCode(_)))) {
            return pooled;
        }
        for single in &self.singles {
            match single.lookup(name.clone(), rtype).await {
                Ok(answer) => return Ok(answer),
                Err(error) if no_records(&error).is_some() => return Err(error),
                Err(_) => {}
            }
        }
        pooled
    }

    /// Asks for `rtype` at `name` and keeps the records of that type on the CNAME chain.
    async fn follow(&self, name: Name, rtype: RecordType) -> LookupResult<RecordData> {
        let shown = display_name(&name);
        match self.ask(&name, rtype).await {
            Ok(answer) => {
                let records = chained_records(&name, rtype, &answer);
                if records.is_empty() {
                    // hickory hands back answers that hold only CNAMEs when
                    // the chain ends without the type: that is no data.
                    self.confirm_no_data(name, rtype).await
                } else {
                    Ok(Answer::Records(records.into()))
                }
            }
            Err(error) => match no_records(&error) {
                Some(ResponseCode::NXDomain) => Ok(Answer::NxDomain),
                Some(ResponseCode::NoError) if has_soa(&error) => Ok(Answer::NoData),
                Some(ResponseCode::NoError) => self.confirm_no_data(name, rtype).await,
                _ => Err(describe(&shown, rtype, &error)),
            },
        }
    }

    /// Tells a real NOERROR/no-data from a CNAME chain hickory gave up on.
    ///
    /// hickory 0.26 reports a CNAME loop, or a chain longer than it
    /// follows, as NOERROR without records (BIND itself answers an
    /// in-zone loop with SERVFAIL; NSD hands the loop out). A genuine negative answer
    /// carries the zone's SOA (RFC 2308 §2.2); when it does not, the chain
    /// is walked here with CNAME queries, which hickory does not chase.
    async fn confirm_no_data(&self, name: Name, rtype: RecordType) -> LookupResult<RecordData> {
        let start = display_name(&name);
        let mut seen = HashSet::from([name.to_lowercase()]);
        let mut current = name;
        for _ in 0..=FOLLOWED_CNAME_HOPS {
            let target = match self.ask(&current, RecordType::CNAME).await {
                Ok(answer) => answer
                    .answers()
                    .iter()
                    .find_map(|record| match &record.data {
                        RData::CNAME(CNAME(target)) if record.name == current => {
                            Some(target.clone())
                        }
                        _ => None,
                    }),
                Err(error) if no_records(&error).is_some() => None,
                Err(error) => {
                    return Err(describe(&display_name(&current), RecordType::CNAME, &error));
                }
            };
            let Some(target) = target else {
                return Ok(Answer::NoData);
            };
            if !seen.insert(target.to_lowercase()) {
                return Err(LookupError::Failed(format!(
                    "`{start}` {rtype}: CNAME loop at `{}`",
                    display_name(&target)
                )));
            }
            current = target;
        }
        Err(LookupError::Failed(format!(
            "`{start}` {rtype}: CNAME chain longer than {FOLLOWED_CNAME_HOPS} hops"
        )))
    }

    /// The CNAME at `name` itself, not followed.
    async fn alias(&self, name: Name) -> LookupResult<RecordData> {
        match self.ask(&name, RecordType::CNAME).await {
            Ok(answer) => {
                let targets: Vec<RecordData> = answer
                    .answers()
                    .iter()
                    .filter(|record| {
                        record.record_type() == RecordType::CNAME && record.name == name
                    })
                    .map(|record| record_data(&record.data))
                    .collect();
                Ok(if targets.is_empty() {
                    Answer::NoData
                } else {
                    Answer::Records(targets.into())
                })
            }
            Err(error) => match no_records(&error) {
                Some(ResponseCode::NXDomain) => Ok(Answer::NxDomain),
                Some(ResponseCode::NoError) => Ok(Answer::NoData),
                _ => Err(describe(&display_name(&name), RecordType::CNAME, &error)),
            },
        }
    }
}

impl Lookup for HickoryLookup {
    async fn query(&self, name: &str, rtype: RecordType) -> LookupResult<RecordData> {
        let name = encode_name(name).map_err(LookupError::Failed)?;
        match rtype {
            RecordType::CNAME => self.alias(name).await,
            _ => self.follow(name, rtype).await,
        }
    }
}

/// A hickory resolver on `servers`: no cache, no hosts file, no search list.
fn resolver(servers: Vec<NameServerConfig>, settings: ResolverSettings) -> TokioResolver {
    let config = ResolverConfig::from_parts(None, Vec::new(), servers);
    let mut options = ResolverOpts::default();
    options.timeout = settings.timeout;
    options.attempts = settings.attempts;
    // Each check must see the zone as it is now: no cache, and should
    // an entry slip in, it expires at once.
    options.cache_size = 0;
    options.positive_max_ttl = Some(Duration::ZERO);
    options.negative_max_ttl = Some(Duration::ZERO);
    options.use_hosts_file = ResolveHosts::Never;
    options.ndots = 0;
    // CNAMEs stay in the answer, so that records can be matched to the chain.
    options.preserve_intermediates = true;
    TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
        .with_options(options)
        .build()
        .expect("hickory builds a resolver without TLS or DNSSEC infallibly")
}

/// The data of the records of type `rtype` on the CNAME chain from `name`.
///
/// hickory returns the answer section as the server sent it, CNAMEs and
/// all: only records owned by the queried name or by a CNAME target count.
fn chained_records(name: &Name, rtype: RecordType, answer: &HickoryAnswer) -> Vec<RecordData> {
    let mut owners = vec![name.clone()];
    for _ in 0..answer.answers().len() {
        let next = answer
            .answers()
            .iter()
            .find_map(|record| match &record.data {
                RData::CNAME(CNAME(target))
                    if owners.contains(&record.name) && !owners.contains(target) =>
                {
                    Some(target.clone())
                }
                _ => None,
            });
        match next {
            Some(target) => owners.push(target),
            None => break,
        }
    }
    answer
        .answers()
        .iter()
        .filter(|record: &&Record| record.record_type() == rtype && owners.contains(&record.name))
        .map(|record| record_data(&record.data))
        .collect()
}

/// The response code of a negative answer (NXDOMAIN or no data), if `error` is one.
fn no_records(error: &NetError) -> Option<ResponseCode> {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(NoRecords { response_code, .. })) => {
            Some(*response_code)
        }
        _ => None,
    }
}

/// True when a negative answer carried the zone's SOA.
fn has_soa(error: &NetError) -> bool {
    matches!(
        error,
        NetError::Dns(DnsError::NoRecordsFound(NoRecords { soa: Some(_), .. }))
    )
}

/// Maps a hickory error that is no negative answer onto a [`LookupError`].
fn describe(name: &str, rtype: RecordType, error: &NetError) -> LookupError {
    let cause = match error {
        NetError::Timeout => return LookupError::Timeout,
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => {
            return LookupError::Refused(format!("`{name}` {rtype}: server answered REFUSED"));
        }
        NetError::Dns(DnsError::ResponseCode(code)) => {
            format!("server answered {}", rcode_name(*code))
        }
        NetError::Dns(DnsError::NoRecordsFound(NoRecords { response_code, .. })) => {
            format!(
                "server answered {} without records",
                rcode_name(*response_code)
            )
        }
        NetError::Proto(error) => format!("malformed answer: {error}"),
        NetError::Truncated => "answer truncated over TCP too".to_owned(),
        NetError::NoConnections => "no name server to ask".to_owned(),
        NetError::Io(error) => format!("network error: {error}"),
        NetError::ForeignClassRecord { .. } => format!("answer rejected: {error}"),
        other => format!("lookup failed: {other}"),
    };
    LookupError::Failed(format!("`{name}` {rtype}: {cause}"))
}
