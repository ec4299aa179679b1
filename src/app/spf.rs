//! `senderzone spf check` and `senderzone spf eval`.

use serde::Serialize;

use super::config::{SpfCheck, SpfEval, SpfSubject};
use super::{Error, Streams, runtime};
use crate::cli::ReportFormat;
use crate::exit;
use crate::spf::{self, Config, LintFinding, Severity, SpfResult};

/// The lint id of a check that DNS could not answer.
const DNS_ERROR_ID: &str = "spf-dns-error";

#[derive(Serialize)]
struct CheckReport<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'a str>,
    record: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dns_lookups: Option<usize>,
    findings: &'a [LintFinding],
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    infos: usize,
}

fn summarize(findings: &[LintFinding]) -> Summary {
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    Summary {
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
    }
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
    let summary = summarize(&findings);
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
                writeln!(streams.out, "{finding}").map_err(write_error)?;
            }
            writeln!(
                streams.out,
                "{} error(s), {} warning(s), {} note(s)",
                summary.errors, summary.warnings, summary.infos
            )
            .map_err(write_error)?;
        }
    }
    let errors = findings.iter().filter(|f| f.severity == Severity::Error);
    let (dns, other): (Vec<_>, Vec<_>) = errors.partition(|f| f.id == DNS_ERROR_ID);
    Ok(if !other.is_empty() {
        exit::PROBLEMS
    } else if !dns.is_empty() {
        exit::DNS_FAILURE
    } else {
        exit::OK
    })
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
