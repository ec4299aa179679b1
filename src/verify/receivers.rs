//! `verify --receivers`: DKIM and DMARC records checked, and what DNS shows
//! mapped to the sender rules of Gmail, Yahoo, Microsoft and Naver
//! (deliverability.md §1). Rules DNS cannot show (TLS, one-click
//! unsubscribe, spam rate) are listed as not checkable, never as met.

use std::fmt;

use serde::Serialize;

use crate::dns::{Answer, Lookup};
use crate::finding::{Finding, Severity};
use crate::inventory::Inventory;
use crate::mailauth::{dkim, dmarc};
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
    /// Whether it holds.
    pub status: Status,
    /// The finding ids behind a "not met" or "could not determine".
    pub evidence: Vec<&'static str>,
}

/// A requirement DNS can show, and the findings that break it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Requirement {
    /// The SPF record does its job.
    Spf,
    /// SPF stays within RFC 7208's limits (10 DNS-querying terms, 2 void
    /// lookups, 10 MX names).
    SpfLimits,
    /// Every DKIM selector has a usable key.
    Dkim,
    /// Every DKIM key has 1024 bits or more.
    DkimKeySize,
    /// A DMARC record that parses.
    Dmarc,
    /// PTR and FCrDNS for every server address.
    ReverseDns,
    /// The same, and no PTR name that looks generic.
    CustomReverseDns,
}

impl Requirement {
    /// True when `finding` shows the requirement broken.
    fn broken_by(self, finding: &Finding) -> bool {
        let id = finding.id;
        let error = finding.severity == Severity::Error;
        match self {
            Requirement::Spf => {
                error && id.starts_with("spf-") && !matches!(id, "spf-drift" | "spf-too-permissive")
            }
            Requirement::SpfLimits => {
                error
                    && matches!(
                        id,
                        "spf-too-many-lookups" | "spf-void-lookups" | "spf-mx-too-many"
                    )
            }
            Requirement::Dkim => {
                error
                    && matches!(
                        id,
                        "dkim-missing" | "dkim-invalid" | "dkim-revoked" | "dkim-weak"
                    )
            }
            Requirement::DkimKeySize => {
                error && matches!(id, "dkim-weak" | "dkim-missing" | "dkim-invalid")
            }
            Requirement::Dmarc => {
                id == "dmarc-missing"
                    || (error && id.starts_with("dmarc-") && id != "dmarc-rua-unauthorized")
            }
            Requirement::ReverseDns => {
                error
                    && matches!(
                        id,
                        "ptr-missing" | "ptr-mismatch" | "ptr-cname-missing" | "fcrdns-fail"
                    )
            }
            Requirement::CustomReverseDns => {
                Requirement::ReverseDns.broken_by(finding) || (error && id == "ptr-generic")
            }
        }
    }

    /// The id prefixes of the findings shown as evidence.
    fn evidence(self) -> &'static [&'static str] {
        match self {
            Requirement::Spf | Requirement::SpfLimits => &["spf-"],
            Requirement::Dkim | Requirement::DkimKeySize => &["dkim-"],
            Requirement::Dmarc => &["dmarc-"],
            Requirement::ReverseDns | Requirement::CustomReverseDns => &["ptr-", "fcrdns-"],
        }
    }

    /// Whether it holds, as far as `seen` shows.
    fn status(self, seen: &Seen<'_>) -> Status {
        let dkim = matches!(self, Requirement::Dkim | Requirement::DkimKeySize);
        if dkim && !seen.selectors {
            Status::NotCheckable
        } else if seen.findings.iter().any(|f| self.broken_by(f)) {
            Status::NotMet
        } else if seen.findings.iter().any(|f| f.is_undetermined()) {
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
    /// One requirement.
    One(Requirement),
    /// At least one of two requirements.
    Either(Requirement, Requirement),
    /// Both of two requirements.
    Both(Requirement, Requirement),
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
    /// What DNS must show.
    test: Test,
}

const ALL_SENDERS: &str = "all senders";
const BULK_SENDERS: &str = "bulk senders";
const UNSUBSCRIBE: &str = "one-click unsubscribe (RFC 8058), honoured within 2 days";

/// The sender rules of Gmail, Yahoo, Microsoft and Naver
/// (deliverability.md §1.1–§1.4), in the order the report shows them.
const RULES: &[Rule] = {
    use Requirement::{CustomReverseDns, Dkim, DkimKeySize, Dmarc, ReverseDns, Spf, SpfLimits};
    use Test::{Both, Either, NotCheckable, One};
    const fn rule(
        receiver: &'static str,
        scope: &'static str,
        text: &'static str,
        test: Test,
    ) -> Rule {
        Rule {
            receiver,
            scope,
            text,
            test,
        }
    }
    &[
        rule("Gmail", ALL_SENDERS, "SPF or DKIM", Either(Spf, Dkim)),
        rule(
            "Gmail",
            ALL_SENDERS,
            "valid forward and reverse DNS (PTR, FCrDNS) for every sending IP",
            One(ReverseDns),
        ),
        rule("Gmail", ALL_SENDERS, "TLS for transmission", NotCheckable),
        rule(
            "Gmail",
            ALL_SENDERS,
            "spam rate below 0.3% (Postmaster Tools)",
            NotCheckable,
        ),
        rule("Gmail", BULK_SENDERS, "SPF and DKIM", Both(Spf, Dkim)),
        rule(
            "Gmail",
            BULK_SENDERS,
            "DMARC record, p=none or stricter",
            One(Dmarc),
        ),
        rule(
            "Gmail",
            BULK_SENDERS,
            "From domain aligned with SPF or DKIM",
            NotCheckable,
        ),
        rule("Gmail", BULK_SENDERS, UNSUBSCRIBE, NotCheckable),
        rule("Yahoo", ALL_SENDERS, "SPF or DKIM", Either(Spf, Dkim)),
        rule(
            "Yahoo",
            ALL_SENDERS,
            "valid, non-generic PTR and FCrDNS for IPv4 and IPv6",
            One(CustomReverseDns),
        ),
        rule("Yahoo", ALL_SENDERS, "spam rate below 0.3%", NotCheckable),
        rule("Yahoo", BULK_SENDERS, "SPF and DKIM", Both(Spf, Dkim)),
        rule(
            "Yahoo",
            BULK_SENDERS,
            "DKIM key of 1024 bits or more",
            One(DkimKeySize),
        ),
        rule(
            "Yahoo",
            BULK_SENDERS,
            "DMARC record, p=none or stricter, passing and aligned",
            One(Dmarc),
        ),
        rule("Yahoo", BULK_SENDERS, UNSUBSCRIBE, NotCheckable),
        rule(
            "Microsoft",
            BULK_SENDERS,
            "SPF passes, within the 10-lookup limit",
            Both(Spf, SpfLimits),
        ),
        rule("Microsoft", BULK_SENDERS, "DKIM passes", One(Dkim)),
        rule(
            "Microsoft",
            BULK_SENDERS,
            "DMARC record, p=none or stricter, aligned",
            One(Dmarc),
        ),
        rule(
            "Microsoft",
            ALL_SENDERS,
            "valid reverse DNS",
            One(ReverseDns),
        ),
        rule("Naver", ALL_SENDERS, "SPF and DKIM", Both(Spf, Dkim)),
        rule("Naver", ALL_SENDERS, "reverse DNS", One(ReverseDns)),
        rule("Naver", BULK_SENDERS, "DMARC record", One(Dmarc)),
    ]
};

/// What the rules are judged on.
struct Seen<'a> {
    /// Every finding of the run.
    findings: &'a [&'a Finding],
    /// Whether the inventory names any DKIM selector.
    selectors: bool,
}

impl Rule {
    /// Judges the rule on what DNS showed.
    fn judge(&self, seen: &Seen<'_>) -> ReceiverRule {
        let (status, prefixes): (Status, Vec<&str>) = match self.test {
            Test::NotCheckable => (Status::NotCheckable, Vec::new()),
            Test::One(a) => (a.status(seen), a.evidence().to_vec()),
            Test::Either(a, b) => (
                either(a.status(seen), b.status(seen)),
                [a.evidence(), b.evidence()].concat(),
            ),
            Test::Both(a, b) => (
                both(a.status(seen), b.status(seen)),
                [a.evidence(), b.evidence()].concat(),
            ),
        };
        let mut evidence: Vec<&'static str> = Vec::new();
        if matches!(status, Status::NotMet | Status::Undetermined) {
            evidence = seen
                .findings
                .iter()
                .map(|f| f.id)
                .filter(|id| prefixes.iter().any(|prefix| id.starts_with(prefix)))
                .collect();
            evidence.sort_unstable();
            evidence.dedup();
        }
        ReceiverRule {
            receiver: self.receiver,
            scope: self.scope,
            rule: self.text,
            status,
            evidence,
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

/// Checks the DKIM keys and DMARC records of every domain and returns the
/// findings (`dkim-missing`, `dkim-invalid`, `dkim-revoked`, `dkim-weak`,
/// `dkim-testing`, `dmarc-missing`, `dmarc-multiple`, `dmarc-invalid`,
/// `dmarc-rua-unauthorized`) with the receiver rules judged on
/// them and on the run's other `findings`.
pub async fn check<L: Lookup>(
    dns: &L,
    inventory: &Inventory,
    findings: &[Finding],
) -> (Vec<Finding>, Vec<ReceiverRule>) {
    let mut own = Vec::new();
    for domain in &inventory.domains {
        for selector in &domain.dkim_selectors {
            own.extend(dkim_key(dns, &domain.name, selector).await);
        }
        own.extend(dmarc_record(dns, &domain.name).await);
    }
    let all: Vec<&Finding> = findings.iter().chain(&own).collect();
    let seen = Seen {
        findings: &all,
        selectors: inventory
            .domains
            .iter()
            .any(|d| !d.dkim_selectors.is_empty()),
    };
    let rules = RULES.iter().map(|rule| rule.judge(&seen)).collect();
    (own, rules)
}

/// The DKIM key at `<selector>._domainkey.<domain>` (RFC 6376 §3.6.2.1).
async fn dkim_key<L: Lookup>(dns: &L, domain: &str, selector: &str) -> Vec<Finding> {
    let owner = format!("{selector}._domainkey.{domain}");
    let texts = match dns.txt(&owner).await {
        Err(error) => return vec![Finding::undetermined(&owner, "the DKIM key", error)],
        Ok(answer) => answer
            .records()
            .iter()
            .map(|strings| String::from_utf8_lossy(&strings.concat()).into_owned())
            .collect::<Vec<_>>(),
    };
    let fix_publish = format!(
        "publish the public key of selector `{selector}` at `{owner}` as your signer shows it"
    );
    let Some(text) = texts.first() else {
        return vec![Finding::new(
            "dkim-missing",
            Severity::Error,
            &owner,
            format!(
                "no DKIM key for selector `{selector}` of `{domain}`: receivers cannot verify its signatures"
            ),
            fix_publish,
        )];
    };
    match dkim::parse(text) {
        Err(error) => vec![
            Finding::new(
                "dkim-invalid",
                Severity::Error,
                &owner,
                format!("the DKIM key record does not parse: {error}"),
                fix_publish,
            )
            .values("v=DKIM1; k=rsa; p=<base64 key>", text.clone()),
        ],
        Ok(key) => {
            let mut findings = Vec::new();
            match key.bits {
                None => findings.push(Finding::new(
                    "dkim-revoked",
                    Severity::Error,
                    &owner,
                    format!("the DKIM key of selector `{selector}` is revoked (empty `p=`)"),
                    "sign with a selector that has a key, or publish a new key here",
                )),
                Some(bits) if key.algorithm == "rsa" && bits < 1024 => findings.push(
                    Finding::new(
                        "dkim-weak",
                        Severity::Error,
                        &owner,
                        format!("the RSA key of selector `{selector}` has {bits} bits: RFC 8301 forbids treating keys under 1024 bits as valid"),
                        "generate a 2048-bit key and publish it under a new selector",
                    )
                    .values("2048 bits", format!("{bits} bits")),
                ),
                Some(bits) if key.algorithm == "rsa" && bits < 2048 => findings.push(
                    Finding::new(
                        "dkim-weak",
                        Severity::Info,
                        &owner,
                        format!("the RSA key of selector `{selector}` has {bits} bits; 2048 is recommended"),
                        "generate a 2048-bit key when you next rotate",
                    )
                    .values("2048 bits", format!("{bits} bits")),
                ),
                Some(_) => {}
            }
            if key.testing {
                findings.push(Finding::new(
                    "dkim-testing",
                    Severity::Info,
                    &owner,
                    format!("selector `{selector}` is in test mode (`t=y`): receivers may ignore failures"),
                    "remove `t=y` once signing works",
                ));
            }
            findings
        }
    }
}

/// The DMARC record at `_dmarc.<domain>` (RFC 7489 §6.1) and the
/// authorisation of its external report addresses (§7.1).
async fn dmarc_record<L: Lookup>(dns: &L, domain: &str) -> Vec<Finding> {
    let owner = format!("_dmarc.{domain}");
    let texts: Vec<String> = match dns.txt(&owner).await {
        Err(error) => return vec![Finding::undetermined(&owner, "the DMARC record", error)],
        Ok(answer) => answer
            .records()
            .iter()
            .map(|strings| String::from_utf8_lossy(&strings.concat()).into_owned())
            .filter(|text| dmarc::is_dmarc(text))
            .collect(),
    };
    let record = match texts.as_slice() {
        [] => {
            return vec![Finding::new(
                "dmarc-missing",
                Severity::Warning,
                &owner,
                format!(
                    "`{domain}` has no DMARC record; Gmail, Yahoo and Microsoft require one from bulk senders"
                ),
                format!(
                    "publish `{owner}. IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}\"` (add `dmarc:` to the inventory and run generate)"
                ),
            )];
        }
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
