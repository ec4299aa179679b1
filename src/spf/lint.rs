//! Static checks of SPF records, with stable ids (reference: `spf.md` §4, §6).
//!
//! [`lint_record`] looks at one record's TXT character-strings and nothing
//! else. [`lint_domain`] fetches a domain's record and everything it
//! includes or redirects to, and adds what only DNS can tell: missing
//! targets, loops, void lookups, MX set sizes and the worst-case number of
//! DNS-querying terms over the whole tree (RFC 7208 §4.6.4). A DNS error
//! while linting gives a finding that says what could not be determined,
//! never a clean result.

use std::borrow::Cow;
use std::collections::HashSet;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::Serialize;

use super::ast::{MacroString, Mechanism, Modifier, Qualifier, Record, Term, TermAt};
use super::cache::RecordCache;
use super::deadline::{InFlight, PendingList, PendingQuery, Watched};
use super::eval::{dns_name_problem, joined};
use super::limits::{LOOKUP_LIMIT, MAX_NAMES, MAX_RECORD_OCTETS, MAX_STRING_OCTETS, VOID_LIMIT};
use super::parse::{is_spf_record, parse};
use crate::dns::{Answer, Lookup, LookupError, Txt};
use crate::finding::{Finding, SPF_DNS_ERROR, Severity};

/// Counts from here up to the limit are "near the limit".
const NEAR_LIMIT: usize = 8;
/// Prefixes shorter than these (IPv4, IPv6) span more than the block IANA
/// hands a regional registry (a /8, a /12): no one network holds that
/// much, so a `+` term that broad authorises other networks' hosts, as
/// `+all` does.
const OPEN_PREFIX: (u8, u8) = (8, 12);
/// The id of a term that lets (nearly) every host pass.
const TOO_PERMISSIVE: &str = "spf-too-permissive";
/// Classic DNS UDP payload size.
const UDP_PAYLOAD: usize = 512;
/// Records [`lint_domain`] fetches at most. Each one is reached through a
/// counted include or redirect, so a tree this large is far over the
/// lookup limit already; the bound keeps diamond-shaped trees from
/// costing exponential time.
const MAX_WALKED: usize = 64;

/// How strict to be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// For whitelist registration: private or documentation addresses,
    /// broad prefixes, `ptr`, `?all`, and a record not ending in `~all`
    /// or `-all` become errors.
    pub strict: bool,
}

/// A lint finding: `subject` is left empty, [`lint_domain`] sets it to the
/// domain whose record holds the problem.
fn finding(id: &'static str, severity: Severity, message: String, fix: &str) -> Finding {
    Finding::new(id, severity, String::new(), message, fix)
}

/// The finding for an obsolete type-99 (SPF) RR, which RFC 7208 §3.1 says not to publish.
///
/// [`Lookup`] does not query type 99; a caller that saw such an RR at
/// `domain` adds this finding.
pub fn spf_type99(domain: &str) -> Finding {
    Finding::new(
        "spf-type99",
        Severity::Warning,
        domain,
        format!("`{domain}` publishes an RR of the obsolete type SPF (99)"),
        "delete the type-99 RR and keep only the TXT record (RFC 7208 §3.1)",
    )
}

/// The static number of DNS-querying terms in one record (RFC 7208 §4.6.4).
///
/// Counts `include`, `a`, `mx`, `ptr` and `exists` up to the first `all`
/// (nothing after it is evaluated), plus `redirect` when there is no `all`.
/// Include and redirect targets are not followed.
pub fn dns_querying_terms(record: &Record) -> usize {
    let end = record.all_index().unwrap_or(record.terms.len());
    let mechanisms = record.terms[..end]
        .iter()
        .filter(|t| matches!(&t.term, Term::Directive(d) if d.mechanism.queries_dns()))
        .count();
    let redirect = usize::from(record.all_index().is_none() && record.redirect().is_some());
    mechanisms + redirect
}

/// Lints one record given as its TXT character-strings (RFC 1035 §3.3.14), statically.
///
/// Pass `&[text]` for a record held as one string. Include and redirect
/// targets are not followed; the lookup count covers this record alone.
pub fn lint_record<S: AsRef<[u8]>>(strings: &[S], profile: &Profile) -> Vec<Finding> {
    let (record, mut findings) = lint_text(strings, profile, false, None);
    if let Some(record) = record {
        findings.extend(lookup_count_finding(
            dns_querying_terms(&record),
            false,
            || "this record alone (include targets not followed)".to_owned(),
        ));
    }
    findings
}

/// Lints one record given as its text, the character-strings joined, as a
/// user has it before publishing it (RFC 7208 §3.3).
///
/// A text over [`MAX_STRING_OCTETS`] is not a defect: it is published as
/// several strings, which the info `spf-split-needed` says; its fix is
/// generic, for the caller to replace with the record's own split.
pub fn lint_joined(text: &[u8], profile: &Profile) -> Vec<Finding> {
    let (record, mut findings) = lint_text(&[text], profile, true, None);
    if let Some(record) = record {
        findings.extend(lookup_count_finding(
            dns_querying_terms(&record),
            false,
            || "this record alone (include targets not followed)".to_owned(),
        ));
    }
    findings
}

/// Checks that need the text only; returns the record when it parses.
///
/// `joined`: `strings` is one text to be split for publishing, not the
/// strings as published. `records`: where the record is parsed, when the
/// caller evaluates it too.
fn lint_text<S: AsRef<[u8]>>(
    strings: &[S],
    profile: &Profile,
    joined: bool,
    records: Option<&RecordCache>,
) -> (Option<Arc<Record>>, Vec<Finding>) {
    let mut findings = Vec::new();
    for (i, s) in strings.iter().enumerate() {
        let len = s.as_ref().len();
        if joined && len > MAX_STRING_OCTETS {
            findings.push(finding(
                "spf-split-needed",
                Severity::Info,
                format!("record is {len} octets: publish it as several character-strings of at most {MAX_STRING_OCTETS} octets"),
                &format!("write it as quoted strings of at most {MAX_STRING_OCTETS} octets, e.g. `\"v=spf1 … \" \"… -all\"`; receivers join them with no separator (RFC 7208 §3.3)"),
            ));
        } else if len > MAX_STRING_OCTETS {
            findings.push(finding(
                "spf-string-too-long",
                Severity::Error,
                format!("character-string {} is {len} octets: at most {MAX_STRING_OCTETS} fit in one", i + 1),
                &format!("split the record into several quoted strings of at most {MAX_STRING_OCTETS} octets; receivers join them with no separator"),
            ));
        }
    }
    // One string, as nearly every record is, is read where it is.
    let bytes: Cow<'_, [u8]> = match strings {
        [one] => Cow::Borrowed(one.as_ref()),
        _ => Cow::Owned(strings.iter().flat_map(|s| s.as_ref()).copied().collect()),
    };
    if bytes.len() > UDP_PAYLOAD {
        findings.push(finding(
            "spf-record-too-long",
            Severity::Warning,
            format!("record is {} octets: the DNS answer exceeds {UDP_PAYLOAD} octets and needs TCP or EDNS", bytes.len()),
            "shorten the record, e.g. move blocks to an included record (RFC 7208 §3.4)",
        ));
    } else if bytes.len() > MAX_RECORD_OCTETS {
        findings.push(finding(
            "spf-record-too-long",
            Severity::Warning,
            format!(
                "record is {} octets: over {MAX_RECORD_OCTETS} the answer may not fit 512 octets",
                bytes.len()
            ),
            &format!("keep the record under {MAX_RECORD_OCTETS} octets (RFC 7208 §3.4)"),
        ));
    }
    if is_sender_id(&bytes) {
        findings.push(sender_id_finding());
        return (None, findings);
    }
    let text = lossy(&bytes);
    if !is_spf_record(&bytes) {
        findings.push(finding(
            "spf-syntax",
            Severity::Error,
            "text is not an SPF record: it must start with `v=spf1` followed by a space or the end".to_owned(),
            "start the record with `v=spf1 ` (no leading space, no `v=spf1x`)",
        ).at_column(1));
        return (None, findings);
    }
    let parsed = match records {
        Some(cache) => cache.parse(&text),
        None => parse(&text).map(Arc::new).map_err(Box::new),
    };
    match parsed {
        Ok(record) => {
            findings.extend(record_findings(&record, profile));
            (Some(record), findings)
        }
        Err(e) => {
            findings.push(
                finding("spf-syntax", Severity::Error, e.kind.to_string(), "").at_column(e.column),
            );
            if let Some(last) = findings.last_mut() {
                last.fix = format!("receivers return permerror; fix the term:\n{}", e.render());
            }
            (None, findings)
        }
    }
}

/// `bytes` as text, replacement characters for what is not UTF-8: what
/// `String::from_utf8_lossy` gives, but checked by `from_utf8` first, as
/// records nearly always are UTF-8 and its chunked reading costs more.
fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    std::str::from_utf8(bytes).map_or_else(|_| String::from_utf8_lossy(bytes), Cow::Borrowed)
}

fn is_sender_id(text: &[u8]) -> bool {
    text.len() >= 7 && text[..7].eq_ignore_ascii_case(b"spf2.0/")
}

fn sender_id_finding() -> Finding {
    finding(
        "spf-sender-id",
        Severity::Warning,
        "Sender ID (`spf2.0/…`) record: deprecated and not SPF".to_owned(),
        "delete the `spf2.0` record; SPF uses only `v=spf1` (RFC 7208 Appendix A)",
    )
}

fn strict_severity(profile: &Profile, relaxed: Severity) -> Severity {
    if profile.strict {
        Severity::Error
    } else {
        relaxed
    }
}

/// Checks of one parsed record that need no DNS.
fn record_findings(record: &Record, profile: &Profile) -> Vec<Finding> {
    let mut out = Vec::new();
    let all_index = record.all_index();
    let mut includes = HashSet::new();
    for (i, TermAt { term, offset, .. }) in record.terms.iter().enumerate() {
        let column = offset + 1;
        match term {
            Term::Directive(d) => {
                if all_index.is_some_and(|a| i > a) {
                    out.push(
                        finding(
                            "spf-terms-after-all",
                            Severity::Warning,
                            format!("`{term}` comes after `all` and is never evaluated"),
                            "move the term before `all` or delete it",
                        )
                        .at_column(column),
                    );
                }
                mechanism_findings(term, d.qualifier, &d.mechanism, profile, column, &mut out);
                if let Some(target) = d.mechanism.target()
                    && let Some(finding) = target_name_finding(term, target, column)
                {
                    out.push(finding);
                }
                if let Mechanism::Include(target) = &d.mechanism
                    && !includes.insert(target.to_string().to_ascii_lowercase())
                {
                    out.push(
                        finding(
                            "spf-duplicate-include",
                            Severity::Warning,
                            format!("`{term}` repeats an earlier include and wastes a DNS lookup"),
                            "delete the repeated include",
                        )
                        .at_column(column),
                    );
                }
            }
            Term::Modifier(Modifier::Unknown { name, .. }) => {
                let lower = name.to_ascii_lowercase();
                if matches!(
                    lower.as_str(),
                    "include" | "a" | "mx" | "ptr" | "ip4" | "ip6" | "exists" | "all"
                ) {
                    out.push(finding(
                        "spf-include-typo",
                        Severity::Warning,
                        format!("`{term}` is an unknown modifier, ignored by receivers: `{lower}=` is not the `{lower}:` mechanism"),
                        "write `:` instead of `=`",
                    ).at_column(column));
                }
            }
            Term::Modifier(Modifier::Redirect(target)) => {
                out.extend(target_name_finding(term, target, column));
                if all_index.is_some() {
                    out.push(
                        finding(
                            "spf-redirect-with-all",
                            Severity::Warning,
                            format!("`{term}` is ignored because the record has `all`"),
                            "delete `redirect=` or `all`",
                        )
                        .at_column(column),
                    );
                }
                if target.has_macros() {
                    out.push(macro_partial(term, column));
                }
            }
            Term::Modifier(Modifier::Explanation(target)) => {
                out.extend(target_name_finding(term, target, column));
            }
        }
    }
    if all_index.is_none() && record.redirect().is_none() {
        out.push(finding(
            "spf-no-all",
            strict_severity(profile, Severity::Warning),
            "record has neither `all` nor `redirect=`: unmatched clients get neutral".to_owned(),
            "end the record with `-all` (or `~all`)",
        ));
    }
    out
}

/// `spf-invalid-name` when `target` has no macro and can never be sent to
/// DNS (an empty label, a label over 63 octets, a name over 253).
///
/// Receivers differ on such a term: no match, fail or permerror (the RFC
/// 7208 suite allows either), so a record should not hold one.
fn target_name_finding(term: &Term, target: &MacroString, column: usize) -> Option<Finding> {
    let name = target.as_literal()?;
    let name = name.strip_suffix('.').unwrap_or(&name);
    let problem = dns_name_problem(name)?;
    Some(
        finding(
            "spf-invalid-name",
            Severity::Error,
            format!("`{term}` names a domain that can never be looked up: {problem}"),
            "correct the domain name; receivers treat the term as no match, fail or permerror",
        )
        .at_column(column),
    )
}

fn macro_partial(term: &Term, column: usize) -> Finding {
    finding(
        "spf-macro-partial",
        Severity::Info,
        format!("`{term}` has a macro: its target and lookups cannot be counted statically"),
        "the lookup count is a lower bound; check it with real senders",
    )
    .at_column(column)
}

/// Pushes the findings of one directive's mechanism to `out`: most terms
/// have none, and write nothing.
fn mechanism_findings(
    term: &Term,
    qualifier: Option<Qualifier>,
    mechanism: &Mechanism,
    profile: &Profile,
    column: usize,
    out: &mut Vec<Finding>,
) {
    match mechanism {
        Mechanism::All => match qualifier {
            None => out.push(
                finding(
                    "spf-bare-all",
                    Severity::Error,
                    "bare `all` means `+all`: every host on the internet passes".to_owned(),
                    "end the record with `-all` (or `~all`)",
                )
                .at_column(column),
            ),
            Some(Qualifier::Pass) => out.push(
                finding(
                    "spf-plus-all",
                    Severity::Error,
                    "`+all` authorises every host on the internet".to_owned(),
                    "end the record with `-all` (or `~all`)",
                )
                .at_column(column),
            ),
            Some(Qualifier::Neutral) => out.push(
                finding(
                    "spf-neutral-all",
                    strict_severity(profile, Severity::Warning),
                    "`?all` gives neutral for every other host: the record protects nothing"
                        .to_owned(),
                    "end the record with `-all` (or `~all`)",
                )
                .at_column(column),
            ),
            Some(Qualifier::Fail | Qualifier::SoftFail) => {}
        },
        Mechanism::Ptr(_) => out.push(
            finding(
                "spf-ptr",
                strict_severity(profile, Severity::Warning),
                format!(
                    "`{term}`: RFC 7208 §5.5 says the `ptr` mechanism should not be used: it is slow, unreliable and some receivers skip it"
                ),
                "replace `ptr` by `ip4:`/`ip6:` or `a:` terms for the sending hosts",
            )
            .at_column(column),
        ),
        Mechanism::Ip4 { addr, prefix } => {
            let len = prefix.unwrap_or(32);
            if let Ok(net) = Ipv4Net::new(*addr, len) {
                let net = IpNet::V4(net.trunc());
                address_findings(term, qualifier, net, profile, column, out);
            }
        }
        Mechanism::Ip6 { addr, prefix } => {
            let len = prefix.unwrap_or(128);
            if let Ok(net) = Ipv6Net::new(*addr, len) {
                let net = IpNet::V6(net.trunc());
                address_findings(term, qualifier, net, profile, column, out);
            }
        }
        Mechanism::A { cidr, .. } | Mechanism::Mx { cidr, .. } => {
            if let Some(finding) =
                prefix_findings(term, qualifier, cidr.ip4, cidr.ip6, profile, column)
            {
                out.push(finding);
            }
        }
        Mechanism::Include(_) | Mechanism::Exists(_) => {}
    }
    if matches!(mechanism, Mechanism::Include(_) | Mechanism::Exists(_))
        && mechanism.target().is_some_and(|t| t.has_macros())
    {
        out.push(macro_partial(term, column));
    }
}

/// `spf-too-permissive` for a passing term whose prefix is broader than
/// [`OPEN_PREFIX`], else `spf-broad-prefix` for one broader than /16
/// (IPv4) or /32 (IPv6). `ip4`, `ip6` pass their one length; `a` and `mx`
/// their dual CIDR.
fn prefix_findings(
    term: &Term,
    qualifier: Option<Qualifier>,
    ip4: Option<u8>,
    ip6: Option<u8>,
    profile: &Profile,
    column: usize,
) -> Option<Finding> {
    let passes = matches!(qualifier, None | Some(Qualifier::Pass));
    let open = match (ip4, ip6) {
        (Some(len), _) if len < OPEN_PREFIX.0 => {
            Some(format!("/{len}, broader than an IPv4 /{}", OPEN_PREFIX.0))
        }
        (_, Some(len)) if len < OPEN_PREFIX.1 => {
            Some(format!("/{len}, broader than an IPv6 /{}", OPEN_PREFIX.1))
        }
        _ => None,
    };
    if let Some(open) = open.filter(|_| passes) {
        return Some(
            finding(
                TOO_PERMISSIVE,
                Severity::Error,
                format!(
                    "`{term}` authorises a {open}, more than any one network holds: like `+all`, it lets other networks' hosts pass"
                ),
                "list the sending hosts or the narrowest blocks that hold them",
            )
            .at_column(column),
        );
    }
    let broad = ip4.is_some_and(|l| l < 16) || ip6.is_some_and(|l| l < 32);
    broad.then(|| broad_prefix(term, profile, column))
}

fn broad_prefix(term: &Term, profile: &Profile, column: usize) -> Finding {
    finding(
        "spf-broad-prefix",
        strict_severity(profile, Severity::Warning),
        format!("`{term}` authorises a block broader than /16 (IPv4) or /32 (IPv6)"),
        "list the sending hosts or the narrowest blocks that hold them",
    )
    .at_column(column)
}

/// Special-purpose blocks (RFC 6890 and later registry entries) that have no place in SPF.
const SPECIAL_V4: &[(&str, &str)] = &[
    ("0.0.0.0/8", "this-network (RFC 791)"),
    ("10.0.0.0/8", "private-use (RFC 1918)"),
    ("100.64.0.0/10", "shared CGNAT space (RFC 6598)"),
    ("127.0.0.0/8", "loopback (RFC 1122)"),
    ("169.254.0.0/16", "link-local (RFC 3927)"),
    ("172.16.0.0/12", "private-use (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
    ("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)"),
    ("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"),
    ("192.168.0.0/16", "private-use (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)"),
    ("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),
];

const SPECIAL_V6: &[(&str, &str)] = &[
    ("::/128", "unspecified address (RFC 4291)"),
    ("::1/128", "loopback (RFC 4291)"),
    ("::ffff:0:0/96", "IPv4-mapped addresses (RFC 4291)"),
    ("100::/64", "discard-only (RFC 6666)"),
    ("2001::/23", "IETF protocol assignments (RFC 2928)"),
    ("2001:db8::/32", "documentation (RFC 3849)"),
    ("3fff::/20", "documentation (RFC 9637)"),
    ("fc00::/7", "unique-local (RFC 4193)"),
    ("fe80::/10", "link-local (RFC 4291)"),
    ("ff00::/8", "multicast (RFC 4291)"),
];

/// A special-purpose block with the range of addresses it holds, as
/// integers: overlap with a term's network is two comparisons.
struct Special {
    block: IpNet,
    what: &'static str,
    first: u128,
    last: u128,
}

/// [`SPECIAL_V4`] and [`SPECIAL_V6`] parsed once, by family: every address
/// term of every record linted, and every address checked, is compared
/// with them. A block of one family holds no address of the other.
static SPECIAL: LazyLock<[Vec<Special>; 2]> = LazyLock::new(|| {
    let table = |blocks: &[(&str, &'static str)]| -> Vec<Special> {
        blocks
            .iter()
            .map(|&(block, what)| {
                let block: IpNet = block.parse().expect("the table holds valid blocks");
                let (first, last) = range(&block);
                Special {
                    block,
                    what,
                    first,
                    last,
                }
            })
            .collect()
    };
    [table(SPECIAL_V4), table(SPECIAL_V6)]
});

/// The first and last address of `net`, as integers.
fn range(net: &IpNet) -> (u128, u128) {
    match net {
        IpNet::V4(n) => (
            u32::from(n.network()).into(),
            u32::from(n.broadcast()).into(),
        ),
        IpNet::V6(n) => (n.network().into(), n.broadcast().into()),
    }
}

/// The special-purpose blocks of `ip`'s family, as integers (see [`range`]).
fn special_of(ip: IpAddr) -> (&'static [Special], u128) {
    match ip {
        IpAddr::V4(v4) => (&SPECIAL[0], u32::from(v4).into()),
        IpAddr::V6(v6) => (&SPECIAL[1], v6.into()),
    }
}

/// The special-purpose blocks that share an address with `net`, in table order.
fn special_overlaps(net: &IpNet) -> impl Iterator<Item = &'static Special> {
    let (first, last) = range(net);
    let (table, _) = special_of(net.network());
    table
        .iter()
        .filter(move |s| s.first <= last && first <= s.last)
}

/// Pushes the findings of an `ip4` or `ip6` term for `net` to `out`.
fn address_findings(
    term: &Term,
    qualifier: Option<Qualifier>,
    net: IpNet,
    profile: &Profile,
    column: usize,
    out: &mut Vec<Finding>,
) {
    let (ip4, ip6) = match net {
        IpNet::V4(n) => (Some(n.prefix_len()), None),
        IpNet::V6(n) => (None, Some(n.prefix_len())),
    };
    let prefix = prefix_findings(term, qualifier, ip4, ip6, profile, column);
    if let Some(open) = prefix.as_ref().filter(|f| f.id == TOO_PERMISSIVE) {
        // A block that holds nearly everything overlaps every special one:
        // listing them would bury the one finding that matters.
        out.push(open.clone());
        return;
    }
    // Text only for a term that has a finding: nearly every term has none.
    if special_overlaps(&net).next().is_some() {
        let overlaps: Vec<String> = special_overlaps(&net)
            .map(|s| format!("{} {}", s.block, s.what))
            .collect();
        out.push(
            finding(
                "spf-private-address",
                strict_severity(profile, Severity::Warning),
                format!(
                    "`{term}` covers special-purpose space: {}",
                    overlaps.join("; ")
                ),
                "list only the public addresses your mail leaves from",
            )
            .at_column(column),
        );
    }
    // Moved only when there is one: a finding is large.
    if let Some(prefix) = prefix {
        out.push(prefix);
    }
}

/// The `spf-dns-error` of a lint cut off after `limit`.
fn timed_out(limit: Duration, pending: &[PendingQuery]) -> Finding {
    finding(
        SPF_DNS_ERROR,
        Severity::Error,
        format!(
            "could not determine the whole tree: the check did not finish within {} s; still waiting for {}",
            limit.as_secs_f64(),
            PendingList(pending)
        ),
        "the result is unknown, not clean: retry, check the name servers, or allow more time with `--timeout`",
    )
}

/// The finding on a worst case of `total` DNS-querying terms, if any;
/// `detail` says where they are, written only for a finding.
fn lookup_count_finding(
    total: usize,
    partial: bool,
    detail: impl FnOnce() -> String,
) -> Option<Finding> {
    let at_least = if partial { "at least " } else { "" };
    if total > LOOKUP_LIMIT {
        let detail = detail();
        Some(finding(
            "spf-too-many-lookups",
            Severity::Error,
            format!(
                "worst case {at_least}{total} DNS-querying terms, over the limit of {LOOKUP_LIMIT}: {detail}"
            ),
            "receivers return permerror for clients matched late: replace includes by ip4:/ip6: blocks or split the record",
        ))
    } else if total >= NEAR_LIMIT {
        let detail = detail();
        Some(finding(
            "spf-near-lookup-limit",
            Severity::Warning,
            format!(
                "worst case {at_least}{total} DNS-querying terms, near the limit of {LOOKUP_LIMIT}: {detail}"
            ),
            "leave room: a provider adding one include breaks the record",
        ))
    } else {
        None
    }
}

/// What [`lint_domain`] found for a domain and the records it reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainLint {
    /// The linted domain.
    pub domain: String,
    /// Its SPF record, when exactly one was found.
    pub record: Option<String>,
    /// Static worst-case number of DNS-querying terms over the whole tree.
    pub dns_lookups: usize,
    /// True when part of the tree could not be counted, so that
    /// `dns_lookups` is a lower bound: a macro target, a record DNS did not
    /// give (an error, or a name `--offline` does not ask), a broken
    /// record, or the bound on records walked.
    pub partial: bool,
    /// Void lookups found statically (missing targets, names without records).
    pub void_lookups: usize,
    /// DNS-querying terms in the domain's own record (includes and redirect excluded).
    pub own_lookups: usize,
    /// Each include or redirect of the domain's record with its share of the count.
    pub branches: Vec<LookupBranch>,
    /// Every finding, each tagged with the domain it belongs to.
    pub findings: Vec<Finding>,
}

/// The worst-case cost of one `include:` or `redirect=` of the linted record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LookupBranch {
    /// The term, in canonical form.
    pub term: String,
    /// Its DNS-querying terms: 1 for the term itself plus its target's tree.
    pub lookups: usize,
}

impl DomainLint {
    /// The worst severity found, `None` when there are no findings.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Lints `domain`'s SPF record and every record it includes or redirects to.
///
/// Counting follows the static worst case of `spf.md` §4: stop at `all`,
/// count each DNS-querying term, recurse into literal include and redirect
/// targets, count macro targets as 1 and mark the total partial.
pub async fn lint_domain<L: Lookup>(lookup: &L, domain: &str, profile: &Profile) -> DomainLint {
    lint(lookup, domain, profile, None, None).await
}

/// [`lint_domain`], with the records it meets parsed in `records`: a
/// caller that then evaluates them with
/// [`check_host_cached`](super::check_host_cached) parses each once.
pub async fn lint_domain_cached<L: Lookup>(
    lookup: &L,
    domain: &str,
    profile: &Profile,
    records: &RecordCache,
) -> DomainLint {
    lint(lookup, domain, profile, None, Some(records)).await
}

/// [`lint_domain`] within `limit`: past it, what was found so far and an
/// `spf-dns-error` naming the queries still unanswered (RFC 7208 §4.6.4
/// asks the same bound of an evaluation).
pub async fn lint_domain_within<L: Lookup>(
    lookup: &L,
    domain: &str,
    profile: &Profile,
    limit: Duration,
) -> DomainLint {
    let in_flight = InFlight::default();
    let watched = Watched::new(lookup, &in_flight);
    lint(&watched, domain, profile, Some((limit, &in_flight)), None).await
}

async fn lint<L: Lookup>(
    lookup: &L,
    domain: &str,
    profile: &Profile,
    limit: Option<(Duration, &InFlight)>,
    records: Option<&RecordCache>,
) -> DomainLint {
    let domain = domain.strip_suffix('.').unwrap_or(domain).to_owned();
    let mut linter = Linter {
        lookup,
        profile,
        records,
        findings: Vec::new(),
        voids: 0,
        partial: false,
        record: None,
        walked: 0,
    };
    let (mut own_lookups, mut branches) = (0, Vec::new());
    let mut counted = false;
    let walked = match limit {
        None => Some(linter.walk(domain.clone(), Vec::new()).await),
        Some((limit, in_flight)) => {
            let walk = linter.walk(domain.clone(), Vec::new());
            let walked = tokio::time::timeout(limit, walk).await.ok();
            if walked.is_none() {
                let pending = in_flight.pending();
                linter.push(&domain, timed_out(limit, &pending));
            }
            walked
        }
    };
    let total = match walked.unwrap_or(Walk::Unknown) {
        Walk::Counted(own, terms) => {
            counted = true;
            for (term, lookups) in terms {
                branches.push(LookupBranch { term, lookups });
            }
            own_lookups = own;
            own + branches.iter().map(|b| b.lookups).sum::<usize>()
        }
        Walk::Missing => {
            linter.push(
                &domain,
                finding(
                    "spf-none",
                    Severity::Error,
                    format!("`{domain}` has no SPF record: receivers get none"),
                    "publish one TXT record, e.g. `v=spf1 mx -all`",
                ),
            );
            0
        }
        // The record itself could not be read or counted: nothing was.
        Walk::Unknown => {
            linter.partial = true;
            0
        }
    };
    // Where the terms are, for a finding only: most records are well
    // under the limit.
    let detail = || {
        let mut detail = String::new();
        if counted {
            detail = format!("{own_lookups} in `{domain}` itself");
            for branch in &branches {
                let (lookups, term) = (branch.lookups, &branch.term);
                detail.push_str(&format!(", {lookups} through `{term}`"));
            }
        }
        detail
    };
    if let Some(f) = lookup_count_finding(total, linter.partial, detail) {
        linter.push(&domain, f);
    }
    if linter.voids > VOID_LIMIT {
        let voids = linter.voids;
        linter.push(
            &domain,
            finding(
                "spf-void-lookups",
                Severity::Error,
                format!(
                    "{voids} void lookups in the worst case: more than {VOID_LIMIT} is a permerror"
                ),
                "remove terms whose targets have no records",
            ),
        );
    }
    DomainLint {
        domain,
        record: linter.record,
        dns_lookups: total,
        partial: linter.partial,
        void_lookups: linter.voids,
        own_lookups,
        branches,
        findings: linter.findings,
    }
}

enum Walk {
    /// The record's static count, and (at the top) the per-branch counts.
    Counted(usize, Vec<(String, usize)>),
    /// No SPF record.
    Missing,
    /// DNS could not tell, or the record is broken; already reported.
    Unknown,
}

type Boxed<'s> = Pin<Box<dyn Future<Output = Walk> + 's>>;

struct Linter<'a, L> {
    lookup: &'a L,
    profile: &'a Profile,
    /// Where records are parsed, when the caller keeps them.
    records: Option<&'a RecordCache>,
    findings: Vec<Finding>,
    voids: usize,
    partial: bool,
    record: Option<String>,
    /// Records fetched so far, bounded by [`MAX_WALKED`].
    walked: usize,
}

impl<L: Lookup> Linter<'_, L> {
    fn push(&mut self, domain: &str, mut finding: Finding) {
        finding.subject = domain.to_owned();
        self.findings.push(finding);
    }

    fn dns_error(
        &mut self,
        domain: &str,
        what: String,
        error: &LookupError,
        column: Option<usize>,
    ) {
        if let LookupError::Offline(_) = error {
            let mut offline = Finding::undetermined(domain, &what, error);
            offline.column = column;
            self.push(domain, offline);
            return;
        }
        let mut undetermined = finding(
            SPF_DNS_ERROR,
            Severity::Error,
            format!("could not determine {what}: DNS lookup failed: {error}"),
            "the result is unknown, not clean: retry, or check the name servers",
        );
        undetermined.column = column;
        self.push(domain, undetermined);
    }

    fn void(&mut self, domain: &str, column: usize, message: String, counted: bool) {
        if counted {
            self.voids += 1;
        }
        self.push(
            domain,
            finding(
                "spf-void-lookups",
                Severity::Warning,
                message,
                "remove the term or publish the records it points at",
            )
            .at_column(column),
        );
    }

    /// Fetches and lints the record of `domain`, then counts its tree.
    fn walk<'s>(&'s mut self, domain: String, path: Vec<String>) -> Boxed<'s> {
        Box::pin(async move {
            if self.walked >= MAX_WALKED {
                self.partial = true;
                return Walk::Unknown;
            }
            self.walked += 1;
            let answer = match self.lookup.txt(&domain).await {
                Ok(answer) => answer,
                Err(e) => {
                    let what = format!("the SPF record of `{domain}`");
                    self.dns_error(&domain, what, &e, None);
                    return Walk::Unknown;
                }
            };
            let rrs = answer.records();
            if rrs.iter().any(|rr| is_sender_id(&joined(rr))) {
                self.push(&domain, sender_id_finding());
            }
            let spf: Vec<&Txt> = rrs.iter().filter(|rr| is_spf_record(&joined(rr))).collect();
            let strings = match spf.as_slice() {
                [] => return Walk::Missing,
                [one] => *one,
                many => {
                    let finding = finding(
                        "spf-multiple",
                        Severity::Error,
                        format!(
                            "`{domain}` has {} `v=spf1` records: receivers return permerror",
                            many.len()
                        ),
                        "merge them into one record (RFC 7208 §4.5)",
                    );
                    self.push(&domain, finding);
                    return Walk::Unknown;
                }
            };
            if path.is_empty() {
                self.record = Some(lossy(&joined(strings)).into_owned());
            }
            let (record, findings) = lint_text(strings, self.profile, false, self.records);
            for finding in findings {
                self.push(&domain, finding);
            }
            match record {
                Some(record) => self.count(&record, &domain, path).await,
                None => Walk::Unknown,
            }
        })
    }

    /// Counts the DNS-querying terms of `record` and checks their targets.
    async fn count(&mut self, record: &Record, domain: &str, mut path: Vec<String>) -> Walk {
        path.push(domain.to_ascii_lowercase());
        let mut own = 0;
        let mut branches = Vec::new();
        let end = record.all_index().unwrap_or(record.terms.len());
        for TermAt { term, offset, .. } in &record.terms[..end] {
            let column = offset + 1;
            let Term::Directive(directive) = term else {
                continue;
            };
            let mechanism = &directive.mechanism;
            if !mechanism.queries_dns() {
                continue;
            }
            let target = match mechanism.target() {
                Some(spec) => spec
                    .as_literal()
                    .map(|t| t.trim_end_matches('.').to_owned()),
                None => Some(domain.to_owned()),
            };
            let Some(target) = target else {
                self.partial = true;
                own += 1;
                continue;
            };
            match mechanism {
                Mechanism::Include(_) => {
                    let n = self
                        .follow(term, column, &target, domain, &path, false)
                        .await;
                    branches.push((term.to_string(), 1 + n));
                }
                Mechanism::A { .. } => {
                    own += 1;
                    self.check_addresses(term, column, &target, domain).await;
                }
                Mechanism::Mx { .. } => {
                    own += 1;
                    self.check_mx(term, column, &target, domain).await;
                }
                Mechanism::Exists(_) => {
                    own += 1;
                    match self.lookup.a(&target).await {
                        Err(e) => {
                            let what = format!("whether `{target}` exists");
                            self.dns_error(domain, what, &e, Some(column));
                        }
                        Ok(answer) if answer.is_void() => {
                            let message =
                                format!("`{term}`: `{target}` has no A record, a void lookup");
                            self.void(domain, column, message, true);
                        }
                        Ok(_) => {}
                    }
                }
                _ => own += 1,
            }
        }
        if record.all_index().is_none()
            && let Some((i, spec)) = record.redirect()
        {
            let TermAt { term, offset, .. } = &record.terms[i];
            let column = offset + 1;
            match spec.as_literal() {
                Some(target) => {
                    let target = target.trim_end_matches('.').to_owned();
                    let n = self
                        .follow(term, column, &target, domain, &path, true)
                        .await;
                    branches.push((term.to_string(), 1 + n));
                }
                None => {
                    self.partial = true;
                    own += 1;
                }
            }
        }
        Walk::Counted(own, branches)
    }

    /// Follows an include (or a redirect) to `target`; returns the target's total count.
    async fn follow(
        &mut self,
        term: &Term,
        column: usize,
        target: &str,
        domain: &str,
        path: &[String],
        redirect: bool,
    ) -> usize {
        let (missing_id, what) = if redirect {
            ("spf-redirect-no-record", "redirect")
        } else {
            ("spf-include-no-record", "include")
        };
        if path.contains(&target.to_ascii_lowercase()) {
            let finding = finding(
                "spf-include-loop",
                Severity::Error,
                format!(
                    "`{term}` leads back to `{target}`, already on the path {}",
                    path.join(" → ")
                ),
                "remove the include or redirect that closes the loop",
            )
            .at_column(column);
            self.push(domain, finding);
            return 0;
        }
        match self.walk(target.to_owned(), path.to_vec()).await {
            Walk::Counted(own, branches) => own + branches.iter().map(|b| b.1).sum::<usize>(),
            Walk::Missing => {
                self.voids += 1;
                let finding = finding(
                    missing_id,
                    Severity::Error,
                    format!(
                        "{what} target `{target}` has no SPF record: receivers return permerror"
                    ),
                    "fix the target name, or ask its owner to publish an SPF record",
                )
                .at_column(column);
                self.push(domain, finding);
                0
            }
            // DNS did not give the target's record, or it is broken: its
            // terms are not counted, so the total is a lower bound.
            Walk::Unknown => {
                self.partial = true;
                0
            }
        }
    }

    /// Does `name` have an A or AAAA record? `None` when DNS could not tell.
    async fn has_address(&mut self, name: &str, domain: &str, column: usize) -> Option<bool> {
        let a = self.lookup.a(name).await;
        let aaaa = self.lookup.aaaa(name).await;
        match (a, aaaa) {
            (Ok(a), Ok(aaaa)) => Some(!a.is_void() || !aaaa.is_void()),
            (Err(e), _) | (_, Err(e)) => {
                let what = format!("the addresses of `{name}`");
                self.dns_error(domain, what, &e, Some(column));
                None
            }
        }
    }

    async fn check_addresses(&mut self, term: &Term, column: usize, target: &str, domain: &str) {
        if self.has_address(target, domain, column).await == Some(false) {
            let message = format!("`{term}`: `{target}` has no A or AAAA record, a void lookup");
            self.void(domain, column, message, true);
        }
    }

    async fn check_mx(&mut self, term: &Term, column: usize, target: &str, domain: &str) {
        let exchanges = match self.lookup.mx(target).await {
            Err(e) => {
                let what = format!("the MX records of `{target}`");
                self.dns_error(domain, what, &e, Some(column));
                return;
            }
            Ok(Answer::Records(records)) if !records.is_empty() => records,
            Ok(_) => {
                let message = format!("`{term}`: `{target}` has no MX record, a void lookup");
                self.void(domain, column, message, true);
                return;
            }
        };
        if exchanges.len() > MAX_NAMES {
            let finding = finding(
                "spf-mx-too-many",
                Severity::Error,
                format!("`{term}`: `{target}` has {} MX records, more than {MAX_NAMES}: receivers return permerror", exchanges.len()),
                "use ip4:/ip6: terms for the mail hosts instead of `mx`",
            )
            .at_column(column);
            self.push(domain, finding);
            return;
        }
        for mx in exchanges.iter().filter(|mx| !mx.exchange.is_empty()) {
            if self.has_address(&mx.exchange, domain, column).await == Some(false) {
                let message = format!(
                    "`{term}`: MX host `{}` has no A or AAAA record",
                    mx.exchange
                );
                self.void(domain, column, message, false);
            }
        }
    }
}

/// True when `ip` lies in a special-purpose block (private, loopback,
/// documentation, CGNAT, … per RFC 6890) that has no place in SPF.
pub fn is_special_purpose(ip: IpAddr) -> bool {
    let (table, ip) = special_of(ip);
    table.iter().any(|s| s.first <= ip && ip <= s.last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::Mx;
    use crate::dns::RecordData;
    use crate::dns::memory::MemoryZone;

    fn ids(text: &str, profile: &Profile) -> Vec<(&'static str, Severity)> {
        lint_record(&[text], profile)
            .into_iter()
            .map(|f| (f.id, f.severity))
            .collect()
    }

    fn has(text: &str, id: &str, severity: Severity) -> bool {
        has_with(text, id, severity, &Profile::default())
    }

    fn has_with(text: &str, id: &str, severity: Severity, profile: &Profile) -> bool {
        ids(text, profile)
            .iter()
            .any(|(i, s)| *i == id && *s == severity)
    }

    #[test]
    fn clean_record_has_no_findings() {
        assert!(
            ids(
                "v=spf1 ip4:198.51.99.0/24 mx include:_spf.example.com -all",
                &Profile::default()
            )
            .is_empty()
        );
        assert!(ids("v=spf1 ip4:8.8.8.8 ~all", &Profile { strict: true }).is_empty());
    }

    #[test]
    fn fixtures_for_each_static_id() {
        use Severity::{Error, Info, Warning};
        let table = [
            ("v=spf1 ip4:1.2.3.4/33 -all", "spf-syntax", Error),
            ("v=spf1x -all", "spf-syntax", Error),
            (
                "v=spf1 a a a a a a a a a a a -all",
                "spf-too-many-lookups",
                Error,
            ),
            (
                "v=spf1 a a a a a a a a -all",
                "spf-near-lookup-limit",
                Warning,
            ),
            (
                "v=spf1 a a a a a a a a a a -all",
                "spf-near-lookup-limit",
                Warning,
            ),
            ("v=spf1 ptr -all", "spf-ptr", Warning),
            ("v=spf1 +all", "spf-plus-all", Error),
            ("v=spf1 all", "spf-bare-all", Error),
            ("v=spf1 ?all", "spf-neutral-all", Warning),
            ("v=spf1 mx", "spf-no-all", Warning),
            ("v=spf1 -all mx", "spf-terms-after-all", Warning),
            (
                "v=spf1 -all redirect=_spf.example.com",
                "spf-redirect-with-all",
                Warning,
            ),
            (
                "v=spf1 ip4:10.1.2.0/24 -all",
                "spf-private-address",
                Warning,
            ),
            ("v=spf1 ip4:192.0.2.1 -all", "spf-private-address", Warning),
            ("v=spf1 ip4:100.64.0.1 -all", "spf-private-address", Warning),
            ("v=spf1 ip6:fe80::1 -all", "spf-private-address", Warning),
            (
                "v=spf1 ip6:2001:db8::/48 -all",
                "spf-private-address",
                Warning,
            ),
            ("v=spf1 ip4:8.0.0.0/8 -all", "spf-broad-prefix", Warning),
            ("v=spf1 ip6:2a00::/16 -all", "spf-broad-prefix", Warning),
            ("v=spf1 a/8 -all", "spf-broad-prefix", Warning),
            (
                "v=spf1 include:a.example.com include:A.example.com -all",
                "spf-duplicate-include",
                Warning,
            ),
            (
                "v=spf1 include=_spf.example.com -all",
                "spf-include-typo",
                Warning,
            ),
            ("spf2.0/mfrom,pra mx -all", "spf-sender-id", Warning),
            (
                "v=spf1 exists:%{i}.bl.example.com -all",
                "spf-macro-partial",
                Info,
            ),
            (
                "v=spf1 redirect=%{d}.example.com",
                "spf-macro-partial",
                Info,
            ),
        ];
        for (text, id, severity) in table {
            assert!(
                has(text, id, severity),
                "{text}: want {id} {severity}, got {:?}",
                ids(text, &Profile::default())
            );
        }
    }

    #[test]
    fn passing_terms_broader_than_any_network_are_too_permissive() {
        use Severity::{Error, Warning};
        for (text, id, severity) in [
            ("v=spf1 ip4:0.0.0.0/0 -all", TOO_PERMISSIVE, Error),
            ("v=spf1 +ip4:64.0.0.0/7 -all", TOO_PERMISSIVE, Error),
            ("v=spf1 ip6:::/0 -all", TOO_PERMISSIVE, Error),
            ("v=spf1 ip6:2a00::/11 -all", TOO_PERMISSIVE, Error),
            ("v=spf1 a:mail.example.com/7 -all", TOO_PERMISSIVE, Error),
            ("v=spf1 mx//11 -all", TOO_PERMISSIVE, Error),
            ("v=spf1 ip4:17.0.0.0/8 -all", "spf-broad-prefix", Warning),
            ("v=spf1 ip6:2a00::/12 -all", "spf-broad-prefix", Warning),
            ("v=spf1 -ip4:0.0.0.0/0 ~all", "spf-broad-prefix", Warning),
            ("v=spf1 ~ip6:::/0 -all", "spf-broad-prefix", Warning),
        ] {
            let found = ids(text, &Profile::default());
            assert!(found.contains(&(id, severity)), "{text}: {found:?}");
            if id != TOO_PERMISSIVE {
                assert!(!found.iter().any(|f| f.0 == TOO_PERMISSIVE), "{text}");
            }
        }
        // The one finding, not every special-purpose block /0 overlaps.
        assert_eq!(
            ids("v=spf1 ip4:0.0.0.0/0 -all", &Profile::default()),
            [(TOO_PERMISSIVE, Error)]
        );
    }

    #[test]
    fn literal_targets_that_dns_cannot_carry_are_errors() {
        let label = "a".repeat(64);
        for (text, column) in [
            ("v=spf1 a:example..com -all".to_owned(), 8),
            ("v=spf1 exists:.example.com -all".to_owned(), 8),
            (format!("v=spf1 ptr:{label}.example.com -all"), 8),
            ("v=spf1 -all exp=a..example.com".to_owned(), 13),
        ] {
            let findings = lint_record(&[text.as_str()], &Profile::default());
            let invalid = findings.iter().find(|f| f.id == "spf-invalid-name");
            assert_eq!(invalid.and_then(|f| f.column), Some(column), "{text}");
        }
        for text in [
            "v=spf1 a:example.com. mx:mx.example.com -all",
            "v=spf1 exists:%{i}..example.com -all",
        ] {
            let findings = lint_record(&[text], &Profile::default());
            assert!(
                !findings.iter().any(|f| f.id == "spf-invalid-name"),
                "{text}"
            );
        }
    }

    #[test]
    fn joined_text_over_255_octets_needs_a_split_not_a_fix() {
        let text = format!("v=spf1 {}-all", "ip4:203.0.114.1 ".repeat(20));
        let found: Vec<(&str, Severity)> = lint_joined(text.as_bytes(), &Profile::default())
            .into_iter()
            .map(|f| (f.id, f.severity))
            .collect();
        assert_eq!(found, [("spf-split-needed", Severity::Info)]);
        assert!(lint_joined(b"v=spf1 -all", &Profile::default()).is_empty());
    }

    #[test]
    fn a_lint_cut_off_names_what_it_waited_for() {
        struct Never;
        impl Lookup for Never {
            async fn query(
                &self,
                _: &str,
                _: hickory_proto::rr::RecordType,
            ) -> crate::dns::LookupResult<RecordData> {
                std::future::pending().await
            }
        }
        let lint = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(lint_domain_within(
                &Never,
                "example.com.",
                &Profile::default(),
                Duration::from_millis(50),
            ));
        let [finding] = lint.findings.as_slice() else {
            panic!("{:?}", lint.findings);
        };
        assert_eq!(finding.id, SPF_DNS_ERROR);
        assert!(
            finding
                .message
                .ends_with("within 0.05 s; still waiting for TXT `example.com`"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn exactly_ten_lookups_is_not_an_error() {
        let found = ids("v=spf1 a a a a a a a a a a -all", &Profile::default());
        assert!(!found.iter().any(|(id, _)| *id == "spf-too-many-lookups"));
        assert!(!has(
            "v=spf1 a a a a a a a -all",
            "spf-near-lookup-limit",
            Severity::Warning
        ));
    }

    #[test]
    fn syntax_finding_has_the_column() {
        let findings = lint_record(&["v=spf1 mx ip4:192.0.2.0/33 -all"], &Profile::default());
        let syntax = findings.iter().find(|f| f.id == "spf-syntax").unwrap();
        assert_eq!(syntax.column, Some(11));
        assert!(syntax.message.contains("out of range"));
        let ptr = lint_record(&["v=spf1 mx ptr -all"], &Profile::default());
        assert_eq!(ptr[0].column, Some(11));
    }

    #[test]
    fn strict_profile_turns_content_warnings_into_errors() {
        let strict = Profile { strict: true };
        for (text, id) in [
            ("v=spf1 ip4:192.168.1.1 -all", "spf-private-address"),
            ("v=spf1 ip4:8.0.0.0/12 -all", "spf-broad-prefix"),
            ("v=spf1 ptr -all", "spf-ptr"),
            ("v=spf1 ?all", "spf-neutral-all"),
            ("v=spf1 mx", "spf-no-all"),
        ] {
            assert!(has_with(text, id, Severity::Error, &strict), "{text}");
        }
    }

    #[test]
    fn long_strings_and_records() {
        let long = format!("v=spf1 {}-all", "ip4:203.0.114.1 ".repeat(20));
        let found = ids(&long, &Profile::default());
        assert!(found.contains(&("spf-string-too-long", Severity::Error)));
        let split: Vec<&str> = vec![&long[..200], &long[200..]];
        let found: Vec<&str> = lint_record(&split, &Profile::default())
            .iter()
            .map(|f| f.id)
            .collect();
        assert!(!found.contains(&"spf-string-too-long"));
        let big = format!("v=spf1 {}-all", "ip4:203.0.114.1 ".repeat(30));
        let strings: Vec<&str> = big
            .as_bytes()
            .chunks(250)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let found: Vec<Finding> = lint_record(&strings, &Profile::default());
        assert!(
            found
                .iter()
                .any(|f| f.id == "spf-record-too-long" && f.message.contains("512"))
        );
    }

    #[test]
    fn medium_records_warn_at_450_octets() {
        let text = format!("v=spf1 {}-all", "ip4:203.0.114.1 ".repeat(28));
        let strings: Vec<&str> = text
            .as_bytes()
            .chunks(250)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let found = lint_record(&strings, &Profile::default());
        let long = found
            .iter()
            .find(|f| f.id == "spf-record-too-long")
            .unwrap();
        assert!(long.message.contains("over 450"), "{}", long.message);
    }

    #[test]
    fn type99_and_serialization() {
        let finding = spf_type99("example.com");
        assert_eq!(
            (finding.id, finding.severity),
            ("spf-type99", Severity::Warning)
        );
        let json = serde_json::to_value(&finding).unwrap();
        assert_eq!(json["id"], "spf-type99");
        assert_eq!(json["severity"], "warning");
        assert_eq!(json["subject"], "example.com");
    }

    #[test]
    fn special_purpose_addresses() {
        assert!(is_special_purpose("10.1.2.3".parse().unwrap()));
        assert!(is_special_purpose("fd00::1".parse().unwrap()));
        assert!(!is_special_purpose("8.8.8.8".parse().unwrap()));
        assert!(!is_special_purpose("2a00:1450::1".parse().unwrap()));
    }

    use proptest::prelude::*;

    /// The blocks `net` overlaps as masks tell it, the integer ranges aside.
    fn overlaps_by_masks(net: IpNet) -> Vec<IpNet> {
        SPECIAL_V4
            .iter()
            .chain(SPECIAL_V6)
            .map(|(block, _)| block.parse::<IpNet>().unwrap())
            .filter(|block| block.contains(&net.network()) || net.contains(&block.network()))
            .collect()
    }

    fn overlaps(net: IpNet) -> Vec<IpNet> {
        special_overlaps(&net).map(|s| s.block).collect()
    }

    proptest! {
        #[test]
        fn ranges_overlap_as_masks_do(
            v4 in any::<u32>(),
            len4 in 0u8..=32,
            v6 in any::<u128>(),
            len6 in 0u8..=128,
        ) {
            let net4 = IpNet::V4(Ipv4Net::new(v4.into(), len4).unwrap().trunc());
            let net6 = IpNet::V6(Ipv6Net::new(v6.into(), len6).unwrap().trunc());
            for net in [net4, net6] {
                prop_assert_eq!(overlaps(net), overlaps_by_masks(net));
                let ip = net.network();
                let by_masks = !overlaps_by_masks(IpNet::from(ip)).is_empty();
                prop_assert_eq!(is_special_purpose(ip), by_masks);
            }
        }
    }

    #[test]
    fn ranges_overlap_at_the_edges_of_each_block() {
        for (block, _) in SPECIAL_V4.iter().chain(SPECIAL_V6) {
            let block: IpNet = block.parse().unwrap();
            for ip in [block.network(), block.broadcast()] {
                for len in [0, 8, 16, 24, 32, 64, 96, 120, 128] {
                    let Ok(net) = IpNet::new(ip, len) else {
                        continue;
                    };
                    let net = net.trunc();
                    assert_eq!(overlaps(net), overlaps_by_masks(net), "{net}");
                }
                let next = match ip {
                    IpAddr::V4(v4) => IpAddr::V4(u32::from(v4).wrapping_add(1).into()),
                    IpAddr::V6(v6) => IpAddr::V6(u128::from(v6).wrapping_add(1).into()),
                };
                let net = IpNet::from(next);
                assert_eq!(overlaps(net), overlaps_by_masks(net), "{net}");
            }
        }
    }

    #[test]
    fn dns_querying_terms_counts_one_record() {
        let count = |t: &str| dns_querying_terms(&parse(t).unwrap());
        assert_eq!(
            count("v=spf1 ip4:1.2.3.4 a mx ptr exists:x.example.com include:y.example.com -all"),
            5
        );
        assert_eq!(count("v=spf1 a redirect=x.example.com"), 2);
        assert_eq!(count("v=spf1 a -all redirect=x.example.com"), 1);
        assert_eq!(count("v=spf1 -all a mx"), 0);
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn txt(zone: &mut MemoryZone, owner: &str, text: &str) {
        zone.insert(
            owner,
            RecordData::Txt(vec![text.as_bytes().to_vec()].into()),
        );
    }

    fn domain_ids(zone: &MemoryZone, domain: &str) -> (DomainLint, Vec<(&'static str, String)>) {
        let lint = block_on(lint_domain(zone, domain, &Profile::default()));
        let ids = lint
            .findings
            .iter()
            .map(|f| (f.id, f.subject.clone()))
            .collect();
        (lint, ids)
    }

    #[test]
    fn a_shared_cache_gives_the_same_lint_and_keeps_the_records() {
        let mut zone = MemoryZone::default();
        txt(
            &mut zone,
            "a.test",
            "v=spf1 ip4:10.0.0.1 include:b.test -all",
        );
        txt(
            &mut zone,
            "b.test",
            "v=spf1 ip6:2001:db8::/32 ip4:192.0.2.300 -all",
        );
        txt(&mut zone, "c.test", "v=spf1 a:c.test");
        let profile = Profile { strict: true };
        for domain in ["a.test", "b.test", "c.test", "none.test"] {
            let records = RecordCache::new();
            let cached = block_on(lint_domain_cached(&zone, domain, &profile, &records));
            assert_eq!(cached, block_on(lint_domain(&zone, domain, &profile)));
            // Again, from the cache.
            let again = block_on(lint_domain_cached(&zone, domain, &profile, &records));
            assert_eq!(again, cached);
        }
        let records = RecordCache::new();
        block_on(lint_domain_cached(&zone, "a.test", &profile, &records));
        assert_eq!(records.len(), 2);
    }

    #[test]
    fn domain_fixtures() {
        let mut zone = MemoryZone::new();
        let a = std::net::Ipv4Addr::new(198, 51, 99, 1);
        txt(&mut zone, "multi.example", "v=spf1 -all");
        txt(&mut zone, "multi.example", "v=spf1 +all");
        txt(
            &mut zone,
            "inc.example",
            "v=spf1 include:nothing.example include:plain.example -all",
        );
        txt(&mut zone, "plain.example", "not spf");
        txt(&mut zone, "red.example", "v=spf1 redirect=plain.example");
        txt(
            &mut zone,
            "loop1.example",
            "v=spf1 include:loop2.example -all",
        );
        txt(
            &mut zone,
            "loop2.example",
            "v=spf1 include:LOOP1.example. -all",
        );
        txt(
            &mut zone,
            "void.example",
            "v=spf1 a:n1.example a:n2.example exists:n3.example -all",
        );
        txt(&mut zone, "mxs.example", "v=spf1 mx -all");
        for i in 0..11 {
            zone.insert(
                "mxs.example",
                RecordData::Mx(Mx {
                    preference: i,
                    exchange: format!("mx{i}.example"),
                }),
            );
        }
        txt(&mut zone, "old.example", "spf2.0/pra -all");
        txt(&mut zone, "old.example", "v=spf1 -all");
        zone.insert_timeout("timeout.example");
        txt(
            &mut zone,
            "brokeninc.example",
            "v=spf1 include:timeout.example -all",
        );
        txt(&mut zone, "ok.example", "v=spf1 a mx -all");
        zone.insert("ok.example", RecordData::A(a));
        zone.insert(
            "ok.example",
            RecordData::Mx(Mx {
                preference: 10,
                exchange: "ok.example".into(),
            }),
        );

        let (_, found) = domain_ids(&zone, "multi.example");
        assert!(found.contains(&("spf-multiple", "multi.example".into())));
        let (_, found) = domain_ids(&zone, "inc.example");
        assert_eq!(
            found
                .iter()
                .filter(|f| f.0 == "spf-include-no-record")
                .count(),
            2
        );
        let (_, found) = domain_ids(&zone, "red.example");
        assert!(found.iter().any(|f| f.0 == "spf-redirect-no-record"));
        let (_, found) = domain_ids(&zone, "loop1.example");
        assert!(
            found.contains(&("spf-include-loop", "loop2.example".into())),
            "{found:?}"
        );
        let (lint, found) = domain_ids(&zone, "void.example");
        assert_eq!(lint.void_lookups, 3);
        assert!(found.iter().any(|f| f.0 == "spf-void-lookups"));
        assert!(
            lint.findings
                .iter()
                .any(|f| f.id == "spf-void-lookups" && f.severity == Severity::Error)
        );
        let (_, found) = domain_ids(&zone, "mxs.example");
        assert!(found.iter().any(|f| f.0 == "spf-mx-too-many"));
        let (_, found) = domain_ids(&zone, "old.example");
        assert!(found.iter().any(|f| f.0 == "spf-sender-id"));
        let (_, found) = domain_ids(&zone, "nothing.example");
        assert!(found.iter().any(|f| f.0 == "spf-none"));
        let (lint, found) = domain_ids(&zone, "timeout.example");
        assert!(found.iter().any(|f| f.0 == "spf-dns-error"), "{found:?}");
        assert!(lint.findings[0].message.starts_with("could not determine"));
        let (lint, _) = domain_ids(&zone, "brokeninc.example");
        assert_eq!(lint.worst(), Some(Severity::Error));
        let (lint, found) = domain_ids(&zone, "ok.example");
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(lint.dns_lookups, 2);
        assert_eq!(lint.record.as_deref(), Some("v=spf1 a mx -all"));
    }

    #[test]
    fn diamond_trees_are_bounded() {
        let mut zone = MemoryZone::new();
        for i in 0..30 {
            let text = format!(
                "v=spf1 include:d{}.example include:e{}.example -all",
                i + 1,
                i + 1
            );
            txt(&mut zone, &format!("d{i}.example"), &text);
            txt(&mut zone, &format!("e{i}.example"), &text);
        }
        let (lint, found) = domain_ids(&zone, "d0.example");
        assert!(lint.partial);
        assert!(found.iter().any(|f| f.0 == "spf-too-many-lookups"));
    }

    #[test]
    fn domain_lookup_count_follows_the_tree() {
        let mut zone = MemoryZone::new();
        txt(
            &mut zone,
            "top.example",
            "v=spf1 include:a.example include:b.example redirect=c.example",
        );
        txt(&mut zone, "a.example", "v=spf1 ptr ptr ptr -all");
        txt(&mut zone, "b.example", "v=spf1 include:a.example ptr -all");
        txt(
            &mut zone,
            "c.example",
            "v=spf1 exists:%{i}.c.example ptr -all",
        );
        let (lint, _) = domain_ids(&zone, "top.example");
        // include a (1+3) + include b (1 + 1+3 + 1) + redirect c (1 + 2) = 13
        assert_eq!(lint.dns_lookups, 13);
        assert!(lint.partial);
        let too_many = lint
            .findings
            .iter()
            .find(|f| f.id == "spf-too-many-lookups")
            .unwrap();
        assert!(
            too_many.message.contains("at least 13"),
            "{}",
            too_many.message
        );
        assert!(
            too_many.message.contains("6 through `include:b.example`"),
            "{}",
            too_many.message
        );
    }
}
