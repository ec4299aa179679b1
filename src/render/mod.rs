//! Renderers turn a [`Plan`] into text for a consumer: a zone file, an
//! nsupdate script, JSON, a provider's API payload or a user's template
//! ([`Template`]). They format only; the writer is handed in.

mod json;
mod nsupdate;
mod template;
mod zone;

use std::io::{self, Write};

use crate::records::{Plan, ZonePlan};

pub use json::Json;
pub use nsupdate::Nsupdate;
pub use template::{Provider, Template, TemplateError, powerdns_zone_id};
pub use zone::{Zone, quote_strings, quote_txt, rdata};

/// A form of output for a record plan.
pub trait Render: Sync {
    /// File-name extension used with `--out DIR`.
    fn extension(&self) -> &str;

    /// One zone's records, rendered: the contents of its `--out` file.
    fn render_zone(&self, plan: &Plan, zone: &ZonePlan) -> io::Result<Vec<u8>>;

    /// Why this form cannot carry `zone`, if it cannot: the caller leaves
    /// such zones out and tells the user why. By default every zone fits.
    fn skip_reason(&self, _zone: &ZonePlan) -> Option<String> {
        None
    }

    /// Writes the whole plan; by default the zones one after another,
    /// separated by a blank line. Everything that can fail short of
    /// writing is done before the first byte goes out, so a failure leaves
    /// `out` untouched.
    fn render_plan(&self, plan: &Plan, out: &mut dyn Write) -> io::Result<()> {
        write_one_after_another(&render_zones(self, plan)?, out)
    }
}

/// Writes rendered zones one after another, separated by a blank line.
fn write_one_after_another(zones: &[Vec<u8>], out: &mut dyn Write) -> io::Result<()> {
    for (i, zone) in zones.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        out.write_all(zone)?;
    }
    Ok(())
}

/// Each zone of `plan` rendered on its own, in plan order, the zones
/// spread over the available cores.
pub fn render_zones<R: Render + ?Sized>(renderer: &R, plan: &Plan) -> io::Result<Vec<Vec<u8>>> {
    crate::parallel::map_balanced(
        plan.zones.iter().collect(),
        |zone| zone.records.len(),
        |zone| renderer.render_zone(plan, zone),
    )
    .into_iter()
    .collect()
}

/// A file name for `zone` that is safe on every file system: the zone name
/// with the RFC 2317 `/` replaced by `-`, then `.` and `extension`.
pub fn file_name(zone: &ZonePlan, extension: &str) -> String {
    let stem: String = zone
        .origin
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{stem}.{extension}")
}

/// Comment lines explaining where a zone's records go.
fn zone_comment(zone: &ZonePlan) -> Vec<String> {
    use crate::records::ZoneRole;
    match &zone.role {
        ZoneRole::Forward => vec![format!("records for zone {}.", zone.origin)],
        ZoneRole::Reverse => vec![format!("PTR records for reverse zone {}.", zone.origin)],
        ZoneRole::ClasslessParent { child } => vec![
            format!(
                "for the parent zone {}., usually run by your ISP:",
                zone.origin
            ),
            format!(
                "these CNAMEs delegate each address to the classless zone {child}. (RFC 2317);"
            ),
            format!("the parent also needs NS records for {child}. naming its name servers"),
        ],
    }
}
