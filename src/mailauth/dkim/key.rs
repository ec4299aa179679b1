//! DKIM key files: public keys read from PEM, DER or the record file that
//! `opendkim-genkey` and `rspamadm dkim_keygen` write; public keys derived
//! from private keys, which are never printed; new keys generated.
//!
//! Parsing and cryptography are RustCrypto's (`rsa`, with `pkcs1`,
//! `pkcs8`, `spki` and `der`) and `ring`'s (Ed25519); only the PEM
//! framing is walked here, to say on which line a file goes wrong.

use base64::Engine as _;
use rsa::pkcs1;
use rsa::pkcs8::der::zeroize::Zeroizing;
use rsa::pkcs8::der::{self, Decode as _, Encode as _};
use rsa::pkcs8::{self, spki};

use super::{BASE64, ED25519_OID, KeyType, PublicKey, describe_char};

/// The largest key file read: a 16384-bit private key is under 13 KiB.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Which key a file is meant to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `public_key`: PEM or DER SubjectPublicKeyInfo or RSAPublicKey, or a
    /// DKIM record file.
    Public,
    /// `private_key`: PEM or DER PKCS#8 or PKCS#1 RSAPrivateKey.
    Private,
}

impl Role {
    fn accepted(self) -> &'static str {
        match self {
            Role::Public => {
                "accepted: a PEM public key (`-----BEGIN PUBLIC KEY-----` or `RSA PUBLIC KEY`), its DER, or the DKIM record file opendkim-genkey and rspamadm dkim_keygen write"
            }
            Role::Private => {
                "accepted: an unencrypted PEM private key (`-----BEGIN PRIVATE KEY-----` or `RSA PRIVATE KEY`) or its DER"
            }
        }
    }
}

/// The public key of a key file's contents; the error says which part of
/// the file is wrong (a line of the PEM, a byte of the DER, a tag of the
/// record).
pub fn read(bytes: &[u8], role: Role) -> Result<PublicKey, String> {
    // DER always starts with a SEQUENCE.
    if bytes.first() == Some(&0x30) {
        return from_der(bytes, role, None);
    }
    let text = std::str::from_utf8(bytes).map_err(|err| {
        format!(
            "byte {} is not text, and the file does not start as DER does (0x30); {}",
            err.valid_up_to() + 1,
            role.accepted()
        )
    })?;
    if let Some(pem) = pem_block(text)? {
        return from_pem(&pem, role);
    }
    match role {
        Role::Public if text.contains("p=") || text.contains("DKIM1") => record_file(text),
        _ => Err(format!("no `-----BEGIN` line; {}", role.accepted())),
    }
}

/// The `t=` flags and `h=` hashes of a DKIM record file (what
/// opendkim-genkey writes, `h=sha256` included); `None` for other files.
pub fn record_tags(bytes: &[u8]) -> Option<(Vec<String>, Vec<String>)> {
    let text = std::str::from_utf8(bytes).ok()?;
    if bytes.first() == Some(&0x30) || text.contains("-----BEGIN") {
        return None;
    }
    let record = if text.contains('"') {
        quoted_strings(text).ok()?
    } else {
        text.trim().to_owned()
    };
    let parsed = super::parse(&record).ok()?;
    Some((parsed.flags, parsed.hashes))
}

/// One PEM block (RFC 7468): its label, its lines and the DER it holds.
struct Pem {
    label: String,
    /// 1-based numbers of the BEGIN and END lines.
    lines: (usize, usize),
    der: Vec<u8>,
}

impl Pem {
    /// "the `LABEL` block (lines a–b)", for messages.
    fn describe(&self) -> String {
        format!(
            "the `{}` block (lines {}–{})",
            self.label, self.lines.0, self.lines.1
        )
    }
}

/// The first PEM block of `text`, if it has one.
fn pem_block(text: &str) -> Result<Option<Pem>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(begin) = lines
        .iter()
        .position(|l| l.trim_start().starts_with("-----BEGIN"))
    else {
        return Ok(None);
    };
    let header = lines[begin].trim();
    let label = header
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.strip_suffix("-----"))
        .ok_or_else(|| {
            format!(
                "line {}: `{}` is not a PEM header; accepted: `-----BEGIN LABEL-----` (RFC 7468 §2)",
                begin + 1,
                super::clip(header)
            )
        })?;
    let footer = format!("-----END {label}-----");
    let Some(end) = lines[begin + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with("-----END"))
        .map(|i| begin + 1 + i)
    else {
        return Err(format!(
            "the PEM block begun at line {} has no `{footer}` line (the file is cut short?)",
            begin + 1
        ));
    };
    if lines[end].trim() != footer {
        return Err(format!(
            "line {}: `{}` does not close `{header}` of line {}; accepted: `{footer}`",
            end + 1,
            super::clip(lines[end].trim()),
            begin + 1
        ));
    }
    let mut body = String::new();
    for (i, line) in lines.iter().enumerate().take(end).skip(begin + 1) {
        let trimmed = line.trim();
        if trimmed.contains(':') {
            let why = if trimmed.contains("ENCRYPTED") {
                "the key is encrypted; senderzone reads unencrypted keys only (`openssl pkey -in KEY -out PLAIN.pem`), or name its public key under `public_key`"
            } else {
                "a key holds no PEM headers (RFC 7468 §2)"
            };
            return Err(format!("line {}: `{}`: {why}", i + 1, super::clip(trimmed)));
        }
        let lead = line.len() - line.trim_start().len();
        if let Some((at, c)) = trimmed
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
        {
            return Err(format!(
                "line {}, column {}: {} is not base64 (the body of a PEM block is base64 only)",
                i + 1,
                line[..lead + at].chars().count() + 1,
                describe_char(c)
            ));
        }
        body.push_str(trimmed);
    }
    let lines = (begin + 1, end + 1);
    if body.is_empty() {
        return Err(format!(
            "the PEM block of lines {}–{} is empty",
            lines.0, lines.1
        ));
    }
    let der = BASE64.decode(&body).map_err(|err| {
        format!(
            "the body of the PEM block (lines {}–{}) is not valid base64: {err} (a line lost or cut?)",
            lines.0 + 1,
            lines.1 - 1
        )
    })?;
    Ok(Some(Pem {
        label: label.to_owned(),
        lines,
        der,
    }))
}

/// What a DER document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// SubjectPublicKeyInfo (RFC 5280 §4.1).
    Spki,
    /// RSAPublicKey (RFC 8017 A.1.1).
    RsaPublic,
    /// PKCS#8 PrivateKeyInfo (RFC 5208, RFC 5958).
    Pkcs8,
    /// RSAPrivateKey (RFC 8017 A.1.2).
    RsaPrivate,
}

impl Form {
    fn name(self) -> &'static str {
        match self {
            Form::Spki => "SubjectPublicKeyInfo",
            Form::RsaPublic => "RSAPublicKey",
            Form::Pkcs8 => "PKCS#8 PrivateKeyInfo",
            Form::RsaPrivate => "RSAPrivateKey",
        }
    }
}

fn from_pem(pem: &Pem, role: Role) -> Result<PublicKey, String> {
    let form = match (pem.label.as_str(), role) {
        ("PUBLIC KEY", Role::Public) => Form::Spki,
        ("RSA PUBLIC KEY", Role::Public) => Form::RsaPublic,
        ("PRIVATE KEY", Role::Private) => Form::Pkcs8,
        ("RSA PRIVATE KEY", Role::Private) => Form::RsaPrivate,
        ("PRIVATE KEY" | "RSA PRIVATE KEY", Role::Public) => {
            return Err(format!(
                "{} is a private key: name it under `private_key` (its public key is derived; the private key is never printed)",
                pem.describe()
            ));
        }
        ("PUBLIC KEY" | "RSA PUBLIC KEY", Role::Private) => {
            return Err(format!(
                "{} is a public key: name it under `public_key`",
                pem.describe()
            ));
        }
        ("ENCRYPTED PRIVATE KEY", _) => {
            return Err(format!(
                "{} is encrypted; senderzone reads unencrypted keys only (`openssl pkey -in KEY -out PLAIN.pem`), or name its public key under `public_key`",
                pem.describe()
            ));
        }
        ("OPENSSH PRIVATE KEY", _) => {
            return Err(format!(
                "{} is in OpenSSH's own format; `ssh-keygen -p -m PKCS8 -f KEY` rewrites it as PKCS#8",
                pem.describe()
            ));
        }
        _ => {
            return Err(format!(
                "{} holds no DKIM key; {}",
                pem.describe(),
                role.accepted()
            ));
        }
    };
    from_der(&pem.der, role, Some((form, pem)))
}

/// The public key of a DER document of `form`, or, without a form (a
/// bare DER file), of the first form of `role` that decodes.
fn from_der(der: &[u8], role: Role, given: Option<(Form, &Pem)>) -> Result<PublicKey, String> {
    let single;
    let forms: &[Form] = match (given, role) {
        (Some((form, _)), _) => {
            single = [form];
            &single
        }
        (None, Role::Public) => &[Form::Spki, Form::RsaPublic],
        (None, Role::Private) => &[Form::Pkcs8, Form::RsaPrivate],
    };
    let place = match given {
        Some((_, pem)) => format!("the DER inside {}", pem.describe()),
        None => "the DER file".to_owned(),
    };
    let mut first_error = None;
    for &form in forms {
        match decode(der, form) {
            Ok(key) => return Ok(key),
            Err(Broken::Structure(err)) => {
                first_error.get_or_insert(format!("{place} is not a {}: {err}", form.name()));
            }
            Err(Broken::Key(err)) => return Err(format!("{place}: {err}")),
        }
    }
    Err(first_error.expect("at least one form was tried"))
}

/// Why a DER document gave no key: it is not of the form tried, or it is
/// but its key is wrong.
enum Broken {
    Structure(String),
    Key(String),
}

fn decode(der: &[u8], form: Form) -> Result<PublicKey, Broken> {
    match form {
        Form::Spki => {
            let info = spki::SubjectPublicKeyInfoRef::from_der(der)
                .map_err(|err| Broken::Structure(err.to_string()))?;
            let key_type = if info.algorithm.oid == ED25519_OID {
                KeyType::Ed25519
            } else {
                KeyType::Rsa
            };
            super::from_spki(&info, key_type).map_err(Broken::Key)
        }
        Form::RsaPublic => {
            let key = pkcs1::RsaPublicKeyRef::from_der(der)
                .map_err(|err| Broken::Structure(err.to_string()))?;
            Ok(PublicKey::rsa(
                key.modulus.as_bytes(),
                key.public_exponent.as_bytes(),
            ))
        }
        Form::RsaPrivate => {
            let key = pkcs1::RsaPrivateKeyRef::from_der(der)
                .map_err(|err| Broken::Structure(err.to_string()))?;
            rsa_private(key).map_err(Broken::Key)
        }
        Form::Pkcs8 => {
            let info = pkcs8::PrivateKeyInfoRef::from_der(der)
                .map_err(|err| Broken::Structure(err.to_string()))?;
            let inner = info.private_key.as_bytes();
            if info.algorithm.oid == pkcs1::ALGORITHM_OID {
                let key = pkcs1::RsaPrivateKeyRef::from_der(inner).map_err(|err| {
                    Broken::Key(format!(
                        "the RSAPrivateKey inside the PKCS#8 document is broken ({err})"
                    ))
                })?;
                rsa_private(key).map_err(Broken::Key)
            } else if info.algorithm.oid == ED25519_OID {
                let public = ed25519_private(inner).map_err(Broken::Key)?;
                // A PKCS#8 v2 document also holds the public key (RFC 5958).
                match info.public_key.and_then(|bits| bits.as_bytes()) {
                    Some(stored) if stored != public.p_bytes() => Err(Broken::Key(
                        "the public key stored in the PKCS#8 document does not belong to its private key"
                            .to_owned(),
                    )),
                    _ => Ok(public),
                }
            } else {
                Err(Broken::Key(format!(
                    "the key is of algorithm {}; accepted: RSA (1.2.840.113549.1.1.1) or Ed25519 (1.3.101.112)",
                    info.algorithm.oid
                )))
            }
        }
    }
}

/// The public key of an RSA private key, whose numbers are checked to fit
/// together when its size is one RSA keys may have.
fn rsa_private(key: pkcs1::RsaPrivateKeyRef<'_>) -> Result<PublicKey, String> {
    let public = PublicKey::rsa(key.modulus.as_bytes(), key.public_exponent.as_bytes());
    if (rsa::PublicKey::MIN_SIZE..=rsa::PublicKey::MAX_SIZE).contains(&public.bits()) {
        rsa::PrivateKey::try_from(key).map_err(|err| {
            format!("the numbers of the RSA private key do not fit together ({err}): the file is damaged")
        })?;
    }
    Ok(public)
}

/// The public key of an Ed25519 private key: CurvePrivateKey, an OCTET
/// STRING of the 32-octet seed (RFC 8410 §7).
fn ed25519_private(inner: &[u8]) -> Result<PublicKey, String> {
    let seed = <&der::asn1::OctetStringRef>::from_der(inner).map_err(|err| {
        format!("the Ed25519 CurvePrivateKey inside the PKCS#8 document is broken ({err})")
    })?;
    let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(seed.as_bytes())
        .map_err(|err| format!("the Ed25519 private key is unusable: {err}"))?;
    let public = <[u8; 32]>::try_from(ring::signature::KeyPair::public_key(&pair).as_ref())
        .expect("Ed25519 public keys are 32 octets");
    Ok(PublicKey::Ed25519(public))
}

/// The key of a DKIM record file: its quoted strings joined (a zone-file
/// line as opendkim-genkey and rspamadm dkim_keygen write it), or, with
/// no quotes, the record itself.
fn record_file(text: &str) -> Result<PublicKey, String> {
    let record = if text.contains('"') {
        quoted_strings(text)?
    } else {
        text.trim().to_owned()
    };
    let parsed =
        super::parse(&record).map_err(|err| format!("the DKIM record in the file, at {err}"))?;
    parsed
        .key
        .ok_or_else(|| "the DKIM record in the file has an empty `p=`: a revoked key".to_owned())
}

/// The quoted strings of a zone-file record, joined; `;` outside quotes
/// starts a comment.
fn quoted_strings(text: &str) -> Result<String, String> {
    let mut joined = String::new();
    for (number, line) in text.lines().enumerate() {
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                ';' => break,
                '"' => loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => joined.extend(chars.next()),
                        Some(c) => joined.push(c),
                        None => {
                            return Err(format!(
                                "line {}: a quoted string is not closed on its line",
                                number + 1
                            ));
                        }
                    }
                },
                _ => {}
            }
        }
    }
    Ok(joined)
}

/// The key types `dkim keygen` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSA, 2048 bits (RFC 8301 §3.2), exponent 65537.
    Rsa2048,
    /// Ed25519 (RFC 8463).
    Ed25519,
}

/// A key made by [`generate`].
pub struct NewKey {
    /// The private key as PKCS#8 PEM, wiped from memory when dropped.
    pub private_pem: Zeroizing<String>,
    /// Its public key.
    pub public: PublicKey,
}

/// Generates a key from the operating system's random source: RSA with
/// `rsa`, Ed25519 with `ring`; either as unencrypted PKCS#8, as
/// `openssl genpkey` writes it.
pub fn generate(algorithm: Algorithm) -> Result<NewKey, String> {
    let encode = |err: &dyn std::fmt::Display| format!("cannot encode the new key: {err}");
    let private_pem = match algorithm {
        Algorithm::Rsa2048 => {
            let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048)
                .map_err(|err| format!("cannot generate an RSA key: {err}"))?;
            pkcs8::EncodePrivateKey::to_pkcs8_pem(&key, pkcs8::LineEnding::LF)
                .map_err(|err| encode(&err))?
        }
        Algorithm::Ed25519 => {
            let mut seed = Zeroizing::new([0u8; 32]);
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed[..])
                .map_err(|_| "the system's random source failed".to_owned())?;
            let inner = Zeroizing::new(
                der::asn1::OctetStringRef::new(&seed[..])
                    .and_then(|octets| octets.to_der())
                    .map_err(|err| encode(&err))?,
            );
            let info = pkcs8::PrivateKeyInfoRef {
                algorithm: spki::AlgorithmIdentifierRef {
                    oid: ED25519_OID,
                    parameters: None,
                },
                private_key: der::asn1::OctetStringRef::new(&inner).map_err(|err| encode(&err))?,
                public_key: None,
            };
            der::SecretDocument::try_from(info)
                .map_err(|err| encode(&err))?
                .to_pem("PRIVATE KEY", pkcs8::LineEnding::LF)
                .map_err(|err| encode(&err))?
        }
    };
    let public = read(private_pem.as_bytes(), Role::Private)?;
    Ok(NewKey {
        private_pem,
        public,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_read_back_and_match_their_record() {
        for (algorithm, key_type, bits) in [
            (Algorithm::Rsa2048, KeyType::Rsa, 2048),
            (Algorithm::Ed25519, KeyType::Ed25519, 256),
        ] {
            let key = generate(algorithm).unwrap();
            assert!(key.private_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
            assert_eq!(key.public.key_type(), key_type);
            assert_eq!(key.public.bits(), bits);
            let spki = der::pem::encode_string(
                "PUBLIC KEY",
                pkcs8::LineEnding::LF,
                &key.public.spki_der(),
            )
            .unwrap();
            assert_eq!(read(spki.as_bytes(), Role::Public).unwrap(), key.public);
            let record = format!(
                "x._domainkey IN TXT ( \"v=DKIM1; k={key_type}; \"\n\t\"p={}\" ) ; comment\n",
                key.public.p_value()
            );
            assert_eq!(read(record.as_bytes(), Role::Public).unwrap(), key.public);
        }
    }

    #[test]
    fn errors_say_which_part_of_the_file_is_wrong() {
        let key = generate(Algorithm::Ed25519).unwrap();
        let pem = key.private_pem.as_str();
        let cases = [
            (
                pem.replace("-----END PRIVATE KEY-----\n", ""),
                Role::Private,
                "no `-----END PRIVATE KEY-----` line",
            ),
            (
                pem.replacen('M', "M!", 1),
                Role::Private,
                "line 2, column 2: `!` is not base64",
            ),
            (
                pem.to_owned(),
                Role::Public,
                "is a private key: name it under `private_key`",
            ),
            (
                pem.replace("END PRIVATE", "END PUBLIC"),
                Role::Private,
                "line 3: `-----END PUBLIC KEY-----` does not close",
            ),
            ("hello".to_owned(), Role::Public, "no `-----BEGIN` line"),
            ("v=DKIM1; p=".to_owned(), Role::Public, "revoked"),
        ];
        for (text, role, words) in cases {
            let err = read(text.as_bytes(), role).unwrap_err();
            assert!(err.contains(words), "{words}: {err}");
        }
        // A truncated DER body: the DER error names its byte.
        let lines: Vec<&str> = pem.lines().collect();
        let der = BASE64.decode(lines[1]).unwrap();
        let cut = BASE64.encode(&der[..der.len() - 4]);
        let text = format!("{}\n{cut}\n{}\n", lines[0], lines[2]);
        let err = read(text.as_bytes(), Role::Private).unwrap_err();
        assert!(
            err.contains(
                "the DER inside the `PRIVATE KEY` block (lines 1–3) is not a PKCS#8 PrivateKeyInfo"
            ) && err.contains("DER byte"),
            "{err}"
        );
    }
}
