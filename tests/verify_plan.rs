//! `verify` checks every record of the plan against NSD on loopback: the
//! DMARC record and report authorisation, chained `_spfN` parts, the SPF
//! record of a server's host name beside its HELO name; the fixes are the
//! planned records as `generate` writes them, findings an inventory value
//! causes name its place, and `--fail-on` sets what fails the run. The text
//! report is pinned by snapshots (`tests/snapshots/`; `SNAPSHOTS=overwrite`
//! rewrites them).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{self, BIN, Nsd, text};

/// Two domains, one of whose SPF record needs a chained part; a server
/// with a HELO name of its own; DMARC reports to another zone of the
/// inventory, which plans their authorisation; a private network in `ip4`.
const INVENTORY: &str = "\
ttl: 3600
zones: [example.net, example.org]
reverse_zones: [192.0.2.0/24, 198.51.100.64/26]
servers:
  - hostname: mail.example.net
    ipv4: [192.0.2.10]
  - hostname: out.example.net
    helo: smtp.example.net
    ipv4: [198.51.100.70]
domains:
  - name: example.net
    servers: [mail.example.net, out.example.net]
    ip4: [203.0.113.0/24, 10.1.0.0/16]
    dmarc:
      policy: reject
      rua: [dmarc@example.org]
  - name: bulk.example.net
    servers: [mail.example.net]
    ip4: [BULK]
";

/// The inventory, with 40 addresses no network joins for
/// `bulk.example.net`: more than one record of 450 octets holds.
fn inventory_text() -> String {
    let bulk: Vec<String> = (0..40)
        .map(|i| format!("203.0.113.{}", 2 * i + 1))
        .collect();
    INVENTORY.replace("BULK", &bulk.join(", "))
}

/// The inventory without `bulk.example.net`, for the text snapshots.
fn small_inventory() -> String {
    INVENTORY[..INVENTORY.find("  - name: bulk.example.net").unwrap()].to_owned()
}

/// The inventory in a directory, with the zones `generate` wrote for it.
struct World {
    dir: tempfile::TempDir,
    inventory: PathBuf,
    /// (origin, generated snippet).
    generated: Vec<(String, String)>,
    /// (origin, zone as served).
    zones: Vec<(String, String)>,
}

impl World {
    fn new() -> World {
        World::with(&inventory_text())
    }

    fn with(inventory_text: &str) -> World {
        let dir = tempfile::tempdir().unwrap();
        let inventory = dir.path().join("inventory.yaml");
        std::fs::write(&inventory, inventory_text).unwrap();
        let generated: Vec<(String, String)> = support::generated_zones(&inventory)
            .into_iter()
            .map(|(origin, snippet)| (origin, one_line_each(&snippet)))
            .collect();
        let zones = generated
            .iter()
            .map(|(origin, snippet)| (origin.clone(), support::wrap_zone(origin, snippet)))
            .collect();
        World {
            dir,
            inventory,
            generated,
            zones,
        }
    }

    /// The inventory with `from` replaced by `to`, beside the first; the
    /// zones stay those of the first (`generate` may refuse the new one).
    fn inventory_with(&self, from: &str, to: &str) -> PathBuf {
        let text = std::fs::read_to_string(&self.inventory).unwrap();
        assert!(text.contains(from), "{from}");
        let file = self.dir.path().join("changed.yaml");
        std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
        file
    }

    /// Removes the record of type `rtype` at the relative `owner` from zone
    /// `origin`.
    fn remove(&mut self, origin: &str, owner: &str, rtype: &str) {
        let zone = self.zone(origin);
        let line = zone
            .lines()
            .find(|l| {
                let fields: Vec<&str> = l.split_whitespace().collect();
                fields.len() > 3 && fields[0] == owner && fields[3] == rtype
            })
            .unwrap_or_else(|| panic!("no {rtype} at `{owner}` in {origin}:\n{zone}"))
            .to_owned();
        *zone = zone.replacen(&format!("{line}\n"), "", 1);
    }

    /// Replaces `from` by `to` in zone `origin`, which must hold it.
    fn edit(&mut self, origin: &str, from: &str, to: &str) {
        let zone = self.zone(origin);
        assert!(zone.contains(from), "`{from}` not in {origin}:\n{zone}");
        *zone = zone.replacen(from, to, 1);
    }

    fn zone(&mut self, origin: &str) -> &mut String {
        &mut self
            .zones
            .iter_mut()
            .find(|(o, _)| o == origin)
            .unwrap_or_else(|| panic!("no zone `{origin}`"))
            .1
    }

    fn serve(&self) -> Nsd {
        Nsd::start(&self.zones)
    }

    /// The generated record whose owner and type are those of the zone
    /// line `record`, normalised (see [`normalise`]).
    fn planned(&self, record: &str) -> String {
        let (owner, _, rtype, _) = normalise(record, "");
        for (origin, snippet) in &self.generated {
            for line in snippet.lines() {
                if line.starts_with('$') || line.starts_with(';') || line.trim().is_empty() {
                    continue;
                }
                let planned = normalise(line, origin);
                if planned.0 == owner && planned.2 == rtype {
                    let (o, ttl, t, data) = planned;
                    return format!("{o} {ttl} IN {t} {data}");
                }
            }
        }
        panic!("generate planned no {rtype} at {owner}");
    }
}

/// A zone snippet with each record on one line: a record that `(` … `)`
/// continues over lines is joined, the parentheses dropped.
fn one_line_each(snippet: &str) -> String {
    let mut out = String::new();
    let mut open = false;
    for line in snippet.lines() {
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => {
                    quoted = !quoted;
                    out.push(c);
                }
                '(' if !quoted => open = true,
                ')' if !quoted => open = false,
                _ => out.push(c),
            }
        }
        out.push(if open { ' ' } else { '\n' });
    }
    out
}

/// A zone line as (absolute owner, TTL, type, data with blanks collapsed);
/// a relative owner is completed with `origin`.
fn normalise(line: &str, origin: &str) -> (String, String, String, String) {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let owner = match fields[0] {
        "@" => format!("{origin}."),
        o if o.ends_with('.') => o.to_owned(),
        o => format!("{o}.{origin}."),
    };
    assert_eq!(fields[2], "IN", "{line}");
    (
        owner.to_ascii_lowercase(),
        fields[1].to_owned(),
        fields[3].to_owned(),
        fields[4..].join(" "),
    )
}

/// A zone line normalised as [`World::planned`] returns it.
fn shown(record: &str) -> String {
    let (owner, ttl, rtype, data) = normalise(record, "");
    format!("{owner} {ttl} IN {rtype} {data}")
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `verify --format json` of `inventory` against `nsd`, with `extra`.
fn verify(nsd: &Nsd, inventory: &Path, extra: &[&str]) -> (Output, Value) {
    let output = Command::new(BIN)
        .args([
            "verify",
            path(inventory),
            "--format",
            "json",
            "--nameserver",
        ])
        .arg(nsd.addr().to_string())
        .args(["--timeout", "20"])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}):\n{}", text(&output)));
    (output, report)
}

/// The one finding with `id` about `subject`.
fn finding<'a>(report: &'a Value, id: &str, subject: &str) -> &'a Value {
    let found: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id && f["subject"] == subject)
        .collect();
    match found.as_slice() {
        [one] => one,
        _ => panic!("{} `{id}` for `{subject}` in {report:#}", found.len()),
    }
}

fn ids(report: &Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect()
}

/// The records of a finding's fix, each checked against what `generate`
/// planned for its owner and type.
fn assert_planned(world: &World, finding: &Value) {
    let records = finding["records"].as_array().expect("records");
    assert!(!records.is_empty(), "{finding:#}");
    for record in records {
        let record = record.as_str().unwrap();
        assert_eq!(shown(record), world.planned(record), "{finding:#}");
    }
}

#[test]
fn the_plan_served_verifies_with_warnings_only_and_fail_on_warning_fails() {
    let world = World::new();
    let nsd = world.serve();
    let (output, report) = verify(&nsd, &world.inventory, &[]);
    assert_eq!(output.status.code(), Some(0), "{report:#}\n{}", nsd.log());
    assert_eq!(report["summary"]["errors"], 0, "{report:#}");
    let warnings = report["summary"]["warnings"].as_u64().unwrap();
    assert!(warnings > 0, "{report:#}");
    let (output, _) = verify(&nsd, &world.inventory, &["--fail-on", "warning"]);
    assert_eq!(output.status.code(), Some(1));
    let (output, _) = verify(&nsd, &world.inventory, &["--fail-on", "info"]);
    assert_eq!(output.status.code(), Some(1));
    let (output, _) = verify(&nsd, &world.inventory, &["--fail-on", "error"]);
    assert_eq!(output.status.code(), Some(0));
    let output = Command::new(BIN)
        .args(["verify", path(&world.inventory), "--fail-on", "notice"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}

#[test]
fn a_private_network_of_the_inventory_names_its_place() {
    let world = World::new();
    let nsd = world.serve();
    let (_, report) = verify(&nsd, &world.inventory, &[]);
    let private: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["id"] == "spf-private-address"
                && f["message"].as_str().unwrap().contains("10.1.0.0/16")
        })
        .collect();
    assert_eq!(private.len(), 1, "{report:#}");
    let place = &private[0]["inventory"];
    assert_eq!(place["path"], "domains[0].ip4[1]", "{report:#}");
    assert_eq!(place["file"], path(&world.inventory));
    let text = inventory_text();
    let (line, content) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("10.1.0.0/16"))
        .unwrap();
    assert_eq!(place["line"], line + 1);
    assert_eq!(place["column"], content.find("10.1.0.0/16").unwrap() + 1);
    // A server address in documentation space names the server's address.
    let server = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["id"] == "spf-private-address"
                && f["message"].as_str().unwrap().contains("198.51.100.70")
        })
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(server["inventory"]["path"], "servers[1].ipv4[0]");
}

#[test]
fn a_removed_dmarc_record_is_dmarc_missing_with_the_planned_record() {
    let mut world = World::new();
    world.remove("example.net", "_dmarc", "TXT");
    let nsd = world.serve();
    let (output, report) = verify(&nsd, &world.inventory, &[]);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let missing = finding(&report, "dmarc-missing", "_dmarc.example.net");
    assert_eq!(missing["severity"], "error");
    assert_eq!(
        missing["expected"],
        "v=DMARC1; p=reject; rua=mailto:dmarc@example.org"
    );
    assert_planned(&world, missing);
}

#[test]
fn a_different_dmarc_record_and_a_missing_authorisation_are_errors() {
    let mut world = World::new();
    world.edit("example.net", "p=reject", "p=none");
    world.remove("example.org", "example.net._report._dmarc", "TXT");
    let nsd = world.serve();
    let (output, report) = verify(&nsd, &world.inventory, &[]);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let drift = finding(&report, "dmarc-drift", "_dmarc.example.net");
    assert_eq!(
        drift["actual"],
        "v=DMARC1; p=none; rua=mailto:dmarc@example.org"
    );
    assert_planned(&world, drift);
    let unauthorised = finding(&report, "dmarc-rua-unauthorized", "_dmarc.example.net");
    assert_eq!(unauthorised["severity"], "error");
    assert_planned(&world, unauthorised);
}

#[test]
fn the_host_name_spf_record_of_a_server_with_helo_is_checked() {
    let mut world = World::new();
    world.remove("example.net", "out", "TXT");
    let nsd = world.serve();
    let (output, report) = verify(&nsd, &world.inventory, &[]);
    // `out` had only its SPF record: the A record stays.
    assert!(ids(&report).contains(&"host-spf-missing"), "{report:#}");
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let missing = finding(&report, "host-spf-missing", "out.example.net");
    assert_eq!(missing["expected"], "v=spf1 a -all");
    assert_planned(&world, missing);
    // The HELO name's own record is still there.
    assert!(!ids(&report).contains(&"helo-spf-missing"), "{report:#}");
}

#[test]
fn a_missing_chained_spf_part_is_spf_missing_with_its_record() {
    let mut world = World::new();
    world.remove("example.net", "_spf1.bulk", "TXT");
    let nsd = world.serve();
    let (output, report) = verify(&nsd, &world.inventory, &[]);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let missing = finding(&report, "spf-missing", "_spf1.bulk.example.net");
    assert_eq!(missing["severity"], "error");
    assert_planned(&world, missing);
    // The top record's include of it fails the lint, too.
    assert!(
        ids(&report).contains(&"spf-include-no-record"),
        "{report:#}"
    );
}

#[test]
fn fixes_are_the_planned_records() {
    let mut world = World::new();
    // The top SPF record loses a network, a server its A record, an
    // address in the classless zone its PTR.
    world.edit("example.net", " ip4:203.0.113.0/24", "");
    world.remove("example.net", "mail", "A");
    world.remove("64-26.100.51.198.in-addr.arpa", "70", "PTR");
    let nsd = world.serve();
    let (output, report) = verify(&nsd, &world.inventory, &[]);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let drift = finding(&report, "spf-drift", "example.net");
    assert_eq!(drift["severity"], "error");
    assert_planned(&world, drift);
    for (id, subject) in [
        ("a-missing", "mail.example.net"),
        ("fcrdns-fail", "192.0.2.10"),
        ("ptr-missing", "198.51.100.70"),
    ] {
        assert_planned(&world, finding(&report, id, subject));
    }
    // The PTR of a delegated address is published in the classless zone.
    assert_eq!(
        finding(&report, "ptr-missing", "198.51.100.70")["records"][0],
        "70.64-26.100.51.198.in-addr.arpa. 3600 IN PTR out.example.net."
    );
}

#[test]
fn a_generic_ptr_is_never_advised_as_the_helo_name() {
    let mut world = World::new();
    world.edit(
        "2.0.192.in-addr.arpa",
        "PTR   mail.example.net.",
        "PTR   192-0-2-10.dyn.example.org.",
    );
    let zone = world.zone("example.org");
    zone.push_str("192-0-2-10.dyn 3600 IN A 192.0.2.10\n");
    let nsd = world.serve();
    let (_, report) = verify(&nsd, &world.inventory, &[]);
    let generic = finding(&report, "ptr-generic", "192.0.2.10");
    assert_planned(&world, generic);
    let helo = finding(&report, "helo-ptr-mismatch", "mail.example.net");
    let fix = helo["fix"].as_str().unwrap();
    assert!(fix.contains("ask the owner of 192.0.2.10"), "{fix}");
    assert!(fix.contains("`mail.example.net`"), "{fix}");
    assert!(!fix.contains("dyn"), "{fix}");
    assert_planned(&world, helo);
    // FCrDNS passes through the generic name; nothing advises publishing
    // an address at it.
    assert!(
        !report
            .to_string()
            .contains("192-0-2-10.dyn.example.org. 3600 IN A"),
        "{report:#}"
    );
}

#[test]
fn a_generic_host_name_is_reported_for_its_ptr_and_its_helo() {
    // The host name is the PTR name and the HELO name: one reading of it
    // serves both checks.
    let world =
        World::with(&inventory_text().replace("mail.example.net", "dsl-10.pool.example.net"));
    let nsd = world.serve();
    let (_, report) = verify(&nsd, &world.inventory, &[]);
    let ptr = finding(&report, "ptr-generic", "192.0.2.10");
    assert_eq!(ptr["severity"], "error");
    let message = ptr["message"].as_str().unwrap();
    assert!(
        message.contains("(the token `dsl` (weight 4))"),
        "{message}"
    );
    let helo = finding(&report, "helo-generic", "dsl-10.pool.example.net");
    let message = helo["message"].as_str().unwrap();
    assert!(
        message.contains("(the token `dsl` (weight 4))"),
        "{message}"
    );
    // The other server's names are its own.
    let generic: Vec<&str> = ids(&report)
        .into_iter()
        .filter(|id| id.ends_with("-generic"))
        .collect();
    assert_eq!(generic, ["ptr-generic", "helo-generic"], "{report:#}");
}

#[test]
fn an_invalid_helo_is_fixed_in_the_mta_and_the_inventory() {
    let world = World::new();
    let inventory = world.inventory_with("helo: smtp.example.net", "helo: localhost.localdomain");
    let nsd = world.serve();
    let (_, report) = verify(&nsd, &inventory, &[]);
    let invalid = finding(&report, "helo-invalid", "localhost.localdomain");
    let fix = invalid["fix"].as_str().unwrap();
    for setting in [
        "myhostname",
        "smtp_helo_name",
        "primary_hostname",
        "helo_data",
        "confDOMAIN_NAME",
        "send connector",
        "remove `helo:`",
    ] {
        assert!(fix.contains(setting), "{setting}: {fix}");
    }
    assert_eq!(invalid["inventory"]["path"], "servers[1].helo");
    assert_eq!(invalid["inventory"]["line"], 8);
    assert_eq!(invalid["inventory"]["column"], 11);
}

#[test]
fn a_helo_name_generate_refuses_is_fixed_in_the_inventory_first() {
    // Another server's name: generate publishes nothing for it, so
    // publishing "what generate writes" cannot fix it.
    let world = World::new();
    let inventory = world.inventory_with("helo: smtp.example.net", "helo: mail.example.net");
    let nsd = world.serve();
    let (output, report) = verify(&nsd, &inventory, &[]);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let found = finding(&report, "helo-ip-mismatch", "mail.example.net");
    let fix = found["fix"].as_str().unwrap();
    assert!(
        fix.contains("first change `helo:` in the inventory"),
        "{fix}"
    );
    assert!(found.get("records").is_none(), "{found:#}");
    assert_eq!(found["inventory"]["path"], "servers[1].helo");
}

/// The text report of `verify` of `inventory` with `extra`, paths and
/// ports made stable.
fn text_report(world: &World, inventory: &Path, nsd: &Nsd, extra: &[&str]) -> String {
    let output = Command::new(BIN)
        .args(["verify", path(inventory), "--nameserver"])
        .arg(nsd.addr().to_string())
        .args(["--timeout", "20"])
        .args(extra)
        .output()
        .unwrap();
    let shown = String::from_utf8(output.stdout).unwrap();
    let dir = world.dir.path().to_str().unwrap();
    shown
        .replace(dir, "[ROOT]")
        .replace(&nsd.port().to_string(), "[PORT]")
}

#[test]
fn text_of_a_clean_run() {
    let world = World::with(&small_inventory());
    let nsd = world.serve();
    snapbox::assert_data_eq!(
        text_report(&world, &world.inventory, &nsd, &[]),
        snapbox::file!["snapshots/verify-clean.txt"]
    );
}

#[test]
fn text_of_a_run_with_planned_records_missing() {
    let mut world = World::with(&small_inventory());
    world.remove("example.net", "_dmarc", "TXT");
    world.remove("example.net", "out", "TXT");
    world.edit("example.net", " ip4:203.0.113.0/24", "");
    world.edit(
        "2.0.192.in-addr.arpa",
        "PTR   mail.example.net.",
        "PTR   192-0-2-10.dyn.example.org.",
    );
    world
        .zone("example.org")
        .push_str("192-0-2-10.dyn 3600 IN A 192.0.2.10\n");
    let nsd = world.serve();
    snapbox::assert_data_eq!(
        text_report(&world, &world.inventory, &nsd, &[]),
        snapbox::file!["snapshots/verify-missing.txt"]
    );
}

#[test]
fn text_of_a_refused_helo_name() {
    let world = World::with(&small_inventory());
    let inventory = world.inventory_with("helo: smtp.example.net", "helo: localhost.localdomain");
    let nsd = world.serve();
    snapbox::assert_data_eq!(
        text_report(&world, &inventory, &nsd, &["-q"]),
        snapbox::file!["snapshots/verify-helo-invalid.txt"]
    );
}

#[test]
fn a_missing_cname_of_an_unused_address_of_a_classless_block_is_a_warning() {
    let mut world = World::new();
    world.remove("100.51.198.in-addr.arpa", "64", "CNAME");
    let nsd = world.serve();
    let (output, report) = verify(&nsd, &world.inventory, &[]);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let missing = finding(
        &report,
        "ptr-block-cname-missing",
        "64-26.100.51.198.in-addr.arpa",
    );
    assert_eq!(missing["severity"], "warning");
    assert_eq!(missing["records"].as_array().unwrap().len(), 1);
    assert_planned(&world, missing);
    let (output, _) = verify(&nsd, &world.inventory, &["--fail-on", "warning"]);
    assert_eq!(output.status.code(), Some(1));
}
