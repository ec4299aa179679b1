//! Records parsed once for many evaluations.
//!
//! A caller that runs `check_host()` many times against the same records,
//! as `verify` does for every address of every server of a domain, parses
//! each record once: [`check_host_cached`](super::check_host_cached) takes
//! a [`RecordCache`] and reads the records it has met there. Evaluation
//! itself, its trace and its limits do not change: the cache hands back
//! what parsing the same text again would give.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use foldhash::HashMap;

use super::ast::Record;
use super::parse::{ParseError, parse};

/// What parsing one record text gave.
pub(super) type Parsed = Result<Arc<Record>, Box<ParseError>>;

/// SPF records by their text, each parsed once (RFC 7208 §4.6).
///
/// Keyed by the text DNS gave, character-strings joined (§3.3): a record
/// is parsed again only when its text differs, so a cache may be shared by
/// checks of different domains, including the same record. It holds every
/// record met until dropped; its owner bounds it by its scope (one domain's
/// checks, one run). A parse error is kept too, and reported again to each
/// check that meets the record.
#[derive(Debug, Default)]
pub struct RecordCache {
    parsed: Mutex<Entries>,
}

/// The records parsed, and the one met last: checks of one domain meet
/// its record again and again, told by comparing its octets rather than
/// hashing them.
#[derive(Debug, Default)]
struct Entries {
    by_text: HashMap<Key, Parsed>,
    last: Option<(Arc<str>, Parsed)>,
}

/// A record's text, found by its octets: a check that meets a record
/// already parsed takes its text from here, without reading the octets
/// DNS gave as UTF-8 again.
#[derive(Debug, PartialEq, Eq)]
struct Key(Arc<str>);

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `[u8]` hashes, for lookups by octets (`Borrow`).
        self.0.as_bytes().hash(state);
    }
}

impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl RecordCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Distinct record texts parsed so far.
    pub fn len(&self) -> usize {
        self.lock().by_text.len()
    }

    /// True when no record has been parsed yet.
    pub fn is_empty(&self) -> bool {
        self.lock().by_text.is_empty()
    }

    /// `text` parsed, from the cache when it has been met before.
    pub(super) fn parse(&self, text: &str) -> Parsed {
        if let Some(parsed) = self.lock().by_text.get(text.as_bytes()) {
            return parsed.clone();
        }
        // Parsed outside the lock: a check of another thread need not wait
        // for it, and two that meet a new record at once both parse it, to
        // the same result.
        let parsed = parse(text).map(Arc::new).map_err(Box::new);
        self.lock().by_text.insert(Key(text.into()), parsed.clone());
        parsed
    }

    /// The text whose octets are `octets`, and what parsing it gave, when it
    /// has been met before.
    pub(super) fn get(&self, octets: &[u8]) -> Option<(Arc<str>, Parsed)> {
        let mut entries = self.lock();
        if let Some((text, parsed)) = &entries.last
            && text.as_bytes() == octets
        {
            return Some((text.clone(), parsed.clone()));
        }
        let (key, parsed) = entries.by_text.get_key_value(octets)?;
        let found = (key.0.clone(), parsed.clone());
        entries.last = Some(found.clone());
        Some(found)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Nothing panics while the lock is held, so a poisoned lock still
        // holds whole entries.
        self.parsed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_text_is_parsed_once_and_gives_what_parse_gives() {
        let cache = RecordCache::new();
        assert!(cache.is_empty());
        let text = "v=spf1 ip4:192.0.2.0/24 include:_spf.example.org -all";
        let first = cache.parse(text).unwrap();
        let second = cache.parse(text).unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(*first, parse(text).unwrap());
        assert_eq!(
            first.offsets().collect::<Vec<_>>(),
            parse(text).unwrap().offsets().collect::<Vec<_>>()
        );
        cache.parse("v=spf1 -all").unwrap();
        assert_eq!(cache.len(), 2);
        let (shared, parsed) = cache.get(text.as_bytes()).unwrap();
        assert_eq!(&*shared, text);
        assert!(Arc::ptr_eq(&parsed.unwrap(), &first));
        assert!(cache.get(b"v=spf1 +all").is_none());
    }

    #[test]
    fn a_parse_error_is_kept_and_given_again() {
        let cache = RecordCache::new();
        let text = "v=spf1 ip4:192.0.2.300 -all";
        let error = cache.parse(text).unwrap_err();
        assert_eq!(*error, parse(text).unwrap_err());
        assert_eq!(cache.parse(text).unwrap_err(), error);
        assert_eq!(cache.len(), 1);
    }
}
