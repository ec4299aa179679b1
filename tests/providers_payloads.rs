//! Provider payloads checked field by field against the documented shapes
//! (formats.md §4.1–4.5) for every record type the planner emits, on a
//! plan built here with what an inventory never produces: a 600-octet SPF
//! in three strings, TXT with `"`, `\`, `;` and control octets, an RFC
//! 2317 slash zone with its parent's CNAMEs, IPv6 PTR owners.

use std::net::IpAddr;

use serde_json::Value;

use senderzone::dns::{Txt, reverse_name};
use senderzone::records::spf_text::split_strings;
use senderzone::records::{Plan, Record, RecordData, ZonePlan, ZoneRole};
use senderzone::render::{Provider, Render, Template};

const DMARC: &[u8] = b"v=DMARC1; p=reject; x=\"q\" y=\\z";

/// A 600-octet SPF record: ip4 terms, an include padded to fit, `-all`.
fn spf600() -> Vec<u8> {
    let mut text = String::from("v=spf1");
    let mut i = 0;
    while text.len() + " ip4:198.51.100.255".len() + 60 <= 600 {
        text.push_str(&format!(" ip4:198.51.100.{i}"));
        i += 1;
    }
    let label = 600 - text.len() - " include:.example.test -all".len();
    text.push_str(&format!(" include:{}.example.test -all", "x".repeat(label)));
    assert_eq!(text.len(), 600);
    text.into_bytes()
}

fn record(owner: &str, ttl: u32, data: RecordData) -> Record {
    Record {
        owner: owner.into(),
        ttl,
        data,
    }
}

fn special_plan() -> Plan {
    let v6: IpAddr = "2001:db8:10::25".parse().unwrap();
    Plan {
        default_ttl: 3600,
        diagnostics: Vec::new(),
        zones: vec![
            ZonePlan {
                origin: "example.test".into(),
                role: ZoneRole::Forward,
                records: vec![
                    record(
                        "example.test",
                        600,
                        RecordData::Txt(split_strings(&spf600()).into()),
                    ),
                    record(
                        "_dmarc.example.test",
                        3600,
                        RecordData::Txt(vec![DMARC.to_vec()].into()),
                    ),
                    record(
                        "mail.example.test",
                        300,
                        RecordData::A([198, 51, 100, 65].into()),
                    ),
                    record(
                        "mail.example.test",
                        300,
                        RecordData::A([198, 51, 100, 66].into()),
                    ),
                    record(
                        "mail.example.test",
                        300,
                        RecordData::Aaaa("2001:db8:10::25".parse().unwrap()),
                    ),
                    record(
                        "mail.example.test",
                        300,
                        RecordData::Txt(vec![b"v=spf1 a -all".to_vec()].into()),
                    ),
                    record(
                        "ctl.example.test",
                        300,
                        RecordData::Txt(vec![b"bell\x07 del\x7f high\xff".to_vec()].into()),
                    ),
                ],
            },
            ZonePlan {
                origin: "100.51.198.in-addr.arpa".into(),
                role: ZoneRole::ClasslessParent {
                    child: "64/26.100.51.198.in-addr.arpa".into(),
                },
                records: vec![record(
                    "65.100.51.198.in-addr.arpa",
                    3600,
                    RecordData::Cname("65.64/26.100.51.198.in-addr.arpa".to_owned()),
                )],
            },
            ZonePlan {
                origin: "64/26.100.51.198.in-addr.arpa".into(),
                role: ZoneRole::Reverse,
                records: vec![record(
                    "65.64/26.100.51.198.in-addr.arpa",
                    3600,
                    RecordData::Ptr("mail.example.test".to_owned()),
                )],
            },
            ZonePlan {
                origin: "0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa".into(),
                role: ZoneRole::Reverse,
                records: vec![record(
                    &reverse_name(v6),
                    3600,
                    RecordData::Ptr("mail.example.test".to_owned()),
                )],
            },
        ],
    }
}

/// The stdout form: one JSON object keyed by zone.
fn render_plan(provider: Provider, plan: &Plan) -> Value {
    let mut out = Vec::new();
    Template::provider(provider)
        .render_plan(plan, &mut out)
        .unwrap();
    serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{provider:?}: {e}\n{}", String::from_utf8_lossy(&out)))
}

/// One zone as `--out` writes it.
fn render_zone(provider: Provider, plan: &Plan, zone: usize) -> Result<Value, String> {
    let out = Template::provider(provider)
        .render_zone(plan, &plan.zones[zone])
        .map_err(|e| e.to_string())?;
    Ok(serde_json::from_slice(&out).unwrap())
}

/// Parses RFC 1035 quoted character-strings (`"a\"b" "c\065"`) back to
/// octets; `octal` reads `\NNN` as Route 53 does.
fn unquote(text: &str, octal: bool) -> Vec<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut strings = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        assert_eq!(bytes[i], b'"', "string starts with a quote in {text}");
        i += 1;
        let mut string = Vec::new();
        loop {
            match bytes[i] {
                b'"' => break,
                b'\\' if bytes[i + 1].is_ascii_digit() => {
                    let digits = std::str::from_utf8(&bytes[i + 1..i + 4]).unwrap();
                    let radix = if octal { 8 } else { 10 };
                    string.push(u8::from_str_radix(digits, radix).unwrap());
                    i += 4;
                }
                b'\\' => {
                    string.push(bytes[i + 1]);
                    i += 2;
                }
                byte => {
                    assert!((0x20..0x7f).contains(&byte), "raw {byte:#x} in {text}");
                    string.push(byte);
                    i += 1;
                }
            }
        }
        assert!(string.len() <= 255, "string of {} octets", string.len());
        strings.push(string);
        i += 1;
        if i < bytes.len() {
            assert_eq!(bytes[i], b' ', "strings separated by one space in {text}");
            i += 1;
        }
    }
    strings
}

fn txt_of<'a>(plan: &'a Plan, owner: &str) -> &'a Txt {
    plan.zones
        .iter()
        .flat_map(|z| &z.records)
        .find_map(|r| match &r.data {
            RecordData::Txt(strings) if r.owner == owner => Some(strings),
            _ => None,
        })
        .unwrap()
}

fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[test]
fn the_600_octet_spf_spans_three_strings() {
    let plan = special_plan();
    assert_eq!(
        txt_of(&plan, "example.test")
            .iter()
            .map(|s| s.len())
            .sum::<usize>(),
        600
    );
    assert_eq!(txt_of(&plan, "example.test").len(), 3);
}

#[test]
fn cloudflare_record_bodies() {
    let plan = special_plan();
    let whole = render_plan(Provider::Cloudflare, &plan);
    assert_eq!(
        keys(&whole),
        [
            "0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
            "100.51.198.in-addr.arpa.",
            "64/26.100.51.198.in-addr.arpa.",
            "example.test."
        ]
    );
    let mut seen = 0;
    for zone in &plan.zones {
        let bodies = whole[format!("{}.", zone.origin)].as_array().unwrap();
        assert_eq!(bodies.len(), zone.records.len());
        for (body, record) in bodies.iter().zip(&zone.records) {
            let kind = record.data.type_name();
            assert_eq!(body["type"], kind.as_ref());
            assert_eq!(body["name"], record.owner.as_str(), "no trailing dot");
            assert_eq!(body["ttl"], record.ttl);
            let content = body["content"].as_str().unwrap();
            match &record.data {
                RecordData::A(_) | RecordData::Aaaa(_) => {
                    assert_eq!(content, record.data.to_string());
                    assert_eq!(body["proxied"], false);
                    assert_eq!(keys(body), ["content", "name", "proxied", "ttl", "type"]);
                }
                RecordData::Cname(target) | RecordData::Ptr(target) => {
                    assert_eq!(content, target.as_str());
                    assert_eq!(
                        body["proxied"].as_bool(),
                        (kind == "CNAME").then_some(false)
                    );
                }
                RecordData::Txt(strings) => {
                    assert_eq!(&unquote(content, false), strings, "{content}");
                    assert_eq!(keys(body), ["content", "name", "ttl", "type"]);
                }
                other => panic!("unexpected {other:?}"),
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 10);
    let dmarc = &whole["example.test."][1]["content"];
    assert_eq!(dmarc, r#""v=DMARC1; p=reject; x=\"q\" y=\\z""#);
    let ctl = &whole["example.test."][6]["content"];
    assert_eq!(ctl, r#""bell\007 del\127 high\255""#, "decimal escapes");
    // --out: one array per zone, the same as its stdout entry
    assert_eq!(
        render_zone(Provider::Cloudflare, &plan, 2).unwrap(),
        whole["64/26.100.51.198.in-addr.arpa."]
    );
}

#[test]
fn cloudflare_batch_posts_the_same_bodies() {
    let plan = special_plan();
    let records = render_plan(Provider::Cloudflare, &plan);
    let batch = render_plan(Provider::CloudflareBatch, &plan);
    for zone in &plan.zones {
        let key = format!("{}.", zone.origin);
        assert_eq!(keys(&batch[&key]), ["posts"]);
        assert_eq!(batch[&key]["posts"], records[&key]);
    }
}

#[test]
fn route53_change_batches() {
    let plan = special_plan();
    let whole = render_plan(Provider::Route53, &plan);
    let forward = &whole["example.test."];
    assert_eq!(keys(forward), ["Changes", "Comment"]);
    let changes = forward["Changes"].as_array().unwrap();
    // one change per RRset: TXT, TXT, A (two values), AAAA, TXT, TXT
    assert_eq!(changes.len(), 6);
    for change in changes {
        assert_eq!(keys(change), ["Action", "ResourceRecordSet"]);
        assert_eq!(change["Action"], "UPSERT");
        let set = &change["ResourceRecordSet"];
        assert_eq!(keys(set), ["Name", "ResourceRecords", "TTL", "Type"]);
        assert!(set["Name"].as_str().unwrap().ends_with('.'));
        let owner = set["Name"].as_str().unwrap().trim_end_matches('.');
        let planned: Vec<&Record> = plan.zones[0]
            .records
            .iter()
            .filter(|r| r.owner == owner && r.data.type_name() == set["Type"].as_str().unwrap())
            .collect();
        assert_eq!(set["TTL"], planned[0].ttl);
        let values = set["ResourceRecords"].as_array().unwrap();
        assert_eq!(values.len(), planned.len());
        for (value, record) in values.iter().zip(&planned) {
            assert_eq!(keys(value), ["Value"]);
            let value = value["Value"].as_str().unwrap();
            match &record.data {
                RecordData::Txt(strings) => {
                    assert_eq!(&unquote(value, true), strings, "{value}");
                }
                other => assert_eq!(value, other.to_string()),
            }
        }
    }
    let by_name = |name: &str| {
        changes
            .iter()
            .find(|c| c["ResourceRecordSet"]["Name"] == name)
            .unwrap()["ResourceRecordSet"]["ResourceRecords"][0]["Value"]
            .clone()
    };
    assert_eq!(
        by_name("ctl.example.test."),
        r#""bell\007 del\177 high\377""#,
        "octal escapes"
    );
    assert_eq!(
        by_name("_dmarc.example.test."),
        r#""v=DMARC1; p=reject; x=\"q\" y=\\z""#
    );
    // all strings of the 600-octet record in one Value
    assert_eq!(
        unquote(by_name("example.test.").as_str().unwrap(), true).len(),
        3
    );
    // RFC 2317 names: `/` as Route 53's octal escape, owner and target
    let parent = &whole["100.51.198.in-addr.arpa."]["Changes"][0]["ResourceRecordSet"];
    assert_eq!(parent["Type"], "CNAME");
    assert_eq!(
        parent["ResourceRecords"][0]["Value"],
        r"65.64\05726.100.51.198.in-addr.arpa."
    );
    let child = &whole["64/26.100.51.198.in-addr.arpa."]["Changes"][0]["ResourceRecordSet"];
    assert_eq!(child["Name"], r"65.64\05726.100.51.198.in-addr.arpa.");
    assert_eq!(child["ResourceRecords"][0]["Value"], "mail.example.test.");
    let v6 = &whole["0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa."]["Changes"][0]["ResourceRecordSet"];
    assert_eq!(
        v6["Name"],
        "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
    );
    assert_eq!(v6["Type"], "PTR");
}

#[test]
fn route53_refuses_a_value_over_4000_characters() {
    let mut plan = special_plan();
    let text = vec![b'x'; 3970];
    plan.zones[0].records[1].data = RecordData::Txt(split_strings(&text).into());
    // 3970 octets + 16 strings × 2 quotes + 15 spaces = 4017 characters
    let err = render_zone(Provider::Route53, &plan, 0).unwrap_err();
    assert!(
        err.contains("4017 characters") && err.contains("at most 4000"),
        "{err}"
    );
    assert!(err.contains("zone `example.test.`"), "{err}");
    let text = vec![b'x'; 3950];
    plan.zones[0].records[1].data = RecordData::Txt(split_strings(&text).into());
    render_zone(Provider::Route53, &plan, 0).expect("3950 + 32 + 15 = 3997 fits");
}

#[test]
fn gcloud_change_additions() {
    let plan = special_plan();
    let whole = render_plan(Provider::Gcloud, &plan);
    for zone in &plan.zones {
        let change = &whole[format!("{}.", zone.origin)];
        assert_eq!(keys(change), ["additions"]);
        let additions = change["additions"].as_array().unwrap();
        let mut records = zone.records.iter();
        for set in additions {
            assert_eq!(keys(set), ["name", "rrdatas", "ttl", "type"]);
            for rrdata in set["rrdatas"].as_array().unwrap() {
                let record = records.next().unwrap();
                assert_eq!(set["name"], format!("{}.", record.owner));
                assert_eq!(set["type"], record.data.type_name().as_ref());
                assert_eq!(set["ttl"], record.ttl);
                let rrdata = rrdata.as_str().unwrap();
                match &record.data {
                    RecordData::Txt(strings) => assert_eq!(&unquote(rrdata, false), strings),
                    other => assert_eq!(rrdata, other.to_string(), "targets end in a dot"),
                }
            }
        }
        assert!(records.next().is_none(), "every record in one addition");
    }
    assert_eq!(
        whole["100.51.198.in-addr.arpa."]["additions"][0]["rrdatas"][0],
        "65.64/26.100.51.198.in-addr.arpa."
    );
}

#[test]
fn powerdns_rrsets_replace_one_per_name_and_type() {
    let plan = special_plan();
    let whole = render_plan(Provider::Powerdns, &plan);
    assert_eq!(
        keys(&whole),
        [
            "0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
            "100.51.198.in-addr.arpa.",
            "64=2F26.100.51.198.in-addr.arpa.",
            "example.test."
        ],
        "keyed by zone id"
    );
    let rrsets = whole["example.test."]["rrsets"].as_array().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for set in rrsets {
        assert_eq!(
            keys(set),
            ["changetype", "comments", "name", "records", "ttl", "type"]
        );
        assert_eq!(set["changetype"], "REPLACE");
        assert!(set["name"].as_str().unwrap().ends_with('.'));
        assert!(seen.insert((set["name"].to_string(), set["type"].to_string())));
        for record in set["records"].as_array().unwrap() {
            assert_eq!(keys(record), ["content", "disabled"]);
            assert_eq!(record["disabled"], false);
        }
    }
    assert_eq!(rrsets.len(), 6);
    let ptr = &whole["64=2F26.100.51.198.in-addr.arpa."]["rrsets"][0];
    assert_eq!(ptr["name"], "65.64/26.100.51.198.in-addr.arpa.");
    assert_eq!(ptr["records"][0]["content"], "mail.example.test.");
}

#[test]
fn digitalocean_record_bodies_and_no_reverse_zones() {
    let mut plan = special_plan();
    let template = Template::provider(Provider::Digitalocean);
    // Reverse zones are left out with the droplet-name advice.
    let reasons: Vec<Option<String>> = plan.zones.iter().map(|z| template.skip_reason(z)).collect();
    assert!(reasons[0].is_none());
    assert!(reasons[1].as_deref().unwrap().contains("RFC 2317 CNAMEs"));
    for reason in &reasons[2..] {
        let reason = reason.as_deref().unwrap();
        assert!(
            reason.contains("no PTR records") && reason.contains("mail.example.test"),
            "{reason}"
        );
    }
    // DigitalOcean rejects a backslash and raw TXT over 509 octets.
    let err = render_zone(Provider::Digitalocean, &plan, 0).unwrap_err();
    assert!(err.contains("600 octets") && err.contains("509"), "{err}");
    plan.zones[0].records[0].data = RecordData::Txt(split_strings(&spf600()[91..]).into());
    let err = render_zone(Provider::Digitalocean, &plan, 0).unwrap_err();
    assert!(err.contains("`\\`"), "{err}");
    plan.zones[0].records[1].data =
        RecordData::Txt(vec![b"v=DMARC1; p=reject; q=\"x\"".to_vec()].into());
    let err = render_zone(Provider::Digitalocean, &plan, 0).unwrap_err();
    assert!(err.contains("not UTF-8"), "{err}");
    plan.zones[0].records[6].data = RecordData::Txt(vec![b"bell\x07 del\x7f".to_vec()].into());
    let bodies = render_zone(Provider::Digitalocean, &plan, 0).unwrap();
    let bodies = bodies.as_array().unwrap();
    assert_eq!(bodies.len(), plan.zones[0].records.len());
    for (body, record) in bodies.iter().zip(&plan.zones[0].records) {
        assert_eq!(
            keys(body),
            [
                "data", "flags", "name", "port", "priority", "tag", "ttl", "type", "weight"
            ]
        );
        for null in ["flags", "port", "priority", "tag", "weight"] {
            assert!(body[null].is_null());
        }
        let relative = record.owner.strip_suffix(".example.test").unwrap_or("@");
        assert_eq!(body["name"], relative);
        assert_eq!(body["type"], record.data.type_name().as_ref());
        assert_eq!(body["ttl"], record.ttl);
        let data = body["data"].as_str().unwrap();
        match &record.data {
            RecordData::Txt(strings) => assert_eq!(data.as_bytes(), strings.concat(), "raw"),
            other => assert_eq!(data, other.to_string()),
        }
    }
    assert_eq!(bodies[0]["data"].as_str().unwrap().len(), 509);
}
