//! What `generate` plans, judged by the SPF engine: every planned record is
//! lint-clean (default and strict profiles), every server address passes
//! `check_host` for each of its domains and its HELO name, and nothing
//! else does, chained records included.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use senderzone::dns::RecordData;
use senderzone::inventory::Inventory;
use senderzone::records::{self, Plan};
use senderzone::spf::{self, CheckParams, Config, Profile, SpfResult};

/// Servers on public-looking (not special-purpose) space, a long domain
/// that must chain, a softfail domain and a third-party include.
fn inventory() -> String {
    let mut yaml = String::from("zones: [example.com, example.org]\nservers:\n");
    let mut names = Vec::new();
    for i in 0..45 {
        // Every other /32 in 100.20.0.0/16 (not CGNAT space), so nothing merges.
        yaml.push_str(&format!(
            "  - hostname: m{i}.example.com\n    ipv4: [100.20.{i}.{}]\n    ipv6: ['2c0f:f000:{i:x}::25']\n",
            2 * i + 1
        ));
        names.push(format!("m{i}.example.com"));
    }
    yaml.push_str(&format!(
        "domains:\n  - name: example.com\n    servers: [{}]\n    include: [_spf.vendor.example]\n\
         \x20 - name: example.org\n    servers: [m1.example.com, m2.example.com]\n    ip4: [100.21.0.0/24]\n    all: softfail\n",
        names.join(", ")
    ));
    yaml
}

fn plan() -> (Inventory, Plan) {
    let loaded = Inventory::from_bytes(Path::new("t.yaml"), inventory().as_bytes()).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let plan = records::plan(&loaded.inventory);
    assert_eq!(plan.diagnostics, []);
    (loaded.inventory, plan)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

#[test]
fn every_planned_spf_record_is_lint_clean_even_strictly() {
    let (inventory, plan) = plan();
    let mut zone = plan.to_memory_zone();
    zone.insert(
        "_spf.vendor.example",
        RecordData::Txt(vec![b"v=spf1 ip4:100.22.0.0/24 -all".to_vec()].into()),
    );
    let mut owners: Vec<&str> = inventory.domains.iter().map(|d| d.name.as_str()).collect();
    owners.extend(inventory.servers.iter().map(|s| s.hostname.as_str()));
    assert!(
        plan.zones[0]
            .records
            .iter()
            .any(|r| r.owner == "_spf1.example.com"),
        "the long record chains"
    );
    let rt = runtime();
    for strict in [false, true] {
        for owner in &owners {
            let lint = rt.block_on(spf::lint_domain(&zone, owner, &Profile { strict }));
            assert!(
                lint.findings.is_empty(),
                "{owner} (strict: {strict}): {:#?}",
                lint.findings
            );
            assert!(lint.dns_lookups <= 10);
        }
        for record in plan.zones.iter().flat_map(|z| &z.records) {
            if let RecordData::Txt(strings) = &record.data {
                let findings = spf::lint_record(strings, &Profile { strict });
                assert!(findings.is_empty(), "{}: {findings:#?}", record.owner);
            }
        }
    }
}

#[test]
fn exactly_the_inventory_is_authorised() {
    let (inventory, plan) = plan();
    let mut zone = plan.to_memory_zone();
    zone.insert(
        "_spf.vendor.example",
        RecordData::Txt(vec![b"v=spf1 ip4:100.22.0.0/24 -all".to_vec()].into()),
    );
    let rt = runtime();
    let check = |ip: IpAddr, domain: &str| {
        let params =
            CheckParams::mail_from(ip, &format!("postmaster@{domain}"), "relay.example.net");
        rt.block_on(spf::check_host(&zone, &params, &Config::default()))
            .result
    };
    for domain in &inventory.domains {
        let rejected = match domain.all {
            senderzone::inventory::AllPolicy::Fail => SpfResult::Fail,
            senderzone::inventory::AllPolicy::Softfail => SpfResult::Softfail,
        };
        for &index in &domain.servers {
            let server = &inventory.servers[index];
            for ip in server
                .ipv4
                .iter()
                .map(|&ip| IpAddr::V4(ip))
                .chain(server.ipv6.iter().map(|&ip| IpAddr::V6(ip)))
            {
                assert_eq!(
                    check(ip, &domain.name),
                    SpfResult::Pass,
                    "{ip} for {}",
                    domain.name
                );
                // Each server's HELO record authorises it too (RFC 7208 §2.3).
                let helo = CheckParams::helo(ip, &server.hostname);
                assert_eq!(
                    rt.block_on(spf::check_host(&zone, &helo, &Config::default()))
                        .result,
                    SpfResult::Pass
                );
            }
            // The neighbour of a single address is not authorised: nothing was widened.
            let IpAddr::V4(first) = IpAddr::V4(server.ipv4[0]) else {
                unreachable!()
            };
            let neighbour = IpAddr::V4(Ipv4Addr::from(u32::from(first) + 1));
            assert_eq!(
                check(neighbour, &domain.name),
                rejected,
                "{neighbour} for {}",
                domain.name
            );
        }
        assert_eq!(check("192.0.2.1".parse().unwrap(), &domain.name), rejected);
        assert_eq!(
            check("2001:db8::1".parse().unwrap(), &domain.name),
            rejected
        );
    }
    // The include and the extra network pass through the chain as well.
    assert_eq!(
        check("100.22.0.7".parse().unwrap(), "example.com"),
        SpfResult::Pass
    );
    assert_eq!(
        check("100.21.0.200".parse().unwrap(), "example.org"),
        SpfResult::Pass
    );
    assert_eq!(
        check("100.21.1.0".parse().unwrap(), "example.org"),
        SpfResult::Softfail
    );
}
