//! The fuzz targets: one per input surface, each checking its properties
//! by panicking when one fails.
//!
//! - [`spf`]: SPF record text. Parse, lint; a record that parses prints
//!   (its canonical `Display`) as text that parses back to the same record
//!   and prints the same again; an error is located (its column lies in
//!   the text) and its caret display is two lines.
//! - [`zone`]: a master file, and SPF evaluations over it. Read it with the
//!   project's zone reader (an error names a line of the file), serve it
//!   from a `MemoryZone`, run `check_host` and the SPF lint of the domain.
//! - [`inventory`]: inventory YAML. Load it (every error located at
//!   `file:line:col`); plan the records of a valid one, render each zone
//!   as a zone file and read it back with the zone reader: the same records.
//!
//! Every target must also end within a second on any input: AFL++ runs
//! them with `-t 1000` and keeps what takes longer as a hang.

use std::future::Future;
use std::net::IpAddr;
use std::path::Path;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use senderzone::dns::RecordData;
use senderzone::dns::memory::MemoryZone;
use senderzone::dns::zonefile;
use senderzone::inventory::{Inventory, InventoryError};
use senderzone::records::{self, Plan};
use senderzone::render::{self, Render};
use senderzone::spf::{self, CheckParams, Config, Profile};

/// Name the inventory and zone targets give their input in messages.
pub const INVENTORY_FILE: &str = "fuzz.yaml";

/// Name the zone target gives its input in messages.
pub const ZONE_FILE: &str = "fuzz.zone";

/// How the zone target's input asks for an evaluation: a line
/// `; check IP MAIL-FROM HELO` at the top (`-` for an empty MAIL FROM).
/// A comment to the zone reader, so the rest of the file is untouched.
pub const CHECK_PREFIX: &str = "; check ";

/// At most this many evaluations per input, so an input stays fast.
const MAX_CHECKS: usize = 8;

/// Runs a future that never waits: every lookup of a [`MemoryZone`] is
/// answered at once. A future that does wait breaks that property.
fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("an evaluation over an in-memory zone waited"),
    }
}

/// SPF record text: parse, lint, print and parse again.
pub fn spf(data: &[u8]) {
    // As DNS carries it: character-strings of at most 255 octets.
    let strings: Vec<&[u8]> = data.chunks(255).collect();
    let _ = spf::lint_record(&strings, &Profile { strict: true });
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match spf::parse(text) {
        Ok(record) => {
            let _ = spf::lint_record(&[text.as_bytes()], &Profile::default());
            let shown = record.to_string();
            let again = spf::parse(&shown).unwrap_or_else(|err| {
                panic!(
                    "the display of {text:?} does not parse: {shown:?}\n{}",
                    err.render()
                )
            });
            assert_eq!(again, record, "{text:?} prints as {shown:?}, which differs");
            assert_eq!(again.to_string(), shown, "display is not canonical");
        }
        Err(err) => {
            assert!(
                text.is_char_boundary(err.offset),
                "error offset {} of {text:?} is not in the text",
                err.offset
            );
            assert_eq!(
                err.column,
                text[..err.offset].chars().count() + 1,
                "error column of {text:?}"
            );
            let caret = err.render();
            assert_eq!(
                caret.lines().count(),
                2,
                "the caret display of {text:?} is not two lines:\n{caret}"
            );
        }
    }
    if let Ok(explanation) = spf::parse_explanation(text) {
        let shown = explanation.to_string();
        let again = spf::parse_explanation(&shown).unwrap_or_else(|err| {
            panic!("the explanation {text:?} prints as {shown:?}, which does not parse: {err}")
        });
        assert_eq!(again, explanation, "{text:?} prints as {shown:?}");
    }
}

/// One evaluation the zone target runs.
struct Check {
    ip: IpAddr,
    mail_from: String,
    helo: String,
}

/// The `; check` lines at the top of a zone target's input.
fn checks_in(text: &str) -> Vec<Check> {
    text.lines()
        .map_while(|line| line.strip_prefix(CHECK_PREFIX))
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let ip = words.next()?.parse().ok()?;
            let mail_from = match words.next()? {
                "-" => String::new(),
                other => other.to_owned(),
            };
            let helo = words.next().unwrap_or("helo.example").to_owned();
            Some(Check {
                ip,
                mail_from,
                helo,
            })
        })
        .take(MAX_CHECKS)
        .collect()
}

/// A master file and SPF evaluations over it.
pub fn zone(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let entries = match zonefile::parse(Path::new(ZONE_FILE), text) {
        Ok(entries) => entries,
        Err(err) => {
            // A line of the file, or the line just past its end (an
            // unclosed parenthesis).
            let lines = text.lines().count();
            assert!(
                (1..=lines + 1).contains(&err.line),
                "error at line {} of a {lines}-line file: {err}",
                err.line
            );
            return;
        }
    };
    let mut zone = MemoryZone::new();
    let mut spf_owners: Vec<senderzone::names::DomainName> = Vec::new();
    for entry in entries {
        if let RecordData::Txt(strings) = &entry.data
            && spf::is_spf_record(&strings.concat())
            && !spf_owners.contains(&entry.owner)
        {
            spf_owners.push(entry.owner.clone());
        }
        zone.insert(&entry.owner, entry.data);
    }
    let mut checks = checks_in(text);
    if checks.is_empty() {
        // Without `; check` lines: each SPF domain, from an IPv4 and an
        // IPv6 client.
        for owner in spf_owners.iter().take(MAX_CHECKS / 2) {
            for ip in [IpAddr::from([192, 0, 2, 1]), "2001:db8::1".parse().unwrap()] {
                checks.push(Check {
                    ip,
                    mail_from: format!("postmaster@{owner}"),
                    helo: "helo.example".to_owned(),
                });
            }
        }
    }
    let config = Config {
        timestamp: Some(1_700_000_000),
        ..Config::default()
    };
    for check in &checks {
        let params = CheckParams::mail_from(check.ip, &check.mail_from, &check.helo);
        let evaluation = now(spf::check_host(&zone, &params, &config));
        // Writing the outcome and its trace must not panic either.
        let _ = evaluation.to_string();
        let _ = evaluation.trace.to_string();
    }
    for owner in spf_owners.iter().take(2) {
        let _ = now(spf::lint_domain(&zone, owner, &Profile::default()));
    }
}

/// True when `message` starts with `fuzz.yaml:LINE:COLUMN`.
fn is_located(message: &str) -> bool {
    let Some(rest) = message.strip_prefix(INVENTORY_FILE) else {
        return false;
    };
    let mut parts = rest.splitn(4, ':');
    let number = |part: Option<&str>| {
        part.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    parts.next() == Some("") && number(parts.next()) && number(parts.next())
}

/// Inventory YAML: load; plan a valid one and read its zone files back.
pub fn inventory(data: &[u8]) {
    let loaded = match Inventory::from_bytes(Path::new(INVENTORY_FILE), data) {
        Ok(loaded) => loaded,
        Err(err) => {
            // A file of blanks and comments is refused as a whole.
            if !matches!(err, InventoryError::Empty { .. }) {
                for message in err.messages() {
                    assert!(
                        is_located(&message),
                        "an error without a location: {message}"
                    );
                }
            }
            return;
        }
    };
    for warning in &loaded.warnings {
        let message = warning.to_string();
        assert!(
            is_located(&message),
            "a warning without a location: {message}"
        );
    }
    let plan = records::plan(&loaded.inventory);
    zones_read_back(&plan);
}

/// Renders each zone of `plan` as a zone file and reads it back with the
/// zone reader: every record comes back as planned, in order.
fn zones_read_back(plan: &Plan) {
    for zone in &plan.zones {
        let text = render::Zone
            .render_zone(plan, zone)
            .expect("rendering to memory does not fail");
        let text = String::from_utf8(text).expect("a zone file is UTF-8");
        let entries = zonefile::parse(Path::new(zone.origin.as_str()), &text)
            .unwrap_or_else(|err| panic!("a generated zone does not read back: {err}\n{text}"));
        let planned: Vec<(&str, u32, &RecordData)> = zone
            .records
            .iter()
            .map(|r| (r.owner.as_str(), r.ttl, &r.data))
            .collect();
        let read: Vec<(&str, u32, &RecordData)> = entries
            .iter()
            .map(|e| (e.owner.as_str(), e.ttl, &e.data))
            .collect();
        assert_eq!(
            read, planned,
            "zone `{}` reads back otherwise:\n{text}",
            zone.origin
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_recognised() {
        assert!(is_located("fuzz.yaml:3:7: `servers[0]`: bad"));
        assert!(!is_located("fuzz.yaml: `servers`: bad"));
        assert!(!is_located("fuzz.yaml:3: bad"));
        assert!(!is_located("other.yaml:3:7: bad"));
    }
}
