//! The OpenSPF RFC 7208 conformance suite, driven through `MemoryZone` and `check_host`.
//!
//! The suite is read from `../shared/testdata/spf/rfc7208-tests.yml` beside
//! the crate (or from `$SENDERZONE_SPF_SUITE`) and follows the harness
//! procedure of its README: one zone per scenario with the SPF-to-TXT
//! synthesis rule, lookup limit 10, void limit 2, default explanation
//! `DEFAULT`, explanations compared case-insensitively on `fail`.

use std::net::IpAddr;

use senderzone::dns::Mx;
use senderzone::dns::memory::{MemoryZone, RecordData};
use senderzone::spf::{CheckParams, Config, SpfResult, check_host};
use serde::Deserialize;
use serde_yaml::Value;

const SUITE_CASES: usize = 203;

fn suite_path() -> String {
    std::env::var("SENDERZONE_SPF_SUITE").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/testdata/spf/rfc7208-tests.yml"
        )
        .to_owned()
    })
}

/// YAML `\xNN` escapes decode to U+00NN; serve them as the single octet NN.
fn octets(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match u8::try_from(u32::from(c)) {
            Ok(b) => out.push(b),
            Err(_) => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("expected a scalar, got {other:?}"),
    }
}

fn strings(value: &Value) -> Vec<Vec<u8>> {
    match value {
        Value::Sequence(items) => items.iter().map(|v| octets(&text(v))).collect(),
        scalar => vec![octets(&text(scalar))],
    }
}

fn build_zone(zonedata: &Value) -> MemoryZone {
    let mut zone = MemoryZone::new();
    let Value::Mapping(owners) = zonedata else {
        return zone;
    };
    for (owner, entries) in owners {
        let owner = text(owner);
        let entries = entries.as_sequence().cloned().unwrap_or_default();
        // pyspf's getrdata rule: SPF entries are served as TXT only when
        // the owner lists no TXT entry at all (`TXT: NONE` included).
        let has_txt = entries
            .iter()
            .any(|e| e.as_mapping().is_some_and(|m| m.contains_key("TXT")));
        for entry in &entries {
            let Value::Mapping(map) = entry else {
                assert_eq!(text(entry), "TIMEOUT", "unknown zonedata entry at {owner}");
                zone.insert_timeout(&owner);
                continue;
            };
            for (rtype, value) in map {
                let data = match text(rtype).as_str() {
                    "SPF" if has_txt => RecordData::Other {
                        rtype: 99,
                        rdata: strings(value).concat(),
                    },
                    "SPF" => RecordData::Txt(strings(value)),
                    "TXT" if text(value) == "NONE" => continue,
                    "TXT" => RecordData::Txt(strings(value)),
                    "A" => RecordData::A(text(value).parse().expect("A")),
                    "AAAA" => RecordData::Aaaa(text(value).parse().expect("AAAA")),
                    "MX" => {
                        let pair = value.as_sequence().expect("MX pair");
                        RecordData::Mx(Mx {
                            preference: text(&pair[0]).parse().expect("MX preference"),
                            exchange: text(&pair[1]),
                        })
                    }
                    "PTR" => RecordData::Ptr(text(value)),
                    "CNAME" => RecordData::Cname(text(value)),
                    other => panic!("unknown record type {other} at {owner}"),
                };
                zone.insert(&owner, data);
            }
        }
    }
    zone
}

fn parse_result(name: &str) -> SpfResult {
    match name {
        "none" => SpfResult::None,
        "neutral" => SpfResult::Neutral,
        "pass" => SpfResult::Pass,
        "fail" => SpfResult::Fail,
        "softfail" => SpfResult::Softfail,
        "temperror" => SpfResult::Temperror,
        "permerror" => SpfResult::Permerror,
        other => panic!("unknown result {other}"),
    }
}

#[tokio::test]
async fn rfc7208_suite() {
    let path = suite_path();
    let yaml = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let config = Config {
        default_explanation: "DEFAULT".to_owned(),
        timestamp: Some(1_000_000_000),
        ..Config::default()
    };
    let (mut preferred, mut alternative, mut total) = (0, 0, 0);
    let mut failures = Vec::new();
    for document in serde_yaml::Deserializer::from_str(&yaml) {
        let scenario = Value::deserialize(document).expect("scenario");
        let zone = build_zone(&scenario["zonedata"]);
        let Value::Mapping(tests) = &scenario["tests"] else {
            continue;
        };
        for (name, case) in tests {
            total += 1;
            let name = text(name);
            let ip: IpAddr = text(&case["host"]).parse().expect("host");
            let params = CheckParams::mail_from(ip, &text(&case["mailfrom"]), &text(&case["helo"]));
            let accepted: Vec<SpfResult> = match &case["result"] {
                Value::Sequence(list) => list.iter().map(|v| parse_result(&text(v))).collect(),
                one => vec![parse_result(&text(one))],
            };
            let evaluation = check_host(&zone, &params, &config).await;
            let want_exp = case.get("explanation").map(text);
            let exp_ok = match (&want_exp, evaluation.result) {
                (Some(want), SpfResult::Fail) => evaluation
                    .explanation
                    .as_deref()
                    .is_some_and(|got| got.eq_ignore_ascii_case(want)),
                _ => true,
            };
            match accepted.iter().position(|r| *r == evaluation.result) {
                Some(0) if exp_ok => preferred += 1,
                Some(_) if exp_ok => alternative += 1,
                _ => failures.push(format!(
                    "{name}: expected {accepted:?} explanation {want_exp:?}, got {} explanation {:?}\n{evaluation}",
                    evaluation.result, evaluation.explanation
                )),
            }
        }
    }
    let passed = preferred + alternative;
    println!(
        "SPF conformance: {passed}/{total} passed ({preferred} preferred, {alternative} alternative)"
    );
    for failure in &failures {
        println!("FAILED {failure}");
    }
    assert_eq!(
        total, SUITE_CASES,
        "the suite should hold {SUITE_CASES} cases"
    );
    assert!(failures.is_empty(), "{} case(s) failed", failures.len());
}
