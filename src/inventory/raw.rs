//! The inventory as written: serde structs holding raw values only.
//!
//! Every struct denies unknown fields, so a typo such as `server:` for
//! `servers:` is an error rather than a silently ignored key. Addresses and
//! names stay strings here; `validate` parses them and reports each problem
//! at its own position.

use serde::Deserialize;

/// The top-level mapping of an inventory file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInventory {
    pub ttl: Option<u32>,
    #[serde(default)]
    pub zones: Vec<String>,
    #[serde(default)]
    pub reverse_zones: Vec<String>,
    pub classless_labels: Option<String>,
    #[serde(default)]
    pub servers: Vec<RawServer>,
    #[serde(default)]
    pub domains: Vec<RawDomain>,
}

/// One entry of `servers`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub hostname: String,
    pub helo: Option<String>,
    #[serde(default)]
    pub ipv4: Vec<String>,
    #[serde(default)]
    pub ipv6: Vec<String>,
    pub ttl: Option<u32>,
}

/// One entry of `domains`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDomain {
    pub name: String,
    #[serde(default)]
    pub servers: Vec<String>,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub ip4: Vec<String>,
    #[serde(default)]
    pub ip6: Vec<String>,
    pub all: Option<String>,
    pub ttl: Option<u32>,
}

/// Deserialises the YAML text. This is the one place that names the YAML
/// crate: swapping `serde_yaml` for a maintained fork changes only this line.
pub fn from_yaml(text: &str) -> Result<RawInventory, YamlError> {
    let deserializer = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let position = inner.location().map(|l| (l.line(), l.column()));
        let mut message = inner.to_string();
        // serde_yaml appends " at line L column C"; the position is reported separately.
        if let Some(cut) = message.rfind(" at line ") {
            message.truncate(cut);
        }
        YamlError {
            path: if path == "." { String::new() } else { path },
            position,
            message,
        }
    })
}

/// A YAML syntax or shape error, with what serde knows of its place.
#[derive(Debug)]
pub struct YamlError {
    /// Key path of the value being read (empty at the top).
    pub path: String,
    /// 1-based line and column, when the parser knows them.
    pub position: Option<(usize, usize)>,
    /// What went wrong.
    pub message: String,
}
