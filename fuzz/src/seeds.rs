//! The seed corpus of each target, built at run time.
//!
//! - `spf`: every SPF and TXT text of the OpenSPF RFC 7208 suite, read
//!   from `../shared/testdata/spf/rfc7208-tests.yml` beside the crate (or
//!   `$SENDERZONE_SPF_SUITE`) and never copied into the repository.
//! - `zone`: each scenario of the suite written as a master file, with a
//!   `; check` line per test case; the repository's fixture zone files.
//! - `inventory`: the repository's YAML fixtures, the example and the
//!   starter inventory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::targets::CHECK_PREFIX;

/// The three corpora: name of the target and its seeds.
pub struct Corpus {
    /// The target, as `src/bin` names it.
    pub target: &'static str,
    /// The seeds, each one input.
    pub seeds: Vec<Vec<u8>>,
}

/// The RFC 7208 suite's path: `$SENDERZONE_SPF_SUITE`, else beside `repo`.
pub fn suite_path(repo: &Path) -> PathBuf {
    std::env::var_os("SENDERZONE_SPF_SUITE").map_or_else(
        || repo.join("../shared/testdata/spf/rfc7208-tests.yml"),
        PathBuf::from,
    )
}

/// Every corpus, from the suite at `suite` and the repository at `repo`.
pub fn corpora(repo: &Path, suite: &Path) -> Result<Vec<Corpus>, String> {
    let yaml = std::fs::read_to_string(suite).map_err(|err| {
        format!(
            "cannot read the RFC 7208 suite `{}`: {err}",
            suite.display()
        )
    })?;
    let scenarios = scenarios(&yaml)?;
    let mut spf: Vec<Vec<u8>> = scenarios
        .iter()
        .flat_map(|scenario| scenario_texts(&scenario["zonedata"]))
        .collect();
    spf.sort();
    spf.dedup();
    let mut zone: Vec<Vec<u8>> = scenarios
        .iter()
        .map(|s| scenario_zone(s).into_bytes())
        .collect();
    zone.extend(files(&repo.join("tests/fixtures"), "zone")?);
    let mut inventory = files(&repo.join("tests/fixtures"), "yaml")?;
    inventory.extend(files(&repo.join("examples"), "yaml")?);
    inventory.push(read(&repo.join("templates/inventory.yaml"))?);
    Ok(vec![
        Corpus {
            target: "spf",
            seeds: spf,
        },
        Corpus {
            target: "zone",
            seeds: zone,
        },
        Corpus {
            target: "inventory",
            seeds: inventory,
        },
    ])
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|err| format!("cannot read `{}`: {err}", path.display()))
}

/// The files under `dir` (recursively) whose names end in `.extension`,
/// in name order.
fn files(dir: &Path, extension: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut paths = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|err| format!("cannot list `{}`: {err}", dir.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|err| format!("cannot list `{}`: {err}", dir.display()))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == extension) {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths.iter().map(|path| read(path)).collect()
}

/// The suite's YAML documents that hold tests.
fn scenarios(yaml: &str) -> Result<Vec<Value>, String> {
    use serde::Deserialize;
    let mut scenarios = Vec::new();
    for document in serde_yaml::Deserializer::from_str(yaml) {
        let scenario = Value::deserialize(document)
            .map_err(|err| format!("the RFC 7208 suite does not parse: {err}"))?;
        if scenario.get("tests").is_some() {
            scenarios.push(scenario);
        }
    }
    Ok(scenarios)
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// YAML `\xNN` escapes decode to U+00NN; the suite means the octet NN.
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

/// The character-strings of a TXT or SPF entry.
fn strings(value: &Value) -> Vec<Vec<u8>> {
    match value {
        Value::Sequence(items) => items.iter().map(|v| octets(&scalar(v))).collect(),
        other => vec![octets(&scalar(other))],
    }
}

/// Each owner's entries: `(owner, [(type, value)])`, `TIMEOUT` left out.
fn entries(zonedata: &Value) -> Vec<(String, Vec<(String, Value)>)> {
    let Value::Mapping(owners) = zonedata else {
        return Vec::new();
    };
    owners
        .iter()
        .map(|(owner, list)| {
            let list = list
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(Value::as_mapping)
                .flat_map(|map| map.iter().map(|(k, v)| (scalar(k), v.clone())))
                .collect();
            (scalar(owner), list)
        })
        .collect()
}

/// Every TXT and SPF text of a scenario, strings joined.
fn scenario_texts(zonedata: &Value) -> Vec<Vec<u8>> {
    entries(zonedata)
        .into_iter()
        .flat_map(|(_, list)| list)
        .filter(|(rtype, value)| (rtype == "SPF" || rtype == "TXT") && scalar(value) != "NONE")
        .map(|(_, value)| strings(&value).concat())
        .collect()
}

/// A scenario as a master file: a `; check` line per test case, then each
/// entry with an absolute owner. SPF entries are served as TXT when the
/// owner has no TXT entry (the suite's driver rule); `TIMEOUT` has no
/// master-file form and is left out.
fn scenario_zone(scenario: &Value) -> String {
    let mut text = String::new();
    if let Value::Mapping(tests) = &scenario["tests"] {
        for case in tests.values() {
            let mail_from = scalar(&case["mailfrom"]);
            let _ = writeln!(
                text,
                "{CHECK_PREFIX}{} {} {}",
                scalar(&case["host"]),
                if mail_from.is_empty() {
                    "-"
                } else {
                    &mail_from
                },
                scalar(&case["helo"]),
            );
        }
    }
    for (owner, list) in entries(&scenario["zonedata"]) {
        let has_txt = list.iter().any(|(rtype, _)| rtype == "TXT");
        for (rtype, value) in list {
            let data = match rtype.as_str() {
                "SPF" | "TXT" if scalar(&value) == "NONE" => continue,
                "SPF" | "TXT" => {
                    let quoted = senderzone::render::quote_txt(&strings(&value)).join(" ");
                    let rtype = if rtype == "SPF" && !has_txt {
                        "TXT"
                    } else {
                        &rtype
                    };
                    format!("{rtype} {quoted}")
                }
                "MX" => {
                    let pair = value.as_sequence().cloned().unwrap_or_default();
                    let exchange = pair.get(1).map(scalar).unwrap_or_default();
                    let preference = pair.first().map(scalar).unwrap_or_default();
                    format!("MX {preference} {exchange}.")
                }
                "PTR" | "CNAME" => format!("{rtype} {}.", scalar(&value)),
                _ => format!("{rtype} {}", scalar(&value)),
            };
            let _ = writeln!(text, "{owner}. 300 IN {data}");
        }
    }
    text
}
