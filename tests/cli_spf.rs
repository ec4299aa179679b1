//! `senderzone spf check` and `spf eval` as a user runs them: against a
//! zone file (offline) and against the same zone served by a real NSD on
//! loopback, which must agree; every exit code.

use crate::support::{self, run, text};

const WORLD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spf-world.zone");

/// `(args, expected exit code, expected substrings)` for both DNS sources.
fn cases() -> Vec<(Vec<&'static str>, i32, Vec<&'static str>)> {
    vec![
        (
            vec!["eval", "--domain", "example.test", "--ip", "198.51.100.5"],
            0,
            vec!["result: pass"],
        ),
        (
            vec!["eval", "--domain", "example.test", "--ip", "2001:db8::25"],
            0,
            vec!["result: pass", "mx"],
        ),
        (
            vec!["eval", "--domain", "example.test", "--ip", "203.0.113.9"],
            0,
            vec!["result: pass", "include:_spf.partner.example.test"],
        ),
        (
            vec!["eval", "--domain", "example.test", "--ip", "192.0.2.99"],
            1,
            vec!["result: fail"],
        ),
        (
            vec![
                "eval",
                "--domain",
                "redirected.example.test",
                "--ip",
                "198.51.100.1",
            ],
            0,
            vec!["result: pass", "redirect"],
        ),
        (
            vec![
                "eval",
                "--domain",
                "macro.example.test",
                "--ip",
                "192.0.2.77",
                "--sender",
                "bounce@macro.example.test",
            ],
            0,
            vec!["result: pass"],
        ),
        (
            vec![
                "eval",
                "--domain",
                "macro.example.test",
                "--ip",
                "192.0.2.78",
                "--sender",
                "bounce@macro.example.test",
            ],
            1,
            vec!["result: fail"],
        ),
        (
            vec![
                "eval",
                "--domain",
                "loop-a.example.test",
                "--ip",
                "192.0.2.1",
            ],
            1,
            vec!["result: permerror"],
        ),
        (
            vec![
                "eval",
                "--domain",
                "missing.example.test",
                "--ip",
                "192.0.2.1",
            ],
            1,
            vec!["result: permerror"],
        ),
        (
            vec!["eval", "--domain", "two.example.test", "--ip", "192.0.2.1"],
            1,
            vec!["result: permerror"],
        ),
        (
            vec![
                "eval",
                "--domain",
                "nxdomain.example.test",
                "--ip",
                "192.0.2.1",
            ],
            1,
            vec!["result: none"],
        ),
        (
            vec!["check", "--domain", "example.test"],
            0,
            vec!["0 error(s)"],
        ),
        (
            vec!["check", "--domain", "plusall.example.test"],
            1,
            vec!["spf-plus-all"],
        ),
        (
            vec!["check", "--domain", "two.example.test"],
            1,
            vec!["spf-multiple"],
        ),
        (
            vec!["check", "--domain", "syntax.example.test"],
            1,
            vec!["spf-syntax", "column 8"],
        ),
        (
            vec!["check", "--domain", "missing.example.test"],
            1,
            vec!["spf-include-no-record"],
        ),
        (
            vec!["check", "--domain", "loop-a.example.test"],
            1,
            vec!["spf-include-loop"],
        ),
        (
            vec!["check", "--domain", "heavy.example.test"],
            1,
            vec!["spf-too-many-lookups", "13"],
        ),
        (
            vec!["check", "--domain", "long.example.test"],
            0,
            vec!["0 error(s)"],
        ),
    ]
}

fn assert_case(source: &[&str], args: &[&str], code: i32, needles: &[&str]) {
    let mut full = vec!["spf"];
    full.extend_from_slice(args);
    full.extend_from_slice(source);
    let output = run(&full);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(code), "{full:?}:\n{shown}");
    for needle in needles {
        assert!(
            shown.contains(needle),
            "{full:?}: missing {needle:?}:\n{shown}"
        );
    }
}

#[test]
fn offline_zone_file_answers() {
    for (args, code, needles) in cases() {
        assert_case(&["--zone-file", WORLD], &args, code, &needles);
    }
}

#[test]
fn live_nsd_agrees_with_the_zone_file() {
    let zone = std::fs::read_to_string(WORLD).unwrap();
    let nsd = support::Nsd::start(&[("example.test", zone.as_str())]);
    let server = nsd.addr().to_string();
    for (args, code, needles) in cases() {
        assert_case(&["--nameserver", &server], &args, code, &needles);
        // Same JSON result both ways.
        if args[0] == "eval" {
            let mut offline = vec!["spf"];
            offline.extend_from_slice(&args);
            offline.extend_from_slice(&["--format", "json", "--zone-file", WORLD]);
            let mut live = vec!["spf"];
            live.extend_from_slice(&args);
            live.extend_from_slice(&["--format", "json", "--nameserver", &server]);
            let offline: serde_json::Value = serde_json::from_slice(&run(&offline).stdout).unwrap();
            let live: serde_json::Value = serde_json::from_slice(&run(&live).stdout).unwrap();
            assert_eq!(offline["result"], live["result"], "{args:?}");
            assert_eq!(
                offline["trace"]["dns_lookups"], live["trace"]["dns_lookups"],
                "{args:?}"
            );
        }
    }
}

#[test]
fn a_record_given_as_text() {
    let output = run(&["spf", "check", "v=spf1 ip4:192.0.2.0/24 -all"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let output = run(&["spf", "check", "--strict", "v=spf1 ip4:10.0.0.0/8 ?all"]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("spf-private-address") && shown.contains("spf-neutral-all"),
        "{shown}"
    );
    // Not strict: the same record is a warning only; text and JSON count
    // with the same words.
    let output = run(&["spf", "check", "v=spf1 ip4:10.0.0.0/8 ?all"]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("warning [spf-neutral-all] column 23: ")
            && shown.contains("(fix: end the record with `-all`"),
        "{shown}"
    );
    assert!(
        shown.ends_with(
            "0 error(s), 3 warning(s), 0 info(s); 0 undetermined (DNS could not answer)\n"
        ),
        "{shown}"
    );
    let output = run(&[
        "spf",
        "check",
        "--format",
        "json",
        "v=spf1 ip4:10.0.0.0/8 ?all",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["summary"],
        serde_json::json!({"errors": 0, "warnings": 3, "infos": 0, "undetermined": 0})
    );
    let output = run(&["spf", "check", "v=spf1 ip4:192.0.2.0/33 -all"]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("senderzone: error: invalid SPF record"),
        "{shown}"
    );
    assert!(
        shown.contains("v=spf1 ip4:192.0.2.0/33 -all\n       ^"),
        "{shown}"
    );
    let output = run(&["spf", "check", "--format", "json", "v=spf1 +all"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["errors"], 1);
    assert_eq!(report["findings"][0]["id"], "spf-plus-all");
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        vec![
            "spf",
            "eval",
            "--domain",
            "example.test",
            "--ip",
            "999.1.1.1",
            "--zone-file",
            WORLD,
        ],
        vec![
            "spf",
            "eval",
            "--domain",
            "bad..name",
            "--ip",
            "192.0.2.1",
            "--zone-file",
            WORLD,
        ],
        vec![
            "spf",
            "eval",
            "--domain",
            "example.test",
            "--ip",
            "192.0.2.1",
            "--nameserver",
            "ns1.example",
        ],
        vec![
            "spf",
            "eval",
            "--domain",
            "example.test",
            "--ip",
            "192.0.2.1",
            "--zone-file",
            "/nonexistent.zone",
        ],
        vec!["spf", "check"],
        vec![
            "spf",
            "check",
            "--domain",
            "x.test",
            "--zone-file",
            WORLD,
            "--nameserver",
            "127.0.0.1",
        ],
    ] {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
    }
}

#[test]
fn temperror_exits_3() {
    // A UDP socket that never answers: every query times out.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = silent.local_addr().unwrap().to_string();
    let started = std::time::Instant::now();
    let output = run(&[
        "spf",
        "eval",
        "--domain",
        "example.test",
        "--ip",
        "192.0.2.1",
        "--nameserver",
        &server,
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(text(&output).contains("result: temperror"));
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let output = run(&[
        "spf",
        "check",
        "--domain",
        "example.test",
        "--nameserver",
        &server,
    ]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(3), "{shown}");
    assert!(
        shown.contains("error [spf-dns-error] example.test: "),
        "{shown}"
    );
    assert!(
        shown.contains("1 error(s), 0 warning(s), 0 info(s); 1 undetermined"),
        "{shown}"
    );
}
