//! RFC 2136 targets: zones read by AXFR (RFC 5936) or, when the server
//! refuses the transfer, by one query per planned name and type; changes
//! written as UPDATE messages signed with TSIG (RFC 8945).
//!
//! # One atomic change per zone
//!
//! Every UPDATE carries, for each RRset it changes, the RRset as read as a
//! prerequisite (RFC 2136 §2.4): "RRset exists (value dependent)" listing
//! every record of the set, foreign ones included, or "RRset does not
//! exist". The server checks them all before it applies anything, so when
//! the zone changed between read and write it refuses the whole update
//! (YXRRSET / NXRRSET) and nothing is applied. RRsets the change leaves
//! alone are not prerequisites: a concurrent change to them does not make
//! this update wrong, and the check after writing reports it.
//!
//! Within a set, owned records are deleted one by one (class NONE,
//! §2.5.4) and added (§2.5.1), so foreign records in the same TXT set are
//! never rewritten; a TTL change deletes the whole set (class ANY, §2.5.2)
//! and adds it back at the new TTL (sets with foreign records keep their
//! TTL, see [`crate::sync`]).
//!
//! # Zones larger than one message
//!
//! A DNS message over TCP holds at most 65,535 octets (RFC 1035 §4.2.2).
//! A zone whose change does not fit is split into several UPDATE messages
//! along RRset boundaries, each with the prerequisites of its own RRsets,
//! sent one after another. If one fails, the messages already applied are
//! rolled back in reverse order by their inverse updates, each conditional
//! on the RRsets still holding what was written (messages are sized so
//! that each one's inverse fits one message too, so every rollback step is
//! as atomic as the step it undoes); a message that timed out
//! may or may not have been applied, so it is rolled back too (its
//! inverse fails harmlessly if it was not). If a rollback fails, the error
//! lists exactly which RRsets keep the new data. The zone is then never
//! changed silently, but another client can see the intermediate states
//! while the messages are applied.

use futures_util::StreamExt as _;
use hickory_proto::op::{Message, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordData as _, RecordType};
use hickory_proto::serialize::binary::BinEncodable as _;

use super::wire::{self, Rejection, Reply, Server, Transfer};
use super::{Applied, ApplyOptions, Endpoint, Error, Limits, TsigKey, ZoneRead};
use crate::names::DomainName;
use crate::records::ZonePlan;
use crate::sync::{Action, LiveZone, ReadMethod, RrType, RrsetChange};

/// The largest DNS message over TCP (RFC 1035 §4.2.2).
pub const MAX_MESSAGE_OCTETS: usize = 65_535;

/// Room kept in every UPDATE for the header, the zone section and the
/// TSIG record (key and algorithm names up to 255 octets each, a 64-octet
/// HMAC-SHA512 MAC).
const RESERVED_OCTETS: usize = 12 + 259 + 255 + 255 + 10 + 16 + 64 + 6;

/// Zones read at the same time.
const READ_CONCURRENCY: usize = 8;

/// An RFC 2136 (or plain DNS) server and the key to sign with.
pub struct Rfc2136 {
    server: Server,
    key_name: Option<String>,
}

impl Rfc2136 {
    /// Looks up the server's address; `key` signs transfers and updates.
    pub async fn open(
        endpoint: &Endpoint,
        key: Option<&TsigKey>,
        limits: Limits,
    ) -> Result<Rfc2136, Error> {
        Ok(Rfc2136 {
            server: Server::connect(endpoint, key.map(TsigKey::signer), limits.timeout).await?,
            key_name: key.map(TsigKey::display_name),
        })
    }

    /// DNS messages sent and received so far.
    pub fn messages(&self) -> usize {
        self.server.messages()
    }

    /// Reads every zone, a few at a time; results in the zones' order.
    pub async fn read_all(&self, zones: &[&ZonePlan]) -> Result<Vec<ZoneRead>, Error> {
        futures_util::stream::iter(zones.iter().map(|zone| self.read(zone)))
            .buffered(READ_CONCURRENCY)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect()
    }

    /// Reads one zone: whether the server serves it (its SOA, with
    /// authority), then every record by AXFR, or by queries for the
    /// planned names when the transfer is refused.
    pub async fn read(&self, zone: &ZonePlan) -> Result<ZoneRead, Error> {
        let apex = self.zone_name(&zone.origin)?;
        if let Some(why) = self.not_served(&apex).await? {
            return Ok(ZoneRead::NotServed(why));
        }
        match self.server.axfr(&apex).await? {
            Transfer::Records(records) => {
                let mut live = LiveZone::new(&zone.origin, ReadMethod::Axfr);
                for record in records {
                    insert(&mut live, &record);
                }
                Ok(ZoneRead::Served(live))
            }
            Transfer::Refused(Reply::Rejected(rejection)) => {
                Err(self.key_error(&zone.origin, rejection))
            }
            Transfer::Refused(Reply::Answer(_)) => {
                self.query_zone(zone).await.map(ZoneRead::Served)
            }
        }
    }

    fn zone_name(&self, origin: &str) -> Result<Name, Error> {
        wire::parse_name(origin).map_err(|message| Error::Server {
            server: self.server.label().to_owned(),
            message,
        })
    }

    fn key_error(&self, zone: &DomainName, rejection: Rejection) -> Error {
        Error::Key {
            zone: zone.to_owned(),
            server: self.server.label().to_owned(),
            key: self.key_name.clone().unwrap_or_default(),
            detail: rejection.explain(),
        }
    }

    /// Why the server does not serve `apex` as a zone, if it does not: it
    /// must answer the apex's SOA with authority (RFC 1035 §6.1.3).
    async fn not_served(&self, apex: &Name) -> Result<Option<String>, Error> {
        let mut query = Message::query();
        query.metadata.recursion_desired = false;
        query.add_query(Query::query(apex.clone(), RecordType::SOA));
        let what = format!("the SOA query for `{}`", apex.to_ascii());
        let Reply::Answer(response) = self.server.exchange(query, false, &what).await? else {
            unreachable!("unsigned requests are never rejected for their key");
        };
        if response.response_code != ResponseCode::NoError {
            return Ok(Some(format!(
                "it answers the zone's SOA query with {}",
                wire::rcode_name(response.response_code)
            )));
        }
        let has_soa = response
            .answers
            .iter()
            .any(|r| r.record_type() == RecordType::SOA && r.name == *apex);
        if !response.authoritative || !has_soa {
            return Ok(Some(
                "it has no SOA record of its own at the zone's name (declare `reverse_zones` as the server has them)"
                    .to_owned(),
            ));
        }
        Ok(None)
    }

    /// One query per planned name and type (A and AAAA both at host
    /// names), pipelined on one connection.
    async fn query_zone(&self, zone: &ZonePlan) -> Result<LiveZone, Error> {
        let mut questions: Vec<(Name, RecordType)> = Vec::new();
        let mut seen = foldhash::HashSet::default();
        for record in &zone.records {
            let Some(rtype) = RrType::of(&record.data) else {
                continue;
            };
            let types: &[RrType] = match rtype {
                RrType::A | RrType::Aaaa => &[RrType::A, RrType::Aaaa],
                RrType::Cname => &[RrType::Cname],
                RrType::Ptr => &[RrType::Ptr],
                RrType::Txt => &[RrType::Txt],
            };
            for &rtype in types {
                if seen.insert((record.owner.as_str(), rtype)) {
                    questions.push((self.zone_name(&record.owner)?, rtype.record_type()));
                }
            }
        }
        let responses = self.server.query_all(&questions).await?;
        let mut live = LiveZone::new(&zone.origin, ReadMethod::Queries);
        for ((name, rtype), response) in questions.iter().zip(responses) {
            match response.response_code {
                ResponseCode::NoError | ResponseCode::NXDomain => {}
                code => {
                    return Err(Error::Refused {
                        zone: zone.origin.clone(),
                        server: self.server.label().to_owned(),
                        what: "read",
                        detail: format!(
                            "it answers {} {rtype} with {}",
                            wire::name_text(name),
                            wire::rcode_name(code)
                        ),
                    });
                }
            }
            // Only the queried name's own records: a CNAME there, or the
            // RRset asked for (not what a CNAME leads to).
            for record in response.answers.iter().filter(|r| r.name == *name) {
                insert(&mut live, record);
            }
        }
        Ok(live)
    }

    /// Applies one zone's change: one UPDATE message when it fits, else a
    /// sequence rolled back on failure (see the module documentation).
    pub async fn apply(
        &self,
        zone: &DomainName,
        changes: &[RrsetChange],
        options: &mut ApplyOptions<'_>,
    ) -> Result<Applied, Error> {
        let apex = self.zone_name(zone)?;
        let budget = options.max_message_octets.min(MAX_MESSAGE_OCTETS);
        let sequence = Sequence {
            batches: batches(&apex, zone, changes, budget)
                .map_err(|message| self.failure(message))?,
            apex,
            zone,
            changes,
        };
        let mut applied: Vec<usize> = Vec::new();
        for (index, batch) in sequence.batches.iter().enumerate() {
            (options.before_write)(index + 1);
            match self.update(zone, batch.message.clone()).await {
                Ok(()) => applied.push(index),
                Err(failure) => {
                    // A message without answer may have been applied.
                    let uncertain = matches!(failure, Error::Timeout { .. } | Error::Server { .. });
                    if uncertain {
                        applied.push(index);
                    }
                    let state = if applied.is_empty() {
                        format!("nothing was applied to zone `{zone}.`")
                    } else {
                        self.roll_back(&sequence, &applied, uncertain).await
                    };
                    return Err(Error::Stopped {
                        cause: Box::new(failure),
                        state,
                    });
                }
            }
        }
        Ok(Applied {
            requests: sequence.batches.len(),
        })
    }

    fn failure(&self, message: String) -> Error {
        Error::Server {
            server: self.server.label().to_owned(),
            message,
        }
    }

    /// Undoes the messages in `applied`, last first; says what the zone
    /// holds afterwards. The last of them may not have been applied when
    /// `last_uncertain`.
    async fn roll_back(
        &self,
        sequence: &Sequence<'_>,
        applied: &[usize],
        last_uncertain: bool,
    ) -> String {
        let Sequence {
            apex,
            zone,
            changes,
            batches: messages,
        } = sequence;
        let total = messages.len();
        let head = format!(
            "the change of zone `{zone}.` was {total} UPDATE message{}",
            if total == 1 { "" } else { "s" }
        );
        let rrsets = |indexes: &[usize]| {
            indexes
                .iter()
                .flat_map(|&i| &messages[i].changes)
                .map(|&i| format!("{}. {}", changes[i].key.owner, changes[i].key.rtype))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (position, &index) in applied.iter().enumerate().rev() {
            let maybe = last_uncertain && position == applied.len() - 1;
            let undone = match undo_message(apex, changes, &messages[index]) {
                Ok(message) => self.update(zone, message).await,
                Err(message) => Err(self.failure(message)),
            };
            match undone {
                Ok(()) => {}
                // The message without an answer had not been applied.
                Err(Error::Changed { .. }) if maybe => {}
                Err(err) => {
                    let mut state = format!("{head}; undoing them failed ({err})");
                    let certain = &applied[..position + usize::from(!maybe)];
                    if !certain.is_empty() {
                        state.push_str(&format!(
                            "; these RRsets keep the new data: {}",
                            rrsets(certain)
                        ));
                    }
                    if maybe {
                        state.push_str(&format!(
                            "; these may, their message got no usable answer: {}",
                            rrsets(&[index])
                        ));
                    }
                    state.push_str("; run plan to see the zone");
                    return state;
                }
            }
        }
        let certain = applied.len() - usize::from(last_uncertain);
        let mut state = head;
        if certain > 0 {
            state.push_str(&format!(
                "; the {certain} applied before the failure were rolled back"
            ));
        }
        if last_uncertain {
            state.push_str(
                "; the one without a usable answer was undone in case it had been applied",
            );
        }
        state.push_str(": nothing was applied to the zone");
        state
    }

    /// Sends one UPDATE and interprets the response code (RFC 2136 §2.2).
    async fn update(&self, zone: &DomainName, message: Message) -> Result<(), Error> {
        let what = format!("the UPDATE of zone `{zone}.`");
        let response = match self.server.exchange(message, true, &what).await? {
            Reply::Answer(response) => response,
            Reply::Rejected(rejection) => return Err(self.key_error(zone, rejection)),
        };
        let server = self.server.label().to_owned();
        let code = response.response_code;
        match code {
            ResponseCode::NoError => Ok(()),
            ResponseCode::YXDomain
            | ResponseCode::YXRRSet
            | ResponseCode::NXDomain
            | ResponseCode::NXRRSet => Err(Error::Changed {
                zone: zone.to_owned(),
                server,
                detail: format!("a prerequisite failed: {}", wire::rcode_name(code)),
            }),
            ResponseCode::NotAuth => Err(Error::ZoneMissing {
                zone: zone.to_owned(),
                server,
                detail: "NOTAUTH: it is not the primary for the zone".to_owned(),
            }),
            ResponseCode::Refused => Err(Error::Refused {
                zone: zone.to_owned(),
                server,
                what: "update",
                detail: "REFUSED: the key may lack the right (BIND: `allow-update` or `update-policy` must grant it)".to_owned(),
            }),
            other => Err(Error::Refused {
                zone: zone.to_owned(),
                server,
                what: "update",
                detail: wire::rcode_name(other),
            }),
        }
    }
}

/// A zone's change as a sequence of UPDATE messages.
struct Sequence<'a> {
    apex: Name,
    zone: &'a DomainName,
    changes: &'a [RrsetChange],
    batches: Vec<Batch>,
}

/// The UPDATE messages for `changes`: RRsets in order, a new message
/// whenever the next RRset would push the message past `budget` octets.
/// An RRset counts with the larger of its change and its inverse, so the
/// inverse of every message fits one message too (see [`undo_message`]).
fn batches(
    apex: &Name,
    zone: &DomainName,
    changes: &[RrsetChange],
    budget: usize,
) -> Result<Vec<Batch>, String> {
    let room = budget.saturating_sub(RESERVED_OCTETS);
    let mut batches: Vec<Batch> = Vec::new();
    let mut used = room;
    for (index, change) in changes.iter().enumerate() {
        let sections = update_sections(change)?;
        let octets = sections
            .octets()
            .max(update_sections(&change.inverse())?.octets());
        if octets > room {
            return Err(format!(
                "the change of {}. {} in zone `{zone}.` needs {octets} octets, more than one UPDATE message holds",
                change.key.owner, change.key.rtype
            ));
        }
        if used + octets > room {
            batches.push(Batch {
                message: update_message(apex),
                changes: Vec::new(),
            });
            used = 0;
        }
        let batch = batches.last_mut().expect("a batch was just pushed");
        batch.message.answers.extend(sections.prerequisites);
        batch.message.authorities.extend(sections.updates);
        batch.changes.push(index);
        used += octets;
    }
    Ok(batches)
}

/// One UPDATE undoing `batch`: the inverse of each of its changes,
/// conditional on the RRsets holding what the batch wrote. It fits one
/// message because [`batches`] sized the batch by the larger direction.
fn undo_message(apex: &Name, changes: &[RrsetChange], batch: &Batch) -> Result<Message, String> {
    let mut message = update_message(apex);
    for &index in &batch.changes {
        let sections = update_sections(&changes[index].inverse())?;
        message.answers.extend(sections.prerequisites);
        message.authorities.extend(sections.updates);
    }
    Ok(message)
}

/// One UPDATE message and the changes (indexes) it carries.
struct Batch {
    message: Message,
    changes: Vec<usize>,
}

/// An empty UPDATE for zone `apex`: its zone section (RFC 2136 §2.3).
fn update_message(apex: &Name) -> Message {
    let mut message = Message::query();
    message.metadata.op_code = OpCode::Update;
    message.metadata.recursion_desired = false;
    let mut zone = Query::query(apex.clone(), RecordType::SOA);
    zone.set_query_class(DNSClass::IN);
    message.add_query(zone);
    message
}

/// The prerequisite and update records of one RRset's change.
struct Sections {
    prerequisites: Vec<Record>,
    updates: Vec<Record>,
}

impl Sections {
    /// An upper bound of their size on the wire, without name compression.
    fn octets(&self) -> usize {
        self.prerequisites
            .iter()
            .chain(&self.updates)
            .map(|record| {
                let rdata = if record.data.is_update() {
                    0
                } else {
                    record.data.to_bytes().map_or(usize::MAX / 4, |b| b.len())
                };
                record.name.len() + 1 + 10 + rdata
            })
            .sum()
    }
}

/// RFC 2136 §2.4 prerequisites and §2.5 updates for one RRset's change.
fn update_sections(change: &RrsetChange) -> Result<Sections, String> {
    let owner = wire::parse_name(&change.key.owner)?;
    let rtype = change.key.rtype.record_type();
    let with_class = |ttl: u32, data: RData, class: DNSClass| {
        let mut record = Record::from_rdata(owner.clone(), ttl, data);
        record.dns_class = class;
        record
    };
    let empty = |class: DNSClass| {
        let mut record = Record::update0(owner.clone(), 0, rtype).into_record_of_rdata();
        record.dns_class = class;
        record
    };
    let prerequisites = match &change.before {
        // §2.4.3: RRset does not exist.
        None => vec![empty(DNSClass::NONE)],
        // §2.4.2: RRset exists with exactly these records, TTL zero.
        Some(before) => before
            .records
            .iter()
            .map(|data| Ok(with_class(0, wire::rdata(data)?, DNSClass::IN)))
            .collect::<Result<_, String>>()?,
    };
    let mut updates = Vec::new();
    match &change.after {
        Some(after) if change.rewrites_ttl() => {
            // §2.5.2: delete the RRset, then §2.5.1: add it at the new TTL.
            updates.push(empty(DNSClass::ANY));
            for data in &after.records {
                updates.push(with_class(after.ttl, wire::rdata(data)?, DNSClass::IN));
            }
        }
        _ => {
            for edit in &change.edits {
                let data = wire::rdata(&edit.data)?;
                updates.push(match edit.action {
                    // §2.5.4: delete an RR from an RRset.
                    Action::Delete => with_class(0, data, DNSClass::NONE),
                    Action::Add => with_class(edit.ttl, data, DNSClass::IN),
                });
            }
        }
    }
    Ok(Sections {
        prerequisites,
        updates,
    })
}

/// Adds a record read from the server; names that cannot be planned
/// owners still count as names with data.
fn insert(live: &mut LiveZone, record: &Record) {
    let owner = wire::name_text(&record.name);
    match wire::record_data(&record.data) {
        Some(data) => live.insert(owner, record.ttl, data),
        None => {
            live.other_data.insert(owner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::RecordData;
    use crate::sync::{Edit, Reason, Rrset, RrsetKey};

    fn change(
        owner: &str,
        before: Option<Rrset>,
        after: Option<Rrset>,
        edits: Vec<Edit>,
    ) -> RrsetChange {
        RrsetChange {
            key: RrsetKey {
                owner: owner.into(),
                rtype: RrType::Txt,
            },
            before,
            after,
            edits,
        }
    }

    fn txt(text: &str) -> RecordData {
        RecordData::Txt(vec![text.as_bytes().to_vec()].into())
    }

    fn edit(action: Action, ttl: u32, text: &str) -> Edit {
        Edit {
            action,
            ttl,
            data: txt(text),
            reason: Reason::Drift,
        }
    }

    #[test]
    fn a_replaced_spf_is_conditional_on_the_whole_set_and_leaves_foreign_records() {
        let before = Rrset {
            ttl: 300,
            records: vec![txt("v=spf1 -all"), txt("google-site-verification=x")],
        };
        let after = Rrset {
            ttl: 300,
            records: vec![txt("google-site-verification=x"), txt("v=spf1 mx -all")],
        };
        let sections = update_sections(&change(
            "example.com",
            Some(before),
            Some(after),
            vec![
                edit(Action::Delete, 300, "v=spf1 -all"),
                edit(Action::Add, 300, "v=spf1 mx -all"),
            ],
        ))
        .unwrap();
        let described: Vec<(DNSClass, u32, String)> = sections
            .prerequisites
            .iter()
            .chain(&sections.updates)
            .map(|r| (r.dns_class, r.ttl, r.data.to_string()))
            .collect();
        assert_eq!(
            described,
            [
                (DNSClass::IN, 0, "v=spf1 -all".to_owned()),
                (DNSClass::IN, 0, "google-site-verification=x".to_owned()),
                (DNSClass::NONE, 0, "v=spf1 -all".to_owned()),
                (DNSClass::IN, 300, "v=spf1 mx -all".to_owned()),
            ]
        );
    }

    #[test]
    fn a_new_set_requires_its_absence_and_a_ttl_change_rewrites_the_set() {
        let sections = update_sections(&change(
            "example.com",
            None,
            Some(Rrset {
                ttl: 60,
                records: vec![txt("v=spf1 -all")],
            }),
            vec![edit(Action::Add, 60, "v=spf1 -all")],
        ))
        .unwrap();
        assert_eq!(sections.prerequisites.len(), 1);
        assert_eq!(sections.prerequisites[0].dns_class, DNSClass::NONE);
        assert!(sections.prerequisites[0].data.is_update());

        let rewrite = update_sections(&change(
            "example.com",
            Some(Rrset {
                ttl: 60,
                records: vec![txt("v=spf1 -all")],
            }),
            Some(Rrset {
                ttl: 3600,
                records: vec![txt("v=spf1 -all")],
            }),
            vec![
                edit(Action::Delete, 60, "v=spf1 -all"),
                edit(Action::Add, 3600, "v=spf1 -all"),
            ],
        ))
        .unwrap();
        assert_eq!(rewrite.updates[0].dns_class, DNSClass::ANY);
        assert_eq!(rewrite.updates[1].ttl, 3600);
        assert_eq!(rewrite.updates.len(), 2);
    }

    #[test]
    fn a_large_change_is_split_along_rrsets_into_messages_that_fit() {
        let apex = Name::from_ascii("example.com.").unwrap();
        let changes: Vec<RrsetChange> = (0..2000)
            .map(|i| {
                let text = format!("v=spf1 ip4:192.0.2.{} -all", i % 250);
                let mut c = change(
                    &format!("host{i}.example.com"),
                    None,
                    Some(Rrset {
                        ttl: 3600,
                        records: vec![txt(&text)],
                    }),
                    vec![edit(Action::Add, 3600, &text)],
                );
                c.key.rtype = RrType::Txt;
                c
            })
            .collect();
        let one = batches(
            &apex,
            &"example.com".into(),
            &changes[..10],
            MAX_MESSAGE_OCTETS,
        )
        .unwrap();
        assert_eq!(one.len(), 1);
        let many = batches(&apex, &"example.com".into(), &changes, 8192).unwrap();
        assert!(many.len() > 5, "{} messages", many.len());
        let mut seen: Vec<usize> = Vec::new();
        for batch in &many {
            let octets = batch.message.to_vec().unwrap().len();
            assert!(octets + RESERVED_OCTETS <= 8192, "{octets} octets");
            let undo = undo_message(&apex, &changes, batch).unwrap();
            let undo_octets = undo.to_vec().unwrap().len();
            assert!(
                undo_octets + RESERVED_OCTETS <= 8192,
                "{undo_octets} octets to undo"
            );
            assert_eq!(batch.message.answers.len(), batch.changes.len());
            seen.extend(&batch.changes);
        }
        assert_eq!(seen, (0..2000).collect::<Vec<usize>>());
    }
}
