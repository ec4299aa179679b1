//! Typed configuration: one step per command turns what the user typed
//! ([`crate::cli`], clap's raw values) into what the command runs with,
//! every value checked once.
//!
//! ripgrep's low-args → high-args, just's `Config`. This step is the only
//! one that reads environment variables and asks whether stdout and stderr
//! are terminals ([`Terminal`]), and it reads the files that configure a
//! run (`--template`, `--lists`), so that a bad one stops the command
//! before any inventory or DNS work. The inventory and zone files are the
//! command's input, read by the command.

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Error;
use crate::cli::{
    ApplyArgs, Cli, Command, DkimAlgorithm, DkimCheckArgs, DkimCommand, DkimKeygenArgs, DnsArgs,
    DnsblArgs, FailOn, GenerateArgs, ImportArgs, ManArgs, OutputFormat, PlanArgs, ReportFormat,
    SpfCheckArgs, SpfCommand, SpfEvalArgs, TargetArgs, VerbosityArgs, VerifyArgs,
};
use crate::dns::source::{self, DnsSource, SourceError};
use crate::dnsbl::{self, List, Registry, Status, Target, TargetError};
use crate::finding::Severity;
use crate::mailauth::dkim::{self, key::Algorithm};
use crate::names::{Charset, DomainName, NameError};
use crate::render::{self, Provider, Render};
use crate::spf::{CheckParams, Profile};
use crate::target::powerdns::ApiKey;
use crate::target::tsig_key::{self, TsigKey};
use crate::target::{self as sync_target, Target as SyncTarget};
use crate::verify;

/// The shortest `--timeout`: a deadline under a second cannot see one
/// query through a retry.
pub const MIN_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest `--timeout`: one day. No run needs more, and a bound keeps
/// "now + timeout" within what the clock can represent.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);
/// The most DNS queries in flight (`--concurrency`): the system resolver
/// path holds a socket per query, and a process's default limit on open
/// files is 1024.
pub const MAX_CONCURRENCY: usize = 1024;

/// An option value the command cannot use.
#[derive(Debug, thiserror::Error)]
pub enum ArgumentError {
    /// `--timeout` outside [`MIN_TIMEOUT`]..=[`MAX_TIMEOUT`].
    #[error(
        "invalid `--timeout` value `{0}`; accepted: whole seconds from {min} to {max} (one day)",
        min = MIN_TIMEOUT.as_secs(),
        max = MAX_TIMEOUT.as_secs()
    )]
    Timeout(u64),
    /// `--concurrency` outside 1..=[`MAX_CONCURRENCY`].
    #[error("invalid `--concurrency` value `{0}`; accepted: 1 to {MAX_CONCURRENCY}")]
    Concurrency(usize),
    /// A `--nameserver` that is not `IP[:PORT]` with a port other than 0.
    #[error(
        "invalid `--nameserver` value `{0}`; accepted: IP, IP:PORT or [IPv6]:PORT, the port from 1 to 65535"
    )]
    Nameserver(String),
    /// `--ns-port 0`.
    #[error("invalid `--ns-port` value `0`; accepted: 1 to 65535")]
    NsPort,
    /// A `--nsupdate-server` that is not `HOST[:PORT]`.
    #[error(
        "invalid `--nsupdate-server` value `{0}`; accepted: HOST, HOST:PORT or [IPv6]:PORT, the port from 1 to 65535"
    )]
    NsupdateServer(String),
    /// A `--domain` that is not a domain name.
    #[error("invalid `--domain` value: {0}")]
    Domain(NameError),
    /// A `--selector` that is not a DKIM selector.
    #[error(
        "invalid `--selector` value `{}`; accepted: labels of letters, digits, `-` and `_` (RFC 6376 §3.1), e.g. `s2026`",
        crate::text::escape(.0)
    )]
    Selector(String),
    /// A `dkim check` NAME that is not a key record's name.
    #[error(
        "invalid NAME `{}`; accepted: SELECTOR._domainkey.DOMAIN, e.g. `s2026._domainkey.example.com`",
        crate::text::escape(.0)
    )]
    DkimName(String),
    /// An `import` DOMAIN that is not a domain name.
    #[error("invalid DOMAIN `{}`: {source}", crate::text::escape(.given))]
    ImportDomain {
        /// As given.
        given: String,
        /// Why.
        source: NameError,
    },
    /// A `--dkim-selector` that is not a selector.
    #[error(
        "invalid `--dkim-selector` value `{}`; accepted: labels of letters, digits, `-` and `_`, e.g. `mail2024`",
        crate::text::escape(.0)
    )]
    DkimSelector(String),
    /// An `--ip` that is not an address.
    #[error("invalid `--ip` value `{0}`; accepted: an IPv4 or IPv6 address")]
    Ip(String),
    /// A `--sender` without `@`.
    #[error(
        "invalid `--sender` value `{0}`; accepted: local-part@domain, @domain, or '' for a bounce"
    )]
    Sender(String),
    /// A `--sender` beyond RFC 5321's limits (local part 64 octets,
    /// domain 255, §4.5.3.1.1–2): no SMTP server accepts it.
    #[error(
        "invalid `--sender` value: local part of {local} and domain of {domain} octets; RFC 5321 allows at most {MAX_LOCAL_PART} and {MAX_SENDER_DOMAIN}"
    )]
    SenderTooLong {
        /// Octets in the local part.
        local: usize,
        /// Octets in the domain.
        domain: usize,
    },
    /// `--sender ''` without the HELO name the check then needs.
    #[error(
        "`--sender ''` is a bounce, whose SPF check is on the HELO identity, `postmaster@HELO` (RFC 7208 §2.4): give the HELO name with `--helo NAME`"
    )]
    BounceWithoutHelo,
    /// A `dnsbl` target that is neither an address, a block nor a domain
    /// name.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// A `--list` that is not a zone name.
    #[error("invalid `--list` value: {0}")]
    ListZone(NameError),
    /// An option that the `--target` form does not take.
    #[error("`{option}` applies only to {applies_to} targets")]
    NotForTarget {
        /// The option, e.g. `--tsig-key`.
        option: &'static str,
        /// The target forms it applies to.
        applies_to: &'static str,
    },
    /// `apply` to a target that can only be read.
    #[error(
        "`{0}` can only be read: `apply` writes to rfc2136://HOST[:PORT] or powerdns+http://HOST:PORT[/SERVER_ID]"
    )]
    ReadOnlyTarget(String),
    /// `apply` over RFC 2136 without a key.
    #[error(
        "`apply` to `{0}` needs `--tsig-key FILE`: updates are signed with TSIG (make a key with `tsig-keygen -a hmac-sha256 NAME`)"
    )]
    TsigKeyNeeded(String),
    /// A PowerDNS target without an API key.
    #[error("no PowerDNS API key in {0}: set `{API_KEY_VARIABLE}` or pass `--api-key-file FILE`")]
    ApiKeyMissing(String),
    /// `apply` without `--yes` where nobody can be asked.
    #[error(
        "refusing to apply without confirmation: standard input is not a terminal; review `senderzone plan`, then pass `--yes`"
    )]
    Unconfirmed,
}

/// The inventory read when `generate` or `verify` are given none: what
/// `senderzone init` writes.
pub const DEFAULT_INVENTORY: &str = "senderzone.yaml";

/// Where a command's inventory comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InventoryInput {
    /// `-`: standard input, named `<stdin>` in messages.
    Stdin,
    /// A file named on the command line.
    File(PathBuf),
    /// No argument: [`DEFAULT_INVENTORY`], which exists; the command says
    /// it reads it.
    Default(PathBuf),
}

impl InventoryInput {
    /// The input `argument` names; without one, [`DEFAULT_INVENTORY`] if
    /// it exists, else an error telling `command`'s user what to do.
    fn new(argument: Option<PathBuf>, command: &'static str) -> Result<InventoryInput, Error> {
        match argument {
            Some(path) if path == Path::new("-") => Ok(InventoryInput::Stdin),
            Some(path) => Ok(InventoryInput::File(path)),
            None if Path::new(DEFAULT_INVENTORY).exists() => {
                Ok(InventoryInput::Default(PathBuf::from(DEFAULT_INVENTORY)))
            }
            None => Err(Error::NoInventory { command }),
        }
    }
}

/// How much a command says besides its results (`-q`, `-v`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: results only; no summary, progress, notes or `wrote` lines.
    Quiet,
    /// The default.
    #[default]
    Normal,
    /// `-v`: the traces and every answer.
    Verbose,
}

impl Verbosity {
    fn new(args: VerbosityArgs) -> Verbosity {
        match (args.quiet, args.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        }
    }

    /// `-q`.
    pub fn is_quiet(self) -> bool {
        self == Verbosity::Quiet
    }

    /// `-v`.
    pub fn is_verbose(self) -> bool {
        self == Verbosity::Verbose
    }
}

/// The environment variable holding the PowerDNS API key.
pub const API_KEY_VARIABLE: &str = "PDNS_API_KEY";

/// What the terminals and the environment allow, decided once per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    /// Colour in text reports: stdout is a terminal and `NO_COLOR` is
    /// unset or empty (<https://no-color.org>).
    pub colour: bool,
    /// A progress line on stderr: stderr is a terminal.
    pub progress: bool,
    /// Columns of the terminal on stderr, which the progress line must
    /// not exceed (80 when unknown).
    pub width: usize,
    /// Columns text reports wrap at: the width of stdout, when it is a
    /// terminal whose width is known.
    pub wrap: Option<usize>,
}

impl Terminal {
    /// Asks the process's stdout, stderr and environment.
    pub fn detect() -> Terminal {
        let stderr = std::io::stderr();
        Terminal::decide(
            std::io::stdout().is_terminal(),
            stderr.is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
            terminal_size::terminal_size_of(&stderr).map(|(width, _)| usize::from(width.0)),
        )
        .wrapping(terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0)))
    }

    /// The decision with `stdout_width`, the width of stdout if it is a
    /// terminal, as the width text reports wrap at.
    fn wrapping(mut self, stdout_width: Option<usize>) -> Terminal {
        self.wrap = stdout_width.filter(|&w| w > 0);
        self
    }

    /// The decision from what [`Terminal::detect`] found.
    fn decide(
        stdout_is_terminal: bool,
        stderr_is_terminal: bool,
        no_color: Option<&OsStr>,
        width: Option<usize>,
    ) -> Terminal {
        Terminal {
            colour: stdout_is_terminal && no_color.is_none_or(OsStr::is_empty),
            progress: stderr_is_terminal,
            width: width.filter(|&w| w > 0).unwrap_or(80),
            wrap: None,
        }
    }
}

/// Where DNS answers come from: zone files for the names of their zones,
/// and named servers or (none given) the system resolver for the rest,
/// unless `--offline`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dns {
    /// `--nameserver`, in the order given.
    pub nameservers: Vec<SocketAddr>,
    /// `--zone-file`, in the order given.
    pub zone_files: Vec<PathBuf>,
    /// `--offline`: no query goes to the network.
    pub offline: bool,
}

impl Dns {
    fn new(args: &DnsArgs) -> Result<Dns, ArgumentError> {
        let nameservers = args
            .nameservers
            .iter()
            .map(|text| {
                source::parse_nameserver(text)
                    .ok_or_else(|| ArgumentError::Nameserver(text.clone()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Dns {
            nameservers,
            zone_files: args.zone_files.clone(),
            offline: args.offline,
        })
    }

    /// Loads the zone files and sets up the resolver.
    pub fn open(&self) -> Result<DnsSource, SourceError> {
        DnsSource::open(&self.nameservers, &self.zone_files, self.offline)
    }

    /// Whether some answers may come over the network (not `--offline`).
    pub fn is_network(&self) -> bool {
        !self.offline
    }
}

/// A command, ready to run.
pub enum Config {
    /// `generate`.
    Generate(Generate),
    /// `init`.
    Init(Init),
    /// `spf check`.
    SpfCheck(SpfCheck),
    /// `spf eval`.
    SpfEval(SpfEval),
    /// `verify`.
    Verify(Verify),
    /// `dnsbl`.
    Dnsbl(Dnsbl),
    /// `dkim keygen`.
    DkimKeygen(DkimKeygen),
    /// `dkim check`.
    DkimCheck(DkimCheck),
    /// `import`.
    Import(Import),
    /// `plan`.
    Plan(Plan),
    /// `apply`.
    Apply(Apply),
    /// `completions SHELL`.
    Completions(clap_complete::Shell),
    /// `man`.
    Man(Man),
}

/// `init`, configured.
pub struct Init {
    /// The file to write, or `None` for stdout (`-`).
    pub file: Option<PathBuf>,
    /// `-q`, `-v`.
    pub verbosity: Verbosity,
}

/// `man`, configured.
pub enum Man {
    /// Print one page: the main one (empty path), a command's (`spf
    /// check`), or `inventory`.
    Print(Vec<String>),
    /// `--out DIR`: write them all.
    Write {
        /// The directory.
        dir: PathBuf,
        /// `-q`, `-v`.
        verbosity: Verbosity,
    },
}

/// `generate`, configured.
pub struct Generate {
    /// The inventory.
    pub inventory: InventoryInput,
    /// The output form, a `--template` compiled.
    pub renderer: Box<dyn Render>,
    /// The built-in form asked for; `None` with `--template`.
    pub format: Option<OutputFormat>,
    /// `--out DIR`, or stdout.
    pub out: Option<PathBuf>,
    /// `-q`, `-v`.
    pub verbosity: Verbosity,
}

/// What `spf check` lints.
#[derive(Debug)]
pub enum SpfSubject {
    /// A record given as text.
    Record(String),
    /// `-`: records on standard input, one a line.
    Stdin,
    /// The live record of a domain and what it includes.
    Domain {
        /// The domain.
        domain: DomainName,
        /// Where its records come from.
        dns: Dns,
    },
}

/// `spf check`, configured.
#[derive(Debug)]
pub struct SpfCheck {
    /// The record or the domain.
    pub subject: SpfSubject,
    /// `--strict`.
    pub profile: Profile,
    /// With a domain: the deadline of the whole check.
    pub timeout: Duration,
    /// `--format`.
    pub format: ReportFormat,
    /// `-q` leaves out the summary line.
    pub verbosity: Verbosity,
}

/// `spf eval`, configured.
#[derive(Debug)]
pub struct SpfEval {
    /// The check_host() arguments.
    pub params: CheckParams,
    /// The deadline of the whole check (RFC 7208 §4.6.4).
    pub timeout: Duration,
    /// Where the records come from.
    pub dns: Dns,
    /// `--format`.
    pub format: ReportFormat,
}

/// `verify`, configured.
#[derive(Debug)]
pub struct Verify {
    /// The inventory.
    pub inventory: InventoryInput,
    /// Where the records come from.
    pub dns: Dns,
    /// Profile, concurrency, deadline, `--authoritative` port.
    pub options: verify::Options,
    /// `--receivers`.
    pub receivers: bool,
    /// With `--dnsbl`: the lists to ask.
    pub blocklists: Option<Vec<List>>,
    /// `--fail-on`: the lowest severity that makes the exit code 1.
    pub fail_on: Severity,
    /// `--format`.
    pub format: ReportFormat,
    /// Colour and progress.
    pub terminal: Terminal,
    /// `-q`, `-v`.
    pub verbosity: Verbosity,
}

/// `dnsbl`, configured.
#[derive(Debug)]
pub struct Dnsbl {
    /// Addresses and domains to look up, CIDR blocks expanded.
    pub targets: Vec<Target>,
    /// `-` was given: more targets follow on stdin, one per line.
    pub stdin: bool,
    /// The lists to ask.
    pub lists: Vec<List>,
    /// Queries in flight at most.
    pub concurrency: usize,
    /// Where the answers come from.
    pub dns: Dns,
    /// `--format`.
    pub format: ReportFormat,
    /// Progress (text reports only).
    pub terminal: Terminal,
    /// `-q`, `-v`.
    pub verbosity: Verbosity,
}

/// `dkim keygen`, configured.
#[derive(Debug)]
pub struct DkimKeygen {
    /// The signing domain.
    pub domain: DomainName,
    /// The selector, lower case.
    pub selector: String,
    /// The key type.
    pub algorithm: Algorithm,
    /// The directory the private key goes into.
    pub out: PathBuf,
    /// `-q` leaves out the `wrote` line.
    pub verbosity: Verbosity,
}

/// What `dkim check` lints.
#[derive(Debug)]
pub enum DkimSubject {
    /// A record given as text.
    Record(String),
    /// The live record at `SELECTOR._domainkey.DOMAIN`.
    Name {
        /// The selector, lower case.
        selector: String,
        /// The domain.
        domain: DomainName,
        /// Where the record comes from.
        dns: Dns,
    },
}

/// `dkim check`, configured.
#[derive(Debug)]
pub struct DkimCheck {
    /// The record or its name.
    pub subject: DkimSubject,
    /// `--key FILE`: the key the record should hold.
    pub key: Option<PathBuf>,
    /// With a name: the deadline of the query.
    pub timeout: Duration,
    /// `--format`.
    pub format: ReportFormat,
    /// `-q` leaves out the summary line.
    pub verbosity: Verbosity,
}

impl DkimKeygen {
    fn new(args: DkimKeygenArgs, verbosity: Verbosity) -> Result<DkimKeygen, Error> {
        let selector = args.selector.trim().to_ascii_lowercase();
        if !dkim::is_selector(&selector) {
            return Err(ArgumentError::Selector(args.selector).into());
        }
        Ok(DkimKeygen {
            domain: domain_argument(&args.domain)?,
            selector,
            algorithm: match args.algorithm {
                DkimAlgorithm::Rsa2048 => Algorithm::Rsa2048,
                DkimAlgorithm::Ed25519 => Algorithm::Ed25519,
            },
            out: args.out,
            verbosity,
        })
    }
}

impl DkimCheck {
    fn new(args: DkimCheckArgs, verbosity: Verbosity) -> Result<DkimCheck, Error> {
        let subject = match (args.record, args.name) {
            (Some(record), _) => DkimSubject::Record(record),
            (None, Some(name)) => {
                let name_ok = DomainName::new(&name, Charset::LdhUnderscore).ok();
                let parts = name_ok.as_deref().and_then(|n| {
                    let (selector, domain) = n.split_once("._domainkey.")?;
                    let domain = DomainName::new(domain, Charset::LdhUnderscore).ok()?;
                    dkim::is_selector(selector).then(|| (selector.to_owned(), domain))
                });
                let Some((selector, domain)) = parts else {
                    return Err(ArgumentError::DkimName(name).into());
                };
                DkimSubject::Name {
                    selector,
                    domain,
                    dns: Dns::new(&args.dns)?,
                }
            }
            (None, None) => unreachable!("clap requires NAME or --record"),
        };
        Ok(DkimCheck {
            subject,
            key: args.key,
            timeout: timeout(args.timeout)?,
            format: args.format,
            verbosity,
        })
    }
}

impl Config {
    /// Checks every argument of `cli` and reads the configuration files
    /// it names; `terminal` is what [`Terminal::detect`] found.
    pub fn new(cli: Cli, mut terminal: Terminal) -> Result<Config, Error> {
        let verbosity = Verbosity::new(cli.verbosity);
        // `-q`: no progress, whatever the terminal.
        terminal.progress &= !verbosity.is_quiet();
        Ok(match cli.command {
            Command::Generate(args) => Config::Generate(Generate::new(args, verbosity)?),
            Command::Init { file } => Config::Init(Init {
                file: (file != Path::new("-")).then_some(file),
                verbosity,
            }),
            Command::Spf(SpfCommand::Check(args)) => {
                Config::SpfCheck(SpfCheck::new(args, verbosity)?)
            }
            Command::Spf(SpfCommand::Eval(args)) => Config::SpfEval(SpfEval::new(args)?),
            Command::Verify(args) => Config::Verify(Verify::new(args, terminal, verbosity)?),
            Command::Dnsbl(args) => Config::Dnsbl(Dnsbl::new(args, terminal, verbosity)?),
            Command::Dkim(DkimCommand::Keygen(args)) => {
                Config::DkimKeygen(DkimKeygen::new(args, verbosity)?)
            }
            Command::Dkim(DkimCommand::Check(args)) => {
                Config::DkimCheck(DkimCheck::new(args, verbosity)?)
            }
            Command::Import(args) => Config::Import(Import::new(args, verbosity)?),
            Command::Plan(args) => Config::Plan(Plan::new(args, terminal, verbosity)?),
            Command::Apply(args) => Config::Apply(Apply::new(args, terminal, verbosity)?),
            Command::Completions { shell } => Config::Completions(shell),
            Command::Man(ManArgs { page, out }) => Config::Man(match out {
                Some(dir) => Man::Write { dir, verbosity },
                None => Man::Print(page),
            }),
        })
    }
}

impl Generate {
    fn new(args: GenerateArgs, verbosity: Verbosity) -> Result<Generate, Error> {
        let renderer = renderer(&args)?;
        if args.nsupdate_server.is_some() && args.format != OutputFormat::Nsupdate {
            return Err(Error::Usage(
                "`--nsupdate-server` applies only to `--format nsupdate`",
            ));
        }
        Ok(Generate {
            inventory: InventoryInput::new(args.inventory, "generate")?,
            renderer,
            format: args.template.is_none().then_some(args.format),
            out: args.out,
            verbosity,
        })
    }
}

/// The renderer `args` ask for; a `--template` file is read and compiled
/// here, so a missing or broken template stops before anything is written.
fn renderer(args: &GenerateArgs) -> Result<Box<dyn Render>, Error> {
    if let Some(path) = &args.template {
        let source = std::fs::read_to_string(path).map_err(|source| Error::ReadTemplate {
            path: path.clone(),
            source,
        })?;
        let template = render::Template::user(&path.display().to_string(), source)?;
        return Ok(Box::new(template));
    }
    let provider = |provider| -> Box<dyn Render> { Box::new(render::Template::provider(provider)) };
    Ok(match args.format {
        OutputFormat::Zone => Box::new(render::Zone),
        OutputFormat::Json => Box::new(render::Json),
        OutputFormat::Nsupdate => Box::new(render::Nsupdate {
            server: args
                .nsupdate_server
                .as_deref()
                .map(nsupdate_server)
                .transpose()?,
        }),
        OutputFormat::Cloudflare => provider(Provider::Cloudflare),
        OutputFormat::CloudflareBatch => provider(Provider::CloudflareBatch),
        OutputFormat::Route53 => provider(Provider::Route53),
        OutputFormat::Powerdns => provider(Provider::Powerdns),
        OutputFormat::Gcloud => provider(Provider::Gcloud),
        OutputFormat::Digitalocean => provider(Provider::Digitalocean),
        OutputFormat::Octodns => provider(Provider::Octodns),
    })
}

/// Parses `HOST` or `HOST:PORT` (IPv6 as `[ADDR]:PORT`) into nsupdate's
/// `server` arguments.
fn nsupdate_server(text: &str) -> Result<String, ArgumentError> {
    let bad = || ArgumentError::NsupdateServer(text.to_owned());
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(ip.to_string());
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (
            host.trim_start_matches('[').trim_end_matches(']'),
            Some(port),
        ),
        None => (text, None),
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(bad());
    }
    match port {
        None => Ok(host.to_owned()),
        Some(port) => match port.parse::<u16>() {
            Ok(port) if port != 0 => Ok(format!("{host} {port}")),
            _ => Err(bad()),
        },
    }
}

impl SpfCheck {
    fn new(args: SpfCheckArgs, verbosity: Verbosity) -> Result<SpfCheck, Error> {
        let dns = Dns::new(&args.dns)?;
        let subject = match (args.record, args.domain) {
            (Some(record), _) if record == "-" => SpfSubject::Stdin,
            (Some(record), _) => SpfSubject::Record(record),
            (None, Some(domain)) => SpfSubject::Domain {
                domain: domain_argument(&domain)?,
                dns,
            },
            (None, None) => unreachable!("clap requires RECORD or --domain"),
        };
        Ok(SpfCheck {
            subject,
            profile: Profile {
                strict: args.strict,
            },
            timeout: timeout(args.timeout)?,
            format: args.format,
            verbosity,
        })
    }
}

/// Longest local part and domain of an address (RFC 5321 §4.5.3.1.1, §4.5.3.1.2).
const MAX_LOCAL_PART: usize = 64;
const MAX_SENDER_DOMAIN: usize = 255;

impl SpfEval {
    /// A malformed domain or HELO name is not refused here: check_host()
    /// gives `none` for it, with the reason (RFC 7208 §4.3).
    fn new(args: SpfEvalArgs) -> Result<SpfEval, Error> {
        let ip: IpAddr = args
            .ip
            .trim()
            .parse()
            .map_err(|_| ArgumentError::Ip(args.ip.clone()))?;
        let helo = args.helo.as_deref().map(str::trim);
        let mut params = match args.sender.as_deref() {
            // The null reverse-path of a bounce (RFC 7208 §2.4).
            Some("") => CheckParams::helo(ip, helo.ok_or(ArgumentError::BounceWithoutHelo)?),
            Some(sender) => {
                let Some((local, domain)) = sender.rsplit_once('@') else {
                    return Err(ArgumentError::Sender(sender.to_owned()).into());
                };
                if local.len() > MAX_LOCAL_PART || domain.len() > MAX_SENDER_DOMAIN {
                    return Err(ArgumentError::SenderTooLong {
                        local: local.len(),
                        domain: domain.len(),
                    }
                    .into());
                }
                CheckParams::mail_from(ip, sender, helo.unwrap_or("unknown"))
            }
            // clap requires `--domain` without `--sender`.
            None => {
                let domain = args.domain.as_deref().unwrap_or_default().trim();
                CheckParams::mail_from(ip, &format!("@{domain}"), helo.unwrap_or("unknown"))
            }
        };
        if let Some(domain) = &args.domain {
            params.domain = domain.trim().into();
        }
        Ok(SpfEval {
            params,
            timeout: timeout(args.timeout)?,
            dns: Dns::new(&args.dns)?,
            format: args.format,
        })
    }
}

fn domain_argument(text: &str) -> Result<DomainName, ArgumentError> {
    DomainName::new(text, Charset::LdhUnderscore).map_err(ArgumentError::Domain)
}

impl Verify {
    fn new(args: VerifyArgs, terminal: Terminal, verbosity: Verbosity) -> Result<Verify, Error> {
        let blocklists = match args.dnsbl {
            true => Some(lists(args.list_file.as_deref(), &args.lists)?),
            false => None,
        };
        let authoritative = match (args.authoritative, args.ns_port) {
            (true, 0) => return Err(ArgumentError::NsPort.into()),
            (true, port) => Some(port),
            (false, _) => None,
        };
        Ok(Verify {
            inventory: InventoryInput::new(args.inventory, "verify")?,
            dns: Dns::new(&args.dns)?,
            options: verify::Options {
                profile: Profile {
                    strict: args.strict,
                },
                concurrency: concurrency(args.concurrency)?,
                deadline: timeout(args.timeout)?,
                authoritative,
                // The process exits after the run.
                leave_answers: true,
            },
            receivers: args.receivers,
            blocklists,
            fail_on: match args.fail_on {
                FailOn::Error => Severity::Error,
                FailOn::Warning => Severity::Warning,
                FailOn::Info => Severity::Info,
            },
            format: args.format,
            terminal,
            verbosity,
        })
    }
}

impl Dnsbl {
    fn new(args: DnsblArgs, terminal: Terminal, verbosity: Verbosity) -> Result<Dnsbl, Error> {
        let lists = lists(args.list_file.as_deref(), &args.lists)?;
        let mut targets = Vec::new();
        let mut stdin = false;
        for text in &args.targets {
            match text.as_str() {
                "-" => stdin = true,
                text => targets.extend(dnsbl::parse_targets(text).map_err(ArgumentError::from)?),
            }
        }
        Ok(Dnsbl {
            targets,
            stdin,
            lists,
            concurrency: concurrency(args.concurrency)?,
            dns: Dns::new(&args.dns)?,
            format: args.format,
            terminal,
            verbosity,
        })
    }
}

/// `import`, configured.
#[derive(Debug)]
pub struct Import {
    /// The domains and selectors.
    pub request: crate::import::Request,
    /// Where the records come from.
    pub dns: Dns,
    /// `--out FILE`, or stdout.
    pub out: Option<PathBuf>,
    /// `--force`: replace `--out` if it exists.
    pub force: bool,
    /// The deadline of the whole run.
    pub timeout: Duration,
    /// `-q`, `-v`.
    pub verbosity: Verbosity,
}

impl Import {
    fn new(args: ImportArgs, verbosity: Verbosity) -> Result<Import, Error> {
        let mut domains: Vec<DomainName> = Vec::new();
        for given in &args.domains {
            let domain = DomainName::new(given, Charset::Ldh).map_err(|source| {
                ArgumentError::ImportDomain {
                    given: given.clone(),
                    source,
                }
            })?;
            if !domains.contains(&domain) {
                domains.push(domain);
            }
        }
        let mut selectors: Vec<String> = Vec::new();
        for given in &args.dkim_selectors {
            let selector = given.trim().to_ascii_lowercase();
            let valid = !selector.is_empty()
                && selector.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                });
            if !valid {
                return Err(ArgumentError::DkimSelector(given.clone()).into());
            }
            if !selectors.contains(&selector) {
                selectors.push(selector);
            }
        }
        Ok(Import {
            request: crate::import::Request { domains, selectors },
            dns: Dns::new(&args.dns)?,
            out: args.out,
            force: args.force,
            timeout: timeout(args.timeout)?,
            verbosity,
        })
    }
}

/// What `plan` and `apply` share: the inventory, the target and the
/// credentials to reach it.
pub struct Sync {
    /// The inventory.
    pub inventory: InventoryInput,
    /// How much to say besides the plan.
    pub verbosity: Verbosity,
    /// Where the zones are read (and written).
    pub target: SyncTarget,
    /// The TSIG key for `rfc2136://`, with the warning its file's mode
    /// calls for.
    pub tsig_key: Option<TsigKey>,
    /// Set when other users may read the TSIG key file.
    pub key_warning: Option<String>,
    /// The PowerDNS API key, for `powerdns+http://`.
    pub api_key: Option<ApiKey>,
    /// Delete stale owned records too.
    pub prune: bool,
    /// The deadline of each network exchange.
    pub timeout: Duration,
    /// Colour in the plan's text.
    pub terminal: Terminal,
}

impl Sync {
    /// Checks the target options; `writing` for `apply`. Reads the key
    /// files and `PDNS_API_KEY` here, before any inventory or DNS work.
    fn new(
        args: TargetArgs,
        command: &'static str,
        terminal: Terminal,
        verbosity: Verbosity,
    ) -> Result<Sync, Error> {
        let writing = command == "apply";
        let target = SyncTarget::parse(&args.target)?;
        let timeout = timeout(args.timeout)?;
        let is_rfc2136 = matches!(target, SyncTarget::Rfc2136(_));
        let is_powerdns = matches!(target, SyncTarget::PowerDns { .. });
        if writing && !target.writable() {
            return Err(ArgumentError::ReadOnlyTarget(target.to_string()).into());
        }
        if args.tsig_key.is_some() && !is_rfc2136 {
            return Err(ArgumentError::NotForTarget {
                option: "--tsig-key",
                applies_to: "rfc2136://",
            }
            .into());
        }
        if args.api_key_file.is_some() && !is_powerdns {
            return Err(ArgumentError::NotForTarget {
                option: "--api-key-file",
                applies_to: "powerdns+http://",
            }
            .into());
        }
        if writing && is_rfc2136 && args.tsig_key.is_none() {
            return Err(ArgumentError::TsigKeyNeeded(target.to_string()).into());
        }
        let (tsig_key, key_warning) = match &args.tsig_key {
            Some(path) => {
                let loaded = tsig_key::load(path).map_err(sync_target::Error::from)?;
                (Some(loaded.key), loaded.warning)
            }
            None => (None, None),
        };
        let api_key = match is_powerdns {
            true => Some(api_key(args.api_key_file.as_deref())?),
            false => None,
        };
        Ok(Sync {
            inventory: InventoryInput::new(args.inventory, command)?,
            verbosity,
            target,
            tsig_key,
            key_warning,
            api_key,
            prune: args.prune,
            timeout,
            terminal,
        })
    }
}

/// The PowerDNS API key: from `--api-key-file`, else `PDNS_API_KEY`;
/// never from the command line.
fn api_key(file: Option<&Path>) -> Result<ApiKey, Error> {
    let (text, source) = match file {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|source| Error::ReadKey {
                path: path.to_owned(),
                source,
            })?,
            format!("`{}`", path.display()),
        ),
        None => (
            std::env::var(API_KEY_VARIABLE).unwrap_or_default(),
            format!("`{API_KEY_VARIABLE}`"),
        ),
    };
    ApiKey::new(&text).ok_or_else(|| ArgumentError::ApiKeyMissing(source).into())
}

/// `plan`.
pub struct Plan {
    /// The target and the inventory.
    pub sync: Sync,
    /// Output format.
    pub format: ReportFormat,
    /// Exit 1 when anything would change.
    pub expect_no_changes: bool,
}

impl Plan {
    fn new(args: PlanArgs, terminal: Terminal, verbosity: Verbosity) -> Result<Plan, Error> {
        Ok(Plan {
            sync: Sync::new(args.target, "plan", terminal, verbosity)?,
            format: args.format,
            expect_no_changes: args.expect_no_changes,
        })
    }
}

/// `apply`.
pub struct Apply {
    /// The target and the inventory.
    pub sync: Sync,
    /// Apply without asking (`--yes`); otherwise standard input is a
    /// terminal to ask on.
    pub yes: bool,
}

impl Apply {
    fn new(args: ApplyArgs, terminal: Terminal, verbosity: Verbosity) -> Result<Apply, Error> {
        let sync = Sync::new(args.target, "apply", terminal, verbosity)?;
        if !args.yes && !std::io::stdin().is_terminal() {
            return Err(ArgumentError::Unconfirmed.into());
        }
        Ok(Apply {
            sync,
            yes: args.yes,
        })
    }
}

/// `--timeout SECONDS` as a duration, within [`MIN_TIMEOUT`]..=[`MAX_TIMEOUT`].
pub fn timeout(seconds: u64) -> Result<Duration, ArgumentError> {
    let timeout = Duration::from_secs(seconds);
    if (MIN_TIMEOUT..=MAX_TIMEOUT).contains(&timeout) {
        Ok(timeout)
    } else {
        Err(ArgumentError::Timeout(seconds))
    }
}

/// `--concurrency N`, within 1..=[`MAX_CONCURRENCY`].
pub fn concurrency(n: usize) -> Result<usize, ArgumentError> {
    if (1..=MAX_CONCURRENCY).contains(&n) {
        Ok(n)
    } else {
        Err(ArgumentError::Concurrency(n))
    }
}

/// The lists to ask: those named by `zones` (`--list`), or every active
/// list when none is named, from the built-in registry extended by `file`
/// (`--lists`). A zone no registry describes is asked with the RFC 5782
/// defaults ([`List::undocumented`]).
fn lists(file: Option<&Path>, zones: &[String]) -> Result<Vec<List>, Error> {
    let mut registry = Registry::built_in();
    if let Some(file) = file {
        registry.extend_from_file(file)?;
    }
    if zones.is_empty() {
        return Ok(registry
            .lists
            .into_iter()
            .filter(|l| l.status == Status::Active)
            .collect());
    }
    Ok(zones
        .iter()
        .map(|zone| match registry.find(zone) {
            Some(list) => Ok(list.clone()),
            None => DomainName::new(zone, Charset::LdhUnderscore)
                .map(List::undocumented)
                .map_err(ArgumentError::ListZone),
        })
        .collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_bounds() {
        assert_eq!(timeout(1).unwrap(), Duration::from_secs(1));
        assert_eq!(timeout(86_400).unwrap(), Duration::from_secs(86_400));
        for bad in [0, 86_401, 18_446_744_073_709_551, u64::MAX] {
            assert!(
                matches!(timeout(bad), Err(ArgumentError::Timeout(s)) if s == bad),
                "{bad}"
            );
        }
    }

    #[test]
    fn concurrency_bounds() {
        assert_eq!(concurrency(1).unwrap(), 1);
        assert_eq!(concurrency(MAX_CONCURRENCY).unwrap(), MAX_CONCURRENCY);
        assert!(concurrency(0).is_err());
        assert!(concurrency(MAX_CONCURRENCY + 1).is_err());
    }

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        let decide = |tty, no_color: Option<&str>| {
            Terminal::decide(tty, false, no_color.map(OsStr::new), None).colour
        };
        assert!(decide(true, None));
        assert!(decide(true, Some("")), "an empty NO_COLOR is unset");
        assert!(!decide(true, Some("1")));
        assert!(!decide(false, None));
    }

    #[test]
    fn progress_follows_stderr_and_width_has_a_fallback() {
        let terminal = Terminal::decide(false, true, None, Some(132));
        assert!(terminal.progress);
        assert_eq!(terminal.width, 132);
        let terminal = Terminal::decide(true, false, None, None);
        assert!(!terminal.progress);
        assert_eq!(terminal.width, 80);
        assert_eq!(Terminal::decide(true, true, None, Some(0)).width, 80);
    }

    #[test]
    fn help_states_the_bounds_the_checks_use() {
        use clap::CommandFactory;
        for name in ["verify", "dnsbl"] {
            let mut command = Cli::command();
            let help = command
                .find_subcommand_mut(name)
                .unwrap()
                .render_long_help()
                .to_string();
            let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                help.contains(&format!("(1 to {MAX_CONCURRENCY})")),
                "{help}"
            );
            if name == "verify" {
                let bounds = format!("({} to {})", MIN_TIMEOUT.as_secs(), MAX_TIMEOUT.as_secs());
                assert!(help.contains(&bounds), "{help}");
            }
        }
    }

    #[test]
    fn nsupdate_server_forms() {
        assert_eq!(nsupdate_server("192.0.2.53").unwrap(), "192.0.2.53");
        assert_eq!(nsupdate_server("ns1.example").unwrap(), "ns1.example");
        assert_eq!(
            nsupdate_server("[2001:db8::53]:5353").unwrap(),
            "2001:db8::53 5353"
        );
        assert_eq!(nsupdate_server("ns1:53").unwrap(), "ns1 53");
        for bad in ["ns1:0", "ns1:x", ":53", "a b"] {
            assert!(nsupdate_server(bad).is_err(), "{bad}");
        }
    }
}
