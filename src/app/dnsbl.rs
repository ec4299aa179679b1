//! `senderzone dnsbl`.

use std::cell::RefCell;
use std::io::{self, BufRead, Write};
use std::net::{IpAddr, SocketAddr};

use super::config::{Dns, Dnsbl, Terminal, Verbosity};
use super::{Error, Streams, note, runtime, warn};
use crate::cli::ReportFormat;
use crate::dns::source;
use crate::dnsbl::findings::{self, Related};
use crate::dnsbl::{self, Health, List, Overall, Report, Target, Verdict};
use crate::finding;
use crate::verify::escape;

/// Runs `senderzone dnsbl`.
pub fn run(config: &Dnsbl, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let mut targets = config.targets.clone();
    if config.stdin {
        targets.extend(read_targets(streams)?);
    }
    if targets.is_empty() {
        return Err(Error::Usage(
            "no target to check: stdin held no address, block or domain name",
        ));
    }
    note_undocumented(&config.lists, config.verbosity, streams)?;
    let dns = config.dns.open()?;
    let lists: Vec<&List> = config.lists.iter().collect();
    let terminal = config.terminal;
    let show_progress = config.format == ReportFormat::Text && terminal.progress;
    let err = RefCell::new(&mut *streams.err);
    let progress = |done: usize, total: usize| {
        if show_progress {
            // Progress is a courtesy: a failure to show it is no error.
            let _ = write!(
                err.borrow_mut(),
                "\r{}",
                progress_bar(done, total, terminal)
            );
        }
    };
    let report = runtime()?.block_on(dnsbl::run(
        &dns,
        &lists,
        &targets,
        config.concurrency,
        &progress,
    ));
    if show_progress {
        // The bar is gone when the run ends: the report stands alone.
        let _ = write!(err.borrow_mut(), "\r\x1b[K");
    }
    warn_about_refusals(&report, &config.dns, streams)?;
    match config.format {
        ReportFormat::Json => {
            super::write_json(streams.out, &report)?;
        }
        ReportFormat::Text => {
            write_text(&report, config.verbosity, streams.out).map_err(Error::Output)?;
        }
    }
    Ok(finding::exit_code(&findings::findings(
        &report,
        &Related::default(),
    )))
}

/// The targets of `dnsbl -`: one per line of stdin, blank lines and `#`
/// comments skipped, CIDR blocks expanded.
fn read_targets(streams: &mut Streams<'_>) -> Result<Vec<Target>, Error> {
    let mut targets = Vec::new();
    for (index, line) in (&mut *streams.input).lines().enumerate() {
        let line = line.map_err(Error::ReadStdin)?;
        let text = line.split('#').next().unwrap_or_default().trim();
        if text.is_empty() {
            continue;
        }
        let parsed = dnsbl::parse_targets(text).map_err(|source| Error::StdinTarget {
            line: index + 1,
            source,
        })?;
        targets.extend(parsed);
    }
    Ok(targets)
}

/// Says, up front, which lists are asked with the RFC 5782 defaults.
pub(super) fn note_undocumented(
    lists: &[List],
    verbosity: Verbosity,
    streams: &mut Streams<'_>,
) -> Result<(), Error> {
    for list in lists.iter().filter(|l| l.undocumented) {
        note(
            streams,
            verbosity,
            format_args!(
                "`{}` is not in the registry: any answer from 127.0.0.2 to 127.0.0.255 counts as listed (RFC 5782), its test entries decide whether it is used, and its codes are not known in detail (describe it with `--lists FILE`)",
                list.zone
            ),
        )?;
    }
    Ok(())
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

/// When a list answered a refusal code, says why on stderr: lists refuse
/// public resolvers, and one in use is named. A public resolver in use
/// whose answers no list refused is not mentioned: the RFC 5782 tests
/// already tell whether each list can be believed.
pub(super) fn warn_about_refusals(
    report: &Report,
    dns: &Dns,
    streams: &mut Streams<'_>,
) -> Result<(), Error> {
    let refusals: Vec<String> = report
        .refusals()
        .into_iter()
        .map(|(zone, refusal)| format!("{zone} answered {refusal}"))
        .collect();
    if refusals.is_empty() {
        return Ok(());
    }
    let servers: Vec<IpAddr> = match (dns.is_network(), dns.nameservers.is_empty()) {
        (false, _) => Vec::new(),
        (true, true) => source::system_nameservers(),
        (true, false) => dns.nameservers.iter().map(SocketAddr::ip).collect(),
    };
    let public: Vec<String> = servers
        .into_iter()
        .filter(|ip| dnsbl::is_public_resolver(*ip))
        .map(|ip| ip.to_string())
        .collect();
    let resolver = match public.as_slice() {
        [] => "the resolver in use".to_owned(),
        some => format!("{}, a public resolver,", some.join(" and ")),
    };
    warn(
        streams,
        format_args!(
            "lists refused {resolver} ({}): lists refuse public and shared resolvers; query them through your own recursive resolver (e.g. unbound) or a list's paid access",
            refusals.join("; ")
        ),
    )
}

/// `1 list`, `2 lists`.
fn lists(n: usize) -> String {
    match n {
        1 => "1 list".to_owned(),
        n => format!("{n} lists"),
    }
}

/// The report for people: each target's verdict with its listings and
/// the answers that could not be read; the lists not used, once; the
/// dead lists; a summary. `-v` adds every usable list's answer and every
/// test (a list not used is told about once, with its test), `-q` drops
/// the summary.
fn write_text(report: &Report, verbosity: Verbosity, out: &mut dyn Write) -> io::Result<()> {
    let verbose = verbosity.is_verbose();
    for target in &report.targets {
        let key = target.target.key();
        let usable = |zone: &str| report.health_of(zone, key) == Some(&Health::Healthy);
        let clean = target
            .lists
            .iter()
            .filter(|r| r.verdict == Verdict::NotListed)
            .count();
        let overall = match target.overall {
            Overall::Listed => "LISTED".to_owned(),
            Overall::NotListed => format!("not listed on {} that answered", lists(clean)),
            Overall::Unknown => "UNKNOWN (no list gave an answer that can be believed)".to_owned(),
            Overall::NotChecked => format!("not checked: no list in use takes {}", key.plural()),
        };
        writeln!(out, "{}: {overall}", target.target)?;
        for result in &target.lists {
            let list = match result.name == result.zone {
                true => result.zone.to_string(),
                false => format!("{} ({})", result.zone, result.name),
            };
            match &result.verdict {
                Verdict::Listed { listings, reason } => {
                    for listing in listings {
                        writeln!(
                            out,
                            "  listed on {list}: {} {} [{}]",
                            listing.code, listing.meaning, listing.impact
                        )?;
                        if let Some(advice) = &listing.advice {
                            writeln!(out, "    what to do: {advice}")?;
                        }
                    }
                    if let Some(reason) = reason {
                        writeln!(out, "    the list says: {}", escape(reason))?;
                    }
                    if let Some(delist) = &result.delist {
                        writeln!(out, "    delisting: {delist}")?;
                    }
                }
                Verdict::NotListed if verbose => writeln!(out, "  not listed on {list}")?,
                Verdict::NotListed => {}
                // An unusable list is told about once, below.
                Verdict::Unknown { .. } if !usable(&result.zone) => {}
                Verdict::Unknown { why, .. } => {
                    writeln!(out, "  no verdict from {list}: {}", escape(why))?;
                }
            }
        }
    }
    let shown: Vec<_> = report
        .health
        .iter()
        .filter(|h| verbose || h.health != Health::Healthy)
        .collect();
    if !shown.is_empty() {
        match verbose {
            true => writeln!(
                out,
                "RFC 5782 tests of the lists in this run (a list that failed is not used):"
            )?,
            false => writeln!(
                out,
                "lists not used (their RFC 5782 test failed in this run):"
            )?,
        }
        for list in shown {
            writeln!(
                out,
                "  {} for {}: {}",
                list.zone,
                list.key.plural(),
                list.health
            )?;
        }
    }
    if !report.dead.is_empty() {
        writeln!(out, "dead lists, not queried:")?;
        for (zone, why) in &report.dead {
            writeln!(out, "  {zone}: {why}")?;
        }
    }
    if verbosity.is_quiet() {
        return Ok(());
    }
    let count = |overall: Overall| {
        report
            .targets
            .iter()
            .filter(|t| t.overall == overall)
            .count()
    };
    let healthy = report
        .health
        .iter()
        .filter(|h| h.health == Health::Healthy)
        .count();
    let mut summary = format!(
        "{} target(s): {} listed, {} not listed, {} unknown",
        report.targets.len(),
        count(Overall::Listed),
        count(Overall::NotListed),
        count(Overall::Unknown)
    );
    let unchecked = count(Overall::NotChecked);
    if unchecked > 0 {
        summary.push_str(&format!(", {unchecked} not checked"));
    }
    writeln!(
        out,
        "{summary}; {healthy} of {} list test(s) passed",
        report.health.len()
    )
}
