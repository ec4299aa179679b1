//! The `senderzone` binary: parse arguments, run, report, exit.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser as _;
use senderzone::app::{self, Streams};
use senderzone::cli::Cli;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Usage errors read like every other error: `senderzone: error: …`.
        Err(err) if err.use_stderr() => {
            let _ = write!(io::stderr(), "senderzone: {}", err.render());
            return ExitCode::from(senderzone::exit::BAD_INPUT);
        }
        // `--help` and `--version` are output like any other: written
        // whole, or an error.
        Err(err) => {
            return match err.print().and_then(|()| io::stdout().flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(source) => fail(&app::Error::Output(source)),
            };
        }
    };
    let stdout = io::stdout();
    // Buffered: stdout is line-buffered, and zone files have many lines.
    // `app::run` flushes it and reports a failure.
    let mut out = io::BufWriter::new(stdout.lock());
    let result = app::run(
        cli,
        &mut Streams {
            input: &mut io::stdin().lock(),
            out: &mut out,
            err: &mut io::stderr().lock(),
        },
    );
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => fail(&error),
    }
}

/// Prints `error` as `senderzone: error: …` lines (nothing for a closed
/// pipe) and gives its exit code.
fn fail(error: &app::Error) -> ExitCode {
    let mut err = io::stderr().lock();
    for message in error.messages() {
        // Nowhere is left to report a failure to write to stderr.
        let _ = writeln!(err, "senderzone: error: {message}");
    }
    ExitCode::from(error.code())
}

/// jemalloc rather than glibc's malloc: a 10,000-server `verify` makes
/// about two million allocations (YAML scalars, DNS answers, findings),
/// and glibc's took a fifth of the run's instructions. With jemalloc the
/// run needs 11 % fewer instructions and its peak RSS is 51 MB instead of
/// 59-61 MB (callgrind and GNU time, scripts/bench-verify's inventory).
/// Freed pages go back to the system at once (`.cargo/config.toml`).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
