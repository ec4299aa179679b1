//! The text form of a [`Report`]: findings grouped by subject, one line
//! each, then a summary line. The JSON form is the report's serde form.

use std::io::{self, Write};

use super::finding::{Finding, Report, Severity};

pub use crate::text::escape;

/// ANSI SGR colour of a finding's severity word.
fn colour_of(finding: &Finding) -> &'static str {
    if finding.is_dns_error() {
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
            let mut fix = finding.fix.lines();
            if let Some(first) = fix.next() {
                write!(out, "; fix: {}", escape(first))?;
            }
            writeln!(out)?;
            // A multi-line fix (a caret under an SPF term) continues indented.
            for line in fix {
                writeln!(out, "      {}", escape(line))?;
            }
        }
    }
    if !report.receivers.is_empty() {
        writeln!(out, "{}", paint("1", "receiver rules (what DNS shows)"))?;
        for rule in &report.receivers {
            let status = rule.status.to_string();
            let painted = match rule.status {
                super::receivers::Status::Met => paint("32", &status),
                super::receivers::Status::NotMet => paint("31", &status),
                _ => paint("33", &status),
            };
            write!(
                out,
                "  {:<9} {:<12} {}: {painted}",
                rule.receiver, rule.scope, rule.rule
            )?;
            if !rule.evidence.is_empty() {
                write!(out, " ({})", rule.evidence.join(", "))?;
            }
            writeln!(out)?;
        }
    }
    let s = &report.summary;
    writeln!(
        out,
        "{} error(s), {} warning(s), {} note(s), {} undetermined (dns-error); checked {} server(s), {} domain(s) with {} DNS queries",
        s.errors, s.warnings, s.infos, s.undetermined, s.servers, s.domains, s.queries
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
             1 error(s), 2 warning(s), 0 note(s), 0 undetermined (dns-error); checked 1 server(s), 0 domain(s) with 5 DNS queries\n"
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
