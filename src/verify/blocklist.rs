//! Blocklist verdicts as findings (deliverability.md §3): what
//! `verify --dnsbl` reports, and what decides the exit code of `dnsbl`.

use crate::dnsbl::{self, Impact, Overall, Verdict};
use crate::finding::{DNSBL_UNKNOWN, Finding, Severity};

/// Findings for a blocklist run: `dnsbl-listed` per listing (severity from
/// the list's impact), `dnsbl-unknown` for a target no believable list
/// answered for, `dnsbl-list-unusable` per list that failed its RFC 5782
/// test in this run.
pub fn findings(report: &dnsbl::Report) -> Vec<Finding> {
    let mut findings = Vec::new();
    for target in &report.targets {
        let subject = target.target.to_string();
        for result in &target.lists {
            let Verdict::Listed { listings, reason } = &result.verdict else {
                continue;
            };
            for listing in listings {
                let severity = match listing.impact {
                    Impact::Critical | Impact::Policy | Impact::Important => Severity::Error,
                    Impact::Minor => Severity::Warning,
                    Impact::Informational => Severity::Info,
                };
                let mut message = format!(
                    "{subject} is listed on {} ({}) with {}: {} [impact: {}]",
                    result.zone, result.name, listing.code, listing.meaning, listing.impact
                );
                if let Some(reason) = reason {
                    message.push_str(&format!("; the list says: {reason}"));
                }
                let mut fix = listing
                    .advice
                    .clone()
                    .unwrap_or_else(|| "find and stop the cause, then ask for removal".to_owned());
                if let Some(delist) = &result.delist {
                    fix.push_str(&format!("; delisting: {delist}"));
                }
                findings.push(
                    Finding::new("dnsbl-listed", severity, &subject, message, fix)
                        .values("not listed", listing.code.to_string()),
                );
            }
        }
        if target.overall == Overall::Unknown {
            findings.push(Finding::new(
                DNSBL_UNKNOWN,
                Severity::Warning,
                &subject,
                format!(
                    "no blocklist could be believed for {subject} in this run, so its listing status is unknown (not clean)"
                ),
                "query the lists through your own recursive resolver (public resolvers are refused) and run again",
            ));
        }
    }
    for list in report
        .health
        .iter()
        .filter(|h| h.health != dnsbl::Health::Healthy)
    {
        findings.push(Finding::new(
            "dnsbl-list-unusable",
            Severity::Info,
            &list.zone,
            format!("blocklist {} was not used: {}", list.zone, list.health),
            "nothing to fix on your side unless every list fails: then check the resolver",
        ));
    }
    findings
}
