//! Export to Paragon's workflows-as-code: a specs folder as a Paragraph project
//! (`paragon-codegen paragraph --specs specs --out DIR`).
//!
//! - `src/integrations/custom.<slug>/config.ts`: the custom integration's fields (name,
//!   description, accent colour, icon, authentication type, authorization and token URLs,
//!   scopes, client-credential placement, PKCE, the end user's inputs, API base URL, test
//!   endpoint path, API authorization) and its workflows' display order;
//! - `src/integrations/custom.<slug>/workflows/<name>.ts`: each workflow file, each step as
//!   its Paragraph step;
//! - `src/events/<name>.ts`: each app event of `events.toml`, its example as the schema;
//! - `package.json` and `tsconfig.json` (Paragon's demo project's compiler options).
//!
//! - `src/integrations/custom.<slug>/inputs.ts`: the integration-level user settings
//!   (`[[settings]]`), when the manifest declares any;
//!
//! What Paragraph cannot express is refused with a diagnostic at its
//! file:line:col, never dropped; what changes on the way (retry schedules, fan-out
//! concurrency) is listed in [`Export::notes`]. The TypeScript declarations the export is
//! checked against (`paragon-codegen/paragraph/types/`) are written from Paragon's public
//! documentation and its demo project.

mod config;
mod inputs;
mod ts;
mod workflow;

use paragon_manifest::workflow::{self as wf, Context, Event};
use paragon_manifest::{Diagnostic, Diagnostics, Manifest};
use std::collections::BTreeMap;
use std::path::Path;

/// An exported project: file contents by path under the project folder, and notes.
#[derive(Debug, Default)]
pub struct Export {
    /// `src/…/config.ts` → its text, in path order.
    pub files: BTreeMap<String, String>,
    /// What the export leaves out or changes, one sentence each.
    pub notes: Vec<String>,
}

impl Export {
    /// Writes every file under `out` (creating folders).
    pub fn write(&self, out: &Path) -> std::io::Result<()> {
        for (path, text) in &self.files {
            let target = out.join(path);
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(target, text)?;
        }
        Ok(())
    }
}

/// The manifest's overview, which Paragraph has no file for (Paragon keeps it in the
/// dashboard).
fn left_out_overview(manifest: &Manifest) -> Option<String> {
    manifest.overview().is_some().then(|| {
        format!(
            "{}: the overview is left out (Paragraph has no field for it); set it in Paragon's dashboard",
            manifest.slug()
        )
    })
}

/// Refused features, each a diagnostic at its position in the file that asks for it.
#[derive(Default)]
pub(crate) struct Refusals(Diagnostics);

/// The byte range of `key` on the first line at or after `from` that sets it (`key = …`) or
/// opens its table (`[auth.key]`).
fn key_range(source: &str, from: usize, key: &str) -> Option<std::ops::Range<usize>> {
    let mut offset = from;
    for line in source[from..].split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return Some(offset + indent..offset + indent + key.len());
        }
        // `[table.key]`, or `[[table.key]]` for an array of tables.
        let header = trimmed.trim_end();
        let closing = if header.starts_with("[[") { "]]" } else { "]" };
        let inner = header.trim_start_matches('[').trim_end_matches(']');
        if header.starts_with('[') && (inner.ends_with(&format!(".{key}")) || inner == key) {
            let at = offset + indent + header.len() - key.len() - closing.len();
            return Some(at..at + key.len());
        }
        offset += line.len();
    }
    None
}

impl Refusals {
    fn push(
        &mut self,
        file: &Path,
        range: Option<std::ops::Range<usize>>,
        source: &str,
        message: String,
    ) {
        let mut d = Diagnostic::error(message).file(file);
        if let Some(range) = range {
            d = d.span(source, range);
        }
        self.0
            .push(d.help("remove it, or keep this integration on the local server"));
    }

    /// At the key `key` of a manifest's table `[table]` (or its sub-table `[table.key]`).
    pub(crate) fn at_key(&mut self, file: &Path, table: &str, key: &str, message: String) {
        let source = std::fs::read_to_string(file).unwrap_or_default();
        let header = format!("[{table}]");
        let from = source
            .match_indices(&header)
            .map(|(i, _)| i)
            .find(|i| *i == 0 || source[..*i].ends_with('\n'))
            .unwrap_or(0);
        let range = key_range(&source, from, key);
        self.push(file, range, &source, message);
    }

    /// At the field `field` of the step `step` of a workflow file (at the step's key when the
    /// field is not written there).
    pub(crate) fn at_step(&mut self, file: &Path, step: &str, field: &str, message: String) {
        let source = std::fs::read_to_string(file).unwrap_or_default();
        let quoted = format!("\"{step}\"");
        let mut offset = 0;
        let mut step_line = None;
        for line in source.split_inclusive('\n') {
            let setting = line.trim().strip_prefix("key").map(str::trim_start);
            if setting
                .and_then(|rest| rest.strip_prefix('='))
                .is_some_and(|value| value.trim() == quoted)
            {
                step_line = Some(offset);
                break;
            }
            offset += line.len();
        }
        let range = step_line.and_then(|start| {
            let next_step = source[start + 1..]
                .find("[[steps]]")
                .map_or(source.len(), |i| start + 1 + i);
            key_range(&source[..next_step], start, field)
                .or_else(|| key_range(&source, start, "key"))
        });
        self.push(file, range, &source, message);
    }
}

/// The module name of an event (`Task Created` → `taskCreated`).
fn event_module(name: &str) -> String {
    let mut out = String::new();
    for (i, word) in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            if i == 0 {
                out.extend(first.to_lowercase());
            } else {
                out.extend(first.to_uppercase());
            }
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "event");
    }
    out
}

/// A TOML value as a TypeScript literal.
fn toml_ts(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => ts::string(s),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => ts::string(&d.to_string()),
        toml::Value::Array(a) => {
            format!("[{}]", a.iter().map(toml_ts).collect::<Vec<_>>().join(", "))
        }
        toml::Value::Table(t) => {
            let fields: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{}: {}", ts::key(k), toml_ts(v)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
    }
}

fn event_ts(e: &Event) -> String {
    let schema = e
        .example
        .as_deref()
        .and_then(|ex| format!("example = {ex}").parse::<toml::Table>().ok())
        .and_then(|t| t.get("example").map(toml_ts))
        .unwrap_or_else(|| "{}".to_owned());
    format!(
        "import {{ IEventInit }} from '@useparagon/core/event';\n\nconst schema = {schema};\n\nexport type EventSchema = typeof schema;\n\nconst event: IEventInit<EventSchema> = {{\n  name: {},\n  schema,\n}};\n\nexport default event;\n",
        ts::string(&e.name)
    )
}

const PACKAGE_JSON: &str = "{\n  \"name\": \"paragraph-export\",\n  \"version\": \"0.0.0\",\n  \"private\": true,\n  \"scripts\": {\n    \"build\": \"para build\"\n  },\n  \"dependencies\": {\n    \"@useparagon/core\": \"^1.0.1\"\n  }\n}\n";

const TSCONFIG_JSON: &str = "{\n  \"compilerOptions\": {\n    \"alwaysStrict\": true,\n    \"esModuleInterop\": true,\n    \"module\": \"commonjs\",\n    \"moduleResolution\": \"node\",\n    \"noImplicitAny\": false,\n    \"noImplicitReturns\": true,\n    \"noImplicitThis\": true,\n    \"strict\": true,\n    \"target\": \"es6\",\n    \"outDir\": \"./dist\",\n    \"baseUrl\": \"./\",\n    \"rootDir\": \"src\"\n  }\n}\n";

/// Exports the integrations under `specs` whose slugs `only` names (all when empty), their
/// workflows, and the app events of `specs/events.toml`. Every refusal and every invalid
/// file is reported at once.
pub fn export(specs: &Path, only: &[String]) -> Result<Export, Diagnostics> {
    let mut export = Export::default();
    let mut refusals = Refusals::default();
    let mut problems = Diagnostics::new();
    let events = wf::load_events(specs)?;
    let context = wf::context_for(specs)?;
    for e in &events {
        export.files.insert(
            format!("src/events/{}.ts", event_module(&e.name)),
            event_ts(e),
        );
    }
    let module_of = |name: &str| {
        events
            .iter()
            .find(|e| e.name == name)
            .map(|e| event_module(&e.name))
    };
    for file in paragon_manifest::discover(specs) {
        let manifest = match Manifest::load(&file) {
            Ok(m) => m,
            Err(d) => {
                problems.extend(d);
                continue;
            }
        };
        if !only.is_empty() && !only.contains(&manifest.slug()) {
            continue;
        }
        let ctx = Context {
            integration: manifest.slug(),
            settings: manifest.setting_keys(),
            ..context.clone()
        };
        let workflows = match wf::load_workflows(manifest.dir(), &ctx) {
            Ok(w) => w,
            Err(d) => {
                problems.extend(d);
                continue;
            }
        };
        if let Some(note) = left_out_overview(&manifest) {
            export.notes.push(note);
        }
        let base = format!("src/integrations/{}", manifest.slug());
        if let Some(text) = inputs::inputs_ts(&manifest, &mut export.notes) {
            export.files.insert(format!("{base}/inputs.ts"), text);
        }
        let mut imports = Vec::new();
        for w in &workflows {
            let (class, module) = workflow::names(w);
            let mut wctx = workflow::Ctx {
                event_module: &module_of,
                refusals: &mut refusals,
                notes: &mut export.notes,
            };
            let text = workflow::workflow_ts(w, &mut wctx);
            export
                .files
                .insert(format!("{base}/workflows/{module}.ts"), text);
            imports.push((class, module));
        }
        let config = config::config_ts(&manifest, &imports, &mut refusals);
        export.files.insert(format!("{base}/config.ts"), config);
    }
    for slug in only.iter().filter(|s| !context.integrations.contains(s)) {
        problems.push(
            Diagnostic::error(format!("no integration {slug} under {}", specs.display()))
                .help(format!("one of: {}", context.integrations.join(", "))),
        );
    }
    problems.extend(refusals.0);
    if !problems.is_empty() {
        return Err(problems);
    }
    if !export.files.keys().any(|f| f.ends_with("/inputs.ts")) {
        export.notes.push(
            "inputs.ts: not written, as no manifest declares integration-level user settings"
                .to_owned(),
        );
    }
    export
        .files
        .insert("package.json".to_owned(), PACKAGE_JSON.to_owned());
    export
        .files
        .insert("tsconfig.json".to_owned(), TSCONFIG_JSON.to_owned());
    Ok(export)
}
