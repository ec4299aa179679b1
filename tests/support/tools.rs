//! Finding and running the external tools, loudly.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Each tool the harness runs and the Debian package that provides it.
const PACKAGES: &[(&str, &str)] = &[
    ("named", "bind9"),
    ("named-checkconf", "bind9-utils"),
    ("named-checkzone", "bind9-utils"),
    ("tsig-keygen", "bind9-utils"),
    ("dig", "dnsutils"),
    ("script", "bsdutils"),
    ("nsupdate", "dnsutils"),
    ("nsd", "nsd"),
    ("nsd-checkconf", "nsd"),
    ("nsd-checkzone", "nsd"),
    ("openssl", "openssl"),
];

/// The full path of a tool, or a panic naming the Debian package to install.
///
/// Looks in `PATH`, then in `/usr/sbin` and `/sbin`: `named` and `nsd` live
/// there and a non-root `PATH` often lacks them.
pub fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file());
    match found {
        Some(path) => path,
        None => {
            let package = PACKAGES
                .iter()
                .find(|(tool, _)| *tool == name)
                .map_or("?", |(_, package)| package);
            panic!(
                "`{name}` not found in PATH, /usr/sbin or /sbin: install the Debian package \
                 `{package}` (scripts/test installs it)"
            )
        }
    }
}

/// Runs a tool to completion, feeding `stdin` if given.
pub fn run(name: &str, args: &[&str], stdin: Option<&str>) -> Output {
    super::output_with_stdin(Command::new(tool(name)).args(args), stdin)
}

/// A tool's stdout and stderr as one text, for error messages.
pub fn output_text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
