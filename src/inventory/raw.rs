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
    pub dmarc: Option<RawDmarc>,
    #[serde(default)]
    pub dkim_selectors: Vec<String>,
}

/// The `dmarc` mapping of a domain.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDmarc {
    pub policy: String,
    pub subdomain_policy: Option<String>,
    #[serde(default)]
    pub rua: Vec<String>,
    #[serde(default)]
    pub ruf: Vec<String>,
    pub adkim: Option<String>,
    pub aspf: Option<String>,
}

/// Deserialises the YAML text. This is the one place that names the YAML
/// crate: swapping `serde_yaml` for a maintained fork changes only this line.
pub fn from_yaml(text: &str) -> Result<RawInventory, YamlError> {
    let deserializer = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let position = inner.location().map(|l| (l.line(), l.column()));
        let message = clean_message(&inner.to_string(), &path);
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

/// Removes what serde_yaml repeats of the position and path, and names the
/// expected shapes in the inventory's terms rather than Rust's.
fn clean_message(message: &str, path: &str) -> String {
    let mut message = message.to_owned();
    // " at line L column C" may appear more than once.
    while let Some(start) = message.find(" at line ") {
        let rest = &message[start + " at line ".len()..];
        let end = rest
            .find(" column ")
            .map(|c| {
                let digits = rest[c + " column ".len()..]
                    .find(|ch: char| !ch.is_ascii_digit())
                    .unwrap_or(rest.len() - c - " column ".len());
                c + " column ".len() + digits
            })
            .unwrap_or(rest.len());
        message.replace_range(start..start + " at line ".len() + end, "");
    }
    if let Some((head, rest)) = message.split_once(": ")
        && (head == path || (!head.contains(' ') && (head.contains('.') || head.contains('['))))
    {
        message = rest.to_owned();
    }
    message
        .replace(
            "struct RawInventory",
            "a mapping with `zones`, `servers` and `domains`",
        )
        .replace(
            "struct RawServer",
            "a server mapping (`hostname`, `ipv4`, `ipv6`)",
        )
        .replace(
            "struct RawDomain",
            "a domain mapping (`name`, `servers`, `include`)",
        )
}

#[cfg(test)]
mod tests {
    use super::clean_message;

    #[test]
    fn drops_repeated_positions_and_paths() {
        assert_eq!(
            clean_message(
                "did not find expected ',' or ']' at line 3 column 8, while parsing a flow sequence at line 2 column 8",
                "zones"
            ),
            "did not find expected ',' or ']', while parsing a flow sequence"
        );
        assert_eq!(
            clean_message("ttl: invalid type: string \"abc\", expected u32", "ttl"),
            "invalid type: string \"abc\", expected u32"
        );
        assert_eq!(
            clean_message("invalid type: sequence, expected struct RawInventory", ""),
            "invalid type: sequence, expected a mapping with `zones`, `servers` and `domains`"
        );
    }
}
