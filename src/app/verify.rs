//! `senderzone verify`: the CLI side of [`crate::verify`].

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::IpAddr;
use std::time::Duration;

use tokio::time::Instant;

use super::config::Verify;
use super::{Error, Streams, load_inventory, plan_records, runtime, warn};
use crate::cli::ReportFormat;
use crate::dns::Lookup;
use crate::dns::shared::Within;
use crate::dns::source::DnsSource;
use crate::dnsbl::findings::Related;
use crate::dnsbl::{self, List, Target};
use crate::inventory::Inventory;
use crate::records::{Diagnostic, Plan, ZoneRole};
use crate::spf::{self, CheckParams, Config, SpfResult};
use crate::verify::{self, Progress, Report};

/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Runs `verify` and returns its exit code (see [`verify::Report::exit_code`]).
pub fn run(config: &Verify, streams: &mut Streams<'_>) -> Result<u8, Error> {
    // One deadline for the whole run (`--timeout`): the checks, then
    // `--receivers`, `--dnsbl` and the `-v` traces.
    let deadline = Instant::now() + config.options.deadline;
    let inventory = load_inventory(&config.inventory, config.verbosity, streams)?;
    // A HELO name generate refuses is diagnosed here (`helo-invalid`), not
    // refused: the plan holds every other record.
    let plan = plan_records(&inventory, |d| {
        matches!(d, Diagnostic::UnpublishableHelo { .. })
    })?;
    if let Some(lists) = &config.blocklists {
        super::dnsbl::note_undocumented(lists, config.verbosity, streams)?;
    }
    let source = config.dns.open()?;
    if config.dns.offline {
        warn_unheld_zones(&plan, &source, streams)?;
    }
    let runtime = runtime()?;
    let progress = Progress::default();
    let terminal = config.terminal;
    let options = verify::Options {
        deadline: deadline.saturating_duration_since(Instant::now()),
        ..config.options
    };
    let dns = Within::new(&source, deadline);
    let mut report = runtime.block_on(async {
        let checks = verify::run(&source, &inventory, &plan, &options, &progress);
        if !terminal.progress {
            return checks.await;
        }
        let err = &mut *streams.err;
        let ticker = async {
            loop {
                tokio::time::sleep(PROGRESS_EVERY).await;
                let line = format!(
                    "verify: {}/{} servers and domains checked, {} queries",
                    progress.checks_done(),
                    progress.checks_total(),
                    progress.queries_answered()
                );
                // Within the terminal's width, or `\r` no longer returns
                // to the line's start; the last column stays free.
                let line: String = line.chars().take(terminal.width - 1).collect();
                // Progress is a courtesy: a failure to show it is no error.
                let _ = write!(err, "\r\x1b[K{line}");
            }
        };
        let report = tokio::select! {
            report = checks => report,
            () = ticker => unreachable!("the progress loop never ends"),
        };
        let _ = write!(streams.err, "\r\x1b[K");
        report
    });
    if config.receivers {
        let (findings, rules) =
            runtime.block_on(verify::check_receivers(&dns, &inventory, &report.findings));
        report.extend(findings);
        report.receivers = rules;
    }
    if let Some(lists) = &config.blocklists {
        let lists: Vec<&List> = lists.iter().collect();
        let mut targets: Vec<Target> = server_addresses(&inventory)
            .map(|(ip, _)| Target::Ip(ip))
            .collect();
        targets.extend(
            inventory
                .domains
                .iter()
                .map(|d| Target::Domain(d.name.clone())),
        );
        let blocklists = runtime.block_on(dnsbl::run(
            &dns,
            &lists,
            &targets,
            config.options.concurrency,
            &|_, _| {},
        ));
        super::dnsbl::warn_about_refusals(&blocklists, &config.dns, streams)?;
        let related = Related {
            findings: &report.findings,
            subjects: subjects(&inventory),
        };
        let findings = dnsbl::findings::findings(&blocklists, &related);
        report.extend(findings);
    }
    verify::account_network(&mut report, &source.network_use());
    match config.format {
        ReportFormat::Json => {
            super::write_json(streams.out, &report)?;
        }
        ReportFormat::Text => {
            let style = verify::Style {
                colour: terminal.colour,
                width: terminal.wrap,
            };
            verify::write_findings(&report, streams.out, style).map_err(Error::Output)?;
            if config.verbosity.is_verbose() {
                let traces = runtime.block_on(failing_evaluations(&dns, &inventory, &report));
                write_traces(&traces, streams.out).map_err(Error::Output)?;
            }
            if !config.verbosity.is_quiet() {
                verify::write_summary(&report, streams.out).map_err(Error::Output)?;
            }
        }
    }
    let code = report.exit_code_at(config.fail_on);
    if config.options.leave_answers {
        // The process exits next: freeing the inventory and the plan of a
        // 10,000-server run node by node cost 1 % of its instructions.
        std::mem::forget((inventory, plan));
    }
    Ok(code)
}

/// Says which zones of the inventory no zone file holds, under
/// `--offline`: none of their checks can run, which the findings tell one
/// by one but a forgotten or mistyped file deserves a word up front. The
/// /24 parent of a classless zone is the ISP's and not expected.
fn warn_unheld_zones(
    plan: &Plan,
    source: &DnsSource,
    streams: &mut Streams<'_>,
) -> Result<(), Error> {
    let unheld: Vec<String> = plan
        .zones
        .iter()
        .filter(|zone| !matches!(zone.role, ZoneRole::ClasslessParent { .. }))
        .filter(|zone| !source.in_zone_files(&zone.origin))
        .map(|zone| format!("`{}`", zone.origin))
        .collect();
    if unheld.is_empty() {
        return Ok(());
    }
    warn(
        streams,
        format_args!(
            "no zone file holds {} of the inventory: with `--offline` their records are not checkable (dns-offline); give each zone's file with `--zone-file` (`senderzone generate --out DIR` writes them)",
            unheld.join(", ")
        ),
    )
}

/// Every server address with its server's index.
fn server_addresses(inventory: &Inventory) -> impl Iterator<Item = (IpAddr, usize)> + '_ {
    inventory
        .servers
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.addresses().map(move |ip| (ip, i)))
}

/// For each server address, the subjects verify files findings about it
/// under: the address, the server's host name and its HELO name.
fn subjects(inventory: &Inventory) -> HashMap<IpAddr, Vec<String>> {
    server_addresses(inventory)
        .map(|(ip, i)| {
            let server = &inventory.servers[i];
            let names = vec![
                ip.to_string(),
                server.hostname.to_string(),
                server.helo_name().to_owned(),
            ];
            (ip, names)
        })
        .collect()
}

/// One check_host() that did not pass, with its trace.
struct Trace {
    domain: String,
    ip: IpAddr,
    evaluation: spf::Evaluation,
}

/// `verify -v`: for each domain reported `spf-not-authorized`, check_host()
/// again for every address of its servers, as verify asks it (MAIL FROM
/// `postmaster@DOMAIN`, the server's HELO name), keeping those that do not
/// pass with their whole trace.
async fn failing_evaluations<L: Lookup>(
    dns: &L,
    inventory: &Inventory,
    report: &Report,
) -> Vec<Trace> {
    let mut traces = Vec::new();
    let config = Config::default();
    for domain in &inventory.domains {
        let failed = report
            .findings
            .iter()
            .any(|f| f.id == "spf-not-authorized" && f.subject == domain.name);
        if !failed {
            continue;
        }
        let sender = format!("postmaster@{}", domain.name);
        for (ip, i) in server_addresses(inventory) {
            if !domain.servers.contains(&i) {
                continue;
            }
            let helo = inventory.servers[i].helo_name();
            let params = CheckParams::mail_from(ip, &sender, helo);
            let evaluation = spf::check_host(dns, &params, &config).await;
            if evaluation.result != SpfResult::Pass {
                traces.push(Trace {
                    domain: domain.name.to_string(),
                    ip,
                    evaluation,
                });
            }
        }
    }
    traces
}

/// The traces, each under a heading, indented as `spf eval` prints one.
fn write_traces(traces: &[Trace], out: &mut dyn Write) -> io::Result<()> {
    for trace in traces {
        writeln!(out, "check_host({}, {}):", trace.ip, trace.domain)?;
        for line in trace.evaluation.to_string().lines() {
            writeln!(out, "  {}", verify::escape(line))?;
        }
    }
    Ok(())
}
