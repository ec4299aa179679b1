//! `senderzone dnsbl` against test blocklists served by a real NSD on
//! loopback, one per behaviour real lists show: healthy, listing everything,
//! refusing, empty (resolver blocked), hijacked answers, IPv6-only, a domain
//! list, a list no registry describes, and a server that never answers.
//! Never a real list. Also how people give targets (CIDR blocks, stdin),
//! read the text report (`-q`, `-v`, the progress bar) and what
//! `verify --dnsbl` makes of it.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{self, BIN, output_with_stdin};

pub(crate) const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dnsbl");
pub(crate) const ZONES: &[&str] = &[
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

/// A list that no registry (built in or `lists.yaml`) describes.
pub(crate) const UNDOCUMENTED: &str = "plain.bl.test";

pub(crate) fn serve() -> support::Nsd {
    let texts: Vec<(String, String)> = ZONES
        .iter()
        .chain([&UNDOCUMENTED])
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
    // A healthy list's answer with a code it does not document is a
    // listing whose meaning is not known, never "unknown".
    let undocumented = verdict(&report, "192.0.2.97", "healthy.bl.test");
    assert_eq!(undocumented["verdict"], "listed", "{undocumented}");
    assert_eq!(undocumented["listings"][0]["code"], "127.0.0.77");
    assert_eq!(undocumented["listings"][0]["documented"], false);
    assert_eq!(undocumented["listings"][0]["impact"], "critical");
    assert!(
        undocumented["listings"][0]["meaning"]
            .as_str()
            .unwrap()
            .contains("not documented for this list"),
        "{undocumented}"
    );
    assert_eq!(listed["listings"][0]["documented"], true);
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
        text.contains("dead lists, not queried:\n  dnsbl.sorbs.net: SORBS was shut down"),
        "{text}"
    );
}

#[test]
fn bad_input_exits_2() {
    for args in [
        vec!["dnsbl", "not an address"],
        vec!["dnsbl", "192.0.2.1", "--list", "not a zone"],
        vec!["dnsbl", "192.0.2.0/23"],
        vec!["dnsbl", "192.0.2.1/24"],
        vec!["dnsbl", "192.0.2.0/33"],
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
    // A code the list does not document is a listing of the list's
    // impact: reported, and here no problem.
    let output = run("192.0.2.97");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("192.0.2.97: LISTED\n  listed on healthy.bl.test: 127.0.0.77 listed, with a code not documented for this list"),
        "{text}"
    );
    assert_eq!(output.status.code(), Some(0), "{text}");
}

/// `dnsbl` with `lists.yaml`, the lists `zones` and `args`, `stdin` fed.
fn dnsbl_with(server: &str, zones: &[&str], args: &[&str], stdin: Option<&str>) -> Output {
    let lists = format!("{FIXTURES}/lists.yaml");
    let mut command = Command::new(BIN);
    command.args(["dnsbl", "--lists", &lists, "--nameserver", server]);
    for zone in zones {
        command.args(["--list", zone]);
    }
    output_with_stdin(command.args(args), stdin)
}

/// The targets of a JSON report, in order.
fn targets(report: &Value) -> Vec<String> {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn cidr_blocks_are_checked_address_by_address_up_to_a_cap() {
    let nsd = serve();
    let server = nsd.addr().to_string();
    let output = dnsbl_with(
        &server,
        &["healthy.bl.test"],
        &["192.0.2.96/30", "--format", "json"],
        None,
    );
    let report = json(&output);
    assert_eq!(
        targets(&report),
        ["192.0.2.96", "192.0.2.97", "192.0.2.98", "192.0.2.99"]
    );
    assert_eq!(
        verdict(&report, "192.0.2.99", "healthy.bl.test")["verdict"],
        "listed"
    );
    assert_eq!(output.status.code(), Some(1));
    // A /24 is the most one block may name; a /23 is refused, with why.
    let output = dnsbl_with(
        &server,
        &["healthy.bl.test"],
        &["192.0.2.0/24", "--format", "json"],
        None,
    );
    assert_eq!(targets(&json(&output)).len(), 256);
    let output = dnsbl_with(&server, &["healthy.bl.test"], &["198.51.100.0/23"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(
        support::stderr(&output)
            .contains("`198.51.100.0/23` holds 512 addresses; at most 256 are checked per block"),
        "{}",
        support::stderr(&output)
    );
    let output = dnsbl_with(&server, &["healthy.bl.test"], &["2001:db8::/64"], None);
    assert!(
        support::stderr(&output).contains("holds 2^64 addresses"),
        "{}",
        support::stderr(&output)
    );
    let output = dnsbl_with(&server, &["healthy.bl.test"], &["192.0.2.97/30"], None);
    assert!(
        support::stderr(&output).contains("the block is `192.0.2.96/30`"),
        "{}",
        support::stderr(&output)
    );
}

#[test]
fn dash_reads_targets_from_stdin_one_per_line() {
    let nsd = serve();
    let server = nsd.addr().to_string();
    let input = "# servers to watch\n192.0.2.98/31\n\n  spammy.example   # the shop\n2001:db8::9\n";
    let output = dnsbl_with(
        &server,
        &["healthy.bl.test", "dbl.test"],
        &["192.0.2.1", "-", "--format", "json"],
        Some(input),
    );
    let report = json(&output);
    assert_eq!(
        targets(&report),
        [
            "192.0.2.1",
            "192.0.2.98",
            "192.0.2.99",
            "spammy.example",
            "2001:db8::9"
        ]
    );
    assert_eq!(
        verdict(&report, "spammy.example", "dbl.test")["verdict"],
        "listed"
    );
    // A bad line is bad input, named by its line, and nothing is asked.
    let output = dnsbl_with(
        &server,
        &["healthy.bl.test"],
        &["-"],
        Some("192.0.2.1\n# fine\nnot a target\n"),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let err = support::stderr(&output);
    assert!(
        err.contains("senderzone: error: <stdin>:3: `not a target` is neither"),
        "{err}"
    );
    // Nothing to check at all is a usage error, not a clean bill.
    let output = dnsbl_with(&server, &["healthy.bl.test"], &["-"], Some("# none\n"));
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        support::stderr(&output)
    );
}

#[test]
fn a_list_not_in_the_registry_is_asked_with_rfc_5782_defaults() {
    let nsd = serve();
    let server = nsd.addr().to_string();
    let output = dnsbl_with(
        &server,
        &[UNDOCUMENTED],
        &["192.0.2.99", "192.0.2.1", "2001:db8::9", "--format", "json"],
        None,
    );
    let err = support::stderr(&output);
    assert!(
        err.contains(&format!(
            "senderzone: note: `{UNDOCUMENTED}` is not in the registry: any answer from 127.0.0.2 to 127.0.0.255 counts as listed (RFC 5782)"
        )) && err.contains("its codes are not known in detail"),
        "{err}"
    );
    // 127.0.0.3 is documented nowhere, and still a listing.
    assert_eq!(output.status.code(), Some(1), "{err}");
    let report = json(&output);
    let listed = verdict(&report, "192.0.2.99", UNDOCUMENTED);
    assert_eq!(listed["verdict"], "listed", "{listed}");
    assert_eq!(listed["listings"][0]["code"], "127.0.0.3");
    assert!(
        listed["listings"][0]["meaning"]
            .as_str()
            .unwrap()
            .contains("not known in detail")
    );
    assert_eq!(
        verdict(&report, "192.0.2.1", UNDOCUMENTED)["verdict"],
        "not-listed"
    );
    // Its test entries decide what it is used for: it has none for IPv6.
    assert_eq!(health(&report, UNDOCUMENTED, "ipv4"), "healthy");
    assert_eq!(health(&report, UNDOCUMENTED, "ipv6"), "refused");
    assert_eq!(
        verdict(&report, "2001:db8::9", UNDOCUMENTED)["verdict"],
        "unknown"
    );
    let output = dnsbl_with(&server, &[UNDOCUMENTED], &["2001:db8::9"], None);
    let text = support::stdout(&output);
    assert!(
        text.contains(&format!(
            "{UNDOCUMENTED} for IPv6 addresses: refused or filtered: its RFC 5782 test entry for IPv6 addresses is not listed (NXDOMAIN): the list does not take them"
        )),
        "{text}"
    );
}

#[test]
fn the_text_report_names_each_unusable_list_once_in_words() {
    let nsd = serve();
    let server = nsd.addr().to_string();
    let output = dnsbl(&server, &["192.0.2.99", "192.0.2.1"]);
    let text = support::stdout(&output);
    for leak in ["Ipv4", "Ipv6", "Domain", "the list is lists", "\n\n"] {
        assert!(!text.contains(leak), "{leak:?} in:\n{text}");
    }
    for zone in BROKEN {
        assert_eq!(text.matches(zone).count(), 1, "{zone} in:\n{text}");
    }
    assert!(
        text.contains(
            "wildcard.bl.test for IPv4 addresses: lists everything: its RFC 5782 negative test entry, which no list may list, answered 127.0.0.2"
        ),
        "{text}"
    );
    assert!(
        text.contains("192.0.2.99: LISTED\n  listed on healthy.bl.test (Healthy test list): 127.0.0.4 infected host (CBL-like) [critical]\n"),
        "{text}"
    );
    assert!(
        text.contains("192.0.2.1: not listed on 1 list that answered\n"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "2 target(s): 1 listed, 1 not listed, 0 unknown; 1 of 5 list test(s) passed\n"
        ),
        "{text}"
    );
    assert!(!text.contains("not listed on healthy"), "{text}");

    // -v: every list's answer for every target, and every test.
    let verbose = support::stdout(&dnsbl(&server, &["192.0.2.1", "-v"]));
    assert!(
        verbose.contains("192.0.2.1: not listed on 1 list that answered\n  not listed on healthy.bl.test (Healthy test list)\n"),
        "{verbose}"
    );
    // A list not used is told about once, with its test, not per target.
    let verbose = support::stdout(&dnsbl(&server, &["192.0.2.1", "192.0.2.96", "-v"]));
    assert!(!verbose.contains("no answer from"), "{verbose}");
    for zone in BROKEN {
        assert_eq!(verbose.matches(zone).count(), 1, "{zone} in:\n{verbose}");
    }
    assert!(
        verbose.contains("RFC 5782 tests of the lists in this run (a list that failed is not used):\n  healthy.bl.test for IPv4 addresses: healthy\n"),
        "{verbose}"
    );
    // -q: the verdicts without the summary.
    let quiet = dnsbl(&server, &["192.0.2.99", "-q"]);
    let text = support::stdout(&quiet);
    assert!(text.starts_with("192.0.2.99: LISTED\n"), "{text}");
    assert!(!text.contains("target(s)"), "{text}");
    assert_eq!(quiet.status.code(), Some(1));
}

#[test]
fn the_progress_bar_is_cleared_when_the_run_ends() {
    let nsd = serve();
    let lists = format!("{FIXTURES}/lists.yaml");
    // `script` gives the run a terminal, where the bar is drawn; stdout
    // goes to /dev/null, so what the terminal shows is stderr alone.
    let command = format!(
        "{BIN} dnsbl 192.0.2.96/28 --lists {lists} --list healthy.bl.test --nameserver {} >/dev/null",
        nsd.addr()
    );
    let output = Command::new(support::tool("script"))
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let shown = support::stdout(&output);
    assert!(shown.contains("] 17/17 queries"), "{shown:?}");
    assert!(shown.ends_with("queries\r\x1b[K"), "{shown:?}");
    // -q draws none.
    let output = Command::new(support::tool("script"))
        .args(["-qec", &format!("{command} -q"), "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(support::stdout(&output), "");
}

#[test]
fn the_resolver_is_blamed_only_when_a_list_refused_it() {
    let nsd = serve();
    let server = nsd.addr().to_string();
    // The positive test entry is missing: the list is not used, but no list
    // said "refused".
    let output = dnsbl_with(&server, &["empty.bl.test"], &["192.0.2.1"], None);
    let err = support::stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(!err.contains("refused"), "{err}");
    assert!(!err.contains("public"), "{err}");
    let output = dnsbl_with(&server, &["refusing.bl.test"], &["192.0.2.1"], None);
    let err = support::stderr(&output);
    assert!(
        err.contains("senderzone: warning: lists refused the resolver in use (refusing.bl.test answered 127.255.255.254: refused: open resolver)"),
        "{err}"
    );
}

/// One server announcing `localhost.localdomain` from an address the
/// healthy list lists as an infected host (CBL-like), and a domain.
const CBL_INVENTORY: &str = "\
zones: [example.net]
reverse_zones: [192.0.2.0/24]
servers:
  - hostname: mail.example.net
    helo: localhost.localdomain
    ipv4: [192.0.2.99]
domains:
  - name: example.net
    servers: [mail.example.net]
";

const CBL_ZONE: &str = "\
$ORIGIN example.net.
$TTL 60
@ IN SOA ns1.test.invalid. hostmaster.test.invalid. 1 3600 600 604800 60
@ IN NS ns1.test.invalid.
@ IN TXT \"v=spf1 ip4:192.0.2.99 -all\"
mail IN A 192.0.2.99
mail IN TXT \"v=spf1 a -all\"
";

/// `verify --dnsbl` of [`CBL_INVENTORY`] with the lists `zones`: the
/// findings of its JSON report.
fn verify_dnsbl(zones: &[&str]) -> Vec<Value> {
    let mut texts: Vec<(String, String)> = zones
        .iter()
        .map(|zone| {
            let path = Path::new(FIXTURES).join(format!("{zone}.zone"));
            (zone.to_string(), std::fs::read_to_string(path).unwrap())
        })
        .collect();
    texts.push(("example.net".to_owned(), CBL_ZONE.to_owned()));
    let nsd = support::Nsd::start(&texts);
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory.yaml");
    std::fs::write(&inventory, CBL_INVENTORY).unwrap();
    let lists = format!("{FIXTURES}/lists.yaml");
    let mut command = Command::new(BIN);
    command.arg("verify").arg(&inventory).args([
        "--nameserver",
        &nsd.addr().to_string(),
        "--dnsbl",
        "--lists",
        &lists,
        "--timeout",
        "10",
        "--format",
        "json",
    ]);
    for zone in zones {
        command.args(["--list", zone]);
    }
    let report = json(&command.output().unwrap());
    report["findings"].as_array().unwrap().clone()
}

#[test]
fn verify_points_a_listing_to_the_finding_that_causes_it() {
    let findings = verify_dnsbl(&["healthy.bl.test"]);
    let find = |id: &str| findings.iter().find(|f| f["id"] == id);
    let helo = find("helo-invalid").expect("helo-invalid");
    assert_eq!(helo["subject"], "localhost.localdomain");
    let listed = find("dnsbl-listed").expect("dnsbl-listed");
    assert_eq!(listed["subject"], "192.0.2.99");
    let fix = listed["fix"].as_str().unwrap();
    assert!(
        fix.starts_with(
            "this listing follows from `helo-invalid`, reported for `localhost.localdomain` in this run: fix that first (announce the server's public name"
        ),
        "{fix}"
    );
    assert!(
        fix.ends_with("delisting: https://healthy.bl.test/remove"),
        "{fix}"
    );
    // The list takes addresses only: the domain is not "unknown".
    assert!(find("dnsbl-unknown").is_none(), "{findings:#?}");
}

#[test]
fn verify_says_why_no_list_could_be_believed() {
    let unknown = |zones: &[&str]| {
        verify_dnsbl(zones)
            .into_iter()
            .find(|f| f["id"] == "dnsbl-unknown" && f["subject"] == "192.0.2.99")
            .expect("dnsbl-unknown")["fix"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let fix = unknown(&["empty.bl.test"]);
    assert!(!fix.contains("public"), "{fix}");
    assert!(fix.contains("see `dnsbl-list-unusable`"), "{fix}");
    let fix = unknown(&["refusing.bl.test"]);
    assert!(
        fix.starts_with("the lists refused the resolver in use (refusing.bl.test answered 127.255.255.254: refused: open resolver); lists refuse public resolvers"),
        "{fix}"
    );
}
