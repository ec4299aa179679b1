//! What verify reports: its findings, their counts and the receiver
//! rules, in text for people; the JSON form is the report's serde form.

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

    /// Adds findings (from checks run after the main ones) and recounts;
    /// a finding with the id and subject of one already reported (the
    /// planned DMARC record, checked again by `--receivers`) is left out.
    pub fn extend(&mut self, mut findings: Vec<Finding>) {
        findings.retain(|new| {
            !self
                .findings
                .iter()
                .any(|old| old.id == new.id && old.subject == new.subject)
        });
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

    /// The exit code of the run with `lowest` the lowest severity that
    /// fails it (`--fail-on`): [`finding::exit_code_at`].
    pub fn exit_code_at(&self, lowest: Severity) -> u8 {
        finding::exit_code_at(&self.findings, lowest)
    }
}

pub use crate::text::escape;

/// How the text report is laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours (only for a terminal, never with `NO_COLOR`).
    pub colour: bool,
    /// The width to wrap prose at: the terminal's, when stdout is one.
    pub width: Option<usize>,
}

/// Where the lines under a headline start.
const DETAIL: usize = 8;

/// The labels of the lines under a headline, padded to one width.
const LABEL: usize = "inventory: ".len();

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

/// `text` in lines of at most `width` characters (when given), broken at
/// spaces; the first line starts after `first` characters, the others
/// after `indent` spaces, which the caller writes. A word longer than a
/// line stays whole.
fn wrap(text: &str, first: usize, indent: usize, width: Option<usize>) -> Vec<String> {
    let Some(width) = width else {
        return vec![text.to_owned()];
    };
    // The last column stays free; at least 20 columns of text, however
    // narrow the terminal.
    let end_of = |start: usize| start + width.saturating_sub(start + 1).max(20);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = first;
    let mut end = end_of(first);
    for word in text.split(' ') {
        let len = word.chars().count();
        if !line.is_empty() && used + 1 + len > end {
            lines.push(std::mem::take(&mut line));
            used = indent;
            end = end_of(indent);
        } else if !line.is_empty() {
            line.push(' ');
            used += 1;
        }
        line.push_str(word);
        used += len;
    }
    lines.push(line);
    lines
}

/// Writes `report` for people: each finding as a headline (severity, id,
/// subject, what is wrong) with its expected and actual values, fix,
/// planned records and inventory place indented under it, then a summary
/// line.
pub fn write_text(report: &Report, out: &mut dyn Write, style: Style) -> io::Result<()> {
    write_findings(report, out, style)?;
    write_summary(report, out)
}

/// Writes one labelled line under a headline, its value wrapped.
fn write_detail(out: &mut dyn Write, label: &str, value: &str, style: Style) -> io::Result<()> {
    let lines = wrap(value, DETAIL + LABEL, DETAIL + LABEL, style.width);
    let label = format!("{label}:");
    for (i, line) in lines.iter().enumerate() {
        match i {
            0 => writeln!(out, "{:DETAIL$}{label:<LABEL$}{line}", "")?,
            _ => writeln!(out, "{:w$}{line}", "", w = DETAIL + LABEL)?,
        }
    }
    Ok(())
}

/// Writes what [`write_text`] writes but the summary line (`verify -q`).
pub fn write_findings(report: &Report, out: &mut dyn Write, style: Style) -> io::Result<()> {
    let paint = |code: &str, text: &str| {
        if style.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    for finding in &report.findings {
        let severity = format!("{:<7}", finding.severity.to_string());
        let mut headline = finding.id.to_owned();
        if !finding.subject.is_empty() {
            headline.push(' ');
            headline.push_str(&escape(&finding.subject));
        }
        headline.push_str(": ");
        if let Some(column) = finding.column {
            headline.push_str(&format!("column {column}: "));
        }
        headline.push_str(&escape(&finding.message));
        let lines = wrap(&headline, DETAIL, DETAIL, style.width);
        for (i, line) in lines.iter().enumerate() {
            match i {
                0 => writeln!(out, "{} {line}", paint(colour_of(finding), &severity))?,
                _ => writeln!(out, "{:DETAIL$}{line}", "")?,
            }
        }
        for (label, value) in [("expected", &finding.expected), ("actual", &finding.actual)] {
            if let Some(value) = value {
                write_detail(out, label, &escape(value), style)?;
            }
        }
        let mut fix = finding.fix_lines().into_iter();
        if let Some(first) = fix.next() {
            write_detail(out, "fix", &first, style)?;
        }
        // The caret display of an SPF term, and the planned records, are
        // never wrapped: they are copied as they are.
        for line in fix.chain(finding.records.iter().map(|r| escape(r))) {
            writeln!(out, "{:w$}{line}", "", w = DETAIL + LABEL)?;
        }
        if let Some(place) = &finding.inventory {
            write_detail(out, "inventory", &escape(&place.to_string()), style)?;
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
    use crate::finding::InventoryRef;

    /// The report of `findings` as text, line by line.
    fn lines_of(findings: Vec<Finding>) -> Vec<String> {
        let mut out = Vec::new();
        write_text(&Report::new(findings, 1, 1, 1), &mut out, Style::default()).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_line_break_from_dns_in_a_fix_stays_on_its_line() {
        // A fix naming a PTR name from DNS.
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
            lines[..2],
            [
                "error   fcrdns-fail 192.0.2.10: no PTR name resolves back (`mail\\010senderzone: error: forged.example.net`)",
                "        fix:       publish `mail\\010senderzone: error: forged.example.net IN A 192.0.2.10`",
            ]
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
            lines[..4],
            [
                "error   spf-syntax example.com: column 8: bad",
                "        fix:       receivers return permerror; fix the term:",
                "                   v=spf1 foo\u{fffd}bar",
                "                          ^ unknown mechanism `foo\\010bar`",
            ],
        );
        assert_eq!(lines.len(), 5, "{lines:#?}");
    }

    fn sample() -> Report {
        let findings = vec![
            Finding::new(
                "ptr-missing",
                Severity::Error,
                "192.0.2.1",
                "no PTR record",
                "publish the planned record",
            )
            .values("mail.example.com.", "NXDOMAIN")
            .publish(vec![
                "1.2.0.192.in-addr.arpa. 3600 IN PTR mail.example.com.".to_owned(),
            ]),
            Finding::new(
                "spf-private-address",
                Severity::Warning,
                "example.com",
                "`ip4:192.0.2.0/24` covers special-purpose space: 192.0.2.0/24 (TEST-NET-1, RFC 5737)",
                "list only the public addresses your mail leaves from",
            )
            .caused_by(InventoryRef {
                file: "mail.yaml".to_owned(),
                line: Some(14),
                column: Some(9),
                path: "domains[0].ip4[1]".to_owned(),
            }),
            Finding::new(
                "ptr-multiple",
                Severity::Warning,
                "192.0.2.1",
                "two\x07",
                "one",
            ),
        ];
        Report::new(findings, 1, 1, 5)
    }

    #[test]
    fn a_headline_per_finding_and_its_details_under_it() {
        let report = sample();
        let mut out = Vec::new();
        write_text(&report, &mut out, Style::default()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "\
error   ptr-missing 192.0.2.1: no PTR record
        expected:  mail.example.com.
        actual:    NXDOMAIN
        fix:       publish the planned record
                   1.2.0.192.in-addr.arpa. 3600 IN PTR mail.example.com.
warning spf-private-address example.com: `ip4:192.0.2.0/24` covers special-purpose space: 192.0.2.0/24 (TEST-NET-1, RFC 5737)
        fix:       list only the public addresses your mail leaves from
        inventory: mail.yaml:14:9 domains[0].ip4[1]
warning ptr-multiple 192.0.2.1: two\\007
        fix:       one
1 error(s), 2 warning(s), 0 info(s); 0 undetermined (DNS could not answer); checked 1 server(s), 1 domain(s) with 5 DNS queries
"
        );
        assert_eq!(report.exit_code(), 1);
        let mut coloured = Vec::new();
        let colour = Style {
            colour: true,
            width: None,
        };
        write_text(&report, &mut coloured, colour).unwrap();
        assert!(
            String::from_utf8(coloured)
                .unwrap()
                .starts_with("\x1b[31merror  \x1b[0m ptr-missing")
        );
    }

    #[test]
    fn prose_wraps_to_the_terminal_and_records_do_not() {
        let report = sample();
        let mut out = Vec::new();
        let narrow = Style {
            colour: false,
            width: Some(60),
        };
        write_text(&report, &mut out, narrow).unwrap();
        let text = String::from_utf8(out).unwrap();
        let (summary, lines) = text
            .lines()
            .collect::<Vec<_>>()
            .split_last()
            .map(|(s, l)| (*s, l.to_vec()))
            .unwrap();
        let record = "                   1.2.0.192.in-addr.arpa. 3600 IN PTR mail.example.com.";
        for line in &lines {
            assert!(
                line.chars().count() < 60 || *line == record,
                "{line:?} in\n{text}"
            );
        }
        assert!(lines.contains(&record), "{text}");
        assert_eq!(
            lines[5..9],
            [
                "warning spf-private-address example.com: `ip4:192.0.2.0/24`",
                "        covers special-purpose space: 192.0.2.0/24",
                "        (TEST-NET-1, RFC 5737)",
                "        fix:       list only the public addresses your mail",
            ]
        );
        assert!(summary.starts_with("1 error(s)"));
    }

    #[test]
    fn a_later_finding_already_reported_is_left_out() {
        let mut report = sample();
        report.extend(vec![
            Finding::new("ptr-missing", Severity::Warning, "192.0.2.1", "again", "f"),
            Finding::new(
                "dkim-missing",
                Severity::Error,
                "s._domainkey.example.com",
                "m",
                "f",
            ),
        ]);
        let ids: Vec<&str> = report.findings.iter().map(|f| f.id).collect();
        assert_eq!(
            ids,
            [
                "ptr-missing",
                "spf-private-address",
                "ptr-multiple",
                "dkim-missing"
            ]
        );
        assert_eq!(report.summary.counts.errors, 2);
    }
}
