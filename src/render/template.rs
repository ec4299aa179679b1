//! Provider-API payloads and user templates, rendered with minijinja.
//!
//! Every provider form is a template in `templates/`, embedded at compile
//! time; `--template FILE` renders a user's own template with the same
//! context and filters. A template only arranges fields: every encoding
//! (zone-file TXT quoting, JSON strings, Route 53 octal escapes, octoDNS
//! `\;`, YAML scalars) is a filter defined here, so no template escapes by
//! hand. The context is documented in README, "Provider payloads and
//! templates".
//!
//! Every render is bounded ([`Limits`]): a template that loops without end,
//! or writes far more than the zone it renders, stops with an error that
//! names the template and the limit instead of running until it is killed.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use minijinja::value::{Kwargs, Serde, Value, ValueKind};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use serde::Serialize;

use super::Render;
use super::zone::{quote_strings, quote_txt, rdata};
use crate::names;
use crate::records::spf_text::split_strings;
use crate::records::{Plan, RecordData, ZonePlan, ZoneRole};

/// The provider forms shipped with senderzone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Cloudflare API v4: the JSON array of record bodies for
    /// `POST /zones/{zone_id}/dns_records`, one element per record.
    Cloudflare,
    /// Cloudflare API v4: the `{"posts": […]}` body for
    /// `POST /zones/{zone_id}/dns_records/batch` (one transaction per zone).
    CloudflareBatch,
    /// AWS Route 53: a `ChangeResourceRecordSets` change batch of `UPSERT`s.
    Route53,
    /// PowerDNS Authoritative HTTP API: the body of
    /// `PATCH /api/v1/servers/localhost/zones/{zone_id}`.
    Powerdns,
    /// Google Cloud DNS: a `changes` body (`additions`) for one managed zone.
    Gcloud,
    /// DigitalOcean: record bodies for `POST /v2/domains/{domain}/records`.
    Digitalocean,
    /// octoDNS: one `YamlProvider` zone file.
    Octodns,
}

/// The built-in templates: name and source. Names end in the output's
/// extension and `.j2`; `_`-prefixed ones are only imported by others.
const BUILTIN: &[(&str, &str)] = &[
    (
        "_cloudflare.j2",
        include_str!("../../templates/_cloudflare.j2"),
    ),
    (
        "cloudflare.json.j2",
        include_str!("../../templates/cloudflare.json.j2"),
    ),
    (
        "cloudflare-batch.json.j2",
        include_str!("../../templates/cloudflare-batch.json.j2"),
    ),
    (
        "route53.json.j2",
        include_str!("../../templates/route53.json.j2"),
    ),
    (
        "powerdns.json.j2",
        include_str!("../../templates/powerdns.json.j2"),
    ),
    (
        "gcloud.json.j2",
        include_str!("../../templates/gcloud.json.j2"),
    ),
    (
        "digitalocean.json.j2",
        include_str!("../../templates/digitalocean.json.j2"),
    ),
    (
        "octodns.yaml.j2",
        include_str!("../../templates/octodns.yaml.j2"),
    ),
];

impl Provider {
    /// The built-in template of this form.
    fn template_name(self) -> &'static str {
        match self {
            Provider::Cloudflare => "cloudflare.json.j2",
            Provider::CloudflareBatch => "cloudflare-batch.json.j2",
            Provider::Route53 => "route53.json.j2",
            Provider::Powerdns => "powerdns.json.j2",
            Provider::Gcloud => "gcloud.json.j2",
            Provider::Digitalocean => "digitalocean.json.j2",
            Provider::Octodns => "octodns.yaml.j2",
        }
    }
}

/// A template that could not be compiled or rendered, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    /// `template `FILE` line N: what went wrong`.
    pub message: String,
}

/// A template-driven renderer: a built-in provider form or a user's file.
///
/// Rendered once per zone. With `--out` each zone's output is one file;
/// on standard output the zones are combined by extension so the whole is
/// still one document: `json` as one object keyed by zone (the zone's name,
/// or for PowerDNS its API zone id), `yaml` as a stream of documents, any
/// other text zone after zone with a blank line between.
pub struct Template {
    env: Environment<'static>,
    /// The template to render; also how errors name it.
    name: String,
    extension: String,
    /// The built-in form, when this is one.
    provider: Option<Provider>,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("name", &self.name)
            .field("extension", &self.extension)
            .finish_non_exhaustive()
    }
}

impl Template {
    /// The built-in template of `provider`.
    pub fn provider(provider: Provider) -> Template {
        let env = environment();
        let name = provider.template_name();
        Template {
            env,
            name: name.to_owned(),
            extension: extension_of(name),
            provider: Some(provider),
        }
    }

    /// A user's template: `name` (the file name as given, used in errors
    /// and to pick the extension: `hetzner.json.j2` gives `.json`) and its
    /// text. The built-in templates stay available to `import`.
    pub fn user(name: &str, source: String) -> Result<Template, TemplateError> {
        let mut env = environment();
        env.add_template_owned(name.to_owned(), source)
            .map_err(|err| describe(&err, name))?;
        Ok(Template {
            env,
            name: name.to_owned(),
            extension: extension_of(name),
            provider: None,
        })
    }

    /// The key of `zone` in the combined JSON document: its name, for
    /// PowerDNS its zone id as the API's URLs spell it.
    fn zone_key(&self, zone: &ZonePlan) -> String {
        match self.provider {
            Some(Provider::Powerdns) => powerdns_zone_id(&zone.origin),
            _ => zone.origin.fqdn(),
        }
    }

    /// Renders one zone to text, checking that a user template's `json`
    /// and `yaml` output parses, so a broken template is caught before
    /// anything is written.
    fn render_text(&self, plan: &Plan, zone: &ZonePlan) -> Result<String, TemplateError> {
        self.render_measured(plan, zone).map(|(text, _fuel)| text)
    }

    /// [`Template::render_text`], also telling how much fuel the render
    /// used, in minijinja's units ([`Environment::set_fuel`]).
    fn render_measured(
        &self,
        plan: &Plan,
        zone: &ZonePlan,
    ) -> Result<(String, u64), TemplateError> {
        let context = Value::from(Serde(PlanContext::new(plan, zone)));
        let fail = |message: String| {
            let message = match self.provider {
                Some(_) => format!("zone `{}.`: {message}", zone.origin),
                None => format!(
                    "template `{}`, zone `{}.`: {message}",
                    self.name, zone.origin
                ),
            };
            TemplateError { message }
        };
        let limits = Limits::of(plan, zone);
        // Fuel is a setting of the environment: each render gets its own
        // copy (templates are shared, so this costs a few small maps).
        let mut env = self.env.clone();
        env.set_fuel(Some(limits.fuel));
        let mut out = BoundedOutput::new(limits.output);
        let fuel = env
            .get_template(&self.name)
            .and_then(|template| template.render_captured_to(context, &mut out))
            .map(|captured| captured.state().fuel_levels().map_or(0, |(used, _)| used))
            .map_err(|err| {
                if out.over {
                    self.over_limit(zone, &limits.describe_output(), None)
                } else if err.kind() == ErrorKind::OutOfFuel {
                    self.over_limit(zone, &limits.describe_fuel(), err.line())
                } else {
                    match self.provider {
                        // A built-in template fails only on data a provider
                        // cannot take (a filter's error): the template and
                        // line say nothing.
                        Some(_) => fail(err.detail().unwrap_or("cannot render").to_owned()),
                        None => describe(&err, &self.name),
                    }
                }
            })?;
        // The engine writes whole UTF-8 strings, so this never fails; the
        // check is cheap next to the render.
        let text =
            String::from_utf8(out.bytes).map_err(|_| fail("the output is not UTF-8".to_owned()))?;
        if self.provider.is_some() {
            // The built-in forms are tested to parse; parsing big zones
            // again here would double the time.
            return Ok((text, fuel));
        }
        let parsed = match self.extension.as_str() {
            "json" => serde_json::from_str::<serde::de::IgnoredAny>(&text)
                .map(drop)
                .map_err(|e| e.to_string()),
            "yaml" | "yml" => serde_yaml::from_str::<serde_yaml::Value>(&text)
                .map(drop)
                .map_err(|e| e.to_string()),
            _ => Ok(()),
        };
        parsed.map_err(|e| fail(format!("the output is not valid {}: {e}", self.extension)))?;
        Ok((text, fuel))
    }

    /// The error for a render of `zone` stopped by a limit (`what`, from
    /// [`Limits`]), at `line` of the template when known.
    fn over_limit(&self, zone: &ZonePlan, what: &str, line: Option<usize>) -> TemplateError {
        let mut message = format!("template `{}`", self.name);
        if let Some(line) = line {
            let _ = write!(message, " line {line}");
        }
        let _ = write!(
            message,
            ", zone `{}.`: stopped: {what}; does the template loop without end, or do far more than the records need?",
            zone.origin
        );
        TemplateError { message }
    }
}

/// Fuel every render has, whatever the size of its zone: enough for a
/// template's fixed part (a header, imports, macros).
const FUEL_BASE: u64 = 1_000_000;

/// Fuel per record of the zone and per zone of the plan (the context lists
/// every zone's name). The built-in templates use at most 70 per item, at
/// 300 servers as at 100,000 (test `builtin_templates_stay_far_below_their_limits`).
const FUEL_PER_ITEM: u64 = 2_000;

/// Output every render may write, whatever the size of its zone.
const OUTPUT_BASE: usize = 1 << 20;

/// Output per record of the zone and per zone of the plan: the built-in
/// forms write at most 233 bytes per item, so any template that writes
/// each record a few times, however it spells it, stays under the limit.
const OUTPUT_PER_ITEM: usize = 16 << 10;

/// What one render may use: fuel (minijinja's count of the work a render
/// does: about one per instruction and one per 64 bytes of data, see
/// [`Environment::set_fuel`]) and bytes of output, both proportional to
/// the zone's records and the plan's zones, so that a template that does
/// what the records need never meets them, at any size of inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Limits {
    /// The zone's records and the plan's zones.
    items: usize,
    fuel: u64,
    output: usize,
}

impl Limits {
    fn of(plan: &Plan, zone: &ZonePlan) -> Limits {
        let items = zone.records.len() + plan.zones.len();
        Limits {
            items,
            fuel: FUEL_BASE.saturating_add(FUEL_PER_ITEM.saturating_mul(items as u64)),
            output: OUTPUT_BASE.saturating_add(OUTPUT_PER_ITEM.saturating_mul(items)),
        }
    }

    fn describe_fuel(&self) -> String {
        format!(
            "it used up its fuel of {} ({FUEL_BASE} + {FUEL_PER_ITEM} for each of {} records and zones)",
            self.fuel, self.items
        )
    }

    fn describe_output(&self) -> String {
        format!(
            "its output exceeds {} bytes ({OUTPUT_BASE} + {OUTPUT_PER_ITEM} for each of {} records and zones)",
            self.output, self.items
        )
    }
}

/// The render's output, refused past `limit` bytes.
struct BoundedOutput {
    bytes: Vec<u8>,
    limit: usize,
    /// Set when a write would have passed the limit.
    over: bool,
}

impl BoundedOutput {
    fn new(limit: usize) -> BoundedOutput {
        BoundedOutput {
            bytes: Vec::new(),
            limit,
            over: false,
        }
    }
}

impl Write for BoundedOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > self.limit {
            self.over = true;
            return Err(io::Error::other("over the output limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Render for Template {
    fn extension(&self) -> &str {
        &self.extension
    }

    /// Why this form cannot carry `zone`, when it cannot: DigitalOcean has
    /// no PTR records and hosts no reverse zones (formats.md §4.5). The app
    /// leaves such zones out and tells the user.
    fn skip_reason(&self, zone: &ZonePlan) -> Option<String> {
        if self.provider != Some(Provider::Digitalocean) {
            return None;
        }
        match &zone.role {
            ZoneRole::Forward => None,
            ZoneRole::Reverse => {
                let mut hosts: Vec<&str> = zone
                    .records
                    .iter()
                    .filter_map(|r| match &r.data {
                        RecordData::Ptr(target) => Some(target.as_str()),
                        _ => None,
                    })
                    .collect();
                hosts.sort_unstable();
                hosts.dedup();
                Some(format!(
                    "digitalocean has no PTR records: left out reverse zone `{}.`; DigitalOcean sets a droplet's PTR from its name, so name each droplet after its host name: {}",
                    zone.origin,
                    hosts.join(", ")
                ))
            }
            ZoneRole::ClasslessParent { child } => Some(format!(
                "digitalocean hosts no reverse zones: left out the RFC 2317 CNAMEs of `{}.` into `{child}.`; name each droplet after its host name instead",
                zone.origin
            )),
        }
    }

    fn render_zone(&self, plan: &Plan, zone: &ZonePlan) -> io::Result<Vec<u8>> {
        self.render_text(plan, zone)
            .map(String::into_bytes)
            .map_err(io::Error::other)
    }

    fn render_plan(&self, plan: &Plan, out: &mut dyn Write) -> io::Result<()> {
        let zones = super::render_zones(self, plan)?;
        match self.extension.as_str() {
            "json" => {
                // One object keyed by zone; each body indented in place
                // (a JSON string never holds a raw newline).
                let mut whole = String::from("{");
                for (i, (zone, body)) in plan.zones.iter().zip(&zones).enumerate() {
                    let body = String::from_utf8_lossy(body);
                    let key = serde_json::to_string(&self.zone_key(zone))?;
                    let separator = if i == 0 { "" } else { "," };
                    let _ = write!(
                        whole,
                        "{separator}\n  {key}: {}",
                        body.trim_end().replace('\n', "\n  ")
                    );
                }
                whole.push_str(if zones.is_empty() { "}\n" } else { "\n}\n" });
                out.write_all(whole.as_bytes())
            }
            "yaml" | "yml" => {
                for (zone, body) in plan.zones.iter().zip(&zones) {
                    writeln!(out, "# zone {}.", zone.origin)?;
                    if !body.starts_with(b"---") {
                        writeln!(out, "---")?;
                    }
                    out.write_all(body)?;
                }
                Ok(())
            }
            _ => super::write_one_after_another(&zones, out),
        }
    }
}

/// `json` from `route53.json.j2`, `txt` from `notes.txt.j2`, `txt` when
/// the name says nothing.
fn extension_of(name: &str) -> String {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = [".j2", ".jinja2", ".jinja"]
        .iter()
        .find_map(|suffix| file.strip_suffix(suffix))
        .unwrap_or(file);
    match stem.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() => ext.to_ascii_lowercase(),
        _ => "txt".to_owned(),
    }
}

/// `template `NAME` line N: kind: detail` for a minijinja error.
fn describe(err: &minijinja::Error, fallback_name: &str) -> TemplateError {
    let name = err.name().unwrap_or(fallback_name);
    let mut message = format!("template `{name}`");
    if let Some(line) = err.line() {
        let _ = write!(message, " line {line}");
    }
    let _ = write!(message, ": {}", err.kind());
    if let Some(detail) = err.detail() {
        let _ = write!(message, ": {detail}");
    }
    TemplateError { message }
}

/// An environment with the built-in templates and senderzone's filters.
/// Undefined values fail when printed or iterated (a typo is an error
/// with a line, not an empty field) but may be tested with `if`; no
/// automatic escaping: the filters escape explicitly; a template's final
/// newline is kept, so files end in one.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    for (name, source) in BUILTIN {
        env.add_template(name, source)
            .expect("built-in templates compile (tested)");
    }
    env.add_filter("json", filter_json);
    env.add_filter("yaml", filter_yaml);
    env.add_filter("zone_txt", filter_zone_txt);
    env.add_filter("route53_txt", filter_route53_txt);
    env.add_filter("route53_name", filter_route53_name);
    env.add_filter("octodns_txt", filter_octodns_txt);
    env.add_filter("digitalocean_txt", filter_digitalocean_txt);
    env.add_filter("powerdns_zone_id", |name: &str| powerdns_zone_id(name));
    env.add_filter("octodns_name", filter_octodns_name);
    env.add_filter("octodns_order", filter_octodns_order);
    env
}

// ---------------------------------------------------------------------------
// Context

/// The context of one rendering: the plan's summary and one zone.
#[derive(Serialize)]
struct PlanContext<'a> {
    plan: PlanSummary,
    zone: ZoneContext<'a>,
}

#[derive(Serialize)]
struct PlanSummary {
    default_ttl: u32,
    /// Every zone's name, with trailing dot, in plan order.
    zones: Vec<String>,
}

#[derive(Serialize)]
struct ZoneContext<'a> {
    /// Without trailing dot.
    origin: &'a str,
    /// With trailing dot.
    name: String,
    /// `forward`, `reverse` or `classless-parent`.
    role: &'static str,
    /// For `classless-parent`: the classless child zone, with trailing dot.
    #[serde(skip_serializing_if = "Option::is_none")]
    child: Option<String>,
    /// Records in plan order (by owner, then type).
    records: Vec<Value>,
    /// Records grouped by owner and type, in plan order.
    rrsets: Vec<Value>,
    /// RRsets grouped by owner, in plan order.
    owners: Vec<Value>,
}

/// The names of one owner, as every record, RRset and owner carries them.
#[derive(Serialize)]
struct Names<'a> {
    /// Absolute, without trailing dot.
    owner: &'a str,
    /// Absolute, with trailing dot.
    name: String,
    /// Relative to the zone; `@` for the apex.
    relative: &'a str,
}

impl<'a> Names<'a> {
    fn new(owner: &'a str, zone: &ZonePlan) -> Names<'a> {
        Names {
            owner,
            name: format!("{owner}."),
            relative: names::relative_to(owner, &zone.origin),
        }
    }
}

#[derive(Serialize)]
struct RecordContext<'a> {
    #[serde(flatten)]
    names: Names<'a>,
    #[serde(rename = "type")]
    kind: Cow<'static, str>,
    ttl: u32,
    /// RDATA in RFC 1035 presentation form (names absolute with trailing
    /// dot, TXT quoted and escaped).
    data: String,
    /// A/AAAA: the address.
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    /// CNAME, PTR, MX: the target, with trailing dot (`.` for a null MX).
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    /// MX: the preference.
    #[serde(skip_serializing_if = "Option::is_none")]
    preference: Option<u16>,
    /// TXT: the character-strings.
    #[serde(skip_serializing_if = "Option::is_none")]
    strings: Option<Vec<TxtText<'a>>>,
    /// TXT: the strings joined (RFC 7208 §3.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<TxtText<'static>>,
}

/// TXT data for a template: text when it is UTF-8 (SPF is ASCII), else
/// bytes, which the filters encode exactly and printing shows lossily.
struct TxtText<'a>(Cow<'a, [u8]>);

impl Serialize for TxtText<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => serializer.serialize_bytes(&self.0),
        }
    }
}

#[derive(Serialize)]
struct RrsetContext<'a> {
    #[serde(flatten)]
    names: Names<'a>,
    #[serde(rename = "type")]
    kind: Cow<'static, str>,
    /// The first record's TTL (RFC 2181 §5.2: one TTL per RRset).
    ttl: u32,
    records: Vec<Value>,
}

#[derive(Serialize)]
struct OwnerContext<'a> {
    #[serde(flatten)]
    names: Names<'a>,
    rrsets: Vec<Value>,
}

impl<'a> PlanContext<'a> {
    /// Builds the context of `zone`. Each record becomes a template value
    /// once; RRsets and owners share those values (cheap handles).
    fn new(plan: &Plan, zone: &'a ZonePlan) -> PlanContext<'a> {
        let records: Vec<Value> = zone
            .records
            .iter()
            .map(|r| Value::from(Serde(record_context(zone, r))))
            .collect();
        // The plan sorts records by owner, then type: an RRset is a run of
        // neighbours, and so are the RRsets of one owner.
        let mut rrsets = Vec::new();
        let mut owners = Vec::new();
        let mut owner_rrsets = Vec::new();
        let mut start = 0;
        while start < zone.records.len() {
            let first = &zone.records[start];
            let kind = first.data.type_name();
            let end = start
                + zone.records[start..]
                    .iter()
                    .take_while(|r| r.owner == first.owner && r.data.type_name() == kind)
                    .count();
            let rrset = Value::from(Serde(RrsetContext {
                names: Names::new(&first.owner, zone),
                kind,
                ttl: first.ttl,
                records: records[start..end].to_vec(),
            }));
            rrsets.push(rrset.clone());
            owner_rrsets.push(rrset);
            if zone
                .records
                .get(end)
                .is_none_or(|next| next.owner != first.owner)
            {
                owners.push(Value::from(Serde(OwnerContext {
                    names: Names::new(&first.owner, zone),
                    rrsets: std::mem::take(&mut owner_rrsets),
                })));
            }
            start = end;
        }
        let (role, child) = match &zone.role {
            ZoneRole::Forward => ("forward", None),
            ZoneRole::Reverse => ("reverse", None),
            ZoneRole::ClasslessParent { child } => ("classless-parent", Some(child.fqdn())),
        };
        PlanContext {
            plan: PlanSummary {
                default_ttl: plan.default_ttl,
                zones: plan.zones.iter().map(|z| z.origin.fqdn()).collect(),
            },
            zone: ZoneContext {
                origin: &zone.origin,
                name: zone.origin.fqdn(),
                role,
                child,
                records,
                rrsets,
                owners,
            },
        }
    }
}

fn record_context<'a>(zone: &ZonePlan, record: &'a crate::records::Record) -> RecordContext<'a> {
    let mut context = RecordContext {
        names: Names::new(&record.owner, zone),
        kind: record.data.type_name(),
        ttl: record.ttl,
        data: rdata(&record.data),
        address: None,
        target: None,
        preference: None,
        strings: None,
        text: None,
    };
    match &record.data {
        RecordData::A(ip) => context.address = Some(ip.to_string()),
        RecordData::Aaaa(ip) => context.address = Some(ip.to_string()),
        RecordData::Cname(target) | RecordData::Ptr(target) => {
            context.target = Some(format!("{target}."));
        }
        RecordData::Mx(mx) => {
            context.preference = Some(mx.preference);
            context.target = Some(format!("{}.", mx.exchange));
        }
        RecordData::Txt(strings) => {
            context.strings = Some(strings.iter().map(|s| TxtText(Cow::Borrowed(s))).collect());
            context.text = Some(TxtText(Cow::Owned(strings.concat())));
        }
        RecordData::Other { .. } => {}
    }
    context
}

// ---------------------------------------------------------------------------
// Filters

/// A filter failure: `invalid operation` with senderzone's message.
fn invalid(message: String) -> minijinja::Error {
    minijinja::Error::new(ErrorKind::InvalidOperation, message)
}

/// TXT input of a filter as character-strings: a list is taken as the
/// strings themselves (`record.strings`), one text (`record.text`) is
/// split into strings of at most 255 octets (RFC 1035 §3.3).
fn character_strings(value: &Value) -> Result<Vec<Vec<u8>>, minijinja::Error> {
    match defined(value)?.kind() {
        ValueKind::String | ValueKind::Bytes => {
            Ok(split_strings(value.as_bytes().unwrap_or_default()))
        }
        ValueKind::Seq => value
            .try_iter()?
            .map(|item| match item.kind() {
                ValueKind::String | ValueKind::Bytes => {
                    Ok(item.as_bytes().unwrap_or_default().to_vec())
                }
                _ => Err(invalid(format!("expected TXT strings, found `{item}`"))),
            })
            .collect(),
        _ => Err(invalid(format!(
            "expected TXT text or a list of TXT strings, found `{value}`"
        ))),
    }
}

/// TXT input of a filter as one text: a list is joined (RFC 7208 §3.3).
/// `form` names the consumer for the error on data that is not UTF-8.
fn joined_text(value: &Value, form: &str) -> Result<String, minijinja::Error> {
    String::from_utf8(character_strings(value)?.concat()).map_err(|err| {
        invalid(format!(
            "{form} takes TXT data as text: `{}` is not UTF-8",
            String::from_utf8_lossy(err.as_bytes())
        ))
    })
}

/// Fails on an undefined value, which serialisation would silently turn
/// into `null` or an empty string: a misspelt field must not pass.
fn defined(value: &Value) -> Result<&Value, minijinja::Error> {
    if value.is_undefined() {
        Err(minijinja::Error::new(
            ErrorKind::UndefinedError,
            "the filter's input is undefined (a misspelt field?)",
        ))
    } else {
        Ok(value)
    }
}

/// `json`: any value as JSON (RFC 8259): strings quoted and escaped,
/// lists and maps whole; bytes that are not UTF-8 as lossy text.
fn filter_json(value: &Value) -> Result<String, minijinja::Error> {
    let value = defined(value)?;
    let result = match value.kind() {
        ValueKind::Bytes => serde_json::to_string(&value.to_string()),
        _ => serde_json::to_string(value),
    };
    result.map_err(|e| invalid(format!("cannot write JSON: {e}")))
}

/// `yaml`: a string as a YAML 1.2 scalar that reads back as the same
/// string: single-quoted (no escapes, `'` doubled, §7.3.2), or
/// double-quoted with escapes when it holds control characters (§7.3.1;
/// a JSON string is a valid one).
fn filter_yaml(value: &Value) -> Result<String, minijinja::Error> {
    let text = match defined(value)?.as_str() {
        Some(text) => Cow::Borrowed(text),
        None => Cow::Owned(value.to_string()),
    };
    if text.chars().any(char::is_control) {
        return filter_json(&Value::from(text.as_ref()));
    }
    Ok(format!("'{}'", text.replace('\'', "''")))
}

/// `zone_txt`: TXT strings in RFC 1035 §5.1 presentation form, each quoted,
/// `"` and `\` escaped, other octets outside printable ASCII as `\DDD`
/// (decimal), strings separated by a space: what Cloudflare's `content`,
/// PowerDNS's `content` and Google's `rrdatas` take.
fn filter_zone_txt(value: &Value) -> Result<String, minijinja::Error> {
    Ok(quote_txt(&character_strings(value)?).join(" "))
}

/// Route 53's limit on one `Value`, in characters (Route 53 developer
/// guide, "TXT record type").
pub const ROUTE53_MAX_VALUE: usize = 4000;

/// `route53_txt`: TXT strings as one Route 53 `Value`: each quoted, `"` and
/// `\` escaped, octets 000–037 and 177–377 as `\` + three **octal** digits
/// (Route 53 developer guide, "DNS domain name format"); space as is.
/// Fails beyond [`ROUTE53_MAX_VALUE`] characters.
fn filter_route53_txt(value: &Value) -> Result<String, minijinja::Error> {
    let quoted = quote_strings(&character_strings(value)?, |out, byte| {
        let _ = write!(out, "\\{byte:03o}");
    });
    let value = quoted.join(" ");
    let length = value.chars().count();
    if length > ROUTE53_MAX_VALUE {
        let start: String = value.chars().take(40).collect();
        return Err(invalid(format!(
            "the TXT value {start}… is {length} characters long once quoted and escaped; Route 53 accepts at most {ROUTE53_MAX_VALUE} characters per value: shorten the record or split it (SPF: chain it with include)"
        )));
    }
    Ok(value)
}

/// `route53_name`: a domain name as Route 53 wants it: octets other than
/// `a`–`z`, `0`–`9`, `-`, `_` and `.` as `\` + three octal digits, so the
/// RFC 2317 label `64/26` is `64\05726` (Route 53 developer guide, "DNS
/// domain name format").
fn filter_route53_name(name: &str) -> String {
    let mut escaped = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_lowercase() || byte.is_ascii_digit() || matches!(byte, b'-' | b'_' | b'.')
        {
            escaped.push(char::from(byte));
        } else {
            let _ = write!(escaped, "\\{byte:03o}");
        }
    }
    escaped
}

/// `octodns_txt`: TXT text as an octoDNS value: the strings joined,
/// `;` written `\;` (octoDNS reads an unescaped `;` as a comment and
/// refuses it); everything else as is, since octoDNS quotes and splits
/// TXT itself. Fails on what octoDNS cannot carry: non-ASCII, a `\`
/// before `;`, a value starting with `"` or holding `" "` (octoDNS takes
/// those for presentation-form quoting).
fn filter_octodns_txt(value: &Value) -> Result<String, minijinja::Error> {
    let text = joined_text(value, "octoDNS")?;
    let refuse = |why: &str| {
        Err(invalid(format!(
            "the TXT value `{text}` cannot be written for octoDNS: {why}"
        )))
    };
    if !text.is_ascii() {
        return refuse("octoDNS accepts ASCII only");
    }
    if text.contains("\\;") {
        return refuse("octoDNS reads `\\;` as an escaped `;`");
    }
    if text.starts_with('"') || text.contains("\" \"") {
        return refuse("octoDNS takes a leading `\"` or `\" \"` for quoting");
    }
    Ok(text.replace(';', "\\;"))
}

/// DigitalOcean's limit on a TXT `data` once it quotes and escapes it
/// (formats.md §4.5: the API checks the encoded form against 512).
pub const DIGITALOCEAN_MAX_TXT: usize = 509;

/// `digitalocean_txt`: TXT text as DigitalOcean's raw `data`: the strings
/// joined, unquoted (DigitalOcean quotes and splits it itself). Fails on
/// what the API rejects: an empty value, a `\`, more than
/// [`DIGITALOCEAN_MAX_TXT`] octets with each `"` counted twice.
fn filter_digitalocean_txt(value: &Value) -> Result<String, minijinja::Error> {
    let text = joined_text(value, "digitalocean")?;
    let encoded = text.len() + text.matches('"').count();
    if text.is_empty() {
        Err(invalid(
            "digitalocean rejects an empty TXT value".to_owned(),
        ))
    } else if text.contains('\\') {
        Err(invalid(format!(
            "digitalocean rejects a TXT value with `\\`: `{text}`"
        )))
    } else if encoded > DIGITALOCEAN_MAX_TXT {
        let start: String = text.chars().take(40).collect();
        Err(invalid(format!(
            "the TXT value `{start}…` is {encoded} octets long once escaped; DigitalOcean accepts at most {DIGITALOCEAN_MAX_TXT}: shorten the record (SPF: chain it with include)"
        )))
    } else {
        Ok(text)
    }
}

/// `powerdns_zone_id`: a zone name as the PowerDNS API spells it in URLs:
/// trailing dot, and every octet other than letters, digits, `.` and `-`
/// as `=XX` (upper-case hex), so `64/26.100.51.198.in-addr.arpa` is
/// `64=2F26.100.51.198.in-addr.arpa.` (pdns `apiZoneNameToId`, measured
/// with 4.7.3: formats.md §4.4).
pub fn powerdns_zone_id(name: &str) -> String {
    let name = name.strip_suffix('.').unwrap_or(name);
    let mut id = String::with_capacity(name.len() + 4);
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'-' {
            id.push(char::from(byte));
        } else {
            let _ = write!(id, "={byte:02X}");
        }
    }
    id.push('.');
    id
}

/// `octodns_name`: a target name as octoDNS takes it: unchanged, but a
/// `/` (an RFC 2317 label) fails, since octoDNS's FQDN validation
/// rejects it (measured with octoDNS 1.22).
fn filter_octodns_name(name: &str) -> Result<String, minijinja::Error> {
    if name.contains('/') {
        return Err(invalid(format!(
            "octoDNS rejects `/` in names such as `{name}` (an RFC 2317 label): set `classless_labels: rfc4183` in the inventory"
        )));
    }
    Ok(name.to_owned())
}

/// `octodns_order`: owners (or RRsets) in the order octoDNS's
/// `YamlProvider` demands of a zone file's keys: natural order
/// (`natsort`: digit runs compare as numbers) of the relative name, the
/// apex (`''`) first. With `attribute=NAME`, sorts by that attribute
/// instead of `relative`.
fn filter_octodns_order(value: &Value, kwargs: Kwargs) -> Result<Value, minijinja::Error> {
    let attribute: Option<&str> = kwargs.get("attribute")?;
    kwargs.assert_all_used()?;
    let attribute = attribute.unwrap_or("relative");
    let mut items: Vec<(Vec<NaturalPart>, Value)> = defined(value)?
        .try_iter()?
        .map(|item| {
            let key = item.get_attr(attribute)?;
            let key = key.as_str().unwrap_or_default();
            let key = if key == "@" { "" } else { key };
            Ok((natural_key(key), item))
        })
        .collect::<Result<_, minijinja::Error>>()?;
    items.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Value::from(
        items.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    ))
}

/// One part of a natural sort key: text and digit runs alternate,
/// starting with text (possibly empty), as in Python's `natsort`.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum NaturalPart {
    Text(String),
    /// Digits without leading zeros: by length, then by digits.
    Number(usize, String),
}

/// `natsort.natsort_keygen()`'s key for `text`.
fn natural_key(text: &str) -> Vec<NaturalPart> {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        parts.push(NaturalPart::Text(rest[..digits].to_owned()));
        rest = &rest[digits..];
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if end > 0 {
            let number = rest[..end].trim_start_matches('0');
            parts.push(NaturalPart::Number(number.len(), number.to_owned()));
            rest = &rest[end..];
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan of `servers` servers (two IPv4 addresses and one IPv6 each)
    /// sending for `domains` domains, as `scripts/bench` builds them.
    fn bench_plan(servers: usize, domains: usize) -> Plan {
        let mut yaml = String::from("ttl: 3600\nzones: [bench.example]\nservers:\n");
        let mut members = vec![Vec::new(); domains];
        for i in 0..servers {
            let a = 0x0B00_0000_u32 + 2 * i as u32;
            let host = format!("m{i}.d{}.bench.example", i % domains);
            let _ = write!(
                yaml,
                "  - hostname: {host}\n    ipv4: [{}, {}]\n    ipv6: ['2a00:1:{:x}::{:x}']\n",
                std::net::Ipv4Addr::from(a),
                std::net::Ipv4Addr::from(a + 1),
                i >> 16,
                i & 0xffff
            );
            members[i % domains].push(host);
        }
        yaml.push_str("domains:\n");
        for (j, names) in members.iter().enumerate().filter(|(_, n)| !n.is_empty()) {
            let _ = write!(
                yaml,
                "  - name: d{j}.bench.example\n    servers: [{}]\n",
                names.join(", ")
            );
        }
        let loaded = crate::inventory::Inventory::from_bytes(
            std::path::Path::new("bench.yaml"),
            yaml.as_bytes(),
        )
        .unwrap();
        crate::records::plan(&loaded.inventory)
    }

    #[test]
    fn builtin_templates_stay_far_below_their_limits() {
        // Fuel and output grow with the records: what a built-in form uses
        // per item at this size it uses at 100,000 servers too (measured:
        // at most 70 fuel and 233 bytes per item at either size).
        let plan = bench_plan(300, 100);
        for provider in [
            Provider::Cloudflare,
            Provider::CloudflareBatch,
            Provider::Route53,
            Provider::Powerdns,
            Provider::Gcloud,
            Provider::Digitalocean,
            Provider::Octodns,
        ] {
            let template = Template::provider(provider);
            for zone in plan
                .zones
                .iter()
                .filter(|z| template.skip_reason(z).is_none())
            {
                let (text, fuel) = template.render_measured(&plan, zone).unwrap();
                let items = Limits::of(&plan, zone).items as u64;
                assert!(
                    fuel > 0 && fuel <= items * FUEL_PER_ITEM / 20,
                    "{provider:?}, zone {}: {fuel} fuel for {items} items",
                    zone.origin
                );
                assert!(
                    text.len() as u64 <= items * OUTPUT_PER_ITEM as u64 / 20,
                    "{provider:?}, zone {}: {} bytes for {items} items",
                    zone.origin,
                    text.len()
                );
            }
        }
    }

    /// A user template `source` rendered for a one-record zone.
    fn render_user(source: &str) -> Result<String, TemplateError> {
        let plan = Plan {
            default_ttl: 60,
            diagnostics: Vec::new(),
            zones: vec![ZonePlan {
                origin: "example.test".into(),
                role: ZoneRole::Forward,
                records: vec![crate::records::Record {
                    owner: "example.test".into(),
                    ttl: 60,
                    data: RecordData::A([192, 0, 2, 1].into()),
                }],
            }],
        };
        Template::user("loop.txt.j2", source.to_owned())?.render_text(&plan, &plan.zones[0])
    }

    #[test]
    fn a_template_without_end_stops_at_its_fuel() {
        // 10^10 iterations: hours without a bound.
        let source = "{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}{% endfor %}{% endfor %}";
        let err = render_user(source).unwrap_err();
        assert_eq!(
            err.message,
            "template `loop.txt.j2` line 1, zone `example.test.`: stopped: it used up its fuel of 1004000 (1000000 + 2000 for each of 2 records and zones); does the template loop without end, or do far more than the records need?"
        );
    }

    #[test]
    fn a_template_that_writes_too_much_stops_at_its_output_limit() {
        // Cheap in fuel (a string is made once), huge in output.
        let source = "{% set s = 'x' * 60000 %}{% for a in range(100) %}{{ s }}{% endfor %}";
        let err = render_user(source).unwrap_err();
        assert_eq!(
            err.message,
            "template `loop.txt.j2`, zone `example.test.`: stopped: its output exceeds 1081344 bytes (1048576 + 16384 for each of 2 records and zones); does the template loop without end, or do far more than the records need?"
        );
        // Just under the limit is fine.
        assert_eq!(render_user("{{ 'x' * 1081344 }}").unwrap().len(), 1_081_344);
    }

    #[test]
    fn every_builtin_template_compiles() {
        let env = environment();
        for (name, _) in BUILTIN {
            env.get_template(name).unwrap();
        }
        for provider in [
            Provider::Cloudflare,
            Provider::CloudflareBatch,
            Provider::Route53,
            Provider::Powerdns,
            Provider::Gcloud,
            Provider::Digitalocean,
            Provider::Octodns,
        ] {
            let template = Template::provider(provider);
            let expected = if provider == Provider::Octodns {
                "yaml"
            } else {
                "json"
            };
            assert_eq!(template.extension(), expected);
        }
    }

    #[test]
    fn natural_order_matches_python_natsort() {
        // sorted(l, key=natsort.natsort_keygen()) with natsort 8.4.0
        let input = [
            "",
            "m10",
            "m9",
            "m1",
            "_spf1",
            "_spf10",
            "_spf2",
            "mail",
            "10",
            "9",
            "100",
            "a.1",
            "0.a",
            "0.1.0",
            "0.10",
            "1.0",
            "b",
            "relay.lab",
            "m01",
        ];
        let expected = [
            "",
            "0.1.0",
            "0.10",
            "0.a",
            "1.0",
            "9",
            "10",
            "100",
            "_spf1",
            "_spf2",
            "_spf10",
            "a.1",
            "b",
            "m1",
            "m01",
            "m9",
            "m10",
            "mail",
            "relay.lab",
        ];
        let mut sorted = input.to_vec();
        sorted.sort_by_key(|s| natural_key(s));
        assert_eq!(sorted, expected);
    }

    #[test]
    fn powerdns_zone_ids_escape_like_the_api() {
        assert_eq!(
            powerdns_zone_id("64/26.100.51.198.in-addr.arpa"),
            "64=2F26.100.51.198.in-addr.arpa."
        );
        assert_eq!(powerdns_zone_id("example.com."), "example.com.");
        assert_eq!(powerdns_zone_id("_x.example.com"), "=5Fx.example.com.");
    }

    #[test]
    fn extensions_come_from_the_name_before_the_template_suffix() {
        assert_eq!(extension_of("route53.json.j2"), "json");
        assert_eq!(extension_of("dir.v2/zones.YAML.jinja"), "yaml");
        assert_eq!(extension_of("notes.j2"), "txt");
        assert_eq!(extension_of("plain"), "txt");
    }

    #[test]
    fn filters_encode_txt_for_each_consumer() {
        let strings = Value::from(vec![
            Value::from("a \"q\" b\\c; \u{7}"),
            Value::from_bytes(vec![0xff, b' ']),
        ]);
        assert_eq!(
            filter_zone_txt(&strings).unwrap(),
            r#""a \"q\" b\\c; \007" "\255 ""#
        );
        assert_eq!(
            filter_route53_txt(&strings).unwrap(),
            r#""a \"q\" b\\c; \007" "\377 ""#
        );
        // one text is split at 255 octets
        let long = Value::from("x".repeat(300));
        assert_eq!(
            filter_zone_txt(&long).unwrap(),
            format!("\"{}\" \"{}\"", "x".repeat(255), "x".repeat(45))
        );
        assert_eq!(
            filter_octodns_txt(&Value::from("v=DMARC1; p=reject")).unwrap(),
            r"v=DMARC1\; p=reject"
        );
        for refused in ["a\\;b", "\"quoted\"", "a\" \"b", "caf\u{e9}"] {
            assert!(
                filter_octodns_txt(&Value::from(refused)).is_err(),
                "{refused}"
            );
        }
        assert_eq!(
            filter_route53_name("65.64/26.x.in-addr.arpa."),
            r"65.64\05726.x.in-addr.arpa."
        );
    }

    #[test]
    fn encoding_an_undefined_value_is_an_error_with_its_line() {
        for filter in [
            "json",
            "yaml",
            "zone_txt",
            "route53_txt",
            "octodns_txt",
            "digitalocean_txt",
            "route53_name",
            "octodns_name",
            "powerdns_zone_id",
            "octodns_order",
        ] {
            let source = format!(
                "{{% for r in zone.records %}}\n{{{{ r.adress|{filter} }}}}\n{{% endfor %}}"
            );
            let template = Template::user("t.txt.j2", source).unwrap();
            let plan = Plan {
                default_ttl: 60,
                diagnostics: Vec::new(),
                zones: vec![ZonePlan {
                    origin: "example.test".into(),
                    role: ZoneRole::Forward,
                    records: vec![crate::records::Record {
                        owner: "example.test".into(),
                        ttl: 60,
                        data: RecordData::A([192, 0, 2, 1].into()),
                    }],
                }],
            };
            let err = template.render_text(&plan, &plan.zones[0]).unwrap_err();
            assert!(
                err.message.starts_with("template `t.txt.j2` line 2: "),
                "{filter}: {}",
                err.message
            );
        }
    }

    #[test]
    fn yaml_scalars_read_back_as_the_same_string() {
        for text in [
            "",
            "it's",
            "v=DMARC1\\; p=reject",
            "10",
            "@",
            "a: b # c",
            "tab\there",
        ] {
            let scalar = filter_yaml(&Value::from(text)).unwrap();
            let back: String = serde_yaml::from_str(&scalar).unwrap();
            assert_eq!(back, text, "{scalar}");
        }
        assert_eq!(filter_yaml(&Value::from("it's")).unwrap(), "'it''s'");
    }
}
