//! `senderzone man`: a page per command from the same definitions as
//! `--help`, the inventory reference senderzone-inventory(5) covering
//! every key the loader accepts, `man --out DIR` writing them all or none.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::{run, stderr, stdout};

/// Every `senderzone…(N)` page a roff page refers to, as file names.
fn references(page: &str) -> BTreeSet<String> {
    let text = page.replace("\\-", "-");
    let mut found = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("senderzone") {
        rest = &rest[at..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        if let Some(section) = rest[end..]
            .strip_prefix('(')
            .and_then(|s| s.get(..2))
            .and_then(|s| s.strip_suffix(')'))
        {
            found.insert(format!("{name}.{section}"));
        }
        rest = &rest[end..];
    }
    found
}

#[test]
fn every_page_a_page_refers_to_is_written_by_man_out() {
    let main = run(&["man"]);
    assert_eq!(main.status.code(), Some(0));
    let main = stdout(&main);
    assert!(main.contains(".TH senderzone 1 "), "{main}");
    let referred = references(&main);
    for page in [
        "senderzone-generate.1",
        "senderzone-verify.1",
        "senderzone-dnsbl.1",
        "senderzone-spf.1",
        "senderzone-inventory.5",
    ] {
        assert!(referred.contains(page), "{page} not in {referred:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man");
    let output = run(&["man", "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let written: BTreeSet<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        stderr(&output).contains(&format!(
            "wrote {}",
            out.join("senderzone-verify.1").display()
        )),
        "{}",
        stderr(&output)
    );
    let mut wanted = referred;
    for name in &written {
        let page = std::fs::read_to_string(out.join(name)).unwrap();
        wanted.extend(references(&page));
    }
    wanted.insert("senderzone.1".to_owned());
    assert_eq!(written, wanted);
    assert!(!written.iter().any(|n| n.contains("help")), "{written:?}");
    // `man COMMAND` prints the page `--out` writes.
    for (args, file) in [
        (vec!["man"], "senderzone.1"),
        (vec!["man", "generate"], "senderzone-generate.1"),
        (vec!["man", "spf", "check"], "senderzone-spf-check.1"),
        (vec!["man", "inventory"], "senderzone-inventory.5"),
    ] {
        let printed = run(&args);
        assert_eq!(
            stdout(&printed),
            std::fs::read_to_string(out.join(file)).unwrap(),
            "{args:?}"
        );
    }
    // -q: no `wrote` lines.
    let output = run(&["man", "-q", "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stderr(&output), "");
}

#[test]
fn a_command_page_holds_what_its_help_says() {
    let page = stdout(&run(&["man", "generate"]));
    assert!(page.contains(".TH senderzone-generate 1 "), "{page}");
    let help = stdout(&run(&["generate", "--help"]));
    for phrase in [
        "the server to send updates to",
        "Render each zone with this minijinja template",
        "reads it from stdin",
    ] {
        assert!(help.contains(phrase), "{phrase} not in --help:\n{help}");
        assert!(page.contains(phrase), "{phrase} not in the page:\n{page}");
    }
    // The `--help` epilogue's example keeps its layout.
    assert!(
        page.contains(".nf\n  senderzone generate mail.yaml \\-\\-format zone \\-\\-out dns/\n.fi"),
        "{page}"
    );
    let output = run(&["man", "nothing"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("no man page for `nothing`; accepted: generate, init, spf, spf check"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn man_out_writes_every_page_or_none() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where one page goes: no page may be written.
    std::fs::create_dir(dir.path().join("senderzone-verify.1")).unwrap();
    let output = run(&["man", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("senderzone-verify.1`: a directory of that name is in the way"),
        "{}",
        stderr(&output)
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1);
}

/// The keys the loader accepts where `inventory` has an unknown one, as it
/// lists them when refusing it: every backticked word after the key.
fn accepted_keys(dir: &Path, inventory: &str) -> Vec<String> {
    let file = dir.join("inventory.yaml");
    std::fs::write(&file, inventory).unwrap();
    let output = run(&["generate", file.to_str().unwrap()]);
    let err = stderr(&output);
    let line = err
        .lines()
        .find(|l| l.contains("`bogus_key`"))
        .unwrap_or_else(|| panic!("no error about `bogus_key`:\n{err}"));
    let (_, after) = line.rsplit_once("`bogus_key`").unwrap();
    let keys: Vec<String> = after
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert!(
        keys.len() >= 3,
        "the loader no longer lists its keys: {line}"
    );
    keys
}

#[test]
fn the_inventory_page_names_every_key_the_loader_accepts() {
    let page = stdout(&run(&["man", "inventory"]));
    assert!(page.contains(".TH senderzone-inventory 5 "), "{page}");
    let dir = tempfile::tempdir().unwrap();
    let base = "zones: [example.net]\n";
    let server = "servers:\n  - hostname: mail.example.net\n    ipv4: [192.0.2.1]\n";
    let domain = "domains:\n  - name: example.net\n    servers: [mail.example.net]\n";
    let levels = [
        ("", format!("{base}bogus_key: 1\n")),
        ("servers[].", format!("{base}{server}    bogus_key: 1\n")),
        (
            "domains[].",
            format!("{base}{server}{domain}    bogus_key: 1\n"),
        ),
        (
            "domains[].dmarc.",
            format!("{base}{server}{domain}    dmarc: {{policy: none, bogus_key: 1}}\n"),
        ),
        (
            "domains[].dkim[].",
            format!("{base}{server}{domain}    dkim: [{{selector: s, bogus_key: 1}}]\n"),
        ),
    ];
    let mut checked = 0;
    for (prefix, inventory) in levels {
        for key in accepted_keys(dir.path(), &inventory) {
            // A list of mappings (`servers`) is described key by key.
            let term = format!("\\fB{prefix}{key}\\fR");
            let member = format!("\\fB{prefix}{key}[].");
            assert!(
                page.contains(&term) || page.contains(&member),
                "{term} missing from senderzone-inventory(5)"
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked} keys");
    // One text for both: the page is the README's section.
    let readme = std::fs::read_to_string(crate::support::repo_file("README.md")).unwrap();
    assert!(readme.contains("| `domains[].dmarc.policy` | yes |"));
}
