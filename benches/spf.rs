//! Throughput of the SPF parser and of `check_host` over the RFC 7208 suite, in memory.
//!
//! Run with `cargo bench --bench spf`. Each measurement runs for a fixed
//! wall-clock budget after a warm-up and prints operations per second.
//!
//! `cargo bench --bench spf -- --rounds N LOOP` runs LOOP (`parse`, `check`
//! or `strings`) exactly N times, untimed, and prints nothing: for
//! `valgrind --tool=callgrind`, whose instruction counts are repeatable on
//! a busy machine. The difference between two such runs, divided by the
//! rounds and the operations per round, is the cost of one operation
//! without the setup:
//!
//! ```text
//! callgrind --rounds 1 check  →  I1;  --rounds 11 check  →  I11
//! instructions per evaluation = (I11 - I1) / (10 × 203)
//! ```

#[path = "../tests/spf_suite/mod.rs"]
mod spf_suite;

use std::hint::black_box;
use std::time::{Duration, Instant};

use senderzone::spf::{CheckParams, check_host, parse};
use spf_suite::{SUITE_CASES, Verdict, judge, load_suite, suite_config};

const WARM_UP: Duration = Duration::from_millis(500);
const BUDGET: Duration = Duration::from_secs(3);

/// Runs `round` (which does `per_round` operations) until `budget` has passed; returns ops/s.
fn measure(per_round: usize, budget: Duration, mut round: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut rounds = 0u64;
    while start.elapsed() < budget {
        round();
        rounds += 1;
    }
    (rounds as f64 * per_round as f64) / start.elapsed().as_secs_f64()
}

/// `--rounds N LOOP` from the command line, if given.
fn fixed_rounds() -> Option<(u64, String)> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == "--rounds")?;
    let rounds = args.get(at + 1)?.parse().expect("--rounds takes a number");
    let which = args
        .get(at + 2)
        .cloned()
        .expect("--rounds N takes a loop name");
    Some((rounds, which))
}

fn main() {
    let scenarios = load_suite();
    let records: Vec<&str> = scenarios
        .iter()
        .flat_map(|s| s.records.iter().map(String::as_str))
        .collect();
    let cases: usize = scenarios.iter().map(|s| s.cases.len()).sum();
    assert_eq!(
        cases, SUITE_CASES,
        "the suite should hold {SUITE_CASES} cases"
    );
    let config = suite_config();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");

    let parse_round = || {
        for text in &records {
            let _ = black_box(parse(black_box(text)));
        }
    };
    let check_round = || {
        runtime.block_on(async {
            for scenario in &scenarios {
                for case in &scenario.cases {
                    let evaluation = check_host(&scenario.zone, &case.params, &config).await;
                    assert_ne!(judge(case, &evaluation), Verdict::Failed, "{}", case.name);
                    black_box(evaluation);
                }
            }
        });
    };
    // As a mail server calls it: the parameters built for every check from
    // the strings of the SMTP session (the case's sender as MAIL FROM).
    let from_strings_round = || {
        runtime.block_on(async {
            for scenario in &scenarios {
                for case in &scenario.cases {
                    let (sender, helo) =
                        (black_box(&case.params.sender), black_box(&case.params.helo));
                    let params = CheckParams::mail_from(case.params.ip, sender, helo);
                    let evaluation = check_host(&scenario.zone, &params, &config).await;
                    assert_ne!(judge(case, &evaluation), Verdict::Failed, "{}", case.name);
                    black_box(evaluation);
                }
            }
        });
    };

    if let Some((rounds, which)) = fixed_rounds() {
        let mut round: Box<dyn FnMut()> = match which.as_str() {
            "parse" => Box::new(parse_round),
            "check" => Box::new(check_round),
            "strings" => Box::new(from_strings_round),
            other => panic!("unknown loop {other:?}: parse, check or strings"),
        };
        for _ in 0..rounds {
            round();
        }
        return;
    }

    measure(records.len(), WARM_UP, parse_round);
    let parses = measure(records.len(), BUDGET, parse_round);
    measure(cases, WARM_UP, check_round);
    let evaluations = measure(cases, BUDGET, check_round);
    measure(cases, WARM_UP, from_strings_round);
    let from_strings = measure(cases, BUDGET, from_strings_round);

    println!(
        "spf parse: {parses:.0} records/s ({} suite records per round)",
        records.len()
    );
    println!("spf check_host: {evaluations:.0} evaluations/s ({cases} suite cases per round)");
    println!(
        "spf check_host from SMTP strings: {from_strings:.0} evaluations/s (CheckParams::mail_from per check)"
    );
}
