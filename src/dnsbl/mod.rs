//! DNS blocklists you can trust (RFC 5782, deliverability.md §3).
//!
//! A list is only believed after it passes the RFC 5782 §5 test in the same
//! run: its positive test entry (`127.0.0.2`, `::FFFF:7F00:2`, `TEST`) must
//! be listed with a documented code and its negative entry (`127.0.0.1`,
//! `::FFFF:7F00:1`, `INVALID`) must not. Only then does an answer in
//! `127/8` mean "listed" (a documented code with its meaning, another code
//! as "not documented for this list") and NXDOMAIN "not listed"; refusal
//! codes and everything else are "unknown", with the raw answer. With no
//! believable list there is no verdict, never "clean".

pub mod findings;
pub mod registry;

use std::cell::Cell;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use futures_util::stream::{self, StreamExt};
use ipnet::IpNet;
use serde::Serialize;

pub use registry::{Impact, Key, List, Registry, Status};

use crate::dns::shared::{Progress, SharedLookup};
use crate::dns::{Answer, Lookup, LookupError};
use crate::names::{Charset, DomainName, NameError};

/// What is checked against the lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Target {
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A domain name (for domain lists such as Spamhaus DBL).
    Domain(DomainName),
}

impl Target {
    /// The kind of key a list needs to answer for this target.
    pub fn key(&self) -> Key {
        match self {
            Target::Ip(IpAddr::V4(_)) => Key::Ipv4,
            Target::Ip(IpAddr::V6(_)) => Key::Ipv6,
            Target::Domain(_) => Key::Domain,
        }
    }

    /// The name queried in `zone` (RFC 5782 §2.1, §2.4, §3).
    pub fn query_name(&self, zone: &str) -> String {
        match self {
            Target::Ip(IpAddr::V4(ip)) => {
                let [a, b, c, d] = ip.octets();
                format!("{d}.{c}.{b}.{a}.{zone}")
            }
            Target::Ip(ip @ IpAddr::V6(_)) => {
                let reverse = crate::dns::reverse_name(*ip);
                let nibbles = reverse.trim_end_matches("ip6.arpa");
                format!("{nibbles}{zone}")
            }
            Target::Domain(domain) => format!("{domain}.{zone}"),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Ip(ip) => write!(f, "{ip}"),
            Target::Domain(domain) => f.write_str(domain),
        }
    }
}

/// The most addresses one CIDR block may name as targets: an IPv4 /24 or
/// an IPv6 /120. Each address costs a query per list, and lists limit
/// their free use (Spamhaus: 300,000 queries a day).
pub const MAX_BLOCK: u32 = 256;

/// Why a text is not something to check against the lists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Neither an address, a block nor a domain name.
    #[error("`{text}` is neither an IP address, a CIDR block nor a domain name ({reason})")]
    NotATarget {
        /// The text as given.
        text: String,
        /// Why it is not a domain name.
        reason: NameError,
    },
    /// A `/` that does not make a CIDR block.
    #[error(
        "`{0}` is not a CIDR block; accepted: an address, `/` and a prefix length up to 32 (IPv4) or 128 (IPv6)"
    )]
    BadBlock(String),
    /// A block with more than [`MAX_BLOCK`] addresses.
    #[error(
        "`{text}` holds {size} addresses; at most {MAX_BLOCK} are checked per block (an IPv4 /24, an IPv6 /120): name smaller blocks"
    )]
    BlockTooLarge {
        /// The block as given.
        text: String,
        /// How many addresses it holds, in words (`512`, `2^64`).
        size: String,
    },
    /// Bits set after the prefix, as in `192.0.2.17/29`.
    #[error("`{text}` has bits set after the prefix; the block is `{block}`")]
    HostBits {
        /// The block as given.
        text: String,
        /// The block it lies in.
        block: IpNet,
    },
}

/// Parses one target argument: an address, a CIDR block of at most
/// [`MAX_BLOCK`] addresses (every address of it, network and broadcast
/// addresses included: lists such as the PBL list whole ranges), or a
/// domain name.
pub fn parse_targets(text: &str) -> Result<Vec<Target>, TargetError> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(vec![Target::Ip(ip)]);
    }
    if text.contains('/') {
        let block: IpNet = text
            .parse()
            .map_err(|_| TargetError::BadBlock(text.to_owned()))?;
        return block_addresses(text, block);
    }
    DomainName::new(text, Charset::LdhUnderscore)
        .map(|domain| vec![Target::Domain(domain)])
        .map_err(|reason| TargetError::NotATarget {
            text: text.to_owned(),
            reason,
        })
}

/// Every address of `block`, in order.
fn block_addresses(text: &str, block: IpNet) -> Result<Vec<Target>, TargetError> {
    if block.trunc() != block {
        return Err(TargetError::HostBits {
            text: text.to_owned(),
            block: block.trunc(),
        });
    }
    let host_bits = u32::from(block.max_prefix_len() - block.prefix_len());
    if host_bits > MAX_BLOCK.ilog2() {
        return Err(TargetError::BlockTooLarge {
            text: text.to_owned(),
            size: match host_bits {
                bits @ 0..64 => (1u64 << bits).to_string(),
                bits => format!("2^{bits}"),
            },
        });
    }
    let count = 1u32 << host_bits;
    Ok(match block {
        IpNet::V4(net) => {
            let first = u32::from(net.network());
            (0..count)
                .map(|i| Target::Ip(IpAddr::V4(Ipv4Addr::from(first + i))))
                .collect()
        }
        IpNet::V6(net) => {
            let first = u128::from(net.network());
            (0..count)
                .map(|i| Target::Ip(IpAddr::V6(Ipv6Addr::from(first + u128::from(i)))))
                .collect()
        }
    })
}

/// The RFC 5782 §5 test entries for a key: (listed, not listed).
fn test_entries(key: Key) -> (Target, Target) {
    match key {
        Key::Ipv4 => (
            Target::Ip(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))),
            Target::Ip(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1))),
        ),
        Key::Ipv6 => (
            Target::Ip(IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x7f00, 2))),
            Target::Ip(IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1))),
        ),
        Key::Domain => (
            Target::Domain(DomainName::from_dns("test".to_owned())),
            Target::Domain(DomainName::from_dns("invalid".to_owned())),
        ),
    }
}

/// Whether a list can be believed in this run, for one kind of key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Health {
    /// Test entries answered as RFC 5782 requires.
    Healthy,
    /// The negative test entry is listed: the list answers everything
    /// (closed lists such as AHBL and NJABL do this).
    ListsEverything {
        /// What it answered for the negative entry.
        answer: String,
    },
    /// The list refused us or something filters the answers: a refusal code
    /// (Spamhaus `127.255.255.254` through a public resolver), an answer
    /// outside `127/8`, or the positive entry missing (resolver blocked).
    Refused {
        /// Why we think so, with the raw answer.
        why: String,
        /// The list's refusal code, when it answered one.
        #[serde(skip_serializing_if = "Option::is_none")]
        refusal: Option<Refusal>,
    },
    /// No usable answer: timeout, SERVFAIL.
    NotAnswering {
        /// The DNS error.
        why: String,
    },
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Health::Healthy => f.write_str("healthy"),
            Health::ListsEverything { answer } => write!(
                f,
                "lists everything: its RFC 5782 negative test entry, which no list may list, answered {answer}"
            ),
            Health::Refused { why, .. } => write!(f, "refused or filtered: {why}"),
            Health::NotAnswering { why } => write!(f, "not answering: {why}"),
        }
    }
}

/// An answer by which a list refuses to answer: its code and what it
/// means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The answer.
    pub code: Ipv4Addr,
    /// What it means (from the list's `refusals`, or generic).
    pub meaning: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.meaning)
    }
}

/// Answers in these ranges are refusals whatever the list says (Spamhaus
/// `127.255.255.0/24`, DBL `127.0.1.255`).
fn is_generic_refusal(code: Ipv4Addr) -> bool {
    let [a, b, c, d] = code.octets();
    (a, b, c) == (127, 255, 255) || (a, b, c, d) == (127, 0, 1, 255)
}

fn show(codes: &[Ipv4Addr]) -> String {
    codes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn show_answer(answer: &Result<Answer<Ipv4Addr>, LookupError>) -> String {
    match answer {
        Ok(Answer::Records(codes)) => show(codes),
        Ok(Answer::NoData) => "NOERROR without an address".to_owned(),
        Ok(Answer::NxDomain) => "NXDOMAIN".to_owned(),
        Err(err) => err.to_string(),
    }
}

/// Why `codes` cannot be read as a listing: an answer outside 127/8
/// (no refusal), or a refusal code of the list or of every list.
fn refusal(list: &List, codes: &[Ipv4Addr]) -> Option<(String, Option<Refusal>)> {
    codes.iter().find_map(|code| {
        if code.octets()[0] != 127 {
            // RFC 5782 §2.3: lists answer in 127/8; anything else comes
            // from an NXDOMAIN-hijacking resolver or a DNS filter.
            return Some((
                format!(
                    "{code} is outside 127.0.0.0/8: a hijacking resolver or DNS filter answered"
                ),
                None,
            ));
        }
        let meaning = list
            .refusals
            .get(code)
            .cloned()
            .or_else(|| is_generic_refusal(*code).then(|| "a refusal code".to_owned()))?;
        let refusal = Refusal {
            code: *code,
            meaning,
        };
        Some((refusal.to_string(), Some(refusal)))
    })
}

/// Tests `list` for `key` per RFC 5782 §5 and §7.
pub async fn test_list<L: Lookup>(lookup: &L, list: &List, key: Key) -> Health {
    let (listed, unlisted) = test_entries(key);
    let positive = lookup.a(&listed.query_name(&list.zone)).await;
    let negative = lookup.a(&unlisted.query_name(&list.zone)).await;
    for answer in [&positive, &negative] {
        if let Err(err) = answer {
            return Health::NotAnswering {
                why: err.to_string(),
            };
        }
        if let Ok(Answer::Records(codes)) = answer
            && let Some((why, refusal)) = refusal(list, codes)
        {
            return Health::Refused { why, refusal };
        }
    }
    if let Ok(Answer::Records(codes)) = &negative {
        return Health::ListsEverything {
            answer: show(codes),
        };
    }
    match &positive {
        Ok(Answer::Records(codes)) if codes.iter().all(|c| list.codes.contains_key(c)) => {
            Health::Healthy
        }
        Ok(Answer::Records(codes)) => Health::Refused {
            why: format!(
                "its test entry answered {}, which is not one of its documented codes (a DNS filter or hijacking resolver?)",
                show(codes)
            ),
            refusal: None,
        },
        // A list the registry does not describe may simply not take this
        // kind of key: say so rather than blame the resolver alone.
        other if list.undocumented => Health::Refused {
            why: format!(
                "its RFC 5782 test entry for {} is not listed ({}): the list does not take them, is dead, or blocks the resolver in use",
                key.plural(),
                show_answer(other)
            ),
            refusal: None,
        },
        other => Health::Refused {
            why: format!(
                "its RFC 5782 test entry is not listed ({}): the resolver in use is probably blocked by the list, or the list is dead",
                show_answer(other)
            ),
            refusal: None,
        },
    }
}

/// A documented listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listing {
    /// The answer.
    pub code: Ipv4Addr,
    /// What it means.
    pub meaning: String,
    /// How much it matters.
    pub impact: Impact,
    /// What to do.
    pub advice: Option<String>,
    /// Ids of `verify` findings known to cause this listing (`helo-invalid`
    /// for the CBL).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub caused_by: Vec<String>,
    /// False for a code the list does not document: listed, meaning unknown.
    pub documented: bool,
}

/// The answer of one list about one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// Listed by a healthy list: an answer in 127/8 that is no refusal,
    /// with a documented code or not.
    Listed {
        /// Each code and its meaning.
        listings: Vec<Listing>,
        /// The list's TXT reason, when it gives one.
        reason: Option<String>,
    },
    /// NXDOMAIN from a healthy list.
    NotListed,
    /// Nothing can be concluded.
    Unknown {
        /// Why, with the raw answer.
        why: String,
        /// The list's refusal code, when it answered one.
        #[serde(skip_serializing_if = "Option::is_none")]
        refusal: Option<Refusal>,
    },
}

/// Asks `list`, known to be in `health`, about `target`.
pub async fn check<L: Lookup>(
    lookup: &L,
    list: &List,
    health: &Health,
    target: &Target,
) -> Verdict {
    if *health != Health::Healthy {
        return Verdict::Unknown {
            why: format!("not used in this run: {health}"),
            refusal: None,
        };
    }
    let name = target.query_name(&list.zone);
    let answer = lookup.a(&name).await;
    let codes = match answer {
        Ok(Answer::NxDomain) => return Verdict::NotListed,
        Ok(Answer::Records(codes)) => codes,
        other => {
            return Verdict::Unknown {
                why: format!("could not determine: {}", show_answer(&other)),
                refusal: None,
            };
        }
    };
    if let Some((why, refusal)) = refusal(list, &codes) {
        return Verdict::Unknown {
            why: format!("refused: {why}"),
            refusal,
        };
    }
    // A healthy list answered in 127/8 with no refusal code: listed, even
    // with a code this list does not document (its meaning is then not
    // known). `127.0.0.1` answers RFC 5782 §5's negative test entry and
    // is no listing.
    if codes.contains(&NOT_LISTED_CODE) {
        return Verdict::Unknown {
            why: format!(
                "answered {}: {NOT_LISTED_CODE} is no listing code (RFC 5782 §5)",
                show(&codes)
            ),
            refusal: None,
        };
    }
    let listings: Vec<Listing> = codes
        .iter()
        .map(|code| match list.codes.get(code) {
            Some(documented) => Listing {
                code: *code,
                meaning: documented.meaning.clone(),
                impact: documented.impact.or(list.impact).unwrap_or(Impact::Minor),
                advice: documented.advice.clone(),
                caused_by: documented.caused_by.clone(),
                documented: true,
            },
            None => Listing {
                code: *code,
                meaning: UNDOCUMENTED_CODE.to_owned(),
                impact: list.impact.unwrap_or(Impact::Minor),
                advice: None,
                caused_by: Vec::new(),
                documented: false,
            },
        })
        .collect();
    let reason = match lookup.txt(&name).await {
        Ok(Answer::Records(txts)) => txts
            .first()
            .map(|strings| String::from_utf8_lossy(&strings.concat()).into_owned()),
        _ => None,
    };
    Verdict::Listed { listings, reason }
}

/// The answer of RFC 5782 §5's negative test entry: never a listing.
const NOT_LISTED_CODE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

/// What a listing with a code the list does not document means.
const UNDOCUMENTED_CODE: &str = "listed, with a code not documented for this list (its meaning is not known; see the list's site)";

/// One list's answer about one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListResult {
    /// The list's zone.
    pub zone: DomainName,
    /// The list's name.
    pub name: String,
    /// Its impact class.
    pub impact: Option<Impact>,
    /// Where to ask for removal.
    pub delist: Option<String>,
    /// What it said.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// The overall answer for a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Overall {
    /// At least one healthy list lists it.
    Listed,
    /// Healthy lists answered and none lists it (some may be unknown).
    NotListed,
    /// No healthy list answered: no verdict.
    Unknown,
    /// No list of the run takes this kind of target (a domain, with only
    /// IP lists chosen): nothing was asked.
    NotChecked,
}

/// Everything the lists said about one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetReport {
    /// The address or domain.
    pub target: Target,
    /// The overall verdict.
    pub overall: Overall,
    /// Each list asked.
    pub lists: Vec<ListResult>,
}

/// A list's health for one key, as tested in this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListHealth {
    /// The zone.
    pub zone: DomainName,
    /// The key tested.
    pub key: Key,
    /// The result.
    pub health: Health,
}

/// The outcome of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Per target.
    pub targets: Vec<TargetReport>,
    /// The health of every list used.
    pub health: Vec<ListHealth>,
    /// Named lists that are dead, with why; never queried.
    pub dead: Vec<(DomainName, String)>,
}

impl Report {
    /// How `zone` fared in its RFC 5782 test for `key`.
    pub fn health_of(&self, zone: &str, key: Key) -> Option<&Health> {
        self.health
            .iter()
            .find(|h| h.zone == zone && h.key == key)
            .map(|h| &h.health)
    }

    /// Every refusal code a list answered in this run, in its test or
    /// about a target, with the list's zone; each once.
    pub fn refusals(&self) -> Vec<(&str, &Refusal)> {
        let tests = self.health.iter().filter_map(|h| match &h.health {
            Health::Refused {
                refusal: Some(refusal),
                ..
            } => Some((h.zone.as_str(), refusal)),
            _ => None,
        });
        let answers = self
            .targets
            .iter()
            .flat_map(|t| &t.lists)
            .filter_map(|r| match &r.verdict {
                Verdict::Unknown {
                    refusal: Some(refusal),
                    ..
                } => Some((r.zone.as_str(), refusal)),
                _ => None,
            });
        let mut seen = Vec::new();
        for found in tests.chain(answers) {
            if !seen.contains(&found) {
                seen.push(found);
            }
        }
        seen
    }
}

/// Questions (a list's test, or a list asked about a target) under way at
/// once: their futures are built as they enter, so this bounds memory, not
/// DNS. Each question has at most one query in flight.
const QUESTIONS_IN_FLIGHT: usize = 256;

/// Tests every list once per key needed, then asks every usable list about
/// every target, at most `concurrency` queries at a time. `progress` is
/// called with (done, total) after each question.
pub async fn run<L: Lookup>(
    dns: &L,
    lists: &[&List],
    targets: &[Target],
    concurrency: usize,
    progress: &dyn Fn(usize, usize),
) -> Report {
    let dead: Vec<(DomainName, String)> = lists
        .iter()
        .filter(|l| l.status == Status::Dead)
        .map(|l| (l.zone.clone(), l.note.clone().unwrap_or_default()))
        .collect();
    let usable: Vec<&List> = lists
        .iter()
        .copied()
        .filter(|l| l.status != Status::Dead)
        .collect();
    let mut keys: Vec<Key> = Vec::new();
    for key in targets.iter().map(Target::key) {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let wanted: Vec<(&List, Key)> = usable
        .iter()
        .flat_map(|list| {
            keys.iter()
                .filter(|k| list.takes(**k))
                .map(move |k| (*list, *k))
        })
        .collect();
    let questions: Vec<(usize, &List)> = targets
        .iter()
        .enumerate()
        .flat_map(|(i, t)| {
            usable
                .iter()
                .filter(|l| l.takes(t.key()))
                .map(move |l| (i, *l))
        })
        .collect();
    let total = wanted.len() + questions.len();
    // The run's queries, each asked once, `concurrency` at most in flight;
    // enough questions under way to keep that many busy.
    let queries = Progress::default();
    let lookup = &SharedLookup::without_deadline(dns, concurrency, &queries);
    let window = concurrency.max(QUESTIONS_IN_FLIGHT);
    let done = Cell::new(0);
    let step = || {
        done.set(done.get() + 1);
        progress(done.get(), total);
    };
    let health: Vec<ListHealth> = stream::iter(wanted)
        .map(|(list, key)| async move {
            ListHealth {
                zone: list.zone.clone(),
                key,
                health: test_list(lookup, list, key).await,
            }
        })
        .buffered(window)
        .inspect(|_| step())
        .collect()
        .await;
    let health_of = |zone: &str, key: Key| {
        health
            .iter()
            .find(|h| h.zone == zone && h.key == key)
            .map(|h| &h.health)
            .expect("every list was tested for every key asked")
    };
    let asked = |key: Key| usable.iter().any(|l| l.takes(key));
    let answers: Vec<(usize, ListResult)> = stream::iter(questions)
        .map(|(i, list)| {
            let target = &targets[i];
            let health = health_of(&list.zone, target.key());
            async move {
                let verdict = check(lookup, list, health, target).await;
                (
                    i,
                    ListResult {
                        zone: list.zone.clone(),
                        name: list.label().to_owned(),
                        impact: list.impact,
                        delist: list.delist.clone(),
                        verdict,
                    },
                )
            }
        })
        .buffered(window)
        .inspect(|_| step())
        .collect()
        .await;
    let mut reports: Vec<TargetReport> = targets
        .iter()
        .map(|target| TargetReport {
            target: target.clone(),
            overall: Overall::Unknown,
            lists: Vec::new(),
        })
        .collect();
    for (i, result) in answers {
        reports[i].lists.push(result);
    }
    for report in &mut reports {
        let verdicts = report.lists.iter().map(|r| &r.verdict);
        // With no usable list at all there is no verdict; with usable
        // lists none of which takes this kind of target, nothing was asked.
        report.overall = if !usable.is_empty() && !asked(report.target.key()) {
            Overall::NotChecked
        } else if verdicts
            .clone()
            .any(|v| matches!(v, Verdict::Listed { .. }))
        {
            Overall::Listed
        } else if verdicts.clone().any(|v| *v == Verdict::NotListed) {
            Overall::NotListed
        } else {
            Overall::Unknown
        };
    }
    Report {
        targets: reports,
        health,
        dead,
    }
}

/// Well-known public resolvers, which many lists refuse (Spamhaus answers
/// `127.255.255.254` or NXDOMAIN through them).
const PUBLIC_RESOLVERS: &[&str] = &[
    "8.8.8.8",
    "8.8.4.4",
    "1.1.1.1",
    "1.0.0.1",
    "9.9.9.9",
    "149.112.112.112",
    "208.67.222.222",
    "208.67.220.220",
    "94.140.14.14",
    "94.140.15.15",
    "2001:4860:4860::8888",
    "2001:4860:4860::8844",
    "2606:4700:4700::1111",
    "2606:4700:4700::1001",
    "2620:fe::fe",
    "2620:fe::9",
];

/// True for a well-known public resolver address.
pub fn is_public_resolver(ip: IpAddr) -> bool {
    PUBLIC_RESOLVERS
        .iter()
        .any(|known| known.parse::<IpAddr>() == Ok(ip))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use hickory_proto::rr::RecordType;

    use super::*;
    use crate::dns::memory::MemoryZone;
    use crate::dns::{LookupResult, RecordData};

    #[test]
    fn builds_rfc_5782_query_names() {
        let zone = "zen.spamhaus.org";
        assert_eq!(
            Target::Ip("192.0.2.99".parse().unwrap()).query_name(zone),
            "99.2.0.192.zen.spamhaus.org"
        );
        let (positive, _) = test_entries(Key::Ipv6);
        assert_eq!(
            positive.query_name("bl.test"),
            "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.test"
        );
        assert_eq!(
            Target::Domain(DomainName::host("example.com").unwrap()).query_name("dbl.test"),
            "example.com.dbl.test"
        );
        assert!(is_public_resolver("8.8.8.8".parse().unwrap()));
        assert!(!is_public_resolver("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn blocks_expand_up_to_the_cap() {
        let count = |text: &str| parse_targets(text).map(|t| t.len());
        assert_eq!(count("192.0.2.0/24"), Ok(256));
        assert_eq!(count("192.0.2.7/32"), Ok(1));
        assert_eq!(count("2001:db8::/120"), Ok(256));
        assert_eq!(count("2001:db8::/128"), Ok(1));
        assert!(matches!(
            parse_targets("192.0.2.0/23"),
            Err(TargetError::BlockTooLarge { size, .. }) if size == "512"
        ));
        assert!(matches!(
            parse_targets("2001:db8::/119"),
            Err(TargetError::BlockTooLarge { size, .. }) if size == "512"
        ));
        assert!(matches!(
            parse_targets("::/0"),
            Err(TargetError::BlockTooLarge { size, .. }) if size == "2^128"
        ));
        assert!(matches!(
            parse_targets("192.0.2.9/29"),
            Err(TargetError::HostBits { block, .. }) if block.to_string() == "192.0.2.8/29"
        ));
        assert!(matches!(
            parse_targets("192.0.2.0/33"),
            Err(TargetError::BadBlock(_))
        ));
        let last = parse_targets("192.0.2.252/30").unwrap();
        assert_eq!(last.last().unwrap().to_string(), "192.0.2.255");
        assert_eq!(
            parse_targets(" Example.COM. "),
            Ok(vec![Target::Domain(
                DomainName::host("example.com").unwrap()
            )])
        );
    }

    /// A zone that answers after a pause and counts the queries in flight.
    struct Gauge {
        zone: MemoryZone,
        asked: Cell<usize>,
        in_flight: Cell<usize>,
        most: Cell<usize>,
    }

    impl Lookup for Gauge {
        async fn query(&self, name: &str, rtype: RecordType) -> LookupResult<RecordData> {
            self.asked.set(self.asked.get() + 1);
            self.in_flight.set(self.in_flight.get() + 1);
            self.most.set(self.most.get().max(self.in_flight.get()));
            tokio::time::sleep(Duration::from_millis(2)).await;
            self.in_flight.set(self.in_flight.get() - 1);
            self.zone.query(name, rtype).await
        }
    }

    #[test]
    fn queries_are_bounded_and_asked_once() {
        let code = Ipv4Addr::new(127, 0, 0, 2);
        let list = List {
            zone: "bl.test".into(),
            name: None,
            keys: vec![Key::Ipv4],
            impact: None,
            delist: None,
            terms: None,
            note: None,
            status: Status::Active,
            codes: [(
                code,
                registry::Code {
                    meaning: "listed".into(),
                    impact: None,
                    advice: None,
                    caused_by: Vec::new(),
                },
            )]
            .into(),
            refusals: Default::default(),
            undocumented: false,
        };
        let mut zone = MemoryZone::new();
        zone.insert("2.0.0.127.bl.test", RecordData::A(code));
        zone.insert("9.2.0.192.bl.test", RecordData::A(code));
        let dns = Gauge {
            zone,
            asked: Cell::new(0),
            in_flight: Cell::new(0),
            most: Cell::new(0),
        };
        // 40 addresses, the first one twice.
        let mut targets: Vec<Target> = (0..40)
            .map(|i| Target::Ip(IpAddr::V4(Ipv4Addr::new(192, 0, 2, i))))
            .collect();
        targets.push(targets[0].clone());
        let report = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(run(&dns, &[&list], &targets, 3, &|_, _| {}));
        assert_eq!(dns.most.get(), 3, "the bound is reached, never passed");
        // Two test entries, 40 distinct addresses, the TXT reason of the listed one.
        assert_eq!(dns.asked.get(), 2 + 40 + 1);
        let listed: Vec<String> = report
            .targets
            .iter()
            .filter(|t| t.overall == Overall::Listed)
            .map(|t| t.target.to_string())
            .collect();
        assert_eq!(listed, ["192.0.2.9"]);
        assert_eq!(report.targets.len(), 41);
        assert_eq!(report.targets[40].overall, Overall::NotListed);
    }
}
