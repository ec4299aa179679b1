//! The `check_host()` function of RFC 7208 §4–§6, with a trace.
//!
//! Evaluation asks DNS only through [`Lookup`]. Limits are enforced while
//! evaluating (§4.6.4): at most `max_lookups` DNS-querying terms (`include`,
//! `a`, `mx`, `ptr`, `exists`, `redirect`) over the whole check, at most
//! `max_void_lookups` void answers, at most 10 MX names per `mx` (more is a
//! permerror) and 10 PTR names per `ptr` (extra names ignored). A query
//! that DNS did not answer gives `temperror` wherever the RFC says so, and
//! never a match.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::{SystemTime, UNIX_EPOCH};

use ipnet::{Ipv4Net, Ipv6Net};
use serde::Serialize;

use super::ast::{MacroLetter, MacroString, Mechanism, Qualifier, Record, SpfResult, Term};
use super::macros::{self, MacroEnv};
use super::parse::{is_spf_record, parse, parse_explanation};
use crate::dns::{Answer, Lookup, LookupResult};

/// Names of an `mx` or `ptr` answer that are looked at (RFC 7208 §4.6.4).
const MAX_NAMES: usize = 10;

/// Limits and local values for [`check_host`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// DNS-querying terms allowed over one check (RFC 7208 §4.6.4: 10).
    pub max_lookups: usize,
    /// Void answers (NXDOMAIN or no data) allowed (RFC 7208 §4.6.4: 2).
    pub max_void_lookups: usize,
    /// Explanation used when a fail has no usable `exp=`; may hold macros.
    pub default_explanation: String,
    /// `%{r}`: the name of the host doing the check.
    pub receiver: String,
    /// `%{t}`: the time of the check; `None` means now.
    pub timestamp: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_lookups: 10,
            max_void_lookups: 2,
            default_explanation: "%{i} is not authorized to send mail for %{d} by its SPF record"
                .to_owned(),
            receiver: "unknown".to_owned(),
            timestamp: None,
        }
    }
}

/// The identity to check and the client it came from (RFC 7208 §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckParams {
    /// The SMTP client's address.
    pub ip: IpAddr,
    /// The domain whose record is checked first (`<domain>`).
    pub domain: String,
    /// `local-part@domain` of the checked identity (`<sender>`).
    pub sender: String,
    /// The HELO/EHLO name given by the client.
    pub helo: String,
}

impl CheckParams {
    /// The MAIL FROM identity; an empty `mail_from` checks the HELO identity (RFC 7208 §2.4).
    ///
    /// A missing local-part becomes `postmaster` (§4.3).
    pub fn mail_from(ip: IpAddr, mail_from: &str, helo: &str) -> Self {
        if mail_from.is_empty() {
            return Self::helo(ip, helo);
        }
        let (local, domain) = mail_from.rsplit_once('@').unwrap_or(("", mail_from));
        let local = if local.is_empty() {
            "postmaster"
        } else {
            local
        };
        CheckParams {
            ip,
            domain: domain.to_owned(),
            sender: format!("{local}@{domain}"),
            helo: helo.to_owned(),
        }
    }

    /// The HELO identity: `<domain>` is the HELO name, the sender `postmaster@<helo>` (RFC 7208 §2.3).
    pub fn helo(ip: IpAddr, helo: &str) -> Self {
        CheckParams {
            ip,
            domain: helo.to_owned(),
            sender: format!("postmaster@{helo}"),
            helo: helo.to_owned(),
        }
    }
}

/// The outcome of [`check_host`]: the result, the explanation of a fail, and how it came about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The SPF result.
    pub result: SpfResult,
    /// The explanation, present only when the result is `fail` (RFC 7208 §6.2).
    pub explanation: Option<String>,
    /// The domain that was checked.
    pub domain: String,
    /// What was looked up and evaluated.
    pub trace: Trace,
}

/// The steps of one evaluation and what they cost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Trace {
    /// Steps in the order they happened.
    pub steps: Vec<TraceStep>,
    /// DNS-querying terms evaluated (counted toward `max_lookups`).
    pub dns_lookups: usize,
    /// Void answers met (counted toward `max_void_lookups`).
    pub void_lookups: usize,
}

/// One step: where it happened (include/redirect depth, domain) and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceStep {
    /// 0 for the checked domain, +1 for each `include` or `redirect`.
    pub depth: usize,
    /// The domain whose record was being evaluated.
    pub domain: String,
    /// What happened.
    #[serde(flatten)]
    pub event: TraceEvent,
}

/// What happened in a [`TraceStep`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum TraceEvent {
    /// The SPF record found for the domain.
    Record {
        /// Its text, the character-strings joined.
        text: String,
    },
    /// A term and whether it matched.
    Term {
        /// The term in canonical form.
        term: String,
        /// Match, no match, or error.
        outcome: TermOutcome,
        /// Why.
        detail: String,
    },
    /// The explanation attached to a fail.
    Explanation {
        /// The expanded text.
        text: String,
        /// Where it came from.
        source: String,
    },
    /// The result for this domain, and why.
    Result {
        /// The result.
        result: SpfResult,
        /// Why.
        reason: String,
    },
}

/// Whether a term matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TermOutcome {
    /// The term matched: its qualifier gives the result.
    Match,
    /// The term did not match: evaluation goes on.
    NoMatch,
    /// The term ended evaluation with `temperror` or `permerror`.
    Error,
}

/// Runs `check_host(<ip>, <domain>, <sender>)` (RFC 7208 §4).
///
/// An IPv4-mapped IPv6 client is checked as IPv4 (§5). A `<domain>` that is
/// not a usable domain name gives `none` (§4.3).
pub async fn check_host<L: Lookup>(
    lookup: &L,
    params: &CheckParams,
    config: &Config,
) -> Evaluation {
    let ip = match params.ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    let (local, sender_domain) = params
        .sender
        .rsplit_once('@')
        .unwrap_or(("postmaster", params.sender.as_str()));
    let timestamp = config.timestamp.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let mut evaluator = Evaluator {
        lookup,
        config,
        ip,
        sender: &params.sender,
        local: if local.is_empty() {
            "postmaster"
        } else {
            local
        },
        sender_domain,
        helo: &params.helo,
        timestamp,
        trace: Trace::default(),
    };
    let domain = params.domain.strip_suffix('.').unwrap_or(&params.domain);
    let outcome = if is_checkable_domain(domain) {
        evaluator.check(domain.to_owned(), 0, true).await
    } else {
        evaluator.finish(
            0,
            domain,
            SpfResult::None,
            format!("`{domain}` is not a fully qualified domain name (RFC 7208 §4.3)"),
        )
    };
    Evaluation {
        result: outcome.result,
        explanation: outcome.explanation,
        domain: params.domain.clone(),
        trace: evaluator.trace,
    }
}

/// True when `name` can be sent to DNS: labels of 1–63 octets, 253 in all.
fn is_dns_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 253 && name.split('.').all(|l| !l.is_empty() && l.len() <= 63)
}

/// The initial-processing test of RFC 7208 §4.3: a DNS name with at least
/// two labels, not an address literal and not ending in a numeric label.
fn is_checkable_domain(name: &str) -> bool {
    is_dns_name(name)
        && name.contains('.')
        && !name.starts_with('[')
        && !name
            .rsplit('.')
            .next()
            .is_some_and(|top| top.bytes().all(|b| b.is_ascii_digit()))
}

struct Outcome {
    result: SpfResult,
    explanation: Option<String>,
}

/// Why a term stopped evaluation.
enum Abort {
    Temp(String),
    Perm(String),
}

type Boxed<'s> = Pin<Box<dyn Future<Output = Outcome> + 's>>;

struct Evaluator<'a, L> {
    lookup: &'a L,
    config: &'a Config,
    ip: IpAddr,
    sender: &'a str,
    local: &'a str,
    sender_domain: &'a str,
    helo: &'a str,
    timestamp: u64,
    trace: Trace,
}

impl<'a, L: Lookup> Evaluator<'a, L> {
    fn step(&mut self, depth: usize, domain: &str, event: TraceEvent) {
        self.trace.steps.push(TraceStep {
            depth,
            domain: domain.to_owned(),
            event,
        });
    }

    fn finish(&mut self, depth: usize, domain: &str, result: SpfResult, reason: String) -> Outcome {
        self.step(depth, domain, TraceEvent::Result { result, reason });
        Outcome {
            result,
            explanation: None,
        }
    }

    /// Evaluates the record of `domain`; `explain` asks for the explanation of a fail.
    fn check<'s>(&'s mut self, domain: String, depth: usize, explain: bool) -> Boxed<'s> {
        Box::pin(async move {
            let text = match self.fetch_record(&domain).await {
                Ok(Some(text)) => text,
                Ok(None) => {
                    let reason = "no SPF record".to_owned();
                    return self.finish(depth, &domain, SpfResult::None, reason);
                }
                Err(Abort::Temp(reason)) => {
                    return self.finish(depth, &domain, SpfResult::Temperror, reason);
                }
                Err(Abort::Perm(reason)) => {
                    return self.finish(depth, &domain, SpfResult::Permerror, reason);
                }
            };
            self.step(depth, &domain, TraceEvent::Record { text: text.clone() });
            let record = match parse(&text) {
                Ok(record) => record,
                Err(e) => {
                    let reason = format!("syntax error:\n{}", e.render());
                    return self.finish(depth, &domain, SpfResult::Permerror, reason);
                }
            };
            self.evaluate(&record, &domain, depth, explain).await
        })
    }

    /// Fetches the single `v=spf1` TXT record of `domain` (RFC 7208 §4.4, §4.5).
    async fn fetch_record(&mut self, domain: &str) -> Result<Option<String>, Abort> {
        let answer = self
            .lookup
            .txt(domain)
            .await
            .map_err(|e| Abort::Temp(format!("TXT lookup for `{domain}` failed: {e}")))?;
        let mut found: Vec<Vec<u8>> = answer
            .into_records()
            .into_iter()
            .map(|strings| strings.concat())
            .filter(|text| is_spf_record(text))
            .collect();
        match found.len() {
            0 => Ok(None),
            1 => Ok(Some(String::from_utf8_lossy(&found.remove(0)).into_owned())),
            n => Err(Abort::Perm(format!(
                "{n} `v=spf1` records at `{domain}`: exactly one is allowed (RFC 7208 §4.5)"
            ))),
        }
    }

    async fn evaluate(
        &mut self,
        record: &Record,
        domain: &str,
        depth: usize,
        explain: bool,
    ) -> Outcome {
        for term in &record.terms {
            let Term::Directive(directive) = term else {
                continue;
            };
            let label = term.to_string();
            match self.mechanism(&directive.mechanism, domain, depth).await {
                Ok((true, detail)) => {
                    self.term_step(depth, domain, label, TermOutcome::Match, detail);
                    let qualifier = directive.effective_qualifier();
                    let result = SpfResult::from(qualifier);
                    let reason = format!("`{term}` matched");
                    let mut outcome = self.finish(depth, domain, result, reason);
                    if qualifier == Qualifier::Fail && explain {
                        outcome.explanation = Some(self.explain(record, domain, depth).await);
                    }
                    return outcome;
                }
                Ok((false, detail)) => {
                    self.term_step(depth, domain, label, TermOutcome::NoMatch, detail);
                }
                Err(abort) => {
                    let (result, reason) = match abort {
                        Abort::Temp(reason) => (SpfResult::Temperror, reason),
                        Abort::Perm(reason) => (SpfResult::Permerror, reason),
                    };
                    self.term_step(depth, domain, label, TermOutcome::Error, reason.clone());
                    return self.finish(depth, domain, result, reason);
                }
            }
        }
        let Some((_, spec)) = record.redirect() else {
            let reason = "no mechanism matched and there is no `redirect=`".to_owned();
            return self.finish(depth, domain, SpfResult::Neutral, reason);
        };
        let label = format!("redirect={spec}");
        if let Err(reason) = self.count_lookup() {
            self.term_step(depth, domain, label, TermOutcome::Error, reason.clone());
            return self.finish(depth, domain, SpfResult::Permerror, reason);
        }
        let target = self.expand_domain(spec, domain).await;
        let detail = format!("redirect to `{target}`");
        self.term_step(depth, domain, label, TermOutcome::Match, detail);
        if !is_dns_name(&target) {
            let reason = format!("redirect target `{target}` is not a valid domain name");
            return self.finish(depth, domain, SpfResult::Permerror, reason);
        }
        let outcome = self.check(target.clone(), depth + 1, explain).await;
        if outcome.result == SpfResult::None {
            let reason = format!("redirect target `{target}` has no SPF record (RFC 7208 §6.1)");
            return self.finish(depth, domain, SpfResult::Permerror, reason);
        }
        outcome
    }

    fn term_step(
        &mut self,
        depth: usize,
        domain: &str,
        term: String,
        outcome: TermOutcome,
        detail: String,
    ) {
        let event = TraceEvent::Term {
            term,
            outcome,
            detail,
        };
        self.step(depth, domain, event);
    }

    /// Counts one DNS-querying term against the limit (RFC 7208 §4.6.4);
    /// going over it is a permerror, whose reason is returned.
    fn count_lookup(&mut self) -> Result<(), String> {
        self.trace.dns_lookups += 1;
        if self.trace.dns_lookups > self.config.max_lookups {
            return Err(format!(
                "more than {} DNS-querying terms (RFC 7208 §4.6.4)",
                self.config.max_lookups
            ));
        }
        Ok(())
    }

    /// Counts one void answer against the limit (RFC 7208 §4.6.4).
    fn count_void(&mut self) -> Result<(), Abort> {
        self.trace.void_lookups += 1;
        if self.trace.void_lookups > self.config.max_void_lookups {
            return Err(Abort::Perm(format!(
                "more than {} void lookups (RFC 7208 §4.6.4)",
                self.config.max_void_lookups
            )));
        }
        Ok(())
    }

    /// Turns a lookup into its records, counting a void answer and
    /// mapping a DNS failure to temperror.
    fn records<T>(&mut self, what: &str, answer: LookupResult<T>) -> Result<Vec<T>, Abort> {
        match answer {
            Ok(Answer::Records(records)) if !records.is_empty() => Ok(records),
            Ok(_) => {
                self.count_void()?;
                Ok(Vec::new())
            }
            Err(e) => Err(Abort::Temp(format!("{what} failed: {e}"))),
        }
    }

    /// Does `mechanism` match the client? Returns the answer and a detail for the trace.
    async fn mechanism(
        &mut self,
        mechanism: &Mechanism,
        domain: &str,
        depth: usize,
    ) -> Result<(bool, String), Abort> {
        if mechanism.queries_dns() {
            self.count_lookup().map_err(Abort::Perm)?;
        }
        let target = match mechanism.target() {
            Some(spec) => self.expand_domain(spec, domain).await,
            None => domain.to_owned(),
        };
        if mechanism.queries_dns() && !is_dns_name(&target) {
            if let Mechanism::Include(_) = mechanism {
                return Err(Abort::Perm(format!(
                    "include target `{target}` is not a valid domain name"
                )));
            }
            return Ok((false, format!("`{target}` is not a valid domain name")));
        }
        match mechanism {
            Mechanism::All => Ok((true, "`all` always matches".to_owned())),
            Mechanism::Ip4 { addr, prefix } => {
                let net = Ipv4Net::new(*addr, prefix.unwrap_or(32))
                    .map_err(|e| Abort::Perm(format!("bad network: {e}")))?;
                let hit = matches!(self.ip, IpAddr::V4(ip) if net.contains(&ip));
                Ok((hit, format!("client {} against {net}", self.ip)))
            }
            Mechanism::Ip6 { addr, prefix } => {
                let net = Ipv6Net::new(*addr, prefix.unwrap_or(128))
                    .map_err(|e| Abort::Perm(format!("bad network: {e}")))?;
                let hit = matches!(self.ip, IpAddr::V6(ip) if net.contains(&ip));
                Ok((hit, format!("client {} against {net}", self.ip)))
            }
            Mechanism::A { cidr, .. } => {
                let addrs = self.addresses(&target, true).await?;
                let hit = addrs.iter().any(|a| self.in_prefix(*a, cidr.ip4, cidr.ip6));
                Ok((hit, format!("`{target}` has {}", list(&addrs))))
            }
            Mechanism::Mx { cidr, .. } => self.mx(&target, cidr.ip4, cidr.ip6).await,
            Mechanism::Ptr(_) => self.ptr(&target).await,
            Mechanism::Exists(_) => {
                let answer = self.lookup.a(&target).await;
                let addrs = self.records(&format!("A lookup for `{target}`"), answer)?;
                Ok((
                    !addrs.is_empty(),
                    format!("`{target}` has {}", list(&addrs)),
                ))
            }
            Mechanism::Include(_) => {
                let outcome = self.check(target.clone(), depth + 1, false).await;
                match outcome.result {
                    SpfResult::Pass => Ok((true, format!("`{target}` gave pass"))),
                    SpfResult::Fail | SpfResult::Softfail | SpfResult::Neutral => {
                        Ok((false, format!("`{target}` gave {}", outcome.result)))
                    }
                    SpfResult::Temperror => Err(Abort::Temp(format!("`{target}` gave temperror"))),
                    SpfResult::Permerror => Err(Abort::Perm(format!("`{target}` gave permerror"))),
                    SpfResult::None => Err(Abort::Perm(format!(
                        "include target `{target}` has no SPF record (RFC 7208 §5.2)"
                    ))),
                }
            }
        }
    }

    /// A or AAAA records of `name` for the client's family; `count` makes a void answer count.
    async fn addresses(&mut self, name: &str, count: bool) -> Result<Vec<IpAddr>, Abort> {
        let (what, answer) = match self.ip {
            IpAddr::V4(_) => (
                "A",
                self.lookup.a(name).await.map(|a| map_answer(a, IpAddr::V4)),
            ),
            IpAddr::V6(_) => (
                "AAAA",
                self.lookup
                    .aaaa(name)
                    .await
                    .map(|a| map_answer(a, IpAddr::V6)),
            ),
        };
        let what = format!("{what} lookup for `{name}`");
        if count {
            return self.records(&what, answer);
        }
        match answer {
            Ok(answer) => Ok(answer.into_records()),
            Err(e) => Err(Abort::Temp(format!("{what} failed: {e}"))),
        }
    }

    fn in_prefix(&self, addr: IpAddr, ip4: Option<u8>, ip6: Option<u8>) -> bool {
        match (self.ip, addr) {
            (IpAddr::V4(client), IpAddr::V4(a)) => {
                Ipv4Net::new(a, ip4.unwrap_or(32)).is_ok_and(|net| net.contains(&client))
            }
            (IpAddr::V6(client), IpAddr::V6(a)) => {
                Ipv6Net::new(a, ip6.unwrap_or(128)).is_ok_and(|net| net.contains(&client))
            }
            _ => false,
        }
    }

    /// `mx` (RFC 7208 §5.4): more than 10 MX names is a permerror.
    async fn mx(
        &mut self,
        target: &str,
        ip4: Option<u8>,
        ip6: Option<u8>,
    ) -> Result<(bool, String), Abort> {
        let answer = self.lookup.mx(target).await;
        let mut exchanges = self.records(&format!("MX lookup for `{target}`"), answer)?;
        if exchanges.len() > MAX_NAMES {
            return Err(Abort::Perm(format!(
                "`{target}` has {} MX records: at most {MAX_NAMES} are allowed (RFC 7208 §4.6.4)",
                exchanges.len()
            )));
        }
        exchanges.sort_by_key(|mx| mx.preference);
        for mx in exchanges.iter().filter(|mx| !mx.exchange.is_empty()) {
            let addrs = self.addresses(&mx.exchange, false).await?;
            if addrs.iter().any(|a| self.in_prefix(*a, ip4, ip6)) {
                return Ok((true, format!("MX `{}` has {}", mx.exchange, list(&addrs))));
            }
        }
        let names: Vec<&str> = exchanges.iter().map(|mx| mx.exchange.as_str()).collect();
        Ok((
            false,
            format!("MX hosts of `{target}`: {}", names.join(", ")),
        ))
    }

    /// The client's PTR names, at most 10; a DNS error gives none (RFC 7208 §5.5).
    async fn ptr_names(&mut self, count_void: bool) -> Result<Vec<String>, Abort> {
        let answer = self.lookup.ptr(self.ip).await;
        let mut names = match answer {
            Err(_) => Vec::new(),
            Ok(answer) if count_void => self.records("PTR lookup", Ok(answer))?,
            Ok(answer) => answer.into_records(),
        };
        names.truncate(MAX_NAMES);
        Ok(names)
    }

    /// True when `name` has an address equal to the client's; DNS errors count as no.
    async fn validates(&mut self, name: &str) -> bool {
        self.addresses(name, false)
            .await
            .is_ok_and(|addrs| addrs.contains(&self.ip))
    }

    /// `ptr` (RFC 7208 §5.5): a validated PTR name equal to or under the target.
    async fn ptr(&mut self, target: &str) -> Result<(bool, String), Abort> {
        let names = self.ptr_names(true).await?;
        for name in &names {
            if is_subdomain(name, target) && self.validates(name).await {
                return Ok((true, format!("`{name}` is validated and under `{target}`")));
            }
        }
        Ok((
            false,
            format!("no validated PTR name under `{target}` among {names:?}"),
        ))
    }

    /// `%{p}` (RFC 7208 §7.3): a validated name, preferring `domain` or one under it.
    async fn validated_name(&mut self, domain: &str) -> String {
        let Ok(names) = self.ptr_names(false).await else {
            return "unknown".to_owned();
        };
        let mut best: Option<(u8, String)> = None;
        for name in names {
            let rank = if name.eq_ignore_ascii_case(domain) {
                0
            } else if is_subdomain(&name, domain) {
                1
            } else {
                2
            };
            if best.as_ref().is_some_and(|(r, _)| *r <= rank) || !self.validates(&name).await {
                continue;
            }
            best = Some((rank, name));
        }
        best.map_or_else(|| "unknown".to_owned(), |(_, name)| name)
    }

    fn env<'e>(&'e self, domain: &'e str, ptr: &'e str) -> MacroEnv<'e> {
        MacroEnv {
            sender: self.sender,
            local: self.local,
            sender_domain: self.sender_domain,
            domain,
            ip: self.ip,
            helo: self.helo,
            ptr,
            receiver: &self.config.receiver,
            timestamp: self.timestamp,
        }
    }

    async fn ptr_value(&mut self, spec: &MacroString, domain: &str) -> String {
        if macros::uses_letter(spec, MacroLetter::Ptr) {
            self.validated_name(domain).await
        } else {
            String::new()
        }
    }

    async fn expand_domain(&mut self, spec: &MacroString, domain: &str) -> String {
        let ptr = self.ptr_value(spec, domain).await;
        macros::expand_domain(spec, &self.env(domain, &ptr))
    }

    /// The explanation of a fail from `record` (RFC 7208 §6.2), or the default one.
    ///
    /// The `exp=` lookup is not a DNS-querying term and its void does not count.
    async fn explain(&mut self, record: &Record, domain: &str, depth: usize) -> String {
        if let Some(spec) = record.explanation() {
            let target = self.expand_domain(spec, domain).await;
            let (text, source) = match self.explanation_text(&target, domain).await {
                Ok(text) => (text, format!("TXT of `{target}`")),
                Err(why) => (self.default_explanation(domain), format!("default: {why}")),
            };
            self.step(
                depth,
                domain,
                TraceEvent::Explanation {
                    text: text.clone(),
                    source,
                },
            );
            return text;
        }
        self.default_explanation(domain)
    }

    async fn explanation_text(&mut self, target: &str, domain: &str) -> Result<String, String> {
        if !is_dns_name(target) {
            return Err(format!("`{target}` is not a valid domain name"));
        }
        let records = match self.lookup.txt(target).await {
            Ok(answer) => answer.into_records(),
            Err(e) => return Err(format!("TXT lookup for `{target}` failed: {e}")),
        };
        let [strings] = records.as_slice() else {
            return Err(format!(
                "`{target}` has {} TXT records, not one",
                records.len()
            ));
        };
        let text = String::from_utf8(strings.concat())
            .map_err(|_| format!("TXT of `{target}` is not ASCII"))?;
        let spec = parse_explanation(&text).map_err(|e| format!("bad explanation: {e}"))?;
        let ptr = self.ptr_value(&spec, domain).await;
        Ok(macros::expand(&spec, &self.env(domain, &ptr)))
    }

    fn default_explanation(&self, domain: &str) -> String {
        let text = &self.config.default_explanation;
        match parse_explanation(text) {
            Ok(spec) if !macros::uses_letter(&spec, MacroLetter::Ptr) => {
                macros::expand(&spec, &self.env(domain, "unknown"))
            }
            _ => text.clone(),
        }
    }
}

fn map_answer<T>(answer: Answer<T>, f: impl Fn(T) -> IpAddr) -> Answer<IpAddr> {
    match answer {
        Answer::Records(records) => Answer::Records(records.into_iter().map(f).collect()),
        Answer::NoData => Answer::NoData,
        Answer::NxDomain => Answer::NxDomain,
    }
}

/// `name` equals `parent` or lies under it, without regard to case or a trailing dot.
fn is_subdomain(name: &str, parent: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    let parent = parent
        .strip_suffix('.')
        .unwrap_or(parent)
        .to_ascii_lowercase();
    name == parent || name.ends_with(&format!(".{parent}"))
}

fn list<T: fmt::Display>(addrs: &[T]) -> String {
    if addrs.is_empty() {
        return "no address".to_owned();
    }
    let text: Vec<String> = addrs.iter().map(T::to_string).collect();
    text.join(", ")
}

impl fmt::Display for Evaluation {
    /// A readable report in the manner of `spfquery`: the result, the explanation, the steps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "result: {}", self.result)?;
        if let Some(explanation) = &self.explanation {
            writeln!(f, "explanation: {explanation}")?;
        }
        writeln!(
            f,
            "dns-querying terms: {}, void lookups: {}",
            self.trace.dns_lookups, self.trace.void_lookups
        )?;
        write!(f, "{}", self.trace)
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.steps {
            let indent = "  ".repeat(step.depth);
            match &step.event {
                TraceEvent::Record { text } => {
                    writeln!(f, "{indent}{}: record {text:?}", step.domain)?;
                }
                TraceEvent::Term {
                    term,
                    outcome,
                    detail,
                } => {
                    let outcome = match outcome {
                        TermOutcome::Match => "match",
                        TermOutcome::NoMatch => "no match",
                        TermOutcome::Error => "error",
                    };
                    writeln!(f, "{indent}  {term}: {outcome} ({detail})")?;
                }
                TraceEvent::Explanation { text, source } => {
                    writeln!(f, "{indent}  explanation {text:?} ({source})")?;
                }
                TraceEvent::Result { result, reason } => {
                    let reason = reason.replace('\n', &format!("\n{indent}    "));
                    writeln!(f, "{indent}{}: {result} ({reason})", step.domain)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::Mx;
    use crate::dns::RecordData;
    use crate::dns::memory::MemoryZone;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn zone(records: &[(&str, &str)]) -> MemoryZone {
        let mut zone = MemoryZone::new();
        for (owner, text) in records {
            zone.insert(owner, RecordData::Txt(vec![text.as_bytes().to_vec()]));
        }
        zone
    }

    fn check(zone: &MemoryZone, ip: &str, sender: &str) -> Evaluation {
        let params = CheckParams::mail_from(ip.parse().unwrap(), sender, "helo.example.org");
        block_on(check_host(zone, &params, &Config::default()))
    }

    #[test]
    fn params_derive_identity() {
        let ip = IpAddr::from([192, 0, 2, 1]);
        let p = CheckParams::mail_from(ip, "@example.net", "h.example");
        assert_eq!(
            (p.sender.as_str(), p.domain.as_str()),
            ("postmaster@example.net", "example.net")
        );
        let p = CheckParams::mail_from(ip, "", "h.example");
        assert_eq!(
            (p.sender.as_str(), p.domain.as_str()),
            ("postmaster@h.example", "h.example")
        );
        let p = CheckParams::mail_from(ip, "a@b@example.com", "h.example");
        assert_eq!(p.domain, "example.com");
    }

    #[test]
    fn zero_prefixes_match_their_whole_family() {
        let z = zone(&[
            ("v4.example", "v=spf1 ip4:203.0.113.9/0 -all"),
            ("v6.example", "v=spf1 ip6:2001:db8::/0 -all"),
        ]);
        assert_eq!(
            check(&z, "198.51.100.7", "a@v4.example").result,
            SpfResult::Pass
        );
        assert_eq!(check(&z, "2a00::1", "a@v4.example").result, SpfResult::Fail);
        assert_eq!(check(&z, "2a00::1", "a@v6.example").result, SpfResult::Pass);
        assert_eq!(
            check(&z, "::ffff:198.51.100.7", "a@v4.example").result,
            SpfResult::Pass
        );
        assert_eq!(
            check(&z, "::ffff:198.51.100.7", "a@v6.example").result,
            SpfResult::Fail
        );
    }

    #[test]
    fn unanswered_queries_never_pass() {
        let mut z = zone(&[
            ("a.example", "v=spf1 a:slow.example +all"),
            ("mx.example", "v=spf1 mx +all"),
            ("inc.example", "v=spf1 include:slow.example +all"),
        ]);
        z.insert_timeout("slow.example");
        z.insert(
            "mx.example",
            RecordData::Mx(Mx {
                preference: 1,
                exchange: "slow.example".into(),
            }),
        );
        for sender in [
            "x@a.example",
            "x@mx.example",
            "x@inc.example",
            "x@slow.example",
        ] {
            assert_eq!(
                check(&z, "192.0.2.1", sender).result,
                SpfResult::Temperror,
                "{sender}"
            );
        }
    }

    #[test]
    fn trace_records_nesting_and_counts() {
        let mut z = zone(&[
            (
                "top.example",
                "v=spf1 include:child.example -all exp=why.example",
            ),
            ("child.example", "v=spf1 a ~all"),
            ("why.example", "%{i} may not send for %{d}"),
        ]);
        z.insert(
            "child.example",
            RecordData::A(std::net::Ipv4Addr::new(192, 0, 2, 1)),
        );
        let pass = check(&z, "192.0.2.1", "x@top.example");
        assert_eq!(pass.result, SpfResult::Pass);
        assert_eq!(pass.explanation, None);
        assert_eq!((pass.trace.dns_lookups, pass.trace.void_lookups), (2, 0));
        assert!(
            pass.trace
                .steps
                .iter()
                .any(|s| s.depth == 1 && s.domain == "child.example")
        );
        let fail = check(&z, "192.0.2.2", "x@top.example");
        assert_eq!(fail.result, SpfResult::Fail);
        assert_eq!(
            fail.explanation.as_deref(),
            Some("192.0.2.2 may not send for top.example")
        );
        let text = fail.to_string();
        assert!(
            text.starts_with("result: fail\nexplanation: 192.0.2.2 may not send"),
            "{text}"
        );
        assert!(text.contains("\n  child.example: softfail"), "{text}");
        let json = serde_json::to_value(&fail).unwrap();
        assert_eq!(json["result"], "fail");
        assert_eq!(json["trace"]["steps"][0]["event"], "record");
        assert_eq!(json["trace"]["steps"][2]["outcome"], "no-match");
    }

    #[test]
    fn default_explanation_expands_macros() {
        let z = zone(&[("d.example", "v=spf1 -all")]);
        let e = check(&z, "192.0.2.5", "x@d.example");
        assert_eq!(
            e.explanation.as_deref(),
            Some("192.0.2.5 is not authorized to send mail for d.example by its SPF record")
        );
    }

    #[test]
    fn results_print_and_serialize_in_lower_case() {
        assert_eq!(SpfResult::Softfail.to_string(), "softfail");
        assert_eq!(
            serde_json::to_string(&SpfResult::Temperror).unwrap(),
            "\"temperror\""
        );
    }
}
