//! SPF (RFC 7208): record syntax, `check_host()` evaluation and lint.
//!
//! [`parse`] turns record text into a typed [`Record`] (or a [`ParseError`]
//! with a caret), `Display` writes it back canonically.

pub mod ast;
mod parse;

pub use ast::{
    Directive, DualCidr, Macro, MacroItem, MacroLetter, MacroString, Mechanism, Modifier,
    Qualifier, Record, SpfResult, Term,
};
pub use parse::{ParseError, ParseErrorKind, is_spf_record, parse, parse_explanation};
