//! The record plan, checked through the library: CIDR merging, chaining of
//! long SPF records, string splitting, HELO records, determinism, and the
//! diagnostics of what DNS cannot carry.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;
use senderzone::finding::Severity;
use senderzone::inventory::Inventory;
use senderzone::records::{self, Diagnostic, HeloProblem, Plan, RecordData, SpfProblem};
use senderzone::spf;

/// The plan of an inventory, diagnostics and all.
fn plan_with_diagnostics(yaml: &str) -> Plan {
    let loaded = Inventory::from_bytes(Path::new("test.yaml"), yaml.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    records::plan(&loaded.inventory)
}

fn plan(yaml: &str) -> Plan {
    let plan = plan_with_diagnostics(yaml);
    assert_eq!(
        plan.diagnostics,
        [],
        "a clean inventory plans without diagnostics"
    );
    plan
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

#[test]
fn generated_spf_text_is_the_canonical_form_of_a_record() {
    let addresses: Vec<String> = (0..60)
        .map(|i| format!("198.51.{}.{}", i, 2 * i + 1))
        .collect();
    let plan = plan(&inventory_with(
        &addresses,
        "    ip4: [192.0.2.0/25]\n    ip6: ['2001:db8::/48']\n    include: [_spf.provider.example]\n",
    ));
    let mut records = 0;
    for record in plan.zones.iter().flat_map(|z| &z.records) {
        let Some(text) = record.data.txt_joined() else {
            continue;
        };
        let text = String::from_utf8(text).unwrap();
        if !spf::is_spf_record(text.as_bytes()) {
            continue;
        }
        let parsed = spf::parse(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        assert_eq!(parsed.to_string(), text, "display(parse(text)) == text");
        records += 1;
    }
    assert!(
        records >= 4,
        "a chain of SPF records and HELO records: {records}"
    );
}

const HELO_BASE: &str = "\
zones: [example.com]
servers:
  - hostname: a.example.com
    ipv4: [198.51.100.1]
  - hostname: b.example.com
    ipv4: [198.51.100.2]
domains:
  - name: example.com
    servers: [a.example.com, b.example.com]
";

/// `HELO_BASE` with `helo` given to the second server.
fn with_helo(helo: &str) -> String {
    HELO_BASE.replace(
        "    ipv4: [198.51.100.2]\n",
        &format!("    ipv4: [198.51.100.2]\n    helo: {helo}\n"),
    )
}

#[test]
fn an_unpublishable_helo_name_is_a_diagnostic_and_the_rest_is_planned() {
    let clean = plan(HELO_BASE);
    for (helo, want) in [
        (
            "localhost.localdomain",
            HeloProblem::Invalid {
                helo: "localhost.localdomain".to_owned(),
                reason: senderzone::names::DomainName::host("localhost.localdomain").unwrap_err(),
            },
        ),
        (
            "A.example.com.",
            HeloProblem::Taken {
                name: "a.example.com".into(),
            },
        ),
        (
            "smtp.example.net",
            HeloProblem::OutsideZones {
                name: "smtp.example.net".into(),
            },
        ),
    ] {
        let planned = plan_with_diagnostics(&with_helo(helo));
        let diagnostic = Diagnostic::UnpublishableHelo {
            server: 1,
            problem: want,
        };
        assert_eq!(
            planned.diagnostics,
            std::slice::from_ref(&diagnostic),
            "{helo}"
        );
        assert_eq!(diagnostic.severity(), Severity::Error);
        assert_eq!(diagnostic.path(), "servers[1].helo");
        assert!(diagnostic.to_string().contains("HELO name"), "{diagnostic}");
        assert_eq!(planned.zones, clean.zones, "{helo}: every other record");
    }
}

#[test]
fn a_helo_name_two_servers_announce_is_published_by_neither() {
    // However the second spells it: case and a trailing dot do not matter.
    for other in ["Smtp.example.com", "smtp.example.com."] {
        let yaml = with_helo("smtp.example.com").replace(
            "    ipv4: [198.51.100.1]\n",
            &format!("    ipv4: [198.51.100.1]\n    helo: {other}\n"),
        );
        announced_by_both(&yaml);
    }
    // Announced by one server alone, the same name is published.
    let single = plan(&with_helo("smtp.example.com."));
    assert_eq!(txt(&single, "smtp.example.com"), "v=spf1 a -all");
}

fn announced_by_both(yaml: &str) {
    let planned = plan_with_diagnostics(yaml);
    let servers: Vec<usize> = planned
        .diagnostics
        .iter()
        .map(|d| match d {
            Diagnostic::UnpublishableHelo {
                server,
                problem: HeloProblem::Taken { name },
            } if name == "smtp.example.com" => *server,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(servers, [0, 1]);
    let owners: Vec<&str> = planned
        .zones
        .iter()
        .flat_map(|z| &z.records)
        .map(|r| r.owner.as_str())
        .collect();
    assert!(!owners.contains(&"smtp.example.com"), "{owners:?}");
}

#[test]
fn an_spf_record_over_the_lookup_limit_is_an_error_diagnostic() {
    let includes: Vec<String> = (0..11).map(|i| format!("_spf.p{i}.example")).collect();
    let extra = format!("    include: [{}]\n", includes.join(", "));
    let planned = plan_with_diagnostics(&inventory_with(&["198.51.100.1".to_owned()], &extra));
    let [diagnostic] = planned.diagnostics.as_slice() else {
        panic!("{:?}", planned.diagnostics);
    };
    let Diagnostic::Spf {
        domain: 0,
        problem: SpfProblem::OverLookupLimit { owner, costs },
    } = diagnostic
    else {
        panic!("{diagnostic:?}");
    };
    assert_eq!(owner, "example.com");
    assert_eq!(costs.len(), 11);
    assert!(costs.iter().all(|c| !c.chained));
    assert_eq!(costs[0].term.to_string(), "include:_spf.p0.example");
    assert_eq!(diagnostic.severity(), Severity::Error);
    assert_eq!(diagnostic.path(), "domains[0]");
    let message = diagnostic.to_string();
    assert!(
        message.contains("needs 11 DNS-querying terms, more than the 10"),
        "{message}"
    );
    assert!(message.ends_with("\n  include:_spf.p10.example: 1 (plus whatever it includes)"));
    // The domain has no SPF record; its servers' records are planned.
    let spf_owners: Vec<&str> = planned
        .zones
        .iter()
        .flat_map(|z| &z.records)
        .filter(|r| {
            r.data
                .txt_joined()
                .is_some_and(|t| t.starts_with(b"v=spf1 ip4"))
        })
        .map(|r| r.owner.as_str())
        .collect();
    assert_eq!(spf_owners, Vec::<&str>::new());
    assert_eq!(txt(&planned, "m0.example.com"), "v=spf1 a -all");
    // Exactly ten fit.
    let extra = format!("    include: [{}]\n", includes[..10].join(", "));
    plan(&inventory_with(&["198.51.100.1".to_owned()], &extra));
}

#[test]
fn chaining_links_count_toward_the_lookup_limit() {
    // Non-adjacent addresses: about 25 terms a record, 12 links.
    let addresses: Vec<String> = (0..300)
        .map(|i| format!("198.51.{}.{}", i / 100, 2 * (i % 100) + 1))
        .collect();
    let planned = plan_with_diagnostics(&inventory_with(&addresses, ""));
    let [
        Diagnostic::Spf {
            problem: SpfProblem::OverLookupLimit { costs, .. },
            ..
        },
    ] = planned.diagnostics.as_slice()
    else {
        panic!("{:?}", planned.diagnostics);
    };
    assert!(
        costs.len() > 10 && costs.iter().all(|c| c.chained),
        "{costs:?}"
    );
    assert_eq!(costs[0].term.to_string(), "include:_spf1.example.com");
}

#[test]
fn dmarc_reports_to_a_foreign_domain_are_a_warning() {
    let extra = "    dmarc:\n      policy: reject\n      rua: [mailto:d@reports.example]\n";
    let planned = plan_with_diagnostics(&inventory_with(&["198.51.100.1".to_owned()], extra));
    let want = Diagnostic::ForeignReportAuthorization {
        domain: 0,
        report_domain: "reports.example".to_owned(),
        owner: "example.com._report._dmarc.reports.example".into(),
    };
    assert_eq!(planned.diagnostics, std::slice::from_ref(&want));
    assert_eq!(want.severity(), Severity::Warning);
    assert_eq!(want.path(), "domains[0].dmarc");
    assert!(txt(&planned, "_dmarc.example.com").starts_with("v=DMARC1; p=reject"));
}
