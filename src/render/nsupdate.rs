//! RFC 2136 dynamic-update scripts for `nsupdate`.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{self, Write};

use super::zone::rdata;
use super::{Render, zone_comment};
use crate::records::{Plan, ZonePlan};

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

    fn render_zone(&self, _plan: &Plan, zone: &ZonePlan, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "; senderzone: {}", zone_comment(zone).join("\n; "))?;
        writeln!(out, "; apply with: nsupdate -k KEYFILE THIS-FILE")?;
        let rrsets: BTreeSet<(&str, Cow<'_, str>)> = zone
            .records
            .iter()
            .map(|r| (r.owner.as_str(), r.data.type_name()))
            .collect();
        for (owner, _) in rrsets.iter().filter(|(_, kind)| kind == "TXT") {
            writeln!(
                out,
                "; note: replaces every TXT record at {owner}.; add any other TXT record it must keep (site verification, DKIM) below"
            )?;
        }
        if let Some(server) = &self.server {
            writeln!(out, "server {server}")?;
        }
        writeln!(out, "zone {}.", zone.origin)?;
        // Deletes first, one per RRset, so the adds rebuild each RRset whole.
        let mut deleted = BTreeSet::new();
        for record in &zone.records {
            let (owner, kind) = (record.owner.as_str(), record.data.type_name());
            if deleted.insert((owner, kind.clone())) {
                writeln!(out, "update delete {owner}. {kind}")?;
            }
        }
        for record in &zone.records {
            writeln!(
                out,
                "update add {}. {} IN {} {}",
                record.owner,
                record.ttl,
                record.data.type_name(),
                rdata(&record.data)
            )?;
        }
        writeln!(out, "send")
    }
}
