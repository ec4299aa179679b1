//! SPF record text for a domain: terms in a fixed order, chained through
//! `_spfN` records when one record would be too long (RFC 7208 §3.4).

use ipnet::{Ipv4Net, Ipv6Net};

use crate::inventory::{AllPolicy, Domain, Inventory};
use crate::net;
use crate::spf::limits::{LOOKUP_LIMIT, MAX_RECORD_OCTETS, MAX_STRING_OCTETS};

/// One SPF record to publish: its owner and full text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfRecord {
    /// Owner name: the domain, or `_spfN.<domain>` for a chained part.
    pub owner: String,
    /// The record text, `v=spf1 …`.
    pub text: String,
}

/// Why a domain's SPF record cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfBuildError {
    /// What went wrong, with the cost of each term when it is the lookup limit.
    pub message: String,
}

/// The text of `all` for a policy.
pub fn all_term(policy: AllPolicy) -> &'static str {
    match policy {
        AllPolicy::Fail => "-all",
        AllPolicy::Softfail => "~all",
    }
}

fn ip4_term(net: Ipv4Net) -> String {
    if net.prefix_len() == 32 {
        format!("ip4:{}", net.addr())
    } else {
        format!("ip4:{net}")
    }
}

fn ip6_term(net: Ipv6Net) -> String {
    if net.prefix_len() == 128 {
        format!("ip6:{}", net.addr())
    } else {
        format!("ip6:{net}")
    }
}

/// The terms between `v=spf1` and `all` for `domain`: its servers'
/// addresses merged into the smallest exact CIDR set (those already covered
/// by an extra network dropped), then the extra networks, then the includes.
pub fn domain_terms(inventory: &Inventory, domain: &Domain) -> Vec<String> {
    let servers = domain.servers.iter().map(|&i| &inventory.servers[i]);
    let mut v4: Vec<Ipv4Net> = Vec::new();
    let mut v6: Vec<Ipv6Net> = Vec::new();
    for server in servers {
        v4.extend(server.ipv4.iter().map(|&ip| Ipv4Net::from(ip)));
        v6.extend(server.ipv6.iter().map(|&ip| Ipv6Net::from(ip)));
    }
    let extra4 = net::aggregate_v4(&domain.ip4);
    let extra6 = net::aggregate_v6(&domain.ip6);
    let server4 = net::aggregate_v4(&v4)
        .into_iter()
        .filter(|n| !extra4.iter().any(|e| e.contains(n)));
    let server6 = net::aggregate_v6(&v6)
        .into_iter()
        .filter(|n| !extra6.iter().any(|e| e.contains(n)));
    let mut terms: Vec<String> = server4.map(ip4_term).collect();
    terms.extend(server6.map(ip6_term));
    terms.extend(extra4.into_iter().map(ip4_term));
    terms.extend(extra6.into_iter().map(ip6_term));
    terms.extend(domain.include.iter().map(|t| format!("include:{t}")));
    terms
}

fn record_text(terms: &[String], tail: &[&str]) -> String {
    let mut text = String::with_capacity(record_len(terms, tail));
    text.push_str("v=spf1");
    for term in terms.iter().map(String::as_str).chain(tail.iter().copied()) {
        text.push(' ');
        text.push_str(term);
    }
    text
}

/// The length of [`record_text`] for the same arguments.
fn record_len(terms: &[String], tail: &[&str]) -> usize {
    let spaced = |term: &str| 1 + term.len();
    "v=spf1".len()
        + terms.iter().map(|t| spaced(t)).sum::<usize>()
        + tail.iter().map(|t| spaced(t)).sum::<usize>()
}

/// Builds the SPF record(s) for `domain`, chaining through
/// `_spf1.<domain>`, `_spf2.<domain>`, … when the record would exceed
/// [`MAX_RECORD_OCTETS`]. Each chained part ends with the same `all` as the
/// top record: an include matches only on `pass` (RFC 7208 §5.2), so the
/// chain authorises exactly the addresses of the single record.
pub fn build(inventory: &Inventory, domain: &Domain) -> Result<Vec<SpfRecord>, SpfBuildError> {
    let terms = domain_terms(inventory, domain);
    let all = all_term(domain.all);
    let single = record_text(&terms, &[all]);
    let records = if single.len() <= MAX_RECORD_OCTETS {
        vec![SpfRecord {
            owner: domain.name.clone(),
            text: single,
        }]
    } else {
        chain(&domain.name, &terms, all)?
    };
    check_lookup_budget(&records)?;
    Ok(records)
}

fn chain(domain: &str, terms: &[String], all: &str) -> Result<Vec<SpfRecord>, SpfBuildError> {
    let mut records = Vec::new();
    let mut rest = terms;
    let mut owner = domain.to_owned();
    let mut part = 0;
    loop {
        if record_len(rest, &[all]) <= MAX_RECORD_OCTETS {
            records.push(SpfRecord {
                owner,
                text: record_text(rest, &[all]),
            });
            return Ok(records);
        }
        part += 1;
        let next = format!("_spf{part}.{domain}");
        let link = format!("include:{next}");
        // As many terms as fit beside the link to the next part.
        let mut length = record_len(&[], &[&link, all]);
        let taken = rest
            .iter()
            .take_while(|term| {
                length += 1 + term.len();
                length <= MAX_RECORD_OCTETS
            })
            .count();
        if taken == 0 || next.len() > 253 {
            return Err(SpfBuildError {
                message: format!(
                    "the SPF record of `{domain}` cannot be split into records of at most {MAX_RECORD_OCTETS} octets: the term `{}` and the chaining include `{link}` do not fit together",
                    rest[0]
                ),
            });
        }
        records.push(SpfRecord {
            owner,
            text: record_text(&rest[..taken], &[&link, all]),
        });
        rest = &rest[taken..];
        owner = next;
    }
}

/// Refuses a chain whose DNS-querying terms exceed [`LOOKUP_LIMIT`],
/// listing what each costs. Third-party includes cost at least one; what
/// they reach is counted by `senderzone spf check --domain`.
fn check_lookup_budget(records: &[SpfRecord]) -> Result<(), SpfBuildError> {
    let chained: Vec<&str> = records.iter().skip(1).map(|r| r.owner.as_str()).collect();
    let mut costs = Vec::new();
    for record in records {
        for term in record.text.split(' ') {
            if let Some(target) = term.strip_prefix("include:") {
                let note = if chained.contains(&target) {
                    "chained part of this record"
                } else {
                    "plus whatever it includes"
                };
                costs.push(format!("  {term}: 1 ({note})"));
            }
        }
    }
    if costs.len() <= LOOKUP_LIMIT {
        return Ok(());
    }
    Err(SpfBuildError {
        message: format!(
            "the SPF record of `{}` needs {} DNS-querying terms, more than the {LOOKUP_LIMIT} receivers evaluate (RFC 7208 §4.6.4), so it would permerror; remove includes or list their networks under `ip4`/`ip6`:\n{}",
            records[0].owner,
            costs.len(),
            costs.join("\n")
        ),
    })
}

/// Splits TXT data into character-strings of at most [`MAX_STRING_OCTETS`]
/// octets, each break after a space where possible so each string holds
/// whole terms (receivers join SPF strings with no separator, RFC 7208
/// §3.3).
pub fn split_strings(text: &[u8]) -> Vec<Vec<u8>> {
    let mut strings = Vec::new();
    let mut rest = text;
    while rest.len() > MAX_STRING_OCTETS {
        let window = &rest[..MAX_STRING_OCTETS];
        let cut = match window.iter().rposition(|&b| b == b' ') {
            Some(space) if space > 0 => space + 1,
            _ => MAX_STRING_OCTETS,
        };
        strings.push(rest[..cut].to_vec());
        rest = &rest[cut..];
    }
    if !rest.is_empty() || strings.is_empty() {
        strings.push(rest.to_vec());
    }
    strings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_255_octet_boundary() {
        let exact = vec![b'a'; 255];
        assert_eq!(split_strings(&exact), vec![exact.clone()]);
        let over = vec![b'a'; 256];
        let parts = split_strings(&over);
        assert_eq!(parts.iter().map(Vec::len).collect::<Vec<_>>(), vec![255, 1]);
        assert_eq!(parts.concat(), over);
        assert_eq!(split_strings(b""), vec![Vec::<u8>::new()]);
    }

    #[test]
    fn prefers_breaking_after_a_space() {
        let text = format!("v=spf1 {} -all", vec!["ip4:192.0.2.1"; 30].join(" "));
        let parts = split_strings(text.as_bytes());
        assert!(parts.iter().all(|p| p.len() <= 255));
        assert!(
            parts[0].ends_with(b" "),
            "{:?}",
            String::from_utf8_lossy(&parts[0])
        );
        assert_eq!(parts.concat(), text.as_bytes());
    }
}
