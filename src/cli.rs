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
    /// Output form.
    #[arg(long, value_enum, default_value_t = OutputFormat::Zone)]
    pub format: OutputFormat,
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
}
