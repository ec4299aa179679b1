//! Host and domain names: normalisation and the checks mail needs.
//!
//! Names are kept as lower-case text without a trailing dot. Host names follow
//! the LDH rule (RFC 952, RFC 1123 §2.1); SPF owner names of chained records and
//! third-party include targets may also carry `_` labels (RFC 8552).

use std::net::IpAddr;

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

/// Lower-cases `input`, drops one trailing dot and checks the name is a
/// syntactically valid fully qualified domain name.
pub fn normalize_fqdn(input: &str, charset: Charset) -> Result<String, NameError> {
    let name = input
        .strip_suffix('.')
        .unwrap_or(input)
        .to_ascii_lowercase();
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let literal = name.trim_start_matches('[').trim_end_matches(']');
    if literal.parse::<IpAddr>().is_ok() {
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
        let allowed = |c: char| {
            c.is_ascii_alphanumeric() || c == '-' || (c == '_' && charset == Charset::LdhUnderscore)
        };
        if let Some(ch) = label.chars().find(|&c| !allowed(c)) {
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
    Ok(name)
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

/// Checks that a normalised host name can be used on the public internet as
/// a HELO name, a PTR target and an A/AAAA owner.
pub fn check_public_hostname(name: &str) -> Result<(), NameError> {
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

/// Normalises a host name and requires it to be public ([`check_public_hostname`]).
pub fn normalize_hostname(input: &str) -> Result<String, NameError> {
    // Local names first: `localhost` deserves a better reason than "single label".
    check_public_hostname(
        &input
            .strip_suffix('.')
            .unwrap_or(input)
            .to_ascii_lowercase(),
    )?;
    normalize_fqdn(input, Charset::Ldh)
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

/// `name` relative to `zone` (`@` for the apex); `name` must be in the zone.
pub fn relative_to<'a>(name: &'a str, zone: &str) -> &'a str {
    if name == zone {
        "@"
    } else {
        &name[..name.len() - zone.len() - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_accepts_valid_names() {
        assert_eq!(
            normalize_hostname("Mail.Example.COM.").unwrap(),
            "mail.example.com"
        );
        let label63 = "a".repeat(63);
        assert!(normalize_hostname(&format!("{label63}.example.com")).is_ok());
        assert!(normalize_fqdn("_spf.google.com", Charset::LdhUnderscore).is_ok());
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
            let err = normalize_hostname(input).unwrap_err().to_string();
            assert!(err.contains(needle), "{input:?}: {err}");
        }
        let long_label = format!("{}.example.com", "a".repeat(64));
        assert!(
            normalize_hostname(&long_label)
                .unwrap_err()
                .to_string()
                .contains("64 octets")
        );
        let long_name = format!("{}.com", vec!["a".repeat(62); 4].join("."));
        assert!(
            normalize_hostname(&long_name)
                .unwrap_err()
                .to_string()
                .contains("at most 253")
        );
    }

    #[test]
    fn zone_membership_respects_label_boundaries() {
        assert!(is_in_zone("mail.example.com", "example.com"));
        assert!(is_in_zone("example.com", "example.com"));
        assert!(!is_in_zone("badexample.com", "example.com"));
        assert_eq!(relative_to("mail.example.com", "example.com"), "mail");
        assert_eq!(relative_to("example.com", "example.com"), "@");
        let all: Vec<&str> = suffixes("a.b.c").collect();
        assert_eq!(all, ["a.b.c", "b.c", "c"]);
    }
}
