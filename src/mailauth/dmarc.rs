//! DMARC policy records (RFC 7489 §6.3, with the changes of RFC 9989).

use std::collections::BTreeMap;

use serde::Serialize;

/// A parsed DMARC record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmarcRecord {
    /// `p=`; `None` when absent (RFC 7489 makes it required, RFC 9989 reads
    /// a missing `p` as `none`).
    pub policy: Option<String>,
    /// `sp=`.
    pub subdomain_policy: Option<String>,
    /// Addresses of `rua=` (`mailto:` stripped, size suffix dropped).
    pub rua: Vec<String>,
    /// Addresses of `ruf=`.
    pub ruf: Vec<String>,
    /// Every tag as written.
    pub tags: BTreeMap<String, String>,
    /// Problems that do not make the record unusable.
    pub warnings: Vec<String>,
}

/// Why a DMARC record cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DmarcError(pub String);

/// True when TXT text is meant as DMARC (starts with `v=DMARC1`).
pub fn is_dmarc(text: &str) -> bool {
    text.trim_start()
        .get(..8)
        .is_some_and(|v| v.eq_ignore_ascii_case("v=DMARC1"))
}

/// Parses a DMARC record (RFC 7489 §6.4 grammar).
pub fn parse(text: &str) -> Result<DmarcRecord, DmarcError> {
    let mut tags: BTreeMap<String, String> = BTreeMap::new();
    let mut order = Vec::new();
    for part in text.split(';') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (name, value) = part.split_once('=').ok_or_else(|| {
            DmarcError(format!(
                "`{part}` is not a tag; accepted: name=value pairs separated by `;`"
            ))
        })?;
        let name = name.trim().to_ascii_lowercase();
        if tags.insert(name.clone(), value.trim().to_owned()).is_some() {
            return Err(DmarcError(format!("tag `{name}` appears twice")));
        }
        order.push(name);
    }
    if order.first().map(String::as_str) != Some("v")
        || tags.get("v").map(String::as_str) != Some("DMARC1")
    {
        return Err(DmarcError(
            "the record must start with `v=DMARC1`".to_owned(),
        ));
    }
    let mut warnings = Vec::new();
    let policy_tag = |name: &str| -> Result<Option<String>, DmarcError> {
        match tags.get(name) {
            None => Ok(None),
            Some(value) => {
                let value = value.to_ascii_lowercase();
                if ["none", "quarantine", "reject"].contains(&value.as_str()) {
                    Ok(Some(value))
                } else {
                    Err(DmarcError(format!(
                        "`{name}={value}` is not a policy; accepted: none, quarantine, reject"
                    )))
                }
            }
        }
    };
    let policy = policy_tag("p")?;
    if policy.is_none() {
        warnings.push(
            "no `p=` tag: RFC 7489 requires it (the record is ignored); RFC 9989 reads it as `p=none`"
                .to_owned(),
        );
    } else if order.get(1).map(String::as_str) != Some("p") {
        warnings.push("`p=` should directly follow `v=DMARC1` (RFC 7489 §6.4)".to_owned());
    }
    let subdomain_policy = policy_tag("sp")?;
    for (name, allowed) in [("adkim", ["r", "s"]), ("aspf", ["r", "s"])] {
        if let Some(value) = tags.get(name)
            && !allowed.contains(&value.to_ascii_lowercase().as_str())
        {
            return Err(DmarcError(format!("`{name}={value}`: accepted r or s")));
        }
    }
    for removed in ["pct", "rf", "ri"] {
        if tags.contains_key(removed) {
            warnings.push(format!(
                "`{removed}=` was removed by RFC 9989; receivers may ignore it"
            ));
        }
    }
    let rua = uris(&tags, "rua")?;
    let ruf = uris(&tags, "ruf")?;
    Ok(DmarcRecord {
        policy,
        subdomain_policy,
        rua,
        ruf,
        tags,
        warnings,
    })
}

/// The `mailto:` addresses of a report tag (RFC 7489 §6.2: a size limit
/// may follow `!`).
fn uris(tags: &BTreeMap<String, String>, name: &str) -> Result<Vec<String>, DmarcError> {
    let Some(value) = tags.get(name) else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(str::trim)
        .map(|uri| {
            let address = uri
                .get(..7)
                .filter(|scheme| scheme.eq_ignore_ascii_case("mailto:"))
                .map(|_| &uri[7..])
                .ok_or_else(|| {
                    DmarcError(format!("`{name}` entry `{uri}` is not a mailto: URI"))
                })?;
            let address = address.split('!').next().unwrap_or_default();
            match address.rsplit_once('@') {
                Some((local, domain)) if !local.is_empty() && domain.contains('.') => {
                    Ok(address.to_ascii_lowercase())
                }
                _ => Err(DmarcError(format!(
                    "`{name}` entry `{uri}` does not hold an email address"
                ))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_good_records() {
        let record = parse("v=DMARC1; p=reject; sp=none; rua=mailto:a@example.com,mailto:b@reports.example.net!10m; adkim=s").unwrap();
        assert_eq!(record.policy.as_deref(), Some("reject"));
        assert_eq!(record.subdomain_policy.as_deref(), Some("none"));
        assert_eq!(record.rua, ["a@example.com", "b@reports.example.net"]);
        assert!(record.warnings.is_empty());
        let record = parse("v=DMARC1; rua=mailto:a@example.com; pct=50").unwrap();
        assert_eq!(record.policy, None);
        assert_eq!(record.warnings.len(), 2);
    }

    #[test]
    fn rejects_bad_records() {
        for text in [
            "p=reject; v=DMARC1",
            "v=DMARC2; p=none",
            "v=DMARC1; p=block",
            "v=DMARC1; p=none; rua=https://example.com/r",
            "v=DMARC1; p=none; rua=mailto:nobody",
            "v=DMARC1; p=none; p=reject",
            "v=DMARC1; p=none; adkim=x",
            "v=DMARC1; junk",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
        assert!(is_dmarc("v=DMARC1; p=none"));
        assert!(!is_dmarc("v=spf1 -all"));
    }
}
