//! Host and domain names: the one form senderzone keeps them in, and the
//! checks mail needs.
//!
//! A [`DomainName`] is absolute, lower case and written without the trailing
//! dot; names are put in that form once, where they enter the program (the
//! inventory, zone files, DNS answers that are kept). Host names follow the
//! LDH rule (RFC 952, RFC 1123 §2.1); SPF owner names of chained records and
//! third-party include targets may also carry `_` labels (RFC 8552).

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::net::IpAddr;
use std::ops::Deref;

/// Why a text is not an acceptable name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty text.
    #[error("the name is empty")]
    Empty,
    /// An IP literal where a name is needed.
    #[error("`{0}` is an IP address, not a host name")]
    IpLiteral(String),
    /// An empty label, as in `a..b`.
    #[error("`{0}` has an empty label")]
    EmptyLabel(String),
    /// A label longer than 63 octets (RFC 1035 §2.3.4).
    #[error("label `{label}` is {len} octets long; at most 63 are allowed")]
    LabelTooLong { label: String, len: usize },
    /// A name longer than 253 characters (RFC 1035 §2.3.4).
    #[error("the name is {0} characters long; at most 253 are allowed")]
    TooLong(usize),
    /// A character outside letters, digits and `-` (and `_` where allowed).
    #[error("`{name}` contains `{ch}`; accepted: letters, digits and `-`{underscore}")]
    BadCharacter {
        name: String,
        ch: char,
        underscore: &'static str,
    },
    /// A label that starts or ends with `-`.
    #[error("label `{0}` starts or ends with `-`")]
    HyphenEdge(String),
    /// A single-label name.
    #[error("`{0}` is not fully qualified; write the whole name, e.g. `mail.example.com`")]
    SingleLabel(String),
    /// An all-numeric top-level label (RFC 3696 §2).
    #[error("`{0}` ends in an all-numeric label; top-level domains are never numeric")]
    NumericTld(String),
    /// A name reserved for local use that the internet cannot resolve.
    #[error(
        "`{name}` is {why}; receivers cannot resolve it and blocklists (CBL) list servers that announce it"
    )]
    NotPublic { name: String, why: &'static str },
}

/// Which characters a label may hold besides LDH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Letters, digits, hyphen: host names and mail domains.
    Ldh,
    /// LDH plus `_`: service labels such as `_spf.example.com`.
    LdhUnderscore,
}

/// An absolute domain name, ASCII lower case, without the trailing dot.
///
/// The form every name is compared, stored and shown in (RFC 4343: case
/// does not distinguish names). [`Display`](fmt::Display) writes it as it
/// is, [`DomainName::fqdn`] with the dot that zone files and provider
/// payloads need; the root is the empty name. It dereferences to `str`
/// and borrows as one, so maps keyed by names answer `&str` queries.
///
/// Made by [`DomainName::new`] and [`DomainName::host`], which check the
/// syntax mail needs; by [`DomainName::from_dns`] for names read from zone
/// files and DNS answers, whose octets DNS allows whatever they are (RFC
/// 2181 §11); and from names already valid: [`DomainName::prefixed`],
/// [`crate::dns::reverse_name`] and the reverse-zone names of the planner.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainName(String);

impl DomainName {
    /// Checks that `input` is a syntactically valid fully qualified domain
    /// name and puts it in the form: lower case, one trailing dot dropped.
    pub fn new(input: &str, charset: Charset) -> Result<DomainName, NameError> {
        DomainName::checked(input, normal_form(input), charset)
    }

    /// [`DomainName::new`] for `name`, `input` already in the form.
    fn checked(input: &str, name: Cow<'_, str>, charset: Charset) -> Result<DomainName, NameError> {
        if !well_formed(&name, charset) {
            check_name(input, &name, charset)?;
        }
        Ok(DomainName(name.into_owned()))
    }

    /// A host name usable on the public internet as a HELO name, a PTR
    /// target and an A/AAAA owner: [`DomainName::new`] with LDH labels,
    /// and not under a suffix reserved for local use
    /// ([`check_public_hostname`]).
    pub fn host(input: &str) -> Result<DomainName, NameError> {
        // Local names first: `localhost` deserves a better reason than "single label".
        let name = normal_form(input);
        check_public_hostname(&name)?;
        DomainName::checked(input, name, Charset::Ldh)
    }

    /// `text` taken as a name without a check: one trailing dot dropped and
    /// ASCII letters lower-cased, in place.
    ///
    /// For names read from zone files and DNS answers, whose labels may hold
    /// any octet (RFC 2181 §11: `64/26`, `_spf`, a space).
    pub fn from_dns(mut text: String) -> DomainName {
        if text.ends_with('.') {
            text.pop();
        }
        text.make_ascii_lowercase();
        DomainName(text)
    }

    /// `text`, already in the form, taken as a name: for names the program
    /// composes from names already valid (reverse names, `_dmarc` owners).
    pub(crate) fn from_valid(text: String) -> DomainName {
        debug_assert!(in_form(&text), "`{text}` is not a name in the form");
        DomainName(text)
    }

    /// `labels` under this name: `_dmarc` under `example.com` is
    /// `_dmarc.example.com`. `labels` are relative and already lower case.
    pub fn prefixed(&self, labels: &str) -> DomainName {
        debug_assert!(
            !labels.is_empty() && in_form(labels),
            "`{labels}` is not a relative name in lower case"
        );
        DomainName(format!("{labels}.{}", self.0))
    }

    /// The name as text, without the trailing dot.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The fully qualified form, with the trailing dot, as zone files and
    /// provider payloads write names (RFC 1035 §5.1); `.` for the root.
    pub fn fqdn(&self) -> String {
        format!("{}.", self.0)
    }

    /// True when the name equals `zone` or lies below it ([`is_in_zone`]).
    pub fn is_in(&self, zone: &str) -> bool {
        is_in_zone(&self.0, zone)
    }
}

impl Deref for DomainName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for DomainName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for DomainName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for DomainName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for DomainName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<DomainName> for str {
    fn eq(&self, other: &DomainName) -> bool {
        self == other.0
    }
}

impl PartialEq<DomainName> for &str {
    fn eq(&self, other: &DomainName) -> bool {
        *self == other.0
    }
}

impl PartialEq<String> for DomainName {
    fn eq(&self, other: &String) -> bool {
        self.0 == *other
    }
}

impl PartialEq<DomainName> for String {
    fn eq(&self, other: &DomainName) -> bool {
        *self == other.0
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Text put in the form as by [`DomainName::from_dns`], without a check.
impl From<String> for DomainName {
    fn from(text: String) -> DomainName {
        DomainName::from_dns(text)
    }
}

/// Text put in the form as by [`DomainName::from_dns`], without a check.
impl From<&str> for DomainName {
    fn from(text: &str) -> DomainName {
        DomainName::from_dns(text.to_owned())
    }
}

impl From<DomainName> for String {
    fn from(name: DomainName) -> String {
        name.0
    }
}

impl From<&DomainName> for String {
    fn from(name: &DomainName) -> String {
        name.0.clone()
    }
}

impl serde::Serialize for DomainName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A name read from a file (a blocklist registry) is put in the form as by
/// [`DomainName::from_dns`], without a check.
impl<'de> serde::Deserialize<'de> for DomainName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(DomainName::from_dns)
    }
}

/// `name` in the form of a [`DomainName`] (one trailing dot dropped, ASCII
/// lower case) without a check, borrowed when it is in that form already.
///
/// For names that are only compared or looked up, such as the names a
/// [`Lookup`](crate::dns::Lookup) is asked for: they may hold octets a
/// `DomainName` refuses, and nearly always need no copy.
pub fn normal_form(name: &str) -> Cow<'_, str> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if has_ascii_uppercase(name.as_bytes()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// True when `text` is in the form of a [`DomainName`]: no trailing dot,
/// no ASCII capital letter.
fn in_form(text: &str) -> bool {
    !text.ends_with('.') && !has_ascii_uppercase(text.as_bytes())
}

/// True when `bytes` holds an ASCII capital letter.
///
/// Eight octets at a time: every query's name passes through here. In each
/// octet with its top bit cleared, adding `0x80 - 'A'` sets the top bit from
/// `A` up, and adding `0x80 - 'Z' - 1` sets it from past `Z` up; neither sum
/// carries into the next octet. Octets that had the top bit set are no
/// letter and are masked out.
fn has_ascii_uppercase(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    let word_has_upper = |word: u64| {
        let low = word & (0x7f * ONES);
        let from_a = low + (0x80 - u64::from(b'A')) * ONES;
        let past_z = low + (0x80 - u64::from(b'Z') - 1) * ONES;
        from_a & !past_z & !word & (0x80 * ONES) != 0
    };
    let mut words = bytes.chunks_exact(8);
    let found = words
        .by_ref()
        .any(|w| word_has_upper(u64::from_ne_bytes(w.try_into().unwrap_or_default())));
    found || words.remainder().iter().any(u8::is_ascii_uppercase)
}

/// The checks of [`DomainName::new`] one by one, to say which one `name`
/// (`input` in the form) fails.
fn check_name(input: &str, name: &str, charset: Charset) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let literal = name.trim_start_matches('[').trim_end_matches(']');
    // Only hex digits, dots and colons can make an address: most names
    // are passed over without parsing.
    let may_be_address = literal
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':');
    if may_be_address && literal.parse::<IpAddr>().is_ok() {
        return Err(NameError::IpLiteral(input.to_owned()));
    }
    if name.len() > 253 {
        return Err(NameError::TooLong(name.len()));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(NameError::EmptyLabel(input.to_owned()));
        }
        if label.len() > 63 {
            return Err(NameError::LabelTooLong {
                label: label.to_owned(),
                len: label.len(),
            });
        }
        let allowed = |b: u8| {
            b.is_ascii_alphanumeric()
                || b == b'-'
                || (b == b'_' && charset == Charset::LdhUnderscore)
        };
        // Octets first, the character only for the message: a
        // non-ASCII character's first octet is never allowed.
        if let Some(at) = label.bytes().position(|b| !allowed(b)) {
            let ch = label[at..]
                .chars()
                .next()
                .expect("a character starts there");
            return Err(NameError::BadCharacter {
                name: input.to_owned(),
                ch,
                underscore: match charset {
                    Charset::Ldh => "",
                    Charset::LdhUnderscore => " (and `_`)",
                },
            });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(NameError::HyphenEdge(label.to_owned()));
        }
    }
    let top = name.rsplit('.').next().unwrap_or_default();
    if !name.contains('.') {
        return Err(NameError::SingleLabel(input.to_owned()));
    }
    if top.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NameError::NumericTld(input.to_owned()));
    }
    Ok(())
}

/// True when `name` (in the form) passes [`check_name`], found in one pass
/// over its octets. An IP address never passes: its last label is
/// numeric, or it holds `:` or `[`.
fn well_formed(name: &str, charset: Charset) -> bool {
    let bytes = name.as_bytes();
    let label_ok = |label: &[u8]| {
        !label.is_empty() && label.len() <= 63 && label[0] != b'-' && label[label.len() - 1] != b'-'
    };
    if bytes.is_empty() || bytes.len() > 253 {
        return false;
    }
    let underscore = charset == Charset::LdhUnderscore;
    let (mut start, mut dots, mut numeric) = (0, 0, true);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'.' => {
                if !label_ok(&bytes[start..i]) {
                    return false;
                }
                (start, dots, numeric) = (i + 1, dots + 1, true);
            }
            b'0'..=b'9' => {}
            b'a'..=b'z' | b'A'..=b'Z' | b'-' => numeric = false,
            b'_' if underscore => numeric = false,
            _ => return false,
        }
    }
    dots > 0 && !numeric && label_ok(&bytes[start..])
}

/// Top-level and second-level suffixes reserved for private networks.
const LOCAL_SUFFIXES: &[(&str, &str)] = &[
    ("localhost", "a loopback name (RFC 6761 §6.3)"),
    ("localdomain", "under `localdomain`, an installer default"),
    (
        "local",
        "under `local`, reserved for multicast DNS (RFC 6762)",
    ),
    ("lan", "under `lan`, a private-network suffix"),
    ("internal", "under `internal`, reserved for private use"),
    (
        "home.arpa",
        "under `home.arpa`, reserved for home networks (RFC 8375)",
    ),
    (
        "invalid",
        "under `invalid`, reserved as never resolving (RFC 6761 §6.4)",
    ),
];

/// Checks that a host name in the form of a [`DomainName`] can be used on the public internet as
/// a HELO name, a PTR target and an A/AAAA owner.
pub fn check_public_hostname(name: &str) -> Result<(), NameError> {
    // Every reserved suffix ends in a reserved top-level label.
    let top = match name.bytes().rposition(|b| b == b'.') {
        Some(dot) => &name[dot + 1..],
        None => name,
    };
    let reserved_top = LOCAL_SUFFIXES
        .iter()
        .any(|(suffix, _)| is_in_zone(suffix, top));
    if !reserved_top && !name.starts_with("localhost") {
        return Ok(());
    }
    for (suffix, why) in LOCAL_SUFFIXES {
        if is_in_zone(name, suffix) {
            return Err(NameError::NotPublic {
                name: name.to_owned(),
                why,
            });
        }
    }
    if name.split('.').next() == Some("localhost") {
        return Err(NameError::NotPublic {
            name: name.to_owned(),
            why: "a `localhost` name",
        });
    }
    Ok(())
}

/// True when `name` equals `zone` or lies below it.
pub fn is_in_zone(name: &str, zone: &str) -> bool {
    name == zone
        || (name.len() > zone.len()
            && name.ends_with(zone)
            && name.as_bytes()[name.len() - zone.len() - 1] == b'.')
}

/// `name` and each of its parent domains, longest first:
/// `a.b.c`, `b.c`, `c`.
pub fn suffixes(name: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(name), |current| {
        current.split_once('.').map(|(_, parent)| parent)
    })
}

/// The labels of `name` below `zone`: `mail` for `mail.example.com` in
/// `example.com`, empty for the apex; `None` when `name` is outside the zone.
pub fn below<'a>(name: &'a str, zone: &str) -> Option<&'a str> {
    if name == zone {
        Some("")
    } else {
        is_in_zone(name, zone).then(|| &name[..name.len() - zone.len() - 1])
    }
}

/// `name` relative to `zone` (`@` for the apex); `name` must be in the zone.
pub fn relative_to<'a>(name: &'a str, zone: &str) -> &'a str {
    match below(name, zone) {
        Some("") | None => "@",
        Some(labels) => labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_accepts_valid_names() {
        assert_eq!(
            DomainName::host("Mail.Example.COM.").unwrap(),
            "mail.example.com"
        );
        let label63 = "a".repeat(63);
        assert!(DomainName::host(&format!("{label63}.example.com")).is_ok());
        assert!(DomainName::new("_spf.google.com", Charset::LdhUnderscore).is_ok());
    }

    #[test]
    fn case_and_one_trailing_dot_do_not_distinguish_names() {
        let plain = DomainName::new("example.com", Charset::Ldh).unwrap();
        for spelling in ["EXAMPLE.com", "Example.Com.", "example.com."] {
            assert_eq!(DomainName::new(spelling, Charset::Ldh).unwrap(), plain);
            assert_eq!(DomainName::from_dns(spelling.to_owned()), plain);
            assert_eq!(normal_form(spelling), "example.com");
        }
        assert!(matches!(normal_form("example.com"), Cow::Borrowed(_)));
        assert!(DomainName::new("example.com..", Charset::Ldh).is_err());
        assert_eq!(plain.to_string(), "example.com");
        assert_eq!(plain.fqdn(), "example.com.");
        assert_eq!(format!("{plain:?}"), "\"example.com\"");
        assert_eq!(plain.prefixed("_dmarc"), "_dmarc.example.com");
        assert!(plain.prefixed("_dmarc").is_in(&plain));
        assert!(!plain.is_in("ample.com"));
    }

    #[test]
    fn the_root_is_the_empty_name() {
        let root = DomainName::from_dns(".".to_owned());
        assert_eq!(root, "");
        assert_eq!(root.fqdn(), ".");
        assert_eq!(root, DomainName::default());
        assert_eq!(
            DomainName::new(".", Charset::Ldh),
            Err(NameError::Empty),
            "no name the inventory accepts is the root"
        );
    }

    #[test]
    fn names_from_dns_keep_octets_a_host_name_refuses() {
        let classless = DomainName::from_dns("10.64/26.2.0.192.IN-ADDR.ARPA.".to_owned());
        assert_eq!(classless, "10.64/26.2.0.192.in-addr.arpa");
        // Only ASCII letters fold (RFC 4343 §3).
        assert_eq!(DomainName::from_dns("É.Example".to_owned()), "É.example");
    }

    #[test]
    fn length_limits_are_those_of_rfc_1035() {
        let label = |n: usize| "a".repeat(n);
        // 253 characters without the dot: 255 octets on the wire.
        let longest = format!("{}.{}.{}.{}", label(63), label(63), label(63), label(61));
        assert_eq!(longest.len(), 253);
        assert!(DomainName::new(&longest, Charset::Ldh).is_ok());
        assert!(DomainName::new(&format!("{longest}."), Charset::Ldh).is_ok());
        assert_eq!(
            DomainName::new(&format!("a{longest}"), Charset::Ldh),
            Err(NameError::TooLong(254))
        );
        assert!(matches!(
            DomainName::new(&format!("{}.com", label(64)), Charset::Ldh),
            Err(NameError::LabelTooLong { len: 64, .. })
        ));
    }

    #[test]
    fn maps_keyed_by_names_answer_text_queries() {
        let name = DomainName::host("mail.example.com").unwrap();
        let mut map = std::collections::HashMap::new();
        map.insert(name.clone(), 1);
        assert_eq!(map.get("mail.example.com"), Some(&1));
        assert_eq!(map.get(normal_form("MAIL.example.com.").as_ref()), Some(&1));
        let set: std::collections::BTreeSet<DomainName> = [name].into();
        assert!(set.contains("mail.example.com"));
        assert!(!set.contains("MAIL.example.com"));
    }

    #[test]
    fn finds_capitals_as_a_byte_by_byte_search_does() {
        let mut samples: Vec<Vec<u8>> = (0..=255u8)
            .flat_map(|b| {
                (0..17).map(move |at| {
                    let mut name = vec![b'x'; 17];
                    name[at] = b;
                    name
                })
            })
            .collect();
        samples.push(b"".to_vec());
        samples.push(b"@[`{".to_vec());
        samples.push(vec![0xff; 24]);
        // Octets whose low seven bits are a capital, beside a real one.
        samples.push(vec![0xc1; 9]);
        samples.push([0xc1, b'A', 0xda, b'x', b'x', b'x', b'x', b'x'].to_vec());
        for bytes in samples {
            assert_eq!(
                has_ascii_uppercase(&bytes),
                bytes.iter().any(u8::is_ascii_uppercase),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn rejects_invalid_names_with_the_reason() {
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("mail", "not fully qualified"),
            ("203.0.113.10", "IP address"),
            ("[203.0.113.10]", "IP address"),
            ("2001:db8::1", "IP address"),
            ("mail..example.com", "empty label"),
            ("-mail.example.com", "starts or ends"),
            ("mail_1.example.com", "contains `_`"),
            ("mail.example.123", "numeric"),
            ("localhost", "loopback"),
            ("localhost.localdomain", "localdomain"),
            ("mx.corp.local", "multicast DNS"),
            ("mail.lan", "private-network"),
            ("smtp.internal", "private use"),
            ("localhost.example.com", "localhost"),
        ];
        for (input, needle) in cases {
            let err = DomainName::host(input).unwrap_err().to_string();
            assert!(err.contains(needle), "{input:?}: {err}");
        }
        let long_label = format!("{}.example.com", "a".repeat(64));
        assert!(
            DomainName::host(&long_label)
                .unwrap_err()
                .to_string()
                .contains("64 octets")
        );
        let long_name = format!("{}.com", vec!["a".repeat(62); 4].join("."));
        assert!(
            DomainName::host(&long_name)
                .unwrap_err()
                .to_string()
                .contains("at most 253")
        );
    }

    proptest::proptest! {
        /// The one-pass check accepts exactly the names the detailed
        /// checks accept.
        #[test]
        fn the_quick_check_agrees_with_the_detailed_one(
            name in "([a-c0-9_:\\[\\]é-]{0,5}[.]?){0,5}|[0-9a-f.:]{0,20}|[a-z]{60,66}[.][a-z]{1,3}",
        ) {
            for charset in [Charset::Ldh, Charset::LdhUnderscore] {
                proptest::prop_assert_eq!(
                    well_formed(&name, charset),
                    check_name(&name, &name, charset).is_ok(),
                    "{:?} {:?}", name, charset
                );
            }
        }
    }

    #[test]
    fn only_reserved_suffixes_are_refused_as_local() {
        for name in [
            "printer.home.arpa",
            "localhost",
            "localhost.example.com",
            "a.b.lan",
        ] {
            assert!(check_public_hostname(name).is_err(), "{name}");
        }
        for name in [
            "mail.arpa",
            "localhostx.example",
            "mail.example.com",
            "lan.example",
        ] {
            assert!(check_public_hostname(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn zone_membership_respects_label_boundaries() {
        assert!(is_in_zone("mail.example.com", "example.com"));
        assert!(is_in_zone("example.com", "example.com"));
        assert!(!is_in_zone("badexample.com", "example.com"));
        assert_eq!(relative_to("mail.example.com", "example.com"), "mail");
        assert_eq!(relative_to("example.com", "example.com"), "@");
        assert_eq!(below("mail.example.com", "example.com"), Some("mail"));
        assert_eq!(below("example.com", "example.com"), Some(""));
        assert_eq!(below("mail.badexample.com", "example.com"), None);
        let all: Vec<&str> = suffixes("a.b.c").collect();
        assert_eq!(all, ["a.b.c", "b.c", "c"]);
    }
}
