//! `senderzone verify`: the CLI side of [`crate::verify`].

use std::io::IsTerminal;
use std::time::Duration;

use super::{Error, Streams, io_error, load_inventory, plan_records};
use crate::cli::{ReportFormat, VerifyArgs};
use crate::dns::source::DnsSource;
use crate::dnsbl::{self, Target};
use crate::records::Diagnostic;
use crate::spf::Profile;
use crate::verify::{self, Options, Progress};
use std::net::IpAddr;

/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Runs `verify` and returns its exit code (see [`verify::Report::exit_code`]).
pub fn run(args: &VerifyArgs, streams: &mut Streams<'_>) -> Result<u8, Error> {
    if args.timeout == 0 {
        return Err(Error::Usage(
            "invalid `--timeout` value `0`; accepted: a number of seconds, at least 1".to_owned(),
        ));
    }
    if args.concurrency == 0 {
        return Err(Error::Usage(
            "invalid `--concurrency` value `0`; accepted: 1 or more".to_owned(),
        ));
    }
    let inventory = load_inventory(&args.inventory, streams)?;
    // A HELO name generate refuses is diagnosed here (`helo-invalid`), not
    // refused: the plan holds every other record.
    let plan = plan_records(&inventory, |d| {
        matches!(d, Diagnostic::UnpublishableHelo { .. })
    })?;
    let dns = DnsSource::open(&args.dns.nameservers, &args.dns.zone_files)
        .map_err(|err| Error::Usage(err.to_string()))?;
    let options = Options {
        profile: Profile {
            strict: args.strict,
        },
        concurrency: args.concurrency,
        deadline: Duration::from_secs(args.timeout),
        authoritative: args.authoritative.then_some(args.ns_port),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| io_error("cannot start the DNS runtime", source))?;
    let progress = Progress::default();
    let show_progress = std::io::stderr().is_terminal();
    let mut report = runtime.block_on(async {
        let checks = verify::run(&dns, &inventory, &plan, &options, &progress);
        if !show_progress {
            return checks.await;
        }
        let err = &mut *streams.err;
        let ticker = async {
            loop {
                tokio::time::sleep(PROGRESS_EVERY).await;
                let _ = write!(
                    err,
                    "\r\x1b[Kverify: {}/{} servers and domains checked, {} queries",
                    progress.checks_done(),
                    progress.checks_total(),
                    progress.queries_answered()
                );
            }
        };
        let report = tokio::select! {
            report = checks => report,
            () = ticker => unreachable!("the progress loop never ends"),
        };
        let _ = write!(streams.err, "\r\x1b[K");
        report
    });
    if args.receivers {
        let (findings, rules) =
            runtime.block_on(verify::check_receivers(&dns, &inventory, &report.findings));
        report.extend(findings);
        report.receivers = rules;
    }
    if args.dnsbl {
        let registry = super::dnsbl::registry(args.list_file.as_deref())?;
        let lists = super::dnsbl::select(&registry, &args.lists)?;
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
        super::dnsbl::warn_about_public_resolvers(
            &args.dns.nameservers,
            args.dns.zone_files.is_empty(),
            streams,
        )?;
        let blocklists = runtime.block_on(dnsbl::run(
            &dns,
            &lists,
            &targets,
            args.concurrency,
            &|_, _| {},
        ));
        report.extend(verify::blocklist::findings(&blocklists));
    }
    let write_error = |source| io_error("cannot write the report", source);
    match args.format {
        ReportFormat::Json => {
            super::write_json(streams.out, &report)?;
        }
        ReportFormat::Text => {
            // https://no-color.org: any non-empty NO_COLOR turns colour off.
            let colour = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            verify::write_text(&report, streams.out, colour).map_err(write_error)?;
        }
    }
    Ok(report.exit_code())
}
