//! A neutral JSON list of records for scripting.

use std::io::{self, Write};

use std::borrow::Cow;

use serde::Serialize;

use super::Render;
use crate::records::{Plan, RecordData, ZonePlan};

/// `[{"zone", "owner", "type", "ttl", "data", "strings"?}]`: owners and
/// names absolute with a trailing dot; TXT `data` is the joined text and
/// `strings` its character-strings.
#[derive(Debug, Default, Clone, Copy)]
pub struct Json;

#[derive(Serialize)]
struct JsonRecord<'a> {
    zone: String,
    owner: String,
    #[serde(rename = "type")]
    kind: Cow<'a, str>,
    ttl: u32,
    data: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    strings: Option<Vec<String>>,
}

fn records(zone: &ZonePlan) -> impl Iterator<Item = JsonRecord<'_>> {
    zone.records.iter().map(|record| {
        let (data, strings) = match &record.data {
            RecordData::Txt(strings) => (
                String::from_utf8_lossy(&strings.concat()).into_owned(),
                Some(
                    strings
                        .iter()
                        .map(|s| String::from_utf8_lossy(s).into_owned())
                        .collect(),
                ),
            ),
            other => (other.to_string(), None),
        };
        JsonRecord {
            zone: zone.origin.fqdn(),
            owner: record.owner.fqdn(),
            kind: record.data.type_name(),
            ttl: record.ttl,
            data,
            strings,
        }
    })
}

/// The records of some zones, serialised one by one as a JSON list.
struct Records<'a>(&'a [ZonePlan]);

impl Serialize for Records<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().flat_map(records))
    }
}

fn write_json(zones: &[ZonePlan], out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &Records(zones))?;
    writeln!(out)
}

impl Render for Json {
    fn extension(&self) -> &'static str {
        "json"
    }

    fn render_zone(&self, _plan: &Plan, zone: &ZonePlan) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        write_json(std::slice::from_ref(zone), &mut out)?;
        Ok(out)
    }

    /// Streams the records: nothing here fails but writing.
    fn render_plan(&self, plan: &Plan, out: &mut dyn Write) -> io::Result<()> {
        write_json(&plan.zones, out)
    }
}
