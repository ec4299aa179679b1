//! What the name servers did in a run, as findings about them: a server
//! that never answered is one finding, not one per check; a server that
//! will not resolve names outside its own zones is named as such.

use crate::dns::source::NetworkUse;
use crate::dnsbl::findings::LIST_UNUSABLE;
use crate::finding::{Counts, Finding, NAMESERVER_NOT_RECURSIVE, NAMESERVER_SILENT, Severity};

use super::Report;

/// Adds the findings about the servers of `network` to `report`, first.
///
/// When the servers answered nothing, every undetermined finding of the
/// run, and every blocklist found unusable, has that one cause: they give
/// way to one `nameserver-silent` finding that counts the queries left
/// unanswered, and the receiver rules, judged before, cite it in their
/// place. Findings from zone files, which answer without the network,
/// stay.
pub fn account_network(report: &mut Report, network: &NetworkUse) {
    let mut found = Vec::new();
    if network.silent() {
        report
            .findings
            .retain(|f| !f.is_undetermined() && f.id != LIST_UNUSABLE);
        let findings = &report.findings;
        for rule in &mut report.receivers {
            rule.cite_instead(|id| findings.iter().any(|f| f.id == id), NAMESERVER_SILENT);
        }
        found.push(silent(network));
    }
    if network.refused > 0 {
        found.push(not_recursive(network));
    }
    if found.is_empty() {
        return;
    }
    found.append(&mut report.findings);
    report.findings = found;
    report.summary.counts = Counts::of(&report.findings);
}

/// `nameserver-silent`: not one response to any query.
fn silent(network: &NetworkUse) -> Finding {
    let asked = network.asked;
    let queries = if asked == 1 { "query" } else { "queries" };
    Finding::new(
        NAMESERVER_SILENT,
        Severity::Error,
        &network.servers,
        format!(
            "not one response came back: {asked} {queries} of this run left unanswered (timed out or unreachable), so every check that needed the network is undetermined"
        ),
        "check that the server runs, listens on that address and port and is not behind a firewall that drops DNS, or give another `--nameserver`; then run verify again",
    )
    .values("answers", format!("none of {asked} {queries} answered"))
}

/// `nameserver-not-recursive`: REFUSED, or referrals, for names outside
/// the server's zones.
fn not_recursive(network: &NetworkUse) -> Finding {
    let names: Vec<String> = network
        .refused_names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect();
    let more = if network.refused > names.len() {
        ", …"
    } else {
        ""
    };
    Finding::new(
        NAMESERVER_NOT_RECURSIVE,
        Severity::Error,
        &network.servers,
        format!(
            "does not resolve names outside its own zones, as an authoritative-only server does: it refused {} {} ({}{more}), and the checks of those names are undetermined",
            network.refused,
            if network.refused == 1 {
                "query"
            } else {
                "queries"
            },
            names.join(", "),
        ),
        "give `--nameserver` a recursive resolver (or leave it out to use the system resolver); to ask each zone's own authoritative servers directly, add `--authoritative`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::DNS_ERROR;
    use crate::verify::{ReceiverRule, RuleStatus};

    fn network(asked: usize, answered: usize, refused: &[&str]) -> NetworkUse {
        NetworkUse {
            servers: "127.0.0.1:5353".to_owned(),
            asked,
            answered,
            refused: refused.len(),
            refused_names: refused.iter().map(|n| (*n).to_owned()).collect(),
        }
    }

    fn report() -> Report {
        let findings = vec![
            Finding::undetermined("mx.example.org", "the A records", "timed out"),
            Finding::undetermined("example.org", "the SPF record", "timed out"),
            Finding::new("ptr-missing", Severity::Error, "192.0.2.1", "m", "f"),
        ];
        Report::new(findings, 1, 1, 3)
    }

    #[test]
    fn a_silent_server_is_one_finding_in_place_of_the_undetermined() {
        let mut report = report();
        account_network(&mut report, &network(14, 0, &[]));
        let ids: Vec<&str> = report.findings.iter().map(|f| f.id).collect();
        assert_eq!(ids, [NAMESERVER_SILENT, "ptr-missing"]);
        assert_eq!(report.findings[0].subject, "127.0.0.1:5353");
        assert!(report.findings[0].message.contains("14 queries"));
        assert_eq!(report.summary.counts.errors, 2);
        assert_eq!(report.summary.counts.undetermined, 1);
        assert_eq!(report.exit_code(), 1);
    }

    #[test]
    fn receiver_rules_cite_the_finding_that_took_the_place_of_theirs() {
        let mut report = report();
        let rule = |evidence: Vec<&'static str>, remarks: Vec<&'static str>| ReceiverRule {
            receiver: "Gmail",
            scope: "all senders",
            rule: "SPF or DKIM",
            source: "https://support.google.com/a/answer/81126",
            status: RuleStatus::Undetermined,
            evidence,
            remarks,
        };
        report.receivers = vec![
            rule(vec![DNS_ERROR], vec!["ptr-missing"]),
            rule(vec![DNS_ERROR, "ptr-missing"], vec![]),
        ];
        account_network(&mut report, &network(14, 0, &[]));
        assert_eq!(report.receivers[0].evidence, [NAMESERVER_SILENT]);
        assert_eq!(report.receivers[0].remarks, ["ptr-missing"]);
        assert_eq!(
            report.receivers[1].evidence,
            [NAMESERVER_SILENT, "ptr-missing"]
        );
    }

    #[test]
    fn a_server_that_answered_changes_nothing_and_refusals_are_named() {
        let mut report = report();
        account_network(&mut report, &network(14, 3, &[]));
        assert_eq!(report, self::report());
        account_network(&mut report, &network(14, 14, &["_spf.example.net"]));
        let finding = &report.findings[0];
        assert_eq!(finding.id, NAMESERVER_NOT_RECURSIVE);
        assert!(
            finding.message.contains("`_spf.example.net`"),
            "{finding:?}"
        );
        assert!(finding.fix.contains("--authoritative"), "{finding:?}");
        assert_eq!(report.findings.len(), 4);
        assert_eq!(report.summary.counts.undetermined, 3);
    }
}
