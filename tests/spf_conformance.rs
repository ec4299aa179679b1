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
use senderzone::spf::{
    CheckParams, Config, Profile, Severity, SpfResult, TraceEvent, check_host, lint_domain,
    lint_record,
};
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

struct Case {
    name: String,
    params: CheckParams,
    accepted: Vec<SpfResult>,
    explanation: Option<String>,
}

/// Every scenario of the suite: its zone and its cases.
fn load_suite() -> Vec<(MemoryZone, Vec<Case>)> {
    let path = suite_path();
    let yaml = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut scenarios = Vec::new();
    for document in serde_yaml::Deserializer::from_str(&yaml) {
        let scenario = Value::deserialize(document).expect("scenario");
        let zone = build_zone(&scenario["zonedata"]);
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
        scenarios.push((zone, cases));
    }
    scenarios
}

fn suite_config() -> Config {
    Config {
        default_explanation: "DEFAULT".to_owned(),
        timestamp: Some(1_000_000_000),
        ..Config::default()
    }
}

#[tokio::test]
async fn rfc7208_suite() {
    let config = suite_config();
    let (mut preferred, mut alternative, mut total) = (0, 0, 0);
    let mut failures = Vec::new();
    for (zone, cases) in load_suite() {
        for case in cases {
            total += 1;
            let evaluation = check_host(&zone, &case.params, &config).await;
            let exp_ok = match (&case.explanation, evaluation.result) {
                (Some(want), SpfResult::Fail) => evaluation
                    .explanation
                    .as_deref()
                    .is_some_and(|got| got.eq_ignore_ascii_case(want)),
                _ => true,
            };
            match case.accepted.iter().position(|r| *r == evaluation.result) {
                Some(0) if exp_ok => preferred += 1,
                Some(_) if exp_ok => alternative += 1,
                _ => failures.push(format!(
                    "{}: expected {:?} explanation {:?}, got {} explanation {:?}\n{evaluation}",
                    case.name,
                    case.accepted,
                    case.explanation,
                    evaluation.result,
                    evaluation.explanation
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

/// The linter agrees with the evaluator on the suite: a record the
/// evaluator rejects for syntax gets `spf-syntax`, a record of a case that
/// ends in pass/fail/softfail/neutral gets none, and every permerror case
/// gets at least one error from `lint_domain`.
#[tokio::test]
async fn lint_agrees_with_suite() {
    let config = suite_config();
    let profile = Profile::default();
    let (mut syntax_cases, mut clean_records) = (0, 0);
    let mut problems = Vec::new();
    for (zone, cases) in load_suite() {
        for case in cases {
            let evaluation = check_host(&zone, &case.params, &config).await;
            let records: Vec<(&str, &str)> = evaluation
                .trace
                .steps
                .iter()
                .filter_map(|s| match &s.event {
                    TraceEvent::Record { text } => Some((s.domain.as_str(), text.as_str())),
                    _ => None,
                })
                .collect();
            let has_syntax = |text: &str| {
                lint_record(&[text.as_bytes()], &profile)
                    .iter()
                    .any(|f| f.id == "spf-syntax" && f.severity == Severity::Error)
            };
            match evaluation.result {
                SpfResult::Permerror => {
                    let syntax_domain =
                        evaluation.trace.steps.iter().find_map(|s| match &s.event {
                            TraceEvent::Result { reason, .. }
                                if reason.starts_with("syntax error") =>
                            {
                                Some(s.domain.as_str())
                            }
                            _ => None,
                        });
                    if let Some(domain) = syntax_domain {
                        syntax_cases += 1;
                        let text = records.iter().rev().find(|r| r.0 == domain).unwrap().1;
                        if !has_syntax(text) {
                            problems.push(format!("{}: no spf-syntax for {text:?}", case.name));
                        }
                    }
                    let lint = lint_domain(&zone, &case.params.domain, &profile).await;
                    if lint.worst() != Some(Severity::Error) {
                        problems.push(format!(
                            "{}: permerror but lint_domain found no error: {:?}",
                            case.name, lint.findings
                        ));
                    }
                }
                SpfResult::Pass | SpfResult::Fail | SpfResult::Softfail | SpfResult::Neutral => {
                    for (_, text) in &records {
                        clean_records += 1;
                        if has_syntax(text) {
                            problems.push(format!("{}: spf-syntax for valid {text:?}", case.name));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    println!(
        "SPF lint vs suite: {syntax_cases} syntax permerror cases flagged, {clean_records} valid records clean"
    );
    for problem in &problems {
        println!("MISMATCH {problem}");
    }
    assert!(syntax_cases >= 40, "only {syntax_cases} syntax cases found");
    assert!(problems.is_empty(), "{} mismatch(es)", problems.len());
}
