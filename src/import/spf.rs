//! What the terms of one published SPF record mean for an inventory:
//! pure, no DNS. The walk in [`super`] fetches what [`Item::Expand`] and
//! [`Item::Host`] name and classifies again.

use std::fmt;
use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::names::DomainName;
use crate::spf::{Directive, DualCidr, MacroString, Mechanism, Modifier, Qualifier, Record, Term};

/// Where a value came from: the record (owner and type) and the term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The record, such as `example.com TXT`.
    pub record: String,
    /// The term as published, such as `ip4:192.0.2.10`.
    pub term: String,
    /// How the term led to the value, when it took another record (the
    /// MX record of an `mx` term).
    pub via: Option<String>,
}

impl Origin {
    /// The term `term` of the TXT record at `owner`.
    pub fn txt(owner: &str, term: impl fmt::Display) -> Origin {
        Origin {
            record: format!("{owner} TXT"),
            term: term.to_string(),
            via: None,
        }
    }

    /// This origin, reached through `via`.
    pub fn via(&self, via: String) -> Origin {
        Origin {
            via: Some(via),
            ..self.clone()
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.term.is_empty() {
            true => f.write_str(&self.record)?,
            false => write!(f, "{} `{}`", self.record, self.term)?,
        }
        match &self.via {
            Some(via) => write!(f, " ({via})"),
            None => Ok(()),
        }
    }
}

/// What one term of a record becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `ip4:` / `ip6:`: a network (host bits cleared; `truncated` says
    /// there were some).
    Net {
        /// The network.
        net: IpNet,
        /// The term had host bits set after its prefix.
        truncated: bool,
        /// The term.
        origin: Origin,
    },
    /// `a`, `a:HOST`, `mx`, `mx:DOMAIN`: a host whose addresses (or whose
    /// MX hosts' addresses) send.
    Host {
        /// The host (for `a`) or the domain whose MX hosts send (for `mx`).
        name: DomainName,
        /// `mx` rather than `a`.
        mx: bool,
        /// The prefix lengths; the default makes servers, others networks.
        cidr: DualCidr,
        /// The term.
        origin: Origin,
    },
    /// An `include:` that stays one (a third party's record).
    Include {
        /// The included domain.
        target: DomainName,
        /// The term.
        origin: Origin,
    },
    /// An `include:` of one of the imported zones, or a `redirect=`: the
    /// record it names is read and its terms taken in.
    Expand {
        /// The domain whose record is taken in.
        target: DomainName,
        /// `redirect=` rather than `include:`.
        redirect: bool,
        /// The term.
        origin: Origin,
    },
    /// The final `all`.
    All {
        /// Its qualifier.
        qualifier: Qualifier,
        /// The term.
        origin: Origin,
    },
    /// A term the inventory cannot hold: kept as a comment, with why.
    Skipped {
        /// Why it is not represented.
        why: String,
        /// The term.
        origin: Origin,
    },
}

/// The name a term names, unless it holds a macro.
fn name_of(spec: &MacroString) -> Option<DomainName> {
    let name = DomainName::from(spec.as_literal()?);
    (!name.is_empty()).then_some(name)
}

/// The items of `record`, published at `owner`, in the order written.
/// `own` tells whether a domain is in one of the imported zones: its
/// `include:` is taken in, a third party's stays an include.
pub fn classify(record: &Record, owner: &str, own: impl Fn(&str) -> bool) -> Vec<Item> {
    let has_all = record.all_index().is_some();
    let mut items = Vec::new();
    for at in &record.terms {
        let origin = Origin::txt(owner, &at.term);
        let skip = |why: &str| Item::Skipped {
            why: why.to_owned(),
            origin: origin.clone(),
        };
        let item = match &at.term {
            Term::Directive(directive) => directive_item(directive, owner, &own, origin.clone()),
            Term::Modifier(Modifier::Redirect(_)) if has_all => {
                skip("ignored by receivers: the record has an `all` (RFC 7208 §6.1)")
            }
            Term::Modifier(Modifier::Redirect(target)) => match name_of(target) {
                Some(target) => Item::Expand {
                    target,
                    redirect: true,
                    origin,
                },
                None => skip("a macro, not expanded: the inventory holds no macros"),
            },
            Term::Modifier(Modifier::Explanation(_)) => {
                skip("`exp=`: the inventory has no explanation text; receivers give their default")
            }
            Term::Modifier(Modifier::Unknown { .. }) => {
                skip("an unknown modifier, which receivers ignore")
            }
        };
        items.push(item);
    }
    items
}

fn directive_item(
    directive: &Directive,
    owner: &str,
    own: &impl Fn(&str) -> bool,
    origin: Origin,
) -> Item {
    let skip = |why: &str| Item::Skipped {
        why: why.to_owned(),
        origin: origin.clone(),
    };
    let qualifier = directive.effective_qualifier();
    if directive.mechanism == Mechanism::All {
        return Item::All { qualifier, origin };
    }
    if qualifier != Qualifier::Pass {
        return skip(&format!(
            "a `{}` qualifier: the inventory lists senders that pass, nothing else",
            qualifier.symbol()
        ));
    }
    let macro_why = "a macro, not expanded: the inventory holds no macros";
    match &directive.mechanism {
        Mechanism::All => unreachable!("handled above"),
        Mechanism::Ip4 { addr, prefix } => {
            let net = Ipv4Net::new(*addr, prefix.unwrap_or(32)).expect("parsed prefixes are valid");
            Item::Net {
                net: IpNet::V4(net.trunc()),
                truncated: net.trunc().addr() != *addr,
                origin,
            }
        }
        Mechanism::Ip6 { addr, prefix } => {
            let net =
                Ipv6Net::new(*addr, prefix.unwrap_or(128)).expect("parsed prefixes are valid");
            Item::Net {
                net: IpNet::V6(net.trunc()),
                truncated: net.trunc().addr() != *addr,
                origin,
            }
        }
        Mechanism::A { domain, cidr } | Mechanism::Mx { domain, cidr } => {
            let name = match domain {
                None => Some(DomainName::from(owner)),
                Some(spec) => name_of(spec),
            };
            match name {
                Some(name) => Item::Host {
                    name,
                    mx: matches!(directive.mechanism, Mechanism::Mx { .. }),
                    cidr: *cidr,
                    origin,
                },
                None => skip(macro_why),
            }
        }
        Mechanism::Include(spec) => match name_of(spec) {
            Some(target) if own(&target) => Item::Expand {
                target,
                redirect: false,
                origin,
            },
            Some(target) => Item::Include { target, origin },
            None => skip(macro_why),
        },
        Mechanism::Exists(spec) if spec.has_macros() => {
            skip("`exists:` with a macro, not expanded: the inventory holds no macros")
        }
        Mechanism::Exists(_) => {
            skip("`exists:`: the inventory has no place for it (it authorises no address)")
        }
        Mechanism::Ptr(_) => skip(
            "`ptr`: the inventory has no place for it (RFC 7208 §5.5: do not use it); list the servers instead",
        ),
    }
}

/// The addresses of a network small enough to look each one up (an IPv4
/// /24 or an IPv6 /120 at most), in order; `None` for a larger one.
pub fn addresses(net: IpNet) -> Option<Vec<IpAddr>> {
    match net {
        IpNet::V4(v4) if v4.prefix_len() >= 24 => Some(
            ipnet::Ipv4AddrRange::new(v4.network(), v4.broadcast())
                .map(IpAddr::V4)
                .collect(),
        ),
        IpNet::V6(v6) if v6.prefix_len() >= 120 => Some(
            ipnet::Ipv6AddrRange::new(v6.network(), v6.broadcast())
                .map(IpAddr::V6)
                .collect(),
        ),
        _ => None,
    }
}

/// What each known third-party SPF domain belongs to, for the comments.
pub fn third_party(target: &str) -> Option<&'static str> {
    const KNOWN: &[(&str, &str)] = &[
        ("_spf.google.com", "Google Workspace"),
        ("spf.protection.outlook.com", "Microsoft 365"),
        ("amazonses.com", "Amazon SES"),
        ("sendgrid.net", "SendGrid"),
        ("mailgun.org", "Mailgun"),
        ("spf.mandrillapp.com", "Mailchimp Transactional"),
        ("servers.mcsv.net", "Mailchimp"),
        ("spf.brevo.com", "Brevo"),
        ("_spf.salesforce.com", "Salesforce"),
        ("mail.zendesk.com", "Zendesk"),
        ("_spf.mx.cloudflare.net", "Cloudflare Email Routing"),
        ("spf.messagingengine.com", "Fastmail"),
        ("_spf.protonmail.ch", "Proton Mail"),
        ("zoho.com", "Zoho Mail"),
        ("zoho.eu", "Zoho Mail"),
        ("mxroute.com", "MXroute"),
        ("spf.mtasv.net", "Postmark"),
        ("_spf.hubspotemail.net", "HubSpot"),
    ];
    KNOWN
        .iter()
        .find(|(domain, _)| *domain == target)
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spf::parse;

    fn items(text: &str) -> Vec<Item> {
        classify(&parse(text).unwrap(), "example.com", |d| {
            crate::names::is_in_zone(d, "example.com")
        })
    }

    #[test]
    fn each_term_becomes_an_item_with_its_origin() {
        let found = items(
            "v=spf1 ip4:192.0.2.10 ip4:192.0.2.17/28 ip6:2001:db8::/64 a mx:example.net/24 include:_spf.google.com include:_spf1.example.com ~all",
        );
        assert_eq!(found.len(), 8);
        assert!(matches!(
            &found[0],
            Item::Net { net, truncated: false, origin }
                if net.to_string() == "192.0.2.10/32" && origin.to_string() == "example.com TXT `ip4:192.0.2.10`"
        ));
        assert!(matches!(
            &found[1],
            Item::Net { net, truncated: true, .. } if net.to_string() == "192.0.2.16/28"
        ));
        assert!(
            matches!(&found[3], Item::Host { name, mx: false, cidr, .. } if name == "example.com" && *cidr == DualCidr::default())
        );
        assert!(
            matches!(&found[4], Item::Host { name, mx: true, cidr, .. } if name == "example.net" && cidr.ip4 == Some(24))
        );
        assert!(matches!(&found[5], Item::Include { target, .. } if target == "_spf.google.com"));
        assert!(
            matches!(&found[6], Item::Expand { target, redirect: false, .. } if target == "_spf1.example.com")
        );
        assert!(matches!(
            &found[7],
            Item::All {
                qualifier: Qualifier::SoftFail,
                ..
            }
        ));
    }

    #[test]
    fn what_the_inventory_cannot_hold_is_skipped_with_a_reason() {
        let found = items(
            "v=spf1 exists:%{i}._spf.example.com -ip4:192.0.2.1 ptr include:%{d}.x.example exp=why.example.com",
        );
        let whys: Vec<&str> = found
            .iter()
            .map(|item| match item {
                Item::Skipped { why, .. } => why.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(whys[0].contains("macro"), "{whys:?}");
        assert!(whys[1].contains("`-` qualifier"), "{whys:?}");
        assert!(whys[2].contains("`ptr`"), "{whys:?}");
        assert!(whys[3].contains("macro"), "{whys:?}");
        assert!(whys[4].contains("exp="), "{whys:?}");
        // With an `all`, a redirect is ignored; without one it is followed.
        assert!(matches!(
            &items("v=spf1 redirect=x.example -all")[0],
            Item::Skipped { .. }
        ));
        let redirect = items("v=spf1 redirect=_spf.example.com");
        assert!(matches!(
            &redirect[0],
            Item::Expand { target, redirect: true, .. } if target == "_spf.example.com"
        ));
    }

    #[test]
    fn small_networks_are_listed_address_by_address() {
        assert_eq!(
            addresses("192.0.2.10/31".parse().unwrap()).unwrap().len(),
            2
        );
        assert_eq!(
            addresses("192.0.2.0/24".parse().unwrap()).unwrap().len(),
            256
        );
        assert!(addresses("192.0.0.0/23".parse().unwrap()).is_none());
        assert_eq!(
            addresses("2001:db8::/126".parse().unwrap()).unwrap().len(),
            4
        );
        assert_eq!(third_party("_spf.google.com"), Some("Google Workspace"));
    }
}
