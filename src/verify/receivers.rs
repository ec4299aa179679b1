//! `verify --receivers`: DKIM and DMARC records checked, and what DNS shows
//! mapped to the sender rules of Gmail, Yahoo, Microsoft and Naver
//! (deliverability.md §1). Rules DNS cannot show (TLS, one-click
//! unsubscribe, spam rate) are listed as not checkable, never as met.

use std::fmt;

use serde::Serialize;

use super::finding::{Finding, Report, Severity};
use crate::dns::{Answer, Lookup};
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

/// One rule of one receiver.
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

/// What DNS showed, summed up per requirement.
#[derive(Debug, Clone, Copy)]
struct Facts {
    spf: Status,
    spf_limit: Status,
    dkim: Status,
    dkim_1024: Status,
    dmarc: Status,
    ptr: Status,
    ptr_custom: Status,
}

/// Checks the DKIM keys and DMARC records of every domain and returns the
/// findings (`dkim-missing`, `dkim-invalid`, `dkim-revoked`, `dkim-weak`,
/// `dkim-testing`, `dmarc-missing`, `dmarc-multiple`, `dmarc-invalid`,
/// `dmarc-rua-unauthorized`) with the receiver rules they and the report's
/// other findings support.
pub async fn check<L: Lookup>(
    dns: &L,
    inventory: &Inventory,
    report: &Report,
) -> (Vec<Finding>, Vec<ReceiverRule>) {
    let mut findings = Vec::new();
    for domain in &inventory.domains {
        for selector in &domain.dkim_selectors {
            findings.extend(dkim_key(dns, &domain.name, selector).await);
        }
        findings.extend(dmarc_record(dns, &domain.name).await);
    }
    let selectors = inventory
        .domains
        .iter()
        .any(|d| !d.dkim_selectors.is_empty());
    let all: Vec<&Finding> = report.findings.iter().chain(&findings).collect();
    let facts = Facts {
        spf: status(&all, |id| {
            id.starts_with("spf-") && id != "spf-drift" && id != "spf-too-permissive"
        }),
        spf_limit: status(&all, |id| {
            matches!(
                id,
                "spf-too-many-lookups" | "spf-void-lookups" | "spf-mx-too-many"
            )
        }),
        dkim: if selectors {
            status(&all, |id| {
                matches!(
                    id,
                    "dkim-missing" | "dkim-invalid" | "dkim-revoked" | "dkim-weak"
                )
            })
        } else {
            Status::NotCheckable
        },
        dkim_1024: if selectors {
            status(&all, |id| {
                matches!(id, "dkim-weak" | "dkim-missing" | "dkim-invalid")
            })
        } else {
            Status::NotCheckable
        },
        dmarc: if all.iter().any(|f| f.id == "dmarc-missing") {
            Status::NotMet
        } else {
            status(&all, |id| {
                id.starts_with("dmarc-") && id != "dmarc-rua-unauthorized"
            })
        },
        ptr: status(&all, |id| {
            matches!(
                id,
                "ptr-missing" | "ptr-mismatch" | "ptr-cname-missing" | "fcrdns-fail"
            )
        }),
        ptr_custom: status(&all, |id| {
            matches!(
                id,
                "ptr-missing"
                    | "ptr-mismatch"
                    | "ptr-cname-missing"
                    | "fcrdns-fail"
                    | "ptr-generic"
            )
        }),
    };
    let evidence = |status: Status, ids: &[&'static str]| -> Vec<&'static str> {
        if matches!(status, Status::Met | Status::NotCheckable) {
            return Vec::new();
        }
        let mut found: Vec<&'static str> = all
            .iter()
            .map(|f| f.id)
            .filter(|id| ids.iter().any(|prefix| id.starts_with(prefix)))
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    };
    let either = |a: Status, b: Status| match (a, b) {
        (Status::Met, _) | (_, Status::Met) => Status::Met,
        (Status::Undetermined, _) | (_, Status::Undetermined) => Status::Undetermined,
        (Status::NotCheckable, _) | (_, Status::NotCheckable) => Status::NotCheckable,
        _ => Status::NotMet,
    };
    let both = |a: Status, b: Status| match (a, b) {
        (Status::NotMet, _) | (_, Status::NotMet) => Status::NotMet,
        (Status::Undetermined, _) | (_, Status::Undetermined) => Status::Undetermined,
        (Status::NotCheckable, _) | (_, Status::NotCheckable) => Status::NotCheckable,
        _ => Status::Met,
    };
    let auth: &[&'static str] = &["spf-", "dkim-"];
    let ptr_ids: &[&'static str] = &["ptr-", "fcrdns-"];
    let mut rules = Vec::new();
    let mut rule = |receiver, scope, rule, status: Status, ids: &[&'static str]| {
        rules.push(ReceiverRule {
            receiver,
            scope,
            rule,
            status,
            evidence: evidence(status, ids),
        });
    };
    let (all_senders, bulk) = ("all senders", "bulk senders");
    let unsubscribe = "one-click unsubscribe (RFC 8058), honoured within 2 days";
    rule(
        "Gmail",
        all_senders,
        "SPF or DKIM",
        either(facts.spf, facts.dkim),
        auth,
    );
    rule(
        "Gmail",
        all_senders,
        "valid forward and reverse DNS (PTR, FCrDNS) for every sending IP",
        facts.ptr,
        ptr_ids,
    );
    rule(
        "Gmail",
        all_senders,
        "TLS for transmission",
        Status::NotCheckable,
        &[],
    );
    rule(
        "Gmail",
        all_senders,
        "spam rate below 0.3% (Postmaster Tools)",
        Status::NotCheckable,
        &[],
    );
    rule(
        "Gmail",
        bulk,
        "SPF and DKIM",
        both(facts.spf, facts.dkim),
        auth,
    );
    rule(
        "Gmail",
        bulk,
        "DMARC record, p=none or stricter",
        facts.dmarc,
        &["dmarc-"],
    );
    rule(
        "Gmail",
        bulk,
        "From domain aligned with SPF or DKIM",
        Status::NotCheckable,
        &[],
    );
    rule("Gmail", bulk, unsubscribe, Status::NotCheckable, &[]);
    rule(
        "Yahoo",
        all_senders,
        "SPF or DKIM",
        either(facts.spf, facts.dkim),
        auth,
    );
    rule(
        "Yahoo",
        all_senders,
        "valid, non-generic PTR and FCrDNS for IPv4 and IPv6",
        facts.ptr_custom,
        ptr_ids,
    );
    rule(
        "Yahoo",
        all_senders,
        "spam rate below 0.3%",
        Status::NotCheckable,
        &[],
    );
    rule(
        "Yahoo",
        bulk,
        "SPF and DKIM",
        both(facts.spf, facts.dkim),
        auth,
    );
    rule(
        "Yahoo",
        bulk,
        "DKIM key of 1024 bits or more",
        facts.dkim_1024,
        &["dkim-"],
    );
    rule(
        "Yahoo",
        bulk,
        "DMARC record, p=none or stricter, passing and aligned",
        facts.dmarc,
        &["dmarc-"],
    );
    rule("Yahoo", bulk, unsubscribe, Status::NotCheckable, &[]);
    rule(
        "Microsoft",
        bulk,
        "SPF passes, within the 10-lookup limit",
        both(facts.spf, facts.spf_limit),
        &["spf-"],
    );
    rule("Microsoft", bulk, "DKIM passes", facts.dkim, &["dkim-"]);
    rule(
        "Microsoft",
        bulk,
        "DMARC record, p=none or stricter, aligned",
        facts.dmarc,
        &["dmarc-"],
    );
    rule(
        "Microsoft",
        all_senders,
        "valid reverse DNS",
        facts.ptr,
        ptr_ids,
    );
    rule(
        "Naver",
        all_senders,
        "SPF and DKIM",
        both(facts.spf, facts.dkim),
        auth,
    );
    rule("Naver", all_senders, "reverse DNS", facts.ptr, ptr_ids);
    rule("Naver", bulk, "DMARC record", facts.dmarc, &["dmarc-"]);
    (findings, rules)
}

/// Met unless a finding `bad` says otherwise; undetermined when the only
/// relevant trouble is a DNS error.
fn status(findings: &[&Finding], bad: impl Fn(&str) -> bool) -> Status {
    if findings
        .iter()
        .any(|f| bad(f.id) && f.severity == Severity::Error)
    {
        Status::NotMet
    } else if findings.iter().any(|f| f.is_dns_error()) {
        Status::Undetermined
    } else {
        Status::Met
    }
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
            .values(
                "v=DKIM1; k=rsa; p=<base64 key>",
                super::escape(text).into_owned(),
            ),
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
            .values("one record", many.iter().map(|t| super::escape(t).into_owned()).collect::<Vec<_>>().join(" | "))];
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
                .values("v=DMARC1; p=…", super::escape(record).into_owned()),
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
