//! Where every command's output goes, run as a user would: `--out DIR`
//! written whole or not at all with the modes a name server can read,
//! write errors on stdout reported (exit 2), a reader that goes away
//! ending the program quietly (exit 141).

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::{BIN, stderr};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/inventory.yaml");
const WORLD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spf-world.zone");

/// Every command, each with an output: arguments that work offline.
fn every_command() -> Vec<Vec<&'static str>> {
    vec![
        vec!["generate", EXAMPLE],
        vec!["generate", EXAMPLE, "--format", "route53"],
        vec!["spf", "check", "v=spf1 ip4:192.0.2.0/24 -all"],
        vec![
            "spf",
            "eval",
            "--domain",
            "example.test",
            "--ip",
            "192.0.2.10",
            "--zone-file",
            WORLD,
            "--offline",
        ],
        vec!["verify", EXAMPLE, "--zone-file", WORLD, "--offline"],
        vec![
            "verify",
            EXAMPLE,
            "--zone-file",
            WORLD,
            "--offline",
            "--format",
            "json",
        ],
        vec![
            "dnsbl",
            "192.0.2.1",
            "--list",
            "zen.spamhaus.org",
            "--zone-file",
            WORLD,
            "--offline",
        ],
        vec!["init", "-"],
        vec!["man"],
        vec!["completions", "bash"],
        vec!["completions", "fish"],
        vec!["--help"],
        vec!["--version"],
    ]
}

/// Runs `args` with stdout on `/dev/full`, where every write fails.
fn run_into_full_device(args: &[&str]) -> Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    Command::new(BIN).args(args).stdout(full).output().unwrap()
}

#[test]
fn a_stdout_that_cannot_be_written_is_an_error() {
    for args in every_command() {
        let output = run_into_full_device(&args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("senderzone: error: cannot write the output: "),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// Runs `args` with stdout on a pipe whose reading end is already closed.
fn run_into_closed_pipe(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(BIN)
        .args(args)
        .stdout(writer)
        .output()
        .unwrap()
}

#[test]
fn a_closed_pipe_ends_every_command_quietly_with_141() {
    for args in every_command() {
        let output = run_into_closed_pipe(&args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(141), "{args:?}: {err}");
        assert!(
            !err.contains("error") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_closed_pipe_on_stderr_ends_quietly_too() {
    // `senderzone generate mail.yaml 2>&1 | head -0`: the warnings about
    // documentation addresses are the first thing written.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(BIN)
        .args(["generate", EXAMPLE])
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(141));
}

/// An inventory whose zones are far larger than a pipe holds.
fn big_inventory(dir: &Path) -> PathBuf {
    let mut yaml =
        String::from("ttl: 3600\nzones: [example.com]\nreverse_zones: [2001:db8::/32]\nservers:\n");
    for i in 1..=1000 {
        yaml.push_str(&format!(
            "  - hostname: mail{i}.example.com\n    ipv6: [2001:db8::{i:x}]\n"
        ));
    }
    yaml.push_str("domains:\n  - name: example.com\n    servers: [mail1.example.com]\n");
    let path = dir.join("big.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

#[test]
fn a_reader_that_stops_after_one_line_ends_generate_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = big_inventory(dir.path());
    // `senderzone generate big.yaml | head -1`: the output is larger than
    // the pipe, so the program is still writing when the reader goes.
    // (Its thousand warnings would fill a stderr pipe nobody reads yet.)
    let mut child = Command::new(BIN)
        .args(["generate", inventory.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with(';'), "{first}");
    assert_eq!(child.wait().unwrap().code(), Some(141));
}

#[test]
fn a_template_error_is_not_a_write_error() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("broken.json.j2");
    std::fs::write(&template, "{{ nope }}\n").unwrap();
    let output = Command::new(BIN)
        .args([
            "generate",
            EXAMPLE,
            "--template",
            template.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("senderzone: error: template `") && err.contains("line 1: undefined value"),
        "{err}"
    );
    assert!(!err.contains("cannot write"), "{err}");
    assert!(output.stdout.is_empty());
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn out_dir_changes_nothing_when_one_file_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("zones");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("example.com.zone"), "; mine\n").unwrap();
    // A directory where example.org's file goes: its rename would fail
    // after example.com's had replaced the old file.
    std::fs::create_dir(out.join("example.org.zone")).unwrap();
    let output = Command::new(BIN)
        .args(["generate", EXAMPLE, "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("senderzone: error: cannot write `") && err.contains("example.org.zone`"),
        "{err}"
    );
    assert!(!err.contains("wrote "), "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("example.com.zone")).unwrap(),
        "; mine\n"
    );
    // No other file, and no temporary file left behind.
    assert_eq!(listing(&out), ["example.com.zone", "example.org.zone"]);
}

/// Runs `generate EXAMPLE --out out` under `umask`.
fn generate_under_umask(umask: &str, out: &Path) -> Output {
    Command::new("sh")
        .args(["-c", "umask \"$1\" && shift && exec \"$@\"", "sh", umask])
        .args([BIN, "generate", EXAMPLE, "--out", out.to_str().unwrap()])
        .output()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn out_dir_files_honour_the_umask_and_replaced_files_keep_their_mode() {
    let dir = tempfile::tempdir().unwrap();
    for (umask, expected) in [("022", 0o644), ("027", 0o640)] {
        let out = dir.path().join(umask);
        let output = generate_under_umask(umask, &out);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        for name in listing(&out) {
            assert_eq!(
                mode(&out.join(&name)),
                expected,
                "{name} under umask {umask}"
            );
        }
    }

    // A file that is replaced keeps its mode, whatever the umask says.
    let out = dir.path().join("replaced");
    std::fs::create_dir(&out).unwrap();
    let existing = out.join("example.com.zone");
    std::fs::write(&existing, "; old\n").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o664)).unwrap();
    let output = generate_under_umask("077", &out);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        std::fs::read_to_string(&existing)
            .unwrap()
            .contains("$ORIGIN example.com.")
    );
    assert_eq!(mode(&existing), 0o664);
    assert_eq!(mode(&out.join("example.org.zone")), 0o600);
}
