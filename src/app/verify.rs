//! `senderzone verify`: the CLI side of [`crate::verify`].

use std::net::IpAddr;
use std::time::Duration;

use super::config::Verify;
use super::{Error, Streams, load_inventory, plan_records, runtime};
use crate::cli::ReportFormat;
use crate::dnsbl::{self, List, Target};
use crate::records::Diagnostic;
use crate::verify::{self, Progress};

/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Runs `verify` and returns its exit code (see [`verify::Report::exit_code`]).
pub fn run(config: &Verify, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let inventory = load_inventory(&config.inventory, streams)?;
    // A HELO name generate refuses is diagnosed here (`helo-invalid`), not
    // refused: the plan holds every other record.
    let plan = plan_records(&inventory, |d| {
        matches!(d, Diagnostic::UnpublishableHelo { .. })
    })?;
    let dns = config.dns.open()?;
    let runtime = runtime()?;
    let progress = Progress::default();
    let terminal = config.terminal;
    let mut report = runtime.block_on(async {
        let checks = verify::run(&dns, &inventory, &plan, &config.options, &progress);
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
        let mut targets: Vec<Target> = Vec::new();
        for server in &inventory.servers {
            let ips = server.ipv4.iter().map(|&ip| IpAddr::V4(ip));
            targets.extend(
                ips.chain(server.ipv6.iter().map(|&ip| IpAddr::V6(ip)))
                    .map(Target::Ip),
            );
        }
        targets.extend(
            inventory
                .domains
                .iter()
                .map(|d| Target::Domain(d.name.clone())),
        );
        super::dnsbl::warn_about_public_resolvers(&config.dns, streams)?;
        let blocklists = runtime.block_on(dnsbl::run(
            &dns,
            &lists,
            &targets,
            config.options.concurrency,
            &|_, _| {},
        ));
        report.extend(verify::blocklist::findings(&blocklists));
    }
    let write_error = Error::Output;
    match config.format {
        ReportFormat::Json => {
            super::write_json(streams.out, &report)?;
        }
        ReportFormat::Text => {
            verify::write_text(&report, streams.out, terminal.colour).map_err(write_error)?;
        }
    }
    Ok(report.exit_code())
}
