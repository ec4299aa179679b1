//! The DNS a command reads: zone files in memory, or servers over the
//! network. One type so that every check runs unchanged against either.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use hickory_proto::rr::RecordType;

use super::lookup::{Lookup, LookupResult};
use super::memory::MemoryZone;
use super::record::RecordData;
use super::resolver::{self, HickoryLookup};
use super::stub::StubLookup;
use super::zonefile::{self, ZoneFileError};

/// Where answers come from.
pub enum DnsSource {
    /// RFC 1035 zone files loaded in memory (`--zone-file`).
    Zones(MemoryZone),
    /// The system resolver configuration, through hickory-resolver.
    Resolver(Box<HickoryLookup>),
    /// Named servers (`--nameserver`), through our multiplexing stub
    /// client: thousands of queries a run, where hickory's socket per
    /// query was the bottleneck (scripts/bench-verify).
    Servers(Box<StubLookup>),
}

/// Why a [`DnsSource`] could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A zone file could not be read.
    #[error(transparent)]
    ZoneFile(#[from] ZoneFileError),
    /// The system resolver configuration could not be read.
    #[error("cannot use the system resolver: {0}; give `--nameserver IP` instead")]
    System(String),
}

impl DnsSource {
    /// Zone files when given, else the named servers, else the system resolver.
    pub fn open(nameservers: &[SocketAddr], zone_files: &[PathBuf]) -> Result<Self, SourceError> {
        if !zone_files.is_empty() {
            return Ok(DnsSource::Zones(zonefile::load(zone_files)?));
        }
        if nameservers.is_empty() {
            return HickoryLookup::system()
                .map(|resolver| DnsSource::Resolver(Box::new(resolver)))
                .map_err(|err| SourceError::System(err.to_string()));
        }
        Ok(DnsSource::Servers(Box::new(StubLookup::with_nameservers(
            nameservers,
        ))))
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
    async fn query(&self, name: &str, rtype: RecordType) -> LookupResult<RecordData> {
        match self {
            DnsSource::Zones(zone) => zone.query(name, rtype).await,
            // Boxed: hickory's query state is large, and unboxed it would
            // be part of every query's future, whichever source answers.
            DnsSource::Resolver(resolver) => Box::pin(resolver.query(name, rtype)).await,
            DnsSource::Servers(stub) => stub.query(name, rtype).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
