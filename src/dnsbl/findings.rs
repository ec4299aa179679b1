//! Blocklist verdicts as findings (deliverability.md §3): what
//! `verify --dnsbl` reports, and what decides the exit code of `dnsbl`.

use std::collections::HashMap;
use std::net::IpAddr;

use super::{Health, Impact, Listing, Overall, Report, TargetReport, Verdict};
use crate::finding::{DNSBL_UNKNOWN, Finding, Severity};

/// What else a run found, for pointing a listing to its cause.
#[derive(Debug, Default)]
pub struct Related<'a> {
    /// The other findings of the same run.
    pub findings: &'a [Finding],
    /// For each address, the subjects findings about it are filed under:
    /// the address itself, its server's host name and HELO name.
    pub subjects: HashMap<IpAddr, Vec<String>>,
}

impl Related<'_> {
    /// A finding of this run about `ip` whose id is one of `ids`.
    fn cause(&self, ip: IpAddr, ids: &[String]) -> Option<&Finding> {
        let subjects = self.subjects.get(&ip)?;
        self.findings
            .iter()
            .find(|f| ids.iter().any(|id| id == f.id) && subjects.contains(&f.subject))
    }
}

/// The id of a list that failed its RFC 5782 test in a run.
pub const LIST_UNUSABLE: &str = "dnsbl-list-unusable";

/// Findings for a blocklist run: `dnsbl-listed` per listing (severity from
/// the list's impact), `dnsbl-unknown` for a target no believable list
/// answered for, `dnsbl-list-unusable` per list that failed its RFC 5782
/// test in this run. A target no list of the run takes (a domain, with IP
/// lists only) gives none. A listing whose known cause `related` holds
/// (the CBL listing of a server whose HELO is `helo-invalid`) points to it.
pub fn findings(report: &Report, related: &Related<'_>) -> Vec<Finding> {
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
                let list = if result.name == result.zone {
                    result.zone.to_string()
                } else {
                    format!("{} ({})", result.zone, result.name)
                };
                let mut message = format!(
                    "{subject} is listed on {list} with {}: {} [impact: {}]",
                    listing.code, listing.meaning, listing.impact
                );
                if let Some(reason) = reason {
                    message.push_str(&format!("; the list says: {reason}"));
                }
                let mut fix = listing_fix(target, listing, related);
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
                unknown_fix(report, target),
            ));
        }
    }
    for list in report.health.iter().filter(|h| h.health != Health::Healthy) {
        findings.push(Finding::new(
            LIST_UNUSABLE,
            Severity::Info,
            &list.zone,
            format!(
                "blocklist {} was not used for {}: {}",
                list.zone,
                list.key.plural(),
                list.health
            ),
            "nothing to fix on your side unless every list fails: then check the resolver",
        ));
    }
    findings
}

/// What to do about a listing: first the finding of this run known to
/// cause it, if any, then the list's advice.
fn listing_fix(target: &TargetReport, listing: &Listing, related: &Related<'_>) -> String {
    let advice = match (&listing.advice, listing.documented) {
        (Some(advice), _) => advice.clone(),
        (None, true) => "find and stop the cause, then ask for removal".to_owned(),
        (None, false) => "look the address up on the list's site to learn what the code means, find and stop the cause, then ask for removal".to_owned(),
    };
    let super::Target::Ip(ip) = target.target else {
        return advice;
    };
    match related.cause(ip, &listing.caused_by) {
        Some(cause) => format!(
            "this listing follows from `{}`, reported for `{}` in this run: fix that first ({}), then ask for removal",
            cause.id, cause.subject, cause.fix
        ),
        None => advice,
    }
}

/// What to do when no list could be believed for `target`: what happened
/// decides it. Only a refusal code seen is blamed on the resolver.
fn unknown_fix(report: &Report, target: &TargetReport) -> String {
    let key = target.target.key();
    let mut refused = Vec::new();
    let mut silent = 0;
    for result in &target.lists {
        let health = report.health_of(&result.zone, key);
        let refusal = match (&result.verdict, health) {
            (
                _,
                Some(Health::Refused {
                    refusal: Some(r), ..
                }),
            ) => Some(r),
            (
                Verdict::Unknown {
                    refusal: Some(r), ..
                },
                _,
            ) => Some(r),
            _ => None,
        };
        if let Some(refusal) = refusal {
            refused.push(format!("{} answered {refusal}", result.zone));
        }
        if matches!(health, Some(Health::NotAnswering { .. })) {
            silent += 1;
        }
    }
    if !refused.is_empty() {
        return format!(
            "the lists refused the resolver in use ({}); lists refuse public resolvers: query them through your own recursive resolver (e.g. unbound) and run again",
            refused.join("; ")
        );
    }
    if silent > 0 && silent == target.lists.len() {
        return "no list answered (timeouts or SERVFAIL): check that the resolver in use reaches them, and run again".to_owned();
    }
    format!(
        "no list in use gave a believable answer for {} (see `dnsbl-list-unusable`): run again, or choose other lists with `--list`",
        key.plural()
    )
}
