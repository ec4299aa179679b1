//! What people read, pinned: the `--help` of every command, error messages
//! with their carets and locations, and the text output of `generate`,
//! `spf check` and `dnsbl`, each compared with its file under
//! `tests/snapshots/` (snapbox). A change shows in review as a change of
//! those files: `SNAPSHOTS=overwrite cargo test --test integration
//! cli_snapshots::` rewrites them (CONTRIBUTING.md, "Snapshots").
//!
//! Runs are made reproducible before they are compared: fixed terminal
//! width, no colour, relative paths from a known directory, and the ports
//! of the test servers written `[PORT]`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use snapbox::{Assert, Data, IntoData};

use crate::support::{self, BIN, output_with_stdin};

/// The snapshot file `name` under `tests/snapshots/`.
fn snapshot(name: &str) -> PathBuf {
    support::repo_file("tests/snapshots").join(name)
}

/// Compares `actual` with the snapshot `name`, byte for byte (no
/// wildcards: `...` and `[..]` in help texts are text); with
/// `SNAPSHOTS=overwrite` in the environment, writes it instead.
#[track_caller]
fn assert_snapshot(name: &str, actual: String) {
    Assert::new()
        .action_env(snapbox::assert::DEFAULT_ACTION_ENV)
        .eq(actual.raw(), Data::read_from(&snapshot(name), None).raw());
}

/// Runs the binary with `args` in `dir`, as on a 100-column terminal
/// without colour, stdin `stdin` (or none).
fn senderzone(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    output_with_stdin(
        Command::new(BIN)
            .args(args)
            .current_dir(dir)
            .env("COLUMNS", "100")
            .env("NO_COLOR", "1"),
        stdin,
    )
}

/// A run as a reader sees it: the command, its exit status, then stdout
/// and stderr, each under its own heading.
fn transcript(args: &[&str], output: &Output) -> String {
    let shown: Vec<String> = args
        .iter()
        .map(|arg| {
            if arg.is_empty() || arg.contains([' ', '\'', '"', '%', '{', '|']) {
                format!("'{arg}'")
            } else {
                (*arg).to_owned()
            }
        })
        .collect();
    format!(
        "$ senderzone {}\nexit status: {}\n--- stdout\n{}--- stderr\n{}",
        shown.join(" "),
        output
            .status
            .code()
            .map_or_else(|| "killed".to_owned(), |c| c.to_string()),
        support::stdout(output),
        support::stderr(output),
    )
}

/// The command names under `Commands:` in a help text, without `help`.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.is_empty())
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn help_of_every_command() {
    let root = support::repo_file("");
    let mut pending = vec![Vec::<String>::new()];
    let mut pinned = Vec::new();
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let output = senderzone(&root, &args, None);
        assert!(output.status.success(), "{}", support::text(&output));
        let help = support::stdout(&output);
        let name = std::iter::once("senderzone")
            .chain(path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("-");
        let file = format!("{name}.txt");
        assert_snapshot(&format!("help/{file}"), help.clone());
        pinned.push(file);
        for sub in subcommands(&help) {
            let mut deeper = path.clone();
            deeper.push(sub);
            pending.push(deeper);
        }
    }
    // senderzone, its eight commands, and spf's two.
    assert!(pinned.len() >= 11, "{pinned:?}");
    // A command that is gone takes its snapshot with it.
    for entry in std::fs::read_dir(snapshot("help")).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            pinned.contains(&file),
            "tests/snapshots/help/{file} belongs to no command: remove it"
        );
    }
}

/// An inventory with one mistake of each kind people make, all reported
/// in one run.
const BAD_INVENTORY: &str = "\
ttl: -5
zones: example.com
reverse_zones: [10.0.0.0/8, 10.0.0.0/8]
servers:
  - hostname: mail.example.com
    ip6: [2001:db8::1]
    ipv4: [192.0.2.1]
  - hostname: localhost.localdomain
    ipv4: [192.0.2.2]
domains:
  - name: example.com
    servers: [mail.example.com, mx9.example.com]
    all: -all
    ip4: [32.0.0.0/3]
";

#[test]
fn inventory_errors_with_their_locations() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yaml"), BAD_INVENTORY).unwrap();
    // An unclosed `[`: where it was found, and where the sequence started.
    std::fs::write(
        dir.path().join("unclosed.yaml"),
        "ttl: 3600\nzones: [example.com\nservers:\n  - hostname: mail.example.com\n",
    )
    .unwrap();
    let mut text = String::new();
    for args in [
        &["generate", "bad.yaml"][..],
        &["generate", "unclosed.yaml"],
        &["generate", "missing.yaml"],
    ] {
        let output = senderzone(dir.path(), args, None);
        text.push_str(&transcript(args, &output));
        text.push('\n');
    }
    let args = ["generate", "-"];
    let output = senderzone(
        dir.path(),
        &args,
        Some("zones: [example.com]\nservers: 1\n"),
    );
    text.push_str(&transcript(&args, &output));
    assert_snapshot("errors/inventory.txt", text);
}

#[test]
fn spf_check_errors_point_at_the_term() {
    let dir = support::repo_file("");
    let mut text = String::new();
    for record in [
        "v=spf1 ip4:192.0.2.0/33 -all",
        "v=spf1 include:%{z}.example.com -all",
        "v=spf1 a:example.com foo:bar -all",
        "v=spf1 ip6:2001:db8::/129 redirect=",
        "spf1 -all",
    ] {
        let args = ["spf", "check", record];
        let output = senderzone(&dir, &args, None);
        assert_eq!(output.status.code(), Some(2), "{}", support::text(&output));
        text.push_str(&transcript(&args, &output));
        text.push('\n');
    }
    let args = ["spf", "check", "-"];
    let output = senderzone(
        &dir,
        &args,
        Some("v=spf1 -all\nv=spf1 ip4:192.0.2.1/40 -all\n"),
    );
    text.push_str(&transcript(&args, &output));
    assert_snapshot("errors/spf-check.txt", text);
}

#[test]
fn generate_prints_the_example_records() {
    let dir = support::repo_file("");
    let mut text = String::new();
    for args in [
        &["generate", "examples/inventory.yaml"][..],
        &[
            "generate",
            "examples/inventory.yaml",
            "--format",
            "nsupdate",
            "--nsupdate-server",
            "192.0.2.53",
        ],
    ] {
        let output = senderzone(&dir, args, None);
        assert!(output.status.success(), "{}", support::text(&output));
        text.push_str(&transcript(args, &output));
        text.push('\n');
    }
    assert_snapshot("generate/example.txt", text);
}

#[test]
fn spf_check_reports_findings() {
    let dir = support::repo_file("");
    let mut text = String::new();
    let world = "tests/fixtures/spf-world.zone";
    for args in [
        &["spf", "check", "v=spf1 ip4:10.0.0.0/8 ptr ?all"][..],
        &["spf", "check", "--strict", "v=spf1 ip4:10.0.0.0/8 ptr ?all"],
        &[
            "spf",
            "check",
            "--domain",
            "example.test",
            "--zone-file",
            world,
        ],
        &[
            "spf",
            "check",
            "--domain",
            "heavy.example.test",
            "--zone-file",
            world,
        ],
        &[
            "spf",
            "check",
            "--domain",
            "loop-a.example.test",
            "--zone-file",
            world,
        ],
        &[
            "spf",
            "check",
            "--domain",
            "two.example.test",
            "--zone-file",
            world,
        ],
        &[
            "spf",
            "check",
            "--domain",
            "missing.example.test",
            "--zone-file",
            world,
        ],
        &[
            "spf",
            "check",
            "--domain",
            "syntax.example.test",
            "--zone-file",
            world,
        ],
    ] {
        let output = senderzone(&dir, args, None);
        text.push_str(&transcript(args, &output));
        text.push('\n');
    }
    assert_snapshot("spf/check.txt", text);
}

#[test]
fn dnsbl_text_report() {
    let nsd = crate::dnsbl::serve();
    let server = nsd.addr().to_string();
    let dir = Path::new(crate::dnsbl::FIXTURES);
    let mut base = vec!["dnsbl", "--lists", "lists.yaml", "--nameserver", &server];
    for zone in crate::dnsbl::ZONES {
        base.extend(["--list", zone]);
    }
    let mut text = String::new();
    let runs: [&[&str]; 4] = [
        &[
            "192.0.2.99",
            "192.0.2.1",
            "2001:db8::9",
            "spammy.example",
            "example.org",
        ],
        &["192.0.2.96/30", "-v"],
        &["192.0.2.99", "-q"],
        &["192.0.2.99", "--list", crate::dnsbl::UNDOCUMENTED],
    ];
    for extra in runs {
        let mut args = base.clone();
        args.extend_from_slice(extra);
        let output = senderzone(dir, &args, None);
        text.push_str(&transcript(&args, &output));
        text.push('\n');
    }
    let text = text.replace(&server, "127.0.0.1:[PORT]");
    assert_snapshot("dnsbl/report.txt", text);
}
