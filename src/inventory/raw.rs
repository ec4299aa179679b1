//! The inventory as written: one YAML reader gives every value and its
//! place.
//!
//! serde_yaml reads the text into a [`Tree`] of nodes that keeps what YAML
//! says and nothing more: text, numbers, lists, mappings (with a key given
//! twice kept twice, so that it can be reported where it is repeated). The
//! nodes live in one vector, the items of each collection side by side: a
//! 100,000-server inventory has 1.4 million of them, and one allocation
//! instead of one per collection halves the cost of building and freeing
//! them.
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

/// The nodes of one document.
#[derive(Debug)]
pub(crate) struct Tree<'a> {
    /// Every node; the root comes last.
    nodes: Vec<Node<'a>>,
}

impl<'a> Tree<'a> {
    pub(crate) fn root(&self) -> &Node<'a> {
        self.nodes.last().expect("a tree has its root")
    }

    /// The items of a list; nothing for other nodes.
    pub(crate) fn items(&self, node: &Node<'a>) -> &[Node<'a>] {
        match node.value {
            Value::List { start, len } => &self.nodes[start as usize..][..len as usize],
            _ => &[],
        }
    }

    /// The (key, value) entries of a mapping; nothing for other nodes.
    pub(crate) fn entries(&self, node: &Node<'a>) -> impl Iterator<Item = (&Node<'a>, &Node<'a>)> {
        let nodes = match node.value {
            Value::Map { start, len } => &self.nodes[start as usize..][..2 * len as usize],
            _ => &[],
        };
        nodes.chunks_exact(2).map(|pair| (&pair[0], &pair[1]))
    }
}

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
    /// `len` items from `start` in the tree.
    List {
        start: u32,
        len: u32,
    },
    /// `len` entries, each a key and a value, from `start` in the tree, in
    /// the order written, a repeated key included.
    Map {
        start: u32,
        len: u32,
    },
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
            Value::Null | Value::Big | Value::List { .. } | Value::Map { .. } | Value::Tagged => {
                None
            }
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
///
/// serde_yaml types every plain scalar it hands over (null, boolean, four
/// kinds of integer, float: some 750 instructions each), which for a key
/// is wasted: keys are names. Without a tag (`!`) or an anchor (`&`) in the
/// file, a scalar that [`reads_as_text`] is text whatever its style, so
/// keys, and values the text ahead shows to be such scalars, are first
/// read as text, untyped. Any other key, any such value that turns out
/// otherwise, and any problem at all, sends the file through the reader
/// that types every scalar, which gives the tree, places and errors it
/// always gave.
pub(crate) fn read(text: &str) -> Result<Tree<'_>, SyntaxError> {
    let bytes = text.as_bytes();
    if !bytes.contains(&b'!')
        && !bytes.contains(&b'&')
        && let Ok(tree) = read_with(text, Scalars::Text)
    {
        return Ok(tree);
    }
    read_with(text, Scalars::Typed)
}

fn read_with(text: &str, scalars: Scalars) -> Result<Tree<'_>, SyntaxError> {
    let reader = Reader {
        text,
        base: text.as_ptr() as usize,
        len: text.len(),
        scalars,
        cursor: Cell::new(0),
        skip: Cell::new(0),
        alias: Cell::new(None),
        pending: RefCell::new(Vec::new()),
        nodes: RefCell::new(Vec::new()),
        error_path: RefCell::new(Vec::new()),
    };
    let result = Seed(&reader).deserialize(yaml::Deserializer::from_str(text));
    match result {
        Ok(root) => {
            let mut nodes = reader.nodes.into_inner();
            nodes.push(root);
            Ok(Tree { nodes })
        }
        Err(err) => Err(syntax_error(&err, reader.error_path.into_inner())),
    }
}

/// How the reader reads scalars: all typed, or keys and values that
/// look like text untyped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scalars {
    /// Typed, every scalar.
    Typed,
    /// Keys, and values that look like text, as text; one that might not
    /// read as text fails the read.
    Text,
}

/// YAML's spellings of null and the booleans that start with a letter.
const NULLS_AND_BOOLEANS: [&str; 9] = [
    "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
];

/// Whether `first` starts one of [`NULLS_AND_BOOLEANS`].
fn null_or_boolean_start(first: u8) -> bool {
    matches!(first, b'n' | b'N' | b't' | b'T' | b'f' | b'F')
}

/// Whether serde_yaml types the plain scalar `text` as text. One that
/// starts with a letter is no number (`inf` and `nan` are not finite,
/// which serde_yaml refuses as floats) and, unless it is `null`, `true` or
/// `false` in one of YAML's spellings, neither a null nor a boolean. One
/// with a `:` or two `.` (addresses) is no number in any base, no float,
/// no null and no boolean.
fn reads_as_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() => {
            !(null_or_boolean_start(*b) && NULLS_AND_BOOLEANS.contains(&text))
        }
        Some(_) => bytes.iter().filter(|&&b| b == b'.').nth(1).is_some() || bytes.contains(&b':'),
        None => false,
    }
}

fn syntax_error(err: &yaml::Error, mut segments: Vec<Segment>) -> SyntaxError {
    {
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
    }
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
    text: &'a str,
    base: usize,
    len: usize,
    scalars: Scalars,
    /// End of the last lent text, in document order.
    cursor: Cell<u32>,
    /// Scalars read since `cursor` whose text was not lent.
    skip: Cell<u16>,
    /// Set while the reader repeats an anchored node for an alias: the
    /// cursor at the alias.
    alias: Cell<Option<u32>>,
    /// The items and entries of the collections being read, innermost
    /// last: a collection, once read, moves its own off the end into
    /// `nodes`, side by side.
    pending: RefCell<Vec<Node<'a>>>,
    /// The nodes of the collections read so far.
    nodes: RefCell<Vec<Node<'a>>>,
    /// The path to a failing node, built while the error travels up.
    error_path: RefCell<Vec<Segment>>,
}

enum Segment {
    Key(String),
    Index(usize),
}

impl Reader<'_> {
    /// The place of text lent from the file.
    #[inline]
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
    #[inline]
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

    /// Moves the pending nodes from `mark` on into the tree, side by side;
    /// returns where they start and how many they are.
    #[inline]
    fn settle(&self, mark: usize) -> (u32, u32) {
        let mut pending = self.pending.borrow_mut();
        let mut nodes = self.nodes.borrow_mut();
        // Node counts stay far below 4 billion: the loader refuses files
        // over 1 GiB, and aliases may add no more than 100,000 nodes.
        let start = nodes.len() as u32;
        nodes.extend(pending.drain(mark..));
        (start, nodes.len() as u32 - start)
    }

    /// Whether the node after the cursor is a plain scalar on the same
    /// line that [`reads_as_text`]: a guess from the text ahead, which a
    /// wrong one costs a second read, never a wrong tree. `after` are the
    /// indicators between the node just read and this one: `:` for a
    /// mapping's value, `:[` for the first item of a flow list that is
    /// one, `,` for the next item.
    fn text_ahead(&self, after: &[u8]) -> bool {
        if self.scalars == Scalars::Typed || self.alias.get().is_some() {
            return false;
        }
        let bytes = self.text.as_bytes();
        let mut i = self.cursor.get() as usize;
        // The closing quote of the key or item just read.
        if matches!(bytes.get(i), Some(b'\'' | b'"')) {
            i += 1;
        }
        let spaces = |mut i: usize| {
            while bytes.get(i) == Some(&b' ') {
                i += 1;
            }
            i
        };
        for &indicator in after {
            i = spaces(i);
            if bytes.get(i) != Some(&indicator) {
                return false;
            }
            i += 1;
        }
        let start = spaces(i);
        match bytes.get(start) {
            Some(&b) if b.is_ascii_alphabetic() => {
                !null_or_boolean_start(b)
                    || !NULLS_AND_BOOLEANS
                        .iter()
                        .any(|word| bytes[start..].starts_with(word.as_bytes()))
            }
            Some(b) if b.is_ascii_digit() => {
                // Up to where the scalar surely still runs: a `:` inside
                // it, or a second `.`, makes it text.
                let mut dots = 0;
                for (j, &b) in bytes[start..].iter().enumerate() {
                    match b {
                        b'.' if dots == 1 => return true,
                        b'.' => dots += 1,
                        b':' => {
                            return !matches!(
                                bytes.get(start + j + 1),
                                None | Some(
                                    b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}'
                                )
                            );
                        }
                        b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}' | b'#' => {
                            return false;
                        }
                        _ => {}
                    }
                }
                false
            }
            _ => false,
        }
    }

    #[inline]
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

    #[inline]
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

    #[inline]
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let at = self.0.collection();
        let mark = self.0.pending.borrow().len();
        loop {
            let after: &[u8] = match self.0.pending.borrow().len() == mark {
                true => b":[",
                false => b",",
            };
            let item = if self.0.text_ahead(after) {
                seq.next_element_seed(TextSeed(self))
            } else {
                seq.next_element_seed(self)
            };
            match item {
                Ok(Some(item)) => self.0.pending.borrow_mut().push(item),
                Ok(None) => break,
                Err(err) => {
                    let items = self.0.pending.borrow().len() - mark;
                    self.fail(mark, Segment::Index(items));
                    return Err(err);
                }
            }
        }
        let (start, len) = self.0.settle(mark);
        Ok(Node {
            at,
            value: Value::List { start, len },
        })
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let at = self.0.collection();
        let mark = self.0.pending.borrow().len();
        while let Some(key) = match self.0.scalars {
            Scalars::Typed => map.next_key_seed(self),
            Scalars::Text => map.next_key_seed(TextSeed(self)),
        }
        .inspect_err(|_| self.fail(mark, None))?
        {
            self.0.pending.borrow_mut().push(key);
            let value = if self.0.text_ahead(b":") {
                map.next_value_seed(TextSeed(self))
            } else {
                map.next_value_seed(self)
            };
            let value = value.inspect_err(|_| {
                // The key is still the last pending node: a failed value
                // takes its own nodes away. Named only now, as the file
                // fails: a key read costs no copy of its text.
                let name = self
                    .0
                    .pending
                    .borrow()
                    .last()
                    .and_then(|key| key.value.as_text().map(Cow::into_owned));
                self.fail(mark, Segment::Key(name.unwrap_or_else(|| "?".into())));
            })?;
            self.0.pending.borrow_mut().push(value);
        }
        let (start, len) = self.0.settle(mark);
        Ok(Node {
            at,
            value: Value::Map {
                start,
                len: len / 2,
            },
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

/// A mapping key, or a value that looks like text, read as text (see
/// [`read`]).
#[derive(Clone, Copy)]
struct TextSeed<'r, 'de>(Seed<'r, 'de>);

impl<'de> DeserializeSeed<'de> for TextSeed<'_, 'de> {
    type Value = Node<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Node<'de>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for TextSeed<'_, 'de> {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar that reads as text")
    }

    #[inline]
    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Node<'de>, E> {
        if !reads_as_text(text) {
            return Err(E::custom("a scalar to type"));
        }
        self.0.visit_borrowed_str(text)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Node<'de>, E> {
        if !reads_as_text(text) {
            return Err(E::custom("a scalar to type"));
        }
        self.0.visit_str(text)
    }
}

impl<'de> Seed<'_, 'de> {
    #[inline]
    fn scalar(self, value: Value<'de>) -> Node<'de> {
        Node {
            at: self.0.unlent(false),
            value,
        }
    }

    /// A collection failed: its pending nodes go, and its part of the
    /// path to the failure is noted.
    fn fail(self, mark: usize, segment: impl Into<Option<Segment>>) {
        self.0.pending.borrow_mut().truncate(mark);
        if let Some(segment) = segment.into() {
            self.0.error_path.borrow_mut().push(segment);
        }
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

    fn entries<'t, 'a>(
        tree: &'t Tree<'a>,
        node: &'t Node<'a>,
    ) -> Vec<(&'t Node<'a>, &'t Node<'a>)> {
        assert!(matches!(node.value, Value::Map { .. }), "{node:?}");
        tree.entries(node).collect()
    }

    #[test]
    fn every_node_has_its_place() {
        let text = "ttl: 60\nzones: [a.example, \"b\\x41\"]\nservers:\n  - hostname: 'm.example'\n    x:\n";
        let tree = read(text).unwrap();
        let root = entries(&tree, tree.root());
        assert_eq!(place(text, root[0].0.at), (1, 1));
        assert_eq!(place(text, root[0].1.at), (1, 6));
        let zones = tree.items(root[1].1);
        assert_eq!(place(text, root[1].1.at), (2, 8));
        assert_eq!(place(text, zones[0].at), (2, 9));
        // Escaped text is not lent; it is found after the last lent text.
        assert!(matches!(&zones[1].value, Value::Text(t) if t == "bA"));
        assert_eq!(place(text, zones[1].at), (2, 20));
        let servers = tree.items(root[2].1);
        let server = entries(&tree, &servers[0]);
        assert_eq!(place(text, server[0].1.at), (4, 15));
        assert!(matches!(server[1].1.value, Value::Null));
        assert_eq!(place(text, server[1].1.at), (5, 7));
    }

    #[test]
    fn nodes_read_through_an_alias_are_placed_at_the_alias() {
        let text = "a: &x\n  - one\n  - 2\nb: *x\nc: [*x]\n";
        let tree = read(text).unwrap();
        let root = entries(&tree, tree.root());
        for (entry, line) in [(1, 4), (2, 5)] {
            let mut nodes = vec![root[entry].1];
            while let Some(node) = nodes.pop() {
                nodes.extend(tree.items(node));
                let (l, c) = place(text, node.at);
                assert_eq!(l, line, "{node:?}");
                // `*x` itself, or the `[` of the list holding it.
                assert!(c == 4 || c == 5, "{node:?} at {l}:{c}");
            }
        }
        assert_eq!(place(text, tree.items(root[0].1)[1].at), (3, 5));
    }

    #[test]
    fn nodes_stay_small() {
        // A 100,000-server inventory has 1.4 million nodes.
        assert!(std::mem::size_of::<Node<'_>>() <= 32);
    }

    #[test]
    fn scalars_read_as_text_give_the_tree_the_typed_reader_gives() {
        for text in [
            "ttl: 60\nzones: [a.example, 'b', \"c\\x41\"]\nservers:\n  - hostname: m\n    x:\n",
            "a: 1\n'5': x\n\"null\": y\n{b: c}: d\n",
            "5: x\nnull: y\n~: z\ntrue: t\n: e\n",
            "? [a, b]\n: c\n",
            "{x: 1, y: [2, {z: 3}]}\n",
            "a: 1.2.3.4 # c\nb: [10:30, 1.2, 1.2.3, 0x1f, 1e5, -.inf, .nan, true, nope, ~]\n",
            "a: [1.2.3: x, 2001:db8::1, '1.2.3', \"2:3\"]\nb:   nulls\nc: null\nd: True\ne: Falsey\n",
            "a: one\n  two\nb: 1.2.\n  3\nc:\n  d: 1.2.3.4\n  e: [f]\ng: [h,\n  1.1.1.1]\n",
            "\"a\": \"b\"\n'c': d\n\"e\":[1.2.3]\n",
        ] {
            let typed = format!(
                "{:?}",
                read_with(text, Scalars::Typed).map_err(|e| e.message)
            );
            if let Ok(tree) = read_with(text, Scalars::Text) {
                assert_eq!(format!("{:?}", Ok::<_, String>(tree)), typed, "{text}");
            }
            assert_eq!(
                typed,
                format!("{:?}", read(text).map_err(|e| e.message)),
                "{text}"
            );
        }
        // A key serde_yaml would type fails the untyped read.
        assert!(read_with("5: x\n", Scalars::Text).is_err());
        assert!(read_with("True: x\n", Scalars::Text).is_err());
        assert!(read_with("[a]: x\n", Scalars::Text).is_err());
        assert!(read_with("inf: x\nnan: y\n", Scalars::Text).is_ok());
        // Values are read as text only where the text ahead says so.
        assert!(
            read_with(
                "a: [b, 1.2.3.4, 2001:db8::1]\nc: 5\nd: true\n",
                Scalars::Text
            )
            .is_ok()
        );
    }

    #[test]
    fn a_repeated_key_is_kept() {
        let text = "a: 1\na: 2\n";
        let tree = read(text).unwrap();
        let root = entries(&tree, tree.root());
        assert_eq!(root.len(), 2);
        assert_eq!(place(text, root[1].0.at), (2, 1));
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
        assert_eq!(err.path, "servers[0].ipv6[1]");
    }
}
