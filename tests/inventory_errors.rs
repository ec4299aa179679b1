//! The inventory loader as a user meets it: `senderzone generate` on broken
//! files reports every problem in one run, each located (file:line:col and
//! key path) with what is accepted, within bounds of time, memory and
//! output, and never echoes the file's bytes raw to the terminal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::BIN;

/// A valid inventory the cases below break.
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

fn write(dir: &Path, contents: &str) -> PathBuf {
    let path = dir.join("inv.yaml");
    std::fs::write(&path, contents).unwrap();
    path
}

fn generate(yaml: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), yaml);
    Command::new(BIN)
        .args(["generate", path.to_str().unwrap()])
        .output()
        .unwrap()
}

/// The `senderzone: error:` lines of a run that must fail with exit 2.
fn errors(yaml: &str) -> Vec<String> {
    let output = generate(yaml);
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(output.stdout.is_empty(), "stdout must stay empty on error");
    err.lines()
        .filter(|l| l.starts_with("senderzone: error: "))
        .map(str::to_owned)
        .collect()
}

/// The one error line holding every needle.
fn line_with<'l>(lines: &'l [String], needles: &[&str]) -> &'l str {
    lines
        .iter()
        .find(|l| needles.iter().all(|n| l.contains(n)))
        .unwrap_or_else(|| {
            panic!(
                "no error line contains all of {needles:?}:\n{}",
                lines.join("\n")
            )
        })
}

#[test]
fn three_mistakes_are_reported_in_one_run() {
    let yaml = BASE
        .replace("zones: [example.com]", "zones: example.com")
        .replace(
            "    ipv4: [198.51.100.10]",
            "    ipv4: [198.51.100.10]\n    ip6: [2001:db8::25]",
        )
        .replace(
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    all: -all",
        );
    let lines = errors(&yaml);
    assert_eq!(lines.len(), 3, "{lines:#?}");
    line_with(
        &lines,
        &[
            "inv.yaml:2:8:",
            "`zones`",
            "found the text `example.com` where a list",
            "`[example.com]`",
        ],
    );
    line_with(
        &lines,
        &[
            "inv.yaml:6:5:",
            "`servers[0].ip6`",
            "unknown field `ip6`",
            "did you mean `ipv6`?",
            "accepted:",
        ],
    );
    line_with(
        &lines,
        &[
            "inv.yaml:10:10:",
            "`domains[0].all`",
            "`-all`",
            "did you mean `fail`?",
            "accepted: `fail`",
        ],
    );
}

#[test]
fn messages_say_what_is_accepted() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "ttl: 3600",
            "ttl: -5",
            &[":1:6:", "`ttl`", "`-5`", "0 to 2147483647"],
        ),
        (
            "ttl: 3600",
            "ttl: '60'",
            &[":1:6:", "quoted", "without quotes"],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    ip4: [192.0.2.0/28, 192.0.2.0/28]",
            &[
                ":9:25:",
                "`domains[0].ip4[1]`",
                "duplicate of `domains[0].ip4[0]`",
            ],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.exmaple.com]",
            &[
                "`domains[0].servers[0]`",
                "did you mean `mail.example.com`?",
            ],
        ),
        (
            "ttl: 3600",
            "ttl: 3600\nclassless_labels: rfc2137",
            &["`classless_labels`", "did you mean `rfc2317`?"],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    dmarc: {policy: rejct, aspf: s}",
            &["did you mean `reject`?"],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    dmarc: {policy: none, aspf: s}",
            &["`domains[0].dmarc.aspf`", "did you mean `strict`?"],
        ),
        (
            "  - name: example.com",
            "  - nmae: example.com",
            &["unknown field `nmae`", "did you mean `name`?"],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    ip4: [{network: 32.0.0.0/3, broad: 'yes'}]",
            &[
                ":9:40:",
                "`domains[0].ip4[0].broad`",
                "where `true` or `false` is expected",
            ],
        ),
        (
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    dkim: [{selector: s1, retired: 1}]",
            &[
                ":9:36:",
                "`domains[0].dkim[0].retired`",
                "where `true` or `false` is expected",
            ],
        ),
    ];
    for (from, to, needles) in cases {
        assert!(BASE.contains(from), "case does not apply: {from}");
        line_with(&errors(&BASE.replacen(from, to, 1)), needles);
    }
}

#[test]
fn a_syntax_error_names_where_the_unclosed_collection_starts() {
    let yaml = BASE.replace(
        "    ipv4: [198.51.100.10]",
        "    ipv4: [198.51.100.10\n    ttl: 60",
    );
    let lines = errors(&yaml);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    // libyaml notices at line 6; the `[` that is not closed is on line 5.
    line_with(
        &lines,
        &["inv.yaml:6:", "starts at line 5 column 11", "closing `]`"],
    );
}

#[test]
fn a_repeated_key_is_reported_where_it_is_repeated() {
    let yaml = BASE.replace(
        "    ipv4: [198.51.100.10]",
        "    ipv4: [198.51.100.10]\n    ipv4: [198.51.100.11]",
    );
    let lines = errors(&yaml);
    line_with(
        &lines,
        &[
            "inv.yaml:6:5:",
            "`servers[0].ipv4`",
            "given twice",
            "first at line 5 column 5",
        ],
    );
}

#[test]
fn a_type_error_through_an_alias_is_placed_at_the_alias() {
    let yaml = BASE
        .replace(
            "  - hostname: mail.example.com",
            "  - hostname: &host mail.example.com",
        )
        .replace(
            "    servers: [mail.example.com]",
            "    servers: [mail.example.com]\n    ttl: *host",
        );
    let lines = errors(&yaml);
    line_with(
        &lines,
        &["inv.yaml:9:10:", "`domains[0].ttl`", "invalid TTL"],
    );
}

#[test]
fn a_flow_list_continued_at_column_0_keeps_every_location() {
    let yaml = BASE.replace(
        "    ipv4: [198.51.100.10]",
        "    ipv4: [198.51.100.10,\n198.51.100.300]",
    );
    let lines = errors(&yaml);
    line_with(
        &lines,
        &["inv.yaml:6:1:", "`servers[0].ipv4[1]`", "not an IP address"],
    );
}

#[test]
fn networks_broader_than_the_bound_need_broad_true() {
    let with = |networks: &str| {
        BASE.replace(
            "    servers: [mail.example.com]",
            &format!("    servers: [mail.example.com]\n{networks}"),
        )
    };
    let lines = errors(&with(
        "    ip4: [0.0.0.0/0, 32.0.0.0/3]\n    ip6: [\"::/0\", \"2000::/3\"]",
    ));
    line_with(
        &lines,
        &["`domains[0].ip4[0]`", "every IPv4 address", "+all"],
    );
    line_with(
        &lines,
        &[
            "`domains[0].ip4[1]`",
            "broader than /16",
            "{network: 32.0.0.0/3, broad: true}",
        ],
    );
    line_with(&lines, &["`domains[0].ip6[0]`", "every IPv6 address"]);
    line_with(&lines, &["`domains[0].ip6[1]`", "broader than /32"]);
    // `broad: true` lets a broad network through, but never a /0.
    let output = generate(&with(
        "    ip4:\n      - network: 32.0.0.0/3\n        broad: true\n    ip6: [{network: \"2000::/3\", broad: true}]",
    ));
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(out.contains("ip4:32.0.0.0/3 ip6:2000::/3 -all"), "{out}");
    let lines = errors(&with("    ip4: [{network: 0.0.0.0/0, broad: true}]"));
    line_with(&lines, &["`domains[0].ip4[0]`", "+all"]);
    // The bound itself is fine without it.
    let output = generate(&with(
        "    ip4: [100.64.0.0/16]\n    ip6: [\"2001:db8::/32\"]",
    ));
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn inventory_values_reach_the_terminal_escaped() {
    let yaml = BASE.replace(
        "  - hostname: mail.example.com",
        "  - hostname: \"mail\\e[31m.example.com\\nsenderzone: error: forged\"",
    );
    let output = generate(&yaml);
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!err.contains('\x1b'), "{err:?}");
    assert!(
        err.lines()
            .all(|l| !l.starts_with("senderzone: error: forged")),
        "{err}"
    );
    assert!(
        err.contains(r"mail\027[31m.example.com\010senderzone"),
        "{err}"
    );
}

#[test]
fn reported_problems_are_capped_with_a_count() {
    let addresses: Vec<String> = (0..250).map(|i| format!("bad{i}")).collect();
    let yaml = BASE.replace(
        "    ipv4: [198.51.100.10]",
        &format!("    ipv4: [{}]", addresses.join(", ")),
    );
    let lines = errors(&yaml);
    assert_eq!(lines.len(), 101, "{}", lines.join("\n"));
    assert!(lines[0].contains("`bad0`"), "{}", lines[0]);
    assert!(
        lines[100].contains("150 more problems not shown"),
        "{}",
        lines[100]
    );
}

#[test]
fn an_alias_bomb_is_one_error_fast() {
    let addresses: Vec<String> = (0..1000).map(|i| format!("bad{i}")).collect();
    let mut yaml = format!(
        "zones: [example.com]\nservers:\n  - hostname: m0.example.com\n    ipv4: &a [{}]\n",
        addresses.join(", ")
    );
    for i in 1..1000 {
        yaml.push_str(&format!("  - hostname: m{i}.example.com\n    ipv4: *a\n"));
    }
    let start = Instant::now();
    let output = generate(&yaml);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("aliases repeat more than 100000 values"),
        "{err}"
    );
    // The alias that crossed the limit: the 100th, on line 4 + 2 × 100.
    assert!(err.contains("inv.yaml:204:11:"), "{err}");
}

#[test]
fn deep_nesting_is_refused_early() {
    for yaml in [
        format!("zones: {}\n", "[".repeat(80_000)),
        format!("zones: {}x{}\n", "[".repeat(11), "]".repeat(11)),
        (0..12).fold(String::new(), |yaml, level| {
            format!("{yaml}{}k{level}:\n", "  ".repeat(level))
        }),
    ] {
        let start = Instant::now();
        let lines = errors(&yaml);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(lines.len(), 1, "{lines:#?}");
        line_with(&lines, &["inv.yaml:", "nests deeper than 10 levels"]);
    }
    // The deepest an inventory goes is fine.
    let yaml = BASE.replace(
        "    servers: [mail.example.com]",
        "    servers: [mail.example.com]\n    dmarc: {policy: none, rua: [a@example.com]}",
    );
    assert_eq!(generate(&yaml).status.code(), Some(0));
}

/// `generate` of [`BASE`] with its server's IPv4 addresses replaced by
/// `addresses`, which must succeed: its stderr.
fn generate_with_addresses(addresses: impl Iterator<Item = String>) -> String {
    let addresses: Vec<String> = addresses.collect();
    let yaml = BASE.replace(
        "    ipv4: [198.51.100.10]",
        &format!("    ipv4: [{}]", addresses.join(", ")),
    );
    let output = generate(&yaml);
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{err}");
    err
}

#[test]
fn warnings_are_capped_too() {
    let err = generate_with_addresses((0..150).map(|i| format!("10.0.0.{}", i + 1)));
    let inventory_warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("`servers[0].ipv4[") || l.contains("more warnings"))
        .collect();
    assert_eq!(inventory_warnings.len(), 101, "{err}");
    assert!(
        inventory_warnings[100].contains("50 more warnings not shown"),
        "{err}"
    );
}

/// One documentation address is a warning at its place, with its block;
/// many (an example's) are one warning naming each, the first ten by path.
#[test]
fn documentation_addresses_are_one_warning_naming_each() {
    let output = generate(BASE);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        err.contains("inv.yaml:5:12: `servers[0].ipv4[0]`: 198.51.100.10 is in 198.51.100.0/24 (documentation (TEST-NET-2), RFC 5737): fine for examples"),
        "{err}"
    );

    let err = generate_with_addresses((0..12).map(|i| format!("192.0.2.{}", i + 1)));
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("documentation"))
        .collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].contains(
            "inv.yaml:5:12: 12 values are documentation space (RFC 5737, RFC 3849), fine for examples; replace them with the real public addresses: `servers[0].ipv4[0]` 192.0.2.1, `servers[0].ipv4[1]` 192.0.2.2,"
        ),
        "{err}"
    );
    assert!(
        warnings[0].ends_with("`servers[0].ipv4[9]` 192.0.2.10, and 2 more"),
        "{err}"
    );
}

#[test]
fn a_second_document_is_refused_where_it_starts() {
    let lines = errors(&format!("{BASE}---\nttl: 60\n"));
    line_with(&lines, &["inv.yaml:9:1:", "second YAML document"]);
}
