//! Runs a parsed command line: the only layer that touches files and
//! terminals, through the writers it is handed.

pub(crate) mod dnsbl;
mod spf;
mod verify;

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::cli::{Cli, Command, GenerateArgs, OutputFormat};
use crate::exit;
use crate::inventory::{self, Inventory, InventoryError, Problem};
use crate::records::{self, Plan};
use crate::render::{self, Provider, Render};

/// The starter inventory written by `senderzone init`.
pub const STARTER_INVENTORY: &str = include_str!("../../templates/inventory.yaml");

/// Why a command could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The inventory could not be loaded.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// The inventory is valid but asks for records DNS cannot carry.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Plan(Vec<Problem>),
    /// An option value is invalid.
    #[error("{0}")]
    Usage(String),
    /// A file could not be written or read.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: io::Error,
    },
}

impl Error {
    /// The exit code this error leads to.
    pub fn exit_code(&self) -> u8 {
        exit::BAD_INPUT
    }

    /// One message per problem, for `senderzone: error: …` lines.
    pub fn messages(&self) -> Vec<String> {
        match self {
            Error::Inventory(err) => err.messages(),
            Error::Plan(problems) => problems.iter().map(ToString::to_string).collect(),
            other => vec![other.to_string()],
        }
    }
}

/// Where a command writes: results to `out`, diagnostics to `err`.
pub struct Streams<'a> {
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error.
    pub err: &'a mut dyn Write,
}

/// Runs `cli` and returns the exit code.
pub fn run(cli: Cli, streams: &mut Streams<'_>) -> Result<u8, Error> {
    match cli.command {
        Command::Generate(args) => generate(&args, streams),
        Command::Init { file } => init(&file, streams),
        Command::Spf(command) => spf::run(&command, streams),
        Command::Dnsbl(args) => dnsbl::run(&args, streams),
        Command::Verify(args) => verify::run(&args, streams),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "senderzone", streams.out);
            Ok(exit::OK)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command())
                .render(streams.out)
                .map_err(|source| io_error("cannot write the man page", source))?;
            Ok(exit::OK)
        }
    }
}

pub(crate) fn io_error(context: impl Into<String>, source: io::Error) -> Error {
    Error::Io {
        context: context.into(),
        source,
    }
}

/// A runtime on this thread: lookups are concurrent, not parallel.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| io_error("cannot start the DNS runtime", source))
}

/// Writes `value` as pretty JSON and a newline: the `--format json` report.
pub(crate) fn write_json(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, value)
        .map_err(|err| io_error("cannot write the report", err.into()))?;
    writeln!(out).map_err(|source| io_error("cannot write the report", source))
}

/// Loads an inventory, printing its warnings.
pub fn load_inventory(path: &Path, streams: &mut Streams<'_>) -> Result<Inventory, Error> {
    let loaded = Inventory::load(path)?;
    let omitted = (loaded.omitted_warnings > 0)
        .then(|| inventory::omitted_line(path, loaded.omitted_warnings, "warnings"));
    for warning in loaded
        .warnings
        .iter()
        .map(ToString::to_string)
        .chain(omitted)
    {
        writeln!(streams.err, "senderzone: warning: {warning}")
            .map_err(|source| io_error("cannot write to stderr", source))?;
    }
    Ok(loaded.inventory)
}

/// Plans the records of `inventory`, locating planning errors in its file.
pub fn plan_records(inventory: &Inventory) -> Result<Plan, Error> {
    records::plan(inventory).map_err(|errors| {
        Error::Plan(
            errors
                .into_iter()
                .map(|e| Problem {
                    location: inventory.locate(&e.path),
                    message: e.message,
                })
                .collect(),
        )
    })
}

fn generate(args: &GenerateArgs, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let renderer = renderer(args)?;
    if args.nsupdate_server.is_some() && args.format != OutputFormat::Nsupdate {
        return Err(Error::Usage(
            "`--nsupdate-server` applies only to `--format nsupdate`".to_owned(),
        ));
    }
    let inventory = load_inventory(&args.inventory, streams)?;
    let mut plan = plan_records(&inventory)?;
    let mut notes: Vec<String> = plan
        .warnings
        .iter()
        .map(|warning| format!("{}: {}", inventory.locate(&warning.path), warning.message))
        .collect();
    plan.zones.retain(|zone| match renderer.skip_reason(zone) {
        Some(reason) => {
            notes.push(reason);
            false
        }
        None => true,
    });
    for note in notes {
        writeln!(streams.err, "senderzone: warning: {note}")
            .map_err(|source| io_error("cannot write to stderr", source))?;
    }
    match &args.out {
        // Renderers finish rendering before they write: a failure leaves
        // stdout empty.
        None => renderer
            .render_plan(&plan, streams.out)
            .map_err(|source| io_error("cannot write the output", source))?,
        Some(dir) => write_zone_files(&plan, renderer.as_ref(), dir, streams)?,
    }
    drop_in_background((plan, inventory));
    Ok(exit::OK)
}

/// Frees `value` on a thread of its own, so that the process can end
/// without first making hundreds of thousands of deallocations.
fn drop_in_background<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}

/// The renderer `args` ask for; a `--template` file is read and compiled
/// here, so a missing or broken template stops before anything is written.
fn renderer(args: &GenerateArgs) -> Result<Box<dyn Render>, Error> {
    if let Some(path) = &args.template {
        let source = std::fs::read_to_string(path).map_err(|source| {
            io_error(format!("cannot read template `{}`", path.display()), source)
        })?;
        let template = render::Template::user(&path.display().to_string(), source)
            .map_err(|err| Error::Usage(err.to_string()))?;
        return Ok(Box::new(template));
    }
    let provider = |provider| -> Result<Box<dyn Render>, Error> {
        Ok(Box::new(render::Template::provider(provider)))
    };
    match args.format {
        OutputFormat::Zone => Ok(Box::new(render::Zone)),
        OutputFormat::Json => Ok(Box::new(render::Json)),
        OutputFormat::Nsupdate => Ok(Box::new(render::Nsupdate {
            server: args
                .nsupdate_server
                .as_deref()
                .map(nsupdate_server)
                .transpose()?,
        })),
        OutputFormat::Cloudflare => provider(Provider::Cloudflare),
        OutputFormat::CloudflareBatch => provider(Provider::CloudflareBatch),
        OutputFormat::Route53 => provider(Provider::Route53),
        OutputFormat::Powerdns => provider(Provider::Powerdns),
        OutputFormat::Gcloud => provider(Provider::Gcloud),
        OutputFormat::Digitalocean => provider(Provider::Digitalocean),
        OutputFormat::Octodns => provider(Provider::Octodns),
    }
}

/// Parses `HOST` or `HOST:PORT` (IPv6 as `[ADDR]:PORT`) into nsupdate's
/// `server` arguments.
fn nsupdate_server(text: &str) -> Result<String, Error> {
    let bad = || {
        Error::Usage(format!(
            "invalid `--nsupdate-server` value `{text}`; accepted: HOST, HOST:PORT or [IPv6]:PORT"
        ))
    };
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
        Some(port) => {
            let port: u16 = port.parse().map_err(|_| bad())?;
            Ok(format!("{host} {port}"))
        }
    }
}

/// Renders every zone in memory, then writes each file through a temporary
/// file in the same directory and a rename, so no reader ever sees half a
/// file and nothing is written if rendering fails.
fn write_zone_files(
    plan: &Plan,
    renderer: &dyn Render,
    dir: &Path,
    streams: &mut Streams<'_>,
) -> Result<(), Error> {
    let buffers =
        render::render_zones(renderer, plan).map_err(|source| io_error("cannot render", source))?;
    let rendered: Vec<(PathBuf, Vec<u8>)> = plan
        .zones
        .iter()
        .map(|zone| dir.join(render::file_name(zone, renderer.extension())))
        .zip(buffers)
        .collect();
    std::fs::create_dir_all(dir)
        .map_err(|source| io_error(format!("cannot create `{}`", dir.display()), source))?;
    for (path, contents) in rendered {
        let context = || format!("cannot write `{}`", path.display());
        let mut temp =
            tempfile::NamedTempFile::new_in(dir).map_err(|source| io_error(context(), source))?;
        temp.write_all(&contents)
            .map_err(|source| io_error(context(), source))?;
        temp.persist(&path)
            .map_err(|err| io_error(context(), err.error))?;
        writeln!(streams.err, "wrote {}", path.display())
            .map_err(|source| io_error("cannot write to stderr", source))?;
    }
    Ok(())
}

fn init(file: &Path, streams: &mut Streams<'_>) -> Result<u8, Error> {
    if file == Path::new("-") {
        streams
            .out
            .write_all(STARTER_INVENTORY.as_bytes())
            .map_err(|source| io_error("cannot write the output", source))?;
        return Ok(exit::OK);
    }
    let context = || format!("cannot create `{}`", file.display());
    let mut handle = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .map_err(|source| match source.kind() {
            io::ErrorKind::AlreadyExists => Error::Usage(format!(
                "`{}` already exists; senderzone init never overwrites a file: choose another name or remove it",
                file.display()
            )),
            _ => io_error(context(), source),
        })?;
    handle
        .write_all(STARTER_INVENTORY.as_bytes())
        .map_err(|source| io_error(context(), source))?;
    writeln!(
        streams.err,
        "wrote {}; edit it, then run: senderzone generate {}",
        file.display(),
        file.display()
    )
    .map_err(|source| io_error("cannot write to stderr", source))?;
    Ok(exit::OK)
}
