//! `senderzone plan` and `apply` against real servers on loopback: BIND 9
//! with a TSIG `update-policy` (RFC 2136 UPDATE, AXFR to the key) and
//! PowerDNS 4.7 with its HTTP API and the gsqlite3 backend.
//!
//! Each test starts its own servers with zones that hold what a real zone
//! holds beside senderzone's records (an old SPF, a Google site
//! verification TXT at the apex, MX, `www`), runs the binary, and reads the
//! served zone back with `dig`: the planned records are there, and every
//! foreign record is exactly as before, byte for byte.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{self, BIN, Bind, PowerDns};

/// One server sending for one domain: its A, its HELO SPF, the domain's
/// SPF and its PTR.
const INVENTORY: &str = "\
ttl: 3600
zones: [example.com]
servers:
  - hostname: mail1.example.com
    ipv4: [198.51.100.10]
domains:
  - name: example.com
    servers: [mail1.example.com]
";

/// The forward zone as its admin left it: an old SPF and records
/// senderzone does not own, some with octets that need escaping.
const EXAMPLE_COM: &str = "\
@      300  IN TXT \"v=spf1 ip4:198.51.100.9 -all\"
@      300  IN TXT \"google-site-verification=Xq3-fQ_7 \\\"q\\\" b\\\\c\"
@      300  IN TXT \"part one \" \"part two\"
@      3600 IN MX  10 mail1.example.com.
www    3600 IN A   198.51.100.80
";

/// What `plan` must show for [`INVENTORY`] against [`EXAMPLE_COM`] and an
/// empty reverse zone, blanks squeezed.
const PLANNED: &[&str] = &[
    "- example.com. 300 IN TXT \"v=spf1 ip4:198.51.100.9 -all\" ; drift",
    "+ example.com. 300 IN TXT \"v=spf1 ip4:198.51.100.10 -all\" ; drift",
    "+ mail1.example.com. 3600 IN A 198.51.100.10 ; missing",
    "+ mail1.example.com. 3600 IN TXT \"v=spf1 a -all\" ; missing",
    "+ 10.100.51.198.in-addr.arpa. 3600 IN PTR mail1.example.com. ; missing",
];

const REVERSE: &str = "100.51.198.in-addr.arpa";

/// The result of one run of the binary.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The `+`/`-` lines of a plan, blanks squeezed.
    fn edits(&self) -> Vec<String> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with("+ ") || l.starts_with("- "))
            .map(squeeze)
            .collect()
    }

    /// The run stopped at `example.com`, the first zone: it says that
    /// nothing was applied there and that the reverse zone was not tried.
    fn assert_example_com_failed_first(&self) {
        assert!(
            self.stderr
                .contains("nothing was applied to zone `example.com.`"),
            "{}",
            self.context()
        );
        assert!(
            self.stdout
                .contains(&format!("not attempted: zone {REVERSE}.")),
            "{}",
            self.context()
        );
    }

    fn context(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn squeeze(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("PDNS_API_KEY")
        .env_remove("SENDERZONE_TEST_HOLD")
        .env_remove("SENDERZONE_TEST_UPDATE_OCTETS")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Runs the binary with `args` (stdin not a terminal).
fn senderzone(args: &[&str], env: &[(&str, &str)]) -> Run {
    Run::from(command(args, env).output().expect("run senderzone"))
}

/// Runs `apply` with a hold before write request `request`: once the hold
/// file appears, `meanwhile` changes the zone, then the write goes on.
fn apply_with_hold(
    args: &[&str],
    env: &[(&str, &str)],
    request: usize,
    meanwhile: impl FnOnce(),
) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let hold = dir.path().join("hold");
    let hold_env = format!("{}:{request}", hold.display());
    let mut env = env.to_vec();
    env.push(("SENDERZONE_TEST_HOLD", &hold_env));
    let mut child = command(args, &env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run senderzone");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !hold.exists() {
        if let Ok(Some(_)) = child.try_wait() {
            panic!(
                "apply ended before its write:\n{}",
                Run::from(child.wait_with_output().unwrap()).context()
            );
        }
        assert!(Instant::now() < deadline, "apply never reached its write");
        std::thread::sleep(Duration::from_millis(10));
    }
    meanwhile();
    std::fs::remove_file(&hold).unwrap();
    Run::from(child.wait_with_output().unwrap())
}

/// Writes `text` as an inventory file in `dir`.
fn inventory(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("inventory.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Every record of `zone` by AXFR (signed with `key` when given), one
/// line each as dig prints it, blanks squeezed, sorted; SOA left out
/// (updates change its serial).
fn axfr(addr: SocketAddr, zone: &str, key: Option<&Path>) -> Vec<String> {
    let mut command = Command::new(support::tool("dig"));
    if let Some(key) = key {
        command.arg("-k").arg(key);
    }
    let output = command
        .args([
            &format!("@{}", addr.ip()),
            "-p",
            &addr.port().to_string(),
            "+noall",
            "+answer",
            "+time=5",
            &support::fqdn(zone),
            "AXFR",
        ])
        .output()
        .expect("run dig");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && !text.contains("Transfer failed"),
        "AXFR of {zone} failed: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .map(squeeze)
        .filter(|l| l.split(' ').nth(3) != Some("SOA"))
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

/// The test zone `origin` around `body` (SOA and NS first).
fn zone(origin: &str, body: &str) -> (String, String) {
    (origin.to_owned(), support::wrap_zone(origin, body))
}

fn target(addr: SocketAddr) -> String {
    format!("rfc2136://127.0.0.1:{}", addr.port())
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A BIND with a TSIG update-policy and AXFR to the key serving
/// `example.com` ([`EXAMPLE_COM`]) and an empty reverse zone.
fn bind_with_example() -> Bind {
    Bind::start_with_policy(
        &[zone("example.com", EXAMPLE_COM), zone(REVERSE, "")],
        "hmac-sha256",
        true,
    )
}

fn lines_with<'a>(lines: &'a [String], needle: &str) -> Vec<&'a String> {
    lines.iter().filter(|l| l.contains(needle)).collect()
}

/// The records of [`EXAMPLE_COM`] senderzone must leave exactly as they
/// were (as dig prints them).
fn foreign(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| {
            l.contains("google-site-verification")
                || l.contains("part one")
                || l.contains(" MX ")
                || l.contains(" NS ")
                || l.starts_with("www.")
        })
        .cloned()
        .collect()
}

#[test]
fn bind_plan_shows_exactly_the_change_and_apply_keeps_foreign_records_byte_for_byte() {
    let bind = bind_with_example();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), INVENTORY);
    let target = target(bind.addr());
    let key = path(bind.key_file());
    let args =
        |command: &'static str| vec![command, path(&inv), "--target", &target, "--tsig-key", key];

    let plan = senderzone(&args("plan"), &[]);
    assert_eq!(plan.code, 0, "{}", plan.context());
    assert_eq!(plan.edits(), PLANNED, "{}", plan.context());
    assert!(
        plan.stdout
            .contains("; zone example.com. (read by AXFR from"),
        "{}",
        plan.context()
    );
    assert!(
        plan.stdout
            .contains("keeps its live TTL 300, not the planned 3600"),
        "{}",
        plan.context()
    );
    assert!(
        plan.stdout
            .contains("; total: 4 to add, 1 to delete in 2 of 2 zones"),
        "{}",
        plan.context()
    );
    // tsig-keygen's file, written with the default umask, is world-readable.
    assert!(
        plan.stderr.contains("is readable by other users"),
        "{}",
        plan.context()
    );

    let before = axfr(bind.addr(), "example.com", Some(bind.key_file()));
    let apex_wire = support::query_rdata_wire(bind.addr(), "example.com", "TXT");
    let expect = senderzone(&[&args("plan")[..], &["--expect-no-changes"]].concat(), &[]);
    assert_eq!(expect.code, 1, "{}", expect.context());

    let apply = senderzone(&[&args("apply")[..], &["--yes"]].concat(), &[]);
    assert_eq!(apply.code, 0, "{}", apply.context());
    assert_eq!(apply.edits(), PLANNED, "apply shows the plan first");
    assert!(
        apply
            .stdout
            .contains("applied to zone example.com.: 3 added, 1 deleted (1 UPDATE message)"),
        "{}",
        apply.context()
    );
    assert!(
        apply.stdout.contains("serves the plan"),
        "{}",
        apply.context()
    );

    let after = axfr(bind.addr(), "example.com", Some(bind.key_file()));
    assert_eq!(
        foreign(&after),
        foreign(&before),
        "foreign records are untouched"
    );
    assert_eq!(foreign(&before).len(), 5, "{before:?}");
    assert_eq!(
        lines_with(&after, "v=spf1"),
        [
            "example.com. 300 IN TXT \"v=spf1 ip4:198.51.100.10 -all\"",
            "mail1.example.com. 3600 IN TXT \"v=spf1 a -all\"",
        ]
    );
    assert_eq!(
        lines_with(&after, "mail1.example.com. 3600 IN A"),
        ["mail1.example.com. 3600 IN A 198.51.100.10"]
    );
    assert_eq!(after.len(), before.len() + 2, "{after:#?}");
    // The foreign TXT records' wire data is what it was, octet for octet.
    let apex_after = support::query_rdata_wire(bind.addr(), "example.com", "TXT");
    for rdata in apex_wire
        .iter()
        .filter(|r| !r.windows(6).any(|w| w == b"v=spf1"))
    {
        assert!(apex_after.contains(rdata), "{rdata:?} lost");
    }
    assert_eq!(
        axfr(bind.addr(), REVERSE, Some(bind.key_file())),
        [
            "10.100.51.198.in-addr.arpa. 3600 IN PTR mail1.example.com.",
            "100.51.198.in-addr.arpa. 3600 IN NS ns1.test.invalid.",
        ]
    );

    let again = senderzone(&[&args("plan")[..], &["--expect-no-changes"]].concat(), &[]);
    assert_eq!(again.code, 0, "{}", again.context());
    assert!(again.edits().is_empty());
    let second = senderzone(&[&args("apply")[..], &["--yes"]].concat(), &[]);
    assert_eq!(second.code, 0, "{}", second.context());
    assert!(
        second.stdout.ends_with("no changes\n"),
        "{}",
        second.context()
    );
}

#[test]
fn plan_json_has_one_object_per_change() {
    let bind = bind_with_example();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), INVENTORY);
    let target = target(bind.addr());
    let plan = senderzone(
        &[
            "plan",
            path(&inv),
            "--target",
            &target,
            "--tsig-key",
            path(bind.key_file()),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(plan.code, 0, "{}", plan.context());
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let changes = json["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 4, "{json:#}");
    assert_eq!(
        changes[0],
        serde_json::json!({
            "zone": "example.com.", "owner": "example.com.", "type": "TXT", "ttl": 300,
            "old": "\"v=spf1 ip4:198.51.100.9 -all\"", "new": "\"v=spf1 ip4:198.51.100.10 -all\"",
            "reason": "drift"
        })
    );
    assert_eq!(
        changes[3],
        serde_json::json!({
            "zone": "100.51.198.in-addr.arpa.", "owner": "10.100.51.198.in-addr.arpa.", "type": "PTR",
            "ttl": 3600, "old": null, "new": "mail1.example.com.", "reason": "missing"
        })
    );
    assert_eq!(json["zones"][0]["read"], "axfr");
    assert_eq!(
        (json["add"].as_u64(), json["delete"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(json["in_sync"], false);
}

#[test]
fn bind_refuses_the_whole_update_when_the_zone_changed_between_read_and_write() {
    let bind = bind_with_example();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), INVENTORY);
    let target = target(bind.addr());
    let key = bind.key_file();
    let before = axfr(bind.addr(), "example.com", Some(key));
    let run = apply_with_hold(
        &[
            "apply",
            path(&inv),
            "--target",
            &target,
            "--tsig-key",
            path(key),
            "--yes",
        ],
        &[],
        1,
        || {
            // Someone adds a TXT record at the apex: the RRset read is gone.
            bind.nsupdate(
                "zone example.com.\nupdate add example.com. 300 IN TXT \"added meanwhile\"\nsend\n",
            )
            .unwrap();
        },
    );
    assert_eq!(run.code, 1, "{}", run.context());
    assert!(
        run.stderr.contains(&format!(
            "senderzone: error: zone `example.com.` on 127.0.0.1:{} changed since it was read (a prerequisite failed: NXRRSET): run plan again",
            bind.port()
        )),
        "{}",
        run.context()
    );
    run.assert_example_com_failed_first();
    let mut expected = before.clone();
    expected.push("example.com. 300 IN TXT \"added meanwhile\"".to_owned());
    expected.sort();
    assert_eq!(axfr(bind.addr(), "example.com", Some(key)), expected);
    assert_eq!(
        axfr(bind.addr(), REVERSE, Some(key)).len(),
        1,
        "the reverse zone is untouched"
    );
}

#[test]
fn a_wrong_key_fails_cleanly_naming_zone_and_server() {
    let bind = bind_with_example();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), INVENTORY);
    let target = target(bind.addr());
    let before = axfr(bind.addr(), "example.com", Some(bind.key_file()));
    let keygen = |algorithm: &str, name: &str, file: &str| {
        let output = Command::new(support::tool("tsig-keygen"))
            .args(["-a", algorithm, name])
            .output()
            .unwrap();
        let path = dir.path().join(file);
        std::fs::write(&path, output.stdout).unwrap();
        path
    };
    // The right name with another secret, then a name the server does not know.
    for (key, error) in [
        (keygen("hmac-sha256", "ddns-key", "wrong.key"), "BADSIG"),
        (keygen("hmac-sha512", "other-key", "other.key"), "BADKEY"),
    ] {
        let run = senderzone(
            &[
                "apply",
                path(&inv),
                "--target",
                &target,
                "--tsig-key",
                path(&key),
                "--yes",
            ],
            &[],
        );
        assert_eq!(run.code, 3, "{}", run.context());
        let name = if error == "BADSIG" {
            "ddns-key"
        } else {
            "other-key"
        };
        assert!(
            run.stderr.contains(&format!(
                "127.0.0.1:{} rejects the TSIG key `{name}` for zone `example.com.`: {error}",
                bind.port()
            )),
            "{}",
            run.context()
        );
    }
    assert_eq!(
        axfr(bind.addr(), "example.com", Some(bind.key_file())),
        before
    );

    let broken = dir.path().join("broken.key");
    std::fs::write(
        &broken,
        "key \"ddns-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"####\";\n};\n",
    )
    .unwrap();
    let run = senderzone(
        &[
            "plan",
            path(&inv),
            "--target",
            &target,
            "--tsig-key",
            path(&broken),
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.context());
    assert!(
        run.stderr.contains(&format!(
            "{}:3:9: the secret is not valid base64",
            broken.display()
        )),
        "{}",
        run.context()
    );
}

/// A key the server knows but whose policy does not cover the change:
/// BIND answers the UPDATE with REFUSED. The run names the zone, the
/// server and the likely cause, exits 3, and no zone changes.
#[test]
fn an_update_the_key_may_not_make_is_refused_and_nothing_is_applied() {
    let bind = Bind::start_with_grant(
        &[zone("example.com", EXAMPLE_COM), zone(REVERSE, "")],
        "name www.example.com. A",
    );
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), INVENTORY);
    let forward = axfr(bind.addr(), "example.com", Some(bind.key_file()));
    let reverse = axfr(bind.addr(), REVERSE, Some(bind.key_file()));
    let run = senderzone(
        &[
            "apply",
            path(&inv),
            "--target",
            &target(bind.addr()),
            "--tsig-key",
            path(bind.key_file()),
            "--yes",
        ],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.context());
    let refused = format!(
        "127.0.0.1:{} refused to update zone `example.com.`",
        bind.port()
    );
    assert!(run.stderr.contains(&refused), "{}", run.context());
    run.assert_example_com_failed_first();
    assert!(
        run.stderr
            .contains("REFUSED: the key may lack the right (BIND: `allow-update` or `update-policy` must grant it)"),
        "{}",
        run.context()
    );
    assert_eq!(
        axfr(bind.addr(), "example.com", Some(bind.key_file())),
        forward
    );
    assert_eq!(axfr(bind.addr(), REVERSE, Some(bind.key_file())), reverse);
}

#[test]
fn prune_removes_a_stale_address_and_its_ptr_and_only_those() {
    // The zone serves the plan, plus an address mail1 no longer has and
    // its PTR; a printer's PTR is not senderzone's.
    let forward = "\
@      300  IN TXT \"v=spf1 ip4:198.51.100.10 -all\"
@      300  IN TXT \"google-site-verification=abc\"
mail1  3600 IN A   198.51.100.10
mail1  3600 IN A   198.51.100.99
mail1  3600 IN TXT \"v=spf1 a -all\"
www    3600 IN A   198.51.100.80
";
    let reverse = "\
10 3600 IN PTR mail1.example.com.
99 3600 IN PTR mail1.example.com.
50 3600 IN PTR printer.example.com.
";
    let bind = Bind::start_with_policy(
        &[zone("example.com", forward), zone(REVERSE, reverse)],
        "hmac-sha256",
        true,
    );
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), INVENTORY);
    let target = target(bind.addr());
    let key = path(bind.key_file());
    let base = ["--target", target.as_str(), "--tsig-key", key];

    let plan = senderzone(
        &[&["plan", path(&inv)][..], &base, &["--expect-no-changes"]].concat(),
        &[],
    );
    assert_eq!(
        plan.code,
        0,
        "stale records alone are no change: {}",
        plan.context()
    );
    assert!(plan.edits().is_empty(), "{}", plan.context());
    let kept: Vec<&str> = plan
        .stdout
        .lines()
        .filter(|l| l.contains("stale, kept"))
        .collect();
    assert_eq!(
        kept,
        [
            "; stale, kept (--prune deletes it): mail1.example.com. 3600 IN A 198.51.100.99",
            "; stale, kept (--prune deletes it): 99.100.51.198.in-addr.arpa. 3600 IN PTR mail1.example.com.",
        ],
        "{}",
        plan.context()
    );
    let before_forward = axfr(bind.addr(), "example.com", Some(bind.key_file()));
    let before_reverse = axfr(bind.addr(), REVERSE, Some(bind.key_file()));

    let pruned = senderzone(
        &[&["apply", path(&inv)][..], &base, &["--prune", "--yes"]].concat(),
        &[],
    );
    assert_eq!(pruned.code, 0, "{}", pruned.context());
    assert_eq!(
        pruned.edits(),
        [
            "- mail1.example.com. 3600 IN A 198.51.100.99 ; stale",
            "- 99.100.51.198.in-addr.arpa. 3600 IN PTR mail1.example.com. ; stale",
        ]
    );
    let without = |lines: Vec<String>, gone: &str| -> Vec<String> {
        lines.into_iter().filter(|l| l != gone).collect()
    };
    assert_eq!(
        axfr(bind.addr(), "example.com", Some(bind.key_file())),
        without(before_forward, "mail1.example.com. 3600 IN A 198.51.100.99")
    );
    assert_eq!(
        axfr(bind.addr(), REVERSE, Some(bind.key_file())),
        without(
            before_reverse,
            "99.100.51.198.in-addr.arpa. 3600 IN PTR mail1.example.com."
        )
    );
}

#[test]
fn a_cname_at_a_planned_host_is_a_conflict_apply_leaves_alone_and_reports() {
    let forward = "\
@      300  IN TXT \"v=spf1 ip4:198.51.100.9 -all\"
mail1  3600 IN CNAME relay.example.net.
";
    let bind = Bind::start_with_policy(
        &[zone("example.com", forward), zone(REVERSE, "")],
        "hmac-sha256",
        true,
    );
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), INVENTORY);
    let target = target(bind.addr());
    let key = path(bind.key_file());
    let apply = senderzone(
        &[
            "apply",
            path(&inv),
            "--target",
            &target,
            "--tsig-key",
            key,
            "--yes",
        ],
        &[],
    );
    assert_eq!(apply.code, 1, "{}", apply.context());
    assert!(
        apply.stdout.contains("; note: conflict: mail1.example.com. holds CNAME relay.example.net., so the planned A records cannot be published beside it"),
        "{}",
        apply.context()
    );
    assert!(
        apply
            .stderr
            .contains("still does not serve the plan: 1 conflict senderzone leaves alone"),
        "{}",
        apply.context()
    );
    // The rest was applied; the alias is as it was.
    assert_eq!(
        support::query_cname(bind.addr(), "mail1.example.com").as_deref(),
        Some("relay.example.net.")
    );
    assert_eq!(
        support::query_txt(bind.addr(), "example.com"),
        [vec![b"v=spf1 ip4:198.51.100.10 -all".to_vec()]]
    );
}

#[test]
fn classless_and_ipv6_reverse_zones_are_applied_and_served_with_a_sha512_key() {
    let inventory_text = "\
ttl: 3600
zones: [example.com]
reverse_zones: [198.51.100.64/26, 2001:db8::/32]
servers:
  - hostname: mail2.example.com
    ipv4: [198.51.100.65]
    ipv6: ['2001:db8::25']
domains:
  - name: example.com
    servers: [mail2.example.com]
";
    let child = "64-26.100.51.198.in-addr.arpa";
    let ip6 = "8.b.d.0.1.0.0.2.ip6.arpa";
    let bind = Bind::start_with_policy(
        &[
            zone("example.com", EXAMPLE_COM),
            zone(REVERSE, "64-26 3600 IN NS ns1.test.invalid.\n"),
            zone(child, ""),
            zone(ip6, ""),
        ],
        "hmac-sha512",
        true,
    );
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), inventory_text);
    let target = target(bind.addr());
    let key = path(bind.key_file());
    let apply = senderzone(
        &[
            "apply",
            path(&inv),
            "--target",
            &target,
            "--tsig-key",
            key,
            "--yes",
        ],
        &[],
    );
    assert_eq!(apply.code, 0, "{}", apply.context());
    assert!(
        apply
            .stdout
            .contains(&format!("applied to zone {child}.: 1 added")),
        "{}",
        apply.context()
    );
    // RFC 2317: the parent's CNAME for every address of the block.
    let parent = axfr(bind.addr(), REVERSE, Some(bind.key_file()));
    assert_eq!(lines_with(&parent, " CNAME ").len(), 64, "{parent:#?}");
    assert_eq!(
        support::query_cname(bind.addr(), "65.100.51.198.in-addr.arpa").as_deref(),
        Some("65.64-26.100.51.198.in-addr.arpa.")
    );
    assert_eq!(
        support::query_ptr(bind.addr(), "65.64-26.100.51.198.in-addr.arpa"),
        ["mail2.example.com."]
    );
    let v6 = "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
    assert_eq!(support::query_ptr(bind.addr(), v6), ["mail2.example.com."]);
    assert_eq!(
        support::query_aaaa(bind.addr(), "mail2.example.com"),
        ["2001:db8::25".parse::<std::net::Ipv6Addr>().unwrap()]
    );
    let again = senderzone(
        &[
            "plan",
            path(&inv),
            "--target",
            &target,
            "--tsig-key",
            key,
            "--expect-no-changes",
        ],
        &[],
    );
    assert_eq!(again.code, 0, "{}", again.context());
}

#[test]
fn a_classless_parent_the_target_does_not_serve_is_skipped_with_a_note() {
    let inventory_text = "\
ttl: 3600
zones: [example.com]
reverse_zones: [198.51.100.64/26]
servers:
  - hostname: mail2.example.com
    ipv4: [198.51.100.65]
";
    let child = "64-26.100.51.198.in-addr.arpa";
    let bind = Bind::start_with_policy(
        &[zone("example.com", ""), zone(child, "")],
        "hmac-sha256",
        true,
    );
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), inventory_text);
    let target = target(bind.addr());
    let apply = senderzone(
        &[
            "apply",
            path(&inv),
            "--target",
            &target,
            "--tsig-key",
            path(bind.key_file()),
            "--yes",
        ],
        &[],
    );
    assert_eq!(apply.code, 0, "{}", apply.context());
    assert!(
        apply
            .stdout
            .contains("; zone 100.51.198.in-addr.arpa. skipped: "),
        "{}",
        apply.context()
    );
    assert!(
        apply.stdout.contains("usually your ISP's"),
        "{}",
        apply.context()
    );
    assert_eq!(
        support::query_ptr(bind.addr(), "65.64-26.100.51.198.in-addr.arpa"),
        ["mail2.example.com."]
    );
}

#[test]
fn without_axfr_the_zone_is_read_by_queries_and_the_plan_says_what_it_cannot_see() {
    let bind = Bind::start_with_policy(
        &[zone("example.com", EXAMPLE_COM), zone(REVERSE, "")],
        "hmac-sha256",
        false,
    );
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), INVENTORY);
    let target = target(bind.addr());
    let key = path(bind.key_file());
    let plan = senderzone(
        &["plan", path(&inv), "--target", &target, "--tsig-key", key],
        &[],
    );
    assert_eq!(plan.code, 0, "{}", plan.context());
    assert_eq!(plan.edits(), PLANNED, "{}", plan.context());
    assert!(
        plan.stdout.contains("(read by queries from"),
        "{}",
        plan.context()
    );
    assert!(plan.stdout.contains(
        "stale PTR records of removed addresses and unused `_spfN` records cannot be seen"
    ));
    let apply = senderzone(
        &[
            "apply",
            path(&inv),
            "--target",
            &target,
            "--tsig-key",
            key,
            "--yes",
        ],
        &[],
    );
    assert_eq!(apply.code, 0, "{}", apply.context());
    let again = senderzone(
        &[
            "plan",
            path(&inv),
            "--target",
            &target,
            "--expect-no-changes",
        ],
        &[],
    );
    assert_eq!(again.code, 0, "{}", again.context());
    // dns:// reads any authoritative server the same way.
    let dns = senderzone(
        &[
            "plan",
            path(&inv),
            "--target",
            &format!("dns://127.0.0.1:{}", bind.port()),
            "--expect-no-changes",
        ],
        &[],
    );
    assert_eq!(dns.code, 0, "{}", dns.context());
}

/// Twenty servers: their change needs several UPDATE messages when the
/// test caps messages at 1,500 octets.
fn twenty_servers() -> String {
    let mut text = String::from("ttl: 3600\nzones: [example.com]\nservers:\n");
    for i in 1..=20 {
        text.push_str(&format!(
            "  - hostname: m{i}.example.com\n    ipv4: [198.51.100.{}]\n",
            100 + i
        ));
    }
    let names: Vec<String> = (1..=20).map(|i| format!("m{i}.example.com")).collect();
    text.push_str(&format!(
        "domains:\n  - name: example.com\n    servers: [{}]\n",
        names.join(", ")
    ));
    text
}

const SMALL_MESSAGES: (&str, &str) = ("SENDERZONE_TEST_UPDATE_OCTETS", "1500");

#[test]
fn a_change_larger_than_one_message_is_applied_in_several() {
    let bind = bind_with_example();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), &twenty_servers());
    let target = target(bind.addr());
    let key = path(bind.key_file());
    let apply = senderzone(
        &[
            "apply",
            path(&inv),
            "--target",
            &target,
            "--tsig-key",
            key,
            "--yes",
        ],
        &[SMALL_MESSAGES],
    );
    assert_eq!(apply.code, 0, "{}", apply.context());
    let messages: usize = apply
        .stdout
        .lines()
        .find(|l| l.starts_with("applied to zone example.com.:"))
        .and_then(|l| l.split('(').nth(1))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", apply.context()));
    assert!(messages > 2, "{}", apply.context());
    let again = senderzone(
        &[
            "plan",
            path(&inv),
            "--target",
            &target,
            "--tsig-key",
            key,
            "--expect-no-changes",
        ],
        &[],
    );
    assert_eq!(again.code, 0, "{}", again.context());
}

#[test]
fn a_split_change_that_fails_late_is_rolled_back_or_says_exactly_what_stays() {
    let bind = bind_with_example();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), &twenty_servers());
    let target = target(bind.addr());
    let key = bind.key_file();
    let args = [
        "apply",
        path(&inv),
        "--target",
        &target,
        "--tsig-key",
        path(key),
        "--yes",
    ];
    let before = axfr(bind.addr(), "example.com", Some(key));

    // m9 sorts last: only the last message touches it. The messages before
    // it are applied, the last one is refused, and the others are undone.
    let run = apply_with_hold(&args, &[SMALL_MESSAGES], 2, || {
        bind.nsupdate("zone example.com.\nupdate add m9.example.com. 3600 IN A 192.0.2.9\nsend\n")
            .unwrap();
    });
    assert_eq!(run.code, 1, "{}", run.context());
    assert!(
        run.stderr.contains("changed since it was read"),
        "{}",
        run.context()
    );
    assert!(
        run.stderr.contains(
            "applied before the failure were rolled back: nothing was applied to the zone"
        ),
        "{}",
        run.context()
    );
    let mut expected = before.clone();
    expected.push("m9.example.com. 3600 IN A 192.0.2.9".to_owned());
    expected.sort();
    assert_eq!(axfr(bind.addr(), "example.com", Some(key)), expected);

    // Now m1 (in the first message) changes too: its rollback is refused,
    // and the error names the RRsets that keep the new data.
    let run = apply_with_hold(&args, &[SMALL_MESSAGES], 2, || {
        bind.nsupdate(
            "zone example.com.\nupdate add m1.example.com. 3600 IN A 192.0.2.1\nupdate delete m9.example.com. A\nupdate add m9.example.com. 3600 IN A 192.0.2.99\nsend\n",
        )
        .unwrap();
    });
    assert_eq!(run.code, 1, "{}", run.context());
    let state = run
        .stderr
        .lines()
        .find(|l| l.contains("these RRsets keep the new data: "))
        .unwrap_or_else(|| panic!("{}", run.context()));
    let kept: Vec<String> = state
        .split("keep the new data: ")
        .nth(1)
        .unwrap()
        .split("; run plan")
        .next()
        .unwrap()
        .split(", ")
        .map(str::to_owned)
        .collect();
    assert!(kept.contains(&"example.com. TXT".to_owned()), "{kept:?}");
    assert!(kept.contains(&"m1.example.com. A".to_owned()), "{kept:?}");
    // Exactly those RRsets differ from the zone before, besides the
    // other client's m9.
    let after = axfr(bind.addr(), "example.com", Some(key));
    let rrset = |line: &String| {
        let fields: Vec<&str> = line.split(' ').collect();
        format!("{} {}", fields[0], fields[3])
    };
    let mut changed: Vec<String> = after
        .iter()
        .filter(|l| !before.contains(l))
        .chain(before.iter().filter(|l| !after.contains(l)))
        .map(rrset)
        .filter(|set| set != "m9.example.com. A")
        .collect();
    changed.sort();
    changed.dedup();
    let mut kept_sorted = kept.clone();
    kept_sorted.sort();
    assert_eq!(changed, kept_sorted, "{}", run.context());
}

#[test]
fn usage_and_target_errors_have_their_exit_codes() {
    let bind = bind_with_example();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), INVENTORY);
    let inv = path(&inv);
    let target = target(bind.addr());
    let key = path(bind.key_file());
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["apply", inv, "--target", &target, "--tsig-key", key],
            2,
            "standard input is not a terminal",
        ),
        (
            vec!["apply", inv, "--target", &target, "--yes"],
            2,
            "needs `--tsig-key FILE`",
        ),
        (
            vec!["apply", inv, "--target", "dns://127.0.0.1:53", "--yes"],
            2,
            "can only be read",
        ),
        (
            vec!["plan", inv, "--target", "127.0.0.1:53"],
            2,
            "accepted: rfc2136://HOST[:PORT]",
        ),
        (
            vec!["plan", inv, "--target", "powerdns+http://127.0.0.1:1"],
            2,
            "no PowerDNS API key in `PDNS_API_KEY`",
        ),
        (
            vec![
                "plan",
                inv,
                "--target",
                "powerdns+http://127.0.0.1:1",
                "--tsig-key",
                key,
            ],
            2,
            "applies only to rfc2136://",
        ),
        (
            vec!["plan", inv, "--target", &target, "--timeout", "0"],
            2,
            "invalid `--timeout` value `0`",
        ),
    ];
    for (args, code, message) in cases {
        let run = senderzone(&args, &[]);
        assert_eq!(run.code, code, "{args:?}\n{}", run.context());
        assert!(run.stderr.contains(message), "{args:?}\n{}", run.context());
    }

    // A zone the server does not have, and a server that is not there.
    let only_forward = Bind::start_with_policy(&[zone("example.com", "")], "hmac-sha256", true);
    let run = senderzone(
        &[
            "plan",
            inv,
            "--target",
            &format!("rfc2136://127.0.0.1:{}", only_forward.port()),
        ],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.context());
    assert!(
        run.stderr.contains(&format!(
            "zone `100.51.198.in-addr.arpa.` is not served by rfc2136://127.0.0.1:{}: it answers the zone's SOA query with REFUSED",
            only_forward.port()
        )),
        "{}",
        run.context()
    );
    let closed = support::free_port();
    let run = senderzone(
        &[
            "plan",
            inv,
            "--target",
            &format!("dns://127.0.0.1:{closed}"),
            "--timeout",
            "2",
        ],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.context());
    assert!(
        run.stderr
            .contains(&format!("127.0.0.1:{closed}: cannot connect")),
        "{}",
        run.context()
    );
}

/// The API form of [`EXAMPLE_COM`]'s records.
fn example_rrsets() -> serde_json::Value {
    serde_json::json!([
        {"name": "example.com.", "type": "TXT", "ttl": 300, "changetype": "REPLACE", "records": [
            {"content": "\"v=spf1 ip4:198.51.100.9 -all\"", "disabled": false},
            {"content": "\"google-site-verification=Xq3-fQ_7 \\\"q\\\" b\\\\c\"", "disabled": false},
            {"content": "\"part one \" \"part two\"", "disabled": false}]},
        {"name": "example.com.", "type": "MX", "ttl": 3600, "changetype": "REPLACE", "records": [
            {"content": "10 mail1.example.com.", "disabled": false}]},
        {"name": "www.example.com.", "type": "A", "ttl": 3600, "changetype": "REPLACE", "records": [
            {"content": "198.51.100.80", "disabled": false}]}
    ])
}

/// The stored content of every record at `name`/`rtype`, sorted.
fn stored(server: &PowerDns, zone: &str, name: &str, rtype: &str) -> Vec<String> {
    let (status, body) = server.request("GET", &format!("/zones/{zone}."), None);
    assert_eq!(status, 200, "{body}");
    let zone: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut contents: Vec<String> = zone["rrsets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["name"] == name && r["type"] == rtype)
        .flat_map(|r| r["records"].as_array().unwrap().iter())
        .map(|r| r["content"].as_str().unwrap().to_owned())
        .collect();
    contents.sort();
    contents
}

#[test]
fn powerdns_plan_shows_exactly_the_change_and_apply_keeps_foreign_records_verbatim() {
    let server = PowerDns::start();
    server.create_zone_with("example.com", example_rrsets());
    server.create_zone(REVERSE);
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), INVENTORY);
    let target = format!("powerdns+http://127.0.0.1:{}", server.api_port);
    let key_env = [("PDNS_API_KEY", server.api_key())];

    let plan = senderzone(&["plan", path(&inv), "--target", &target], &key_env);
    assert_eq!(plan.code, 0, "{}", plan.context());
    assert_eq!(plan.edits(), PLANNED, "{}", plan.context());
    assert!(
        plan.stdout.contains("(read by API from"),
        "{}",
        plan.context()
    );

    let before = axfr(server.dns, "example.com", None);
    let stored_before = stored(&server, "example.com", "example.com.", "TXT");
    // The key may come from a file instead of the environment.
    let key_file = dir.path().join("pdns.key");
    std::fs::write(&key_file, format!("{}\n", server.api_key())).unwrap();
    let apply = senderzone(
        &[
            "apply",
            path(&inv),
            "--target",
            &target,
            "--api-key-file",
            path(&key_file),
            "--yes",
        ],
        &[],
    );
    assert_eq!(apply.code, 0, "{}", apply.context());
    assert!(
        apply.stdout.contains("(1 PATCH request)"),
        "{}",
        apply.context()
    );
    assert!(!apply.stdout.contains(server.api_key()) && !apply.stderr.contains(server.api_key()));

    let after = axfr(server.dns, "example.com", None);
    assert_eq!(foreign(&after), foreign(&before));
    assert_eq!(
        lines_with(&after, "v=spf1"),
        [
            "example.com. 300 IN TXT \"v=spf1 ip4:198.51.100.10 -all\"",
            "mail1.example.com. 3600 IN TXT \"v=spf1 a -all\"",
        ]
    );
    // The foreign contents are stored exactly as they were written.
    let stored_after = stored(&server, "example.com", "example.com.", "TXT");
    for content in stored_before.iter().filter(|c| !c.contains("v=spf1")) {
        assert!(
            stored_after.contains(content),
            "{content} changed: {stored_after:?}"
        );
    }
    assert_eq!(
        support::query_ptr(server.dns, "10.100.51.198.in-addr.arpa"),
        ["mail1.example.com."]
    );

    let again = senderzone(
        &[
            "plan",
            path(&inv),
            "--target",
            &target,
            "--expect-no-changes",
        ],
        &key_env,
    );
    assert_eq!(again.code, 0, "{}", again.context());
    let second = senderzone(
        &["apply", path(&inv), "--target", &target, "--yes"],
        &key_env,
    );
    assert_eq!(second.code, 0, "{}", second.context());
    assert!(
        second.stdout.ends_with("no changes\n"),
        "{}",
        second.context()
    );

    let wrong = senderzone(
        &["plan", path(&inv), "--target", &target],
        &[("PDNS_API_KEY", "wrong-key")],
    );
    assert_eq!(wrong.code, 3, "{}", wrong.context());
    assert!(
        wrong.stderr.contains("the API rejects the key (HTTP 401)"),
        "{}",
        wrong.context()
    );
    assert!(!wrong.stderr.contains("wrong-key"));
}

#[test]
fn powerdns_applies_nothing_when_the_zone_changed_before_the_patch() {
    let server = PowerDns::start();
    server.create_zone_with("example.com", example_rrsets());
    server.create_zone(REVERSE);
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), INVENTORY);
    let target = format!("powerdns+http://127.0.0.1:{}", server.api_port);
    let before = axfr(server.dns, "example.com", None);
    let run = apply_with_hold(
        &["apply", path(&inv), "--target", &target, "--yes"],
        &[("PDNS_API_KEY", server.api_key())],
        1,
        || {
            let body = dir.path().join("meanwhile.json");
            std::fs::write(
                &body,
                serde_json::json!({"rrsets": [{"name": "mail1.example.com.", "type": "A", "ttl": 60,
                    "changetype": "REPLACE", "records": [{"content": "192.0.2.1", "disabled": false}]}]})
                .to_string(),
            )
            .unwrap();
            server.patch("example.com.", &body);
        },
    );
    assert_eq!(run.code, 1, "{}", run.context());
    assert!(
        run.stderr
            .contains("mail1.example.com. A differs from what was read): run plan again"),
        "{}",
        run.context()
    );
    assert!(
        run.stderr
            .contains("nothing was applied to zone `example.com.`"),
        "{}",
        run.context()
    );
    let mut expected = before.clone();
    expected.push("mail1.example.com. 60 IN A 192.0.2.1".to_owned());
    expected.sort();
    assert_eq!(axfr(server.dns, "example.com", None), expected);
}

#[test]
fn powerdns_classless_zones_with_slash_labels_are_applied_and_served() {
    let inventory_text = "\
ttl: 3600
zones: [example.com]
reverse_zones: [198.51.100.64/26, 2001:db8::/32]
classless_labels: rfc2317
servers:
  - hostname: mail2.example.com
    ipv4: [198.51.100.65]
    ipv6: ['2001:db8::25']
";
    let server = PowerDns::start();
    for zone in [
        "example.com",
        REVERSE,
        "64/26.100.51.198.in-addr.arpa",
        "8.b.d.0.1.0.0.2.ip6.arpa",
    ] {
        server.create_zone(zone);
    }
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), inventory_text);
    let target = format!("powerdns+http://127.0.0.1:{}", server.api_port);
    let key_env = [("PDNS_API_KEY", server.api_key())];
    let apply = senderzone(
        &["apply", path(&inv), "--target", &target, "--yes"],
        &key_env,
    );
    assert_eq!(apply.code, 0, "{}", apply.context());
    assert!(
        apply
            .stdout
            .contains("applied to zone 64/26.100.51.198.in-addr.arpa.: 1 added"),
        "{}",
        apply.context()
    );
    assert_eq!(
        support::query_ptr(server.dns, "65.64/26.100.51.198.in-addr.arpa"),
        ["mail2.example.com."]
    );
    assert_eq!(
        support::query_cname(server.dns, "65.100.51.198.in-addr.arpa").as_deref(),
        Some("65.64/26.100.51.198.in-addr.arpa.")
    );
    let v6 = "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
    assert_eq!(support::query_ptr(server.dns, v6), ["mail2.example.com."]);
    let again = senderzone(
        &[
            "plan",
            path(&inv),
            "--target",
            &target,
            "--expect-no-changes",
        ],
        &key_env,
    );
    assert_eq!(again.code, 0, "{}", again.context());
}

#[test]
fn a_server_that_never_answers_times_out_with_exit_3() {
    // Accepts connections and reads, never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), INVENTORY);
    let started = Instant::now();
    let run = senderzone(
        &[
            "plan",
            path(&inv),
            "--target",
            &format!("dns://127.0.0.1:{port}"),
            "--timeout",
            "1",
        ],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.context());
    assert!(
        run.stderr.contains(&format!(
            "127.0.0.1:{port}: no answer within 1 s to the SOA query for `example.com.`"
        )),
        "{}",
        run.context()
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}
