//! `verify --receivers`: DKIM and DMARC records checked, and what DNS shows
//! mapped to the sender rules of Gmail, Yahoo, Microsoft and Naver
//! (deliverability.md §1). Rules DNS cannot show (TLS, one-click
//! unsubscribe, spam rate) are listed as not checkable, never as met.

use std::fmt;

use serde::Serialize;

use crate::dns::{Answer, Lookup, Txt};
use crate::finding::{Finding, Severity};
use crate::inventory::Inventory;
use crate::mailauth::dkim::MIN_RSA_BITS;
use crate::mailauth::dmarc;
use crate::names;

/// Whether a receiver rule holds, as far as DNS shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// DNS shows it holds.
    Met,
    /// DNS shows it does not.
    NotMet,
    /// DNS did not answer enough to say.
    Undetermined,
    /// DNS cannot show it; it needs a message, an SMTP session or the
    /// receiver's own data.
    NotCheckable,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Met => "met",
            Status::NotMet => "NOT MET",
            Status::Undetermined => "could not determine",
            Status::NotCheckable => "not checkable from DNS",
        })
    }
}

/// One rule of one receiver, judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiverRule {
    /// Gmail, Yahoo, Microsoft, Naver.
    pub receiver: &'static str,
    /// Who it applies to: all senders or bulk senders.
    pub scope: &'static str,
    /// The rule.
    pub rule: &'static str,
    /// The receiver's page the rule comes from.
    pub source: &'static str,
    /// Whether it holds.
    pub status: Status,
    /// The ids of the findings that break the rule ("not met"), or that
    /// left it undetermined ("could not determine").
    pub evidence: Vec<&'static str>,
    /// The ids of the other findings about what the rule concerns: worth
    /// fixing, but they do not break it.
    pub remarks: Vec<&'static str>,
}

impl ReceiverRule {
    /// Cites `instead` as evidence in place of every id `shown` says the
    /// report no longer shows (the `dns-error`s a silent name server's one
    /// finding took the place of), and drops such remarks, so that the
    /// rule cites only what the report holds.
    pub(super) fn cite_instead(&mut self, shown: impl Fn(&str) -> bool, instead: &'static str) {
        for id in &mut self.evidence {
            if !shown(id) {
                *id = instead;
            }
        }
        self.evidence.sort_unstable();
        self.evidence.dedup();
        self.remarks.retain(|id| shown(id));
    }
}

/// A requirement DNS can show, and the findings that break it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Requirement {
    /// `check_host()` gives `pass` for every address of every server that
    /// sends for a domain (RFC 7208 §2.6.3): broken by
    /// `spf-not-authorized` and `spf-missing`, nothing else.
    SpfPass,
    /// SPF within RFC 7208 §4.6.4's limits: broken by
    /// `spf-too-many-lookups`, `spf-mx-too-many` and a void lookup count
    /// over 2 (`spf-void-lookups` of error severity; a warning is one void
    /// term).
    SpfLimits,
    /// Every DKIM selector the inventory uses has a usable key (RFC 6376
    /// §3.6.1), the one the inventory holds, of RFC 8301's minimum size or
    /// more (every receiver's minimum): broken by `dkim-missing`,
    /// `dkim-revoked`, and by `dkim-syntax`, `dkim-weak` and `dkim-drift`
    /// of error severity (a warning is a second record, a key under the
    /// recommended size, or tags that differ from the inventory's).
    DkimKey,
    /// One DMARC record at `_dmarc` that parses (RFC 7489 §6.6.3): broken
    /// by `dmarc-missing`, `dmarc-multiple`, and `dmarc-invalid` of error
    /// severity (a warning is a removed or misplaced tag of a valid record).
    Dmarc,
    /// A PTR for every server address that resolves back to it (FCrDNS):
    /// broken by `ptr-missing`, `ptr-cname-missing` and `fcrdns-fail`.
    ReverseDns,
    /// The same, and no PTR name that looks generic: also broken by
    /// `ptr-generic`.
    CustomReverseDns,
}

/// A usable DKIM key of RFC 8301's minimum size or more for every
/// selector: Gmail and Yahoo name the same minimum, Microsoft and Naver
/// none.
const DKIM: Requirement = Requirement::DkimKey;

impl Requirement {
    /// True when `finding` shows the requirement broken.
    fn broken_by(self, finding: &Finding) -> bool {
        let error = finding.severity == Severity::Error;
        match (self, finding.id) {
            (Requirement::SpfPass, id) => matches!(id, "spf-not-authorized" | "spf-missing"),
            (Requirement::SpfLimits, "spf-void-lookups") => error,
            (Requirement::SpfLimits, id) => {
                matches!(id, "spf-too-many-lookups" | "spf-mx-too-many")
            }
            (Requirement::DkimKey, "dkim-weak" | "dkim-syntax" | "dkim-drift") => error,
            (Requirement::DkimKey, id) => matches!(id, "dkim-missing" | "dkim-revoked"),
            (Requirement::Dmarc, "dmarc-invalid") => error,
            (Requirement::Dmarc, id) => matches!(id, "dmarc-missing" | "dmarc-multiple"),
            (Requirement::ReverseDns, id) => {
                matches!(id, "ptr-missing" | "ptr-cname-missing" | "fcrdns-fail")
            }
            (Requirement::CustomReverseDns, "ptr-generic") => true,
            (Requirement::CustomReverseDns, _) => Requirement::ReverseDns.broken_by(finding),
        }
    }

    /// True when `finding` is about what the requirement concerns, broken
    /// or not.
    fn concerns(self, finding: &Finding) -> bool {
        let prefixes: &[&str] = match self {
            Requirement::SpfPass | Requirement::SpfLimits => &["spf-"],
            Requirement::DkimKey => &["dkim-"],
            Requirement::Dmarc => &["dmarc-"],
            Requirement::ReverseDns | Requirement::CustomReverseDns => &["ptr-", "fcrdns-"],
        };
        prefixes.iter().any(|prefix| finding.id.starts_with(prefix))
    }

    /// Whether it holds, as far as `seen` shows. A DNS error anywhere in
    /// the run, or a check not checkable offline, leaves an unbroken
    /// requirement undetermined, never met.
    fn status(self, seen: &Seen<'_>) -> Status {
        if self == Requirement::DkimKey && !seen.selectors {
            Status::NotCheckable
        } else if seen.findings.iter().any(|f| self.broken_by(f)) {
            Status::NotMet
        } else if seen.findings.iter().any(|f| f.is_unverdicted()) {
            Status::Undetermined
        } else {
            Status::Met
        }
    }
}

/// What a rule asks DNS to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    /// Nothing DNS can show: it needs a message, an SMTP session or the
    /// receiver's own data.
    NotCheckable,
    /// Every one of the requirements.
    All(&'static [Requirement]),
    /// At least one of the requirements.
    Any(&'static [Requirement]),
}

impl Test {
    /// The requirements the test is made of.
    fn requirements(self) -> &'static [Requirement] {
        match self {
            Test::NotCheckable => &[],
            Test::All(requirements) | Test::Any(requirements) => requirements,
        }
    }
}

/// A row of [`RULES`].
#[derive(Debug, Clone, Copy)]
struct Rule {
    /// Gmail, Yahoo, Microsoft, Naver.
    receiver: &'static str,
    /// [`ALL_SENDERS`] or [`BULK_SENDERS`].
    scope: &'static str,
    /// The rule, in the receiver's terms.
    text: &'static str,
    /// The receiver's page the rule comes from.
    source: &'static str,
    /// What DNS must show.
    test: Test,
}

/// The scope of a rule every sender must follow.
const ALL_SENDERS: &str = "all senders";
/// The scope of a rule for bulk senders (Gmail: 5,000 messages a day).
const BULK_SENDERS: &str = "bulk senders";

/// Google, "Email sender guidelines" (deliverability.md §1.1).
const GMAIL: &str = "https://support.google.com/a/answer/81126";
/// Yahoo Sender Hub, "Sender Best Practices" (deliverability.md §1.2).
const YAHOO: &str = "https://senders.yahooinc.com/best-practices/";
/// Outlook.com "Policies, practices, and guidelines" (deliverability.md §1.3).
const MICROSOFT: &str = "https://sendersupport.olc.protection.outlook.com/pm/policies.aspx";
/// Naver's notice of 2024-07-19 as quoted by Thundermail
/// (deliverability.md §1.4): Naver's own page is a help-centre notice.
const NAVER: &str = "https://blog.thundermail.co.kr/422";

const UNSUBSCRIBE: &str = "one-click unsubscribe (RFC 8058), honoured within 2 days";

/// The sender rules of Gmail, Yahoo, Microsoft and Naver
/// (deliverability.md §1.1–§1.4), receiver by receiver, in the order the
/// report shows them.
#[rustfmt::skip]
const RULES: &[Rule] = {
    use Requirement::{CustomReverseDns, Dmarc, ReverseDns, SpfLimits, SpfPass};
    use Test::{All, Any, NotCheckable};
    const fn row(receiver: &'static str, source: &'static str, scope: &'static str, text: &'static str, test: Test) -> Rule {
        Rule { receiver, scope, text, source, test }
    }
    &[
        row("Gmail", GMAIL, ALL_SENDERS, "SPF or DKIM", Any(&[SpfPass, DKIM])),
        row("Gmail", GMAIL, ALL_SENDERS, "valid forward and reverse DNS (PTR, FCrDNS) for every sending IP", All(&[ReverseDns])),
        row("Gmail", GMAIL, ALL_SENDERS, "TLS for transmission", NotCheckable),
        row("Gmail", GMAIL, ALL_SENDERS, "spam rate below 0.3% (Postmaster Tools)", NotCheckable),
        row("Gmail", GMAIL, BULK_SENDERS, "SPF and DKIM", All(&[SpfPass, DKIM])),
        row("Gmail", GMAIL, BULK_SENDERS, "DMARC record, p=none or stricter", All(&[Dmarc])),
        row("Gmail", GMAIL, BULK_SENDERS, "From domain aligned with SPF or DKIM", NotCheckable),
        row("Gmail", GMAIL, BULK_SENDERS, UNSUBSCRIBE, NotCheckable),
        row("Yahoo", YAHOO, ALL_SENDERS, "SPF or DKIM", Any(&[SpfPass, DKIM])),
        row("Yahoo", YAHOO, ALL_SENDERS, "valid, non-generic PTR and FCrDNS for IPv4 and IPv6", All(&[CustomReverseDns])),
        row("Yahoo", YAHOO, ALL_SENDERS, "spam rate below 0.3%", NotCheckable),
        row("Yahoo", YAHOO, BULK_SENDERS, "SPF and DKIM", All(&[SpfPass, DKIM])),
        row("Yahoo", YAHOO, BULK_SENDERS, "DKIM key of 1024 bits or more", All(&[DKIM])),
        row("Yahoo", YAHOO, BULK_SENDERS, "DMARC record, p=none or stricter, passing and aligned", All(&[Dmarc])),
        row("Yahoo", YAHOO, BULK_SENDERS, UNSUBSCRIBE, NotCheckable),
        row("Microsoft", MICROSOFT, BULK_SENDERS, "SPF passes, within the 10-lookup limit", All(&[SpfPass, SpfLimits])),
        row("Microsoft", MICROSOFT, BULK_SENDERS, "DKIM passes", All(&[DKIM])),
        row("Microsoft", MICROSOFT, BULK_SENDERS, "DMARC record, p=none or stricter, aligned", All(&[Dmarc])),
        row("Microsoft", MICROSOFT, ALL_SENDERS, "valid reverse DNS", All(&[ReverseDns])),
        row("Naver", NAVER, ALL_SENDERS, "SPF and DKIM", All(&[SpfPass, DKIM])),
        row("Naver", NAVER, ALL_SENDERS, "reverse DNS", All(&[ReverseDns])),
        row("Naver", NAVER, BULK_SENDERS, "DMARC record", All(&[Dmarc])),
    ]
};

/// What the rules are judged on.
struct Seen<'a> {
    /// Every finding of the run.
    findings: &'a [&'a Finding],
    /// Whether the inventory uses any DKIM selector (one not retired).
    selectors: bool,
}

impl Rule {
    /// Judges the rule on what DNS showed.
    fn judge(&self, seen: &Seen<'_>) -> ReceiverRule {
        let requirements = self.test.requirements();
        let statuses = requirements.iter().map(|r| r.status(seen));
        let status = match self.test {
            Test::NotCheckable => Status::NotCheckable,
            Test::All(_) => statuses.fold(Status::Met, both),
            Test::Any(_) => statuses.fold(Status::NotMet, either),
        };
        let ids = |keep: &dyn Fn(&Finding) -> bool| -> Vec<&'static str> {
            let mut ids: Vec<&'static str> = seen
                .findings
                .iter()
                .filter(|f| keep(f))
                .map(|f| f.id)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let evidence = match status {
            Status::NotMet => ids(&|f| requirements.iter().any(|r| r.broken_by(f))),
            Status::Undetermined => ids(&Finding::is_unverdicted),
            Status::Met | Status::NotCheckable => Vec::new(),
        };
        let remarks =
            ids(&|f| !evidence.contains(&f.id) && requirements.iter().any(|r| r.concerns(f)));
        ReceiverRule {
            receiver: self.receiver,
            scope: self.scope,
            rule: self.text,
            source: self.source,
            status,
            evidence,
            remarks,
        }
    }
}

/// Met when one of the two is.
fn either(a: Status, b: Status) -> Status {
    match (a, b) {
        (Status::Met, _) | (_, Status::Met) => Status::Met,
        (Status::Undetermined, _) | (_, Status::Undetermined) => Status::Undetermined,
        (Status::NotCheckable, _) | (_, Status::NotCheckable) => Status::NotCheckable,
        _ => Status::NotMet,
    }
}

/// Met when both are.
fn both(a: Status, b: Status) -> Status {
    match (a, b) {
        (Status::NotMet, _) | (_, Status::NotMet) => Status::NotMet,
        (Status::Undetermined, _) | (_, Status::Undetermined) => Status::Undetermined,
        (Status::NotCheckable, _) | (_, Status::NotCheckable) => Status::NotCheckable,
        _ => Status::Met,
    }
}

/// The receiver rules for `verify --help`: how they are judged, then each
/// receiver's rules under the page they come from, all from the rule table.
pub fn rules_help() -> String {
    let mut help = format!(
        "Map what DNS shows to the sender rules of Gmail, Yahoo, Microsoft and Naver. \
         A rule is NOT MET only by a finding that breaks it (SPF: check_host() is not \
         `pass` for a server address; DKIM: a selector without a usable key, or an RSA key \
         under the receiver's minimum of {MIN_RSA_BITS} bits, or not the inventory's key); other findings about it are \
         listed as remarks. Rules DNS cannot show are \"not checkable from DNS\", never met.\n",
    );
    let mut receiver = "";
    for rule in RULES {
        if rule.receiver != receiver {
            receiver = rule.receiver;
            help.push_str(&format!("\n{receiver} ({}):\n", rule.source));
        }
        help.push_str(&format!("  {}: {}\n", rule.scope, rule.text));
    }
    help
}

/// Checks the DMARC records of every domain and returns the findings
/// (`dmarc-missing`, `dmarc-multiple`, `dmarc-invalid`,
/// `dmarc-rua-unauthorized`) with the receiver rules judged on them and on
/// the run's other `findings`, the DKIM ones (`verify` checks the
/// selectors of every run) among them.
pub async fn check<L: Lookup>(
    dns: &L,
    inventory: &Inventory,
    findings: &[Finding],
) -> (Vec<Finding>, Vec<ReceiverRule>) {
    let mut own = Vec::new();
    for index in 0..inventory.domains.len() {
        own.extend(dmarc_record(dns, inventory, index).await);
    }
    let all: Vec<&Finding> = findings.iter().chain(&own).collect();
    let seen = Seen {
        findings: &all,
        selectors: inventory
            .domains
            .iter()
            .any(|d| d.dkim.iter().any(|s| !s.retired)),
    };
    let rules = RULES.iter().map(|rule| rule.judge(&seen)).collect();
    (own, rules)
}

/// The DMARC record at `_dmarc.<domain>` of `inventory.domains[index]`
/// (RFC 7489 §6.1) and the authorisation of its external report addresses
/// (§7.1).
async fn dmarc_record<L: Lookup>(dns: &L, inventory: &Inventory, index: usize) -> Vec<Finding> {
    let entry = &inventory.domains[index];
    let domain = entry.name.as_str();
    let owner = format!("_dmarc.{domain}");
    let answer = match dns.txt(&owner).await {
        Err(error) => return vec![Finding::undetermined(&owner, "the DMARC record", error)],
        Ok(answer) => answer,
    };
    let texts: Vec<String> = answer
        .records()
        .iter()
        .map(|strings| String::from_utf8_lossy(&strings.concat()).into_owned())
        .filter(|text| dmarc::is_dmarc(text))
        .collect();
    let record = match texts.as_slice() {
        [] => return vec![dmarc_missing(inventory, index, &owner, &answer)],
        [one] => one,
        many => {
            return vec![Finding::new(
                "dmarc-multiple",
                Severity::Error,
                &owner,
                format!("`{owner}` has {} DMARC records; receivers then ignore DMARC (RFC 7489 §6.6.3)", many.len()),
                "keep exactly one `v=DMARC1` record",
            )
            .values("one record", many.join(" | "))];
        }
    };
    let parsed = match dmarc::parse(record) {
        Err(error) => {
            return vec![
                Finding::new(
                    "dmarc-invalid",
                    Severity::Error,
                    &owner,
                    format!("the DMARC record does not parse: {error}"),
                    "fix the record (`v=DMARC1; p=none; rua=mailto:…`)",
                )
                .values("v=DMARC1; p=…", record.clone()),
            ];
        }
        Ok(parsed) => parsed,
    };
    let mut findings: Vec<Finding> = parsed
        .warnings
        .iter()
        .map(|warning| {
            Finding::new(
                "dmarc-invalid",
                Severity::Warning,
                &owner,
                warning.clone(),
                "fix the record",
            )
        })
        .collect();
    for address in parsed.rua.iter().chain(&parsed.ruf) {
        let Some((_, report_domain)) = address.rsplit_once('@') else {
            continue;
        };
        if names::is_in_zone(report_domain, domain) || names::is_in_zone(domain, report_domain) {
            continue;
        }
        let authorisation = format!("{domain}._report._dmarc.{report_domain}");
        match dns.txt(&authorisation).await {
            Err(error) => findings.push(Finding::undetermined(&owner, &format!("the report authorisation `{authorisation}`"), error)),
            Ok(answer) if answer.records().iter().any(|s| dmarc::is_dmarc(&String::from_utf8_lossy(&s.concat()))) => {}
            Ok(answer) => findings.push(
                Finding::new(
                    "dmarc-rua-unauthorized",
                    Severity::Warning,
                    &owner,
                    format!("reports go to `{address}`, but `{report_domain}` does not authorise them: receivers will not send them (RFC 7489 §7.1)"),
                    format!("the operator of `{report_domain}` publishes `{authorisation}. IN TXT \"v=DMARC1\"`"),
                )
                .values("v=DMARC1", match answer {
                    Answer::NxDomain => "NXDOMAIN".to_owned(),
                    _ => "no DMARC1 record".to_owned(),
                }),
            ),
        }
    }
    findings
}

/// `dmarc-missing` for `inventory.domains[index]`, whose `_dmarc` record
/// `answer` lacks. Its fix comes from the inventory and invents no value:
/// a planned record is published as `generate` writes it; with none
/// planned, the fix is a `dmarc:` entry in the domain's inventory entry
/// (named by file:line:col and key path), of which only `policy:` is
/// required (RFC 7489 §6.3: `p=`; `rua=` is optional).
fn dmarc_missing(
    inventory: &Inventory,
    index: usize,
    owner: &str,
    answer: &Answer<Txt>,
) -> Finding {
    let entry = &inventory.domains[index];
    let domain = &entry.name;
    let actual = super::describe_void(answer, owner);
    if entry.dmarc.is_some() {
        return Finding::new(
            "dmarc-missing",
            Severity::Error,
            owner,
            format!("`{domain}` has no DMARC record, although the inventory plans one"),
            "publish the `_dmarc` record `senderzone generate` writes",
        )
        .values("the planned DMARC record", actual);
    }
    Finding::new(
        "dmarc-missing",
        Severity::Warning,
        owner,
        format!(
            "`{domain}` has no DMARC record, and the inventory plans none; Gmail, Yahoo and Microsoft require one from bulk senders"
        ),
        "add a `dmarc:` entry to this domain in the inventory, at least `dmarc: {policy: none}` (monitoring only; `rua:`, the addresses that receive aggregate reports, is optional), then publish the `_dmarc` record `senderzone generate` writes",
    )
    .values("a `v=DMARC1` record", actual)
    .caused_by(inventory.locate(&format!("domains[{index}]")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &'static str, severity: Severity, subject: &str) -> Finding {
        Finding::new(id, severity, subject, "m", "f")
    }

    /// The first rule whose receiver and text start with `text`, judged;
    /// the inventory has DKIM selectors when `selectors` says so.
    fn judge(findings: &[Finding], selectors: bool, text: &str) -> ReceiverRule {
        let all: Vec<&Finding> = findings.iter().collect();
        let seen = Seen {
            findings: &all,
            selectors,
        };
        let rule = RULES
            .iter()
            .find(|r| format!("{} {}", r.receiver, r.text).starts_with(text))
            .unwrap_or_else(|| panic!("no rule {text}"));
        rule.judge(&seen)
    }

    #[test]
    fn a_key_breaks_the_size_rule_only_under_the_minimum() {
        let weak = |severity| vec![finding("dkim-weak", severity, "s._domainkey.example.com")];
        let rule = judge(&weak(Severity::Warning), true, "Yahoo DKIM key");
        assert_eq!(
            (rule.status, rule.remarks),
            (Status::Met, vec!["dkim-weak"])
        );
        let rule = judge(&weak(Severity::Error), true, "Yahoo DKIM key");
        assert_eq!(
            (rule.status, rule.evidence),
            (Status::NotMet, vec!["dkim-weak"])
        );
        assert!(rule.remarks.is_empty());
        // Without selectors DKIM cannot be seen; SPF alone decides "or".
        assert_eq!(
            judge(&[], false, "Yahoo DKIM key").status,
            Status::NotCheckable
        );
        assert_eq!(judge(&[], false, "Gmail SPF or DKIM").status, Status::Met);
    }

    #[test]
    fn spf_is_broken_by_check_host_not_by_lint() {
        let lint = vec![
            finding("spf-private-address", Severity::Error, "example.com"),
            finding(
                "spf-include-no-record",
                Severity::Error,
                "_spf.partner.example",
            ),
            finding(
                "spf-void-lookups",
                Severity::Warning,
                "_spf.partner.example",
            ),
        ];
        let rule = judge(&lint, true, "Microsoft SPF passes");
        assert_eq!(rule.status, Status::Met, "{rule:?}");
        assert_eq!(rule.remarks.len(), 3);
        let mut broken = lint.clone();
        broken.push(finding("spf-void-lookups", Severity::Error, "example.com"));
        let rule = judge(&broken, true, "Microsoft SPF passes");
        assert_eq!(
            (rule.status, rule.evidence),
            (Status::NotMet, vec!["spf-void-lookups"])
        );
        let denied = vec![finding(
            "spf-not-authorized",
            Severity::Error,
            "example.com",
        )];
        assert_eq!(
            judge(&denied, true, "Gmail SPF or DKIM").status,
            Status::Met
        );
        let rule = judge(&denied, true, "Naver SPF and DKIM");
        assert_eq!(
            (rule.status, rule.evidence),
            (Status::NotMet, vec!["spf-not-authorized"])
        );
        let missing = vec![
            finding("spf-not-authorized", Severity::Error, "example.com"),
            finding("dkim-missing", Severity::Error, "s._domainkey.example.com"),
        ];
        let rule = judge(&missing, true, "Gmail SPF or DKIM");
        assert_eq!(rule.evidence, ["dkim-missing", "spf-not-authorized"]);
    }

    #[test]
    fn reverse_dns_rules_follow_fcrdns_and_yahoo_also_genericity() {
        let mismatch = vec![finding("ptr-mismatch", Severity::Error, "192.0.2.1")];
        let rule = judge(&mismatch, false, "Gmail valid forward");
        assert_eq!(
            (rule.status, rule.remarks),
            (Status::Met, vec!["ptr-mismatch"])
        );
        let generic = vec![finding("ptr-generic", Severity::Warning, "192.0.2.1")];
        assert_eq!(
            judge(&generic, false, "Microsoft valid reverse").status,
            Status::Met
        );
        assert_eq!(
            judge(&generic, false, "Yahoo valid, non-generic").status,
            Status::NotMet
        );
        let fcrdns = vec![finding("fcrdns-fail", Severity::Error, "192.0.2.1")];
        assert_eq!(
            judge(&fcrdns, false, "Naver reverse DNS").status,
            Status::NotMet
        );
    }

    #[test]
    fn an_unanswered_query_leaves_an_unbroken_rule_undetermined() {
        let findings = vec![
            Finding::undetermined("_dmarc.example.com", "the DMARC record", "timed out"),
            finding(
                "dmarc-rua-unauthorized",
                Severity::Warning,
                "_dmarc.example.com",
            ),
        ];
        let rule = judge(&findings, false, "Naver DMARC");
        assert_eq!(rule.status, Status::Undetermined);
        assert_eq!(rule.evidence, ["dns-error"]);
        assert_eq!(rule.remarks, ["dmarc-rua-unauthorized"]);
        let rule = judge(&findings, false, "Gmail TLS");
        assert_eq!(
            (rule.status, rule.evidence.len()),
            (Status::NotCheckable, 0)
        );
    }

    #[test]
    fn help_lists_every_rule_under_its_source() {
        let help = rules_help();
        for rule in RULES {
            assert!(help.contains(rule.source), "{}", rule.source);
            assert!(
                help.contains(&format!("  {}: {}\n", rule.scope, rule.text)),
                "{}",
                rule.text
            );
        }
        assert!(RULES.iter().all(|r| r.source.starts_with("https://")));
    }
}
