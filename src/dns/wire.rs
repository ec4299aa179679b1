//! DNS messages on the wire, written and read by hand where hickory's
//! general machinery cost more than the rest of a query (RFC 1035 §3.1,
//! §4.1): names from text octet for octet, a query with its EDNS(0) record,
//! matching a response to its query (RFC 5452 §9.1), and decoding it.

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RecordType};

/// Longest label, in octets (RFC 1035 §2.3.4).
const MAX_LABEL: usize = 63;
/// Longest name in wire form, in octets, root label included (RFC 1035 §2.3.4).
const MAX_NAME: usize = 255;
/// The EDNS(0) UDP payload size offered: what fits in one packet on
/// nearly every path without fragmentation (RFC 6891 §6.2.5, DNS Flag Day 2020).
const UDP_PAYLOAD: u16 = 1232;
/// Length of the DNS header (RFC 1035 §4.1.1).
const HEADER_LEN: usize = 12;

/// Decodes a response (RFC 1035 §4.1); the error is the cause, for a message.
pub(super) fn decode(packet: &[u8]) -> Result<Message, String> {
    Message::from_vec(packet).map_err(|error| format!("malformed answer: {error}"))
}

/// A query in wire form, its ID rewritten for each try.
pub(super) struct WireQuery {
    /// The message, ready to send.
    pub(super) bytes: Vec<u8>,
    /// Where the question section ends: a response must echo
    /// `bytes[HEADER_LEN..question_end]` (RFC 1035 §4.1.2).
    question_end: usize,
}

impl WireQuery {
    /// The ID of the last try.
    pub(super) fn id(&self) -> u16 {
        u16::from_be_bytes([self.bytes[0], self.bytes[1]])
    }

    /// Sets the ID for the next try.
    pub(super) fn set_id(&mut self, id: u16) {
        self.bytes[..2].copy_from_slice(&id.to_be_bytes());
    }

    /// The question section, which a response must echo.
    pub(super) fn question(&self) -> &[u8] {
        &self.bytes[HEADER_LEN..self.question_end]
    }
}

/// A recursive query for `rtype` at `name` (wire form), class IN, with an
/// EDNS(0) OPT record offering [`UDP_PAYLOAD`] octets (RFC 1035 §4.1,
/// RFC 6891 §6.1.2).
///
/// Written out rather than built as a hickory `Message`: a query is a
/// fixed header, one question and a fixed OPT record, and building and
/// encoding a `Message` cost more than the rest of sending it. The unit
/// tests decode it with hickory.
pub(super) fn encode_query(name: &[u8], rtype: RecordType) -> WireQuery {
    let mut bytes = Vec::with_capacity(HEADER_LEN + name.len() + 4 + 11);
    // ID (set per try), RD, QDCOUNT 1, ARCOUNT 1 (the OPT record)
    bytes.extend_from_slice(&[0, 0, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(&u16::from(rtype).to_be_bytes());
    bytes.extend_from_slice(&u16::from(DNSClass::IN).to_be_bytes());
    let question_end = bytes.len();
    // OPT: root owner, TYPE 41, CLASS the payload size, TTL extended
    // RCODE 0, version 0, no flags, no options
    bytes.push(0);
    bytes.extend_from_slice(&u16::from(RecordType::OPT).to_be_bytes());
    bytes.extend_from_slice(&UDP_PAYLOAD.to_be_bytes());
    bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    WireQuery {
        bytes,
        question_end,
    }
}

/// True when `packet` is a response to the query with `id` and `question`
/// (RFC 5452 §9.1: ID and question must match), or an unusable packet
/// with that ID: an error response without a question, or one too short
/// to hold a question, which the caller then fails to decode.
///
/// The name compares without regard to ASCII case (RFC 4343 §3), QTYPE
/// and QCLASS octet for octet.
pub(super) fn matches_query(id: u16, question: &[u8], packet: &[u8]) -> bool {
    if packet.len() < 2 || u16::from_be_bytes([packet[0], packet[1]]) != id {
        return false;
    }
    if packet.len() < HEADER_LEN {
        return true;
    }
    let is_response = packet[2] & 0x80 != 0;
    let rcode = packet[3] & 0x0f;
    let questions = u16::from_be_bytes([packet[4], packet[5]]);
    let echoed = &packet[HEADER_LEN..];
    match questions {
        _ if !is_response => false,
        // FORMERR and the like may come without the question; a
        // positive or negative answer never does.
        0 => rcode != 0 && rcode != 3,
        1 if echoed.len() < question.len() => true,
        1 => {
            let (name, class_type) = question.split_at(question.len() - 4);
            echoed[..name.len()].eq_ignore_ascii_case(name)
                && echoed[name.len()..question.len()] == *class_type
        }
        _ => false,
    }
}

/// The labels of the text form of a name, octet for octet.
///
/// The text is split at dots and each label taken as raw octets, without
/// escapes, so `64/26`, `_spf` or a space (legal octets, RFC 2181 §11) go
/// on the wire as written. One trailing dot is allowed; `""` and `"."` are
/// the root. Empty labels, labels over 63 octets and names over 255
/// octets (RFC 1035 §2.3.4) are errors.
fn labels(text: &str) -> Result<Vec<&[u8]>, String> {
    let trimmed = text.strip_suffix('.').unwrap_or(text);
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    let mut wire_len = 1;
    let mut labels = Vec::with_capacity(8);
    for label in trimmed.split('.') {
        if label.is_empty() {
            return Err(format!("cannot query `{text}`: empty label"));
        }
        if label.len() > MAX_LABEL {
            return Err(format!(
                "cannot query `{text}`: label of {} octets, at most {MAX_LABEL} allowed",
                label.len()
            ));
        }
        wire_len += label.len() + 1;
        labels.push(label.as_bytes());
    }
    if wire_len > MAX_NAME {
        return Err(format!(
            "cannot query `{text}`: name of {wire_len} octets, at most {MAX_NAME} allowed"
        ));
    }
    Ok(labels)
}

/// Turns the text form of a name into a fully qualified [`Name`], octet
/// for octet (see [`labels`]).
pub(super) fn encode_name(text: &str) -> Result<Name, String> {
    Name::from_labels(labels(text)?).map_err(|error| format!("cannot query `{text}`: {error}"))
}

/// The wire form of the text form of a name (RFC 1035 §3.1), octet for
/// octet (see [`labels`]).
pub(super) fn encode_wire(text: &str) -> Result<Vec<u8>, String> {
    let mut wire = Vec::with_capacity(text.len() + 2);
    for label in labels(text)? {
        wire.push(u8::try_from(label.len()).expect("labels are at most 63 octets"));
        wire.extend_from_slice(label);
    }
    wire.push(0);
    Ok(wire)
}

/// The wire form of `name`, uncompressed (RFC 1035 §3.1).
pub(super) fn wire_name(name: &Name) -> Vec<u8> {
    let mut wire = Vec::with_capacity(name.len() + 2);
    for label in name.iter() {
        wire.push(u8::try_from(label.len()).expect("labels are at most 63 octets"));
        wire.extend_from_slice(label);
    }
    wire.push(0);
    wire
}

/// The text form of a name: labels as raw octets joined by dots, no trailing dot.
///
/// The inverse of [`encode_name`] for every name whose labels hold no dot.
/// Octets that are not UTF-8 become U+FFFD; the root is `""` (a null MX,
/// RFC 7505).
pub(super) fn display_name(name: &Name) -> String {
    let mut text = String::with_capacity(name.len());
    for (i, label) in name.iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        text.push_str(&String::from_utf8_lossy(label));
    }
    text
}

/// The mnemonic of a response code (RFC 1035 §4.1.1, RFC 6895 §2.3).
pub(super) fn rcode_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::NoError => "NOERROR".to_owned(),
        ResponseCode::FormErr => "FORMERR".to_owned(),
        ResponseCode::ServFail => "SERVFAIL".to_owned(),
        ResponseCode::NXDomain => "NXDOMAIN".to_owned(),
        ResponseCode::NotImp => "NOTIMP".to_owned(),
        ResponseCode::Refused => "REFUSED".to_owned(),
        ResponseCode::NotAuth => "NOTAUTH".to_owned(),
        other => format!("rcode {}", u16::from(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_octet_for_octet() {
        let name = encode_name("65.64/26.100.51.198.in-addr.arpa").unwrap();
        assert!(name.is_fqdn());
        assert_eq!(name.num_labels(), 7);
        assert_eq!(display_name(&name), "65.64/26.100.51.198.in-addr.arpa");
        let spaced = encode_name("a b:c%d._spf.example.com.").unwrap();
        assert_eq!(display_name(&spaced), "a b:c%d._spf.example.com");
        assert_eq!(encode_name("").unwrap(), Name::root());
        assert_eq!(encode_name(".").unwrap(), Name::root());
        assert_eq!(display_name(&Name::root()), "");
    }

    #[test]
    fn names_that_cannot_be_encoded_are_errors() {
        let long_label = format!("{}.example.com", "x".repeat(64));
        assert!(encode_name(&long_label).unwrap_err().contains("64 octets"));
        assert!(encode_name(&format!("{}.com", "x".repeat(63))).is_ok());
        // 4 × (63 + 1) + 1 = 257 octets on the wire
        let long_name = vec!["y".repeat(63); 4].join(".");
        assert!(encode_name(&long_name).unwrap_err().contains("257 octets"));
        // 3 × 64 + 61 + 1 + 1 = 255 octets: the longest name
        let longest = format!("{}.{}", vec!["z".repeat(63); 3].join("."), "z".repeat(61));
        assert!(encode_name(&longest).is_ok());
        assert!(encode_name("a..b").unwrap_err().contains("empty label"));
    }

    #[test]
    fn rcodes_have_their_mnemonics() {
        assert_eq!(rcode_name(ResponseCode::ServFail), "SERVFAIL");
        assert_eq!(rcode_name(ResponseCode::Refused), "REFUSED");
        assert_eq!(rcode_name(ResponseCode::Unknown(3841)), "rcode 3841");
    }

    #[test]
    fn a_query_carries_its_question_and_edns() {
        let name = encode_name("Mail.example.com").unwrap();
        let query = encode_query(&encode_wire("Mail.example.com.").unwrap(), RecordType::AAAA);
        let mut question = b"\x04Mail\x07example\x03com\x00".to_vec();
        question.extend_from_slice(&[0, 28, 0, 1]);
        assert_eq!(query.question(), question);
        let decoded = Message::from_vec(&query.bytes).unwrap();
        assert!(decoded.recursion_desired);
        assert_eq!(decoded.max_payload(), UDP_PAYLOAD);
        assert_eq!(decoded.edns.as_ref().map(|edns| edns.version()), Some(0));
        assert_eq!(wire_name(&name), encode_wire("Mail.example.com").unwrap());
        assert_eq!(
            decoded.queries,
            [hickory_proto::op::Query::query(name, RecordType::AAAA)]
        );
    }

    #[test]
    fn only_responses_to_the_query_match_it() {
        let mut query = encode_query(&encode_wire("mail.example.com").unwrap(), RecordType::A);
        query.set_id(0x1234);
        let respond = |edit: &dyn Fn(&mut Vec<u8>)| {
            let mut packet = query.bytes.clone();
            packet[2] |= 0x80;
            edit(&mut packet);
            matches_query(0x1234, query.question(), &packet)
        };
        assert!(respond(&|_| {}));
        // the name in another case (RFC 4343), e.g. after 0x20 mixing
        assert!(respond(&|p| p[13] = b'M'));
        assert!(!respond(&|p| p[1] = 0x35), "another ID");
        assert!(!respond(&|p| p[14] = b'x'), "another name");
        assert!(!respond(&|p| p[HEADER_LEN + 18] = 28), "another type");
        assert!(!respond(&|p| p[2] &= 0x7f), "a query, not a response");
        assert!(!respond(&|p| p[5] = 0), "NOERROR without the question");
        assert!(respond(&|p| {
            p[3] = 1;
            p[5] = 0;
        }));
        assert!(!respond(&|p| p[5] = 2), "two questions");
        assert!(
            respond(&|p| p.truncate(7)),
            "too short, decodes to an error"
        );
        assert!(!matches_query(0x1234, query.question(), &[0x12]));
    }
}
