//! RFC 1035 §5 master files, read into a [`MemoryZone`] so that checks can
//! run offline (`--zone-file`).
//!
//! hickory's zone parser decodes `\DDD` wrongly and refuses RFC 2317 names
//! (`formats.md` §3), so this is our own: a nom lexer for the tokens
//! (quoted strings, words, parentheses, comments) and a small interpreter
//! for `$ORIGIN`, `$TTL`, blank and `@` owners and the record types mail
//! checks read. Other types are kept as opaque data so that their owners
//! exist.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use hickory_proto::rr::RecordType;
use nom::branch::alt;
use nom::bytes::complete::{is_not, tag, take_while1};
use nom::character::complete::{char, none_of, satisfy};
use nom::combinator::{map, recognize, value};
use nom::multi::{many0, many1};
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};

use super::memory::MemoryZone;
use super::record::{Mx, RecordData, TYPE_SOA};
use crate::names::{self, DomainName, normal_form};

/// A master-file problem, located by file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", file.display())]
pub struct ZoneFileError {
    /// The zone file.
    pub file: PathBuf,
    /// 1-based line of the entry at fault.
    pub line: usize,
    /// What is wrong and what is accepted.
    pub message: String,
}

/// One record read from a master file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneEntry {
    /// The owner.
    pub owner: DomainName,
    /// Time to live.
    pub ttl: u32,
    /// The data.
    pub data: RecordData,
}

/// Records read from zone files, and the zones they hold.
#[derive(Debug, Clone, Default)]
pub struct ZoneFiles {
    /// Every record of every file.
    pub zone: MemoryZone,
    /// The apex of each zone the files hold:
    /// a file's SOA owners; without an SOA, the names of its `$ORIGIN`
    /// lines; without either, the longest suffix its owners share. A name
    /// at or under one of them is answered by the files alone.
    pub apexes: Vec<DomainName>,
}

impl ZoneFiles {
    /// True when `name` is at or under the apex of a zone of the files.
    pub fn holds(&self, name: &str) -> bool {
        let name = normal_form(name);
        self.apexes
            .iter()
            .any(|apex| apex.is_empty() || names::is_in_zone(&name, apex))
    }

    /// Adds the records of one file's text, and the zones it holds.
    fn add(&mut self, file: &Path, text: &str) -> Result<(), ZoneFileError> {
        let (entries, origins) = read(file, text)?;
        let soa: Vec<&DomainName> = entries
            .iter()
            .filter(|e| matches!(e.data, RecordData::Other { rtype, .. } if rtype == TYPE_SOA))
            .map(|e| &e.owner)
            .collect();
        let apexes = match (soa.is_empty(), origins.is_empty()) {
            (false, _) => soa.into_iter().cloned().collect(),
            (true, false) => origins,
            (true, true) => common_suffix(entries.iter().map(|e| e.owner.as_str()))
                .into_iter()
                .collect(),
        };
        for apex in apexes {
            if !self.apexes.contains(&apex) {
                self.apexes.push(apex);
            }
        }
        for entry in entries {
            self.zone.insert(&entry.owner, entry.data);
        }
        Ok(())
    }
}

/// Reads every file into one [`MemoryZone`], with the zones they hold.
pub fn load(files: &[PathBuf]) -> Result<ZoneFiles, ZoneFileError> {
    let mut loaded = ZoneFiles::default();
    for file in files {
        let text = std::fs::read(file).map_err(|err| ZoneFileError {
            file: file.clone(),
            line: 0,
            message: format!("cannot read the zone file: {err}"),
        })?;
        let text = String::from_utf8(text).map_err(|err| ZoneFileError {
            file: file.clone(),
            line: 1 + err.as_bytes()[..err.utf8_error().valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            message: "the zone file is not UTF-8 text; non-ASCII octets must be written as \\DDD"
                .to_owned(),
        })?;
        loaded.add(file, &text)?;
    }
    Ok(loaded)
}

/// The longest run of whole labels every name ends with; empty (the root)
/// when they share none, `None` without names.
fn common_suffix<'a>(mut names: impl Iterator<Item = &'a str>) -> Option<DomainName> {
    let first = names.next()?;
    let mut labels: Vec<&str> = first.rsplit('.').collect();
    for name in names {
        let shared = name
            .rsplit('.')
            .zip(&labels)
            .take_while(|(a, b)| a == *b)
            .count();
        labels.truncate(shared);
    }
    labels.reverse();
    Some(DomainName::from_valid(labels.join(".")))
}

/// A lexical token of a master file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An unquoted word, escapes still in place.
    Word(String),
    /// A quoted string, escapes decoded.
    Quoted(Vec<u8>),
    Open,
    Close,
    Newline,
    /// Spaces or tabs (significant only at the start of a line).
    Blank,
}

/// `\X` or `\DDD` inside a quoted string (RFC 1035 §5.1).
fn escape(input: &str) -> IResult<&str, u8> {
    preceded(
        char('\\'),
        alt((
            map(
                recognize((
                    satisfy(|c| c.is_ascii_digit()),
                    satisfy(|c| c.is_ascii_digit()),
                    satisfy(|c| c.is_ascii_digit()),
                )),
                |digits: &str| digits.parse::<u16>().unwrap_or(256),
            )
            .map_res(u8::try_from),
            map(satisfy(|c| c.is_ascii() && !c.is_ascii_digit()), |c| {
                c as u8
            }),
        )),
    )
    .parse(input)
}

/// `"…"`: a character-string with escapes decoded.
fn quoted(input: &str) -> IResult<&str, Token> {
    let plain = map(is_not("\"\\"), |s: &str| s.as_bytes().to_vec());
    let escaped = map(escape, |b| vec![b]);
    map(
        delimited(char('"'), many0(alt((plain, escaped))), char('"')),
        |parts| Token::Quoted(parts.concat()),
    )
    .parse(input)
}

/// TXT data written as zone files and `dig` show it: quoted
/// character-strings separated by blanks (`"v=spf1 … " "… -all"`), each
/// decoded (RFC 1035 §5.1).
pub fn character_strings(text: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut strings = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Ok((after, Token::Quoted(string))) = quoted(rest) else {
            return Err(format!(
                "expected a quoted character-string at `{}`",
                rest.chars().take(20).collect::<String>()
            ));
        };
        strings.push(string);
        rest = after.trim_start();
    }
    Ok(strings)
}

/// An unquoted word; a backslash protects the next character.
fn unquoted(input: &str) -> IResult<&str, Token> {
    map(
        recognize(many1(alt((
            recognize(preceded(char('\\'), satisfy(|c| c != '\n'))),
            recognize(none_of(" \t\r\n;()\"\\")),
        )))),
        |w: &str| Token::Word(w.to_owned()),
    )
    .parse(input)
}

fn token(input: &str) -> IResult<&str, Option<Token>> {
    alt((
        value(None, preceded(char(';'), many0(none_of("\n")))),
        map(quoted, Some),
        value(Some(Token::Open), char('(')),
        value(Some(Token::Close), char(')')),
        value(Some(Token::Newline), alt((tag("\r\n"), tag("\n")))),
        value(
            Some(Token::Blank),
            take_while1(|c| c == ' ' || c == '\t' || c == '\r'),
        ),
        map(unquoted, Some),
    ))
    .parse(input)
}

/// One logical entry: its first line, whether the owner was left blank,
/// and its tokens with blanks and newlines inside parentheses removed.
struct Entry {
    line: usize,
    blank_owner: bool,
    tokens: Vec<Token>,
}

fn entries(file: &Path, text: &str) -> Result<Vec<Entry>, ZoneFileError> {
    let mut entries = Vec::new();
    let mut rest = text;
    let mut line = 1;
    let mut depth = 0usize;
    let mut current = Entry {
        line: 1,
        blank_owner: false,
        tokens: Vec::new(),
    };
    let mut at_line_start = true;
    while !rest.is_empty() {
        let (next, token) = token(rest).map_err(|_| ZoneFileError {
            file: file.to_owned(),
            line,
            message: format!(
                "cannot read `{}`: an unterminated quote or a bad escape (accepted: \\X or \\DDD with DDD ≤ 255)",
                rest.lines().next().unwrap_or_default()
            ),
        })?;
        let consumed = &rest[..rest.len() - next.len()];
        rest = next;
        match token {
            None => {}
            Some(Token::Blank) if at_line_start && depth == 0 && current.tokens.is_empty() => {
                current.blank_owner = true;
            }
            Some(Token::Blank) => {}
            Some(Token::Newline) if depth > 0 => {}
            Some(Token::Newline) => {
                if !current.tokens.is_empty() {
                    entries.push(current);
                }
                current = Entry {
                    line: line + 1,
                    blank_owner: false,
                    tokens: Vec::new(),
                };
            }
            Some(Token::Open) => depth += 1,
            Some(Token::Close) => {
                depth = depth.checked_sub(1).ok_or_else(|| ZoneFileError {
                    file: file.to_owned(),
                    line,
                    message: "`)` without a matching `(`".to_owned(),
                })?;
            }
            Some(other) => current.tokens.push(other),
        }
        at_line_start = consumed.ends_with('\n');
        line += consumed.matches('\n').count();
    }
    if depth > 0 {
        return Err(ZoneFileError {
            file: file.to_owned(),
            line: current.line,
            message: "`(` is never closed".to_owned(),
        });
    }
    if !current.tokens.is_empty() {
        entries.push(current);
    }
    Ok(entries)
}

/// Parses master-file text; `file` names it in errors.
pub fn parse(file: &Path, text: &str) -> Result<Vec<ZoneEntry>, ZoneFileError> {
    Ok(read(file, text)?.0)
}

/// Parses master-file text: its records, and the names its `$ORIGIN`
/// lines set, in order.
fn read(file: &Path, text: &str) -> Result<(Vec<ZoneEntry>, Vec<DomainName>), ZoneFileError> {
    let mut origins: Vec<DomainName> = Vec::new();
    let mut origin: Option<DomainName> = None;
    let mut default_ttl: Option<u32> = None;
    let mut last_owner: Option<DomainName> = None;
    let mut last_ttl: Option<u32> = None;
    let mut records = Vec::new();
    for entry in entries(file, text)? {
        let fail = |message: String| ZoneFileError {
            file: file.to_owned(),
            line: entry.line,
            message,
        };
        let mut tokens = entry.tokens.iter().peekable();
        if let Some(Token::Word(directive)) = tokens.peek()
            && directive.starts_with('$')
            && !entry.blank_owner
        {
            let directive = directive.to_ascii_uppercase();
            tokens.next();
            let argument = match tokens.next() {
                Some(Token::Word(w)) => w.clone(),
                _ => return Err(fail(format!("`{directive}` needs an argument"))),
            };
            match directive.as_str() {
                "$ORIGIN" => {
                    let name = absolute(&argument, origin.as_deref()).map_err(fail)?;
                    if !origins.contains(&name) {
                        origins.push(name.clone());
                    }
                    origin = Some(name);
                }
                "$TTL" => default_ttl = Some(parse_ttl(&argument).map_err(fail)?),
                other => {
                    return Err(fail(format!(
                        "`{other}` is not supported; accepted directives: $ORIGIN and $TTL"
                    )));
                }
            }
            continue;
        }
        let owner = if entry.blank_owner {
            last_owner
                .clone()
                .ok_or_else(|| fail("the first record has no owner".to_owned()))?
        } else {
            match tokens.next() {
                Some(Token::Word(w)) => absolute(w, origin.as_deref()).map_err(fail)?,
                _ => return Err(fail("expected an owner name".to_owned())),
            }
        };
        let mut ttl = None;
        let mut kind = None;
        // [TTL] [CLASS] TYPE or [CLASS] [TTL] TYPE (RFC 1035 §5.1).
        for token in tokens.by_ref() {
            let Token::Word(word) = token else {
                return Err(fail(
                    "expected a TTL, class or type, found a quoted string".to_owned(),
                ));
            };
            if word.eq_ignore_ascii_case("IN") {
                continue;
            }
            if ["CH", "HS", "CS"]
                .iter()
                .any(|c| word.eq_ignore_ascii_case(c))
            {
                return Err(fail(format!(
                    "class `{word}` is not supported; accepted: IN"
                )));
            }
            if ttl.is_none() && word.starts_with(|c: char| c.is_ascii_digit()) {
                ttl = Some(parse_ttl(word).map_err(fail)?);
                continue;
            }
            kind = Some(word.to_ascii_uppercase());
            break;
        }
        let kind = kind.ok_or_else(|| fail("the record has no type".to_owned()))?;
        let rdata: Vec<&Token> = tokens.collect();
        let data = record_data(&kind, &rdata, origin.as_deref()).map_err(fail)?;
        let ttl = ttl
            .or(default_ttl)
            .or(last_ttl)
            .ok_or_else(|| fail("no TTL: give one or set `$TTL`".to_owned()))?;
        last_owner = Some(owner.clone());
        last_ttl = Some(ttl);
        records.push(ZoneEntry { owner, ttl, data });
    }
    Ok((records, origins))
}

/// Resolves a name against the origin: `@`, relative or absolute.
fn absolute(name: &str, origin: Option<&str>) -> Result<DomainName, String> {
    let decoded = decode_name(name)?;
    if name == "@" {
        return origin
            .map(DomainName::from)
            .ok_or_else(|| "`@` before any `$ORIGIN`".to_owned());
    }
    match origin {
        _ if decoded.ends_with('.') => Ok(DomainName::from_dns(decoded)),
        Some("") => Ok(DomainName::from_dns(decoded)),
        Some(origin) => Ok(DomainName::from_dns(format!("{decoded}.{origin}"))),
        None => Err(format!(
            "relative name `{name}` before any `$ORIGIN`; set `$ORIGIN` or end the name with `.`"
        )),
    }
}

/// Decodes `\X` and `\DDD` in a name; an escaped dot cannot be represented.
fn decode_name(name: &str) -> Result<String, String> {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let rest: String = chars.clone().take(3).collect();
        let byte = if rest.len() == 3 && rest.bytes().all(|b| b.is_ascii_digit()) {
            chars.nth(2);
            rest.parse::<u8>()
                .map_err(|_| format!("`\\{rest}` in `{name}` is over 255"))?
        } else {
            chars.next().map_or(b'\\', |c| c as u8)
        };
        if byte == b'.' {
            return Err(format!(
                "`{name}` has an escaped dot inside a label, which is not supported"
            ));
        }
        out.push(char::from(byte));
    }
    Ok(out)
}

/// A TTL in seconds, or with BIND units (`1h30m`, `2d`, `1w`).
fn parse_ttl(text: &str) -> Result<u32, String> {
    let bad = || format!("`{text}` is not a TTL; accepted: seconds or units such as 1h30m");
    if let Ok(seconds) = text.parse::<u32>() {
        return Ok(seconds);
    }
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in text.chars() {
        if let Some(digit) = c.to_digit(10) {
            number = number
                .unwrap_or(0)
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(digit)));
            if number.is_none() {
                return Err(bad());
            }
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        total = number
            .take()
            .ok_or_else(bad)?
            .checked_mul(unit)
            .and_then(|seconds| total.checked_add(seconds))
            .ok_or_else(bad)?;
    }
    if number.is_some() {
        return Err(bad());
    }
    u32::try_from(total).map_err(|_| bad())
}

fn word<'a>(tokens: &[&'a Token], index: usize, what: &str) -> Result<&'a str, String> {
    match tokens.get(index) {
        Some(Token::Word(w)) => Ok(w),
        _ => Err(format!("missing {what}")),
    }
}

fn record_data(kind: &str, rdata: &[&Token], origin: Option<&str>) -> Result<RecordData, String> {
    let one_name =
        |what| -> Result<String, String> { Ok(absolute(word(rdata, 0, what)?, origin)?.into()) };
    Ok(match kind {
        "A" => RecordData::A(
            Ipv4Addr::from_str(word(rdata, 0, "the IPv4 address")?)
                .map_err(|_| "invalid IPv4 address in an A record".to_owned())?,
        ),
        "AAAA" => RecordData::Aaaa(
            Ipv6Addr::from_str(word(rdata, 0, "the IPv6 address")?)
                .map_err(|_| "invalid IPv6 address in an AAAA record".to_owned())?,
        ),
        "TXT" => RecordData::Txt(
            rdata
                .iter()
                .map(|t| match t {
                    Token::Quoted(bytes) => Ok(bytes.clone()),
                    Token::Word(w) => Ok(decode_name(w)
                        .map_err(|e| format!("in TXT data: {e}"))?
                        .into_bytes()),
                    _ => Err("unexpected token in TXT data".to_owned()),
                })
                .collect::<Result<_, _>>()?,
        ),
        "MX" => {
            let preference = word(rdata, 0, "the MX preference")?
                .parse()
                .map_err(|_| "the MX preference must be 0–65535".to_owned())?;
            let exchange = word(rdata, 1, "the MX exchange")?;
            let exchange = if exchange == "." {
                String::new()
            } else {
                absolute(exchange, origin)?.into()
            };
            RecordData::Mx(Mx {
                preference,
                exchange,
            })
        }
        "PTR" => RecordData::Ptr(one_name("the PTR target")?),
        "CNAME" => RecordData::Cname(one_name("the CNAME target")?),
        other => {
            // SPF (99, RFC 7208 §3.1) is obsolete, so hickory no longer names
            // it, but lint must see it published.
            let rtype = match other
                .strip_prefix("TYPE")
                .and_then(|n| n.parse::<u16>().ok())
            {
                Some(number) => number,
                None if other == "SPF" => 99,
                None => u16::from(
                    RecordType::from_str(other)
                        .map_err(|_| format!("unknown record type `{other}`"))?,
                ),
            };
            let text: Vec<String> = rdata
                .iter()
                .map(|t| match t {
                    Token::Word(w) => w.clone(),
                    Token::Quoted(b) => String::from_utf8_lossy(b).into_owned(),
                    _ => String::new(),
                })
                .collect();
            RecordData::Other {
                rtype,
                rdata: text.join(" ").into_bytes(),
            }
        }
    })
}

impl fmt::Display for ZoneEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {:?}", self.owner, self.ttl, self.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<ZoneEntry> {
        parse(Path::new("t.zone"), text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn reads_what_generate_writes() {
        let entries = read(
            "; comment\n$ORIGIN example.com.\n$TTL 3600\n\
             @    3600 IN TXT ( \"v=spf1 ip4:192.0.2.1 \"\n        \"-all\" )\n\
             mail 300 IN A 192.0.2.1\n     IN AAAA 2001:db8::1\n\
             $ORIGIN 64/26.100.51.198.in-addr.arpa.\n65 IN PTR mail.example.com.\n",
        );
        assert_eq!(entries[0].owner, "example.com");
        assert_eq!(
            entries[0].data,
            RecordData::Txt(vec![b"v=spf1 ip4:192.0.2.1 ".to_vec(), b"-all".to_vec()].into())
        );
        assert_eq!(entries[1].ttl, 300);
        assert_eq!(entries[2].owner, "mail.example.com");
        assert_eq!(entries[2].ttl, 3600);
        assert_eq!(entries[3].owner, "65.64/26.100.51.198.in-addr.arpa");
        assert_eq!(entries[3].data, RecordData::Ptr("mail.example.com".into()));
    }

    fn zones(texts: &[&str]) -> ZoneFiles {
        let mut files = ZoneFiles::default();
        for text in texts {
            files.add(Path::new("t.zone"), text).unwrap();
        }
        files
    }

    #[test]
    fn a_file_holds_its_soa_owner_else_its_origins_else_what_its_owners_share() {
        let with_soa = "$TTL 300\n$ORIGIN example.com.\n@ SOA ns1.example.net. h.example.net. 1 2 3 4 5\n\
                        $ORIGIN mail.example.com.\n@ A 192.0.2.1\n";
        let origins = "$TTL 300\n$ORIGIN example.org.\n@ TXT \"v=spf1 -all\"\n\
                       $ORIGIN 64/26.100.51.198.in-addr.arpa.\n65 PTR mx.example.org.\n";
        let absolute = "$TTL 300\na.example.net. A 192.0.2.1\nb.example.net. A 192.0.2.2\n";
        let files = zones(&[with_soa, origins, absolute]);
        assert_eq!(
            files.apexes,
            [
                "example.com",
                "example.org",
                "64/26.100.51.198.in-addr.arpa",
                "example.net"
            ]
        );
        for held in [
            "example.com",
            "Mail.Example.COM.",
            "_dmarc.example.org",
            "65.64/26.100.51.198.in-addr.arpa",
            "x.b.example.net",
        ] {
            assert!(files.holds(held), "{held}");
        }
        for outside in [
            "com",
            "badexample.com",
            "_spf.google.com",
            "65.100.51.198.in-addr.arpa",
            "\u{e9}xample.com",
            "",
        ] {
            assert!(!files.holds(outside), "{outside}");
        }
        // Owners that share no label: the file holds every name.
        assert!(
            zones(&["$TTL 300\na.example. A 192.0.2.1\nb.test. A 192.0.2.2\n"]).holds("x.invalid")
        );
    }

    #[test]
    fn decodes_decimal_escapes_and_units() {
        let entries = read(
            "$ORIGIN t.\n$TTL 1h30m\nx TXT \"a\\\"b\\\\c\\065\\255\" plain\nx SPF \"v=spf1 -all\"\n",
        );
        assert_eq!(
            entries[0].data,
            RecordData::Txt(vec![b"a\"b\\cA\xff".to_vec(), b"plain".to_vec()].into())
        );
        assert_eq!(entries[0].ttl, 5400);
        assert!(matches!(
            entries[1].data,
            RecordData::Other { rtype: 99, .. }
        ));
    }

    #[test]
    fn reports_problems_with_their_line() {
        let err = parse(Path::new("t.zone"), "$ORIGIN t.\n\nx 60 TXT \"\\256\"\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        let err = parse(Path::new("t.zone"), "x 60 A 192.0.2.1\n").unwrap_err();
        assert!(err.message.contains("before any `$ORIGIN`"), "{err}");
        let err = parse(Path::new("t.zone"), "$INCLUDE other\n").unwrap_err();
        assert!(err.message.contains("not supported"), "{err}");
        let err = parse(Path::new("t.zone"), "$ORIGIN t.\nx 60 A ( 192.0.2.1\n").unwrap_err();
        assert!(err.message.contains("never closed"), "{err}");
    }
}
