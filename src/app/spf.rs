//! `senderzone spf check` and `senderzone spf eval`.

use serde::Serialize;

use super::config::{SpfCheck, SpfEval, SpfSubject};
use super::{Error, Streams, runtime};
use crate::cli::ReportFormat;
use crate::dns::zonefile;
use crate::exit;
use crate::finding::{self, Counts, Finding};
use crate::records::spf_text::split_strings;
use crate::render::quote_txt;
use crate::spf::{self, Config, Profile, SpfResult};
use crate::text::escape;

/// One record as the user gave it: its text, and its strings when given
/// in the quoted form of zone files and `dig`.
struct RecordInput {
    /// The character-strings joined (RFC 7208 §3.3), decoded lossily.
    text: String,
    /// The strings as given, when quoted: each is checked against 255 octets.
    strings: Option<Vec<Vec<u8>>>,
}

impl RecordInput {
    fn read(given: &str) -> Result<Self, String> {
        let given = given.trim();
        if !given.starts_with('"') {
            return Ok(RecordInput {
                text: given.to_owned(),
                strings: None,
            });
        }
        let strings = zonefile::character_strings(given)?;
        Ok(RecordInput {
            text: String::from_utf8_lossy(&strings.concat()).into_owned(),
            strings: Some(strings),
        })
    }

    fn lint(&self, profile: &Profile) -> Vec<Finding> {
        let Some(strings) = &self.strings else {
            let mut findings = spf::lint_joined(self.text.as_bytes(), profile);
            for finding in &mut findings {
                if finding.id == "spf-split-needed" {
                    let split = split_strings(self.text.as_bytes());
                    finding.fix = format!(
                        "publish it as {} strings, which receivers join with no separator (RFC 7208 §3.3): {}",
                        split.len(),
                        quote_txt(&split).join(" ")
                    );
                }
            }
            return findings;
        };
        spf::lint_record(strings, profile)
    }
}

/// Where a record came from: the argument, or a line of standard input.
type Numbered = (Option<usize>, RecordInput);

/// The records of `spf check RECORD`: the argument, or each non-blank line
/// of standard input for `-`, numbered from 1. A record that does not
/// parse is bad input, shown with a caret under the bad term.
fn record_inputs(subject: &SpfSubject, streams: &mut Streams<'_>) -> Result<Vec<Numbered>, Error> {
    let lines: Vec<(Option<usize>, String)> = match subject {
        SpfSubject::Stdin => {
            let mut text = String::new();
            streams
                .input
                .read_to_string(&mut text)
                .map_err(Error::Input)?;
            text.lines()
                .enumerate()
                .filter(|(_, line)| !line.trim().is_empty())
                .map(|(i, line)| (Some(i + 1), line.to_owned()))
                .collect()
        }
        SpfSubject::Record(record) => vec![(None, record.clone())],
        SpfSubject::Domain { .. } => unreachable!("a domain has no record text"),
    };
    let mut inputs = Vec::new();
    for (line, given) in lines {
        let bad = |message: String| Error::SpfRecord { line, message };
        let input = RecordInput::read(&given).map_err(bad)?;
        spf::parse(&input.text).map_err(|err| bad(err.render()))?;
        inputs.push((line, input));
    }
    Ok(inputs)
}

#[derive(Serialize)]
struct CheckReport<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'a str>,
    record: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dns_lookups: Option<usize>,
    /// True when `dns_lookups` is a lower bound: part of the tree could
    /// not be counted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    dns_lookups_partial: bool,
    findings: &'a [Finding],
    summary: Counts,
}

/// Runs `spf check` and returns its exit code.
pub fn check(config: &SpfCheck, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let SpfSubject::Domain { domain, dns } = &config.subject else {
        return check_records(config, streams);
    };
    let dns = dns.open()?;
    let lint = runtime()?.block_on(spf::lint_domain_within(
        &dns,
        domain,
        &config.profile,
        config.timeout,
    ));
    let counted = lookups(&lint);
    let findings = lint.findings;
    let summary = Counts::of(&findings);
    match config.format {
        ReportFormat::Json => {
            let report = CheckReport {
                line: None,
                domain: Some(domain),
                record: lint.record.as_deref(),
                dns_lookups: Some(lint.dns_lookups),
                dns_lookups_partial: lint.partial,
                findings: &findings,
                summary,
            };
            super::write_json(streams.out, &report)?;
        }
        ReportFormat::Text => {
            let out = &mut *streams.out;
            let shown = lint
                .record
                .as_deref()
                .map_or("(none)".to_owned(), |r| format!("{r:?}"));
            writeln!(out, "{domain}: {shown}").map_err(Error::Output)?;
            writeln!(out, "dns-querying terms (worst case): {counted}").map_err(Error::Output)?;
            for finding in &findings {
                write_finding(out, finding).map_err(Error::Output)?;
            }
            if !config.verbosity.is_quiet() {
                writeln!(out, "{summary}").map_err(Error::Output)?;
            }
        }
    }
    Ok(finding::exit_code(&findings))
}

/// The worst-case count of DNS-querying terms against the limit (RFC 7208
/// §4.6.4), `at least` when part of the tree could not be counted (a
/// record DNS did not give, a macro), and `not counted` when nothing was.
fn lookups(lint: &spf::DomainLint) -> String {
    let (count, limit) = (lint.dns_lookups, spf::limits::LOOKUP_LIMIT);
    match (lint.partial, count) {
        (false, _) => format!("{count}/{limit}"),
        (true, 0) if lint.branches.is_empty() => {
            "not counted (no single SPF record could be read and parsed)".to_owned()
        }
        (true, _) => format!("at least {count}/{limit} (some could not be counted)"),
    }
}

/// `spf check RECORD` and `spf check -`: each record linted on its own.
fn check_records(config: &SpfCheck, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let inputs = record_inputs(&config.subject, streams)?;
    let reports: Vec<(Option<usize>, &RecordInput, Vec<Finding>)> = inputs
        .iter()
        .map(|(line, input)| (*line, input, input.lint(&config.profile)))
        .collect();
    let all: Vec<Finding> = reports.iter().flat_map(|r| r.2.iter().cloned()).collect();
    let json: Vec<CheckReport<'_>> = reports
        .iter()
        .map(|(line, input, findings)| CheckReport {
            line: *line,
            domain: None,
            record: Some(&input.text),
            dns_lookups: None,
            dns_lookups_partial: false,
            findings,
            summary: Counts::of(findings),
        })
        .collect();
    let out = &mut *streams.out;
    match config.format {
        // One record given: one report; `-`: one per line.
        ReportFormat::Json if matches!(config.subject, SpfSubject::Stdin) => {
            super::write_json(out, &json)?;
        }
        ReportFormat::Json => super::write_json(out, &json[0])?,
        ReportFormat::Text => {
            for (line, input, findings) in &reports {
                if let Some(line) = line {
                    writeln!(out, "line {line}: {:?}", input.text).map_err(Error::Output)?;
                }
                for finding in findings {
                    write_finding(out, finding).map_err(Error::Output)?;
                }
            }
            if !config.verbosity.is_quiet() {
                writeln!(out, "{}", Counts::of(&all)).map_err(Error::Output)?;
            }
        }
    }
    Ok(finding::exit_code(&all))
}

/// One lint finding on one line: severity, id, the domain whose record
/// holds it, the column of the term, the message and the fix, every text
/// from DNS or the user escaped. The caret display of a record that does
/// not parse keeps its own lines ([`Finding::fix_lines`]): the fix then
/// goes under the finding, the record and the caret line under it.
pub(super) fn write_finding(
    out: &mut dyn std::io::Write,
    finding: &Finding,
) -> std::io::Result<()> {
    write!(out, "{} [{}]", finding.severity, finding.id)?;
    if !finding.subject.is_empty() {
        write!(out, " {}", escape(&finding.subject))?;
    }
    if let Some(column) = finding.column {
        write!(out, " column {column}")?;
    }
    let message = escape(&finding.message);
    match finding.fix_lines().as_slice() {
        [fix] => writeln!(out, ": {message} (fix: {fix})"),
        [fix, display @ ..] => {
            writeln!(out, ": {message}\n  fix: {fix}")?;
            display
                .iter()
                .try_for_each(|line| writeln!(out, "    {line}"))
        }
        [] => writeln!(out, ": {message}"),
    }
}

/// Runs `spf eval` and returns its exit code.
pub fn eval(config: &SpfEval, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let dns = config.dns.open()?;
    let check = Config {
        timeout: Some(config.timeout),
        ..Config::default()
    };
    let evaluation = runtime()?.block_on(spf::check_host(&dns, &config.params, &check));
    match config.format {
        ReportFormat::Json => super::write_json(streams.out, &evaluation)?,
        ReportFormat::Text => write!(streams.out, "{evaluation}").map_err(Error::Output)?,
    }
    Ok(match evaluation.result {
        SpfResult::Pass => exit::OK,
        SpfResult::Temperror => exit::DNS_FAILURE,
        _ => exit::PROBLEMS,
    })
}
