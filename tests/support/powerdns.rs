//! PowerDNS Authoritative 4.7 with the gsqlite3 backend and its HTTP API
//! on loopback (`formats.md` §4.4, §5.5), in its own directory; killed on
//! drop.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{TEST_NS, free_port};

/// The API key every test server accepts (`api-key=` in its config).
const API_KEY: &str = "senderzone-test-key";
/// The gsqlite3 schema of the Debian package.
const SCHEMA: &str = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql";

/// A `pdns_server` on two free loopback ports, in its own directory;
/// killed on drop.
pub struct PowerDns {
    child: Child,
    dir: tempfile::TempDir,
    /// Where it answers DNS queries.
    pub dns: SocketAddr,
    /// The API base: `http://127.0.0.1:PORT/api/v1/servers/localhost`.
    pub api: String,
    /// The port of its web server (the API).
    pub api_port: u16,
}

impl PowerDns {
    /// Starts `pdns_server` with an empty gsqlite3 database; waits until
    /// the API answers (at most 20 s).
    pub fn start() -> PowerDns {
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
        let dns_port = free_port();
        let api_port = free_port();
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
            api_port,
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

    /// The key its API accepts.
    pub fn api_key(&self) -> &'static str {
        API_KEY
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pdns.log")).unwrap_or_default()
    }

    /// One API request through curl: (HTTP status, body). Status 0 when
    /// nothing answered.
    pub fn request(&self, method: &str, path: &str, body: Option<&Path>) -> (u16, String) {
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
    pub fn create_zone(&self, zone: &str) -> String {
        self.create_zone_with(zone, serde_json::json!([]))
    }

    /// Creates `zone` (`Native`, test NS) holding `rrsets` (API form, each
    /// with `changetype: REPLACE`) and returns the id PowerDNS gave it.
    pub fn create_zone_with(&self, zone: &str, rrsets: serde_json::Value) -> String {
        let file = self.dir.path().join("create.json");
        std::fs::write(
            &file,
            serde_json::json!({
                "name": format!("{zone}."),
                "kind": "Native",
                "nameservers": [TEST_NS],
                "rrsets": rrsets,
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
    pub fn patch(&self, id: &str, body: &Path) {
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
