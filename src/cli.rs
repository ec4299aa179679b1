//! Command-line arguments as typed by the user (clap derive). Values are
//! raw here; `app` turns them into validated configuration.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  senderzone init mail.yaml                 write a commented starter inventory
  senderzone generate mail.yaml             print zone-file snippets
  senderzone generate mail.yaml --out dns/  one file per zone, written atomically
  senderzone generate mail.yaml --format nsupdate --nsupdate-server 192.0.2.53
  senderzone generate mail.yaml --format route53 --out aws/
  senderzone generate mail.yaml --template hetzner.json.j2
  senderzone spf check 'v=spf1 ip4:192.0.2.0/24 -all'
  senderzone spf eval --domain example.com --ip 192.0.2.10
  senderzone verify mail.yaml --nameserver 192.0.2.53

Exit codes: 0 ok, 1 problems found, 2 bad input or usage, 3 DNS could not answer.";

/// Generate and verify the DNS records a mail server needs: SPF, A/AAAA, PTR.
///
/// Describe your sending servers and domains once in a YAML inventory;
/// senderzone writes every record that setup needs (SPF TXT, A/AAAA, PTR
/// including classless reverse zones) as zone-file snippets, nsupdate
/// scripts or JSON.
#[derive(Debug, Parser)]
#[command(name = "senderzone", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate the records an inventory needs.
    #[command(after_help = "Example:\n  senderzone generate mail.yaml --format zone --out dns/")]
    Generate(GenerateArgs),
    /// Write a commented starter inventory (never overwrites a file).
    #[command(after_help = "Example:\n  senderzone init mail.yaml && $EDITOR mail.yaml")]
    Init {
        /// Where to write it; `-` prints it.
        #[arg(default_value = "senderzone.yaml")]
        file: PathBuf,
    },
    /// Check and evaluate SPF records (RFC 7208).
    #[command(subcommand)]
    Spf(SpfCommand),
    /// Check live DNS against the inventory: drift, SPF authorization, PTR
    /// and FCrDNS, HELO names.
    #[command(after_help = "Examples:
  senderzone verify mail.yaml
  senderzone verify mail.yaml --nameserver 192.0.2.53 --format json
  senderzone verify mail.yaml --zone-file dns/example.com.zone --zone-file dns/113.0.203.in-addr.arpa.zone

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 bad input,
3 DNS could not answer enough to decide (dns-error findings, no other error).")]
    Verify(VerifyArgs),
    /// Check addresses and domains against DNS blocklists, believing only
    /// lists that pass their RFC 5782 test entries in the same run.
    #[command(after_help = "Examples:
  senderzone dnsbl 203.0.113.10 2001:db8::25
  senderzone dnsbl example.com --list dbl.spamhaus.org
  senderzone dnsbl 203.0.113.10 --lists my-lists.yaml --nameserver 127.0.0.1

Exit codes: 0 not listed (on at least one healthy list), or listed only with
minor or informational impact, 1 listed with critical, policy or important
impact, 2 bad input, 3 no verdict (no list could be believed).")]
    Dnsbl(DnsblArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  senderzone completions bash > /etc/bash_completion.d/senderzone"
    )]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = "Example:\n  senderzone man > senderzone.1 && man ./senderzone.1")]
    Man,
}

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The inventory (YAML).
    pub inventory: PathBuf,
    /// Output form: zone-file snippets, an nsupdate script, neutral JSON,
    /// or a provider's API payload (see README, "Provider payloads and
    /// templates").
    #[arg(long, value_enum, default_value_t = OutputFormat::Zone)]
    pub format: OutputFormat,
    /// Render each zone with this minijinja template instead of a built-in
    /// form; the extension before `.j2` names the output's (`x.json.j2`
    /// gives `.json`).
    #[arg(long, value_name = "FILE", conflicts_with = "format")]
    pub template: Option<PathBuf>,
    /// Write one file per zone into DIR (created if missing) instead of
    /// printing; each file is written whole or not at all.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With `--format nsupdate`: the server to send updates to, `HOST` or
    /// `HOST:PORT` (default: the zone's primary from its SOA).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub nsupdate_server: Option<String>,
}

/// Output forms of `generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// RFC 1035 zone-file snippets.
    Zone,
    /// RFC 2136 scripts for nsupdate.
    Nsupdate,
    /// A neutral JSON list of records.
    Json,
    /// Cloudflare API v4 record bodies (a JSON array per zone).
    Cloudflare,
    /// Cloudflare API v4 batch body (`{"posts": [...]}` per zone).
    CloudflareBatch,
    /// AWS Route 53 ChangeResourceRecordSets change batch (UPSERT).
    Route53,
    /// PowerDNS HTTP API zone PATCH body (rrsets, REPLACE).
    Powerdns,
    /// Google Cloud DNS changes body (additions).
    Gcloud,
    /// DigitalOcean domain record bodies (no PTR: reverse zones left out).
    Digitalocean,
    /// octoDNS YamlProvider zone file.
    Octodns,
}

/// `senderzone spf …`.
#[derive(Debug, Subcommand)]
pub enum SpfCommand {
    /// Parse and lint an SPF record given as text, or the live record of a
    /// domain and everything it includes.
    #[command(after_help = "Examples:
  senderzone spf check 'v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all'
  senderzone spf check --domain example.com --strict
  senderzone spf check --domain example.com --zone-file example.com.zone

Exit codes: 0 clean (warnings allowed), 1 errors found, 2 bad input (a record
that does not parse is shown with a caret under the bad term), 3 DNS could not answer.")]
    Check(SpfCheckArgs),
    /// Run check_host() for an address and show the result with its trace,
    /// like spfquery.
    #[command(after_help = "Examples:
  senderzone spf eval --domain example.com --ip 192.0.2.10
  senderzone spf eval --domain example.com --ip 2001:db8::25 --sender bounce@example.com --helo mail.example.com

Exit codes: 0 pass, 1 any other result (fail, softfail, neutral, none, permerror),
2 bad input, 3 temperror (DNS could not answer).")]
    Eval(SpfEvalArgs),
}

/// Where DNS answers come from.
#[derive(Debug, Args)]
pub struct DnsArgs {
    /// Ask this server (repeatable) instead of the system resolver:
    /// `IP`, `IP:PORT` or `[IPv6]:PORT`.
    #[arg(long = "nameserver", value_name = "IP[:PORT]")]
    pub nameservers: Vec<String>,
    /// Answer from this RFC 1035 zone file instead of the network
    /// (repeatable; every file needs `$ORIGIN` or absolute names).
    #[arg(
        long = "zone-file",
        value_name = "FILE",
        conflicts_with = "nameservers"
    )]
    pub zone_files: Vec<PathBuf>,
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The inventory (YAML).
    pub inventory: PathBuf,
    #[command(flatten)]
    pub dns: DnsArgs,
    /// Also check every server address and domain against the DNS
    /// blocklists (see `senderzone dnsbl`).
    #[arg(long)]
    pub dnsbl: bool,
    /// With `--dnsbl`: ask only this list (repeatable), by zone.
    #[arg(long = "list", value_name = "ZONE", requires = "dnsbl")]
    pub lists: Vec<String>,
    /// With `--dnsbl`: add or override lists from a YAML file.
    #[arg(long = "lists", value_name = "FILE", requires = "dnsbl")]
    pub list_file: Option<PathBuf>,
    /// Map what DNS shows to the Gmail, Yahoo, Microsoft and Naver sender
    /// rules (SPF, DKIM, DMARC, PTR), listing the rules DNS cannot show.
    #[arg(long, long_help = crate::verify::receiver_rules_help())]
    pub receivers: bool,
    /// Find each zone's name servers and ask every one of them directly:
    /// report servers that do not answer, do not serve the zone, or
    /// disagree (SOA serial, answers); the checks then ask them.
    #[arg(long, conflicts_with = "zone_files")]
    pub authoritative: bool,
    /// With `--authoritative`: the port the name servers are asked on.
    #[arg(
        long,
        value_name = "PORT",
        default_value_t = 53,
        requires = "authoritative"
    )]
    pub ns_port: u16,
    /// Apply the SPF engine's whitelist-registration profile.
    #[arg(long)]
    pub strict: bool,
    /// Deadline for the whole run, in seconds: queries not answered by
    /// then count as timed out (dns-error).
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub timeout: u64,
    /// DNS queries in flight at most.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub concurrency: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// Report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Lines for people.
    Text,
    /// JSON for programs.
    Json,
}

/// Arguments of `spf check`.
#[derive(Debug, Args)]
pub struct SpfCheckArgs {
    /// The record: its text in one piece (`v=spf1 mx -all`, any length), or
    /// quoted strings as `dig` and zone files show them (`"v=spf1 … "
    /// "… -all"`), each at most 255 octets; `-` reads one record a line
    /// from standard input.
    #[arg(required_unless_present = "domain", conflicts_with = "domain")]
    pub record: Option<String>,
    /// Fetch and lint the live record of DOMAIN and all it includes.
    #[arg(long)]
    pub domain: Option<String>,
    /// The whitelist-registration profile: private or documentation
    /// space, broad prefixes, `ptr`, `?all` and a plain `all` are errors.
    #[arg(long)]
    pub strict: bool,
    /// With `--domain`: the longest the whole check may take, in seconds;
    /// queries unanswered by then are reported (spf-dns-error).
    #[arg(long, value_name = "SECONDS", default_value_t = crate::spf::DEFAULT_CHECK_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
    #[command(flatten)]
    pub dns: DnsArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// Arguments of `spf eval`.
#[derive(Debug, Args)]
pub struct SpfEvalArgs {
    /// The domain whose SPF record is evaluated (default: the domain of
    /// `--sender`, or the HELO name when `--sender` is empty).
    #[arg(long, required_unless_present = "sender")]
    pub domain: Option<String>,
    /// The client address.
    #[arg(long)]
    pub ip: String,
    /// The MAIL FROM address (default `postmaster@DOMAIN`); `@DOMAIN` is
    /// `postmaster@DOMAIN`, and `''` (a bounce) checks the HELO identity,
    /// `postmaster@HELO` (RFC 7208 §2.4, §4.3).
    #[arg(long)]
    pub sender: Option<String>,
    /// The HELO/EHLO name (for `%{h}`; default `unknown`).
    #[arg(long)]
    pub helo: Option<String>,
    /// The longest the whole check may take, in seconds; past it the
    /// result is temperror (RFC 7208 §4.6.4).
    #[arg(long, value_name = "SECONDS", default_value_t = crate::spf::DEFAULT_CHECK_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
    #[command(flatten)]
    pub dns: DnsArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// Arguments of `dnsbl`.
#[derive(Debug, Args)]
pub struct DnsblArgs {
    /// IPv4/IPv6 addresses and domain names to check.
    #[arg(required = true, value_name = "IP|DOMAIN")]
    pub targets: Vec<String>,
    /// Ask only this list (repeatable), by zone, e.g. `zen.spamhaus.org`.
    #[arg(long = "list", value_name = "ZONE")]
    pub lists: Vec<String>,
    /// Add or override lists from a YAML file (the keys of the built-in
    /// registry, documented in the README).
    #[arg(long = "lists", value_name = "FILE")]
    pub list_file: Option<PathBuf>,
    /// At most this many queries at a time.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    #[command(flatten)]
    pub dns: DnsArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}
