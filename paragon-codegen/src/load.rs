//! Stage 1: read a spec (JSON or YAML) into a `serde_json::Value`, with line/column errors, and
//! pull `$ref`s to sibling files into the one document.

use paragon_manifest::{Diagnostic, Diagnostics};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// A spec read from disk with its sibling-file references resolved.
pub(crate) struct Loaded {
    pub(crate) root: Value,
    /// Every file read, for `cargo:rerun-if-changed`.
    pub(crate) files: Vec<PathBuf>,
    /// The text of the spec file itself, to place later diagnostics at a line and column.
    pub(crate) text: String,
    /// Refs to sibling files or pointers that do not exist, typed as untyped JSON.
    pub(crate) warnings: Vec<Diagnostic>,
}

/// Reads `path` and resolves refs to sibling files.
pub(crate) fn load(path: &Path) -> Result<Loaded, Diagnostics> {
    let mut loader = Loader::default();
    let mut root = loader.read(path)?;
    loader.rewrite(&mut root, path, true, 0)?;
    if !loader.imported_schemas.is_empty() {
        insert_schemas(&mut root, std::mem::take(&mut loader.imported_schemas));
    }
    let text = loader.texts.remove(path).unwrap_or_default();
    Ok(Loaded {
        root,
        files: loader.files,
        text,
        warnings: loader.warnings,
    })
}

/// Parses spec text; YAML unless it looks like JSON (or the file says `.json`).
pub(crate) fn parse(text: &str, path: &Path) -> Result<Value, Diagnostics> {
    let is_json =
        path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
    if is_json {
        serde_json::from_str(text)
            .map_err(|e| {
                crate::load::diag(
                    path,
                    format!("invalid JSON: {}", strip_position(&e.to_string())),
                )
                .into_position(text, e.line(), e.column())
            })
            .map_err(Diagnostics::from)
    } else {
        let crate::yaml::Json(value) = serde_norway::from_str(text).map_err(|e| {
            let mut d = crate::load::diag(
                path,
                format!("invalid YAML: {}", strip_position(&e.to_string())),
            );
            if let Some(loc) = e.location() {
                d = d.into_position(text, loc.line(), loc.column());
            }
            d
        })?;
        Ok(value)
    }
}

/// serde errors end with " at line L column C"; we print the position separately.
fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[derive(Default)]
struct Loader {
    docs: HashMap<PathBuf, Value>,
    files: Vec<PathBuf>,
    /// (file, pointer) of an imported schema → its local ref.
    imported: HashMap<(PathBuf, String), String>,
    imported_schemas: Vec<(String, Value)>,
    taken: BTreeSet<String>,
    /// The text of every file read, to place a `$ref` that does not resolve.
    texts: HashMap<PathBuf, String>,
    warnings: Vec<Diagnostic>,
}

const MAX_DEPTH: usize = 48;

impl Loader {
    fn read(&mut self, path: &Path) -> Result<Value, Diagnostics> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::load::diag(path, format!("cannot read spec: {e}")))?;
        self.files.push(path.to_path_buf());
        let value = parse(&text, path)?;
        self.texts.insert(path.to_path_buf(), text);
        if self.files.len() == 1
            && let Some(schemas) = value
                .pointer("/components/schemas")
                .and_then(Value::as_object)
        {
            self.taken.extend(schemas.keys().cloned());
        }
        Ok(value)
    }

    fn doc(&mut self, path: &Path) -> Result<&Value, Diagnostics> {
        if !self.docs.contains_key(path) {
            let v = self.read(path)?;
            self.docs.insert(path.to_path_buf(), v);
        }
        Ok(&self.docs[path])
    }

    fn rewrite(
        &mut self,
        v: &mut Value,
        file: &Path,
        is_root: bool,
        depth: usize,
    ) -> Result<(), Diagnostics> {
        match v {
            Value::Array(items) => {
                for item in items {
                    self.rewrite(item, file, is_root, depth)?;
                }
            }
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    let r = r.clone();
                    let (file_part, pointer) = match r.split_once('#') {
                        Some((f, p)) => (f, p.to_string()),
                        None => (r.as_str(), String::new()),
                    };
                    if file_part.is_empty() && is_root {
                        return Ok(());
                    }
                    if file_part.starts_with("http://") || file_part.starts_with("https://") {
                        return Err(crate::load::diag(file, format!("remote $ref `{r}` is not supported"))
                            .help("download the referenced file beside the spec and refer to it by a relative path")
                            .into());
                    }
                    let target = if file_part.is_empty() {
                        file.to_path_buf()
                    } else {
                        file.parent().unwrap_or(Path::new(".")).join(file_part)
                    };
                    if depth > MAX_DEPTH {
                        return Err(crate::load::diag(
                            file,
                            format!("$ref `{r}` nests too deeply (a cycle between files?)"),
                        )
                        .into());
                    }
                    let named = pointer.starts_with("/components/schemas/")
                        || pointer.starts_with("/definitions/");
                    let key = (target.clone(), pointer.clone());
                    if named && let Some(local) = self.imported.get(&key) {
                        *v = ref_value(local);
                        return Ok(());
                    }
                    // Published specs ship refs to files and pointers that do not exist: warn,
                    // type that schema as untyped JSON, and generate the rest.
                    if !target.is_file() {
                        let missing = diag(
                            file,
                            format!(
                                "$ref `{r}` names `{}`, which does not exist",
                                target.display()
                            ),
                        );
                        let text = self.texts.get(file).map(String::as_str);
                        let help = format!(
                            "put `{file_part}` beside `{}`, or fix the path in the $ref; until then the schema is untyped JSON",
                            file.display()
                        );
                        self.warnings
                            .push(crate::refs::explain(missing, text, &r, None).help(help));
                        *v = untyped(&r);
                        return Ok(());
                    }
                    let found = resolve_pointer(self.doc(&target)?, &pointer).cloned();
                    let Some(mut value) = found else {
                        let text = self.texts.get(file).map(String::as_str);
                        let unresolved = diag(file, format!("unresolvable $ref `{r}`"));
                        self.warnings.push(crate::refs::explain(
                            unresolved,
                            text,
                            &r,
                            self.docs.get(&target),
                        ));
                        *v = untyped(&r);
                        return Ok(());
                    };
                    if named {
                        let base = pointer.rsplit('/').next().unwrap_or("Schema").to_string();
                        let mut name = base.clone();
                        let mut n = 2;
                        while self.taken.contains(&name) {
                            name = format!("{base}{n}");
                            n += 1;
                        }
                        self.taken.insert(name.clone());
                        let local = format!("#/components/schemas/{}", escape_pointer(&name));
                        self.imported.insert(key, local.clone());
                        self.rewrite(&mut value, &target, false, depth + 1)?;
                        self.imported_schemas.push((name, value));
                        *v = ref_value(&local);
                    } else {
                        self.rewrite(&mut value, &target, false, depth + 1)?;
                        *v = value;
                    }
                    return Ok(());
                }
                for (_, child) in map.iter_mut() {
                    self.rewrite(child, file, is_root, depth)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// What stands for a schema whose `$ref` does not resolve: any JSON value, saying why in its docs.
fn untyped(r: &str) -> Value {
    let mut m = Map::new();
    let why = format!("Untyped: `$ref` `{r}` does not resolve, so this is any JSON value.");
    m.insert("description".into(), Value::String(why));
    Value::Object(m)
}

fn ref_value(r: &str) -> Value {
    let mut m = Map::new();
    m.insert("$ref".into(), Value::String(r.to_string()));
    Value::Object(m)
}

fn insert_schemas(root: &mut Value, schemas: Vec<(String, Value)>) {
    let Some(obj) = root.as_object_mut() else {
        return;
    };
    let components = obj
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()));
    if !components.is_object() {
        *components = Value::Object(Map::new());
    }
    let Some(components) = components.as_object_mut() else {
        return;
    };
    let target = components
        .entry("schemas")
        .or_insert_with(|| Value::Object(Map::new()));
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Some(target) = target.as_object_mut() {
        for (name, schema) in schemas {
            target.insert(name, schema);
        }
    }
}

/// `~` and `/` escaped as in RFC 6901.
pub(crate) fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Resolves an RFC 6901 pointer (as found after `#` in a `$ref`, percent-decoded).
pub(crate) fn resolve_pointer<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    let pointer = percent_decode(pointer);
    if pointer.is_empty() {
        return Some(root);
    }
    if !pointer.starts_with('/') {
        return None;
    }
    let mut cur = root;
    for token in pointer[1..].split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        cur = match cur {
            Value::Object(m) => m.get(&token)?,
            Value::Array(a) => a.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A problem about `file`.
pub(crate) fn diag(file: &Path, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(message).file(file)
}

/// Places a diagnostic at a 1-based line and column, showing the line when it is short enough
/// to read (minified JSON is one huge line).
trait Position {
    fn into_position(self, text: &str, line: usize, column: usize) -> Self;
}

impl Position for Diagnostic {
    fn into_position(self, text: &str, line: usize, column: usize) -> Self {
        let start = text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum::<usize>();
        let line_text = text[start..].split('\n').next().unwrap_or("");
        if line_text.len() > 200 || line == 0 {
            return self.at(line, column);
        }
        // serde reports byte columns; keep them on a char boundary within the line.
        let mut offset = start + column.saturating_sub(1).min(line_text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        self.span(text, offset..offset + 1)
    }
}
