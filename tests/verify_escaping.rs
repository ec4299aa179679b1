//! `verify` against NSD serving hostile data: a PTR name whose first label
//! holds a line break (`\010`) and the text of a fake error line. Neither
//! the text report nor the JSON report may gain a line from it.

use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{self, BIN};

const INVENTORY: &str = "\
ttl: 3600
zones: [example.net]
reverse_zones: [192.0.2.0/24]
servers:
  - hostname: mail.example.net
    ipv4: [192.0.2.10]
domains:
  - name: example.net
    servers: [mail.example.net]
";

/// The PTR target NSD serves, in master-file form: after the line break
/// comes what a forged line of the report would say.
const HOSTILE_PTR: &str = r"mail\010senderzone:\032error:\032forged\032line.example.net.";

/// The same name as the text report must show it: the line break escaped.
const SHOWN_PTR: &str = r"mail\010senderzone: error: forged line.example.net";

/// Runs `verify` with `args` against NSD serving the generated zones, the
/// PTR of 192.0.2.10 replaced by [`HOSTILE_PTR`].
fn verify_hostile(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory.yaml");
    std::fs::write(&inventory, INVENTORY).unwrap();
    let zones: Vec<(String, String)> = support::generated_zones(&inventory)
        .into_iter()
        .map(|(origin, snippet)| {
            let snippet = snippet.replace("PTR   mail.example.net.", &format!("PTR {HOSTILE_PTR}"));
            let zone = support::wrap_zone(&origin, &snippet);
            (origin, zone)
        })
        .collect();
    assert!(
        zones.iter().any(|(_, text)| text.contains(HOSTILE_PTR)),
        "no PTR replaced in {zones:#?}"
    );
    let nsd = support::Nsd::start(&zones);
    Command::new(BIN)
        .arg("verify")
        .arg(&inventory)
        .args(["--nameserver", &nsd.addr().to_string(), "--timeout", "20"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_line_break_in_a_ptr_name_forges_no_line_of_the_text_report() {
    let output = verify_hostile(&[]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    // The name reaches the report (the PTR mismatch and the FCrDNS failure
    // name it), escaped wherever it appears.
    assert!(stdout.contains(SHOWN_PTR), "{stdout}");
    for line in stdout.lines().chain(stderr.lines()) {
        assert!(
            !line.trim_start().starts_with("senderzone: error: forged"),
            "a forged line:\n{stdout}{stderr}"
        );
    }
    // Every line is one the report lays out: a headline at the margin,
    // the details indented under it, or the summary; the planned records
    // under a fix come from the inventory.
    let severities = ["error   ", "warning ", "info    "];
    let details = ["expected:  ", "actual:    ", "fix:       ", "inventory: "];
    let lines: Vec<&str> = stdout.lines().collect();
    let (summary, body) = lines.split_last().unwrap();
    assert!(summary.contains(" error(s), "), "{stdout}");
    for line in body {
        let detail = line.strip_prefix("        ");
        assert!(
            severities.iter().any(|s| line.starts_with(s))
                || detail.is_some_and(|d| details.iter().any(|l| d.starts_with(l)))
                || line.starts_with("                   ") && line.contains(" IN "),
            "a line the report did not lay out: {line:?} in\n{stdout}"
        );
    }
    let fcrdns = lines
        .iter()
        .position(|line| line.contains("fcrdns-fail"))
        .unwrap_or_else(|| panic!("no fcrdns-fail in\n{stdout}"));
    assert!(
        lines[fcrdns + 2].contains(&format!("actual:    `{SHOWN_PTR}` →")),
        "{stdout}"
    );
}

#[test]
fn a_line_break_in_a_ptr_name_stays_inside_a_json_string() {
    let output = verify_hostile(&["--format", "json"]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    // Pretty JSON puts one member or element per line; a string never
    // holds a raw line break, so each line opens with JSON punctuation,
    // a key or a scalar.
    for line in stdout.lines() {
        let start = line.trim_start().chars().next().unwrap();
        assert!(
            "{}[]\"-0123456789tfn".contains(start),
            "a line outside the JSON layout: {line:?} in\n{stdout}"
        );
    }
    // The data is all there, line break and all, once decoded.
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let fcrdns = findings
        .iter()
        .find(|f| f["id"] == "fcrdns-fail")
        .unwrap_or_else(|| panic!("no fcrdns-fail in {report:#}"));
    let actual = fcrdns["actual"].as_str().unwrap();
    assert!(
        actual.contains("mail\nsenderzone: error: forged line.example.net"),
        "{actual:?}"
    );
}
