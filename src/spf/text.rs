//! Short immutable text held without an allocation of its own.
//!
//! Domain names and the literal parts of domain-specs are nearly always
//! short, and evaluation copies them into every trace step and parses them
//! out of every record it meets. [`CompactText`] keeps up to 23 octets
//! inline and shares longer text, so making or
//! cloning one does not allocate in the usual case.
//!
//! The storage is `smol_str` (rust-analyzer's immutable small string, O(1)
//! clone): a safe hand-written inline string has to validate its octets as
//! UTF-8 on every read, which cost 29 % more instructions per `check_host`
//! over the RFC 7208 suite than this.

use std::fmt;
use std::ops::Deref;

use serde::{Serialize, Serializer};
use smol_str::SmolStr;

/// Immutable text: inline when short, shared when long.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct CompactText(SmolStr);

impl CompactText {
    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The pieces of `parts` joined, inline when they fit.
    pub fn concat(parts: &[&str]) -> Self {
        let mut builder = smol_str::SmolStrBuilder::new();
        for part in parts {
            builder.push_str(part);
        }
        CompactText(builder.finish())
    }
}

impl From<&str> for CompactText {
    fn from(text: &str) -> Self {
        CompactText(SmolStr::new(text))
    }
}

impl From<String> for CompactText {
    fn from(text: String) -> Self {
        CompactText(SmolStr::from(text))
    }
}

impl Deref for CompactText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
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

    /// The longest text `smol_str` keeps inline.
    const INLINE_LEN: usize = 23;

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
    fn every_prefix_survives_storing_and_cloning() {
        // Multi-octet characters put character boundaries at every offset.
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
