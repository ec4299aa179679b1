//! `senderzone spf check` and `spf eval` as a user runs them: against a
//! zone file (offline) and against the same zone served by a real NSD on
//! loopback, which must agree; every exit code.

use std::process::Command;

use crate::support::{self, BIN, output_with_stdin, run, text};

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
        assert_case(&["--zone-file", WORLD, "--offline"], &args, code, &needles);
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
            offline.extend_from_slice(&["--format", "json", "--zone-file", WORLD, "--offline"]);
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
            "example.test",
            "--ip",
            "192.0.2.1",
            "--sender",
            "no-at-sign",
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
        // `--offline` asks no server.
        vec![
            "spf",
            "check",
            "--domain",
            "x.test",
            "--zone-file",
            WORLD,
            "--offline",
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

/// A zone file in a temporary directory, for the identity cases.
fn identity_zone() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let zone = r#"$ORIGIN id.test.
$TTL 300
@        IN SOA ns1.test.invalid. hostmaster.test.invalid. 1 3600 600 604800 300
@        IN TXT "v=spf1 ip4:192.0.2.1 -all exp=why.id.test"
why      IN TXT "s=%{s} l=%{l} o=%{o} h=%{h}"
mail     IN TXT "v=spf1 ip4:192.0.2.25 -all exp=why.id.test"
"#;
    std::fs::write(dir.path().join("id.zone"), zone).unwrap();
    dir
}

fn eval_in(dir: &tempfile::TempDir, args: &[&str]) -> std::process::Output {
    let zone = dir.path().join("id.zone");
    let mut full = vec![
        "spf",
        "eval",
        "--zone-file",
        zone.to_str().unwrap(),
        "--offline",
    ];
    full.extend_from_slice(args);
    run(&full)
}

/// RFC 7208 §4.3: a MAIL FROM without a local part is `postmaster@domain`
/// for `%{s}` and `%{l}` alike.
#[test]
fn sender_without_local_part_is_postmaster() {
    let dir = identity_zone();
    let output = eval_in(&dir, &["--ip", "192.0.2.9", "--sender", "@id.test"]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("explanation: s=postmaster@id.test l=postmaster o=id.test h=unknown"),
        "{shown}"
    );
}

/// RFC 7208 §2.4: the null reverse-path of a bounce is checked as the HELO
/// identity, `postmaster@HELO`, at the HELO name's own record.
#[test]
fn null_sender_checks_the_helo_identity() {
    let dir = identity_zone();
    let args = [
        "--ip",
        "192.0.2.25",
        "--sender",
        "",
        "--helo",
        "mail.id.test",
    ];
    let output = eval_in(&dir, &args);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(shown.contains("mail.id.test: pass"), "{shown}");
    let output = eval_in(
        &dir,
        &[
            "--ip",
            "192.0.2.26",
            "--sender",
            "",
            "--helo",
            "mail.id.test",
        ],
    );
    let shown = text(&output);
    assert!(
        shown.contains(
            "explanation: s=postmaster@mail.id.test l=postmaster o=mail.id.test h=mail.id.test"
        ),
        "{shown}"
    );
    // Without a HELO name there is no identity to check: say what is needed.
    let output = eval_in(&dir, &["--ip", "192.0.2.25", "--sender", ""]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("give the HELO name with `--helo NAME`"),
        "{shown}"
    );
}

/// RFC 7208 §4.3: a domain that is not a checkable name gives `none` with
/// the reason, whether it comes from `--domain` or, for a bounce, `--helo`.
#[test]
fn malformed_domains_give_none_with_the_reason() {
    let dir = identity_zone();
    let long_label = format!("{}.id.test", "a".repeat(64));
    for (args, reason) in [
        (vec!["--domain", "bad..id.test"], "an empty label"),
        (
            vec!["--domain", long_label.as_str()],
            "64 octets: at most 63",
        ),
        (
            vec!["--domain", "localhost"],
            "not a fully qualified domain name",
        ),
        (vec!["--domain", "[192.0.2.1]"], "a domain literal"),
        (
            vec!["--sender", "", "--helo", "[192.0.2.1]"],
            "a domain literal",
        ),
        (
            vec!["--sender", "", "--helo", "mailhost"],
            "not a fully qualified",
        ),
    ] {
        let mut full = vec!["--ip", "192.0.2.1"];
        full.extend_from_slice(&args);
        let output = eval_in(&dir, &full);
        let shown = text(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {shown}");
        assert!(shown.starts_with("result: none\n"), "{args:?}: {shown}");
        assert!(
            shown.contains(reason) && shown.contains("(RFC 7208 §4.3)"),
            "{args:?}: {shown}"
        );
    }
}

fn check_json(record: &str) -> serde_json::Value {
    let output = run(&["spf", "check", "--format", "json", record]);
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{record}: {e}: {}", text(&output)))
}

/// A target that can never be queried is an error at its column:
/// receivers differ on it (no match, fail or permerror).
#[test]
fn unqueryable_target_names_are_errors_at_their_column() {
    let label = "a".repeat(64);
    let long = format!("{}.example.com", vec!["b".repeat(60); 4].join("."));
    assert!(long.len() > 253);
    for (record, column, problem) in [
        ("v=spf1 a:example..com -all".to_owned(), 8, "an empty label"),
        (
            format!("v=spf1 mx include:{label}.example.com -all"),
            11,
            "64 octets",
        ),
        (format!("v=spf1 -all redirect={long}"), 13, "at most 253"),
        (
            "v=spf1 -all exp=.example.com".to_owned(),
            13,
            "an empty label",
        ),
    ] {
        let report = check_json(&record);
        let finding = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "spf-invalid-name")
            .unwrap_or_else(|| panic!("{record}: {report}"));
        assert_eq!(finding["severity"], "error", "{record}");
        assert_eq!(finding["column"], column, "{record}");
        assert!(
            finding["message"].as_str().unwrap().contains(problem),
            "{record}: {finding}"
        );
    }
    assert!(
        check_json("v=spf1 a:mail.example.com exists:%{i}..example.com -all")["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["id"] != "spf-invalid-name"),
        "a name with a macro is known only when expanded"
    );
}

/// `spf check RECORD` takes the text joined (any length: splitting it is
/// how to publish it) or quoted as `dig` shows it (each string ≤ 255).
#[test]
fn records_are_taken_joined_or_quoted() {
    let terms: String = (1..=25).map(|i| format!("ip4:203.0.114.{i} ")).collect();
    let joined = format!("v=spf1 {terms}ip4:8.8.144.144 mx a -all");
    assert_eq!(joined.len(), 448);
    // Split after the last space that fits in 255 octets.
    let cut = joined[..255].rfind(' ').unwrap() + 1;
    let output = run(&["spf", "check", &joined]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(!shown.contains("spf-string-too-long"), "{shown}");
    assert!(
        shown.contains("info [spf-split-needed]: record is 448 octets"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!(
            "publish it as 2 strings, which receivers join with no separator (RFC 7208 §3.3): \"{}\" \"{}\"",
            &joined[..cut],
            &joined[cut..]
        )),
        "{shown}"
    );
    // dig's form of the same record: valid, and the same findings but the note.
    let quoted = format!("\"{}\" \"{}\"", &joined[..cut], &joined[cut..]);
    let output = run(&["spf", "check", &quoted]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("0 error(s), 0 warning(s), 0 info(s)"),
        "{shown}"
    );
    let report = check_json(&quoted);
    assert_eq!(report["record"], joined.as_str());
    // Quoted strings are the published ones: each must fit 255 octets.
    let too_long = format!("\"{}\" \"{}\"", &joined[..300], &joined[300..]);
    let output = run(&["spf", "check", &too_long]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("error [spf-string-too-long]: character-string 1 is 300 octets"),
        "{shown}"
    );
    let output = run(&["spf", "check", r#""v=spf1 -all" unquoted"#]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}

/// `spf check -` reads one record a line, in either form.
#[test]
fn records_are_read_from_standard_input() {
    let check = |input: &str, json: bool| {
        let mut args = vec!["spf", "check", "-"];
        if json {
            args.extend(["--format", "json"]);
        }
        output_with_stdin(Command::new(BIN).args(&args), Some(input))
    };
    let input = "v=spf1 -all\n\n\"v=spf1 \" \"+all\"\n";
    let output = check(input, false);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.starts_with(
            "line 1: \"v=spf1 -all\"\nline 3: \"v=spf1 +all\"\nerror [spf-plus-all] column 8"
        ),
        "{shown}"
    );
    let report: serde_json::Value = serde_json::from_slice(&check(input, true).stdout).unwrap();
    assert_eq!(report[1]["line"], 3);
    assert_eq!(report[1]["findings"][0]["id"], "spf-plus-all");
    let output = check("v=spf1 -all\nv=spf1 ip4:192.0.2.0/33 -all\n", false);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("invalid SPF record on line 2 of standard input"),
        "{shown}"
    );
}

/// `spf check --domain` of a record that does not parse: in text the
/// caret display keeps its lines (the fix under the finding, the record
/// and the caret under it), from a zone file and from NSD alike; JSON
/// keeps the fix as one string.
#[test]
fn the_caret_display_of_a_broken_record_keeps_its_lines() {
    let zone = std::fs::read_to_string(WORLD).unwrap();
    let nsd = support::Nsd::start(&[("example.test", zone.as_str())]);
    let server = nsd.addr().to_string();
    let display = "syntax.example.test column 8: ip4 prefix length 33 is out of range: accepted 0–32\n  \
                   fix: receivers return permerror; fix the term:\n    \
                   v=spf1 ip4:192.0.2.0/33 -all\n           \
                   ^ ip4 prefix length 33 is out of range: accepted 0–32\n";
    for source in [
        &["--zone-file", WORLD, "--offline"][..],
        &["--nameserver", &server],
    ] {
        let mut args = vec!["spf", "check", "--domain", "syntax.example.test"];
        args.extend_from_slice(source);
        let output = run(&args);
        let shown = support::stdout(&output);
        assert!(shown.contains(display), "{args:?}:\n{shown}");
        assert!(!shown.contains("\\010"), "{args:?}:\n{shown}");
        args.extend(["--format", "json"]);
        let json: serde_json::Value = serde_json::from_slice(&run(&args).stdout).unwrap();
        assert_eq!(
            json["findings"][0]["fix"],
            "receivers return permerror; fix the term:\nv=spf1 ip4:192.0.2.0/33 -all\n       ^ ip4 prefix length 33 is out of range: accepted 0–32"
        );
    }
}

/// A lookup count that misses an include DNS did not give is a lower
/// bound, and says so: under `--offline` (the include is outside the zone
/// files) and from an authoritative NSD that refuses the outside name.
#[test]
fn a_count_that_misses_an_unread_include_is_a_lower_bound() {
    let zone = std::fs::read_to_string(WORLD).unwrap()
        + "outside IN TXT \"v=spf1 ip4:192.0.2.1 include:_spf.elsewhere.test -all\"\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("world.zone");
    std::fs::write(&file, &zone).unwrap();
    let file = file.to_str().unwrap();
    let nsd = support::Nsd::start(&[("example.test", zone.as_str())]);
    let server = nsd.addr().to_string();
    for source in [
        &["--zone-file", file, "--offline"][..],
        &["--nameserver", &server],
    ] {
        let mut args = vec!["spf", "check", "--domain", "outside.example.test"];
        args.extend_from_slice(source);
        let shown = support::stdout(&run(&args));
        assert!(
            shown.contains(
                "\ndns-querying terms (worst case): at least 1/10 (some could not be counted)\n"
            ),
            "{args:?}:\n{shown}"
        );
        args.extend(["--format", "json"]);
        let json: serde_json::Value = serde_json::from_slice(&run(&args).stdout).unwrap();
        assert_eq!(json["dns_lookups"], 1, "{json}");
        assert_eq!(json["dns_lookups_partial"], true, "{json}");
        // Everything counted: the exact count, no lower bound.
        let mut args = vec!["spf", "check", "--domain", "example.test"];
        args.extend_from_slice(source);
        let shown = support::stdout(&run(&args));
        assert!(
            shown.contains("\ndns-querying terms (worst case): 2/10\n"),
            "{args:?}:\n{shown}"
        );
        args.extend(["--format", "json"]);
        let json: serde_json::Value = serde_json::from_slice(&run(&args).stdout).unwrap();
        assert!(json.get("dns_lookups_partial").is_none(), "{json}");
    }
}
