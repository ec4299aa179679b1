//! RFC 1035 §5 master-file snippets.

use std::io::{self, Write};

use super::{Render, zone_comment};
use crate::names;
use crate::records::{Plan, RecordData, ZonePlan};

/// Zone-file snippets: `$ORIGIN` and `$TTL`, owners relative to the origin,
/// no SOA or NS, to be pasted into an existing zone.
#[derive(Debug, Default, Clone, Copy)]
pub struct Zone;

/// Writes TXT character-strings as quoted zone-file text: `"` and `\`
/// escaped, octets outside printable ASCII as decimal `\DDD` (RFC 1035 §5.1).
pub fn quote_txt(strings: &[Vec<u8>]) -> Vec<String> {
    quote_strings(strings, |out, byte| out.push_str(&format!("\\{byte:03}")))
}

/// Quotes each character-string, escaping `"` and `\` with a backslash and
/// writing octets outside printable ASCII with `escape_octet` (decimal for
/// zone files, octal for Route 53).
pub fn quote_strings(strings: &[Vec<u8>], escape_octet: impl Fn(&mut String, u8)) -> Vec<String> {
    strings
        .iter()
        .map(|string| {
            let mut quoted = String::with_capacity(string.len() + 2);
            quoted.push('"');
            for &byte in string {
                match byte {
                    b'"' | b'\\' => {
                        quoted.push('\\');
                        quoted.push(char::from(byte));
                    }
                    0x20..=0x7e => quoted.push(char::from(byte)),
                    _ => escape_octet(&mut quoted, byte),
                }
            }
            quoted.push('"');
            quoted
        })
        .collect()
}

/// Record data in zone-file syntax, names absolute with a trailing dot.
pub(super) fn rdata(data: &RecordData) -> String {
    match data {
        RecordData::A(ip) => ip.to_string(),
        RecordData::Aaaa(ip) => ip.to_string(),
        RecordData::Cname(name) | RecordData::Ptr(name) => format!("{name}."),
        RecordData::Txt(strings) => quote_txt(strings).join(" "),
        RecordData::Mx(mx) if mx.exchange.is_empty() => format!("{} .", mx.preference),
        RecordData::Mx(mx) => format!("{} {}.", mx.preference, mx.exchange),
        RecordData::Other { rdata, .. } => String::from_utf8_lossy(rdata).into_owned(),
    }
}

impl Render for Zone {
    fn extension(&self) -> &'static str {
        "zone"
    }

    fn render_zone(&self, plan: &Plan, zone: &ZonePlan, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "; senderzone: {}", zone_comment(zone).join("\n; "))?;
        writeln!(out, "$ORIGIN {}.", zone.origin)?;
        writeln!(out, "$TTL {}", plan.default_ttl)?;
        let width = zone
            .records
            .iter()
            .map(|r| names::relative_to(&r.owner, &zone.origin).len())
            .max()
            .unwrap_or(1)
            .min(40);
        for record in &zone.records {
            let owner = names::relative_to(&record.owner, &zone.origin);
            let kind = record.data.type_name();
            let prefix = format!("{owner:<width$} {} IN {kind:<5}", record.ttl);
            match &record.data {
                RecordData::Txt(strings) if strings.len() > 1 => {
                    let quoted = quote_txt(strings);
                    let indent = " ".repeat(prefix.len() + 3);
                    writeln!(out, "{prefix} ( {}", quoted[0])?;
                    for (i, string) in quoted.iter().enumerate().skip(1) {
                        let close = if i + 1 == quoted.len() { " )" } else { "" };
                        writeln!(out, "{indent}{string}{close}")?;
                    }
                }
                data => writeln!(out, "{prefix} {}", rdata(data))?,
            }
        }
        Ok(())
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
