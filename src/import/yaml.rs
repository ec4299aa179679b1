//! A [`Draft`] as commented inventory YAML: pure text, loaded back by
//! [`crate::inventory::Inventory::load`] like any inventory.

use std::fmt::Write as _;

use ipnet::IpNet;

use super::draft::{Draft, DraftDomain, Entry};
use crate::names::DomainName;
use crate::text;

/// How many lookups that could not be read are listed (a run past its
/// deadline has one per query not answered).
const MAX_UNREAD: usize = 100;

/// A comment after a value: DNS text escaped, on one line.
fn comment(text: &str) -> String {
    match text.is_empty() {
        true => String::new(),
        false => format!("  # {}", text::escape(text)),
    }
}

/// A full-line comment at `indent`.
fn line(out: &mut String, indent: &str, text: &str) {
    let _ = writeln!(out, "{indent}# {}", text::escape(text));
}

/// A YAML scalar that reads back as `text`: single-quoted.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn list<T>(
    out: &mut String,
    indent: &str,
    key: &str,
    entries: &[Entry<T>],
    show: impl Fn(&T) -> String,
) {
    if entries.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}{key}:");
    for e in entries {
        let _ = writeln!(out, "{indent}  - {}{}", show(&e.value), comment(&e.comment));
    }
}

/// Writes the draft; `domains` are the domains asked for, named in the
/// header.
pub fn render(draft: &Draft, domains: &[DomainName]) -> String {
    let mut out = String::new();
    line(
        &mut out,
        "",
        &format!(
            "Drafted by `senderzone import {}` from what DNS publishes.",
            domains.join(" ")
        ),
    );
    line(
        &mut out,
        "",
        "Each value says where it came from (record and term). Nothing was fixed on the way:",
    );
    line(
        &mut out,
        "",
        "a private address, a missing PTR, too many lookups are imported as published.",
    );
    if !draft.unrepresented.is_empty() {
        out.push_str("#\n");
        line(
            &mut out,
            "",
            "Not represented (the inventory cannot hold these):",
        );
        for item in &draft.unrepresented {
            line(&mut out, "", &format!("  - {item}"));
        }
    }
    if !draft.unread.is_empty() {
        out.push_str("#\n");
        line(
            &mut out,
            "",
            "Could not be read (the draft is incomplete there; run import again):",
        );
        for item in draft.unread.iter().take(MAX_UNREAD) {
            line(&mut out, "", &format!("  - {item}"));
        }
        if draft.unread.len() > MAX_UNREAD {
            line(
                &mut out,
                "",
                &format!("  - and {} more", draft.unread.len() - MAX_UNREAD),
            );
        }
    }
    let _ = writeln!(
        out,
        "ttl: {}{}",
        crate::inventory::DEFAULT_TTL,
        comment("TTLs are not imported: every record gets this one")
    );
    list(&mut out, "", "zones", &draft.zones, ToString::to_string);
    list(
        &mut out,
        "",
        "reverse_zones",
        &draft.reverse_zones,
        ToString::to_string,
    );
    if let Some(labels) = &draft.classless_labels {
        let word = match labels.value {
            crate::inventory::ClasslessLabels::Rfc2317 => "rfc2317",
            crate::inventory::ClasslessLabels::Rfc4183 => "rfc4183",
        };
        let _ = writeln!(out, "classless_labels: {word}{}", comment(&labels.comment));
    }
    if !draft.servers.is_empty() {
        out.push_str("servers:\n");
        for server in &draft.servers {
            let _ = writeln!(
                out,
                "  - hostname: {}{}",
                server.hostname.value,
                comment(&server.hostname.comment)
            );
            line(&mut out, "    ", &server.helo);
            list(&mut out, "    ", "ipv4", &server.ipv4, ToString::to_string);
            list(&mut out, "    ", "ipv6", &server.ipv6, ToString::to_string);
        }
    }
    if !draft.domains.is_empty() {
        out.push_str("domains:\n");
        for domain in &draft.domains {
            write_domain(&mut out, domain);
        }
    }
    line(
        &mut out,
        "",
        "Next: check the live DNS against this draft: run `senderzone verify`",
    );
    out
}

fn write_domain(out: &mut String, domain: &DraftDomain) {
    let _ = writeln!(
        out,
        "  - name: {}{}",
        domain.name.value,
        comment(&domain.name.comment)
    );
    for note in &domain.notes {
        line(out, "    ", note);
    }
    list(out, "    ", "servers", &domain.servers, ToString::to_string);
    list(out, "    ", "include", &domain.include, ToString::to_string);
    list(out, "    ", "ip4", &domain.ip4, |(net, broad)| {
        network(IpNet::V4(*net), *broad)
    });
    list(out, "    ", "ip6", &domain.ip6, |(net, broad)| {
        network(IpNet::V6(*net), *broad)
    });
    let _ = writeln!(
        out,
        "    all: {}{}",
        domain.all.value,
        comment(&domain.all.comment)
    );
    if let Some(dmarc) = &domain.dmarc {
        let _ = writeln!(out, "    dmarc:{}", comment(&dmarc.comment));
        for (key, value) in &dmarc.tags {
            let _ = writeln!(
                out,
                "      {key}: {}{}",
                value.value,
                comment(&value.comment)
            );
        }
        for (key, addresses) in [("rua", &dmarc.rua), ("ruf", &dmarc.ruf)] {
            if !addresses.is_empty() {
                let shown: Vec<String> = addresses.iter().map(|a| quoted(a)).collect();
                let _ = writeln!(out, "      {key}: [{}]", shown.join(", "));
            }
        }
    }
    write_dkim(out, &domain.dkim);
}

/// An `ip4`/`ip6` entry: a single address as itself, a network broader
/// than the inventory takes plainly with `broad: true`.
fn network(net: IpNet, broad: bool) -> String {
    match (broad, net.prefix_len() == net.max_prefix_len()) {
        (true, _) => format!("{{network: {net}, broad: true}}"),
        (false, true) => net.addr().to_string(),
        (false, false) => net.to_string(),
    }
}

/// The domain's DKIM selectors, each with the key found: the one place
/// that knows how the inventory spells them (`dkim: [{selector: ..}]`,
/// an entry without a key file: the key is published by whoever signs).
fn write_dkim(out: &mut String, selectors: &[Entry<String>]) {
    list(out, "    ", "dkim", selectors, |selector| {
        format!("selector: {}", quoted(selector))
    });
}
