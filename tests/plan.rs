//! The record plan, checked through the library: CIDR merging, chaining of
//! long SPF records, string splitting, HELO records, determinism.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;
use senderzone::inventory::Inventory;
use senderzone::records::{self, Plan, RecordData};

fn plan(yaml: &str) -> Plan {
    let loaded = Inventory::from_bytes(Path::new("test.yaml"), yaml.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    records::plan(&loaded.inventory).unwrap_or_else(|e| panic!("{e:?}"))
}

fn txt(plan: &Plan, owner: &str) -> String {
    let texts: Vec<String> = plan
        .zones
        .iter()
        .flat_map(|z| &z.records)
        .filter(|r| r.owner == owner)
        .filter_map(|r| r.data.txt_joined())
        .map(|t| String::from_utf8(t).unwrap())
        .collect();
    assert_eq!(texts.len(), 1, "one TXT record at {owner}: {texts:?}");
    texts.into_iter().next().unwrap()
}

/// Servers with the given IPv4 addresses, all sending for example.com.
fn inventory_with(addresses: &[String], extra: &str) -> String {
    let mut yaml = String::from("zones: [example.com]\nservers:\n");
    for (i, ip) in addresses.iter().enumerate() {
        yaml.push_str(&format!(
            "  - hostname: m{i}.example.com\n    ipv4: [{ip}]\n"
        ));
    }
    let names: Vec<String> = (0..addresses.len())
        .map(|i| format!("m{i}.example.com"))
        .collect();
    yaml.push_str(&format!(
        "domains:\n  - name: example.com\n    servers: [{}]\n{extra}",
        names.join(", ")
    ));
    yaml
}

#[test]
fn merges_adjacent_and_contained_addresses_without_widening() {
    let addresses: Vec<String> = [
        "198.51.100.0",
        "198.51.100.1",
        "198.51.100.2",
        "198.51.100.3",
        "198.51.100.5",
        "192.0.2.9",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let plan = plan(&inventory_with(&addresses, "    ip4: [192.0.2.8/29]\n"));
    // .0–.3 merge to a /30; .5 stays alone (merging .4–.7 would widen);
    // 192.0.2.9 is dropped because the extra /29 already covers it.
    assert_eq!(
        txt(&plan, "example.com"),
        "v=spf1 ip4:198.51.100.0/30 ip4:198.51.100.5 ip4:192.0.2.8/29 -all"
    );
}

#[test]
fn every_server_gets_a_helo_record_and_a_domain_name_keeps_one_txt() {
    let yaml = "\
zones: [example.com]
servers:
  - hostname: example.com
    ipv4: [198.51.100.7]
  - hostname: mx.example.com
    ipv6: [2001:db8::7]
domains:
  - name: example.com
    servers: [example.com, mx.example.com]
    all: softfail
";
    let plan = plan(yaml);
    assert_eq!(txt(&plan, "mx.example.com"), "v=spf1 a -all");
    assert_eq!(
        txt(&plan, "example.com"),
        "v=spf1 ip4:198.51.100.7 ip6:2001:db8::7 ~all"
    );
}

/// The address set an SPF chain authorises, read from its ip4/ip6 terms
/// (includes followed through the chain's own records).
fn authorised(plan: &Plan, owner: &str, seen: &mut Vec<String>) -> BTreeSet<IpNet> {
    seen.push(owner.to_owned());
    let text = txt(plan, owner);
    let mut nets = BTreeSet::new();
    for term in text.split(' ').skip(1) {
        if let Some(net) = term
            .strip_prefix("ip4:")
            .or_else(|| term.strip_prefix("ip6:"))
        {
            let net: IpNet = net
                .parse()
                .or_else(|_| net.parse::<IpAddr>().map(IpNet::from))
                .unwrap();
            nets.insert(net);
        } else if let Some(target) = term.strip_prefix("include:") {
            nets.extend(authorised(plan, target, seen));
        }
    }
    nets
}

#[test]
fn long_records_chain_through_spf_parts_authorising_exactly_the_same_set() {
    // Non-adjacent addresses cannot merge: 60 terms, far over 450 octets.
    let addresses: Vec<String> = (0..60)
        .map(|i| format!("198.51.{}.{}", i, 2 * i + 1))
        .collect();
    let plan = plan(&inventory_with(&addresses, "    all: softfail\n"));
    let mut chain = Vec::new();
    let got = authorised(&plan, "example.com", &mut chain);
    let want: BTreeSet<IpNet> = addresses
        .iter()
        .map(|a| IpNet::from(a.parse::<IpAddr>().unwrap()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(chain[1], "_spf1.example.com");
    assert!(chain.len() >= 3, "{chain:?}");
    for owner in &chain {
        let text = txt(&plan, owner);
        assert!(text.len() <= 450, "{owner}: {} octets", text.len());
        assert!(
            text.ends_with(" ~all"),
            "{owner} keeps the qualifier: {text}"
        );
    }
    for record in plan.zones.iter().flat_map(|z| &z.records) {
        if let RecordData::Txt(strings) = &record.data {
            assert!(strings.iter().all(|s| s.len() <= 255));
        }
    }
}

#[test]
fn plans_are_deterministic_whatever_the_input_order() {
    let addresses: Vec<String> = (0..20).map(|i| format!("203.0.113.{}", 3 * i)).collect();
    let first = plan(&inventory_with(&addresses, ""));
    assert_eq!(
        first,
        plan(&inventory_with(&addresses, "")),
        "same input, same plan"
    );
    let reversed: Vec<String> = addresses.iter().rev().cloned().collect();
    let second = plan(&inventory_with(&reversed, ""));
    assert_eq!(txt(&first, "example.com"), txt(&second, "example.com"));
}

#[test]
fn default_reverse_zones_are_slash_24_and_slash_48() {
    let yaml = "\
zones: [example.com]
servers:
  - hostname: mail.example.com
    ipv4: [198.51.100.10]
    ipv6: [2001:db8:aa:bb::25]
domains:
  - name: example.com
    servers: [mail.example.com]
";
    let plan = plan(yaml);
    let origins: Vec<&str> = plan.zones.iter().map(|z| z.origin.as_str()).collect();
    assert_eq!(
        origins,
        [
            "example.com",
            "100.51.198.in-addr.arpa",
            "a.a.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        ]
    );
}
