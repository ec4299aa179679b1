//! The limits an SPF record lives within, stated once for the generator
//! (`records`), the linter and the evaluator.
//!
//! Sizes are in octets of the record text; counts are the processing
//! limits of RFC 7208 §4.6.4, which an evaluator enforces while it runs and
//! a generator or linter checks beforehand.

/// The longest TXT character-string (RFC 1035 §3.3).
///
/// A longer record is split into several strings, which receivers join
/// with no separator (RFC 7208 §3.3).
pub const MAX_STRING_OCTETS: usize = 255;

/// The longest record text that keeps a DNS answer within 512 octets
/// together with the rest of the packet (RFC 7208 §3.4).
pub const MAX_RECORD_OCTETS: usize = 450;

/// The most DNS-querying terms (`include`, `a`, `mx`, `ptr`, `exists` and
/// `redirect`) one `check_host()` evaluates; one more is a permerror
/// (RFC 7208 §4.6.4).
pub const LOOKUP_LIMIT: usize = 10;

/// The most void lookups (NXDOMAIN or an empty answer) one `check_host()`
/// allows; one more is a permerror (RFC 7208 §4.6.4).
pub const VOID_LIMIT: usize = 2;

/// The most names of an `mx` or `ptr` answer that are looked at: more MX
/// names is a permerror, more PTR names are ignored (RFC 7208 §4.6.4).
pub const MAX_NAMES: usize = 10;

/// The longest explanation of a fail, in octets after macro expansion: what
/// fits in one SMTP reply line (512 octets with the code and CRLF, RFC 5321
/// §4.5.3.1.5) after `550 5.7.23 ` (RFC 7372 §3.2). A longer explanation is
/// dropped for the default one, and its expansion stops at this size.
pub const MAX_EXPLANATION_OCTETS: usize = 512 - "550 5.7.23 ".len() - "\r\n".len();
