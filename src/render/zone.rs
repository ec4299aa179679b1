//! RFC 1035 §5 master-file snippets.

use std::fmt::Write as _;
use std::io;

use super::{Render, zone_comment};
use crate::names;
use crate::records::{Plan, RecordData, ZonePlan};

/// Zone-file snippets: `$ORIGIN` and `$TTL`, owners relative to the origin,
/// no SOA or NS, to be pasted into an existing zone.
#[derive(Debug, Default, Clone, Copy)]
pub struct Zone;

/// Writes TXT character-strings as quoted zone-file text: `"` and `\`
/// escaped, octets outside printable ASCII as decimal `\DDD` (RFC 1035 §5.1).
pub fn quote_txt(strings: &[impl AsRef<[u8]>]) -> Vec<String> {
    quote_strings(strings, push_decimal_escape)
}

/// Quotes each character-string, escaping `"` and `\` with a backslash and
/// writing octets outside printable ASCII with `escape_octet` (decimal for
/// zone files, octal for Route 53).
pub fn quote_strings(
    strings: &[impl AsRef<[u8]>],
    escape_octet: impl Fn(&mut String, u8),
) -> Vec<String> {
    strings
        .iter()
        .map(|string| {
            let string = string.as_ref();
            let mut quoted = String::with_capacity(string.len() + 2);
            push_quoted(&mut quoted, string, &escape_octet);
            quoted
        })
        .collect()
}

/// Appends `string` to `out` quoted, as [`quote_strings`] does.
fn push_quoted(out: &mut String, string: &[u8], escape_octet: impl Fn(&mut String, u8)) {
    out.push('"');
    for &byte in string {
        match byte {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(byte));
            }
            0x20..=0x7e => out.push(char::from(byte)),
            _ => escape_octet(out, byte),
        }
    }
    out.push('"');
}

fn push_decimal_escape(out: &mut String, byte: u8) {
    let _ = write!(out, "\\{byte:03}");
}

/// Record data in zone-file syntax, names absolute with a trailing dot.
pub fn rdata(data: &RecordData) -> String {
    let mut text = String::new();
    push_rdata(&mut text, data);
    text
}

/// Appends [`rdata`] to `out`.
pub(super) fn push_rdata(out: &mut String, data: &RecordData) {
    match data {
        RecordData::A(ip) => crate::dns::push_ipv4(out, *ip),
        RecordData::Aaaa(ip) => {
            let _ = write!(out, "{ip}");
        }
        RecordData::Cname(name) | RecordData::Ptr(name) => {
            out.push_str(name);
            out.push('.');
        }
        RecordData::Txt(strings) => {
            for (i, string) in strings.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                push_quoted(out, string, push_decimal_escape);
            }
        }
        RecordData::Mx(mx) if mx.exchange.is_empty() => {
            let _ = write!(out, "{} .", mx.preference);
        }
        RecordData::Mx(mx) => {
            let _ = write!(out, "{} {}.", mx.preference, mx.exchange);
        }
        RecordData::Other { rdata, .. } => out.push_str(&String::from_utf8_lossy(rdata)),
    }
}

/// Appends `text`, then spaces up to `width` characters, as `{:<width$}` does.
fn push_padded(out: &mut String, text: &str, width: usize) {
    out.push_str(text);
    out.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(text.chars().count()),
    ));
}

impl Render for Zone {
    fn extension(&self) -> &'static str {
        "zone"
    }

    fn render_zone(&self, plan: &Plan, zone: &ZonePlan) -> io::Result<Vec<u8>> {
        let mut text = String::with_capacity(zone.records.len() * 64);
        let _ = writeln!(text, "; senderzone: {}", zone_comment(zone).join("\n; "));
        let _ = writeln!(text, "$ORIGIN {}.", zone.origin);
        let _ = writeln!(text, "$TTL {}", plan.default_ttl);
        let width = zone
            .records
            .iter()
            .map(|r| names::relative_to(&r.owner, &zone.origin).len())
            .max()
            .unwrap_or(1)
            .min(40);
        // Most records share a TTL: its text is made once.
        let mut ttl_text = (plan.default_ttl, plan.default_ttl.to_string());
        for record in &zone.records {
            let line_start = text.len();
            push_padded(
                &mut text,
                names::relative_to(&record.owner, &zone.origin),
                width,
            );
            text.push(' ');
            if record.ttl != ttl_text.0 {
                ttl_text = (record.ttl, record.ttl.to_string());
            }
            text.push_str(&ttl_text.1);
            text.push_str(" IN ");
            push_padded(&mut text, &record.data.type_name(), 5);
            match &record.data {
                RecordData::Txt(strings) if strings.len() > 1 => {
                    let indent = text.len() - line_start + 3;
                    text.push_str(" ( ");
                    for (i, string) in strings.iter().enumerate() {
                        if i > 0 {
                            text.push('\n');
                            text.extend(std::iter::repeat_n(' ', indent));
                        }
                        push_quoted(&mut text, string, push_decimal_escape);
                    }
                    text.push_str(" )\n");
                }
                data => {
                    text.push(' ');
                    push_rdata(&mut text, data);
                    text.push('\n');
                }
            }
        }
        Ok(text.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_quotes_backslashes_and_control_octets() {
        let quoted = quote_txt(&[b"a \"q\" b\\c;\x07\xff".to_vec()]);
        assert_eq!(quoted, vec![r#""a \"q\" b\\c;\007\255""#.to_owned()]);
    }
}
