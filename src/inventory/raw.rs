//! The inventory as written: one YAML reader gives every value and its
//! place.
//!
//! serde_yaml reads the text into a [`Node`] tree that keeps what YAML
//! says and nothing more: text, numbers, lists, mappings (with a key given
//! twice kept twice, so that it can be reported where it is repeated).
//! Plain and quoted text comes lent from the file itself, so its offset is
//! its exact place; see [`At`] for the rest. What the inventory means is
//! checked by `validate`, which walks this tree and so reports every
//! problem of the file in one run.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
// The one place that names the YAML crate: swapping serde_yaml for a
// maintained fork with the same API changes only this line.
use serde_yaml as yaml;

use super::span::{At, Position};

/// One YAML node and where it starts.
#[derive(Debug)]
pub(crate) struct Node<'a> {
    pub(crate) value: Value<'a>,
    pub(crate) at: At,
}

/// What a YAML node holds, scalars typed as YAML 1.2's core schema reads
/// them (`5` is a number, `"5"` and `five` are text).
#[derive(Debug)]
pub(crate) enum Value<'a> {
    /// `~`, `null` or nothing at all.
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    /// An integer beyond 64 bits.
    Big,
    Float(f64),
    Text(Cow<'a, str>),
    List(Box<[Node<'a>]>),
    /// Entries in the order written, a repeated key included.
    Map(Box<[(Node<'a>, Node<'a>)]>),
    /// A value with a tag such as `!name`, which no inventory key takes.
    Tagged,
}

impl Value<'_> {
    /// A scalar as the text it reads as; `None` for nulls and collections.
    pub(crate) fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Text(text) => Some(Cow::Borrowed(text)),
            Value::Bool(b) => Some(Cow::Owned(b.to_string())),
            Value::Int(n) => Some(Cow::Owned(n.to_string())),
            Value::UInt(n) => Some(Cow::Owned(n.to_string())),
            Value::Float(n) => Some(Cow::Owned(n.to_string())),
            Value::Null | Value::Big | Value::List(_) | Value::Map(_) | Value::Tagged => None,
        }
    }
}

/// A document the YAML reader refused, located.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    /// Byte offset of the problem, when the reader knows it.
    pub(crate) offset: Option<usize>,
    /// Key path of the node being read (empty at the top).
    pub(crate) path: String,
    /// What went wrong, with where the construct being read started.
    pub(crate) message: String,
}

/// Reads `text` into a tree.
pub(crate) fn read(text: &str) -> Result<Node<'_>, SyntaxError> {
    let reader = Reader {
        base: text.as_ptr() as usize,
        len: text.len(),
        cursor: Cell::new(0),
        skip: Cell::new(0),
        alias: Cell::new(None),
        items: RefCell::new(Vec::new()),
        entries: RefCell::new(Vec::new()),
        error_path: RefCell::new(Vec::new()),
    };
    let result = Seed(&reader).deserialize(yaml::Deserializer::from_str(text));
    result.map_err(|err| {
        let mut segments = reader.error_path.into_inner();
        segments.reverse();
        let path = segments.iter().fold(String::new(), |mut path, segment| {
            match segment {
                Segment::Key(key) if path.is_empty() => path.push_str(key),
                Segment::Key(key) => {
                    path.push('.');
                    path.push_str(key);
                }
                Segment::Index(i) => path.push_str(&format!("[{i}]")),
            }
            path
        });
        let message = err.to_string();
        SyntaxError {
            offset: err.location().map(|l| l.index()),
            message: explain(&message),
            path,
        }
    })
}

/// serde_yaml's message without the positions it writes into it (they are
/// shown as file:line:col), but with where the unfinished construct began:
/// "did not find expected ',' or ']' at line 7 column 8, while parsing a
/// flow sequence at line 6 column 11" names line 6, where the `[` is.
fn explain(message: &str) -> String {
    if message.starts_with("deserializing from YAML containing more than one document") {
        return "a second YAML document starts here; accepted: an inventory in one document (remove this `---` or what follows it)".to_owned();
    }
    let (problem, context) = match message.split_once(", while ") {
        Some((problem, context)) => (problem, Some(context)),
        None => (message, None),
    };
    let problem = strip_mark(problem).0;
    let mut out = format!("invalid YAML: {problem}");
    if let Some(context) = context {
        let (context, mark) = strip_mark(context);
        out.push_str(&format!(" while {context}"));
        if let Some(Position { line, column }) = mark {
            let construct = context
                .strip_prefix("parsing ")
                .or_else(|| context.strip_prefix("scanning "))
                .unwrap_or(context);
            let hint = match construct {
                "a flow sequence" => " (is its closing `]` missing?)",
                "a flow mapping" => " (is its closing `}` missing?)",
                "a quoted scalar" => " (is its closing quote missing?)",
                _ => "",
            };
            out.push_str(&format!(
                " that starts at line {line} column {column}{hint}"
            ));
        }
    }
    out
}

/// Splits " at line L column C" off the end of `text`.
fn strip_mark(text: &str) -> (&str, Option<Position>) {
    let Some((head, mark)) = text.rsplit_once(" at line ") else {
        return (text, None);
    };
    let position = mark.split_once(" column ").and_then(|(line, column)| {
        Some(Position {
            line: line.parse().ok()?,
            column: column.parse().ok()?,
        })
    });
    match position {
        Some(position) => (head, Some(position)),
        None => (text, None),
    }
}

/// State shared by every node of one read: where the last text lent from
/// the file ended, to place the nodes that are not lent.
struct Reader<'a> {
    base: usize,
    len: usize,
    /// End of the last lent text, in document order.
    cursor: Cell<u32>,
    /// Scalars read since `cursor` whose text was not lent.
    skip: Cell<u16>,
    /// Set while the reader repeats an anchored node for an alias: the
    /// cursor at the alias.
    alias: Cell<Option<u32>>,
    /// The items of the lists being read, innermost last: each list takes
    /// its own off the end in one allocation of the exact size.
    items: RefCell<Vec<Node<'a>>>,
    /// The same for the entries of mappings.
    entries: RefCell<Vec<(Node<'a>, Node<'a>)>>,
    /// The path to a failing node, built while the error travels up.
    error_path: RefCell<Vec<Segment>>,
}

enum Segment {
    Key(String),
    Index(usize),
}

impl Reader<'_> {
    /// The place of text lent from the file.
    fn lent(&self, text: &str) -> At {
        let offset = (text.as_ptr() as usize).wrapping_sub(self.base);
        if offset > self.len {
            return self.unlent(false);
        }
        // Inventories are far below 4 GiB (the loader refuses larger).
        let offset = offset as u32;
        if offset >= self.cursor.get() {
            self.cursor.set(offset + text.len() as u32);
            self.skip.set(0);
            self.alias.set(None);
            At::Exact(offset)
        } else {
            // Text from before the cursor is an anchored node read again.
            let alias = self.alias.get().unwrap_or(self.cursor.get());
            self.alias.set(Some(alias));
            At::Alias(alias)
        }
    }

    /// The place of a scalar whose text was not lent.
    fn unlent(&self, null: bool) -> At {
        if let Some(alias) = self.alias.get() {
            return At::Alias(alias);
        }
        let (after, skip) = (self.cursor.get(), self.skip.get());
        if null {
            At::Null { after, skip }
        } else {
            self.skip.set(skip.saturating_add(1));
            At::Scalar { after, skip }
        }
    }

    fn collection(&self) -> At {
        match self.alias.get() {
            Some(alias) => At::Alias(alias),
            None => At::Collection {
                after: self.cursor.get(),
                skip: self.skip.get(),
            },
        }
    }
}

#[derive(Clone, Copy)]
struct Seed<'r, 'de>(&'r Reader<'de>);

impl<'de> DeserializeSeed<'de> for Seed<'_, 'de> {
    type Value = Node<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Node<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_, 'de> {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Node<'de>, E> {
        Ok(Node {
            at: self.0.lent(text),
            value: Value::Text(Cow::Borrowed(text)),
        })
    }

    fn visit_str<E>(self, text: &str) -> Result<Node<'de>, E> {
        Ok(self.scalar(Value::Text(Cow::Owned(text.to_owned()))))
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node<'de>, E> {
        Ok(self.scalar(Value::Bool(b)))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Node<'de>, E> {
        Ok(self.scalar(Value::Int(n)))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Node<'de>, E> {
        Ok(self.scalar(Value::UInt(n)))
    }

    fn visit_i128<E>(self, _: i128) -> Result<Node<'de>, E> {
        Ok(self.scalar(Value::Big))
    }

    fn visit_u128<E>(self, _: u128) -> Result<Node<'de>, E> {
        Ok(self.scalar(Value::Big))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Node<'de>, E> {
        Ok(self.scalar(Value::Float(n)))
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node {
            at: self.0.unlent(true),
            value: Value::Null,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let at = self.0.collection();
        let start = self.0.items.borrow().len();
        loop {
            match seq.next_element_seed(self) {
                Ok(Some(item)) => self.0.items.borrow_mut().push(item),
                Ok(None) => break,
                Err(err) => {
                    let mut items = self.0.items.borrow_mut();
                    self.fail(Segment::Index(items.len() - start));
                    items.truncate(start);
                    return Err(err);
                }
            }
        }
        let items = self.0.items.borrow_mut().drain(start..).collect();
        Ok(Node {
            at,
            value: Value::List(items),
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let at = self.0.collection();
        let start = self.0.entries.borrow().len();
        let result = (|| {
            while let Some(key) = map.next_key_seed(self)? {
                match map.next_value_seed(self) {
                    Ok(value) => self.0.entries.borrow_mut().push((key, value)),
                    Err(err) => {
                        let name = key.value.as_text().map_or("?".into(), Cow::into_owned);
                        self.fail(Segment::Key(name));
                        return Err(err);
                    }
                }
            }
            Ok(())
        })();
        let mut entries = self.0.entries.borrow_mut();
        if let Err(err) = result {
            entries.truncate(start);
            return Err(err);
        }
        Ok(Node {
            at,
            value: Value::Map(entries.drain(start..).collect()),
        })
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Node<'de>, A::Error> {
        // serde_yaml hands a tagged value over as an enum variant.
        let (de::IgnoredAny, variant) = data.variant()?;
        let inner = de::VariantAccess::newtype_variant_seed(variant, self)?;
        Ok(Node {
            at: inner.at,
            value: Value::Tagged,
        })
    }
}

impl<'de> Seed<'_, 'de> {
    fn scalar(self, value: Value<'de>) -> Node<'de> {
        Node {
            at: self.0.unlent(false),
            value,
        }
    }

    fn fail(self, segment: Segment) {
        self.0.error_path.borrow_mut().push(segment);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::span::Lines;

    fn place(text: &str, at: At) -> (usize, usize) {
        let p = Lines::new(text).position(text, at.offset(text));
        (p.line, p.column)
    }

    fn map<'n, 'a>(node: &'n Node<'a>) -> &'n [(Node<'a>, Node<'a>)] {
        match &node.value {
            Value::Map(entries) => entries,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn every_node_has_its_place() {
        let text = "ttl: 60\nzones: [a.example, \"b\\x41\"]\nservers:\n  - hostname: 'm.example'\n    x:\n";
        let root = read(text).unwrap();
        let entries = map(&root);
        assert_eq!(place(text, entries[0].0.at), (1, 1));
        assert_eq!(place(text, entries[0].1.at), (1, 6));
        let Value::List(zones) = &entries[1].1.value else {
            panic!()
        };
        assert_eq!(place(text, entries[1].1.at), (2, 8));
        assert_eq!(place(text, zones[0].at), (2, 9));
        // Escaped text is not lent; it is found after the last lent text.
        assert!(matches!(&zones[1].value, Value::Text(t) if t == "bA"));
        assert_eq!(place(text, zones[1].at), (2, 20));
        let Value::List(servers) = &entries[2].1.value else {
            panic!()
        };
        let server = map(&servers[0]);
        assert_eq!(place(text, server[0].1.at), (4, 15));
        assert!(matches!(server[1].1.value, Value::Null));
        assert_eq!(place(text, server[1].1.at), (5, 7));
    }

    #[test]
    fn nodes_read_through_an_alias_are_placed_at_the_alias() {
        let text = "a: &x\n  - one\n  - 2\nb: *x\nc: [*x]\n";
        let root = read(text).unwrap();
        let entries = map(&root);
        for (entry, line) in [(1, 4), (2, 5)] {
            let mut nodes = vec![&entries[entry].1];
            while let Some(node) = nodes.pop() {
                if let Value::List(items) = &node.value {
                    nodes.extend(items);
                }
                let (l, c) = place(text, node.at);
                assert_eq!(l, line, "{node:?}");
                // `*x` itself, or the `[` of the list holding it.
                assert!(c == 4 || c == 5, "{node:?} at {l}:{c}");
            }
        }
        let Value::List(original) = &entries[0].1.value else {
            panic!()
        };
        assert_eq!(place(text, original[1].at), (3, 5));
    }

    #[test]
    fn nodes_stay_small() {
        // A 100,000-server inventory has 1.4 million nodes.
        assert!(std::mem::size_of::<Node<'_>>() <= 32);
    }

    #[test]
    fn a_repeated_key_is_kept() {
        let text = "a: 1\na: 2\n";
        let root = read(text).unwrap();
        let entries = map(&root);
        assert_eq!(entries.len(), 2);
        assert_eq!(place(text, entries[1].0.at), (2, 1));
    }

    #[test]
    fn syntax_errors_say_where_the_unclosed_construct_starts() {
        let text = "servers:\n  - ipv6: [2001:db8::25\n    ttl: 5\nx: 1\n";
        let err = read(text).unwrap_err();
        assert!(
            err.message
                .contains("flow sequence that starts at line 2 column 11"),
            "{}",
            err.message
        );
        assert!(err.message.contains("`]`"), "{}", err.message);
        assert!(err.offset.is_some());
    }
}
