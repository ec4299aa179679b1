//! `senderzone verify --authoritative`: two NSD instances serve the same
//! zones on 127.0.0.1 and 127.0.0.2 (one port, as name servers on port 53
//! would), a third NS address never answers. Agreeing servers verify
//! clean; a secondary with another serial and another answer is reported,
//! and so is the silent one.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{self, BIN};

const INVENTORY: &str = "\
zones: [example.net]
reverse_zones: [192.0.2.0/24]
servers:
  - hostname: mail.example.net
    ipv4: [192.0.2.10]
domains:
  - name: example.net
    servers: [mail.example.net]
";

/// The generated snippets, as `(origin, snippet)`.
fn generated(dir: &Path) -> Vec<(String, String)> {
    let inventory = dir.join("inventory.yaml");
    std::fs::write(&inventory, INVENTORY).unwrap();
    let out = dir.join("zones");
    let status = Command::new(BIN)
        .args(["generate", inventory.to_str().unwrap(), "--out"])
        .arg(&out)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mut zones: Vec<(String, String)> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let origin = text
                .lines()
                .find_map(|l| l.strip_prefix("$ORIGIN "))
                .unwrap()
                .to_owned();
            (origin, text)
        })
        .collect();
    zones.sort();
    zones
}

/// `snippet` behind an SOA with `serial` and the NS set `names`, whose
/// addresses live in the forward zone.
fn zone(origin: &str, snippet: &str, serial: u32, names: &[&str]) -> String {
    let mut text = format!(
        "$ORIGIN {origin}\n$TTL 3600\n{origin} 3600 IN SOA ns1.example.net. hostmaster.example.net. {serial} 3600 600 604800 3600\n"
    );
    for name in names {
        text.push_str(&format!("{origin} 3600 IN NS {name}.example.net.\n"));
    }
    if origin == "example.net." {
        for (i, name) in ["ns1", "ns2", "ns3"].iter().enumerate() {
            text.push_str(&format!(
                "{name}.example.net. 3600 IN A 127.0.0.{}\n",
                i + 1
            ));
        }
    }
    text.push_str(snippet);
    text
}

/// NSD on `ip`:`port` serving `zones`; stopped on drop.
struct Nsd {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Nsd {
    fn start(ip: Ipv4Addr, port: u16, zones: &[(String, String)]) -> Nsd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let mut conf = format!(
            "server:\n    ip-address: {ip}@{port}\n    do-ip6: no\n    username: \"\"\n    \
             chroot: \"\"\n    zonesdir: \"{d}\"\n    database: \"\"\n    pidfile: \"{d}/nsd.pid\"\n    \
             xfrdfile: \"{d}/xfrd.state\"\n    zonelistfile: \"{d}/zone.list\"\n    xfrdir: \"{d}\"\n    \
             server-count: 1\n    reuseport: no\n    rrl-ratelimit: 0\nremote-control:\n    control-enable: no\n"
        );
        for (i, (origin, text)) in zones.iter().enumerate() {
            support::checkzone(origin, text).unwrap();
            std::fs::write(dir.path().join(format!("{i}.zone")), text).unwrap();
            conf.push_str(&format!(
                "zone:\n    name: \"{origin}\"\n    zonefile: \"{i}.zone\"\n"
            ));
        }
        let conf_path = dir.path().join("nsd.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new(support::tool("nsd"))
            .arg("-d")
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let nsd = Nsd { child, _dir: dir };
        let addr = SocketAddr::from((ip, port));
        let started = Instant::now();
        // Probed without panicking: until NSD listens, `dig` is refused.
        while !support::answers_soa(addr, "example.net") {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "NSD on {addr} did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        nsd
    }
}

impl Drop for Nsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn verify(dir: &Path, port: u16) -> (Option<i32>, Value) {
    let output = Command::new(BIN)
        .args(["verify", "--authoritative", "--ns-port", &port.to_string()])
        .args([
            "--nameserver",
            &format!("127.0.0.1:{port}"),
            "--timeout",
            "20",
        ])
        .args(["--format", "json"])
        .arg(dir.join("inventory.yaml"))
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code(), report)
}

fn ids(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "warning")
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_owned(),
                f["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn agreeing_servers_verify_clean() {
    let dir = tempfile::tempdir().unwrap();
    let zones: Vec<(String, String)> = generated(dir.path())
        .iter()
        .map(|(o, s)| (o.clone(), zone(o, s, 7, &["ns1", "ns2"])))
        .collect();
    let port = support::free_port();
    let _one = Nsd::start(Ipv4Addr::new(127, 0, 0, 1), port, &zones);
    let _two = Nsd::start(Ipv4Addr::new(127, 0, 0, 2), port, &zones);
    let (code, report) = verify(dir.path(), port);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(ids(&report), Vec::<(String, String)>::new(), "{report:#}");
}

#[test]
fn a_stale_secondary_and_a_silent_server_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let snippets = generated(dir.path());
    let names = ["ns1", "ns2", "ns3"];
    let primary: Vec<(String, String)> = snippets
        .iter()
        .map(|(o, s)| (o.clone(), zone(o, s, 8, &names)))
        .collect();
    let stale: Vec<(String, String)> = snippets
        .iter()
        .map(|(o, s)| {
            let old = s.replace("192.0.2.10", "192.0.2.99");
            (o.clone(), zone(o, &old, 7, &names))
        })
        .collect();
    let port = support::free_port();
    let _one = Nsd::start(Ipv4Addr::new(127, 0, 0, 1), port, &primary);
    let _two = Nsd::start(Ipv4Addr::new(127, 0, 0, 2), port, &stale);
    let _silent = UdpSocket::bind((Ipv4Addr::new(127, 0, 0, 3), port)).unwrap();
    let started = Instant::now();
    let (code, report) = verify(dir.path(), port);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(code, Some(1), "{report:#}");
    let found = ids(&report);
    for (id, subject) in [
        ("ns-serial-mismatch", "example.net"),
        ("ns-serial-mismatch", "2.0.192.in-addr.arpa"),
        ("ns-answer-mismatch", "mail.example.net"),
        ("ns-unreachable", "example.net"),
    ] {
        assert!(
            found.contains(&(id.to_owned(), subject.to_owned())),
            "no {id} for {subject}: {report:#}"
        );
    }
    let serials = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "ns-serial-mismatch")
        .unwrap();
    let actual = serials["actual"].as_str().unwrap();
    assert!(
        actual.contains("127.0.0.1:") && actual.contains(" 8"),
        "{actual}"
    );
    assert!(
        actual.contains("127.0.0.2:") && actual.contains(" 7"),
        "{actual}"
    );
}
