//! Short immutable text held without an allocation of its own.
//!
//! Domain names and the literal parts of domain-specs are nearly always
//! short, and evaluation copies them into every trace step and parses them
//! out of every record it meets. [`CompactText`] keeps up to
//! [`INLINE_LEN`] octets inline and shares longer text, so making or
//! cloning one does not allocate in the usual case.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// Longest text a [`CompactText`] holds inline: 30 octets keep the whole
/// value at 32 bytes, and cover nearly every domain name seen in SPF.
pub(crate) const INLINE_LEN: usize = 30;

/// Immutable text: inline when short, shared when long.
pub struct CompactText(Repr);

enum Repr {
    /// The text's length and octets.
    Inline(u8, [u8; INLINE_LEN]),
    Shared(Arc<str>),
}

impl Clone for CompactText {
    fn clone(&self) -> Self {
        match &self.0 {
            Repr::Shared(text) => CompactText(Repr::Shared(Arc::clone(text))),
            // SAFETY: `Inline` owns nothing and leaves no byte of the
            // value uninitialised (tag, length, 30 octets), so its 32
            // bytes, read as whole words, are a valid copy.
            Repr::Inline(..) => unsafe {
                let words: [u64; 4] = std::mem::transmute_copy(self);
                std::mem::transmute::<[u64; 4], CompactText>(words)
            },
        }
    }
}

impl CompactText {
    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // SAFETY: the two constructors of `Inline`, `From<&str>` and
            // `concat`, fill the first `len` octets with whole `str`s, one
            // after another, so they are UTF-8.
            Repr::Inline(len, octets) => unsafe {
                std::str::from_utf8_unchecked(&octets[..usize::from(*len)])
            },
            Repr::Shared(text) => text,
        }
    }
}

impl CompactText {
    /// The pieces of `parts` joined, inline when they fit.
    pub fn concat(parts: &[&str]) -> Self {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > INLINE_LEN {
            return CompactText::from(parts.concat());
        }
        let mut octets = [0; INLINE_LEN];
        let mut at = 0;
        for part in parts {
            octets[at..at + part.len()].copy_from_slice(part.as_bytes());
            at += part.len();
        }
        // `len` is at most INLINE_LEN, so it fits.
        CompactText(Repr::Inline(len as u8, octets))
    }
}

impl Default for CompactText {
    fn default() -> Self {
        CompactText(Repr::Inline(0, [0; INLINE_LEN]))
    }
}

impl From<&str> for CompactText {
    fn from(text: &str) -> Self {
        match u8::try_from(text.len()) {
            Ok(len) if text.len() <= INLINE_LEN => {
                CompactText(Repr::Inline(len, inline_copy(text.as_bytes())))
            }
            _ => CompactText(Repr::Shared(Arc::from(text))),
        }
    }
}

/// `src` (at most [`INLINE_LEN`] octets) at the start of a zeroed array.
///
/// Copied as two overlapping fixed-size blocks rather than through
/// `memcpy`: for text this short the call costs more than the copy, and
/// the byte-wise stores it makes stall the wide loads that read the value
/// back.
fn inline_copy(src: &[u8]) -> [u8; INLINE_LEN] {
    fn blocks<const N: usize>(out: &mut [u8; INLINE_LEN], src: &[u8]) {
        let len = src.len();
        let (head, tail) = (&src[..N], &src[len - N..]);
        out[..N].copy_from_slice(head);
        out[len - N..len].copy_from_slice(tail);
    }
    let mut out = [0; INLINE_LEN];
    match src.len() {
        16.. => blocks::<16>(&mut out, src),
        8.. => blocks::<8>(&mut out, src),
        4.. => blocks::<4>(&mut out, src),
        len => out[..len].copy_from_slice(src),
    }
    out
}

impl From<String> for CompactText {
    fn from(text: String) -> Self {
        CompactText::from(text.as_str())
    }
}

impl Deref for CompactText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for CompactText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for CompactText {}

impl std::hash::Hash for CompactText {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for CompactText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for CompactText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for CompactText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_str().fmt(f)
    }
}

impl fmt::Display for CompactText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CompactText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_compares_by_content_whether_inline_or_shared() {
        let inline = "a".repeat(INLINE_LEN);
        let shared = "b".repeat(INLINE_LEN + 1);
        for text in [
            "",
            "example.com",
            "é.example",
            inline.as_str(),
            shared.as_str(),
        ] {
            let compact = CompactText::from(text);
            assert_eq!(compact.as_str(), text);
            assert_eq!(compact, CompactText::from(text.to_owned()));
            assert_eq!(compact.clone(), compact);
            assert_eq!(
                serde_json::to_string(&compact).unwrap(),
                format!("{text:?}")
            );
        }
        assert_ne!(
            CompactText::from(inline.as_str()),
            CompactText::from(shared.as_str())
        );
        assert_eq!(CompactText::default(), "");
    }

    #[test]
    fn concatenation_is_inline_when_it_fits() {
        assert_eq!(
            CompactText::concat(&["postmaster@", "example.com"]),
            "postmaster@example.com"
        );
        let long = "x".repeat(INLINE_LEN);
        assert_eq!(
            CompactText::concat(&["a@", &long]).as_str(),
            format!("a@{long}")
        );
        assert_eq!(CompactText::concat(&[]), "");
        assert_eq!(CompactText::concat(&["ü@", "é.example"]), "ü@é.example");
    }

    #[test]
    fn every_inline_length_copies_exactly() {
        let text: String = ('a'..='z').chain('A'..='Z').collect();
        for len in 0..=INLINE_LEN + 1 {
            assert_eq!(CompactText::from(&text[..len]).as_str(), &text[..len]);
        }
    }
}
