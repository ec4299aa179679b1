//! Short immutable text held without an allocation of its own.
//!
//! Domain names and the literal parts of domain-specs are nearly always
//! short, and evaluation copies them into every trace step and parses them
//! out of every record it meets. [`CompactText`] keeps up to
//! [`INLINE_LEN`] octets inline and shares longer text, so making or
//! cloning one does not allocate in the usual case.

use std::fmt;
use std::num::NonZeroU8;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// Longest text a [`CompactText`] holds inline: 31 octets and their length
/// keep the whole value at 32 bytes, and cover nearly every domain name
/// seen in SPF.
pub(crate) const INLINE_LEN: usize = 31;

/// Immutable text: inline when short, shared when long.
pub struct CompactText(Repr);

enum Repr {
    Inline(Inline),
    Shared(Arc<str>),
}

/// Inline text: its octets, then its length plus one in the last byte.
///
/// The length byte is never zero, and `Repr` keeps its `Shared` tag in
/// that spare value, so the whole value is these 32 bytes. They are built
/// in registers and stored as two 16-byte words ([`Inline::pack`]): text
/// written a piece at a time, then read back as whole words (every clone,
/// every move into a trace step), stalled the processor on each read.
#[derive(Clone, Copy)]
#[repr(C)]
struct Inline {
    octets: [u8; INLINE_LEN],
    len_plus_one: NonZeroU8,
}

const _: () = assert!(size_of::<CompactText>() == 32);

impl Inline {
    /// `text`, at most [`INLINE_LEN`] octets.
    ///
    /// Loads the text as (overlapping) words and shifts them into place,
    /// so that nothing is stored until the two finished words are.
    fn pack(text: &str) -> Inline {
        let src = text.as_bytes();
        let len = src.len();
        debug_assert!(len <= INLINE_LEN);
        let (low, high) = match len {
            16.. => {
                let low = u128::from_le_bytes(word(&src[..16]));
                // The last 16 octets, shifted down so that octet 16 comes first.
                let high = match len {
                    16 => 0,
                    _ => u128::from_le_bytes(word(&src[len - 16..])) >> (8 * (32 - len)),
                };
                (low, high)
            }
            8.. => {
                let first = u64::from_le_bytes(word(&src[..8]));
                let rest = match len {
                    8 => 0,
                    _ => u64::from_le_bytes(word(&src[len - 8..])) >> (8 * (16 - len)),
                };
                (u128::from(first) | u128::from(rest) << 64, 0)
            }
            _ => {
                let octets = src.iter().enumerate();
                let low = octets.fold(0, |w, (i, &b)| w | u128::from(b) << (8 * i));
                (low, 0)
            }
        };
        // Octets 16 to 30 leave the top byte of `high` for the length.
        let high = high | (len as u128 + 1) << 120;
        // SAFETY: both are 32 bytes; the octets are any bytes, and the last
        // byte (the top byte of `high` in little-endian order) is 1 to 32.
        unsafe { std::mem::transmute::<[u128; 2], Inline>([low.to_le(), high.to_le()]) }
    }

    fn as_str(&self) -> &str {
        let len = usize::from(self.len_plus_one.get() - 1);
        // SAFETY: `pack` is the only constructor, and it takes the first
        // `len` octets from a `str` of that length, so they are UTF-8.
        unsafe { std::str::from_utf8_unchecked(&self.octets[..len]) }
    }
}

/// `bytes`, which must be `N` long, as an array to load as one word.
fn word<const N: usize>(bytes: &[u8]) -> [u8; N] {
    bytes.try_into().unwrap_or([0; N])
}

impl Clone for CompactText {
    fn clone(&self) -> Self {
        match &self.0 {
            Repr::Shared(text) => CompactText(Repr::Shared(Arc::clone(text))),
            // SAFETY: inline text owns nothing and is all 32 bytes of the
            // value, every one initialised, so they are a valid copy.
            // Copied as words: a derived clone copies octets piecemeal.
            Repr::Inline(_) => unsafe {
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
            Repr::Inline(inline) => inline.as_str(),
            Repr::Shared(text) => text,
        }
    }

    /// The pieces of `parts` joined, inline when they fit.
    pub fn concat(parts: &[&str]) -> Self {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > INLINE_LEN {
            return CompactText::from(parts.concat());
        }
        let mut joined = [0; INLINE_LEN];
        let mut at = 0;
        for part in parts {
            joined[at..at + part.len()].copy_from_slice(part.as_bytes());
            at += part.len();
        }
        // Whole `str`s one after another are UTF-8.
        let joined = std::str::from_utf8(&joined[..len]).unwrap_or_default();
        CompactText(Repr::Inline(Inline::pack(joined)))
    }
}

impl Default for CompactText {
    fn default() -> Self {
        CompactText(Repr::Inline(Inline::pack("")))
    }
}

impl From<&str> for CompactText {
    fn from(text: &str) -> Self {
        if text.len() <= INLINE_LEN {
            CompactText(Repr::Inline(Inline::pack(text)))
        } else {
            CompactText(Repr::Shared(Arc::from(text)))
        }
    }
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

    #[test]
    fn every_prefix_survives_packing_and_cloning() {
        // Multi-octet characters put character boundaries at every offset
        // of the words the octets are packed into.
        let text = "aé€𝄞.b-ü_0€x.example.é.𝄞𝄞.tail.example.org";
        let prefixes = text.char_indices().map(|(i, _)| &text[..i]);
        for prefix in prefixes.chain([text]) {
            let compact = CompactText::from(prefix);
            assert_eq!(compact.as_str(), prefix);
            assert_eq!(compact.clone().as_str(), prefix);
            let middle = (0..=prefix.len() / 2)
                .rev()
                .find(|&i| prefix.is_char_boundary(i));
            let (head, tail) = prefix.split_at(middle.unwrap_or_default());
            let joined = CompactText::concat(&[head, tail]);
            assert_eq!(joined.as_str(), prefix, "{head:?} + {tail:?}");
        }
    }
}
