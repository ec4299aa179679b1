//! Command-line habits a Unix admin expects: `-` reads the inventory from
//! stdin, no INVENTORY means `./senderzone.yaml` (what `init` writes),
//! `-q` prints results only and `-v` the traces. Offline; `verify` answers
//! from zone files.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{BIN, output_with_stdin, stderr, stdout};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/inventory.yaml");

/// Runs the binary with `args` in `dir`, `stdin` fed to it.
fn run_in(dir: &Path, args: &[&str], stdin: &str) -> Output {
    output_with_stdin(Command::new(BIN).args(args).current_dir(dir), Some(stdin))
}

/// A zone for [`INVENTORY`] whose SPF record leaves out the second server.
const ZONE: &str = "\
$ORIGIN example.net.
$TTL 60
@ IN TXT \"v=spf1 ip4:192.0.2.10 include:_spf.example.net -all\"
_spf IN TXT \"v=spf1 ip4:192.0.2.11 -all\"
mail IN A 192.0.2.10
mail IN TXT \"v=spf1 a -all\"
relay IN A 192.0.2.20
relay IN TXT \"v=spf1 a -all\"
";

const INVENTORY: &str = "\
zones: [example.net]
servers:
  - hostname: mail.example.net
    ipv4: [192.0.2.10]
  - hostname: relay.example.net
    ipv4: [192.0.2.20]
domains:
  - name: example.net
    servers: [mail.example.net, relay.example.net]
";

#[test]
fn dash_reads_the_inventory_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(EXAMPLE).unwrap();
    let from_file = run_in(dir.path(), &["generate", EXAMPLE], "");
    let from_stdin = run_in(dir.path(), &["generate", "-"], &text);
    assert_eq!(from_stdin.status.code(), Some(0), "{}", stderr(&from_stdin));
    assert_eq!(stdout(&from_stdin), stdout(&from_file));
    // Messages name stdin, with line and column.
    assert!(
        stderr(&from_stdin)
            .contains("senderzone: warning: <stdin>:11:12: 5 values are documentation space"),
        "{}",
        stderr(&from_stdin)
    );
    let broken = "zones: [example.net]\nservers:\n  - hostname: mail.example.net\n    ipv4: 5\n";
    let output = run_in(dir.path(), &["generate", "-"], broken);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("senderzone: error: <stdin>:4:11: `servers[0].ipv4`"),
        "{}",
        stderr(&output)
    );
    // verify reads stdin the same way.
    let zone = dir.path().join("example.net.zone");
    std::fs::write(&zone, ZONE).unwrap();
    let zone = zone.to_str().unwrap();
    let output = run_in(
        dir.path(),
        &["verify", "-", "--zone-file", zone, "--offline"],
        INVENTORY,
    );
    assert!(
        stdout(&output).contains("spf-not-authorized"),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
}

#[test]
fn no_inventory_argument_reads_senderzone_yaml_or_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["generate", "verify"] {
        let output = run_in(dir.path(), &[command], "");
        assert_eq!(output.status.code(), Some(2), "{command}");
        assert!(output.stdout.is_empty());
        assert!(
            stderr(&output).contains(&format!(
                "senderzone: error: no INVENTORY given and no `senderzone.yaml` here: run `senderzone init` to write a starter inventory, or name yours: `senderzone {command} FILE` (`-` reads stdin)"
            )),
            "{}",
            stderr(&output)
        );
    }
    // What init writes is what generate then reads, and says so.
    let output = run_in(dir.path(), &["init"], "");
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("wrote senderzone.yaml; edit it, then run: senderzone generate\n"),
        "{}",
        stderr(&output)
    );
    let output = run_in(dir.path(), &["generate"], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .starts_with("senderzone: note: no INVENTORY given: reading `senderzone.yaml`\n"),
        "{}",
        stderr(&output)
    );
    let named = run_in(dir.path(), &["generate", "senderzone.yaml"], "");
    assert_eq!(stdout(&output), stdout(&named));
    assert!(!stderr(&named).contains("note"), "{}", stderr(&named));
    // -q: no note.
    let quiet = run_in(dir.path(), &["generate", "-q"], "");
    assert!(!stderr(&quiet).contains("note"), "{}", stderr(&quiet));
    assert_eq!(stdout(&quiet), stdout(&named));
}

#[test]
fn quiet_prints_results_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("zones");
    let out = out.to_str().unwrap();
    let output = run_in(dir.path(), &["generate", EXAMPLE, "--out", out], "");
    assert!(stderr(&output).contains("wrote "), "{}", stderr(&output));
    let output = run_in(dir.path(), &["-q", "generate", EXAMPLE, "--out", out], "");
    assert_eq!(output.status.code(), Some(0));
    assert!(!stderr(&output).contains("wrote "), "{}", stderr(&output));
    // Warnings stay: they are about the input.
    assert!(stderr(&output).contains("senderzone: warning:"));

    let zone = dir.path().join("example.net.zone");
    std::fs::write(&zone, ZONE).unwrap();
    let zone = zone.to_str().unwrap();
    let inventory = dir.path().join("inventory.yaml");
    std::fs::write(&inventory, INVENTORY).unwrap();
    let inventory = inventory.to_str().unwrap();
    let normal = run_in(
        dir.path(),
        &["verify", inventory, "--zone-file", zone, "--offline"],
        "",
    );
    let quiet = run_in(
        dir.path(),
        &["verify", inventory, "--zone-file", zone, "--offline", "-q"],
        "",
    );
    assert_eq!(quiet.status.code(), normal.status.code());
    let summary = stdout(&normal).lines().last().unwrap().to_owned();
    assert!(summary.contains("checked 2 server(s)"), "{summary}");
    assert_eq!(
        stdout(&quiet),
        stdout(&normal)
            .strip_suffix(&format!("{summary}\n"))
            .unwrap()
    );
    // -q and -v contradict each other.
    let output = run_in(dir.path(), &["verify", inventory, "-q", "-v"], "");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn verbose_verify_shows_the_trace_of_each_spf_evaluation_that_fails() {
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("example.net.zone");
    std::fs::write(&zone, ZONE).unwrap();
    let zone = zone.to_str().unwrap();
    let inventory = dir.path().join("inventory.yaml");
    std::fs::write(&inventory, INVENTORY).unwrap();
    let inventory = inventory.to_str().unwrap();
    let normal = stdout(&run_in(
        dir.path(),
        &["verify", inventory, "--zone-file", zone, "--offline"],
        "",
    ));
    assert!(!normal.contains("check_host("), "{normal}");
    let verbose = run_in(
        dir.path(),
        &["verify", inventory, "--zone-file", zone, "--offline", "-v"],
        "",
    );
    let text = stdout(&verbose);
    // Only the address that fails, with the whole trace, include included.
    assert!(!text.contains("check_host(192.0.2.10,"), "{text}");
    let trace = text
        .split("check_host(192.0.2.20, example.net):\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no trace in:\n{text}"));
    assert!(trace.starts_with("  result: fail\n"), "{trace}");
    assert!(trace.contains("_spf.example.net"), "{trace}");
    // The summary still ends the report.
    assert!(text.lines().last().unwrap().contains("checked 2 server(s)"));
}
