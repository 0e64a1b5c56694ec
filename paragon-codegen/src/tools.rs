//! Tools for AI agents: each operation of a spec (those the manifest allows) as a tool
//! definition, a name, a description and a JSON Schema (2020-12) of its inputs, in the shape
//! Paragon's ActionKit lists (`{"type": "function", "function": {name, description,
//! parameters}}`), with what a server needs to turn a call into the provider request.
//!
//! ```
//! let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/shipped/tasklab");
//! let tools = paragon_codegen::ToolGenerator::new(&dir).generate()?;
//! let create = tools.get("TASKLAB_CREATE_TASK").unwrap();
//! assert_eq!(create.request.method, "POST");
//! assert_eq!(create.parameters["required"], serde_json::json!(["body"]));
//! # Ok::<(), paragon_codegen::Diagnostics>(())
//! ```
//!
//! Which operations: the manifest's `[tools] allow` list, or without one the spec's `GET`
//! operations (an agent should not get `DELETE /repos` by default; [`ToolGenerator::all_methods`]
//! lifts that for a bare spec), narrowed by the same tag, operation id and path prefix filters
//! as typed clients. An operation whose inputs cannot be a tool (a required cookie or binary
//! body, a host the manifest does not allow, a schema over [`ToolLimits::max_schema_bytes`])
//! is left out with a warning, never emitted broken.

mod schema;

use crate::filters::{Filters, Offered};
use crate::lower::spec::Operation;
use crate::servers::{Servers, Target};
use heck::ToSnakeCase;
use paragon_manifest::{Diagnostic, Diagnostics, Manifest};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The longest tool name OpenAI, Anthropic and Gemini all accept (`^[a-zA-Z0-9_-]{1,64}$`).
pub const MAX_NAME_LEN: usize = 64;

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];
/// Headers the proxy sets itself (the credential, the body's type), never an agent.
const RESERVED_HEADERS: &[&str] = &["authorization", "content-type", "accept", "content-length"];

/// Size limits that keep a tool within what LLM APIs accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolLimits {
    /// The largest `parameters` schema, serialized, in bytes; an operation over it is left out.
    pub max_schema_bytes: usize,
    /// Descriptions are cut to this many characters.
    pub max_description_chars: usize,
}

impl Default for ToolLimits {
    /// 64 KiB of schema, 1,024 characters of description (OpenAI's limit for a function's
    /// description).
    fn default() -> Self {
        ToolLimits {
            max_schema_bytes: 64 * 1024,
            max_description_chars: 1024,
        }
    }
}

/// Generates the tools of an integration (manifest and spec) or of a bare spec.
#[derive(Debug, Clone)]
pub struct ToolGenerator {
    integration: Option<PathBuf>,
    manifest: Option<Manifest>,
    spec: Option<PathBuf>,
    /// A spec already in memory, in place of a file.
    document: Option<Value>,
    name: Option<String>,
    filters: Filters,
    all_methods: bool,
    limits: ToolLimits,
}

/// The tools of one integration, and what generation left out.
#[derive(Debug, Clone)]
pub struct ToolSet {
    /// The integration's slug, `custom.tasklab`.
    pub integration: String,
    /// The tools, in the spec's order.
    pub tools: Vec<Tool>,
    /// How many operations were considered (after the filters and the allow-list).
    pub operations: usize,
    /// Each operation left out and why, and what was degraded (a dangling `$ref`).
    pub warnings: Vec<Diagnostic>,
}

/// One tool: what an agent sees and how a call becomes a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    /// Unique in its set, stable, `^[a-zA-Z0-9_-]{1,64}$`: ActionKit's `<INTEGRATION>_<ACTION>`
    /// form, the slug and the operation id in upper snake case (`TASKLAB_CREATE_TASK`).
    pub name: String,
    /// The operation's summary and description.
    pub description: String,
    /// JSON Schema 2020-12 of the inputs: an object with a property per parameter and `body`.
    pub parameters: Value,
    /// How a call is sent.
    pub request: ToolRequest,
}

/// How a tool call becomes the provider request (through the proxy, relative to the base URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path template relative to the integration's base URL, `/tasks/{id}`, or a full URL
    /// template for an operation served from another host the manifest allows
    /// (`https://uploads.github.com/repos/{owner}/...`), sent through the proxy's full-URL form.
    pub path: String,
    /// The spec's `operationId`, when it has one.
    pub operation_id: Option<String>,
    /// Where each input property goes.
    pub inputs: Vec<ToolInput>,
    /// The request body, when the operation takes one.
    pub body: Option<ToolBody>,
}

/// One path, query or header parameter of a tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolInput {
    /// The property of the tool's input object.
    pub property: String,
    /// The parameter's name on the wire.
    pub name: String,
    /// Where it is sent.
    pub location: Location,
}

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// Replaces `{name}` in the path, percent-encoded.
    Path,
    /// A query parameter.
    Query,
    /// A request header.
    Header,
}

/// A tool's request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolBody {
    /// The property of the tool's input object that holds it (`body`).
    pub property: String,
    /// The media type it is sent as (`application/json`).
    pub content_type: String,
}

impl Tool {
    /// The definition as ActionKit lists it with `format=json_schema`:
    /// `{"type": "function", "function": {"name", "description", "parameters"}}`.
    pub fn to_function(&self) -> Value {
        json!({
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            }
        })
    }
}

impl ToolSet {
    /// The tool named `name`.
    pub fn get(&self, name: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// Every tool as [`Tool::to_function`] gives it.
    pub fn functions(&self) -> Vec<Value> {
        self.tools.iter().map(Tool::to_function).collect()
    }

    /// The warnings, compiler style (`warning: …`), empty when there are none.
    pub fn warnings_text(&self) -> String {
        self.warnings
            .iter()
            .map(|w| w.to_string().replacen("error:", "warning:", 1))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl ToolGenerator {
    /// The tools of the integration in `integration` (its folder or `integration.toml`): the
    /// manifest's `[tools] allow` list, or its spec's `GET` operations.
    pub fn new(integration: impl Into<PathBuf>) -> Self {
        ToolGenerator {
            integration: Some(integration.into()),
            manifest: None,
            spec: None,
            document: None,
            name: None,
            filters: Filters::default(),
            all_methods: false,
            limits: ToolLimits::default(),
        }
    }

    /// The tools of an integration already loaded (a server's), its spec read from beside it.
    pub fn for_manifest(manifest: Manifest) -> Self {
        ToolGenerator {
            integration: None,
            manifest: Some(manifest),
            ..ToolGenerator::new(PathBuf::new())
        }
    }

    /// The tools of `manifest`'s integration from an OpenAPI document already in memory: a
    /// derived integration's `paragon_sdk::EndpointSpec::openapi()`, the endpoints its
    /// developer declared. So every operation of it is offered, whatever its method (the
    /// manifest's `[tools] allow`, when it has one, is still the exact list).
    pub fn for_document(manifest: Manifest, document: Value) -> Self {
        ToolGenerator {
            integration: None,
            manifest: Some(manifest),
            document: Some(document),
            all_methods: true,
            ..ToolGenerator::new(PathBuf::new())
        }
    }

    /// The tools of a bare spec, for the integration named `name` (`"Task Lab"` →
    /// `custom.tasklab`).
    pub fn from_spec(spec: impl Into<PathBuf>, name: impl Into<String>) -> Self {
        ToolGenerator {
            integration: None,
            spec: Some(spec.into()),
            name: Some(name.into()),
            ..ToolGenerator::new(PathBuf::new())
        }
    }

    /// Without an allow-list, offers every method, not only `GET` (a manifest's `[tools]
    /// allow` list is always exact).
    pub fn all_methods(mut self, all: bool) -> Self {
        self.all_methods = all;
        self
    }

    /// Keeps operations with this tag (filters add up, as for typed clients).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.filters.tags.push(tag.into());
        self
    }

    /// Keeps the operation with this `operationId`.
    pub fn operation(mut self, id: impl Into<String>) -> Self {
        self.filters.operation_ids.push(id.into());
        self
    }

    /// Keeps operations whose path starts with `prefix`.
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.filters.path_prefixes.push(prefix.into());
        self
    }

    /// Replaces the size limits.
    pub fn limits(mut self, limits: ToolLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Reads the manifest and spec and lowers the operations to tools. Errors: the manifest or
    /// spec cannot be read, or the allow-list names an operation the spec does not have.
    pub fn generate(&self) -> Result<ToolSet, Diagnostics> {
        let manifest = match (&self.manifest, &self.integration) {
            (Some(m), _) => Some(m.clone()),
            (None, Some(dir)) => Some(Manifest::load(dir)?),
            (None, None) => None,
        };
        let (spec, root, warnings) = match (&self.document, &manifest) {
            (Some(document), Some(m)) => (
                // Diagnostics name the integration, as there is no file.
                PathBuf::from(format!("{} (declared endpoints)", m.slug())),
                document.clone(),
                Vec::new(),
            ),
            _ => {
                let spec = self.spec_file(manifest.as_ref())?;
                let loaded = crate::load::load(&spec)?;
                (spec, loaded.root, loaded.warnings)
            }
        };
        let integration = match &manifest {
            Some(m) => m.slug(),
            None => paragon_manifest::slug(self.name.as_deref().unwrap_or_default()),
        };
        let lowering = Lowering {
            slug: integration.clone(),
            root: &root,
            spec: &spec,
            servers: Servers::new(&root, manifest.as_ref().map(Manifest::api)),
            limits: self.limits,
        };
        let mut set = ToolSet {
            integration,
            tools: Vec::new(),
            operations: 0,
            warnings,
        };
        let allow = manifest.as_ref().and_then(|m| m.tools());
        let mut names = BTreeSet::new();
        let mut seen_ids = BTreeSet::new();
        let mut offered = Offered::default();
        for (path, method, item, op) in operations(&root) {
            let id = op.get("operationId").and_then(Value::as_str);
            if let Some(id) = id {
                seen_ids.insert(id.to_string());
            }
            let fn_name = id.unwrap_or_default().to_snake_case();
            offered.add(path, Operation(op), &fn_name);
            let allowed = match allow {
                Some(a) => id.is_some_and(|id| a.allow().iter().any(|x| x.operation_id == id)),
                None => self.all_methods || method == "get",
            };
            if !allowed || !self.filters.keeps(path, Operation(op), &fn_name) {
                continue;
            }
            set.operations += 1;
            match lowering.tool(path, method, item, op, &mut names) {
                Ok((tool, problems)) => {
                    set.warnings
                        .extend(problems.into_iter().map(|p| lowering.warn(path, method, p)));
                    set.tools.push(tool);
                }
                Err(why) => set.warnings.push(lowering.warn(
                    path,
                    method,
                    format!("left out of the tools: {why}"),
                )),
            }
        }
        if let (Some(m), Some(allow)) = (&manifest, allow) {
            unknown_allowed(m, allow, &seen_ids)?;
        }
        // A filter that keeps nothing is a typo, as for typed clients.
        let unmatched = offered.unmatched(&self.filters);
        if !unmatched.is_empty() {
            return Err(Diagnostics(
                unmatched.into_iter().map(|d| d.file(&spec)).collect(),
            ));
        }
        Ok(set)
    }

    /// The spec file: the one given, or the manifest's.
    fn spec_file(&self, manifest: Option<&Manifest>) -> Result<PathBuf, Diagnostics> {
        match (&self.spec, manifest) {
            (Some(s), _) => Ok(s.clone()),
            (None, Some(m)) => m.spec_path().ok_or_else(|| {
                Diagnostics::from(
                    Diagnostic::error("the integration has no OpenAPI spec to make tools from")
                        .file(m.file())
                        .help("add `spec = \"openapi.json\"` to the manifest or put an openapi.json beside it"),
                )
            }),
            (None, None) => Err(Diagnostic::error("no spec given").into()),
        }
    }
}

/// An allow-list entry the spec has no operation for is an error at its line, with the
/// nearest operation ids.
fn unknown_allowed(
    manifest: &Manifest,
    allow: &paragon_manifest::Tools,
    ids: &BTreeSet<String>,
) -> Result<(), Diagnostics> {
    let mut errors = Diagnostics::new();
    for (i, entry) in allow.allow().iter().enumerate() {
        if ids.contains(&entry.operation_id) {
            continue;
        }
        let near = crate::suggest::nearest(&entry.operation_id, ids.iter().map(String::as_str), 3);
        let mut d = Diagnostic::error(format!(
            "the spec has no operation `{}`",
            entry.operation_id
        ))
        .file(manifest.file())
        .at(entry.line, entry.column)
        .field(format!("tools.allow[{i}]"));
        if !near.is_empty() {
            d = d.help(format!("did you mean {}?", crate::suggest::listed(&near)));
        }
        errors.push(d);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Every operation of the spec: path, method, path item, operation.
fn operations(root: &Value) -> Vec<(&str, &'static str, &Value, &Value)> {
    let Some(paths) = root.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (path, item) in paths {
        let item = match item.get("$ref").and_then(Value::as_str) {
            Some(r) => r
                .strip_prefix('#')
                .and_then(|p| schema::resolve(root, p))
                .unwrap_or(item),
            None => item,
        };
        for method in METHODS {
            if let Some(op) = item.get(*method).filter(|o| o.is_object()) {
                out.push((path.as_str(), *method, item, op));
            }
        }
    }
    out
}

/// ActionKit's form, `<INTEGRATION>_<ACTION>` (`SLACK_SEND_MESSAGE`): the slug without
/// `custom.` and the operation id (else `<method> <path>`), in upper snake case. The prefix
/// keeps names unique across a project's integrations, since a run names only the tool.
fn base_name(slug: &str, id: Option<&str>, method: &str, path: &str) -> String {
    let prefix = slug.strip_prefix("custom.").unwrap_or(slug);
    let action = match id.filter(|s| !s.trim().is_empty()) {
        Some(id) => id.to_snake_case(),
        None => format!("{method} {path}").to_snake_case(),
    };
    let raw = format!("{prefix}_{action}").to_ascii_uppercase();
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.trim_matches('_').is_empty() {
        "OPERATION".into()
    } else {
        clean
    }
}

/// A name within [`MAX_NAME_LEN`], unique in `taken`: a long or repeated name keeps its
/// start and ends in a hash of what identifies the operation, so it is the same every run.
fn unique_name(base: &str, method: &str, path: &str, taken: &mut BTreeSet<String>) -> String {
    let mut name = if base.len() > MAX_NAME_LEN {
        with_hash(base, base)
    } else {
        base.to_string()
    };
    if taken.contains(&name) {
        name = with_hash(base, &format!("{method} {path}"));
    }
    let mut salt = 0u32;
    while taken.contains(&name) {
        salt += 1;
        name = with_hash(base, &format!("{method} {path} {salt}"));
    }
    taken.insert(name.clone());
    name
}

fn with_hash(base: &str, key: &str) -> String {
    // FNV-1a: stable across runs and platforms, unlike std's hasher.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let keep = MAX_NAME_LEN - 9;
    let start: String = base.chars().take(keep).collect();
    format!("{start}_{:08x}", hash as u32)
}

/// What lowering one operation reads.
struct Lowering<'a> {
    slug: String,
    root: &'a Value,
    spec: &'a Path,
    servers: Servers<'a>,
    limits: ToolLimits,
}

/// Where each property goes and its schema, while one operation is lowered.
#[derive(Default)]
struct Inputs {
    properties: Map<String, Value>,
    required: Vec<Value>,
    inputs: Vec<ToolInput>,
}

impl Lowering<'_> {
    fn warn(&self, path: &str, method: &str, message: String) -> Diagnostic {
        crate::load::diag(self.spec, message).field(format!("paths.{path}.{method}"))
    }

    fn tool(
        &self,
        path: &str,
        method: &str,
        item: &Value,
        op: &Value,
        names: &mut BTreeSet<String>,
    ) -> Result<(Tool, Vec<String>), String> {
        let own = op
            .get("servers")
            .filter(|s| s.as_array().is_some_and(|a| !a.is_empty()));
        let sent_path = match self.servers.target(own.or(item.get("servers")))? {
            Target::Base => path.to_string(),
            Target::Prefix(prefix) => format!("{prefix}{path}"),
            // The proxy's full-URL form: only a host the manifest allows gets here.
            Target::Full(url) => format!("{url}{path}"),
        };
        let mut conv = schema::Converter::new(self.root);
        let mut inputs = Inputs::default();
        for param in self.parameters(item, op) {
            self.parameter(&param, &mut conv, &mut inputs)?;
        }
        let body = self.body(op, &mut conv, &mut inputs)?;
        let (defs, problems) = conv.finish();
        let mut parameters = json!({
            "type": "object",
            "properties": inputs.properties,
            "required": inputs.required,
            "additionalProperties": false,
        });
        if !defs.is_empty() {
            parameters["$defs"] = Value::Object(defs.into_iter().collect());
        }
        let size = parameters.to_string().len();
        if size > self.limits.max_schema_bytes {
            return Err(format!(
                "its input schema is {size} bytes, over the limit of {}",
                self.limits.max_schema_bytes
            ));
        }
        let id = op.get("operationId").and_then(Value::as_str);
        let name = unique_name(
            &base_name(&self.slug, id, method, path),
            method,
            path,
            names,
        );
        let tool = Tool {
            name,
            description: self.description(op, method, path),
            parameters,
            request: ToolRequest {
                method: method.to_ascii_uppercase(),
                path: sent_path,
                operation_id: id.map(str::to_string),
                inputs: inputs.inputs,
                body,
            },
        };
        Ok((tool, problems))
    }

    /// The path item's parameters, overridden by the operation's of the same name and place.
    fn parameters(&self, item: &Value, op: &Value) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        let listed = |v: &Value| v.get("parameters").and_then(Value::as_array).cloned();
        for p in listed(item).into_iter().chain(listed(op)).flatten() {
            let p = self.deref(&p).clone();
            let key = |v: &Value| (v.get("name").cloned(), v.get("in").cloned());
            out.retain(|q| key(q) != key(&p));
            out.push(p);
        }
        out
    }

    fn deref<'v>(&'v self, v: &'v Value) -> &'v Value {
        let mut v = v;
        for _ in 0..8 {
            match v
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
            {
                Some(p) => match schema::resolve(self.root, p) {
                    Some(target) => v = target,
                    None => return v,
                },
                None => return v,
            }
        }
        v
    }

    fn parameter(
        &self,
        param: &Value,
        conv: &mut schema::Converter<'_>,
        inputs: &mut Inputs,
    ) -> Result<(), String> {
        let Some(name) = param.get("name").and_then(Value::as_str) else {
            return Err("a parameter has no `name`".into());
        };
        let required = param.get("required") == Some(&Value::Bool(true));
        let location = match param.get("in").and_then(Value::as_str) {
            Some("path") => Location::Path,
            Some("query") => Location::Query,
            Some("header") if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) => {
                return Ok(());
            }
            Some("header") => Location::Header,
            Some("cookie") if !required => return Ok(()),
            other => {
                return Err(format!(
                    "the parameter `{name}` is in `{}`, which a tool cannot send",
                    other.unwrap_or("?")
                ));
            }
        };
        let raw = param
            .get("schema")
            .or_else(|| {
                param
                    .get("content")
                    .and_then(Value::as_object)
                    .and_then(|c| c.values().next())
                    .and_then(|m| m.get("schema"))
            })
            .cloned()
            .unwrap_or_else(|| json!({"type": "string"}));
        let mut converted = conv.convert(&raw);
        if let (Some(d), Some(obj)) = (param.get("description"), converted.as_object_mut())
            && d.is_string()
            && !obj.contains_key("description")
            && !obj.contains_key("$ref")
        {
            obj.insert("description".into(), d.clone());
        }
        let property = if inputs.properties.contains_key(name) {
            format!("{}_{name}", location_name(location))
        } else {
            name.to_string()
        };
        inputs.properties.insert(property.clone(), converted);
        if required || location == Location::Path {
            inputs.required.push(Value::String(property.clone()));
        }
        inputs.inputs.push(ToolInput {
            property,
            name: name.to_string(),
            location,
        });
        Ok(())
    }

    /// The body as the `body` property: JSON or a form; another media type (a file upload)
    /// leaves a required body's operation out.
    fn body(
        &self,
        op: &Value,
        conv: &mut schema::Converter<'_>,
        inputs: &mut Inputs,
    ) -> Result<Option<ToolBody>, String> {
        let Some(body) = op.get("requestBody").map(|b| self.deref(b)) else {
            return Ok(None);
        };
        let required = body.get("required") == Some(&Value::Bool(true));
        let content = body.get("content").and_then(Value::as_object);
        let media = content.and_then(|c| {
            c.iter().find(|(m, _)| is_json(m)).or_else(|| {
                c.iter()
                    .find(|(m, _)| m.starts_with("application/x-www-form-urlencoded"))
            })
        });
        let Some((media, content)) = media else {
            if required {
                let types: Vec<&str> = content
                    .map(|c| c.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                return Err(format!(
                    "its body is {}, which a JSON tool input cannot carry",
                    if types.is_empty() {
                        "untyped".into()
                    } else {
                        types
                            .iter()
                            .map(|t| format!("`{t}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ));
            }
            return Ok(None);
        };
        let property = if inputs.properties.contains_key("body") {
            "request_body".to_string()
        } else {
            "body".to_string()
        };
        let mut schema = conv.convert(content.get("schema").unwrap_or(&json!({})));
        if let (Some(d), Some(obj)) = (body.get("description"), schema.as_object_mut())
            && d.is_string()
            && !obj.contains_key("description")
            && !obj.contains_key("$ref")
        {
            obj.insert("description".into(), d.clone());
        }
        inputs.properties.insert(property.clone(), schema);
        if required {
            inputs.required.push(Value::String(property.clone()));
        }
        let content_type = if is_json(media) {
            "application/json".to_string()
        } else {
            "application/x-www-form-urlencoded".to_string()
        };
        Ok(Some(ToolBody {
            property,
            content_type,
        }))
    }

    fn description(&self, op: &Value, method: &str, path: &str) -> String {
        let parts: Vec<&str> = ["summary", "description"]
            .iter()
            .filter_map(|k| op.get(*k).and_then(Value::as_str))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let mut text = match parts.as_slice() {
            [] => format!("{} {path}", method.to_ascii_uppercase()),
            [one] => one.to_string(),
            [a, b] if b.starts_with(a) => b.to_string(),
            _ => parts.join("\n\n"),
        };
        let max = self.limits.max_description_chars;
        if text.chars().count() > max {
            text = text.chars().take(max.saturating_sub(1)).collect::<String>() + "…";
        }
        text
    }
}

fn location_name(l: Location) -> &'static str {
    match l {
        Location::Path => "path",
        Location::Query => "query",
        Location::Header => "header",
    }
}

fn is_json(media: &str) -> bool {
    let m = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    m == "application/json" || m.ends_with("+json") || m == "*/*"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_actionkit_style_short_and_stable() {
        assert_eq!(
            base_name("custom.github", Some("repos/list-for-user"), "get", "/x"),
            "GITHUB_REPOS_LIST_FOR_USER"
        );
        assert_eq!(
            base_name("custom.tasklab", None, "get", "/users/{id}"),
            "TASKLAB_GET_USERS_ID"
        );
        let mut taken = BTreeSet::new();
        let long = "a".repeat(100);
        let n = unique_name(&long, "get", "/x", &mut taken);
        assert_eq!(n.len(), MAX_NAME_LEN);
        assert_eq!(n, with_hash(&long, &long));
        let again = unique_name(&long, "get", "/y", &mut taken);
        assert_ne!(again, n);
        assert!(again.len() <= MAX_NAME_LEN);
    }
}
