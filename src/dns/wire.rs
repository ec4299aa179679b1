//! DNS messages on the wire, written and read by hand where hickory's
//! general machinery cost more than the rest of a query (RFC 1035 §3.1,
//! §4.1): names from text octet for octet, a query with its EDNS(0) record,
//! matching a response to its query (RFC 5452 §9.1), and reading a
//! response as far as a lookup needs it.

use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};
use hickory_proto::serialize::binary::{BinDecoder, Restrict};

use super::record::{Mx, RecordData, TYPE_NS};

/// Longest label, in octets (RFC 1035 §2.3.4).
const MAX_LABEL: usize = 63;
/// Longest name in wire form, in octets, root label included (RFC 1035 §2.3.4).
const MAX_NAME: usize = 255;
/// The EDNS(0) UDP payload size offered: what fits in one packet on
/// nearly every path without fragmentation (RFC 6891 §6.2.5, DNS Flag Day 2020).
const UDP_PAYLOAD: u16 = 1232;
/// Length of the DNS header (RFC 1035 §4.1.1).
const HEADER_LEN: usize = 12;
/// RR type number of the EDNS(0) pseudo-record (RFC 6891 §6.1.1).
const TYPE_OPT: u16 = 41;

/// A response as a lookup reads it (RFC 1035 §4.1): the header bits that
/// matter, the answer records of the type asked and the CNAMEs among
/// them, and whether the authority section holds an SOA.
///
/// Record owners stay where they are in the packet, as offsets; compare
/// them with [`AnswerRecord::owned_by`].
#[derive(Debug)]
pub(super) struct Response {
    /// TC: the answer did not fit (RFC 1035 §4.1.1).
    pub(super) truncated: bool,
    /// AA: the server is an authority for the name (RFC 1035 §4.1.1).
    pub(super) authoritative: bool,
    /// RA: the server resolves names it holds no zone for (RFC 1035 §4.1.1).
    pub(super) recursion_available: bool,
    /// RCODE, with the upper bits of an OPT record (RFC 6891 §6.1.3).
    pub(super) rcode: ResponseCode,
    /// The answer records of the type asked, and every CNAME.
    pub(super) answers: Vec<AnswerRecord>,
    /// An SOA in the authority section: a negative answer that says why
    /// there are no records (RFC 2308 §2.2).
    pub(super) negative: bool,
}

/// One answer record of a [`Response`].
#[derive(Debug)]
pub(super) struct AnswerRecord {
    /// Where the owner name starts in the packet.
    owner: usize,
    /// What it holds.
    pub(super) data: AnswerData,
}

/// The data of an [`AnswerRecord`].
#[derive(Debug)]
pub(super) enum AnswerData {
    /// A record of the type asked, read.
    Record(RecordData),
    /// A CNAME target, in uncompressed wire form, when another type was
    /// asked (RFC 1034 §3.6.2).
    Alias(Vec<u8>),
}

impl AnswerRecord {
    /// True when the record, read from `packet`, is owned by `name`
    /// (uncompressed wire form), without regard to ASCII case (RFC 4343).
    pub(super) fn owned_by(&self, packet: &[u8], name: &[u8]) -> bool {
        // Most owners are a pointer to the question, or written out: after
        // leading pointers, compare the octets at once (length octets are
        // below 64, so only label octets can differ in case), and label by
        // label only when that fails (another compression of the name).
        let mut at = self.owner;
        while let [first, low, ..] = packet[at..]
            && first & 0xc0 == 0xc0
        {
            let target = usize::from(first & 0x3f) << 8 | usize::from(low);
            if target >= at {
                return false;
            }
            at = target;
        }
        if packet
            .get(at..at + name.len())
            .is_some_and(|octets| octets.eq_ignore_ascii_case(name))
        {
            return true;
        }
        let mut owner = Labels::new(packet, at);
        let mut at = 0;
        loop {
            let Ok(label) = owner.next_label() else {
                return false;
            };
            let len = usize::from(name[at]);
            match label {
                None => return len == 0,
                Some(label) => {
                    if len != label.len() || !label.eq_ignore_ascii_case(&name[at + 1..=at + len]) {
                        return false;
                    }
                    at += 1 + len;
                }
            }
        }
    }
}

/// Reads a response to a query for `rtype` (RFC 1035 §4.1); the error is
/// the cause, for a message.
///
/// Every section is checked for its framing (names, record headers and
/// lengths within the packet, compression pointers pointing back, RFC
/// 1035 §4.1.4); the answer records that a lookup uses, those of the type
/// asked and CNAMEs, are read in full, owner and data, their data exactly
/// as long as its RDLENGTH says. An empty RDATA is refused (as hickory refuses it outside
/// dynamic updates), so is an OPT record outside the additional section
/// or twice in it (RFC 6891 §6.1.1).
///
pub(super) fn decode(packet: &[u8], rtype: RecordType) -> Result<Response, String> {
    decode_sections(packet, u16::from(rtype)).map_err(|cause| format!("malformed answer: {cause}"))
}

/// Why a packet could not be read, for a message.
type Malformed = std::borrow::Cow<'static, str>;

fn decode_sections(packet: &[u8], asked: u16) -> Result<Response, Malformed> {
    let header = packet
        .get(..HEADER_LEN)
        .ok_or(Malformed::from("shorter than a header"))?;
    let count = |at: usize| usize::from(u16::from_be_bytes([header[at], header[at + 1]]));
    let mut response = Response {
        truncated: header[2] & 0x02 != 0,
        authoritative: header[2] & 0x04 != 0,
        recursion_available: header[3] & 0x80 != 0,
        rcode: ResponseCode::from_low(header[3] & 0x0f),
        // As many as the header announces, within reason: a record takes
        // at least 11 octets (a pointer would be 12; a root owner 11).
        answers: Vec::with_capacity(count(6).min(packet.len() / 11)),
        negative: false,
    };
    let mut at = HEADER_LEN;
    // Whether the first question's name, at HEADER_LEN, is written out in
    // full: answer owners point there nearly always.
    let mut question_whole = false;
    for question in 0..count(4) {
        let (end, whole) = skip_name(packet, at)?;
        question_whole |= question == 0 && whole;
        at = end + 4;
        if at > packet.len() {
            return Err("question past the end".into());
        }
    }
    const POINTER_TO_QUESTION: [u8; 2] = [0xc0, HEADER_LEN as u8];
    let mut opt = false;
    for section in [count(6), count(8), count(10)]
        .into_iter()
        .enumerate()
        .flat_map(|(section, records)| std::iter::repeat_n(section, records))
    {
        let owner = at;
        at = skip_name(packet, at)?.0;
        let fixed = packet
            .get(at..at + 10)
            .ok_or(Malformed::from("record header past the end"))?;
        let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        let len = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        let data = at + 10;
        at = data + len;
        if at > packet.len() {
            return Err("record data past the end".into());
        }
        match (section, rtype) {
            (2, TYPE_OPT) if opt => return Err("two OPT records".into()),
            (2, TYPE_OPT) => {
                if Labels::new(packet, owner).next_label()?.is_some() {
                    return Err("OPT record not at the root".into());
                }
                opt = true;
                response.rcode = ResponseCode::from(fixed[4], header[3] & 0x0f);
                continue;
            }
            (_, TYPE_OPT) => return Err("OPT record outside the additional section".into()),
            _ if len == 0 => return Err("empty record data".into()),
            (1, rtype) => response.negative |= rtype == u16::from(RecordType::SOA),
            (0, rtype) if rtype == asked || rtype == u16::from(RecordType::CNAME) => {
                // The owner of a record that may be used is checked in
                // full, unless it points to the question checked already.
                if !(question_whole && packet[owner..at] == POINTER_TO_QUESTION) {
                    let mut labels = Labels::new(packet, owner);
                    while labels.next_label()?.is_some() {}
                }
                let data = record_data(packet, rtype, asked, data, len)?;
                response.answers.push(AnswerRecord { owner, data });
            }
            _ => {}
        }
    }
    Ok(response)
}

/// The data of an answer record of type `rtype` at `at..at + len`, when
/// `asked` was asked.
///
/// A, AAAA, CNAME, PTR, MX, NS and TXT are read here, in the form
/// `rdata::record_data` gives hickory's data; any other type is read by
/// hickory and kept in its presentation form, as there.
fn record_data(
    packet: &[u8],
    rtype: u16,
    asked: u16,
    at: usize,
    len: usize,
) -> Result<AnswerData, Malformed> {
    let rdata = &packet[at..at + len];
    // A name that fills the record data exactly, compressed or not.
    let name = |from: usize| -> Result<Vec<u8>, Malformed> {
        let (wire, end) = read_name(packet, from)?;
        match end == at + len {
            true => Ok(wire),
            false => Err("record data longer or shorter than its name".into()),
        }
    };
    let data = match RecordType::from(rtype) {
        RecordType::CNAME if asked != rtype => return Ok(AnswerData::Alias(name(at)?)),
        RecordType::A => RecordData::A(Ipv4Addr::from(
            <[u8; 4]>::try_from(rdata).map_err(|_| "A record not of 4 octets")?,
        )),
        RecordType::AAAA => RecordData::Aaaa(Ipv6Addr::from(
            <[u8; 16]>::try_from(rdata).map_err(|_| "AAAA record not of 16 octets")?,
        )),
        RecordType::CNAME => RecordData::Cname(display_wire(&name(at)?)),
        RecordType::PTR => RecordData::Ptr(display_wire(&name(at)?)),
        RecordType::NS => RecordData::Other {
            rtype: TYPE_NS,
            rdata: format!("{}.", display_wire(&name(at)?)).into_bytes(),
        },
        RecordType::MX if len < 3 => return Err("MX record too short".into()),
        RecordType::MX => RecordData::Mx(Mx {
            preference: u16::from_be_bytes([rdata[0], rdata[1]]),
            exchange: display_wire(&name(at + 2)?),
        }),
        RecordType::TXT => {
            let mut strings = Vec::new();
            let mut rest = rdata;
            while let Some((&len, tail)) = rest.split_first() {
                let string = tail
                    .get(..usize::from(len))
                    .ok_or(Malformed::from("TXT string past its record"))?;
                strings.push(string.to_vec());
                rest = &tail[string.len()..];
            }
            RecordData::Txt(strings.into())
        }
        other => {
            // Packets are at most 64 KiB, so every offset fits.
            let start = u16::try_from(at).expect("a packet holds at most 64 KiB");
            let length = u16::try_from(len).expect("a packet holds at most 64 KiB");
            let data = RData::read(
                &mut BinDecoder::new(packet).clone(start),
                other,
                Restrict::new(length),
            )
            .map_err(|error| error.to_string())?;
            RecordData::Other {
                rtype,
                rdata: data.to_string().into_bytes(),
            }
        }
    };
    Ok(AnswerData::Record(data))
}

/// The labels of the name at an offset of a packet, compression pointers
/// followed (RFC 1035 §4.1.4).
struct Labels<'a> {
    packet: &'a [u8],
    at: usize,
    /// Octets of the name so far, root label included.
    len: usize,
    /// Where the name as written at the start offset ends, once known.
    end: Option<usize>,
}

impl<'a> Labels<'a> {
    fn new(packet: &'a [u8], at: usize) -> Self {
        Labels {
            packet,
            at,
            len: 1,
            end: None,
        }
    }

    /// The next label, `None` after the last one (the root).
    ///
    /// A pointer must point before itself, so that following pointers
    /// ends; the name must fit in [`MAX_NAME`] octets.
    fn next_label(&mut self) -> Result<Option<&'a [u8]>, &'static str> {
        loop {
            let first = *self.packet.get(self.at).ok_or("name past the end")?;
            match first & 0xc0 {
                0x00 if first == 0 => {
                    self.end.get_or_insert(self.at + 1);
                    return Ok(None);
                }
                0x00 => {
                    let start = self.at + 1;
                    let label = self
                        .packet
                        .get(start..start + usize::from(first))
                        .ok_or("label past the end")?;
                    self.len += 1 + label.len();
                    if self.len > MAX_NAME {
                        return Err("name longer than 255 octets");
                    }
                    self.at = start + label.len();
                    return Ok(Some(label));
                }
                0xc0 => {
                    let low = *self.packet.get(self.at + 1).ok_or("pointer past the end")?;
                    let target = usize::from(first & 0x3f) << 8 | usize::from(low);
                    if target >= self.at {
                        return Err("compression pointer not pointing back");
                    }
                    self.end.get_or_insert(self.at + 2);
                    self.at = target;
                }
                _ => return Err("unknown label type"),
            }
        }
    }
}

/// Where the name at `at` ends as written there, and whether it is written
/// out in full: its labels lie within the packet and a pointer ending it
/// points back. A name written out in full is thereby checked as a whole;
/// what a pointer leads to is checked where the name is read
/// ([`AnswerRecord::owned_by`], [`read_name`], the owners of the answer
/// records read).
fn skip_name(packet: &[u8], mut at: usize) -> Result<(usize, bool), Malformed> {
    let start = at;
    loop {
        let first = *packet.get(at).ok_or("name past the end")?;
        match first & 0xc0 {
            0x00 if first == 0 => return Ok((at + 1, true)),
            0x00 => at += 1 + usize::from(first),
            0xc0 => {
                let low = *packet.get(at + 1).ok_or("pointer past the end")?;
                if usize::from(first & 0x3f) << 8 | usize::from(low) >= at {
                    return Err("compression pointer not pointing back".into());
                }
                return Ok((at + 2, false));
            }
            _ => return Err("unknown label type".into()),
        }
        if at - start >= MAX_NAME {
            return Err("name longer than 255 octets".into());
        }
    }
}

/// The name at `at`, uncompressed, and where it ends as written there.
fn read_name(packet: &[u8], at: usize) -> Result<(Vec<u8>, usize), Malformed> {
    let mut labels = Labels::new(packet, at);
    let mut wire = Vec::with_capacity(32);
    while let Some(label) = labels.next_label()? {
        wire.push(u8::try_from(label.len()).expect("labels are at most 63 octets"));
        wire.extend_from_slice(label);
    }
    wire.push(0);
    Ok((wire, labels.end.expect("a name read to its end has one")))
}

/// The text form of a name in uncompressed wire form, as [`display_name`]
/// writes it.
pub(super) fn display_wire(wire: &[u8]) -> String {
    let mut text = String::with_capacity(wire.len());
    let mut at = 0;
    while let Some(&len) = wire.get(at).filter(|&&len| len != 0) {
        if at > 0 {
            text.push('.');
        }
        let label = &wire[at + 1..at + 1 + usize::from(len)];
        match std::str::from_utf8(label) {
            Ok(label) => text.push_str(label),
            Err(_) => text.push_str(&String::from_utf8_lossy(label)),
        }
        at += 1 + usize::from(len);
    }
    text
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

/// The wire form of the text form of a name (RFC 1035 §3.1), octet for
/// octet.
///
/// The text is split at dots and each label taken as raw octets, without
/// escapes, so `64/26`, `_spf` or a space (legal octets, RFC 2181 §11) go
/// on the wire as written. One trailing dot is allowed; `""` and `"."` are
/// the root. Empty labels, labels over 63 octets and names over 255
/// octets (RFC 1035 §2.3.4) are errors.
pub(super) fn encode_wire(text: &str) -> Result<Vec<u8>, String> {
    let trimmed = text.strip_suffix('.').unwrap_or(text).as_bytes();
    if trimmed.is_empty() {
        return Ok(vec![0]);
    }
    // One octet, the text and the root label, copied at once; then the
    // first octet and each dot become the length of the label that
    // follows (an ip6.arpa name has 34 labels: one copy, not 34).
    let mut wire = Vec::with_capacity(trimmed.len() + 2);
    wire.push(0);
    wire.extend_from_slice(trimmed);
    wire.push(0);
    let mut at = 0;
    while at < trimmed.len() + 1 {
        let rest = &trimmed[at..];
        let len = rest
            .iter()
            .position(|&octet| octet == b'.')
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(format!("cannot query `{text}`: empty label"));
        }
        if len > MAX_LABEL {
            return Err(format!(
                "cannot query `{text}`: label of {len} octets, at most {MAX_LABEL} allowed"
            ));
        }
        wire[at] = u8::try_from(len).expect("labels are at most 63 octets");
        at += 1 + len;
    }
    if wire.len() > MAX_NAME {
        return Err(format!(
            "cannot query `{text}`: name of {} octets, at most {MAX_NAME} allowed",
            wire.len()
        ));
    }
    Ok(wire)
}

/// Turns the text form of a name into a fully qualified [`Name`], octet
/// for octet (see [`encode_wire`]).
pub(super) fn encode_name(text: &str) -> Result<Name, String> {
    let wire = encode_wire(text)?;
    let mut labels = Vec::with_capacity(8);
    let mut at = 0;
    while wire[at] != 0 {
        let end = at + 1 + usize::from(wire[at]);
        labels.push(&wire[at + 1..end]);
        at = end;
    }
    Name::from_labels(labels).map_err(|error| format!("cannot query `{text}`: {error}"))
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
    use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
    use hickory_proto::rr::Record;
    use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, PTR, SOA, TXT};
    use proptest::prelude::*;

    use super::*;
    use crate::dns::rdata;

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

    #[test]
    fn wire_names_are_written_as_hickory_writes_them() {
        for text in [
            "Mail.example.com",
            "65.64/26.100.51.198.in-addr.arpa",
            "x",
            ".",
        ] {
            let wire = encode_wire(text).unwrap();
            let mut expected = Vec::new();
            for label in encode_name(text).unwrap().iter() {
                expected.push(u8::try_from(label.len()).unwrap());
                expected.extend_from_slice(label);
            }
            expected.push(0);
            assert_eq!(wire, expected, "{text}");
            assert_eq!(
                display_wire(&wire),
                display_name(&encode_name(text).unwrap())
            );
        }
    }

    /// A record as owner (wire form), type and RDATA.
    type Rr<'a> = (&'a [u8], u16, &'a [u8]);

    /// A response to `question` (type `rtype`), header octets 2 and 3 as
    /// given, with the answer, authority and additional `sections`,
    /// written as given.
    fn packet(flags: [u8; 2], question: &str, rtype: u16, sections: [&[Rr<'_>]; 3]) -> Vec<u8> {
        let mut packet = vec![0x12, 0x34, flags[0], flags[1], 0, 1];
        for section in sections {
            packet.extend_from_slice(&u16::try_from(section.len()).unwrap().to_be_bytes());
        }
        packet.extend_from_slice(&encode_wire(question).unwrap());
        packet.extend_from_slice(&rtype.to_be_bytes());
        packet.extend_from_slice(&[0, 1]);
        for (owner, rtype, rdata) in sections.into_iter().flatten() {
            packet.extend_from_slice(owner);
            packet.extend_from_slice(&rtype.to_be_bytes());
            packet.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            packet.extend_from_slice(&u16::try_from(rdata.len()).unwrap().to_be_bytes());
            packet.extend_from_slice(rdata);
        }
        packet
    }

    /// The records `decode` reads from `packet` for `rtype`.
    fn read(packet: &[u8], rtype: RecordType) -> Result<Vec<RecordData>, String> {
        Ok(decode(packet, rtype)?
            .answers
            .into_iter()
            .filter_map(|record| match record.data {
                AnswerData::Record(data) => Some(data),
                AnswerData::Alias(_) => None,
            })
            .collect())
    }

    #[test]
    fn a_response_is_read_with_its_header_bits() {
        const QNAME: &[u8] = b"\x04mail\x07example\x03com\x00";
        // QR RD TC, RA NXDOMAIN
        let nx = packet([0x83, 0x83], "mail.example.com", 1, [&[], &[], &[]]);
        let response = decode(&nx, RecordType::A).unwrap();
        assert!(response.truncated);
        assert_eq!(response.rcode, ResponseCode::NXDomain);
        assert!(!response.negative && response.answers.is_empty());
        // the owner a pointer to the question (RFC 1035 §4.1.4); an SOA in
        // the authority section; OPT with extended RCODE 1: 16, BADVERS
        // (RFC 6891 §9)
        let soa = [QNAME, QNAME, &[0; 20]].concat();
        let opt_ttl_rdlength = [1, 0, 0, 0, 0, 0];
        let mut answer = packet(
            [0x81, 0x80],
            "mail.example.com",
            1,
            [
                &[(&[0xc0, 12], 1, &[192, 0, 2, 1])],
                &[(b"\x07example\x03com\x00", 6, &soa)],
                &[],
            ],
        );
        answer[11] = 1;
        answer.extend_from_slice(&[0, 0, 41, 0x04, 0xd0]);
        answer.extend_from_slice(&opt_ttl_rdlength);
        let response = decode(&answer, RecordType::A).unwrap();
        assert!(!response.truncated && response.negative);
        assert_eq!(u16::from(response.rcode), 16);
        assert!(response.answers[0].owned_by(&answer, QNAME));
        assert!(response.answers[0].owned_by(&answer, b"\x04MAIL\x07example\x03COM\x00"));
        assert!(!response.answers[0].owned_by(&answer, b"\x07example\x03com\x00"));
        assert_eq!(
            read(&answer, RecordType::A).unwrap(),
            [RecordData::A(Ipv4Addr::new(192, 0, 2, 1))]
        );
        // asked for AAAA, the A is not read
        assert_eq!(read(&answer, RecordType::AAAA).unwrap(), []);
    }

    #[test]
    fn malformed_responses_are_errors() {
        // the answer record starts at offset 19, after the question `a.` A IN
        let question: &[u8] = b"\x01a\x00\x00\x01\x00\x01";
        let with = |asked: u16, answer: &[u8]| {
            let mut packet = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
            packet.extend_from_slice(question);
            packet.extend_from_slice(answer);
            decode(&packet, RecordType::from(asked)).map(|_| ())
        };
        let record = |owner: &[u8], rtype: u16, rdata: &[u8]| {
            let mut record = owner.to_vec();
            record.extend_from_slice(&rtype.to_be_bytes());
            record.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            record.extend_from_slice(&u16::try_from(rdata.len()).unwrap().to_be_bytes());
            record.extend_from_slice(rdata);
            record
        };
        assert_eq!(with(1, &record(&[0xc0, 12], 1, &[192, 0, 2, 1])), Ok(()));
        let a = record(&[0xc0, 12], 1, &[1, 2, 3, 4]);
        for (case, asked, answer) in [
            ("pointer forward", 1, record(&[0xc0, 40], 1, &[1, 2, 3, 4])),
            (
                "pointer to itself",
                1,
                record(&[0xc0, 19], 1, &[1, 2, 3, 4]),
            ),
            ("label past the end", 1, b"\x09abc".to_vec()),
            (
                "unknown label type",
                1,
                record(&[0x80, 12], 1, &[1, 2, 3, 4]),
            ),
            ("A of 3 octets", 1, record(&[0xc0, 12], 1, &[1, 2, 3])),
            ("empty data", 16, record(&[0xc0, 12], 16, &[])),
            ("data past the end", 1, a[..a.len() - 1].to_vec()),
            ("OPT in the answers", 1, record(&[0], 41, &[])),
            (
                "TXT string overrun",
                16,
                record(&[0xc0, 12], 16, &[5, b'a']),
            ),
            (
                "CNAME name shorter than its data",
                1,
                record(&[0xc0, 12], 5, b"\x01b\x00\x00"),
            ),
            ("MX without exchange", 15, record(&[0xc0, 12], 15, &[0, 10])),
        ] {
            let result = with(asked, &answer);
            assert!(
                result
                    .as_ref()
                    .is_err_and(|e| e.starts_with("malformed answer: ")),
                "{case}: {result:?}"
            );
        }
        assert!(decode(&[0x12, 0x34, 0x81], RecordType::A).is_err());
        // a name of 257 octets through a pointer: 128 × `\x01a`, then a
        // pointer back to the start of the labels
        let mut long = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        long.extend_from_slice(&b"\x01a".repeat(128));
        long.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert!(decode(&long, RecordType::A).is_err());
    }

    /// A name of up to four labels from a few, in mixed case.
    fn name() -> impl Strategy<Value = Name> {
        let label = prop::sample::select(vec!["mail", "Example", "COM", "b", "_spf", "x-1"]);
        prop::collection::vec(label, 0..4).prop_map(|labels| {
            let mut name = Name::from_labels(labels).unwrap();
            name.set_fqdn(true);
            name
        })
    }

    fn rdata() -> impl Strategy<Value = RData> {
        let bytes = prop::collection::vec(any::<u8>(), 0..40);
        prop_oneof![
            any::<[u8; 4]>().prop_map(|o| RData::A(A::from(Ipv4Addr::from(o)))),
            any::<[u8; 16]>().prop_map(|o| RData::AAAA(AAAA::from(Ipv6Addr::from(o)))),
            name().prop_map(|n| RData::CNAME(CNAME(n))),
            name().prop_map(|n| RData::PTR(PTR(n))),
            name().prop_map(|n| RData::NS(NS(n))),
            (any::<u16>(), name()).prop_map(|(p, n)| RData::MX(MX::new(p, n))),
            prop::collection::vec(bytes, 1..4).prop_map(|strings| RData::TXT(TXT::from_bytes(
                strings.iter().map(Vec::as_slice).collect()
            ))),
            (name(), name(), any::<u32>()).prop_map(|(m, r, serial)| RData::SOA(SOA::new(
                m, r, serial, 3600, 600, 86400, 300
            ))),
        ]
    }

    fn record() -> impl Strategy<Value = Record> {
        (name(), rdata()).prop_map(|(owner, data)| Record::from_rdata(owner, 60, data))
    }

    proptest! {
        /// What `decode` reads equals what hickory reads, for responses
        /// hickory writes (with name compression).
        #[test]
        fn decode_reads_what_hickory_reads(
            question in name(),
            asked in prop::sample::select(vec![
                RecordType::A, RecordType::AAAA, RecordType::CNAME, RecordType::PTR,
                RecordType::NS, RecordType::MX, RecordType::TXT, RecordType::SOA,
            ]),
            answers in prop::collection::vec(record(), 0..5),
            authorities in prop::collection::vec(record(), 0..3),
            rcode in 0u8..6,
            rcode_high in prop::option::of(0u8..3),
            truncation in any::<bool>(),
        ) {
            let mut message = Message::new(0x1234, MessageType::Response, OpCode::Query);
            message.metadata.response_code = ResponseCode::from_low(rcode);
            message.metadata.truncation = truncation;
            message.add_query(Query::query(question.clone(), asked));
            message.add_answers(answers);
            message.add_authorities(authorities);
            if let Some(high) = rcode_high {
                let mut edns = Edns::new();
                edns.set_rcode_high(high);
                message.set_edns(edns);
            }
            let packet = message.to_vec().unwrap();
            let theirs = Message::from_vec(&packet).unwrap();
            let ours = decode(&packet, asked).unwrap();
            prop_assert_eq!(ours.truncated, theirs.truncation);
            prop_assert_eq!(ours.rcode, theirs.response_code);
            prop_assert_eq!(
                ours.negative,
                theirs.authorities.iter().any(|r| r.record_type() == RecordType::SOA)
            );
            let expected: Vec<_> = theirs
                .answers
                .iter()
                .filter(|r| r.record_type() == asked || r.record_type() == RecordType::CNAME)
                .collect();
            prop_assert_eq!(ours.answers.len(), expected.len());
            for (ours, theirs) in ours.answers.iter().zip(expected) {
                let mut owner = Vec::new();
                for label in theirs.name.iter() {
                    owner.push(u8::try_from(label.len()).unwrap());
                    owner.extend_from_slice(label);
                }
                owner.push(0);
                prop_assert!(ours.owned_by(&packet, &owner));
                prop_assert!(ours.owned_by(&packet, &owner.to_ascii_uppercase()));
                match (&ours.data, &theirs.data) {
                    (AnswerData::Alias(target), RData::CNAME(CNAME(name))) => {
                        prop_assert_eq!(display_wire(target), display_name(name));
                    }
                    (AnswerData::Record(data), theirs) => {
                        prop_assert_eq!(data, &rdata::record_data(theirs));
                    }
                    (ours, theirs) => prop_assert!(false, "{:?} for {:?}", ours, theirs),
                }
            }
        }
    }
}
