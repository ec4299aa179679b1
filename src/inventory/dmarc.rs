//! The optional DMARC policy of a domain (RFC 7489 §6.3), from which
//! `generate` writes the `_dmarc` record.

use std::fmt;

/// What receivers do with mail failing DMARC (`p=` / `sp=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmarcPolicy {
    /// Monitor only.
    None,
    /// Deliver to spam.
    Quarantine,
    /// Refuse.
    Reject,
}

impl DmarcPolicy {
    /// Parses `none`, `quarantine` or `reject`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "none" => Some(DmarcPolicy::None),
            "quarantine" => Some(DmarcPolicy::Quarantine),
            "reject" => Some(DmarcPolicy::Reject),
            _ => Option::None,
        }
    }
}

impl fmt::Display for DmarcPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DmarcPolicy::None => "none",
            DmarcPolicy::Quarantine => "quarantine",
            DmarcPolicy::Reject => "reject",
        })
    }
}

/// Identifier alignment mode (`adkim=` / `aspf=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alignment {
    /// Organisational domains must match (`r`, the default).
    Relaxed,
    /// Exact domains must match (`s`).
    Strict,
}

impl Alignment {
    /// Parses `relaxed` or `strict`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "relaxed" => Some(Alignment::Relaxed),
            "strict" => Some(Alignment::Strict),
            _ => None,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Alignment::Relaxed => "r",
            Alignment::Strict => "s",
        }
    }
}

/// A validated DMARC policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dmarc {
    /// `p=`.
    pub policy: DmarcPolicy,
    /// `sp=`, when it differs from `p=`.
    pub subdomain_policy: Option<DmarcPolicy>,
    /// `rua=`: aggregate report addresses (`local@domain`).
    pub rua: Vec<String>,
    /// `ruf=`: failure report addresses.
    pub ruf: Vec<String>,
    /// `adkim=`.
    pub adkim: Option<Alignment>,
    /// `aspf=`.
    pub aspf: Option<Alignment>,
}

impl Dmarc {
    /// The record text, tags in RFC 7489 §6.3 order: `v=DMARC1; p=…; …`.
    pub fn record_text(&self) -> String {
        let mut tags = vec!["v=DMARC1".to_owned(), format!("p={}", self.policy)];
        if let Some(sp) = self.subdomain_policy {
            tags.push(format!("sp={sp}"));
        }
        if let Some(adkim) = self.adkim {
            tags.push(format!("adkim={}", adkim.tag()));
        }
        if let Some(aspf) = self.aspf {
            tags.push(format!("aspf={}", aspf.tag()));
        }
        for (tag, addresses) in [("rua", &self.rua), ("ruf", &self.ruf)] {
            if !addresses.is_empty() {
                let uris: Vec<String> = addresses.iter().map(|a| format!("mailto:{a}")).collect();
                tags.push(format!("{tag}={}", uris.join(",")));
            }
        }
        tags.join("; ")
    }

    /// The domains receiving reports, each once, in order.
    pub fn report_domains(&self) -> Vec<&str> {
        let mut domains: Vec<&str> = Vec::new();
        for address in self.rua.iter().chain(&self.ruf) {
            if let Some((_, domain)) = address.rsplit_once('@')
                && !domains.contains(&domain)
            {
                domains.push(domain);
            }
        }
        domains
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_tags_in_order() {
        let dmarc = Dmarc {
            policy: DmarcPolicy::Reject,
            subdomain_policy: Some(DmarcPolicy::Quarantine),
            rua: vec!["dmarc@example.com".into(), "agg@reports.example.net".into()],
            ruf: vec![],
            adkim: Some(Alignment::Strict),
            aspf: None,
        };
        assert_eq!(
            dmarc.record_text(),
            "v=DMARC1; p=reject; sp=quarantine; adkim=s; rua=mailto:dmarc@example.com,mailto:agg@reports.example.net"
        );
        assert_eq!(
            dmarc.report_domains(),
            ["example.com", "reports.example.net"]
        );
    }
}
