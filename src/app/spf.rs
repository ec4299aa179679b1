//! `senderzone spf check` and `senderzone spf eval`.

use serde::Serialize;

use super::config::{SpfCheck, SpfEval, SpfSubject};
use super::{Error, Streams, runtime};
use crate::cli::ReportFormat;
use crate::exit;
use crate::finding::{self, Counts, Finding};
use crate::spf::{self, Config, SpfResult};

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

/// Runs `spf check` and returns its exit code.
pub fn check(config: &SpfCheck, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let profile = &config.profile;
    let (findings, report_domain, record, lookups) = match &config.subject {
        SpfSubject::Record(record) => {
            // A record on the command line is input: one that does not parse
            // is bad input, shown with a caret under the bad term.
            spf::parse(record).map_err(Error::SpfRecord)?;
            let findings = spf::lint_record(&[record.as_bytes()], profile);
            (findings, None, Some(record.clone()), None)
        }
        SpfSubject::Domain { domain, dns } => {
            let dns = dns.open()?;
            let lint = runtime()?.block_on(spf::lint_domain(&dns, domain, profile));
            (
                lint.findings,
                Some(domain.clone()),
                lint.record,
                Some(lint.dns_lookups),
            )
        }
    };
    let summary = Counts::of(&findings);
    let write_error = Error::Output;
    match config.format {
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

/// Runs `spf eval` and returns its exit code.
pub fn eval(config: &SpfEval, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let dns = config.dns.open()?;
    let evaluation = runtime()?.block_on(spf::check_host(&dns, &config.params, &Config::default()));
    let write_error = Error::Output;
    match config.format {
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
