//! Queries through `dig`, parsed into typed answers.
//!
//! `dig` keeps its default RD bit: authoritative servers ignore it, and the
//! same helpers then also work against a recursive unbound in front of them.
//! `dig` retries over TCP by itself when an answer is truncated.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use super::{fqdn, tools};

/// One resource record of an answer section, as `dig` presents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rr {
    /// Owner name, lower-cased, with the trailing dot.
    pub owner: String,
    /// TTL in seconds.
    pub ttl: u32,
    /// Class mnemonic (`IN`), or `CLASS1` with `+unknownformat`.
    pub class: String,
    /// Type mnemonic (`TXT`), or `TYPE16` with `+unknownformat`.
    pub rtype: String,
    /// RDATA in presentation format, exactly as printed.
    pub rdata: String,
}

/// The parts of a response the tests look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// `NOERROR`, `NXDOMAIN`, `REFUSED`, `SERVFAIL`, …
    pub rcode: String,
    /// The AA flag.
    pub authoritative: bool,
    /// The answer section in the server's order (CNAMEs included).
    pub answer: Vec<Rr>,
}

/// Sends one query with `dig` and parses the header and answer section.
///
/// Panics when no answer arrives (dig exit status other than 0).
pub fn query(addr: SocketAddr, name: &str, rtype: &str) -> Response {
    query_with(addr, name, rtype, &[])
}

fn query_with(addr: SocketAddr, name: &str, rtype: &str, extra: &[&str]) -> Response {
    let server = format!("@{}", addr.ip());
    let port = addr.port().to_string();
    let name = fqdn(name);
    let mut args = vec![
        server.as_str(),
        "-p",
        &port,
        "+time=2",
        "+tries=2",
        "+noall",
        "+comments",
        "+answer",
    ];
    args.extend_from_slice(extra);
    // -q/-t: a name such as `txt` or `a` is never mistaken for a type
    args.extend_from_slice(&["-q", &name, "-t", rtype]);
    let output = tools::run("dig", &args, None);
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        panic!(
            "dig {} {name} {rtype}: {}\n{}",
            addr,
            output.status,
            tools::output_text(&output)
        );
    }
    parse_response(&text)
        .unwrap_or_else(|e| panic!("dig {addr} {name} {rtype}: {e}; output:\n{text}"))
}

/// Parses `dig +noall +comments +answer` output.
///
/// After a TCP retry dig prints the header again: the last one wins.
fn parse_response(text: &str) -> Result<Response, String> {
    let mut rcode = None;
    let mut authoritative = false;
    let mut answer = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if let Some(header) = line.strip_prefix(";; ->>HEADER<<-") {
            let status = header
                .split(',')
                .find_map(|part| part.trim().strip_prefix("status: "))
                .ok_or("header without status")?;
            rcode = Some(status.to_owned());
            answer.clear();
        } else if let Some(flags) = line.strip_prefix(";; flags:") {
            let flags = flags.split(';').next().unwrap_or("");
            authoritative = flags.split_whitespace().any(|flag| flag == "aa");
        } else if !line.is_empty() && !line.starts_with(';') {
            answer.push(parse_rr(line)?);
        }
    }
    Ok(Response {
        rcode: rcode.ok_or("no response header")?,
        authoritative,
        answer,
    })
}

/// Splits `owner ttl class type rdata…`; the RDATA keeps its inner spacing.
fn parse_rr(line: &str) -> Result<Rr, String> {
    let mut rest = line;
    let mut fields = Vec::with_capacity(4);
    for _ in 0..4 {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        fields.push(&rest[..end]);
        rest = &rest[end..];
    }
    let ttl = fields[1]
        .parse()
        .map_err(|_| format!("bad TTL in answer line `{line}`"))?;
    Ok(Rr {
        owner: fields[0].to_ascii_lowercase(),
        ttl,
        class: fields[2].to_owned(),
        rtype: fields[3].to_owned(),
        rdata: rest.trim().to_owned(),
    })
}

/// The RDATA strings of the `rtype` records owned by `name` itself.
///
/// CNAMEs and whatever a server adds after them are left out; sorted,
/// because servers may rotate an RRset. Panics on an rcode other than
/// NOERROR or NXDOMAIN, so a SERVFAIL never passes for "no records".
pub fn query_rrset(addr: SocketAddr, name: &str, rtype: &str) -> Vec<String> {
    let response = query(addr, name, rtype);
    let mut rdata = records_of(&response, addr, name, rtype)
        .map(|rr| rr.rdata.clone())
        .collect::<Vec<_>>();
    rdata.sort();
    rdata
}

fn records_of<'a>(
    response: &'a Response,
    addr: SocketAddr,
    name: &str,
    rtype: &str,
) -> impl Iterator<Item = &'a Rr> {
    if response.rcode != "NOERROR" && response.rcode != "NXDOMAIN" {
        panic!("{addr} answered {} for {name} {rtype}", response.rcode);
    }
    let owner = fqdn(name);
    let rtype = rtype.to_ascii_uppercase();
    response
        .answer
        .iter()
        .filter(move |rr| rr.owner == owner && rr.rtype.eq_ignore_ascii_case(&rtype))
}

/// The response code of a query: `NOERROR`, `NXDOMAIN`, `REFUSED`, …
pub fn query_rcode(addr: SocketAddr, name: &str, rtype: &str) -> String {
    query(addr, name, rtype).rcode
}

/// TXT records of `name`: per record, its character-strings as raw bytes.
///
/// Byte exact: dig's quoting, `\"`, `\\` and decimal `\DDD` are undone.
/// Sorted.
pub fn query_txt(addr: SocketAddr, name: &str) -> Vec<Vec<Vec<u8>>> {
    let mut records = query_rrset(addr, name, "TXT")
        .iter()
        .map(|rdata| {
            parse_txt_rdata(rdata).unwrap_or_else(|e| panic!("TXT `{rdata}` from {addr}: {e}"))
        })
        .collect::<Vec<_>>();
    records.sort();
    records
}

/// A addresses of `name`, sorted.
pub fn query_a(addr: SocketAddr, name: &str) -> Vec<Ipv4Addr> {
    let mut ips = query_rrset(addr, name, "A")
        .iter()
        .map(|rdata| {
            rdata
                .parse()
                .unwrap_or_else(|e| panic!("A `{rdata}` from {addr}: {e}"))
        })
        .collect::<Vec<_>>();
    ips.sort();
    ips
}

/// AAAA addresses of `name`, sorted.
pub fn query_aaaa(addr: SocketAddr, name: &str) -> Vec<Ipv6Addr> {
    let mut ips = query_rrset(addr, name, "AAAA")
        .iter()
        .map(|rdata| {
            rdata
                .parse()
                .unwrap_or_else(|e| panic!("AAAA `{rdata}` from {addr}: {e}"))
        })
        .collect::<Vec<_>>();
    ips.sort();
    ips
}

/// PTR targets of `name` (lower-cased, trailing dot), sorted.
///
/// Only records owned by `name`: a CNAME into an RFC 2317 child is not
/// followed (BIND would not add the PTR anyway, NSD would; `formats.md`
/// §5.7). Follow it with [`query_cname`].
pub fn query_ptr(addr: SocketAddr, name: &str) -> Vec<String> {
    query_rrset(addr, name, "PTR")
        .iter()
        .map(|target| target.to_ascii_lowercase())
        .collect()
}

/// The CNAME target of `name` (lower-cased, trailing dot), if any.
pub fn query_cname(addr: SocketAddr, name: &str) -> Option<String> {
    let targets = query_rrset(addr, name, "CNAME");
    match targets.as_slice() {
        [] => None,
        [target] => Some(target.to_ascii_lowercase()),
        _ => panic!("{addr} has several CNAMEs at {name}: {targets:?}"),
    }
}

/// The raw RDATA of each `rtype` record of `name`, sorted.
///
/// Uses `dig +unknownformat` (RFC 3597 `\# LEN HEX`), so nothing depends on
/// how dig presents the type: the byte-exact reference for the decoders.
pub fn query_rdata_wire(addr: SocketAddr, name: &str, rtype: &str) -> Vec<Vec<u8>> {
    let code = type_code(rtype);
    let response = query_with(addr, name, rtype, &["+unknownformat"]);
    let generic = format!("TYPE{code}");
    let mut rdata = records_of(&response, addr, name, &generic)
        .map(|rr| {
            parse_generic_rdata(&rr.rdata)
                .unwrap_or_else(|e| panic!("`{}` from {addr}: {e}", rr.rdata))
        })
        .collect::<Vec<_>>();
    rdata.sort();
    rdata
}

fn type_code(rtype: &str) -> u16 {
    let upper = rtype.to_ascii_uppercase();
    match upper.as_str() {
        "A" => 1,
        "NS" => 2,
        "CNAME" => 5,
        "SOA" => 6,
        "PTR" => 12,
        "MX" => 15,
        "TXT" => 16,
        "AAAA" => 28,
        other => other
            .strip_prefix("TYPE")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("type `{rtype}` unknown to the harness; write TYPEnn")),
    }
}

/// Decodes RFC 3597 `\# LEN HEX…` (dig may split the hex with spaces).
fn parse_generic_rdata(text: &str) -> Result<Vec<u8>, String> {
    let mut words = text.split_whitespace();
    if words.next() != Some("\\#") {
        return Err("not in \\# form".into());
    }
    let len: usize = words
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or("no length")?;
    let hex = words.collect::<String>();
    if hex.len() != 2 * len || !hex.is_ascii() {
        return Err(format!("length {len} does not match the hex"));
    }
    (0..len)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

/// Splits TXT wire RDATA into its character-strings (RFC 1035 §3.3.14).
pub fn txt_from_wire(mut rdata: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut strings = Vec::new();
    while let Some((&len, rest)) = rdata.split_first() {
        let len = usize::from(len);
        if rest.len() < len {
            return Err(format!("string of {len} octets overruns the RDATA"));
        }
        strings.push(rest[..len].to_vec());
        rdata = &rest[len..];
    }
    Ok(strings)
}

/// Decodes TXT RDATA in presentation format into raw character-strings.
///
/// Strings are quoted (`"a b"`) or bare runs; `\DDD` is a decimal octet,
/// any other `\X` stands for `X` itself (RFC 1035 §5.1).
pub fn parse_txt_rdata(text: &str) -> Result<Vec<Vec<u8>>, String> {
    let bytes = text.as_bytes();
    let mut strings = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == bytes.len() {
            return Ok(strings);
        }
        let quoted = bytes[i] == b'"';
        if quoted {
            i += 1;
        }
        let mut string = Vec::new();
        loop {
            let Some(&byte) = bytes.get(i) else {
                if quoted {
                    return Err(format!("unterminated quote in `{text}`"));
                }
                break;
            };
            match byte {
                b'"' if quoted => {
                    i += 1;
                    break;
                }
                b'"' => return Err(format!("stray quote at offset {i} in `{text}`")),
                b if !quoted && b.is_ascii_whitespace() => break,
                b'\\' => {
                    let digits = bytes.get(i + 1..i + 4).unwrap_or_default();
                    if digits.len() == 3 && digits.iter().all(u8::is_ascii_digit) {
                        let value = digits
                            .iter()
                            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
                        let value = u8::try_from(value)
                            .map_err(|_| format!("`\\{value}` is over 255 in `{text}`"))?;
                        string.push(value);
                        i += 4;
                    } else if let Some(&escaped) = bytes.get(i + 1) {
                        string.push(escaped);
                        i += 2;
                    } else {
                        return Err(format!("trailing backslash in `{text}`"));
                    }
                }
                b => {
                    string.push(b);
                    i += 1;
                }
            }
        }
        strings.push(string);
    }
}
