//! Findings: what a check found, with a stable id, a severity and a fix.
//!
//! One model for every command that checks something: `spf check` (the
//! SPF lint), `verify` and `dnsbl` report [`Finding`]s, and one function,
//! [`exit_code`], turns them into the process's exit code (see
//! [`crate::exit`]).

use std::fmt;

use serde::Serialize;

use crate::dns::LookupError;
use crate::exit;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing breaks.
    Info,
    /// Best practice or interoperability risk.
    Warning,
    /// Receivers will permerror/temperror, or the record does not do its job.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// The id of a `verify` finding that DNS could not answer: the check it
/// belongs to could not be determined, which is never a pass.
pub const DNS_ERROR: &str = "dns-error";

/// The SPF lint's id for a record or target DNS could not answer
/// (`verify` reports it as [`DNS_ERROR`]).
pub const SPF_DNS_ERROR: &str = "spf-dns-error";

/// The id of a check that needs a name outside the zone files, which
/// `--offline` asks of no server: "not checkable offline", an info that
/// is neither a pass nor a failure.
pub const DNS_OFFLINE: &str = "dns-offline";

/// The id of a blocklist target no believable list answered for: its
/// listing status is unknown, not clean.
pub const DNSBL_UNKNOWN: &str = "dnsbl-unknown";

/// The id of a name server that answered none of a run's queries
/// (`verify`): one finding for it, not one per check.
pub const NAMESERVER_SILENT: &str = "nameserver-silent";

/// The id of a name server that will not resolve names outside its own
/// zones (`verify`): an authoritative-only server given as a resolver.
pub const NAMESERVER_NOT_RECURSIVE: &str = "nameserver-not-recursive";

/// The ids of findings that say "could not determine": DNS did not answer
/// enough to decide, so the check is neither a pass nor a failure.
const UNDETERMINED: &[&str] = &[
    DNS_ERROR,
    SPF_DNS_ERROR,
    DNSBL_UNKNOWN,
    NAMESERVER_SILENT,
    NAMESERVER_NOT_RECURSIVE,
];

/// One problem a check found, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable kebab-case id, e.g. `ptr-mismatch`.
    pub id: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// The name or address the finding is about; empty for a finding about
    /// a record given on its own (`spf check RECORD`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject: String,
    /// What the inventory and the rules want, when that is one value.
    pub expected: Option<String>,
    /// What DNS gave.
    pub actual: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub fix: String,
    /// 1-based column of the term in the SPF record, when the finding is
    /// about one term.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The planned records the fix publishes, in zone-file syntax
    /// (absolute owner, TTL, class, type, data), as `generate` plans them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<String>,
    /// The inventory value that causes the finding, to edit there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory: Option<InventoryRef>,
}

/// A value of the inventory: its file, line and column, and key path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryRef {
    /// The inventory file as it was named.
    pub file: String,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// Key path such as `domains[0].ip4[1]`.
    pub path: String,
}

impl From<crate::inventory::Location> for InventoryRef {
    fn from(location: crate::inventory::Location) -> Self {
        InventoryRef {
            file: location.file.display().to_string(),
            line: location.position.map(|p| p.line),
            column: location.position.map(|p| p.column),
            path: location.path,
        }
    }
}

impl fmt::Display for InventoryRef {
    /// `mail.yaml:14:9 domains[0].ip4[1]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, " {}", self.path)
    }
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
            column: None,
            records: Vec::new(),
            inventory: None,
        }
    }

    /// Sets the planned records the fix publishes.
    pub(crate) fn publish(mut self, records: Vec<String>) -> Self {
        self.records = records;
        self
    }

    /// Sets the inventory value that causes the finding.
    pub(crate) fn caused_by(mut self, place: impl Into<InventoryRef>) -> Self {
        self.inventory = Some(place.into());
        self
    }

    /// Sets the expected and the actual value.
    pub(crate) fn values(mut self, expected: impl Into<String>, actual: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self.actual = Some(actual.into());
        self
    }

    /// Sets the 1-based column of the SPF term the finding is about.
    pub(crate) fn at_column(mut self, column: usize) -> Self {
        self.column = Some(column);
        self
    }

    /// A `dns-error`: `what` could not be determined because of `error`;
    /// a `dns-offline` info when `--offline` kept the name it needs from
    /// being asked.
    pub(crate) fn undetermined(subject: impl Into<String>, what: &str, error: impl Cause) -> Self {
        if let Some(name) = error.offline_name() {
            return Finding::new(
                DNS_OFFLINE,
                Severity::Info,
                subject,
                format!(
                    "{what} is not checkable offline: `{name}` is outside the zone files, and `--offline` asks no server"
                ),
                "check it online: without `--offline`, names outside the zone files are asked of `--nameserver` or the system resolver",
            );
        }
        Finding::new(
            DNS_ERROR,
            Severity::Error,
            subject,
            format!("could not determine {what}: {error}"),
            "the result is unknown, not clean: check that the name servers answer, then run verify again",
        )
    }

    /// The lines of the fix as text output shows them, each escaped
    /// ([`crate::text::escape`]).
    ///
    /// A fix is one line. The one layout across lines that senderzone
    /// writes is the caret display of an SPF term (a finding with a
    /// `column`, see `spf::ParseError::render`): the advice, the record,
    /// and a caret line under the term; those two line breaks are kept.
    /// Any other line break is data, from DNS (a PTR name, a TXT record) or
    /// from the inventory, and is escaped like every control character, so
    /// that no line of the output comes from outside data: each line is
    /// escaped after the split, so a line break left in it shows as `\010`.
    pub fn fix_lines(&self) -> Vec<std::borrow::Cow<'_, str>> {
        let lines = if self.column.is_some() { 3 } else { 1 };
        self.fix
            .splitn(lines, '\n')
            .map(crate::text::escape)
            .collect()
    }

    /// True for a finding that says "could not determine" (`dns-error`,
    /// `spf-dns-error`, `dnsbl-unknown`): DNS did not answer enough to
    /// decide.
    pub fn is_undetermined(&self) -> bool {
        UNDETERMINED.contains(&self.id)
    }

    /// True for a finding that leaves its check without a verdict: an
    /// undetermined one, or a `dns-offline` (not checkable offline, which
    /// is no failure of DNS and not counted as undetermined).
    pub fn is_unverdicted(&self) -> bool {
        self.is_undetermined() || self.id == DNS_OFFLINE
    }
}

/// Why DNS gave no answer, as [`Finding::undetermined`] takes it: a
/// lookup error, or a text that says why.
pub(crate) trait Cause: fmt::Display {
    /// The name outside the zone files that `--offline` kept from being
    /// asked, when that is the cause.
    fn offline_name(&self) -> Option<&str> {
        None
    }
}

impl Cause for str {}

impl Cause for String {}

impl Cause for LookupError {
    fn offline_name(&self) -> Option<&str> {
        match self {
            LookupError::Offline(name) => Some(name),
            _ => None,
        }
    }
}

impl<T: Cause + ?Sized> Cause for &T {
    fn offline_name(&self) -> Option<&str> {
        (**self).offline_name()
    }
}

/// How many findings of each severity a run found, and how many of them
/// could not be determined; the same words in text and JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Findings of error severity, undetermined ones included.
    pub errors: usize,
    /// Findings of warning severity.
    pub warnings: usize,
    /// Findings of info severity.
    pub infos: usize,
    /// Findings that say "could not determine" (`dns-error`, …), whatever
    /// their severity: also counted under it.
    pub undetermined: usize,
}

impl Counts {
    /// Counts `findings`.
    pub fn of(findings: &[Finding]) -> Self {
        let mut counts = Counts::default();
        for finding in findings {
            match finding.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
                Severity::Info => counts.infos += 1,
            }
            counts.undetermined += usize::from(finding.is_undetermined());
        }
        counts
    }
}

impl fmt::Display for Counts {
    /// `2 error(s), 1 warning(s), 0 info(s); 1 undetermined (DNS could not answer)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} error(s), {} warning(s), {} info(s); {} undetermined (DNS could not answer)",
            self.errors, self.warnings, self.infos, self.undetermined
        )
    }
}

/// The exit code for a run that found `findings`: [`exit::PROBLEMS`] when
/// one of error severity is a real problem, else [`exit::DNS_FAILURE`]
/// when DNS left a check undetermined, else [`exit::OK`] (warnings and
/// infos allowed).
pub fn exit_code(findings: &[Finding]) -> u8 {
    exit_code_at(findings, Severity::Error)
}

/// [`exit_code`] with `lowest` the lowest severity that is a problem
/// (`verify --fail-on`): [`exit::PROBLEMS`] for a determined finding of
/// that severity or above.
pub fn exit_code_at(findings: &[Finding], lowest: Severity) -> u8 {
    if findings
        .iter()
        .any(|f| f.severity >= lowest && !f.is_undetermined())
    {
        exit::PROBLEMS
    } else if findings.iter().any(Finding::is_undetermined) {
        exit::DNS_FAILURE
    } else {
        exit::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &'static str, severity: Severity) -> Finding {
        Finding::new(id, severity, "example.com", "m", "f")
    }

    #[test]
    fn an_error_outranks_an_undetermined_check_and_warnings_pass() {
        let warning = finding("spf-ptr", Severity::Warning);
        let info = finding("dkim-testing", Severity::Info);
        let error = finding("ptr-missing", Severity::Error);
        let dns = Finding::undetermined("example.com", "the SPF record", "timed out");
        let unknown = finding(DNSBL_UNKNOWN, Severity::Warning);
        let lint_dns = finding(SPF_DNS_ERROR, Severity::Error);
        assert_eq!(exit_code(&[]), exit::OK);
        assert_eq!(exit_code(&[warning.clone(), info.clone()]), exit::OK);
        assert_eq!(
            exit_code(&[warning.clone(), dns.clone()]),
            exit::DNS_FAILURE
        );
        assert_eq!(exit_code(std::slice::from_ref(&unknown)), exit::DNS_FAILURE);
        assert_eq!(
            exit_code(std::slice::from_ref(&lint_dns)),
            exit::DNS_FAILURE
        );
        assert_eq!(exit_code(&[dns, unknown, error, warning]), exit::PROBLEMS);
    }

    #[test]
    fn fail_on_lowers_the_severity_that_fails() {
        let warning = finding("a-extra", Severity::Warning);
        let info = finding("dkim-testing", Severity::Info);
        let unknown = finding(DNSBL_UNKNOWN, Severity::Warning);
        let both = [warning.clone(), info.clone()];
        assert_eq!(exit_code_at(&both, Severity::Error), exit::OK);
        assert_eq!(exit_code_at(&both, Severity::Warning), exit::PROBLEMS);
        assert_eq!(
            exit_code_at(std::slice::from_ref(&info), Severity::Warning),
            exit::OK
        );
        assert_eq!(exit_code_at(&[info], Severity::Info), exit::PROBLEMS);
        // Undetermined stays undetermined, whatever the threshold.
        assert_eq!(exit_code_at(&[unknown], Severity::Info), exit::DNS_FAILURE);
    }

    #[test]
    fn counts_use_the_words_of_the_severities() {
        let findings = [
            Finding::undetermined("example.com", "the SPF record", "timed out"),
            finding("ptr-missing", Severity::Error),
            finding(DNSBL_UNKNOWN, Severity::Warning),
            finding("dkim-testing", Severity::Info),
        ];
        let counts = Counts::of(&findings);
        assert_eq!(
            counts,
            Counts {
                errors: 2,
                warnings: 1,
                infos: 1,
                undetermined: 2
            }
        );
        assert_eq!(
            counts.to_string(),
            "2 error(s), 1 warning(s), 1 info(s); 2 undetermined (DNS could not answer)"
        );
        let json = serde_json::to_value(counts).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"errors": 2, "warnings": 1, "infos": 1, "undetermined": 2})
        );
    }

    #[test]
    fn json_leaves_out_an_empty_subject_and_a_missing_column() {
        let about_record = Finding::new("spf-plus-all", Severity::Error, "", "m", "f").at_column(8);
        let json = serde_json::to_value(&about_record).unwrap();
        assert_eq!(json.get("subject"), None);
        assert_eq!(json["column"], 8);
        assert_eq!(json["severity"], "error");
        let json = serde_json::to_value(finding("ptr-missing", Severity::Error)).unwrap();
        assert_eq!(json["subject"], "example.com");
        assert_eq!(json.get("column"), None);
        assert!(json["expected"].is_null() && json["actual"].is_null());
    }
}
