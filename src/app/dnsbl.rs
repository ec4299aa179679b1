//! `senderzone dnsbl`.

use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};

use super::config::{Dns, Dnsbl, Terminal};
use super::{Error, Streams, runtime, warn};
use crate::cli::ReportFormat;
use crate::dns::source;
use crate::dnsbl::{self, Health, List, Overall, Verdict};
use crate::finding;
use crate::verify::blocklist;

/// Runs `senderzone dnsbl`.
pub fn run(config: &Dnsbl, streams: &mut Streams<'_>) -> Result<u8, Error> {
    warn_about_public_resolvers(&config.dns, streams)?;
    let dns = config.dns.open()?;
    let lists: Vec<&List> = config.lists.iter().collect();
    let terminal = config.terminal;
    let show_progress = config.format == ReportFormat::Text && terminal.progress;
    let err = RefCell::new(&mut *streams.err);
    let progress = |done: usize, total: usize| {
        if show_progress {
            let mut err = err.borrow_mut();
            // Progress is a courtesy: a failure to show it is no error.
            let _ = write!(err, "\r{}", progress_bar(done, total, terminal));
            if done == total {
                let _ = writeln!(err);
            }
        }
    };
    let report = runtime()?.block_on(dnsbl::run(
        &dns,
        &lists,
        &config.targets,
        config.concurrency,
        &progress,
    ));
    let write_error = Error::Output;
    match config.format {
        ReportFormat::Json => {
            super::write_json(streams.out, &report)?;
        }
        ReportFormat::Text => write_text(&report, streams).map_err(write_error)?,
    }
    Ok(finding::exit_code(&blocklist::findings(&report)))
}

/// `[####      ] 12/40 queries`, the bar narrowed to fit the terminal.
fn progress_bar(done: usize, total: usize, terminal: Terminal) -> String {
    let counts = format!(" {done}/{total} queries");
    // Room for the brackets, the counts and the cursor's last column.
    let width = terminal.width.saturating_sub(counts.len() + 3).min(30);
    let filled = (done * width).checked_div(total).unwrap_or(width);
    format!(
        "[{}{}]{counts}",
        "#".repeat(filled),
        " ".repeat(width - filled)
    )
}

/// Lists refuse public resolvers: say so before the answers mislead.
pub(super) fn warn_about_public_resolvers(
    dns: &Dns,
    streams: &mut Streams<'_>,
) -> Result<(), Error> {
    if !dns.is_network() {
        return Ok(());
    }
    let servers: Vec<IpAddr> = if dns.nameservers.is_empty() {
        source::system_nameservers()
    } else {
        dns.nameservers.iter().map(SocketAddr::ip).collect()
    };
    for server in servers
        .into_iter()
        .filter(|ip| dnsbl::is_public_resolver(*ip))
    {
        warn(
            streams,
            format_args!(
                "{server} is a public resolver; Spamhaus and other lists refuse or silently answer \"not listed\" through it: use your own recursive resolver (e.g. unbound) or a list's paid access"
            ),
        )?;
    }
    Ok(())
}

fn write_text(report: &dnsbl::Report, streams: &mut Streams<'_>) -> std::io::Result<()> {
    let out = &mut *streams.out;
    for target in &report.targets {
        let overall = match target.overall {
            Overall::Listed => "LISTED",
            Overall::NotListed => "not listed",
            Overall::Unknown => "UNKNOWN (no list could be believed)",
        };
        writeln!(out, "{}: {overall}", target.target)?;
        for result in &target.lists {
            match &result.verdict {
                Verdict::Listed { listings, reason } => {
                    for listing in listings {
                        writeln!(
                            out,
                            "  listed     {} ({}) {}: {} [{}]",
                            result.zone, result.name, listing.code, listing.meaning, listing.impact
                        )?;
                        if let Some(advice) = &listing.advice {
                            writeln!(out, "             what to do: {advice}")?;
                        }
                    }
                    if let Some(reason) = reason {
                        writeln!(out, "             list says: {}", reason.escape_debug())?;
                    }
                    if let Some(delist) = &result.delist {
                        writeln!(out, "             delisting: {delist}")?;
                    }
                }
                Verdict::NotListed => writeln!(out, "  clean      {}", result.zone)?,
                Verdict::Unknown { why } => {
                    writeln!(out, "  unknown    {}: {}", result.zone, why.escape_debug())?;
                }
            }
        }
    }
    let unhealthy: Vec<_> = report
        .health
        .iter()
        .filter(|h| h.health != Health::Healthy)
        .collect();
    if !unhealthy.is_empty() {
        writeln!(
            out,
            "lists not used (failed their RFC 5782 test in this run):"
        )?;
        for list in unhealthy {
            writeln!(out, "  {} ({:?}): {}", list.zone, list.key, list.health)?;
        }
    }
    for (zone, note) in &report.dead {
        writeln!(out, "dead list, not queried: {zone}: {note}")?;
    }
    Ok(())
}
