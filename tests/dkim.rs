//! DKIM keys end to end: keys made by openssl (RSA 1024, 2048 and 4096,
//! Ed25519, PKCS#8 and PKCS#1) and by `dkim keygen`, named in an
//! inventory as private keys, public keys and opendkim record files; the
//! key records `generate` writes served by NSD and by PowerDNS and read
//! back byte for byte; openssl verifying, with the key DNS serves, a
//! signature made with the private key; drift, revocation and malformed
//! key files caught; every output form carrying the same record.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use serde_json::Value;

use senderzone::dns::Txt;
use senderzone::inventory::Inventory;
use senderzone::records::{self, Plan, RecordData};
use senderzone::render::{self, quote_txt};

use crate::support::{self, BIN, PowerDns};

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// SubjectPublicKeyInfo DER of an Ed25519 key, before its 32 octets
/// (RFC 8410 §4).
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Runs openssl and returns its stdout; a failure is a panic.
fn openssl(args: &[&str]) -> Vec<u8> {
    let output = Command::new(support::tool("openssl"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_owned()
}

/// The public key of a private key file as openssl writes it: DER.
fn public_der(private: &str) -> Vec<u8> {
    openssl(&["pkey", "-in", private, "-pubout", "-outform", "DER"])
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// A selector of the test inventory with the private key openssl or
/// `dkim keygen` made for it.
struct Signer {
    selector: &'static str,
    private: String,
    ed25519: bool,
}

/// Keys and an inventory naming them, in a temporary directory.
struct Setup {
    dir: tempfile::TempDir,
    inventory: PathBuf,
    signers: Vec<Signer>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys = d.join("keys");
    std::fs::create_dir(&keys).unwrap();
    let key = |name: &str| path(&keys, name);
    for bits in ["1024", "2048", "4096"] {
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &format!("rsa_keygen_bits:{bits}"),
            "-out",
            &key(&format!("r{bits}.pem")),
        ]);
    }
    // PKCS#1, as older openssl and opendkim-genkey write it.
    openssl(&["genrsa", "-traditional", "-out", &key("pkcs1.pem"), "2048"]);
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", &key("ed.pem")]);
    openssl(&[
        "genpkey",
        "-algorithm",
        "ed25519",
        "-out",
        &key("ed-old.pem"),
    ]);
    // Public keys: a PEM SubjectPublicKeyInfo, and opendkim-genkey's
    // record file for the 4096-bit key.
    openssl(&[
        "pkey",
        "-in",
        &key("r2048.pem"),
        "-pubout",
        "-out",
        &key("r2048.pub"),
    ]);
    let p = format!("p={}", BASE64.encode(public_der(&key("r4096.pem"))));
    let chunks: Vec<String> = p
        .as_bytes()
        .chunks(250)
        .map(|c| format!("\t  \"{}\"", std::str::from_utf8(c).unwrap()))
        .collect();
    std::fs::write(
        keys.join("big.txt"),
        format!(
            "big._domainkey\tIN\tTXT\t( \"v=DKIM1; h=sha256; k=rsa; \"\n{} )  ; ----- DKIM key big for example.com\n",
            chunks.join("\n")
        ),
    )
    .unwrap();
    for (selector, algorithm) in [("kg", "rsa2048"), ("kge", "ed25519")] {
        let output = run(&[
            "dkim",
            "keygen",
            "--domain",
            "example.com",
            "--selector",
            selector,
            "--algorithm",
            algorithm,
            "--out",
            keys.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", support::stderr(&output));
    }
    let inventory = d.join("inv.yaml");
    std::fs::write(
        &inventory,
        "zones: [example.com]\nreverse_zones: [198.51.100.0/24]\nservers:\n  - hostname: mail.example.com\n    ipv4: [198.51.100.10]\n\
         domains:\n  - name: example.com\n    servers: [mail.example.com]\n    dkim:\n\
         \x20     - {selector: r1024, private_key: keys/r1024.pem}\n\
         \x20     - {selector: r2048, public_key: keys/r2048.pub, flags: [y], hash: [sha256]}\n\
         \x20     - {selector: big, public_key: keys/big.txt}\n\
         \x20     - {selector: pkcs1, private_key: keys/pkcs1.pem, notes: rotated 2026; see wiki}\n\
         \x20     - {selector: ed, private_key: keys/ed.pem}\n\
         \x20     - {selector: old, private_key: keys/ed-old.pem, retired: true}\n\
         \x20     - {selector: kg, private_key: keys/example.com.kg.key}\n\
         \x20     - {selector: kge, private_key: keys/example.com.kge.key}\n\
         \x20     - google\n",
    )
    .unwrap();
    let signer = |selector, file: &str, ed25519| Signer {
        selector,
        private: key(file),
        ed25519,
    };
    let signers = vec![
        signer("r1024", "r1024.pem", false),
        signer("r2048", "r2048.pem", false),
        signer("big", "r4096.pem", false),
        signer("pkcs1", "pkcs1.pem", false),
        signer("ed", "ed.pem", true),
        signer("kg", "example.com.kg.key", false),
        signer("kge", "example.com.kge.key", true),
    ];
    Setup {
        dir,
        inventory,
        signers,
    }
}

fn plan_of(inventory: &Path) -> Plan {
    records::plan(&Inventory::load(inventory).unwrap().inventory)
}

/// The planned TXT strings at `owner`.
fn planned(plan: &Plan, owner: &str) -> Txt {
    plan.zones
        .iter()
        .flat_map(|z| &z.records)
        .find_map(|r| match &r.data {
            RecordData::Txt(strings) if r.owner == owner => Some(strings.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no planned TXT at {owner}"))
}

/// The `p=` octets of a joined key record.
fn p_of(record: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(record).unwrap();
    let (_, p) = text.rsplit_once("p=").unwrap();
    BASE64.decode(p.trim()).unwrap()
}

/// openssl signs with `signer`'s private key and verifies with the key
/// `served` (a joined key record) holds.
fn assert_openssl_verifies(dir: &Path, signer: &Signer, served: &[u8]) {
    let p = p_of(served);
    let spki = if signer.ed25519 {
        assert_eq!(
            p.len(),
            32,
            "{}: RFC 8463 publishes the bare key",
            signer.selector
        );
        [&ED25519_SPKI_PREFIX[..], &p].concat()
    } else {
        p
    };
    assert_eq!(
        spki,
        public_der(&signer.private),
        "{}: the served key is the private key's",
        signer.selector
    );
    let name = |suffix: &str| path(dir, &format!("{}.{suffix}", signer.selector));
    std::fs::write(name("spki.der"), &spki).unwrap();
    std::fs::write(name("msg"), b"a message to sign").unwrap();
    let verify = if signer.ed25519 {
        openssl(&[
            "pkeyutl",
            "-sign",
            "-rawin",
            "-inkey",
            &signer.private,
            "-in",
            &name("msg"),
            "-out",
            &name("sig"),
        ]);
        openssl(&[
            "pkeyutl",
            "-verify",
            "-rawin",
            "-pubin",
            "-keyform",
            "DER",
            "-inkey",
            &name("spki.der"),
            "-in",
            &name("msg"),
            "-sigfile",
            &name("sig"),
        ])
    } else {
        openssl(&[
            "dgst",
            "-sha256",
            "-sign",
            &signer.private,
            "-out",
            &name("sig"),
            &name("msg"),
        ]);
        openssl(&[
            "pkey",
            "-pubin",
            "-inform",
            "DER",
            "-in",
            &name("spki.der"),
            "-out",
            &name("spki.pem"),
        ]);
        openssl(&[
            "dgst",
            "-sha256",
            "-verify",
            &name("spki.pem"),
            "-signature",
            &name("sig"),
            &name("msg"),
        ])
    };
    let verify = String::from_utf8_lossy(&verify);
    assert!(
        verify.contains("Verified OK") || verify.contains("Signature Verified Successfully"),
        "{}: {verify}",
        signer.selector
    );
}

#[test]
fn nsd_and_powerdns_serve_the_key_records_byte_exact_and_openssl_verifies_them() {
    let setup = setup();
    let plan = plan_of(&setup.inventory);
    assert_eq!(plan.diagnostics, []);
    let owner = |selector: &str| format!("{selector}._domainkey.example.com");

    // NSD serves the zone files `generate --out` writes.
    let zones: Vec<(String, String)> = support::generated_zones(&setup.inventory)
        .into_iter()
        .map(|(origin, text)| (origin.clone(), support::wrap_zone(&origin, &text)))
        .collect();
    for (origin, zone) in &zones {
        support::checkzone(origin, zone).unwrap();
    }
    let nsd = support::Nsd::start(&zones);

    // PowerDNS serves what the generated PATCH bodies put there.
    let out = setup.dir.path().join("pdns");
    let output = run(&[
        "generate",
        setup.inventory.to_str().unwrap(),
        "--format",
        "powerdns",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", support::stderr(&output));
    let pdns = PowerDns::start();
    for zone in &plan.zones {
        let id = pdns.create_zone(&zone.origin);
        pdns.patch(&id, &out.join(render::file_name(zone, "json")));
    }

    for signer in &setup.signers {
        let owner = owner(signer.selector);
        let want = planned(&plan, &owner);
        assert!(want.iter().all(|s| s.len() <= 255), "{owner}: {want:?}");
        let from_nsd = support::query_txt(nsd.addr(), &owner);
        let from_pdns = support::query_txt(pdns.dns, &owner);
        assert_eq!(from_nsd, std::slice::from_ref(&want), "{owner} from NSD");
        assert_eq!(
            from_pdns,
            std::slice::from_ref(&want),
            "{owner} from PowerDNS\n{}",
            pdns.log()
        );
        assert_openssl_verifies(setup.dir.path(), signer, &from_nsd[0].concat());
    }
    // A 4096-bit key spans several strings; the tags come first.
    let big = support::query_txt(nsd.addr(), &owner("big"));
    assert!(big[0].len() >= 3, "{big:?}");
    assert_eq!(big[0][0], b"v=DKIM1; k=rsa; h=sha256; ");
    let r2048 = support::query_txt(nsd.addr(), &owner("r2048"))[0].concat();
    assert!(r2048.starts_with(b"v=DKIM1; k=rsa; h=sha256; t=y; p=MIIBIjAN"));
    let pkcs1 = support::query_txt(nsd.addr(), &owner("pkcs1"))[0].concat();
    assert!(pkcs1.starts_with(b"v=DKIM1; k=rsa; n=rotated=202026=3B=20see=20wiki; p="));
    // The retired key is revoked; a selector alone is not published.
    assert_eq!(
        support::query_txt(nsd.addr(), &owner("old")),
        [vec![b"v=DKIM1; k=ed25519; p=".to_vec()]]
    );
    assert_eq!(
        support::query_txt(pdns.dns, &owner("old")),
        support::query_txt(nsd.addr(), &owner("old"))
    );
    assert!(support::query_txt(nsd.addr(), &owner("google")).is_empty());

    // verify finds the served keys are the inventory's: only the notes
    // the inventory's own keys deserve, and Google's key missing.
    let output = run(&[
        "verify",
        setup.inventory.to_str().unwrap(),
        "--nameserver",
        &nsd.addr().to_string(),
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let dkim: Vec<String> = support::finding_ids(&report)
        .into_iter()
        .filter(|id| id.starts_with("dkim-"))
        .collect();
    assert_eq!(
        dkim,
        [
            "dkim-weak r1024._domainkey.example.com",
            "dkim-testing r2048._domainkey.example.com",
            "dkim-missing google._domainkey.example.com",
        ],
        "{report}"
    );
}

fn finding<'a>(report: &'a Value, id: &str, subject: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id && f["subject"] == subject)
        .unwrap_or_else(|| panic!("no {id} {subject} in {report}"))
}

#[test]
fn verify_catches_drift_revocation_and_a_retired_key_still_published() {
    let setup = setup();
    let d = setup.dir.path();
    // What DNS serves: another inventory's records. `r2048` holds the
    // 4096-bit key (drift), `ed` is revoked though in use, `old` still
    // publishes its key though retired, `kg` is missing, and `pkcs1`
    // publishes its key as a bare RSAPublicKey: the same key, no drift.
    let live = d.join("live.yaml");
    let text = std::fs::read_to_string(&setup.inventory).unwrap();
    let text = text
        .replace("{selector: r2048, public_key: keys/r2048.pub, flags: [y], hash: [sha256]}", "{selector: r2048, private_key: keys/r4096.pem}")
        .replace("{selector: ed, private_key: keys/ed.pem}", "{selector: ed, private_key: keys/ed.pem, retired: true}")
        .replace("{selector: old, private_key: keys/ed-old.pem, retired: true}", "{selector: old, private_key: keys/ed-old.pem}")
        .replace("      - {selector: kg, private_key: keys/example.com.kg.key}\n", "")
        .replace("      - {selector: pkcs1, private_key: keys/pkcs1.pem, notes: rotated 2026; see wiki}\n", "");
    std::fs::write(&live, text).unwrap();
    let bare = openssl(&[
        "rsa",
        "-in",
        &path(&d.join("keys"), "pkcs1.pem"),
        "-RSAPublicKey_out",
        "-outform",
        "DER",
    ]);
    let bare = format!(
        "pkcs1._domainkey 3600 IN TXT {}\n",
        quote_txt(&[
            b"v=DKIM1; k=rsa; n=rotated=202026=3B=20see=20wiki; ".to_vec(),
            format!("p={}", BASE64.encode(&bare[..180])).into_bytes(),
            BASE64.encode(&bare[180..]).into_bytes()
        ])
        .join(" ")
    );
    // Split at a multiple of 3 octets, so the two base64 parts join.
    assert_eq!(180 % 3, 0);
    let zones: Vec<(String, String)> = support::generated_zones(&live)
        .into_iter()
        .map(|(origin, mut text)| {
            if origin == "example.com" {
                text.push_str(&bare);
            }
            (origin.clone(), support::wrap_zone(&origin, &text))
        })
        .collect();
    let nsd = support::Nsd::start(&zones);
    let output = run(&[
        "verify",
        setup.inventory.to_str().unwrap(),
        "--nameserver",
        &nsd.addr().to_string(),
        "--receivers",
        "--format",
        "json",
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        support::stderr(&output)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let drift = finding(&report, "dkim-drift", "r2048._domainkey.example.com");
    assert_eq!(drift["severity"], "error");
    let message = drift["message"].as_str().unwrap();
    assert!(
        message.contains("RSA 4096 bits") && message.contains("RSA 2048 bits"),
        "{message}"
    );
    assert!(
        drift["expected"]
            .as_str()
            .unwrap()
            .starts_with("v=DKIM1; k=rsa; h=sha256; t=y; p=")
    );
    assert_eq!(
        finding(&report, "dkim-revoked", "ed._domainkey.example.com")["severity"],
        "error"
    );
    let retired = finding(&report, "dkim-drift", "old._domainkey.example.com");
    assert_eq!(retired["severity"], "warning");
    assert_eq!(retired["expected"], "v=DKIM1; k=ed25519; p=");
    assert!(
        support::finding_ids(&report)
            .contains(&"dkim-missing kg._domainkey.example.com".to_owned())
    );
    assert!(
        !support::finding_ids(&report)
            .iter()
            .any(|id| id.contains("pkcs1._domainkey")),
        "the bare RSAPublicKey is the same key: {report}"
    );
    // The receiver rules name what breaks DKIM.
    let rule = report["receivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["receiver"] == "Microsoft" && r["rule"] == "DKIM passes")
        .unwrap();
    assert_eq!(rule["status"], "not-met");
    assert_eq!(
        rule["evidence"],
        serde_json::json!(["dkim-drift", "dkim-missing", "dkim-revoked"])
    );

    // `dkim check` sees the same, one record alone.
    let output = run(&[
        "dkim",
        "check",
        "r2048._domainkey.example.com",
        "--nameserver",
        &nsd.addr().to_string(),
        "--key",
        &path(&d.join("keys"), "r2048.pem"),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let check: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(check["records"][0]["bits"], 4096);
    assert_eq!(
        support::finding_ids(&check),
        ["dkim-drift r2048._domainkey.example.com"]
    );
}

#[test]
fn malformed_and_weak_key_files_are_inventory_errors_at_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = |name: &str| path(d, name);
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        &key("good.pem"),
    ]);
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:512",
        "-out",
        &key("r512.pem"),
    ]);
    let good = std::fs::read_to_string(key("good.pem")).unwrap();
    let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
    lines[3].insert(5, '!');
    std::fs::write(key("bad-char.pem"), lines.join("\n") + "\n").unwrap();
    // Whole base64 lines dropped: valid base64, DER cut short.
    let mut cut: Vec<&str> = good.lines().collect();
    cut.drain(5..20);
    std::fs::write(key("cut.pem"), cut.join("\n") + "\n").unwrap();
    let inventory = d.join("inv.yaml");
    std::fs::write(
        &inventory,
        "zones: [example.com]\ndomains:\n  - name: example.com\n    ip4: [198.51.100.0/24]\n    dkim:\n\
         \x20     - {selector: a, private_key: bad-char.pem}\n\
         \x20     - {selector: b, private_key: cut.pem}\n\
         \x20     - {selector: c, private_key: r512.pem}\n\
         \x20     - {selector: d, public_key: good.pem}\n\
         \x20     - {selector: e, private_key: missing.pem}\n",
    )
    .unwrap();
    let output = run(&["generate", inventory.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let err = support::stderr(&output);
    let file = inventory.display().to_string();
    for expected in [
        format!(
            "{file}:6:36: `domains[0].dkim[0].private_key`: key file `{}`: line 4, column 6: `!` is not base64",
            key("bad-char.pem")
        ),
        format!(
            "{file}:7:36: `domains[0].dkim[1].private_key`: key file `{}`: the DER inside the `PRIVATE KEY` block (lines 1–{}) is not a PKCS#8 PrivateKeyInfo",
            key("cut.pem"),
            cut.len()
        ),
        format!(
            "{file}:8:36: `domains[0].dkim[2].private_key`: the RSA key in `{}` has 512 bits: RFC 8301 §3.2 forbids",
            key("r512.pem")
        ),
        format!(
            "{file}:9:35: `domains[0].dkim[3].public_key`: key file `{}`: the `PRIVATE KEY` block (lines 1–28) is a private key",
            key("good.pem")
        ),
        format!(
            "{file}:10:36: `domains[0].dkim[4].private_key`: cannot read key file `{}`",
            key("missing.pem")
        ),
    ] {
        assert!(err.contains(&expected), "{expected}\nnot in:\n{err}");
    }
    assert!(err.contains("DER byte"), "{err}");
}

#[test]
fn every_output_form_carries_the_same_record() {
    let setup = setup();
    // DigitalOcean takes at most 509 raw octets: no 4096-bit key there.
    let text = std::fs::read_to_string(&setup.inventory)
        .unwrap()
        .replace("      - {selector: big, public_key: keys/big.txt}\n", "");
    std::fs::write(&setup.inventory, text).unwrap();
    let plan = plan_of(&setup.inventory);
    let inventory = setup.inventory.to_str().unwrap();
    let generate = |format: &str| {
        let output = run(&["generate", inventory, "--format", format]);
        assert!(
            output.status.success(),
            "{format}: {}",
            support::stderr(&output)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let json = |format: &str| -> Value { serde_json::from_str(&generate(format)).unwrap() };
    let forms: Vec<(&str, String)> = [
        "zone",
        "nsupdate",
        "json",
        "cloudflare",
        "cloudflare-batch",
        "route53",
        "powerdns",
        "gcloud",
        "digitalocean",
        "octodns",
    ]
    .iter()
    .map(|f| (*f, generate(f)))
    .collect();
    let mut checked = 0;
    for selector in ["r1024", "r2048", "pkcs1", "ed", "old", "kg", "kge"] {
        let owner = format!("{selector}._domainkey.example.com");
        let strings = planned(&plan, &owner);
        let quoted = quote_txt(&strings).join(" ");
        let joined = String::from_utf8(strings.concat()).unwrap();
        for (format, text) in &forms {
            let found = match *format {
                // One line per string, in order, under the owner.
                "zone" => {
                    let start = text.find(&format!("{selector}._domainkey ")).unwrap();
                    let rest = &text[start..];
                    let mut at = 0;
                    quote_txt(&strings)
                        .iter()
                        .all(|s| match rest[at..].find(s.as_str()) {
                            Some(i) => {
                                at += i + s.len();
                                true
                            }
                            None => false,
                        })
                }
                "nsupdate" => text.contains(&format!("update add {owner}. 3600 IN TXT {quoted}\n")),
                "octodns" => text.contains(&format!("value: '{}'", joined.replace(';', "\\;"))),
                _ => {
                    let value = json(format);
                    let expect = match *format {
                        "json" => {
                            serde_json::json!({"zone": "example.com.", "owner": format!("{owner}."), "type": "TXT", "ttl": 3600, "data": joined, "strings": strings.iter().map(|s| String::from_utf8(s.to_vec()).unwrap()).collect::<Vec<_>>()})
                        }
                        "cloudflare" | "cloudflare-batch" => {
                            serde_json::json!({"type": "TXT", "name": owner, "content": quoted, "ttl": 3600})
                        }
                        "route53" => {
                            serde_json::json!({"Action": "UPSERT", "ResourceRecordSet": {"Name": format!("{owner}."), "Type": "TXT", "TTL": 3600, "ResourceRecords": [{"Value": quoted}]}})
                        }
                        "powerdns" => serde_json::json!({"content": quoted, "disabled": false}),
                        "gcloud" => {
                            serde_json::json!({"name": format!("{owner}."), "type": "TXT", "ttl": 3600, "rrdatas": [quoted]})
                        }
                        "digitalocean" => {
                            serde_json::json!({"type": "TXT", "name": format!("{selector}._domainkey"), "data": joined, "priority": null, "port": null, "ttl": 3600, "weight": null, "flags": null, "tag": null})
                        }
                        other => unreachable!("{other}"),
                    };
                    contains(&value, &expect)
                }
            };
            assert!(found, "{format}: no {owner} record {quoted}\n{text}");
            checked += 1;
        }
    }
    assert_eq!(checked, 70);
}

/// True when `expected` is `value` or a part of it, at any depth.
fn contains(value: &Value, expected: &Value) -> bool {
    value == expected
        || match value {
            Value::Array(items) => items.iter().any(|v| contains(v, expected)),
            Value::Object(map) => map.values().any(|v| contains(v, expected)),
            _ => false,
        }
}

#[test]
fn keygen_never_overwrites_and_writes_the_key_for_its_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new/keys");
    let args = [
        "dkim",
        "keygen",
        "--domain",
        "Example.COM.",
        "--selector",
        "S2026",
        "--out",
        out.to_str().unwrap(),
    ];
    let output = run(&args);
    assert!(output.status.success(), "{}", support::stderr(&output));
    let file = out.join("example.com.s2026.key");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let stdout = support::stdout(&output);
    assert!(stdout.contains("- selector: s2026\n"), "{stdout}");
    assert!(
        stdout.contains(&format!("  private_key: {}\n", file.display())),
        "{stdout}"
    );
    let record = stdout.lines().last().unwrap();
    assert!(
        record
            .starts_with("s2026._domainkey.example.com. IN TXT \"v=DKIM1; k=rsa; \" \"p=MIIBIjAN"),
        "{record}"
    );
    assert!(
        !stdout.contains("PRIVATE"),
        "the private key is never printed"
    );
    // openssl reads the key, and its public key is the record's.
    let joined: String = record.split('"').skip(1).step_by(2).collect();
    assert_eq!(p_of(joined.as_bytes()), public_der(file.to_str().unwrap()));
    let before = std::fs::read(&file).unwrap();
    let again = run(&args);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        support::stderr(&again).contains("already exists"),
        "{}",
        support::stderr(&again)
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
    let bad = run(&[
        "dkim",
        "keygen",
        "--domain",
        "example.com",
        "--selector",
        "a b",
        "--out",
        "x",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(support::stderr(&bad).contains("invalid `--selector` value `a b`"));
    // Values echoed in errors are escaped: no control character reaches
    // the terminal.
    for args in [
        vec![
            "dkim",
            "keygen",
            "--domain",
            "example.com",
            "--selector",
            "s\x1b[31m",
            "--out",
            "x",
        ],
        vec!["dkim", "check", "s\x1b[31m._domainkey.example.com"],
    ] {
        let bad = run(&args);
        assert_eq!(bad.status.code(), Some(2), "{args:?}");
        let err = support::stderr(&bad);
        assert!(!err.contains('\x1b'), "{args:?}: {err:?}");
        assert!(err.contains("`s\\027[31m"), "{args:?}: {err:?}");
    }
}

#[test]
fn dkim_check_lints_a_record_given_as_text() {
    let check = |record: &str| {
        let output = run(&["dkim", "check", "--record", record, "--format", "json"]);
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", support::stderr(&output)));
        (output.status.code(), report)
    };
    let (code, report) = check("v=DKIM1; k=rsa; p=MIGfMA0G\"\"CSqGSIb3");
    assert_eq!(code, Some(1));
    let syntax = &report["findings"][0];
    assert_eq!(syntax["id"], "dkim-syntax");
    let message = syntax["message"].as_str().unwrap();
    assert!(
        message.contains("column 27, tag `p=`: `\"` is not base64"),
        "{message}"
    );
    let (_, report) = check("v=DKIM1; p=-----BEGIN PUBLIC KEY-----MIIB");
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("PEM header")
    );
    // A 1024-bit key in one piece, under 255 octets: a warning about size.
    let dir = tempfile::tempdir().unwrap();
    let key = path(dir.path(), "k.pem");
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:1024",
        "-out",
        &key,
    ]);
    let p = BASE64.encode(public_der(&key));
    let (code, report) = check(&format!("v=DKIM1; k=rsa; t=y; p={p}"));
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["records"][0]["bits"], 1024);
    let found: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["dkim-weak", "dkim-testing"]);
    // A 4096-bit key in one piece: how to split it.
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:4096",
        "-out",
        &key,
    ]);
    let p = BASE64.encode(public_der(&key));
    let (code, report) = check(&format!("v=DKIM1; k=rsa; p={p}"));
    assert_eq!(code, Some(0), "{report}");
    let split = &report["findings"][0];
    assert_eq!(
        (&split["id"], &split["severity"]),
        (&Value::from("dkim-syntax"), &Value::from("warning"))
    );
    assert!(
        split["fix"]
            .as_str()
            .unwrap()
            .contains("\"v=DKIM1; k=rsa; \" \"p="),
        "{split}"
    );
    // Its quoted strings, as dig shows them, are the same key.
    let fix = split["fix"].as_str().unwrap();
    let quoted = &fix[fix.find('"').unwrap()..];
    let (code, report) = check(quoted);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["records"][0]["bits"], 4096);
    assert_eq!(report["findings"], serde_json::json!([]));
}
