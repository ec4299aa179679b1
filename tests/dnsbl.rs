//! `senderzone dnsbl` against test blocklists served by a real NSD on
//! loopback, one per behaviour real lists show: healthy, listing everything,
//! refusing, empty (resolver blocked), hijacked answers, IPv6-only, a domain
//! list, and a server that never answers. Never a real list.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{self, BIN};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dnsbl");
const ZONES: &[&str] = &[
    "healthy.bl.test",
    "wildcard.bl.test",
    "refusing.bl.test",
    "empty.bl.test",
    "hijack.bl.test",
    "v6.bl.test",
    "dbl.test",
];
/// Lists that must never give a verdict.
const BROKEN: &[&str] = &[
    "wildcard.bl.test",
    "refusing.bl.test",
    "empty.bl.test",
    "hijack.bl.test",
];

fn serve() -> support::Nsd {
    let texts: Vec<(String, String)> = ZONES
        .iter()
        .map(|zone| {
            let path = Path::new(FIXTURES).join(format!("{zone}.zone"));
            (zone.to_string(), std::fs::read_to_string(path).unwrap())
        })
        .collect();
    support::Nsd::start(&texts)
}

fn dnsbl(server: &str, extra: &[&str]) -> Output {
    let lists = format!("{FIXTURES}/lists.yaml");
    let mut args = vec!["dnsbl", "--lists", &lists, "--nameserver", server];
    for zone in ZONES {
        args.extend(["--list", zone]);
    }
    args.extend_from_slice(extra);
    Command::new(BIN).args(&args).output().unwrap()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)))
}

fn verdict<'a>(report: &'a Value, target: &str, zone: &str) -> &'a Value {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == target)
        .unwrap_or_else(|| panic!("no target {target}"))["lists"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["zone"] == zone)
        .unwrap_or_else(|| panic!("{zone} not asked about {target}"))
}

fn health<'a>(report: &'a Value, zone: &str, key: &str) -> &'a str {
    report["health"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["zone"] == zone && h["key"] == key)
        .and_then(|h| h["health"]["state"].as_str())
        .unwrap_or_else(|| panic!("{zone}/{key} not tested"))
}

#[test]
fn every_list_behaviour_gets_exactly_the_right_verdict() {
    let nsd = serve();
    let server = nsd.addr().to_string();
    let targets = [
        "192.0.2.99",
        "192.0.2.98",
        "192.0.2.97",
        "192.0.2.1",
        "2001:db8::9",
        "2001:db8::25",
        "2001:db8::1",
        "spammy.example",
        "example.org",
    ];
    let mut args: Vec<&str> = targets.to_vec();
    args.extend(["--format", "json"]);
    let output = dnsbl(&server, &args);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json(&output);

    assert_eq!(health(&report, "healthy.bl.test", "ipv4"), "healthy");
    assert_eq!(health(&report, "healthy.bl.test", "ipv6"), "healthy");
    assert_eq!(
        health(&report, "wildcard.bl.test", "ipv4"),
        "lists-everything"
    );
    assert_eq!(health(&report, "refusing.bl.test", "ipv4"), "refused");
    assert_eq!(health(&report, "empty.bl.test", "ipv4"), "refused");
    assert_eq!(health(&report, "hijack.bl.test", "ipv4"), "refused");
    assert_eq!(health(&report, "v6.bl.test", "ipv6"), "healthy");
    assert_eq!(health(&report, "dbl.test", "domain"), "healthy");

    let listed = verdict(&report, "192.0.2.99", "healthy.bl.test");
    assert_eq!(listed["verdict"], "listed");
    assert_eq!(listed["listings"][0]["code"], "127.0.0.4");
    assert_eq!(listed["listings"][0]["impact"], "critical");
    assert!(listed["reason"].as_str().unwrap().contains("bot activity"));
    let two = verdict(&report, "192.0.2.98", "healthy.bl.test");
    assert_eq!(two["listings"].as_array().unwrap().len(), 2);
    assert!(
        two["listings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["impact"] == "policy")
    );
    // An undocumented code is not a listing.
    assert_eq!(
        verdict(&report, "192.0.2.97", "healthy.bl.test")["verdict"],
        "unknown"
    );
    assert_eq!(
        verdict(&report, "192.0.2.1", "healthy.bl.test")["verdict"],
        "not-listed"
    );
    assert_eq!(
        verdict(&report, "2001:db8::9", "healthy.bl.test")["verdict"],
        "listed"
    );
    assert_eq!(
        verdict(&report, "2001:db8::25", "v6.bl.test")["verdict"],
        "listed"
    );
    assert_eq!(
        verdict(&report, "2001:db8::1", "v6.bl.test")["verdict"],
        "not-listed"
    );
    assert_eq!(
        verdict(&report, "spammy.example", "dbl.test")["verdict"],
        "listed"
    );
    assert_eq!(
        verdict(&report, "example.org", "dbl.test")["verdict"],
        "not-listed"
    );

    // No refusal code, no dead or unhealthy list ever yields listed or clean.
    for target in report["targets"].as_array().unwrap() {
        for list in target["lists"].as_array().unwrap() {
            if BROKEN.contains(&list["zone"].as_str().unwrap()) {
                assert_eq!(list["verdict"], "unknown", "{target}");
            }
        }
    }
    let overall = |t: &str| {
        report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["target"] == t)
            .unwrap()["overall"]
            .clone()
    };
    assert_eq!(overall("192.0.2.99"), "listed");
    assert_eq!(overall("192.0.2.1"), "not-listed");
    assert_eq!(overall("example.org"), "not-listed");
}

#[test]
fn only_broken_lists_give_no_verdict_never_clean() {
    let nsd = serve();
    let server = nsd.addr().to_string();
    let lists = format!("{FIXTURES}/lists.yaml");
    let mut args = vec![
        "dnsbl",
        "192.0.2.99",
        "192.0.2.1",
        "--lists",
        &lists,
        "--nameserver",
        &server,
    ];
    for zone in BROKEN {
        args.extend(["--list", zone]);
    }
    let output = Command::new(BIN).args(&args).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(text.contains("192.0.2.99: UNKNOWN"), "{text}");
    assert!(text.contains("192.0.2.1: UNKNOWN"), "{text}");
    assert!(
        !text.contains("clean") && !text.contains("listed  "),
        "{text}"
    );
    assert!(text.contains("lists everything"), "{text}");
}

#[test]
fn a_list_that_never_answers_is_unknown_in_bounded_time() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = silent.local_addr().unwrap().to_string();
    let lists = format!("{FIXTURES}/lists.yaml");
    let started = Instant::now();
    let output = Command::new(BIN)
        .args([
            "dnsbl",
            "192.0.2.99",
            "--lists",
            &lists,
            "--list",
            "healthy.bl.test",
            "--nameserver",
            &server,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(3));
    let report = json(&output);
    assert_eq!(health(&report, "healthy.bl.test", "ipv4"), "not-answering");
    assert_eq!(
        verdict(&report, "192.0.2.99", "healthy.bl.test")["verdict"],
        "unknown"
    );
}

#[test]
fn text_report_explains_listings_and_dead_lists() {
    let nsd = serve();
    let server = nsd.addr().to_string();
    let output = dnsbl(&server, &["192.0.2.99", "--list", "dnsbl.sorbs.net"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("192.0.2.99: LISTED"), "{text}");
    assert!(
        text.contains("what to do: find the infected host"),
        "{text}"
    );
    assert!(
        text.contains("delisting: https://healthy.bl.test/remove"),
        "{text}"
    );
    assert!(
        text.contains("dead list, not queried: dnsbl.sorbs.net"),
        "{text}"
    );
}

#[test]
fn bad_input_exits_2() {
    for args in [
        vec!["dnsbl", "not an address"],
        vec!["dnsbl", "192.0.2.1", "--list", "unknown.example"],
        vec!["dnsbl", "192.0.2.1", "--lists", "/nonexistent.yaml"],
        vec!["dnsbl", "192.0.2.1", "--concurrency", "0"],
    ] {
        let output = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn a_listing_decides_the_exit_code_by_its_impact() {
    let nsd = serve();
    let server = nsd.addr().to_string();
    // The healthy list again, declared informational (UCEPROTECT L2/L3 or
    // a country list): its listing is reported, but is no problem.
    let dir = tempfile::tempdir().unwrap();
    let lists = dir.path().join("lists.yaml");
    std::fs::write(
        &lists,
        "lists:\n  - {zone: healthy.bl.test, keys: [ipv4], impact: informational, \
         codes: {127.0.0.2: {meaning: listed}, 127.0.0.4: {meaning: a neighbour was listed}}}\n",
    )
    .unwrap();
    let lists = lists.to_str().unwrap();
    let run = |target: &str| {
        Command::new(BIN)
            .args([
                "dnsbl",
                target,
                "--lists",
                lists,
                "--list",
                "healthy.bl.test",
            ])
            .args(["--nameserver", &server])
            .output()
            .unwrap()
    };
    let output = run("192.0.2.99");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("192.0.2.99: LISTED"), "{text}");
    assert!(text.contains("[informational]"), "{text}");
    assert_eq!(output.status.code(), Some(0), "{text}");
    // A code the list does not document stays unknown, never clean.
    let output = run("192.0.2.97");
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
