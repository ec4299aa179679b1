//! BIND 9 and NSD on 127.0.0.1 high ports, one temporary directory each.
//!
//! Configs follow `formats.md` §5.2 and §5.4. Each server runs in the
//! foreground as a child process, its log in `DIR/server.log`; it is stopped
//! with SIGTERM (NSD's worker processes exit with their parent) and reaped on
//! drop, and the directory is removed after it.

use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::{fqdn, free_port, path_str, tools};

/// How long a server may take to answer for all its zones.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts when the chosen port turns out to be taken by another process.
const PORT_ATTEMPTS: usize = 5;
/// Name of the TSIG key of [`Bind::start_dynamic`].
const KEY_NAME: &str = "ddns-key";

/// One running server process and the directory it lives in.
struct Process {
    child: Child,
    port: u16,
    log: PathBuf,
    // dropped after `child` is stopped, see `Drop`
    dir: TempDir,
}

impl Process {
    fn log_text(&self) -> String {
        String::from_utf8_lossy(&fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid fits pid_t");
        // SAFETY: signalling our own child, which has not been reaped yet.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Why one start attempt failed.
enum StartError {
    /// Another process holds the port: try another one.
    PortTaken(String),
    /// Anything else: give up.
    Fatal(String),
}

/// Writes a server's files for `port` into its directory; returns its command line.
type Configure<'a> = dyn Fn(&Path, u16) -> Vec<String> + 'a;

/// Zones as written to disk: name as configured, file name inside `zones/`.
struct ZoneFile {
    /// Zone name without the trailing dot, as it goes into configs.
    name: String,
    file: String,
}

/// Writes each zone to `dir/zones/NN-NAME.zone`, `/` turned into `-`.
///
/// The index keeps `64/26.…` and `64-26.…` apart in one server.
/// `(origin, text)` pairs as borrowed strings, whatever the callers hold.
fn as_strs<O: AsRef<str>, T: AsRef<str>>(zones: &[(O, T)]) -> Vec<(&str, &str)> {
    zones
        .iter()
        .map(|(origin, text)| (origin.as_ref(), text.as_ref()))
        .collect()
}

fn write_zones(dir: &Path, zones: &[(&str, &str)]) -> Vec<ZoneFile> {
    let zone_dir = dir.join("zones");
    fs::create_dir_all(&zone_dir).expect("create zones directory");
    zones
        .iter()
        .enumerate()
        .map(|(i, (origin, text))| {
            let name = fqdn(origin).trim_end_matches('.').to_owned();
            if name.is_empty()
                || name
                    .chars()
                    .any(|c| c == '"' || c == '\\' || c == ';' || c.is_whitespace())
            {
                panic!("zone name `{origin}` cannot go into a server config");
            }
            let safe = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect::<String>();
            let file = format!("{i:02}-{safe}.zone");
            fs::write(zone_dir.join(&file), text).expect("write zone file");
            ZoneFile { name, file }
        })
        .collect()
}

/// Starts a server, moving to a fresh port when the chosen one is taken.
fn start(name: &str, zones: &[&str], configure: &Configure) -> Process {
    let mut clashes = Vec::new();
    for _ in 0..PORT_ATTEMPTS {
        let dir = tempfile::Builder::new()
            .prefix(&format!("senderzone-{name}-"))
            .tempdir()
            .expect("create server directory");
        let port = free_port();
        let argv = configure(dir.path(), port);
        let log = dir.path().join("server.log");
        let log_file = File::create(&log).expect("create server log");
        let child = Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("clone log handle"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", argv[0]));
        let mut process = Process {
            child,
            port,
            log,
            dir,
        };
        match wait_ready(&mut process, name, zones) {
            Ok(()) => return process,
            Err(StartError::PortTaken(log)) => clashes.push(format!("port {port}: {log}")),
            Err(StartError::Fatal(message)) => panic!("{message}"),
        }
    }
    panic!(
        "{name} could not get a free port in {PORT_ATTEMPTS} attempts:\n{}",
        clashes.join("\n")
    );
}

/// Polls every 0.1 s until the server answers authoritatively for each zone.
fn wait_ready(process: &mut Process, name: &str, zones: &[&str]) -> Result<(), StartError> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Ok(Some(status)) = process.child.try_wait() {
            let log = process.log_text();
            return Err(if port_taken(&log) {
                StartError::PortTaken(log)
            } else {
                StartError::Fatal(format!(
                    "{name} on port {} exited during start ({status}); its log:\n{log}",
                    process.port
                ))
            });
        }
        let log = process.log_text();
        // BIND keeps running without its socket (and BIND listens with
        // SO_REUSEPORT unless told not to): the log is the only sign.
        if port_taken(&log) {
            process.stop();
            return Err(StartError::PortTaken(log));
        }
        if zone_failed(&log) {
            return Err(StartError::Fatal(format!(
                "{name} did not load a zone; its log:\n{log}"
            )));
        }
        if zones.iter().all(|zone| answers_soa(process.addr(), zone)) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(StartError::Fatal(format!(
                "{name} on port {} did not answer SOA queries for {zones:?} within {:?}; \
                 its log:\n{log}",
                process.port, READY_TIMEOUT
            )));
        }
        sleep(Duration::from_millis(100));
    }
}

/// True when a server log says its port was taken (measured messages).
///
/// NSD: `can't bind udp socket …: Address already in use`, then exits.
/// BIND, UDP taken: `unable to listen on any configured interfaces`, exits.
/// BIND, TCP taken: `creating TCP socket: address in use`, keeps running.
fn port_taken(log: &str) -> bool {
    let log = log.to_ascii_lowercase();
    log.contains("address in use")
        || log.contains("address already in use")
        || log.contains("unable to listen on any configured interfaces")
}

/// True when a server log says a zone did not load; both keep running.
///
/// BIND: `zone …/IN: not loaded due to errors.`
/// NSD: `zone … file … read with 2 errors`.
fn zone_failed(log: &str) -> bool {
    log.lines().any(|line| {
        line.contains("not loaded due to errors")
            || (line.contains(" read with ") && line.contains(" error"))
    })
}

/// One quick SOA probe: true when the zone is loaded and served; never
/// panics, so it can poll a server that is still starting.
pub fn answers_soa(addr: SocketAddr, zone: &str) -> bool {
    let output = tools::run(
        "dig",
        &[
            &format!("@{}", addr.ip()),
            "-p",
            &addr.port().to_string(),
            "+time=1",
            "+tries=1",
            "+norec",
            "+noall",
            "+comments",
            "+answer",
            "-q",
            &fqdn(zone),
            "-t",
            "SOA",
        ],
        None,
    );
    let text = String::from_utf8_lossy(&output.stdout);
    // dig separates columns with tabs or, after a long owner, spaces.
    output.status.success()
        && text.contains("status: NOERROR")
        && text
            .lines()
            .any(|line| !line.starts_with(';') && line.split_whitespace().nth(3) == Some("SOA"))
}

/// NSD 4 serving the given zones (`formats.md` §5.4).
pub struct Nsd {
    process: Process,
}

impl Nsd {
    /// Starts NSD with `(origin, zone text)` pairs; panics with NSD's log if
    /// it does not answer for every zone within 10 s.
    pub fn start<O: AsRef<str>, T: AsRef<str>>(zones: &[(O, T)]) -> Nsd {
        let zones = &as_strs(zones);
        for tool in ["nsd", "nsd-checkconf", "dig"] {
            tools::tool(tool);
        }
        let zone_names = zones.iter().map(|(origin, _)| *origin).collect::<Vec<_>>();
        let configure = |dir: &Path, port: u16| {
            let files = write_zones(dir, zones);
            let d = path_str(dir);
            let mut conf = format!(
                "server:\n    ip-address: 127.0.0.1@{port}\n    do-ip6: no\n    \
                     username: \"\"\n    chroot: \"\"\n    zonesdir: \"{d}/zones\"\n    \
                     database: \"\"\n    pidfile: \"{d}/nsd.pid\"\n    \
                     xfrdfile: \"{d}/xfrd.state\"\n    zonelistfile: \"{d}/zone.list\"\n    \
                     xfrdir: \"{d}\"\n    server-count: 1\n    reuseport: no\n    rrl-ratelimit: 0\n\
                     remote-control:\n    control-enable: no\n"
            );
            for zone in &files {
                conf.push_str(&format!(
                    "zone:\n    name: \"{}\"\n    zonefile: \"{}\"\n",
                    zone.name, zone.file
                ));
            }
            let conf_path = dir.join("nsd.conf");
            fs::write(&conf_path, conf).expect("write nsd.conf");
            check_config("nsd-checkconf", &[path_str(&conf_path)]);
            vec![
                path_str(&tools::tool("nsd")).to_owned(),
                "-d".into(),
                "-c".into(),
                path_str(&conf_path).to_owned(),
            ]
        };
        Nsd {
            process: start("nsd", &zone_names, &configure),
        }
    }

    /// The UDP and TCP port NSD listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.process.port
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        self.process.addr()
    }

    /// NSD's log so far.
    pub fn log(&self) -> String {
        self.process.log_text()
    }
}

/// How a [`Bind`] takes RFC 2136 updates.
#[derive(Debug, Clone, Copy)]
enum Updates {
    /// Static zones.
    None,
    /// `allow-update { key … }` with an `hmac-sha256` key; transfers to
    /// loopback.
    AllowUpdate,
    /// `update-policy { grant KEY RULE; }` with a key of `algorithm`;
    /// transfers to that key only, or to nobody.
    Policy {
        algorithm: &'static str,
        transfer_to_key: bool,
        rule: &'static str,
    },
}

/// BIND 9 serving the given zones (`formats.md` §5.2), optionally dynamic.
pub struct Bind {
    process: Process,
    key_file: Option<PathBuf>,
}

impl Bind {
    /// Starts `named` with `(origin, zone text)` pairs, static zones; panics
    /// with BIND's log if it does not answer for every zone within 10 s.
    pub fn start<O: AsRef<str>, T: AsRef<str>>(zones: &[(O, T)]) -> Bind {
        Bind::launch(&as_strs(zones), Updates::None)
    }

    /// Like [`Bind::start`], but every zone accepts RFC 2136 updates signed
    /// with a fresh `hmac-sha256` TSIG key (`formats.md` §4.8); journals go
    /// beside the zone files in the server's own directory.
    pub fn start_dynamic<O: AsRef<str>, T: AsRef<str>>(zones: &[(O, T)]) -> Bind {
        Bind::launch(&as_strs(zones), Updates::AllowUpdate)
    }

    /// Like [`Bind::start_dynamic`], but updates are granted by an
    /// `update-policy` (`grant ddns-key zonesub ANY`) to a fresh key of
    /// `algorithm` (e.g. `hmac-sha512`), and zone transfers (AXFR) go to
    /// that key only when `transfer_to_key`, else to nobody.
    pub fn start_with_policy<O: AsRef<str>, T: AsRef<str>>(
        zones: &[(O, T)],
        algorithm: &'static str,
        transfer_to_key: bool,
    ) -> Bind {
        Bind::launch(
            &as_strs(zones),
            Updates::Policy {
                algorithm,
                transfer_to_key,
                rule: "zonesub ANY",
            },
        )
    }

    /// Like [`Bind::start_with_policy`] with an `hmac-sha256` key and
    /// transfers to it, but the policy grants the key only `rule` (e.g.
    /// `name www.example.com. A`): updates beyond it are REFUSED.
    pub fn start_with_grant<O: AsRef<str>, T: AsRef<str>>(
        zones: &[(O, T)],
        rule: &'static str,
    ) -> Bind {
        Bind::launch(
            &as_strs(zones),
            Updates::Policy {
                algorithm: "hmac-sha256",
                transfer_to_key: true,
                rule,
            },
        )
    }

    fn launch(zones: &[(&str, &str)], updates: Updates) -> Bind {
        for tool in ["named", "named-checkconf", "dig"] {
            tools::tool(tool);
        }
        let zone_names = zones.iter().map(|(origin, _)| *origin).collect::<Vec<_>>();
        let configure = |dir: &Path, port: u16| {
            let files = write_zones(dir, zones);
            let d = path_str(dir);
            // notify no: NOTIFY would look up the NS targets, off loopback
            let mut conf = format!(
                "options {{\n    directory \"{d}\";\n    pid-file \"{d}/named.pid\";\n    \
                     session-keyfile \"{d}/session.key\";\n    \
                     managed-keys-directory \"{d}\";\n    \
                     listen-on port {port} {{ 127.0.0.1; }};\n    listen-on-v6 {{ none; }};\n    \
                     reuseport no;\n    recursion no;\n    dnssec-validation no;\n    \
                     notify no;\n    allow-transfer {{ 127.0.0.1; }};\n}};\ncontrols {{ }};\n"
            );
            let update = match updates {
                Updates::None => String::new(),
                Updates::AllowUpdate => {
                    write_key(dir, "hmac-sha256");
                    conf.push_str(&format!("include \"{d}/{KEY_NAME}.key\";\n"));
                    format!(" allow-update {{ key \"{KEY_NAME}\"; }};")
                }
                Updates::Policy {
                    algorithm,
                    transfer_to_key,
                    rule,
                } => {
                    write_key(dir, algorithm);
                    conf.push_str(&format!("include \"{d}/{KEY_NAME}.key\";\n"));
                    let transfer = if transfer_to_key {
                        format!("key \"{KEY_NAME}\";")
                    } else {
                        "none;".to_owned()
                    };
                    format!(
                        " update-policy {{ grant \"{KEY_NAME}\" {rule}; }}; allow-transfer {{ {transfer} }};"
                    )
                }
            };
            for zone in &files {
                conf.push_str(&format!(
                    "zone \"{}\" {{ type primary; file \"{d}/zones/{}\";{update} }};\n",
                    zone.name, zone.file
                ));
            }
            let conf_path = dir.join("named.conf");
            fs::write(&conf_path, conf).expect("write named.conf");
            check_config("named-checkconf", &[path_str(&conf_path)]);
            // -g: foreground, log to stderr; -n 1: one worker thread
            vec![
                path_str(&tools::tool("named")).to_owned(),
                "-g".into(),
                "-n".into(),
                "1".into(),
                "-c".into(),
                path_str(&conf_path).to_owned(),
            ]
        };
        let process = start("named", &zone_names, &configure);
        let dynamic = !matches!(updates, Updates::None);
        let key_file = dynamic.then(|| process.dir.path().join(format!("{KEY_NAME}.key")));
        Bind { process, key_file }
    }

    /// The UDP and TCP port `named` listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.process.port
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        self.process.addr()
    }

    /// BIND's log so far.
    pub fn log(&self) -> String {
        self.process.log_text()
    }

    /// The TSIG key file (`key "ddns-key" { … };`) for `nsupdate -k`.
    ///
    /// Panics unless started with [`Bind::start_dynamic`] or
    /// [`Bind::start_with_policy`].
    pub fn key_file(&self) -> &Path {
        self.key_file
            .as_deref()
            .expect("key_file: this BIND was not started with Bind::start_dynamic")
    }

    /// Runs an nsupdate script against this server, signed with its key.
    ///
    /// Prepends `server 127.0.0.1 PORT`: scripts from the product carry a
    /// `server` line only when the user asks for one. `Ok(stdout)` when
    /// nsupdate exits 0.
    pub fn nsupdate(&self, script: &str) -> Result<String, String> {
        let script = format!("server 127.0.0.1 {}\n{script}", self.port());
        run_nsupdate(Some(self.key_file()), &script)
    }

    /// Runs an nsupdate script as given, signed with this server's key.
    ///
    /// The script must contain its own `server` line (tests write
    /// `server 127.0.0.1 {port}`); without one nsupdate would look up the
    /// primary through the system resolver, so that panics.
    pub fn nsupdate_raw(&self, script: &str) -> Result<String, String> {
        run_nsupdate(Some(self.key_file()), script)
    }
}

/// Runs `nsupdate` (TSIG-signed with `key_file` when given) on a script.
///
/// The script must name its server (`server 127.0.0.1 PORT`): that keeps
/// nsupdate off the system resolver. `Ok(stdout)` on exit status 0, else the
/// status and both outputs.
pub fn run_nsupdate(key_file: Option<&Path>, script: &str) -> Result<String, String> {
    let has_server = script
        .lines()
        .any(|line| line.split_whitespace().next() == Some("server"));
    assert!(
        has_server,
        "nsupdate script without a `server` line would leave loopback:\n{script}"
    );
    let mut args = vec!["-t", "10"];
    if let Some(key) = key_file {
        args.extend(["-k", path_str(key)]);
    }
    let output = tools::run("nsupdate", &args, Some(script));
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "nsupdate {}:\n{}",
            output.status,
            tools::output_text(&output)
        ))
    }
}

/// Writes a fresh TSIG key of `algorithm` to `dir/ddns-key.key`.
fn write_key(dir: &Path, algorithm: &str) {
    let output = tools::run("tsig-keygen", &["-a", algorithm, KEY_NAME], None);
    if !output.status.success() {
        panic!("tsig-keygen failed: {}", tools::output_text(&output));
    }
    fs::write(dir.join(format!("{KEY_NAME}.key")), &output.stdout).expect("write TSIG key");
}

/// Runs a config checker, panicking with its output when it complains.
fn check_config(checker: &str, args: &[&str]) {
    let output = tools::run(checker, args, None);
    if !output.status.success() {
        panic!(
            "{checker} rejected the config: {}",
            tools::output_text(&output)
        );
    }
}
