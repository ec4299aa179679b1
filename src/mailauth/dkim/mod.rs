//! DKIM key records (RFC 6376 §3.6.1): parsed with the column of every
//! problem, written from a key, and their keys compared as keys, not as
//! text. Key types: RSA (RFC 8301: under 1024 bits never valid) and
//! Ed25519 (RFC 8463).

pub mod key;

use std::fmt;

use base64::Engine as _;
use rsa::pkcs1;
use rsa::pkcs8::der::{self, Decode as _, Encode as _};
use rsa::pkcs8::spki;
use serde::Serialize;

/// `p=` and key files are standard base64 with padding (RFC 6376 §3.6.1).
const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The OID of Ed25519 keys in SubjectPublicKeyInfo and PKCS#8 (RFC 8410 §3).
pub(crate) const ED25519_OID: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.101.112");

/// The least RSA key size a verifier may accept (RFC 8301 §3.2).
pub const MIN_RSA_BITS: usize = 1024;
/// The RSA key size signers should use at least (RFC 8301 §3.2).
pub const RECOMMENDED_RSA_BITS: usize = 2048;
/// The largest RSA key verifiers must handle (RFC 8301 §3.2).
pub const MAX_RSA_BITS: usize = 4096;

/// The key types of `k=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    /// RSA (RFC 6376 §3.3.1).
    Rsa,
    /// Ed25519 (RFC 8463).
    Ed25519,
}

impl KeyType {
    /// The `k=` value.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::Ed25519 => "ed25519",
        }
    }
}

impl KeyType {
    /// The name in prose: `RSA`, `Ed25519`.
    pub fn label(self) -> &'static str {
        match self {
            KeyType::Rsa => "RSA",
            KeyType::Ed25519 => "Ed25519",
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A public key as DKIM publishes it; two keys are equal when their
/// numbers are, however they were encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA: modulus and public exponent, big-endian, no leading zeros.
    Rsa {
        /// `n`.
        modulus: Vec<u8>,
        /// `e`.
        exponent: Vec<u8>,
    },
    /// Ed25519: the 32-octet public key (RFC 8032 §5.1.5).
    Ed25519([u8; 32]),
}

impl PublicKey {
    /// An RSA key from its numbers, leading zeros dropped.
    pub(crate) fn rsa(modulus: &[u8], exponent: &[u8]) -> PublicKey {
        let trim = |bytes: &[u8]| {
            let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
            bytes[start..].to_vec()
        };
        PublicKey::Rsa {
            modulus: trim(modulus),
            exponent: trim(exponent),
        }
    }

    /// The key type.
    pub fn key_type(&self) -> KeyType {
        match self {
            PublicKey::Rsa { .. } => KeyType::Rsa,
            PublicKey::Ed25519(_) => KeyType::Ed25519,
        }
    }

    /// The size in bits: of the modulus for RSA, 256 for Ed25519.
    pub fn bits(&self) -> usize {
        match self {
            PublicKey::Rsa { modulus, .. } => match modulus.first() {
                Some(&first) => modulus.len() * 8 - first.leading_zeros() as usize,
                None => 0,
            },
            PublicKey::Ed25519(_) => 256,
        }
    }

    /// The SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7, RFC 8410 §4), as
    /// `openssl pkey -pubout -outform DER` writes it.
    pub fn spki_der(&self) -> Vec<u8> {
        let (algorithm, key) = match self {
            PublicKey::Rsa { modulus, exponent } => {
                // A positive INTEGER: UintRef adds the leading zero DER needs.
                let rsa = pkcs1::RsaPublicKey {
                    modulus: der::asn1::UintRef::new(modulus).expect("a modulus fits DER"),
                    public_exponent: der::asn1::UintRef::new(exponent)
                        .expect("an exponent fits DER"),
                };
                (
                    pkcs1::ALGORITHM_ID,
                    rsa.to_der().expect("an RSA key encodes"),
                )
            }
            PublicKey::Ed25519(key) => (
                spki::AlgorithmIdentifierRef {
                    oid: ED25519_OID,
                    parameters: None,
                },
                key.to_vec(),
            ),
        };
        spki::SubjectPublicKeyInfoRef {
            algorithm,
            subject_public_key: der::asn1::BitStringRef::from_bytes(&key)
                .expect("a key fits a BIT STRING"),
        }
        .to_der()
        .expect("a SubjectPublicKeyInfo encodes")
    }

    /// The octets `p=` carries: the SubjectPublicKeyInfo DER for RSA
    /// (RFC 6376 §3.6.1), the bare 32-octet key for Ed25519 (RFC 8463 §4.2).
    pub fn p_bytes(&self) -> Vec<u8> {
        match self {
            PublicKey::Rsa { .. } => self.spki_der(),
            PublicKey::Ed25519(key) => key.to_vec(),
        }
    }

    /// The `p=` value: [`PublicKey::p_bytes`] in base64.
    pub fn p_value(&self) -> String {
        BASE64.encode(self.p_bytes())
    }

    /// The key `p=`'s octets hold for `key_type`: for RSA a
    /// SubjectPublicKeyInfo or a bare RSAPublicKey (RFC 8017 A.1.1), which
    /// some signers publish and verifiers accept.
    pub fn from_p(key_type: KeyType, bytes: &[u8]) -> Result<PublicKey, String> {
        match key_type {
            KeyType::Rsa => match spki::SubjectPublicKeyInfoRef::from_der(bytes) {
                Ok(info) => from_spki(&info, KeyType::Rsa),
                Err(spki_error) => match pkcs1::RsaPublicKeyRef::from_der(bytes) {
                    Ok(key) => Ok(PublicKey::rsa(
                        key.modulus.as_bytes(),
                        key.public_exponent.as_bytes(),
                    )),
                    Err(_) => Err(format!(
                        "not an RSA public key: the SubjectPublicKeyInfo DER is broken ({spki_error})"
                    )),
                },
            },
            KeyType::Ed25519 => match <[u8; 32]>::try_from(bytes) {
                Ok(key) => Ok(PublicKey::Ed25519(key)),
                Err(_) => match spki::SubjectPublicKeyInfoRef::from_der(bytes) {
                    Ok(info) if info.algorithm.oid == ED25519_OID => {
                        let key = from_spki(&info, KeyType::Ed25519)?;
                        Err(format!(
                            "a SubjectPublicKeyInfo where RFC 8463 §4.2 publishes the bare 32-octet key: `p={}`",
                            key.p_value()
                        ))
                    }
                    _ => Err(format!(
                        "an Ed25519 key is 32 octets (RFC 8463 §4.2), not {}",
                        bytes.len()
                    )),
                },
            },
        }
    }
}

/// The key of a SubjectPublicKeyInfo, which must be of `expected` type.
pub(crate) fn from_spki(
    info: &spki::SubjectPublicKeyInfoRef<'_>,
    expected: KeyType,
) -> Result<PublicKey, String> {
    let found = if info.algorithm.oid == pkcs1::ALGORITHM_OID {
        KeyType::Rsa
    } else if info.algorithm.oid == ED25519_OID {
        KeyType::Ed25519
    } else {
        return Err(format!(
            "the SubjectPublicKeyInfo names algorithm {}; accepted: rsaEncryption (1.2.840.113549.1.1.1) or Ed25519 (1.3.101.112)",
            info.algorithm.oid
        ));
    };
    if found != expected {
        return Err(format!(
            "the key is an {} key, but the record says `k={expected}`",
            found.label()
        ));
    }
    let bits = info
        .subject_public_key
        .as_bytes()
        .ok_or("the subjectPublicKey BIT STRING has unused bits")?;
    match found {
        KeyType::Rsa => {
            let key = pkcs1::RsaPublicKeyRef::from_der(bits).map_err(|err| {
                format!("the RSAPublicKey inside the SubjectPublicKeyInfo is broken ({err})")
            })?;
            Ok(PublicKey::rsa(
                key.modulus.as_bytes(),
                key.public_exponent.as_bytes(),
            ))
        }
        KeyType::Ed25519 => <[u8; 32]>::try_from(bits)
            .map(PublicKey::Ed25519)
            .map_err(|_| format!("an Ed25519 key is 32 octets, not {}", bits.len())),
    }
}

/// True for a selector: one or more labels of letters, digits, `-` and
/// `_` (RFC 6376 §3.1), each of 1 to 63 octets.
pub fn is_selector(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// A DKIM key record, parsed (RFC 6376 §3.6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// `k=` (default `rsa`).
    pub key_type: KeyType,
    /// `h=`: the hash algorithms the key may be used with; empty: any.
    pub hashes: Vec<String>,
    /// `s=`: the service types; empty: any (`*`).
    pub services: Vec<String>,
    /// `t=`: the flags (`y` testing, `s` strict identity).
    pub flags: Vec<String>,
    /// `n=`, as published.
    pub notes: Option<String>,
    /// The key; `None` when `p=` is empty: revoked.
    pub key: Option<PublicKey>,
}

impl KeyRecord {
    /// `t=y`: the domain is testing DKIM (RFC 6376 §3.6.1).
    pub fn testing(&self) -> bool {
        self.flags.iter().any(|f| f == "y")
    }

    /// The key size in bits; `None` for a revoked key.
    pub fn bits(&self) -> Option<usize> {
        self.key.as_ref().map(PublicKey::bits)
    }

    /// True when `h=` allows only SHA-1, which RFC 8301 §3.1 forbids.
    pub fn sha1_only(&self) -> bool {
        !self.hashes.is_empty() && self.hashes.iter().all(|h| h == "sha1")
    }
}

/// Why a key record cannot be used: the tag at fault and where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}{}: {message}", tag.as_ref().map_or(String::new(), |t| format!(", tag `{t}=`")))]
pub struct SyntaxError {
    /// The tag concerned, when one is.
    pub tag: Option<String>,
    /// 1-based column (in characters) of the problem in the record.
    pub column: usize,
    /// What is wrong and what is accepted.
    pub message: String,
}

/// One `tag=value` of a tag-list (RFC 6376 §3.2).
struct Tag<'a> {
    name: &'a str,
    value: &'a str,
    /// Byte offsets of the name and of the value in the record.
    name_at: usize,
    value_at: usize,
}

/// White space a tag-list may hold around tags and inside values (FWS).
fn is_fws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// 1-based column of byte `offset` of `text`.
fn column(text: &str, offset: usize) -> usize {
    text[..offset].chars().count() + 1
}

/// Splits a tag-list into tags with their places; a repeated tag, a tag
/// without `=`, a malformed name or a character outside VALCHAR is an
/// error (RFC 6376 §3.2).
fn tags(text: &str) -> Result<Vec<Tag<'_>>, SyntaxError> {
    let mut tags: Vec<Tag<'_>> = Vec::new();
    let mut start = 0;
    for spec in text.split(';') {
        let spec_at = start;
        start += spec.len() + 1;
        let lead = spec.len() - spec.trim_start_matches(is_fws).len();
        let trimmed = spec.trim_matches(is_fws);
        if trimmed.is_empty() {
            continue;
        }
        let at = spec_at + lead;
        let error = |offset: usize, tag: Option<&str>, message: String| SyntaxError {
            tag: tag.map(str::to_owned),
            column: column(text, offset),
            message,
        };
        let Some((name, _)) = trimmed.split_once('=') else {
            return Err(error(
                at,
                None,
                format!(
                    "`{}` is not a tag: accepted: `name=value` pairs separated by `;` (RFC 6376 §3.2)",
                    clip(trimmed)
                ),
            ));
        };
        let name = name.trim_end_matches(is_fws);
        let valid_name = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            return Err(error(
                at,
                None,
                format!(
                    "`{}` is not a tag name: accepted: a letter, then letters, digits or `_` (RFC 6376 §3.2)",
                    clip(name)
                ),
            ));
        }
        let raw_value = &trimmed[trimmed.find('=').expect("split at `=`") + 1..];
        let value_lead = raw_value.len() - raw_value.trim_start_matches(is_fws).len();
        let value_at = at + (trimmed.len() - raw_value.len()) + value_lead;
        let value = raw_value.trim_matches(is_fws);
        if let Some((i, c)) = value
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_graphic() || is_fws(c)))
        {
            return Err(error(
                value_at + i,
                Some(name),
                format!(
                    "{} is not allowed in a tag value: accepted: printable ASCII and white space (RFC 6376 §3.2)",
                    describe_char(c)
                ),
            ));
        }
        if let Some(first) = tags.iter().find(|t| t.name == name) {
            return Err(error(
                at,
                Some(name),
                format!(
                    "`{name}=` is given twice (first at column {}): the whole record is invalid (RFC 6376 §3.2)",
                    column(text, first.name_at)
                ),
            ));
        }
        tags.push(Tag {
            name,
            value,
            name_at: at,
            value_at,
        });
    }
    Ok(tags)
}

/// A character for a message: printable ones quoted, others by code.
fn describe_char(c: char) -> String {
    if c.is_ascii_graphic() || c == ' ' {
        format!("`{c}`")
    } else {
        format!("U+{:04X}", u32::from(c))
    }
}

/// At most 40 characters of a value, for messages.
fn clip(text: &str) -> String {
    match text.char_indices().nth(40) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// The colon-separated list of a tag value, lower case, blanks removed.
fn colon_list(value: &str) -> Vec<String> {
    value
        .split(':')
        .map(|v| v.trim_matches(is_fws).to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .collect()
}

/// True when `text` is meant as a DKIM key record: it starts with
/// `v=DKIM1` or has a `p=` tag. Such TXT records at a selector name are
/// the ones senderzone owns there.
pub fn is_key_record(text: &str) -> bool {
    let text = text.trim_start_matches(is_fws);
    text.strip_prefix("v")
        .map(|rest| rest.trim_start_matches(is_fws))
        .and_then(|rest| rest.strip_prefix('='))
        .is_some_and(|rest| rest.trim_start_matches(is_fws).starts_with("DKIM1"))
        || tags(text).is_ok_and(|tags| tags.iter().any(|t| t.name == "p"))
}

/// Parses a key record, its character-strings joined (RFC 6376
/// §3.6.2.2), and decodes its key. Unknown tags are ignored, as verifiers
/// do; anything that makes verifiers ignore the record is an error with
/// the column and tag at fault.
pub fn parse(text: &str) -> Result<KeyRecord, SyntaxError> {
    let tags = tags(text)?;
    let error = |tag: &Tag<'_>, offset: usize, message: String| SyntaxError {
        tag: Some(tag.name.to_owned()),
        column: column(text, offset),
        message,
    };
    let mut record = KeyRecord {
        key_type: KeyType::Rsa,
        hashes: Vec::new(),
        services: Vec::new(),
        flags: Vec::new(),
        notes: None,
        key: None,
    };
    let mut key = None;
    for (i, tag) in tags.iter().enumerate() {
        match tag.name {
            "v" if i > 0 => {
                return Err(error(
                    tag,
                    tag.name_at,
                    "`v=` must be the first tag when present (RFC 6376 §3.6.1)".to_owned(),
                ));
            }
            "v" if tag.value != "DKIM1" => {
                return Err(error(
                    tag,
                    tag.value_at,
                    format!(
                        "`v={}`: accepted: `v=DKIM1` (RFC 6376 §3.6.1)",
                        clip(tag.value)
                    ),
                ));
            }
            "k" => {
                record.key_type = match tag.value.to_ascii_lowercase().as_str() {
                    "rsa" => KeyType::Rsa,
                    "ed25519" => KeyType::Ed25519,
                    other => {
                        return Err(error(
                            tag,
                            tag.value_at,
                            format!(
                                "unknown key type `k={}`: verifiers ignore the key; accepted: rsa, ed25519",
                                clip(other)
                            ),
                        ));
                    }
                }
            }
            "h" => record.hashes = colon_list(tag.value),
            "s" => {
                record.services = colon_list(tag.value);
                if !record.services.iter().any(|s| s == "email" || s == "*") {
                    return Err(error(
                        tag,
                        tag.value_at,
                        format!(
                            "`s={}` excludes email: verifiers ignore the key for mail; accepted: `email` or `*` (RFC 6376 §3.6.1)",
                            clip(tag.value)
                        ),
                    ));
                }
            }
            "t" => record.flags = colon_list(tag.value),
            "n" => record.notes = Some(tag.value.to_owned()),
            "p" => key = Some(tag),
            _ => {}
        }
    }
    let Some(p) = key else {
        return Err(SyntaxError {
            tag: Some("p".to_owned()),
            column: text.chars().count() + 1,
            message: "no `p=` tag: the public key is required (RFC 6376 §3.6.1)".to_owned(),
        });
    };
    record.key = decode_p(p.value, record.key_type)
        .map_err(|(offset, message)| error(p, p.value_at + offset, message))?;
    Ok(record)
}

/// The key of a `p=` value (white space inside it allowed); `None` when
/// empty (revoked). An error carries the byte offset in `value`.
fn decode_p(value: &str, key_type: KeyType) -> Result<Option<PublicKey>, (usize, String)> {
    if value.starts_with("-----") {
        return Err((
            0,
            "`p=` holds a PEM header: publish only the base64 between the `-----BEGIN` and `-----END` lines, without line breaks".to_owned(),
        ));
    }
    if let Some((i, c)) = value
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=') || is_fws(c)))
    {
        let hint = match c {
            '"' => {
                " (a quote left from splitting the record by hand? the strings of a TXT record are joined without them)"
            }
            '\\' => " (an escape left from a zone file?)",
            _ => "",
        };
        return Err((i, format!("{} is not base64{hint}", describe_char(c))));
    }
    let compact: String = value.chars().filter(|c| !is_fws(*c)).collect();
    if compact.is_empty() {
        return Ok(None);
    }
    let bytes = BASE64
        .decode(&compact)
        .map_err(|err| (0, format!("the key is not valid base64: {err}")))?;
    PublicKey::from_p(key_type, &bytes)
        .map(Some)
        .map_err(|message| (0, message))
}

/// What a key record publishes, to write its text.
#[derive(Debug, Clone, Copy)]
pub struct RecordSpec<'a> {
    /// `k=`; left out when unknown (a revoked key of unknown type).
    pub key_type: Option<KeyType>,
    /// The key; `None` writes an empty `p=`: revoked (RFC 6376 §3.6.1).
    pub key: Option<&'a PublicKey>,
    /// `h=`.
    pub hashes: &'a [String],
    /// `t=`.
    pub flags: &'a [String],
    /// `n=`, written as DKIM-Quoted-Printable (RFC 6376 §2.11).
    pub notes: Option<&'a str>,
}

/// The record text: `v=DKIM1; k=…; [h=…; ][t=…; ][n=…; ]p=…`. Split into
/// character-strings by the caller; verifiers join them without
/// separators (RFC 6376 §3.6.2.2).
pub fn record_text(spec: &RecordSpec<'_>) -> String {
    let mut text = String::from("v=DKIM1");
    if let Some(key_type) = spec.key_type {
        text.push_str(&format!("; k={key_type}"));
    }
    // A revoked key needs nothing but its empty `p=`.
    if spec.key.is_some() {
        if !spec.hashes.is_empty() {
            text.push_str(&format!("; h={}", spec.hashes.join(":")));
        }
        if !spec.flags.is_empty() {
            text.push_str(&format!("; t={}", spec.flags.join(":")));
        }
        if let Some(notes) = spec.notes.filter(|n| !n.is_empty()) {
            text.push_str(&format!("; n={}", quoted_printable(notes)));
        }
    }
    text.push_str("; p=");
    if let Some(key) = spec.key {
        text.push_str(&key.p_value());
    }
    text
}

/// DKIM-Quoted-Printable (RFC 6376 §2.11): octets outside `!`–`~`, and
/// `;` and `=`, as `=XX`.
fn quoted_printable(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'!'..=b':' | b'<' | b'>'..=b'~' => out.push(char::from(byte)),
            _ => out.push_str(&format!("={byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RSA key whose modulus has `bits` bits (not a real key: only its
    /// encoding matters here).
    fn rsa(bits: usize) -> PublicKey {
        let mut modulus = vec![0x80];
        modulus.extend(std::iter::repeat_n(0xab, bits / 8 - 1));
        PublicKey::rsa(&modulus, &[1, 0, 1])
    }

    #[test]
    fn measures_rsa_keys_in_both_encodings() {
        for bits in [512, 1024, 2048] {
            let key = rsa(bits);
            let record = parse(&format!("v=DKIM1; k=rsa; p={}", key.p_value())).unwrap();
            assert_eq!(record.bits(), Some(bits));
            assert_eq!(record.key.as_ref(), Some(&key));
            // A bare RSAPublicKey is the same key.
            let PublicKey::Rsa { modulus, exponent } = &key else {
                unreachable!()
            };
            let bare = pkcs1::RsaPublicKey {
                modulus: der::asn1::UintRef::new(modulus).unwrap(),
                public_exponent: der::asn1::UintRef::new(exponent).unwrap(),
            }
            .to_der()
            .unwrap();
            let record = parse(&format!("p={}", BASE64.encode(bare))).unwrap();
            assert_eq!(record.key, Some(key));
        }
        let record = parse(&format!("v=DKIM1; t=y:s; p={}", rsa(1024).p_value())).unwrap();
        assert!(record.testing());
    }

    #[test]
    fn revoked_ed25519_and_broken_keys() {
        assert_eq!(parse("v=DKIM1; p=").unwrap().key, None);
        let ed = BASE64.encode([7u8; 32]);
        let record = parse(&format!("v=DKIM1; k=ed25519; p={ed}")).unwrap();
        assert_eq!(record.bits(), Some(256));
        assert!(parse("v=DKIM1; p=!!!").is_err());
        assert!(parse("v=DKIM1; p=AAAA").is_err());
        assert!(parse("k=rsa").is_err());
    }

    #[test]
    fn errors_name_the_tag_and_column() {
        let cases = [
            ("v=DKIM1; k=dsa; p=AAAA", "k", 12, "unknown key type"),
            ("k=rsa; v=DKIM1; p=", "v", 8, "first tag"),
            ("v=DKIM2; p=", "v", 3, "v=DKIM1"),
            ("v=DKIM1; p=MIIB\"\"AA", "p", 16, "quote"),
            (
                "v=DKIM1; p=-----BEGIN PUBLIC KEY-----",
                "p",
                12,
                "PEM header",
            ),
            ("v=DKIM1; p=; p=", "p", 14, "given twice"),
            ("v=DKIM1; s=http; p=", "s", 12, "excludes email"),
            ("v=DKIM1; k=rsa", "p", 15, "no `p=`"),
        ];
        for (text, tag, column, words) in cases {
            let err = parse(text).unwrap_err();
            assert_eq!(err.tag.as_deref(), Some(tag), "{text}: {err}");
            assert_eq!(err.column, column, "{text}: {err}");
            assert!(err.message.contains(words), "{text}: {err}");
        }
        let err = parse("v=DKIM1; 9x=1; p=").unwrap_err();
        assert_eq!((err.tag, err.column), (None, 10));
    }

    #[test]
    fn written_records_parse_back_to_their_key() {
        let key = rsa(2048);
        let hashes = vec!["sha256".to_owned()];
        let flags = vec!["y".to_owned(), "s".to_owned()];
        let text = record_text(&RecordSpec {
            key_type: Some(KeyType::Rsa),
            key: Some(&key),
            hashes: &hashes,
            flags: &flags,
            notes: Some("key a; b=c"),
        });
        assert!(text.starts_with("v=DKIM1; k=rsa; h=sha256; t=y:s; n=key=20a=3B=20b=3Dc; p=MII"));
        let record = parse(&text).unwrap();
        assert_eq!(record.key, Some(key));
        assert_eq!(record.flags, flags);
        assert!(is_key_record(&text));
        let revoked = record_text(&RecordSpec {
            key_type: Some(KeyType::Ed25519),
            key: None,
            hashes: &hashes,
            flags: &flags,
            notes: None,
        });
        assert_eq!(revoked, "v=DKIM1; k=ed25519; p=");
        assert!(!is_key_record("v=spf1 -all"));
        assert!(is_key_record("v = DKIM1; p=AAAA"));
    }
}
