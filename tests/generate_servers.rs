//! Generated zones against real oracles: every zone is accepted by
//! `named-checkzone` and `nsd-checkzone`, served by NSD and BIND on
//! loopback and queried back equal to the plan; the nsupdate scripts are
//! applied to a TSIG-protected BIND and give the same answers.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use senderzone::dns::Txt;
use senderzone::inventory::Inventory;
use senderzone::records::{self, Plan, RecordData};

use crate::support::{self, BIN, repo_file, sorted};

/// An inventory exercising the corners: a chained SPF record with
/// multi-string TXT, RFC 2317 slash labels, per-record TTLs, IPv6 PTRs,
/// a HELO name different from the hostname, nested zones.
pub(crate) fn corner_inventory() -> String {
    let mut yaml = String::from(
        "ttl: 7200\nzones: [example.net, lab.example.net]\nclassless_labels: rfc2317\n\
         reverse_zones: [198.51.100.128/25, 192.0.2.0/24, 2001:db8:77::/48]\nservers:\n\
         \x20 - hostname: relay.lab.example.net\n    helo: out.example.net\n    ipv4: [198.51.100.130]\n    ipv6: [2001:db8:77::1]\n    ttl: 300\n",
    );
    let mut names = vec!["relay.lab.example.net".to_owned()];
    for i in 0..40 {
        yaml.push_str(&format!(
            "  - hostname: m{i}.example.net\n    ipv4: [192.0.2.{}]\n",
            2 * i + 1
        ));
        names.push(format!("m{i}.example.net"));
    }
    yaml.push_str(&format!(
        "domains:\n  - name: example.net\n    servers: [{}]\n    include: [_spf.vendor.example]\n    all: softfail\n    ttl: 600\n\
         \x20 - name: lab.example.net\n    servers: [relay.lab.example.net]\n",
        names.join(", ")
    ));
    yaml
}

struct Generated {
    plan: Plan,
    /// (origin, zone-file snippet) as the binary wrote them with `--out`.
    zones: Vec<(String, String)>,
    inventory: PathBuf,
}

impl Generated {
    /// Each zone behind a test SOA and NS, ready to serve.
    fn wrapped(&self) -> Vec<(String, String)> {
        self.zones
            .iter()
            .map(|(origin, text)| (origin.clone(), support::wrap_zone(origin, text)))
            .collect()
    }
}

fn generate(inventory: &Path) -> Generated {
    let zones = support::generated_zones(inventory);
    let loaded = Inventory::load(inventory).unwrap();
    let plan = records::plan(&loaded.inventory);
    assert_eq!(plan.diagnostics, []);
    assert_eq!(zones.len(), plan.zones.len());
    Generated {
        plan,
        zones,
        inventory: inventory.to_owned(),
    }
}

fn fixture(name: &str, text: &str, dir: &Path) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn inventories(dir: &Path) -> Vec<PathBuf> {
    vec![
        repo_file("examples/inventory.yaml"),
        repo_file("templates/inventory.yaml"),
        fixture("corner.yaml", &corner_inventory(), dir),
    ]
}

/// Asks `server` for every RRset of the plan and compares: TXT strings
/// byte for byte (and joined), address and name sets exactly.
fn assert_served(server: SocketAddr, plan: &Plan, label: &str) {
    let mut rrsets: BTreeSet<(&str, String)> = BTreeSet::new();
    for record in plan.zones.iter().flat_map(|z| &z.records) {
        rrsets.insert((&record.owner, record.data.type_name().into_owned()));
    }
    for (owner, kind) in rrsets {
        let planned: Vec<&RecordData> = plan
            .zones
            .iter()
            .flat_map(|z| &z.records)
            .filter(|r| r.owner == owner && r.data.type_name() == kind)
            .map(|r| &r.data)
            .collect();
        let context = format!("{label}: {owner} {kind}");
        match kind.as_str() {
            "TXT" => {
                let served = support::query_txt(server, owner);
                let want: Vec<Txt> = planned
                    .iter()
                    .map(|d| match d {
                        RecordData::Txt(strings) => strings.clone(),
                        _ => unreachable!(),
                    })
                    .collect();
                assert_eq!(served, want, "{context}");
                let joined: Vec<Vec<u8>> = served.iter().map(|s| s.concat()).collect();
                let want_joined: Vec<Vec<u8>> =
                    planned.iter().filter_map(|d| d.txt_joined()).collect();
                assert_eq!(joined, want_joined, "{context}: joined text");
            }
            "A" => {
                let want = planned.iter().filter_map(|d| match d {
                    RecordData::A(ip) => Some(*ip),
                    _ => None,
                });
                assert_eq!(
                    sorted(support::query_a(server, owner)),
                    sorted(want.collect()),
                    "{context}"
                );
            }
            "AAAA" => {
                let want = planned.iter().filter_map(|d| match d {
                    RecordData::Aaaa(ip) => Some(*ip),
                    _ => None,
                });
                assert_eq!(
                    sorted(support::query_aaaa(server, owner)),
                    sorted(want.collect()),
                    "{context}"
                );
            }
            "PTR" => {
                let served = support::query_ptr(server, owner);
                let want: Vec<String> = planned.iter().map(|d| d.to_string()).collect();
                assert_eq!(sorted(served), sorted(want), "{context}");
            }
            "CNAME" => {
                let served = support::query_cname(server, owner);
                assert_eq!(served, Some(planned[0].to_string()), "{context}");
            }
            other => panic!("unexpected type {other}"),
        }
    }
}

#[test]
fn generated_zones_pass_both_validators() {
    let dir = tempfile::tempdir().unwrap();
    for inventory in inventories(dir.path()) {
        let generated = generate(&inventory);
        for (origin, text) in &generated.zones {
            support::checkzone(origin, &support::wrap_zone(origin, text))
                .unwrap_or_else(|e| panic!("{}: {e}", generated.inventory.display()));
        }
    }
}

#[test]
fn nsd_serves_exactly_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    for inventory in inventories(dir.path()) {
        let generated = generate(&inventory);
        let nsd = support::Nsd::start(&generated.wrapped());
        assert_served(
            nsd.addr(),
            &generated.plan,
            &format!("nsd {}", inventory.display()),
        );
    }
}

#[test]
fn bind_serves_exactly_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let generated = generate(&fixture("corner.yaml", &corner_inventory(), dir.path()));
    let bind = support::Bind::start(&generated.wrapped());
    assert_served(bind.addr(), &generated.plan, "bind corner.yaml");
    // The chained record really was split into several strings and parts.
    let apex = support::query_txt(bind.addr(), "example.net");
    assert_eq!(apex.len(), 1);
    assert!(apex[0].len() >= 2, "450-octet records span two strings");
    assert!(!support::query_txt(bind.addr(), "_spf1.example.net").is_empty());
}

#[test]
fn nsupdate_scripts_replace_stale_records_on_a_tsig_bind() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = fixture("corner.yaml", &corner_inventory(), dir.path());
    let generated = generate(&inventory);
    // Start every zone empty but for stale records the update must replace.
    let stale: Vec<(String, String)> = generated
        .zones
        .iter()
        .map(|(origin, _)| {
            let extra = if origin == "example.net" {
                "example.net. 60 IN TXT \"v=spf1 ip4:203.0.113.99 -all\"\nm0.example.net. 60 IN A 203.0.113.99\n"
            } else {
                ""
            };
            (origin.clone(), support::wrap_zone(origin, extra))
        })
        .collect();
    let bind = support::Bind::start_dynamic(&stale);
    let out = dir.path().join("updates");
    let output = Command::new(BIN)
        .args([
            "generate",
            inventory.to_str().unwrap(),
            "--format",
            "nsupdate",
            "--nsupdate-server",
            &format!("127.0.0.1:{}", bind.port()),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    scripts.sort();
    assert_eq!(scripts.len(), generated.zones.len());
    for script in scripts {
        let text = std::fs::read_to_string(&script).unwrap();
        bind.nsupdate_raw(&text)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", script.display(), bind.log()));
    }
    assert_served(bind.addr(), &generated.plan, "dynamic bind");
}
