//! `senderzone verify` against real servers: zones generated from an
//! inventory by the binary, served by NSD on loopback, verified clean;
//! then one fault at a time, each found under its exact id; then servers
//! that answer SERVFAIL or truncate, and DNS loops, which end on time in
//! `dns-error` and never in a pass (a server that never answers:
//! `verify_network.rs`).

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::support::{self, BIN, Nsd, text};
use serde_json::Value;

/// Two domains, three servers, IPv6, an RFC 2317 classless zone whose
/// parent CNAMEs NSD also serves, and a HELO name of its own.
pub(crate) const INVENTORY: &str = "\
ttl: 3600
zones: [example.net]
reverse_zones: [192.0.2.0/24, 198.51.100.64/26, 2001:db8:77::/48]
servers:
  - hostname: mail.example.net
    ipv4: [192.0.2.10]
    ipv6: [2001:db8:77::10]
  - hostname: relay.example.net
    ipv4: [198.51.100.70]
  - hostname: out.example.net
    helo: smtp.example.net
    ipv4: [192.0.2.20]
domains:
  - name: example.net
    servers: [mail.example.net, relay.example.net]
  - name: shop.example.net
    servers: [out.example.net]
    all: softfail
";

/// An inventory and the zones `generate --out` wrote for it, wrapped with
/// a test SOA and NS so that a server can load them.
struct World {
    dir: tempfile::TempDir,
    inventory: PathBuf,
    zones: Vec<(String, String)>,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let inventory = dir.path().join("inventory.yaml");
        std::fs::write(&inventory, INVENTORY).unwrap();
        let mut zones: Vec<(String, String)> = support::generated_zones(&inventory)
            .into_iter()
            .map(|(origin, snippet)| {
                let zone = support::wrap_zone(&origin, &snippet);
                (origin, zone)
            })
            .collect();
        zones.sort();
        World {
            dir,
            inventory,
            zones,
        }
    }

    /// The text of the zone `origin`.
    fn zone(&mut self, origin: &str) -> &mut String {
        &mut self
            .zones
            .iter_mut()
            .find(|(o, _)| o == origin)
            .unwrap_or_else(|| panic!("no zone `{origin}`"))
            .1
    }

    /// Replaces `from` by `to` in zone `origin`, which must hold it.
    fn edit(&mut self, origin: &str, from: &str, to: &str) {
        let zone = self.zone(origin);
        assert!(zone.contains(from), "`{from}` not in {origin}:\n{zone}");
        *zone = zone.replacen(from, to, 1);
    }

    /// Appends records to zone `origin`.
    fn append(&mut self, origin: &str, records: &str) {
        self.zone(origin).push_str(records);
    }

    fn serve(&self) -> Nsd {
        for (origin, text) in &self.zones {
            support::checkzone(origin, text).unwrap();
        }
        Nsd::start(&self.zones)
    }

    /// The wrapped zones as files, for `--zone-file`.
    fn zone_files(&self) -> Vec<PathBuf> {
        self.zones
            .iter()
            .enumerate()
            .map(|(i, (_, text))| {
                let file = self.dir.path().join(format!("wrapped-{i}.zone"));
                std::fs::write(&file, text).unwrap();
                file
            })
            .collect()
    }

    /// An inventory file with `from` replaced by `to`.
    fn inventory_with(&self, from: &str, to: &str) -> PathBuf {
        assert!(INVENTORY.contains(from));
        let file = self.dir.path().join("changed.yaml");
        std::fs::write(&file, INVENTORY.replacen(from, to, 1)).unwrap();
        file
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `verify INVENTORY --format json` with `extra` arguments.
fn verify(inventory: &Path, extra: &[&str]) -> (Output, Value) {
    let output = Command::new(BIN)
        .args(["verify", path(inventory), "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}):\n{}", text(&output)));
    (output, report)
}

fn against(nsd: &Nsd, inventory: &Path) -> (Output, Value) {
    verify(
        inventory,
        &["--nameserver", &nsd.addr().to_string(), "--timeout", "20"],
    )
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

/// The findings with `id`.
fn with_id<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    findings(report).iter().filter(|f| f["id"] == id).collect()
}

fn errors(report: &Value) -> Vec<&Value> {
    findings(report)
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect()
}

/// Asserts that the run found `id` about `subject`, and exit code 1.
fn assert_found(output: &Output, report: &Value, id: &str, subject: &str) -> Value {
    let found = with_id(report, id);
    let hit = found
        .iter()
        .find(|f| f["subject"] == subject)
        .unwrap_or_else(|| panic!("no `{id}` for `{subject}` in {report:#}"));
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    (*hit).clone()
}

#[test]
fn generated_zones_served_by_nsd_verify_clean() {
    let world = World::new();
    let nsd = world.serve();
    let (output, report) = against(&nsd, &world.inventory);
    assert_eq!(output.status.code(), Some(0), "{report:#}\n{}", nsd.log());
    assert!(errors(&report).is_empty(), "{report:#}");
    // Documentation addresses in the SPF record are warnings only, and
    // the HELO name of its own differs from the PTR name, as it should.
    assert!(
        findings(&report)
            .iter()
            .all(|f| f["id"] == "spf-private-address" || f["id"] == "helo-ptr-mismatch"),
        "{report:#}"
    );
    let helo = with_id(&report, "helo-ptr-mismatch");
    assert_eq!(helo.len(), 1, "{report:#}");
    assert_eq!(helo[0]["subject"], "smtp.example.net");
    assert_eq!(report["summary"]["servers"], 3);
    assert_eq!(report["summary"]["domains"], 2);
    assert!(report["summary"]["queries"].as_u64().unwrap() > 10);
    // The text form says the same, without colour when not on a terminal.
    let output = Command::new(BIN)
        .args(["verify", path(&world.inventory), "--nameserver"])
        .arg(nsd.addr().to_string())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0));
    assert!(!shown.contains('\x1b'), "{shown}");
    assert!(
        shown.contains("0 error(s)") && shown.contains("3 server(s), 2 domain(s)"),
        "{shown}"
    );
}

#[test]
fn generated_zones_served_by_bind_verify_clean() {
    // BIND answers the RFC 2317 parent with the CNAME alone (formats.md
    // §5.7): the PTR in the child zone is reached by following it.
    let world = World::new();
    let bind = support::Bind::start(&world.zones);
    let (output, report) = verify(
        &world.inventory,
        &["--nameserver", &bind.addr().to_string(), "--timeout", "20"],
    );
    assert_eq!(output.status.code(), Some(0), "{report:#}\n{}", bind.log());
    assert!(errors(&report).is_empty(), "{report:#}");
}

#[test]
fn a_dropped_ptr_is_ptr_missing_with_nxdomain() {
    let mut world = World::new();
    world.edit(
        "2.0.192.in-addr.arpa",
        "10 3600 IN PTR   mail.example.net.\n",
        "",
    );
    let nsd = world.serve();
    let (output, report) = against(&nsd, &world.inventory);
    let finding = assert_found(&output, &report, "ptr-missing", "192.0.2.10");
    assert!(
        finding["actual"].as_str().unwrap().contains("NXDOMAIN"),
        "{finding:#}"
    );
}

#[test]
fn a_ptr_to_another_name_is_a_mismatch_and_fails_fcrdns() {
    let mut world = World::new();
    world.edit(
        "2.0.192.in-addr.arpa",
        "10 3600 IN PTR   mail.example.net.",
        "10 3600 IN PTR   other.example.net.",
    );
    let nsd = world.serve();
    let (output, report) = against(&nsd, &world.inventory);
    let finding = assert_found(&output, &report, "ptr-mismatch", "192.0.2.10");
    assert_eq!(finding["expected"], "mail.example.net.");
    assert_eq!(finding["actual"], "other.example.net.");
    assert_found(&output, &report, "fcrdns-fail", "192.0.2.10");
    assert_found(&output, &report, "helo-ptr-mismatch", "mail.example.net");
}

#[test]
fn a_dropped_a_record_is_a_missing() {
    let mut world = World::new();
    world.edit("example.net", "relay 3600 IN A     198.51.100.70\n", "");
    let nsd = world.serve();
    let (output, report) = against(&nsd, &world.inventory);
    let finding = assert_found(&output, &report, "a-missing", "relay.example.net");
    assert_eq!(finding["expected"], "198.51.100.70");
    assert_found(&output, &report, "fcrdns-fail", "198.51.100.70");
    assert_found(&output, &report, "helo-unresolvable", "relay.example.net");
}

#[test]
fn an_extra_address_is_a_extra() {
    let mut world = World::new();
    world.append("example.net", "mail 3600 IN A 192.0.2.99\n");
    let nsd = world.serve();
    let (output, report) = against(&nsd, &world.inventory);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let extra = with_id(&report, "a-extra");
    assert_eq!(extra.len(), 1, "{report:#}");
    assert_eq!(extra[0]["severity"], "warning");
}

#[test]
fn a_second_spf_record_is_spf_multiple() {
    let mut world = World::new();
    world.append("example.net", "@ 3600 IN TXT \"v=spf1 -all\"\n");
    let nsd = world.serve();
    let (output, report) = against(&nsd, &world.inventory);
    let finding = assert_found(&output, &report, "spf-multiple", "example.net");
    assert!(
        finding["actual"].as_str().unwrap().contains(" | "),
        "{finding:#}"
    );
    // Two records are a permerror: no server is authorized.
    assert_found(&output, &report, "spf-not-authorized", "example.net");
}

#[test]
fn broken_spf_syntax_is_spf_syntax_with_a_column() {
    let mut world = World::new();
    world.edit("example.net", "ip4:192.0.2.10 ", "ip4:192.0.2.10/33 ");
    let nsd = world.serve();
    let (output, report) = against(&nsd, &world.inventory);
    let finding = assert_found(&output, &report, "spf-syntax", "example.net");
    let column = finding["column"].as_u64().unwrap() as usize;
    let actual = finding["actual"].as_str().unwrap();
    assert!(
        actual[column - 1..].starts_with("ip4:192.0.2.10/33 "),
        "{finding:#}"
    );
    // The fix shows the record with a caret under the term, as it is.
    let output = Command::new(BIN)
        .args(["verify", path(&world.inventory), "--nameserver"])
        .arg(nsd.addr().to_string())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = shown.lines().collect();
    let headline = lines
        .iter()
        .position(|l| l.starts_with("error   spf-syntax example.net: column "))
        .unwrap_or_else(|| panic!("{shown}"));
    let record = lines[headline + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with("v=spf1 "))
        .map(|i| lines[headline + 1 + i])
        .unwrap_or_else(|| panic!("{shown}"));
    let caret = lines[lines.iter().position(|l| *l == record).unwrap() + 1];
    let at = caret.find('^').unwrap();
    assert!(record[at..].starts_with("ip4:192.0.2.10/33"), "{shown}");
}

#[test]
fn a_server_missing_from_spf_is_not_authorized() {
    let mut world = World::new();
    world.edit("example.net", " ip4:198.51.100.70", "");
    let nsd = world.serve();
    let (output, report) = against(&nsd, &world.inventory);
    let finding = assert_found(&output, &report, "spf-not-authorized", "example.net");
    assert_eq!(finding["expected"], "pass");
    assert_eq!(finding["actual"], "fail");
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("198.51.100.70"), "{message}");
    let drift = assert_found(&output, &report, "spf-drift", "example.net");
    assert!(
        drift["expected"]
            .as_str()
            .unwrap()
            .contains("198.51.100.70")
    );
    assert!(!drift["actual"].as_str().unwrap().contains("198.51.100.70"));
}

#[test]
fn plus_all_is_too_permissive() {
    let mut world = World::new();
    world.edit("example.net", "-all\"\nmail", "+all\"\nmail");
    let nsd = world.serve();
    let (output, report) = against(&nsd, &world.inventory);
    assert_found(&output, &report, "spf-too-permissive", "example.net");
    assert_found(&output, &report, "spf-plus-all", "example.net");
}

#[test]
fn a_localhost_helo_is_helo_invalid() {
    let world = World::new();
    let nsd = world.serve();
    let inventory = world.inventory_with(
        "  - hostname: relay.example.net\n",
        "  - hostname: relay.example.net\n    helo: localhost.localdomain\n",
    );
    let (output, report) = against(&nsd, &inventory);
    let finding = assert_found(&output, &report, "helo-invalid", "localhost.localdomain");
    assert_eq!(finding["expected"], "relay.example.net");
}

#[test]
fn an_include_without_spf_is_found() {
    let mut world = World::new();
    world.edit(
        "example.net",
        "-all\"\nmail",
        "include:nospf.example.net -all\"\nmail",
    );
    world.append("example.net", "nospf 3600 IN A 192.0.2.200\n");
    let nsd = world.serve();
    let (output, report) = against(&nsd, &world.inventory);
    assert_found(&output, &report, "spf-include-no-record", "example.net");
}

#[test]
fn nested_includes_over_ten_lookups_are_found() {
    let mut world = World::new();
    world.edit(
        "example.net",
        "-all\"\nmail",
        "include:l1.example.net -all\"\nmail",
    );
    let many = |n: usize| vec!["a:mail.example.net"; n].join(" ");
    world.append(
        "example.net",
        &format!(
            "l1 3600 IN TXT \"v=spf1 {} include:l2.example.net -all\"\n\
             l2 3600 IN TXT \"v=spf1 {} -all\"\n",
            many(5),
            many(6)
        ),
    );
    let nsd = world.serve();
    let (output, report) = against(&nsd, &world.inventory);
    assert_found(&output, &report, "spf-too-many-lookups", "example.net");
}

#[test]
fn a_missing_rfc2317_cname_is_ptr_cname_missing() {
    let mut world = World::new();
    world.edit(
        "100.51.198.in-addr.arpa",
        "70  3600 IN CNAME 70.64-26.100.51.198.in-addr.arpa.\n",
        "",
    );
    let nsd = world.serve();
    let (output, report) = against(&nsd, &world.inventory);
    let finding = assert_found(&output, &report, "ptr-cname-missing", "198.51.100.70");
    assert_eq!(
        finding["expected"],
        "CNAME 70.64-26.100.51.198.in-addr.arpa."
    );
    assert!(with_id(&report, "ptr-missing").is_empty(), "{report:#}");
}

#[test]
fn a_truncated_answer_is_fetched_over_tcp() {
    let mut world = World::new();
    // Twelve 200-octet TXT records beside the SPF record: the answer does
    // not fit a UDP response and comes back truncated.
    for i in 0..12 {
        world.append(
            "example.net",
            &format!("@ 3600 IN TXT \"filler-{i:02}-{}\"\n", "x".repeat(190)),
        );
    }
    let nsd = world.serve();
    // Over UDP with a 1232-octet EDNS buffer, NSD sets TC.
    let udp = Command::new(support::tool("dig"))
        .args(["+notcp", "+ignore", "+bufsize=1232", "-p"])
        .arg(nsd.port().to_string())
        .args(["@127.0.0.1", "example.net", "TXT"])
        .output()
        .unwrap();
    let udp = String::from_utf8_lossy(&udp.stdout);
    assert!(udp.contains(" tc"), "{udp}");
    let (output, report) = against(&nsd, &world.inventory);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert!(errors(&report).is_empty(), "{report:#}");
}

#[test]
fn a_cname_loop_is_a_dns_error_never_a_pass() {
    let mut world = World::new();
    world.edit("example.net", "relay 3600 IN A     198.51.100.70\n", "");
    world.edit("example.net", "relay 3600 IN TXT   \"v=spf1 a -all\"\n", "");
    world.append(
        "example.net",
        "relay 3600 IN CNAME loop.example.net.\nloop 3600 IN CNAME relay.example.net.\n",
    );
    let nsd = world.serve();
    let started = Instant::now();
    let (output, report) = against(&nsd, &world.inventory);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(3), "{report:#}");
    assert!(errors(&report).iter().all(|f| f["id"] == "dns-error"));
    let subjects: Vec<&Value> = with_id(&report, "dns-error")
        .iter()
        .map(|f| &f["subject"])
        .collect();
    assert!(
        subjects.contains(&&Value::from("relay.example.net")),
        "{report:#}"
    );
    assert!(
        subjects.contains(&&Value::from("198.51.100.70")),
        "{report:#}"
    );
    assert!(
        with_id(&report, "dns-error").iter().all(|f| f["message"]
            .as_str()
            .unwrap()
            .starts_with("could not determine")),
        "{report:#}"
    );
}

#[test]
fn an_include_loop_ends_in_permerror_and_is_found() {
    let mut world = World::new();
    world.edit(
        "example.net",
        "\"v=spf1 ip4:192.0.2.10 ",
        "\"v=spf1 include:loop-a.example.net ip4:192.0.2.10 ",
    );
    world.append(
        "example.net",
        "loop-a 3600 IN TXT \"v=spf1 include:loop-b.example.net -all\"\n\
         loop-b 3600 IN TXT \"v=spf1 include:loop-a.example.net -all\"\n",
    );
    let nsd = world.serve();
    let started = Instant::now();
    let (output, report) = against(&nsd, &world.inventory);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_found(&output, &report, "spf-include-loop", "loop-b.example.net");
    let finding = assert_found(&output, &report, "spf-not-authorized", "example.net");
    assert_eq!(finding["actual"], "permerror");
}

/// Answers every UDP query with SERVFAIL, in a thread stopped on drop.
struct ServFail {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ServFail {
    fn start() -> ServFail {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, support::free_port())).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while !stop.load(Ordering::Relaxed) {
                    let Ok((len, peer)) = socket.recv_from(&mut buf) else {
                        continue;
                    };
                    if len < 12 {
                        continue;
                    }
                    // The header with QR, RD, RA and RCODE 2, the question
                    // kept, no records (RFC 1035 §4.1.1).
                    let mut response = buf[..len].to_vec();
                    response[2] = 0x81;
                    response[3] = 0x82;
                    response[6..12].fill(0);
                    let _ = socket.send_to(&response, peer);
                }
            })
        };
        ServFail {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for ServFail {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Everything is a `dns-error`, the run exits 3 and no check passed.
fn assert_undetermined(output: &Output, report: &Value) {
    assert_eq!(output.status.code(), Some(3), "{report:#}");
    assert!(!findings(report).is_empty());
    assert!(
        errors(report).iter().all(|f| f["id"] == "dns-error"),
        "{report:#}"
    );
    // A dns-error is printed as an error and counted as one, and as
    // undetermined.
    let undetermined = report["summary"]["undetermined"].as_u64().unwrap();
    assert_eq!(report["summary"]["errors"], undetermined, "{report:#}");
    assert_eq!(errors(report).len() as u64, undetermined, "{report:#}");
    // Every server's addresses, PTRs and HELO; every domain's SPF.
    assert!(undetermined >= 3 * 3 + 2, "{report:#}");
}

#[test]
fn a_servfail_server_is_dns_error_with_exit_3() {
    let world = World::new();
    let server = ServFail::start();
    let started = Instant::now();
    let (output, report) = verify(
        &world.inventory,
        &["--nameserver", &server.addr.to_string(), "--timeout", "20"],
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_undetermined(&output, &report);
    assert!(
        with_id(&report, "dns-error")
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("SERVFAIL")),
        "{report:#}"
    );
    // The text counts what it prints, with the words of the JSON summary.
    let output = Command::new(BIN)
        .args(["verify", path(&world.inventory), "--nameserver"])
        .arg(server.addr.to_string())
        .args(["--timeout", "20"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    let printed = shown.matches("\nerror   dns-error ").count()
        + usize::from(shown.starts_with("error   dns-error "));
    let summary = &report["summary"];
    assert_eq!(summary["errors"].as_u64(), Some(printed as u64), "{shown}");
    assert!(
        shown.contains(&format!(
            "{printed} error(s), 0 warning(s), 0 info(s); {printed} undetermined (DNS could not answer); checked 3 server(s)"
        )),
        "{shown}"
    );
}

#[test]
fn zone_files_give_the_findings_of_the_served_zones() {
    let mut world = World::new();
    world.edit("example.net", " ip4:198.51.100.70", "");
    world.edit(
        "2.0.192.in-addr.arpa",
        "10 3600 IN PTR   mail.example.net.",
        "10 3600 IN PTR   other.example.net.",
    );
    world.edit("example.net", "out   3600 IN A     192.0.2.20\n", "");
    let nsd = world.serve();
    let (served_output, served) = against(&nsd, &world.inventory);
    let files = world.zone_files();
    let mut args = vec!["--offline"];
    for file in &files {
        args.push("--zone-file");
        args.push(path(file));
    }
    let (offline_output, offline) = verify(&world.inventory, &args);
    assert_eq!(served_output.status.code(), Some(1));
    assert_eq!(offline_output.status.code(), Some(1));
    assert_eq!(served["findings"], offline["findings"]);
    assert_eq!(served["summary"], offline["summary"]);
}

#[test]
fn control_characters_from_dns_are_escaped_in_text() {
    let mut world = World::new();
    // `\027` in zone-file syntax is the octet ESC (RFC 1035 §5.1).
    world.edit(
        "example.net",
        "ip4:192.0.2.10 ",
        "ip4:192.0.2.10 \\027[31mred ",
    );
    let nsd = world.serve();
    let output = Command::new(BIN)
        .args(["verify", path(&world.inventory), "--nameserver"])
        .arg(nsd.addr().to_string())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(!shown.contains('\x1b'), "{shown}");
    assert!(shown.contains("\\027[31mred"), "{shown}");
    assert!(shown.contains("spf-syntax"), "{shown}");
}

#[test]
fn strict_makes_documentation_space_an_error() {
    let world = World::new();
    let nsd = world.serve();
    let (output, report) = verify(
        &world.inventory,
        &["--nameserver", &nsd.addr().to_string(), "--strict"],
    );
    let finding = assert_found(&output, &report, "spf-private-address", "example.net");
    assert_eq!(finding["severity"], "error");
}

#[test]
fn bad_input_exits_2() {
    let world = World::new();
    for args in [
        vec![
            "verify",
            "/nonexistent/inventory.yaml",
            "--zone-file",
            "/dev/null",
        ],
        vec![
            "verify",
            path(&world.inventory),
            "--nameserver",
            "ns1.example",
        ],
        vec![
            "verify",
            path(&world.inventory),
            "--zone-file",
            "/nonexistent.zone",
        ],
        vec!["verify", path(&world.inventory), "--timeout", "0"],
    ] {
        let output = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
    }
}
