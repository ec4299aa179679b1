//! Checks of a domain's DKIM selectors: the key record at each
//! `SELECTOR._domainkey.DOMAIN` (RFC 6376 §3.6.2.1) is there, parses, is
//! strong enough (RFC 8301), holds the inventory's key (compared as a key,
//! not as text), is revoked only when retired, and is not left in test
//! mode.

use crate::dns::Lookup;
use crate::finding::{Finding, Severity};
use crate::inventory::{DkimSelector, Domain};
use crate::mailauth::dkim::{self, KeyRecord, KeyType, MIN_RSA_BITS, RECOMMENDED_RSA_BITS};
use crate::names::DomainName;

/// Every finding about the DKIM selectors of `domain`.
pub(super) async fn check<L: Lookup>(dns: &L, domain: &Domain) -> Vec<Finding> {
    let mut findings = Vec::new();
    for selector in &domain.dkim {
        findings.extend(check_selector(dns, &domain.name, selector, true).await.1);
    }
    findings
}

/// The TXT records at one selector's key name, joined, and their
/// findings; `inventory` tells whether the selector is the inventory's
/// (whose `t=` and `h=` the record should have too) or one checked alone
/// (`dkim check`).
pub(crate) async fn check_selector<L: Lookup>(
    dns: &L,
    domain: &DomainName,
    selector: &DkimSelector,
    inventory: bool,
) -> (Vec<String>, Vec<Finding>) {
    let owner = selector.owner(domain);
    let name = &selector.selector;
    let texts: Vec<String> = match dns.txt(&owner).await {
        Err(error) => {
            let finding =
                Finding::undetermined(&owner, &format!("the DKIM key of selector `{name}`"), error);
            return (Vec::new(), vec![finding]);
        }
        Ok(answer) => answer
            .records()
            .iter()
            .map(|strings| String::from_utf8_lossy(&strings.concat()).into_owned())
            .collect(),
    };
    let planned = selector.record_text();
    let publish = match &planned {
        Some(_) if inventory => "publish the record `senderzone generate` writes".to_owned(),
        Some(planned) => format!("publish `{planned}`"),
        None => format!("publish the public key of selector `{name}` as your signer shows it"),
    };
    if texts.is_empty() {
        if selector.retired {
            // Nothing published is as revoked as an empty `p=`.
            return (texts, Vec::new());
        }
        let mut missing = Finding::new(
            "dkim-missing",
            Severity::Error,
            &owner,
            format!(
                "no DKIM key record for selector `{name}` of `{domain}`: receivers cannot verify its signatures"
            ),
            publish,
        );
        if let Some(planned) = planned {
            missing = missing.values(planned, "no TXT record");
        }
        return (texts, vec![missing]);
    }
    let mut findings = Vec::new();
    if texts.len() > 1 {
        findings.push(
            Finding::new(
                "dkim-syntax",
                Severity::Warning,
                &owner,
                format!(
                    "{} TXT records at the key name of selector `{name}`: verifiers may use any one of them (RFC 6376 §3.6.2.2)",
                    texts.len()
                ),
                format!("keep one record: {publish}"),
            )
            .values("one record", texts.join(" | ")),
        );
    }
    for text in &texts {
        findings.extend(check_record(
            &owner,
            selector,
            planned.as_deref(),
            text,
            inventory,
        ));
    }
    (texts, findings)
}

/// The findings of one published record of `selector`, whose planned
/// text, if senderzone publishes one, is `planned`; `inventory` as for
/// [`check_selector`].
pub(crate) fn check_record(
    owner: &str,
    selector: &DkimSelector,
    planned: Option<&str>,
    text: &str,
    inventory: bool,
) -> Vec<Finding> {
    let name = &selector.selector;
    // `dkim check --record` names no selector.
    let of = match name.as_str() {
        "" => String::new(),
        name => format!(" of selector `{name}`"),
    };
    let expected = planned.unwrap_or("v=DKIM1; k=rsa; p=<base64 key>");
    let record = match dkim::parse(text) {
        Ok(record) => record,
        Err(error) => {
            return vec![
                Finding::new(
                    "dkim-syntax",
                    Severity::Error,
                    owner,
                    format!(
                        "the DKIM key record{of} does not parse, so verifiers ignore it: {error}"
                    ),
                    match planned {
                        Some(_) if inventory => {
                            "publish the record `senderzone generate` writes".to_owned()
                        }
                        Some(planned) => format!("publish `{planned}`"),
                        None => "fix the record as your signer shows it".to_owned(),
                    },
                )
                .values(expected, text),
            ];
        }
    };
    let mut findings = Vec::new();
    let Some(published) = &record.key else {
        if !selector.retired {
            findings.push(
                Finding::new(
                    "dkim-revoked",
                    Severity::Error,
                    owner,
                    format!(
                        "the DKIM key{of} is revoked (empty `p=`): signatures with it fail; fine only for a selector no longer used"
                    ),
                    "sign with a selector that has a key and mark this one `retired: true`, or publish its key again",
                )
                .values(expected, text),
            );
        }
        return findings;
    };
    if selector.retired {
        findings.push(
            Finding::new(
                "dkim-drift",
                Severity::Warning,
                owner,
                format!(
                    "selector `{name}` is retired in the inventory, but its key is still published: signatures made with it still verify"
                ),
                "publish the revocation `senderzone generate` writes (an empty `p=`, RFC 6376 §3.6.1)",
            )
            .values(expected, text),
        );
        return findings;
    }
    findings.extend(weakness(owner, &of, &record));
    if let Some(key) = &selector.key {
        let file = key.file.display();
        if *published != key.public {
            findings.push(
                Finding::new(
                    "dkim-drift",
                    Severity::Error,
                    owner,
                    format!(
                        "the published key{of} is not the key of `{file}` (published: {} {} bits; `{file}`: {} {} bits): signatures made with that key fail",
                        published.key_type().label(),
                        published.bits(),
                        key.public.key_type().label(),
                        key.public.bits(),
                    ),
                    if inventory {
                        "publish the record `senderzone generate` writes, or name the key the signer uses in the inventory"
                    } else {
                        "publish the key the signer uses (the expected value holds the file's), or give the signer the file's key"
                    },
                )
                .values(expected, text),
            );
        } else if inventory && tags_differ(selector, &record) {
            findings.push(
                Finding::new(
                    "dkim-drift",
                    Severity::Warning,
                    owner,
                    format!(
                        "the published key{of} is the inventory's, but its `t=` flags or `h=` hashes differ from the inventory's"
                    ),
                    "publish the record `senderzone generate` writes",
                )
                .values(expected, text),
            );
        }
    }
    if record.testing() {
        findings.push(Finding::new(
            "dkim-testing",
            Severity::Info,
            owner,
            format!(
                "the key{of} is in test mode (`t=y`): verifiers may treat its failures as no signature (RFC 6376 §3.6.1)"
            ),
            "remove `y` from the flags once signing works",
        ));
    }
    findings
}

/// `dkim-weak` for an RSA key under RFC 8301's minimum (error) or its
/// recommended size (warning), and for a key limited to SHA-1.
fn weakness(owner: &str, of: &str, record: &KeyRecord) -> Vec<Finding> {
    let mut findings = Vec::new();
    let bits = record.bits().unwrap_or(0);
    if record.key_type == KeyType::Rsa && record.key.is_some() {
        if bits < MIN_RSA_BITS {
            findings.push(
                Finding::new(
                    "dkim-weak",
                    Severity::Error,
                    owner,
                    format!(
                        "the RSA key{of} has {bits} bits: RFC 8301 §3.2 forbids verifiers to accept keys under {MIN_RSA_BITS} bits"
                    ),
                    format!(
                        "generate a {RECOMMENDED_RSA_BITS}-bit key (`senderzone dkim keygen`) and publish it under a new selector"
                    ),
                )
                .values(format!("{RECOMMENDED_RSA_BITS} bits"), format!("{bits} bits")),
            );
        } else if bits < RECOMMENDED_RSA_BITS {
            findings.push(
                Finding::new(
                    "dkim-weak",
                    Severity::Warning,
                    owner,
                    format!(
                        "the RSA key{of} has {bits} bits; RFC 8301 §3.2 says signers should use {RECOMMENDED_RSA_BITS}"
                    ),
                    format!(
                        "move to a {RECOMMENDED_RSA_BITS}-bit key under a new selector when you next rotate (`senderzone dkim keygen`)"
                    ),
                )
                .values(format!("{RECOMMENDED_RSA_BITS} bits"), format!("{bits} bits")),
            );
        }
    }
    if record.sha1_only() {
        findings.push(
            Finding::new(
                "dkim-weak",
                Severity::Error,
                owner,
                format!(
                    "the key{of} may be used with SHA-1 only (`h=sha1`), which RFC 8301 §3.1 forbids: no signature verifies"
                ),
                "publish the key with `h=sha256`, or without `h=`",
            )
            .values("h=sha256", "h=sha1"),
        );
    }
    findings
}

/// True when the published `t=` or `h=` differ from the inventory's, as
/// sets.
fn tags_differ(selector: &DkimSelector, record: &KeyRecord) -> bool {
    let same = |a: &[String], b: &[String]| {
        a.iter().all(|x| b.contains(x)) && b.iter().all(|x| a.contains(x))
    };
    !same(&selector.flags, &record.flags) || !same(&selector.hashes, &record.hashes)
}
