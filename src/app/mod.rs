//! Runs a parsed command line: the only layer that touches files and
//! terminals, through the writers it is handed.
//!
//! [`run`] turns the arguments into a typed [`Config`] first (every value
//! checked, the terminal asked once), then runs the command, then flushes
//! the output: a write error there is an error like any other.

pub mod config;
mod dkim;
mod dnsbl;
mod generate;
mod import;
mod man;
mod out;
mod plan;
mod spf;
mod verify;

use std::fs::OpenOptions;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use clap::CommandFactory;

pub use config::{ArgumentError, Config, InventoryInput, Terminal, Verbosity};
pub use out::OutError;

use crate::cli::Cli;
use crate::dns::source::SourceError;
use crate::dnsbl::TargetError;
use crate::dnsbl::registry::RegistryError;
use crate::exit;
use crate::finding::Severity;
use crate::inventory::{self, Inventory, InventoryError, Problem};
use crate::records::{self, Diagnostic, Plan};
use crate::render::TemplateError;

/// How standard input is named in messages (`<stdin>:3:7: …`).
pub const STDIN_NAME: &str = "<stdin>";

/// The starter inventory written by `senderzone init`.
pub const STARTER_INVENTORY: &str = include_str!("../../templates/inventory.yaml");

/// Why a command could not do its job.
///
/// Each variant wraps the typed error of the module that failed; its exit
/// code is [`Error::code`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An option value is outside what the option accepts.
    #[error(transparent)]
    Argument(#[from] ArgumentError),
    /// Options that do not go together.
    #[error("{0}")]
    Usage(&'static str),
    /// `generate` or `verify` without an inventory, and none in the
    /// current directory.
    #[error(
        "no INVENTORY given and no `senderzone.yaml` here: run `senderzone init` to write a starter inventory, or name yours: `senderzone {command} FILE` (`-` reads stdin)"
    )]
    NoInventory {
        /// The command that needs one.
        command: &'static str,
    },
    /// Standard input could not be read (`dnsbl -`).
    #[error("cannot read stdin: {0}")]
    ReadStdin(io::Error),
    /// A line of standard input is not a `dnsbl` target.
    #[error("{STDIN_NAME}:{line}: {source}")]
    StdinTarget {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        source: TargetError,
    },
    /// `man PAGE` names no page.
    #[error("no man page for `{page}`; accepted: {accepted}, or `inventory`")]
    UnknownPage {
        /// The words given.
        page: String,
        /// The commands that have one.
        accepted: String,
    },
    /// The inventory could not be loaded.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// The inventory is valid but asks for records DNS cannot carry.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Plan(Vec<Problem>),
    /// An SPF record given as text does not parse.
    #[error(
        "invalid SPF record{}\n{message}",
        line.map_or(String::new(), |n| format!(" on line {n} of standard input"))
    )]
    SpfRecord {
        /// The line of standard input it was on (`spf check -`).
        line: Option<usize>,
        /// What is wrong, with a caret under the bad term.
        message: String,
    },
    /// The DNS source could not be set up: a zone file, the system
    /// resolver's configuration.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A `--lists` file could not be used.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A `--template` file could not be read.
    #[error("cannot read template `{}`: {source}", path.display())]
    ReadTemplate {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A template could not be compiled, or rendered for a zone.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A `--api-key-file` could not be read.
    #[error("cannot read the API key file `{}`: {source}", path.display())]
    ReadKey {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A built-in form could not render the plan.
    #[error("cannot render: {0}")]
    Render(io::Error),
    /// `init` never overwrites a file.
    #[error(
        "`{}` already exists; senderzone init never overwrites a file: choose another name or remove it",
        .0.display()
    )]
    Exists(PathBuf),
    /// `dkim keygen` never overwrites a key.
    #[error(
        "`{}` already exists; senderzone dkim keygen never overwrites a key: choose a new selector (one per key), or move the old file away",
        .0.display()
    )]
    KeyExists(PathBuf),
    /// The system could not make a key.
    #[error("cannot generate the key: {0}")]
    Keygen(String),
    /// A `--key` file could not be read or holds no key.
    #[error("key file `{}`: {message}", path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where in the file.
        message: String,
    },
    /// A `--record` given as quoted strings that do not parse.
    #[error("invalid `--record`: {0}")]
    RecordText(String),
    /// A file could not be created or written (`init FILE`).
    #[error("cannot create `{}`: {source}", path.display())]
    Create {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// `--out DIR` was not written.
    #[error(transparent)]
    Out(#[from] OutError),
    /// The DNS runtime could not start (the system refused an event
    /// queue or a timer).
    #[error("cannot start the DNS runtime: {0}")]
    Runtime(io::Error),
    /// Standard output could not be written.
    #[error("cannot write the output: {0}")]
    Output(io::Error),
    /// Standard input could not be read.
    #[error("cannot read standard input: {0}")]
    Input(io::Error),
    /// Standard error could not be written.
    #[error("cannot write to stderr: {0}")]
    Stderr(io::Error),
    /// `apply` could not read the answer to its question.
    #[error("cannot read the confirmation: {0}")]
    Confirm(io::Error),
    /// A `plan` or `apply` target could not be read or written, or its
    /// TSIG key file could not be used.
    #[error(transparent)]
    Target(#[from] crate::target::Error),
}

impl Error {
    /// The exit code this error leads to (see [`crate::exit`]).
    pub fn code(&self) -> u8 {
        match self {
            _ if self.is_closed_pipe() => exit::CLOSED_PIPE,
            Error::Target(err) => err.exit_code(),
            Error::Argument(_)
            | Error::Usage(_)
            | Error::NoInventory { .. }
            | Error::ReadStdin(_)
            | Error::StdinTarget { .. }
            | Error::UnknownPage { .. }
            | Error::Inventory(_)
            | Error::Plan(_)
            | Error::SpfRecord { .. }
            | Error::Input(_)
            | Error::Source(_)
            | Error::Registry(_)
            | Error::ReadTemplate { .. }
            | Error::ReadKey { .. }
            | Error::Template(_)
            | Error::Render(_)
            | Error::Exists(_)
            | Error::KeyExists(_)
            | Error::Keygen(_)
            | Error::KeyFile { .. }
            | Error::RecordText(_)
            | Error::Create { .. }
            | Error::Out(_)
            | Error::Runtime(_)
            | Error::Output(_)
            | Error::Stderr(_)
            | Error::Confirm(_) => exit::BAD_INPUT,
        }
    }

    /// Whether the reader of stdout or stderr went away: the program
    /// then ends quietly with [`exit::CLOSED_PIPE`], as a program killed
    /// by `SIGPIPE` does (Rust ignores the signal, so it comes as an
    /// error).
    pub fn is_closed_pipe(&self) -> bool {
        match self {
            Error::Output(source) | Error::Stderr(source) => {
                source.kind() == io::ErrorKind::BrokenPipe
            }
            _ => false,
        }
    }

    /// One message per problem, for `senderzone: error: …` lines; none for
    /// a closed pipe.
    pub fn messages(&self) -> Vec<String> {
        match self {
            _ if self.is_closed_pipe() => Vec::new(),
            Error::Inventory(err) => err.messages(),
            Error::Plan(problems) => problems.iter().map(ToString::to_string).collect(),
            Error::Target(err) => err.to_string().lines().map(str::to_owned).collect(),
            other => vec![other.to_string()],
        }
    }
}

/// Where a command reads its input from (`-`) and writes: results to
/// `out`, diagnostics to `err`.
pub struct Streams<'a> {
    /// Standard input.
    pub input: &'a mut dyn BufRead,
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error.
    pub err: &'a mut dyn Write,
}

/// Runs `cli` and returns the exit code; the output is flushed, so that
/// an error writing it is returned, not lost.
pub fn run(cli: Cli, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let code = match Config::new(cli, Terminal::detect())? {
        Config::Generate(config) => generate::run(config, streams)?,
        Config::Init(config) => init(&config, streams)?,
        Config::SpfCheck(config) => spf::check(&config, streams)?,
        Config::SpfEval(config) => spf::eval(&config, streams)?,
        Config::Verify(config) => verify::run(&config, streams)?,
        Config::Dnsbl(config) => dnsbl::run(&config, streams)?,
        Config::DkimKeygen(config) => dkim::keygen(&config, streams)?,
        Config::DkimCheck(config) => dkim::check(&config, streams)?,
        Config::Import(config) => import::run(&config, streams)?,
        Config::Plan(config) => plan::plan(&config, streams)?,
        Config::Apply(config) => plan::apply(&config, streams)?,
        Config::Completions(shell) => {
            // clap_complete panics on a write error: it writes to memory.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "senderzone", &mut script);
            streams.out.write_all(&script).map_err(Error::Output)?;
            exit::OK
        }
        Config::Man(config) => man::run(&config, streams)?,
    };
    streams.out.flush().map_err(Error::Output)?;
    Ok(code)
}

/// A runtime on this thread: lookups are concurrent, not parallel.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

/// Writes `value` as pretty JSON and a newline: the `--format json` report.
pub(crate) fn write_json(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(|err| Error::Output(err.into()))?;
    writeln!(out).map_err(Error::Output)
}

/// Writes `message` as a `senderzone: warning: …` line on stderr.
pub(crate) fn warn(
    streams: &mut Streams<'_>,
    message: impl std::fmt::Display,
) -> Result<(), Error> {
    writeln!(streams.err, "senderzone: warning: {message}").map_err(Error::Stderr)
}

/// Writes `message` as a `senderzone: note: …` line on stderr, unless
/// `-q`: what the user may want to know, not a problem.
pub(crate) fn note(
    streams: &mut Streams<'_>,
    verbosity: Verbosity,
    message: impl std::fmt::Display,
) -> Result<(), Error> {
    if verbosity.is_quiet() {
        return Ok(());
    }
    writeln!(streams.err, "senderzone: note: {message}").map_err(Error::Stderr)
}

/// Loads an inventory from a file or stdin, printing its warnings; the
/// default file is named in a note.
pub fn load_inventory(
    input: &InventoryInput,
    verbosity: Verbosity,
    streams: &mut Streams<'_>,
) -> Result<Inventory, Error> {
    let loaded = match input {
        InventoryInput::File(path) => Inventory::load(path)?,
        InventoryInput::Default(path) => {
            note(
                streams,
                verbosity,
                format_args!("no INVENTORY given: reading `{}`", path.display()),
            )?;
            Inventory::load(path)?
        }
        InventoryInput::Stdin => {
            let file = Path::new(STDIN_NAME);
            let mut bytes = Vec::new();
            streams
                .input
                .read_to_end(&mut bytes)
                .map_err(|source| InventoryError::Read {
                    file: file.to_owned(),
                    source,
                })?;
            Inventory::from_bytes(file, &bytes)?
        }
    };
    let name = match input {
        InventoryInput::File(path) | InventoryInput::Default(path) => path.as_path(),
        InventoryInput::Stdin => Path::new(STDIN_NAME),
    };
    let omitted = (loaded.omitted_warnings > 0)
        .then(|| inventory::omitted_line(name, loaded.omitted_warnings, "warnings"));
    for warning in loaded
        .warnings
        .iter()
        .map(ToString::to_string)
        .chain(omitted)
    {
        warn(streams, warning)?;
    }
    Ok(loaded.inventory)
}

/// Plans the records of `inventory`, refusing it for every error
/// diagnostic but those the command handles itself (`handled`), each
/// located in the inventory file.
pub fn plan_records(
    inventory: &Inventory,
    handled: impl Fn(&Diagnostic) -> bool,
) -> Result<Plan, Error> {
    let plan = records::plan(inventory);
    let problems: Vec<Problem> = plan
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error && !handled(d))
        .map(|d| Problem {
            location: inventory.locate(&d.path()),
            message: d.to_string(),
        })
        .collect();
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(Error::Plan(problems))
    }
}

/// Writes the starter inventory to `file` (never over an existing one),
/// or to stdout.
fn init(config: &config::Init, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let Some(file) = config.file.as_deref() else {
        streams
            .out
            .write_all(STARTER_INVENTORY.as_bytes())
            .map_err(Error::Output)?;
        return Ok(exit::OK);
    };
    let create_error = |source| Error::Create {
        path: file.to_owned(),
        source,
    };
    let mut handle = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .map_err(|source| match source.kind() {
            io::ErrorKind::AlreadyExists => Error::Exists(file.to_owned()),
            _ => create_error(source),
        })?;
    handle
        .write_all(STARTER_INVENTORY.as_bytes())
        .map_err(create_error)?;
    if !config.verbosity.is_quiet() {
        // The default file needs no name: `generate` finds it.
        let shown = match file == Path::new(config::DEFAULT_INVENTORY) {
            true => String::new(),
            false => format!(" {}", file.display()),
        };
        writeln!(
            streams.err,
            "wrote {}; edit it, then run: senderzone generate{shown}",
            file.display(),
        )
        .map_err(Error::Stderr)?;
    }
    Ok(exit::OK)
}
