//! `senderzone dnsbl`.

use std::io::IsTerminal;
use std::net::IpAddr;

use super::{Error, Streams, io_error, runtime};
use crate::cli::{DnsblArgs, ReportFormat};
use crate::dns::source::{self, DnsSource};
use crate::dnsbl::{self, Health, List, Overall, Registry, Status, Target, Verdict};
use crate::finding;
use crate::names::{self, Charset};
use crate::verify::blocklist;

/// Runs `senderzone dnsbl`.
pub fn run(args: &DnsblArgs, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let registry = registry(args.list_file.as_deref())?;
    let targets = args
        .targets
        .iter()
        .map(|text| parse_target(text))
        .collect::<Result<Vec<_>, _>>()?;
    let lists = select(&registry, &args.lists)?;
    warn_about_public_resolvers(
        &args.dns.nameservers,
        args.dns.zone_files.is_empty(),
        streams,
    )?;
    let dns = DnsSource::open(&args.dns.nameservers, &args.dns.zone_files)
        .map_err(|err| Error::Usage(err.to_string()))?;
    let show_progress = args.format == ReportFormat::Text && std::io::stderr().is_terminal();
    let progress = |done: usize, total: usize| {
        if show_progress {
            eprint!("\r{}", progress_bar(done, total));
            if done == total {
                eprintln!();
            }
        }
    };
    let report = runtime()?.block_on(dnsbl::run(
        &dns,
        &lists,
        &targets,
        usize::from(args.concurrency),
        &progress,
    ));
    let write_error = |source| io_error("cannot write the report", source);
    match args.format {
        ReportFormat::Json => {
            super::write_json(streams.out, &report)?;
        }
        ReportFormat::Text => write_text(&report, streams).map_err(write_error)?,
    }
    Ok(finding::exit_code(&blocklist::findings(&report)))
}

/// The built-in registry, extended by `file` when given.
pub(super) fn registry(file: Option<&std::path::Path>) -> Result<Registry, Error> {
    let mut registry = Registry::built_in();
    if let Some(file) = file {
        registry
            .extend_from_file(file)
            .map_err(|err| Error::Usage(err.to_string()))?;
    }
    Ok(registry)
}

/// The lists named by `zones`, or every active list when none is named.
pub(super) fn select<'a>(registry: &'a Registry, zones: &[String]) -> Result<Vec<&'a List>, Error> {
    if zones.is_empty() {
        return Ok(registry
            .lists
            .iter()
            .filter(|l| l.status == Status::Active)
            .collect());
    }
    zones
        .iter()
        .map(|zone| {
            registry.find(zone).ok_or_else(|| {
                Error::Usage(format!(
                    "unknown list `{zone}`; its return codes must be known to tell a listing from a refusal: describe it in a file given with `--lists FILE`"
                ))
            })
        })
        .collect()
}

fn parse_target(text: &str) -> Result<Target, Error> {
    if let Ok(ip) = text.trim().parse::<IpAddr>() {
        return Ok(Target::Ip(ip));
    }
    names::normalize_fqdn(text, Charset::LdhUnderscore)
        .map(Target::Domain)
        .map_err(|err| {
            Error::Usage(format!(
                "`{text}` is neither an IP address nor a domain name ({err})"
            ))
        })
}

fn progress_bar(done: usize, total: usize) -> String {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    format!(
        "[{}{}] {done}/{total} queries",
        "#".repeat(filled),
        " ".repeat(WIDTH - filled)
    )
}

/// Lists refuse public resolvers: say so before the answers mislead.
pub(super) fn warn_about_public_resolvers(
    nameservers: &[String],
    network: bool,
    streams: &mut Streams<'_>,
) -> Result<(), Error> {
    if !network {
        return Ok(());
    }
    let servers: Vec<IpAddr> = if nameservers.is_empty() {
        source::system_nameservers()
    } else {
        nameservers
            .iter()
            .filter_map(|s| source::parse_nameserver(s))
            .map(|a| a.ip())
            .collect()
    };
    for server in servers
        .into_iter()
        .filter(|ip| dnsbl::is_public_resolver(*ip))
    {
        writeln!(
            streams.err,
            "senderzone: warning: {server} is a public resolver; Spamhaus and other lists refuse or silently answer \"not listed\" through it: use your own recursive resolver (e.g. unbound) or a list's paid access"
        )
        .map_err(|source| io_error("cannot write to stderr", source))?;
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
