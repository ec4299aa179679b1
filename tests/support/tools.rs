//! Finding and running the external tools, loudly.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

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
    let mut command = Command::new(tool(name));
    command
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{name}`: {e}"));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("piped stdin");
        pipe.write_all(input.as_bytes())
            .unwrap_or_else(|e| panic!("cannot write to `{name}`: {e}"));
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("cannot wait for `{name}`: {e}"))
}

/// A tool's stdout and stderr as one text, for error messages.
pub fn output_text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
