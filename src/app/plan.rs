//! `senderzone plan` and `senderzone apply`: the CLI side of
//! [`crate::sync`] and [`crate::target`].

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use foldhash::HashSet;
use tokio::runtime::Runtime;

use super::config::{self, Sync, Verbosity};
use super::{Error, Streams, load_inventory, note, plan_records, runtime, warn, write_json};
use crate::cli::ReportFormat;
use crate::exit;
use crate::finding::Severity;
use crate::names::DomainName;
use crate::records::{Plan, ZonePlan, ZoneRole};
use crate::sync::report::{self, SyncPlan, ZoneOutcome};
use crate::sync::{self, Context, RrsetChange, ZoneDiff};
use crate::target::powerdns::PowerDns;
use crate::target::rfc2136::{self, Rfc2136};
use crate::target::{self, Applied, ApplyOptions, Limits, Target, ZoneRead};

/// Runs `plan`: 0 whether or not changes are needed, 1 with
/// `--expect-no-changes` when they are.
pub fn plan(config: &config::Plan, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let session = Session::open(&config.sync, streams)?;
    let started = Instant::now();
    let plan = session.compare()?;
    session.traffic_note("read", started, streams)?;
    match config.format {
        ReportFormat::Json => write_json(streams.out, &report::to_json(&plan))?,
        ReportFormat::Text => {
            report::write_text(&plan, streams.out, config.sync.terminal.colour)
                .map_err(Error::Output)?;
        }
    }
    Ok(if config.expect_no_changes && !plan.in_sync() {
        exit::PROBLEMS
    } else {
        exit::OK
    })
}

/// Runs `apply`: shows the plan, asks (or takes `--yes`), writes each zone
/// as one change, then reads the target again and checks that it serves
/// the plan.
pub fn apply(config: &config::Apply, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let session = Session::open(&config.sync, streams)?;
    let started = Instant::now();
    let plan = session.compare()?;
    session.traffic_note("read", started, streams)?;
    let write_error = Error::Output;
    report::write_text(&plan, streams.out, config.sync.terminal.colour).map_err(write_error)?;
    let (add, delete) = plan.counts();
    if add + delete == 0 {
        if !plan.in_sync() {
            return Err(session.unconverged(&plan));
        }
        writeln!(streams.out, "no changes").map_err(write_error)?;
        return Ok(exit::OK);
    }
    let zones: Vec<&ZoneDiff> = plan.diffs().filter(|d| !d.changes.is_empty()).collect();
    if !config.yes {
        let question = format!(
            "apply {add} addition{} and {delete} deletion{} to {} zone{} on {}?",
            plural(add),
            plural(delete),
            zones.len(),
            plural(zones.len()),
            session.target
        );
        if !confirm(&question, streams)? {
            writeln!(streams.out, "not applied").map_err(write_error)?;
            return Ok(exit::PROBLEMS);
        }
    }
    let hooks = test_hooks();
    let mut hold = |request: usize| {
        if let Some((path, at)) = &hooks.hold
            && *at == request
        {
            hold_at(path);
        }
    };
    let mut options = ApplyOptions {
        max_message_octets: hooks
            .max_message_octets
            .unwrap_or(rfc2136::MAX_MESSAGE_OCTETS),
        before_write: &mut hold,
    };
    let writing = Instant::now();
    let mut requests = 0;
    for (done, diff) in zones.iter().enumerate() {
        match session.apply(&diff.zone, &diff.changes, &mut options) {
            Ok(applied) => {
                requests += applied.requests;
                let (add, delete) = diff.counts();
                writeln!(
                    streams.out,
                    "applied to zone {}.: {add} added, {delete} deleted ({} {})",
                    diff.zone,
                    applied.requests,
                    session.request_noun(applied.requests)
                )
                .map_err(write_error)?;
            }
            Err(err) => {
                let untouched: Vec<String> =
                    zones[done + 1..].iter().map(|d| d.zone.fqdn()).collect();
                if !untouched.is_empty() {
                    writeln!(
                        streams.out,
                        "not attempted: zone {}",
                        untouched.join(", zone ")
                    )
                    .map_err(write_error)?;
                }
                return Err(err.into());
            }
        }
    }
    let seconds = writing.elapsed().as_secs_f64();
    let checking = Instant::now();
    let after = session.compare()?;
    session.traffic_note("wrote and checked", started, streams)?;
    if !after.in_sync() {
        return Err(session.unconverged(&after));
    }
    writeln!(
        streams.out,
        "applied {} change{} to {} zone{} in {requests} {} ({seconds:.2} s); read back in {:.2} s: {} serves the plan",
        add + delete,
        plural(add + delete),
        zones.len(),
        plural(zones.len()),
        session.request_noun(requests),
        checking.elapsed().as_secs_f64(),
        session.target,
    )
    .map_err(write_error)?;
    Ok(exit::OK)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Asks `question` on the terminal; true for `y` or `yes`.
fn confirm(question: &str, streams: &mut Streams<'_>) -> Result<bool, Error> {
    streams.out.flush().map_err(Error::Output)?;
    write!(streams.err, "{question} [y/N] ").map_err(Error::Stderr)?;
    streams.err.flush().map_err(Error::Stderr)?;
    let mut answer = String::new();
    streams
        .input
        .read_line(&mut answer)
        .map_err(Error::Confirm)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// The reader and writer of one target.
enum Connection {
    Rfc2136(Rfc2136),
    PowerDns(PowerDns),
}

/// Everything `plan` and `apply` share: the target, the record plan, and
/// what the diff needs.
struct Session {
    target: Target,
    connection: Connection,
    runtime: Runtime,
    plan: Plan,
    hosts: HashSet<DomainName>,
    prune: bool,
    /// `-q` leaves out the traffic notes.
    verbosity: Verbosity,
}

impl Session {
    /// Loads the inventory, plans its records and opens the target.
    fn open(config: &Sync, streams: &mut Streams<'_>) -> Result<Session, Error> {
        if let Some(warning) = &config.key_warning {
            warn(streams, warning)?;
        }
        let inventory = load_inventory(&config.inventory, config.verbosity, streams)?;
        let plan = plan_records(&inventory, |_| false)?;
        for warning in plan
            .diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Warning)
        {
            warn(
                streams,
                format!("{}: {warning}", inventory.locate(&warning.path())),
            )?;
        }
        let hosts = inventory
            .servers
            .iter()
            .map(|server| server.hostname.clone())
            .collect();
        let limits = Limits {
            timeout: config.timeout,
        };
        let runtime = runtime()?;
        let target = config.target.clone();
        let connection = match (&target, config.api_key.clone()) {
            (
                Target::PowerDns {
                    endpoint,
                    server_id,
                },
                Some(api_key),
            ) => Connection::PowerDns(PowerDns::new(endpoint, server_id, api_key, limits)),
            (Target::Rfc2136(endpoint) | Target::Dns(endpoint), _) => Connection::Rfc2136(
                runtime.block_on(Rfc2136::open(endpoint, config.tsig_key.as_ref(), limits))?,
            ),
            (Target::PowerDns { .. }, None) => unreachable!("a PowerDNS target has its key"),
        };
        Ok(Session {
            target,
            connection,
            runtime,
            plan,
            hosts,
            prune: config.prune,
            verbosity: config.verbosity,
        })
    }

    /// Reads every zone of the plan and compares it with the plan. A zone
    /// the target does not serve is an error, except the RFC 2317 parent
    /// of a classless zone, which is usually the ISP's.
    fn compare(&self) -> Result<SyncPlan, Error> {
        let zones: Vec<&ZonePlan> = self.plan.zones.iter().collect();
        let reads = match &self.connection {
            Connection::Rfc2136(server) => self.runtime.block_on(server.read_all(&zones))?,
            Connection::PowerDns(api) => api.read_all(&zones)?,
        };
        let context = Context {
            hosts: &self.hosts,
            prune: self.prune,
        };
        let mut outcomes = Vec::with_capacity(zones.len());
        for (zone, read) in zones.iter().zip(reads) {
            outcomes.push(match read {
                ZoneRead::Served(live) => ZoneOutcome::Compared(sync::diff(zone, &live, context)),
                ZoneRead::NotServed(why) => match &zone.role {
                    ZoneRole::ClasslessParent { child } => ZoneOutcome::Skipped {
                        zone: zone.origin.clone(),
                        reason: format!(
                            "{} does not serve it ({why}); it is the RFC 2317 parent of {child}., usually your ISP's, whose operator must publish its CNAMEs (`senderzone generate` shows them)",
                            self.target
                        ),
                    },
                    _ => {
                        return Err(Error::Target(target::Error::ZoneMissing {
                            zone: zone.origin.clone(),
                            server: self.target.to_string(),
                            detail: why,
                        }));
                    }
                },
            });
        }
        Ok(SyncPlan {
            target: self.target.to_string(),
            zones: outcomes,
        })
    }

    /// Applies one zone's change.
    fn apply(
        &self,
        zone: &DomainName,
        changes: &[RrsetChange],
        options: &mut ApplyOptions<'_>,
    ) -> Result<Applied, target::Error> {
        match &self.connection {
            Connection::Rfc2136(server) => {
                self.runtime.block_on(server.apply(zone, changes, options))
            }
            Connection::PowerDns(api) => api.apply(zone, changes, options),
        }
    }

    /// The error for a target that does not serve `plan` after the
    /// writes: what still differs.
    fn unconverged(&self, plan: &SyncPlan) -> Error {
        let (add, delete) = plan.counts();
        let conflicts = plan
            .diffs()
            .flat_map(|diff| &diff.notes)
            .filter(|note| note.is_conflict())
            .count();
        let mut parts = Vec::new();
        if add + delete > 0 {
            parts.push(format!("{add} records still to add and {delete} to delete"));
        }
        if conflicts > 0 {
            parts.push(format!(
                "{conflicts} conflict{} senderzone leaves alone, to resolve by hand (see the notes)",
                plural(conflicts)
            ));
        }
        Error::Target(target::Error::Unconverged {
            target: self.target.to_string(),
            detail: parts.join("; "),
        })
    }

    /// What a write request is called.
    fn request_noun(&self, n: usize) -> &'static str {
        match (&self.connection, n) {
            (Connection::Rfc2136(_), 1) => "UPDATE message",
            (Connection::Rfc2136(_), _) => "UPDATE messages",
            (Connection::PowerDns(_), 1) => "PATCH request",
            (Connection::PowerDns(_), _) => "PATCH requests",
        }
    }

    /// One stderr line: how long the work since `started` took and how
    /// many messages it exchanged with the target.
    fn traffic_note(
        &self,
        done: &str,
        started: Instant,
        streams: &mut Streams<'_>,
    ) -> Result<(), Error> {
        let traffic = match &self.connection {
            Connection::Rfc2136(server) => format!("{} DNS messages", server.messages()),
            Connection::PowerDns(api) => format!("{} HTTP requests", api.requests()),
        };
        note(
            streams,
            self.verbosity,
            format_args!(
                "{done} {} zones on {} in {:.2} s ({traffic} so far)",
                self.plan.zones.len(),
                self.target,
                started.elapsed().as_secs_f64()
            ),
        )
    }
}

/// Test hooks, honoured only in debug builds (the integration tests run
/// one): `SENDERZONE_TEST_UPDATE_OCTETS=N` caps UPDATE messages at N
/// octets, so a small zone needs several; `SENDERZONE_TEST_HOLD=PATH[:N]`
/// creates PATH before the Nth write request of a zone (default the
/// first) and waits until the test removes it, so the test can change the
/// zone between read and write.
#[derive(Default)]
struct TestHooks {
    max_message_octets: Option<usize>,
    hold: Option<(PathBuf, usize)>,
}

#[cfg(debug_assertions)]
fn test_hooks() -> TestHooks {
    let max_message_octets = std::env::var("SENDERZONE_TEST_UPDATE_OCTETS")
        .ok()
        .and_then(|n| n.parse().ok());
    let hold = std::env::var("SENDERZONE_TEST_HOLD").ok().map(|value| {
        match value
            .rsplit_once(':')
            .and_then(|(path, n)| Some((path, n.parse().ok()?)))
        {
            Some((path, n)) => (PathBuf::from(path), n),
            None => (PathBuf::from(value), 1),
        }
    });
    TestHooks {
        max_message_octets,
        hold,
    }
}

#[cfg(not(debug_assertions))]
fn test_hooks() -> TestHooks {
    TestHooks::default()
}

/// Creates `path`, then waits (at most a minute) until it is removed.
fn hold_at(path: &Path) {
    if std::fs::write(path, b"").is_err() {
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while path.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}
