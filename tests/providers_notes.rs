//! The offline forms that change a live zone say up front, on stderr and
//! once per TXT name, whether they replace whole RRsets or add beside
//! what is published, and point to `senderzone plan` to see what is live
//! (issue 12). The forms that change nothing by themselves say nothing.

use crate::support::{repo_file, run, stderr, stdout};

/// The TXT names of the bundled example, each of which must be named once.
const TXT_NAMES: &[&str] = &[
    "example.com.",
    "_dmarc.example.com.",
    "mail.example.com.",
    "example.org.",
    "_dmarc.example.org.",
    "mx2.example.org.",
];

fn notes(format: &str, extra: &[&str]) -> (String, String) {
    let example = repo_file("examples/inventory.yaml");
    let mut args = vec!["generate", example.to_str().unwrap(), "--format", format];
    args.extend_from_slice(extra);
    let output = run(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{format}: {}",
        stderr(&output)
    );
    let notes = stderr(&output)
        .lines()
        .filter_map(|l| l.strip_prefix("senderzone: note: "))
        .map(|l| format!("{l}\n"))
        .collect();
    (notes, stdout(&output))
}

#[test]
fn each_form_says_what_it_does_to_the_records_already_there() {
    for (format, effect, per_name) in [
        (
            "nsupdate",
            "replaces whole RRsets (`update delete NAME TYPE`, then the adds)",
            "TXT: replaced whole; other TXT records there (site verification, for example) are deleted unless you add them",
        ),
        (
            "powerdns",
            "replaces whole RRsets (`changetype: REPLACE`)",
            "TXT: replaced whole",
        ),
        (
            "route53",
            "replaces whole RRsets (UPSERT)",
            "TXT: replaced whole",
        ),
        (
            "cloudflare",
            "adds records beside those already published (one POST per record) and deletes nothing",
            "TXT: added beside what is there; delete an old `v=",
        ),
        (
            "cloudflare-batch",
            "adds records beside those already published",
            "TXT: added beside what is there",
        ),
        (
            "digitalocean",
            "adds records beside those already published",
            "TXT: added beside what is there",
        ),
        (
            "gcloud",
            "adds whole RRsets (`additions`): Cloud DNS refuses the whole change when a name already has an RRset of that type",
            "TXT: refused if a TXT RRset exists there",
        ),
    ] {
        let (notes, _) = notes(format, &[]);
        assert!(
            notes.starts_with(&format!("`--format {format}` {effect}")),
            "{format}:\n{notes}"
        );
        for name in TXT_NAMES {
            let line = format!("\n{name} {per_name}");
            assert_eq!(
                notes.matches(&line).count(),
                1,
                "{format}: {line:?} in\n{notes}"
            );
        }
        assert!(
            notes.ends_with(&format!(
                "to see what is live and what must change: senderzone plan {} --target dns://NAMESERVER\n",
                repo_file("examples/inventory.yaml").display()
            )),
            "{format}:\n{notes}"
        );
    }
    // An added SPF record beside an old one breaks SPF; a DMARC one, DMARC.
    let (cloudflare, _) = notes("cloudflare", &[]);
    assert!(cloudflare.contains(
        "example.com. TXT: added beside what is there; delete an old `v=spf1` record first, or SPF fails with permerror"
    ));
    assert!(cloudflare.contains(
        "_dmarc.example.com. TXT: added beside what is there; delete an old `v=DMARC1` record first"
    ));
}

#[test]
fn forms_that_change_nothing_by_themselves_and_quiet_runs_say_nothing() {
    for format in ["zone", "json", "octodns"] {
        assert_eq!(notes(format, &[]).0, "", "{format}");
    }
    let (quiet, out) = notes("route53", &["-q"]);
    assert_eq!(quiet, "");
    assert!(out.contains("UPSERT"));
}

#[test]
fn the_nsupdate_script_does_not_send_dkim_keys_to_the_spf_name() {
    let (_, script) = notes("nsupdate", &[]);
    assert!(script.contains(
        "; note: replaces every TXT record at example.com.; add below any other TXT record of that name it must keep (a site verification string, for example)"
    ), "{script}");
    // DKIM keys live at SELECTOR._domainkey.DOMAIN, which the script never touches.
    assert!(!script.contains("DKIM"), "{script}");
}
