//! The integration tests: one binary with a module per area, as ripgrep's
//! `tests/tests.rs`.
//!
//! One binary links once instead of once per file, and its test threads take
//! tests from every area, so a slow area no longer waits for the one before
//! it. The helpers every area uses (the binary under test, running it, the
//! real DNS servers) live once in [`support`].
//!
//! `Cargo.toml` sets `autotests = false`: a file in `tests/` runs only when
//! it is declared here, which `every_test_file_is_declared` checks.
//!
//! Run one area with `cargo test --test integration AREA::` (e.g.
//! `verify::`), or `scripts/test --quick AREA::`.

mod spf_suite;
mod support;

mod cli_arguments;
mod cli_generate;
mod cli_habits;
mod cli_man;
mod cli_output;
mod cli_snapshots;
mod cli_spf;
mod dkim;
mod dns_servers;
mod dnsbl;
mod fuzz_smoke;
mod generate_servers;
mod import;
mod inventory_errors;
mod inventory_props;
mod plan;
mod plan_apply;
mod plan_spf;
mod providers_cli;
mod providers_notes;
mod providers_octodns;
mod providers_payloads;
mod providers_powerdns;
mod readme;
mod resolver;
mod spf_bounds;
mod spf_conformance;
mod spf_props;
mod template_limits;
mod verify;
mod verify_authoritative;
mod verify_escaping;
mod verify_network;
mod verify_plan;
mod verify_receivers;

/// A test file that is not declared above would never run: cargo no longer
/// finds test targets by itself.
#[test]
fn every_test_file_is_declared() {
    let declared = include_str!("tests.rs");
    let dir = support::repo_file("tests");
    let mut undeclared = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("list tests/") {
        let path = entry.expect("a directory entry in tests/").path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        // A module is `NAME.rs` or `NAME/mod.rs`; `fixtures/` is data.
        let module = match name.strip_suffix(".rs") {
            Some("tests") => continue,
            Some(module) => module,
            None if path.join("mod.rs").is_file() => name,
            None => continue,
        };
        if !declared.contains(&format!("\nmod {module};\n")) {
            undeclared.push(name.to_owned());
        }
    }
    assert!(
        undeclared.is_empty(),
        "declare these in tests/tests.rs, or they never run: {undeclared:?}"
    );
}
