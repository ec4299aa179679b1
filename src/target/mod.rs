//! Where `plan` reads zones from and `apply` writes them to: RFC 2136
//! servers (BIND, Knot, PowerDNS's dnsupdate) with TSIG, the PowerDNS
//! HTTP API, or any authoritative server for reading only.
//!
//! Readers turn a server's zone into a [`LiveZone`] for
//! [`crate::sync::diff`]; writers apply one zone's
//! [`RrsetChange`](crate::sync::RrsetChange)s as one atomic change where
//! the protocol allows it (see [`rfc2136`] for zones too large for one
//! UPDATE message). Every network step has a deadline.

pub mod powerdns;
pub mod rfc2136;
pub mod tsig_key;
pub mod wire;

use std::fmt;
use std::time::Duration;

use crate::exit;
use crate::names::DomainName;
use crate::sync::LiveZone;

pub use tsig_key::{KeyFileError, LoadedKey, TsigKey};

/// A server given as `HOST[:PORT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// A name or an address (IPv6 without brackets).
    pub host: String,
    /// The port.
    pub port: u16,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// A `--target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `rfc2136://HOST[:PORT]`: read by AXFR or queries, write by RFC 2136
    /// UPDATE signed with TSIG.
    Rfc2136(Endpoint),
    /// `powerdns+http://HOST:PORT[/SERVER_ID]`: the PowerDNS HTTP API.
    PowerDns {
        /// The API's address.
        endpoint: Endpoint,
        /// The server id in API paths (`localhost` by default).
        server_id: String,
    },
    /// `dns://HOST[:PORT]`: read from any authoritative server; no writes.
    Dns(Endpoint),
}

/// The forms `--target` accepts, for messages.
pub const TARGET_FORMS: &str =
    "rfc2136://HOST[:PORT], powerdns+http://HOST:PORT[/SERVER_ID] or dns://HOST[:PORT]";

impl Target {
    /// Parses a `--target` value.
    pub fn parse(text: &str) -> Result<Target, Error> {
        let bad = |why: &str| Error::BadTarget {
            target: text.to_owned(),
            why: why.to_owned(),
        };
        let (scheme, rest) = text.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let (authority, path) = match rest.split_once('/') {
            Some((authority, path)) => (authority, Some(path)),
            None => (rest, None),
        };
        let default_port = match scheme.to_ascii_lowercase().as_str() {
            "rfc2136" | "dns" => Some(53),
            "powerdns+http" => None,
            _ => return Err(bad("unknown scheme")),
        };
        let endpoint = endpoint(authority, default_port).map_err(|why| bad(&why))?;
        match scheme.to_ascii_lowercase().as_str() {
            "powerdns+http" => {
                let server_id = match path {
                    None | Some("") => "localhost".to_owned(),
                    Some(id)
                        if id
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) =>
                    {
                        id.to_owned()
                    }
                    Some(_) => {
                        return Err(bad(
                            "a server id holds letters, digits, `-`, `_` and `.` only",
                        ));
                    }
                };
                Ok(Target::PowerDns {
                    endpoint,
                    server_id,
                })
            }
            scheme => {
                if path.is_some_and(|p| !p.is_empty()) {
                    return Err(bad("no path is accepted after HOST[:PORT]"));
                }
                Ok(if scheme == "dns" {
                    Target::Dns(endpoint)
                } else {
                    Target::Rfc2136(endpoint)
                })
            }
        }
    }

    /// True when `apply` can write to the target.
    pub fn writable(&self) -> bool {
        !matches!(self, Target::Dns(_))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Rfc2136(endpoint) => write!(f, "rfc2136://{endpoint}"),
            Target::Dns(endpoint) => write!(f, "dns://{endpoint}"),
            Target::PowerDns {
                endpoint,
                server_id,
            } => write!(f, "powerdns+http://{endpoint}/{server_id}"),
        }
    }
}

/// `HOST`, `HOST:PORT` or `[IPv6]:PORT`; the port is required when
/// `default_port` is `None`.
fn endpoint(authority: &str, default_port: Option<u16>) -> Result<Endpoint, String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or("an IPv6 address in `[` needs its `]`")?;
        (host, after.strip_prefix(':'))
    } else if authority.matches(':').count() > 1 {
        (authority, None)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty()
        || host
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b"@/?#[]".contains(&b))
    {
        return Err("no valid host".to_owned());
    }
    let port = match (port, default_port) {
        (Some(port), _) => port
            .parse::<u16>()
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| format!("invalid port `{port}`"))?,
        (None, Some(port)) => port,
        (None, None) => return Err("the port is required".to_owned()),
    };
    Ok(Endpoint {
        host: host.to_owned(),
        port,
    })
}

/// What reading one zone found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneRead {
    /// The target serves the zone; here is what it holds.
    Served(LiveZone),
    /// The target does not serve the zone; why (e.g. `REFUSED`).
    NotServed(String),
}

/// What applying one zone's change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Applied {
    /// Write requests sent: UPDATE messages, or PATCH requests.
    pub requests: usize,
}

/// Options of `apply` that tests and benchmarks change.
pub struct ApplyOptions<'a> {
    /// Largest UPDATE message to build, in octets (RFC 1035 §4.2.2 allows
    /// 65,535 over TCP).
    pub max_message_octets: usize,
    /// Called before each write request with its number (from 1) in the
    /// zone's sequence, before PowerDNS's re-read; tests hold the write
    /// there to change the zone underneath.
    pub before_write: &'a mut dyn FnMut(usize),
}

/// The deadline shared by every network step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long one network exchange (connect, request, response) may take.
    pub timeout: Duration,
}

/// Why a target could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `--target` value is not one of the accepted forms.
    #[error("invalid `--target` value `{target}`: {why}; accepted: {TARGET_FORMS}")]
    BadTarget {
        /// The value.
        target: String,
        /// What is wrong.
        why: String,
    },
    /// The TSIG key file cannot be used.
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    /// The server could not be reached or answered garbage.
    #[error("{server}: {message}")]
    Server {
        /// The server, `HOST:PORT`.
        server: String,
        /// What happened.
        message: String,
    },
    /// No answer within the deadline.
    #[error("{server}: no answer within {} s to {what}", timeout.as_secs())]
    Timeout {
        /// The server.
        server: String,
        /// What was being done, e.g. the AXFR of a zone.
        what: String,
        /// The deadline.
        timeout: Duration,
    },
    /// A zone the plan needs is not on the target.
    #[error("zone `{zone}.` is not served by {server}: {detail}")]
    ZoneMissing {
        /// The zone.
        zone: DomainName,
        /// The server.
        server: String,
        /// What the server said, and what to do.
        detail: String,
    },
    /// The server rejects the TSIG key or the request's signature.
    #[error("{server} rejects the TSIG key `{key}` for zone `{zone}.`: {detail}")]
    Key {
        /// The zone.
        zone: DomainName,
        /// The server.
        server: String,
        /// The key's name.
        key: String,
        /// The TSIG error and what it means.
        detail: String,
    },
    /// The server refused the request.
    #[error("{server} refused to {what} zone `{zone}.`: {detail}")]
    Refused {
        /// The zone.
        zone: DomainName,
        /// The server.
        server: String,
        /// `read` or `update`.
        what: &'static str,
        /// The response code and what it means.
        detail: String,
    },
    /// The zone changed between reading and writing: the server refused
    /// the update.
    #[error("zone `{zone}.` on {server} changed since it was read ({detail}): run plan again")]
    Changed {
        /// The zone.
        zone: DomainName,
        /// The server.
        server: String,
        /// What differs.
        detail: String,
    },
    /// After the writes, the target still does not serve the plan.
    #[error(
        "after the update {target} still does not serve the plan: {detail}; run plan to see the differences"
    )]
    Unconverged {
        /// The target.
        target: String,
        /// What still differs.
        detail: String,
    },
    /// Writing a zone stopped: why, and what the zone holds now.
    #[error("{cause}\n{state}")]
    Stopped {
        /// Why the writes stopped.
        cause: Box<Error>,
        /// What was applied, or rolled back: "nothing was applied to zone …".
        state: String,
    },
}

impl Error {
    /// The exit code this error leads to: 1 when the zone changed
    /// underneath (run plan again), 2 for bad input, 3 for a target that
    /// could not be read or written.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::BadTarget { .. } | Error::KeyFile(_) => exit::BAD_INPUT,
            Error::Changed { .. } | Error::Unconverged { .. } => exit::PROBLEMS,
            Error::Stopped { cause, .. } => cause.exit_code(),
            _ => exit::DNS_FAILURE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(host: &str, port: u16) -> Endpoint {
        Endpoint {
            host: host.to_owned(),
            port,
        }
    }

    #[test]
    fn parses_every_target_form() {
        assert_eq!(
            Target::parse("rfc2136://127.0.0.1:5353").unwrap(),
            Target::Rfc2136(endpoint("127.0.0.1", 5353))
        );
        assert_eq!(
            Target::parse("rfc2136://ns1.example.net").unwrap(),
            Target::Rfc2136(endpoint("ns1.example.net", 53))
        );
        assert_eq!(
            Target::parse("dns://[2001:db8::53]:5300").unwrap(),
            Target::Dns(endpoint("2001:db8::53", 5300))
        );
        assert_eq!(
            Target::parse("dns://2001:db8::53").unwrap(),
            Target::Dns(endpoint("2001:db8::53", 53))
        );
        assert_eq!(
            Target::parse("powerdns+http://127.0.0.1:8081").unwrap(),
            Target::PowerDns {
                endpoint: endpoint("127.0.0.1", 8081),
                server_id: "localhost".to_owned()
            }
        );
        let pdns = Target::parse("powerdns+http://pdns.example.net:8081/primary").unwrap();
        assert_eq!(
            pdns.to_string(),
            "powerdns+http://pdns.example.net:8081/primary"
        );
        assert!(pdns.writable());
        assert!(!Target::parse("dns://192.0.2.53").unwrap().writable());
    }

    #[test]
    fn refuses_malformed_targets_with_the_accepted_forms() {
        for (text, why) in [
            ("127.0.0.1:53", "no scheme"),
            ("http://127.0.0.1:8081", "unknown scheme"),
            ("powerdns+http://127.0.0.1", "the port is required"),
            ("rfc2136://127.0.0.1:0", "invalid port `0`"),
            ("rfc2136://127.0.0.1:99999", "invalid port `99999`"),
            ("rfc2136://127.0.0.1/zone", "no path is accepted"),
            ("rfc2136://", "no valid host"),
            ("powerdns+http://h:1/a b", "a server id holds"),
        ] {
            let message = Target::parse(text).unwrap_err().to_string();
            assert!(message.contains(why), "{text}: {message}");
            assert!(message.contains(TARGET_FORMS), "{text}: {message}");
        }
    }
}
