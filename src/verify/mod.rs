//! `verify`: live DNS against the inventory.
//!
//! The inventory is planned exactly as `generate` plans it
//! ([`crate::records::plan`]); every planned record and every
//! deliverability rule of `deliverability.md` §4–§7 is then checked
//! against DNS through a [`Lookup`], and each difference or problem becomes
//! a [`Finding`] with a stable id, a severity and a fix.
//!
//! Checks run concurrently, server by server and domain by domain, through
//! one [`SharedLookup`]: each distinct query is asked once per run, a bound
//! keeps the queries in flight in check, and a deadline ends the run on
//! time. A query DNS did not answer makes its check a `dns-error` ("could
//! not determine"), never a pass.
//!
//! A planned record that DNS does not serve as planned is an error; its
//! fix is the planned record in zone-file syntax ([`Finding::records`]).
//! A finding an inventory value causes names it ([`Finding::inventory`]).
//!
//! Checks by id:
//!
//! - servers: `a-missing`, `a-mismatch`, `aaaa-missing`, `aaaa-mismatch`,
//!   `a-extra`; `ptr-missing`, `ptr-mismatch`, `ptr-multiple`,
//!   `ptr-cname-missing`, `ptr-block-cname-missing`, `fcrdns-fail`,
//!   `ptr-generic`; `helo-invalid`, `helo-unresolvable`, `helo-ip-mismatch`,
//!   `helo-ptr-mismatch`, `helo-spf-missing`, `helo-spf-drift`,
//!   `host-spf-missing`, `host-spf-drift`, `helo-generic`.
//! - domains: `spf-missing`, `spf-multiple`, `spf-syntax`, `spf-drift`
//!   (each planned SPF record, chained `_spfN` parts too),
//!   `spf-not-authorized`, `spf-too-permissive`, and every other lint id of
//!   [`crate::spf::lint_domain`] unchanged; `dmarc-missing`, `dmarc-drift`,
//!   `dmarc-multiple`, `dmarc-rua-unauthorized` for a planned DMARC record;
//!   for each DKIM selector `dkim-missing`, `dkim-syntax`, `dkim-weak`,
//!   `dkim-drift`, `dkim-revoked`, `dkim-testing`.
//! - `dns-error` for anything DNS could not answer; `dns-offline` (info)
//!   for a check that needs a name outside the zone files under
//!   `--offline`.
//! - name servers ([`account_network`]): `nameserver-silent`,
//!   `nameserver-not-recursive`.

mod authoritative;
mod dkim;
mod domain;
mod network;
mod planned;
mod receivers;
mod report;
mod server;

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use foldhash::{HashSet, HashSetExt};
use futures_util::stream::{FuturesUnordered, StreamExt};

pub use crate::dns::shared::{Progress, SharedLookup};
pub(crate) use dkim::{check_record as check_dkim_record, check_selector as check_dkim_selector};
pub use network::account_network;
pub use receivers::{
    ReceiverRule, Status as RuleStatus, check as check_receivers, rules_help as receiver_rules_help,
};
pub use report::{Report, Style, Summary, escape, write_findings, write_summary, write_text};

use crate::dns::{Answer, Lookup};
use crate::finding::Finding;
use crate::inventory::Inventory;
use crate::records::Plan;
use crate::spf::Profile;
use planned::Planned;

/// How a run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// SPF lint profile (`--strict`).
    pub profile: Profile,
    /// Queries in flight at most.
    pub concurrency: usize,
    /// The whole run's deadline: queries unanswered by then are timeouts.
    pub deadline: Duration,
    /// Ask each zone's name servers directly, on this port (53 but in
    /// tests), instead of the resolver alone (`--authoritative`).
    pub authoritative: Option<u16>,
    /// Leave the run's answers, one per distinct query, and its view of
    /// the plan to the process's exit instead of freeing them one by one
    /// when the run ends: for the command line, which exits after the run
    /// (freeing the 80,000 answers of a 10,000-server run took an eighth
    /// of its user CPU time).
    pub leave_answers: bool,
}

impl Default for Options {
    /// The normal profile, 64 queries in flight, two minutes, answers freed.
    fn default() -> Self {
        Options {
            profile: Profile::default(),
            concurrency: 64,
            deadline: Duration::from_secs(120),
            authoritative: None,
            leave_answers: false,
        }
    }
}

/// What every check needs.
struct Context<'a, L> {
    dns: &'a L,
    inventory: &'a Inventory,
    planned: &'a Planned<'a>,
    profile: Profile,
}

/// An empty answer in words, for `actual` values and messages.
fn describe_void<T>(answer: &Answer<T>, name: &str) -> String {
    match answer {
        Answer::NxDomain => format!("NXDOMAIN: `{name}` does not exist"),
        Answer::NoData | Answer::Records(_) => {
            format!("no data: `{name}` exists but holds no record of this type")
        }
    }
}

type Check<'a> = Pin<Box<dyn Future<Output = Vec<Finding>> + 'a>>;

/// Distinct queries a server's or a domain's checks ask, at most as a
/// rule: a name's A and AAAA, a PTR per address, a domain's SPF chain and
/// DMARC (scripts/bench-verify's inventory: 62,000 for 12,000 checks).
/// Sizes the run's memo once; more only makes it grow.
const QUERIES_PER_CHECK: usize = 8;

/// Verifies `inventory`, planned as `plan`, against `dns`.
///
/// `progress` is updated as the run goes, for a caller that shows it.
pub async fn run<L: Lookup>(
    dns: &L,
    inventory: &Inventory,
    plan: &Plan,
    options: &Options,
    progress: &Progress,
) -> Report {
    let deadline = tokio::time::Instant::now() + options.deadline;
    let planned = Planned::new(plan, inventory);
    let expected = QUERIES_PER_CHECK * (inventory.servers.len() + inventory.domains.len());
    let shared =
        SharedLookup::new(dns, options.concurrency, deadline, progress).expecting(expected);
    let mut findings = Vec::new();
    let mut servers = Vec::new();
    if let Some(port) = options.authoritative {
        let survey = authoritative::survey(&shared, plan, &planned, port, deadline, progress).await;
        findings = survey.0;
        servers = survey.1;
    }
    let direct = authoritative::Fallback::new(&servers, dns);
    let checks = match &direct {
        Some(direct) => {
            let shared = SharedLookup::new(direct, options.concurrency, deadline, progress)
                .expecting(expected);
            let findings = checks(&shared, inventory, &planned, options, progress).await;
            if options.leave_answers {
                std::mem::forget(shared);
            }
            findings
        }
        None => checks(&shared, inventory, &planned, options, progress).await,
    };
    findings.extend(checks);
    if options.leave_answers {
        std::mem::forget(shared);
        std::mem::forget(planned);
    }
    // A problem two checks meet (an include shared by two domains) is
    // reported once.
    let mut seen = HashSet::new();
    findings.retain(|f| seen.insert((f.id, f.subject.clone(), f.message.clone())));
    Report::new(
        findings,
        inventory.servers.len(),
        inventory.domains.len(),
        progress.queries_sent(),
    )
}

/// Runs the checks of every server and domain through `dns`.
///
/// A check starts when a query of it could go out at once (a permit of
/// `dns` is free) or none runs, at most `options.concurrency` at a time,
/// so that the checks in progress, and their futures, are about as many as
/// the queries in flight rather than waiting by the thousand for a permit.
/// They finish in any order; the findings are put back in inventory order.
async fn checks<L: Lookup>(
    dns: &SharedLookup<'_, L>,
    inventory: &Inventory,
    planned: &Planned<'_>,
    options: &Options,
    progress: &Progress,
) -> Vec<Finding> {
    let ctx = Context {
        dns,
        inventory,
        planned,
        profile: options.profile,
    };
    progress.plan_checks(inventory.servers.len() + inventory.domains.len());
    let ctx = &ctx;
    let servers = inventory
        .servers
        .iter()
        .enumerate()
        .map(|(i, s)| Box::pin(server::check(ctx, i, s)) as Check<'_>);
    let domains = inventory.domains.iter().enumerate().map(|(i, d)| {
        Box::pin(async move {
            let (mut findings, dkim) =
                futures_util::future::join(domain::check(ctx, i, d), dkim::check(ctx.dns, d)).await;
            findings.extend(dkim);
            findings
        }) as Check<'_>
    });
    let mut waiting = servers.chain(domains).enumerate().peekable();
    let mut running = FuturesUnordered::new();
    let mut results = Vec::with_capacity(inventory.servers.len() + inventory.domains.len());
    let limit = options.concurrency.max(1);
    let run = poll_fn(|cx| {
        loop {
            if running.len() < limit
                && (running.is_empty() || dns.has_free_permit())
                && let Some((index, check)) = waiting.next()
            {
                running.push(async move { (index, check.await) });
            }
            match running.poll_next_unpin(cx) {
                Poll::Ready(Some(result)) => {
                    progress.check_done();
                    results.push(result);
                }
                Poll::Ready(None) if waiting.peek().is_none() => return Poll::Ready(()),
                Poll::Ready(None) => {}
                Poll::Pending
                    if running.len() < limit
                        && dns.has_free_permit()
                        && waiting.peek().is_some() => {}
                Poll::Pending => return Poll::Pending,
            }
        }
    });
    // Unconstrained: tokio's budget would otherwise make every permit,
    // socket and timer the checks poll past the first 128 in one turn
    // report "not ready" and wake the task again, which with many checks
    // in progress costs more than the checks.
    tokio::task::coop::unconstrained(run).await;
    results.sort_unstable_by_key(|(index, _)| *index);
    results
        .into_iter()
        .flat_map(|(_, findings)| findings)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::path::Path;

    use super::*;
    use crate::dns::RecordData;
    use crate::dns::memory::MemoryZone;
    use crate::finding::{DNS_ERROR, Severity};
    use crate::records;

    const INVENTORY: &str = "\
zones: [example.org]
reverse_zones: [198.51.100.0/24, 2001:db8:5::/48]
servers:
  - hostname: mx.example.org
    ipv4: [198.51.100.5]
    ipv6: ['2001:db8:5::5']
domains:
  - name: example.org
    servers: [mx.example.org]
";

    /// An edit of the planned records.
    type Change = Box<dyn FnOnce(&mut MemoryZone)>;

    /// The planned zone with `change` applied, verified; the ids found.
    fn ids_after(change: impl FnOnce(&mut MemoryZone)) -> (Vec<&'static str>, Report) {
        let inventory = Inventory::from_bytes(Path::new("t.yaml"), INVENTORY.as_bytes())
            .unwrap()
            .inventory;
        let plan = records::plan(&inventory);
        let mut zone = plan.to_memory_zone();
        change(&mut zone);
        let progress = Progress::default();
        let report = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(run(
                &zone,
                &inventory,
                &plan,
                &Options::default(),
                &progress,
            ));
        let ids = report
            .findings
            .iter()
            .filter(|f| f.id != "spf-private-address")
            .map(|f| f.id)
            .collect();
        (ids, report)
    }

    #[test]
    fn the_plan_itself_verifies_clean() {
        let (ids, report) = ids_after(|_| {});
        assert!(ids.is_empty(), "{report:#?}");
        assert_eq!(report.exit_code(), 0);
    }

    #[test]
    fn each_fault_has_its_id() {
        let cases: Vec<(&str, Change)> = vec![
            (
                "ptr-multiple",
                Box::new(|z| {
                    z.insert(
                        "5.100.51.198.in-addr.arpa",
                        RecordData::Ptr("mx.example.org".into()),
                    );
                    z.insert(
                        "5.100.51.198.in-addr.arpa",
                        RecordData::Ptr("other.example.org".into()),
                    );
                }),
            ),
            (
                "aaaa-mismatch",
                Box::new(|z| {
                    *z = planned_without("mx.example.org", |d| !matches!(d, RecordData::Aaaa(_)));
                    z.insert(
                        "mx.example.org",
                        RecordData::Aaaa(Ipv6Addr::new(0x2001, 0xdb8, 5, 0, 0, 0, 0, 6)),
                    );
                }),
            ),
            (
                "a-mismatch",
                Box::new(|z| {
                    *z = planned_without("mx.example.org", |d| !matches!(d, RecordData::A(_)));
                    z.insert(
                        "mx.example.org",
                        RecordData::A(Ipv4Addr::new(198, 51, 100, 6)),
                    );
                }),
            ),
            (
                "helo-ip-mismatch",
                Box::new(|z| {
                    *z = planned_without("mx.example.org", |d| !matches!(d, RecordData::Aaaa(_)));
                }),
            ),
            (
                "helo-spf-missing",
                Box::new(|z| {
                    *z = planned_without("mx.example.org", |d| !matches!(d, RecordData::Txt(_)));
                }),
            ),
            (
                "ptr-missing",
                Box::new(|z| {
                    // The name exists without a PTR: no data, not NXDOMAIN.
                    *z = planned_without("5.100.51.198.in-addr.arpa", |_| false);
                    z.insert(
                        "5.100.51.198.in-addr.arpa",
                        RecordData::Txt(vec![b"no ptr".to_vec()].into()),
                    );
                }),
            ),
            (
                "spf-missing",
                Box::new(|z| *z = planned_without("example.org", |_| false)),
            ),
            (
                "ptr-generic",
                Box::new(|z| {
                    *z = planned_without("5.100.51.198.in-addr.arpa", |_| false);
                    z.insert(
                        "5.100.51.198.in-addr.arpa",
                        RecordData::Ptr("198-51-100-5.dyn.example.net".into()),
                    );
                    z.insert(
                        "198-51-100-5.dyn.example.net",
                        RecordData::A(Ipv4Addr::new(198, 51, 100, 5)),
                    );
                }),
            ),
        ];
        for (id, change) in cases {
            let (ids, report) = ids_after(change);
            assert!(ids.contains(&id), "{id}: {report:#?}");
            let errors = report
                .findings
                .iter()
                .any(|f| f.severity == Severity::Error);
            assert_eq!(report.exit_code(), if errors { 1 } else { 0 }, "{id}");
        }
        let (_, report) = ids_after(|z| {
            *z = planned_without("5.100.51.198.in-addr.arpa", |_| false);
            z.insert(
                "5.100.51.198.in-addr.arpa",
                RecordData::Txt(vec![b"x".to_vec()].into()),
            );
        });
        let missing = report
            .findings
            .iter()
            .find(|f| f.id == "ptr-missing")
            .unwrap();
        assert!(missing.actual.as_deref().unwrap().starts_with("no data"));
    }

    #[test]
    fn an_unpublishable_helo_name_is_helo_invalid_and_the_rest_verifies() {
        let yaml = INVENTORY.replace(
            "  - hostname: mx.example.org\n",
            "  - hostname: mx.example.org\n    helo: localhost.localdomain\n",
        );
        let inventory = Inventory::from_bytes(Path::new("t.yaml"), yaml.as_bytes())
            .unwrap()
            .inventory;
        let plan = records::plan(&inventory);
        assert!(
            matches!(
                plan.diagnostics.as_slice(),
                [records::Diagnostic::UnpublishableHelo { server: 0, .. }]
            ),
            "{:?}",
            plan.diagnostics
        );
        let progress = Progress::default();
        let report = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(run(
                &plan.to_memory_zone(),
                &inventory,
                &plan,
                &Options::default(),
                &progress,
            ));
        let errors: Vec<(&str, &str)> = report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error && f.id != "spf-private-address")
            .map(|f| (f.id, f.subject.as_str()))
            .collect();
        assert_eq!(errors, [("helo-invalid", "localhost.localdomain")]);
    }

    #[test]
    fn an_unanswered_query_is_never_a_pass() {
        let (ids, report) = ids_after(|z| {
            *z = planned_without("mx.example.org", |_| false);
            z.insert_timeout("mx.example.org");
        });
        assert!(ids.contains(&DNS_ERROR), "{report:#?}");
        assert!(!ids.contains(&"a-missing"), "{report:#?}");
        assert_eq!(report.exit_code(), 3);
    }

    /// The planned records, those at `owner` kept only where `keep` says so.
    fn planned_without(owner: &str, keep: impl Fn(&RecordData) -> bool) -> MemoryZone {
        let inventory = Inventory::from_bytes(Path::new("t.yaml"), INVENTORY.as_bytes())
            .unwrap()
            .inventory;
        let plan = records::plan(&inventory);
        let mut fresh = MemoryZone::new();
        for record in plan.zones.iter().flat_map(|z| &z.records) {
            if record.owner != owner || keep(&record.data) {
                fresh.insert(&record.owner, record.data.clone());
            }
        }
        fresh
    }

    /// Answers from a zone after a pause, longer for the first server's
    /// names, and counts the queries in flight.
    struct Slow {
        zone: MemoryZone,
        in_flight: std::cell::Cell<usize>,
        most: std::cell::Cell<usize>,
    }

    impl Lookup for Slow {
        async fn query(
            &self,
            name: &str,
            rtype: hickory_proto::rr::RecordType,
        ) -> crate::dns::LookupResult<RecordData> {
            self.in_flight.set(self.in_flight.get() + 1);
            self.most.set(self.most.get().max(self.in_flight.get()));
            let first = name.starts_with("mx0.") || name.starts_with("5.100.51.198.");
            let pause = if first { 60 } else { 5 };
            tokio::time::sleep(Duration::from_millis(pause)).await;
            self.in_flight.set(self.in_flight.get() - 1);
            self.zone.query(name, rtype).await
        }
    }

    #[test]
    fn findings_keep_inventory_order_and_queries_stay_bounded() {
        // Five servers, none with its PTR published: the first server's
        // answers come last, its findings still come first.
        let mut yaml =
            "zones: [example.org]\nreverse_zones: [198.51.100.0/24]\nservers:\n".to_owned();
        for i in 0..5 {
            yaml.push_str(&format!(
                "  - hostname: mx{i}.example.org\n    ipv4: [198.51.100.{}]\n",
                5 + i
            ));
        }
        yaml.push_str("domains:\n  - name: example.org\n    servers: [mx0.example.org]\n");
        let inventory = Inventory::from_bytes(Path::new("t.yaml"), yaml.as_bytes())
            .unwrap()
            .inventory;
        let plan = records::plan(&inventory);
        let mut zone = MemoryZone::new();
        for record in plan.zones.iter().flat_map(|z| &z.records) {
            if !matches!(record.data, RecordData::Ptr(_)) {
                zone.insert(&record.owner, record.data.clone());
            }
        }
        let slow = Slow {
            zone,
            in_flight: Default::default(),
            most: Default::default(),
        };
        // Each check asks 4 queries at once: A, AAAA, PTR, the HELO TXT.
        let options = Options {
            concurrency: 10,
            ..Options::default()
        };
        let progress = Progress::default();
        let report = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(run(&slow, &inventory, &plan, &options, &progress));
        let missing: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.id == "ptr-missing")
            .map(|f| f.subject.as_str())
            .collect();
        assert_eq!(
            missing,
            [
                "198.51.100.5",
                "198.51.100.6",
                "198.51.100.7",
                "198.51.100.8",
                "198.51.100.9"
            ]
        );
        assert!(
            slow.most.get() <= 10,
            "{} queries in flight",
            slow.most.get()
        );
        assert_eq!(progress.checks_done(), 6);
    }
}
