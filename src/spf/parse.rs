//! SPF record parser: one nom function per RFC 7208 §12 ABNF rule.
//!
//! Each rule function takes the remaining input and returns the rest and
//! its value. Errors that leave no alternative are nom `Failure`s carrying a
//! [`ParseErrorKind`]; [`parse`] reports them at the start of the term they
//! occur in, so a caret can point at the bad term. Record-level checks that
//! the ABNF cannot express (at most one `redirect=` and one `exp=`, §6) run
//! after the grammar.

use std::net::{Ipv4Addr, Ipv6Addr};

use nom::bytes::complete::tag;
use nom::combinator::{all_consuming, opt};
use nom::{Err as NomErr, IResult, Parser};

use super::ast::{
    Directive, DualCidr, Macro, MacroItem, MacroLetter, MacroString, Mechanism, Modifier,
    Qualifier, Record, Term, TermAt,
};
use super::text::CompactText;

/// What is wrong with a record, and what would have been accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// The text does not start with the version tag.
    #[error("record does not start with `v=spf1` followed by a space or the end")]
    NotSpf,
    /// A control character (CR, LF, TAB, NUL, …) in the record.
    #[error("control character {0} is not allowed: terms are separated by spaces (U+0020) only")]
    ControlChar(String),
    /// A character outside 7-bit ASCII.
    #[error("non-ASCII character {0} is not allowed: SPF records are 7-bit ASCII")]
    NonAscii(String),
    /// A mechanism name that RFC 7208 does not define.
    #[error(
        "unknown mechanism `{0}`: accepted all, include, a, mx, ptr, ip4, ip6, exists, or a modifier `name=value`"
    )]
    UnknownMechanism(String),
    /// `redirect:` or `exp:` written like a mechanism.
    #[error("`{0}` is a modifier, not a mechanism: write `{0}=` followed by a domain")]
    ModifierAsMechanism(String),
    /// A modifier name that does not start with a letter.
    #[error(
        "invalid modifier name `{0}`: accepted a letter followed by letters, digits, `-`, `_` or `.`"
    )]
    InvalidModifierName(String),
    /// A mechanism that needs `:argument` has none.
    #[error("`{0}` needs an argument: accepted `{1}`")]
    MissingArgument(String, String),
    /// `a:`, `include:`, `redirect=`, … with nothing after them.
    #[error("empty domain after `{0}`: accepted a domain name or a macro")]
    EmptyDomain(String),
    /// A mechanism that takes no argument or prefix length was given one.
    #[error("`{0}` takes no prefix length or argument here")]
    NoArgument(String),
    /// `ip4:…//n` or `ip6:…//n`.
    #[error("`{0}` takes a single prefix length `/n`, not a dual `//n`")]
    DualCidrNotAllowed(String),
    /// A prefix length above 32 (IPv4) or 128 (IPv6).
    #[error("ip{family} prefix length {value} is out of range: accepted 0–{max}")]
    CidrOutOfRange {
        /// 4 or 6.
        family: u8,
        /// The digits as written.
        value: String,
        /// 32 or 128.
        max: u8,
    },
    /// A prefix length such as `/032`.
    #[error(
        "prefix length `/{0}` has a leading zero: accepted a decimal number without leading zeros"
    )]
    CidrLeadingZero(String),
    /// Not a dotted-quad IPv4 address.
    #[error("invalid IPv4 network `{0}`: accepted four decimal octets 0–255 without leading zeros")]
    InvalidIp4(String),
    /// Not an RFC 4291 IPv6 address.
    #[error("invalid IPv6 network `{0}`: accepted an RFC 4291 address such as `2001:db8::`")]
    InvalidIp6(String),
    /// A domain-spec that ends neither in `.toplabel` nor in a macro.
    #[error(
        "domain `{0}` does not end in a valid top label: accepted `.label` of letters, digits and inner dashes, not all digits, or a macro"
    )]
    InvalidDomainEnd(String),
    /// `%` followed by something other than `{`, `%`, `_`, `-`.
    #[error("invalid macro escape `%{0}`: accepted `%{{…}}`, `%%`, `%_` and `%-`")]
    InvalidMacroEscape(String),
    /// `%{x}` with an undefined letter.
    #[error(
        "unknown macro letter `{0}`: accepted s, l, o, d, i, p, v, h (and c, r, t in explanation text)"
    )]
    UnknownMacroLetter(char),
    /// `%{c}`, `%{r}` or `%{t}` outside explanation text.
    #[error(
        "macro letter `{0}` is only allowed in explanation text: accepted here s, l, o, d, i, p, v, h"
    )]
    ExpOnlyMacroLetter(char),
    /// A `%{…}` with bad transformers or delimiters, or no closing brace.
    #[error(
        "malformed macro `{0}`: accepted `%{{`, a letter, optional non-zero digits, optional `r`, delimiters from `.-+,/_=`, then `}}`"
    )]
    MalformedMacro(String),
    /// A second `redirect=` or `exp=`.
    #[error("`{0}` appears more than once: accepted at most one `redirect=` and one `exp=`")]
    DuplicateModifier(String),
    /// Text that no rule accepts at this point.
    #[error("unexpected `{found}` after `{after}`: terms are separated by spaces")]
    Unexpected {
        /// The text that was understood just before.
        after: String,
        /// The text that was not understood.
        found: String,
    },
}

/// A record that does not follow RFC 7208 §12, with the place of the bad term.
///
/// `offset` is the 0-based byte offset of the term, `column` its 1-based
/// character column. [`ParseError::render`] draws a caret under it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {kind}")]
pub struct ParseError {
    /// 0-based byte offset of the bad term in the text.
    pub offset: usize,
    /// 1-based column (in characters) of the bad term.
    pub column: usize,
    /// What is wrong.
    pub kind: ParseErrorKind,
    text: String,
}

impl ParseError {
    fn new(text: &str, at: &str, kind: ParseErrorKind) -> Self {
        let offset = text.len() - at.len();
        let column = text[..offset].chars().count() + 1;
        ParseError {
            offset,
            column,
            kind,
            text: text.to_owned(),
        }
    }

    /// The text that was parsed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The record on one line and, below it, a caret under the bad term and the message.
    ///
    /// Control and other invisible characters are shown as `�` so the caret stays aligned.
    pub fn render(&self) -> String {
        let line: String = self
            .text
            .chars()
            .map(|c| if c.is_control() { '\u{fffd}' } else { c })
            .collect();
        // The message may quote the bad term, line breaks and all: escaped,
        // so that the display stays two lines.
        format!(
            "{line}\n{:width$}^ {}",
            "",
            crate::text::escape(&self.kind.to_string()),
            width = self.column - 1
        )
    }
}

/// Where a macro-string stands: the record, or explanation text (RFC 7208 §6.2, §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MacroContext {
    /// Domain-specs and modifier values: no spaces, no `c`, `r`, `t`.
    Record,
    /// Explanation text fetched by `exp=`: spaces and `c`, `r`, `t` allowed.
    Explanation,
}

/// nom error carrying the kind of failure and where it happened.
///
/// `kind` is `None` for nom's own errors: most of them are backtracked
/// over (`opt`, alternatives), so the message for them is only worked out
/// by [`Failure::kind`] when one reaches the caller.
#[derive(Debug)]
struct Failure<'a> {
    input: &'a str,
    kind: Option<ParseErrorKind>,
}

impl Failure<'_> {
    /// The kind of failure; for a nom error, what [`char_error`] says of the input.
    fn kind(self) -> ParseErrorKind {
        self.kind.unwrap_or_else(|| char_error("", self.input))
    }
}

impl<'a> nom::error::ParseError<&'a str> for Failure<'a> {
    fn from_error_kind(input: &'a str, _kind: nom::error::ErrorKind) -> Self {
        Failure { input, kind: None }
    }

    fn append(_input: &'a str, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type PResult<'a, T> = IResult<&'a str, T, Failure<'a>>;

fn fail<T>(input: &str, kind: ParseErrorKind) -> PResult<'_, T> {
    Err(failure(input, kind))
}

fn failure(input: &str, kind: ParseErrorKind) -> NomErr<Failure<'_>> {
    NomErr::Failure(Failure {
        input,
        kind: Some(kind),
    })
}

/// A set of ASCII characters: a character class of the grammar, tested
/// with one table load rather than a chain of compares.
#[derive(Clone, Copy)]
struct AsciiSet([bool; 256]);

impl AsciiSet {
    /// The characters `first` to `last`, both included.
    const fn range(first: u8, last: u8) -> Self {
        let mut table = [false; 256];
        let mut c = first;
        while c <= last {
            table[c as usize] = true;
            c += 1;
        }
        AsciiSet(table)
    }

    /// The characters of `chars`.
    const fn of(chars: &[u8]) -> Self {
        let mut table = [false; 256];
        let mut i = 0;
        while i < chars.len() {
            table[chars[i] as usize] = true;
            i += 1;
        }
        AsciiSet(table)
    }

    const fn union(self, other: AsciiSet) -> Self {
        let mut table = self.0;
        let mut i = 0;
        while i < 256 {
            table[i] |= other.0[i];
            i += 1;
        }
        AsciiSet(table)
    }

    fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b)]
    }
}

/// `SP`
static SPACE: AsciiSet = AsciiSet::of(b" ");
/// `DIGIT`
static DIGIT: AsciiSet = AsciiSet::range(b'0', b'9');
/// `ALPHA / DIGIT`
static ALNUM: AsciiSet = AsciiSet::range(b'a', b'z')
    .union(AsciiSet::range(b'A', b'Z'))
    .union(DIGIT);
/// The characters of a `toplabel`: `alphanum / "-"`.
static LABEL_CHARS: AsciiSet = ALNUM.union(AsciiSet::of(b"-"));
/// The characters of a modifier `name`: `ALPHA / DIGIT / "-" / "_" / "."`.
static NAME_CHARS: AsciiSet = ALNUM.union(AsciiSet::of(b"-_."));
/// `macro-literal = %x21-24 / %x26-7E`
static MACRO_LITERAL: AsciiSet = AsciiSet::range(0x21, 0x24).union(AsciiSet::range(0x26, 0x7e));
/// Literal text of an `explain-string`: a `macro-literal` or `SP`.
static EXPLAIN_LITERAL: AsciiSet = MACRO_LITERAL.union(SPACE);
/// `delimiter = "." / "-" / "+" / "," / "/" / "_" / "="`
static DELIMITER: AsciiSet = AsciiSet::of(b".-+,/_=");
/// The characters of an `ip4-network`: digits and dots.
static IP4_CHARS: AsciiSet = DIGIT.union(AsciiSet::of(b"."));
/// The characters of an `ip6-network`: hex digits, colons and dots.
static IP6_CHARS: AsciiSet = DIGIT
    .union(AsciiSet::range(b'a', b'f'))
    .union(AsciiSet::range(b'A', b'F'))
    .union(AsciiSet::of(b":."));

/// The longest prefix of the input in `set`, and the rest.
///
/// In place of nom's `take_while`, which decodes UTF-8 as it goes: every
/// character class of the grammar is ASCII, so the prefix is found byte
/// by byte, and a non-ASCII byte always ends it.
fn take_in<'a>(set: &'static AsciiSet) -> impl Fn(&'a str) -> PResult<'a, &'a str> {
    move |input: &'a str| {
        let end = input
            .bytes()
            .position(|b| !set.contains(b))
            .unwrap_or(input.len());
        Ok((&input[end..], &input[..end]))
    }
}

/// A keyword of the grammar, without regard to ASCII case (RFC 7208 §4.6.1, §12).
///
/// Used instead of nom's `tag_no_case`, which folds Unicode case character
/// by character: on suite records that folding was the single most
/// expensive step of parsing.
fn tag_no_case<'a>(input: &'a str, word: &str) -> PResult<'a, &'a str> {
    match input.get(..word.len()) {
        Some(head) if head.eq_ignore_ascii_case(word) => Ok((&input[word.len()..], head)),
        _ => Err(NomErr::Error(Failure { input, kind: None })),
    }
}

/// The error for text that no rule accepts: a control or non-ASCII
/// character gets its own kind, anything else is "unexpected".
fn char_error(after: &str, rest: &str) -> ParseErrorKind {
    match rest.chars().next() {
        Some(c) if !c.is_ascii() => ParseErrorKind::NonAscii(format!("U+{:04X}", c as u32)),
        Some(c) if c.is_ascii_control() => {
            ParseErrorKind::ControlChar(format!("U+{:04X}", c as u32))
        }
        _ => ParseErrorKind::Unexpected {
            after: after.to_owned(),
            found: rest.split(' ').next().unwrap_or_default().to_owned(),
        },
    }
}

/// Parses an SPF record (RFC 7208 §4.5, §12), strictly.
///
/// Accepts exactly what the ABNF accepts, plus the record-level rules of
/// §6 (at most one `redirect=` and one `exp=`). Unknown modifiers are kept.
pub fn parse(text: &str) -> Result<Record, ParseError> {
    let (_, mut out) = all_consuming(record).parse(text).map_err(|e| match e {
        NomErr::Error(f) | NomErr::Failure(f) => ParseError::new(text, f.input, f.kind()),
        NomErr::Incomplete(_) => ParseError::new(text, text, ParseErrorKind::NotSpf),
    })?;
    let mut seen_redirect = false;
    let mut seen_exp = false;
    for TermAt { term, offset, .. } in &mut out.terms {
        // `terms` left the length of the input from each term on.
        *offset = text.len() - *offset;
        let seen = match term {
            Term::Modifier(Modifier::Redirect(_)) => Some((&mut seen_redirect, "redirect")),
            Term::Modifier(Modifier::Explanation(_)) => Some((&mut seen_exp, "exp")),
            _ => None,
        };
        if let Some((seen, name)) = seen {
            if *seen {
                let kind = ParseErrorKind::DuplicateModifier(name.to_owned());
                return Err(ParseError::new(text, &text[*offset..], kind));
            }
            *seen = true;
        }
    }
    Ok(out)
}

/// Parses explanation text fetched through `exp=` (RFC 7208 §6.2, §12 `explain-string`).
///
/// Spaces and the macro letters `c`, `r`, `t` are allowed here; control
/// and non-ASCII characters are not.
pub fn parse_explanation(text: &str) -> Result<MacroString, ParseError> {
    let (rest, value) = explain_string(text).map_err(|e| match e {
        NomErr::Error(f) | NomErr::Failure(f) => ParseError::new(text, f.input, f.kind()),
        NomErr::Incomplete(_) => ParseError::new(text, text, ParseErrorKind::NotSpf),
    })?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(ParseError::new(text, rest, char_error("", rest)))
    }
}

/// Parses one term (a directive or modifier) on its own, as it stood in a record.
///
/// Record-level rules (§6: one `redirect=`, one `exp=`) do not apply.
pub(crate) fn parse_term(text: &str) -> Option<Term> {
    all_consuming(term).parse(text).ok().map(|(_, term)| term)
}

/// True when TXT data is an SPF record: `v=spf1` (any case) then a space or the end (RFC 7208 §4.5).
pub fn is_spf_record(text: &[u8]) -> bool {
    /// `v=spf1` as a little-endian word, and the bits that fold the case
    /// of its four letters (and of nothing else).
    const VERSION: u64 = u64::from_le_bytes(*b"v=spf1\0\0");
    const FOLD: u64 = u64::from_le_bytes([0x20, 0, 0x20, 0x20, 0x20, 0, 0, 0]);
    let Some(head) = text.first_chunk::<6>() else {
        return false;
    };
    let mut word = [0; 8];
    word[..6].copy_from_slice(head);
    (u64::from_le_bytes(word) | FOLD) == VERSION && (text.len() == 6 || text[6] == b' ')
}

/// `record = version terms *SP`
///
/// The record's term offsets hold, for now, the length of the input from each
/// term on; [`parse`] turns them into offsets from the start.
fn record(input: &str) -> PResult<'_, Record> {
    let (rest, ()) = version(input)?;
    terms(rest)
}

/// `version = "v=spf1"`, followed by a space or the end (RFC 7208 §4.5).
fn version(input: &str) -> PResult<'_, ()> {
    let tagged: PResult<'_, &str> = tag_no_case(input, "v=spf1");
    match tagged {
        Ok((rest, _)) if rest.is_empty() || rest.starts_with(' ') => Ok((rest, ())),
        _ => fail(input, ParseErrorKind::NotSpf),
    }
}

/// `terms = *( 1*SP ( directive / modifier ) )`, and the trailing `*SP` of `record`.
///
/// Returns the terms with the length of the input from each term on.
fn terms(mut input: &str) -> PResult<'_, Record> {
    // Room for a typical record's terms from the start: counting them
    // first cost more than the occasional growth of a long record.
    let mut out = Record {
        terms: Vec::with_capacity(8),
    };
    loop {
        // `version` and each term end at a space or at the end.
        let (rest, _) = take_in(&SPACE).parse(input)?;
        if rest.is_empty() {
            return Ok((rest, out));
        }
        let (after, term) = match term(rest) {
            Ok(ok) => ok,
            Err(NomErr::Error(f) | NomErr::Failure(f)) => return fail(rest, f.kind()),
            Err(NomErr::Incomplete(n)) => return Err(NomErr::Incomplete(n)),
        };
        if !after.is_empty() && !after.starts_with(' ') {
            let text = &rest[..rest.len() - after.len()];
            return fail(rest, char_error(text, after));
        }
        out.terms.push(TermAt {
            term,
            offset: rest.len(),
            len: rest.len() - after.len(),
        });
        input = after;
    }
}

/// `directive / modifier`: a modifier is a `name` followed by `=` (RFC 7208 §4.6.1).
fn term(input: &str) -> PResult<'_, Term> {
    let (after_name, _) = take_in(&NAME_CHARS).parse(input)?;
    if after_name.starts_with('=') {
        let (rest, m) = modifier(input)?;
        Ok((rest, Term::Modifier(m)))
    } else {
        let (rest, d) = directive(input)?;
        Ok((rest, Term::Directive(d)))
    }
}

/// `directive = [ qualifier ] mechanism`
fn directive(input: &str) -> PResult<'_, Directive> {
    let (rest, qualifier) = opt(qualifier).parse(input)?;
    let (rest, mechanism) = mechanism(rest)?;
    Ok((
        rest,
        Directive {
            qualifier,
            mechanism,
        },
    ))
}

/// `qualifier = "+" / "-" / "?" / "~"`
fn qualifier(input: &str) -> PResult<'_, Qualifier> {
    let q = match input.as_bytes().first() {
        Some(b'+') => Qualifier::Pass,
        Some(b'-') => Qualifier::Fail,
        Some(b'~') => Qualifier::SoftFail,
        Some(b'?') => Qualifier::Neutral,
        _ => {
            return Err(NomErr::Error(Failure { input, kind: None }));
        }
    };
    Ok((&input[1..], q))
}

/// `mechanism = ( all / include / a / mx / ptr / ip4 / ip6 / exists )`
///
/// The name is matched here, once; each mechanism's rule below parses the
/// text after it. Errors are reported at the start of the term whatever
/// the rule points at, so the rules need not see the name again.
fn mechanism(input: &str) -> PResult<'_, Mechanism> {
    let (after, name) = take_in(&ALNUM).parse(input)?;
    const ALL: u64 = name_key(b"all");
    const INCLUDE: u64 = name_key(b"include");
    const A: u64 = name_key(b"a");
    const MX: u64 = name_key(b"mx");
    const PTR: u64 = name_key(b"ptr");
    const IP4: u64 = name_key(b"ip4");
    const IP6: u64 = name_key(b"ip6");
    const EXISTS: u64 = name_key(b"exists");
    const REDIRECT: u64 = name_key(b"redirect");
    const EXP: u64 = name_key(b"exp");
    let key = match (name.len(), input.as_bytes().first_chunk::<8>()) {
        // Most terms: eight octets are there to load as one word.
        (len @ 1..=8, Some(word)) => {
            const FOLD: u64 = u64::from_le_bytes([0x20; 8]);
            (u64::from_le_bytes(*word) | FOLD) & (u64::MAX >> (64 - 8 * len))
        }
        (1..=8, None) => name_key(name.as_bytes()),
        _ => 0,
    };
    match key {
        ALL => all(after),
        INCLUDE => include(after),
        A => a(after),
        MX => mx(after),
        PTR => ptr(after),
        IP4 => ip4(after),
        IP6 => ip6(after),
        EXISTS => exists(after),
        REDIRECT | EXP => fail(
            input,
            ParseErrorKind::ModifierAsMechanism(name.to_ascii_lowercase()),
        ),
        _ if input.starts_with(|c: char| c.is_control() || !c.is_ascii()) => {
            fail(input, char_error("", input))
        }
        _ => {
            let word = input.split(' ').next().unwrap_or_default();
            fail(input, ParseErrorKind::UnknownMechanism(word.to_owned()))
        }
    }
}

/// A name of 1–8 ASCII letters and digits as one word, lower-cased, for
/// matching mechanism names without regard to case in a single compare.
///
/// Setting bit 5 lower-cases a letter and leaves a digit as it is.
const fn name_key(name: &[u8]) -> u64 {
    let mut key = 0;
    let mut i = 0;
    while i < name.len() {
        key |= ((name[i] | 0x20) as u64) << (8 * i);
        i += 1;
    }
    key
}

/// `all = "all"`
fn all(rest: &str) -> PResult<'_, Mechanism> {
    if rest.starts_with([':', '/']) {
        return fail(rest, ParseErrorKind::NoArgument("all".into()));
    }
    Ok((rest, Mechanism::All))
}

/// `include = "include" ":" domain-spec`
fn include(rest: &str) -> PResult<'_, Mechanism> {
    let Some(rest) = rest.strip_prefix(':') else {
        return missing_argument(rest, "include", "include:_spf.example.com");
    };
    let (rest, domain) = domain_argument(rest, "include")?;
    Ok((rest, Mechanism::Include(domain)))
}

/// `a = "a" [ ":" domain-spec ] [ dual-cidr-length ]`
fn a(rest: &str) -> PResult<'_, Mechanism> {
    let (rest, (domain, cidr)) = target_and_cidr(rest, "a")?;
    Ok((rest, Mechanism::A { domain, cidr }))
}

/// `mx = "mx" [ ":" domain-spec ] [ dual-cidr-length ]`
fn mx(rest: &str) -> PResult<'_, Mechanism> {
    let (rest, (domain, cidr)) = target_and_cidr(rest, "mx")?;
    Ok((rest, Mechanism::Mx { domain, cidr }))
}

/// `ptr = "ptr" [ ":" domain-spec ]`
fn ptr(rest: &str) -> PResult<'_, Mechanism> {
    if rest.starts_with('/') {
        return fail(rest, ParseErrorKind::NoArgument("ptr".into()));
    }
    match rest.strip_prefix(':') {
        Some(rest) => {
            let (rest, domain) = domain_argument(rest, "ptr")?;
            Ok((rest, Mechanism::Ptr(Some(domain))))
        }
        None => Ok((rest, Mechanism::Ptr(None))),
    }
}

/// `ip4 = "ip4" ":" ip4-network [ ip4-cidr-length ]`
fn ip4(rest: &str) -> PResult<'_, Mechanism> {
    let Some(rest) = rest.strip_prefix(':') else {
        return missing_argument(rest, "ip4", "ip4:192.0.2.0/24");
    };
    let (rest, addr) = ip4_network(rest)?;
    if rest.starts_with("//") {
        return fail(rest, ParseErrorKind::DualCidrNotAllowed("ip4".into()));
    }
    let (rest, prefix) = opt(ip4_cidr_length).parse(rest)?;
    Ok((rest, Mechanism::Ip4 { addr, prefix }))
}

/// `ip6 = "ip6" ":" ip6-network [ ip6-cidr-length ]`
fn ip6(rest: &str) -> PResult<'_, Mechanism> {
    let Some(rest) = rest.strip_prefix(':') else {
        return missing_argument(rest, "ip6", "ip6:2001:db8::/32");
    };
    let (rest, addr) = ip6_network(rest)?;
    if rest.starts_with("//") {
        return fail(rest, ParseErrorKind::DualCidrNotAllowed("ip6".into()));
    }
    let (rest, prefix) = opt(ip6_cidr_length).parse(rest)?;
    Ok((rest, Mechanism::Ip6 { addr, prefix }))
}

/// `exists = "exists" ":" domain-spec`
fn exists(rest: &str) -> PResult<'_, Mechanism> {
    let Some(rest) = rest.strip_prefix(':') else {
        return missing_argument(rest, "exists", "exists:%{i}.example.com");
    };
    let (rest, domain) = domain_argument(rest, "exists")?;
    Ok((rest, Mechanism::Exists(domain)))
}

fn missing_argument<'a, T>(input: &'a str, name: &str, example: &str) -> PResult<'a, T> {
    fail(
        input,
        ParseErrorKind::MissingArgument(name.into(), example.into()),
    )
}

/// The domain-spec after `include:`, `exists:`, `ptr:`: not empty, and no
/// prefix length (a `/24` would be read as part of the top label).
fn domain_argument<'a>(input: &'a str, name: &str) -> PResult<'a, MacroString> {
    if input.is_empty() || input.starts_with(' ') {
        return fail(input, ParseErrorKind::EmptyDomain(format!("{name}:")));
    }
    match domain_spec(input) {
        Err(NomErr::Failure(Failure {
            input: at,
            kind: Some(ParseErrorKind::InvalidDomainEnd(text)),
        })) => {
            let digits = text.trim_end_matches(|c: char| c.is_ascii_digit());
            let kind = if digits.len() < text.len() && digits.ends_with('/') {
                ParseErrorKind::NoArgument(name.into())
            } else {
                ParseErrorKind::InvalidDomainEnd(text)
            };
            fail(at, kind)
        }
        other => other,
    }
}

/// The optional `:domain-spec` and `dual-cidr-length` of `a` and `mx`.
///
/// A domain-spec may itself hold `/` (`a:foo:bar/baz.example.com`), so the
/// prefix lengths are split off the end of the term first, as pyspf does.
fn target_and_cidr<'a>(input: &'a str, name: &str) -> PResult<'a, (Option<MacroString>, DualCidr)> {
    let Some(spec) = input.strip_prefix(':') else {
        let (rest, cidr) = dual_cidr_length(input)?;
        return Ok((rest, (None, cidr)));
    };
    // Byte by byte: a term is short, and a `memchr` call costs more.
    let end = spec.bytes().position(|b| b == b' ').unwrap_or(spec.len());
    let (domain_text, cidr_text) = split_cidr_suffix(&spec[..end]);
    if domain_text.is_empty() {
        return fail(input, ParseErrorKind::EmptyDomain(format!("{name}:")));
    }
    let (left, domain) = domain_spec(domain_text)?;
    if !left.is_empty() {
        // Hand the caller the unparsed text so it names the bad character.
        let at = domain_text.len() - left.len();
        return Ok((&spec[at..], (Some(domain), DualCidr::default())));
    }
    if cidr_text.is_empty() {
        return Ok((&spec[end..], (Some(domain), DualCidr::default())));
    }
    let (_, cidr) = all_consuming(dual_cidr_length).parse(cidr_text)?;
    Ok((&spec[end..], (Some(domain), cidr)))
}

/// Splits `text` into a domain part and a trailing `[/n][//m]`.
fn split_cidr_suffix(text: &str) -> (&str, &str) {
    if !text.ends_with(|c: char| c.is_ascii_digit()) {
        // Nearly every domain-spec ends in a letter or a macro: no suffix.
        return (text, "");
    }
    let mut end = text.len();
    let digits = |s: &str| s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let d = digits(&text[..end]);
    if d < end && text[..d].ends_with("//") {
        end = d - 2;
    }
    let d = digits(&text[..end]);
    if d < end && text[..d].ends_with('/') && !text[..d].ends_with("//") {
        end = d - 1;
    }
    text.split_at(end)
}

/// `dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]`
fn dual_cidr_length(input: &str) -> PResult<'_, DualCidr> {
    if !input.starts_with('/') {
        // Nearly always: no prefix length at all.
        return Ok((input, DualCidr::default()));
    }
    let (rest, ip4) = opt(ip4_cidr_length).parse(input)?;
    let (rest, ip6) = match rest.strip_prefix('/') {
        Some(after) => match ip6_cidr_length(after) {
            Ok((after, len)) => (after, Some(len)),
            Err(NomErr::Error(_)) => (rest, None),
            Err(e) => return Err(e),
        },
        None => (rest, None),
    };
    Ok((rest, DualCidr { ip4, ip6 }))
}

/// `ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT)` ; value range 0-32
fn ip4_cidr_length(input: &str) -> PResult<'_, u8> {
    cidr_length(input, 4, 32)
}

/// `ip6-cidr-length = "/" ("0" / %x31-39 0*2DIGIT)` ; value range 0-128
fn ip6_cidr_length(input: &str) -> PResult<'_, u8> {
    cidr_length(input, 6, 128)
}

fn cidr_length(input: &str, family: u8, max: u8) -> PResult<'_, u8> {
    let Some(rest) = input.strip_prefix('/') else {
        return Err(NomErr::Error(Failure { input, kind: None }));
    };
    let end = rest
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(rest.len());
    if end == 0 {
        return Err(NomErr::Error(Failure {
            input: rest,
            kind: None,
        }));
    }
    let (digits, rest) = rest.split_at(end);
    if digits.len() > 1 && digits.starts_with('0') {
        return fail(input, ParseErrorKind::CidrLeadingZero(digits.into()));
    }
    match digits.parse::<u8>() {
        Ok(value) if value <= max => Ok((rest, value)),
        _ => fail(
            input,
            ParseErrorKind::CidrOutOfRange {
                family,
                value: digits.into(),
                max,
            },
        ),
    }
}

/// `ip4-network = qnum "." qnum "." qnum "." qnum`
fn ip4_network(input: &str) -> PResult<'_, Ipv4Addr> {
    let (rest, text) = take_in(&IP4_CHARS).parse(input)?;
    let mut octets = [0u8; 4];
    let mut count = 0;
    // Split by byte: `str::split` costs more than the rest of this rule.
    for part in text.as_bytes().split(|&b| b == b'.') {
        match (octets.get_mut(count), qnum(part)) {
            (Some(octet), Some(value)) => *octet = value,
            _ => return fail(input, ParseErrorKind::InvalidIp4(text.into())),
        }
        count += 1;
    }
    if count != 4 {
        return fail(input, ParseErrorKind::InvalidIp4(text.into()));
    }
    Ok((rest, Ipv4Addr::from(octets)))
}

/// `qnum = DIGIT / %x31-39 DIGIT / "1" 2DIGIT / "2" %x30-34 DIGIT / "25" %x30-35`
///
/// A decimal 0–255 without leading zeros.
fn qnum(text: &[u8]) -> Option<u8> {
    let ok = !text.is_empty()
        && text.len() <= 3
        && text.iter().all(u8::is_ascii_digit)
        && (text.len() == 1 || text[0] != b'0');
    if !ok {
        return None;
    }
    let value = text.iter().fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
    u8::try_from(value).ok()
}

/// `ip6-network = <as per [RFC4291], section 2.2>`
fn ip6_network(input: &str) -> PResult<'_, Ipv6Addr> {
    let (rest, text) = take_in(&IP6_CHARS).parse(input)?;
    match plain_ip6(text.as_bytes()).map_or_else(|| text.parse(), Ok) {
        Ok(addr) => Ok((rest, addr)),
        Err(_) => fail(input, ParseErrorKind::InvalidIp6(text.into())),
    }
}

/// The address of `text` when it is written in the usual form, groups of
/// one to four hex digits with at most one `::` and no dotted IPv4 tail
/// (RFC 4291 §2.2, forms 1 and 2); `None` for any other text, which
/// `Ipv6Addr`'s parser then reads. Every text read here is one that parser
/// accepts, with the same value: records list addresses, and the general
/// parser cost more than the rest of the record's parsing.
fn plain_ip6(text: &[u8]) -> Option<Ipv6Addr> {
    let mut groups = [0u16; 8];
    let mut count = 0;
    // Where `::` stands, as the number of groups before it.
    let mut gap = None;
    let mut i = 0;
    if text.starts_with(b"::") {
        gap = Some(0);
        i = 2;
    }
    while i < text.len() {
        let (mut value, mut digits) = (0u16, 0);
        while let Some(digit) = text.get(i).and_then(|&b| char::from(b).to_digit(16)) {
            if digits == 4 {
                return None;
            }
            value = (value << 4) | digit as u16;
            digits += 1;
            i += 1;
        }
        if digits == 0 || count == 8 {
            return None;
        }
        groups[count] = value;
        count += 1;
        match &text[i..] {
            [] => break,
            [b':', b':', ..] if gap.is_none() => {
                gap = Some(count);
                i += 2;
            }
            [b':', next, ..] if *next != b':' => i += 1,
            _ => return None,
        }
    }
    match gap {
        None if count == 8 => Some(Ipv6Addr::from(groups)),
        // `::` stands for one group of zeros at least.
        Some(at) if count < 8 => {
            let mut full = [0u16; 8];
            full[..at].copy_from_slice(&groups[..at]);
            full[8 - (count - at)..].copy_from_slice(&groups[at..count]);
            Some(Ipv6Addr::from(full))
        }
        _ => None,
    }
}

/// `modifier = redirect / explanation / unknown-modifier`
fn modifier(input: &str) -> PResult<'_, Modifier> {
    let (_, n) = name(input)?;
    if n.eq_ignore_ascii_case("redirect") {
        redirect(input)
    } else if n.eq_ignore_ascii_case("exp") {
        explanation(input)
    } else {
        unknown_modifier(input)
    }
}

/// `redirect = "redirect" "=" domain-spec`
fn redirect(input: &str) -> PResult<'_, Modifier> {
    let (rest, _) = tag_no_case(input, "redirect=")?;
    let (rest, domain) = modifier_domain(rest, "redirect=")?;
    Ok((rest, Modifier::Redirect(domain)))
}

/// `explanation = "exp" "=" domain-spec`
fn explanation(input: &str) -> PResult<'_, Modifier> {
    let (rest, _) = tag_no_case(input, "exp=")?;
    let (rest, domain) = modifier_domain(rest, "exp=")?;
    Ok((rest, Modifier::Explanation(domain)))
}

fn modifier_domain<'a>(input: &'a str, label: &str) -> PResult<'a, MacroString> {
    if input.is_empty() || input.starts_with(' ') {
        return fail(input, ParseErrorKind::EmptyDomain(label.into()));
    }
    domain_spec(input)
}

/// `unknown-modifier = name "=" macro-string`
fn unknown_modifier(input: &str) -> PResult<'_, Modifier> {
    let (rest, n) = name(input)?;
    let (rest, _) = tag("=").parse(rest)?;
    let (rest, value) = macro_string(MacroContext::Record)(rest)?;
    let name = n.to_owned();
    Ok((rest, Modifier::Unknown { name, value }))
}

/// `name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )`
fn name(input: &str) -> PResult<'_, &str> {
    let (rest, n) = take_in(&NAME_CHARS).parse(input)?;
    if !n.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return fail(input, ParseErrorKind::InvalidModifierName(n.into()));
    }
    Ok((rest, n))
}

/// `domain-spec = macro-string domain-end`
fn domain_spec(input: &str) -> PResult<'_, MacroString> {
    let (rest, spec) = macro_string(MacroContext::Record)(input)?;
    if spec.items().is_empty() {
        return fail(input, char_error("", input));
    }
    if !domain_end(&spec) {
        let text = &input[..input.len() - rest.len()];
        return fail(input, ParseErrorKind::InvalidDomainEnd(text.into()));
    }
    Ok((rest, spec))
}

/// `domain-end = ( "." toplabel [ "." ] ) / macro-expand`
///
/// Checked on the parsed macro-string: it ends in a macro-expand, or its
/// last literal ends in `.toplabel` with an optional final dot.
fn domain_end(spec: &MacroString) -> bool {
    match spec.items().last() {
        Some(MacroItem::Literal(text)) => {
            let text = text.strip_suffix('.').unwrap_or(text);
            // Searched byte by byte from the end: the top label is short.
            let dot = text.bytes().rposition(|b| b == b'.');
            dot.is_some_and(|dot| toplabel(&text[dot + 1..]))
        }
        Some(_) => true,
        None => false,
    }
}

/// `toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )`
fn toplabel(text: &str) -> bool {
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            ALNUM.contains(*first)
                && ALNUM.contains(*last)
                && bytes.iter().all(|&b| LABEL_CHARS.contains(b))
                && !bytes.iter().all(|&b| DIGIT.contains(b))
        }
        _ => false,
    }
}

/// `explain-string = *( macro-string / SP )`
fn explain_string(input: &str) -> PResult<'_, MacroString> {
    macro_string(MacroContext::Explanation)(input)
}

/// `macro-string = *( macro-expand / macro-literal )`
fn macro_string(context: MacroContext) -> impl Fn(&str) -> PResult<'_, MacroString> {
    let literal = match context {
        MacroContext::Record => &MACRO_LITERAL,
        MacroContext::Explanation => &EXPLAIN_LITERAL,
    };
    move |mut input| {
        let (after, text) = take_in(literal).parse(input)?;
        if !after.starts_with('%') {
            // No macro, as in nearly every domain-spec: one literal or nothing.
            let spec = match text {
                "" => MacroString::default(),
                _ => MacroString::literal(text),
            };
            return Ok((after, spec));
        }
        let mut spec = MacroString::default();
        loop {
            if input.starts_with('%') {
                let (rest, item) = macro_expand(context)(input)?;
                spec.push(item);
                input = rest;
                continue;
            }
            let (rest, text) = take_in(literal).parse(input)?;
            if text.is_empty() {
                // The loop never yields two literals in a row or an empty one, so
                // the merging of `MacroString::new` has nothing to do.
                return Ok((input, spec));
            }
            spec.push(MacroItem::Literal(CompactText::from(text)));
            input = rest;
        }
    }
}

/// `macro-expand = ( "%{" macro-letter transformers *delimiter "}" ) / "%%" / "%_" / "%-"`
fn macro_expand(context: MacroContext) -> impl Fn(&str) -> PResult<'_, MacroItem> {
    move |input| {
        let (rest, _) = tag("%").parse(input)?;
        let mut chars = rest.chars();
        match chars.next() {
            Some('%') => Ok((&rest[1..], MacroItem::Percent)),
            Some('_') => Ok((&rest[1..], MacroItem::Space)),
            Some('-') => Ok((&rest[1..], MacroItem::UrlSpace)),
            Some('{') => {
                let malformed = || {
                    let end = input.find(['}', ' ']).map_or(input.len(), |i| i + 1);
                    ParseErrorKind::MalformedMacro(input[..end].to_owned())
                };
                let Some((body, (letter, url_escape))) = macro_letter(context)(&rest[1..])? else {
                    return fail(input, malformed());
                };
                let (body, (digits, reverse)) = transformers(body)?;
                if digits == Some(0) {
                    return fail(input, malformed());
                }
                let (body, delimiters) = take_in(&DELIMITER).parse(body)?;
                let Some(rest) = body.strip_prefix('}') else {
                    return fail(input, malformed());
                };
                Ok((
                    rest,
                    MacroItem::Macro(Macro {
                        letter,
                        url_escape,
                        digits,
                        reverse,
                        delimiters: delimiters.to_owned(),
                    }),
                ))
            }
            Some(c) => fail(input, ParseErrorKind::InvalidMacroEscape(c.to_string())),
            None => fail(input, ParseErrorKind::InvalidMacroEscape(String::new())),
        }
    }
}

type LetterResult<'a> = Result<Option<(&'a str, (MacroLetter, bool))>, NomErr<Failure<'a>>>;

/// `macro-letter = "s" / "l" / "o" / "d" / "i" / "p" / "h" / "c" / "r" / "t" / "v"`
///
/// Returns the letter and whether it was written in upper case, or `None`
/// when the input is empty; refuses letters not allowed in `context`.
fn macro_letter(context: MacroContext) -> impl Fn(&str) -> LetterResult<'_> {
    move |input| {
        let Some(c) = input.chars().next() else {
            return Ok(None);
        };
        let letter = match MacroLetter::from_char(c) {
            None => return Err(failure(input, ParseErrorKind::UnknownMacroLetter(c))),
            Some(l) if l.is_exp_only() && context == MacroContext::Record => {
                return Err(failure(input, ParseErrorKind::ExpOnlyMacroLetter(c)));
            }
            Some(l) => l,
        };
        Ok(Some((
            &input[c.len_utf8()..],
            (letter, c.is_ascii_uppercase()),
        )))
    }
}

/// `transformers = *DIGIT [ "r" ]`
///
/// A digit count too large for `u32` is kept as `u32::MAX`: either way it
/// means "all parts".
fn transformers(input: &str) -> PResult<'_, (Option<u32>, bool)> {
    let (rest, digits) = take_in(&DIGIT).parse(input)?;
    let count = (!digits.is_empty()).then(|| digits.parse().unwrap_or(u32::MAX));
    match rest.strip_prefix(['r', 'R']) {
        Some(rest) => Ok((rest, (count, true))),
        None => Ok((rest, (count, false))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> (usize, ParseErrorKind) {
        let e = parse(text).expect_err(text);
        (e.offset, e.kind)
    }

    proptest::proptest! {
        /// The quick reading of an IPv6 address accepts only what
        /// `Ipv6Addr`'s parser accepts, with the same value.
        #[test]
        fn plain_ip6_agrees_with_std(text in "[0-9a-fA-F:.]{0,45}|([0-9a-f]{1,5}|:){0,12}") {
            if let Some(addr) = plain_ip6(text.as_bytes()) {
                proptest::prop_assert_eq!(text.parse::<Ipv6Addr>().ok(), Some(addr));
            }
        }
    }

    #[test]
    fn plain_ip6_reads_the_usual_forms() {
        for text in [
            "::",
            "::1",
            "1::",
            "2001:db8::10",
            "2001:DB8:0:0:0:0:0:1",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8",
            "0000:abcd::ffff",
        ] {
            assert_eq!(plain_ip6(text.as_bytes()), text.parse().ok(), "{text}");
        }
        for text in [
            "",
            ":",
            ":::",
            "1:",
            ":1",
            "1:::2",
            "1::2::3",
            "12345::",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4::5:6:7:8",
            "::ffff:192.0.2.1",
            "1:2:3:4:5:6:7:8::",
        ] {
            assert_eq!(plain_ip6(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn valid_records_parse_and_print_canonically() {
        let table = [
            ("v=spf1", "v=spf1"),
            ("V=SpF1 -ALL", "v=spf1 -all"),
            ("v=spf1  a  -all ", "v=spf1 a -all"),
            ("v=spf1 a/24//64 mx//64 mx/0", "v=spf1 a/24//64 mx//64 mx/0"),
            (
                "v=spf1 a:foo:bar/baz.example.com",
                "v=spf1 a:foo:bar/baz.example.com",
            ),
            ("v=spf1 a:foo.example.com/24", "v=spf1 a:foo.example.com/24"),
            (
                "v=spf1 ip4:1.1.1.1/0 ip6:::1.1.1.1/0",
                "v=spf1 ip4:1.1.1.1/0 ip6:::101:101/0",
            ),
            (
                "v=spf1 ip6:Cafe:Babe:8000::/33",
                "v=spf1 ip6:cafe:babe:8000::/33",
            ),
            (
                "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
                "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
            ),
            (
                "v=spf1 include=foo.example.com",
                "v=spf1 include=foo.example.com",
            ),
            (
                "v=spf1 default=+ ra=postmaster",
                "v=spf1 default=+ ra=postmaster",
            ),
            (
                "v=spf1 exists:%{ir}.%{l1r+-}.%{D2}.example.com",
                "v=spf1 exists:%{ir}.%{l1r+-}.%{D2}.example.com",
            ),
            (
                "v=spf1 a:macro%%p%_%-x.example.com",
                "v=spf1 a:macro%%p%_%-x.example.com",
            ),
            (
                "v=spf1 a:foo.example.xn--zckzah",
                "v=spf1 a:foo.example.xn--zckzah",
            ),
            ("v=spf1 a:museum.example.", "v=spf1 a:museum.example."),
            (
                "v=spf1 redirect=%{d}.d.spf.example.com.",
                "v=spf1 redirect=%{d}.d.spf.example.com.",
            ),
            ("v=spf1 -all exp=msg8.%{D2}", "v=spf1 -all exp=msg8.%{D2}"),
            (
                "v=spf1 ?ptr ~ptr:example.com +exists:%{i}",
                "v=spf1 ?ptr ~ptr:example.com +exists:%{i}",
            ),
            ("v=spf1 a:mail.example...com", "v=spf1 a:mail.example...com"),
        ];
        for (text, canonical) in table {
            let record = parse(text).unwrap_or_else(|e| panic!("{text}: {}", e.render()));
            assert_eq!(record.to_string(), canonical, "{text}");
            assert_eq!(parse(canonical).unwrap(), record, "{text}");
        }
    }

    #[test]
    fn offsets_point_at_terms() {
        let r = parse("v=spf1  a   -all x=y").unwrap();
        assert_eq!(r.offsets().collect::<Vec<_>>(), [8, 12, 17]);
    }

    #[test]
    fn mechanism_names_match_without_regard_to_case_and_only_whole() {
        let record = parse(
            "v=spf1 INCLUDE:x.example Ip4:192.0.2.1 eXiStS:a.example MX A PTR iP6:2001:db8::1 -ALL",
        )
        .unwrap();
        let names: Vec<&str> = record
            .directives()
            .map(|(_, d)| d.mechanism.name())
            .collect();
        assert_eq!(
            names,
            ["include", "ip4", "exists", "mx", "a", "ptr", "ip6", "all"]
        );
        // At the end of the record, with fewer than eight octets left
        // (the name is then read octet by octet) and with exactly eight.
        for (tail, name) in [("A", "a"), ("-mX", "mx"), ("?Ptr", "ptr"), ("~aLL", "all")] {
            let record = parse(&format!("v=spf1 {tail}")).unwrap();
            let (_, directive) = record.directives().next().unwrap();
            assert_eq!(directive.mechanism.name(), name, "{tail}");
        }
        for (text, unknown) in [
            ("v=spf1 includes:x.example", true),
            ("v=spf1 includeme", true),
            ("v=spf1 al", true),
            ("v=spf1 ip5:192.0.2.1", true),
            ("v=spf1 EXP:x.example", false),
            ("v=spf1 Redirect:x.example", false),
            ("v=spf1 redirect", false),
            ("v=spf1 exp", false),
        ] {
            let kind = parse(text).unwrap_err().kind;
            if unknown {
                assert!(
                    matches!(kind, ParseErrorKind::UnknownMechanism(_)),
                    "{text}: {kind:?}"
                );
            } else {
                assert!(
                    matches!(kind, ParseErrorKind::ModifierAsMechanism(_)),
                    "{text}: {kind:?}"
                );
            }
        }
    }

    #[test]
    fn character_classes_hold_what_the_abnf_says() {
        type Class = (&'static AsciiSet, fn(u8) -> bool);
        let classes: &[Class] = &[
            (&SPACE, |b| b == b' '),
            (&DIGIT, |b| b.is_ascii_digit()),
            (&ALNUM, |b| b.is_ascii_alphanumeric()),
            (&NAME_CHARS, |b| {
                b.is_ascii_alphanumeric() || b"-_.".contains(&b)
            }),
            (&MACRO_LITERAL, |b| matches!(b, 0x21..=0x24 | 0x26..=0x7e)),
            (&EXPLAIN_LITERAL, |b| matches!(b, 0x20..=0x24 | 0x26..=0x7e)),
            (&DELIMITER, |b| b".-+,/_=".contains(&b)),
            (&IP4_CHARS, |b| b.is_ascii_digit() || b == b'.'),
            (&IP6_CHARS, |b| {
                b.is_ascii_hexdigit() || b == b':' || b == b'.'
            }),
        ];
        for (set, member) in classes {
            for b in 0..=255u8 {
                assert_eq!(set.contains(b), member(b), "byte {b:#04x}");
            }
        }
    }

    #[test]
    fn errors_have_kind_and_offset() {
        use ParseErrorKind as K;
        type Case = (&'static str, usize, fn(&ParseErrorKind) -> bool);
        let cases: &[Case] = &[
            ("v=spf10", 0, |k| *k == K::NotSpf),
            (" v=spf1", 0, |k| *k == K::NotSpf),
            (
                "v=spf1 ip4:1.2.3.4 -all moo",
                24,
                |k| matches!(k, K::UnknownMechanism(m) if m == "moo"),
            ),
            ("v=spf1 moo.cow/far_out=man:dog/cat", 7, |k| {
                matches!(k, K::UnknownMechanism(_))
            }),
            ("v=spf1 moo.cow:far_out=man:dog/cat", 7, |k| {
                matches!(k, K::UnknownMechanism(_))
            }),
            ("v=spf1 ip4:1.2.3.4 redirect:t2.example.com", 19, |k| {
                matches!(k, K::ModifierAsMechanism(_))
            }),
            (
                "v=spf1 1up=foo",
                7,
                |k| matches!(k, K::InvalidModifierName(n) if n == "1up"),
            ),
            (
                "v=spf1 =all",
                7,
                |k| matches!(k, K::InvalidModifierName(n) if n.is_empty()),
            ),
            ("v=spf1 a:foo-bar -all", 7, |k| {
                matches!(k, K::InvalidDomainEnd(_))
            }),
            ("v=spf1 a:museum", 7, |k| {
                matches!(k, K::InvalidDomainEnd(_))
            }),
            ("v=spf1 a:museum.", 7, |k| {
                matches!(k, K::InvalidDomainEnd(_))
            }),
            ("v=spf1 a:abc.123", 7, |k| {
                matches!(k, K::InvalidDomainEnd(_))
            }),
            ("v=spf1 a:example.-com", 7, |k| {
                matches!(k, K::InvalidDomainEnd(_))
            }),
            ("v=spf1 a:111.222.33.44", 7, |k| {
                matches!(k, K::InvalidDomainEnd(_))
            }),
            ("v=spf1 mx:example.com:8080", 7, |k| {
                matches!(k, K::InvalidDomainEnd(_))
            }),
            (
                "v=spf1 a:foo.example.com\0",
                7,
                |k| matches!(k, K::ControlChar(c) if c == "U+0000"),
            ),
            (
                "v=spf1 a:ctrl.example.com\rptr -all",
                7,
                |k| matches!(k, K::ControlChar(c) if c == "U+000D"),
            ),
            ("v=spf1 ip4:192.0.2.5\n include:x.example.com", 7, |k| {
                matches!(k, K::ControlChar(_))
            }),
            ("v=spf1 \u{80}a:example.net -all", 7, |k| {
                matches!(k, K::NonAscii(_))
            }),
            ("v=spf1 a:example.net \u{96}all", 21, |k| {
                matches!(k, K::NonAscii(_))
            }),
            ("v=spf1 a:\u{feff}garbage.example.net -all", 7, |k| {
                matches!(k, K::NonAscii(_))
            }),
            (
                "v=spf1 a:",
                7,
                |k| matches!(k, K::EmptyDomain(d) if d == "a:"),
            ),
            (
                "v=spf1 mx: -all",
                7,
                |k| matches!(k, K::EmptyDomain(d) if d == "mx:"),
            ),
            ("v=spf1 include: -all", 7, |k| {
                matches!(k, K::EmptyDomain(_))
            }),
            ("v=spf1 exists:", 7, |k| matches!(k, K::EmptyDomain(_))),
            ("v=spf1 ptr:", 7, |k| matches!(k, K::EmptyDomain(_))),
            (
                "v=spf1 ?all redirect=",
                12,
                |k| matches!(k, K::EmptyDomain(d) if d == "redirect="),
            ),
            (
                "v=spf1 exp= -all",
                7,
                |k| matches!(k, K::EmptyDomain(d) if d == "exp="),
            ),
            ("v=spf1 exp=-all", 7, |k| {
                matches!(k, K::InvalidDomainEnd(_))
            }),
            ("v=spf1 redirect=-all ?all", 7, |k| {
                matches!(k, K::InvalidDomainEnd(_))
            }),
            ("v=spf1 include +all", 7, |k| {
                matches!(k, K::MissingArgument(..))
            }),
            ("v=spf1 exists", 7, |k| matches!(k, K::MissingArgument(..))),
            ("v=spf1 ip4", 7, |k| matches!(k, K::MissingArgument(..))),
            ("v=spf1 -all ip6", 12, |k| {
                matches!(k, K::MissingArgument(..))
            }),
            (
                "v=spf1 -all.",
                7,
                |k| matches!(k, K::Unexpected { found, .. } if found == "."),
            ),
            ("v=spf1 -all:foobar", 7, |k| matches!(k, K::NoArgument(_))),
            ("v=spf1 -all/8", 7, |k| matches!(k, K::NoArgument(_))),
            ("v=spf1 ptr/0 -all", 7, |k| matches!(k, K::NoArgument(_))),
            (
                "v=spf1 include:ip5.example.com/24",
                7,
                |k| matches!(k, K::NoArgument(n) if n == "include"),
            ),
            (
                "v=spf1 exists:mail.example.com/24",
                7,
                |k| matches!(k, K::NoArgument(n) if n == "exists"),
            ),
            ("v=spf1 ip4:1.2.3.4//32", 7, |k| {
                matches!(k, K::DualCidrNotAllowed(_))
            }),
            ("v=spf1 ip6:::1.1.1.1//33", 7, |k| {
                matches!(k, K::DualCidrNotAllowed(_))
            }),
            ("v=spf1 ip4:1.2.3.4:8080", 7, |k| {
                matches!(k, K::Unexpected { .. })
            }),
            ("v=spf1 ip4:1.2.3", 7, |k| matches!(k, K::InvalidIp4(_))),
            ("v=spf1 ip4:01.2.3.4", 7, |k| matches!(k, K::InvalidIp4(_))),
            ("v=spf1 ip4:256.2.3.4", 7, |k| matches!(k, K::InvalidIp4(_))),
            ("v=spf1 ip6::CAFE::BABE", 7, |k| {
                matches!(k, K::InvalidIp6(_))
            }),
            (
                "v=spf1 a/24/64 -all",
                7,
                |k| matches!(k, K::Unexpected { found, .. } if found == "/64"),
            ),
            ("v=spf1 a//129", 7, |k| {
                matches!(k, K::CidrOutOfRange { family: 6, .. })
            }),
            ("v=spf1 mx/33", 7, |k| {
                matches!(k, K::CidrOutOfRange { family: 4, .. })
            }),
            ("v=spf1 a:x.example.com/33", 7, |k| {
                matches!(k, K::CidrOutOfRange { family: 4, .. })
            }),
            ("v=spf1 exists:%{ir}.%{a}.example.com", 7, |k| {
                *k == K::UnknownMacroLetter('a')
            }),
            ("v=spf1 -all exp=%{r}.example.com", 12, |k| {
                *k == K::ExpOnlyMacroLetter('r')
            }),
            (
                "v=spf1 -exists:%(ir).sbl.example.com",
                7,
                |k| matches!(k, K::InvalidMacroEscape(c) if c == "("),
            ),
            (
                "v=spf1 exists:foo%.sbl.example.com",
                7,
                |k| matches!(k, K::InvalidMacroEscape(c) if c == "."),
            ),
            ("v=spf1 -all foo=%abc", 12, |k| {
                matches!(k, K::InvalidMacroEscape(_))
            }),
            (
                "v=spf1 -all foo=%",
                12,
                |k| matches!(k, K::InvalidMacroEscape(c) if c.is_empty()),
            ),
            ("v=spf1 exists:%{d0}.example.com", 7, |k| {
                matches!(k, K::MalformedMacro(_))
            }),
            ("v=spf1 exists:%{d.example.com", 7, |k| {
                matches!(k, K::MalformedMacro(_))
            }),
            ("v=spf1 exists:%{dx}.example.com", 7, |k| {
                matches!(k, K::MalformedMacro(_))
            }),
            ("v=spf1 exists:%{", 7, |k| matches!(k, K::MalformedMacro(_))),
            (
                "v=spf1 exp=a.example.com -all exp=b.example.com",
                30,
                |k| matches!(k, K::DuplicateModifier(n) if n == "exp"),
            ),
            (
                "v=spf1 redirect=a.example.com REDIRECT=b.example.com",
                30,
                |k| matches!(k, K::DuplicateModifier(n) if n == "redirect"),
            ),
        ];
        for (text, offset, check) in cases {
            let (at, k) = kind(text);
            assert!(check(&k), "{text:?}: unexpected kind {k:?}");
            assert_eq!(at, *offset, "{text:?}: {k}");
        }
    }

    #[test]
    fn cidr_boundaries() {
        let ok = [
            "v=spf1 ip4:0.0.0.0/0",
            "v=spf1 ip4:192.0.2.1/32",
            "v=spf1 ip6:::/0",
            "v=spf1 ip6:2001:db8::/128",
            "v=spf1 a/0//0",
            "v=spf1 a/32//128",
        ];
        for text in ok {
            parse(text).unwrap_or_else(|e| panic!("{}", e.render()));
        }
        let bad = [
            ("v=spf1 ip4:192.0.2.1/33", "33"),
            ("v=spf1 ip6:2001:db8::/129", "129"),
            ("v=spf1 a//256", "256"),
            ("v=spf1 ip4:192.0.2.1/99999999999", "99999999999"),
        ];
        for (text, value) in bad {
            assert!(
                matches!(kind(text).1, ParseErrorKind::CidrOutOfRange { value: v, .. } if v == value),
                "{text}"
            );
        }
        for text in [
            "v=spf1 ip4:1.2.3.4/032",
            "v=spf1 ip6:::1/00",
            "v=spf1 a//064",
        ] {
            assert!(
                matches!(kind(text).1, ParseErrorKind::CidrLeadingZero(_)),
                "{text}"
            );
        }
    }

    #[test]
    fn render_draws_a_caret_under_the_term() {
        let e = parse("v=spf1 ip4:192.0.2.0/33 -all").unwrap_err();
        assert_eq!(e.column, 8);
        assert_eq!(
            e.render(),
            "v=spf1 ip4:192.0.2.0/33 -all\n       ^ ip4 prefix length 33 is out of range: accepted 0–32"
        );
        assert_eq!(
            e.to_string(),
            "column 8: ip4 prefix length 33 is out of range: accepted 0–32"
        );
        let e = parse("v=spf1 a:x.example.com\rptr").unwrap_err();
        assert!(
            e.render()
                .starts_with("v=spf1 a:x.example.com\u{fffd}ptr\n       ^ control")
        );
    }

    #[test]
    fn explanation_text_allows_spaces_and_crt() {
        let text = "Connections from %{c} at %{r} (%{t}) not authorized.";
        let value = parse_explanation(text).unwrap();
        assert_eq!(value.to_string(), text);
        assert!(parse_explanation("The %{x}-files.").is_err());
        assert!(parse_explanation("\u{feff}Explanation").is_err());
        assert!(parse_explanation("line\nbreak").is_err());
        assert_eq!(parse_explanation("").unwrap(), MacroString::default());
    }

    #[test]
    fn record_selection_prefix() {
        assert!(is_spf_record(b"v=spf1"));
        assert!(is_spf_record(b"V=SPF1 -all"));
        assert!(!is_spf_record(b"v=spf10"));
        assert!(!is_spf_record(b"v=spf1mx"));
        assert!(!is_spf_record(b" v=spf1"));
        assert!(!is_spf_record(b"spf2.0/pra"));
        assert!(!is_spf_record(b""));
        assert!(is_spf_record(b"v=sPf1 a"));
        // Only the letters fold: other octets one bit apart do not match.
        for impostor in [
            &b"v\x1dspf1"[..],
            b"v=spf\x11",
            b"V=SPF\x11",
            b"v=s\x10f1",
            b"v=spf",
        ] {
            assert!(!is_spf_record(impostor), "{impostor:?}");
        }
    }
}
