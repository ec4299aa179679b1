//! A short run of each fuzz target over its seed corpus, in the normal
//! test run: the targets and seeds of `fuzz/`, which `scripts/fuzz
//! SECONDS` runs for long under AFL++, mutating the seeds. Here every
//! seed must keep every property as it is; what the fuzzer found in
//! mutated inputs is kept below as tests of its own.

#[path = "../fuzz/src/seeds.rs"]
mod seeds;
#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::Path;

#[test]
fn every_target_keeps_its_properties_on_the_seeds() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpora = seeds::corpora(repo, &seeds::suite_path(repo)).unwrap();
    for corpus in corpora {
        let target = match corpus.target {
            "spf" => targets::spf,
            "zone" => targets::zone,
            "inventory" => targets::inventory,
            other => panic!("no target `{other}`"),
        };
        assert!(
            corpus.seeds.len() >= 5,
            "{}: only {} seeds",
            corpus.target,
            corpus.seeds.len()
        );
        for seed in &corpus.seeds {
            let outcome = std::panic::catch_unwind(|| target(seed));
            assert!(
                outcome.is_ok(),
                "target `{}` broke a property on the seed {:?}",
                corpus.target,
                String::from_utf8_lossy(seed)
            );
        }
        eprintln!("{}: {} seeds", corpus.target, corpus.seeds.len());
    }
}

/// An invalid inventory value is reported at `file:line:col`, and so is a
/// warning: here a line break (LF, or a lone CR, which YAML also takes for
/// one) inside a flow sequence. Found by the fuzzer from
/// `tests/fixtures/providers/corner.yaml` with one octet changed, when the
/// loader lost the location of every error and warning of the file.
#[test]
fn errors_and_warnings_around_a_line_break_in_a_flow_sequence_are_located() {
    // `198.51.100. 10` is not an address.
    targets::inventory(
        b"zones: [example.com]\nservers:\n  - hostname: mail.example.com\n    ipv4: [198.51.100.\n10]\n",
    );
    // 92.0.2.1 is outside the reverse zones.
    targets::inventory(
        b"zones: [example.com]\nreverse_zones: [192.0.2.0/24]\nservers:\n  - hostname: mail.example.com\n    ipv4: [\r92.0.2.1]\n",
    );
    // Valid, with a warning (a documentation address).
    targets::inventory(
        b"zones: [example.com]\nservers:\n  - hostname: mail.example.com\n    ipv4: [\r192.0.2.1]\ndomains:\n  - name: example.com\n    servers: [mail.example.com]\n",
    );
}

/// An inventory without a required key, or with a second YAML document,
/// is refused at a place in the file too: the top of the file, the start
/// of the second document. Found by the fuzzer (40 of its first 99
/// findings were a `zones:` key swallowed by a comment).
#[test]
fn a_missing_key_and_a_second_document_are_located() {
    targets::inventory(
        b"# zones: [example.com]\nservers:\n  - hostname: mail.example.com\n    ipv4: [203.0.113.10]\n",
    );
    // YAML reads `{}#` as a document and the mapping after it as another.
    targets::inventory(b"{}# comment\nzones: [example.com]\n");
}

/// A TTL with units and too many digits is an error of the zone file,
/// not an arithmetic overflow (a panic in a debug build, a wrapped TTL in
/// a release build). Found by the fuzzer in its first minute.
#[test]
fn a_ttl_too_large_for_its_units_is_refused() {
    targets::zone(b"example.com. 99999999999999999999s IN A 192.0.2.1\n");
    targets::zone(b"example.com. 9999999999999w IN A 192.0.2.1\n");
}

/// The caret display of an SPF syntax error is the record on one line and
/// the caret with the message on the next; `verify`'s text report and
/// `spf check` lay it out that way, though the message may quote a bad
/// term that holds line breaks.
#[test]
fn the_caret_display_of_an_spf_error_is_two_lines() {
    for text in [
        "v=spf1 foo\nbar",
        "v=spf1 -all e\nxp=msg8.%{D2}",
        "v=spf1 %{\n}",
        "v=spf1 exists:%{\nr}.com",
    ] {
        let err = senderzone::spf::parse(text).unwrap_err();
        let caret = err.render();
        assert_eq!(caret.lines().count(), 2, "{text:?}:\n{caret}");
    }
}
