//! `senderzone import` against real servers: zones `generate` wrote for
//! each inventory shape of the suite, served by NSD, imported and
//! generated again give back the same records (SPF text up to term order
//! and CIDR merging, check_host() the same for every address tried);
//! hand-written zones give the comments and the problems `verify` then
//! reports; and the errors: an invalid DOMAIN, NXDOMAIN, a server that
//! refuses or does not answer, `--out` kept without `--force`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Output;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use senderzone::dns::RecordData;
use senderzone::inventory::Inventory;
use senderzone::records::{self, Plan};
use senderzone::spf::{self, CheckParams, Config, Mechanism, SpfResult, Term};

use crate::support::{self, Nsd, repo_file, run, stderr, stdout, text};

/// Three domains sharing servers (one dual-stack, one whose addresses
/// merge into one CIDR), a third-party include, a DMARC policy with
/// every key, a domain network beside a server.
const SHARED: &str = "\
zones: [example.net, example.org, example.info]
servers:
  - hostname: mx1.example.net
    ipv4: [203.0.113.10]
    ipv6: ['2001:db8:5::10']
  - hostname: mx2.example.net
    ipv4: [203.0.113.11]
  - hostname: out.example.org
    ipv4: [198.51.100.20, 198.51.100.21]
domains:
  - name: example.net
    servers: [mx1.example.net, mx2.example.net]
    dmarc: {policy: reject, subdomain_policy: none, adkim: strict, rua: [d@example.net]}
  - name: example.org
    servers: [mx1.example.net, out.example.org]
    include: [spf.protection.outlook.com]
    all: softfail
  - name: example.info
    servers: [mx2.example.net]
    ip4: [203.0.113.64/28]
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn load(path: &Path) -> (Inventory, Plan) {
    let loaded =
        Inventory::load(path).unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()));
    let plan = records::plan(&loaded.inventory);
    (loaded.inventory, plan)
}

/// The zones `generate` wrote for `inventory`, behind a test SOA, and an
/// empty zone for each extra `reverse` network (the ISP's reverse zone of
/// a domain's `ip4` block, which real DNS answers NXDOMAIN from).
fn serve(inventory: &Path, reverse: &[&str]) -> Nsd {
    let mut zones: Vec<(String, String)> = support::generated_zones(inventory)
        .into_iter()
        .map(|(origin, snippet)| {
            let zone = support::wrap_zone(&origin, &snippet);
            (origin, zone)
        })
        .collect();
    for origin in reverse {
        zones.push(((*origin).to_owned(), support::wrap_zone(origin, "")));
    }
    for (origin, zone) in &zones {
        support::checkzone(origin, zone).unwrap();
    }
    Nsd::start(&zones)
}

fn import(nsd: &Nsd, domains: &[&str], extra: &[&str]) -> Output {
    let server = nsd.addr().to_string();
    let mut args = vec!["import"];
    args.extend(domains);
    args.extend(["--nameserver", &server, "--timeout", "20"]);
    args.extend(extra);
    run(&args)
}

/// SPF of one domain, its chain followed: networks merged, includes,
/// the `all`.
#[derive(Debug, PartialEq, Eq)]
struct Spf {
    v4: Vec<Ipv4Net>,
    v6: Vec<Ipv6Net>,
    include: BTreeSet<String>,
    all: Option<char>,
}

fn txt_of(plan: &Plan, owner: &str) -> Option<String> {
    plan.zones
        .iter()
        .flat_map(|z| &z.records)
        .filter(|r| r.owner == owner)
        .find_map(|r| r.data.txt_joined())
        .map(|t| String::from_utf8(t).unwrap())
        .filter(|t| t.starts_with("v=spf1"))
}

fn spf_of(plan: &Plan, domain: &str) -> Spf {
    let mut spf = Spf {
        v4: Vec::new(),
        v6: Vec::new(),
        include: BTreeSet::new(),
        all: None,
    };
    let mut owner = domain.to_owned();
    let mut top = true;
    loop {
        let text = txt_of(plan, &owner).unwrap_or_else(|| panic!("no SPF at {owner}"));
        let record = spf::parse(&text).unwrap();
        let mut next = None;
        for at in &record.terms {
            let Term::Directive(d) = &at.term else {
                panic!("a modifier in a generated record: {text}");
            };
            match &d.mechanism {
                Mechanism::Ip4 { addr, prefix } => spf
                    .v4
                    .push(Ipv4Net::new(*addr, prefix.unwrap_or(32)).unwrap()),
                Mechanism::Ip6 { addr, prefix } => spf
                    .v6
                    .push(Ipv6Net::new(*addr, prefix.unwrap_or(128)).unwrap()),
                Mechanism::Include(target) => {
                    let target = target.as_literal().unwrap();
                    if target.starts_with("_spf") && target.ends_with(&format!(".{domain}")) {
                        next = Some(target);
                    } else {
                        spf.include.insert(target);
                    }
                }
                Mechanism::All if top => spf.all = Some(d.effective_qualifier().symbol()),
                Mechanism::All => {}
                other => panic!("unexpected {other:?} in {text}"),
            }
        }
        match next {
            Some(part) => owner = part,
            None => break,
        }
        top = false;
    }
    spf.v4 = Ipv4Net::aggregate(&spf.v4);
    spf.v6 = Ipv6Net::aggregate(&spf.v6);
    spf
}

/// Every record but the SPF records of domains and their chains, without
/// TTLs (import cannot read them).
fn other_records(plan: &Plan, inventory: &Inventory) -> BTreeSet<(String, String)> {
    let spf_owner = |owner: &str| {
        inventory.domains.iter().any(|d| {
            owner == d.name
                || (owner.starts_with("_spf") && owner.ends_with(&format!(".{}", d.name)))
        })
    };
    plan.zones
        .iter()
        .flat_map(|z| &z.records)
        .filter(|r| !(spf_owner(&r.owner) && txt_of(plan, &r.owner).is_some()))
        .map(|r| (r.owner.to_string(), record_text(&r.data)))
        .collect()
}

fn record_text(data: &RecordData) -> String {
    match data.txt_joined() {
        Some(text) => format!("TXT {}", String::from_utf8_lossy(&text)),
        None => format!("{} {data:?}", data.type_name()),
    }
}

/// Addresses to evaluate: every server address of both, the edges of
/// every network of every record, and a few from nowhere.
fn probes(plans: &[&Plan]) -> BTreeSet<IpAddr> {
    let mut probes: BTreeSet<IpAddr> = ["100.100.100.100", "192.0.2.255", "2001:db8:ffff::1"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    for plan in plans {
        for record in plan.zones.iter().flat_map(|z| &z.records) {
            match &record.data {
                RecordData::A(ip) => drop(probes.insert(IpAddr::V4(*ip))),
                RecordData::Aaaa(ip) => drop(probes.insert(IpAddr::V6(*ip))),
                _ => {}
            }
            let Some(text) = record.data.txt_joined() else {
                continue;
            };
            let Ok(record) = spf::parse(&String::from_utf8_lossy(&text)) else {
                continue;
            };
            for (_, d) in record.directives() {
                let net = match d.mechanism {
                    Mechanism::Ip4 { addr, prefix } => {
                        IpNet::V4(Ipv4Net::new(addr, prefix.unwrap_or(32)).unwrap())
                    }
                    Mechanism::Ip6 { addr, prefix } => {
                        IpNet::V6(Ipv6Net::new(addr, prefix.unwrap_or(128)).unwrap())
                    }
                    _ => continue,
                };
                probes.insert(net.network());
                probes.insert(net.broadcast());
                if let IpNet::V4(v4) = net {
                    let after = u32::from(v4.broadcast()).wrapping_add(1);
                    let before = u32::from(v4.network()).wrapping_sub(1);
                    probes.insert(IpAddr::V4(after.into()));
                    probes.insert(IpAddr::V4(before.into()));
                }
            }
        }
    }
    probes
}

fn check_host_results(plan: &Plan, domain: &str, probes: &BTreeSet<IpAddr>) -> Vec<SpfResult> {
    let zone = plan.to_memory_zone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    probes
        .iter()
        .map(|&ip| {
            let params = CheckParams::mail_from(ip, &format!("@{domain}"), "probe.invalid");
            runtime
                .block_on(spf::check_host(&zone, &params, &Config::default()))
                .result
        })
        .collect()
}

/// Generates `yaml`, serves it, imports every domain, generates again
/// and compares. Records at HELO names other than host names are the one
/// difference allowed: nothing in DNS leads to them.
fn round_trip(label: &str, yaml: &str, reverse: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let original = write(dir.path(), "original.yaml", yaml);
    let nsd = serve(&original, reverse);
    let (inventory, plan) = load(&original);
    let domains: Vec<&str> = inventory.domains.iter().map(|d| d.name.as_str()).collect();
    let output = import(&nsd, &domains, &[]);
    assert_eq!(output.status.code(), Some(0), "{label}: {}", text(&output));
    let draft = stdout(&output);
    assert!(
        draft.trim_end().ends_with("run `senderzone verify`"),
        "{label}: {draft}"
    );
    let imported = write(dir.path(), "imported.yaml", &draft);
    let (again, replanned) = load(&imported);
    assert_eq!(replanned.diagnostics, [], "{label}: {draft}");
    // The same domains and servers.
    let names = |inv: &Inventory| -> (Vec<String>, BTreeSet<String>) {
        (
            inv.domains.iter().map(|d| d.name.to_string()).collect(),
            inv.servers.iter().map(|s| s.hostname.to_string()).collect(),
        )
    };
    assert_eq!(names(&again), names(&inventory), "{label}: {draft}");
    // Every record but the SPF text, HELO-only names aside.
    let helo_only: BTreeSet<&str> = inventory
        .servers
        .iter()
        .filter_map(|s| s.helo.as_deref())
        .filter(|h| inventory.server_index(h).is_none())
        .collect();
    let want: BTreeSet<(String, String)> = other_records(&plan, &inventory)
        .into_iter()
        .filter(|(owner, _)| !helo_only.contains(owner.as_str()))
        .collect();
    let got = other_records(&replanned, &again);
    assert_eq!(
        got.difference(&want).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "{label}: records import added\n{draft}"
    );
    assert_eq!(
        want.difference(&got).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "{label}: records import lost\n{draft}"
    );
    // SPF: the same networks, includes and `all`; the same result for
    // every address tried.
    let probes = probes(&[&plan, &replanned]);
    for domain in &domains {
        assert_eq!(
            spf_of(&replanned, domain),
            spf_of(&plan, domain),
            "{label}: SPF of {domain}\n{draft}"
        );
        let before = check_host_results(&plan, domain, &probes);
        let after = check_host_results(&replanned, domain, &probes);
        let differ: Vec<_> = probes
            .iter()
            .zip(before.iter().zip(&after))
            .filter(|(_, (b, a))| b != a)
            .collect();
        assert!(
            differ.is_empty(),
            "{label}: check_host of {domain}: {differ:?}"
        );
    }
}

#[test]
fn round_trip_of_the_bundled_example_classless_and_ipv6() {
    let example = std::fs::read_to_string(repo_file("examples/inventory.yaml")).unwrap();
    round_trip("example", &example, &["2.0.192.in-addr.arpa"]);
}

#[test]
fn round_trip_of_verify_s_inventory_with_a_helo_name() {
    round_trip("classless", crate::verify::INVENTORY, &[]);
}

#[test]
fn round_trip_of_a_long_chained_record_with_slash_labels() {
    round_trip("chained", &crate::generate_servers::corner_inventory(), &[]);
}

#[test]
fn round_trip_of_domains_sharing_servers() {
    round_trip("shared", SHARED, &["64.113.0.203.in-addr.arpa"]);
}

/// An `mx` and an `a:` whose host has no PTR, a private address, a
/// third-party include, an `exists:` macro, a redirect into the zone, a
/// DMARC tag the inventory has no key for, and a DKIM key.
fn hand_written() -> Vec<(String, String)> {
    let fixture =
        std::fs::read_to_string(repo_file("tests/fixtures/verify-receivers-extra.zone")).unwrap();
    let dkim = fixture
        .lines()
        .find(|l| l.starts_with("s1024._domainkey"))
        .unwrap()
        .replacen("s1024._domainkey", "mail._domainkey", 1);
    let example_com = format!(
        "@ 3600 IN TXT \"v=spf1 mx a:out.example.com ip4:10.1.2.3 include:_spf.google.com exists:%{{i}}._spf.example.com -all\"\n\
         @ 3600 IN MX 10 mx.example.com.\n\
         mx 3600 IN A 192.0.2.25\n\
         mx 3600 IN TXT \"v=spf1 a -all\"\n\
         out 3600 IN A 192.0.2.30\n\
         _spf 3600 IN TXT \"v=spf1 ip4:198.51.100.7 ~all\"\n\
         _dmarc 3600 IN TXT \"v=DMARC1; p=none; pct=50; rua=mailto:d@example.com\"\n\
         {dkim}\n"
    );
    let example_org = "@ 3600 IN TXT \"v=spf1 redirect=_spf.example.com\"\n\
                       relay 3600 IN A 198.51.100.7\n";
    let zones = [
        ("example.com", example_com.as_str()),
        ("example.org", example_org),
        ("2.0.192.in-addr.arpa", "25 3600 IN PTR mx.example.com.\n"),
        (
            "100.51.198.in-addr.arpa",
            "7 3600 IN PTR relay.example.org.\n",
        ),
    ];
    zones
        .iter()
        .map(|(origin, body)| (origin.to_string(), support::wrap_zone(origin, body)))
        .collect()
}

#[test]
fn hand_written_zones_keep_their_comments_and_verify_finds_their_problems() {
    let zones = hand_written();
    for (origin, zone) in &zones {
        support::checkzone(origin, zone).unwrap();
    }
    let nsd = Nsd::start(&zones);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mail.yaml");
    let output = import(
        &nsd,
        &["example.com", "Example.ORG."],
        &["--out", out.to_str().unwrap(), "--dkim-selector", "s2026"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        stderr(&output).contains("next: senderzone verify"),
        "{}",
        text(&output)
    );
    let draft = std::fs::read_to_string(&out).unwrap();
    for needle in [
        // The top: what the inventory cannot hold.
        "# Not represented",
        "example.com: not represented: example.com TXT `exists:%{i}._spf.example.com`: `exists:` with a macro, not expanded",
        "`pct=50`: the inventory's `dmarc` has no such key",
        // Servers from `mx` and `a:`, with their terms.
        "- hostname: mx.example.com  # example.com TXT `mx` (MX of example.com: mx.example.com)",
        "- 192.0.2.25  # mx.example.com A/AAAA, from example.com TXT `mx` (MX of example.com: mx.example.com)",
        "- hostname: out.example.com  # example.com TXT `a:out.example.com`",
        "# HELO: not known from DNS (out.example.com publishes no SPF record of its own)",
        "# HELO: taken to be the host name",
        // A PTR name that resolves back makes a server of the redirect's address.
        "- hostname: relay.example.org  # PTR of 198.51.100.7 (listed by _spf.example.com TXT `ip4:198.51.100.7`), which resolves back",
        "- 10.1.2.3  # example.com TXT `ip4:10.1.2.3`; a private-use address: its PTR is not public and was not looked up",
        "- _spf.google.com  # example.com TXT `include:_spf.google.com`: Google Workspace's record, not expanded",
        "all: softfail  # _spf.example.com TXT `~all`",
        "policy: none  # p=none",
        "- selector: 'mail'  # mail._domainkey.example.com TXT: RSA key, 1024 bits",
        "DKIM selector `s2026`: s2026._domainkey.example.com has no TXT record: not listed",
        "- 192.0.2.0/24  # SOA 2.0.192.in-addr.arpa; the reverse zone of 192.0.2.25, 192.0.2.30",
        "run `senderzone verify`",
    ] {
        assert!(draft.contains(needle), "no `{needle}` in\n{draft}");
    }
    load(&out);
    // verify on the draft reports what is wrong in the zones.
    let server = nsd.addr().to_string();
    let output = run(&[
        "verify",
        out.to_str().unwrap(),
        "--nameserver",
        &server,
        "--format",
        "json",
        "--timeout",
        "20",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let found: BTreeMap<String, Vec<String>> =
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .fold(BTreeMap::new(), |mut map, f| {
                map.entry(f["id"].as_str().unwrap().to_owned())
                    .or_default()
                    .push(f["subject"].as_str().unwrap().to_owned());
                map
            });
    assert!(
        found["ptr-missing"].contains(&"192.0.2.30".to_owned()),
        "{found:?}"
    );
    assert!(found.contains_key("spf-private-address"), "{found:?}");
    assert!(
        found["helo-spf-missing"].contains(&"out.example.com".to_owned()),
        "{found:?}"
    );
    // The redirect is flattened in the draft: the live record differs.
    assert!(
        found["spf-drift"].contains(&"example.org".to_owned()),
        "{found:?}"
    );
}

#[test]
fn gaps_are_comments_and_exit_3_and_a_bad_domain_is_exit_2() {
    let output = run(&["import", "exa mple.com", "--zone-file", "/nonexistent"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        stderr(&output).contains("invalid DOMAIN"),
        "{}",
        text(&output)
    );
    assert_eq!(run(&["import"]).status.code(), Some(2));
    // A domain that does not exist beside one whose `a:` host lives in a
    // zone the server refuses.
    let zones = [(
        "example.com",
        support::wrap_zone(
            "example.com",
            "@ 3600 IN TXT \"v=spf1 a:mail.example.net ip4:192.0.2.5 -all\"\n",
        ),
    )];
    let nsd = Nsd::start(&zones);
    let output = import(&nsd, &["example.com", "nothing.example.com"], &[]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let draft = stdout(&output);
    for needle in [
        "# Could not be read",
        "nothing.example.com does not exist (NXDOMAIN)",
        "mail.example.net A: ",
        "nothing.example.com: left out of `domains`",
    ] {
        assert!(draft.contains(needle), "no `{needle}` in\n{draft}");
    }
    let dir = tempfile::tempdir().unwrap();
    load(&write(dir.path(), "draft.yaml", &draft));
    // Nothing to draft: no output, exit 3 when it could not be read.
    let output = import(&nsd, &["nothing.example.com"], &[]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(stdout(&output).is_empty());
    assert!(
        stderr(&output).contains("nothing to draft"),
        "{}",
        text(&output)
    );
    // A server that never answers: the deadline ends the run.
    let silent = support::free_port().to_string();
    let started = std::time::Instant::now();
    let output = run(&[
        "import",
        "example.com",
        "--nameserver",
        &format!("127.0.0.1:{silent}"),
        "--timeout",
        "2",
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
}

#[test]
fn out_is_kept_without_force() {
    let zones = [
        (
            "example.com",
            support::wrap_zone(
                "example.com",
                "@ 3600 IN TXT \"v=spf1 ip4:192.0.2.5 -all\"\n",
            ),
        ),
        (
            "2.0.192.in-addr.arpa",
            support::wrap_zone("2.0.192.in-addr.arpa", ""),
        ),
    ];
    let nsd = Nsd::start(&zones);
    let dir = tempfile::tempdir().unwrap();
    let out = write(dir.path(), "mail.yaml", "mine\n");
    let path = out.to_str().unwrap();
    let output = import(&nsd, &["example.com"], &["--out", path]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(stderr(&output).contains("--force"), "{}", text(&output));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine\n");
    let output = import(&nsd, &["example.com"], &["--out", path, "--force"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let draft = std::fs::read_to_string(&out).unwrap();
    assert!(
        draft.contains(
            "- 192.0.2.5  # example.com TXT `ip4:192.0.2.5`; no PTR (NXDOMAIN), so not a server"
        ),
        "{draft}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "a temporary file was left");
}
