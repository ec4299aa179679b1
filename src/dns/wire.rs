//! DNS messages on the wire, written and read by hand where hickory's
//! general machinery cost more than the rest of a query (RFC 1035 §3.1,
//! §4.1): names from text octet for octet, a query with its EDNS(0) record,
//! matching a response to its query (RFC 5452 §9.1), and reading a
//! response as far as a lookup needs it.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

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
/// Length of the OPT record a query carries (RFC 6891 §6.1.2).
const OPT_LEN: usize = 11;
/// Longest query: a header, a question with the longest name, an OPT record.
const MAX_QUERY: usize = HEADER_LEN + MAX_NAME + 4 + OPT_LEN;
/// RR type number of the EDNS(0) pseudo-record (RFC 6891 §6.1.1).
const TYPE_OPT: u16 = 41;

/// A response as a lookup reads it (RFC 1035 §4.1): the header bits that
/// matter, the answer records of the type asked, apart from the CNAMEs
/// among them, and whether the authority section holds an SOA.
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
    /// The answer records of the type asked, read, in the order received.
    pub(super) answers: Vec<AnswerRecord<RecordData>>,
    /// When another type than CNAME was asked, the CNAME records among the
    /// answers, their targets in uncompressed wire form (RFC 1034 §3.6.2).
    pub(super) aliases: Vec<AnswerRecord<Vec<u8>>>,
    /// An SOA in the authority section: a negative answer that says why
    /// there are no records (RFC 2308 §2.2).
    pub(super) negative: bool,
}

/// One answer record of a [`Response`] and its data `T`.
#[derive(Debug)]
pub(super) struct AnswerRecord<T> {
    /// Where the owner name starts in the packet.
    owner: usize,
    /// What it holds.
    pub(super) data: T,
}

impl<T> AnswerRecord<T> {
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
            .is_some_and(|octets| same_name(octets, name))
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

/// True when the names (or questions) `a` and `b`, in uncompressed wire
/// form, are the same without regard to ASCII case (RFC 4343 §3): octet
/// for octet first, as servers echo a name in the case it was asked.
fn same_name(a: &[u8], b: &[u8]) -> bool {
    same_octets(a, b) || a.eq_ignore_ascii_case(b)
}

/// `a == b`, eight octets at a time: names are short, and a call to
/// `memcmp` cost more than the comparison itself.
fn same_octets(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let word = |octets: &[u8], at: usize| {
        u64::from_ne_bytes(octets[at..at + 8].try_into().expect("eight octets"))
    };
    // The last eight octets overlap the words before when the length is
    // not a multiple of eight.
    let last = a.len() - 8;
    let mut at = 0;
    while at < last {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    word(a, last) == word(b, last)
}

/// Reads a response to a query for `rtype` (RFC 1035 §4.1); the error is
/// the cause, for a message.
///
/// `question`, when given, is the question section of the query: a first
/// question that repeats it octet for octet, as a response to it does,
/// is passed over without reading its labels again.
///
/// Every section is checked for its framing (names, record headers and
/// lengths within the packet, compression pointers pointing back, RFC
/// 1035 §4.1.4); the answer records that a lookup uses, those of the type
/// asked and CNAMEs, are read in full, owner and data, their data exactly
/// as long as its RDLENGTH says. An empty RDATA is refused (as hickory refuses it outside
/// dynamic updates), so is an OPT record outside the additional section
/// or twice in it (RFC 6891 §6.1.1).
///
pub(super) fn decode(
    packet: &[u8],
    rtype: RecordType,
    question: Option<&[u8]>,
) -> Result<Response, String> {
    decode_sections(packet, u16::from(rtype), question)
        .map_err(|cause| format!("malformed answer: {cause}"))
}

/// Why a packet could not be read, for a message.
type Malformed = std::borrow::Cow<'static, str>;

fn decode_sections(packet: &[u8], asked: u16, query: Option<&[u8]>) -> Result<Response, Malformed> {
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
        aliases: Vec::new(),
        negative: false,
    };
    let mut at = HEADER_LEN;
    // Whether the first question's name, at HEADER_LEN, is written out in
    // full: answer owners point there nearly always.
    let mut question_whole = false;
    for question in 0..count(4) {
        // A name of ours, written out in full: what `skip_name` would find.
        let (end, whole) = match query {
            Some(query)
                if question == 0
                    && packet
                        .get(at..at + query.len())
                        .is_some_and(|echoed| same_octets(echoed, query)) =>
            {
                (at + query.len() - 4, true)
            }
            _ => skip_name(packet, at)?,
        };
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
        let whole;
        (at, whole) = skip_name(packet, at)?;
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
                // full, unless written out (checked by `skip_name`) or a
                // pointer to the question checked already.
                let name_end = data - 10;
                if !(whole || (question_whole && packet[owner..name_end] == POINTER_TO_QUESTION)) {
                    let mut labels = Labels::new(packet, owner);
                    while labels.next_label()?.is_some() {}
                }
                if rtype != asked {
                    let (target, end) = read_name(packet, data)?;
                    if end != at {
                        return Err(NAME_NOT_DATA.into());
                    }
                    response.aliases.push(AnswerRecord {
                        owner,
                        data: target,
                    });
                } else {
                    let data = record_data(packet, rtype, data, len)?;
                    response.answers.push(AnswerRecord { owner, data });
                }
            }
            _ => {}
        }
    }
    Ok(response)
}

/// Why a name in record data is refused: it does not end where the data does.
const NAME_NOT_DATA: &str = "record data longer or shorter than its name";

/// The data of an answer record of type `rtype` at `at..at + len`.
///
/// A, AAAA, CNAME, PTR, MX, NS and TXT are read here, in the form
/// `rdata::record_data` gives hickory's data, names straight from the
/// packet into text; any other type is read by hickory and kept in its
/// presentation form, as there.
fn record_data(packet: &[u8], rtype: u16, at: usize, len: usize) -> Result<RecordData, Malformed> {
    let rdata = &packet[at..at + len];
    // A name that fills the record data exactly, compressed or not, as text.
    let name = |from: usize| -> Result<Vec<u8>, Malformed> {
        let (text, end) = read_text(packet, from)?;
        match end == at + len {
            true => Ok(text),
            false => Err(NAME_NOT_DATA.into()),
        }
    };
    Ok(match RecordType::from(rtype) {
        RecordType::A => RecordData::A(Ipv4Addr::from(
            <[u8; 4]>::try_from(rdata).map_err(|_| "A record not of 4 octets")?,
        )),
        RecordType::AAAA => RecordData::Aaaa(Ipv6Addr::from(
            <[u8; 16]>::try_from(rdata).map_err(|_| "AAAA record not of 16 octets")?,
        )),
        RecordType::CNAME => RecordData::Cname(into_text(name(at)?)),
        RecordType::PTR => RecordData::Ptr(into_text(name(at)?)),
        RecordType::NS => {
            let mut text = name(at)?;
            text.push(b'.');
            RecordData::Other {
                rtype: TYPE_NS,
                rdata: into_text(text).into_bytes(),
            }
        }
        RecordType::MX if len < 3 => return Err("MX record too short".into()),
        RecordType::MX => RecordData::Mx(Mx {
            preference: u16::from_be_bytes([rdata[0], rdata[1]]),
            exchange: into_text(name(at + 2)?),
        }),
        RecordType::TXT => {
            // Counted first, then each string copied into its place: one
            // allocation for the record and one per string.
            let mut count = 0;
            let mut rest = rdata;
            while let Some((&len, tail)) = rest.split_first() {
                rest = tail
                    .get(usize::from(len)..)
                    .ok_or(Malformed::from("TXT string past its record"))?;
                count += 1;
            }
            let mut rest = rdata;
            RecordData::Txt(
                (0..count)
                    .map(|_| {
                        let (string, tail) = rest[1..].split_at(usize::from(rest[0]));
                        rest = tail;
                        string
                    })
                    .collect(),
            )
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
    })
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

/// The name at `at` in the text form [`display_name`] writes, not yet
/// checked for UTF-8 (see [`into_text`]), and where it ends as written there.
fn read_text(packet: &[u8], at: usize) -> Result<(Vec<u8>, usize), Malformed> {
    let mut labels = Labels::new(packet, at);
    let mut text = Vec::with_capacity(32);
    if let Some(label) = labels.next_label()? {
        text.extend_from_slice(label);
        while let Some(label) = labels.next_label()? {
            text.push(b'.');
            text.extend_from_slice(label);
        }
    }
    Ok((text, labels.end.expect("a name read to its end has one")))
}

/// Labels joined by dots as text, octets that are not UTF-8 as U+FFFD:
/// checked once for the whole name, the same as label by label, as a dot
/// never continues a UTF-8 sequence.
fn into_text(octets: Vec<u8>) -> String {
    String::from_utf8(octets)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// The text form of a name in uncompressed wire form, as [`display_name`]
/// writes it.
pub(super) fn display_wire(wire: &[u8]) -> String {
    into_text(read_text(wire, 0).map_or_else(|_| Vec::new(), |(text, _)| text))
}

/// A query in wire form, its ID rewritten for each try.
///
/// A clone shares the message: the table of tries in flight keeps one to
/// match responses against its question, without a copy.
#[derive(Clone)]
pub(super) struct WireQuery {
    /// The message, ready to send.
    bytes: Arc<[u8]>,
    /// Where the question section ends: a response must echo
    /// `bytes[HEADER_LEN..question_end]` (RFC 1035 §4.1.2).
    question_end: usize,
}

impl WireQuery {
    /// The message, ready to send.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The ID of the last try.
    pub(super) fn id(&self) -> u16 {
        u16::from_be_bytes([self.bytes[0], self.bytes[1]])
    }

    /// Sets the ID for the next try; copies the message only while a clone
    /// of it is still held.
    pub(super) fn set_id(&mut self, id: u16) {
        Arc::make_mut(&mut self.bytes)[..2].copy_from_slice(&id.to_be_bytes());
    }

    /// The question section, which a response must echo.
    pub(super) fn question(&self) -> &[u8] {
        &self.bytes[HEADER_LEN..self.question_end]
    }

    /// The name asked, in uncompressed wire form.
    pub(super) fn name(&self) -> &[u8] {
        &self.bytes[HEADER_LEN..self.question_end - 4]
    }
}

/// A recursive query for `rtype` at `name` (text, see [`encode_wire`]),
/// class IN, with an EDNS(0) OPT record offering [`UDP_PAYLOAD`] octets
/// (RFC 1035 §4.1, RFC 6891 §6.1.2).
///
/// Written out rather than built as a hickory `Message`: a query is a
/// fixed header, one question and a fixed OPT record, and building and
/// encoding a `Message` cost more than the rest of sending it. It is
/// written on the stack and allocated once. The unit tests decode it with
/// hickory.
pub(super) fn encode_query(name: &str, rtype: RecordType) -> Result<WireQuery, String> {
    let mut bytes = [0; MAX_QUERY];
    let len = write_wire(name, &mut bytes[HEADER_LEN..])?;
    Ok(finish_query(&mut bytes, HEADER_LEN + len, rtype))
}

/// [`encode_query`] for a name in uncompressed wire form.
pub(super) fn encode_query_wire(name: &[u8], rtype: RecordType) -> WireQuery {
    let mut bytes = [0; MAX_QUERY];
    bytes[HEADER_LEN..HEADER_LEN + name.len()].copy_from_slice(name);
    finish_query(&mut bytes, HEADER_LEN + name.len(), rtype)
}

/// The query in `bytes`, its name written up to `name_end`.
fn finish_query(bytes: &mut [u8; MAX_QUERY], name_end: usize, rtype: RecordType) -> WireQuery {
    // ID (set per try), RD, QDCOUNT 1, ARCOUNT 1 (the OPT record)
    bytes[..HEADER_LEN].copy_from_slice(&[0, 0, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    let question_end = name_end + 4;
    bytes[name_end..name_end + 2].copy_from_slice(&u16::from(rtype).to_be_bytes());
    bytes[name_end + 2..question_end].copy_from_slice(&u16::from(DNSClass::IN).to_be_bytes());
    // OPT: root owner, TYPE 41, CLASS the payload size, TTL extended
    // RCODE 0, version 0, no flags, no options
    let [type_high, type_low] = TYPE_OPT.to_be_bytes();
    let [size_high, size_low] = UDP_PAYLOAD.to_be_bytes();
    let opt = [
        0, type_high, type_low, size_high, size_low, 0, 0, 0, 0, 0, 0,
    ];
    let end = question_end + OPT_LEN;
    bytes[question_end..end].copy_from_slice(&opt);
    WireQuery {
        bytes: Arc::from(&bytes[..end]),
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
            same_name(&echoed[..name.len()], name)
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
    let mut wire = [0; MAX_NAME];
    let len = write_wire(text, &mut wire)?;
    Ok(wire[..len].to_vec())
}

/// Writes the wire form of `text` (see [`encode_wire`]) at the start of
/// `out`, at least [`MAX_NAME`] octets long, and returns its length.
fn write_wire(text: &str, out: &mut [u8]) -> Result<usize, String> {
    let trimmed = text.strip_suffix('.').unwrap_or(text).as_bytes();
    if trimmed.is_empty() {
        out[0] = 0;
        return Ok(1);
    }
    // One octet, the text and the root label, copied at once; then the
    // first octet and each dot become the length of the label that
    // follows (an ip6.arpa name has 34 labels: one copy, not 34). A name
    // too long is written nowhere, but its labels are checked first.
    let len = trimmed.len() + 2;
    let fits = len <= MAX_NAME;
    if fits {
        out[1..len - 1].copy_from_slice(trimmed);
        out[len - 1] = 0;
    }
    let mut at = 0;
    while at < trimmed.len() + 1 {
        let rest = &trimmed[at..];
        let label = rest
            .iter()
            .position(|&octet| octet == b'.')
            .unwrap_or(rest.len());
        if label == 0 {
            return Err(format!("cannot query `{text}`: empty label"));
        }
        if label > MAX_LABEL {
            return Err(format!(
                "cannot query `{text}`: label of {label} octets, at most {MAX_LABEL} allowed"
            ));
        }
        if fits {
            out[at] = u8::try_from(label).expect("labels are at most 63 octets");
        }
        at += 1 + label;
    }
    if !fits {
        return Err(format!(
            "cannot query `{text}`: name of {len} octets, at most {MAX_NAME} allowed"
        ));
    }
    Ok(len)
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
    fn names_compare_octet_for_octet_then_without_case() {
        let name = b"\x04mail\x07example\x03com\x00";
        for len in 0..name.len() {
            let (a, b) = (&name[..len], &mut name[..len].to_vec());
            assert!(same_octets(a, b));
            for at in 0..len {
                b[at] ^= 0x20;
                assert!(!same_octets(a, b), "{len} {at}");
                assert_eq!(same_name(a, b), a.eq_ignore_ascii_case(b));
                b[at] ^= 0x20;
            }
            assert!(!same_octets(a, &name[..len + 1]));
        }
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
        let query = encode_query("Mail.example.com.", RecordType::AAAA).unwrap();
        let mut question = b"\x04Mail\x07example\x03com\x00".to_vec();
        question.extend_from_slice(&[0, 28, 0, 1]);
        assert_eq!(query.question(), question);
        assert_eq!(query.name(), &question[..question.len() - 4]);
        let again = encode_query_wire(query.name(), RecordType::AAAA);
        assert_eq!(again.bytes(), query.bytes());
        let decoded = Message::from_vec(query.bytes()).unwrap();
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
        let mut query = encode_query("mail.example.com", RecordType::A).unwrap();
        query.set_id(0x1234);
        assert_eq!(query.id(), 0x1234);
        let respond = |edit: &dyn Fn(&mut Vec<u8>)| {
            let mut packet = query.bytes().to_vec();
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
        Ok(decode(packet, rtype, None)?
            .answers
            .into_iter()
            .map(|record| record.data)
            .collect())
    }

    #[test]
    fn a_response_is_read_with_its_header_bits() {
        const QNAME: &[u8] = b"\x04mail\x07example\x03com\x00";
        // QR RD TC, RA NXDOMAIN
        let nx = packet([0x83, 0x83], "mail.example.com", 1, [&[], &[], &[]]);
        let response = decode(&nx, RecordType::A, None).unwrap();
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
        let response = decode(&answer, RecordType::A, None).unwrap();
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
            decode(&packet, RecordType::from(asked), None).map(|_| ())
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
        assert!(decode(&[0x12, 0x34, 0x81], RecordType::A, None).is_err());
        // a name of 257 octets through a pointer: 128 × `\x01a`, then a
        // pointer back to the start of the labels
        let mut long = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        long.extend_from_slice(&b"\x01a".repeat(128));
        long.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert!(decode(&long, RecordType::A, None).is_err());
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
            let wire = |name: &Name| {
                let mut wire = Vec::new();
                for label in name.iter() {
                    wire.push(u8::try_from(label.len()).unwrap());
                    wire.extend_from_slice(label);
                }
                wire.push(0);
                wire
            };
            let ours = decode(&packet, asked, None).unwrap();
            // The question given, as asked or in another case: read the same.
            for name in [wire(&question), wire(&question).to_ascii_uppercase()] {
                let query = encode_query_wire(&name, asked);
                prop_assert_eq!(
                    format!("{:?}", decode(&packet, asked, Some(query.question())).unwrap()),
                    format!("{ours:?}")
                );
            }
            prop_assert_eq!(ours.truncated, theirs.truncation);
            prop_assert_eq!(ours.rcode, theirs.response_code);
            prop_assert_eq!(
                ours.negative,
                theirs.authorities.iter().any(|r| r.record_type() == RecordType::SOA)
            );
            let of_type = |rtype: RecordType| theirs.answers.iter().filter(move |r| r.record_type() == rtype);
            prop_assert_eq!(ours.answers.len(), of_type(asked).count());
            for (ours, theirs) in ours.answers.iter().zip(of_type(asked)) {
                let owner = wire(&theirs.name);
                prop_assert!(ours.owned_by(&packet, &owner));
                prop_assert!(ours.owned_by(&packet, &owner.to_ascii_uppercase()));
                prop_assert_eq!(&ours.data, &rdata::record_data(&theirs.data));
            }
            let aliases = of_type(RecordType::CNAME).filter(|_| asked != RecordType::CNAME);
            prop_assert_eq!(ours.aliases.len(), aliases.clone().count());
            for (ours, theirs) in ours.aliases.iter().zip(aliases) {
                let owner = wire(&theirs.name);
                prop_assert!(ours.owned_by(&packet, &owner));
                prop_assert!(ours.owned_by(&packet, &owner.to_ascii_uppercase()));
                let RData::CNAME(CNAME(target)) = &theirs.data else {
                    unreachable!("a record of type CNAME holds a CNAME");
                };
                prop_assert_eq!(&ours.data, &wire(target));
                prop_assert_eq!(display_wire(&ours.data), display_name(target));
            }
        }
    }
}
