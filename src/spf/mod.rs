//! SPF (RFC 7208): record syntax, `check_host()` evaluation and lint.
//!
//! [`parse()`] turns record text into a typed [`Record`] (or a
//! [`ParseError`] with a caret), and `Display` writes it back canonically.
//! [`check_host`] evaluates a record set through a [`crate::dns::Lookup`]
//! and returns an [`Evaluation`] with a trace; [`check_host_cached`] does
//! the same for many checks that share their records' parsing through a
//! [`RecordCache`], and [`check_host_result`] gives its result alone,
//! recording no trace.

pub mod ast;
mod cache;
mod deadline;
mod eval;
pub mod limits;
mod lint;
pub mod macros;
mod parse;
mod text;

pub use ast::{
    Directive, DualCidr, Macro, MacroItem, MacroLetter, MacroString, Mechanism, Modifier,
    Qualifier, Record, SpfResult, Term, TermAt,
};
pub use cache::RecordCache;
pub use deadline::{DEFAULT_CHECK_TIMEOUT, PendingQuery};
pub use eval::{
    Addresses, CheckParams, Config, Detail, Evaluation, ExplanationSource, NoExplanation, Reason,
    RecordText, TermOutcome, TermText, Trace, TraceDomain, TraceEvent, TraceStep, check_host,
    check_host_cached, check_host_result,
};
pub use lint::{
    DomainLint, LookupBranch, Profile, dns_querying_terms, is_special_purpose, lint_domain,
    lint_domain_cached, lint_domain_within, lint_joined, lint_record, spf_type99,
};
pub use parse::{ParseError, ParseErrorKind, is_spf_record, parse, parse_explanation};
pub use text::CompactText;
