//! Limits an inventory must keep before the YAML reader sees it.
//!
//! The reader (libyaml underneath serde_yaml) spends time proportional to
//! the tokens times the nesting depth of flow collections, so 80,000 `[`
//! cost it 18 s; and it expands every alias, so one anchor of 1,000 values
//! aliased 1,000 times becomes a million values. Neither can be stopped
//! once the reader runs, so both are checked first, in one pass that stops
//! at the first construct over a limit:
//!
//! - [`Lexer`] follows libyaml's own scanner rules for the YAML an
//!   inventory is written in (block and flow collections, plain and quoted
//!   text, comments) and measures the nesting depth exactly, at the cost of
//!   one read of the bytes. When it meets anything else (anchors, aliases,
//!   tags, block scalars, tabs, directives) it gives up;
//! - then yaml-rust2's parser reads the document's events and measures the
//!   depth and what its aliases expand to. A document yaml-rust2 refuses is
//!   refused with its error: it cannot be shown to be within the limits.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

use super::span::{Lines, Position};

/// The deepest nesting of collections accepted. An inventory needs five
/// (the top mapping, `domains`, a domain, its `dmarc`, the `rua` list).
pub const MAX_DEPTH: usize = 10;

/// How many values all aliases of a document may repeat together.
pub const MAX_ALIAS_VALUES: u64 = 100_000;

/// Why a document is refused before it is read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// Where the limit was crossed or the problem found.
    pub(crate) position: Position,
    pub(crate) message: String,
}

/// Checks `text` against the limits.
pub(crate) fn check(text: &str) -> Result<(), Refusal> {
    match Lexer::new(text.as_bytes()).run() {
        Verdict::Within => Ok(()),
        Verdict::TooDeep(offset) => Err(Refusal {
            position: Lines::new(text).position(text, offset),
            message: too_deep(),
        }),
        Verdict::Unsure => check_events(text),
    }
}

fn too_deep() -> String {
    format!(
        "the YAML nests deeper than {MAX_DEPTH} levels; accepted: an inventory nests at most 5 (the top mapping, `domains`, a domain, its `dmarc`, its `rua` list)"
    )
}

/// What the lexer found.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Within the limits, as far as libyaml reads (it stops at its first
    /// error, and so may read less than the lexer did).
    Within,
    /// The collection starting at this byte offset nests too deep.
    TooDeep(usize),
    /// The text uses YAML the lexer does not follow.
    Unsure,
}

/// One step of the lexer: go on, or stop with a verdict.
type Step = Result<(), Verdict>;

/// A scanner for the depth of libyaml's collections, mirroring
/// `yaml_parser_fetch_next_token` and the routines it calls for the tokens
/// an inventory uses. Columns count characters, as libyaml's do.
struct Lexer<'t> {
    bytes: &'t [u8],
    i: usize,
    column: usize,
    /// libyaml's `flow_level`.
    flow: usize,
    /// libyaml's `indent` and `indents`: one entry per open block collection.
    indent: isize,
    indents: Vec<isize>,
    /// libyaml's `simple_key_allowed`, in block context.
    key_allowed: bool,
    /// Column and offset of a token on this line that may be a mapping key.
    key: Option<(usize, usize)>,
}

impl<'t> Lexer<'t> {
    fn new(bytes: &'t [u8]) -> Self {
        Lexer {
            bytes,
            i: 0,
            column: 0,
            flow: 0,
            indent: -1,
            indents: Vec::new(),
            key_allowed: true,
            key: None,
        }
    }

    fn run(mut self) -> Verdict {
        if self.bytes.starts_with(BOM) {
            self.i = BOM.len();
        }
        match self.tokens() {
            Ok(()) => Verdict::Within,
            Err(verdict) => verdict,
        }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    fn blank_or_end(&self, at: usize) -> bool {
        matches!(self.byte(at), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
    }

    /// One character forward.
    fn advance(&mut self) {
        self.i += 1;
        while self.byte(self.i).is_some_and(|b| b & 0xC0 == 0x80) {
            self.i += 1;
        }
        self.column += 1;
    }

    /// One ASCII character forward (the text is UTF-8: no part of a
    /// character follows it).
    fn advance_ascii(&mut self) {
        self.i += 1;
        self.column += 1;
    }

    /// Past a run of ASCII bytes that `table` calls ordinary.
    fn skip_run(&mut self, table: &[bool; 256]) {
        let run = self.bytes[self.i..]
            .iter()
            .position(|&b| !table[usize::from(b)])
            .unwrap_or(self.bytes.len() - self.i);
        self.i += run;
        self.column += run;
    }

    /// Past a line break (`\n`, `\r\n` or `\r`).
    fn newline(&mut self) {
        if self.byte(self.i) == Some(b'\r') && self.byte(self.i + 1) == Some(b'\n') {
            self.i += 1;
        }
        self.i += 1;
        self.column = 0;
    }

    /// libyaml also breaks lines at NEL, LS and PS, and skips a BOM that
    /// starts any line; the lexer leaves such text to yaml-rust2.
    #[inline]
    fn unusual(&self) -> Step {
        if self.byte(self.i).is_none_or(|b| b < 0xC2) {
            return Ok(());
        }
        let rest = &self.bytes[self.i..];
        if rest.starts_with(b"\xC2\x85")
            || rest.starts_with(b"\xE2\x80\xA8")
            || rest.starts_with(b"\xE2\x80\xA9")
            || (self.column == 0 && rest.starts_with(BOM))
        {
            return Err(Verdict::Unsure);
        }
        Ok(())
    }

    fn document_marker(&self) -> Option<u8> {
        if self.column != 0 {
            return None;
        }
        let rest = &self.bytes[self.i..];
        ((rest.starts_with(b"---") || rest.starts_with(b"...")) && self.blank_or_end(self.i + 3))
            .then(|| rest[0])
    }

    fn depth(&self) -> usize {
        self.flow + self.indents.len()
    }

    /// libyaml's `yaml_parser_roll_indent`: a block collection opens.
    fn roll(&mut self, column: usize, offset: usize) -> Step {
        if self.flow == 0 && self.indent < column as isize {
            self.indents.push(self.indent);
            self.indent = column as isize;
            if self.depth() > MAX_DEPTH {
                return Err(Verdict::TooDeep(offset));
            }
        }
        Ok(())
    }

    /// libyaml's `yaml_parser_unroll_indent`: block collections close.
    fn unroll(&mut self, column: isize) {
        if self.flow == 0 {
            while self.indent > column {
                self.indent = self.indents.pop().unwrap_or(-1);
            }
        }
    }

    /// A token that may be a simple key starts here.
    fn maybe_key(&mut self) {
        if self.flow == 0 && self.key_allowed {
            self.key = Some((self.column, self.i));
        }
        self.key_allowed = false;
    }

    fn tokens(&mut self) -> Step {
        loop {
            self.skip_to_token()?;
            let Some(byte) = self.byte(self.i) else {
                return Ok(());
            };
            self.unroll(self.column as isize);
            if let Some(marker) = self.document_marker() {
                if marker == b'.' {
                    return Err(Verdict::Unsure);
                }
                if self.flow > 0 {
                    // libyaml's parser refuses a document start here.
                    return Ok(());
                }
                self.unroll(-1);
                self.key = None;
                self.key_allowed = false;
                for _ in 0..3 {
                    self.advance();
                }
                continue;
            }
            let next = self.byte(self.i + 1);
            let blank_next = self.blank_or_end(self.i + 1);
            match byte {
                b'[' | b'{' => {
                    self.maybe_key();
                    self.flow += 1;
                    if self.depth() > MAX_DEPTH {
                        return Err(Verdict::TooDeep(self.i));
                    }
                    self.key_allowed = true;
                    self.advance_ascii();
                }
                b']' | b'}' => {
                    if self.flow == 0 {
                        // A stray closer: libyaml's parser stops here.
                        return Ok(());
                    }
                    self.flow -= 1;
                    self.key_allowed = false;
                    self.advance_ascii();
                }
                b',' => {
                    if self.flow == 0 {
                        return Ok(());
                    }
                    self.key_allowed = true;
                    self.advance_ascii();
                }
                b'-' if blank_next => {
                    if self.flow > 0 {
                        return Ok(());
                    }
                    self.roll(self.column, self.i)?;
                    self.key = None;
                    self.key_allowed = true;
                    self.advance_ascii();
                }
                b'?' if self.flow > 0 || blank_next => return Err(Verdict::Unsure),
                b':' if self.flow > 0 || blank_next => {
                    if self.flow == 0 {
                        let Some((column, offset)) = self.key.take() else {
                            return Err(Verdict::Unsure);
                        };
                        self.roll(column, offset)?;
                        self.key_allowed = true;
                    }
                    self.advance_ascii();
                }
                b'*' | b'&' | b'!' | b'%' => return Err(Verdict::Unsure),
                b'|' | b'>' if self.flow == 0 => return Err(Verdict::Unsure),
                b'\'' | b'"' => {
                    self.maybe_key();
                    self.quoted(byte)?;
                }
                _ if plain_start(byte, next, self.flow > 0) => {
                    self.maybe_key();
                    self.plain()?;
                }
                // libyaml: "found character that cannot start any token".
                _ => return Ok(()),
            }
        }
    }

    /// Steps over a run of spaces at once.
    fn skip_spaces(&mut self) {
        let spaces = self.bytes[self.i..]
            .iter()
            .take_while(|&&b| b == b' ')
            .count();
        self.i += spaces;
        self.column += spaces;
    }

    /// libyaml's `yaml_parser_scan_to_next_token`: blanks, comments, breaks.
    fn skip_to_token(&mut self) -> Step {
        loop {
            self.skip_spaces();
            match self.byte(self.i) {
                // Whether libyaml skips a tab depends on state it is not
                // worth following here.
                Some(b'\t') => return Err(Verdict::Unsure),
                Some(b'#') => self.comment()?,
                Some(b'\n' | b'\r') => {}
                Some(0xC2..) => return self.unusual(),
                _ => return Ok(()),
            }
            if self.byte(self.i).is_some() {
                self.newline();
                if self.flow == 0 {
                    self.key_allowed = true;
                    self.key = None;
                }
            }
        }
    }

    /// Past a comment, to its line break. Its columns do not matter: the
    /// next line starts at 0.
    fn comment(&mut self) -> Step {
        loop {
            let rest = &self.bytes[self.i..];
            match rest
                .iter()
                .position(|&b| matches!(b, b'\n' | b'\r' | 0xC2..))
            {
                None => {
                    self.i = self.bytes.len();
                    return Ok(());
                }
                Some(at) => self.i += at,
            }
            if matches!(self.bytes[self.i], b'\n' | b'\r') {
                return Ok(());
            }
            self.unusual()?;
            self.i += 1;
        }
    }

    /// libyaml's `yaml_parser_scan_flow_scalar`.
    fn quoted(&mut self, quote: u8) -> Step {
        self.advance_ascii();
        loop {
            self.skip_run(&QUOTED_RUN);
            if self.document_marker().is_some() {
                return Ok(());
            }
            self.unusual()?;
            let Some(byte) = self.byte(self.i) else {
                return Ok(());
            };
            match byte {
                b'\'' if quote == b'\'' && self.byte(self.i + 1) == Some(b'\'') => {
                    self.advance_ascii();
                    self.advance_ascii();
                }
                _ if byte == quote => {
                    self.advance_ascii();
                    return Ok(());
                }
                b'\\' if quote == b'"' => {
                    self.advance();
                    if !matches!(self.byte(self.i), None | Some(b'\n' | b'\r')) {
                        self.unusual()?;
                        self.advance();
                    }
                }
                b'\n' | b'\r' => self.newline(),
                0x80.. => self.advance(),
                _ => self.advance_ascii(),
            }
        }
    }

    /// libyaml's `yaml_parser_scan_plain_scalar`.
    fn plain(&mut self) -> Step {
        let flow = self.flow > 0;
        let indent = self.indent + 1;
        let mut broke = false;
        loop {
            if self.document_marker().is_some() || self.byte(self.i) == Some(b'#') {
                break;
            }
            loop {
                self.skip_run(&PLAIN_RUN);
                let Some(byte) = self.byte(self.i) else {
                    break;
                };
                match byte {
                    b' ' | b'\t' | b'\r' | b'\n' => break,
                    b':' => {
                        let next = self.byte(self.i + 1);
                        if flow && next.is_some_and(|b| b",?[]{}".contains(&b)) {
                            // libyaml: "found unexpected ':'"; it stops here.
                            return Err(Verdict::Within);
                        }
                        if self.blank_or_end(self.i + 1) {
                            return self.end_plain(broke);
                        }
                        self.advance_ascii();
                    }
                    b',' | b'[' | b']' | b'{' | b'}' if flow => return self.end_plain(broke),
                    0x80.. => {
                        self.unusual()?;
                        self.advance();
                    }
                    _ => self.advance_ascii(),
                }
            }
            if self.i >= self.bytes.len() {
                break;
            }
            while let Some(byte) = self.byte(self.i) {
                match byte {
                    // The run at once: a space is never unusual.
                    b' ' => self.skip_spaces(),
                    b'\t' => return Err(Verdict::Unsure),
                    b'\n' | b'\r' => {
                        self.newline();
                        broke = true;
                    }
                    _ => break,
                }
                self.unusual()?;
            }
            if !flow && (self.column as isize) < indent {
                break;
            }
        }
        self.end_plain(broke)
    }

    fn end_plain(&mut self, broke: bool) -> Step {
        // A scalar that crossed a line break cannot be a key, and a new
        // token may start a key again.
        if broke && self.flow == 0 {
            self.key = None;
            self.key_allowed = true;
        }
        Ok(())
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes inside plain text that need no look: nothing about them can end
/// the text or change a line. A run of them is passed in one go.
const PLAIN_RUN: [bool; 256] = ordinary(b" \t\r\n:,[]{}");

/// The same inside quoted text.
const QUOTED_RUN: [bool; 256] = ordinary(b"\r\n'\"\\");

/// A table of the ASCII bytes not in `special`; bytes from 0x80 (parts of
/// characters that may break lines) are never ordinary.
const fn ordinary(special: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x80 {
        table[byte] = true;
        byte += 1;
    }
    let mut i = 0;
    while i < special.len() {
        table[special[i] as usize] = false;
        i += 1;
    }
    table
}

/// Whether libyaml starts a plain scalar at `byte` (followed by `next`).
fn plain_start(byte: u8, next: Option<u8>, flow: bool) -> bool {
    let blank_next = matches!(next, None | Some(b' ' | b'\t' | b'\r' | b'\n'));
    match byte {
        b'-' => !matches!(next, Some(b' ' | b'\t')),
        b'?' | b':' => !flow && !blank_next,
        b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*'
        | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' => false,
        _ => true,
    }
}

/// The slow path: yaml-rust2's events, for any YAML.
fn check_events(text: &str) -> Result<(), Refusal> {
    let mut parser = Parser::new_from_str(text);
    // Open collections: where each starts, its anchor, the count at its start.
    let mut open: Vec<(Marker, usize, u64)> = Vec::new();
    let mut sizes: HashMap<usize, u64> = HashMap::new();
    let mut count: u64 = 0;
    let mut repeated: u64 = 0;
    loop {
        let (event, marker) = parser
            .next_token()
            .map_err(|err| syntax_refusal(text, err.marker(), err.info(), open.last()))?;
        match event {
            Event::StreamEnd => return Ok(()),
            Event::Scalar(_, _, anchor, _) => {
                count += 1;
                if anchor != 0 {
                    sizes.insert(anchor, 1);
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                count += 1;
                open.push((marker, anchor, count));
                if open.len() > MAX_DEPTH {
                    return Err(Refusal {
                        position: position_of(text, &marker),
                        message: too_deep(),
                    });
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((_, anchor, start)) = open.pop()
                    && anchor != 0
                {
                    sizes.insert(anchor, count - start + 1);
                }
            }
            Event::Alias(anchor) => {
                let size = sizes.get(&anchor).copied().unwrap_or(1);
                count = count.saturating_add(size);
                repeated = repeated.saturating_add(size);
                if repeated > MAX_ALIAS_VALUES {
                    return Err(Refusal {
                        position: position_of(text, &marker),
                        message: format!(
                            "the YAML aliases repeat more than {MAX_ALIAS_VALUES} values (this one, with those before it); accepted: anchors and aliases that repeat fewer, or the values written out"
                        ),
                    });
                }
            }
            _ => {}
        }
    }
}

/// The position of a yaml-rust2 marker, which counts characters; one at
/// the end of the stream may stand on a line past the last.
fn position_of(text: &str, marker: &Marker) -> Position {
    let offset = text
        .char_indices()
        .nth(marker.index())
        .map_or(text.len(), |(offset, _)| offset);
    Lines::new(text).position(text, offset)
}

/// yaml-rust2's error, with where the innermost open flow collection
/// started when the problem is inside one.
fn syntax_refusal(
    text: &str,
    marker: &Marker,
    info: &str,
    open: Option<&(Marker, usize, u64)>,
) -> Refusal {
    // yaml-rust2 counts flow levels in a byte and may scan that deep ahead
    // of the events that would show the depth.
    if info == "recursion limit exceeded" {
        return Refusal {
            position: position_of(text, marker),
            message: too_deep(),
        };
    }
    let mut message = format!("invalid YAML: {info}");
    if let Some((start, _, _)) = open {
        let construct = match text.chars().nth(start.index()) {
            Some('[') => Some(("flow sequence", "`]`")),
            Some('{') => Some(("flow mapping", "`}`")),
            _ => None,
        };
        if let Some((name, closer)) = construct {
            let at = position_of(text, start);
            message.push_str(&format!(
                " while parsing a {name} that starts at line {} column {} (is its closing {closer} missing?)",
                at.line, at.column
            ));
        }
    }
    Refusal {
        position: position_of(text, marker),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(text: &str) -> Verdict {
        Lexer::new(text.as_bytes()).run()
    }

    #[test]
    fn ordinary_inventories_are_within_without_yaml_rust2() {
        for text in [
            include_str!("../../examples/inventory.yaml"),
            include_str!("../../templates/inventory.yaml"),
            "zones: [a.example,\nb.example]\n",
            "a: 'it''s [[[['\nb: \"[[[[\\\" [[\"\n# [[[[\nc: d[[[[ # [[[[\n",
            "servers:\n  - hostname: a\n    ipv4:\n      - 1\n---\nx: [ [1], {a: [2]} ]\n",
            "key: value\n  continued [[[[ line\nnext: 1\n",
        ] {
            assert_eq!(lex(text), Verdict::Within, "{text}");
        }
    }

    #[test]
    fn depth_counts_block_and_flow_collections() {
        let nested = |n: usize| format!("a: {}{}\n", "[".repeat(n), "]".repeat(n));
        assert_eq!(lex(&nested(MAX_DEPTH - 1)), Verdict::Within);
        assert_eq!(lex(&nested(MAX_DEPTH)), Verdict::TooDeep(3 + MAX_DEPTH - 1));
        let mut block = String::new();
        for level in 0..=MAX_DEPTH {
            block.push_str(&format!("{}k{level}:\n", " ".repeat(level)));
        }
        assert!(matches!(lex(&block), Verdict::TooDeep(_)));
        // Text that only looks nested is not counted.
        let fake = format!(
            "a: '{}'\nb: c{}\n# {}\n",
            "[".repeat(50),
            "{".repeat(50),
            "[".repeat(50)
        );
        assert_eq!(lex(&fake), Verdict::Within);
    }

    #[test]
    fn unusual_yaml_goes_to_yaml_rust2() {
        for text in [
            "a: &x [1]\nb: *x\n",
            "a: !tag 1\n",
            "a: |\n  [[[\n",
            "a:\t1\n",
            "%YAML 1.2\n---\na: 1\n",
            "? a\n: b\n",
            "a: 1\u{2028}b: 2\n",
        ] {
            assert_eq!(lex(text), Verdict::Unsure, "{text:?}");
        }
    }

    #[test]
    fn aliases_are_counted_where_they_are_used() {
        let list: Vec<String> = (0..1000).map(|i| format!("v{i}")).collect();
        let mut text = format!("a: &a [{}]\nb:\n", list.join(", "));
        for _ in 0..200 {
            text.push_str("  - *a\n");
        }
        let refusal = check(&text).unwrap_err();
        // Each alias repeats 1,001 values: the 100th passes 100,000.
        assert_eq!(refusal.position.line, 2 + 100);
        assert!(refusal.message.contains("aliases"), "{}", refusal.message);
        assert!(check("a: &a [1, 2]\nb: [*a, *a]\n").is_ok());
    }

    #[test]
    fn deep_nesting_is_refused_at_once() {
        for text in [
            format!("zones: {}\n", "[".repeat(80_000)),
            format!("a: &x 1\nzones: {}\n", "[".repeat(80_000)),
        ] {
            let start = std::time::Instant::now();
            let refusal = check(&text).unwrap_err();
            assert!(
                refusal.message.contains("deeper than"),
                "{}",
                refusal.message
            );
            assert!(start.elapsed() < std::time::Duration::from_secs(1));
        }
    }

    #[test]
    fn yaml_rust2_errors_name_the_unclosed_collection() {
        let refusal = check("a: &x 1\nb: [1,\n  2\nc: 3\n").unwrap_err();
        assert!(
            refusal
                .message
                .contains("flow sequence that starts at line 2 column 4"),
            "{}",
            refusal.message
        );
    }

    /// A YAML tree to render in block and flow styles.
    #[derive(Debug, Clone)]
    enum Tree {
        Scalar(u8),
        List(Vec<Tree>, bool),
        Map(Vec<Tree>, bool),
    }

    impl Tree {
        fn depth(&self) -> usize {
            match self {
                Tree::Scalar(_) => 0,
                Tree::List(items, _) | Tree::Map(items, _) => {
                    1 + items.iter().map(Tree::depth).max().unwrap_or(0)
                }
            }
        }

        /// Whether this is a collection written in block style.
        fn is_block(&self) -> bool {
            matches!(self, Tree::List(items, true) | Tree::Map(items, true) if !items.is_empty())
        }
    }

    /// A chain of 0 to 14 nested collections in random styles, each with
    /// a scalar beside the next one, and any tree at the bottom.
    fn tree() -> impl proptest::strategy::Strategy<Value = Tree> {
        use proptest::prelude::*;
        let leaf = any::<u8>().prop_map(Tree::Scalar);
        let bottom = leaf.prop_recursive(3, 12, 3, |inner| {
            (
                proptest::collection::vec(inner, 0..3),
                any::<bool>(),
                any::<bool>(),
            )
                .prop_map(|(items, list, block)| {
                    if list {
                        Tree::List(items, block)
                    } else {
                        Tree::Map(items, block)
                    }
                })
        });
        let levels = proptest::collection::vec((any::<bool>(), any::<bool>(), any::<u8>()), 0..15);
        (levels, bottom).prop_map(|(levels, bottom)| {
            // A collection in flow style writes all it holds in flow style.
            let mut tree = bottom;
            for (list, block, n) in levels.into_iter().rev() {
                let items = vec![Tree::Scalar(n), tree];
                tree = if list {
                    Tree::List(items, block)
                } else {
                    Tree::Map(items, block)
                };
            }
            tree
        })
    }

    /// A scalar whose text holds brackets that open nothing.
    fn scalar(n: u8, flow: bool) -> String {
        match n % 5 {
            0 => format!("w{n}"),
            1 => format!("'q[{{#{n}'"),
            2 => format!("\"d\\\"[{n}\""),
            3 if !flow => format!("p[{{{n}"),
            _ => format!("x{n}#y"),
        }
    }

    fn flow(tree: &Tree) -> String {
        match tree {
            Tree::Scalar(n) => scalar(*n, true),
            Tree::List(items, _) => {
                let items: Vec<String> = items.iter().map(flow).collect();
                format!("[{}]", items.join(", "))
            }
            Tree::Map(items, _) => {
                let items: Vec<String> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| format!("k{i}: {}", flow(item)))
                    .collect();
                // Continued on a line of its own, indented past any key.
                format!("{{{}}}", items.join(",\n                                "))
            }
        }
    }

    /// Writes `tree` as the value after a `key:` or `-` at `indent`.
    fn block(tree: &Tree, indent: usize, out: &mut String) {
        if !tree.is_block() {
            out.push(' ');
            out.push_str(&flow(tree));
            out.push_str(" # [[{{\n");
            return;
        }
        out.push('\n');
        let pad = " ".repeat(indent + 2);
        match tree {
            Tree::List(items, _) => {
                for item in items {
                    out.push_str(&format!("{pad}-"));
                    block(item, indent + 2, out);
                }
            }
            Tree::Map(items, _) => {
                for (i, item) in items.iter().enumerate() {
                    out.push_str(&format!("{pad}k{i}:"));
                    block(item, indent + 2, out);
                }
            }
            Tree::Scalar(_) => unreachable!(),
        }
    }

    proptest::proptest! {
        /// On YAML the lexer follows, it measures libyaml's depth exactly;
        /// yaml-rust2 agrees.
        #[test]
        fn the_lexer_measures_the_depth_libyaml_reaches(tree in tree()) {
            let mut text = "root:".to_owned();
            block(&tree, 0, &mut text);
            let too_deep = 1 + tree.depth() > MAX_DEPTH;
            let verdict = lex(&text);
            proptest::prop_assert_eq!(
                matches!(verdict, Verdict::TooDeep(_)),
                too_deep,
                "{:?} for depth {}:\n{}", verdict, 1 + tree.depth(), text
            );
            proptest::prop_assert_ne!(verdict, Verdict::Unsure);
            proptest::prop_assert_eq!(check_events(&text).is_err(), too_deep, "{}", text);
        }
    }
}
