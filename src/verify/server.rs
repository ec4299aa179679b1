//! Checks of one sending server: its forward addresses, the PTR and FCrDNS
//! of each address, the RFC 2317 CNAMEs of its block, its HELO name and the
//! SPF records of its names (`deliverability.md` §4, §5, §7).

use std::borrow::Cow;
use std::cell::{LazyCell, OnceCell};
use std::fmt::Display;
use std::net::IpAddr;

use futures_util::future::join_all;
use hickory_proto::rr::RecordType;

use super::planned::{PlannedTxt, address_line, line, server_ttl, txt_line};
use super::{Context, describe_void};
use crate::dns::{Answer, Lookup, LookupResult, RecordData, Txt, reverse_name};
use crate::finding::{Finding, Severity};
use crate::generic_ptr::{self, Strength};
use crate::inventory::Server;
use crate::names::DomainName;
use crate::records;

/// The fix of a finding whose planned records follow it.
const PUBLISH: &str = "publish the planned record";

/// Every finding about `servers[index]`, `server`.
///
/// The lookups that need no other's answer go out at once: the server's
/// A and AAAA, the PTR of each of its addresses, the addresses and SPF
/// record of its HELO name, and the SPF record of its host name when it
/// announces another. The checks then read these answers; only a PTR name
/// other than the server's own, a missing PTR in a classless reverse
/// zone, or the CNAMEs of a classless block need lookups of their own.
///
/// Answers are read where DNS gave them (the run's memo holds them), with
/// [`Lookup::query`]: the typed accessors would copy each into a list of
/// its type first, an allocation per answer and one per PTR name. The
/// queries are one future each, all of one type, joined in one: nested
/// joins of futures of each kind cost more to poll than the checks.
pub(super) async fn check<L: Lookup>(
    ctx: &Context<'_, L>,
    index: usize,
    server: &Server,
) -> Vec<Finding> {
    let hostname = server.hostname.as_str();
    let helo = server_helo(server);
    let helo = helo
        .as_deref()
        .map(DomainName::as_str)
        .map_err(String::as_str);
    let own_helo = helo.ok().filter(|name| *name != hostname);
    // The host name's own SPF record, when HELO does not already ask it.
    let host_spf = (helo.ok() != Some(hostname)
        && ctx.planned.host_txt(index) == PlannedTxt::HeloRecord)
        .then_some(hostname);
    let reverse_names: Vec<DomainName> = server.addresses().map(reverse_name).collect();
    let mut asks = Vec::with_capacity(reverse_names.len() + 6);
    asks.extend([(hostname, RecordType::A), (hostname, RecordType::AAAA)]);
    asks.extend(
        reverse_names
            .iter()
            .map(|owner| (owner.as_str(), RecordType::PTR)),
    );
    if let Some(name) = own_helo {
        asks.extend([(name, RecordType::A), (name, RecordType::AAAA)]);
    }
    asks.extend(helo.ok().map(|name| (name, RecordType::TXT)));
    asks.extend(host_spf.map(|name| (name, RecordType::TXT)));
    let answers = join_all(asks.iter().map(|&(name, rtype)| ctx.dns.query(name, rtype))).await;
    // The answers in the order asked.
    let (host, rest) = answers.split_at(2);
    let host = Addresses::of(host);
    let (ptrs, mut rest) = rest.split_at(reverse_names.len());
    let helo_addresses = own_helo.map(|_| {
        let (pair, after) = rest.split_at(2);
        rest = after;
        Addresses::of(pair)
    });
    let mut texts = rest.iter();
    let helo_txt = helo.ok().and_then(|_| texts.next());
    let host_txt = host_spf.and_then(|_| texts.next());
    let server_ctx = ServerCtx {
        ctx,
        index,
        server,
        host_signs: OnceCell::new(),
    };
    let mut findings = forward(
        &server_ctx,
        hostname,
        ctx.planned.host_addresses(index),
        host,
    );
    for (ip, ptr) in server.addresses().zip(ptrs) {
        findings.extend(reverse(&server_ctx, ip, ptr, host).await);
    }
    if let Some(cnames) = ctx.planned.block_cnames.get(&index) {
        findings.extend(block_cnames(&server_ctx, cnames).await);
    }
    let helo = helo.map(|name| {
        let addresses = helo_addresses.unwrap_or(host);
        (
            name,
            addresses,
            helo_txt.expect("asked for every valid HELO name"),
        )
    });
    findings.extend(helo_findings(&server_ctx, helo, ptrs));
    if let (Some(name), Some(txt)) = (host_spf, host_txt) {
        findings.extend(name_spf(&server_ctx, name, txt, NameRole::Host));
    }
    findings
}

/// The check of one server: the run's context, the server and its index.
struct ServerCtx<'c, 'a, L> {
    ctx: &'c Context<'a, L>,
    index: usize,
    server: &'c Server,
    /// The host name as a generic name, read once: it is the PTR name of
    /// each address and most often the HELO name too.
    host_signs: OnceCell<generic_ptr::Signs<'c>>,
}

impl<L> ServerCtx<'_, '_, L> {
    /// `name` (a PTR or HELO name) as a generic name; the host name's
    /// reading is shared by the checks of the server.
    fn generic_signs<'s>(&'s self, name: &'s str) -> generic_ptr::Signs<'s> {
        let hostname = self.server.hostname.as_str();
        match same_name(name, hostname) {
            true => *self
                .host_signs
                .get_or_init(|| generic_ptr::Signs::of(hostname)),
            false => generic_ptr::Signs::of(name),
        }
    }

    fn ttl(&self) -> u32 {
        server_ttl(self.ctx.inventory, self.server)
    }

    /// The planned PTR record of `ip`: in the classless child zone when
    /// the plan delegates the address (RFC 2317), else at its reverse name.
    fn ptr_line(&self, ip: IpAddr) -> String {
        let standard = reverse_name(ip);
        let owner = self
            .ctx
            .planned
            .classless
            .get(&standard)
            .map_or(standard.as_str(), String::as_str);
        line(
            owner,
            self.ttl(),
            &RecordData::Ptr(self.server.hostname.clone().into()),
        )
    }

    /// The key path of the server's `helo:` (or, without one, its host name).
    fn helo_path(&self) -> String {
        let key = match self.server.helo {
            Some(_) => "helo",
            None => "hostname",
        };
        format!("servers[{}].{key}", self.index)
    }

    /// Why `generate` publishes nothing for the server's HELO name, as the
    /// fix of a finding about it: what to change in the inventory first.
    fn refused_helo(&self) -> Option<String> {
        let problem = self.ctx.planned.helo_problems.get(&self.index)?;
        let reason = match problem {
            records::HeloProblem::Invalid { reason, .. } => reason.to_string(),
            records::HeloProblem::Taken { .. } => "it is another server's name".to_owned(),
            records::HeloProblem::OutsideZones { .. } => {
                "it is outside every zone of the inventory".to_owned()
            }
        };
        Some(format!(
            "`senderzone generate` publishes nothing for this HELO name ({reason}): first change `helo:` in the inventory (a name of your zones that no other server uses), or make the MTA announce `{}` and remove `helo:`; then publish what generate writes",
            self.server.hostname
        ))
    }

    /// `finding` with the server's `helo:` as its inventory cause.
    fn blame_helo(&self, finding: Finding) -> Finding {
        finding.caused_by(self.ctx.inventory.locate(&self.helo_path()))
    }
}

/// The addresses of an A or AAAA answer, which holds records of its type
/// only ([`Lookup::query`]).
fn ips(answer: &Answer<RecordData>) -> impl Iterator<Item = IpAddr> + Clone + '_ {
    answer.records().iter().filter_map(RecordData::as_ip)
}

/// Whether two names are the same, without regard to case (RFC 4343).
///
/// DNS nearly always gives a server's names as the inventory writes them:
/// a plain comparison, quicker than one that folds case, tells them first.
fn same_name(a: &str, b: &str) -> bool {
    a == b || a.eq_ignore_ascii_case(b)
}

/// The names of a PTR answer.
fn ptr_names(answer: &Answer<RecordData>) -> impl Iterator<Item = &str> + Clone + '_ {
    answer
        .records()
        .iter()
        .filter_map(|data| data.as_ptr().map(String::as_str))
}

/// The records of a TXT answer.
fn txts(answer: &Answer<RecordData>) -> impl Iterator<Item = &Txt> + '_ {
    answer.records().iter().filter_map(RecordData::as_txt)
}

/// The A and AAAA answers of one name (read with [`ips`]).
#[derive(Clone, Copy)]
struct Addresses<'r> {
    v4: &'r LookupResult<RecordData>,
    v6: &'r LookupResult<RecordData>,
}

impl<'r> Addresses<'r> {
    /// The answers to the A and AAAA queries of a name, in that order.
    fn of(pair: &'r [LookupResult<RecordData>]) -> Self {
        Addresses {
            v4: &pair[0],
            v6: &pair[1],
        }
    }

    /// The answer in the family of `ip`.
    fn family(&self, ip: IpAddr) -> &'r LookupResult<RecordData> {
        match ip {
            IpAddr::V4(_) => self.v4,
            IpAddr::V6(_) => self.v6,
        }
    }
}

/// A/AAAA of `owner`, as `published`, against its planned IPv4 and IPv6
/// addresses: `a-missing`, `a-mismatch`, `aaaa-missing`, `aaaa-mismatch`,
/// `a-extra` (RFC 1035 §3.4.1, RFC 3596).
fn forward<L>(
    server: &ServerCtx<'_, '_, L>,
    owner: &str,
    (planned4, planned6): (&[IpAddr], &[IpAddr]),
    published: Addresses<'_>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let ttl = server.ttl();
    compare(
        (owner, ttl),
        "A",
        ("a-missing", "a-mismatch"),
        planned4,
        published.v4,
        &mut findings,
    );
    compare(
        (owner, ttl),
        "AAAA",
        ("aaaa-missing", "aaaa-mismatch"),
        planned6,
        published.v6,
        &mut findings,
    );
    findings
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
    (owner, ttl): (&str, u32),
    rtype: &str,
    (missing_id, mismatch_id): (&'static str, &'static str),
    planned: &[IpAddr],
    published: &LookupResult<RecordData>,
    findings: &mut Vec<Finding>,
) {
    let answer = match published {
        Ok(answer) => answer,
        Err(error) => {
            findings.push(Finding::undetermined(
                owner,
                &format!("the {rtype} records"),
                error,
            ));
            return;
        }
    };
    // The usual case, DNS as planned: the same addresses, in any order,
    // checked without building the sets.
    let records = ips(answer);
    if records.clone().all(|ip| planned.contains(&ip))
        && planned.iter().all(|&ip| records.clone().any(|r| r == ip))
    {
        return;
    }
    let published = sorted_set(records);
    let wanted = sorted_set(planned.iter().copied());
    let lines = |ips: &mut dyn Iterator<Item = &IpAddr>| -> Vec<String> {
        ips.map(|&ip| address_line(owner, ttl, ip)).collect()
    };
    if !wanted.is_empty() && published.is_empty() {
        findings.push(
            Finding::new(
                missing_id,
                Severity::Error,
                owner,
                format!("no {rtype} record"),
                PUBLISH,
            )
            .values(list(&wanted), describe_void(answer, owner))
            .publish(lines(&mut wanted.iter())),
        );
        return;
    }
    let absent: Vec<&IpAddr> = difference(&wanted, &published).collect();
    if !absent.is_empty() {
        findings.push(
            Finding::new(
                mismatch_id,
                Severity::Error,
                owner,
                format!("an address of the inventory has no {rtype} record"),
                PUBLISH,
            )
            .values(list(&wanted), list(&published))
            .publish(lines(&mut absent.into_iter())),
        );
    }
    let extra: Vec<&IpAddr> = difference(&published, &wanted).collect();
    if !extra.is_empty() {
        findings.push(
            Finding::new(
                "a-extra",
                Severity::Warning,
                owner,
                format!("{rtype} records of addresses the inventory does not have"),
                format!(
                    "delete {}, or add the addresses to the inventory",
                    list(extra.iter().map(|ip| format!("`{owner}. IN {rtype} {ip}`")))
                ),
            )
            .values(list(&wanted), list(&published)),
        );
    }
}

/// `ips` in order, each once: a set of the few addresses of one name,
/// without a tree's allocations.
fn sorted_set(ips: impl Iterator<Item = IpAddr>) -> Vec<IpAddr> {
    let mut set: Vec<IpAddr> = ips.collect();
    set.sort_unstable();
    set.dedup();
    set
}

/// The addresses of the sorted set `a` that the sorted set `b` lacks, in order.
fn difference<'a>(a: &'a [IpAddr], b: &'a [IpAddr]) -> impl Iterator<Item = &'a IpAddr> {
    a.iter().filter(|ip| b.binary_search(ip).is_err())
}

/// The forward addresses of `name` in the family of `ip`.
async fn addresses_of<L: Lookup>(
    ctx: &Context<'_, L>,
    name: &str,
    ip: IpAddr,
) -> LookupResult<RecordData> {
    let rtype = match ip {
        IpAddr::V4(_) => RecordType::A,
        IpAddr::V6(_) => RecordType::AAAA,
    };
    ctx.dns.query(name, rtype).await
}

/// The PTR of `ip`, `ptr`, and FCrDNS: `ptr-missing`, `ptr-multiple`,
/// `ptr-mismatch`, `ptr-generic`, `ptr-cname-missing`, `fcrdns-fail` (RFC
/// 1912 §2.1, RFC 2317 §4, `deliverability.md` §4–§5).
///
/// `host` holds the addresses of the server's host name, the PTR name a
/// correct record has; any other PTR name is looked up.
async fn reverse<L: Lookup>(
    server: &ServerCtx<'_, '_, L>,
    ip: IpAddr,
    ptr: &LookupResult<RecordData>,
    host: Addresses<'_>,
) -> Vec<Finding> {
    let ctx = server.ctx;
    let hostname = server.server.hostname.as_str();
    // Written only for a finding: most addresses have none.
    let subject = LazyCell::new(|| ip.to_string());
    let answer = match ptr {
        Ok(answer) => answer,
        Err(error) => {
            let owner = reverse_name(ip);
            return vec![Finding::undetermined(
                subject.as_str(),
                &format!("the PTR (`{owner}`), nor FCrDNS"),
                error,
            )];
        }
    };
    let names = ptr_names(answer);
    if names.clone().next().is_none() {
        return vec![missing_ptr(server, ip, answer).await];
    }
    let shown = || list(names.clone().map(|n| format!("{n}.")));
    let mut findings = Vec::new();
    let count = names.clone().count();
    if count > 1 {
        findings.push(
            Finding::new(
                "ptr-multiple",
                Severity::Warning,
                subject.as_str(),
                format!("{count} PTR records; receivers may pick any"),
                "keep only the planned record",
            )
            .values(format!("{hostname}."), shown())
            .publish(vec![server.ptr_line(ip)]),
        );
    }
    let generic: Vec<(&str, generic_ptr::GenericPtr)> = names
        .clone()
        .filter_map(|name| {
            server
                .generic_signs(name)
                .check(Some(ip))
                .map(|g| (name, g))
        })
        .collect();
    if !names.clone().any(|n| same_name(n, hostname)) {
        findings.push(
            Finding::new(
                "ptr-mismatch",
                Severity::Error,
                subject.as_str(),
                "the PTR names another host than the server",
                "set the planned record (ask whoever runs the reverse zone, usually the ISP or cloud provider)",
            )
            .values(format!("{hostname}."), shown())
            .publish(vec![server.ptr_line(ip)]),
        );
    }
    for (name, generic) in &generic {
        findings.push(
            Finding::new(
                "ptr-generic",
                match generic.strength {
                    Strength::Error => Severity::Error,
                    Strength::Warning => Severity::Warning,
                },
                subject.as_str(),
                format!(
                    "the PTR name looks generic or dynamic ({generic}); receivers and lists (Spamhaus PBL, SpamRATS-Dyna) treat such addresses as end-user space"
                ),
                "ask the owner of the address (ISP or hosting provider) for a custom PTR: the planned record",
            )
            .values(format!("{hostname}."), format!("{name}."))
            .publish(vec![server.ptr_line(ip)]),
        );
    }
    // FCrDNS: some PTR name must resolve back to the address.
    let mut confirmed = false;
    let mut seen = Vec::new();
    let mut errors = Vec::new();
    for name in names.clone() {
        let looked_up;
        let forward = match same_name(name, hostname) {
            true => host.family(ip),
            false => {
                looked_up = addresses_of(ctx, name, ip).await;
                &looked_up
            }
        };
        match forward {
            Ok(answer) if ips(answer).any(|found| found == ip) => confirmed = true,
            Ok(answer) => seen.push(format!(
                "`{name}` → {}",
                match ips(answer).next() {
                    None => describe_void(answer, name),
                    Some(_) => list(ips(answer)),
                }
            )),
            Err(error) => errors.push((name, error.clone())),
        }
    }
    if !confirmed {
        if let Some((name, error)) = errors.first() {
            findings.push(Finding::undetermined(
                subject.as_str(),
                &format!("FCrDNS: the addresses of `{name}`"),
                error,
            ));
        } else {
            // The host name is the PTR name to confirm: publishing an
            // address at any other (generic or foreign) name would work
            // against the PTR findings.
            let names_host = names.clone().any(|n| n.eq_ignore_ascii_case(hostname));
            let (fix, record) = match names_host {
                true => (PUBLISH, address_line(hostname, server.ttl(), ip)),
                false => (
                    "set the planned PTR record (see ptr-mismatch), whose name resolves to the address",
                    server.ptr_line(ip),
                ),
            };
            findings.push(
                Finding::new(
                    "fcrdns-fail",
                    Severity::Error,
                    subject.as_str(),
                    "forward-confirmed reverse DNS fails: no PTR name resolves back to the address",
                    fix,
                )
                .values(ip.to_string(), seen.join("; "))
                .publish(vec![record]),
            );
        }
    }
    findings
}

/// `ptr-missing`, or `ptr-cname-missing` when the plan delegates the
/// address through an RFC 2317 CNAME that the parent zone lacks.
async fn missing_ptr<L: Lookup>(
    server: &ServerCtx<'_, '_, L>,
    ip: IpAddr,
    void: &Answer<RecordData>,
) -> Finding {
    let subject = ip.to_string();
    let owner = reverse_name(ip);
    let hostname = &server.server.hostname;
    if let Some(target) = server.ctx.planned.classless.get(&owner) {
        match server.ctx.dns.cname(&owner).await {
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
                    "classless reverse zone: the parent zone has no CNAME into it, so receivers never reach the PTR",
                    "ask the operator of the parent zone (usually the ISP) to publish the planned record (RFC 2317 §4)",
                )
                .values(format!("CNAME {target}."), describe_void(&cname, &owner))
                .publish(vec![line(
                    &owner,
                    server.ttl(),
                    &RecordData::Cname(target.clone()),
                )]);
            }
        }
    }
    Finding::new(
        "ptr-missing",
        Severity::Error,
        subject,
        "no PTR record; receivers reject or score mail from addresses without reverse DNS",
        "publish the planned record (ask whoever runs the reverse zone, usually the ISP or cloud provider)",
    )
    .values(format!("{hostname}."), describe_void(void, &owner))
    .publish(vec![server.ptr_line(ip)])
}

/// The RFC 2317 CNAMEs of the addresses of a classless block that no
/// server uses: `ptr-block-cname-missing` when the parent zone lacks some
/// (RFC 2317 §4: they let PTRs be added without its operator).
async fn block_cnames<L: Lookup>(
    server: &ServerCtx<'_, '_, L>,
    cnames: &[(DomainName, String)],
) -> Vec<Finding> {
    let answers = join_all(cnames.iter().map(|(owner, _)| server.ctx.dns.cname(owner))).await;
    let zone = cnames
        .first()
        .and_then(|(_, target)| target.split_once('.'))
        .map_or("", |(_, zone)| zone);
    let mut missing = Vec::new();
    for ((owner, target), answer) in cnames.iter().zip(answers) {
        match answer {
            Err(error) => {
                return vec![Finding::undetermined(
                    zone,
                    &format!("the RFC 2317 CNAMEs of the block (`{owner}`)"),
                    error,
                )];
            }
            Ok(Answer::Records(found)) if found.iter().any(|t| t.eq_ignore_ascii_case(target)) => {}
            Ok(_) => missing.push(line(
                owner,
                server.ttl(),
                &RecordData::Cname(target.clone()),
            )),
        }
    }
    if missing.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::new(
            "ptr-block-cname-missing",
            Severity::Warning,
            zone,
            "the parent zone lacks RFC 2317 CNAMEs of addresses no server uses yet: a PTR added for them later will not be reached",
            "ask the operator of the parent zone (usually the ISP) to publish the planned records (RFC 2317 §4)",
        )
        .values(
            format!("{} CNAMEs", cnames.len()),
            format!("{} of them missing or elsewhere", missing.len()),
        )
        .publish(missing),
    ]
}

/// Suffixes receivers treat as local, beyond those [`crate::names::check_public_hostname`]
/// knows (rspamd `checks_hello`, `deliverability.md` §7 H1).
const LOCAL_HELO_SUFFIXES: &[&str] = &["home", "intra", "priv"];

/// The HELO name of `server` as it is checked and looked up, or why
/// receivers refuse it (see [`helo_name`]).
///
/// Without `helo:` it is the host name, which the inventory read as a
/// public host name ([`DomainName::host`]): it is taken as it is, with
/// only [`LOCAL_HELO_SUFFIXES`] left to check, not read again.
fn server_helo(server: &Server) -> Result<Cow<'_, DomainName>, String> {
    match &server.helo {
        Some(raw) => helo_name(raw).map(Cow::Owned),
        None => local_suffix(&server.hostname, &server.hostname)
            .map(|()| Cow::Borrowed(&server.hostname)),
    }
}

/// The HELO name `raw` as it is checked and looked up, or why receivers
/// refuse it (RFC 5321 §2.3.5, §4.1.4; `deliverability.md` §7 H1).
fn helo_name(raw: &str) -> Result<DomainName, String> {
    let bare = raw.trim().trim_start_matches('[').trim_end_matches(']');
    let bare = bare.strip_prefix("IPv6:").unwrap_or(bare);
    if bare.parse::<IpAddr>().is_ok() {
        return Err(format!(
            "`{raw}` is an IP literal, not a host name; blocklists (CBL) list servers that announce one"
        ));
    }
    let name = DomainName::host(raw).map_err(|error| error.to_string())?;
    local_suffix(raw, &name)?;
    Ok(name)
}

/// Why `name`, given as `raw`, is refused for a suffix of
/// [`LOCAL_HELO_SUFFIXES`], if it is.
fn local_suffix(raw: &str, name: &DomainName) -> Result<(), String> {
    match LOCAL_HELO_SUFFIXES.iter().find(|suffix| name.is_in(suffix)) {
        Some(suffix) => Err(format!(
            "`{raw}` is under `{suffix}`, a private-network suffix"
        )),
        None => Ok(()),
    }
}

/// Where MTAs set the name they announce, for `name`.
fn mta_settings(name: &str) -> String {
    format!(
        "Postfix `myhostname = {name}` or `smtp_helo_name = {name}`; Exim `primary_hostname = {name}` or `helo_data = {name}`; Sendmail `define(`confDOMAIN_NAME', `{name}')dnl`; Exchange: the FQDN of the send connector"
    )
}

/// The HELO name, with its addresses and TXT records, or why it is no
/// name; `ptrs` are the PTR answers of the server's addresses:
/// `helo-invalid`, `helo-generic`, `helo-unresolvable`, `helo-ip-mismatch`,
/// `helo-ptr-mismatch`, and the HELO name's SPF record (RFC 5321 §4.1.4,
/// RFC 7208 §2.3).
fn helo_findings<L>(
    server: &ServerCtx<'_, '_, L>,
    helo: Result<(&str, Addresses<'_>, &LookupResult<RecordData>), &str>,
    ptrs: &[LookupResult<RecordData>],
) -> Vec<Finding> {
    let raw = server.server.helo_name();
    let hostname = server.server.hostname.as_str();
    let (name, published, txt) = match helo {
        Ok(helo) => helo,
        Err(problem) => {
            return vec![server.blame_helo(
                Finding::new(
                    "helo-invalid",
                    Severity::Error,
                    raw,
                    format!("an invalid HELO name: {problem}"),
                    format!(
                        "announce the server's public name `{hostname}`: {}; then remove `helo:` from the inventory",
                        mta_settings(hostname)
                    ),
                )
                .values(hostname, raw),
            )];
        }
    };
    let refused = server.refused_helo();
    let mut findings = Vec::new();
    let addresses_of_server = || server.server.addresses();
    let signs = server.generic_signs(name);
    let generic = addresses_of_server().find_map(|ip| signs.check(Some(ip)));
    if let Some(generic) = generic.or_else(|| signs.check(None)) {
        findings.push(server.blame_helo(Finding::new(
            "helo-generic",
            Severity::Warning,
            name,
            format!(
                "the HELO name looks generic or dynamic ({generic}); spam filters score such names as end-user hosts"
            ),
            "announce a name of your own domain, such as `mail.<your domain>`, and set it in the inventory: generate plans its A, PTR and SPF records",
        )));
    }
    if name != hostname {
        // A HELO name of its own is published too: compare it with the plan.
        let planned = server.ctx.planned.addresses(name);
        findings.extend(forward(server, name, planned, published));
    }
    // The planned address records of the HELO name, or what to change first.
    let helo_fix = |records: Vec<String>| match &refused {
        Some(fix) => (fix.clone(), Vec::new()),
        None => (PUBLISH.to_owned(), records),
    };
    let ttl = server.ttl();
    match (published.v4, published.v6) {
        (Ok(a), Ok(aaaa)) if a.is_void() && aaaa.is_void() => {
            let (fix, records) = helo_fix(
                addresses_of_server()
                    .map(|ip| address_line(name, ttl, ip))
                    .collect(),
            );
            let finding = Finding::new(
                "helo-unresolvable",
                Severity::Error,
                name,
                "the HELO name has no A or AAAA record",
                fix,
            )
            .values(list(addresses_of_server()), describe_void(a, name))
            .publish(records);
            findings.push(match refused {
                Some(_) => server.blame_helo(finding),
                None => finding,
            });
        }
        _ => {
            for ip in addresses_of_server() {
                match published.family(ip) {
                    Err(error) => findings.push(Finding::undetermined(
                        name,
                        &format!("whether the HELO name resolves to {ip}"),
                        error,
                    )),
                    Ok(answer) if !ips(answer).any(|found| found == ip) => {
                        let (fix, records) = helo_fix(vec![address_line(name, ttl, ip)]);
                        let finding = Finding::new(
                            "helo-ip-mismatch",
                            Severity::Error,
                            name,
                            "the HELO name does not resolve to an address of the server",
                            fix,
                        )
                        .values(ip.to_string(), list(ips(answer)))
                        .publish(records);
                        findings.push(match refused {
                            Some(_) => server.blame_helo(finding),
                            None => finding,
                        });
                    }
                    Ok(_) => {}
                }
            }
        }
    }
    for (ip, ptr) in addresses_of_server().zip(ptrs) {
        // PTR failures are reported by the PTR checks of the same address.
        if let Ok(answer) = ptr
            && let mut names = ptr_names(answer)
            && names.clone().next().is_some()
            && !names.any(|p| same_name(p, name))
        {
            let ptrs: Vec<&str> = ptr_names(answer).collect();
            findings.push(helo_ptr_mismatch(server, name, ip, &ptrs));
        }
    }
    // A name that is also a domain has the domain's record: its checks
    // compare it.
    let planned = match name == hostname {
        true => server.ctx.planned.host_txt(server.index),
        false => server.ctx.planned.txt_at(name),
    };
    if planned != PlannedTxt::Other {
        findings.extend(name_spf(server, name, txt, NameRole::Helo));
    }
    findings
}

/// `helo-ptr-mismatch`: the HELO name `name` is not the PTR name of `ip`.
/// The fix never contradicts the PTR findings of the address: a generic
/// PTR name is not to be announced, and the PTR is to name the host.
fn helo_ptr_mismatch<L>(
    server: &ServerCtx<'_, '_, L>,
    name: &str,
    ip: IpAddr,
    ptrs: &[&str],
) -> Finding {
    let hostname = server.server.hostname.as_str();
    let names_host = ptrs.iter().any(|p| p.eq_ignore_ascii_case(hostname));
    let generic = ptrs
        .iter()
        .any(|p| generic_ptr::check(p, Some(ip)).is_some());
    let finding = Finding::new(
        "helo-ptr-mismatch",
        Severity::Warning,
        name,
        format!("the HELO name differs from the PTR name of {ip}"),
        "",
    )
    .values(
        format!("{name}."),
        list(ptrs.iter().map(|p| format!("{p}."))),
    );
    let announce_host = match server.server.helo {
        Some(_) => format!(
            " and make the MTA announce `{hostname}` ({}), then remove `helo:` from the inventory",
            mta_settings(hostname)
        ),
        None => String::new(),
    };
    match (names_host, generic) {
        (true, _) => Finding {
            fix: format!(
                "the PTR names the host name as planned: make the MTA announce `{hostname}` ({}), then remove `helo:` from the inventory",
                mta_settings(hostname)
            ),
            ..server.blame_helo(finding)
        },
        (false, true) => Finding {
            fix: format!(
                "do not announce the generic PTR name: ask the owner of {ip} (ISP or hosting provider) for a PTR naming `{hostname}`, the planned record{announce_host}"
            ),
            ..finding.publish(vec![server.ptr_line(ip)])
        },
        (false, false) => Finding {
            fix: format!(
                "set the planned PTR record, naming `{hostname}` (see ptr-mismatch){announce_host}"
            ),
            ..finding.publish(vec![server.ptr_line(ip)])
        },
    }
}

/// Which name of a server an SPF record is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NameRole {
    /// The name the server announces: `helo-spf-missing`, `helo-spf-drift`.
    Helo,
    /// Its host name, when it announces another: `host-spf-missing`,
    /// `host-spf-drift`.
    Host,
}

/// The SPF record of a server name, `v=spf1 a -all` as `generate` plans it
/// (RFC 7208 §2.3): missing or different from the plan.
fn name_spf<L>(
    server: &ServerCtx<'_, '_, L>,
    name: &str,
    txt: &LookupResult<RecordData>,
    role: NameRole,
) -> Vec<Finding> {
    let answer = match txt {
        Err(error) => {
            return vec![Finding::undetermined(name, "the SPF record", error)];
        }
        Ok(answer) => answer,
    };
    let record = &server.ctx.planned.helo_record;
    if is_only_spf(answer, record) {
        return Vec::new();
    }
    let published: Vec<String> = txts(answer)
        .map(|strings| strings.concat())
        .filter(|text| crate::spf::is_spf_record(text))
        .map(|text| String::from_utf8_lossy(&text).into_owned())
        .collect();
    if let [one] = published.as_slice()
        && one == record
    {
        return Vec::new();
    }
    let (missing, drift, why) = match role {
        NameRole::Helo => (
            "helo-spf-missing",
            "helo-spf-drift",
            "bounces (null sender) are checked against the HELO name (RFC 7208 §2.3)",
        ),
        NameRole::Host => (
            "host-spf-missing",
            "host-spf-drift",
            "receivers check it when the server announces the name, and it keeps others from sending as it (RFC 7208 §2.3)",
        ),
    };
    let refused = match role {
        NameRole::Helo => server.refused_helo(),
        NameRole::Host => None,
    };
    let (fix, records) = match &refused {
        Some(fix) => (fix.clone(), Vec::new()),
        None => (
            PUBLISH.to_owned(),
            vec![txt_line(name, server.ttl(), record)],
        ),
    };
    let finding = match published.as_slice() {
        [] => Finding::new(
            missing,
            Severity::Error,
            name,
            format!("no SPF record: {why}"),
            fix,
        )
        .values(record, describe_void(answer, name)),
        // Several are `spf-multiple` when the name is also a domain; else
        // one planned record replaces them all.
        _ => Finding::new(
            drift,
            Severity::Error,
            name,
            "the SPF record differs from the planned one",
            fix,
        )
        .values(record, published.join(" | ")),
    };
    let finding = finding.publish(records);
    vec![match refused {
        Some(_) => server.blame_helo(finding),
        None => finding,
    }]
}

/// Whether the one SPF record of `answer` is `record`, octet for octet: the
/// usual case, told without copying the records.
fn is_only_spf(answer: &Answer<RecordData>, record: &str) -> bool {
    let mut spf = txts(answer).filter_map(|strings| {
        let text: Cow<'_, [u8]> = match &strings[..] {
            [single] => Cow::Borrowed(single),
            strings => Cow::Owned(strings.concat()),
        };
        crate::spf::is_spf_record(&text).then_some(text)
    });
    matches!((spf.next(), spf.next()), (Some(text), None) if *text == *record.as_bytes())
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
            assert!(helo_name(bad).is_err(), "{bad}");
        }
        for good in [
            "mail.example.com",
            "MX1.Example.NET.",
            "out-1.mail.example.org",
        ] {
            assert!(helo_name(good).is_ok(), "{good}");
        }
    }
}
