//! Property tests of the inventory loader over mutated inventories: it never
//! panics, and every problem it reports has a line and column inside the
//! file (issue 16: "every error has a location").

use std::path::Path;

use proptest::prelude::*;
use senderzone::inventory::{Inventory, InventoryError};

/// Valid inventories the mutations start from: the bundled example, the
/// starter, and one written with anchors and flow mappings.
const SEEDS: &[&str] = &[
    include_str!("../examples/inventory.yaml"),
    include_str!("../templates/inventory.yaml"),
    "ttl: 600
zones: [example.com, example.net]
servers:
  - {hostname: mail.example.com, ipv4: &v4 [192.0.2.1, 192.0.2.2], ttl: 60}
  - hostname: mx.example.net
    ipv6: ['2001:db8::25']
domains:
  - name: example.com
    servers: &all [mail.example.com, mx.example.net]
    ip4: [{network: 32.0.0.0/3, broad: true}, 198.51.100.0/24]
    dmarc: {policy: reject, rua: [\"mailto:d@example.com\"], adkim: strict}
  - name: example.net
    servers: *all
    all: softfail
",
];

/// Snippets that YAML and the inventory give meaning to.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\n- ",
    " ",
    "\t",
    "#",
    "'",
    "\"",
    "&a ",
    "*a",
    "!t ",
    "|",
    ">",
    "?",
    "---\n",
    "...",
    "~",
    "null",
    "-5",
    "1e3",
    "0x1F",
    "true",
    "servers",
    "ipv4",
    "ip6",
    "0.0.0.0/0",
    "::/0",
    "10.0.0.0/8",
    "\u{1b}",
    "\\e",
    "é",
    "\r\n",
    "\u{2028}",
    "\u{feff}",
    "%YAML 1.2\n",
    "<<: *a\n",
];

#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, usize),
    Delete(usize, usize),
    DuplicateLine(usize),
    Dedent(usize),
    SwapLines(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, t)| Mutation::Insert(at, t)),
        2 => (any::<usize>(), 1usize..12).prop_map(|(at, len)| Mutation::Delete(at, len)),
        1 => any::<usize>().prop_map(Mutation::DuplicateLine),
        1 => any::<usize>().prop_map(Mutation::Dedent),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

/// The char boundary nearest below `at` (taken modulo the length).
fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &mut String, mutation: &Mutation) {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    let line = |at: usize| at % lines.len().max(1);
    match *mutation {
        Mutation::Insert(at, token) => {
            let at = boundary(text, at);
            text.insert_str(at, TOKENS[token]);
            return;
        }
        Mutation::Delete(at, len) => {
            let start = boundary(text, at);
            let end = boundary(text, (start + len).min(text.len()));
            if end > start {
                text.replace_range(start..end, "");
            }
            return;
        }
        _ if lines.is_empty() => return,
        Mutation::DuplicateLine(at) => {
            let i = line(at);
            lines.insert(i, lines[i].clone());
        }
        Mutation::Dedent(at) => {
            let i = line(at);
            lines[i] = lines[i].trim_start().to_owned();
        }
        Mutation::SwapLines(a, b) => {
            let (a, b) = (line(a), line(b));
            lines.swap(a, b);
        }
    }
    *text = lines.concat();
}

fn check_located(text: &str) -> Result<(), TestCaseError> {
    let line_count = text.split('\n').count();
    match Inventory::from_bytes(Path::new("inv.yaml"), text.as_bytes()) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                let position = warning.location.position;
                prop_assert!(position.is_some(), "unlocated warning {warning}\n{text}");
            }
        }
        Err(InventoryError::Invalid { problems, .. }) => {
            prop_assert!(!problems.is_empty());
            for problem in &problems {
                let Some(position) = problem.location.position else {
                    return Err(TestCaseError::fail(format!(
                        "unlocated: {problem}\n--- in ---\n{text}"
                    )));
                };
                prop_assert!(
                    position.line >= 1 && position.line <= line_count && position.column >= 1,
                    "{problem} is outside the file of {line_count} lines\n{text}"
                );
                let shown = problem.to_string();
                prop_assert!(!shown.contains(['\n', '\u{1b}', '\r']), "{shown:?}");
            }
        }
        Err(InventoryError::Empty { .. }) => {}
        Err(other) => {
            return Err(TestCaseError::fail(format!("unexpected {other}\n{text}")));
        }
    }
    Ok(())
}

/// 2,000 cases unless `PROPTEST_CASES` asks for a longer run.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(2000);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_problem_of_a_mutated_inventory_is_located(
        seed in 0..SEEDS.len(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let mut text = SEEDS[seed].to_owned();
        for mutation in &mutations {
            apply(&mut text, mutation);
        }
        check_located(&text)?;
    }
}

#[test]
fn the_seeds_load() {
    for seed in SEEDS {
        let loaded = Inventory::from_bytes(Path::new("inv.yaml"), seed.as_bytes());
        assert!(loaded.is_ok(), "{:?}", loaded.err().map(|e| e.messages()));
    }
}
