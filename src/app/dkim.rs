//! `senderzone dkim keygen` and `senderzone dkim check`.

use std::fs::{DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::config::{DkimCheck, DkimKeygen, DkimSubject};
use super::{Error, Streams, note, runtime};
use crate::cli::ReportFormat;
use crate::dns::zonefile;
use crate::finding::{self, Counts, Finding, Severity};
use crate::inventory::{DkimKey, DkimSelector};
use crate::mailauth::dkim::key::{self, Algorithm, MAX_KEY_FILE_BYTES, Role};
use crate::mailauth::dkim::{self, KeyType};
use crate::records::spf_text::split_strings;
use crate::render::quote_txt;
use crate::spf::limits::MAX_STRING_OCTETS;
use crate::text::escape;
use crate::verify;

/// Runs `dkim keygen`: the private key into its file, the inventory entry
/// and the record on stdout.
pub fn keygen(config: &DkimKeygen, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let file = config
        .out
        .join(format!("{}.{}.key", config.domain, config.selector));
    // Refused before the key is made: generating RSA takes a moment.
    if file.symlink_metadata().is_ok() {
        return Err(Error::KeyExists(file));
    }
    let key = key::generate(config.algorithm).map_err(Error::Keygen)?;
    write_private(&config.out, &file, key.private_pem.as_bytes())?;
    let entry = DkimSelector {
        selector: config.selector.clone(),
        key: Some(DkimKey {
            public: key.public,
            file: file.clone(),
            private: true,
        }),
        flags: Vec::new(),
        hashes: Vec::new(),
        notes: None,
        retired: false,
    };
    let owner = entry.owner(&config.domain);
    let record = entry
        .record_text()
        .expect("an entry with a key has a record");
    let out = &mut *streams.out;
    let lines = [
        format!(
            "# add to the `dkim:` list of domain {} in the inventory (the path is relative to the inventory's directory):",
            config.domain
        ),
        format!("- selector: {}", config.selector),
        format!("  private_key: {}", yaml_scalar(&file.to_string_lossy())),
        "# the key record it publishes (`senderzone generate` writes it):".to_owned(),
        format!(
            "{owner}. IN TXT {}",
            quote_txt(&split_strings(record.as_bytes())).join(" ")
        ),
    ];
    for line in lines {
        writeln!(out, "{line}").map_err(Error::Output)?;
    }
    note(
        streams,
        config.verbosity,
        format_args!(
            "wrote {} (mode 0600); publish the record and let it be served before signing with the key",
            file.display()
        ),
    )?;
    if config.algorithm == Algorithm::Ed25519 {
        super::warn(
            streams,
            "many receivers do not verify Ed25519 signatures yet: sign with an RSA key too, under a selector of its own (RFC 8463 §1)",
        )?;
    }
    Ok(crate::exit::OK)
}

/// A path as a YAML scalar: plain when that reads back the same, else
/// single-quoted.
fn yaml_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '-' | '+'))
        && !text.starts_with('-');
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// Writes the private key to `file` in `dir` (created mode 0700 when
/// missing): mode 0600, never over an existing file, synced; a file
/// written in part is removed.
fn write_private(dir: &Path, file: &Path, pem: &[u8]) -> Result<(), Error> {
    let create = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Create { path, source }
    };
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(create(dir))?;
    let mut handle = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
        .map_err(|source| match source.kind() {
            io::ErrorKind::AlreadyExists => Error::KeyExists(file.to_owned()),
            _ => create(file)(source),
        })?;
    if let Err(source) = handle.write_all(pem).and_then(|()| handle.sync_all()) {
        drop(handle);
        let _ = std::fs::remove_file(file);
        return Err(create(file)(source));
    }
    // The new name is durable once the directory is synced; a failure
    // here leaves a complete file, so it is not an error.
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// One record as `dkim check` shows it.
#[derive(Serialize)]
struct Shown<'a> {
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_type: Option<KeyType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bits: Option<usize>,
    revoked: bool,
}

#[derive(Serialize)]
struct CheckReport<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    records: Vec<Shown<'a>>,
    findings: &'a [Finding],
    summary: Counts,
}

/// Runs `dkim check` and returns its exit code.
pub fn check(config: &DkimCheck, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let key = match &config.key {
        Some(path) => Some(read_key(path)?),
        None => None,
    };
    let (name, texts, findings) = match &config.subject {
        DkimSubject::Record(given) => {
            let (text, mut findings) = record_input(given)?;
            let entry = entry("", key);
            let planned = entry.record_text();
            findings.extend(verify::check_dkim_record(
                "",
                &entry,
                planned.as_deref(),
                &text,
                false,
            ));
            (None, vec![text], findings)
        }
        DkimSubject::Name {
            selector,
            domain,
            dns,
        } => {
            let dns = dns.open()?;
            let entry = entry(selector, key);
            let owner = entry.owner(domain);
            let checked = runtime()?.block_on(async {
                tokio::time::timeout(
                    config.timeout,
                    verify::check_dkim_selector(&dns, domain, &entry, false),
                )
                .await
            });
            let (texts, findings) = checked.unwrap_or_else(|_| {
                let what = format!("the DKIM key of selector `{selector}`");
                let timeout = format!("no answer within {} s", config.timeout.as_secs());
                (
                    Vec::new(),
                    vec![Finding::undetermined(&owner, &what, timeout)],
                )
            });
            (Some(owner), texts, findings)
        }
    };
    let shown: Vec<Shown<'_>> = texts
        .iter()
        .map(|text| {
            let parsed = dkim::parse(text).ok();
            let key = parsed.as_ref().and_then(|p| p.key.as_ref());
            Shown {
                text,
                key_type: parsed.as_ref().map(|p| p.key_type),
                bits: key.map(dkim::PublicKey::bits),
                revoked: parsed.is_some() && key.is_none(),
            }
        })
        .collect();
    let summary = Counts::of(&findings);
    let out = &mut *streams.out;
    match config.format {
        ReportFormat::Json => {
            let report = CheckReport {
                name: name.as_deref(),
                records: shown,
                findings: &findings,
                summary,
            };
            super::write_json(out, &report)?;
        }
        ReportFormat::Text => {
            for record in &shown {
                let about = match (record.key_type, record.bits, record.revoked) {
                    (_, _, true) => " (revoked)".to_owned(),
                    (Some(key_type), Some(bits), _) => {
                        format!(" ({}, {bits} bits)", key_type.label())
                    }
                    _ => String::new(),
                };
                let label = name.as_deref().unwrap_or("record");
                writeln!(out, "{}: {:?}{about}", escape(label), escape(record.text))
                    .map_err(Error::Output)?;
            }
            for finding in &findings {
                super::spf::write_finding(out, finding).map_err(Error::Output)?;
            }
            if !config.verbosity.is_quiet() {
                writeln!(out, "{summary}").map_err(Error::Output)?;
            }
        }
    }
    Ok(finding::exit_code(&findings))
}

/// A selector entry for `dkim check`: named `selector`, holding `key`.
fn entry(selector: &str, key: Option<DkimKey>) -> DkimSelector {
    DkimSelector {
        selector: selector.to_owned(),
        key,
        flags: Vec::new(),
        hashes: Vec::new(),
        notes: None,
        retired: false,
    }
}

/// The key of `--key FILE`: a private key when the file says so, else a
/// public key or record file.
fn read_key(path: &Path) -> Result<DkimKey, Error> {
    let bad = |message: String| Error::KeyFile {
        path: path.to_owned(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|err| bad(err.to_string()))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(bad(format!(
            "larger than {MAX_KEY_FILE_BYTES} bytes: not a key"
        )));
    }
    let private = bytes.windows(11).any(|w| w == b"PRIVATE KEY")
        || (bytes.first() == Some(&0x30) && key::read(&bytes, Role::Private).is_ok());
    let role = if private { Role::Private } else { Role::Public };
    let public = key::read(&bytes, role).map_err(bad)?;
    Ok(DkimKey {
        public,
        file: PathBuf::from(path),
        private,
    })
}

/// The record of `--record`: its text, joined from quoted strings when
/// given so, and the findings about how it is split.
fn record_input(given: &str) -> Result<(String, Vec<Finding>), Error> {
    let given = given.trim();
    let mut findings = Vec::new();
    if !given.starts_with('"') {
        if given.len() > MAX_STRING_OCTETS {
            let split = split_strings(given.as_bytes());
            findings.push(Finding::new(
                "dkim-syntax",
                Severity::Warning,
                "",
                format!(
                    "the record is {} octets: one TXT string holds at most {MAX_STRING_OCTETS} (RFC 1035 §3.3.14), and some provider forms cut a longer one",
                    given.len()
                ),
                format!(
                    "publish it as {} strings, which verifiers join with no separator (RFC 6376 §3.6.2.2): {}",
                    split.len(),
                    quote_txt(&split).join(" ")
                ),
            ));
        }
        return Ok((given.to_owned(), findings));
    }
    let strings = zonefile::character_strings(given).map_err(Error::RecordText)?;
    for (i, string) in strings.iter().enumerate() {
        if string.len() > MAX_STRING_OCTETS {
            findings.push(Finding::new(
                "dkim-syntax",
                Severity::Error,
                "",
                format!(
                    "string {} is {} octets: a TXT string holds at most {MAX_STRING_OCTETS} (RFC 1035 §3.3.14)",
                    i + 1,
                    string.len()
                ),
                "split it into strings of at most 255 octets; verifiers join them with no separator",
            ));
        }
    }
    Ok((
        String::from_utf8_lossy(&strings.concat()).into_owned(),
        findings,
    ))
}
