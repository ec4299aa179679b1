//! What verify reports: its findings, their counts and the receiver
//! rules, in text for people; the JSON form is the report's serde form.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;

use super::receivers::{ReceiverRule, Status};
use crate::finding::{self, Counts, Finding, Severity};

/// Counts of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The findings by severity.
    #[serde(flatten)]
    pub counts: Counts,
    /// Servers checked.
    pub servers: usize,
    /// Domains checked.
    pub domains: usize,
    /// Distinct DNS queries sent.
    pub queries: usize,
}

/// Everything one run found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Findings, server by server, then domain by domain.
    pub findings: Vec<Finding>,
    /// Their counts.
    pub summary: Summary,
    /// Receiver rules and whether DNS shows them met (`--receivers`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub receivers: Vec<ReceiverRule>,
}

impl Report {
    /// Builds the report and counts its findings.
    pub(crate) fn new(
        findings: Vec<Finding>,
        servers: usize,
        domains: usize,
        queries: usize,
    ) -> Self {
        let summary = Summary {
            counts: Counts::of(&findings),
            servers,
            domains,
            queries,
        };
        Report {
            findings,
            summary,
            receivers: Vec::new(),
        }
    }

    /// Adds findings (from checks run after the main ones) and recounts.
    pub fn extend(&mut self, findings: Vec<Finding>) {
        let Summary {
            servers,
            domains,
            queries,
            ..
        } = self.summary;
        let mut all = std::mem::take(&mut self.findings);
        all.extend(findings);
        let receivers = std::mem::take(&mut self.receivers);
        *self = Report::new(all, servers, domains, queries);
        self.receivers = receivers;
    }

    /// The exit code of the run: [`finding::exit_code`] of its findings.
    pub fn exit_code(&self) -> u8 {
        finding::exit_code(&self.findings)
    }
}

pub use crate::text::escape;

/// The lines of `finding`'s fix as the text report shows them, escaped.
///
/// A fix is one line. The one layout across lines that senderzone writes
/// is the caret display of an SPF term (a finding with a `column`, see
/// `spf::ParseError::render`): the advice, the record, and a caret line
/// under the term; those two line breaks are kept. Any other line break
/// is data, from DNS (a PTR name, a TXT record) or from the inventory,
/// and is escaped like every control character, so that no line of the
/// report comes from outside data: each line is escaped after the split,
/// so a line break left in it shows as `\010`.
fn fix_lines(finding: &Finding) -> Vec<Cow<'_, str>> {
    let lines = if finding.column.is_some() { 3 } else { 1 };
    finding.fix.splitn(lines, '\n').map(escape).collect()
}

/// ANSI SGR colour of a finding's severity word.
fn colour_of(finding: &Finding) -> &'static str {
    if finding.is_undetermined() {
        return "35";
    }
    match finding.severity {
        Severity::Error => "31",
        Severity::Warning => "33",
        Severity::Info => "36",
    }
}

/// Writes `report` for people: each subject once, its findings under it,
/// and a summary line. `colour` adds ANSI colours (only for a terminal,
/// never with `NO_COLOR`: the caller decides).
pub fn write_text(report: &Report, out: &mut dyn Write, colour: bool) -> io::Result<()> {
    write_findings(report, out, colour)?;
    write_summary(report, out)
}

/// Writes what [`write_text`] writes but the summary line (`verify -q`).
pub fn write_findings(report: &Report, out: &mut dyn Write, colour: bool) -> io::Result<()> {
    let paint = |code: &str, text: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let mut subjects: Vec<&str> = Vec::new();
    for finding in &report.findings {
        if !subjects.contains(&finding.subject.as_str()) {
            subjects.push(&finding.subject);
        }
    }
    for subject in subjects {
        writeln!(out, "{}", paint("1", &escape(subject)))?;
        for finding in report.findings.iter().filter(|f| f.subject == subject) {
            let severity = format!("{:<7}", finding.severity.to_string());
            write!(
                out,
                "  {} {}: {}",
                paint(colour_of(finding), &severity),
                finding.id,
                escape(&finding.message)
            )?;
            let values: Vec<String> =
                [("expected", &finding.expected), ("actual", &finding.actual)]
                    .into_iter()
                    .filter_map(|(label, value)| {
                        value.as_ref().map(|v| format!("{label}: {}", escape(v)))
                    })
                    .collect();
            if !values.is_empty() {
                write!(out, " [{}]", values.join("; "))?;
            }
            let mut fix = fix_lines(finding).into_iter();
            if let Some(first) = fix.next() {
                write!(out, "; fix: {first}")?;
            }
            writeln!(out)?;
            // The caret display of an SPF term continues indented.
            for line in fix {
                writeln!(out, "      {line}")?;
            }
        }
    }
    if !report.receivers.is_empty() {
        writeln!(out, "{}", paint("1", "receiver rules (what DNS shows)"))?;
        for rule in &report.receivers {
            let status = rule.status.to_string();
            let painted = match rule.status {
                Status::Met => paint("32", &status),
                Status::NotMet => paint("31", &status),
                _ => paint("33", &status),
            };
            write!(
                out,
                "  {:<9} {:<12} {}: {painted}",
                rule.receiver, rule.scope, rule.rule
            )?;
            let mut notes = Vec::new();
            if !rule.evidence.is_empty() {
                notes.push(rule.evidence.join(", "));
            }
            if !rule.remarks.is_empty() {
                notes.push(format!("remarks: {}", rule.remarks.join(", ")));
            }
            if !notes.is_empty() {
                write!(out, " ({})", notes.join("; "))?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

/// Writes the summary line that ends [`write_text`].
pub fn write_summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(
        out,
        "{}; checked {} server(s), {} domain(s) with {} DNS queries",
        s.counts, s.servers, s.domains, s.queries
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report of `findings` as text, line by line.
    fn lines_of(findings: Vec<Finding>) -> Vec<String> {
        let mut out = Vec::new();
        write_text(&Report::new(findings, 1, 1, 1), &mut out, false).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_line_break_from_dns_in_a_fix_stays_on_its_line() {
        // As the FCrDNS check writes it, with a PTR name from DNS.
        let ptr = "mail\nsenderzone: error: forged.example.net";
        let lines = lines_of(vec![Finding::new(
            "fcrdns-fail",
            Severity::Error,
            "192.0.2.10",
            format!("no PTR name resolves back (`{ptr}`)"),
            format!("publish `{ptr} IN A 192.0.2.10`"),
        )]);
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert_eq!(
            lines[1],
            "  error   fcrdns-fail: no PTR name resolves back (`mail\\010senderzone: error: forged.example.net`); \
             fix: publish `mail\\010senderzone: error: forged.example.net IN A 192.0.2.10`"
        );
    }

    #[test]
    fn the_caret_under_an_spf_term_keeps_its_lines_and_no_more() {
        // The kind's text holds a line break of the record, as the parser
        // reports `unknown mechanism` today.
        let fix = "receivers return permerror; fix the term:\n\
                   v=spf1 foo\u{fffd}bar\n       ^ unknown mechanism `foo\nbar`";
        let lines = lines_of(vec![
            Finding::new("spf-syntax", Severity::Error, "example.com", "bad", fix).at_column(8),
        ]);
        assert_eq!(
            lines[1..4],
            [
                "  error   spf-syntax: bad; fix: receivers return permerror; fix the term:",
                "      v=spf1 foo\u{fffd}bar",
                "             ^ unknown mechanism `foo\\010bar`",
            ],
        );
        assert_eq!(lines.len(), 5, "{lines:#?}");
    }

    #[test]
    fn text_groups_by_subject_and_ends_with_a_summary() {
        let findings = vec![
            Finding::new(
                "ptr-missing",
                Severity::Error,
                "192.0.2.1",
                "no ptr",
                "add one",
            )
            .values("mail.example.com.", "NXDOMAIN"),
            Finding::new(
                "a-extra",
                Severity::Warning,
                "mail.example.com",
                "extra",
                "remove",
            ),
            Finding::new(
                "ptr-multiple",
                Severity::Warning,
                "192.0.2.1",
                "two\x07",
                "one",
            ),
        ];
        let report = Report::new(findings, 1, 0, 5);
        let mut out = Vec::new();
        write_text(&report, &mut out, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "192.0.2.1\n  \
             error   ptr-missing: no ptr [expected: mail.example.com.; actual: NXDOMAIN]; fix: add one\n  \
             warning ptr-multiple: two\\007; fix: one\n\
             mail.example.com\n  \
             warning a-extra: extra; fix: remove\n\
             1 error(s), 2 warning(s), 0 info(s); 0 undetermined (DNS could not answer); checked 1 server(s), 0 domain(s) with 5 DNS queries\n"
        );
        assert_eq!(report.exit_code(), 1);
        let mut coloured = Vec::new();
        write_text(&report, &mut coloured, true).unwrap();
        assert!(
            String::from_utf8(coloured)
                .unwrap()
                .contains("\x1b[31merror  \x1b[0m")
        );
    }
}
