//! Checks of one sending domain: its SPF records (the top one and its
//! chained `_spfN` parts) against the plan, their lint, `check_host()` for
//! every address that sends for it and for one that does not (RFC 7208
//! §4, §5), and its planned DMARC record and report authorisations (RFC
//! 7489 §6.1, §7.1).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

use super::planned::{domain_ttl, txt_line};
use super::{Context, describe_void};
use crate::dns::{Answer, Lookup, Txt};
use crate::finding::{Cause, DNS_ERROR, Finding, SPF_DNS_ERROR, Severity};
use crate::inventory::Domain;
use crate::mailauth;
use crate::spf::{self, CheckParams, Config, Evaluation, RecordCache, SpfResult, TraceEvent};

/// Every finding about `domains[index]`, `domain`.
pub(super) async fn check<L: Lookup>(
    ctx: &Context<'_, L>,
    index: usize,
    domain: &Domain,
) -> Vec<Finding> {
    let name = &domain.name;
    // The domain's record, and those it includes, parsed once for the lint
    // and all the checks of its addresses.
    let records = RecordCache::new();
    let lint = spf::lint_domain_cached(ctx.dns, name, &ctx.profile, &records).await;
    let chain = ctx.planned.spf_chain(name);
    let ttl = domain_ttl(ctx.inventory, domain);
    // The published text of each planned part of the chain (the lint asked
    // for each already: the answers are the run's memo).
    let mut published: Vec<Option<String>> = vec![lint.record.clone()];
    for (owner, _) in chain.iter().skip(1) {
        published.push(match ctx.dns.txt(owner).await {
            Ok(answer) => one_spf(&answer),
            Err(_) => None,
        });
    }
    let mut findings: Vec<Finding> = Vec::new();
    for finding in lint.findings {
        let mut finding = from_lint(name, lint.record.as_deref(), finding);
        if finding.id == "spf-missing"
            && let Some((_, text)) = chain.first()
        {
            finding.fix = PUBLISH.to_owned();
            finding.expected = Some((*text).to_owned());
            finding.records = vec![txt_line(name, ttl, text)];
        }
        let part = chain
            .iter()
            .position(|(owner, _)| *owner == finding.subject);
        if let Some(part) = part
            && let (Some(column), Some(text)) = (finding.column, &published[part])
            && let Some(path) = term_path(ctx, index, domain, chain[part].1, text, column)
        {
            finding.fix = format!(
                "{}; it comes from the inventory: change it there, then publish the records `senderzone generate` writes",
                finding.fix
            );
            finding = finding.caused_by(ctx.inventory.locate(&path));
        }
        if finding.id == "spf-too-many-lookups"
            && !domain.include.is_empty()
            && published[0].as_deref() == chain.first().map(|(_, text)| *text)
        {
            finding = finding.caused_by(ctx.inventory.locate(&format!("domains[{index}].include")));
        }
        findings.push(finding);
    }
    if findings
        .iter()
        .any(|f| f.id == "spf-multiple" && &f.subject == name)
        && let Ok(answer) = ctx.dns.txt(name).await
    {
        let texts: Vec<String> = answer
            .records()
            .iter()
            .map(|s| s.concat())
            .filter(|t| spf::is_spf_record(t))
            .map(|t| String::from_utf8_lossy(&t).into_owned())
            .collect();
        if let Some(f) = findings
            .iter_mut()
            .find(|f| f.id == "spf-multiple" && &f.subject == name)
        {
            f.expected = Some("one `v=spf1` record".to_owned());
            f.actual = Some(texts.join(" | "));
            if let Some((_, text)) = chain.first() {
                f.fix = "keep only the planned record".to_owned();
                f.records = vec![txt_line(name, ttl, text)];
            }
        }
    }
    let mut drifted = false;
    for (part, ((owner, planned), published)) in chain.iter().zip(&published).enumerate() {
        let owner: &str = owner;
        // Written only for a finding: most parts are as planned.
        let record = || txt_line(owner, ttl, planned);
        match published {
            Some(published) if published != planned => {
                drifted = true;
                findings.push(
                    Finding::new(
                        "spf-drift",
                        Severity::Error,
                        owner,
                        "the published SPF record differs from the planned one",
                        PUBLISH,
                    )
                    .values(*planned, published.clone())
                    .publish(vec![record()]),
                );
            }
            Some(_) => {}
            // The top record's absence is the lint's `spf-missing`.
            None if part == 0 => drifted = true,
            None => {
                drifted = true;
                let answer = ctx.dns.txt(owner).await;
                match answer {
                    Err(error) => findings.push(Finding::undetermined(
                        owner,
                        "the chained SPF record",
                        error,
                    )),
                    // Several are the lint's `spf-multiple`.
                    Ok(answer) if spf_count(&answer) > 1 => {}
                    Ok(answer) => findings.push(
                        Finding::new(
                            "spf-missing",
                            Severity::Error,
                            owner,
                            "no SPF record: a part of the domain's record chain (RFC 7208 §5.2 include)",
                            PUBLISH,
                        )
                        .values(*planned, describe_void(&answer, owner))
                        .publish(vec![record()]),
                    ),
                }
            }
        }
    }
    findings.extend(authorization(ctx, domain, drifted, &records).await);
    findings.extend(dmarc(ctx, index, domain).await);
    findings
}

/// The fix of a finding whose planned records follow it.
const PUBLISH: &str = "publish the planned record";

/// The one SPF record of a TXT answer, joined, if there is exactly one.
fn one_spf(answer: &Answer<Txt>) -> Option<String> {
    let mut spf = answer
        .records()
        .iter()
        .map(|strings| strings.concat())
        .filter(|text| spf::is_spf_record(text));
    match (spf.next(), spf.next()) {
        (Some(text), None) => Some(String::from_utf8_lossy(&text).into_owned()),
        _ => None,
    }
}

/// How many SPF records a TXT answer holds.
fn spf_count(answer: &Answer<Txt>) -> usize {
    answer
        .records()
        .iter()
        .filter(|strings| spf::is_spf_record(&strings.concat()))
        .count()
}

/// The key path of the inventory value behind the term at 1-based
/// `column` of `published`, when the planned record `planned` has the
/// term too: an `ip4`/`ip6` network of the domain, a server address, or
/// an `include` of the domain.
fn term_path<L>(
    ctx: &Context<'_, L>,
    index: usize,
    domain: &Domain,
    planned: &str,
    published: &str,
    column: usize,
) -> Option<String> {
    let term = published.get(column.checked_sub(1)?..)?.split(' ').next()?;
    if !planned
        .split(' ')
        .any(|planned| planned.eq_ignore_ascii_case(term))
    {
        return None;
    }
    // The term equals a planned one, whose names are in the normal form.
    let bare = term.trim_start_matches(['+', '-', '~', '?']);
    let (mechanism, value) = bare.split_once(':')?;
    match mechanism.to_ascii_lowercase().as_str() {
        "ip4" => {
            let net: Ipv4Net = value
                .parse()
                .or_else(|_| value.parse::<Ipv4Addr>().map(Ipv4Net::from))
                .ok()?;
            if let Some(j) = domain
                .ip4
                .iter()
                .position(|n| n.contains(&net) || net.contains(n))
            {
                return Some(format!("domains[{index}].ip4[{j}]"));
            }
            domain.servers.iter().find_map(|&k| {
                let server = &ctx.inventory.servers[k];
                let m = server.ipv4.iter().position(|ip| net.contains(ip))?;
                Some(format!("servers[{k}].ipv4[{m}]"))
            })
        }
        "ip6" => {
            let net: Ipv6Net = value
                .parse()
                .or_else(|_| value.parse::<Ipv6Addr>().map(Ipv6Net::from))
                .ok()?;
            if let Some(j) = domain
                .ip6
                .iter()
                .position(|n| n.contains(&net) || net.contains(n))
            {
                return Some(format!("domains[{index}].ip6[{j}]"));
            }
            domain.servers.iter().find_map(|&k| {
                let server = &ctx.inventory.servers[k];
                let m = server.ipv6.iter().position(|ip| net.contains(ip))?;
                Some(format!("servers[{k}].ipv6[{m}]"))
            })
        }
        "include" => domain
            .include
            .iter()
            .position(|target| target.eq_ignore_ascii_case(value))
            .map(|j| format!("domains[{index}].include[{j}]")),
        _ => None,
    }
}

/// A lint finding as a verify finding: the SPF engine's id is kept, but for
/// `spf-none` (`spf-missing` here) and `spf-dns-error` (`dns-error`).
///
/// `record` is the domain's own published text, shown as the actual value
/// of the findings about it.
fn from_lint(domain: &str, record: Option<&str>, mut finding: Finding) -> Finding {
    if finding.subject.is_empty() {
        finding.subject = domain.to_owned();
    }
    finding.id = match finding.id {
        "spf-none" => "spf-missing",
        SPF_DNS_ERROR => DNS_ERROR,
        other => other,
    };
    if finding.subject == domain && finding.id != DNS_ERROR {
        finding.actual = record.map(str::to_owned);
    }
    finding
}

/// The DMARC record planned at `_dmarc.<domain>` (RFC 7489 §6.1) against
/// DNS: `dmarc-missing`, `dmarc-drift`, `dmarc-multiple`; then the report
/// authorisations (§7.1) the plan holds (error) or another operator must
/// publish (warning): `dmarc-rua-unauthorized`.
async fn dmarc<L: Lookup>(ctx: &Context<'_, L>, index: usize, domain: &Domain) -> Vec<Finding> {
    let Some(dmarc) = &domain.dmarc else {
        return Vec::new();
    };
    let name = &domain.name;
    let owner = format!("_dmarc.{name}");
    let planned = dmarc.record_text();
    let ttl = domain_ttl(ctx.inventory, domain);
    let record = vec![txt_line(&owner, ttl, &planned)];
    let mut findings = Vec::new();
    match ctx.dns.txt(&owner).await {
        Err(error) => findings.push(Finding::undetermined(&owner, "the DMARC record", error)),
        Ok(answer) => {
            let texts: Vec<String> = answer
                .records()
                .iter()
                .map(|strings| String::from_utf8_lossy(&strings.concat()).into_owned())
                .filter(|text| mailauth::dmarc::is_dmarc(text))
                .collect();
            match texts.as_slice() {
                [] => findings.push(
                    Finding::new(
                        "dmarc-missing",
                        Severity::Error,
                        &owner,
                        "no DMARC record: receivers apply no policy to the domain, and Gmail, Yahoo and Microsoft require one from bulk senders",
                        PUBLISH,
                    )
                    .values(planned.clone(), describe_void(&answer, &owner))
                    .publish(record.clone()),
                ),
                [one] if same_dmarc(one, &planned) => {}
                [one] => findings.push(
                    Finding::new(
                        "dmarc-drift",
                        Severity::Error,
                        &owner,
                        "the published DMARC record differs from the planned one",
                        PUBLISH,
                    )
                    .values(planned.clone(), one.clone())
                    .publish(record.clone()),
                ),
                many => findings.push(
                    Finding::new(
                        "dmarc-multiple",
                        Severity::Error,
                        &owner,
                        format!(
                            "{} DMARC records: receivers then ignore DMARC (RFC 7489 §6.6.3)",
                            many.len()
                        ),
                        "keep only the planned record",
                    )
                    .values(planned.clone(), many.join(" | "))
                    .publish(record.clone()),
                ),
            }
        }
    }
    let foreign = ctx.planned.foreign_reports.get(&index);
    for report_domain in dmarc.report_domains() {
        let authorisation = format!("{name}._report._dmarc.{report_domain}");
        let ours = ctx.planned.txt.contains_key(authorisation.as_str());
        let theirs = foreign.is_some_and(|f| f.iter().any(|(_, o)| *o == authorisation));
        if !ours && !theirs {
            // The same organisation: no authorisation needed.
            continue;
        }
        let answer = match ctx.dns.txt(&authorisation).await {
            Err(error) => {
                findings.push(Finding::undetermined(
                    &owner,
                    &format!("the report authorisation `{authorisation}`"),
                    error,
                ));
                continue;
            }
            Ok(answer) => answer,
        };
        let authorised = answer
            .records()
            .iter()
            .any(|s| mailauth::dmarc::is_dmarc(&String::from_utf8_lossy(&s.concat())));
        if authorised {
            continue;
        }
        let line = txt_line(&authorisation, ttl, "v=DMARC1");
        let (severity, fix) = match ours {
            true => (Severity::Error, PUBLISH.to_owned()),
            false => (
                Severity::Warning,
                format!(
                    "`{report_domain}` is not one of your zones: ask its operator to publish the record"
                ),
            ),
        };
        findings.push(
            Finding::new(
                "dmarc-rua-unauthorized",
                severity,
                &owner,
                format!(
                    "`{report_domain}` does not authorise the reports sent to it: receivers will not send them (RFC 7489 §7.1)"
                ),
                fix,
            )
            .values("v=DMARC1", describe_void(&answer, &authorisation))
            .publish(vec![line]),
        );
    }
    findings
}

/// Whether two DMARC records say the same: the same tags in the same
/// order, blanks around them aside.
fn same_dmarc(a: &str, b: &str) -> bool {
    let tags = |text: &str| -> Vec<String> {
        text.split(';')
            .map(|tag| tag.split('=').map(str::trim).collect::<Vec<_>>().join("="))
            .filter(|tag| !tag.is_empty())
            .collect()
    };
    tags(a) == tags(b)
}

/// Where an evaluation's result came from and what it became at the top:
/// `` `b.example` → fail (…); … `a.example` → fail (…); 3 DNS-querying terms``.
fn trace_summary(evaluation: &Evaluation) -> String {
    let results: Vec<String> = evaluation
        .trace
        .steps
        .iter()
        .filter_map(|step| match &step.event {
            TraceEvent::Result { result, reason } => {
                Some(format!("`{}` → {result} ({reason})", step.domain))
            }
            _ => None,
        })
        .collect();
    let steps = match results.as_slice() {
        [] => String::new(),
        [only] => only.clone(),
        [first, .., last] => format!("{first}; … {last}"),
    };
    format!(
        "{steps}; {} DNS-querying terms",
        evaluation.trace.dns_lookups
    )
}

/// A `temperror` evaluation as the cause of an undetermined check: its
/// trace summary, and the name `--offline` did not ask, if that is why.
struct Temperror<'a>(&'a Evaluation);

impl fmt::Display for Temperror<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "temperror: {}", trace_summary(self.0))
    }
}

impl Cause for Temperror<'_> {
    fn offline_name(&self) -> Option<&str> {
        self.0.offline_name()
    }
}

/// `spf-not-authorized` for each address of each server of the domain, and
/// `spf-too-permissive` for addresses outside the inventory.
///
/// `drifted` says whether a planned SPF record of the domain is missing or
/// differs: publishing the plan is then the fix.
async fn authorization<L: Lookup>(
    ctx: &Context<'_, L>,
    domain: &Domain,
    drifted: bool,
    records: &RecordCache,
) -> Vec<Finding> {
    let name = &domain.name;
    // One identity for every check, `postmaster@<domain>`: a MAIL FROM
    // without a local-part (RFC 7208 §4.3). Only the client's address and
    // HELO name change from one to the next.
    let mut params = CheckParams::mail_from(Ipv4Addr::UNSPECIFIED.into(), name, "");
    // No finding shows the explanation of a fail: the default one is left
    // empty rather than expanded for each (RFC 7208 §6.2).
    let config = Config {
        default_explanation: String::new(),
        ..Config::default()
    };
    let mut findings = Vec::new();
    for &index in &domain.servers {
        let server = &ctx.inventory.servers[index];
        params.helo = server.helo_name().into();
        for ip in server.addresses() {
            params.ip = ip;
            // The result alone first: the trace is evaluated again, from
            // the run's memo of answers, only for a finding.
            if spf::check_host_result(ctx.dns, &params, &config, records).await == SpfResult::Pass {
                continue;
            }
            let evaluation = spf::check_host_cached(ctx.dns, &params, &config, records).await;
            match evaluation.result {
                SpfResult::Pass => {}
                SpfResult::Temperror => findings.push(Finding::undetermined(
                    name,
                    &format!("whether {ip} (`{}`) may send for `{name}`", server.hostname),
                    Temperror(&evaluation),
                )),
                result => findings.push(
                    Finding::new(
                        "spf-not-authorized",
                        Severity::Error,
                        name,
                        format!(
                            "{ip} of server `{}` may not send for the domain: {}",
                            server.hostname,
                            trace_summary(&evaluation)
                        ),
                        match drifted {
                            true => "publish the planned SPF records (see spf-missing, spf-drift)",
                            false => "the SPF records are as planned: see the other findings of this domain for why check_host() does not pass",
                        },
                    )
                    .values("pass", result.to_string()),
                ),
            }
        }
    }
    params.helo = "unknown".into();
    for ip in outsiders(ctx, domain) {
        params.ip = ip;
        let result = spf::check_host_result(ctx.dns, &params, &config, records).await;
        if !matches!(result, SpfResult::Pass | SpfResult::Temperror) {
            continue;
        }
        let evaluation = spf::check_host_cached(ctx.dns, &params, &config, records).await;
        match evaluation.result {
            SpfResult::Pass => findings.push(
                Finding::new(
                    "spf-too-permissive",
                    Severity::Error,
                    name,
                    format!(
                        "{ip}, an address outside the inventory, passes: {}",
                        trace_summary(&evaluation)
                    ),
                    match drifted {
                        true => "publish the planned SPF records (see spf-drift), which end in `-all` or `~all`",
                        false => "end the record in `-all` or `~all` and remove `+all` and overly broad terms",
                    },
                )
                .values("fail, softfail or neutral", "pass"),
            ),
            SpfResult::Temperror => findings.push(Finding::undetermined(
                name,
                &format!("whether {ip}, outside the inventory, is refused by `{name}`"),
                Temperror(&evaluation),
            )),
            _ => {}
        }
    }
    findings
}

/// The IPv4 networks [`outsiders`] picks from (RFC 5737).
const OUTSIDE_V4: [[u8; 3]; 3] = [[192, 0, 2], [198, 51, 100], [203, 0, 113]];

/// The first 112 bits of the IPv6 addresses [`outsiders`] picks from (RFC 3849).
const OUTSIDE_V6: [u16; 7] = [0x2001, 0xdb8, 0xffff, 0, 0, 0, 0];

/// Whether [`outsiders`] may pick `ip`.
pub(super) fn may_be_outsider(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            OUTSIDE_V4.contains(&[a, b, c])
        }
        IpAddr::V6(v6) => v6.segments()[..7] == OUTSIDE_V6,
    }
}

/// One IPv4 and one IPv6 documentation address (RFC 5737, RFC 3849) that
/// no server of the inventory has and the domain's own networks do not
/// hold: no correct record lets them pass.
fn outsiders<L>(ctx: &Context<'_, L>, domain: &Domain) -> Vec<IpAddr> {
    let taken = |ip: IpAddr| {
        ctx.planned.taken_outsiders.contains(&ip)
            || domain
                .ip4
                .iter()
                .any(|net| matches!(ip, IpAddr::V4(v4) if net.contains(&v4)))
            || domain
                .ip6
                .iter()
                .any(|net| matches!(ip, IpAddr::V6(v6) if net.contains(&v6)))
    };
    let v4 = OUTSIDE_V4
        .iter()
        .flat_map(|&[a, b, c]| {
            (1..=254u8)
                .rev()
                .map(move |d| IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
        })
        .find(|&ip| !taken(ip));
    let v6 = (1..=0xffffu16)
        .rev()
        .map(|n| {
            let [a, b, c, d, e, f, g] = OUTSIDE_V6;
            IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, n))
        })
        .find(|&ip| !taken(ip));
    v4.into_iter().chain(v6).collect()
}
