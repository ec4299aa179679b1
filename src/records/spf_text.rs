//! SPF records for a domain, built as typed [`spf::Record`]s: terms in a
//! fixed order, chained through `_spfN` records when one record would be
//! too long (RFC 7208 §3.4). Their text is the records' canonical
//! `Display`, split into character-strings by [`split_strings`].

use ipnet::{Ipv4Net, Ipv6Net};

use super::diagnostic::{LookupCost, SpfProblem};
use crate::inventory::{AllPolicy, Domain, Inventory};
use crate::names::DomainName;
use crate::net;
use crate::spf::limits::{LOOKUP_LIMIT, MAX_RECORD_OCTETS, MAX_STRING_OCTETS};
use crate::spf::{self, Directive, DualCidr, Mechanism, Qualifier, Term, TermAt};

/// One SPF record to publish: its owner, the record and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfRecord {
    /// Owner name: the domain, or `_spfN.<domain>` for a chained part.
    pub owner: DomainName,
    /// The record.
    pub record: spf::Record,
    /// The text to publish: the record's `Display`, written as the record
    /// was built so that each term is formatted once.
    pub text: String,
}

/// The terminal `all` of a policy (RFC 7208 §5.1).
pub fn all_term(policy: AllPolicy) -> Term {
    let qualifier = match policy {
        AllPolicy::Fail => Qualifier::Fail,
        AllPolicy::Softfail => Qualifier::SoftFail,
    };
    Term::Directive(Directive {
        qualifier: Some(qualifier),
        mechanism: Mechanism::All,
    })
}

/// The record of a HELO name, `v=spf1 a -all`: the host may send as
/// itself from its own addresses (RFC 7208 §2.3).
pub fn helo_record() -> spf::Record {
    let a = Mechanism::A {
        domain: None,
        cidr: DualCidr::default(),
    };
    spf::Record::new(vec![Directive::pass(a).into(), all_term(AllPolicy::Fail)])
}

/// The terms between `v=spf1` and `all` for `domain`: its servers'
/// addresses merged into the smallest exact CIDR set (those already covered
/// by an extra network dropped), then the extra networks, then the includes.
pub fn domain_terms(inventory: &Inventory, domain: &Domain) -> Vec<Term> {
    let servers = domain.servers.iter().map(|&i| &inventory.servers[i]);
    let (count4, count6) = servers
        .clone()
        .fold((0, 0), |(v4, v6), s| (v4 + s.ipv4.len(), v6 + s.ipv6.len()));
    let mut v4: Vec<Ipv4Net> = Vec::with_capacity(count4);
    let mut v6: Vec<Ipv6Net> = Vec::with_capacity(count6);
    for server in servers {
        v4.extend(server.ipv4.iter().map(|&ip| Ipv4Net::from(ip)));
        v6.extend(server.ipv6.iter().map(|&ip| Ipv6Net::from(ip)));
    }
    let extra4 = net::aggregate_v4(&domain.ip4);
    let extra6 = net::aggregate_v6(&domain.ip6);
    let server4 = net::aggregate_v4(&v4);
    let server6 = net::aggregate_v6(&v6);
    // Sized once: filtered, the lists would grow the terms term by term.
    let mut terms: Vec<Term> = Vec::with_capacity(
        server4.len() + server6.len() + extra4.len() + extra6.len() + domain.include.len(),
    );
    let pass = |mechanism| Term::from(Directive::pass(mechanism));
    let server4 = server4
        .into_iter()
        .filter(|n| !extra4.iter().any(|e| e.contains(n)));
    let server6 = server6
        .into_iter()
        .filter(|n| !extra6.iter().any(|e| e.contains(n)));
    terms.extend(server4.map(|n| pass(Mechanism::ip4(n))));
    terms.extend(server6.map(|n| pass(Mechanism::ip6(n))));
    terms.extend(extra4.into_iter().map(|n| pass(Mechanism::ip4(n))));
    terms.extend(extra6.into_iter().map(|n| pass(Mechanism::ip6(n))));
    terms.extend(
        domain
            .include
            .iter()
            .map(|target| pass(Mechanism::include_domain(target))),
    );
    terms
}

/// The text length of a record of terms `lens` long each (RFC 7208 §4.5:
/// `v=spf1`, then each term after a space).
fn record_len(lens: impl IntoIterator<Item = usize>) -> usize {
    spf::ast::VERSION.len() + lens.into_iter().map(|len| 1 + len).sum::<usize>()
}

/// Builds the SPF record(s) for `domain`, chaining through
/// `_spf1.<domain>`, `_spf2.<domain>`, … when the record would exceed
/// [`MAX_RECORD_OCTETS`]. Each chained part ends with the same `all` as the
/// top record: an include matches only on `pass` (RFC 7208 §5.2), so the
/// chain authorises exactly the addresses of the single record.
pub fn build(inventory: &Inventory, domain: &Domain) -> Result<Vec<SpfRecord>, SpfProblem> {
    let records = chain(
        &domain.name,
        domain_terms(inventory, domain),
        all_term(domain.all),
    )?;
    check_lookup_budget(&records)?;
    Ok(records)
}

fn chain(domain: &DomainName, terms: Vec<Term>, all: Term) -> Result<Vec<SpfRecord>, SpfProblem> {
    // Each term is formatted once, into one buffer: its text gives its
    // length for the splitting, the offsets of the record and the text to
    // publish.
    // Sized for the usual terms, addresses of up to 32 octets, so that
    // it seldom grows.
    let mut texts = String::with_capacity(32 * terms.len());
    let mut lens = Vec::with_capacity(terms.len());
    for term in &terms {
        let start = texts.len();
        term.write_to(&mut texts);
        lens.push(texts.len() - start);
    }
    let all_text = all.to_string();
    let mut terms = terms.into_iter();
    let mut rest = &lens[..];
    let mut at = 0;
    // The length of a record of the remaining terms and `all`.
    let mut remaining = record_len(lens.iter().copied().chain([all_text.len()]));
    let mut records = Vec::new();
    let mut owner = domain.clone();
    let mut part = 0;
    loop {
        if remaining <= MAX_RECORD_OCTETS {
            let mut last = Vec::with_capacity(rest.len() + 1);
            for (term, &len) in terms.zip(rest) {
                last.push((term, &texts[at..at + len]));
                at += len;
            }
            last.push((all, all_text.as_str()));
            let (record, text) = assemble(last);
            records.push(SpfRecord {
                owner,
                record,
                text,
            });
            return Ok(records);
        }
        part += 1;
        let next = domain.prefixed(&format!("_spf{part}"));
        let link = Term::from(Directive::pass(Mechanism::include_domain(&next)));
        let link_text = link.to_string();
        // As many terms as fit beside the link to the next part.
        let mut length = record_len([link_text.len(), all_text.len()]);
        let taken = rest
            .iter()
            .take_while(|&&len| {
                length += 1 + len;
                length <= MAX_RECORD_OCTETS
            })
            .count();
        if taken == 0 || next.len() > 253 {
            return Err(SpfProblem::Unsplittable {
                owner: domain.clone(),
                term: Box::new(terms.next().expect("a record too long holds a term")),
                link: Box::new(link),
            });
        }
        let mut part_terms = Vec::with_capacity(taken + 2);
        for (term, &len) in terms.by_ref().take(taken).zip(&rest[..taken]) {
            part_terms.push((term, &texts[at..at + len]));
            at += len;
        }
        part_terms.push((link, link_text.as_str()));
        part_terms.push((all.clone(), all_text.as_str()));
        let (record, text) = assemble(part_terms);
        records.push(SpfRecord {
            owner,
            record,
            text,
        });
        remaining -= rest[..taken].iter().map(|len| 1 + len).sum::<usize>();
        rest = &rest[taken..];
        owner = next;
    }
}

/// A record of terms given with their texts, and its text: what
/// [`spf::Record::new`] and the record's `Display` give, without
/// formatting the terms again.
fn assemble(terms: Vec<(Term, &str)>) -> (spf::Record, String) {
    let mut text = String::with_capacity(record_len(terms.iter().map(|(_, text)| text.len())));
    text.push_str(spf::ast::VERSION);
    let terms = terms
        .into_iter()
        .map(|(term, term_text)| {
            text.push(' ');
            let offset = text.len();
            text.push_str(term_text);
            TermAt {
                term,
                offset,
                len: term_text.len(),
            }
        })
        .collect();
    (spf::Record { terms }, text)
}

/// Refuses a chain whose DNS-querying terms exceed [`LOOKUP_LIMIT`],
/// listing what each costs. Third-party includes cost at least one; what
/// they reach is counted by `senderzone spf check --domain`.
fn check_lookup_budget(records: &[SpfRecord]) -> Result<(), SpfProblem> {
    let querying = || {
        records
            .iter()
            .flat_map(|r| r.record.directives())
            .filter(|(_, d)| d.mechanism.queries_dns())
    };
    if querying().count() <= LOOKUP_LIMIT {
        return Ok(());
    }
    let chained = |target: &spf::MacroString| {
        records[1..]
            .iter()
            .any(|r| target.as_literal().as_deref() == Some(r.owner.as_str()))
    };
    Err(SpfProblem::OverLookupLimit {
        owner: records[0].owner.clone(),
        costs: querying()
            .map(|(_, d)| LookupCost {
                term: Term::Directive(d.clone()),
                chained: d.mechanism.target().is_some_and(chained),
            })
            .collect(),
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
    fn terms_are_written_in_their_shortest_form() {
        let pass = |mechanism| Term::from(Directive::pass(mechanism));
        let cases = [
            (
                pass(Mechanism::ip4("192.0.2.1/32".parse().unwrap())),
                "ip4:192.0.2.1",
            ),
            (
                pass(Mechanism::ip4("192.0.2.0/24".parse().unwrap())),
                "ip4:192.0.2.0/24",
            ),
            (
                pass(Mechanism::ip4("0.0.0.0/0".parse().unwrap())),
                "ip4:0.0.0.0/0",
            ),
            (
                pass(Mechanism::ip6("2001:db8::1/128".parse().unwrap())),
                "ip6:2001:db8::1",
            ),
            (
                pass(Mechanism::ip6("2001:db8::/48".parse().unwrap())),
                "ip6:2001:db8::/48",
            ),
            (
                pass(Mechanism::include_domain("_spf.example.com")),
                "include:_spf.example.com",
            ),
            (
                Term::from(Directive {
                    qualifier: Some(Qualifier::SoftFail),
                    mechanism: Mechanism::ip6("2001:db8::/32".parse().unwrap()),
                }),
                "~ip6:2001:db8::/32",
            ),
            (all_term(AllPolicy::Fail), "-all"),
            (all_term(AllPolicy::Softfail), "~all"),
        ];
        for (term, text) in cases {
            assert_eq!(term.to_string(), text);
            let mut written = "x".to_owned();
            term.write_to(&mut written);
            assert_eq!(written, format!("x{text}"));
            assert_eq!(term.text_len(), text.len(), "{text}");
            let record = spf::Record::new(vec![term.clone()]);
            assert_eq!(spf::parse(&record.to_string()).unwrap(), record, "{text}");
        }
        assert_eq!(helo_record().to_string(), "v=spf1 a -all");
    }

    #[test]
    fn chained_records_carry_their_display_text_and_offsets() {
        let pass = |mechanism| Term::from(Directive::pass(mechanism));
        let terms: Vec<Term> = (0..60u8)
            .map(|n| pass(Mechanism::ip4(format!("192.0.2.{n}/32").parse().unwrap())))
            .chain([pass(Mechanism::ip6("2001:db8::/48".parse().unwrap()))])
            .collect();
        let domain = DomainName::from("example.com");
        let records = chain(&domain, terms, all_term(AllPolicy::Softfail)).unwrap();
        assert!(records.len() > 1);
        for record in &records {
            assert_eq!(record.text, record.record.to_string());
            let terms: Vec<Term> = record.record.terms.iter().map(|t| t.term.clone()).collect();
            assert_eq!(spf::Record::new(terms).terms, record.record.terms);
        }
    }

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
