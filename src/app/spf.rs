//! `senderzone spf check` and `senderzone spf eval`.

use std::net::IpAddr;

use serde::Serialize;

use super::{Error, Streams, io_error, runtime};
use crate::cli::{DnsArgs, ReportFormat, SpfCheckArgs, SpfCommand, SpfEvalArgs};
use crate::dns::source::DnsSource;
use crate::exit;
use crate::finding::{self, Counts, Finding};
use crate::names::{self, Charset};
use crate::spf::{self, CheckParams, Config, Profile, SpfResult};

/// Runs an `spf` subcommand.
pub fn run(command: &SpfCommand, streams: &mut Streams<'_>) -> Result<u8, Error> {
    match command {
        SpfCommand::Check(args) => check(args, streams),
        SpfCommand::Eval(args) => eval(args, streams),
    }
}

fn open_dns(args: &DnsArgs) -> Result<DnsSource, Error> {
    DnsSource::open(&args.nameservers, &args.zone_files)
        .map_err(|err| Error::Usage(err.to_string()))
}

fn domain_argument(text: &str) -> Result<String, Error> {
    names::normalize_fqdn(text, Charset::LdhUnderscore)
        .map_err(|err| Error::Usage(format!("invalid `--domain` value: {err}")))
}

#[derive(Serialize)]
struct CheckReport<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'a str>,
    record: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dns_lookups: Option<usize>,
    findings: &'a [Finding],
    summary: Counts,
}

fn check(args: &SpfCheckArgs, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let profile = Profile {
        strict: args.strict,
    };
    let (findings, report_domain, record, lookups) = match (&args.record, &args.domain) {
        (Some(record), _) => {
            // A record on the command line is input: one that does not parse
            // is bad input, shown with a caret under the bad term.
            spf::parse(record)
                .map_err(|err| Error::Usage(format!("invalid SPF record\n{}", err.render())))?;
            let findings = spf::lint_record(&[record.as_bytes()], &profile);
            (findings, None, Some(record.clone()), None)
        }
        (None, Some(domain)) => {
            let domain = domain_argument(domain)?;
            let dns = open_dns(&args.dns)?;
            let lint = runtime()?.block_on(spf::lint_domain(&dns, &domain, &profile));
            (
                lint.findings,
                Some(domain),
                lint.record,
                Some(lint.dns_lookups),
            )
        }
        (None, None) => unreachable!("clap requires RECORD or --domain"),
    };
    let summary = Counts::of(&findings);
    let write_error = |source| io_error("cannot write the report", source);
    match args.format {
        ReportFormat::Json => {
            let report = CheckReport {
                domain: report_domain.as_deref(),
                record: record.as_deref(),
                dns_lookups: lookups,
                findings: &findings,
                summary,
            };
            super::write_json(streams.out, &report)?;
        }
        ReportFormat::Text => {
            if let Some(domain) = &report_domain {
                let shown = record
                    .as_deref()
                    .map_or("(none)".to_owned(), |r| format!("{r:?}"));
                writeln!(streams.out, "{domain}: {shown}").map_err(write_error)?;
                if let Some(lookups) = lookups {
                    writeln!(streams.out, "dns-querying terms (worst case): {lookups}/10")
                        .map_err(write_error)?;
                }
            }
            for finding in &findings {
                write_finding(streams.out, finding).map_err(write_error)?;
            }
            writeln!(streams.out, "{summary}").map_err(write_error)?;
        }
    }
    Ok(finding::exit_code(&findings))
}

/// One lint finding on one line: severity, id, the domain whose record
/// holds it, the column of the term, the message and the fix.
fn write_finding(out: &mut dyn std::io::Write, finding: &Finding) -> std::io::Result<()> {
    write!(out, "{} [{}]", finding.severity, finding.id)?;
    if !finding.subject.is_empty() {
        write!(out, " {}", finding.subject)?;
    }
    if let Some(column) = finding.column {
        write!(out, " column {column}")?;
    }
    writeln!(out, ": {} (fix: {})", finding.message, finding.fix)
}

fn eval(args: &SpfEvalArgs, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let domain = domain_argument(&args.domain)?;
    let ip: IpAddr = args.ip.trim().parse().map_err(|_| {
        Error::Usage(format!(
            "invalid `--ip` value `{}`; accepted: an IPv4 or IPv6 address",
            args.ip
        ))
    })?;
    let sender = match &args.sender {
        Some(sender) if sender.contains('@') => sender.clone(),
        Some(sender) => {
            return Err(Error::Usage(format!(
                "invalid `--sender` value `{sender}`; accepted: local-part@domain"
            )));
        }
        None => format!("postmaster@{domain}"),
    };
    let params = CheckParams {
        ip,
        domain: domain.into(),
        sender: sender.into(),
        helo: args.helo.as_deref().unwrap_or("unknown").into(),
    };
    let dns = open_dns(&args.dns)?;
    let evaluation = runtime()?.block_on(spf::check_host(&dns, &params, &Config::default()));
    let write_error = |source| io_error("cannot write the report", source);
    match args.format {
        ReportFormat::Json => {
            super::write_json(streams.out, &evaluation)?;
        }
        ReportFormat::Text => write!(streams.out, "{evaluation}").map_err(write_error)?,
    }
    Ok(match evaluation.result {
        SpfResult::Pass => exit::OK,
        SpfResult::Temperror => exit::DNS_FAILURE,
        _ => exit::PROBLEMS,
    })
}
