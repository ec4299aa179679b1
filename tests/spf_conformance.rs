//! The OpenSPF RFC 7208 conformance suite, driven through `MemoryZone` and `check_host`.
//!
//! Follows the harness procedure of the suite README (see `spf_suite`):
//! lookup limit 10, void limit 2, default explanation `DEFAULT`,
//! explanations compared case-insensitively on `fail`. Each case is run
//! again through `check_host_cached`, with one cache for the whole suite,
//! and must give the same evaluation, trace and all, and through
//! `check_host_result`, which must give the same result. Prints
//! `SPF conformance: N/203 passed (P preferred, A alternative)`.

use crate::spf_suite::{SUITE_CASES, Scenario, Verdict, judge, load_suite, suite_config};
use senderzone::finding::Severity;
use senderzone::spf::{
    Profile, RecordCache, SpfResult, TraceEvent, check_host, check_host_cached, check_host_result,
    lint_domain, lint_record,
};

#[tokio::test]
async fn rfc7208_suite() {
    let config = suite_config();
    let (mut preferred, mut alternative, mut total) = (0, 0, 0);
    let mut failures = Vec::new();
    // Shared by every scenario: records of the same text in different
    // zones are one entry.
    let records = RecordCache::new();
    for Scenario { zone, cases, .. } in load_suite() {
        for case in cases {
            total += 1;
            let evaluation = check_host(&zone, &case.params, &config).await;
            let cached = check_host_cached(&zone, &case.params, &config, &records).await;
            if cached != evaluation {
                failures.push(format!(
                    "{}: check_host_cached differs:\n{cached}\ncheck_host:\n{evaluation}",
                    case.name
                ));
            }
            let result = check_host_result(&zone, &case.params, &config, &records).await;
            if result != evaluation.result {
                failures.push(format!(
                    "{}: check_host_result gives {result}:\n{evaluation}",
                    case.name
                ));
            }
            match judge(&case, &evaluation) {
                Verdict::Preferred => preferred += 1,
                Verdict::Alternative => alternative += 1,
                Verdict::Failed => failures.push(format!(
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
    assert!(
        records.len() > 100,
        "{} distinct records parsed through the cache",
        records.len()
    );
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
    let has_syntax = |text: &str| {
        lint_record(&[text.as_bytes()], &profile)
            .iter()
            .any(|f| f.id == "spf-syntax" && f.severity == Severity::Error)
    };
    for Scenario {
        zone,
        cases,
        records,
    } in load_suite()
    {
        for text in &records {
            let rejected = senderzone::spf::parse(text).is_err();
            if rejected != has_syntax(text) {
                problems.push(format!("parse and lint disagree on {text:?}"));
            }
        }
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
            match evaluation.result {
                SpfResult::Permerror => {
                    let syntax_domain =
                        evaluation.trace.steps.iter().find_map(|s| match &s.event {
                            TraceEvent::Result { reason, .. }
                                if reason.to_string().starts_with("syntax error") =>
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
