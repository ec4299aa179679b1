//! `senderzone generate`: the plan rendered in one form, on stdout or
//! into `--out DIR`; for the offline forms that reach a live zone, what
//! they do to the records already there.

use std::io::{self, Write};

use super::config::{Generate, InventoryInput};
use super::{Error, Streams, load_inventory, note, out, plan_records, warn};
use crate::cli::OutputFormat;
use crate::exit;
use crate::finding::Severity;
use crate::records::{Plan, RecordData};
use crate::render::{self, TemplateError};

/// Runs `generate`.
pub fn run(config: Generate, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let renderer = config.renderer.as_ref();
    let verbosity = config.verbosity;
    let inventory = load_inventory(&config.inventory, verbosity, streams)?;
    let mut plan = plan_records(&inventory, |_| false)?;
    let mut notes: Vec<String> = plan
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Warning)
        .map(|warning| format!("{}: {warning}", inventory.locate(&warning.path())))
        .collect();
    plan.zones.retain(|zone| match renderer.skip_reason(zone) {
        Some(reason) => {
            notes.push(reason);
            false
        }
        None => true,
    });
    for note in notes {
        warn(streams, note)?;
    }
    if let Some(format) = config.format {
        for line in offline_notes(format, &plan, &config.inventory) {
            note(streams, verbosity, line)?;
        }
    }
    match &config.out {
        // Renderers finish rendering before they write: a failure leaves
        // stdout empty.
        None => {
            let mut out = Watched::new(streams.out);
            renderer
                .render_plan(&plan, &mut out)
                .map_err(|err| match out.failed {
                    true => Error::Output(err),
                    false => render_error(err),
                })?;
        }
        Some(dir) => {
            let files = render::render_zones(renderer, &plan)
                .map_err(render_error)?
                .into_iter()
                .zip(&plan.zones)
                .map(|(contents, zone)| (render::file_name(zone, renderer.extension()), contents))
                .collect();
            for path in out::write_files(dir, files)? {
                if !verbosity.is_quiet() {
                    writeln!(streams.err, "wrote {}", path.display()).map_err(Error::Stderr)?;
                }
            }
        }
    }
    drop_in_background((plan, inventory));
    Ok(exit::OK)
}

/// A renderer's error: a template's own, or another.
fn render_error(err: io::Error) -> Error {
    match err.downcast::<TemplateError>() {
        Ok(template) => Error::Template(template),
        Err(other) => Error::Render(other),
    }
}

/// A writer that remembers whether the stream under it failed, to tell
/// a renderer's own errors from the output's.
struct Watched<'a> {
    out: &'a mut dyn Write,
    failed: bool,
}

impl<'a> Watched<'a> {
    fn new(out: &'a mut dyn Write) -> Self {
        Watched { out, failed: false }
    }
}

impl Write for Watched<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf).inspect_err(|_| self.failed = true)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush().inspect_err(|_| self.failed = true)
    }
}

/// Frees `value` on a thread of its own, so that the process can end
/// without first making hundreds of thousands of deallocations.
fn drop_in_background<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}

/// What an offline form does to the records already published at the
/// names it writes (issue 12): the answer decides what the user must add
/// or delete by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Each RRset written replaces the whole RRset of its name and type.
    Replaces,
    /// Each record is added beside the records already there.
    AddsBeside,
    /// Each RRset is added whole, and the provider refuses the change if
    /// one of that name and type exists.
    AddsNew,
}

/// The effect of `format` and the request that has it, for the forms
/// that change a live zone; `None` for zone files, JSON and octoDNS,
/// which change nothing by themselves.
fn effect(format: OutputFormat) -> Option<(Effect, &'static str)> {
    Some(match format {
        OutputFormat::Nsupdate => (Effect::Replaces, "`update delete NAME TYPE`, then the adds"),
        OutputFormat::Powerdns => (Effect::Replaces, "`changetype: REPLACE`"),
        OutputFormat::Route53 => (Effect::Replaces, "UPSERT"),
        OutputFormat::Cloudflare | OutputFormat::CloudflareBatch | OutputFormat::Digitalocean => {
            (Effect::AddsBeside, "one POST per record")
        }
        OutputFormat::Gcloud => (Effect::AddsNew, "`additions`"),
        OutputFormat::Zone | OutputFormat::Json | OutputFormat::Octodns => return None,
    })
}

/// What `format` does to a live zone, said up front: a line for the form
/// and every record type, then one per TXT name (where SPF and DMARC
/// records live beside site verification strings, and where a second
/// `v=spf1` record breaks SPF), then where to see what is live.
fn offline_notes(format: OutputFormat, plan: &Plan, inventory: &InventoryInput) -> Vec<String> {
    let Some((effect, request)) = effect(format) else {
        return Vec::new();
    };
    let name = clap::ValueEnum::to_possible_value(&format)
        .map_or_else(String::new, |value| value.get_name().to_owned());
    let mut notes = vec![match effect {
        Effect::Replaces => format!(
            "`--format {name}` replaces whole RRsets ({request}): at each name it writes, every record of each type it writes is replaced by senderzone's"
        ),
        Effect::AddsBeside => format!(
            "`--format {name}` adds records beside those already published ({request}) and deletes nothing: delete outdated A, AAAA, PTR and CNAME records by hand"
        ),
        Effect::AddsNew => format!(
            "`--format {name}` adds whole RRsets ({request}): Cloud DNS refuses the whole change when a name already has an RRset of that type; list such an RRset under `deletions` in the same change"
        ),
    }];
    let mut owners: Vec<(&str, &[u8])> = Vec::new();
    for record in plan.zones.iter().flat_map(|zone| &zone.records) {
        let RecordData::Txt(strings) = &record.data else {
            continue;
        };
        if !owners.iter().any(|(owner, _)| *owner == record.owner) {
            owners.push((
                &record.owner,
                strings.first().map_or(&[], |first| &first[..]),
            ));
        }
    }
    for (owner, first) in owners {
        let (record, two) = if first.starts_with(b"v=DMARC1") {
            ("v=DMARC1", "receivers ignore both (RFC 7489 §6.6.3)")
        } else if first.starts_with(b"v=DKIM1") {
            (
                "v=DKIM1",
                "verifiers may use either key (RFC 6376 §3.6.2.2)",
            )
        } else {
            ("v=spf1", "SPF fails with permerror (RFC 7208 §4.5)")
        };
        notes.push(match effect {
            Effect::Replaces => format!(
                "{owner}. TXT: replaced whole; other TXT records there (site verification, for example) are deleted unless you add them"
            ),
            Effect::AddsBeside => format!(
                "{owner}. TXT: added beside what is there; delete an old `{record}` record first, or {two}"
            ),
            Effect::AddsNew => format!(
                "{owner}. TXT: refused if a TXT RRset exists there; list it under `deletions` and add its other records (site verification, for example) back"
            ),
        });
    }
    let inventory = match inventory {
        InventoryInput::File(path) => format!(" {}", path.display()),
        InventoryInput::Default(_) => String::new(),
        InventoryInput::Stdin => " INVENTORY".to_owned(),
    };
    notes.push(format!(
        "to see what is live and what must change: senderzone plan{inventory} --target dns://NAMESERVER"
    ));
    notes
}
