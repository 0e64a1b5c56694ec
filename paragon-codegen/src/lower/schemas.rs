//! Lowering schemas: the IR's named Rust types ([`Def`]) built from the spec's schemas.
//!
//! Every `$ref`'d schema becomes one named type; inline objects, enums and unions get names from
//! where they appear and identical inline schemas share one type. An inline schema identical to
//! a component schema is that component's type. Inline types are named once every operation has
//! been read ([`TypeGen::finish_names`]), by what they are rather than by which operation came
//! first: see [`Place`].

use crate::ir::{Def, DefKind, Field, Ty};
use crate::load::{escape_pointer, resolve_pointer};
use crate::lower::spec::Schema;
use crate::lower::type_names::{Inline, Place};
use crate::names::{Namer, camel, snake};
use paragon_manifest::Diagnostic;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

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
    /// Inline types by index in `defs`: their shape key and the places they appear.
    inline_uses: HashMap<usize, Inline>,
    /// Component schemas that become a type of their own, by shape key (built on first use).
    component_shapes: Option<HashMap<String, String>>,
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
            inline_uses: HashMap::new(),
            component_shapes: None,
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

    /// The component schemas that have a type, by name, with their index in `defs`.
    pub(crate) fn components(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = self
            .by_ref
            .iter()
            .filter_map(|(r, &id)| {
                let name = r.strip_prefix("#/components/schemas/")?;
                Some((name.replace("~1", "/").replace("~0", "~"), id))
            })
            .collect();
        out.sort();
        out
    }

    /// Names every inline type, once all operations have been read: see [`crate::lower::type_names`].
    pub(crate) fn finish_names(&mut self) {
        let uses = std::mem::take(&mut self.inline_uses);
        crate::lower::type_names::assign(&mut self.defs, &uses, &mut self.names);
    }

    /// The component schema whose own type has this shape key, if any.
    fn component_with_shape(&mut self, key: &str) -> Option<String> {
        let root = self.root;
        let shapes = self.component_shapes.get_or_insert_with(|| {
            let mut shapes = HashMap::new();
            let Some(schemas) = root
                .pointer("/components/schemas")
                .and_then(Value::as_object)
            else {
                return shapes;
            };
            let sorted: BTreeMap<&String, &Value> = schemas.iter().collect();
            for (name, schema) in sorted {
                if let Some(obj) = schema.as_object().filter(|o| has_shape(o)) {
                    let key = serde_json::to_string(&shape_key(obj)).unwrap_or_default();
                    let r = format!("#/components/schemas/{}", escape_pointer(name));
                    shapes.entry(key).or_insert(r);
                }
            }
            shapes
        });
        shapes.get(key).cloned()
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
        let kind = self.def_kind(schema, id);
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
    fn def_kind(&mut self, schema: &Value, id: usize) -> DefKind {
        if let Some(obj) = schema.as_object() {
            let nullable = is_nullable(obj);
            if !nullable
                && str_of(schema, "$ref").is_none()
                && let Some(kind) = self.shape(obj, id)
            {
                return kind;
            }
        }
        DefKind::Alias(self.ty_at(schema, &Place::def(id, "")))
    }

    /// The Rust type of a schema used as `member` of the operation whose builder is `builder`.
    pub(crate) fn ty(&mut self, schema: &Value, builder: &str, member: &str) -> Ty {
        self.ty_at(schema, &Place::op(builder, member))
    }

    /// The Rust type of a schema; `at` names any new type it needs.
    fn ty_at(&mut self, schema: &Value, at: &Place) -> Ty {
        if self.depth > MAX_DEPTH {
            self.note = Some("Untyped: the schema nests too deeply.".into());
            return Ty::Value;
        }
        self.depth += 1;
        let t = self.ty_inner(schema, at);
        self.depth -= 1;
        t
    }

    fn ty_inner(&mut self, schema: &Value, at: &Place) -> Ty {
        let Some(obj) = schema.as_object() else {
            return Ty::Value;
        };
        let nullable = is_nullable(obj);
        let base = self.base_ty(obj, at);
        if nullable { base.optional() } else { base }
    }

    fn base_ty(&mut self, obj: &Map<String, Value>, hint: &Place) -> Ty {
        let s = Schema(obj);
        if let Some(r) = s.reference() {
            return self.named(r);
        }
        if let Some(values) = s.enum_values() {
            if s.string_enum().is_some() {
                return self.inline_def(obj, hint);
            }
            // Numbers or booleans: the plain type, with the allowed values in the docs.
            let shown: Vec<String> = values.iter().take(20).map(Value::to_string).collect();
            let more = if values.len() > 20 { ", …" } else { "" };
            self.note = Some(format!("One of: {}{more}.", shown.join(", ")));
        }
        for members in s.unions() {
            if members.len() == 1 {
                return self.ty_at(&members[0], hint);
            }
            if !members.is_empty() {
                return self.inline_def(obj, hint);
            }
        }
        if let Some(members) = s.all_of() {
            if members.len() == 1 && !s.has_properties() {
                return self.ty_at(&members[0], hint);
            }
            if !members.is_empty() {
                return self.inline_def(obj, hint);
            }
        }
        match s.type_name() {
            Some("string") => Ty::String,
            Some("integer") if s.unsigned() => Ty::U64,
            Some("integer") => Ty::I64,
            Some("number") => Ty::F64,
            Some("boolean") => Ty::Bool,
            Some("array") => match s.items() {
                Some(items) if items.is_object() => {
                    Ty::Vec(Box::new(self.ty_at(items, &hint.nested("Item"))))
                }
                _ => Ty::Vec(Box::new(Ty::Value)),
            },
            Some("object") | None => {
                if s.has_properties() {
                    return self.inline_def(obj, hint);
                }
                match s.additional_properties() {
                    Some(addl @ Value::Object(m)) if !m.is_empty() => {
                        Ty::Map(Box::new(self.ty_at(addl, &hint.nested("Value"))))
                    }
                    _ if s.has_type() || s.additional_properties().is_some() => {
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

    /// A named type for an inline schema: the component schema it is identical to, or a new
    /// type shared with identical inline schemas and named at the end.
    fn inline_def(&mut self, obj: &Map<String, Value>, at: &Place) -> Ty {
        // Nullability is applied around the type by the caller, so it is no part of the shape.
        let mut bare = shape_key(obj);
        bare.remove("nullable");
        bare.remove("x-nullable");
        let key = serde_json::to_string(&bare).unwrap_or_default();
        if let Some(r) = self.component_with_shape(&key) {
            return self.named(&r);
        }
        if let Some(&id) = self.inline.get(&key) {
            if let Some(inline) = self.inline_uses.get_mut(&id) {
                inline.places.insert(at.clone());
            }
            return Ty::Named(id);
        }
        let id = self.push_def(String::new());
        self.inline.insert(key.clone(), id);
        self.inline_uses.insert(
            id,
            Inline {
                key,
                places: BTreeSet::from([at.clone()]),
            },
        );
        let kind = match self.shape(obj, id) {
            Some(k) => k,
            None => DefKind::Alias(Ty::Value),
        };
        self.defs[id].kind = kind;
        self.defs[id].deprecated = Schema(obj).deprecated();
        if let Some(note) = self.note.take() {
            self.defs[id].doc.push(note);
        }
        Ty::Named(id)
    }

    /// The shape of an object, enum or union schema; `None` for anything else.
    fn shape(&mut self, obj: &Map<String, Value>, id: usize) -> Option<DefKind> {
        let schema = Schema(obj);
        if let Some(strings) = schema.string_enum() {
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
        if let Some(members) = schema.unions().find(|m| m.len() > 1) {
            return Some(self.union(obj, members, id));
        }
        if let Some(members) = schema.all_of() {
            return Some(match self.merge_all_of(obj, members) {
                Ok(merged) => self.object(&merged, id),
                Err(why) => {
                    self.note = Some(format!("Untyped: {why}."));
                    DefKind::Alias(Ty::Value)
                }
            });
        }
        if schema.is_object() && schema.has_properties() {
            return Some(self.object(obj, id));
        }
        None
    }

    fn union(&mut self, obj: &Map<String, Value>, members: &[Value], id: usize) -> DefKind {
        let mut namer = Namer::with_reserved(&["Unknown"]);
        let mut variants: Vec<(String, Ty)> = Vec::new();
        let mut refs: Vec<Option<String>> = Vec::new();
        for (i, m) in members.iter().enumerate() {
            let r = str_of(m, "$ref").map(str::to_string);
            let base = match &r {
                Some(r) => camel(r.rsplit('/').next().unwrap_or(""), "Variant"),
                None => variant_name(m, i),
            };
            let variant = namer.unique(&base);
            let ty = self.ty_at(m, &Place::def(id, variant.clone()));
            if variants.iter().any(|(_, t)| *t == ty) {
                continue;
            }
            variants.push((variant, ty));
            refs.push(r);
        }
        let discriminator = Schema(obj)
            .discriminator()
            .filter(|_| refs.iter().all(Option::is_some))
            .map(|(prop, mapping)| {
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
        if discriminator.is_none() {
            // serde tries untagged variants in order, and structs ignore members they do not
            // declare: a struct first would take another member's value and drop the rest
            // (GitHub's review-custom-gates body lost its `state`). Structs with more required
            // fields go first.
            variants.sort_by_key(|(_, t)| std::cmp::Reverse(self.specificity(t)));
        }
        DefKind::Union {
            variants,
            discriminator,
        }
    }

    /// How much of a value a union member demands: a struct's required and declared fields.
    fn specificity(&self, t: &Ty) -> (usize, usize) {
        match t {
            Ty::Named(id) => match &self.defs[*id].kind {
                DefKind::Struct { fields, .. } => {
                    (fields.iter().filter(|f| !f.optional).count(), fields.len())
                }
                _ => (0, 0),
            },
            _ => (0, 0),
        }
    }

    /// Merges `allOf` members (following refs) into one object schema, later members refining
    /// earlier ones.
    fn merge_all_of(
        &mut self,
        obj: &Map<String, Value>,
        members: &[Value],
    ) -> Result<Map<String, Value>, String> {
        crate::lower::allof::merge(obj, members, &mut |v| self.deref(v).cloned())
    }

    fn object(&mut self, obj: &Map<String, Value>, id: usize) -> DefKind {
        let required = Schema(obj).required();
        let empty = Map::new();
        let props = Schema(obj).properties().unwrap_or(&empty);
        let mut namer = Namer::default();
        let mut fields = Vec::new();
        let sorted: BTreeMap<&String, &Value> = props.iter().collect();
        for (wire, schema) in sorted {
            let field_name = namer.unique(&snake(wire, "field"));
            let ty = self.ty_at(schema, &Place::def(id, camel(wire, "Field")));
            let note = self.note.take();
            let mut doc = doc_lines(&[str_of(schema, "title"), str_of(schema, "description")]);
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
                deprecated: schema.get("deprecated") == Some(&Value::Bool(true)),
            });
        }
        let (extra, open) = match Schema(obj).additional_properties() {
            Some(addl @ Value::Object(m)) if !m.is_empty() => {
                let ty = self.ty_at(addl, &Place::def(id, "Value"));
                self.note = None;
                (Some((namer.unique("additional_properties"), ty)), None)
            }
            Some(Value::Bool(false)) => (None, None),
            _ => (None, Some(namer.unique("additional_properties"))),
        };
        DefKind::Struct {
            fields,
            extra,
            open,
        }
    }
}

/// Keywords that document or constrain a schema without changing its Rust type: inline schemas
/// that differ in these alone share a type (`direction` with `default: desc` and without).
const DOC_KEYWORDS: &[&str] = &[
    "description",
    "title",
    "example",
    "examples",
    "externalDocs",
    "$comment",
    "default",
    "readOnly",
    "writeOnly",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
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

/// Whether a component schema becomes a struct, enum or union of its own (not an alias), so an
/// identical inline schema can be typed as that component.
fn has_shape(obj: &Map<String, Value>) -> bool {
    let s = Schema(obj);
    if s.nullable() || s.mentions_reference() {
        return false;
    }
    s.string_enum().is_some()
        || s.unions().any(|m| m.len() > 1)
        || s.all_of().is_some()
        || (s.is_object() && s.has_properties())
}

fn is_nullable(obj: &Map<String, Value>) -> bool {
    Schema(obj).nullable()
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
