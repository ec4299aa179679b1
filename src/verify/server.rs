//! Checks of one sending server: its forward addresses, the PTR and FCrDNS
//! of each address, and its HELO name (`deliverability.md` §4, §5, §7).

use std::cell::LazyCell;
use std::collections::BTreeSet;
use std::fmt::Display;
use std::net::IpAddr;

use futures_util::future::{OptionFuture, join_all};

use super::{Context, describe_void};
use crate::dns::{Answer, Lookup, LookupResult, Txt, reverse_name};
use crate::finding::{Finding, Severity};
use crate::generic_ptr::{self, Strength};
use crate::inventory::Server;
use crate::names;
use crate::records;

/// Every finding about `server`.
///
/// The lookups that need no other's answer go out at once: the server's
/// A and AAAA, the PTR of each of its addresses, and the addresses and SPF
/// record of its HELO name. The checks then read these answers; only a
/// PTR name other than the server's own, or a missing PTR in a classless
/// reverse zone, needs a lookup of its own.
pub(super) async fn check<L: Lookup>(ctx: &Context<'_, L>, server: &Server) -> Vec<Finding> {
    let hostname = server.hostname.as_str();
    let helo = helo_name(server.helo_name());
    let own_helo = helo.as_deref().ok().filter(|name| *name != hostname);
    let (host, ptrs, helo_addresses, helo_txt) = tokio::join!(
        Addresses::of(ctx, hostname),
        join_all(addresses(server).map(|ip| ctx.dns.ptr(ip))),
        OptionFuture::from(own_helo.map(|name| Addresses::of(ctx, name))),
        OptionFuture::from(helo.as_deref().ok().map(|name| ctx.dns.txt(name))),
    );
    let mut findings = forward(ctx, hostname, &host);
    for (ip, ptr) in addresses(server).zip(&ptrs) {
        findings.extend(reverse(ctx, ip, hostname, ptr, &host).await);
    }
    let helo = helo.map(|name| {
        let addresses = helo_addresses.as_ref().unwrap_or(&host);
        (
            name,
            addresses,
            helo_txt.expect("asked for every valid HELO name"),
        )
    });
    findings.extend(helo_findings(ctx, server, helo, &ptrs));
    findings
}

/// The A and AAAA answers of one name, as addresses.
struct Addresses {
    v4: LookupResult<IpAddr>,
    v6: LookupResult<IpAddr>,
}

impl Addresses {
    /// Asks for the A and AAAA records of `name` at once.
    async fn of<L: Lookup>(ctx: &Context<'_, L>, name: &str) -> Self {
        let (a, aaaa) = tokio::join!(ctx.dns.a(name), ctx.dns.aaaa(name));
        Addresses {
            v4: map_ips(a),
            v6: map_ips(aaaa),
        }
    }

    /// The answer in the family of `ip`.
    fn family(&self, ip: IpAddr) -> &LookupResult<IpAddr> {
        match ip {
            IpAddr::V4(_) => &self.v4,
            IpAddr::V6(_) => &self.v6,
        }
    }
}

/// The server's addresses, IPv4 first.
fn addresses(server: &Server) -> impl Iterator<Item = IpAddr> + '_ {
    server
        .ipv4
        .iter()
        .map(|&ip| IpAddr::V4(ip))
        .chain(server.ipv6.iter().map(|&ip| IpAddr::V6(ip)))
}

/// A/AAAA of `owner`, as `published`, against the plan: `a-missing`,
/// `a-mismatch`, `aaaa-missing`, `aaaa-mismatch`, `a-extra` (RFC 1035
/// §3.4.1, RFC 3596).
fn forward<L>(ctx: &Context<'_, L>, owner: &str, published: &Addresses) -> Vec<Finding> {
    let (planned4, planned6) = ctx.planned.addresses(owner);
    let mut findings = Vec::new();
    compare(
        owner,
        "A",
        ("a-missing", "a-mismatch"),
        planned4,
        &published.v4,
        &mut findings,
    );
    compare(
        owner,
        "AAAA",
        ("aaaa-missing", "aaaa-mismatch"),
        planned6,
        &published.v6,
        &mut findings,
    );
    findings
}

fn map_ips<T: Copy + Into<IpAddr>>(result: LookupResult<T>) -> LookupResult<IpAddr> {
    result.map(|answer| answer.filter_map(|record| Some((*record).into())))
}

fn list<T: Display>(items: impl IntoIterator<Item = T>) -> String {
    let shown: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    if shown.is_empty() {
        "(none)".to_owned()
    } else {
        shown.join(", ")
    }
}

fn compare(
    owner: &str,
    rtype: &str,
    (missing_id, mismatch_id): (&'static str, &'static str),
    planned: &[IpAddr],
    published: &LookupResult<IpAddr>,
    findings: &mut Vec<Finding>,
) {
    let answer = match published {
        Ok(answer) => answer,
        Err(error) => {
            findings.push(Finding::undetermined(
                owner,
                &format!("the {rtype} records of `{owner}`"),
                error,
            ));
            return;
        }
    };
    let published: BTreeSet<IpAddr> = answer.records().iter().copied().collect();
    let wanted: BTreeSet<IpAddr> = planned.iter().copied().collect();
    if !wanted.is_empty() && published.is_empty() {
        findings.push(
            Finding::new(
                missing_id,
                Severity::Error,
                owner,
                format!(
                    "`{owner}` has no {rtype} record: {}",
                    describe_void(answer, owner)
                ),
                format!("publish `{owner}. IN {rtype} {}`", list(&wanted)),
            )
            .values(list(&wanted), describe_void(answer, owner)),
        );
        return;
    }
    let absent: Vec<&IpAddr> = wanted.difference(&published).collect();
    if !absent.is_empty() {
        findings.push(
            Finding::new(
                mismatch_id,
                Severity::Error,
                owner,
                format!(
                    "`{owner}` lacks the {rtype} record{} {}",
                    if absent.len() > 1 { "s" } else { "" },
                    list(&absent)
                ),
                format!("publish the {rtype} records of the inventory for `{owner}`"),
            )
            .values(list(&wanted), list(&published)),
        );
    }
    let extra: Vec<&IpAddr> = published.difference(&wanted).collect();
    if !extra.is_empty() {
        findings.push(
            Finding::new(
                "a-extra",
                Severity::Warning,
                owner,
                format!(
                    "`{owner}` publishes {rtype} {} that the inventory does not have",
                    list(&extra)
                ),
                "remove the stale records, or add the addresses to the inventory",
            )
            .values(list(&wanted), list(&published)),
        );
    }
}

/// The forward addresses of `name` in the family of `ip`.
async fn addresses_of<L: Lookup>(
    ctx: &Context<'_, L>,
    name: &str,
    ip: IpAddr,
) -> LookupResult<IpAddr> {
    match ip {
        IpAddr::V4(_) => map_ips(ctx.dns.a(name).await),
        IpAddr::V6(_) => map_ips(ctx.dns.aaaa(name).await),
    }
}

/// The PTR of `ip`, `ptr`, and FCrDNS: `ptr-missing`, `ptr-multiple`,
/// `ptr-mismatch`, `ptr-cname-missing`, `fcrdns-fail` (RFC 1912 §2.1, RFC
/// 2317 §4, `deliverability.md` §4–§5).
///
/// `host` holds the addresses of `hostname`, the PTR name a correct
/// record has; any other PTR name is looked up.
async fn reverse<L: Lookup>(
    ctx: &Context<'_, L>,
    ip: IpAddr,
    hostname: &str,
    ptr: &LookupResult<String>,
    host: &Addresses,
) -> Vec<Finding> {
    // Written only for a finding: most addresses have none.
    let subject = LazyCell::new(|| ip.to_string());
    let owner = LazyCell::new(|| reverse_name(ip));
    let answer = match ptr {
        Ok(answer) => answer,
        Err(error) => {
            let owner = owner.as_str();
            return vec![Finding::undetermined(
                subject.as_str(),
                &format!("the PTR of {ip} (`{owner}`), nor FCrDNS"),
                error,
            )];
        }
    };
    let names = match answer {
        Answer::Records(names) if !names.is_empty() => names,
        void => return vec![missing_ptr(ctx, ip, hostname, void).await],
    };
    let mut findings = Vec::new();
    if names.len() > 1 {
        let owner = owner.as_str();
        findings.push(
            Finding::new(
                "ptr-multiple",
                Severity::Warning,
                subject.as_str(),
                format!(
                    "{ip} has {} PTR records; receivers may pick any",
                    names.len()
                ),
                format!("keep exactly one PTR: `{owner}. IN PTR {hostname}.`"),
            )
            .values(
                format!("{hostname}."),
                list(names.iter().map(|n| format!("{n}."))),
            ),
        );
    }
    if !names.iter().any(|n| n.eq_ignore_ascii_case(hostname)) {
        let owner = owner.as_str();
        findings.push(
            Finding::new(
                "ptr-mismatch",
                Severity::Error,
                subject.as_str(),
                format!(
                    "the PTR of {ip} names {}, not the server `{hostname}`",
                    list(names.iter().map(|n| format!("`{n}`")))
                ),
                format!("set `{owner}. IN PTR {hostname}.` (ask whoever runs the reverse zone)"),
            )
            .values(
                format!("{hostname}."),
                list(names.iter().map(|n| format!("{n}."))),
            ),
        );
    }
    for name in names.iter() {
        if let Some(generic) = generic_ptr::check(name, Some(ip)) {
            let owner = owner.as_str();
            findings.push(
                Finding::new(
                    "ptr-generic",
                    match generic.strength {
                        Strength::Error => Severity::Error,
                        Strength::Warning => Severity::Warning,
                    },
                    subject.as_str(),
                    format!(
                        "the PTR name `{name}` of {ip} looks generic or dynamic ({generic}); receivers and lists (Spamhaus PBL, SpamRATS-Dyna) treat such addresses as end-user space"
                    ),
                    format!(
                        "ask the owner of the address (ISP or hosting provider) for a custom PTR naming the HELO host: `{owner}. IN PTR {hostname}.`"
                    ),
                )
                .values(format!("{hostname}."), format!("{name}.")),
            );
        }
    }
    // FCrDNS: some PTR name must resolve back to the address.
    let mut confirmed = false;
    let mut seen = Vec::new();
    let mut errors = Vec::new();
    for name in names.iter() {
        let looked_up;
        let forward = match name.eq_ignore_ascii_case(hostname) {
            true => host.family(ip),
            false => {
                looked_up = addresses_of(ctx, name, ip).await;
                &looked_up
            }
        };
        match forward {
            Ok(answer) if answer.records().contains(&ip) => confirmed = true,
            Ok(answer) => seen.push(format!(
                "`{name}` → {}",
                match answer.records() {
                    [] => describe_void(answer, name),
                    records => list(records),
                }
            )),
            Err(error) => errors.push((name, error.clone())),
        }
    }
    if !confirmed {
        if let Some((name, error)) = errors.first() {
            findings.push(Finding::undetermined(
                subject.as_str(),
                &format!("FCrDNS of {ip}: the addresses of `{name}`"),
                error,
            ));
        } else {
            findings.push(
                Finding::new(
                    "fcrdns-fail",
                    Severity::Error,
                    subject.as_str(),
                    format!(
                        "forward-confirmed reverse DNS fails: no PTR name of {ip} resolves back to it ({})",
                        seen.join("; ")
                    ),
                    format!(
                        "publish `{} IN {} {ip}` so the PTR name resolves to the address",
                        names[0],
                        if ip.is_ipv4() { "A" } else { "AAAA" }
                    ),
                )
                .values(ip.to_string(), seen.join("; ")),
            );
        }
    }
    findings
}

/// `ptr-missing`, or `ptr-cname-missing` when the plan delegates the
/// address through an RFC 2317 CNAME that the parent zone lacks.
async fn missing_ptr<L: Lookup>(
    ctx: &Context<'_, L>,
    ip: IpAddr,
    hostname: &str,
    void: &Answer<String>,
) -> Finding {
    let subject = ip.to_string();
    let owner = reverse_name(ip);
    if let Some(target) = ctx.planned.classless.get(&owner) {
        match ctx.dns.cname(&owner).await {
            Err(error) => {
                return Finding::undetermined(
                    subject,
                    &format!("the RFC 2317 CNAME at `{owner}`"),
                    error,
                );
            }
            Ok(Answer::Records(_)) => {}
            Ok(cname) => {
                return Finding::new(
                    "ptr-cname-missing",
                    Severity::Error,
                    subject,
                    format!(
                        "{ip} is in a classless reverse zone, but the parent zone has no CNAME at `{owner}` ({}): receivers never reach the PTR",
                        describe_void(&cname, &owner)
                    ),
                    format!(
                        "ask the operator of the parent zone (usually the ISP) to publish `{owner}. IN CNAME {target}.` (RFC 2317 §4)"
                    ),
                )
                .values(format!("CNAME {target}."), describe_void(&cname, &owner));
            }
        }
    }
    Finding::new(
        "ptr-missing",
        Severity::Error,
        subject,
        format!(
            "{ip} has no PTR record: {}; receivers reject or score mail from addresses without reverse DNS",
            describe_void(void, &owner)
        ),
        format!(
            "publish `{owner}. IN PTR {hostname}.` (ask whoever runs the reverse zone, usually the ISP or cloud provider)"
        ),
    )
    .values(format!("{hostname}."), describe_void(void, &owner))
}

/// Suffixes receivers treat as local, beyond those [`names::check_public_hostname`]
/// knows (rspamd `checks_hello`, `deliverability.md` §7 H1).
const LOCAL_HELO_SUFFIXES: &[&str] = &["home", "intra", "priv"];

/// Why `helo` is no name receivers accept, if it is not (RFC 5321
/// §2.3.5, §4.1.4; `deliverability.md` §7 H1).
pub(super) fn helo_problem(helo: &str) -> Option<String> {
    let bare = helo.trim().trim_start_matches('[').trim_end_matches(']');
    let bare = bare.strip_prefix("IPv6:").unwrap_or(bare);
    if bare.parse::<IpAddr>().is_ok() {
        return Some(format!(
            "`{helo}` is an IP literal, not a host name; blocklists (CBL) list servers that announce one"
        ));
    }
    if let Err(error) = names::normalize_hostname(helo) {
        return Some(error.to_string());
    }
    let name = helo.trim_end_matches('.').to_ascii_lowercase();
    LOCAL_HELO_SUFFIXES
        .iter()
        .find(|suffix| names::is_in_zone(&name, suffix))
        .map(|suffix| format!("`{helo}` is under `{suffix}`, a private-network suffix"))
}

/// The HELO name `raw` as it is checked and looked up (lower case, no
/// trailing dot), or why receivers refuse it.
fn helo_name(raw: &str) -> Result<String, String> {
    match helo_problem(raw) {
        Some(problem) => Err(problem),
        None => Ok(raw.trim_end_matches('.').to_ascii_lowercase()),
    }
}

/// The HELO name, with its addresses and TXT records, or why it is no
/// name; `ptrs` are the PTR answers of the server's addresses:
/// `helo-invalid`, `helo-unresolvable`, `helo-ip-mismatch`,
/// `helo-ptr-mismatch`, `helo-spf-missing` (RFC 5321 §4.1.4, RFC 7208 §2.3).
fn helo_findings<L>(
    ctx: &Context<'_, L>,
    server: &Server,
    helo: Result<(String, &Addresses, LookupResult<Txt>), String>,
    ptrs: &[LookupResult<String>],
) -> Vec<Finding> {
    let raw = server.helo_name();
    let (name, published, txt) = match helo {
        Ok(helo) => helo,
        Err(problem) => return vec![Finding::new(
            "helo-invalid",
            Severity::Error,
            raw,
            format!("server `{}` announces HELO `{raw}`: {problem}", server.hostname),
            format!(
                "announce the server's public name: Postfix `smtp_helo_name = {0}`, Exim `helo_data = {0}`",
                server.hostname
            ),
        )
        .values(server.hostname.clone(), raw)],
    };
    let mut findings = Vec::new();
    let generic = addresses(server).find_map(|ip| generic_ptr::check(&name, Some(ip)));
    if let Some(generic) = generic.or_else(|| generic_ptr::check(&name, None)) {
        findings.push(Finding::new(
            "helo-generic",
            Severity::Warning,
            &name,
            format!(
                "the HELO name `{name}` of server `{}` looks generic or dynamic ({generic}); spam filters score such names as end-user hosts",
                server.hostname
            ),
            "announce a name of your own domain, such as `mail.<your domain>`, with a matching A record and PTR",
        ));
    }
    if name != server.hostname {
        // A HELO name of its own is published too: compare it with the plan.
        findings.extend(forward(ctx, &name, published));
    }
    match (&published.v4, &published.v6) {
        (Ok(a), Ok(aaaa)) if a.is_void() && aaaa.is_void() => findings.push(
            Finding::new(
                "helo-unresolvable",
                Severity::Error,
                &name,
                format!(
                    "the HELO name `{name}` of server `{}` has no A or AAAA record ({})",
                    server.hostname,
                    describe_void(a, &name)
                ),
                format!(
                    "publish the server's addresses at `{name}`: {}",
                    list(addresses(server))
                ),
            )
            .values(list(addresses(server)), describe_void(a, &name)),
        ),
        _ => {
            for ip in addresses(server) {
                match published.family(ip) {
                    Err(error) => findings.push(Finding::undetermined(
                        &name,
                        &format!("whether the HELO name `{name}` resolves to {ip}"),
                        error,
                    )),
                    Ok(answer) if !answer.records().contains(&ip) => findings.push(
                        Finding::new(
                            "helo-ip-mismatch",
                            Severity::Error,
                            &name,
                            format!(
                                "the HELO name `{name}` does not resolve to {ip}, an address of server `{}`",
                                server.hostname
                            ),
                            format!(
                                "publish `{name}. IN {} {ip}`, or announce a name that resolves to it",
                                if ip.is_ipv4() { "A" } else { "AAAA" }
                            ),
                        )
                        .values(ip.to_string(), list(answer.records())),
                    ),
                    Ok(_) => {}
                }
            }
        }
    }
    for (ip, ptr) in addresses(server).zip(ptrs) {
        // PTR failures are reported by the PTR checks of the same address.
        if let Ok(Answer::Records(ptrs)) = ptr
            && !ptrs.is_empty()
            && !ptrs.iter().any(|p| p.eq_ignore_ascii_case(&name))
        {
            findings.push(
                Finding::new(
                    "helo-ptr-mismatch",
                    Severity::Warning,
                    &name,
                    format!(
                        "the HELO name `{name}` differs from the PTR name of {ip} ({})",
                        list(ptrs.iter().map(|p| format!("`{p}`")))
                    ),
                    "announce the PTR name in HELO, or point the PTR at the HELO name",
                )
                .values(
                    format!("{name}."),
                    list(ptrs.iter().map(|p| format!("{p}."))),
                ),
            );
        }
    }
    match txt {
        Err(error) => findings.push(Finding::undetermined(
            &name,
            &format!("the SPF record of the HELO name `{name}`"),
            error,
        )),
        Ok(answer) => {
            let has_spf = answer
                .records()
                .iter()
                .any(|strings| crate::spf::is_spf_record(&strings.concat()));
            if !has_spf {
                // The record `generate` plans for a HELO name.
                let record = records::helo_record();
                findings.push(
                    Finding::new(
                        "helo-spf-missing",
                        Severity::Warning,
                        &name,
                        format!(
                            "the HELO name `{name}` has no SPF record: bounces (null sender) are checked against it (RFC 7208 §2.3)"
                        ),
                        format!("publish `{name}. IN TXT \"{record}\"`"),
                    )
                    .values(record.to_string(), describe_void(&answer, &name)),
                );
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helo_names_receivers_refuse() {
        for bad in [
            "localhost",
            "localhost.localdomain",
            "mail.localdomain",
            "192.0.2.1",
            "[192.0.2.1]",
            "[IPv6:2001:db8::1]",
            "mail",
            "mail.lan",
            "gw.home",
            "relay_1.example.com",
            "box.local",
        ] {
            assert!(helo_problem(bad).is_some(), "{bad}");
        }
        for good in [
            "mail.example.com",
            "MX1.Example.NET.",
            "out-1.mail.example.org",
        ] {
            assert_eq!(helo_problem(good), None, "{good}");
        }
    }
}
