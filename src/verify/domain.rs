//! Checks of one sending domain's SPF record: presence, lint, drift from
//! the plan, and `check_host()` for every address that sends for it and
//! for one that does not (RFC 7208 §4, §5).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Context;
use crate::dns::Lookup;
use crate::finding::{Cause, DNS_ERROR, Finding, SPF_DNS_ERROR, Severity};
use crate::inventory::Domain;
use crate::spf::{self, CheckParams, Config, Evaluation, SpfResult, TraceEvent};

/// Every finding about `domain`.
pub(super) async fn check<L: Lookup>(ctx: &Context<'_, L>, domain: &Domain) -> Vec<Finding> {
    let name = &domain.name;
    let lint = spf::lint_domain(ctx.dns, name, &ctx.profile).await;
    let mut findings: Vec<Finding> = lint
        .findings
        .into_iter()
        .map(|f| from_lint(name, lint.record.as_deref(), f))
        .collect();
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
        }
    }
    if let (Some(published), Some(planned)) = (&lint.record, ctx.planned.txt.get(name))
        && published != planned
    {
        findings.push(
            Finding::new(
                "spf-drift",
                Severity::Warning,
                name,
                format!("the published SPF record of `{name}` differs from the planned one"),
                "publish the record `senderzone generate` writes, or update the inventory to match",
            )
            .values(planned.clone(), published.clone()),
        );
    }
    findings.extend(authorization(ctx, domain).await);
    findings
}

/// A lint finding as a verify finding: the SPF engine's id is kept, but for
/// `spf-none` (`spf-missing` here) and `spf-dns-error` (`dns-error`); the
/// column goes into the message.
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
    if let Some(column) = finding.column.take() {
        finding.message = format!("column {column}: {}", finding.message);
    }
    if finding.subject == domain && finding.id != DNS_ERROR {
        finding.actual = record.map(str::to_owned);
    }
    finding
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
async fn authorization<L: Lookup>(ctx: &Context<'_, L>, domain: &Domain) -> Vec<Finding> {
    let name = &domain.name;
    let sender = format!("postmaster@{name}");
    let config = Config::default();
    let mut findings = Vec::new();
    for &index in &domain.servers {
        let server = &ctx.inventory.servers[index];
        let ips = server
            .ipv4
            .iter()
            .map(|&ip| IpAddr::V4(ip))
            .chain(server.ipv6.iter().map(|&ip| IpAddr::V6(ip)));
        for ip in ips {
            let params = CheckParams::mail_from(ip, &sender, server.helo_name());
            let evaluation = spf::check_host(ctx.dns, &params, &config).await;
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
                            "{ip} of server `{}` is not authorized by the SPF record of `{name}`: check_host gives {result} — {}",
                            server.hostname,
                            trace_summary(&evaluation)
                        ),
                        "publish the record `senderzone generate` writes for this domain",
                    )
                    .values("pass", result.to_string()),
                ),
            }
        }
    }
    for ip in outsiders(ctx, domain) {
        let params = CheckParams::mail_from(ip, &sender, "unknown");
        let evaluation = spf::check_host(ctx.dns, &params, &config).await;
        match evaluation.result {
            SpfResult::Pass => findings.push(
                Finding::new(
                    "spf-too-permissive",
                    Severity::Error,
                    name,
                    format!(
                        "{ip}, an address outside the inventory, passes the SPF record of `{name}` — {}",
                        trace_summary(&evaluation)
                    ),
                    "end the record in `-all` or `~all` and remove `+all` and overly broad terms",
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

/// One IPv4 and one IPv6 documentation address (RFC 5737, RFC 3849) that
/// no server of the inventory has and the domain's own networks do not
/// hold: no correct record lets them pass.
fn outsiders<L>(ctx: &Context<'_, L>, domain: &Domain) -> Vec<IpAddr> {
    let taken = |ip: IpAddr| {
        ctx.planned.servers.contains(&ip)
            || domain
                .ip4
                .iter()
                .any(|net| matches!(ip, IpAddr::V4(v4) if net.contains(&v4)))
            || domain
                .ip6
                .iter()
                .any(|net| matches!(ip, IpAddr::V6(v6) if net.contains(&v6)))
    };
    let v4 = [[192, 0, 2], [198, 51, 100], [203, 0, 113]]
        .iter()
        .flat_map(|&[a, b, c]| {
            (1..=254u8)
                .rev()
                .map(move |d| IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
        })
        .find(|&ip| !taken(ip));
    let v6 = (1..=0xffffu16)
        .rev()
        .map(|n| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, n)))
        .find(|&ip| !taken(ip));
    v4.into_iter().chain(v6).collect()
}
