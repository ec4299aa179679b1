//! `senderzone spf check` and `senderzone spf eval`.

use std::io::Read as _;
use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;

use super::{Error, Streams, io_error, runtime};
use crate::cli::{DnsArgs, ReportFormat, SpfCheckArgs, SpfCommand, SpfEvalArgs};
use crate::dns::source::DnsSource;
use crate::dns::zonefile;
use crate::exit;
use crate::finding::{self, Counts, Finding};
use crate::names::{self, Charset};
use crate::records::spf_text::split_strings;
use crate::render::quote_txt;
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

/// The records of `spf check RECORD`: the argument, or each line of
/// standard input for `-`, numbered from 1.
fn record_inputs(record: &str) -> Result<Vec<(Option<usize>, RecordInput)>, Error> {
    let bad = |line: Option<usize>, message: String| {
        let at = line.map_or(String::new(), |n| format!(" on line {n} of standard input"));
        Error::Usage(format!("invalid SPF record{at}\n{message}"))
    };
    let lines: Vec<(Option<usize>, String)> = if record == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|source| io_error("cannot read records from standard input", source))?;
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(i, line)| (Some(i + 1), line.to_owned()))
            .collect()
    } else {
        vec![(None, record.to_owned())]
    };
    let mut inputs = Vec::new();
    for (line, given) in lines {
        let input = RecordInput::read(&given).map_err(|message| bad(line, message))?;
        // A record on the command line is input: one that does not parse
        // is bad input, shown with a caret under the bad term.
        spf::parse(&input.text).map_err(|err| bad(line, err.render()))?;
        inputs.push((line, input));
    }
    Ok(inputs)
}

/// Longest local part and domain of an address (RFC 5321 §4.5.3.1.1, §4.5.3.1.2).
const MAX_LOCAL_PART: usize = 64;
const MAX_SENDER_DOMAIN: usize = 255;

/// Refuses a `--sender` that is not `local-part@domain` within RFC 5321's
/// limits: no SMTP server accepts it, and its macros would expand without
/// bound.
fn sender_argument(sender: &str) -> Result<(), Error> {
    let Some((local, domain)) = sender.rsplit_once('@') else {
        return Err(Error::Usage(format!(
            "invalid `--sender` value `{sender}`; accepted: local-part@domain, @domain, or '' for a bounce"
        )));
    };
    if local.len() > MAX_LOCAL_PART || domain.len() > MAX_SENDER_DOMAIN {
        return Err(Error::Usage(format!(
            "invalid `--sender` value: local part of {} and domain of {} octets; RFC 5321 allows at most {MAX_LOCAL_PART} and {MAX_SENDER_DOMAIN}",
            local.len(),
            domain.len()
        )));
    }
    Ok(())
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
    findings: &'a [Finding],
    summary: Counts,
}

fn check(args: &SpfCheckArgs, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let profile = Profile {
        strict: args.strict,
    };
    let write_error = |source| io_error("cannot write the report", source);
    let Some(domain) = &args.domain else {
        let record = args.record.as_deref().unwrap_or_default();
        let inputs = record_inputs(record)?;
        let reports: Vec<(Option<usize>, &RecordInput, Vec<Finding>)> = inputs
            .iter()
            .map(|(line, input)| (*line, input, input.lint(&profile)))
            .collect();
        let all: Vec<Finding> = reports.iter().flat_map(|r| r.2.iter().cloned()).collect();
        let json: Vec<CheckReport<'_>> = reports
            .iter()
            .map(|(line, input, findings)| CheckReport {
                line: *line,
                domain: None,
                record: Some(&input.text),
                dns_lookups: None,
                findings,
                summary: Counts::of(findings),
            })
            .collect();
        match args.format {
            // One record given: one report, as before; `-`: one per line.
            ReportFormat::Json if record == "-" => super::write_json(streams.out, &json)?,
            ReportFormat::Json => super::write_json(streams.out, &json[0])?,
            ReportFormat::Text => {
                for (line, input, findings) in &reports {
                    if let Some(line) = line {
                        writeln!(streams.out, "line {line}: {:?}", input.text)
                            .map_err(write_error)?;
                    }
                    for finding in findings {
                        write_finding(streams.out, finding).map_err(write_error)?;
                    }
                }
                writeln!(streams.out, "{}", Counts::of(&all)).map_err(write_error)?;
            }
        }
        return Ok(finding::exit_code(&all));
    };
    let domain = domain_argument(domain)?;
    let dns = open_dns(&args.dns)?;
    let limit = Duration::from_secs(args.timeout);
    let lint = runtime()?.block_on(spf::lint_domain_within(&dns, &domain, &profile, limit));
    let findings = lint.findings;
    let summary = Counts::of(&findings);
    match args.format {
        ReportFormat::Json => {
            let report = CheckReport {
                line: None,
                domain: Some(&domain),
                record: lint.record.as_deref(),
                dns_lookups: Some(lint.dns_lookups),
                findings: &findings,
                summary,
            };
            super::write_json(streams.out, &report)?;
        }
        ReportFormat::Text => {
            let shown = lint
                .record
                .as_deref()
                .map_or("(none)".to_owned(), |r| format!("{r:?}"));
            writeln!(streams.out, "{domain}: {shown}").map_err(write_error)?;
            writeln!(
                streams.out,
                "dns-querying terms (worst case): {}/10",
                lint.dns_lookups
            )
            .map_err(write_error)?;
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
    let ip: IpAddr = args.ip.trim().parse().map_err(|_| {
        Error::Usage(format!(
            "invalid `--ip` value `{}`; accepted: an IPv4 or IPv6 address",
            args.ip
        ))
    })?;
    let helo = args.helo.as_deref().map(str::trim);
    // A malformed domain or HELO name is not refused here: check_host()
    // gives `none` for it, with the reason (RFC 7208 §4.3).
    let mut params = match args.sender.as_deref() {
        // The null reverse-path of a bounce (RFC 7208 §2.4).
        Some("") => match helo {
            Some(helo) => CheckParams::helo(ip, helo),
            None => {
                return Err(Error::Usage(
                    "`--sender ''` is a bounce, whose SPF check is on the HELO identity, \
                     `postmaster@HELO` (RFC 7208 §2.4): give the HELO name with `--helo NAME`"
                        .to_owned(),
                ));
            }
        },
        Some(sender) => {
            sender_argument(sender)?;
            CheckParams::mail_from(ip, sender, helo.unwrap_or("unknown"))
        }
        // clap requires `--domain` without `--sender`.
        None => {
            let domain = args.domain.as_deref().unwrap_or_default().trim();
            CheckParams::mail_from(ip, &format!("@{domain}"), helo.unwrap_or("unknown"))
        }
    };
    if let Some(domain) = &args.domain {
        params.domain = domain.trim().into();
    }
    let config = Config {
        timeout: Some(Duration::from_secs(args.timeout)),
        ..Config::default()
    };
    let dns = open_dns(&args.dns)?;
    let evaluation = runtime()?.block_on(spf::check_host(&dns, &params, &config));
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
