//! The `powerdns` form against a real PowerDNS Authoritative 4.7
//! (gsqlite3 backend, HTTP API on loopback, formats.md §4.4 and §5.5):
//! zones are created through the API, the generated PATCH bodies are sent
//! as they are, and every record PowerDNS then serves over DNS equals the
//! plan, TXT strings byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

use senderzone::dns::Txt;
use senderzone::inventory::Inventory;
use senderzone::records::{self, Plan, Record, RecordData, ZonePlan, ZoneRole};
use senderzone::render::{self, Provider, Render, Template};

use crate::support::{self, BIN, PowerDns, sorted};

/// Asks PowerDNS for every RRset of `zones` and compares with the plan:
/// TXT strings byte for byte (and joined), addresses and names exactly.
fn assert_served(server: &PowerDns, zones: &[ZonePlan]) {
    let mut checked = 0;
    for zone in zones {
        let mut start = 0;
        while start < zone.records.len() {
            let first = &zone.records[start];
            let kind = first.data.type_name();
            let rrset: Vec<&Record> = zone.records[start..]
                .iter()
                .take_while(|r| r.owner == first.owner && r.data.type_name() == kind)
                .collect();
            start += rrset.len();
            let context = format!("{} {kind}\n{}", first.owner, server.log());
            let owner = first.owner.as_str();
            match kind.as_ref() {
                "TXT" => {
                    let want: Vec<Txt> = sorted(
                        rrset
                            .iter()
                            .map(|r| match &r.data {
                                RecordData::Txt(strings) => strings.clone(),
                                _ => unreachable!(),
                            })
                            .collect(),
                    );
                    let served = sorted(support::query_txt(server.dns, owner));
                    assert_eq!(served, want, "{context}");
                    let joined: Vec<Vec<u8>> = served.iter().map(|s| s.concat()).collect();
                    let want_joined: Vec<Vec<u8>> = want.iter().map(|s| s.concat()).collect();
                    assert_eq!(joined, want_joined, "{context}: joined");
                }
                "A" => assert_eq!(
                    sorted(support::query_a(server.dns, owner)),
                    sorted(
                        rrset
                            .iter()
                            .filter_map(|r| match r.data {
                                RecordData::A(ip) => Some(ip),
                                _ => None,
                            })
                            .collect()
                    ),
                    "{context}"
                ),
                "AAAA" => assert_eq!(
                    sorted(support::query_aaaa(server.dns, owner)),
                    sorted(
                        rrset
                            .iter()
                            .filter_map(|r| match r.data {
                                RecordData::Aaaa(ip) => Some(ip),
                                _ => None,
                            })
                            .collect()
                    ),
                    "{context}"
                ),
                "PTR" => assert_eq!(
                    sorted(support::query_ptr(server.dns, owner)),
                    sorted(rrset.iter().map(|r| r.data.to_string()).collect()),
                    "{context}"
                ),
                "CNAME" => assert_eq!(
                    support::query_cname(server.dns, owner),
                    Some(rrset[0].data.to_string()),
                    "{context}"
                ),
                other => panic!("unexpected type {other}"),
            }
            checked += rrset.len();
        }
    }
    assert!(checked > 0, "nothing was checked");
}

fn corner() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/providers/corner.yaml")
}

#[test]
fn powerdns_serves_exactly_the_plan_after_the_generated_patches() {
    let inventory = corner();
    let plan = records::plan(&Inventory::load(&inventory).unwrap().inventory);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pdns");
    let output = Command::new(BIN)
        .args([
            "generate",
            inventory.to_str().unwrap(),
            "--format",
            "powerdns",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = Command::new(BIN)
        .args([
            "generate",
            inventory.to_str().unwrap(),
            "--format",
            "powerdns",
        ])
        .output()
        .unwrap();
    assert!(stdout.status.success());
    let whole: serde_json::Value = serde_json::from_slice(&stdout.stdout).unwrap();

    // The inventory covers what the test is about.
    let origins: Vec<&str> = plan.zones.iter().map(|z| z.origin.as_str()).collect();
    assert!(
        origins.contains(&"128/25.100.51.198.in-addr.arpa"),
        "{origins:?}"
    );
    assert!(
        origins.iter().any(|o| o.ends_with("ip6.arpa")),
        "{origins:?}"
    );
    assert!(
        plan.zones
            .iter()
            .any(|z| matches!(z.role, ZoneRole::ClasslessParent { .. }))
    );

    let server = PowerDns::start();
    for zone in &plan.zones {
        let id = server.create_zone(&zone.origin);
        // The id PowerDNS gave the zone is the one we print: `/` as `=2F`.
        assert_eq!(id, render::powerdns_zone_id(&zone.origin));
        assert!(whole.get(&id).is_some(), "stdout has no key {id}");
        let file = out.join(render::file_name(zone, "json"));
        let body: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(whole[&id], body, "stdout and --out agree for {id}");
        server.patch(&id, &file);
    }
    assert!(
        whole
            .as_object()
            .unwrap()
            .contains_key("128=2F25.100.51.198.in-addr.arpa.")
    );
    assert_served(&server, &plan.zones);
    // The chained SPF record really spans several strings.
    let apex = support::query_txt(server.dns, "example.net");
    assert!(apex[0].len() >= 2, "{apex:?}");
}

#[test]
fn powerdns_keeps_quotes_backslashes_semicolons_and_long_txt_byte_exact() {
    let long: Vec<u8> = (0..600).map(|i| b'a' + (i % 26) as u8).collect();
    let mut strings = vec![long[..255].to_vec(), long[255..510].to_vec()];
    strings.push(long[510..].to_vec());
    let txt = |owner: &str, strings: Vec<Vec<u8>>| Record {
        owner: owner.into(),
        ttl: 300,
        data: RecordData::Txt(strings.into()),
    };
    let zone = ZonePlan {
        origin: "special.test".into(),
        role: ZoneRole::Forward,
        records: vec![
            txt(
                "special.test",
                vec![b"v=DMARC1; p=reject; a \"q\" b\\c".to_vec()],
            ),
            txt("long.special.test", strings),
            txt(
                "bytes.special.test",
                vec![b"tab\there \x00\x7f\xff end".to_vec(), b"".to_vec()],
            ),
        ],
    };
    let plan = Plan {
        default_ttl: 300,
        diagnostics: Vec::new(),
        zones: vec![zone],
    };
    let body = Template::provider(Provider::Powerdns)
        .render_zone(&plan, &plan.zones[0])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("special.json");
    std::fs::write(&file, &body).unwrap();

    let server = PowerDns::start();
    let id = server.create_zone("special.test");
    server.patch(&id, &file);
    assert_served(&server, &plan.zones);
    // `_` is escaped in zone ids too (pdns apiZoneNameToId).
    let underscore = server.create_zone("_tls.special.test");
    assert_eq!(underscore, render::powerdns_zone_id("_tls.special.test"));
}
