//! RFC 2136 dynamic-update scripts for `nsupdate`.

use std::fmt::Write as _;
use std::io;

use foldhash::{HashSet, HashSetExt};

use super::zone::push_rdata;
use super::{Render, zone_comment};
use crate::records::{Plan, RecordData, ZonePlan};

/// An `nsupdate` script per zone: delete each RRset the plan owns, add the
/// planned records, `send`. The whole zone's change is one UPDATE message.
#[derive(Debug, Default, Clone)]
pub struct Nsupdate {
    /// `server` line target (`HOST` or `HOST PORT`); without it nsupdate
    /// sends to the zone's primary from its SOA.
    pub server: Option<String>,
}

impl Render for Nsupdate {
    fn extension(&self) -> &'static str {
        "nsupdate"
    }

    fn render_zone(&self, _plan: &Plan, zone: &ZonePlan) -> io::Result<Vec<u8>> {
        let mut text = String::new();
        let _ = writeln!(text, "; senderzone: {}", zone_comment(zone).join("\n; "));
        text.push_str("; apply with: nsupdate -k KEYFILE THIS-FILE\n");
        let mut txt_owners: Vec<&str> = zone
            .records
            .iter()
            .filter(|r| matches!(r.data, RecordData::Txt(_)))
            .map(|r| r.owner.as_str())
            .collect();
        txt_owners.sort_unstable();
        txt_owners.dedup();
        for owner in txt_owners {
            let _ = writeln!(
                text,
                "; note: replaces every TXT record at {owner}.; add below any other TXT record of that name it must keep (a site verification string, for example)"
            );
        }
        if let Some(server) = &self.server {
            let _ = writeln!(text, "server {server}");
        }
        let _ = writeln!(text, "zone {}.", zone.origin);
        // Deletes first, one per RRset, so the adds rebuild each RRset whole.
        let mut deleted = HashSet::new();
        for record in &zone.records {
            let (owner, kind) = (record.owner.as_str(), record.data.type_name());
            if deleted.insert((owner, kind.clone())) {
                let _ = writeln!(text, "update delete {owner}. {kind}");
            }
        }
        for record in &zone.records {
            let _ = write!(
                text,
                "update add {}. {} IN {} ",
                record.owner,
                record.ttl,
                record.data.type_name()
            );
            push_rdata(&mut text, &record.data);
            text.push('\n');
        }
        text.push_str("send\n");
        Ok(text.into_bytes())
    }
}
