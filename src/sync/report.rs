//! The plan as people and programs read it.
//!
//! Text: per zone, one line per record edit in zone-file syntax, `+` to
//! add and `-` to delete, the reason after `;`; then notes, stale records
//! kept, and a summary line per zone and in total. JSON: one object per
//! change (see [`JsonChange`]), the kept stale records, and the same
//! summaries.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

use super::{Action, Edit, Reason, RrsetChange, ZoneDiff};
use crate::names::DomainName;
use crate::render::rdata;

/// What `plan` found for one zone of the record plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneOutcome {
    /// The zone was read and compared.
    Compared(ZoneDiff),
    /// The zone is not the target's to change (an RFC 2317 parent zone the
    /// target does not serve); the reason says whose it is.
    Skipped {
        /// The zone's name.
        zone: DomainName,
        /// Why, and what its operator must publish.
        reason: String,
    },
}

/// The whole plan: every zone's outcome against one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPlan {
    /// The target as the user wrote it (no credentials ever appear in it).
    pub target: String,
    /// Zones in record-plan order.
    pub zones: Vec<ZoneOutcome>,
}

impl SyncPlan {
    /// The compared zones.
    pub fn diffs(&self) -> impl Iterator<Item = &ZoneDiff> {
        self.zones.iter().filter_map(|zone| match zone {
            ZoneOutcome::Compared(diff) => Some(diff),
            ZoneOutcome::Skipped { .. } => None,
        })
    }

    /// True when every compared zone serves the plan.
    pub fn in_sync(&self) -> bool {
        self.diffs().all(ZoneDiff::in_sync)
    }

    /// Records added and deleted over all zones.
    pub fn counts(&self) -> (usize, usize) {
        self.diffs()
            .map(ZoneDiff::counts)
            .fold((0, 0), |(a, d), (za, zd)| (a + za, d + zd))
    }
}

/// One change in `plan --format json`.
///
/// An addition has `new` only, a deletion `old` only; a record replaced
/// by another (`drift`) or rewritten at another TTL (`ttl`) has both.
/// `ttl` is the record's TTL afterwards (for a deletion: as read);
/// `old_ttl` appears when the old record's TTL differs from it. Names are
/// absolute with a trailing dot; `old` and `new` are the record data in
/// zone-file syntax (TXT quoted and escaped, RFC 1035 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonChange {
    /// The zone, e.g. `example.com.`.
    pub zone: String,
    /// The owner name.
    pub owner: String,
    /// The type mnemonic.
    #[serde(rename = "type")]
    pub rtype: &'static str,
    /// The TTL afterwards, or as read for a deletion.
    pub ttl: u32,
    /// The old record's TTL, when it differs from `ttl`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_ttl: Option<u32>,
    /// The record deleted or replaced.
    pub old: Option<String>,
    /// The record added.
    pub new: Option<String>,
    /// `missing`, `drift`, `stale` or `ttl`.
    pub reason: Reason,
}

/// A stale owned record kept because `--prune` was not given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonKept {
    /// The zone.
    pub zone: String,
    /// The owner name.
    pub owner: String,
    /// The type mnemonic.
    #[serde(rename = "type")]
    pub rtype: &'static str,
    /// Its TTL as read.
    pub ttl: u32,
    /// The record data in zone-file syntax.
    pub data: String,
}

/// One zone's summary in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonZone {
    /// The zone.
    pub zone: String,
    /// `axfr`, `queries`, `api`, or `skipped`.
    pub read: &'static str,
    /// Records to add.
    pub add: usize,
    /// Records to delete.
    pub delete: usize,
    /// Notes, as the text form writes them.
    pub notes: Vec<String>,
}

/// `plan --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonPlan {
    /// The target.
    pub target: String,
    /// Every change, zone by zone.
    pub changes: Vec<JsonChange>,
    /// Stale records kept (no `--prune`).
    pub kept: Vec<JsonKept>,
    /// Per-zone summaries.
    pub zones: Vec<JsonZone>,
    /// Records to add over all zones.
    pub add: usize,
    /// Records to delete over all zones.
    pub delete: usize,
    /// True when the target serves the plan already.
    pub in_sync: bool,
}

/// The JSON form of `plan`.
pub fn to_json(plan: &SyncPlan) -> JsonPlan {
    let mut changes = Vec::new();
    let mut kept = Vec::new();
    let mut zones = Vec::new();
    for outcome in &plan.zones {
        match outcome {
            ZoneOutcome::Compared(diff) => {
                let zone = diff.zone.fqdn();
                for change in &diff.changes {
                    json_changes(&zone, change, &mut changes);
                }
                kept.extend(diff.kept.iter().map(|record| JsonKept {
                    zone: zone.clone(),
                    owner: record.key.owner.fqdn(),
                    rtype: record.key.rtype.name(),
                    ttl: record.ttl,
                    data: rdata(&record.data),
                }));
                let (add, delete) = diff.counts();
                zones.push(JsonZone {
                    zone,
                    read: match diff.method {
                        super::ReadMethod::Axfr => "axfr",
                        super::ReadMethod::Queries => "queries",
                        super::ReadMethod::Api => "api",
                    },
                    add,
                    delete,
                    notes: diff.notes.iter().map(ToString::to_string).collect(),
                });
            }
            ZoneOutcome::Skipped { zone, reason } => zones.push(JsonZone {
                zone: zone.fqdn(),
                read: "skipped",
                add: 0,
                delete: 0,
                notes: vec![reason.clone()],
            }),
        }
    }
    let (add, delete) = plan.counts();
    JsonPlan {
        target: plan.target.clone(),
        changes,
        kept,
        zones,
        add,
        delete,
        in_sync: plan.in_sync(),
    }
}

/// The JSON objects of one RRset's change: deletions and additions of one
/// reason paired in order (old → new), the rest alone.
fn json_changes(zone: &str, change: &RrsetChange, out: &mut Vec<JsonChange>) {
    let owner = change.key.owner.fqdn();
    for reason in [Reason::Drift, Reason::Ttl, Reason::Missing, Reason::Stale] {
        let of = |action| {
            change
                .edits
                .iter()
                .filter(move |e| e.reason == reason && e.action == action)
        };
        let mut deletions = of(Action::Delete);
        let mut additions = of(Action::Add);
        loop {
            let (old, new): (Option<&Edit>, Option<&Edit>) = (deletions.next(), additions.next());
            let Some(edit) = new.or(old) else { break };
            out.push(JsonChange {
                zone: zone.to_owned(),
                owner: owner.clone(),
                rtype: change.key.rtype.name(),
                ttl: edit.ttl,
                old_ttl: old.map(|o| o.ttl).filter(|&ttl| ttl != edit.ttl),
                old: old.map(|o| rdata(&o.data)),
                new: new.map(|n| rdata(&n.data)),
                reason,
            });
        }
    }
}

/// ANSI SGR colours of the text form.
const GREEN: &str = "32";
const RED: &str = "31";
const YELLOW: &str = "33";
const BOLD: &str = "1";

/// Writes the plan for people. `colour` adds ANSI colours (only for a
/// terminal, never with `NO_COLOR`: the caller decides).
pub fn write_text(plan: &SyncPlan, out: &mut dyn Write, colour: bool) -> io::Result<()> {
    let mut text = String::new();
    let paint = |code: &str, line: &str| {
        if colour {
            format!("\x1b[{code}m{line}\x1b[0m")
        } else {
            line.to_owned()
        }
    };
    let mut changed_zones = 0;
    for outcome in &plan.zones {
        match outcome {
            ZoneOutcome::Skipped { zone, reason } => {
                let _ = writeln!(text, "; zone {zone}. skipped: {reason}");
            }
            ZoneOutcome::Compared(diff) => {
                let _ = writeln!(
                    text,
                    "; zone {}. (read by {} from {})",
                    diff.zone,
                    diff.method.describe(),
                    plan.target
                );
                write_edits(diff, &mut text, &paint);
                for note in &diff.notes {
                    let _ = writeln!(text, "{}", paint(YELLOW, &format!("; note: {note}")));
                }
                for record in &diff.kept {
                    let _ = writeln!(
                        text,
                        "{}",
                        paint(
                            YELLOW,
                            &format!(
                                "; stale, kept (--prune deletes it): {}. {} IN {} {}",
                                record.key.owner,
                                record.ttl,
                                record.key.rtype,
                                rdata(&record.data)
                            )
                        )
                    );
                }
                let (add, delete) = diff.counts();
                if add + delete > 0 {
                    changed_zones += 1;
                }
                let summary = if diff.in_sync() {
                    format!("; {}.: no changes", diff.zone)
                } else {
                    format!("; {}.: {add} to add, {delete} to delete", diff.zone)
                };
                let _ = writeln!(text, "{}", paint(BOLD, &summary));
            }
        }
        text.push('\n');
    }
    let (add, delete) = plan.counts();
    let compared = plan.diffs().count();
    let total = if plan.in_sync() {
        format!("; total: no changes in {compared} zones")
    } else {
        format!("; total: {add} to add, {delete} to delete in {changed_zones} of {compared} zones")
    };
    let _ = writeln!(text, "{}", paint(BOLD, &total));
    out.write_all(text.as_bytes())
}

/// The edit lines of one zone, owners and types in aligned columns.
fn write_edits(diff: &ZoneDiff, text: &mut String, paint: &impl Fn(&str, &str) -> String) {
    let width = diff
        .changes
        .iter()
        .map(|c| c.key.owner.len() + 1)
        .max()
        .unwrap_or(0)
        .min(48);
    for change in &diff.changes {
        for edit in &change.edits {
            let (sign, code) = match edit.action {
                Action::Add => ('+', GREEN),
                Action::Delete => ('-', RED),
            };
            let line = format!(
                "{sign} {:<width$} {:>6} IN {:<5} {}  ; {}",
                change.key.owner.fqdn(),
                edit.ttl,
                change.key.rtype.name(),
                rdata(&edit.data),
                edit.reason.name(),
            );
            let _ = writeln!(text, "{}", paint(code, &line));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::RecordData;
    use crate::sync::{Note, ReadMethod, RrType, Rrset, RrsetKey};

    fn txt(text: &str) -> RecordData {
        RecordData::Txt(vec![text.as_bytes().to_vec()].into())
    }

    fn sample() -> SyncPlan {
        let key = RrsetKey {
            owner: "example.com".into(),
            rtype: RrType::Txt,
        };
        let change = RrsetChange {
            key,
            before: Some(Rrset {
                ttl: 300,
                records: vec![txt("v=spf1 -all")],
            }),
            after: Some(Rrset {
                ttl: 300,
                records: vec![txt("v=spf1 mx -all")],
            }),
            edits: vec![
                Edit {
                    action: Action::Delete,
                    ttl: 300,
                    data: txt("v=spf1 -all"),
                    reason: Reason::Drift,
                },
                Edit {
                    action: Action::Add,
                    ttl: 300,
                    data: txt("v=spf1 mx -all"),
                    reason: Reason::Drift,
                },
            ],
        };
        let addition = RrsetChange {
            key: RrsetKey {
                owner: "mail.example.com".into(),
                rtype: RrType::A,
            },
            before: None,
            after: Some(Rrset {
                ttl: 3600,
                records: vec![RecordData::A("192.0.2.1".parse().unwrap())],
            }),
            edits: vec![Edit {
                action: Action::Add,
                ttl: 3600,
                data: RecordData::A("192.0.2.1".parse().unwrap()),
                reason: Reason::Missing,
            }],
        };
        SyncPlan {
            target: "rfc2136://127.0.0.1:5353".to_owned(),
            zones: vec![
                ZoneOutcome::Compared(ZoneDiff {
                    zone: "example.com".into(),
                    method: ReadMethod::Axfr,
                    changes: vec![change, addition],
                    kept: Vec::new(),
                    notes: vec![Note::PartialRead],
                }),
                ZoneOutcome::Skipped {
                    zone: "100.51.198.in-addr.arpa".into(),
                    reason: "not served".to_owned(),
                },
            ],
        }
    }

    #[test]
    fn text_shows_each_edit_in_zone_syntax_with_its_reason() {
        let mut out = Vec::new();
        write_text(&sample(), &mut out, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("- example.com.         300 IN TXT   \"v=spf1 -all\"  ; drift\n"),
            "{text}"
        );
        assert!(
            text.contains("+ mail.example.com.   3600 IN A     192.0.2.1  ; missing\n"),
            "{text}"
        );
        assert!(
            text.contains("; example.com.: 2 to add, 1 to delete\n"),
            "{text}"
        );
        assert!(text.contains("; zone 100.51.198.in-addr.arpa. skipped: not served\n"));
        assert!(text.ends_with("; total: 2 to add, 1 to delete in 1 of 1 zones\n"));
        assert!(!text.contains('\x1b'));
        let mut coloured = Vec::new();
        write_text(&sample(), &mut coloured, true).unwrap();
        assert!(
            String::from_utf8(coloured)
                .unwrap()
                .contains("\x1b[31m- example.com.")
        );
    }

    #[test]
    fn json_pairs_old_and_new_values() {
        let json = serde_json::to_value(to_json(&sample())).unwrap();
        assert_eq!(
            json["changes"][0],
            serde_json::json!({
                "zone": "example.com.", "owner": "example.com.", "type": "TXT", "ttl": 300,
                "old": "\"v=spf1 -all\"", "new": "\"v=spf1 mx -all\"", "reason": "drift"
            })
        );
        assert_eq!(
            json["changes"][1],
            serde_json::json!({
                "zone": "example.com.", "owner": "mail.example.com.", "type": "A", "ttl": 3600,
                "old": null, "new": "192.0.2.1", "reason": "missing"
            })
        );
        assert_eq!(json["zones"][1]["read"], "skipped");
        assert_eq!(json["add"], 2);
        assert_eq!(json["in_sync"], false);
    }
}
