//! `generate --format PROVIDER` and `--template FILE` through the binary:
//! custom templates against expected files, stdout and `--out` forms, the
//! DigitalOcean warning, and bad input (unknown form, missing or broken
//! template, a template error at render time): exit 2, a message naming
//! the template file and line, nothing written.

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::support::{BIN, repo_file, run, stderr};

fn fixture(name: &str) -> String {
    repo_file("tests/fixtures/providers")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

/// Asserts exit 2, an error line containing every needle, empty stdout.
fn assert_bad_input(output: &Output, needles: &[&str]) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("senderzone: error:"), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert!(output.stdout.is_empty(), "nothing on stdout");
}

#[test]
fn a_custom_provider_template_renders_as_expected() {
    let output = run(&[
        "generate",
        repo_file("examples/inventory.yaml").to_str().unwrap(),
        "--template",
        &fixture("hetzner.json.j2"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = std::fs::read_to_string(fixture("hetzner.expected.json")).unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    serde_json::from_str::<serde_json::Value>(&expected).unwrap();
}

#[test]
fn the_whole_context_and_every_filter_render_as_expected() {
    let output = run(&[
        "generate",
        &fixture("small.yaml"),
        "--template",
        &fixture("context.txt.j2"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = std::fs::read_to_string(fixture("context.expected.txt")).unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
}

#[test]
fn out_writes_one_file_per_zone_with_the_template_extension() {
    let dir = tempfile::tempdir().unwrap();
    let small = fixture("small.yaml");
    // octoDNS takes no RFC 2317 slash labels: the example uses RFC 4183.
    let example = repo_file("examples/inventory.yaml");
    let cases: [(&str, [&str; 2], &str); 4] = [
        (&small, ["--template", &fixture("hetzner.json.j2")], "json"),
        (&small, ["--template", &fixture("context.txt.j2")], "txt"),
        (&small, ["--format", "route53"], "json"),
        (example.to_str().unwrap(), ["--format", "octodns"], "yaml"),
    ];
    for (i, (inventory, form, extension)) in cases.into_iter().enumerate() {
        let out = dir.path().join(i.to_string());
        let output = Command::new(BIN)
            .args(["generate", inventory])
            .args(form)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(output.status.success(), "{form:?}: {}", stderr(&output));
        let files: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(files.len() >= 4, "{files:?}");
        assert!(
            files.iter().all(|f| f.ends_with(&format!(".{extension}"))),
            "{files:?}"
        );
    }
}

#[test]
fn every_provider_form_prints_one_document() {
    let inventory = repo_file("examples/inventory.yaml");
    for form in [
        "cloudflare",
        "cloudflare-batch",
        "route53",
        "powerdns",
        "gcloud",
        "digitalocean",
    ] {
        let output = run(&["generate", inventory.to_str().unwrap(), "--format", form]);
        assert!(output.status.success(), "{form}: {}", stderr(&output));
        let whole: serde_json::Value =
            serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{form}: {e}"));
        assert!(
            whole.as_object().unwrap().contains_key("example.com."),
            "{form}"
        );
    }
    let output = run(&[
        "generate",
        inventory.to_str().unwrap(),
        "--format",
        "octodns",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    let documents: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    assert_eq!(documents.len(), 6, "one YAML document per zone");
    assert!(text.starts_with("# zone example.com.\n---\n"), "{text}");
}

#[test]
fn digitalocean_leaves_out_reverse_zones_and_says_how_to_get_ptrs() {
    let output = run(&[
        "generate",
        repo_file("examples/inventory.yaml").to_str().unwrap(),
        "--format",
        "digitalocean",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains(
            "senderzone: warning: digitalocean has no PTR records: left out reverse zone `113.0.203.in-addr.arpa.`"
        ) && err.contains("name each droplet after its host name: mail.example.com"),
        "{err}"
    );
    let whole: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let zones: Vec<&String> = whole.as_object().unwrap().keys().collect();
    assert_eq!(zones, ["example.com.", "example.org."]);
}

#[test]
fn an_unknown_format_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = run(&[
        "generate",
        repo_file("examples/inventory.yaml").to_str().unwrap(),
        "--format",
        "bind9",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_bad_input(&output, &["invalid value 'bind9'", "route53"]);
    assert!(!out.exists());
}

#[test]
fn template_and_format_together_are_a_usage_error() {
    let output = run(&[
        "generate",
        repo_file("examples/inventory.yaml").to_str().unwrap(),
        "--format",
        "route53",
        "--template",
        &fixture("hetzner.json.j2"),
    ]);
    assert_bad_input(&output, &["--template", "--format"]);
}

#[test]
fn a_missing_template_is_bad_input_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let missing = dir.path().join("nope.json.j2");
    let output = run(&[
        "generate",
        repo_file("examples/inventory.yaml").to_str().unwrap(),
        "--template",
        missing.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_bad_input(
        &output,
        &[&format!("cannot read template `{}`", missing.display())],
    );
    assert!(!out.exists());
}

/// Writes `source` as a template and runs it on the small inventory,
/// once to stdout and once with `--out`.
fn run_broken(name: &str, source: &str) -> (Output, Output, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join(name);
    std::fs::write(&template, source).unwrap();
    let out = dir.path().join("out");
    let args = |extra: &[&str]| {
        let mut command = Command::new(BIN);
        command
            .args(["generate", &fixture("small.yaml"), "--template"])
            .arg(&template)
            .args(extra);
        command.output().unwrap()
    };
    let stdout = args(&[]);
    let files = args(&["--out", out.to_str().unwrap()]);
    (stdout, files, template, dir)
}

#[test]
fn a_syntax_error_names_the_template_and_line() {
    let (stdout, files, template, dir) = run_broken(
        "broken.txt.j2",
        "{% for r in zone.records %}\n{{ r.owner }}\n{{ r.type ) }}\n{% endfor %}\n",
    );
    let place = format!("template `{}` line 3: syntax error", template.display());
    assert_bad_input(&stdout, &[&place]);
    assert_bad_input(&files, &[&place]);
    assert!(!dir.path().join("out").exists());
}

#[test]
fn an_undefined_field_names_the_template_and_line_and_writes_nothing() {
    let (stdout, files, template, dir) = run_broken(
        "typo.txt.j2",
        "{% for r in zone.records %}\n{{ r.owner }}\n{{ r.adress }}\n{% endfor %}\n",
    );
    let place = format!("template `{}` line 3: undefined value", template.display());
    assert_bad_input(&stdout, &[&place]);
    assert_bad_input(&files, &[&place]);
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_filter_refusal_names_the_template_and_line() {
    let (stdout, _, template, _dir) = run_broken(
        "octo.yaml.j2",
        "---\n{% for r in zone.records %}{% if r.target is defined %}\nx: {{ r.target|octodns_name|yaml }}\n{% endif %}{% endfor %}\n",
    );
    assert_bad_input(
        &stdout,
        &[
            &format!("template `{}` line 3", template.display()),
            "classless_labels: rfc4183",
        ],
    );
}

#[test]
fn json_output_that_does_not_parse_is_refused() {
    let (stdout, files, template, dir) = run_broken(
        "bad.json.j2",
        "[{% for r in zone.records %}{{ r.owner }},{% endfor %}]\n",
    );
    let needle = format!("template `{}`, zone `example.com.`", template.display());
    assert_bad_input(&stdout, &[&needle, "not valid json"]);
    assert_bad_input(&files, &[&needle, "not valid json"]);
    assert!(!dir.path().join("out").exists());
}
