//! What planning finds in an inventory that validation alone cannot see:
//! records DNS cannot carry, and records that someone else must publish.
//!
//! A [`Diagnostic`] names its place in the inventory (a server or a domain,
//! by index) and its severity. An error means the plan lacks the records
//! concerned; a warning means the plan is complete but depends on another
//! operator. Messages say what is wrong and what to do; the caller adds the
//! location.

use std::fmt;

use crate::finding::Severity;
use crate::names::{DomainName, NameError};
use crate::spf::Term;
use crate::spf::limits::{LOOKUP_LIMIT, MAX_RECORD_OCTETS};

/// One thing planning found, located by the inventory item it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnostic {
    /// The `helo:` name of `servers[server]` cannot be published; the plan
    /// holds no records for it, and every other record of the server.
    UnpublishableHelo {
        /// Index into [`crate::inventory::Inventory::servers`].
        server: usize,
        /// Why the name cannot be published.
        problem: HeloProblem,
    },
    /// The SPF record of `domains[domain]` cannot be published; the plan
    /// holds no SPF record for the domain.
    Spf {
        /// Index into [`crate::inventory::Inventory::domains`].
        domain: usize,
        /// Why the record cannot be published.
        problem: SpfProblem,
    },
    /// The DMARC reports of `domains[domain]` go to a domain outside the
    /// inventory's zones, whose operator must authorise them with a record
    /// in its own zone (RFC 7489 §7.1).
    ForeignReportAuthorization {
        /// Index into [`crate::inventory::Inventory::domains`].
        domain: usize,
        /// The domain the reports go to.
        report_domain: String,
        /// The owner of the `v=DMARC1` record it must publish.
        owner: DomainName,
    },
}

impl Diagnostic {
    /// How bad it is: an error leaves records out of the plan, a warning
    /// does not.
    pub fn severity(&self) -> Severity {
        match self {
            Diagnostic::UnpublishableHelo { .. } | Diagnostic::Spf { .. } => Severity::Error,
            Diagnostic::ForeignReportAuthorization { .. } => Severity::Warning,
        }
    }

    /// The key path in the inventory of the value at fault, e.g.
    /// `servers[2].helo`.
    pub fn path(&self) -> String {
        match self {
            Diagnostic::UnpublishableHelo { server, .. } => format!("servers[{server}].helo"),
            Diagnostic::Spf { domain, .. } => format!("domains[{domain}]"),
            Diagnostic::ForeignReportAuthorization { domain, .. } => {
                format!("domains[{domain}].dmarc")
            }
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnostic::UnpublishableHelo { problem, .. } => problem.fmt(f),
            Diagnostic::Spf { problem, .. } => problem.fmt(f),
            Diagnostic::ForeignReportAuthorization {
                report_domain,
                owner,
                ..
            } => write!(
                f,
                "reports go to `{report_domain}`, which is not one of your zones: its operator must publish `{owner}. TXT \"v=DMARC1\"` (RFC 7489 §7.1) or receivers will not send the reports"
            ),
        }
    }
}

/// Why a server's `helo:` name cannot be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeloProblem {
    /// Not a public host name (RFC 5321 §4.1.4).
    #[error(
        "the HELO name `{helo}` cannot be published: {reason}; configure the MTA to announce the server's hostname (Postfix `smtp_helo_name`, Exim `helo_data`) and remove `helo`"
    )]
    Invalid {
        /// The name as written.
        helo: String,
        /// What is wrong with it.
        reason: NameError,
    },
    /// Another server's hostname or HELO name.
    #[error("the HELO name `{name}` is another server's name; each server needs its own")]
    Taken {
        /// The name.
        name: DomainName,
    },
    /// A name under none of the inventory's zones.
    #[error("the HELO name `{name}` is outside every declared zone; add its zone to `zones`")]
    OutsideZones {
        /// The name.
        name: DomainName,
    },
}

/// Why a domain's SPF record cannot be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpfProblem {
    /// No chain of records of at most [`MAX_RECORD_OCTETS`] octets holds the
    /// terms (RFC 7208 §3.4): `term` does not fit beside the `link` to the
    /// next record.
    Unsplittable {
        /// The domain.
        owner: DomainName,
        /// The first term that found no room.
        term: Box<Term>,
        /// The `include:` of the next chained record.
        link: Box<Term>,
    },
    /// The records need more DNS-querying terms than receivers evaluate
    /// ([`LOOKUP_LIMIT`], RFC 7208 §4.6.4): they would permerror.
    OverLookupLimit {
        /// The domain.
        owner: DomainName,
        /// Every DNS-querying term of the chain, in order.
        costs: Vec<LookupCost>,
    },
}

/// One DNS-querying term of a generated chain and what it costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupCost {
    /// The term, an `include:`.
    pub term: Term,
    /// It links to the next part of the domain's own chain, rather than to a
    /// third party's record (which costs its own terms on top).
    pub chained: bool,
}

impl fmt::Display for SpfProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpfProblem::Unsplittable { owner, term, link } => write!(
                f,
                "the SPF record of `{owner}` cannot be split into records of at most {MAX_RECORD_OCTETS} octets: the term `{term}` and the chaining include `{link}` do not fit together"
            ),
            SpfProblem::OverLookupLimit { owner, costs } => {
                write!(
                    f,
                    "the SPF record of `{owner}` needs {} DNS-querying terms, more than the {LOOKUP_LIMIT} receivers evaluate (RFC 7208 §4.6.4), so it would permerror; remove includes or list their networks under `ip4`/`ip6`:",
                    costs.len()
                )?;
                for cost in costs {
                    let note = if cost.chained {
                        "chained part of this record"
                    } else {
                        "plus whatever it includes"
                    };
                    write!(f, "\n  {}: 1 ({note})", cost.term)?;
                }
                Ok(())
            }
        }
    }
}
