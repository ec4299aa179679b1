//! Loads the OpenSPF RFC 7208 suite into `MemoryZone`s and judges results.
//!
//! Shared by the conformance test and the benchmark. The suite is never
//! copied into the repository: it is read from `$SENDERZONE_SPF_SUITE`, else
//! from `../shared/testdata/spf/rfc7208-tests.yml` beside the crate, else
//! from `target/spf-suite/rfc7208-tests.yml`, where `scripts/test` keeps the
//! copy it takes from pyspf 2.0.14 on PyPI (sha256-pinned). Zones follow the
//! suite README: one per scenario, `TIMEOUT` markers, and the SPF-to-TXT
//! synthesis rule of the pyspf driver.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use senderzone::dns::Mx;
use senderzone::dns::RecordData;
use senderzone::dns::memory::MemoryZone;
use senderzone::spf::{CheckParams, Config, Evaluation, SpfResult};
use serde::Deserialize;
use serde_yaml::Value;

/// Cases in the pinned suite.
pub const SUITE_CASES: usize = 203;

/// Where the suite is read from; see the module documentation.
fn suite_path() -> PathBuf {
    if let Some(path) = std::env::var_os("SENDERZONE_SPF_SUITE") {
        return path.into();
    }
    let shared =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/spf/rfc7208-tests.yml");
    if shared.is_file() {
        return shared;
    }
    // target/debug/senderzone → target
    Path::new(env!("CARGO_BIN_EXE_senderzone"))
        .ancestors()
        .nth(2)
        .expect("the binary lies two levels below the target directory")
        .join("spf-suite/rfc7208-tests.yml")
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

fn build_zone(zonedata: &Value) -> (MemoryZone, Vec<String>) {
    let mut zone = MemoryZone::new();
    let mut records = Vec::new();
    let Value::Mapping(owners) = zonedata else {
        return (zone, records);
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
                    "SPF" => RecordData::Txt(strings(value).into()),
                    "TXT" if text(value) == "NONE" => continue,
                    "TXT" => RecordData::Txt(strings(value).into()),
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
                if let RecordData::Txt(strings) = &data {
                    let joined = String::from_utf8_lossy(&strings.concat()).into_owned();
                    if senderzone::spf::is_spf_record(joined.as_bytes()) {
                        records.push(joined);
                    }
                }
                zone.insert(&owner, data);
            }
        }
    }
    (zone, records)
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

/// One test case: the check to run and the results it accepts.
pub struct Case {
    /// The case name, e.g. `include-none`.
    pub name: String,
    /// The identity and client.
    pub params: CheckParams,
    /// Accepted results, the preferred one first.
    pub accepted: Vec<SpfResult>,
    /// The expected explanation of a fail, if the case gives one.
    pub explanation: Option<String>,
}

/// One scenario: its zone, its cases, and the text of every SPF record in the zone.
pub struct Scenario {
    /// The zone built from `zonedata`.
    pub zone: MemoryZone,
    /// The cases run against it.
    pub cases: Vec<Case>,
    /// Every `v=spf1` text served as TXT, character-strings joined.
    pub records: Vec<String>,
}

/// How a result compares with a case's expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The first listed result (and the explanation, on fail).
    Preferred,
    /// Another listed result.
    Alternative,
    /// Not accepted.
    Failed,
}

/// Judges an evaluation as the suite README says: the result must be
/// listed; on `fail`, a given explanation must match case-insensitively.
pub fn judge(case: &Case, evaluation: &Evaluation) -> Verdict {
    let explanation_ok = match (&case.explanation, evaluation.result) {
        (Some(want), SpfResult::Fail) => evaluation
            .explanation
            .as_deref()
            .is_some_and(|got| got.eq_ignore_ascii_case(want)),
        _ => true,
    };
    match case.accepted.iter().position(|r| *r == evaluation.result) {
        Some(0) if explanation_ok => Verdict::Preferred,
        Some(_) if explanation_ok => Verdict::Alternative,
        _ => Verdict::Failed,
    }
}

/// Every scenario of the suite: its zone and its cases.
pub fn load_suite() -> Vec<Scenario> {
    let path = suite_path();
    let yaml = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "RFC 7208 suite `{}`: {e}: run scripts/test, which fetches it when \
             ../shared is absent, or name it in SENDERZONE_SPF_SUITE",
            path.display()
        )
    });
    let mut scenarios = Vec::new();
    for document in serde_yaml::Deserializer::from_str(&yaml) {
        let scenario = Value::deserialize(document).expect("scenario");
        let (zone, records) = build_zone(&scenario["zonedata"]);
        let Value::Mapping(tests) = &scenario["tests"] else {
            continue;
        };
        let cases = tests
            .iter()
            .map(|(name, case)| {
                let ip: IpAddr = text(&case["host"]).parse().expect("host");
                Case {
                    name: text(name),
                    params: CheckParams::mail_from(
                        ip,
                        &text(&case["mailfrom"]),
                        &text(&case["helo"]),
                    ),
                    accepted: match &case["result"] {
                        Value::Sequence(list) => {
                            list.iter().map(|v| parse_result(&text(v))).collect()
                        }
                        one => vec![parse_result(&text(one))],
                    },
                    explanation: case.get("explanation").map(text),
                }
            })
            .collect();
        scenarios.push(Scenario {
            zone,
            cases,
            records,
        });
    }
    scenarios
}

/// Limits 10 and 2, default explanation `DEFAULT`, a fixed `%{t}`.
pub fn suite_config() -> Config {
    Config {
        default_explanation: "DEFAULT".to_owned(),
        timestamp: Some(1_000_000_000),
        ..Config::default()
    }
}
