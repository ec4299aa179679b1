//! Where `verify` and `spf` take their answers from, and what they say
//! about the name servers, against real servers on loopback: zone files
//! for their own zones and a server for a third party's SPF include (the
//! pre-publish check of every Google Workspace user), `--offline`, a
//! server that never answers, one that does not recurse, and one deadline
//! for every phase of a run.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{self, Bind, Nsd, run, text};

/// A domain whose SPF record includes a third party's, as
/// `include:_spf.google.com` does.
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
    include: [_spf.provider.test]
    dkim_selectors: [s1]
";

/// The third party's zone, run by someone else: a name server serves it,
/// no zone file of the user holds it.
const PROVIDER: &str =
    "_spf 3600 IN TXT \"v=spf1 ip4:203.0.113.0/28 ip6:2001:db8:aaaa::/48 -all\"\n";

/// `s1._domainkey.example.net`: a 2048-bit RSA key from the receivers'
/// fixture, so that the selector the inventory names is published.
fn dkim_key_record() -> String {
    let fixture = std::fs::read_to_string(support::repo_file(
        "tests/fixtures/verify-receivers-extra.zone",
    ))
    .unwrap();
    let line = fixture
        .lines()
        .find(|l| l.starts_with("s2048._domainkey "))
        .expect("the 2048-bit key of the fixture");
    format!(
        "{}.example.net.{}\n",
        "s1._domainkey",
        &line["s2048._domainkey".len()..]
    )
}

/// The inventory and the zone files `generate --out` writes for it,
/// wrapped with an SOA as the user's zone files have one.
struct Prepublish {
    _dir: tempfile::TempDir,
    inventory: PathBuf,
    zone_files: Vec<PathBuf>,
}

impl Prepublish {
    fn new() -> Prepublish {
        let dir = tempfile::tempdir().unwrap();
        let inventory = dir.path().join("mail.yaml");
        std::fs::write(&inventory, INVENTORY).unwrap();
        let zone_files = support::generated_zones(&inventory)
            .into_iter()
            .map(|(origin, mut snippet)| {
                if origin == "example.net" {
                    // The selector's key, published by whoever runs the signer.
                    snippet.push_str(&dkim_key_record());
                }
                let file = dir.path().join(format!("{origin}.zone"));
                std::fs::write(&file, support::wrap_zone(&origin, &snippet)).unwrap();
                file
            })
            .collect();
        Prepublish {
            _dir: dir,
            inventory,
            zone_files,
        }
    }

    /// `--zone-file F` for every zone file.
    fn zone_args(&self) -> Vec<&str> {
        self.zone_files
            .iter()
            .flat_map(|file| ["--zone-file", path(file)])
            .collect()
    }

    /// The zone file of `example.net`.
    fn forward_zone(&self) -> &str {
        let file = self
            .zone_files
            .iter()
            .find(|f| f.ends_with("example.net.zone"));
        path(file.unwrap())
    }
}

fn provider() -> Nsd {
    Nsd::start(&[(
        "provider.test",
        support::wrap_zone("provider.test", PROVIDER),
    )])
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `verify INVENTORY --format json` with `extra`: the run and its report.
fn verify(inventory: &Path, extra: &[&str]) -> (Output, Value) {
    let mut args = vec!["verify", path(inventory), "--format", "json"];
    args.extend_from_slice(extra);
    let output = run(&args);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: no JSON report ({e}):\n{}", text(&output)));
    (output, report)
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

fn ids(report: &Value) -> Vec<&str> {
    findings(report)
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect()
}

fn with_severity<'a>(report: &'a Value, severity: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| f["severity"] == severity)
        .collect()
}

#[test]
fn zone_files_answer_their_zones_and_the_nameserver_the_include() {
    let world = Prepublish::new();
    let nsd = provider();
    let server = nsd.addr().to_string();
    let mut args = world.zone_args();
    args.extend(["--nameserver", &server, "--timeout", "20"]);
    let (output, report) = verify(&world.inventory, &args);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert!(with_severity(&report, "error").is_empty(), "{report:#}");
    assert!(!ids(&report).contains(&"dns-offline"), "{report:#}");
    // The include was asked of the server: its record counts.
    assert!(report["summary"]["queries"].as_u64().unwrap() > 0);
}

#[test]
fn offline_reports_the_include_as_not_checkable_never_as_an_error() {
    let world = Prepublish::new();
    let mut args = world.zone_args();
    args.push("--offline");
    let (output, report) = verify(&world.inventory, &args);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert!(with_severity(&report, "error").is_empty(), "{report:#}");
    let offline: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["id"] == "dns-offline")
        .collect();
    assert!(!offline.is_empty(), "{report:#}");
    for finding in &offline {
        assert_eq!(finding["severity"], "info", "{finding:#}");
        let message = finding["message"].as_str().unwrap();
        assert!(message.contains("not checkable offline"), "{message}");
        assert!(message.contains("`_spf.provider.test`"), "{message}");
    }
    // A check of the outside name never passes: whether an address
    // outside the inventory is refused is not known offline.
    assert!(
        offline.iter().any(|f| f["subject"] == "example.net"
            && f["message"]
                .as_str()
                .unwrap()
                .contains("outside the inventory")),
        "{report:#}"
    );
    // Nor does a receiver rule read as met while a check went unchecked.
    let mut receivers = args.clone();
    receivers.push("--receivers");
    let (output, report) = verify(&world.inventory, &receivers);
    // Warnings (no DMARC) and infos only: exit 0 under `--fail-on error`.
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let rules = report["receivers"].as_array().unwrap();
    assert!(!rules.is_empty());
    assert!(rules.iter().all(|r| r["status"] != "met"), "{report:#}");
    // The text report says the same.
    let mut args = vec!["verify", path(&world.inventory)];
    args.extend(world.zone_args());
    args.push("--offline");
    let output = run(&args);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(shown.contains("dns-offline"), "{shown}");
    // `--offline` asks nothing: it cannot take a server, nor go without zone files.
    for bad in [
        vec!["verify", path(&world.inventory), "--offline"],
        vec![
            "verify",
            path(&world.inventory),
            "--zone-file",
            world.forward_zone(),
            "--offline",
            "--nameserver",
            "127.0.0.1",
        ],
        vec![
            "verify",
            path(&world.inventory),
            "--zone-file",
            world.forward_zone(),
            "--offline",
            "--dnsbl",
        ],
    ] {
        let output = run(&bad);
        assert_eq!(output.status.code(), Some(2), "{bad:?}: {}", text(&output));
    }
}

#[test]
fn spf_eval_and_check_take_the_include_from_the_nameserver() {
    let world = Prepublish::new();
    let nsd = provider();
    let server = nsd.addr().to_string();
    let zone = world.forward_zone();
    let eval = |ip: &str, network: &[&str]| {
        let mut args = vec![
            "spf",
            "eval",
            "--domain",
            "example.net",
            "--ip",
            ip,
            "--zone-file",
            zone,
        ];
        args.extend_from_slice(network);
        run(&args)
    };
    let live = ["--nameserver", server.as_str()];
    // 203.0.113.5 is allowed by the include only.
    let output = eval("203.0.113.5", &live);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("result: pass"), "{}", text(&output));
    let output = eval("198.51.100.99", &live);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(text(&output).contains("result: fail"), "{}", text(&output));
    // Offline, the include cannot be read: no pass and no fail.
    let output = eval("203.0.113.5", &["--offline"]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(3), "{shown}");
    assert!(shown.contains("not checkable offline"), "{shown}");
    assert!(shown.contains("_spf.provider.test"), "{shown}");

    let check = |network: &[&str]| {
        let mut args = vec![
            "spf",
            "check",
            "--domain",
            "example.net",
            "--format",
            "json",
            "--zone-file",
            zone,
        ];
        args.extend_from_slice(network);
        let output = run(&args);
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: no JSON ({e}):\n{}", text(&output)));
        (output, report)
    };
    let (output, report) = check(&live);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert!(!ids(&report).contains(&"spf-dns-error"), "{report:#}");
    assert!(
        !ids(&report).contains(&"spf-include-no-record"),
        "{report:#}"
    );
    // One DNS-querying term, the include; none in it.
    assert_eq!(report["dns_lookups"], 1, "{report:#}");
    let (output, report) = check(&["--offline"]);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let offline: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["id"] == "dns-offline")
        .collect();
    assert_eq!(offline.len(), 1, "{report:#}");
    assert_eq!(offline[0]["severity"], "info");
    assert!(
        offline[0]["message"]
            .as_str()
            .unwrap()
            .contains("`_spf.provider.test`")
    );
}

/// Every finding is about the server, once, and the run exits 3.
fn assert_one_silent_finding(output: &Output, report: &Value, server: &str) {
    assert_eq!(output.status.code(), Some(3), "{report:#}");
    assert_eq!(ids(report), ["nameserver-silent"], "{report:#}");
    let finding = &findings(report)[0];
    assert_eq!(finding["subject"], server, "{finding:#}");
    assert_eq!(finding["severity"], "error", "{finding:#}");
    // The queries left unanswered are counted: every server's address
    // and PTR, the domain's SPF record, at least.
    let message = finding["message"].as_str().unwrap();
    let unanswered: u64 = message
        .split(" queries of this run left unanswered")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no count in: {message}"));
    assert!(unanswered >= 4, "{message}");
    assert_eq!(report["summary"]["undetermined"], 1, "{report:#}");
}

#[test]
fn a_server_that_never_answers_is_one_finding() {
    let world = Prepublish::new();
    // Bound and never read: every query is dropped.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = silent.local_addr().unwrap().to_string();
    let started = Instant::now();
    let (output, report) = verify(
        &world.inventory,
        &["--nameserver", &server, "--timeout", "3"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_one_silent_finding(&output, &report, &server);
    // Nothing listens at all: the kernel refuses every query.
    let closed = format!("127.0.0.1:{}", support::free_port());
    let (output, report) = verify(
        &world.inventory,
        &["--nameserver", &closed, "--timeout", "3"],
    );
    assert_one_silent_finding(&output, &report, &closed);
}

#[test]
fn an_authoritative_only_server_is_named_with_the_authoritative_hint() {
    let world = Prepublish::new();
    let zones: Vec<(String, String)> = world
        .zone_files
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            let origin = file
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .trim_end_matches(".zone");
            (origin.to_owned(), text)
        })
        .collect();
    // NSD answers REFUSED outside its zones; BIND with `recursion no` too,
    // or a referral.
    let nsd = Nsd::start(&zones);
    let bind = Bind::start(&zones);
    for server in [nsd.addr().to_string(), bind.addr().to_string()] {
        let (output, report) = verify(
            &world.inventory,
            &["--nameserver", &server, "--timeout", "20"],
        );
        assert_eq!(output.status.code(), Some(3), "{server}: {report:#}");
        let refusing: Vec<&Value> = findings(&report)
            .iter()
            .filter(|f| f["id"] == "nameserver-not-recursive")
            .collect();
        assert_eq!(refusing.len(), 1, "{server}: {report:#}");
        assert_eq!(refusing[0]["subject"], server.as_str());
        assert!(
            refusing[0]["message"]
                .as_str()
                .unwrap()
                .contains("`_spf.provider.test`"),
            "{server}: {report:#}"
        );
        assert!(
            refusing[0]["fix"]
                .as_str()
                .unwrap()
                .contains("--authoritative"),
            "{server}: {report:#}"
        );
        // Its zones were answered: nothing there is wrong.
        assert!(
            !ids(&report).contains(&"spf-missing"),
            "{server}: {report:#}"
        );
    }
}

#[test]
fn one_deadline_covers_receivers_and_blocklists() {
    let world = Prepublish::new();
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = silent.local_addr().unwrap().to_string();
    for phase in ["--receivers", "--dnsbl"] {
        let started = Instant::now();
        let (output, report) = verify(
            &world.inventory,
            &["--nameserver", &server, "--timeout", "3", phase],
        );
        let took = started.elapsed();
        // 3 s and a margin for a loaded machine; without one deadline the
        // phases took 15 s and more.
        assert!(took < Duration::from_secs(9), "{phase}: {took:?}");
        assert_eq!(output.status.code(), Some(3), "{phase}: {report:#}");
        assert_eq!(ids(&report), ["nameserver-silent"], "{phase}: {report:#}");
    }
}

#[test]
fn receiver_rules_cite_the_silent_server_the_report_shows() {
    // The rules are judged before the silent server's one finding takes
    // the place of the checks' `dns-error`s: they cite that finding.
    let world = Prepublish::new();
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = silent.local_addr().unwrap().to_string();
    let args = ["--nameserver", &server, "--timeout", "3", "--receivers"];
    let (output, report) = verify(&world.inventory, &args);
    assert_eq!(output.status.code(), Some(3), "{report:#}");
    let shown = ids(&report);
    assert_eq!(shown, ["nameserver-silent"], "{report:#}");
    let mut undetermined = 0;
    for rule in report["receivers"].as_array().unwrap() {
        for field in ["evidence", "remarks"] {
            for id in rule[field].as_array().unwrap() {
                let id = id.as_str().unwrap();
                assert!(
                    shown.contains(&id),
                    "{field} {id} is not in the report: {rule}"
                );
            }
        }
        if rule["status"] == "undetermined" {
            undetermined += 1;
            assert_eq!(
                rule["evidence"],
                serde_json::json!(["nameserver-silent"]),
                "{rule}"
            );
        }
    }
    assert!(undetermined > 0, "{report:#}");
    // The text report too.
    let mut text_args = vec!["verify", path(&world.inventory)];
    text_args.extend_from_slice(&args);
    let text = support::stdout(&run(&text_args));
    assert!(!text.contains("dns-error"), "{text}");
    assert!(
        text.contains("could not determine (nameserver-silent)"),
        "{text}"
    );
}
