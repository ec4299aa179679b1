//! Option values every command checks the same way before any work:
//! `--timeout`, `--concurrency`, `--nameserver`, `--ns-port`. Out of range
//! is a usage error (exit 2) with one `senderzone: error:` line saying what
//! is accepted, never a panic, a hang or a run. Nothing here asks a server.

use crate::support::{run, stderr};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/inventory.yaml");
const WORLD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spf-world.zone");

/// Expects exit 2, nothing on stdout and an error line with `needle`.
fn assert_usage_error(args: &[&str], needle: &str) {
    let output = run(args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
    assert!(output.stdout.is_empty(), "{args:?}: stdout not empty");
    assert!(
        err.lines()
            .any(|l| l.starts_with("senderzone: error: ") && l.contains(needle)),
        "{args:?}: no error line with {needle:?}:\n{err}"
    );
}

/// `verify` of the example against the offline zone, with `extra`.
fn verify_with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["verify", EXAMPLE, "--zone-file", WORLD, "--offline"];
    args.extend_from_slice(extra);
    args
}

#[test]
fn timeout_out_of_range_is_a_usage_error() {
    let accepted = "accepted: whole seconds from 1 to 86400";
    for value in ["0", "86401", "18446744073709551"] {
        assert_usage_error(
            &verify_with(&["--timeout", value]),
            &format!("invalid `--timeout` value `{value}`; {accepted}"),
        );
    }
    // The largest value is accepted: verify runs (offline, against a zone
    // file of other zones: nothing it can check is wrong).
    let output = run(&verify_with(&["--timeout", "86400"]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn timeout_that_once_overflowed_the_clock_is_refused_before_any_query() {
    // With a name server the deadline is added to the clock: that panicked
    // (exit 101) for this value. A socket that never answers: the run must
    // not even start.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = silent.local_addr().unwrap().to_string();
    let started = std::time::Instant::now();
    assert_usage_error(
        &[
            "verify",
            EXAMPLE,
            "--nameserver",
            &server,
            "--timeout",
            "18446744073709551",
        ],
        "invalid `--timeout` value",
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn concurrency_out_of_range_is_the_same_error_for_every_command() {
    for value in ["0", "1025", "100000"] {
        let needle = format!("invalid `--concurrency` value `{value}`; accepted: 1 to 1024");
        assert_usage_error(&verify_with(&["--concurrency", value]), &needle);
        assert_usage_error(
            &[
                "dnsbl",
                "192.0.2.1",
                "--zone-file",
                WORLD,
                "--concurrency",
                value,
            ],
            &needle,
        );
    }
}

#[test]
fn nameserver_port_0_is_a_usage_error_for_every_command() {
    for server in ["127.0.0.1:0", "[::1]:0"] {
        let needle = format!("invalid `--nameserver` value `{server}`");
        assert_usage_error(&["verify", EXAMPLE, "--nameserver", server], &needle);
        assert_usage_error(&["dnsbl", "192.0.2.1", "--nameserver", server], &needle);
        assert_usage_error(
            &[
                "spf",
                "eval",
                "--domain",
                "example.test",
                "--ip",
                "192.0.2.1",
                "--nameserver",
                server,
            ],
            &needle,
        );
        assert_usage_error(
            &[
                "spf",
                "check",
                "--domain",
                "example.test",
                "--nameserver",
                server,
            ],
            &needle,
        );
    }
}

#[test]
fn a_bad_nameserver_is_refused_even_when_a_record_is_given_as_text() {
    assert_usage_error(
        &["spf", "check", "v=spf1 -all", "--nameserver", "ns1.example"],
        "invalid `--nameserver` value `ns1.example`",
    );
}

#[test]
fn ns_port_0_is_a_usage_error() {
    assert_usage_error(
        &["verify", EXAMPLE, "--authoritative", "--ns-port", "0"],
        "invalid `--ns-port` value `0`; accepted: 1 to 65535",
    );
}

#[test]
fn nsupdate_server_port_0_is_a_usage_error() {
    assert_usage_error(
        &[
            "generate",
            EXAMPLE,
            "--format",
            "nsupdate",
            "--nsupdate-server",
            "ns1.example:0",
        ],
        "invalid `--nsupdate-server` value `ns1.example:0`",
    );
}

#[test]
fn a_bad_lists_file_stops_verify_before_the_inventory_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let lists = dir.path().join("lists.yaml");
    std::fs::write(&lists, "lists: [nonsense\n").unwrap();
    let output = run(&[
        "verify",
        "/nonexistent/inventory.yaml",
        "--zone-file",
        WORLD,
        "--dnsbl",
        "--lists",
        lists.to_str().unwrap(),
    ]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("lists.yaml"), "{err}");
    assert!(!err.contains("inventory"), "{err}");
}

#[test]
fn help_documents_every_exit_code() {
    let output = run(&["--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    for line in [
        "0    ok",
        "1    a check found problems",
        "2    bad input or usage, or the output could not be written",
        "3    DNS could not answer enough to decide",
        "141  the output's reader went away",
    ] {
        assert!(help.contains(line), "missing {line:?} in:\n{help}");
    }
    let output = run(&["verify", "--help"]);
    // One line per word run: clap wraps at the terminal's width.
    let help = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(help.contains("(1 to 86400)"), "{help}");
    assert!(help.contains("(1 to 1024)"), "{help}");
}
