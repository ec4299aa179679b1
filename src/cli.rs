//! Command-line arguments as typed by the user (clap derive). Values are
//! raw here; [`crate::app::config`] turns them into validated configuration,
//! one step per command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  senderzone init                           write a commented starter senderzone.yaml
  senderzone generate                       print zone-file snippets for senderzone.yaml
  senderzone generate mail.yaml             the same for mail.yaml (`-` reads stdin)
  senderzone generate mail.yaml --out dns/  one file per zone, written atomically
  senderzone generate mail.yaml --format nsupdate --nsupdate-server 192.0.2.53
  senderzone generate mail.yaml --format route53 --out aws/
  senderzone generate mail.yaml --template hetzner.json.j2
  senderzone spf check 'v=spf1 ip4:192.0.2.0/24 -all'
  senderzone spf eval --domain example.com --ip 192.0.2.10
  senderzone verify mail.yaml --nameserver 192.0.2.53
  senderzone plan mail.yaml --target rfc2136://192.0.2.53 --tsig-key ddns.key
  senderzone apply mail.yaml --target rfc2136://192.0.2.53 --tsig-key ddns.key
  senderzone dnsbl 203.0.113.16/29 -v
  senderzone man --out pages/

Exit codes:
  0    ok
  1    a check found problems
  2    bad input or usage, or the output could not be written
  3    DNS could not answer enough to decide
  141  the output's reader went away (`senderzone … | head`), ended quietly";

/// Generate and verify the DNS records a mail server needs: SPF, A/AAAA, PTR.
///
/// Describe your sending servers and domains once in a YAML inventory;
/// senderzone writes every record that setup needs (SPF TXT, A/AAAA, PTR
/// including classless reverse zones) as zone-file snippets, nsupdate
/// scripts or JSON.
#[derive(Debug, Parser)]
#[command(name = "senderzone", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// `-q` and `-v`, for every command.
    #[command(flatten)]
    pub verbosity: VerbosityArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How much a command says besides its results: `-q` and `-v`, defined
/// once for every command (as cargo and just do), so that they go before
/// or after the subcommand.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct VerbosityArgs {
    /// Print the results only (records, findings, listings): no summary
    /// line, no progress, no notes and no `wrote FILE` lines. Warnings and
    /// errors still go to stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: `verify` adds the check_host() trace of every SPF
    /// evaluation that does not pass, `dnsbl` every list's answer for
    /// every target and every list's RFC 5782 test.
    #[arg(short, long, global = true)]
    pub verbose: bool,
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
  senderzone dnsbl 203.0.113.16/29 --list bl.example.net -v
  grep -v '^#' addresses.txt | senderzone dnsbl - --nameserver 127.0.0.1
  senderzone dnsbl 203.0.113.10 --lists my-lists.yaml --nameserver 127.0.0.1

Exit codes: 0 not listed (on at least one healthy list), or listed only with
minor or informational impact, 1 listed with critical, policy or important
impact, 2 bad input, 3 no verdict (no list could be believed).")]
    Dnsbl(DnsblArgs),
    /// Show what must change in the live zones for them to serve the
    /// inventory's records, as a zone-file diff.
    #[command(after_help = "Examples:
  senderzone plan mail.yaml --target rfc2136://192.0.2.53 --tsig-key ddns.key
  PDNS_API_KEY=... senderzone plan mail.yaml --target powerdns+http://127.0.0.1:8081
  senderzone plan mail.yaml --target dns://ns1.provider.example --format json

senderzone changes only what it owns: the A/AAAA of server host names, PTRs
and RFC 2317 CNAMEs at planned reverse names, and SPF (v=spf1) and DMARC
(v=DMARC1) TXT records at planned names; never other TXT records, MX, NS or
names the inventory does not hold (README, \"plan\").

Exit codes: 0 no changes needed or changes shown, 1 changes needed with
--expect-no-changes, 2 bad input, 3 the target could not be read.")]
    Plan(PlanArgs),
    /// Show the plan, then publish it: one atomic change per zone (RFC 2136
    /// UPDATE with prerequisites, or one PowerDNS PATCH), checked after.
    #[command(after_help = "Examples:
  senderzone apply mail.yaml --target rfc2136://192.0.2.53 --tsig-key ddns.key
  senderzone apply mail.yaml --target powerdns+http://127.0.0.1:8081 --api-key-file pdns.key --yes

Exit codes: 0 applied (or nothing to apply), 1 the zone changed since it was
read (nothing applied: run plan again) or the target does not serve the plan
afterwards, 2 bad input, 3 the target could not be read or written.")]
    Apply(ApplyArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  senderzone completions bash > /etc/bash_completion.d/senderzone"
    )]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff), or write them all.
    #[command(after_help = "Examples:
  senderzone man | man -l -
  senderzone man generate | man -l -
  senderzone man inventory | man -l -
  senderzone man --out pages/ && man -l pages/senderzone-verify.1")]
    Man(ManArgs),
}

/// Arguments of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The page of a command (`generate`, `spf check`), or `inventory` for
    /// senderzone-inventory(5), the inventory file's reference. Without
    /// it, the main page, senderzone(1).
    #[arg(value_name = "COMMAND")]
    pub page: Vec<String>,
    /// Write every page into DIR (created if missing): senderzone.1, a
    /// senderzone-COMMAND.1 for each command and senderzone-inventory.5,
    /// all of them or, on an error, none.
    #[arg(long, value_name = "DIR", conflicts_with = "page")]
    pub out: Option<PathBuf>,
}

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The inventory (YAML); `-` reads it from stdin. Default:
    /// `senderzone.yaml` in the current directory, as `senderzone init`
    /// writes it.
    pub inventory: Option<PathBuf>,
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
    /// The inventory (YAML); `-` reads it from stdin. Default:
    /// `senderzone.yaml` in the current directory, as `senderzone init`
    /// writes it.
    pub inventory: Option<PathBuf>,
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
    /// With `--authoritative`: the port the name servers are asked on
    /// (1 to 65535).
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
    /// Deadline for the whole run, in seconds (1 to 86400): queries not
    /// answered by then count as timed out (dns-error).
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub timeout: u64,
    /// DNS queries in flight at most (1 to 1024).
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub concurrency: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// Where `plan` and `apply` read and write zones.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The inventory (YAML); `-` reads it from stdin. Default:
    /// `senderzone.yaml` in the current directory, as `senderzone init`
    /// writes it.
    pub inventory: Option<PathBuf>,
    /// The server holding the zones: `rfc2136://HOST[:PORT]` (AXFR or
    /// queries to read, UPDATE with TSIG to write),
    /// `powerdns+http://HOST:PORT[/SERVER_ID]` (PowerDNS HTTP API) or
    /// `dns://HOST[:PORT]` (any authoritative server, plan only).
    #[arg(long, value_name = "TARGET")]
    pub target: String,
    /// TSIG key file as `tsig-keygen` or `ddns-confgen` write it, for
    /// `rfc2136://` targets (signs AXFR and UPDATE).
    #[arg(long, value_name = "FILE")]
    pub tsig_key: Option<PathBuf>,
    /// File holding the PowerDNS API key (default: the `PDNS_API_KEY`
    /// environment variable; never on the command line).
    #[arg(long, value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,
    /// Also delete stale owned records: addresses at server names and
    /// PTRs to inventory hosts the inventory no longer has, unused `_spfN`
    /// records.
    #[arg(long)]
    pub prune: bool,
    /// Deadline for each network exchange, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub timeout: u64,
}

/// Arguments of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Exit 1 when anything would change (for CI).
    #[arg(long)]
    pub expect_no_changes: bool,
}

/// Arguments of `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Apply without asking; required when standard input is not a
    /// terminal.
    #[arg(long)]
    pub yes: bool,
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
    #[arg(long, value_name = "SECONDS", default_value_t = crate::spf::DEFAULT_CHECK_TIMEOUT.as_secs())]
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
    #[arg(long, value_name = "SECONDS", default_value_t = crate::spf::DEFAULT_CHECK_TIMEOUT.as_secs())]
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
    /// IPv4/IPv6 addresses, blocks of at most 256 addresses in CIDR
    /// notation (`192.0.2.16/29`) and domain names to check; `-` reads
    /// them from stdin, one per line (blank lines and `#` comments
    /// allowed).
    #[arg(required = true, value_name = "IP|CIDR|DOMAIN|-")]
    pub targets: Vec<String>,
    /// Ask only this list (repeatable), by zone, e.g. `zen.spamhaus.org`.
    /// A zone the registry does not describe is asked with the RFC 5782
    /// defaults: any answer from 127.0.0.2 to 127.0.0.255 means listed.
    #[arg(long = "list", value_name = "ZONE")]
    pub lists: Vec<String>,
    /// Add or override lists from a YAML file (the keys of the built-in
    /// registry, documented in the README).
    #[arg(long = "lists", value_name = "FILE")]
    pub list_file: Option<PathBuf>,
    /// At most this many queries at a time (1 to 1024).
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub concurrency: usize,
    #[command(flatten)]
    pub dns: DnsArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}
