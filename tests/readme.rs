//! The README holds true: its example inventory is `examples/inventory.yaml`
//! byte for byte, the output it shows for the quick start is how that
//! output begins, and every command of its `sh` blocks runs.
//!
//! The commands run in the README's order, in one scratch directory, as a
//! user following it would: `senderzone init`, then `generate`, `plan`,
//! `apply` and `verify` against a BIND (RFC 2136, TSIG) and a PowerDNS
//! (HTTP API) started on loopback, with the README's addresses replaced by
//! theirs ([`substitute`]). [`COMMANDS`] names every command with the exit
//! status it must end with, or why it cannot run here: a command added to
//! the README without an entry, or an entry whose command is gone, fails.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{self, BIN, Bind, PowerDns};

const README: &str = include_str!("../README.md");

/// What the test does with a README command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Runs, and must end with this exit status.
    Exits(i32),
    /// Cannot run in a test; why.
    Offline(&'static str),
}

use Expect::{Exits, Offline};

/// Every command of the README's `sh` blocks, in order.
const COMMANDS: &[(&str, Expect)] = &[
    // Install
    (
        "cargo install --path .",
        Offline(
            "builds a release binary and installs it into ~/.cargo/bin; \
             the test runs the binary cargo built for it",
        ),
    ),
    // Quick start
    (
        "cargo run --release -- generate examples/inventory.yaml",
        Exits(0),
    ),
    (
        "scripts/test",
        Offline("the test command: it runs this test"),
    ),
    // Walk-through
    ("senderzone init", Exits(0)),
    ("senderzone generate", Exits(0)),
    ("senderzone generate --out dns/", Exits(0)),
    (
        "senderzone verify --zone-file dns/example.com.zone \
         --zone-file dns/113.0.203.in-addr.arpa.zone \
         --zone-file dns/0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.zone",
        Exits(0),
    ),
    (
        "senderzone plan --target rfc2136://192.0.2.53 --tsig-key ddns.key",
        Exits(0),
    ),
    (
        "senderzone apply --target rfc2136://192.0.2.53 --tsig-key ddns.key",
        Exits(0),
    ),
    (
        "senderzone generate --format nsupdate --nsupdate-server 192.0.2.53 --out dns/",
        Exits(0),
    ),
    ("nsupdate -k ddns.key dns/example.com.nsupdate", Exits(0)),
    ("senderzone verify --nameserver 192.0.2.53", Exits(0)),
    // Commands
    ("senderzone init mail.yaml", Exits(0)),
    ("senderzone generate mail.yaml --out dns/", Exits(0)),
    (
        "senderzone spf check --domain example.com --nameserver 192.0.2.53",
        Exits(0),
    ),
    (
        "senderzone spf eval --domain example.com --ip 203.0.113.10 --nameserver 192.0.2.53",
        Exits(0),
    ),
    (
        "senderzone verify mail.yaml --nameserver 192.0.2.53",
        Exits(0),
    ),
    (
        "senderzone import example.com --nameserver 192.0.2.53 --out imported.yaml",
        Exits(0),
    ),
    (
        "senderzone verify imported.yaml --nameserver 192.0.2.53",
        Exits(0),
    ),
    (
        "senderzone plan mail.yaml --target dns://ns1.provider.example",
        Exits(0),
    ),
    (
        "PDNS_API_KEY=… senderzone apply mail.yaml --target powerdns+http://127.0.0.1:8081 --yes",
        Exits(0),
    ),
    (
        "senderzone dkim keygen --domain example.com --selector s2026 --out keys/",
        Exits(0),
    ),
    (
        "senderzone dnsbl 203.0.113.10 mail.example.com",
        Offline(
            "asks the public blocklists through the system resolver; \
             tests/dnsbl.rs and tests/snapshots.rs run dnsbl against local test lists",
        ),
    ),
    ("source <(senderzone completions bash)", Exits(0)),
    ("senderzone man --out pages/", Exits(0)),
];

/// The zones `senderzone init`'s starter inventory plans, as the README's
/// walk-through leaves it unedited: the test servers serve them empty.
const STARTER_ZONES: &[&str] = &[
    "example.com",
    "113.0.203.in-addr.arpa",
    "0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
];

/// The fenced blocks of `markdown` whose info string is `info`, as
/// (line number of the fence, text); fences may be indented (inside a
/// list item), the text keeps its lines as written, indentation removed.
fn blocks(markdown: &str, info: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut lines = markdown.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let Some(fence_info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let indent = line.len() - line.trim_start().len();
        let mut text = String::new();
        for (_, inner) in lines.by_ref() {
            if inner.trim_start().starts_with("```") {
                break;
            }
            text.push_str(inner.get(indent..).unwrap_or(inner.trim_start()));
            text.push('\n');
        }
        if fence_info.trim() == info {
            found.push((number + 1, text));
        }
    }
    found
}

/// The commands of the README's `sh` blocks: a `\` at the end of a line
/// continues it, blank lines and `#` comment lines are not commands.
fn readme_commands() -> Vec<String> {
    let mut commands = Vec::new();
    for (_, block) in blocks(README, "sh") {
        let mut command = String::new();
        for line in block.lines() {
            let line = line.trim();
            if command.is_empty() && (line.is_empty() || line.starts_with('#')) {
                continue;
            }
            match line.strip_suffix('\\') {
                Some(part) => {
                    command.push_str(part.trim_end());
                    command.push(' ');
                }
                None => {
                    command.push_str(line);
                    commands.push(std::mem::take(&mut command));
                }
            }
        }
    }
    commands
}

/// Where the README's commands find their servers.
struct Servers {
    bind: Bind,
    powerdns: PowerDns,
}

/// `command` as it runs here: the README's addresses replaced by the test
/// servers', `cargo run --release --` by the binary cargo built, and
/// `--yes` added to an `apply` that would ask on a terminal (the test has
/// none to answer it).
fn substitute(command: &str, servers: &Servers) -> String {
    let bind = format!("127.0.0.1:{}", servers.bind.port());
    let api = format!("127.0.0.1:{}", servers.powerdns.api_port);
    let key = format!("PDNS_API_KEY={}", servers.powerdns.api_key());
    let mut command = command
        .replace("cargo run --release -- ", "senderzone ")
        .replace("192.0.2.53", &bind)
        .replace("ns1.provider.example", &bind)
        .replace("127.0.0.1:8081", &api)
        .replace("PDNS_API_KEY=…", &key);
    if command.starts_with("senderzone apply") && !command.contains("--yes") {
        command.push_str(" --yes");
    }
    command
}

#[test]
fn the_example_inventory_is_the_one_shipped() {
    let marker = README
        .find("<!-- senderzone-inventory(5) begins")
        .expect("the README's inventory section");
    let (line, example) = blocks(&README[marker..], "yaml")
        .into_iter()
        .next()
        .expect("a yaml block in the README's inventory section");
    let shipped = std::fs::read_to_string(support::repo_file("examples/inventory.yaml")).unwrap();
    assert!(
        example == shipped,
        "the README's example inventory (line {line} of its inventory section) and \
         examples/inventory.yaml differ: make them the same text"
    );
}

#[test]
fn the_quick_start_shows_how_generate_begins() {
    let (_, shown) = blocks(README, "")
        .into_iter()
        .find(|(_, text)| text.starts_with("; senderzone: records for zone example.com."))
        .expect("the README shows the quick start's output");
    let output = support::run(&[
        "generate",
        support::repo_file("examples/inventory.yaml")
            .to_str()
            .unwrap(),
    ]);
    assert!(output.status.success(), "{}", support::stderr(&output));
    let printed = support::stdout(&output);
    assert!(
        printed.starts_with(&shown),
        "the README's quick start output is not how `generate examples/inventory.yaml` \
         begins; it begins:\n{}",
        printed.lines().take(20).collect::<Vec<_>>().join("\n")
    );
    // The records users came for come before the ISP's RFC 2317 CNAMEs.
    let ptr = printed.find(" PTR ").expect("PTR records");
    let cname = printed.find(" CNAME ").expect("the ISP's CNAMEs");
    assert!(ptr < cname, "{printed}");
}

#[test]
fn every_command_of_the_readme_runs() {
    let listed: Vec<String> = COMMANDS.iter().map(|(c, _)| (*c).to_owned()).collect();
    let found = readme_commands();
    assert!(
        found == listed,
        "the README's sh blocks and COMMANDS in tests/readme.rs differ: give each README \
         command an entry (the exit status it must end with, or why it cannot run offline)\n\
         in the README:\n  {}\nin the test:\n  {}",
        found.join("\n  "),
        listed.join("\n  ")
    );

    let zones: Vec<(String, String)> = STARTER_ZONES
        .iter()
        .map(|zone| (zone.to_string(), support::wrap_zone(zone, "")))
        .collect();
    let servers = Servers {
        bind: Bind::start_with_policy(&zones, "hmac-sha256", true),
        powerdns: PowerDns::start(),
    };
    for zone in STARTER_ZONES {
        servers.powerdns.create_zone(zone);
    }

    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    std::fs::create_dir(dir.join("examples")).unwrap();
    std::fs::copy(
        support::repo_file("examples/inventory.yaml"),
        dir.join("examples/inventory.yaml"),
    )
    .unwrap();
    std::fs::copy(servers.bind.key_file(), dir.join("ddns.key")).unwrap();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    for (readme_command, expect) in COMMANDS {
        let Exits(status) = expect else {
            continue;
        };
        let command = substitute(readme_command, &servers);
        let output = Command::new("bash")
            .arg("-c")
            .arg(&command)
            .current_dir(dir)
            .env("PATH", &path)
            .env("HOME", dir)
            .env_remove("PDNS_API_KEY")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(*status),
            "README command `{readme_command}`, run as `{command}`:\n{}\n--- BIND:\n{}",
            support::text(&output),
            servers.bind.log()
        );
    }

    // The walk-through and `apply` published the records: both servers
    // serve them.
    for server in [servers.bind.addr(), servers.powerdns.dns] {
        assert_eq!(
            support::query_ptr(server, "10.113.0.203.in-addr.arpa"),
            ["mail.example.com."]
        );
    }
    assert!(dir.join("pages/senderzone-inventory.5").is_file());
}
