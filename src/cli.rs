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
  senderzone dkim keygen --domain example.com --selector s2026 --out keys/
  senderzone dkim check s2026._domainkey.example.com
  senderzone verify mail.yaml --nameserver 192.0.2.53
  senderzone import example.com --out mail.yaml
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
    /// Generate DKIM keys, and check DKIM key records (RFC 6376, RFC 8301,
    /// RFC 8463).
    #[command(subcommand)]
    Dkim(DkimCommand),
    /// Check live DNS against the inventory: drift, SPF authorization, PTR
    /// and FCrDNS, HELO names, DKIM keys.
    #[command(after_help = "Examples:
  senderzone verify mail.yaml
  senderzone verify mail.yaml --nameserver 192.0.2.53 --format json
  senderzone verify mail.yaml --zone-file dns/example.com.zone --zone-file dns/113.0.203.in-addr.arpa.zone
  senderzone verify mail.yaml --zone-file dns/example.com.zone --offline

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
    /// Draft an inventory from what domains publish: SPF, the servers it
    /// names with their PTRs and zones, DMARC and DKIM.
    #[command(after_help = "Examples:
  senderzone import example.com
  senderzone import example.com example.org --out mail.yaml
  senderzone import example.com --dkim-selector mail2024 --nameserver 192.0.2.53

Each value of the draft carries a comment saying where it came from; what
the inventory cannot hold (macros, exists:, ptr, exp=, ?all) is listed at the
top, never dropped. Nothing is fixed on the way: run `senderzone verify` on
the draft to see what the published records get wrong.

Exit codes: 0 drafted, 1 nothing to draft (no domain publishes a usable SPF
record), 2 bad input (an invalid DOMAIN, --out exists without --force),
3 something could not be read (NXDOMAIN, SERVFAIL, timeout): the draft says
what, in comments.")]
    Import(ImportArgs),
    /// Show what must change in the live zones for them to serve the
    /// inventory's records, as a zone-file diff.
    #[command(after_help = "Examples:
  senderzone plan mail.yaml --target rfc2136://192.0.2.53 --tsig-key ddns.key
  PDNS_API_KEY=... senderzone plan mail.yaml --target powerdns+http://127.0.0.1:8081
  senderzone plan mail.yaml --target dns://ns1.provider.example --format json

senderzone changes only what it owns: the A/AAAA of server host names, PTRs
and RFC 2317 CNAMEs at planned reverse names, and SPF (v=spf1), DMARC
(v=DMARC1) and DKIM key (v=DKIM1) TXT records at planned names; never other
TXT records, MX, NS or names the inventory does not hold (README,
\"plan\").

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

/// `senderzone dkim …`.
#[derive(Debug, Subcommand)]
pub enum DkimCommand {
    /// Generate a DKIM key pair: the private key is written into DIR
    /// (mode 0600, never over an existing file); the inventory entry and
    /// the key record are printed.
    #[command(after_help = "Examples:
  senderzone dkim keygen --domain example.com --selector s2026 --out /etc/dkim/
  senderzone dkim keygen --domain example.com --selector e2026 --algorithm ed25519 --out keys/

The file is DIR/DOMAIN.SELECTOR.key (rspamd's naming), unencrypted PKCS#8
PEM as `openssl genpkey` writes it, readable by OpenDKIM, rspamd and Exim.
Publish the record (add the printed entry to the inventory's `dkim:` list
and run generate, plan or apply), wait for it to be served, then sign with
the key.

Exit codes: 0 written, 2 bad input or the file exists or could not be written.")]
    Keygen(DkimKeygenArgs),
    /// Lint one DKIM key record: the live one at
    /// SELECTOR._domainkey.DOMAIN, or one given as text.
    #[command(after_help = "Examples:
  senderzone dkim check s2026._domainkey.example.com
  senderzone dkim check s2026._domainkey.example.com --key /etc/dkim/example.com.s2026.key
  senderzone dkim check --record 'v=DKIM1; k=rsa; p=MIIBIjANBg…' --format json

Findings: dkim-missing, dkim-syntax (with the column and tag at fault),
dkim-weak, dkim-revoked, dkim-testing, and with --key dkim-drift (the
published key is not the file's, compared as keys).

Exit codes: 0 clean (warnings allowed), 1 errors found, 2 bad input,
3 DNS could not answer.")]
    Check(DkimCheckArgs),
}

/// Key types of `dkim keygen`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DkimAlgorithm {
    /// RSA, 2048 bits: what every verifier accepts (RFC 8301).
    Rsa2048,
    /// Ed25519 (RFC 8463): short, but many receivers do not verify it
    /// yet; sign with an RSA key too.
    Ed25519,
}

/// Arguments of `dkim keygen`.
#[derive(Debug, Args)]
pub struct DkimKeygenArgs {
    /// The signing domain (`d=`).
    #[arg(long)]
    pub domain: String,
    /// The selector (`s=`): the key record goes to
    /// SELECTOR._domainkey.DOMAIN. A new one for each key, e.g. `s2026`.
    #[arg(long)]
    pub selector: String,
    /// The key type.
    #[arg(long, value_enum, default_value_t = DkimAlgorithm::Rsa2048)]
    pub algorithm: DkimAlgorithm,
    /// The directory to write the private key into (created, mode 0700,
    /// if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Arguments of `dkim check`.
#[derive(Debug, Args)]
pub struct DkimCheckArgs {
    /// The key record's name: SELECTOR._domainkey.DOMAIN.
    #[arg(
        value_name = "NAME",
        required_unless_present = "record",
        conflicts_with = "record"
    )]
    pub name: Option<String>,
    /// Lint this record instead of a live one: its text in one piece, or
    /// quoted strings as `dig` and zone files show them, each at most 255
    /// octets.
    #[arg(long, value_name = "TEXT")]
    pub record: Option<String>,
    /// Also check that the published key is this file's: a public or a
    /// private key (PEM or DER) or a DKIM record file (dkim-drift).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// With NAME: the longest the query may take, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::spf::DEFAULT_CHECK_TIMEOUT.as_secs())]
    pub timeout: u64,
    #[command(flatten)]
    pub dns: DnsArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// Where DNS answers come from.
#[derive(Debug, Args)]
pub struct DnsArgs {
    /// Ask this server (repeatable) instead of the system resolver:
    /// `IP`, `IP:PORT` or `[IPv6]:PORT`. It must resolve any name (a
    /// recursive resolver): an authoritative-only server refuses names
    /// outside its zones.
    #[arg(long = "nameserver", value_name = "IP[:PORT]")]
    pub nameservers: Vec<String>,
    /// Answer the names of this RFC 1035 zone file's zone from the file
    /// (repeatable; every file needs `$ORIGIN` or absolute names; its zone
    /// is its SOA owner, else its `$ORIGIN`). Names outside the files'
    /// zones are asked of `--nameserver` or the system resolver.
    #[arg(long = "zone-file", value_name = "FILE")]
    pub zone_files: Vec<PathBuf>,
    /// With `--zone-file`: ask no server at all. A check that needs a name
    /// outside the files' zones (a third party's SPF include) is not
    /// checkable offline: `verify` and `spf check` report it as
    /// `dns-offline` (info) with the name, `spf eval` as temperror naming
    /// it; never as passed.
    #[arg(long, requires = "zone_files", conflicts_with = "nameservers")]
    pub offline: bool,
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
    /// blocklists (see `senderzone dnsbl`); they are asked over the
    /// network, so not with `--offline`.
    #[arg(long, conflicts_with = "offline")]
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
    /// Deadline for the whole run, in seconds (1 to 86400), every phase
    /// included (`--authoritative`, `--receivers`, `--dnsbl`): queries not
    /// answered by then count as timed out (dns-error).
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub timeout: u64,
    /// DNS queries in flight at most (1 to 1024).
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub concurrency: usize,
    /// The lowest severity that makes the exit code 1: `error` (the
    /// default: a planned record DNS does not serve as planned, or a rule
    /// receivers enforce), `warning`, or `info` (any finding).
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// The lowest severity of a finding that fails a run (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Errors only.
    Error,
    /// Errors and warnings.
    Warning,
    /// Every finding.
    Info,
}

/// Arguments of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The domains to import (their SPF records name the servers).
    #[arg(required = true, value_name = "DOMAIN")]
    pub domains: Vec<String>,
    #[command(flatten)]
    pub dns: DnsArgs,
    /// A DKIM selector to look for (repeatable), besides the common ones
    /// tried for every domain: google, selector1, selector2, default,
    /// dkim, mail, k1, s1, s2.
    #[arg(long = "dkim-selector", value_name = "NAME")]
    pub dkim_selectors: Vec<String>,
    /// Write the inventory to FILE, whole or not at all, instead of
    /// printing it; an existing FILE is kept unless `--force` is given.
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
    /// With `--out`: replace FILE if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Deadline for the whole run, in seconds (1 to 86400): queries not
    /// answered by then count as unread.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub timeout: u64,
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
