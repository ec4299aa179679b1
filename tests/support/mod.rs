//! Test support: the binary under test, zone validation and real DNS servers
//! on loopback.
//!
//! Declared once in `tests/tests.rs`; every area module uses it as
//! `crate::support`.
//!
//! Everything here shells out to Debian's tools (`named-checkzone`,
//! `nsd-checkzone`, `named`, `nsd`, `dig`, `nsupdate`, `tsig-keygen`). A
//! missing tool is a loud panic naming the Debian package, never a skip:
//! `scripts/test` installs them. Servers listen on 127.0.0.1 high ports, each
//! in its own temporary directory, so tests run in parallel; nothing here
//! talks to a network beyond loopback. Recipes: `formats.md` §5.
//!
//! ```text
//! use crate::support;
//!
//! let zone = support::wrap_zone("example.com", &generated_snippet);
//! support::checkzone("example.com", &zone).unwrap();
//! let nsd = support::Nsd::start(&[("example.com", &zone)]);
//! assert_eq!(support::query_txt(nsd.addr(), "example.com"), [vec![b"v=spf1 -all".to_vec()]]);
//!
//! let bind = support::Bind::start_dynamic(&[("example.com", &zone)]);
//! // product scripts have no `server` line unless asked: nsupdate() adds it
//! bind.nsupdate(&generated_script).unwrap();
//! ```
//!
//! Servers are stopped and their directories removed on drop; their
//! log is at `.log()` for assertion messages. Query helpers sort what they
//! return (servers may rotate RRsets) and panic on SERVFAIL or REFUSED, so
//! an empty result always means NOERROR/NXDOMAIN without records; use
//! `query_rcode` or `query` to look at failures.

mod dig;
mod powerdns;
mod server;
mod tools;

use std::collections::HashSet;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

// The API, flattened.
pub use dig::{
    Response, Rr, parse_txt_rdata, query, query_a, query_aaaa, query_cname, query_ptr, query_rcode,
    query_rdata_wire, query_rrset, query_txt, txt_from_wire,
};
pub use powerdns::PowerDns;
pub use server::{Bind, Nsd, answers_soa, run_nsupdate};
pub use tools::tool;

/// The `senderzone` binary, built by cargo for the integration tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_senderzone");

/// Runs [`BIN`] with `args` to completion, no stdin.
pub fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// Runs `command` to completion with `stdin` fed to it (none when `None`),
/// its stdout and stderr captured.
pub fn output_with_stdin(command: &mut Command, stdin: Option<&str>) -> Output {
    command
        .stdin(match stdin {
            Some(_) => Stdio::piped(),
            None => Stdio::null(),
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let name = command.get_program().to_string_lossy().into_owned();
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

/// A run's stdout, lossily decoded.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A run's stderr, lossily decoded.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A run's stdout followed by its stderr: what a user sees in a terminal.
pub fn text(output: &Output) -> String {
    format!("{}{}", stdout(output), stderr(output))
}

/// A file of the repository, from its path relative to the crate root.
pub fn repo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// `items`, sorted: for comparing what servers return in any order.
pub fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

/// Name server written into the SOA and NS records of [`wrap_zone`].
///
/// Out of zone and under `.invalid` (RFC 6761): `named-checkzone -i full`
/// accepts it without address records and without any lookup (checked with
/// strace: no socket is opened).
pub const TEST_NS: &str = "ns1.test.invalid.";

/// `name` with exactly one trailing dot, lower-cased: the form `dig` prints.
pub fn fqdn(name: &str) -> String {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    format!("{name}.")
}

/// Checks a zone with both `named-checkzone -k fail -i full` and `nsd-checkzone`.
///
/// The zone is written to a fresh temporary directory under a fixed,
/// slash-free file name, so RFC 2317 origins such as
/// `64/26.100.51.198.in-addr.arpa` work. `Ok` only when both tools accept
/// it; the error carries both tools' exit status and output (`formats.md`
/// §1.4: they are the oracles, `kzonecheck` is not).
pub fn checkzone(origin: &str, text: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("create a temporary directory for checkzone");
    let file = dir.path().join("zone.db");
    std::fs::write(&file, text).expect("write the zone for checkzone");
    let origin = fqdn(origin);
    let bind = tools::run(
        "named-checkzone",
        &["-k", "fail", "-i", "full", &origin, path_str(&file)],
        None,
    );
    let nsd = tools::run("nsd-checkzone", &[&origin, path_str(&file)], None);
    if bind.status.success() && nsd.status.success() {
        return Ok(());
    }
    Err(format!(
        "zone `{origin}` rejected\n--- named-checkzone ({}):\n{}--- nsd-checkzone ({}):\n{}",
        bind.status,
        tools::output_text(&bind),
        nsd.status,
        tools::output_text(&nsd),
    ))
}

/// Runs `senderzone generate INVENTORY --out DIR` and returns each zone
/// file as (origin without trailing dot, snippet text), sorted by origin.
pub fn generated_zones(inventory: &std::path::Path) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().expect("create a temporary directory for generate");
    let out = dir.path().join("zones");
    let output = Command::new(BIN)
        .arg("generate")
        .arg(inventory)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run senderzone generate");
    assert!(
        output.status.success(),
        "senderzone generate {} failed: {}",
        inventory.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut zones: Vec<(String, String)> = fs_entries(&out)
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read a generated zone");
            let origin = text
                .lines()
                .find_map(|l| l.strip_prefix("$ORIGIN "))
                .expect("every generated zone sets $ORIGIN")
                .trim_end_matches('.')
                .to_owned();
            (origin, text)
        })
        .collect();
    zones.sort();
    zones
}

fn fs_entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .expect("list the generated zones")
        .map(|entry| entry.expect("a directory entry").path())
        .collect()
}

/// Puts a test SOA and NS in front of a zone snippet.
///
/// The snippet may carry its own `$ORIGIN` and `$TTL` lines: the SOA and NS
/// are written with absolute owners and explicit TTLs before it, so whatever
/// the snippet sets applies only to its own records. A snippet without
/// `$ORIGIN` gets `origin`. The NS target is [`TEST_NS`].
pub fn wrap_zone(origin: &str, snippet: &str) -> String {
    let origin = fqdn(origin);
    let mut zone = format!(
        "$ORIGIN {origin}\n$TTL 3600\n\
         {origin} 3600 IN SOA {TEST_NS} hostmaster.test.invalid. 1 3600 600 604800 3600\n\
         {origin} 3600 IN NS {TEST_NS}\n{snippet}"
    );
    if !zone.ends_with('\n') {
        zone.push('\n');
    }
    zone
}

/// Ports handed out by this process, never handed out twice.
static USED_PORTS: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A port on 127.0.0.1 that is free for both UDP and TCP right now.
///
/// Chosen at random below the kernel's ephemeral range (32768–60999), so
/// client sockets of parallel tests (dig's random source ports) cannot take
/// it between this check and the server's bind. A port is never returned
/// twice in one process; a clash with another process is caught when the
/// server starts (see [`Bind::start`]).
pub fn free_port() -> u16 {
    let mut used = USED_PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let used = used.get_or_insert_with(HashSet::new);
    let mut state = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ (u64::from(std::process::id()) << 32)
        ^ (used.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        | 1;
    for _ in 0..1000 {
        // xorshift64: enough spread for a port number
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let port = 20000 + (state % 12000) as u16;
        if used.contains(&port) {
            continue;
        }
        let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
        let udp = UdpSocket::bind(addr);
        let tcp = TcpListener::bind(addr);
        if udp.is_ok() && tcp.is_ok() {
            used.insert(port);
            return port;
        }
    }
    panic!("no free port for UDP and TCP on 127.0.0.1 in 20000-31999 after 1000 tries");
}

/// A path as `&str`; temporary paths are always UTF-8 here.
fn path_str(path: &std::path::Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("path `{}` is not UTF-8", path.display()))
}

/// Each finding of a JSON report (`verify`, `dkim check`) as `ID SUBJECT`.
pub fn finding_ids(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("a findings array")
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["id"].as_str().unwrap(),
                f["subject"].as_str().unwrap()
            )
        })
        .collect()
}
