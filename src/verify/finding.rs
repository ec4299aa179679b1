//! What verify reports: findings with stable ids, and their summary.

use serde::Serialize;

use crate::exit;
pub use crate::spf::Severity;

/// The id of a finding that DNS could not answer: the check it belongs to
/// could not be determined, which is never a pass.
pub const DNS_ERROR: &str = "dns-error";

/// One difference or deliverability problem, with a fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable kebab-case id, e.g. `ptr-mismatch`.
    pub id: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// The name or address the finding is about.
    pub subject: String,
    /// What the inventory and the rules want, when that is one value.
    pub expected: Option<String>,
    /// What DNS gave.
    pub actual: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl Finding {
    /// A finding without expected and actual values.
    pub(crate) fn new(
        id: &'static str,
        severity: Severity,
        subject: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Finding {
            id,
            severity,
            subject: subject.into(),
            expected: None,
            actual: None,
            message: message.into(),
            fix: fix.into(),
        }
    }

    /// Sets the expected and the actual value.
    pub(crate) fn values(mut self, expected: impl Into<String>, actual: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self.actual = Some(actual.into());
        self
    }

    /// A `dns-error`: `what` could not be determined because of `error`.
    pub(crate) fn undetermined(
        subject: impl Into<String>,
        what: &str,
        error: impl std::fmt::Display,
    ) -> Self {
        Finding::new(
            DNS_ERROR,
            Severity::Error,
            subject,
            format!("could not determine {what}: {error}"),
            "the result is unknown, not clean: check that the name servers answer, then run verify again",
        )
    }

    /// True for a `dns-error`.
    pub fn is_dns_error(&self) -> bool {
        self.id == DNS_ERROR
    }
}

/// Counts of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Findings of error severity, `dns-error` excluded.
    pub errors: usize,
    /// Findings of warning severity.
    pub warnings: usize,
    /// Findings of info severity.
    pub infos: usize,
    /// `dns-error` findings: checks that could not be determined.
    pub undetermined: usize,
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
    pub receivers: Vec<super::receivers::ReceiverRule>,
}

impl Report {
    /// Builds the report and counts its findings.
    pub(crate) fn new(
        findings: Vec<Finding>,
        servers: usize,
        domains: usize,
        queries: usize,
    ) -> Self {
        let mut summary = Summary {
            servers,
            domains,
            queries,
            ..Summary::default()
        };
        for finding in &findings {
            match finding.severity {
                _ if finding.is_dns_error() => summary.undetermined += 1,
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
        }
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

    /// 1 when an error was found, else 3 when DNS left a check undetermined, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.summary.errors > 0 {
            exit::PROBLEMS
        } else if self.summary.undetermined > 0 {
            exit::DNS_FAILURE
        } else {
            exit::OK
        }
    }
}
