//! Where each YAML node sits in the source.
//!
//! The YAML reader lends plain and quoted text straight from the file, so
//! the place of such a node is exact: its offset in the text. The few nodes
//! it does not lend (numbers, booleans, nulls, escaped text, the start of a
//! collection, a node repeated through an alias) are placed from the last
//! exact place: the next token after it, as [`At`] records. Positions are
//! worked out only when a problem is reported.

use std::collections::HashMap;

use super::raw::{Node, Tree, Value};

/// A 1-based line and column in the inventory file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

/// Where a node starts, as the reader saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum At {
    /// The byte offset of text the reader lent from the file.
    Exact(u32),
    /// A scalar whose text was not lent (a number, escaped text): past byte
    /// `after`, the scalar token after `skip` others.
    Scalar { after: u32, skip: u16 },
    /// A null, which may be written as nothing at all: placed like a
    /// scalar, or just after its `:` or `-` when its line ends there.
    Null { after: u32, skip: u16 },
    /// A sequence or mapping: its `[`, `{`, `-` or first key past byte
    /// `after`, once `skip` scalar tokens are passed.
    Collection { after: u32, skip: u16 },
    /// A node the reader repeated for an alias: the `*alias` past byte
    /// `after`, which the user wrote, not the anchored original.
    Alias(u32),
}

impl At {
    /// The byte offset in `text` where the node starts.
    pub(crate) fn offset(self, text: &str) -> usize {
        let bytes = text.as_bytes();
        let clamp = |offset: u32| (offset as usize).min(bytes.len());
        match self {
            At::Exact(offset) => {
                let offset = clamp(offset);
                // Quoted text is lent without its quotes.
                match offset.checked_sub(1).map(|before| bytes[before]) {
                    Some(b'\'' | b'"') => offset - 1,
                    _ => offset,
                }
            }
            At::Scalar { after, skip } => scalar_after(bytes, clamp(after), skip, false),
            At::Null { after, skip } => scalar_after(bytes, clamp(after), skip, true),
            At::Collection { after, skip } => {
                let start = skip_scalars(bytes, clamp(after), skip);
                next_token(bytes, start, Openers::Stop).unwrap_or(start)
            }
            At::Alias(after) => {
                let after = clamp(after);
                next_token(bytes, after, Openers::Skip).unwrap_or(after)
            }
        }
    }
}

/// Whether [`next_token`] stops at a collection's opening `[`, `{` or `-`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Openers {
    Stop,
    Skip,
}

fn is_blank(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

fn blank_or_end(bytes: &[u8], at: usize) -> bool {
    bytes.get(at).is_none_or(|&b| is_blank(b))
}

/// The `skip`-th scalar token past `from`, or for a null written as
/// nothing, the place just after the indicator that ends its line.
fn scalar_after(bytes: &[u8], from: usize, skip: u16, null: bool) -> usize {
    let start = skip_scalars(bytes, from, skip);
    if null {
        // Nothing written: the place after the last indicator (`:`, `-`,
        // …) that ends its line before the next token.
        let mut empty = None;
        let mut indicator_end = None;
        let mut i = start;
        while let Some(&byte) = bytes.get(i) {
            let indicator = match byte {
                b':' | b'?' => blank_or_end(bytes, i + 1) || b",]}".contains(&bytes[i + 1]),
                b'-' => blank_or_end(bytes, i + 1),
                b',' | b'[' | b'{' => true,
                _ => false,
            };
            match byte {
                b'\n' | b'#' => {
                    if indicator_end.is_some() {
                        empty = indicator_end.take();
                    }
                    while bytes.get(i).is_some_and(|&b| b != b'\n') {
                        i += 1;
                    }
                    i += 1;
                }
                b' ' | b'\t' | b'\r' => i += 1,
                _ if indicator => {
                    i += 1;
                    indicator_end = Some(i);
                }
                _ => break,
            }
        }
        if i >= bytes.len() && indicator_end.is_some() {
            empty = indicator_end;
        }
        if let Some(end) = empty {
            return end;
        }
    }
    next_token(bytes, start, Openers::Skip).unwrap_or(start)
}

/// Past `from`, passes `skip` scalar tokens and returns the offset after
/// the last one.
fn skip_scalars(bytes: &[u8], from: usize, skip: u16) -> usize {
    let mut at = from;
    for _ in 0..skip {
        match next_token(bytes, at, Openers::Skip) {
            Some(start) => at = token_end(bytes, start),
            None => break,
        }
    }
    at
}

/// The start of the next node token at or past `from`: indicators,
/// blanks, comments, anchors and tags are passed over.
fn next_token(bytes: &[u8], from: usize, openers: Openers) -> Option<usize> {
    let mut i = from;
    loop {
        let byte = *bytes.get(i)?;
        let line_start = i == 0 || bytes[i - 1] == b'\n';
        match byte {
            b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}' => i += 1,
            b'#' if i == 0 || is_blank(bytes[i - 1]) || b",[{".contains(&bytes[i - 1]) => {
                while bytes.get(i).is_some_and(|&b| b != b'\n') {
                    i += 1;
                }
            }
            b'-' | b'.'
                if line_start
                    && bytes[i..].starts_with(if byte == b'-' { b"---" } else { b"..." })
                    && blank_or_end(bytes, i + 3) =>
            {
                i += 3;
            }
            b':' | b'?' if blank_or_end(bytes, i + 1) || b",[]{}".contains(&bytes[i + 1]) => i += 1,
            b'-' | b'[' | b'{' if byte != b'-' || blank_or_end(bytes, i + 1) => {
                if openers == Openers::Stop {
                    return Some(i);
                }
                i += 1;
            }
            b'&' | b'!' => {
                while bytes
                    .get(i)
                    .is_some_and(|&b| !is_blank(b) && !b",[]{}".contains(&b))
                {
                    i += 1;
                }
            }
            _ => return Some(i),
        }
    }
}

/// The offset just past the scalar token starting at `start`.
fn token_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    match bytes[start] {
        quote @ (b'\'' | b'"') => {
            while let Some(&byte) = bytes.get(i) {
                i += 1;
                if byte == b'\\' && quote == b'"' {
                    i += 1;
                } else if byte == quote {
                    if quote == b'\'' && bytes.get(i) == Some(&b'\'') {
                        i += 1;
                    } else {
                        break;
                    }
                }
            }
        }
        _ => {
            while let Some(&byte) = bytes.get(i) {
                let ends = match byte {
                    b'\n' | b'\r' | b',' | b'[' | b']' | b'{' | b'}' => true,
                    b':' => blank_or_end(bytes, i + 1),
                    b'#' => is_blank(bytes[i - 1]),
                    _ => false,
                };
                if ends {
                    break;
                }
                i += 1;
            }
        }
    }
    i.min(bytes.len())
}

/// The start of every line, to turn offsets into line and column.
#[derive(Debug, Clone)]
pub(crate) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { starts }
    }

    /// The line and column of byte `offset` in `text`.
    pub(crate) fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        // A column counts characters; an offset inside one counts it whole.
        let column = text.as_bytes()[start..offset]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count()
            + 1;
        Position { line, column }
    }
}

/// The place of every node of one document, by key path
/// (`domains[1].servers[0]`), for problems found after loading.
#[derive(Debug, Default, Clone)]
pub(crate) struct SpanIndex {
    nodes: HashMap<String, At>,
}

impl SpanIndex {
    /// Indexes the nodes of `tree`; a key given twice keeps its first
    /// place, the value the loader uses.
    pub(crate) fn build(tree: &Tree<'_>) -> Self {
        let mut index = SpanIndex::default();
        index.add(tree, String::new(), tree.root());
        index
    }

    fn add(&mut self, tree: &Tree<'_>, path: String, node: &Node<'_>) {
        for (i, item) in tree.items(node).iter().enumerate() {
            self.add(tree, format!("{path}[{i}]"), item);
        }
        for (key, value) in tree.entries(node) {
            if let Value::Text(key) = &key.value {
                let child = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                if !self.nodes.contains_key(&child) {
                    self.add(tree, child, value);
                }
            }
        }
        self.nodes.entry(path).or_insert(node.at);
    }

    /// The place of the node at `path`, or of its nearest indexed ancestor.
    pub(crate) fn locate(&self, path: &str) -> Option<At> {
        let mut path = path;
        loop {
            if let Some(at) = self.nodes.get(path) {
                return Some(*at);
            }
            let cut = path.rfind(['.', '['])?;
            path = &path[..cut];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(text: &str, at: At) -> (usize, usize) {
        let p = Lines::new(text).position(text, at.offset(text));
        (p.line, p.column)
    }

    #[test]
    fn lines_and_columns_are_one_based_and_count_characters() {
        let text = "a: é\nbc: [x, ü]\n";
        let lines = Lines::new(text);
        assert_eq!(lines.position(text, 0), Position { line: 1, column: 1 });
        let u = text.find('ü').unwrap();
        assert_eq!(lines.position(text, u), Position { line: 2, column: 9 });
        assert_eq!(
            lines.position(text, text.len()),
            Position { line: 3, column: 1 }
        );
    }

    #[test]
    fn unlent_nodes_are_placed_from_the_last_exact_place() {
        let text = "ttl: -5\nzones: [1, 2, 'x']\nempty:\nnext: 1\n";
        // After `ttl` (offset 3): the number.
        assert_eq!(position(text, At::Scalar { after: 3, skip: 0 }), (1, 6));
        // After `zones` (offset 13): the list, then its second number.
        assert_eq!(
            position(text, At::Collection { after: 13, skip: 0 }),
            (2, 8)
        );
        assert_eq!(position(text, At::Scalar { after: 13, skip: 1 }), (2, 12));
        // An empty value sits just after its `:`.
        let empty = text.find("empty").unwrap() as u32 + 5;
        assert_eq!(
            position(
                text,
                At::Null {
                    after: empty,
                    skip: 0
                }
            ),
            (3, 7)
        );
        // A quoted string is placed at its quote.
        let x = text.find('x').unwrap() as u32;
        assert_eq!(position(text, At::Exact(x)), (2, 15));
    }

    #[test]
    fn an_alias_use_is_placed_at_the_alias() {
        let text = "a: &x [1]\nb: *x\n";
        let after_b = text.find("b").unwrap() as u32 + 1;
        assert_eq!(position(text, At::Alias(after_b)), (2, 4));
    }
}
