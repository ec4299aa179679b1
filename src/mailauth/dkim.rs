//! DKIM public-key records (RFC 6376 §3.6.1) and their key sizes
//! (RFC 8301: RSA keys under 1024 bits must not be considered valid).

use base64::Engine as _;
use serde::Serialize;

/// A parsed DKIM key record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DkimKey {
    /// `k=`: `rsa` (default) or `ed25519`.
    pub algorithm: String,
    /// Key size in bits; `None` for a revoked key (empty `p=`).
    pub bits: Option<usize>,
    /// `t=y`: the domain is testing DKIM.
    pub testing: bool,
}

/// Why a DKIM key record cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DkimError(pub String);

/// Parses a DKIM key record and measures its key.
pub fn parse(text: &str) -> Result<DkimKey, DkimError> {
    let mut algorithm = "rsa".to_owned();
    let mut key: Option<String> = None;
    let mut testing = false;
    for (i, part) in text
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| DkimError(format!("`{part}` is not a tag")))?;
        let value: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        match name.trim() {
            "v" if i == 0 && value == "DKIM1" => {}
            "v" => return Err(DkimError("`v=` must be `DKIM1` and come first".to_owned())),
            "k" => algorithm = value.to_ascii_lowercase(),
            "p" => key = Some(value),
            "t" => testing = value.split(':').any(|flag| flag == "y"),
            _ => {}
        }
    }
    let key = key.ok_or_else(|| DkimError("no `p=` tag (the public key)".to_owned()))?;
    if key.is_empty() {
        return Ok(DkimKey {
            algorithm,
            bits: None,
            testing,
        });
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(&key)
        .map_err(|err| DkimError(format!("`p=` is not base64: {err}")))?;
    let bits = match algorithm.as_str() {
        "rsa" => rsa_modulus_bits(&der).ok_or_else(|| {
            DkimError(
                "`p=` is not an RSA public key (SubjectPublicKeyInfo or RSAPublicKey DER)"
                    .to_owned(),
            )
        })?,
        "ed25519" if der.len() == 32 => 256,
        "ed25519" => {
            return Err(DkimError(format!(
                "an ed25519 key is 32 bytes, not {}",
                der.len()
            )));
        }
        other => {
            return Err(DkimError(format!(
                "unknown key type `k={other}`; accepted: rsa, ed25519"
            )));
        }
    };
    Ok(DkimKey {
        algorithm,
        bits: Some(bits),
        testing,
    })
}

/// One DER element: (tag, contents, rest).
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[count..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// Bit length of the modulus of an RSA key given as SubjectPublicKeyInfo
/// (RFC 5280 §4.1) or bare RSAPublicKey (RFC 8017 A.1.1) DER.
fn rsa_modulus_bits(der: &[u8]) -> Option<usize> {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const BIT_STRING: u8 = 0x03;
    let (tag, outer, _) = der_element(der)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, first, rest) = der_element(outer)?;
    let rsa_key = match tag {
        // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
        INTEGER => outer,
        // SubjectPublicKeyInfo ::= SEQUENCE { algorithm SEQUENCE, subjectPublicKey BIT STRING }
        SEQUENCE => {
            let _ = first;
            let (tag, bits, _) = der_element(rest)?;
            if tag != BIT_STRING || bits.first() != Some(&0) {
                return None;
            }
            let (tag, inner, _) = der_element(&bits[1..])?;
            if tag != SEQUENCE {
                return None;
            }
            inner
        }
        _ => return None,
    };
    let (tag, modulus, _) = der_element(rsa_key)?;
    if tag != INTEGER {
        return None;
    }
    let significant: &[u8] = {
        let start = modulus.iter().position(|&b| b != 0)?;
        &modulus[start..]
    };
    Some(significant.len() * 8 - significant[0].leading_zeros() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SubjectPublicKeyInfo DER of an RSA key whose modulus has `bits` bits.
    fn spki(bits: usize) -> String {
        let mut modulus = vec![0u8];
        modulus.push(0x80);
        modulus.extend(std::iter::repeat_n(0xab, bits / 8 - 1));
        let exponent = [0x01, 0x00, 0x01];
        let der = |tag: u8, body: &[u8]| {
            let mut out = vec![tag];
            if body.len() < 0x80 {
                out.push(body.len() as u8);
            } else {
                out.extend([0x82, (body.len() >> 8) as u8, body.len() as u8]);
            }
            out.extend_from_slice(body);
            out
        };
        let rsa = der(0x30, &[der(0x02, &modulus), der(0x02, &exponent)].concat());
        let mut bit_string = vec![0u8];
        bit_string.extend(rsa);
        let algorithm = der(
            0x30,
            &[
                der(
                    0x06,
                    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
                ),
                vec![0x05, 0x00],
            ]
            .concat(),
        );
        let spki = der(0x30, &[algorithm, der(0x03, &bit_string)].concat());
        base64::engine::general_purpose::STANDARD.encode(spki)
    }

    #[test]
    fn measures_rsa_keys() {
        for bits in [512, 1024, 2048] {
            let key = parse(&format!("v=DKIM1; k=rsa; p={}", spki(bits))).unwrap();
            assert_eq!(key.bits, Some(bits));
        }
        let key = parse(&format!("v=DKIM1; t=y:s; p={}", spki(1024))).unwrap();
        assert!(key.testing);
    }

    #[test]
    fn revoked_ed25519_and_broken_keys() {
        assert_eq!(parse("v=DKIM1; p=").unwrap().bits, None);
        let ed = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(
            parse(&format!("v=DKIM1; k=ed25519; p={ed}")).unwrap().bits,
            Some(256)
        );
        assert!(parse("v=DKIM1; p=!!!").is_err());
        assert!(parse("v=DKIM1; p=AAAA").is_err());
        assert!(parse("v=DKIM1; k=dsa; p=AAAA").is_err());
        assert!(parse("k=rsa").is_err());
    }
}
