//! DNS behind a small trait.
//!
//! The SPF evaluator and the `verify` checks ask DNS through [`Lookup`] and
//! never see a resolver library. The trait keeps apart the three outcomes a
//! caller must not confuse (RFC 7208 §4.6.4, §5): records found, the name
//! does not exist (NXDOMAIN), the name exists without records of that type
//! (no data), and a temporary failure (timeout, SERVFAIL, malformed answer).
//!
//! An implementation answers one query by type ([`Lookup::query`]); the
//! typed accessors callers use are provided by the trait.
//!
//! The modules depend on each other in one direction only: [`record`]
//! depends on nothing here; `wire` and [`lookup`] on [`record`]; the
//! hickory record conversion on `wire` and [`record`]; the implementations
//! ([`memory`], [`stub`], [`resolver`], [`shared`]) on those; [`zonefile`]
//! on [`memory`]; [`source`] on the implementations.

pub mod lookup;
pub mod memory;
mod rdata;
pub mod record;
pub mod resolver;
mod settings;
pub mod shared;
pub mod source;
pub mod stub;
mod wire;
pub mod zonefile;

pub use lookup::{Answer, Lookup, LookupError, LookupResult};
pub(crate) use record::push_ipv4;
pub use record::{Mx, RecordData, Txt, reverse_name};
pub use settings::ResolverSettings;
