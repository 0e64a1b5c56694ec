//! The public entry point: [`Generator`], used by build scripts and the CLI.

use crate::emit::{self as render, Meta};
use crate::filters::Filters;
use crate::load;
use crate::lower::operations;
use crate::lower::schemas::TypeGen;
use crate::names::snake;
use paragon_manifest::{Diagnostic, Diagnostics, Manifest};
use std::path::{Path, PathBuf};

/// Generates a typed client from an integration manifest (or a bare spec).
///
/// See the [crate documentation](crate) for a build-script example.
#[derive(Debug, Clone)]
pub struct Generator {
    integration: Option<PathBuf>,
    spec: Option<PathBuf>,
    name: Option<String>,
    module: Option<String>,
    filters: Filters,
    all_schemas: bool,
    full_serde: bool,
    tolerant: bool,
    out_dir: Option<PathBuf>,
}

/// Generated source and what went into it.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The formatted Rust source.
    pub source: String,
    /// Every file read (manifest, spec and sibling files the spec refers to).
    pub files: Vec<PathBuf>,
    /// How many client methods were generated.
    pub operations: usize,
    /// How many named types the `types` module holds.
    pub types: usize,
    /// What generation degraded or renamed to go on (a `$ref` that does not resolve, typed as
    /// untyped JSON; a duplicate operation id), each also noted in a comment at the affected
    /// item. Print them with [`warnings_text`](Self::warnings_text).
    pub warnings: Vec<Diagnostic>,
}

/// What the conformance harness needs: see [`Generator::conformance`].
#[derive(Debug, Clone)]
pub struct Conformance {
    /// The client, with both serde traits on every type (request bodies are decoded too).
    pub client: Generated,
    /// The `cases` module: a `CASES` static of [`crate::conformance::Case`]s naming types as
    /// `crate::client::types::…`.
    pub cases: String,
    /// How many examples `cases` lists.
    pub examples: usize,
}

impl Generated {
    /// The warnings, compiler style (`warning: …`), empty when there are none.
    pub fn warnings_text(&self) -> String {
        self.warnings
            .iter()
            .map(|w| w.to_string().replacen("error:", "warning:", 1))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Generator {
    /// A generator for the integration in `integration` (a folder holding `integration.toml`,
    /// or the file itself); the spec is the one the manifest names or finds beside it.
    pub fn new(integration: impl Into<PathBuf>) -> Self {
        Generator {
            integration: Some(integration.into()),
            spec: None,
            name: None,
            module: None,
            filters: Filters::default(),
            all_schemas: false,
            full_serde: false,
            tolerant: false,
            out_dir: None,
        }
    }

    /// A generator for a bare spec, without a manifest: `name` is the integration's display name
    /// (`"Task Lab"` calls `custom.tasklab`); there is no test endpoint.
    pub fn from_spec(spec: impl Into<PathBuf>, name: impl Into<String>) -> Self {
        Generator {
            integration: None,
            spec: Some(spec.into()),
            name: Some(name.into()),
            module: None,
            filters: Filters::default(),
            all_schemas: false,
            full_serde: false,
            tolerant: false,
            out_dir: None,
        }
    }

    /// Reads the spec from `path` instead of the manifest's folder.
    pub fn spec(mut self, path: impl Into<PathBuf>) -> Self {
        self.spec = Some(path.into());
        self
    }

    /// The module (and file) name, by default the integration folder's (or the name's) snake case.
    pub fn module_name(mut self, name: impl Into<String>) -> Self {
        self.module = Some(name.into());
        self
    }

    /// Keeps operations with this tag. Filters add up: an operation matching any is kept;
    /// with no filter every operation is.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.filters.tags.push(tag.into());
        self
    }

    /// Keeps the operation with this `operationId` (or generated method name).
    pub fn operation(mut self, id: impl Into<String>) -> Self {
        self.filters.operation_ids.push(id.into());
        self
    }

    /// Keeps operations whose path starts with `prefix` (e.g. `/repos`).
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.filters.path_prefixes.push(prefix.into());
        self
    }

    /// Also generates component schemas no operation uses (e.g. webhook payloads). By default
    /// the `types` module holds only what the generated operations need, which keeps the
    /// client small; type names do not depend on this choice.
    pub fn all_schemas(mut self, all: bool) -> Self {
        self.all_schemas = all;
        self
    }

    /// Derives both `Serialize` and `Deserialize` on every type. By default a type derives
    /// what its direction needs: `Deserialize` when an operation receives it, `Serialize` when
    /// one sends it (both when both), which halves the code to compile for a large API.
    pub fn full_serde(mut self, full: bool) -> Self {
        self.full_serde = full;
        self
    }

    /// Received types tolerate a required field the provider leaves out when the field's type
    /// has an empty value (`""`, `0`, `false`, `[]`, `{}`, `None`): it decodes to that value
    /// instead of failing the call, for APIs whose answers drift from their schema (GitHub's own
    /// examples do: `docs/codegen-corpus.md` measures it). Off by default: the schema is the
    /// contract, and a tolerated field reads as empty. Fields of a named type still fail when
    /// absent.
    pub fn tolerant(mut self, tolerant: bool) -> Self {
        self.tolerant = tolerant;
        self
    }

    /// Where [`generate`](Self::generate) writes, by default `$OUT_DIR`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// The module name [`generate`](Self::generate) uses.
    pub fn module(&self) -> String {
        if let Some(m) = &self.module {
            return m.clone();
        }
        let from = match (&self.name, &self.integration) {
            (Some(name), _) => name.clone(),
            (None, Some(dir)) => {
                let dir = if dir.extension().is_some_and(|e| e == "toml") {
                    dir.parent().unwrap_or(dir)
                } else {
                    dir
                };
                dir.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            }
            (None, None) => String::new(),
        };
        crate::names::unraw(&snake(&from, "client")).to_string()
    }

    /// Generates the client as the contents of a module file (for `mod github;`).
    pub fn render(&self) -> Result<Generated, Diagnostics> {
        self.run(None)
    }

    /// Checks the manifest's spec as `paragon-codegen validate` does: it generates, and the
    /// manifest's test endpoint is a `GET` the spec defines (a warning when generating, since a
    /// client may be generated from part of an API, but an error here).
    pub fn validate(&self) -> Result<Generated, Diagnostics> {
        let mut generated = self.render()?;
        let (errors, warnings) = std::mem::take(&mut generated.warnings)
            .into_iter()
            .partition(|w| w.field == TEST_ENDPOINT_FIELD);
        generated.warnings = warnings;
        if errors.is_empty() {
            Ok(generated)
        } else {
            Err(Diagnostics(errors))
        }
    }

    /// The conformance harness's input: the client (every type deriving both serde traits)
    /// and a `cases` module listing every JSON example of a response, request body or
    /// component schema with the generated type the typed call decodes it into. A harness
    /// crate holds them as `mod client;` and `mod cases;` and runs
    /// `paragon_codegen::conformance::main(cases::CASES)` (feature `conformance`);
    /// `scripts/conformance.sh` makes one.
    pub fn conformance(&self) -> Result<Conformance, Diagnostics> {
        let generator = self.clone().full_serde(true);
        let (client, cases) = generator.run_with(None, true)?;
        let (cases, examples) = cases.unwrap_or_default();
        Ok(Conformance {
            client,
            cases,
            examples,
        })
    }

    /// Build scripts: writes `$OUT_DIR/<module>.rs` holding `pub mod <module> { … }`, prints
    /// `cargo:rerun-if-changed` for every file read and returns the written path. Include it with
    /// `include!(concat!(env!("OUT_DIR"), "/<module>.rs"));`.
    pub fn generate(&self) -> Result<PathBuf, Diagnostics> {
        let module = self.module();
        let generated = self.run(Some(&module))?;
        for file in &generated.files {
            println!("cargo:rerun-if-changed={}", file.display());
        }
        for w in &generated.warnings {
            let at = if w.line > 0 {
                format!("{}:{}:{}", w.file.display(), w.line, w.column)
            } else {
                w.file.display().to_string()
            };
            println!("cargo:warning={} ({at})", w.message);
        }
        let dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| {
                    Diagnostics::from(
                        Diagnostic::error("OUT_DIR is not set")
                            .help("call `generate()` from a build script, or set `out_dir(...)`"),
                    )
                })?,
        };
        let path = dir.join(format!("{module}.rs"));
        write_if_changed(&path, &generated.source)?;
        Ok(path)
    }

    fn run(&self, module: Option<&str>) -> Result<Generated, Diagnostics> {
        self.run_with(module, false).map(|(generated, _)| generated)
    }

    /// Generates; with `cases`, also the conformance cases module and its example count.
    fn run_with(
        &self,
        module: Option<&str>,
        cases: bool,
    ) -> Result<(Generated, Option<(String, usize)>), Diagnostics> {
        let bare_name = if self.integration.is_none() {
            Some(self.name.as_deref().unwrap_or_default())
        } else {
            None
        };
        check_names(bare_name, module)?;
        let mut files = Vec::new();
        let manifest = match &self.integration {
            Some(dir) => {
                let m = Manifest::load(dir)?;
                files.push(m.file().to_path_buf());
                Some(m)
            }
            None => None,
        };
        let spec = match (&self.spec, &manifest) {
            (Some(s), _) => s.clone(),
            (None, Some(m)) => m.spec_path().ok_or_else(|| {
                Diagnostics::from(
                    Diagnostic::error("the integration has no OpenAPI spec")
                        .file(m.file())
                        .help("add `spec = \"openapi.json\"` to the manifest, put an openapi.json beside it, or pass the spec path"),
                )
            })?,
            (None, None) => {
                return Err(Diagnostic::error("no spec given").help("pass a spec path").into());
            }
        };
        let mut loaded = load::load(&spec)?;
        crate::normalize::document(&mut loaded.root);
        files.extend(std::mem::take(&mut loaded.files));
        let (integration, test_endpoint, title) = match &manifest {
            Some(m) => (
                m.slug(),
                Some(m.test_endpoint().to_string()),
                m.name().to_string(),
            ),
            None => {
                let name = self.name.clone().unwrap_or_default();
                (paragon_manifest::slug(&name), None, name)
            }
        };
        let meta = Meta {
            integration,
            test_endpoint,
            title,
            source_name: spec
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let options = Options {
            filters: &self.filters,
            all_schemas: self.all_schemas,
            full_serde: self.full_serde,
            tolerant: self.tolerant,
            module,
            cases,
        };
        let api = manifest.as_ref().map(Manifest::api);
        if let Some(m) = &manifest
            && let Some(problem) = check_test_endpoint(&loaded.root, m)
        {
            loaded.warnings.push(problem);
        }
        let input = Input {
            root: &loaded.root,
            text: &loaded.text,
            spec: &spec,
            api,
            warnings: &loaded.warnings,
        };
        generate_from_value(&input, &meta, &options, files)
    }
}

struct Options<'a> {
    filters: &'a Filters,
    all_schemas: bool,
    full_serde: bool,
    tolerant: bool,
    module: Option<&'a str>,
    /// Also write the conformance cases module.
    cases: bool,
}

/// What one generation reads: the spec's document and text, and the manifest's API setup.
struct Input<'a> {
    root: &'a serde_json::Value,
    text: &'a str,
    spec: &'a Path,
    api: Option<&'a paragon_manifest::Api>,
    /// What loading degraded (refs to files or pointers that do not exist).
    warnings: &'a [Diagnostic],
}

fn generate_from_value(
    input: &Input<'_>,
    meta: &Meta,
    options: &Options<'_>,
    files: Vec<PathBuf>,
) -> Result<(Generated, Option<(String, usize)>), Diagnostics> {
    let (root, spec) = (input.root, input.spec);
    if !root.is_object() || root.get("paths").is_none() && root.get("components").is_none() {
        return Err(
            load::diag(spec, "not an OpenAPI document: no `paths` or `components`")
                .help("give an OpenAPI 3.0 or 3.1 document (JSON or YAML)")
                .into(),
        );
    }
    if let Some(v) = root.get("swagger") {
        return Err(load::diag(spec, format!("Swagger {v} is not supported"))
            .field("swagger")
            .help("convert the spec to OpenAPI 3 first")
            .into());
    }
    check_document(root, spec)?;
    let mut tg = TypeGen::new(root, spec.to_path_buf(), &[]);
    tg.source = input.text;
    let servers = crate::servers::Servers::new(root, input.api);
    let ops = operations::collect(&mut tg, options.filters, &servers);
    // A spec without operations is a library of types: generate them all.
    let no_operations = root
        .get("paths")
        .and_then(|p| p.as_object())
        .is_none_or(|p| p.is_empty());
    if options.all_schemas || (no_operations && options.filters.is_empty()) {
        tg.all_components();
    }
    tg.finish_names();
    if !tg.errors.is_empty() {
        let mut errors = std::mem::take(&mut tg.errors);
        errors.dedup_by(|a, b| a.message == b.message);
        return Err(Diagnostics(errors));
    }
    let mut warnings = input.warnings.to_vec();
    warnings.append(&mut tg.warnings);
    warnings.dedup_by(|a, b| a.message == b.message);
    let source = render::source(
        meta,
        &tg.defs,
        &ops,
        options.module,
        options.full_serde,
        options.tolerant,
    )
    .map_err(|e| Diagnostics::from(load::diag(spec, e)))?;
    let cases = if options.cases {
        let (tokens, count) = crate::conformance::cases(root, &ops, &tg.defs, &tg.components());
        let file: syn::File = syn::parse2(tokens)
            .map_err(|e| Diagnostics::from(load::diag(spec, format!("cases do not parse: {e}"))))?;
        let header = format!(
            "// @generated by paragon-codegen from `{}`: the conformance cases. Do not edit.\n",
            meta.source_name
        );
        Some((header + &prettyplease::unparse(&file), count))
    } else {
        None
    };
    let generated = Generated {
        source,
        files,
        operations: ops.len(),
        types: tg.defs.len(),
        warnings,
    };
    Ok((generated, cases))
}

/// The manifest field a test endpoint problem is reported at.
const TEST_ENDPOINT_FIELD: &str = "api.test_endpoint";

/// A problem when the manifest's test endpoint is not a `GET` of the spec: `test_connection`
/// would call something the spec does not promise to answer.
fn check_test_endpoint(root: &serde_json::Value, manifest: &Manifest) -> Option<Diagnostic> {
    let endpoint = manifest.test_endpoint();
    let wanted = endpoint.split('?').next().unwrap_or(endpoint);
    let paths = root.get("paths")?.as_object()?;
    let matching = paths.iter().find(|(p, _)| path_matches(p, wanted));
    let problem = match matching {
        Some((_, item)) if item.get("get").is_some() => return None,
        Some((p, _)) => {
            format!("the test endpoint `{endpoint}` is not a GET in the spec (`{p}` has no `get`)")
        }
        None => format!("the test endpoint `{endpoint}` is not a path of the spec"),
    };
    let near = crate::suggest::nearest(
        wanted,
        paths
            .iter()
            .filter(|(_, i)| i.get("get").is_some())
            .map(|(p, _)| p.as_str()),
        3,
    );
    let mut d = Diagnostic::error(problem)
        .file(manifest.file())
        .field(TEST_ENDPOINT_FIELD);
    if !near.is_empty() {
        d = d.help(format!(
            "the spec's nearest GET paths: {}",
            crate::suggest::listed(&near)
        ));
    }
    Some(d)
}

/// Whether a spec path template (`/users/{id}`) matches a concrete path (`/users/me`).
fn path_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}') && !p.is_empty()))
}

/// What would otherwise generate an empty or wrong client without a word: an OpenAPI version
/// this generator does not read, or `paths: null`.
fn check_document(root: &serde_json::Value, spec: &Path) -> Result<(), Diagnostics> {
    let version = match root.get("openapi") {
        Some(serde_json::Value::String(v)) => Some(v.clone()),
        Some(other) => Some(other.to_string()),
        None => None,
    };
    if let Some(v) = version
        && !(v.starts_with("3.0") || v.starts_with("3.1"))
    {
        return Err(load::diag(spec, format!("OpenAPI {v} is not supported"))
            .field("openapi")
            .help("paragon-codegen reads OpenAPI 3.0 and 3.1 documents")
            .into());
    }
    if root.get("paths").is_some_and(serde_json::Value::is_null) {
        return Err(load::diag(spec, "`paths` is null: the spec lists no operations")
            .field("paths")
            .help("write `paths: {}` for a spec of types only, or list the operations under `paths`")
            .into());
    }
    Ok(())
}

/// The integration name of a bare spec and the module name must make a client that compiles.
fn check_names(name: Option<&str>, module: Option<&str>) -> Result<(), Diagnostics> {
    let mut errors = Diagnostics::new();
    if let Some(name) = name
        && !name.chars().any(|c| c.is_ascii_alphanumeric())
    {
        errors.push(
            Diagnostic::error(format!(
                "the integration name `{name}` has no letter or digit"
            ))
            .field("name")
            .help("give the integration's display name, e.g. \"Task Lab\" (→ custom.tasklab)"),
        );
    }
    if let Some(module) = module
        && !is_identifier(module)
    {
        errors.push(
            Diagnostic::error(format!("the module name `{module}` is not a Rust identifier"))
                .field("module")
                .help("use snake case letters, digits and `_`, not starting with a digit, e.g. `task_lab`"),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "_"
        && syn::parse_str::<syn::Ident>(name).is_ok()
}

fn write_if_changed(path: &Path, contents: &str) -> Result<(), Diagnostics> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            Diagnostics::from(load::diag(
                dir,
                format!("cannot create the output folder: {e}"),
            ))
        })?;
    }
    std::fs::write(path, contents).map_err(|e| {
        Diagnostics::from(load::diag(
            path,
            format!("cannot write generated code: {e}"),
        ))
    })
}
