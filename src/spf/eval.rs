//! The `check_host()` function of RFC 7208 §4–§6, with a trace.
//!
//! Evaluation asks DNS only through [`Lookup`]. Limits are enforced while
//! evaluating (§4.6.4): at most `max_lookups` DNS-querying terms (`include`,
//! `a`, `mx`, `ptr`, `exists`, `redirect`) over the whole check, at most
//! `max_void_lookups` void answers, at most 10 MX names per `mx` (more is a
//! permerror) and 10 PTR names per `ptr` (extra names ignored). A query
//! that DNS did not answer gives `temperror` wherever the RFC says so, and
//! never a match.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Deref;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use hickory_proto::rr::RecordType;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Serialize, Serializer};

use super::ast::{
    MacroItem, MacroLetter, MacroString, Mechanism, Qualifier, Record, SpfResult, Term, TermAt,
};
use super::cache::RecordCache;
use super::deadline::{InFlight, PendingList, PendingQuery, Watched};
use super::limits::{LOOKUP_LIMIT, MAX_EXPLANATION_OCTETS, MAX_NAMES, VOID_LIMIT};
use super::macros::{self, MacroEnv};
use super::parse::{ParseError, is_spf_record, parse, parse_explanation, parse_term};
use super::text::CompactText;
use crate::dns::{Answer, Lookup, LookupError, LookupResult, Mx, RecordData, Txt};

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
    /// The longest the whole check may take; past it the result is
    /// `temperror` (RFC 7208 §4.6.4). `None`: no limit beyond the
    /// lookup's own. A limit needs a Tokio runtime with its timer.
    pub timeout: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_lookups: LOOKUP_LIMIT,
            max_void_lookups: VOID_LIMIT,
            default_explanation: DEFAULT_EXPLANATION.to_owned(),
            receiver: "unknown".to_owned(),
            timestamp: None,
            timeout: None,
        }
    }
}

/// [`Config::default`]'s explanation of a fail.
const DEFAULT_EXPLANATION: &str = "%{i} is not authorized to send mail for %{d} by its SPF record";

/// [`DEFAULT_EXPLANATION`] parsed once: each fail checked with the
/// default configuration expands it.
static DEFAULT_EXPLANATION_SPEC: LazyLock<MacroString> = LazyLock::new(|| {
    parse_explanation(DEFAULT_EXPLANATION).expect("the default explanation parses")
});

/// The identity to check and the client it came from (RFC 7208 §4.1).
///
/// The names are [`CompactText`]: a check made for each message builds
/// its parameters without an allocation when the names are short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckParams {
    /// The SMTP client's address.
    pub ip: IpAddr,
    /// The domain whose record is checked first (`<domain>`).
    pub domain: CompactText,
    /// `local-part@domain` of the checked identity (`<sender>`).
    pub sender: CompactText,
    /// The HELO/EHLO name given by the client.
    pub helo: CompactText,
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
        let sender = if local.is_empty() {
            CompactText::concat(&["postmaster@", domain])
        } else {
            // `local@domain` split at its last `@` is `mail_from` itself.
            CompactText::from(mail_from)
        };
        CheckParams {
            ip,
            domain: CompactText::from(domain),
            sender,
            helo: CompactText::from(helo),
        }
    }

    /// The HELO identity: `<domain>` is the HELO name, the sender
    /// `postmaster@<helo>` (RFC 7208 §2.3).
    pub fn helo(ip: IpAddr, helo: &str) -> Self {
        let helo = CompactText::from(helo);
        CheckParams {
            ip,
            domain: helo.clone(),
            sender: CompactText::concat(&["postmaster@", &helo]),
            helo,
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
    pub domain: TraceDomain,
    /// What was looked up and evaluated.
    pub trace: Trace,
}

impl Evaluation {
    /// The name outside the zone files that `--offline` kept from being
    /// asked, when the result is `temperror` for that reason.
    pub fn offline_name(&self) -> Option<&str> {
        if self.result != SpfResult::Temperror {
            return None;
        }
        self.trace.steps.iter().find_map(|step| match &step.event {
            TraceEvent::Result {
                reason:
                    Reason::LookupFailed {
                        error: LookupError::Offline(name),
                        ..
                    },
                ..
            } => Some(name.as_str()),
            _ => None,
        })
    }
}

/// The steps of one evaluation and what they cost.
///
/// Steps hold what evaluation met as data (the record, the term, the
/// addresses found, why a result was reached); it becomes text only in
/// `Display` and `Serialize`, so that every check can carry its trace at
/// little cost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Trace {
    /// Steps in the order they happened.
    pub steps: Vec<TraceStep>,
    /// DNS-querying terms evaluated (counted toward `max_lookups`).
    pub dns_lookups: usize,
    /// Void answers met (counted toward `max_void_lookups`).
    pub void_lookups: usize,
}

/// A domain name in a trace: the checked domain, an `include` or
/// `redirect` target, a looked-up name.
///
/// Every step taken at a domain names it, so copies must be cheap: a
/// [`CompactText`] is inline when short and shared when long.
pub type TraceDomain = CompactText;

/// The text of an SPF record as DNS gave it, its character-strings joined
/// (RFC 7208 §3.3).
///
/// A record of a single UTF-8 string, the usual case, is shared with the
/// answer it came in rather than copied, its octets checked as UTF-8 when
/// read as text; one met before by a [`check_host_cached`] is shared with
/// its [`RecordCache`].
#[derive(Clone)]
pub struct RecordText(TextRepr);

#[derive(Clone)]
enum TextRepr {
    /// A TXT record of one character-string, UTF-8.
    Answer(Txt),
    /// Several character-strings joined, text that was not UTF-8 (decoded
    /// lossily), or text met before, from a [`RecordCache`].
    Owned(Arc<str>),
}

impl RecordText {
    fn new(record: Txt) -> Self {
        match &record[..] {
            // ASCII, as SPF records are, is checked a word at a time.
            [single] if std::str::from_utf8(single).is_ok() => RecordText(TextRepr::Answer(record)),
            strings => RecordText(TextRepr::Owned(Arc::from(String::from_utf8_lossy(
                &strings.concat(),
            )))),
        }
    }

    /// A record whose text a [`RecordCache`] kept.
    fn shared(text: Arc<str>) -> Self {
        RecordText(TextRepr::Owned(text))
    }

    /// The record as text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // `RecordText::new` shares only a string it found to be UTF-8,
            // so this never gives the empty default.
            TextRepr::Answer(record) => std::str::from_utf8(&record[0]).unwrap_or_default(),
            TextRepr::Owned(text) => text,
        }
    }
}

impl Deref for RecordText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for RecordText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RecordText {}

impl fmt::Debug for RecordText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_str().fmt(f)
    }
}

impl fmt::Display for RecordText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RecordText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One term of an evaluated record, shown in canonical form (RFC 7208 §4.6.1).
///
/// Holds the term as written, parsed again only when shown, so that
/// recording a term in a trace neither formats it nor keeps the parsed
/// record alive; a short term, as nearly all are, is copied inline.
#[derive(Clone)]
pub struct TermText(CompactText);

impl TermText {
    /// The term `at` in `record`.
    fn new(record: &str, at: &TermAt) -> Self {
        let term = record
            .get(at.offset..at.offset + at.len)
            .unwrap_or_default();
        TermText(CompactText::from(term))
    }

    /// The term as written in the record.
    pub fn as_written(&self) -> &str {
        &self.0
    }

    /// The term, parsed; `None` only if the text does not hold a term there.
    pub fn term(&self) -> Option<Term> {
        parse_term(self.as_written())
    }
}

impl PartialEq for TermText {
    fn eq(&self, other: &Self) -> bool {
        self.term() == other.term()
    }
}

impl Eq for TermText {}

impl fmt::Debug for TermText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.term() {
            Some(term) => term.fmt(f),
            None => self.as_written().fmt(f),
        }
    }
}

impl fmt::Display for TermText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.term() {
            Some(term) => term.fmt(f),
            None => f.write_str(self.as_written()),
        }
    }
}

impl Serialize for TermText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One step: where it happened (include/redirect depth, domain) and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceStep {
    /// 0 for the checked domain, +1 for each `include` or `redirect`.
    pub depth: usize,
    /// The domain whose record was being evaluated.
    pub domain: TraceDomain,
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
        text: RecordText,
    },
    /// A term and whether it matched.
    Term {
        /// The term in canonical form.
        term: TermText,
        /// Match, no match, or error.
        outcome: TermOutcome,
        /// Why.
        detail: Detail,
    },
    /// The explanation attached to a fail.
    Explanation {
        /// The expanded text.
        text: String,
        /// Where it came from.
        source: ExplanationSource,
    },
    /// The result for this domain, and why.
    Result {
        /// The result.
        result: SpfResult,
        /// Why.
        reason: Reason,
    },
}

/// Where the explanation of a fail came from (RFC 7208 §6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExplanationSource {
    /// The TXT record at the `exp=` target.
    Txt(TraceDomain),
    /// The default explanation, since the `exp=` target gave none.
    Default(NoExplanation),
}

/// Why an `exp=` target gave no explanation (RFC 7208 §6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoExplanation {
    /// The expanded target is not a domain name.
    InvalidName(TraceDomain),
    /// DNS did not answer the TXT query.
    LookupFailed(TraceDomain, LookupError),
    /// The target has this many TXT records, not one.
    RecordCount(TraceDomain, usize),
    /// The TXT record is not ASCII.
    NotAscii(TraceDomain),
    /// The TXT record is not a valid `explain-string`.
    Syntax(Box<ParseError>),
    /// The expanded explanation is longer than
    /// [`MAX_EXPLANATION_OCTETS`]; expansion stopped there.
    TooLong(TraceDomain),
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

/// Why a term matched or not: what its test found (RFC 7208 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// `all` matches every client (§5.1).
    All,
    /// The client address tested against an `ip4` or `ip6` network (§5.6).
    Network {
        /// The client address.
        client: IpAddr,
        /// The network of the term.
        network: IpNet,
    },
    /// The addresses of the name an `a` or `exists` looked up (§5.3, §5.7).
    Addresses {
        /// The name looked up.
        name: TraceDomain,
        /// Its addresses of the client's family.
        addrs: Addresses,
    },
    /// The target is not a valid domain name, which is no match (§4.8).
    InvalidName(TraceDomain),
    /// The MX host one of whose addresses matched (§5.4).
    MxHost {
        /// The exchange name.
        exchange: TraceDomain,
        /// Its addresses of the client's family.
        addrs: Addresses,
    },
    /// The MX hosts of the target, none of which matched (§5.4).
    MxHosts {
        /// The name whose MX records were looked up.
        target: TraceDomain,
        /// Its MX records as answered; shown by preference.
        exchanges: Arc<[Mx]>,
    },
    /// A validated PTR name equal to or under the target (§5.5).
    PtrValidated {
        /// The validated name.
        name: TraceDomain,
        /// The target of `ptr`.
        target: TraceDomain,
    },
    /// No validated PTR name is under the target (§5.5).
    PtrNone {
        /// The target of `ptr`.
        target: TraceDomain,
        /// The client's PTR names; the first 10 were looked at.
        names: Arc<[String]>,
    },
    /// The result of an included domain (§5.2).
    Included {
        /// The included domain.
        target: TraceDomain,
        /// Its result.
        result: SpfResult,
    },
    /// The domain a `redirect=` leads to (§6.1).
    Redirect(TraceDomain),
    /// The term ended evaluation, for this reason.
    Aborted(Reason),
}

/// The addresses of one family a name has, shared with the DNS answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addresses {
    /// A records, for an IPv4 client.
    V4(Arc<[Ipv4Addr]>),
    /// AAAA records, for an IPv6 client.
    V6(Arc<[Ipv6Addr]>),
}

impl Addresses {
    /// The addresses, in the order answered.
    pub fn iter(&self) -> impl Iterator<Item = IpAddr> + '_ {
        let (v4, v6) = match self {
            Addresses::V4(v4) => (&v4[..], &[][..]),
            Addresses::V6(v6) => (&[][..], &v6[..]),
        };
        let v4 = v4.iter().copied().map(IpAddr::V4);
        v4.chain(v6.iter().copied().map(IpAddr::V6))
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        match self {
            Addresses::V4(v4) => v4.is_empty(),
            Addresses::V6(v6) => v6.is_empty(),
        }
    }
}

/// Why evaluation of a domain gave its result (RFC 7208 §4–§6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// `<domain>` is not a checkable name (§4.3).
    NotFqdn(TraceDomain),
    /// The domain has no `v=spf1` record (§4.5).
    NoRecord,
    /// DNS did not answer a query.
    LookupFailed {
        /// The record type asked for.
        rtype: &'static str,
        /// The name asked for; `None` for the client's PTR name.
        name: Option<TraceDomain>,
        /// What went wrong.
        error: LookupError,
    },
    /// More than one `v=spf1` record (§4.5).
    MultipleRecords {
        /// The domain.
        domain: TraceDomain,
        /// How many.
        count: usize,
    },
    /// The record does not follow the grammar (§4.6, §12).
    ///
    /// Boxed: the error is large and rare, and every trace step would
    /// otherwise carry its size.
    Syntax(Box<ParseError>),
    /// A directive matched; its qualifier gives the result (§4.6.2).
    Matched(TermText),
    /// Nothing matched and there is no `redirect=` (§4.7).
    NoMatch,
    /// More DNS-querying terms than allowed (§4.6.4).
    TooManyLookups(usize),
    /// More void lookups than allowed (§4.6.4).
    TooManyVoidLookups(usize),
    /// A network that cannot be built from the term.
    BadNetwork(String),
    /// An `include` target that is not a domain name.
    InvalidIncludeTarget(TraceDomain),
    /// A `redirect=` target that is not a domain name.
    InvalidRedirectTarget(TraceDomain),
    /// An included domain gave `temperror` or `permerror` (§5.2).
    IncludeResult {
        /// The included domain.
        target: TraceDomain,
        /// Its result.
        result: SpfResult,
    },
    /// An included domain has no SPF record (§5.2).
    IncludeNone(TraceDomain),
    /// A `redirect=` target has no SPF record (§6.1).
    RedirectNone(TraceDomain),
    /// More MX names than allowed (§4.6.4).
    TooManyMx {
        /// The name whose MX records were looked up.
        target: TraceDomain,
        /// How many it has.
        count: usize,
    },
    /// The check took longer than [`Config::timeout`] (§4.6.4).
    TimedOut {
        /// The limit.
        limit: Duration,
        /// The queries that had no answer yet.
        pending: Vec<PendingQuery>,
    },
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
    limited(lookup, params, config, None, true).await
}

/// [`check_host`], with the records it meets parsed once in `records`
/// for all the checks given the same cache.
///
/// The evaluation is the one [`check_host`] gives: for a caller that
/// checks many clients against the same domains (every address of a
/// mail setup), parsing the records was most of the work.
pub async fn check_host_cached<L: Lookup>(
    lookup: &L,
    params: &CheckParams,
    config: &Config,
    records: &RecordCache,
) -> Evaluation {
    limited(lookup, params, config, Some(records), true).await
}

/// The result [`check_host_cached`] gives, without its trace or explanation.
///
/// For a caller that looks at most results only to find them as expected:
/// recording the steps was most of the work. Through a memoising
/// [`Lookup`], a [`check_host_cached`] afterwards, for the trace, asks
/// nothing new.
pub async fn check_host_result<L: Lookup>(
    lookup: &L,
    params: &CheckParams,
    config: &Config,
    records: &RecordCache,
) -> SpfResult {
    limited(lookup, params, config, Some(records), false)
        .await
        .result
}

/// [`evaluate`] within [`Config::timeout`], when there is one; `tracing`
/// records the trace and the explanation of a fail.
async fn limited<L: Lookup>(
    lookup: &L,
    params: &CheckParams,
    config: &Config,
    records: Option<&RecordCache>,
    tracing: bool,
) -> Evaluation {
    match config.timeout {
        None => evaluate(lookup, params, config, records, None, tracing).await,
        Some(limit) => {
            let in_flight = InFlight::default();
            let watched = Watched::new(lookup, &in_flight);
            let limit = Some((limit, &in_flight));
            evaluate(&watched, params, config, records, limit, tracing).await
        }
    }
}

/// [`check_host`], cut off after `limit` when there is one, with the queries
/// in flight then; without `tracing`, the trace holds only the counts.
async fn evaluate<L: Lookup>(
    lookup: &L,
    params: &CheckParams,
    config: &Config,
    records: Option<&RecordCache>,
    limit: Option<(Duration, &InFlight)>,
    tracing: bool,
) -> Evaluation {
    let ip = match params.ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    let mut evaluator = Evaluator {
        lookup,
        config,
        records,
        ip,
        sender: &params.sender,
        helo: &params.helo,
        // Sized once the record is known (see `check`).
        trace: Trace::default(),
        tracing,
        explanation: None,
    };
    let domain = match params.domain.strip_suffix('.') {
        Some(domain) => TraceDomain::from(domain),
        None => params.domain.clone(),
    };
    let result = if !is_checkable_domain(&domain) {
        let reason = Reason::NotFqdn(domain.clone());
        evaluator.finish(0, &domain, SpfResult::None, reason)
    } else if let Some((limit, in_flight)) = limit {
        let check = evaluator.check(domain.clone(), 0, tracing);
        match tokio::time::timeout(limit, check).await {
            Ok(result) => result,
            Err(_) => {
                // Whatever a fail had explained is moot: the result is temperror.
                evaluator.explanation = None;
                let pending = in_flight.pending();
                let reason = Reason::TimedOut { limit, pending };
                evaluator.finish(0, &domain, SpfResult::Temperror, reason)
            }
        }
    } else {
        // A result alone needs no explanation.
        evaluator.check(domain, 0, tracing).await
    };
    Evaluation {
        result,
        explanation: evaluator.explanation,
        // As given, trailing dot and all.
        domain: params.domain.clone(),
        trace: evaluator.trace,
    }
}

/// True when `name` can be sent to DNS: labels of 1–63 octets, 253 in all.
fn is_dns_name(name: &str) -> bool {
    last_label(name).is_some()
}

/// The last label of `name` when `name` can be sent to DNS (see [`is_dns_name`]).
///
/// One pass that branches only at dots: every check and every
/// DNS-querying term validates a name here.
fn last_label(name: &str) -> Option<&str> {
    let bytes = name.as_bytes();
    if bytes.len() > 253 {
        return None;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'.' {
            if i == start || i - start > 63 {
                return None;
            }
            start = i + 1;
        }
    }
    let last = &name[start..];
    (!last.is_empty() && last.len() <= 63).then_some(last)
}

/// The initial-processing test of RFC 7208 §4.3: a DNS name with at least
/// two labels, not an address literal and not ending in a numeric label.
fn is_checkable_domain(name: &str) -> bool {
    match last_label(name) {
        Some(top) => {
            top.len() < name.len()
                && !name.starts_with('[')
                && !top.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Why `name` cannot be sent to DNS, or `None` when it can (see [`is_dns_name`]).
pub(crate) fn dns_name_problem(name: &str) -> Option<String> {
    if is_dns_name(name) {
        return None;
    }
    if name.is_empty() {
        return Some("the name is empty".to_owned());
    }
    if let Some(label) = name.split('.').find(|label| label.len() > 63) {
        let shown: String = label.chars().take(16).collect();
        return Some(format!(
            "label `{shown}…` is {} octets: at most 63 fit in a DNS name",
            label.len()
        ));
    }
    if name.split('.').any(str::is_empty) {
        return Some("it has an empty label".to_owned());
    }
    Some(format!(
        "it is {} octets: at most 253 fit in a DNS name",
        name.len()
    ))
}

/// Why `name` fails the initial processing of RFC 7208 §4.3, or `None`
/// when it is a checkable domain (see [`is_checkable_domain`]).
pub(crate) fn domain_problem(name: &str) -> Option<String> {
    if is_checkable_domain(name) {
        return None;
    }
    if name.starts_with('[') {
        return Some("it is a domain literal, not a domain name".to_owned());
    }
    if let Some(problem) = dns_name_problem(name) {
        return Some(problem);
    }
    if !name.contains('.') {
        return Some("it is a single label, not a fully qualified domain name".to_owned());
    }
    Some("its last label is numeric: it is an address, not a domain name".to_owned())
}

/// Why a term stopped evaluation.
enum Abort {
    Temp(Reason),
    Perm(Reason),
}

fn lookup_failed(rtype: &'static str, name: Option<&str>, error: LookupError) -> Abort {
    Abort::Temp(Reason::LookupFailed {
        rtype,
        name: name.map(TraceDomain::from),
        error,
    })
}

/// A record parsed for one check, or shared by many through a [`RecordCache`].
enum Held {
    Own(Record),
    Shared(Arc<Record>),
}

impl Deref for Held {
    type Target = Record;

    fn deref(&self) -> &Record {
        match self {
            Held::Own(record) => record,
            Held::Shared(record) => record,
        }
    }
}

type Boxed<'s> = Pin<Box<dyn Future<Output = SpfResult> + 's>>;

/// What a term's test found, for the trace. A term answered without DNS
/// (`all`, `ip4`, `ip6`) keeps its network alone: its [`Detail`] is
/// written only when the trace records it, not built and dropped for
/// each term of each check.
enum Seen {
    /// `all` (no network), or the network of `ip4` or `ip6`.
    Local(Option<IpNet>),
    /// The detail of a DNS-querying term.
    Queried(Detail),
}

impl Seen {
    /// An `ip4` or `ip6` outcome, its network kept.
    #[inline]
    fn local((hit, network): (bool, IpNet)) -> (bool, Seen) {
        (hit, Seen::Local(Some(network)))
    }

    /// The detail for the trace; `client` is the address checked.
    fn detail(self, client: IpAddr) -> Detail {
        match self {
            Seen::Local(None) => Detail::All,
            Seen::Local(Some(network)) => Detail::Network { client, network },
            Seen::Queried(detail) => detail,
        }
    }
}

struct Evaluator<'a, L> {
    lookup: &'a L,
    config: &'a Config,
    /// Where records are parsed once for many checks, if the caller keeps one.
    records: Option<&'a RecordCache>,
    ip: IpAddr,
    sender: &'a str,
    helo: &'a str,
    trace: Trace,
    /// Whether steps are recorded in `trace` (its counts always are).
    tracing: bool,
    /// The explanation of a fail, set where the failing term matched.
    ///
    /// Kept here rather than returned with each result: only the checked
    /// domain and its `redirect=` chain ask for one, and a result alone
    /// travels back up the recursion in a register.
    explanation: Option<String>,
}

impl<'a, L: Lookup> Evaluator<'a, L> {
    /// Records a step, when steps are recorded.
    #[inline]
    fn step(&mut self, depth: usize, domain: &TraceDomain, event: TraceEvent) {
        if self.tracing {
            self.trace.steps.push(TraceStep {
                depth,
                domain: domain.clone(),
                event,
            });
        }
    }

    fn finish(
        &mut self,
        depth: usize,
        domain: &TraceDomain,
        result: SpfResult,
        reason: Reason,
    ) -> SpfResult {
        self.step(depth, domain, TraceEvent::Result { result, reason });
        result
    }

    /// Evaluates the record of `domain`; `explain` asks for the explanation of a fail.
    async fn check(&mut self, domain: TraceDomain, depth: usize, explain: bool) -> SpfResult {
        let record = match self.fetch_record(&domain).await {
            Ok(Some(found)) => found,
            Ok(None) => {
                return self.finish(depth, &domain, SpfResult::None, Reason::NoRecord);
            }
            Err(Abort::Temp(reason)) => {
                return self.finish(depth, &domain, SpfResult::Temperror, reason);
            }
            Err(Abort::Perm(reason)) => {
                return self.finish(depth, &domain, SpfResult::Permerror, reason);
            }
        };
        // A record met before comes from the cache with its text, already
        // known to be UTF-8; its term offsets hold for that text.
        let cached = self.records.and_then(|cache| cache.get(&joined(&record)));
        let (text, cached) = match cached {
            Some((text, parsed)) => (RecordText::shared(text), Some(parsed)),
            None => (RecordText::new(record), None),
        };
        // The trace keeps the text, and evaluation labels its terms with
        // slices of it: read as text once here, not once per term. (The
        // copy shares the text: it costs two updates of a count.)
        let shared = text.clone();
        let text_str = shared.as_str();
        let parsed = match (cached, self.records) {
            (Some(parsed), _) => parsed.map(Held::Shared),
            (None, Some(cache)) => cache.parse(text_str).map(Held::Shared),
            (None, None) => match parse(text_str) {
                Ok(record) => Ok(Held::Own(record)),
                Err(e) => Err(Box::new(e)),
            },
        };
        // Room for the record, a step per term and the result, allocated
        // once: a record of a dozen terms grew a preset size twice. At
        // least 6, so that short records that include others seldom grow.
        // Without tracing there are no steps, so no room.
        if self.tracing {
            let room = parsed.as_ref().map_or(0, |record| record.terms.len()) + 2;
            if self.trace.steps.capacity() == 0 {
                // A constant size is allocated inline, without the general path.
                self.trace.steps = match room {
                    ..=6 => Vec::with_capacity(6),
                    _ => Vec::with_capacity(room),
                };
            } else {
                self.trace.steps.reserve(room);
            }
        }
        self.step(depth, &domain, TraceEvent::Record { text });
        let record = match parsed {
            Ok(record) => record,
            Err(e) => {
                let reason = Reason::Syntax(e);
                return self.finish(depth, &domain, SpfResult::Permerror, reason);
            }
        };
        self.evaluate(&record, text_str, &domain, depth, explain)
            .await
    }

    /// [`Evaluator::check`] for an `include` or `redirect=` target.
    ///
    /// Boxed, as recursion requires; the checked domain itself is not, so
    /// that a check without `include` or `redirect=` allocates no future.
    fn check_nested<'s>(
        &'s mut self,
        domain: TraceDomain,
        depth: usize,
        explain: bool,
    ) -> Boxed<'s> {
        Box::pin(self.check(domain, depth, explain))
    }

    /// Fetches the single `v=spf1` TXT record of `domain` (RFC 7208 §4.4, §4.5).
    ///
    /// Gives the record, shared with the answer. The answer is read as
    /// [`Lookup::query`] gives it: [`Lookup::txt`] would copy it into a
    /// list of its own first, for each check of a domain.
    async fn fetch_record(&mut self, domain: &TraceDomain) -> Result<Option<Txt>, Abort> {
        let answer = self.lookup.query(domain, RecordType::TXT).await;
        let answer = answer.map_err(|error| {
            Abort::Temp(Reason::LookupFailed {
                rtype: "TXT",
                name: Some(domain.clone()),
                error,
            })
        })?;
        let Answer::Records(records) = answer else {
            return Ok(None);
        };
        let mut found = None;
        let mut count = 0;
        let texts = records.iter().filter_map(RecordData::as_txt);
        for record in texts {
            if is_spf_record(&joined(record)) {
                count += 1;
                found.get_or_insert(record);
            }
        }
        if count > 1 {
            return Err(Abort::Perm(Reason::MultipleRecords {
                domain: domain.clone(),
                count,
            }));
        }
        Ok(found.cloned())
    }

    async fn evaluate(
        &mut self,
        record: &Record,
        text: &str,
        domain: &TraceDomain,
        depth: usize,
        explain: bool,
    ) -> SpfResult {
        for at in &record.terms {
            let Term::Directive(directive) = &at.term else {
                continue;
            };
            let found = match &directive.mechanism {
                // Answered here, without the future of a DNS-querying term.
                Mechanism::All => Ok((true, Seen::Local(None))),
                Mechanism::Ip4 { addr, prefix } => self.ip4(*addr, *prefix).map(Seen::local),
                Mechanism::Ip6 { addr, prefix } => self.ip6(*addr, *prefix).map(Seen::local),
                mechanism => self
                    .mechanism(mechanism, domain, depth)
                    .await
                    .map(|(hit, detail)| (hit, Seen::Queried(detail))),
            };
            match found {
                Ok((true, seen)) => {
                    let qualifier = directive.effective_qualifier();
                    let result = SpfResult::from(qualifier);
                    if self.tracing {
                        let label = TermText::new(text, at);
                        let detail = seen.detail(self.ip);
                        self.term_step(depth, domain, label.clone(), TermOutcome::Match, detail);
                        self.finish(depth, domain, result, Reason::Matched(label));
                    }
                    if qualifier == Qualifier::Fail && explain {
                        self.explanation = Some(self.explain(record, domain, depth).await);
                    }
                    return result;
                }
                Ok((false, seen)) => {
                    if self.tracing {
                        let label = TermText::new(text, at);
                        let detail = seen.detail(self.ip);
                        self.term_step(depth, domain, label, TermOutcome::NoMatch, detail);
                    }
                }
                Err(abort) => {
                    let (result, reason) = match abort {
                        Abort::Temp(reason) => (SpfResult::Temperror, reason),
                        Abort::Perm(reason) => (SpfResult::Permerror, reason),
                    };
                    let detail = Detail::Aborted(reason.clone());
                    let label = TermText::new(text, at);
                    self.term_step(depth, domain, label, TermOutcome::Error, detail);
                    return self.finish(depth, domain, result, reason);
                }
            }
        }
        let Some((index, spec)) = record.redirect() else {
            return self.finish(depth, domain, SpfResult::Neutral, Reason::NoMatch);
        };
        let label = TermText::new(text, &record.terms[index]);
        if let Err(reason) = self.count_lookup() {
            let detail = Detail::Aborted(reason.clone());
            self.term_step(depth, domain, label, TermOutcome::Error, detail);
            return self.finish(depth, domain, SpfResult::Permerror, reason);
        }
        let target = self.expand_target(spec, domain).await;
        let detail = Detail::Redirect(target.clone());
        self.term_step(depth, domain, label, TermOutcome::Match, detail);
        if !is_dns_name(&target) {
            let reason = Reason::InvalidRedirectTarget(target);
            return self.finish(depth, domain, SpfResult::Permerror, reason);
        }
        let result = self.check_nested(target.clone(), depth + 1, explain).await;
        if result == SpfResult::None {
            let reason = Reason::RedirectNone(target);
            return self.finish(depth, domain, SpfResult::Permerror, reason);
        }
        result
    }

    #[inline]
    fn term_step(
        &mut self,
        depth: usize,
        domain: &TraceDomain,
        term: TermText,
        outcome: TermOutcome,
        detail: Detail,
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
    fn count_lookup(&mut self) -> Result<(), Reason> {
        self.trace.dns_lookups += 1;
        if self.trace.dns_lookups > self.config.max_lookups {
            return Err(Reason::TooManyLookups(self.config.max_lookups));
        }
        Ok(())
    }

    /// Counts one void answer against the limit (RFC 7208 §4.6.4).
    fn count_void(&mut self) -> Result<(), Abort> {
        self.trace.void_lookups += 1;
        if self.trace.void_lookups > self.config.max_void_lookups {
            let reason = Reason::TooManyVoidLookups(self.config.max_void_lookups);
            return Err(Abort::Perm(reason));
        }
        Ok(())
    }

    /// Turns a lookup of type `rtype` at `name` into its records, counting
    /// a void answer and mapping a DNS failure to temperror.
    fn records<T>(
        &mut self,
        rtype: &'static str,
        name: Option<&str>,
        answer: LookupResult<T>,
    ) -> Result<Answer<T>, Abort> {
        match answer {
            Ok(answer) if answer.is_void() => {
                self.count_void()?;
                Ok(answer)
            }
            Ok(answer) => Ok(answer),
            Err(error) => Err(lookup_failed(rtype, name, error)),
        }
    }

    /// Does `mechanism`, one that queries DNS, match the client? Returns
    /// the answer and a detail for the trace.
    async fn mechanism(
        &mut self,
        mechanism: &Mechanism,
        domain: &TraceDomain,
        depth: usize,
    ) -> Result<(bool, Detail), Abort> {
        if mechanism.queries_dns() {
            self.count_lookup().map_err(Abort::Perm)?;
        }
        // Without a domain-spec the target is the current domain: a shared
        // name, not a copy.
        let target = match mechanism.target() {
            Some(spec) => self.expand_target(spec, domain).await,
            None => domain.clone(),
        };
        if mechanism.queries_dns() && !is_dns_name(&target) {
            if let Mechanism::Include(_) = mechanism {
                return Err(Abort::Perm(Reason::InvalidIncludeTarget(target)));
            }
            return Ok((false, Detail::InvalidName(target)));
        }
        match mechanism {
            Mechanism::All | Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. } => {
                unreachable!("`all`, `ip4` and `ip6` are answered by the caller, without DNS")
            }
            Mechanism::A { cidr, .. } => {
                let addrs = self.addresses(&target, true).await?;
                let hit = addrs.iter().any(|a| self.in_prefix(a, cidr.ip4, cidr.ip6));
                Ok((
                    hit,
                    Detail::Addresses {
                        name: target,
                        addrs,
                    },
                ))
            }
            Mechanism::Mx { cidr, .. } => self.mx(target, cidr.ip4, cidr.ip6).await,
            Mechanism::Ptr(_) => self.ptr(target).await,
            Mechanism::Exists(_) => {
                let answer = self.lookup.a(&target).await;
                let answer = self.records("A", Some(&target), answer)?;
                let addrs = Addresses::V4(answer.into_records());
                Ok((
                    !addrs.is_empty(),
                    Detail::Addresses {
                        name: target,
                        addrs,
                    },
                ))
            }
            Mechanism::Include(_) => {
                let result = self.check_nested(target.clone(), depth + 1, false).await;
                match result {
                    SpfResult::Pass => Ok((true, Detail::Included { target, result })),
                    SpfResult::Fail | SpfResult::Softfail | SpfResult::Neutral => {
                        Ok((false, Detail::Included { target, result }))
                    }
                    SpfResult::Temperror => {
                        Err(Abort::Temp(Reason::IncludeResult { target, result }))
                    }
                    SpfResult::Permerror => {
                        Err(Abort::Perm(Reason::IncludeResult { target, result }))
                    }
                    SpfResult::None => Err(Abort::Perm(Reason::IncludeNone(target))),
                }
            }
        }
    }

    /// `ip4` (RFC 7208 §5.6): is the client in the network? And the network.
    ///
    /// The client is in it when the network's leading bits are its own:
    /// told with one mask, not by the network's bounds as `Ipv4Net::contains` does.
    #[inline]
    fn ip4(&self, addr: Ipv4Addr, prefix: Option<u8>) -> Result<(bool, IpNet), Abort> {
        let net = Ipv4Net::new(addr, prefix.unwrap_or(32))
            .map_err(|e| Abort::Perm(Reason::BadNetwork(e.to_string())))?;
        let mask = u32::from(net.netmask());
        let hit =
            matches!(self.ip, IpAddr::V4(ip) if (u32::from(ip) ^ u32::from(addr)) & mask == 0);
        Ok((hit, IpNet::V4(net)))
    }

    /// `ip6` (RFC 7208 §5.6): is the client in the network? And the network.
    #[inline]
    fn ip6(&self, addr: Ipv6Addr, prefix: Option<u8>) -> Result<(bool, IpNet), Abort> {
        let net = Ipv6Net::new(addr, prefix.unwrap_or(128))
            .map_err(|e| Abort::Perm(Reason::BadNetwork(e.to_string())))?;
        let mask = u128::from(net.netmask());
        let hit =
            matches!(self.ip, IpAddr::V6(ip) if (u128::from(ip) ^ u128::from(addr)) & mask == 0);
        Ok((hit, IpNet::V6(net)))
    }

    /// A or AAAA records of `name` for the client's family; `count` makes a void answer count.
    async fn addresses(&mut self, name: &str, count: bool) -> Result<Addresses, Abort> {
        Ok(match self.ip {
            IpAddr::V4(_) => {
                let answer = self.lookup.a(name).await;
                Addresses::V4(self.answer("A", name, answer, count)?.into_records())
            }
            IpAddr::V6(_) => {
                let answer = self.lookup.aaaa(name).await;
                Addresses::V6(self.answer("AAAA", name, answer, count)?.into_records())
            }
        })
    }

    /// The answer to a query for `rtype` at `name`; `count` makes a void answer count.
    fn answer<T>(
        &mut self,
        rtype: &'static str,
        name: &str,
        answer: LookupResult<T>,
        count: bool,
    ) -> Result<Answer<T>, Abort> {
        if count {
            return self.records(rtype, Some(name), answer);
        }
        answer.map_err(|error| lookup_failed(rtype, Some(name), error))
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
        target: TraceDomain,
        ip4: Option<u8>,
        ip6: Option<u8>,
    ) -> Result<(bool, Detail), Abort> {
        let answer = self.lookup.mx(&target).await;
        let exchanges = self.records("MX", Some(&target), answer)?.into_records();
        if exchanges.len() > MAX_NAMES {
            let count = exchanges.len();
            return Err(Abort::Perm(Reason::TooManyMx { target, count }));
        }
        for mx in by_preference(&exchanges).filter(|mx| !mx.exchange.is_empty()) {
            let addrs = self.addresses(&mx.exchange, false).await?;
            if addrs.iter().any(|a| self.in_prefix(a, ip4, ip6)) {
                let exchange = TraceDomain::from(mx.exchange.as_str());
                return Ok((true, Detail::MxHost { exchange, addrs }));
            }
        }
        Ok((false, Detail::MxHosts { target, exchanges }))
    }

    /// The client's PTR names; a DNS error gives none (RFC 7208 §5.5).
    ///
    /// Callers look at the first 10 only.
    async fn ptr_names(&mut self, count_void: bool) -> Result<Arc<[String]>, Abort> {
        Ok(match self.lookup.ptr(self.ip).await {
            Err(_) => Arc::default(),
            Ok(answer) if count_void => self.records("PTR", None, Ok(answer))?.into_records(),
            Ok(answer) => answer.into_records(),
        })
    }

    /// True when `name` has an address equal to the client's; DNS errors count as no.
    async fn validates(&mut self, name: &str) -> bool {
        self.addresses(name, false)
            .await
            .is_ok_and(|addrs| addrs.iter().any(|a| a == self.ip))
    }

    /// `ptr` (RFC 7208 §5.5): a validated PTR name equal to or under the target.
    async fn ptr(&mut self, target: TraceDomain) -> Result<(bool, Detail), Abort> {
        let names = self.ptr_names(true).await?;
        for name in names.iter().take(MAX_NAMES) {
            if is_subdomain(name, &target) && self.validates(name).await {
                let name = TraceDomain::from(name.as_str());
                return Ok((true, Detail::PtrValidated { name, target }));
            }
        }
        Ok((false, Detail::PtrNone { target, names }))
    }

    /// `%{p}` (RFC 7208 §7.3): a validated name, preferring `domain` or one under it.
    async fn validated_name(&mut self, domain: &str) -> String {
        let Ok(names) = self.ptr_names(false).await else {
            return "unknown".to_owned();
        };
        let mut best: Option<(u8, &String)> = None;
        for name in names.iter().take(MAX_NAMES) {
            let rank = if name.eq_ignore_ascii_case(domain) {
                0
            } else if is_subdomain(name, domain) {
                1
            } else {
                2
            };
            if best.as_ref().is_some_and(|(r, _)| *r <= rank) || !self.validates(name).await {
                continue;
            }
            best = Some((rank, name));
        }
        best.map_or_else(|| "unknown".to_owned(), |(_, name)| name.clone())
    }

    fn env<'e>(&'e self, domain: &'e str, ptr: &'e str) -> MacroEnv<'e> {
        // Split here rather than once per check: most checks expand no macro.
        let (local, sender_domain) = self.sender.rsplit_once('@').unwrap_or(("", self.sender));
        MacroEnv {
            sender: self.sender,
            // A missing local-part is `postmaster` (RFC 7208 §4.3).
            local: if local.is_empty() {
                "postmaster"
            } else {
                local
            },
            sender_domain,
            domain,
            ip: self.ip,
            helo: self.helo,
            ptr,
            receiver: &self.config.receiver,
            timestamp: self.config.timestamp,
        }
    }

    async fn ptr_value(&mut self, spec: &MacroString, domain: &str) -> String {
        if macros::uses_letter(spec, MacroLetter::Ptr) {
            // Boxed: `%{p}` is rare, and its lookups would otherwise
            // enlarge every future that expands a macro.
            Box::pin(self.validated_name(domain)).await
        } else {
            String::new()
        }
    }

    async fn expand_domain(&mut self, spec: &MacroString, domain: &str) -> String {
        let ptr = self.ptr_value(spec, domain).await;
        macros::expand_domain(spec, &self.env(domain, &ptr))
    }

    /// The target name of a mechanism or `redirect=` (RFC 7208 §4.8, §7.3).
    ///
    /// A domain-spec without macros is taken as written, without a pass
    /// through the expander.
    async fn expand_target(&mut self, spec: &MacroString, domain: &str) -> TraceDomain {
        if let [MacroItem::Literal(text)] = spec.items() {
            match text.strip_suffix('.') {
                None if text.len() <= macros::MAX_DOMAIN_LEN => return text.clone(),
                Some(name) if name.len() <= macros::MAX_DOMAIN_LEN => {
                    return TraceDomain::from(name);
                }
                _ => {}
            }
        }
        TraceDomain::from(self.expand_domain(spec, domain).await)
    }

    /// The explanation of a fail from `record` (RFC 7208 §6.2), or the default one.
    ///
    /// The `exp=` lookup is not a DNS-querying term and its void does not count.
    async fn explain(&mut self, record: &Record, domain: &TraceDomain, depth: usize) -> String {
        if let Some(spec) = record.explanation() {
            let target = TraceDomain::from(self.expand_domain(spec, domain).await);
            let (text, source) = match self.explanation_text(&target, domain).await {
                Ok(text) => (text, ExplanationSource::Txt(target)),
                Err(why) => (
                    self.default_explanation(domain),
                    ExplanationSource::Default(why),
                ),
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

    async fn explanation_text(
        &mut self,
        target: &TraceDomain,
        domain: &str,
    ) -> Result<String, NoExplanation> {
        if !is_dns_name(target) {
            return Err(NoExplanation::InvalidName(target.clone()));
        }
        let records = match self.lookup.txt(target).await {
            Ok(answer) => answer,
            Err(e) => return Err(NoExplanation::LookupFailed(target.clone(), e)),
        };
        let [strings] = records.records() else {
            let count = records.records().len();
            return Err(NoExplanation::RecordCount(target.clone(), count));
        };
        let text = joined(strings);
        let text =
            std::str::from_utf8(&text).map_err(|_| NoExplanation::NotAscii(target.clone()))?;
        let spec = parse_explanation(text).map_err(|e| NoExplanation::Syntax(Box::new(e)))?;
        let ptr = self.ptr_value(&spec, domain).await;
        macros::expand_at_most(&spec, &self.env(domain, &ptr), MAX_EXPLANATION_OCTETS)
            .ok_or_else(|| NoExplanation::TooLong(target.clone()))
    }

    fn default_explanation(&self, domain: &str) -> String {
        let text = &self.config.default_explanation;
        if !text.contains('%') {
            // Without macros the text is the explanation, whether it parses or not.
            return text.clone();
        }
        let parsed = match text.as_str() {
            DEFAULT_EXPLANATION => Ok(Cow::Borrowed(&*DEFAULT_EXPLANATION_SPEC)),
            text => parse_explanation(text).map(Cow::Owned),
        };
        match parsed {
            Ok(spec) if !macros::uses_letter(&spec, MacroLetter::Ptr) => {
                let env = self.env(domain, "unknown");
                macros::expand_at_most(&spec, &env, MAX_EXPLANATION_OCTETS)
                    .unwrap_or_else(|| text.clone())
            }
            _ => text.clone(),
        }
    }
}

/// MX records in order of preference, lowest first (RFC 5321 §5.1); at most
/// [`MAX_NAMES`] are ever looked at, so they are ordered on the stack.
fn by_preference(exchanges: &[Mx]) -> impl Iterator<Item = &Mx> {
    let mut order = [0; MAX_NAMES];
    let count = exchanges.len().min(MAX_NAMES);
    for (i, slot) in order.iter_mut().enumerate() {
        *slot = i;
    }
    order[..count].sort_by_key(|&i| exchanges[i].preference);
    (0..count).map(move |i| &exchanges[order[i]])
}

/// The character-strings of a TXT record joined (RFC 7208 §3.3), borrowed when there is one.
pub(super) fn joined(strings: &[Box<[u8]>]) -> Cow<'_, [u8]> {
    match strings {
        [single] => Cow::Borrowed(single),
        _ => Cow::Owned(strings.concat()),
    }
}

/// `name` equals `parent` or lies under it, without regard to case or a trailing dot.
fn is_subdomain(name: &str, parent: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).as_bytes();
    let parent = parent.strip_suffix('.').unwrap_or(parent).as_bytes();
    let Some(split) = name.len().checked_sub(parent.len()) else {
        return false;
    };
    let (head, tail) = name.split_at(split);
    tail.eq_ignore_ascii_case(parent) && (head.is_empty() || head.ends_with(b"."))
}

/// Writes `items` separated by `, `, or `empty` when there are none.
fn write_list<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    items: impl IntoIterator<Item = T>,
    empty: &str,
) -> fmt::Result {
    let mut items = items.into_iter().peekable();
    if items.peek().is_none() {
        return f.write_str(empty);
    }
    for (i, item) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Detail::All => f.write_str("`all` always matches"),
            Detail::Network { client, network } => write!(f, "client {client} against {network}"),
            Detail::Addresses { name, addrs } => {
                write!(f, "`{name}` has ")?;
                write_list(f, addrs.iter(), "no address")
            }
            Detail::InvalidName(name) => write!(f, "`{name}` is not a valid domain name"),
            Detail::MxHost { exchange, addrs } => {
                write!(f, "MX `{exchange}` has ")?;
                write_list(f, addrs.iter(), "no address")
            }
            Detail::MxHosts { target, exchanges } => {
                write!(f, "MX hosts of `{target}`: ")?;
                write_list(f, by_preference(exchanges).map(|mx| &mx.exchange), "")
            }
            Detail::PtrValidated { name, target } => {
                write!(f, "`{name}` is validated and under `{target}`")
            }
            Detail::PtrNone { target, names } => {
                let names = &names[..names.len().min(MAX_NAMES)];
                write!(f, "no validated PTR name under `{target}` among {names:?}")
            }
            Detail::Included { target, result } => write!(f, "`{target}` gave {result}"),
            Detail::Redirect(target) => write!(f, "redirect to `{target}`"),
            Detail::Aborted(reason) => reason.fmt(f),
        }
    }
}

impl Serialize for Detail {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for ExplanationSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExplanationSource::Txt(target) => write!(f, "TXT of `{target}`"),
            ExplanationSource::Default(why) => write!(f, "default: {why}"),
        }
    }
}

impl Serialize for ExplanationSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for NoExplanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoExplanation::InvalidName(target) => {
                write!(f, "`{target}` is not a valid domain name")
            }
            NoExplanation::LookupFailed(target, e) => {
                write!(f, "TXT lookup for `{target}` failed: {e}")
            }
            NoExplanation::RecordCount(target, count) => {
                write!(f, "`{target}` has {count} TXT records, not one")
            }
            NoExplanation::NotAscii(target) => write!(f, "TXT of `{target}` is not ASCII"),
            NoExplanation::Syntax(e) => write!(f, "bad explanation: {e}"),
            NoExplanation::TooLong(target) => write!(
                f,
                "the explanation at `{target}` expands to more than {MAX_EXPLANATION_OCTETS} octets, the room in one SMTP reply line: dropped"
            ),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotFqdn(domain) => {
                let problem = domain_problem(domain).unwrap_or_default();
                write!(
                    f,
                    "`{domain}` is not a domain that can be checked: {problem} (RFC 7208 §4.3)"
                )
            }
            Reason::NoRecord => f.write_str("no SPF record"),
            Reason::LookupFailed { rtype, name, error } => match name {
                Some(name) => write!(f, "{rtype} lookup for `{name}` failed: {error}"),
                None => write!(f, "{rtype} lookup failed: {error}"),
            },
            Reason::MultipleRecords { domain, count } => write!(
                f,
                "{count} `v=spf1` records at `{domain}`: exactly one is allowed (RFC 7208 §4.5)"
            ),
            Reason::Syntax(e) => write!(f, "syntax error:\n{}", e.render()),
            Reason::Matched(term) => write!(f, "`{term}` matched"),
            Reason::NoMatch => f.write_str("no mechanism matched and there is no `redirect=`"),
            Reason::TooManyLookups(max) => {
                write!(f, "more than {max} DNS-querying terms (RFC 7208 §4.6.4)")
            }
            Reason::TooManyVoidLookups(max) => {
                write!(f, "more than {max} void lookups (RFC 7208 §4.6.4)")
            }
            Reason::BadNetwork(e) => write!(f, "bad network: {e}"),
            Reason::InvalidIncludeTarget(target) => {
                write!(f, "include target `{target}` is not a valid domain name")
            }
            Reason::InvalidRedirectTarget(target) => {
                write!(f, "redirect target `{target}` is not a valid domain name")
            }
            Reason::IncludeResult { target, result } => write!(f, "`{target}` gave {result}"),
            Reason::IncludeNone(target) => write!(
                f,
                "include target `{target}` has no SPF record (RFC 7208 §5.2)"
            ),
            Reason::RedirectNone(target) => write!(
                f,
                "redirect target `{target}` has no SPF record (RFC 7208 §6.1)"
            ),
            Reason::TooManyMx { target, count } => write!(
                f,
                "`{target}` has {count} MX records: at most {MAX_NAMES} are allowed (RFC 7208 §4.6.4)"
            ),
            Reason::TimedOut { limit, pending } => write!(
                f,
                "the check did not finish within {} s (RFC 7208 §4.6.4); still waiting for {}",
                limit.as_secs_f64(),
                PendingList(pending)
            ),
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
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
                    let reason = reason.to_string().replace('\n', &format!("\n{indent}    "));
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
            zone.insert(
                owner,
                RecordData::Txt(vec![text.as_bytes().to_vec()].into()),
            );
        }
        zone
    }

    fn check(zone: &MemoryZone, ip: &str, sender: &str) -> Evaluation {
        let params = CheckParams::mail_from(ip.parse().unwrap(), sender, "helo.example.org");
        block_on(check_host(zone, &params, &Config::default()))
    }

    #[test]
    fn names_are_checked_per_label_and_whole() {
        let long_label = "a".repeat(63);
        let too_long_label = "a".repeat(64);
        let at_limit = format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61)
        );
        assert_eq!(at_limit.len(), 253);
        for (name, dns, checkable) in [
            ("example.com", true, true),
            ("com", true, false),
            ("", false, false),
            (".example.com", false, false),
            ("example..com", false, false),
            ("example.com.", false, false),
            ("192.0.2.1", true, false),
            ("[192.0.2.1]", true, false),
            ("x.123a", true, true),
            (&format!("{long_label}.example"), true, true),
            (&format!("{too_long_label}.example"), false, false),
            (&format!("example.{too_long_label}"), false, false),
            (&at_limit, true, true),
            (&format!("{at_limit}e"), false, false),
        ] {
            assert_eq!(is_dns_name(name), dns, "{name}");
            assert_eq!(is_checkable_domain(name), checkable, "{name}");
        }
    }

    #[test]
    fn name_problems_say_why() {
        for (name, problem) in [
            ("", "the name is empty"),
            ("example..com", "an empty label"),
            (&format!("{}.com", "a".repeat(64)), "64 octets: at most 63"),
            (
                &format!("{}.com", vec!["a".repeat(63); 4].join(".")),
                "at most 253",
            ),
            ("[192.0.2.1]", "a domain literal"),
            ("localhost", "a single label"),
            ("192.0.2.1", "its last label is numeric"),
        ] {
            let found = domain_problem(name).unwrap_or_default();
            assert!(found.contains(problem), "{name}: {found}");
        }
        assert_eq!(domain_problem("example.com"), None);
        assert_eq!(dns_name_problem("localhost"), None);
    }

    /// A lookup that never answers.
    struct Never;

    impl Lookup for Never {
        async fn query(
            &self,
            _: &str,
            _: hickory_proto::rr::RecordType,
        ) -> LookupResult<RecordData> {
            std::future::pending().await
        }
    }

    #[test]
    fn a_check_past_its_timeout_is_a_temperror_naming_what_it_waited_for() {
        let params = CheckParams::mail_from([192, 0, 2, 1].into(), "a@example.com", "h.example");
        let config = Config {
            timeout: Some(Duration::from_millis(50)),
            ..Config::default()
        };
        let e = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(check_host(&Never, &params, &config));
        assert_eq!(e.result, SpfResult::Temperror);
        assert!(
            e.to_string().ends_with(
                "example.com: temperror (the check did not finish within 0.05 s (RFC 7208 §4.6.4); still waiting for TXT `example.com`)\n"
            ),
            "{e}"
        );
    }

    #[test]
    fn explanations_over_the_cap_are_dropped_for_the_default() {
        let mut z = zone(&[("d.example", "v=spf1 -all exp=why.example")]);
        z.insert(
            "why.example",
            RecordData::Txt(vec![b"%{s}".repeat(200), b"%{s}".repeat(200)].into()),
        );
        let e = check(&z, "192.0.2.5", "someone@d.example");
        assert_eq!(
            e.explanation.as_deref(),
            Some("192.0.2.5 is not authorized to send mail for d.example by its SPF record")
        );
        assert!(
            e.to_string().contains("expands to more than 499 octets"),
            "{e}"
        );
        // 499 octets exactly is kept.
        let mut z = zone(&[("d.example", "v=spf1 -all exp=why.example")]);
        z.insert(
            "why.example",
            RecordData::Txt(vec![vec![b'x'; 250], vec![b'y'; 249]].into()),
        );
        let e = check(&z, "192.0.2.5", "someone@d.example");
        assert_eq!(e.explanation.map(|x| x.len()), Some(MAX_EXPLANATION_OCTETS));
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
        assert!(
            text.contains(
                "explanation \"192.0.2.2 may not send for top.example\" (TXT of `why.example`)"
            ),
            "{text}"
        );
        let json = serde_json::to_value(&fail).unwrap();
        assert_eq!(json["result"], "fail");
        assert_eq!(json["trace"]["steps"][0]["event"], "record");
        assert_eq!(json["trace"]["steps"][2]["outcome"], "no-match");
    }

    #[test]
    fn cached_checks_parse_each_record_once_and_evaluate_alike() {
        let z = zone(&[
            (
                "top.example",
                "v=spf1 ip4:192.0.2.1 include:child.example -all exp=why.example",
            ),
            ("child.example", "v=spf1 ip4:192.0.2.2 ~all"),
            ("why.example", "%{i} may not send for %{d}"),
            ("broken.example", "v=spf1 ip4:192.0.2.300 -all"),
        ]);
        let records = RecordCache::new();
        let config = Config::default();
        for (ip, sender) in [
            ("192.0.2.1", "x@top.example"),
            ("192.0.2.2", "x@top.example"),
            ("192.0.2.3", "x@top.example"),
            ("2001:db8::1", "x@top.example"),
            ("192.0.2.1", "x@broken.example"),
            ("192.0.2.1", "x@broken.example"),
        ] {
            let params = CheckParams::mail_from(ip.parse().unwrap(), sender, "helo.example.org");
            let cached = block_on(check_host_cached(&z, &params, &config, &records));
            assert_eq!(cached, check(&z, ip, sender), "{ip} {sender}");
            let result = block_on(check_host_result(&z, &params, &config, &records));
            assert_eq!(result, cached.result, "{ip} {sender}");
        }
        // top, child and broken: the explanation is not an SPF record.
        assert_eq!(records.len(), 3);
    }

    #[test]
    fn trace_terms_show_in_canonical_form() {
        let z = zone(&[
            (
                "top.example",
                "V=SPF1  IP4:192.0.2.0/24   ?A:Other.Example//64  Redirect=next.example",
            ),
            ("next.example", "v=spf1 -ALL"),
        ]);
        let e = check(&z, "198.51.100.1", "x@top.example");
        let terms: Vec<String> = e
            .trace
            .steps
            .iter()
            .filter_map(|s| match &s.event {
                TraceEvent::Term { term, .. } => Some(term.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(
            terms,
            [
                "ip4:192.0.2.0/24",
                "?a:Other.Example//64",
                "redirect=next.example",
                "-all"
            ]
        );
        let Some(TraceEvent::Result {
            reason: Reason::Matched(term),
            ..
        }) = e.trace.steps.last().map(|s| &s.event)
        else {
            panic!("no matched term at the end: {e}");
        };
        assert_eq!(term.as_written(), "-ALL");
        assert_eq!(term.term().map(|t| t.to_string()).as_deref(), Some("-all"));
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
    fn unusable_exp_target_falls_back_to_the_default_and_says_why() {
        let z = zone(&[("d.example", "v=spf1 -all exp=none.example")]);
        let e = check(&z, "192.0.2.5", "x@d.example");
        let source = e.trace.steps.iter().find_map(|s| match &s.event {
            TraceEvent::Explanation { source, .. } => Some(source.to_string()),
            _ => None,
        });
        assert_eq!(
            source.as_deref(),
            Some("default: `none.example` has 0 TXT records, not one")
        );
    }

    #[test]
    fn mx_hosts_are_tried_and_shown_by_preference() {
        let mut z = zone(&[("m.example", "v=spf1 mx -all")]);
        for (preference, exchange) in [(20, "b.example"), (10, "c.example"), (20, "a.example")] {
            let exchange = exchange.to_owned();
            z.insert(
                "m.example",
                RecordData::Mx(Mx {
                    preference,
                    exchange,
                }),
            );
        }
        z.insert("a.example", RecordData::A([192, 0, 2, 1].into()));
        let miss = check(&z, "192.0.2.9", "x@m.example");
        assert!(
            miss.to_string()
                .contains("MX hosts of `m.example`: c.example, b.example, a.example"),
            "{miss}"
        );
        let hit = check(&z, "192.0.2.1", "x@m.example");
        assert_eq!(hit.result, SpfResult::Pass);
        assert!(
            hit.to_string().contains("MX `a.example` has 192.0.2.1"),
            "{hit}"
        );
    }

    #[test]
    fn record_text_joins_strings_and_decodes_lossily() {
        let mut z = zone(&[("one.example", "v=spf1 -all")]);
        z.insert(
            "split.example",
            RecordData::Txt(vec![b"v=spf1 ".to_vec(), b"-all".to_vec()].into()),
        );
        z.insert(
            "latin.example",
            RecordData::Txt(vec![b"v=spf1 -all caf\xe9".to_vec()].into()),
        );
        for (sender, want) in [
            ("x@one.example", "v=spf1 -all"),
            ("x@split.example", "v=spf1 -all"),
            ("x@latin.example", "v=spf1 -all caf\u{fffd}"),
        ] {
            let e = check(&z, "192.0.2.1", sender);
            let Some(TraceEvent::Record { text }) = e.trace.steps.first().map(|s| &s.event) else {
                panic!("{sender}: no record step");
            };
            assert_eq!(text.as_str(), want);
        }
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
