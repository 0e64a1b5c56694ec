//! Stage 3: the typed model the renderers work from — Rust types built from schemas.
//!
//! Every `$ref`'d schema becomes one named type; inline objects, enums and unions get names from
//! where they appear and identical inline schemas share one type.

use crate::load::{escape_pointer, resolve_pointer};
use crate::names::{Namer, camel, snake};
use crate::normalize;
use paragon_manifest::Diagnostic;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// A Rust type as used in a field, parameter or body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Ty {
    Bool,
    I64,
    F64,
    String,
    Value,
    Vec(Box<Ty>),
    Map(Box<Ty>),
    Option(Box<Ty>),
    Named(usize),
}

impl Ty {
    fn optional(self) -> Ty {
        match self {
            Ty::Option(_) | Ty::Value => self,
            other => Ty::Option(Box::new(other)),
        }
    }
}

/// A named type in the `types` module.
#[derive(Debug, Clone)]
pub(crate) struct Def {
    pub(crate) name: String,
    pub(crate) doc: Vec<String>,
    pub(crate) deprecated: bool,
    pub(crate) kind: DefKind,
}

#[derive(Debug, Clone)]
pub(crate) enum DefKind {
    Struct {
        fields: Vec<Field>,
        /// `additionalProperties` next to named properties: a flattened map.
        extra: Option<(String, Ty)>,
    },
    /// A string enum; unknown values are kept in a last `UnknownValue(String)` variant.
    StringEnum {
        variants: Vec<(String, String)>,
    },
    /// `oneOf`/`anyOf`: untagged, or dispatched on `discriminator` (property, value → variant index).
    Union {
        variants: Vec<(String, Ty)>,
        discriminator: Option<(String, Vec<(String, usize)>)>,
    },
    Alias(Ty),
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) wire: String,
    pub(crate) ty: Ty,
    /// Not required: `Option`, skipped when `None`.
    pub(crate) optional: bool,
    pub(crate) doc: Vec<String>,
    pub(crate) deprecated: bool,
}

/// Builds `Def`s from schemas.
pub(crate) struct TypeGen<'a> {
    pub(crate) root: &'a Value,
    pub(crate) file: PathBuf,
    /// The spec file's text, to place diagnostics at a line and column (empty when unknown).
    pub(crate) source: &'a str,
    pub(crate) defs: Vec<Def>,
    pub(crate) errors: Vec<Diagnostic>,
    /// What was degraded to keep generating (a dangling `$ref` typed as untyped JSON, ...).
    pub(crate) warnings: Vec<Diagnostic>,
    names: Namer,
    /// Names chosen up front for every component schema, so filters do not change them.
    reserved: HashMap<String, String>,
    by_ref: HashMap<String, usize>,
    inline: HashMap<String, usize>,
    /// Why the last `ty` call fell back to `serde_json::Value`, for a doc note.
    pub(crate) note: Option<String>,
    depth: usize,
}

const MAX_DEPTH: usize = 64;

/// Doc lines from `summary`/`title`/`description`: no carriage returns, no code blocks that
/// rustdoc would run as doctests.
pub(crate) fn doc_lines(parts: &[Option<&str>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for part in parts.iter().flatten() {
        let part = part.trim();
        if part.is_empty() || seen.contains(&part) {
            continue;
        }
        seen.push(part);
        if !out.is_empty() {
            out.push(String::new());
        }
        let mut in_fence = false;
        for line in part.replace("\r\n", "\n").replace('\r', "\n").lines() {
            let t = line.trim();
            if let Some(lang) = t.strip_prefix("```") {
                if in_fence {
                    out.push("```".into());
                } else {
                    out.push("```text".into());
                    let _ = lang;
                }
                in_fence = !in_fence;
            } else if in_fence {
                out.push(line.trim_end().to_string());
            } else {
                out.push(t.to_string());
            }
        }
        if in_fence {
            out.push("```".into());
        }
    }
    out
}

fn str_of<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

impl<'a> TypeGen<'a> {
    pub(crate) fn new(root: &'a Value, file: PathBuf, reserved_names: &[&str]) -> Self {
        let mut names = Namer::with_reserved(reserved_names);
        let mut reserved = HashMap::new();
        if let Some(schemas) = root
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        {
            for key in schemas.keys() {
                let r = format!("#/components/schemas/{}", escape_pointer(key));
                reserved.insert(r, names.unique(&camel(key, "Schema")));
            }
        }
        TypeGen {
            root,
            file,
            source: "",
            defs: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            names,
            reserved,
            by_ref: HashMap::new(),
            inline: HashMap::new(),
            note: None,
            depth: 0,
        }
    }

    /// Generates every component schema (in name order).
    pub(crate) fn all_components(&mut self) {
        if let Some(schemas) = self
            .root
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        {
            for key in schemas.keys() {
                let r = format!("#/components/schemas/{}", escape_pointer(key));
                self.named(&r);
            }
        }
    }

    /// Resolves a `$ref` (following chains of refs), recording an error when it does not resolve.
    pub(crate) fn deref<'v>(&mut self, v: &'v Value) -> Option<&'v Value>
    where
        'a: 'v,
    {
        let mut cur = v;
        for _ in 0..32 {
            match str_of(cur, "$ref") {
                Some(r) => cur = self.resolve(r)?,
                None => return Some(cur),
            }
        }
        self.warnings.push(
            crate::load::diag(&self.file, "a cycle of $refs that refer only to each other")
                .help("the schema is typed as untyped JSON (`serde_json::Value`)"),
        );
        None
    }

    /// Whether following `r` through schemas that are only a `$ref` comes back to `r`: such a
    /// type holds no value (`struct A(Box<B>); struct B(Box<A>);`).
    fn is_ref_cycle(&self, r: &str) -> bool {
        let mut seen = vec![r];
        let mut cur = r;
        loop {
            let Some(next) = cur
                .strip_prefix('#')
                .and_then(|p| resolve_pointer(self.root, p))
                .and_then(|s| str_of(s, "$ref"))
            else {
                return false;
            };
            if seen.contains(&next) {
                return true;
            }
            seen.push(next);
            cur = next;
        }
    }

    fn resolve(&mut self, r: &str) -> Option<&'a Value> {
        let root: &'a Value = self.root;
        let found = r.strip_prefix('#').and_then(|p| resolve_pointer(root, p));
        if found.is_none() {
            let unresolved = crate::load::diag(&self.file, format!("unresolvable $ref `{r}`"));
            // Published specs ship such refs; one must not cost the rest of the spec.
            self.warnings.push(crate::refs::explain(
                unresolved,
                Some(self.source),
                r,
                Some(root),
            ));
        }
        found
    }

    /// The named type for a `$ref`.
    pub(crate) fn named(&mut self, r: &str) -> Ty {
        if let Some(&id) = self.by_ref.get(r) {
            return Ty::Named(id);
        }
        if self.is_ref_cycle(r) {
            let cycle = crate::load::diag(
                &self.file,
                format!("`$ref` `{r}` is a cycle of $refs that refer only to each other"),
            );
            self.warnings.push(crate::refs::explain(cycle, Some(self.source), r, None).help(
                "no value can have such a type: it is typed as untyped JSON (`serde_json::Value`)",
            ));
            self.note = Some(format!(
                "Untyped: `{r}` is a cycle of $refs that refer only to each other."
            ));
            return Ty::Value;
        }
        let Some(schema) = self.resolve(r) else {
            self.note = Some(format!(
                "Untyped: `$ref` `{r}` does not resolve in the spec, so this is any JSON value."
            ));
            return Ty::Value;
        };
        let name = match self.reserved.get(r) {
            Some(n) => n.clone(),
            None => {
                let last = r
                    .rsplit('/')
                    .next()
                    .unwrap_or("Schema")
                    .replace("~1", "/")
                    .replace("~0", "~");
                self.names.unique(&camel(&last, "Schema"))
            }
        };
        let id = self.push_def(name.clone());
        self.by_ref.insert(r.to_string(), id);
        let kind = self.def_kind(schema, &name);
        let def = &mut self.defs[id];
        def.doc = doc_lines(&[str_of(schema, "title"), str_of(schema, "description")]);
        def.deprecated = schema.get("deprecated") == Some(&Value::Bool(true));
        def.kind = kind;
        if let Some(note) = self.note.take() {
            let def = &mut self.defs[id];
            if !def.doc.is_empty() {
                def.doc.push(String::new());
            }
            def.doc.push(note);
        }
        Ty::Named(id)
    }

    fn push_def(&mut self, name: String) -> usize {
        self.defs.push(Def {
            name,
            doc: Vec::new(),
            deprecated: false,
            kind: DefKind::Alias(Ty::Value),
        });
        self.defs.len() - 1
    }

    /// What a named schema becomes: its own struct/enum/union, or an alias of another type.
    fn def_kind(&mut self, schema: &Value, name: &str) -> DefKind {
        let norm = normalize::schema(schema);
        if let Some(obj) = norm.as_object() {
            let nullable = is_nullable(obj);
            if !nullable
                && str_of(&norm, "$ref").is_none()
                && let Some(kind) = self.shape(obj, name)
            {
                return kind;
            }
        }
        DefKind::Alias(self.ty(schema, name))
    }

    /// The Rust type of a schema; `hint` names any new type it needs.
    pub(crate) fn ty(&mut self, schema: &Value, hint: &str) -> Ty {
        if self.depth > MAX_DEPTH {
            self.note = Some("Untyped: the schema nests too deeply.".into());
            return Ty::Value;
        }
        self.depth += 1;
        let t = self.ty_inner(schema, hint);
        self.depth -= 1;
        t
    }

    fn ty_inner(&mut self, schema: &Value, hint: &str) -> Ty {
        let norm = normalize::schema(schema);
        let Some(obj) = norm.as_object() else {
            return Ty::Value;
        };
        let nullable = is_nullable(obj);
        let base = self.base_ty(obj, hint);
        if nullable { base.optional() } else { base }
    }

    fn base_ty(&mut self, obj: &Map<String, Value>, hint: &str) -> Ty {
        if let Some(Value::String(r)) = obj.get("$ref") {
            return self.named(r);
        }
        if let Some(Value::Array(values)) = obj.get("enum") {
            let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            let non_null = values.iter().filter(|v| !v.is_null()).count();
            if !strings.is_empty() && strings.len() == non_null {
                return self.inline_def(obj, hint);
            }
            // Numbers or booleans: the plain type, with the allowed values in the docs.
            let shown: Vec<String> = values.iter().take(20).map(Value::to_string).collect();
            let more = if values.len() > 20 { ", …" } else { "" };
            self.note = Some(format!("One of: {}{more}.", shown.join(", ")));
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(members)) = obj.get(key) {
                if members.len() == 1 {
                    return self.ty(&members[0], hint);
                }
                if !members.is_empty() {
                    return self.inline_def(obj, hint);
                }
            }
        }
        if let Some(Value::Array(members)) = obj.get("allOf") {
            let own = obj
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| !p.is_empty());
            if members.len() == 1 && !own {
                return self.ty(&members[0], hint);
            }
            if !members.is_empty() {
                return self.inline_def(obj, hint);
            }
        }
        match obj.get("type").and_then(Value::as_str) {
            Some("string") => Ty::String,
            Some("integer") => Ty::I64,
            Some("number") => Ty::F64,
            Some("boolean") => Ty::Bool,
            Some("array") => match obj.get("items") {
                Some(items) if items.is_object() => {
                    Ty::Vec(Box::new(self.ty(items, &format!("{hint}Item"))))
                }
                _ => Ty::Vec(Box::new(Ty::Value)),
            },
            Some("object") | None => {
                let has_props = obj
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_some_and(|p| !p.is_empty());
                if has_props {
                    return self.inline_def(obj, hint);
                }
                match obj.get("additionalProperties") {
                    Some(addl @ Value::Object(m)) if !m.is_empty() => {
                        Ty::Map(Box::new(self.ty(addl, &format!("{hint}Value"))))
                    }
                    _ if obj.get("type").is_some() || obj.contains_key("additionalProperties") => {
                        Ty::Map(Box::new(Ty::Value))
                    }
                    _ => Ty::Value,
                }
            }
            Some(other) => {
                self.note = Some(format!("Untyped: schema type `{other}` is not supported."));
                Ty::Value
            }
        }
    }

    /// A new named type for an inline schema, shared with identical inline schemas.
    fn inline_def(&mut self, obj: &Map<String, Value>, hint: &str) -> Ty {
        let key = serde_json::to_string(&shape_key(obj)).unwrap_or_default();
        if let Some(&id) = self.inline.get(&key) {
            return Ty::Named(id);
        }
        let name = self.names.unique(&camel(hint, "Type"));
        let id = self.push_def(name.clone());
        self.inline.insert(key, id);
        let kind = match self.shape(obj, &name) {
            Some(k) => k,
            None => DefKind::Alias(Ty::Value),
        };
        self.defs[id].kind = kind;
        self.defs[id].deprecated = obj.get("deprecated") == Some(&Value::Bool(true));
        if let Some(note) = self.note.take() {
            self.defs[id].doc.push(note);
        }
        Ty::Named(id)
    }

    /// The shape of an object, enum or union schema; `None` for anything else.
    fn shape(&mut self, obj: &Map<String, Value>, name: &str) -> Option<DefKind> {
        if let Some(Value::Array(values)) = obj.get("enum") {
            let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            let non_null = values.iter().filter(|v| !v.is_null()).count();
            if !strings.is_empty() && strings.len() == non_null {
                let mut namer = Namer::with_reserved(&["UnknownValue"]);
                let mut variants = Vec::new();
                let mut seen = Vec::new();
                for s in strings {
                    if seen.contains(&s) {
                        continue;
                    }
                    seen.push(s);
                    variants.push((namer.unique(&camel(s, "Empty")), s.to_string()));
                }
                return Some(DefKind::StringEnum { variants });
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(members)) = obj.get(key)
                && members.len() > 1
            {
                return Some(self.union(obj, members, name));
            }
        }
        if let Some(Value::Array(members)) = obj.get("allOf") {
            return Some(match self.merge_all_of(obj, members) {
                Ok(merged) => self.object(&merged, name),
                Err(why) => {
                    self.note = Some(format!("Untyped: {why}."));
                    DefKind::Alias(Ty::Value)
                }
            });
        }
        let is_object = matches!(
            obj.get("type").and_then(Value::as_str),
            Some("object") | None
        );
        let has_props = obj
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty());
        if is_object && has_props {
            return Some(self.object(obj, name));
        }
        None
    }

    fn union(&mut self, obj: &Map<String, Value>, members: &[Value], name: &str) -> DefKind {
        let mut namer = Namer::with_reserved(&["Unknown"]);
        let mut variants: Vec<(String, Ty)> = Vec::new();
        let mut refs: Vec<Option<String>> = Vec::new();
        for (i, m) in members.iter().enumerate() {
            let r = str_of(m, "$ref").map(str::to_string);
            let base = match &r {
                Some(r) => camel(r.rsplit('/').next().unwrap_or(""), "Variant"),
                None => variant_name(m, i),
            };
            let ty = self.ty(m, &format!("{name}{base}"));
            if variants.iter().any(|(_, t)| *t == ty) {
                continue;
            }
            variants.push((namer.unique(&base), ty));
            refs.push(r);
        }
        let discriminator = obj
            .get("discriminator")
            .and_then(|d| str_of(d, "propertyName"))
            .filter(|_| refs.iter().all(Option::is_some))
            .map(|prop| {
                let mapping = obj
                    .get("discriminator")
                    .and_then(|d| d.get("mapping"))
                    .and_then(Value::as_object);
                let mut cases = Vec::new();
                for (i, r) in refs.iter().enumerate() {
                    let Some(r) = r else { continue };
                    let mut mapped = false;
                    if let Some(mapping) = mapping {
                        for (value, target) in mapping {
                            let target = target.as_str().unwrap_or_default();
                            if target == r
                                || (!target.contains('/') && r.ends_with(&format!("/{target}")))
                            {
                                cases.push((value.clone(), i));
                                mapped = true;
                            }
                        }
                    }
                    if !mapped {
                        cases.push((r.rsplit('/').next().unwrap_or_default().to_string(), i));
                    }
                }
                (prop.to_string(), cases)
            });
        DefKind::Union {
            variants,
            discriminator,
        }
    }

    /// Merges `allOf` members (following refs) into one object schema, later members refining
    /// earlier ones.
    fn merge_all_of(
        &mut self,
        obj: &Map<String, Value>,
        members: &[Value],
    ) -> Result<Map<String, Value>, String> {
        crate::allof::merge(obj, members, &mut |v| self.deref(v).cloned())
    }

    fn object(&mut self, obj: &Map<String, Value>, name: &str) -> DefKind {
        let required: Vec<&str> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let empty = Map::new();
        let props = obj
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut namer = Namer::default();
        let mut fields = Vec::new();
        let sorted: BTreeMap<&String, &Value> = props.iter().collect();
        for (wire, schema) in sorted {
            let field_name = namer.unique(&snake(wire, "field"));
            let ty = self.ty(schema, &format!("{name}{}", camel(wire, "Field")));
            let note = self.note.take();
            let norm = normalize::schema(schema);
            let mut doc = doc_lines(&[str_of(&norm, "title"), str_of(&norm, "description")]);
            if let Some(note) = note {
                if !doc.is_empty() {
                    doc.push(String::new());
                }
                doc.push(note);
            }
            fields.push(Field {
                name: field_name,
                wire: wire.clone(),
                ty,
                optional: !required.contains(&wire.as_str()),
                doc,
                deprecated: norm.get("deprecated") == Some(&Value::Bool(true)),
            });
        }
        let extra = match obj.get("additionalProperties") {
            Some(addl @ Value::Object(m)) if !m.is_empty() => {
                let ty = self.ty(addl, &format!("{name}Value"));
                self.note = None;
                Some((namer.unique("additional_properties"), ty))
            }
            _ => None,
        };
        DefKind::Struct { fields, extra }
    }
}

/// Keywords that only document a schema: inline schemas that differ in these alone share a type.
const DOC_KEYWORDS: &[&str] = &[
    "description",
    "title",
    "example",
    "examples",
    "externalDocs",
    "$comment",
];

/// A schema without its documentation keywords (at every level), for deduplicating inline types.
/// Property names are kept as they are: a property called `description` is part of the shape.
fn shape_key(obj: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in obj {
        if DOC_KEYWORDS.contains(&k.as_str()) || k.starts_with("x-") {
            continue;
        }
        let v = match (k.as_str(), v) {
            (
                "properties" | "patternProperties" | "definitions" | "$defs",
                Value::Object(props),
            ) => Value::Object(
                props
                    .iter()
                    .map(|(name, s)| (name.clone(), schema_key(s)))
                    .collect(),
            ),
            ("items" | "additionalProperties" | "not", s) => schema_key(s),
            ("allOf" | "oneOf" | "anyOf" | "prefixItems", Value::Array(items)) => {
                Value::Array(items.iter().map(schema_key).collect())
            }
            (_, v) => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    out
}

fn schema_key(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(shape_key(o)),
        other => other.clone(),
    }
}

fn is_nullable(obj: &Map<String, Value>) -> bool {
    obj.get("nullable") == Some(&Value::Bool(true))
        || obj.get("x-nullable") == Some(&Value::Bool(true))
}

fn variant_name(m: &Value, i: usize) -> String {
    if let Some(t) = str_of(m, "title") {
        return camel(t, "Variant");
    }
    match str_of(m, "type") {
        Some("string") if m.get("enum").is_some() => format!("Variant{i}"),
        Some("string") => "String".into(),
        Some("integer") => "Integer".into(),
        Some("number") => "Number".into(),
        Some("boolean") => "Boolean".into(),
        Some("array") => "Array".into(),
        Some("object") => "Object".into(),
        _ => format!("Variant{i}"),
    }
}
