//! Typed syntax tree of an SPF record and its canonical text form.
//!
//! The tree mirrors the ABNF of RFC 7208 §12: a [`Record`] is a list of
//! [`Term`]s, each a [`Directive`] (optional qualifier and a [`Mechanism`])
//! or a [`Modifier`]. Domain specifications and modifier values are
//! [`MacroString`]s (RFC 7208 §7.1). `Display` writes the canonical form, so
//! that parsing what it writes gives back an equal tree.

use std::fmt::{self, Write as _};
use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};
use serde::Serialize;

use super::text::CompactText;

/// A parsed SPF record: the terms after `v=spf1`, in source order.
///
/// Each term keeps the 0-based byte offset at which it stood in the text
/// that was parsed; it locates error carets and lint findings. Two records
/// are equal when their terms are equal, wherever the terms stood in the
/// source.
///
/// RFC 7208 §4.6, §12 (`record = version terms *SP`).
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// The directives and modifiers, in the order written, with their offsets.
    pub terms: Vec<TermAt>,
}

/// One term of a [`Record`] and where it stood in the parsed text.
///
/// Kept together in one list, so that parsing a record allocates once for
/// its terms and their offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermAt {
    /// The directive or modifier.
    pub term: Term,
    /// Byte offset of the term in the parsed text.
    pub offset: usize,
    /// Length in bytes of the term as written.
    pub len: usize,
}

impl PartialEq for Record {
    fn eq(&self, other: &Self) -> bool {
        self.terms
            .iter()
            .map(|t| &t.term)
            .eq(other.terms.iter().map(|t| &t.term))
    }
}

impl Eq for Record {}

impl Record {
    /// Builds a record from terms alone, with offsets as `Display` would place them.
    pub fn new(terms: Vec<Term>) -> Self {
        let mut at = VERSION.len();
        let terms = terms
            .into_iter()
            .map(|term| {
                at += 1;
                let offset = at;
                let len = term.text_len();
                at += len;
                TermAt { term, offset, len }
            })
            .collect();
        Record { terms }
    }

    /// The byte offset of each term in the parsed text, in order.
    pub fn offsets(&self) -> impl Iterator<Item = usize> {
        self.terms.iter().map(|t| t.offset)
    }

    /// The directives, in order, with their term index.
    pub fn directives(&self) -> impl Iterator<Item = (usize, &Directive)> {
        self.terms
            .iter()
            .enumerate()
            .filter_map(|(i, t)| match &t.term {
                Term::Directive(d) => Some((i, d)),
                Term::Modifier(_) => None,
            })
    }

    /// The `redirect=` target and its term index, if the record has one.
    pub fn redirect(&self) -> Option<(usize, &MacroString)> {
        self.terms
            .iter()
            .enumerate()
            .find_map(|(i, t)| match &t.term {
                Term::Modifier(Modifier::Redirect(target)) => Some((i, target)),
                _ => None,
            })
    }

    /// The `exp=` domain-spec, if the record has one.
    pub fn explanation(&self) -> Option<&MacroString> {
        self.terms.iter().find_map(|t| match &t.term {
            Term::Modifier(Modifier::Explanation(target)) => Some(target),
            _ => None,
        })
    }

    /// The index of the first `all` mechanism, if any.
    pub fn all_index(&self) -> Option<usize> {
        self.directives()
            .find(|(_, d)| d.mechanism == Mechanism::All)
            .map(|(i, _)| i)
    }
}

/// The version tag every SPF record starts with (RFC 7208 §4.5).
pub const VERSION: &str = "v=spf1";

/// One term: a directive or a modifier (RFC 7208 §4.6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// `[qualifier] mechanism`.
    Directive(Directive),
    /// `name=value`.
    Modifier(Modifier),
}

impl Term {
    /// The length in octets of the term's canonical text, counted without
    /// building the text.
    pub fn text_len(&self) -> usize {
        let mut counter = OctetCounter(0);
        fmt::write(&mut counter, format_args!("{self}")).expect("counting octets cannot fail");
        counter.0
    }
}

impl From<Directive> for Term {
    fn from(directive: Directive) -> Self {
        Term::Directive(directive)
    }
}

/// A [`fmt::Write`] that only counts the octets written to it.
struct OctetCounter(usize);

impl fmt::Write for OctetCounter {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0 += text.len();
        Ok(())
    }
}

/// A mechanism with its qualifier (RFC 7208 §4.6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The qualifier as written; `None` means the default `+`.
    pub qualifier: Option<Qualifier>,
    /// What the directive tests.
    pub mechanism: Mechanism,
}

impl Directive {
    /// A directive with the default qualifier `+` left unwritten, as
    /// generators write the pass terms of a record.
    pub fn pass(mechanism: Mechanism) -> Self {
        Directive {
            qualifier: None,
            mechanism,
        }
    }

    /// The qualifier in force: the written one, or `+` when none was written.
    pub fn effective_qualifier(&self) -> Qualifier {
        self.qualifier.unwrap_or(Qualifier::Pass)
    }
}

/// The result a matching directive yields (RFC 7208 §4.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// `+`: pass.
    Pass,
    /// `-`: fail.
    Fail,
    /// `~`: softfail.
    SoftFail,
    /// `?`: neutral.
    Neutral,
}

impl Qualifier {
    /// The qualifier character.
    pub fn symbol(self) -> char {
        match self {
            Qualifier::Pass => '+',
            Qualifier::Fail => '-',
            Qualifier::SoftFail => '~',
            Qualifier::Neutral => '?',
        }
    }
}

/// IPv4 and IPv6 prefix lengths of `a` and `mx` (`dual-cidr-length`, RFC 7208 §5.6).
///
/// `None` means the full length (32 or 128).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DualCidr {
    /// Prefix length applied to IPv4 addresses, 0–32.
    pub ip4: Option<u8>,
    /// Prefix length applied to IPv6 addresses, 0–128.
    pub ip6: Option<u8>,
}

/// A mechanism (RFC 7208 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    /// `all`: always matches (§5.1).
    All,
    /// `include:<domain-spec>` (§5.2).
    Include(MacroString),
    /// `a[:<domain-spec>][/n][//m]` (§5.3).
    A {
        /// Target; `None` means the current domain.
        domain: Option<MacroString>,
        /// Prefix lengths.
        cidr: DualCidr,
    },
    /// `mx[:<domain-spec>][/n][//m]` (§5.4).
    Mx {
        /// Target; `None` means the current domain.
        domain: Option<MacroString>,
        /// Prefix lengths.
        cidr: DualCidr,
    },
    /// `ptr[:<domain-spec>]` (§5.5).
    Ptr(Option<MacroString>),
    /// `ip4:<network>[/n]` (§5.6).
    Ip4 {
        /// The network address as written.
        addr: Ipv4Addr,
        /// Prefix length 0–32; `None` means 32.
        prefix: Option<u8>,
    },
    /// `ip6:<network>[/n]` (§5.6).
    Ip6 {
        /// The network address as written.
        addr: Ipv6Addr,
        /// Prefix length 0–128; `None` means 128.
        prefix: Option<u8>,
    },
    /// `exists:<domain-spec>` (§5.7).
    Exists(MacroString),
}

impl Mechanism {
    /// `ip4:` for the network `net`, written without a prefix length when
    /// it is a single address (`/32` is the default, RFC 7208 §5.6).
    pub fn ip4(net: Ipv4Net) -> Self {
        Mechanism::Ip4 {
            addr: net.addr(),
            prefix: (net.prefix_len() < 32).then_some(net.prefix_len()),
        }
    }

    /// `ip6:` for the network `net`, written without a prefix length when
    /// it is a single address (`/128` is the default, RFC 7208 §5.6).
    pub fn ip6(net: Ipv6Net) -> Self {
        Mechanism::Ip6 {
            addr: net.addr(),
            prefix: (net.prefix_len() < 128).then_some(net.prefix_len()),
        }
    }

    /// `include:` of a domain without macros (RFC 7208 §5.2); `domain` must
    /// not be empty.
    pub fn include_domain(domain: &str) -> Self {
        Mechanism::Include(MacroString::literal(domain))
    }

    /// The mechanism name in lower case.
    pub fn name(&self) -> &'static str {
        match self {
            Mechanism::All => "all",
            Mechanism::Include(_) => "include",
            Mechanism::A { .. } => "a",
            Mechanism::Mx { .. } => "mx",
            Mechanism::Ptr(_) => "ptr",
            Mechanism::Ip4 { .. } => "ip4",
            Mechanism::Ip6 { .. } => "ip6",
            Mechanism::Exists(_) => "exists",
        }
    }

    /// True for the mechanisms that cost one of the 10 DNS lookups (RFC 7208 §4.6.4).
    pub fn queries_dns(&self) -> bool {
        matches!(
            self,
            Mechanism::Include(_)
                | Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr(_)
                | Mechanism::Exists(_)
        )
    }

    /// The explicit target domain-spec, if the mechanism has one.
    pub fn target(&self) -> Option<&MacroString> {
        match self {
            Mechanism::Include(d) | Mechanism::Exists(d) => Some(d),
            Mechanism::A { domain, .. } | Mechanism::Mx { domain, .. } | Mechanism::Ptr(domain) => {
                domain.as_ref()
            }
            Mechanism::All | Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. } => None,
        }
    }
}

/// A modifier (RFC 7208 §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modifier {
    /// `redirect=<domain-spec>` (§6.1).
    Redirect(MacroString),
    /// `exp=<domain-spec>` (§6.2).
    Explanation(MacroString),
    /// Any other `name=value`: valid and ignored (§6).
    Unknown {
        /// The name as written.
        name: String,
        /// The value, a macro-string.
        value: MacroString,
    },
}

/// A string with macros: domain-specs, modifier values, explanation text (RFC 7208 §7.1).
///
/// Adjacent literal text is kept as one [`MacroItem::Literal`]; [`MacroString::new`]
/// merges neighbours so equal text always gives equal items.
#[derive(Debug, Clone, Default)]
pub struct MacroString {
    parts: Parts,
}

/// The items of a [`MacroString`]: a single one, as most domain-specs are,
/// is held without a list of its own.
#[derive(Debug, Clone)]
enum Parts {
    One(MacroItem),
    Many(Vec<MacroItem>),
}

impl Default for Parts {
    fn default() -> Self {
        Parts::Many(Vec::new())
    }
}

impl PartialEq for MacroString {
    fn eq(&self, other: &Self) -> bool {
        self.items() == other.items()
    }
}

impl Eq for MacroString {}

impl MacroString {
    /// Builds a macro-string, merging adjacent literals and dropping empty ones.
    pub fn new(items: Vec<MacroItem>) -> Self {
        let mut merged = MacroString::default();
        for item in items {
            match (merged.items_mut().last_mut(), item) {
                (_, MacroItem::Literal(text)) if text.is_empty() => {}
                (Some(MacroItem::Literal(prev)), MacroItem::Literal(text)) => {
                    *prev = CompactText::from(format!("{prev}{text}"));
                }
                (_, item) => merged.push(item),
            }
        }
        merged
    }

    /// The parts, in order.
    pub fn items(&self) -> &[MacroItem] {
        match &self.parts {
            Parts::One(item) => std::slice::from_ref(item),
            Parts::Many(items) => items,
        }
    }

    fn items_mut(&mut self) -> &mut [MacroItem] {
        match &mut self.parts {
            Parts::One(item) => std::slice::from_mut(item),
            Parts::Many(items) => items,
        }
    }

    /// Appends `item` as it is, without merging it into a literal before it.
    pub(crate) fn push(&mut self, item: MacroItem) {
        match &mut self.parts {
            Parts::Many(items) if items.is_empty() => self.parts = Parts::One(item),
            Parts::Many(items) => items.push(item),
            Parts::One(first) => {
                let first = std::mem::replace(first, MacroItem::Percent);
                self.parts = Parts::Many(vec![first, item]);
            }
        }
    }

    /// A string of one literal, `text`, which must not be empty.
    pub(crate) fn literal(text: &str) -> Self {
        MacroString {
            parts: Parts::One(MacroItem::Literal(CompactText::from(text))),
        }
    }

    /// True when the string holds at least one `%{…}` macro.
    pub fn has_macros(&self) -> bool {
        self.items()
            .iter()
            .any(|i| matches!(i, MacroItem::Macro(_)))
    }

    /// The text when the string holds no `%{…}` macro (escapes resolved).
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for item in self.items() {
            match item {
                MacroItem::Literal(text) => out.push_str(text),
                MacroItem::Percent => out.push('%'),
                MacroItem::Space => out.push(' '),
                MacroItem::UrlSpace => out.push_str("%20"),
                MacroItem::Macro(_) => return None,
            }
        }
        Some(out)
    }
}

/// One part of a [`MacroString`] (RFC 7208 §7.1 `macro-expand` / `macro-literal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacroItem {
    /// Literal characters, taken as they are; short ones are held inline.
    Literal(CompactText),
    /// `%{…}`.
    Macro(Macro),
    /// `%%`: a percent sign.
    Percent,
    /// `%_`: a space.
    Space,
    /// `%-`: the URL-encoded space `%20`.
    UrlSpace,
}

/// A `%{…}` macro: letter, transformers and delimiters (RFC 7208 §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Macro {
    /// Which value to expand.
    pub letter: MacroLetter,
    /// The letter was written in upper case: URL-escape the value (§7.3).
    pub url_escape: bool,
    /// Keep only this many right-hand parts (non-zero).
    pub digits: Option<u32>,
    /// Reverse the parts before keeping them (`r`).
    pub reverse: bool,
    /// Characters that split the value into parts; empty means `.`.
    pub delimiters: String,
}

/// The macro letters of RFC 7208 §7.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacroLetter {
    /// `s`: the sender (`local-part@domain`).
    Sender,
    /// `l`: the sender's local-part.
    Local,
    /// `o`: the sender's domain.
    SenderDomain,
    /// `d`: the current domain.
    Domain,
    /// `i`: the client IP, dotted (nibbles for IPv6).
    Ip,
    /// `p`: the validated name of the client IP (discouraged).
    Ptr,
    /// `v`: `in-addr` or `ip6`.
    Version,
    /// `h`: the HELO/EHLO name.
    Helo,
    /// `c`: the client IP in its usual text form (explanations only).
    ClientIp,
    /// `r`: the receiving host's name (explanations only).
    Receiver,
    /// `t`: the current time in seconds since the epoch (explanations only).
    Timestamp,
}

impl MacroLetter {
    /// Reads a letter without regard to case.
    pub fn from_char(c: char) -> Option<Self> {
        Some(match c.to_ascii_lowercase() {
            's' => MacroLetter::Sender,
            'l' => MacroLetter::Local,
            'o' => MacroLetter::SenderDomain,
            'd' => MacroLetter::Domain,
            'i' => MacroLetter::Ip,
            'p' => MacroLetter::Ptr,
            'v' => MacroLetter::Version,
            'h' => MacroLetter::Helo,
            'c' => MacroLetter::ClientIp,
            'r' => MacroLetter::Receiver,
            't' => MacroLetter::Timestamp,
            _ => return None,
        })
    }

    /// The letter in lower case.
    pub fn as_char(self) -> char {
        match self {
            MacroLetter::Sender => 's',
            MacroLetter::Local => 'l',
            MacroLetter::SenderDomain => 'o',
            MacroLetter::Domain => 'd',
            MacroLetter::Ip => 'i',
            MacroLetter::Ptr => 'p',
            MacroLetter::Version => 'v',
            MacroLetter::Helo => 'h',
            MacroLetter::ClientIp => 'c',
            MacroLetter::Receiver => 'r',
            MacroLetter::Timestamp => 't',
        }
    }

    /// True for `c`, `r` and `t`, which only explanation text may use (RFC 7208 §7.2).
    pub fn is_exp_only(self) -> bool {
        matches!(
            self,
            MacroLetter::ClientIp | MacroLetter::Receiver | MacroLetter::Timestamp
        )
    }
}

/// The result of `check_host()` (RFC 7208 §2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpfResult {
    /// No record, or no checkable domain.
    None,
    /// The domain makes no assertion.
    Neutral,
    /// The client is authorised.
    Pass,
    /// The client is not authorised.
    Fail,
    /// Probably not authorised.
    Softfail,
    /// A transient (DNS) error.
    Temperror,
    /// The published records could not be interpreted.
    Permerror,
}

impl From<Qualifier> for SpfResult {
    fn from(q: Qualifier) -> Self {
        match q {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::Softfail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

impl fmt::Display for SpfResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpfResult::None => "none",
            SpfResult::Neutral => "neutral",
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::Softfail => "softfail",
            SpfResult::Temperror => "temperror",
            SpfResult::Permerror => "permerror",
        })
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(VERSION)?;
        for TermAt { term, .. } in &self.terms {
            write!(f, " {term}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Directive(d) => d.fmt(f),
            Term::Modifier(m) => m.fmt(f),
        }
    }
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(q) = self.qualifier {
            f.write_char(q.symbol())?;
        }
        self.mechanism.fmt(f)
    }
}

impl fmt::Display for DualCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(len) = self.ip4 {
            write!(f, "/{len}")?;
        }
        if let Some(len) = self.ip6 {
            write!(f, "//{len}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            Mechanism::All => Ok(()),
            Mechanism::Include(d) | Mechanism::Exists(d) => write!(f, ":{d}"),
            Mechanism::A { domain, cidr } | Mechanism::Mx { domain, cidr } => {
                if let Some(d) = domain {
                    write!(f, ":{d}")?;
                }
                write!(f, "{cidr}")
            }
            Mechanism::Ptr(domain) => match domain {
                Some(d) => write!(f, ":{d}"),
                None => Ok(()),
            },
            Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. } => {
                f.write_str(self.network_value().unwrap_or_default().as_str())
            }
        }
    }
}

impl Mechanism {
    /// The value of an `ip4` or `ip6` mechanism as `Display` writes it.
    fn network_value(&self) -> Option<Ascii> {
        let mut text = Ascii::default();
        text.push(b':');
        match self {
            Mechanism::Ip4 { addr, prefix } => {
                text.push_ip4(*addr);
                text.push_prefix(*prefix);
            }
            Mechanism::Ip6 { addr, prefix } => {
                text.push_ip6(*addr);
                text.push_prefix(*prefix);
            }
            _ => return None,
        }
        Some(text)
    }
}

impl Term {
    /// Appends the term's `Display` text to `out`; an `ip4` or `ip6`
    /// directive, as most terms `generate` writes are, without a pass
    /// through the formatter.
    pub fn write_to(&self, out: &mut String) {
        if let Term::Directive(directive) = self
            && let Some(value) = directive.mechanism.network_value()
        {
            if let Some(q) = directive.qualifier {
                out.push(q.symbol());
            }
            out.push_str(directive.mechanism.name());
            out.push_str(value.as_str());
            return;
        }
        write!(out, "{self}").expect("writing to a String cannot fail");
    }
}

/// The value of an `ip4` or `ip6` term, `:address/prefix`, written on the
/// stack and handed to the formatter at once.
///
/// Gives the text of `Ipv4Addr`'s and `Ipv6Addr`'s `Display` (RFC 5952
/// for IPv6), which writes each octet or group through the formatter:
/// records are measured and written term by term, most of them addresses.
struct Ascii {
    buf: [u8; Ascii::CAPACITY],
    len: usize,
}

impl Default for Ascii {
    fn default() -> Self {
        Ascii {
            buf: [0; Ascii::CAPACITY],
            len: 0,
        }
    }
}

impl Ascii {
    /// `:`, the longest IPv6 text (8 groups of 4 digits, 7 colons) and `/255`.
    const CAPACITY: usize = 1 + 39 + 4;

    fn push(&mut self, octet: u8) {
        self.buf[self.len] = octet;
        self.len += 1;
    }

    fn push_decimal(&mut self, n: u8) {
        if n >= 100 {
            self.push(b'0' + n / 100);
        }
        if n >= 10 {
            self.push(b'0' + n / 10 % 10);
        }
        self.push(b'0' + n % 10);
    }

    /// `n` in lower-case hexadecimal without leading zeros.
    fn push_hex(&mut self, n: u16) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut shift = 12;
        while shift > 0 && n >> shift == 0 {
            shift -= 4;
        }
        loop {
            self.push(DIGITS[usize::from((n >> shift) & 0xf)]);
            if shift == 0 {
                break;
            }
            shift -= 4;
        }
    }

    fn push_ip4(&mut self, addr: Ipv4Addr) {
        for (i, octet) in addr.octets().into_iter().enumerate() {
            if i > 0 {
                self.push(b'.');
            }
            self.push_decimal(octet);
        }
    }

    /// The longest run of two or more zero groups, the first of equals,
    /// becomes `::`; an IPv4-mapped address ends in dotted decimal.
    fn push_ip6(&mut self, addr: Ipv6Addr) {
        if let Some(v4) = addr.to_ipv4_mapped() {
            for &octet in b"::ffff:" {
                self.push(octet);
            }
            return self.push_ip4(v4);
        }
        let groups = addr.segments();
        let (mut start, mut len) = (0, 0);
        let mut run = 0;
        for (i, &group) in groups.iter().enumerate() {
            run = if group == 0 { run + 1 } else { 0 };
            if run > len {
                (start, len) = (i + 1 - run, run);
            }
        }
        let write = |text: &mut Self, groups: &[u16]| {
            for (i, &group) in groups.iter().enumerate() {
                if i > 0 {
                    text.push(b':');
                }
                text.push_hex(group);
            }
        };
        if len > 1 {
            write(self, &groups[..start]);
            self.push(b':');
            self.push(b':');
            write(self, &groups[start + len..]);
        } else {
            write(self, &groups);
        }
    }

    fn push_prefix(&mut self, prefix: Option<u8>) {
        if let Some(len) = prefix {
            self.push(b'/');
            self.push_decimal(len);
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).expect("only ASCII is pushed")
    }
}

impl fmt::Display for Modifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Modifier::Redirect(d) => write!(f, "redirect={d}"),
            Modifier::Explanation(d) => write!(f, "exp={d}"),
            Modifier::Unknown { name, value } => write!(f, "{name}={value}"),
        }
    }
}

impl fmt::Display for MacroString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in self.items() {
            item.fmt(f)?;
        }
        Ok(())
    }
}

impl fmt::Display for MacroItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MacroItem::Literal(text) => f.write_str(text),
            MacroItem::Macro(m) => m.fmt(f),
            MacroItem::Percent => f.write_str("%%"),
            MacroItem::Space => f.write_str("%_"),
            MacroItem::UrlSpace => f.write_str("%-"),
        }
    }
}

impl fmt::Display for Macro {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = self.letter.as_char();
        let letter = if self.url_escape {
            letter.to_ascii_uppercase()
        } else {
            letter
        };
        write!(f, "%{{{letter}")?;
        if let Some(n) = self.digits {
            write!(f, "{n}")?;
        }
        if self.reverse {
            f.write_str("r")?;
        }
        write!(f, "{}}}", self.delimiters)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn shown(mechanism: Mechanism) -> String {
        mechanism.to_string()
    }

    /// Groups that are often zero, so that runs of every length and place occur.
    fn group() -> impl Strategy<Value = u16> {
        prop_oneof![Just(0u16), Just(0xffff), 1u16..16, any::<u16>()]
    }

    proptest! {
        #[test]
        fn addresses_are_written_as_std_writes_them(
            v4 in any::<u32>(),
            groups in prop::array::uniform8(group()),
            prefix in proptest::option::of(any::<u8>()),
        ) {
            let addr = Ipv4Addr::from(v4);
            let expected = match prefix {
                Some(p) => format!("ip4:{addr}/{p}"),
                None => format!("ip4:{addr}"),
            };
            prop_assert_eq!(shown(Mechanism::Ip4 { addr, prefix }), expected);
            for addr in [Ipv6Addr::from(groups), addr.to_ipv6_mapped(), addr.to_ipv6_compatible()] {
                let expected = match prefix {
                    Some(p) => format!("ip6:{addr}/{p}"),
                    None => format!("ip6:{addr}"),
                };
                prop_assert_eq!(shown(Mechanism::Ip6 { addr, prefix }), expected);
            }
        }
    }

    #[test]
    fn edge_addresses_are_written_as_std_writes_them() {
        let v6 = [
            "::",
            "::1",
            "1::",
            "1:0:1:0:1:0:1:0",
            "1:0:0:1:0:0:1:1",
            "0:0:1:0:0:0:1:0",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "::ffff:0:0",
            "::ffff:255.255.255.255",
            "::fffe:1.2.3.4",
            "64:ff9b::192.0.2.33",
            "2001:db8::",
        ];
        for text in v6 {
            let addr: Ipv6Addr = text.parse().unwrap();
            let mechanism = Mechanism::Ip6 {
                addr,
                prefix: Some(128),
            };
            assert_eq!(shown(mechanism), format!("ip6:{addr}/128"));
        }
        for addr in [
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::BROADCAST,
            Ipv4Addr::new(10, 0, 99, 100),
        ] {
            let mechanism = Mechanism::Ip4 { addr, prefix: None };
            assert_eq!(shown(mechanism), format!("ip4:{addr}"));
        }
        let term = Term::Directive(Directive {
            qualifier: Some(Qualifier::SoftFail),
            mechanism: Mechanism::Ip4 {
                addr: Ipv4Addr::new(192, 0, 2, 1),
                prefix: Some(24),
            },
        });
        assert_eq!(term.to_string(), "~ip4:192.0.2.1/24");
        assert_eq!(term.text_len(), "~ip4:192.0.2.1/24".len());
    }
}
