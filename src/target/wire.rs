//! DNS messages over TCP (RFC 1035 §4.2.2, RFC 7766) with hickory-proto
//! messages: one exchange, a zone transfer (RFC 5936), and many queries
//! pipelined on one connection; TSIG signing of requests and checking of
//! responses (RFC 8945). Independent of the resolver in [`crate::dns`]:
//! reading a zone to change it needs every record with its TTL, whole
//! RRsets, and the server's own words (rcodes, TSIG errors).
//!
//! Every step has a deadline: connecting, writing, and each message read.

use std::cell::Cell;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use foldhash::{HashMap, HashMapExt};
use hickory_proto::op::{Message, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::tsig::TsigError;
use hickory_proto::rr::rdata::{A, AAAA, CNAME, PTR, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType, TSigner};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use super::{Endpoint, Error};
use crate::dns::RecordData;
use crate::names::DomainName;

/// Queries in flight at most on one pipelined connection.
const WINDOW: usize = 256;
/// Reconnections without any answer in between before giving up.
const RECONNECTS: usize = 3;

/// A DNS server reached over TCP, with an optional TSIG key.
pub struct Server {
    addr: SocketAddr,
    /// `HOST:PORT` as the user wrote it, for messages.
    label: String,
    timeout: Duration,
    signer: Option<TSigner>,
    /// Messages sent and received, for the summary.
    messages: Cell<usize>,
}

/// A response to a signed request whose TSIG the server rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// BADKEY: the server does not know the key (name or algorithm).
    BadKey,
    /// BADSIG: the MAC does not verify: a wrong secret.
    BadSig,
    /// BADTIME: the clocks differ by more than the fudge.
    BadTime,
    /// Another TSIG error code.
    Other(u16),
}

impl Rejection {
    /// What the rejection means for the user.
    pub fn explain(self) -> String {
        match self {
            Rejection::BadKey => {
                "BADKEY: the server does not know a key of this name and algorithm".to_owned()
            }
            Rejection::BadSig => {
                "BADSIG: the signature does not verify, so the secret differs from the server's"
                    .to_owned()
            }
            Rejection::BadTime => {
                "BADTIME: this machine's clock and the server's differ by more than 300 s"
                    .to_owned()
            }
            Rejection::Other(code) => format!("TSIG error {code}"),
        }
    }
}

/// The outcome of one exchange.
pub enum Reply {
    /// A response (signed and verified, when the request was signed).
    Answer(Message),
    /// The server rejected the request's TSIG.
    Rejected(Rejection),
}

impl Server {
    /// Resolves `endpoint` (a name through the system resolver) within the
    /// deadline.
    pub async fn connect(
        endpoint: &Endpoint,
        signer: Option<TSigner>,
        timeout: Duration,
    ) -> Result<Server, Error> {
        let label = endpoint.to_string();
        let lookup = tokio::net::lookup_host((endpoint.host.as_str(), endpoint.port));
        let mut addrs = tokio::time::timeout(timeout, lookup)
            .await
            .map_err(|_| Error::Timeout {
                server: label.clone(),
                what: "the lookup of its address".to_owned(),
                timeout,
            })?
            .map_err(|err| Error::Server {
                server: label.clone(),
                message: format!("cannot resolve `{}`: {err}", endpoint.host),
            })?;
        let addr = addrs.next().ok_or_else(|| Error::Server {
            server: label.clone(),
            message: format!("`{}` has no address", endpoint.host),
        })?;
        Ok(Server {
            addr,
            label,
            timeout,
            signer,
            messages: Cell::new(0),
        })
    }

    /// `HOST:PORT` for messages.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The TSIG signer, if a key was given.
    pub fn signer(&self) -> Option<&TSigner> {
        self.signer.as_ref()
    }

    /// DNS messages sent and received so far.
    pub fn messages(&self) -> usize {
        self.messages.get()
    }

    fn count(&self, n: usize) {
        self.messages.set(self.messages.get() + n);
    }

    fn timeout_error(&self, what: &str) -> Error {
        Error::Timeout {
            server: self.label.clone(),
            what: what.to_owned(),
            timeout: self.timeout,
        }
    }

    fn io_error(&self, what: &str, err: std::io::Error) -> Error {
        Error::Server {
            server: self.label.clone(),
            message: format!("{what}: {err}"),
        }
    }

    async fn open(&self, what: &str) -> Result<TcpStream, Error> {
        let stream = tokio::time::timeout(self.timeout, TcpStream::connect(self.addr))
            .await
            .map_err(|_| self.timeout_error(what))?
            .map_err(|err| self.io_error(&format!("cannot connect for {what}"), err))?;
        // Requests go out whole; no reason to wait for more.
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }

    /// Sends `message` and returns the one response. With `sign` the
    /// request carries a TSIG and the response's MAC must verify
    /// (RFC 8945 §5.3); an unsigned error response to a signed request is
    /// returned as the [`Rejection`] it carries.
    pub async fn exchange(&self, message: Message, sign: bool, what: &str) -> Result<Reply, Error> {
        let (bytes, mut verifier) = self.encode(message, sign)?;
        let mut stream = self.open(what).await?;
        let write = async {
            stream.write_all(&frame(&bytes)?).await?;
            stream.flush().await
        };
        tokio::time::timeout(self.timeout, write)
            .await
            .map_err(|_| self.timeout_error(what))?
            .map_err(|err| self.io_error(&format!("cannot send {what}"), err))?;
        self.count(1);
        let id = u16::from_be_bytes([bytes[0], bytes[1]]);
        let response = self.read_frame(&mut stream, what).await?;
        self.count(1);
        self.check(&response, id, verifier.as_mut(), what)
    }

    /// The request's bytes, signed when asked (then with the verifier of
    /// the responses).
    fn encode(
        &self,
        mut message: Message,
        sign: bool,
    ) -> Result<(Vec<u8>, Option<hickory_proto::rr::TSigVerifier>), Error> {
        let verifier = match (sign, &self.signer) {
            (true, Some(signer)) => {
                message
                    .finalize(signer, now())
                    .map_err(|err| Error::Server {
                        server: self.label.clone(),
                        message: format!("cannot sign the request: {err}"),
                    })?
            }
            _ => None,
        };
        let bytes = message.to_vec().map_err(|err| Error::Server {
            server: self.label.clone(),
            message: format!("cannot encode the request: {err}"),
        })?;
        Ok((bytes, verifier))
    }

    /// Decodes a response, checks its id and, for a signed request, its
    /// TSIG.
    fn check(
        &self,
        bytes: &[u8],
        id: u16,
        verifier: Option<&mut hickory_proto::rr::TSigVerifier>,
        what: &str,
    ) -> Result<Reply, Error> {
        let garbage = |message: String| Error::Server {
            server: self.label.clone(),
            message: format!("unusable response to {what}: {message}"),
        };
        let response = Message::from_vec(bytes).map_err(|err| garbage(err.to_string()))?;
        if response.id != id {
            return Err(garbage(format!("id {} for request {id}", response.id)));
        }
        let Some(verifier) = verifier else {
            return Ok(Reply::Answer(response));
        };
        // RFC 8945 §5.3.2: BADKEY and BADSIG answers are unsigned.
        if let Some(error) = response.signature().and_then(|sig| sig.data.error) {
            return Ok(Reply::Rejected(match error {
                TsigError::BadKey => Rejection::BadKey,
                TsigError::BadSig => Rejection::BadSig,
                TsigError::BadTime => Rejection::BadTime,
                other => Rejection::Other(other.into()),
            }));
        }
        if response.signature().is_none() {
            if response.response_code == ResponseCode::NotAuth {
                return Ok(Reply::Rejected(Rejection::BadKey));
            }
            if response.response_code != ResponseCode::NoError {
                // Servers answer some refusals (REFUSED, NOTAUTH) unsigned;
                // they carry no data to trust.
                return Ok(Reply::Answer(response));
            }
            return Err(garbage(
                "the response to a signed request is not signed".to_owned(),
            ));
        }
        verifier
            .verify(bytes)
            .map_err(|err| garbage(format!("its TSIG does not verify: {err}")))?;
        Ok(Reply::Answer(response))
    }

    async fn read_frame(&self, stream: &mut TcpStream, what: &str) -> Result<Vec<u8>, Error> {
        tokio::time::timeout(self.timeout, read_frame(stream))
            .await
            .map_err(|_| self.timeout_error(what))?
            .map_err(|err| self.io_error(&format!("cannot read the response to {what}"), err))
    }

    /// Transfers zone `zone` (RFC 5936), signed when a key is given: every
    /// record from the first SOA to the last, each message's TSIG verified
    /// in sequence (RFC 8945 §5.3.1).
    pub async fn axfr(&self, zone: &Name) -> Result<Transfer, Error> {
        let what = format!("the AXFR of zone `{}`", zone.to_ascii());
        let mut request = Message::query();
        request.metadata.recursion_desired = false;
        request.add_query(Query::query(zone.clone(), RecordType::AXFR));
        let sign = self.signer.is_some();
        let (bytes, mut verifier) = self.encode(request, sign)?;
        let id = u16::from_be_bytes([bytes[0], bytes[1]]);
        let mut stream = self.open(&what).await?;
        let write = async {
            stream.write_all(&frame(&bytes)?).await?;
            stream.flush().await
        };
        tokio::time::timeout(self.timeout, write)
            .await
            .map_err(|_| self.timeout_error(&what))?
            .map_err(|err| self.io_error(&format!("cannot send {what}"), err))?;
        self.count(1);
        let mut records: Vec<Record> = Vec::new();
        let mut soas = 0;
        loop {
            let bytes = self.read_frame(&mut stream, &what).await?;
            self.count(1);
            let reply = self.check(&bytes, id, verifier.as_mut(), &what)?;
            let response = match reply {
                Reply::Answer(response) if response.response_code == ResponseCode::NoError => {
                    response
                }
                other => return Ok(Transfer::Refused(other)),
            };
            for record in response.answers {
                if record.record_type() == RecordType::SOA {
                    soas += 1;
                    // The closing SOA repeats the opening one.
                    if soas == 2 {
                        return Ok(Transfer::Records(records));
                    }
                }
                records.push(record);
            }
            if soas == 0 {
                return Err(Error::Server {
                    server: self.label.clone(),
                    message: format!("unusable response to {what}: it does not start with the SOA"),
                });
            }
        }
    }

    /// Asks every question on one connection, up to 256 at a time
    /// (RFC 7766 §6.2.1.1 pipelining), and returns the responses in the
    /// questions' order. A connection the server closes is reopened and
    /// the unanswered questions asked again.
    pub async fn query_all(&self, questions: &[(Name, RecordType)]) -> Result<Vec<Message>, Error> {
        let what = "a query";
        let mut answers: Vec<Option<Message>> = vec![None; questions.len()];
        let mut unanswered: VecDeque<usize> = (0..questions.len()).collect();
        let mut failures = 0;
        while !unanswered.is_empty() {
            let stream = self.open(what).await?;
            let (reader, writer) = stream.into_split();
            let before = unanswered.len();
            let result = self
                .pipeline(reader, writer, questions, &mut unanswered, &mut answers)
                .await;
            match result {
                Ok(()) => {}
                Err(PipelineError::Closed)
                    if unanswered.len() < before || failures < RECONNECTS =>
                {
                    failures = if unanswered.len() < before {
                        0
                    } else {
                        failures + 1
                    };
                }
                Err(PipelineError::Closed) => {
                    return Err(Error::Server {
                        server: self.label.clone(),
                        message: "the server closes the connection without answering".to_owned(),
                    });
                }
                Err(PipelineError::Fatal(err)) => return Err(err),
            }
        }
        Ok(answers
            .into_iter()
            .map(|a| a.expect("every question was answered"))
            .collect())
    }

    async fn pipeline(
        &self,
        mut reader: OwnedReadHalf,
        writer: OwnedWriteHalf,
        questions: &[(Name, RecordType)],
        unanswered: &mut VecDeque<usize>,
        answers: &mut [Option<Message>],
    ) -> Result<(), PipelineError> {
        let what = "a query";
        let mut writer = BufWriter::new(writer);
        // id → question index, for the questions in flight.
        let mut in_flight: HashMap<u16, usize> = HashMap::new();
        let mut next_id: u16 = rand_id();
        let mut queue: VecDeque<usize> = std::mem::take(unanswered);
        let result = async {
            loop {
                let mut sent = false;
                while in_flight.len() < WINDOW {
                    let Some(index) = queue.pop_front() else {
                        break;
                    };
                    while in_flight.contains_key(&next_id) {
                        next_id = next_id.wrapping_add(1);
                    }
                    let (name, rtype) = &questions[index];
                    let mut message = Message::new(
                        next_id,
                        hickory_proto::op::MessageType::Query,
                        OpCode::Query,
                    );
                    message.add_query(Query::query(name.clone(), *rtype));
                    let bytes = message.to_vec().map_err(|err| {
                        PipelineError::Fatal(Error::Server {
                            server: self.label.clone(),
                            message: format!("cannot encode a query: {err}"),
                        })
                    })?;
                    let framed = frame(&bytes).map_err(|err| {
                        PipelineError::Fatal(self.io_error("cannot frame a query", err))
                    })?;
                    tokio::time::timeout(self.timeout, writer.write_all(&framed))
                        .await
                        .map_err(|_| PipelineError::Fatal(self.timeout_error(what)))?
                        .map_err(|_| PipelineError::Closed)?;
                    self.count(1);
                    in_flight.insert(next_id, index);
                    next_id = next_id.wrapping_add(1);
                    sent = true;
                }
                if sent {
                    tokio::time::timeout(self.timeout, writer.flush())
                        .await
                        .map_err(|_| PipelineError::Fatal(self.timeout_error(what)))?
                        .map_err(|_| PipelineError::Closed)?;
                }
                if in_flight.is_empty() {
                    return Ok(());
                }
                let bytes = tokio::time::timeout(self.timeout, read_frame(&mut reader))
                    .await
                    .map_err(|_| PipelineError::Fatal(self.timeout_error(what)))?
                    .map_err(|_| PipelineError::Closed)?;
                self.count(1);
                let response = Message::from_vec(&bytes).map_err(|err| {
                    PipelineError::Fatal(Error::Server {
                        server: self.label.clone(),
                        message: format!("unusable response to a query: {err}"),
                    })
                })?;
                let Some(index) = in_flight.remove(&response.id) else {
                    continue;
                };
                let (name, rtype) = &questions[index];
                let matches = response.queries.len() == 1
                    && response.queries[0].query_type() == *rtype
                    && response.queries[0].name() == name;
                if !matches {
                    return Err(PipelineError::Fatal(Error::Server {
                        server: self.label.clone(),
                        message: format!(
                            "the response to the query for {} {rtype} answers another question",
                            name.to_ascii()
                        ),
                    }));
                }
                answers[index] = Some(response);
            }
        }
        .await;
        // Whatever was not answered is asked again on a new connection.
        unanswered.extend(in_flight.into_values());
        unanswered.extend(queue);
        result
    }
}

/// The outcome of a zone transfer.
pub enum Transfer {
    /// Every record, the opening SOA first.
    Records(Vec<Record>),
    /// The server answered with an error or rejected the key.
    Refused(Reply),
}

enum PipelineError {
    /// The server closed the connection: ask again on a new one.
    Closed,
    /// Anything else.
    Fatal(Error),
}

/// A two-octet length, then the message (RFC 1035 §4.2.2).
fn frame(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let length = u16::try_from(bytes.len()).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "a DNS message of {} octets does not fit TCP framing",
                bytes.len()
            ),
        )
    })?;
    let mut framed = Vec::with_capacity(bytes.len() + 2);
    framed.extend_from_slice(&length.to_be_bytes());
    framed.extend_from_slice(bytes);
    Ok(framed)
}

async fn read_frame<R: AsyncReadExt + Unpin>(reader: &mut R) -> std::io::Result<Vec<u8>> {
    let mut length = [0u8; 2];
    reader.read_exact(&mut length).await?;
    let mut bytes = vec![0u8; usize::from(u16::from_be_bytes(length))];
    reader.read_exact(&mut bytes).await?;
    Ok(bytes)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn rand_id() -> u16 {
    Message::query().id
}

/// A name as text: octets that would be ambiguous or unsafe on a
/// terminal (a dot inside a label, `\`, blanks, controls, non-ASCII) as
/// `\DDD` (RFC 1035 §5.1). [`parse_name`] reads it back.
pub fn name_text(name: &Name) -> DomainName {
    let mut text = String::with_capacity(name.len());
    for (i, label) in name.iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        for &byte in label {
            match byte {
                b'.' | b'\\' | b'"' | b';' | b'(' | b')' => push_escape(&mut text, byte),
                0x21..=0x7e => text.push(char::from(byte.to_ascii_lowercase())),
                _ => push_escape(&mut text, byte),
            }
        }
    }
    DomainName::from_valid(text)
}

fn push_escape(text: &mut String, byte: u8) {
    use std::fmt::Write as _;
    let _ = write!(text, "\\{byte:03}");
}

/// The name `text` spells, as [`name_text`] writes it (`\DDD` and `\X`
/// escapes, no trailing dot needed); labels may hold any octet, such as
/// the `/` of RFC 2317 zones, which hickory's text parser refuses.
pub fn parse_name(text: &str) -> Result<Name, String> {
    let text = text.strip_suffix('.').unwrap_or(text);
    let mut labels: Vec<Vec<u8>> = vec![Vec::new()];
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'.' => labels.push(Vec::new()),
            b'\\' => {
                let digits = bytes
                    .get(i + 1..i + 4)
                    .filter(|d| d.iter().all(u8::is_ascii_digit));
                let octet = match digits {
                    Some(d) => {
                        i += 3;
                        std::str::from_utf8(d)
                            .ok()
                            .and_then(|d| d.parse::<u8>().ok())
                            .ok_or_else(|| format!("invalid escape in `{text}`"))?
                    }
                    None => {
                        i += 1;
                        *bytes
                            .get(i)
                            .ok_or_else(|| format!("`{text}` ends with `\\`"))?
                    }
                };
                labels.last_mut().expect("one label at least").push(octet);
            }
            byte => labels.last_mut().expect("one label at least").push(byte),
        }
        i += 1;
    }
    if text.is_empty() {
        labels.clear();
    }
    if labels.iter().any(Vec::is_empty) {
        return Err(format!("`{text}` has an empty label"));
    }
    Name::from_labels(labels).map_err(|err| format!("`{text}` is not a valid name: {err}"))
}

/// The data of a record of a type senderzone publishes; `None` for other
/// types.
pub fn record_data(data: &RData) -> Option<RecordData> {
    Some(match data {
        RData::A(A(ip)) => RecordData::A(*ip),
        RData::AAAA(AAAA(ip)) => RecordData::Aaaa(*ip),
        RData::CNAME(CNAME(target)) => RecordData::Cname(name_text(target).into()),
        RData::PTR(PTR(target)) => RecordData::Ptr(name_text(target).into()),
        RData::TXT(txt) => RecordData::Txt(txt.txt_data.iter().map(|s| s.to_vec()).collect()),
        _ => return None,
    })
}

/// The wire form of `data`; `None` for types senderzone does not publish.
pub fn rdata(data: &RecordData) -> Result<RData, String> {
    Ok(match data {
        RecordData::A(ip) => RData::A(A(*ip)),
        RecordData::Aaaa(ip) => RData::AAAA(AAAA(*ip)),
        RecordData::Cname(target) => RData::CNAME(CNAME(parse_name(target)?)),
        RecordData::Ptr(target) => RData::PTR(PTR(parse_name(target)?)),
        RecordData::Txt(strings) => {
            RData::TXT(TXT::from_bytes(strings.iter().map(|s| &s[..]).collect()))
        }
        other => {
            return Err(format!(
                "senderzone does not write {} records",
                other.type_name()
            ));
        }
    })
}

/// The mnemonic of a response code.
pub fn rcode_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::NoError => "NOERROR".to_owned(),
        ResponseCode::FormErr => "FORMERR".to_owned(),
        ResponseCode::ServFail => "SERVFAIL".to_owned(),
        ResponseCode::NXDomain => "NXDOMAIN".to_owned(),
        ResponseCode::NotImp => "NOTIMP".to_owned(),
        ResponseCode::Refused => "REFUSED".to_owned(),
        ResponseCode::YXDomain => "YXDOMAIN".to_owned(),
        ResponseCode::YXRRSet => "YXRRSET".to_owned(),
        ResponseCode::NXRRSet => "NXRRSET".to_owned(),
        ResponseCode::NotAuth => "NOTAUTH".to_owned(),
        ResponseCode::NotZone => "NOTZONE".to_owned(),
        other => format!("rcode {}", u16::from(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text() {
        for text in [
            "example.com",
            "65.64/26.100.51.198.in-addr.arpa",
            "_spf1.example.com",
            "a\\046b.example.com",
            "sp\\032ace.example.com",
            "back\\092slash.example.com",
        ] {
            let name = parse_name(text).unwrap();
            assert_eq!(name_text(&name), text);
        }
        let slash = parse_name("64/26.100.51.198.in-addr.arpa").unwrap();
        assert_eq!(slash.iter().next(), Some(&b"64/26"[..]));
        assert_eq!(
            name_text(&Name::from_ascii("MAIL.Example.COM.").unwrap()),
            "mail.example.com"
        );
        assert!(parse_name("a..b").is_err());
    }

    #[test]
    fn record_data_round_trips_through_the_wire_form() {
        for data in [
            RecordData::A("192.0.2.1".parse().unwrap()),
            RecordData::Aaaa("2001:db8::1".parse().unwrap()),
            RecordData::Ptr("mail.example.com".to_owned()),
            RecordData::Cname("65.64/26.100.51.198.in-addr.arpa".to_owned()),
            RecordData::Txt(vec![vec![b'a'; 255], b"tail \"q\" \\".to_vec()].into()),
        ] {
            assert_eq!(record_data(&rdata(&data).unwrap()), Some(data));
        }
    }

    #[test]
    fn frames_carry_the_length() {
        assert_eq!(frame(b"abc").unwrap(), [0, 3, b'a', b'b', b'c']);
        assert!(frame(&vec![0; 70_000]).is_err());
    }
}
