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
            eprint!("senderzone: {}", err.render());
            return ExitCode::from(senderzone::exit::BAD_INPUT);
        }
        Err(err) => err.exit(),
    };
    let stdout = io::stdout();
    let stderr = io::stderr();
    // Buffered: stdout is line-buffered, and zone files have many lines.
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = stderr.lock();
    let result = app::run(
        cli,
        &mut Streams {
            out: &mut out,
            err: &mut err,
        },
    );
    let _ = out.flush();
    match result {
        Ok(code) => ExitCode::from(code),
        Err(app::Error::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(error) => {
            for message in error.messages() {
                let _ = writeln!(err, "senderzone: error: {message}");
            }
            ExitCode::from(error.exit_code())
        }
    }
}
