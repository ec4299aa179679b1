//! TSIG key files as `tsig-keygen` and `ddns-confgen` write them (BIND's
//! `named.conf` `key` statement), read into a hickory [`TSigner`]
//! (RFC 8945).
//!
//! ```text
//! key "ddns-key" {
//!         algorithm hmac-sha256;
//!         secret "Yf7rBBg7oyNk+ZaAJbbSvKJ9J5ylvAV6CoFpXp0J3Xk=";
//! };
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use hickory_proto::rr::rdata::tsig::TsigAlgorithm;
use hickory_proto::rr::{Name, TSigner};
use nom::branch::alt;
use nom::bytes::complete::{is_not, tag, tag_no_case, take_until, take_while1};
use nom::character::complete::{char, multispace1, not_line_ending};
use nom::combinator::{all_consuming, cut, map, opt, recognize, value};
use nom::multi::many0;
use nom::sequence::{delimited, preceded, terminated};
use nom::{IResult, Parser};

/// How far the clocks of client and server may differ (RFC 8945 §5.2.3):
/// 300 s, as BIND's `nsupdate` uses.
const FUDGE: u16 = 300;

/// A TSIG key: its name, algorithm and secret. The secret never appears in
/// `Debug` output or messages.
#[derive(Clone, PartialEq, Eq)]
pub struct TsigKey {
    /// The key's name, as the server knows it.
    pub name: Name,
    /// The MAC algorithm.
    pub algorithm: TsigAlgorithm,
    secret: Vec<u8>,
}

impl fmt::Debug for TsigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TsigKey")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("secret", &"(hidden)")
            .finish()
    }
}

impl TsigKey {
    /// The signer for requests and the verifier of responses.
    pub fn signer(&self) -> TSigner {
        TSigner::new(
            self.secret.clone(),
            self.algorithm.clone(),
            self.name.clone(),
            FUDGE,
        )
        .expect("parse accepts only algorithms hickory implements")
    }

    /// The key's name, without trailing dot, for messages.
    pub fn display_name(&self) -> String {
        self.name.to_ascii().trim_end_matches('.').to_owned()
    }
}

/// A key file that cannot be used; its position when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct KeyFileError {
    /// The key file.
    pub path: PathBuf,
    /// 1-based line and column of the problem.
    pub position: Option<(usize, usize)>,
    /// What is wrong and what is accepted.
    pub message: String,
}

/// A key file read from disk, with what the user should hear about it.
#[derive(Debug, Clone)]
pub struct LoadedKey {
    /// The key.
    pub key: TsigKey,
    /// Set when other users may read the file (a key that can change the
    /// zones).
    pub warning: Option<String>,
}

/// Reads and parses the key file at `path`; warns when its mode lets
/// other users read it.
pub fn load(path: &Path) -> Result<LoadedKey, KeyFileError> {
    let error = |message: String| KeyFileError {
        path: path.to_owned(),
        position: None,
        message,
    };
    let bytes = std::fs::read(path)
        .map_err(|err| error(format!("cannot read the TSIG key file: {err}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| error("the TSIG key file is not UTF-8 text".to_owned()))?;
    let key = parse(path, &text)?;
    Ok(LoadedKey {
        key,
        warning: readable_by_others(path),
    })
}

/// A warning when the file's mode lets group or others read it.
#[cfg(unix)]
fn readable_by_others(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o044 != 0).then(|| {
        format!(
            "the TSIG key file `{}` is readable by other users (mode {mode:04o}): whoever reads it can change your zones; `chmod 600 {}`",
            path.display(),
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path) -> Option<String> {
    None
}

/// The algorithms hickory's TSIG implements, by their key-file names.
fn algorithm(name: &str) -> Result<TsigAlgorithm, String> {
    match name.to_ascii_lowercase().as_str() {
        "hmac-sha256" => Ok(TsigAlgorithm::HmacSha256),
        "hmac-sha384" => Ok(TsigAlgorithm::HmacSha384),
        "hmac-sha512" => Ok(TsigAlgorithm::HmacSha512),
        other => Err(format!(
            "the TSIG algorithm `{other}` is not supported; accepted: hmac-sha256, hmac-sha384, hmac-sha512 (make a key with `tsig-keygen -a hmac-sha256 NAME`)"
        )),
    }
}

/// Parses a key file holding exactly one `key` statement.
pub fn parse(path: &Path, text: &str) -> Result<TsigKey, KeyFileError> {
    let error = |rest: &str, message: String| {
        let offset = text.len() - rest.len();
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        KeyFileError {
            path: path.to_owned(),
            position: Some((line, column)),
            message,
        }
    };
    let (_, statement) = keyfile(text).map_err(|err| match err {
        nom::Err::Error(e) | nom::Err::Failure(e) => error(e.input, e.message()),
        nom::Err::Incomplete(_) => error("", "the key file ends early".to_owned()),
    })?;
    let name = Name::from_ascii(statement.name.text).map_err(|err| {
        error(
            statement.name.at,
            format!("invalid key name `{}`: {err}", statement.name.text),
        )
    })?;
    let mut found_algorithm = None;
    let mut found_secret = None;
    for clause in statement.clauses {
        match clause {
            Clause::Algorithm(word) => {
                let parsed = algorithm(word.text).map_err(|message| error(word.at, message))?;
                found_algorithm = Some(parsed);
            }
            Clause::Secret(word) => {
                let compact: String = word.text.split_whitespace().collect();
                let secret = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .map_err(|err| {
                        error(word.at, format!("the secret is not valid base64: {err}"))
                    })?;
                if secret.is_empty() {
                    return Err(error(word.at, "the secret is empty".to_owned()));
                }
                found_secret = Some(secret);
            }
        }
    }
    let missing = |what: &str| {
        error(
            statement.end,
            format!(
                "the key `{}` has no `{what}`; a key file holds `key \"NAME\" {{ algorithm hmac-sha256; secret \"BASE64\"; }};`",
                statement.name.text
            ),
        )
    };
    Ok(TsigKey {
        name,
        algorithm: found_algorithm.ok_or_else(|| missing("algorithm"))?,
        secret: found_secret.ok_or_else(|| missing("secret"))?,
    })
}

/// A word of the file and where it starts (the rest of the input from it).
#[derive(Debug, Clone, Copy)]
struct Word<'a> {
    text: &'a str,
    at: &'a str,
}

#[derive(Debug)]
enum Clause<'a> {
    Algorithm(Word<'a>),
    Secret(Word<'a>),
}

#[derive(Debug)]
struct Statement<'a> {
    name: Word<'a>,
    clauses: Vec<Clause<'a>>,
    /// Where the statement's closing brace is.
    end: &'a str,
}

/// A parse error: where, and what was expected there.
#[derive(Debug)]
struct Expected<'a> {
    input: &'a str,
    what: &'static str,
}

impl Expected<'_> {
    fn message(&self) -> String {
        let found = self
            .input
            .split_whitespace()
            .next()
            .map_or_else(|| "the end of the file".to_owned(), |w| format!("`{w}`"));
        format!("expected {}, found {found}", self.what)
    }
}

impl<'a> nom::error::ParseError<&'a str> for Expected<'a> {
    fn from_error_kind(input: &'a str, _kind: nom::error::ErrorKind) -> Self {
        Expected {
            input,
            what: "a `key` statement",
        }
    }

    fn append(_input: &'a str, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type Res<'a, T> = IResult<&'a str, T, Expected<'a>>;

/// Runs `parser`; when it fails, the error says `what` was expected at the
/// point it started.
fn expect<'a, T>(
    what: &'static str,
    mut parser: impl Parser<&'a str, Output = T, Error = Expected<'a>>,
) -> impl FnMut(&'a str) -> Res<'a, T> {
    move |input| {
        parser.parse(input).map_err(|err| {
            err.map(|_| Expected {
                input: skip_ws(input),
                what,
            })
        })
    }
}

/// `input` after blanks and comments.
fn skip_ws(input: &str) -> &str {
    ws(input).map_or(input, |(rest, ())| rest)
}

/// Blanks and comments: `# …`, `// …` to the end of the line, `/* … */`.
fn ws(input: &str) -> Res<'_, ()> {
    value(
        (),
        many0(alt((
            value((), multispace1),
            value((), preceded(alt((tag("#"), tag("//"))), not_line_ending)),
            value((), delimited(tag("/*"), take_until("*/"), tag("*/"))),
        ))),
    )
    .parse(input)
}

/// `"…"` (no escapes: names and base64 need none) or a bare word.
fn word(input: &str) -> Res<'_, Word<'_>> {
    let at = input;
    map(
        alt((
            delimited(char('"'), recognize(opt(is_not("\""))), char('"')),
            take_while1(|c: char| !c.is_whitespace() && !"{};\"#".contains(c)),
        )),
        move |text: &str| Word { text, at },
    )
    .parse(input)
}

/// `algorithm NAME ;` or `secret "BASE64" ;`; after the keyword a
/// mistake is reported where it is, not as a missing `}`.
fn clause(input: &str) -> Res<'_, Clause<'_>> {
    let value_then_semicolon = |what| {
        cut(terminated(
            preceded(ws, expect(what, word)),
            preceded(ws, expect("`;`", char(';'))),
        ))
    };
    preceded(
        ws,
        alt((
            map(
                preceded(
                    tag_no_case("algorithm"),
                    value_then_semicolon("an algorithm name"),
                ),
                Clause::Algorithm,
            ),
            map(
                preceded(
                    tag_no_case("secret"),
                    value_then_semicolon("the quoted base64 secret"),
                ),
                Clause::Secret,
            ),
        )),
    )
    .parse(input)
}

/// `key NAME { clause… } ;`
fn statement(input: &str) -> Res<'_, Statement<'_>> {
    let (rest, _) = preceded(ws, expect("a `key` statement", tag_no_case("key"))).parse(input)?;
    let (rest, name) = preceded(ws, expect("the key name", word)).parse(rest)?;
    let (rest, _) = preceded(ws, expect("`{`", char('{'))).parse(rest)?;
    let (rest, clauses) = many0(clause).parse(rest)?;
    let (rest, _) = ws(rest)?;
    let end = rest;
    let (rest, _) = expect("`algorithm`, `secret` or `}`", char('}')).parse(rest)?;
    let (rest, _) = preceded(ws, expect("`;`", char(';'))).parse(rest)?;
    Ok((rest, Statement { name, clauses, end }))
}

/// The whole file: one `key` statement between blanks and comments.
fn keyfile(input: &str) -> Res<'_, Statement<'_>> {
    all_consuming(terminated(
        statement,
        expect("the end of the file (one key per file)", ws_to_end),
    ))
    .parse(input)
}

/// Blanks and comments up to the end of the input.
fn ws_to_end(input: &str) -> Res<'_, ()> {
    let (rest, ()) = ws(input)?;
    if rest.is_empty() {
        Ok((rest, ()))
    } else {
        Err(nom::Err::Error(Expected {
            input: rest,
            what: "the end of the file",
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Yf7rBBg7oyNk+ZaAJbbSvKJ9J5ylvAV6CoFpXp0J3Xk=";

    fn parse_text(text: &str) -> Result<TsigKey, KeyFileError> {
        parse(Path::new("k.key"), text)
    }

    #[test]
    fn reads_what_tsig_keygen_writes() {
        let key = parse_text(&format!(
            "key \"ddns-key\" {{\n\talgorithm hmac-sha256;\n\tsecret \"{SECRET}\";\n}};\n"
        ))
        .unwrap();
        assert_eq!(key.display_name(), "ddns-key");
        assert_eq!(key.algorithm, TsigAlgorithm::HmacSha256);
        assert_eq!(key.secret.len(), 32);
        assert!(!format!("{key:?}").contains(SECRET));
    }

    #[test]
    fn reads_what_ddns_confgen_writes_comments_and_all() {
        let text = format!(
            "# To activate this key, place the following in named.conf, and\n\
             # in a separate keyfile on the system or systems from which nsupdate\n\
             # will be run:\n\
             key \"ddns-key.example.com\" {{\n\
             \talgorithm hmac-sha512;\n\
             \tsecret \"{SECRET}\";\n\
             }};\n\
             \n\
             # Then, in the \"zone\" statement for the zone containing the\n\
             # update-policy {{\n\
             #\t  grant ddns-key.example.com name example.com ANY;\n\
             # }};\n\
             // and a C++ comment /* and a C one */\n\
             /* spanning\n lines */\n"
        );
        let key = parse_text(&text).unwrap();
        assert_eq!(key.display_name(), "ddns-key.example.com");
        assert_eq!(key.algorithm, TsigAlgorithm::HmacSha512);
    }

    #[test]
    fn accepts_bare_words_and_any_case() {
        let key = parse_text(&format!(
            "KEY mykey {{ secret \"{SECRET}\"; Algorithm HMAC-SHA384; }};"
        ))
        .unwrap();
        assert_eq!(key.algorithm, TsigAlgorithm::HmacSha384);
    }

    #[test]
    fn errors_say_where_and_what() {
        let cases: &[(&str, &str)] = &[
            (
                "key \"k\" { algorithm hmac-sha256 secret \"AA==\"; };",
                "k.key:1:33: expected `;`, found `secret`",
            ),
            (
                "key \"k\" {\n algorithm hmac-md5;\n secret \"AA==\";\n};",
                "k.key:2:12: the TSIG algorithm `hmac-md5` is not supported",
            ),
            (
                "key \"k\" { algorithm hmac-sha256; secret \"not base64!\"; };",
                "k.key:1:41: the secret is not valid base64",
            ),
            (
                "key \"k\" { algorithm hmac-sha256; };",
                "k.key:1:34: the key `k` has no `secret`",
            ),
            (
                "key \"k\" { algorithm hmac-sha256; secret \"AA==\"; };\nkey \"j\" { };",
                "k.key:2:1: expected the end of the file (one key per file), found `key`",
            ),
            (
                "",
                "k.key:1:1: expected a `key` statement, found the end of the file",
            ),
            (
                "zone \"example.com\" { };",
                "k.key:1:1: expected a `key` statement, found `zone`",
            ),
            (
                "key \"k\" { algorithm hmac-sha256; secret \"AA==\";",
                "k.key:1:48: expected `algorithm`, `secret` or `}`, found the end of the file",
            ),
        ];
        for (text, want) in cases {
            let message = parse_text(text).unwrap_err().to_string();
            assert!(
                message.starts_with(want),
                "{text:?}\n  gave {message}\n  want {want}"
            );
        }
    }

    #[test]
    fn signs_and_verifies_with_hickory() {
        use hickory_proto::op::{Message, Query};
        let key = parse_text(&format!(
            "key k {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};"
        ))
        .unwrap();
        let signer = key.signer();
        let mut message = Message::query();
        message.add_query(Query::query(
            Name::from_ascii("example.com.").unwrap(),
            hickory_proto::rr::RecordType::AXFR,
        ));
        message.finalize(&signer, 1_700_000_000).unwrap();
        let bytes = message.to_vec().unwrap();
        assert!(signer.verify_message_byte(&bytes, None, true).is_ok());
    }
}
