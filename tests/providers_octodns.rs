//! The `octodns` form against the real octoDNS (from PyPI, pinned, in a
//! virtualenv under `target/`): its own `YamlProvider`, with key order
//! enforced and strict validation, loads every generated zone file and
//! yields exactly the planned records.
//!
//! No test downloads anything: `scripts/test` creates the virtualenv from
//! `tests/octodns-requirements.txt` and keeps a copy of that file in it. A
//! missing virtualenv, or one made from other pins, is a test failure naming
//! `scripts/test`, never a skip.

use std::path::{Path, PathBuf};
use std::process::Command;

use senderzone::inventory::Inventory;
use senderzone::records::spf_text::split_strings;
use senderzone::records::{self, Plan, Record, RecordData, ZonePlan, ZoneRole};
use senderzone::render::{Provider, Render, Template};

use crate::support::{BIN, repo_file};

/// The pinned octoDNS and its dependencies, one `name==version` a line.
const REQUIREMENTS: &str = include_str!("octodns-requirements.txt");

/// The octoDNS release the form is checked against, as pinned.
fn octodns_version() -> &'static str {
    REQUIREMENTS
        .lines()
        .find_map(|line| line.strip_prefix("octodns=="))
        .expect("tests/octodns-requirements.txt pins octodns")
}

/// `target/octodns-venv/bin/python`, as `scripts/test` leaves it.
fn octodns_python() -> PathBuf {
    // target/debug/senderzone → target
    let target = Path::new(BIN).parent().unwrap().parent().unwrap();
    let venv = target.join("octodns-venv");
    let python = venv.join("bin/python");
    let stamp = std::fs::read_to_string(venv.join("senderzone-requirements.txt"));
    assert!(
        python.is_file() && stamp.is_ok_and(|pins| pins == REQUIREMENTS),
        "no octoDNS virtualenv at `{}` made from tests/octodns-requirements.txt: \
         run scripts/test, which creates it",
        venv.display()
    );
    python
}

/// Runs `senderzone generate INVENTORY --format octodns` with `extra`.
fn generate(inventory: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args([
            "generate",
            inventory.to_str().unwrap(),
            "--format",
            "octodns",
        ])
        .args(extra)
        .output()
        .unwrap()
}

/// One record set as octoDNS reports it.
#[derive(Debug, serde::Deserialize)]
struct Loaded {
    fqdn: String,
    #[serde(rename = "type")]
    kind: String,
    ttl: u32,
    values: Vec<String>,
}

/// Generates the octoDNS files of `inventory` with the binary, loads them
/// with octoDNS and compares every record set with the plan.
fn assert_octodns_loads_the_plan(python: &Path, inventory: &Path) -> usize {
    let plan: Plan = records::plan(&Inventory::load(inventory).unwrap().inventory);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("zones");
    let output = generate(inventory, &["--out", out.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_loaded_equals_plan(python, &out, &plan, &inventory.display().to_string())
}

/// Loads the zone files of `plan` from `dir` with octoDNS and compares
/// every record set with the plan: TXT as raw text after octoDNS's own
/// un-escaping, addresses, names and TTLs.
fn assert_loaded_equals_plan(python: &Path, dir: &Path, plan: &Plan, label: &str) -> usize {
    let zones: Vec<String> = plan
        .zones
        .iter()
        .map(|z| format!("{}.", z.origin))
        .collect();
    for zone in &zones {
        // `--out` names the file as YamlProvider looks for it: ZONE.yaml
        assert!(dir.join(format!("{zone}yaml")).is_file(), "{zone}");
    }
    let dump = Command::new(python)
        .arg(repo_file("tests/fixtures/providers/octodns_dump.py"))
        .arg(dir)
        .args(&zones)
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "octoDNS refused the files of {label}:\n{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let loaded: Vec<Loaded> = serde_json::from_slice(&dump.stdout).unwrap();

    let mut planned: Vec<(String, String, u32, Vec<String>)> = Vec::new();
    for zone in &plan.zones {
        for record in &zone.records {
            let kind = record.data.type_name().into_owned();
            let value = match &record.data {
                RecordData::Txt(strings) => String::from_utf8(strings.concat()).unwrap(),
                other => other.to_string(),
            };
            let fqdn = format!("{}.", record.owner);
            match planned.last_mut() {
                Some((f, k, _, values)) if *f == fqdn && *k == kind => values.push(value),
                _ => planned.push((fqdn, kind, record.ttl, vec![value])),
            }
        }
    }
    let normalise = |kind: &str, mut values: Vec<String>| {
        if kind == "AAAA" {
            values = values
                .iter()
                .map(|v| v.parse::<std::net::Ipv6Addr>().unwrap().to_string())
                .collect();
        }
        values.sort();
        values
    };
    let mut got: Vec<(String, String, u32, Vec<String>)> = loaded
        .into_iter()
        .map(|l| {
            let values = normalise(&l.kind, l.values);
            (l.fqdn, l.kind, l.ttl, values)
        })
        .collect();
    let mut want: Vec<(String, String, u32, Vec<String>)> = planned
        .into_iter()
        .map(|(f, k, t, v)| {
            let values = normalise(&k, v);
            (f, k, t, values)
        })
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{label}");
    want.len()
}

#[test]
fn octodns_loads_the_generated_zones_and_yields_the_plan() {
    let python = octodns_python();
    let dir = tempfile::tempdir().unwrap();
    // The corner inventory with RFC 4183 labels: octoDNS takes no `/`.
    let corner = std::fs::read_to_string(repo_file("tests/fixtures/providers/corner.yaml"))
        .unwrap()
        .replace("classless_labels: rfc2317", "classless_labels: rfc4183");
    let corner_path = dir.path().join("corner-rfc4183.yaml");
    std::fs::write(&corner_path, corner).unwrap();
    let plan = records::plan(&Inventory::load(&corner_path).unwrap().inventory);
    assert!(
        plan.zones
            .iter()
            .any(|z| matches!(z.role, ZoneRole::ClasslessParent { .. }))
    );
    assert!(plan.zones.iter().any(|z| z.origin.ends_with("ip6.arpa")));
    let mut rrsets = 0;
    for inventory in [
        repo_file("examples/inventory.yaml"),
        repo_file("templates/inventory.yaml"),
        corner_path,
    ] {
        rrsets += assert_octodns_loads_the_plan(&python, &inventory);
    }
    eprintln!(
        "octoDNS {} loaded {rrsets} record sets equal to the plan",
        octodns_version()
    );
}

#[test]
fn octodns_form_refuses_rfc2317_slash_labels_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("zones");
    let output = generate(
        &repo_file("tests/fixtures/providers/corner.yaml"),
        &["--out", out.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("senderzone: error:") && stderr.contains("classless_labels: rfc4183"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn octodns_reads_escaped_semicolons_quotes_backslashes_and_long_txt_back() {
    let python = octodns_python();
    let txt = |owner: &str, text: &[u8]| Record {
        owner: owner.into(),
        ttl: 300,
        data: RecordData::Txt(split_strings(text).into()),
    };
    let long: Vec<u8> = (0..600).map(|i| b'a' + (i % 26) as u8).collect();
    let mut records = vec![
        txt("example.test", b"v=spf1 a -all"),
        txt(
            "_dmarc.example.test",
            b"v=DMARC1; p=reject; rua=mailto:d@example.test",
        ),
        txt("q.example.test", b"say \"hi\"; a\\b c"),
        txt("long.example.test", &long),
    ];
    // natural order: m2 before m10 in octoDNS, after it in the plan
    for i in [1, 10, 2] {
        records.push(Record {
            owner: format!("m{i}.example.test").into(),
            ttl: 300,
            data: RecordData::A([192, 0, 2, i].into()),
        });
    }
    records.sort_by(|a, b| a.owner.cmp(&b.owner));
    let plan = Plan {
        default_ttl: 300,
        diagnostics: Vec::new(),
        zones: vec![
            ZonePlan {
                origin: "example.test".into(),
                role: ZoneRole::Forward,
                records,
            },
            ZonePlan {
                origin: "0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa".into(),
                role: ZoneRole::Reverse,
                records: vec![Record {
                    owner: senderzone::dns::reverse_name("2001:db8:10::25".parse().unwrap()),
                    ttl: 300,
                    data: RecordData::Ptr("m1.example.test".to_owned()),
                }],
            },
        ],
    };
    let dir = tempfile::tempdir().unwrap();
    let template = Template::provider(Provider::Octodns);
    for zone in &plan.zones {
        let text = String::from_utf8(template.render_zone(&plan, zone).unwrap()).unwrap();
        if zone.origin == "example.test" {
            assert!(text.contains(r"v=DMARC1\; p=reject\; rua"), "{text}");
        }
        std::fs::write(dir.path().join(format!("{}.yaml", zone.origin)), text).unwrap();
    }
    assert_loaded_equals_plan(&python, dir.path(), &plan, "hand-built plan");
}
