//! The PowerDNS Authoritative HTTP API (`formats.md` §4.4): zones read with
//! `GET …/zones/ZONE_ID`, changed with one `PATCH` per zone.
//!
//! PowerDNS has no prerequisites. Just before the PATCH the zone is read
//! again and every RRset the change touches must still hold what the plan
//! was made from (records and TTL); otherwise nothing is sent. The PATCH
//! replaces (`REPLACE`) only the RRsets that change, each with its foreign
//! records merged in verbatim as PowerDNS stored them (and disabled
//! records kept), or deletes (`DELETE`) a set that ends up empty. A change
//! made by another client between that re-read and the PATCH is not seen:
//! the window is one HTTP round trip.
//!
//! The client is `ureq` without TLS: PowerDNS's built-in web server speaks
//! plain HTTP only. Proxies from the environment and redirects are off,
//! so the API key goes to the named server and nowhere else.

use std::cell::Cell;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Applied, ApplyOptions, Endpoint, Error, Limits, ZoneRead, wire};
use crate::dns::RecordData;
use crate::names::DomainName;
use crate::records::ZonePlan;
use crate::sync::{LiveZone, ReadMethod, RrType, Rrset, RrsetChange, RrsetKey};

/// The largest zone listing read, in octets.
const MAX_BODY_OCTETS: u64 = 1 << 30;

/// An API key. Never shown: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key as given (surrounding blanks and line ends removed); `None`
    /// when nothing is left.
    pub fn new(text: &str) -> Option<ApiKey> {
        let key = text.trim();
        (!key.is_empty()).then(|| ApiKey(key.to_owned()))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(hidden)")
    }
}

/// A PowerDNS server's API.
pub struct PowerDns {
    /// `http://HOST:PORT/api/v1/servers/SERVER_ID`.
    base: String,
    /// `HOST:PORT` for messages.
    label: String,
    key: ApiKey,
    agent: ureq::Agent,
    timeout: std::time::Duration,
    requests: Cell<usize>,
}

/// `GET …/zones/ZONE_ID`, the part senderzone reads.
#[derive(Debug, Deserialize)]
struct ApiZone {
    rrsets: Vec<ApiRrset>,
}

#[derive(Debug, Deserialize)]
struct ApiRrset {
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    ttl: u32,
    records: Vec<ApiRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ApiRecord {
    content: String,
    disabled: bool,
}

/// One RRset in a PATCH body (`changetype` `REPLACE` or `DELETE`).
#[derive(Debug, Serialize)]
struct PatchRrset {
    name: String,
    #[serde(rename = "type")]
    rtype: &'static str,
    changetype: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttl: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    records: Option<Vec<ApiRecord>>,
}

#[derive(Debug, Serialize)]
struct Patch {
    rrsets: Vec<PatchRrset>,
}

/// A zone as read: the [`LiveZone`] and, per RRset, the records as
/// PowerDNS stores them (content verbatim, disabled ones too).
struct Read {
    live: LiveZone,
    stored: foldhash::HashMap<RrsetKey, Vec<(Option<RecordData>, ApiRecord)>>,
}

impl PowerDns {
    /// The API of `endpoint` for server `server_id`.
    pub fn new(endpoint: &Endpoint, server_id: &str, key: ApiKey, limits: Limits) -> PowerDns {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(limits.timeout))
            .http_status_as_error(false)
            .proxy(None)
            .max_redirects(0)
            .build();
        PowerDns {
            base: format!("http://{endpoint}/api/v1/servers/{server_id}"),
            label: endpoint.to_string(),
            key,
            agent: config.into(),
            timeout: limits.timeout,
            requests: Cell::new(0),
        }
    }

    /// HTTP requests sent so far.
    pub fn requests(&self) -> usize {
        self.requests.get()
    }

    fn failure(&self, message: String) -> Error {
        Error::Server {
            server: self.label.clone(),
            message,
        }
    }

    /// The URL of a zone: PowerDNS's zone id escapes `/` and other octets
    /// as `=XX` (`64=2F26.100.51.198.in-addr.arpa.`).
    fn zone_url(&self, zone: &str) -> String {
        format!(
            "{}/zones/{}",
            self.base,
            crate::render::powerdns_zone_id(zone)
        )
    }

    /// Sends one request; `(status, body)`.
    fn request(
        &self,
        zone: &str,
        method: &str,
        body: Option<String>,
    ) -> Result<(u16, String), Error> {
        let url = self.zone_url(zone);
        self.requests.set(self.requests.get() + 1);
        let result = match body {
            None => self.agent.get(&url).header("X-API-Key", &self.key.0).call(),
            Some(body) => self
                .agent
                .patch(&url)
                .header("X-API-Key", &self.key.0)
                .content_type("application/json")
                .send(body),
        };
        let mut response = result.map_err(|err| match err {
            ureq::Error::Timeout(_) => Error::Timeout {
                server: self.label.clone(),
                what: format!("{method} zone `{zone}.`"),
                timeout: self.timeout,
            },
            other => self.failure(format!("{method} zone `{zone}.`: {other}")),
        })?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_OCTETS)
            .read_to_string()
            .map_err(|err| {
                self.failure(format!(
                    "cannot read the answer to {method} zone `{zone}.`: {err}"
                ))
            })?;
        if status == 401 || status == 403 {
            return Err(self.failure(format!(
                "the API rejects the key (HTTP {status}): check `PDNS_API_KEY` or `--api-key-file` against the server's `api-key`"
            )));
        }
        Ok((status, text))
    }

    /// Reads every zone, one after another.
    pub fn read_all(&self, zones: &[&ZonePlan]) -> Result<Vec<ZoneRead>, Error> {
        zones
            .iter()
            .map(|zone| {
                Ok(match self.read(&zone.origin)? {
                    Some(read) => ZoneRead::Served(read.live),
                    None => ZoneRead::NotServed("the API has no such zone (HTTP 404)".to_owned()),
                })
            })
            .collect()
    }

    /// `GET` one zone; `None` when PowerDNS does not have it.
    fn read(&self, zone: &DomainName) -> Result<Option<Read>, Error> {
        let (status, body) = self.request(zone, "GET", None)?;
        match status {
            200 => {}
            404 | 422 => return Ok(None),
            other => {
                return Err(self.failure(format!(
                    "GET zone `{zone}.` answered HTTP {other}: {}",
                    api_error(&body)
                )));
            }
        }
        let listing: ApiZone = serde_json::from_str(&body)
            .map_err(|err| self.failure(format!("unusable answer to GET zone `{zone}.`: {err}")))?;
        let mut read = Read {
            live: LiveZone::new(zone, ReadMethod::Api),
            stored: foldhash::HashMap::default(),
        };
        for rrset in listing.rrsets {
            let owner = wire::parse_name(&rrset.name)
                .map(|name| wire::name_text(&name))
                .map_err(|err| self.failure(format!("zone `{zone}.` lists the name {err}")))?;
            let Some(rtype) = rr_type(&rrset.rtype) else {
                read.live.other_data.insert(owner);
                continue;
            };
            let key = RrsetKey {
                owner: owner.clone(),
                rtype,
            };
            let mut stored = Vec::new();
            for record in rrset.records {
                let data = if record.disabled {
                    None
                } else {
                    let data = parse_content(rtype, &record.content).map_err(|err| {
                        self.failure(format!(
                            "zone `{zone}.`: cannot read {} {} `{}`: {err}",
                            rrset.name, rrset.rtype, record.content
                        ))
                    })?;
                    read.live.insert(owner.clone(), rrset.ttl, data.clone());
                    Some(data)
                };
                stored.push((data, record));
            }
            read.stored.insert(key, stored);
        }
        Ok(Some(read))
    }

    /// Applies one zone's change in one PATCH, after checking that the
    /// RRsets it touches still hold what the plan was made from.
    pub fn apply(
        &self,
        zone: &DomainName,
        changes: &[RrsetChange],
        options: &mut ApplyOptions<'_>,
    ) -> Result<Applied, Error> {
        (options.before_write)(1);
        let fresh = self.read(zone)?.ok_or_else(|| Error::ZoneMissing {
            zone: zone.to_owned(),
            server: self.label.clone(),
            detail: "the API no longer has it (HTTP 404)".to_owned(),
        })?;
        let mut rrsets = Vec::new();
        for change in changes {
            let now = fresh.live.rrsets.get(&change.key);
            let unchanged = match (&change.before, now) {
                (None, None) => true,
                (Some(before), Some(now)) => before.ttl == now.ttl && before.same_records(now),
                _ => false,
            };
            if !unchanged {
                return Err(Error::Stopped {
                    cause: Box::new(Error::Changed {
                        zone: zone.to_owned(),
                        server: self.label.clone(),
                        detail: format!(
                            "{}. {} differs from what was read",
                            change.key.owner, change.key.rtype
                        ),
                    }),
                    state: format!("nothing was applied to zone `{zone}.`"),
                });
            }
            rrsets.push(patch_rrset(change, fresh.stored.get(&change.key)));
        }
        let body = serde_json::to_string(&Patch { rrsets })
            .map_err(|err| self.failure(format!("cannot encode the PATCH: {err}")))?;
        // One PATCH is one transaction: refused, nothing changed; without
        // an answer, the zone may or may not have changed.
        let (status, answer) = self.request(zone, "PATCH", Some(body)).map_err(|cause| Error::Stopped {
            state: format!("the PATCH of zone `{zone}.` got no usable answer: it may or may not have been applied; run plan to see the zone"),
            cause: Box::new(cause),
        })?;
        if status != 204 && status != 200 {
            return Err(Error::Stopped {
                cause: Box::new(Error::Refused {
                    zone: zone.to_owned(),
                    server: self.label.clone(),
                    what: "update",
                    detail: format!("HTTP {status}: {}", api_error(&answer)),
                }),
                state: format!("nothing was applied to zone `{zone}.`"),
            });
        }
        Ok(Applied { requests: 1 })
    }
}

/// The PATCH entry of one RRset's change: `REPLACE` with the records
/// afterwards (those PowerDNS already stores sent back verbatim, disabled
/// ones kept), or `DELETE` when nothing is left.
fn patch_rrset(
    change: &RrsetChange,
    stored: Option<&Vec<(Option<RecordData>, ApiRecord)>>,
) -> PatchRrset {
    let stored: &[(Option<RecordData>, ApiRecord)] = stored.map_or(&[], Vec::as_slice);
    let disabled = stored
        .iter()
        .filter(|(data, _)| data.is_none())
        .map(|(_, record)| record.clone());
    let after: Option<&Rrset> = change.after.as_ref();
    let mut records: Vec<ApiRecord> = after
        .map(|set| {
            set.records
                .iter()
                .map(|data| {
                    stored
                        .iter()
                        .find(|(known, _)| known.as_ref() == Some(data))
                        .map_or_else(
                            || ApiRecord {
                                content: crate::render::rdata(data),
                                disabled: false,
                            },
                            |(_, record)| record.clone(),
                        )
                })
                .collect()
        })
        .unwrap_or_default();
    records.extend(disabled);
    let name = change.key.owner.fqdn();
    let rtype = change.key.rtype.name();
    if records.is_empty() {
        return PatchRrset {
            name,
            rtype,
            changetype: "DELETE",
            ttl: None,
            records: None,
        };
    }
    let ttl = after.or(change.before.as_ref()).map_or(0, |set| set.ttl);
    PatchRrset {
        name,
        rtype,
        changetype: "REPLACE",
        ttl: Some(ttl),
        records: Some(records),
    }
}

fn rr_type(name: &str) -> Option<RrType> {
    [
        RrType::A,
        RrType::Aaaa,
        RrType::Cname,
        RrType::Ptr,
        RrType::Txt,
    ]
    .into_iter()
    .find(|t| t.name() == name)
}

/// Record content as PowerDNS stores it (zone-file syntax), decoded by the
/// zone-file reader: TXT strings, not the API text, are compared.
fn parse_content(rtype: RrType, content: &str) -> Result<RecordData, String> {
    let line = format!("content.invalid. 0 IN {} {content}\n", rtype.name());
    let mut entries =
        crate::dns::zonefile::parse(Path::new("PowerDNS"), &line).map_err(|err| err.message)?;
    match entries.pop() {
        Some(entry) if entries.is_empty() && RrType::of(&entry.data) == Some(rtype) => {
            Ok(entry.data)
        }
        _ => Err("not one record of its type".to_owned()),
    }
}

/// The `error` of a PowerDNS error body, or the body itself, shortened.
fn api_error(body: &str) -> String {
    #[derive(Deserialize)]
    struct ApiError {
        error: String,
    }
    let text = serde_json::from_str::<ApiError>(body).map_or_else(|_| body.to_owned(), |e| e.error);
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::{Action, Edit, Reason};

    fn txt(text: &str) -> RecordData {
        RecordData::Txt(vec![text.as_bytes().to_vec()].into())
    }

    #[test]
    fn content_is_decoded_as_zone_syntax() {
        assert_eq!(
            parse_content(RrType::Txt, r#""a \"q\" b\\c \065" "part2""#).unwrap(),
            RecordData::Txt(vec![b"a \"q\" b\\c A".to_vec(), b"part2".to_vec()].into())
        );
        assert_eq!(
            parse_content(RrType::Ptr, "mail.example.com.").unwrap(),
            RecordData::Ptr("mail.example.com".to_owned())
        );
        assert!(parse_content(RrType::A, "not-an-address").is_err());
    }

    #[test]
    fn a_patch_keeps_foreign_and_disabled_records_verbatim() {
        let google = ApiRecord {
            content: "\"google-site-verification=\\065bc\"".to_owned(),
            disabled: false,
        };
        let off = ApiRecord {
            content: "\"old\"".to_owned(),
            disabled: true,
        };
        let google_data = parse_content(RrType::Txt, &google.content).unwrap();
        let stored = vec![
            (Some(google_data.clone()), google.clone()),
            (
                Some(txt("v=spf1 -all")),
                ApiRecord {
                    content: "\"v=spf1 -all\"".to_owned(),
                    disabled: false,
                },
            ),
            (None, off.clone()),
        ];
        let change = RrsetChange {
            key: RrsetKey {
                owner: "example.com".into(),
                rtype: RrType::Txt,
            },
            before: Some(Rrset {
                ttl: 300,
                records: vec![google_data.clone(), txt("v=spf1 -all")],
            }),
            after: Some(Rrset {
                ttl: 300,
                records: vec![google_data, txt("v=spf1 mx -all")],
            }),
            edits: vec![Edit {
                action: Action::Add,
                ttl: 300,
                data: txt("v=spf1 mx -all"),
                reason: Reason::Drift,
            }],
        };
        let patch = serde_json::to_value(patch_rrset(&change, Some(&stored))).unwrap();
        assert_eq!(
            patch,
            serde_json::json!({
                "name": "example.com.", "type": "TXT", "changetype": "REPLACE", "ttl": 300,
                "records": [
                    {"content": "\"google-site-verification=\\065bc\"", "disabled": false},
                    {"content": "\"v=spf1 mx -all\"", "disabled": false},
                    {"content": "\"old\"", "disabled": true},
                ]
            })
        );
        let emptied = RrsetChange {
            after: None,
            ..change
        };
        assert_eq!(
            serde_json::to_value(patch_rrset(&emptied, None)).unwrap(),
            serde_json::json!({"name": "example.com.", "type": "TXT", "changetype": "DELETE"})
        );
        assert_eq!(
            format!("{:?}", ApiKey::new(" secret\n").unwrap()),
            "ApiKey(hidden)"
        );
    }
}
