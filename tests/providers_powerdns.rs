//! The `powerdns` form against a real PowerDNS Authoritative 4.7
//! (gsqlite3 backend, HTTP API on loopback, formats.md §4.4 and §5.5):
//! zones are created through the API, the generated PATCH bodies are sent
//! as they are, and every record PowerDNS then serves over DNS equals the
//! plan, TXT strings byte for byte.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use senderzone::inventory::Inventory;
use senderzone::records::{self, Plan, Record, RecordData, ZonePlan, ZoneRole};
use senderzone::render::{self, Provider, Render, Template};

use crate::support::{self, BIN, sorted};

const API_KEY: &str = "senderzone-test-key";
const SCHEMA: &str = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql";

/// A `pdns_server` on two free loopback ports, in its own directory;
/// killed on drop.
struct PowerDns {
    child: Child,
    dir: tempfile::TempDir,
    dns: SocketAddr,
    api: String,
}

impl PowerDns {
    fn start() -> PowerDns {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("pdns.sqlite3");
        let schema = std::fs::File::open(SCHEMA).unwrap_or_else(|e| {
            panic!("{SCHEMA}: {e}: install the Debian package `pdns-backend-sqlite3` (scripts/test does)")
        });
        let status = Command::new("sqlite3")
            .arg(&db)
            .stdin(schema)
            .status()
            .expect("run `sqlite3` (Debian package `sqlite3`, scripts/test installs it)");
        assert!(status.success(), "sqlite3 could not create the database");
        let dns_port = support::free_port();
        let api_port = support::free_port();
        let conf = format!(
            "launch=gsqlite3\ngsqlite3-database={db}\nlocal-address=127.0.0.1\nlocal-port={dns_port}\n\
             socket-dir={dir}\napi=yes\napi-key={API_KEY}\nwebserver=yes\nwebserver-address=127.0.0.1\n\
             webserver-port={api_port}\nwebserver-allow-from=127.0.0.0/8\nguardian=no\ndaemon=no\n\
             disable-syslog=yes\nloglevel=4\n\
             default-soa-content=ns1.test.invalid. hostmaster.@ 0 10800 3600 604800 3600\n",
            db = db.display(),
            dir = dir.path().display(),
        );
        std::fs::write(dir.path().join("pdns.conf"), conf).unwrap();
        let log = std::fs::File::create(dir.path().join("pdns.log")).unwrap();
        let child = Command::new(pdns_server())
            .arg(format!("--config-dir={}", dir.path().display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start pdns_server");
        let server = PowerDns {
            child,
            dir,
            dns: SocketAddr::from(([127, 0, 0, 1], dns_port)),
            api: format!("http://127.0.0.1:{api_port}/api/v1/servers/localhost"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if server.request("GET", "", None).0 == 200 {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "PowerDNS API not ready after 20 s\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pdns.log")).unwrap_or_default()
    }

    /// One API request through curl: (HTTP status, body). Status 0 when
    /// nothing answered.
    fn request(&self, method: &str, path: &str, body: Option<&Path>) -> (u16, String) {
        let url = format!("{}{path}", self.api);
        let mut command = Command::new("curl");
        command.args([
            "-sS",
            "-o",
            "-",
            "-w",
            "\n%{http_code}",
            "-X",
            method,
            "-H",
            &format!("X-API-Key: {API_KEY}"),
            "-H",
            "Content-Type: application/json",
        ]);
        if let Some(body) = body {
            command
                .arg("--data-binary")
                .arg(format!("@{}", body.display()));
        }
        let output = command
            .arg(&url)
            .output()
            .expect("run `curl` (Debian package `curl`)");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        (code.trim().parse().unwrap_or(0), body.to_owned())
    }

    /// Creates `zone` (`Native`, test NS) and returns the id PowerDNS gave it.
    fn create_zone(&self, zone: &str) -> String {
        let file = self.dir.path().join("create.json");
        std::fs::write(
            &file,
            serde_json::json!({
                "name": format!("{zone}."),
                "kind": "Native",
                "nameservers": [support::TEST_NS],
            })
            .to_string(),
        )
        .unwrap();
        let (status, body) = self.request("POST", "/zones", Some(&file));
        assert_eq!(status, 201, "create zone {zone}: {body}\n{}", self.log());
        let created: serde_json::Value = serde_json::from_str(&body).unwrap();
        created["id"].as_str().unwrap().to_owned()
    }

    /// PATCHes `body` (a file, sent as is) into zone `id`.
    fn patch(&self, id: &str, body: &Path) {
        let (status, answer) = self.request("PATCH", &format!("/zones/{id}"), Some(body));
        assert_eq!(
            status,
            204,
            "PATCH {id} with {}: {answer}\n{}",
            body.display(),
            self.log()
        );
    }
}

impl Drop for PowerDns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pdns_server() -> PathBuf {
    ["/usr/sbin/pdns_server", "/usr/bin/pdns_server"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .expect(
            "`pdns_server` not found: install the Debian package `pdns-server` (scripts/test does)",
        )
}

/// Asks PowerDNS for every RRset of `zones` and compares with the plan:
/// TXT strings byte for byte (and joined), addresses and names exactly.
fn assert_served(server: &PowerDns, zones: &[ZonePlan]) {
    let mut checked = 0;
    for zone in zones {
        let mut start = 0;
        while start < zone.records.len() {
            let first = &zone.records[start];
            let kind = first.data.type_name();
            let rrset: Vec<&Record> = zone.records[start..]
                .iter()
                .take_while(|r| r.owner == first.owner && r.data.type_name() == kind)
                .collect();
            start += rrset.len();
            let context = format!("{} {kind}\n{}", first.owner, server.log());
            let owner = first.owner.as_str();
            match kind.as_ref() {
                "TXT" => {
                    let want: Vec<Vec<Vec<u8>>> = sorted(
                        rrset
                            .iter()
                            .map(|r| match &r.data {
                                RecordData::Txt(strings) => strings.clone(),
                                _ => unreachable!(),
                            })
                            .collect(),
                    );
                    let served = sorted(support::query_txt(server.dns, owner));
                    assert_eq!(served, want, "{context}");
                    let joined: Vec<Vec<u8>> = served.iter().map(|s| s.concat()).collect();
                    let want_joined: Vec<Vec<u8>> = want.iter().map(|s| s.concat()).collect();
                    assert_eq!(joined, want_joined, "{context}: joined");
                }
                "A" => assert_eq!(
                    sorted(support::query_a(server.dns, owner)),
                    sorted(
                        rrset
                            .iter()
                            .filter_map(|r| match r.data {
                                RecordData::A(ip) => Some(ip),
                                _ => None,
                            })
                            .collect()
                    ),
                    "{context}"
                ),
                "AAAA" => assert_eq!(
                    sorted(support::query_aaaa(server.dns, owner)),
                    sorted(
                        rrset
                            .iter()
                            .filter_map(|r| match r.data {
                                RecordData::Aaaa(ip) => Some(ip),
                                _ => None,
                            })
                            .collect()
                    ),
                    "{context}"
                ),
                "PTR" => assert_eq!(
                    sorted(support::query_ptr(server.dns, owner)),
                    sorted(rrset.iter().map(|r| r.data.to_string()).collect()),
                    "{context}"
                ),
                "CNAME" => assert_eq!(
                    support::query_cname(server.dns, owner),
                    Some(rrset[0].data.to_string()),
                    "{context}"
                ),
                other => panic!("unexpected type {other}"),
            }
            checked += rrset.len();
        }
    }
    assert!(checked > 0, "nothing was checked");
}

fn corner() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/providers/corner.yaml")
}

#[test]
fn powerdns_serves_exactly_the_plan_after_the_generated_patches() {
    let inventory = corner();
    let plan = records::plan(&Inventory::load(&inventory).unwrap().inventory);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pdns");
    let output = Command::new(BIN)
        .args([
            "generate",
            inventory.to_str().unwrap(),
            "--format",
            "powerdns",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = Command::new(BIN)
        .args([
            "generate",
            inventory.to_str().unwrap(),
            "--format",
            "powerdns",
        ])
        .output()
        .unwrap();
    assert!(stdout.status.success());
    let whole: serde_json::Value = serde_json::from_slice(&stdout.stdout).unwrap();

    // The inventory covers what the test is about.
    let origins: Vec<&str> = plan.zones.iter().map(|z| z.origin.as_str()).collect();
    assert!(
        origins.contains(&"128/25.100.51.198.in-addr.arpa"),
        "{origins:?}"
    );
    assert!(
        origins.iter().any(|o| o.ends_with("ip6.arpa")),
        "{origins:?}"
    );
    assert!(
        plan.zones
            .iter()
            .any(|z| matches!(z.role, ZoneRole::ClasslessParent { .. }))
    );

    let server = PowerDns::start();
    for zone in &plan.zones {
        let id = server.create_zone(&zone.origin);
        // The id PowerDNS gave the zone is the one we print: `/` as `=2F`.
        assert_eq!(id, render::powerdns_zone_id(&zone.origin));
        assert!(whole.get(&id).is_some(), "stdout has no key {id}");
        let file = out.join(render::file_name(zone, "json"));
        let body: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(whole[&id], body, "stdout and --out agree for {id}");
        server.patch(&id, &file);
    }
    assert!(
        whole
            .as_object()
            .unwrap()
            .contains_key("128=2F25.100.51.198.in-addr.arpa.")
    );
    assert_served(&server, &plan.zones);
    // The chained SPF record really spans several strings.
    let apex = support::query_txt(server.dns, "example.net");
    assert!(apex[0].len() >= 2, "{apex:?}");
}

#[test]
fn powerdns_keeps_quotes_backslashes_semicolons_and_long_txt_byte_exact() {
    let long: Vec<u8> = (0..600).map(|i| b'a' + (i % 26) as u8).collect();
    let mut strings = vec![long[..255].to_vec(), long[255..510].to_vec()];
    strings.push(long[510..].to_vec());
    let txt = |owner: &str, strings: Vec<Vec<u8>>| Record {
        owner: owner.to_owned(),
        ttl: 300,
        data: RecordData::Txt(strings),
    };
    let zone = ZonePlan {
        origin: "special.test".to_owned(),
        role: ZoneRole::Forward,
        records: vec![
            txt(
                "special.test",
                vec![b"v=DMARC1; p=reject; a \"q\" b\\c".to_vec()],
            ),
            txt("long.special.test", strings),
            txt(
                "bytes.special.test",
                vec![b"tab\there \x00\x7f\xff end".to_vec(), b"".to_vec()],
            ),
        ],
    };
    let plan = Plan {
        default_ttl: 300,
        diagnostics: Vec::new(),
        zones: vec![zone],
    };
    let body = Template::provider(Provider::Powerdns)
        .render_zone(&plan, &plan.zones[0])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("special.json");
    std::fs::write(&file, &body).unwrap();

    let server = PowerDns::start();
    let id = server.create_zone("special.test");
    server.patch(&id, &file);
    assert_served(&server, &plan.zones);
    // `_` is escaped in zone ids too (pdns apiZoneNameToId).
    let underscore = server.create_zone("_tls.special.test");
    assert_eq!(underscore, render::powerdns_zone_id("_tls.special.test"));
}
