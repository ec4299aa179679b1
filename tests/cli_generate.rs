//! `senderzone generate`, `init`, `completions` and `man` run as a user
//! would: the real binary, real files, exit codes and messages.

use std::path::{Path, PathBuf};

use crate::support::{run, stderr, stdout};

/// A valid inventory the error cases below each break in one place.
const BASE: &str = "\
ttl: 3600
zones: [example.com]
servers:
  - hostname: mail.example.com
    ipv4: [198.51.100.10]
domains:
  - name: example.com
    servers: [mail.example.com]
";

fn write(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// Generates from `yaml` and expects exit 2, no stdout, and every needle in
/// one `senderzone: error:` line.
fn expect_error(yaml: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "inv.yaml", yaml.as_bytes());
    let output = run(&["generate", path.to_str().unwrap()]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "stderr: {err}");
    assert!(output.stdout.is_empty(), "stdout must stay empty on error");
    let line = err
        .lines()
        .find(|l| needles.iter().all(|n| l.contains(n)))
        .unwrap_or_else(|| panic!("no error line contains all of {needles:?}:\n{err}"));
    assert!(line.starts_with("senderzone: error: "), "{line}");
    assert!(
        line.contains("inv.yaml:"),
        "error must name the file: {line}"
    );
}

#[test]
fn bundled_example_generates_every_zone() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/inventory.yaml");
    let output = run(&["generate", example]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    for origin in [
        "$ORIGIN example.com.",
        "$ORIGIN example.org.",
        "$ORIGIN 113.0.203.in-addr.arpa.",
        "$ORIGIN 64-26.100.51.198.in-addr.arpa.",
        "$ORIGIN 100.51.198.in-addr.arpa.",
        "$ORIGIN 0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
    ] {
        assert!(text.contains(origin), "missing {origin}:\n{text}");
    }
    assert!(text.contains(
        r#""v=spf1 ip4:198.51.100.70 ip4:203.0.113.10/31 ip6:2001:db8:10::25 ip4:192.0.2.0/28 include:_spf.google.com -all""#
    ));
    let tokens = |line: &str| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert!(
        text.lines().any(|l| tokens(l)
            == [
                "70",
                "3600",
                "IN",
                "CNAME",
                "70.64-26.100.51.198.in-addr.arpa."
            ]),
        "{text}"
    );
    // Documentation addresses are warned about, not refused.
    assert!(stderr(&output).contains("senderzone: warning:"));
}

#[test]
fn rejects_each_invalid_value_at_its_location() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "    ipv4: [198.51.100.10]",
            "    ipv4: [198.51.100.300]",
            &[
                ":5:12:",
                "`servers[0].ipv4[0]`",
                "not an IP address",
                "accepted",
            ],
        ),
        (
            "    ipv4: [198.51.100.10]",
            "    ipv4: [2001:db8::1]",
            &[":5:12:", "IPv6 address", "`ipv6`"],
        ),
        (
            "    ipv4: [198.51.100.10]",
            "    ipv4: [198.51.100.0/28]",
            &["`servers[0].ipv4[0]`", "is a network"],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    ip4: [198.51.100.1/28]",
            &[
                ":9:11:",
                "`domains[0].ip4[0]`",
                "host bits",
                "198.51.100.0/28",
            ],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    ip4: [not-a-net]",
            &["`domains[0].ip4[0]`", "not an IP network"],
        ),
        (
            "  - hostname: mail.example.com",
            "  - hostname: mail",
            &[":4:15:", "`servers[0].hostname`", "not fully qualified"],
        ),
        (
            "  - hostname: mail.example.com",
            "  - hostname: localhost",
            &["`servers[0].hostname`", "loopback"],
        ),
        (
            "  - hostname: mail.example.com",
            "  - hostname: localhost.localdomain",
            &["`servers[0].hostname`", "localdomain", "CBL"],
        ),
        (
            "  - hostname: mail.example.com",
            "  - hostname: mail.corp.local",
            &["`servers[0].hostname`", "`local`"],
        ),
        (
            "  - hostname: mail.example.com",
            "  - hostname: mail.lan",
            &["`servers[0].hostname`", "`lan`"],
        ),
        (
            "  - hostname: mail.example.com",
            "  - hostname: mail.internal",
            &["`servers[0].hostname`", "`internal`"],
        ),
        (
            "  - hostname: mail.example.com",
            "  - hostname: 198.51.100.10",
            &["`servers[0].hostname`", "is an IP address"],
        ),
        (
            "  - hostname: mail.example.com",
            "  - hostname: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.com",
            &["`servers[0].hostname`", "64 octets", "at most 63"],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com, mx9.example.com]",
            &[
                ":8:33:",
                "`domains[0].servers[1]`",
                "not defined",
                "mail.example.com",
            ],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: []",
            &["`domains[0]`", "no senders", "accepted"],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    all: pass",
            &[":9:10:", "`domains[0].all`", "+all", "accepted: `fail`"],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    all: neutral",
            &["`domains[0].all`", "?all"],
        ),
        (
            "  - name: example.com",
            "  - name: example.net\n    ip4: [192.0.2.0/28]",
            &[
                "`domains[0].name`",
                "outside every declared zone",
                "example.com",
            ],
        ),
        (
            "domains:",
            "  - hostname: mx2.example.com\n    ipv4: [198.51.100.10]\ndomains:",
            &[
                "`servers[1].ipv4[0]`",
                "already listed at `servers[0].ipv4[0]`",
            ],
        ),
        (
            "zones: [example.com]",
            "zones: [example.com]\nreverse_zones: [203.0.113.0/24]",
            &[
                "`servers[0].ipv4[0]`",
                "outside every declared reverse zone",
            ],
        ),
        (
            "zones: [example.com]",
            "zones: [example.com]\nreverse_zones: [203.0.112.0/22]",
            &["`reverse_zones[0]`", "/22", "/24"],
        ),
        (
            "ttl: 3600",
            "ttl: 3600\nserver: []",
            &[":2:1:", "unknown field `server`", "`servers`"],
        ),
        (
            "    ipv4: [198.51.100.10]",
            "    ipv4: [198.51.100.10]\n    ipv5: []",
            &[":6:5:", "`servers[0].ipv5`: unknown field `ipv5`", "`ipv6`"],
        ),
        (
            "    ipv4: [198.51.100.10]",
            "    ipv4: [198.51.100.10\n  oops: [",
            &["inv.yaml:"],
        ),
        ("ttl: 3600", "ttl: -5", &[":1:6:", "`ttl`", "invalid"]),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    dmarc: {policy: block}",
            &["`domains[0].dmarc.policy`", "none, quarantine, reject"],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    dmarc:\n      policy: none\n      rua: [reports.example.com]",
            &[
                ":11:13:",
                "`domains[0].dmarc.rua[0]`",
                "not a report address",
            ],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    dmarc: {policy: none, adkim: loose}",
            &["`domains[0].dmarc.adkim`", "relaxed, strict"],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    dmarc: {policy: none, pct: 50}",
            &["`domains[0].dmarc.pct`", "unknown field `pct`"],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    dkim_selectors: [\"bad selector\"]",
            &["`domains[0].dkim_selectors[0]`", "not a DKIM selector"],
        ),
        (
            "    ipv4: [198.51.100.10]",
            "    ipv4: [198.51.100.10]\n    helo: localhost.localdomain",
            &[
                ":6:11:",
                "`servers[0].helo`",
                "cannot be published",
                "smtp_helo_name",
            ],
        ),
        (
            "    ipv4: [198.51.100.10]",
            "    ipv4: [198.51.100.10]\n    helo: smtp.example.net",
            &["`servers[0].helo`", "outside every declared zone"],
        ),
        (
            "ttl: 3600",
            "ttl: 3600\nclassless_labels: slash",
            &["`classless_labels`", "rfc2317"],
        ),
    ];
    for (from, to, needles) in cases {
        assert!(BASE.contains(from), "case does not apply: {from}");
        expect_error(&BASE.replacen(from, to, 1), needles);
    }
}

#[test]
fn rejects_empty_and_non_utf8_files() {
    expect_error("", &["inv.yaml", "empty"]);
    expect_error("# only a comment\n\n", &["empty"]);
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "inv.yaml",
        b"ttl: 60\nzones: [ex\xffample.com]\n",
    );
    let output = run(&["generate", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("inv.yaml:2:11: the inventory is not UTF-8"),
        "{}",
        stderr(&output)
    );
    let output = run(&["generate", "/nonexistent/inv.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read inventory"));
}

#[test]
fn reports_every_problem_not_just_the_first() {
    let yaml = BASE
        .replace("ipv4: [198.51.100.10]", "ipv4: [198.51.100.300]")
        .replace("servers: [mail.example.com]", "servers: [nope.example.com]");
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "inv.yaml", yaml.as_bytes());
    let output = run(&["generate", path.to_str().unwrap()]);
    let err = stderr(&output);
    assert_eq!(err.matches("senderzone: error:").count(), 2, "{err}");
}

#[test]
fn warns_about_special_purpose_addresses_and_goes_on() {
    let yaml = BASE.replace("198.51.100.10", "10.0.0.25").replace(
        "servers: [mail.example.com]",
        "servers: [mail.example.com]\n    ip6: [fd00::/64]",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "inv.yaml", yaml.as_bytes());
    let output = run(&["generate", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    let err = stderr(&output);
    assert!(err.contains("senderzone: warning: "), "{err}");
    assert!(
        err.contains("`servers[0].ipv4[0]`: 10.0.0.25 is in 10.0.0.0/8 (private-use, RFC 1918)"),
        "{err}"
    );
    assert!(
        err.contains("`domains[0].ip6[0]`: fd00::/64 is in fc00::/7 (unique-local"),
        "{err}"
    );
    assert!(stdout(&output).contains("ip4:10.0.0.25"));
}

#[test]
fn refuses_an_spf_record_over_ten_lookups_listing_each_cost() {
    let includes: Vec<String> = (1..=11)
        .map(|i| format!("_spf{i}.vendor{i}.example"))
        .collect();
    let yaml = BASE.replace(
        "servers: [mail.example.com]",
        &format!(
            "servers: [mail.example.com]\n    include: [{}]",
            includes.join(", ")
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "inv.yaml", yaml.as_bytes());
    let output = run(&["generate", path.to_str().unwrap()]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("`domains[0]`"), "{err}");
    assert!(err.contains("needs 11 DNS-querying terms"), "{err}");
    assert!(err.contains("include:_spf11.vendor11.example: 1"), "{err}");
    // Exactly ten is within the limit.
    let yaml = BASE.replace(
        "servers: [mail.example.com]",
        &format!(
            "servers: [mail.example.com]\n    include: [{}]",
            includes[..10].join(", ")
        ),
    );
    let path = write(dir.path(), "ten.yaml", yaml.as_bytes());
    let output = run(&["generate", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn out_dir_gets_one_whole_file_per_zone_and_nothing_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/inventory.yaml");
    let out = dir.path().join("zones");
    let output = run(&["generate", example, "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.zone",
            "100.51.198.in-addr.arpa.zone",
            "113.0.203.in-addr.arpa.zone",
            "64-26.100.51.198.in-addr.arpa.zone",
            "example.com.zone",
            "example.org.zone",
        ]
    );
    // The RFC 2317 slash style keeps file names slash-free.
    let slash = std::fs::read_to_string(example)
        .unwrap()
        .replace("ttl: 3600", "ttl: 3600\nclassless_labels: rfc2317");
    let path = write(dir.path(), "slash.yaml", slash.as_bytes());
    let out2 = dir.path().join("slash");
    let output = run(&[
        "generate",
        path.to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let text = std::fs::read_to_string(out2.join("64-26.100.51.198.in-addr.arpa.zone")).unwrap();
    assert!(
        text.contains("$ORIGIN 64/26.100.51.198.in-addr.arpa."),
        "{text}"
    );

    let bad = write(
        dir.path(),
        "bad.yaml",
        BASE.replace("mail.example.com]", "x.example.com]")
            .as_bytes(),
    );
    let out3 = dir.path().join("never");
    let output = run(&[
        "generate",
        bad.to_str().unwrap(),
        "--out",
        out3.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        !out3.exists(),
        "nothing may be written for an invalid inventory"
    );
}

#[test]
fn dmarc_records_and_external_report_authorisation() {
    let yaml = BASE.replace(
        "    servers: [mail.example.com]",
        "    servers: [mail.example.com]\n    dmarc:\n      policy: reject\n      subdomain_policy: quarantine\n      rua: [mailto:agg@reports.example.net, dmarc@example.com]\n      aspf: strict",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "inv.yaml", yaml.as_bytes());
    let output = run(&["generate", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(r#""v=DMARC1; p=reject; sp=quarantine; aspf=s; rua=mailto:agg@reports.example.net,mailto:dmarc@example.com""#),
        "{text}"
    );
    // reports.example.net is not one of the zones: the user is told what it must publish.
    let err = stderr(&output);
    assert!(
        err.contains("senderzone: warning:") && err.contains("`domains[0].dmarc`"),
        "{err}"
    );
    assert!(
        err.contains("example.com._report._dmarc.reports.example.net. TXT \"v=DMARC1\""),
        "{err}"
    );
}

#[test]
fn json_and_nsupdate_forms() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "inv.yaml", BASE.as_bytes());
    let output = run(&["generate", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let records: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let spf = records
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["owner"] == "example.com." && r["type"] == "TXT")
        .expect("apex SPF record");
    assert_eq!(spf["zone"], "example.com.");
    assert_eq!(spf["ttl"], 3600);
    assert_eq!(spf["data"], "v=spf1 ip4:198.51.100.10 -all");
    assert_eq!(spf["strings"][0], "v=spf1 ip4:198.51.100.10 -all");

    let output = run(&[
        "generate",
        path.to_str().unwrap(),
        "--format",
        "nsupdate",
        "--nsupdate-server",
        "[2001:db8::53]:5353",
    ]);
    let script = stdout(&output);
    assert!(
        script.contains("server 2001:db8::53 5353\nzone example.com.\n"),
        "{script}"
    );
    assert!(script.contains("update delete mail.example.com. A\n"));
    assert!(
        script.contains("update add example.com. 3600 IN TXT \"v=spf1 ip4:198.51.100.10 -all\"\n")
    );
    assert!(script.trim_end().ends_with("send"));

    let output = run(&[
        "generate",
        path.to_str().unwrap(),
        "--nsupdate-server",
        "ns1",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("only to `--format nsupdate`"));
}

#[test]
fn usage_errors_exit_2() {
    let output = run(&["generate"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("senderzone: error: "),
        "{}",
        stderr(&output)
    );
    let output = run(&["generate", "x.yaml", "--format", "bind"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("zone, nsupdate, json"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn init_writes_a_starter_that_generates_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mail.yaml");
    let output = run(&["init", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = run(&["generate", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("v=spf1 ip4:203.0.113.10 ip6:2001:db8:10::25 -all"));

    std::fs::write(&file, "mine").unwrap();
    let output = run(&["init", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

#[test]
fn completions_and_man_page() {
    let output = run(&["completions", "bash"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("senderzone"));
    let output = run(&["man"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stdout(&output).starts_with(".ie"),
        "{}",
        &stdout(&output)[..40]
    );
    let output = run(&["generate", "--help"]);
    assert!(stdout(&output).contains("Example:"));
}
