//! `verify --receivers` and `verify --dnsbl` against generated zones served
//! by a real NSD on loopback, with DKIM keys and a test blocklist beside
//! them.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{self, BIN};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// Generates the inventory's zones, appends `extra` to example.com, and
/// serves them with the test blocklist from NSD.
fn serve(inventory: &Path, extra: &str) -> support::Nsd {
    let mut zones: Vec<(String, String)> = Vec::new();
    for (origin, mut text) in support::generated_zones(inventory) {
        if origin == "example.com" {
            text.push_str(extra);
        }
        zones.push((origin.clone(), support::wrap_zone(&origin, &text)));
    }
    let list = std::fs::read_to_string(format!("{FIXTURES}/dnsbl/healthy.bl.test.zone"))
        .unwrap()
        // The test list also lists the server.
        + "10.100.51.198 IN A 127.0.0.4\n";
    zones.push(("healthy.bl.test".to_owned(), list));
    // The external report domain exists but authorises nobody.
    zones.push((
        "reports.example.net".to_owned(),
        support::wrap_zone("reports.example.net", ""),
    ));
    support::Nsd::start(&zones)
}

fn verify(server: &str, extra: &[&str]) -> (Output, Value) {
    let inventory = format!("{FIXTURES}/verify-receivers.yaml");
    let mut args = vec![
        "verify",
        &inventory,
        "--nameserver",
        server,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let output = Command::new(BIN).args(&args).output().unwrap();
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    (output, report)
}

/// The first rule of `receiver` whose text starts with `rule`.
fn judged<'a>(report: &'a Value, receiver: &str, rule: &str) -> &'a Value {
    report["receivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["receiver"] == receiver && r["rule"].as_str().unwrap().starts_with(rule))
        .unwrap_or_else(|| panic!("no rule {receiver}/{rule}"))
}

fn rule<'a>(report: &'a Value, receiver: &str, rule: &str) -> &'a str {
    judged(report, receiver, rule)["status"].as_str().unwrap()
}

/// The ids in a judged rule's `field` (`evidence` or `remarks`).
fn listed<'a>(judged: &'a Value, field: &str) -> Vec<&'a str> {
    judged[field]
        .as_array()
        .unwrap_or_else(|| panic!("no {field} in {judged}"))
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect()
}

#[test]
fn receiver_rules_follow_the_published_dkim_and_dmarc_records() {
    let extra = std::fs::read_to_string(format!("{FIXTURES}/verify-receivers-extra.zone")).unwrap();
    let inventory = Path::new(FIXTURES).join("verify-receivers.yaml");
    let nsd = serve(&inventory, &extra);
    let (output, report) = verify(&nsd.addr().to_string(), &["--receivers"]);
    let found = support::finding_ids(&report);
    assert!(
        found.contains(&"dkim-weak s512._domainkey.example.com".to_owned()),
        "{found:?}"
    );
    assert!(
        found.contains(&"dkim-missing gone._domainkey.example.com".to_owned()),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|f| f.contains("s2048")),
        "a 2048-bit key is fine: {found:?}"
    );
    assert!(
        found.contains(&"dmarc-rua-unauthorized _dmarc.example.com".to_owned()),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|f| f.starts_with("dmarc-missing")),
        "{found:?}"
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(rule(&report, "Gmail", "SPF or DKIM"), "met");
    assert_eq!(rule(&report, "Gmail", "SPF and DKIM"), "not-met");
    assert_eq!(
        rule(&report, "Gmail", "valid forward and reverse DNS"),
        "met"
    );
    assert_eq!(rule(&report, "Gmail", "TLS"), "not-checkable");
    assert_eq!(rule(&report, "Yahoo", "DKIM key of 1024 bits"), "not-met");
    // The evidence is what breaks the rule; the rest are remarks.
    let yahoo = judged(&report, "Yahoo", "DKIM key of 1024 bits");
    assert_eq!(listed(yahoo, "evidence"), ["dkim-missing", "dkim-weak"]);
    let gmail = judged(&report, "Gmail", "SPF or DKIM");
    assert!(listed(gmail, "evidence").is_empty(), "{gmail}");
    assert!(
        listed(gmail, "remarks").contains(&"dkim-missing"),
        "{gmail}"
    );
    assert_eq!(rule(&report, "Gmail", "DMARC record"), "met");
    let dmarc = judged(&report, "Gmail", "DMARC record");
    assert_eq!(listed(dmarc, "remarks"), ["dmarc-rua-unauthorized"]);
    assert_eq!(
        rule(&report, "Gmail", "one-click unsubscribe"),
        "not-checkable"
    );

    // Without the DKIM keys' problems and without DMARC, the verdicts move.
    let fine_keys: String = extra
        .lines()
        .filter(|l| !l.starts_with("s512"))
        .collect::<Vec<_>>()
        .join("\n");
    let yaml = std::fs::read_to_string(&inventory)
        .unwrap()
        .replace("[s2048, s512, gone]", "[s2048]")
        .replace("    dmarc:\n      policy: none\n      rua: [dmarc@example.com, agg@reports.example.net]\n", "");
    let dir = tempfile::tempdir().unwrap();
    let no_dmarc = dir.path().join("inv.yaml");
    std::fs::write(&no_dmarc, &yaml).unwrap();
    let nsd = serve(&no_dmarc, &(fine_keys + "\n"));
    let output = Command::new(BIN)
        .args([
            "verify",
            no_dmarc.to_str().unwrap(),
            "--nameserver",
            &nsd.addr().to_string(),
            "--format",
            "json",
            "--receivers",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let found = support::finding_ids(&report);
    assert!(
        found.contains(&"dmarc-missing _dmarc.example.com".to_owned()),
        "{found:?}"
    );
    assert_eq!(rule(&report, "Gmail", "SPF and DKIM"), "met");
    assert_eq!(rule(&report, "Gmail", "DMARC record"), "not-met");
    let dmarc = judged(&report, "Gmail", "DMARC record");
    assert_eq!(listed(dmarc, "evidence"), ["dmarc-missing"]);
    assert_eq!(rule(&report, "Yahoo", "DKIM key of 1024 bits"), "met");
}

#[test]
fn dnsbl_listings_of_server_addresses_become_findings() {
    let extra = std::fs::read_to_string(format!("{FIXTURES}/verify-receivers-extra.zone")).unwrap();
    let nsd = serve(&Path::new(FIXTURES).join("verify-receivers.yaml"), &extra);
    let lists = format!("{FIXTURES}/dnsbl/lists.yaml");
    let (output, report) = verify(
        &nsd.addr().to_string(),
        &["--dnsbl", "--lists", &lists, "--list", "healthy.bl.test"],
    );
    assert_eq!(output.status.code(), Some(1));
    let listed: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "dnsbl-listed")
        .collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["subject"], "198.51.100.10");
    assert_eq!(listed[0]["actual"], "127.0.0.4");
    assert!(listed[0]["fix"].as_str().unwrap().contains("infected host"));
}

#[test]
fn a_blocklist_that_cannot_be_believed_leaves_verify_undetermined() {
    let extra = std::fs::read_to_string(format!("{FIXTURES}/verify-receivers-extra.zone")).unwrap();
    // Only the good DKIM key: every run checks the selectors, and the
    // broken ones would be errors of their own.
    let yaml = std::fs::read_to_string(Path::new(FIXTURES).join("verify-receivers.yaml"))
        .unwrap()
        .replace("[s2048, s512, gone]", "[s2048]");
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inv.yaml");
    std::fs::write(&inventory, &yaml).unwrap();
    let nsd = serve(&inventory, &extra);
    let lists = format!("{FIXTURES}/dnsbl/lists.yaml");
    // NSD does not serve this list: it refuses every query.
    let output = Command::new(BIN)
        .args(["verify", inventory.to_str().unwrap(), "--format", "json"])
        .args(["--nameserver", &nsd.addr().to_string()])
        .args(["--dnsbl", "--lists", &lists, "--list", "empty.bl.test"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let found = support::finding_ids(&report);
    assert!(
        found.contains(&"dnsbl-unknown 198.51.100.10".to_owned()),
        "{found:?}"
    );
    // The one error is NSD itself, named for what it is: undetermined too.
    assert!(
        found.contains(&format!("nameserver-not-recursive {}", nsd.addr())),
        "{found:?}"
    );
    assert_eq!(report["summary"]["errors"], 1, "{found:?}");
    assert_eq!(output.status.code(), Some(3), "{found:?}");
}

#[test]
fn only_findings_that_break_a_rule_make_it_not_met() {
    // SPF passes for the server (its own ip4: comes first) although the
    // partner's include is broken; DKIM keys of 2048 and 1024 bits.
    let extra = std::fs::read_to_string(format!("{FIXTURES}/verify-receivers-extra.zone")).unwrap()
        + "_spf.partner 3600 IN TXT \"v=spf1 include:_spf.gone.example.com -all\"\n";
    let yaml = std::fs::read_to_string(Path::new(FIXTURES).join("verify-receivers.yaml"))
        .unwrap()
        .replace("[s2048, s512, gone]", "[s2048, s1024]")
        .replace(
            "    servers: [mail.example.com]\n",
            "    servers: [mail.example.com]\n    include: [_spf.partner.example.com]\n",
        );
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inv.yaml");
    std::fs::write(&inventory, &yaml).unwrap();
    let nsd = serve(&inventory, &extra);
    let output = Command::new(BIN)
        .args(["verify", inventory.to_str().unwrap(), "--receivers"])
        .args(["--nameserver", &nsd.addr().to_string(), "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let found = support::finding_ids(&report);
    // The broken include is an error of its own, not a broken rule.
    assert!(
        found.contains(&"spf-include-no-record _spf.partner.example.com".to_owned()),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|f| f.starts_with("spf-not-authorized")),
        "{found:?}"
    );
    assert!(
        found.contains(&"dkim-weak s1024._domainkey.example.com".to_owned()),
        "{found:?}"
    );
    assert_eq!(output.status.code(), Some(1), "{found:?}");
    for (receiver, text) in [
        ("Gmail", "SPF or DKIM"),
        ("Gmail", "SPF and DKIM"),
        ("Yahoo", "SPF or DKIM"),
        ("Yahoo", "SPF and DKIM"),
        ("Yahoo", "DKIM key of 1024 bits or more"),
        ("Microsoft", "SPF passes"),
        ("Microsoft", "DKIM passes"),
        ("Naver", "SPF and DKIM"),
    ] {
        let judged = judged(&report, receiver, text);
        assert_eq!(judged["status"], "met", "{judged}");
        assert!(listed(judged, "evidence").is_empty(), "{judged}");
    }
    // What does not break the rule is still shown beside it.
    let yahoo = judged(&report, "Yahoo", "DKIM key of 1024 bits");
    assert_eq!(listed(yahoo, "remarks"), ["dkim-weak"], "{yahoo}");
    let gmail = judged(&report, "Gmail", "SPF and DKIM");
    let remarks = listed(gmail, "remarks");
    assert!(
        remarks.contains(&"spf-include-no-record") && remarks.contains(&"dkim-weak"),
        "{gmail}"
    );
    // Each rule names the receiver's page it comes from.
    assert_eq!(gmail["source"], "https://support.google.com/a/answer/81126");
    for judged in report["receivers"].as_array().unwrap() {
        assert!(
            judged["source"].as_str().unwrap().starts_with("https://"),
            "{judged}"
        );
    }
}

#[test]
fn dmarc_missing_without_a_planned_record_points_to_the_inventory() {
    // No `dmarc:` in the inventory, none published: the fix invents no
    // report address, names the domain's entry in the inventory, and its
    // example entry is one `generate` accepts.
    let extra = std::fs::read_to_string(format!("{FIXTURES}/verify-receivers-extra.zone")).unwrap();
    let yaml = std::fs::read_to_string(Path::new(FIXTURES).join("verify-receivers.yaml"))
        .unwrap()
        .replace("[s2048, s512, gone]", "[s2048]")
        .replace("    dmarc:\n      policy: none\n      rua: [dmarc@example.com, agg@reports.example.net]\n", "");
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inv.yaml");
    std::fs::write(&inventory, &yaml).unwrap();
    let nsd = serve(&inventory, &extra);
    let path = inventory.to_str().unwrap();
    let server = nsd.addr().to_string();
    let output = Command::new(BIN)
        .args(["verify", path, "--receivers", "--nameserver", &server])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let missing = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "dmarc-missing")
        .unwrap_or_else(|| panic!("no dmarc-missing in {report}"));
    assert_eq!(missing["severity"], "warning", "{missing}");
    let fix = missing["fix"].as_str().unwrap();
    for invented in ["rua=", "mailto:", "dmarc-reports", "@"] {
        assert!(!fix.contains(invented), "{invented:?} in {fix}");
    }
    assert!(fix.contains("add a `dmarc:` entry"), "{fix}");
    assert!(fix.contains("`rua:`"), "{fix}");
    assert!(fix.contains("is optional"), "{fix}");
    assert!(fix.contains("senderzone generate"), "{fix}");
    // The domain's entry: the `-` of `- name: example.com`.
    let line = yaml
        .lines()
        .position(|l| l == "  - name: example.com")
        .unwrap()
        + 1;
    assert_eq!(
        missing["inventory"],
        serde_json::json!({"file": path, "line": line, "column": 3, "path": "domains[0]"}),
        "{missing}"
    );
    // The text report shows where, under the finding.
    let output = Command::new(BIN)
        .args(["verify", path, "--receivers", "--nameserver", &server])
        .output()
        .unwrap();
    let text = support::stdout(&output);
    assert!(
        text.contains(&format!("        inventory: {path}:{line}:3 domains[0]\n")),
        "{text}"
    );
    // The example entry, as the fix gives it, is a valid inventory value
    // from which `generate` plans `p=none` and nothing more.
    let snippet = fix
        .split('`')
        .find(|part| part.starts_with("dmarc: {"))
        .unwrap_or_else(|| panic!("no example entry in {fix}"));
    let fixed = yaml.replace(
        "    servers: [mail.example.com]\n",
        &format!("    servers: [mail.example.com]\n    {snippet}\n"),
    );
    let fixed_path = dir.path().join("fixed.yaml");
    std::fs::write(&fixed_path, fixed).unwrap();
    let output = Command::new(BIN)
        .args(["generate", fixed_path.to_str().unwrap()])
        .output()
        .unwrap();
    let zone = support::stdout(&output);
    assert!(output.status.success(), "{}", support::text(&output));
    let dmarc = zone
        .lines()
        .find(|l| l.starts_with("_dmarc"))
        .unwrap_or_else(|| panic!("no _dmarc record in {zone}"));
    assert!(dmarc.ends_with("\"v=DMARC1; p=none\""), "{dmarc}");
}
