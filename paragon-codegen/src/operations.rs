//! Stage 5: operations — one client method and one request builder per operation.

use crate::ir::{Def, Ty, TypeGen, doc_lines};
use crate::names::{Namer, camel, ident, snake};
use crate::pagination::{Items, Next, Paging, QueryParam};
use crate::servers::{Servers, Target};
use crate::suggest;
use crate::types::{doc_attrs, ty_tokens};
use proc_macro2::{Literal, TokenStream};
use quote::quote;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// Which operations to generate; empty means all. An operation is kept when it matches any filter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filters {
    pub(crate) tags: Vec<String>,
    pub(crate) operation_ids: Vec<String>,
    pub(crate) path_prefixes: Vec<String>,
}

impl Filters {
    pub(crate) fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.operation_ids.is_empty() && self.path_prefixes.is_empty()
    }

    pub(crate) fn keeps(&self, path: &str, op: &Value, fn_name: &str) -> bool {
        if self.is_empty() {
            return true;
        }
        let id = op.get("operationId").and_then(Value::as_str);
        let tags: Vec<&str> = op
            .get("tags")
            .and_then(Value::as_array)
            .map(|t| t.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        self.tags.iter().any(|t| tags.contains(&t.as_str()))
            || self
                .operation_ids
                .iter()
                .any(|o| Some(o.as_str()) == id || o == fn_name)
            || self
                .path_prefixes
                .iter()
                .any(|p| path.starts_with(p.as_str()))
    }
}

/// A warning (and the doc note) for an operation renamed because its id was taken: specs that
/// repeat an `operationId` are wrong, but the rename must not be silent.
fn rename_note(
    tg: &mut TypeGen<'_>,
    first_use: &HashMap<String, String>,
    method: &str,
    path: &str,
    op: &Value,
    base_name: &str,
    fn_name: &str,
) -> Option<String> {
    let id = str_of(op, "operationId")?;
    let Some(other) = first_use.get(base_name).cloned() else {
        // Not a duplicate: the name is one every client has (`new`, `paragon`, ...).
        return Some(format!(
            "Named `{fn_name}`: `{base_name}` is a method every generated client has."
        ));
    };
    let field = format!("paths.{path}.{method}.operationId");
    tg.warnings.push(
        crate::load::diag(
            &tg.file,
            format!("operationId `{id}` is also used by {other}; this operation is `{fn_name}`"),
        )
        .field(field)
        .help("operation ids must be unique; filters by --operation match the first"),
    );
    Some(format!(
        "Renamed to `{fn_name}`: `{other}` already has operationId `{id}`."
    ))
}

/// Every tag, operation id and path of the spec, to say what exists when a filter matches none.
#[derive(Default)]
pub(crate) struct Offered {
    tags: BTreeSet<String>,
    operations: BTreeSet<String>,
    paths: BTreeSet<String>,
}

impl Offered {
    pub(crate) fn add(&mut self, path: &str, op: &Value, fn_name: &str) {
        self.paths.insert(path.to_string());
        self.operations
            .insert(str_of(op, "operationId").map_or_else(|| fn_name.to_string(), str::to_string));
        for tag in op
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(tag) = tag.as_str() {
                self.tags.insert(tag.to_string());
            }
        }
    }

    /// An error per filter that keeps no operation, naming the nearest that exist.
    pub(crate) fn unmatched(&self, filters: &Filters) -> Vec<paragon_manifest::Diagnostic> {
        let mut errors = Vec::new();
        let mut check =
            |kind: &str, flag: &str, asked: &str, found: bool, all: &BTreeSet<String>| {
                if found {
                    return;
                }
                let near = suggest::nearest(asked, all.iter().map(String::as_str), 5);
                let help = if near.is_empty() {
                    format!("the spec has no {kind}s")
                } else {
                    format!(
                        "the nearest of the spec's {} {kind}s: {}",
                        all.len(),
                        suggest::listed(&near)
                    )
                };
                errors.push(
                    paragon_manifest::Diagnostic::error(format!(
                        "{kind} `{asked}` ({flag}) matches no operation"
                    ))
                    .help(help),
                );
            };
        for tag in &filters.tags {
            check("tag", "--tag", tag, self.tags.contains(tag), &self.tags);
        }
        for id in &filters.operation_ids {
            let found = self.operations.contains(id)
                || self.operations.iter().any(|o| snake(o, "operation") == *id);
            check("operation", "--operation", id, found, &self.operations);
        }
        for prefix in &filters.path_prefixes {
            let found = self.paths.iter().any(|p| p.starts_with(prefix.as_str()));
            check("path", "--path-prefix", prefix, found, &self.paths);
        }
        errors
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum In {
    Path,
    Query,
    Header,
}

struct Param {
    name: String,
    wire: String,
    location: In,
    ty: Ty,
    required: bool,
    explode: bool,
    doc: Vec<String>,
}

enum BodyKind {
    Json(Ty),
    Form(Ty),
    Raw(String),
}

struct Body {
    kind: BodyKind,
    required: bool,
    doc: Vec<String>,
}

enum Resp {
    Unit,
    Json(Ty),
    Bytes,
}

/// A documented error status: exact code, a range (`4XX`) or `default`.
enum Status {
    Code(u16),
    Range(u16),
    Default,
}

pub(crate) struct Op {
    /// The JSON pointer of the operation in the spec (`/paths/~1pets/get`).
    pointer: String,
    method: String,
    path: String,
    fn_name: String,
    builder: String,
    doc: Vec<String>,
    deprecated: bool,
    params: Vec<Param>,
    body: Option<Body>,
    response: Resp,
    errors: Vec<(String, Status, Ty)>,
    error_enum: Option<String>,
    /// The absolute server of an operation that is not on the base URL.
    server: Option<String>,
    /// Whether the spec documents a 3xx answer, which `send_with_response()` then returns.
    redirects: bool,
}

impl Op {
    /// Types this operation sends: parameters and the request body.
    pub(crate) fn sent(&self) -> impl Iterator<Item = &Ty> {
        let body = self.body.as_ref().and_then(|b| match &b.kind {
            BodyKind::Json(t) | BodyKind::Form(t) => Some(t),
            BodyKind::Raw(_) => None,
        });
        self.params.iter().map(|p| &p.ty).chain(body)
    }

    /// The JSON pointer of the operation in the spec.
    pub(crate) fn pointer(&self) -> &str {
        &self.pointer
    }

    /// The generated method's name.
    pub(crate) fn fn_name(&self) -> &str {
        &self.fn_name
    }

    /// The type the typed call decodes for a response `status` (`200`, `404`, `default`), if
    /// it decodes one as JSON.
    pub(crate) fn decoded(&self, status: &str) -> Option<&Ty> {
        let up = status.to_ascii_uppercase();
        if up.starts_with('2') {
            return match &self.response {
                Resp::Json(t) => Some(t),
                _ => None,
            };
        }
        let code = up.parse::<u16>().ok();
        let range = up
            .as_bytes()
            .first()
            .filter(|d| d.is_ascii_digit())
            .map(|d| u16::from(d - b'0') * 100);
        let find = |wanted: &dyn Fn(&Status) -> bool| {
            self.errors
                .iter()
                .find(|(_, s, _)| wanted(s))
                .map(|(_, _, t)| t)
        };
        find(&|s| matches!(s, Status::Code(n) if Some(*n) == code))
            .or_else(|| find(&|s| matches!(s, Status::Range(n) if Some(*n) == range)))
            .or_else(|| find(&|s| matches!(s, Status::Default)))
    }

    /// The type of the request body when it is sent as JSON or a form.
    pub(crate) fn body_ty(&self) -> Option<&Ty> {
        self.body.as_ref().and_then(|b| match &b.kind {
            BodyKind::Json(t) | BodyKind::Form(t) => Some(t),
            BodyKind::Raw(_) => None,
        })
    }

    /// Types this operation receives: the success body and documented error bodies.
    pub(crate) fn received(&self) -> impl Iterator<Item = &Ty> {
        let ok = match &self.response {
            Resp::Json(t) => Some(t),
            _ => None,
        };
        ok.into_iter().chain(self.errors.iter().map(|(_, _, t)| t))
    }
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn str_of<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

pub(crate) fn is_json(media: &str) -> bool {
    let m = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    m == "application/json"
        || m.ends_with("+json")
        || m == "*/*"
        || m == "text/json"
        || m.ends_with("/json")
}

/// The media type we use from a `content` map: JSON first, then form, then anything.
pub(crate) fn pick_media(content: &serde_json::Map<String, Value>) -> Option<(&String, &Value)> {
    content
        .iter()
        .find(|(m, _)| is_json(m) && !m.starts_with("*/*"))
        .or_else(|| content.iter().find(|(m, _)| is_json(m)))
        .or_else(|| {
            content
                .iter()
                .find(|(m, _)| m.starts_with("application/x-www-form-urlencoded"))
        })
        .or_else(|| content.iter().next())
}

/// Collects the operations of the spec, building the types they use.
pub(crate) fn collect(tg: &mut TypeGen<'_>, filters: &Filters, servers: &Servers<'_>) -> Vec<Op> {
    let root = tg.root;
    let mut ops = Vec::new();
    let Some(paths) = root.get("paths").and_then(Value::as_object) else {
        return ops;
    };
    let mut method_names = Namer::with_reserved(&[
        "new",
        "with_integration",
        "test_connection",
        "paragon",
        "integration",
    ]);
    // Builders may use prelude names unqualified, so no builder takes one.
    let mut builder_names = Namer::with_reserved(&[
        "Option", "Some", "None", "String", "Vec", "Box", "Result", "Ok", "Err", "Into", "Self",
        "Client", "Error",
    ]);
    let mut offered = Offered::default();
    // Which operation first took each method name, to say what a duplicate collided with.
    let mut first_use: HashMap<String, String> = HashMap::new();
    for (path, item) in paths {
        let Some(item) = tg.deref(item) else { continue };
        let path_params: Vec<Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for method in METHODS {
            let Some(op) = item.get(*method).filter(|o| o.is_object()) else {
                continue;
            };
            let base_name = match str_of(op, "operationId").filter(|s| !s.trim().is_empty()) {
                Some(id) => snake(id, "operation"),
                None => snake(&format!("{method} {path}"), "operation"),
            };
            offered.add(path, op, &base_name);
            if !filters.keeps(path, op, &base_name) {
                continue;
            }
            let own_servers = op
                .get("servers")
                .filter(|s| s.as_array().is_some_and(|a| !a.is_empty()));
            let target = match servers.target(own_servers.or(item.get("servers"))) {
                Ok(target) => target,
                Err(why) => {
                    let place = if own_servers.is_some() { method } else { "" };
                    tg.errors.push(
                        crate::load::diag(&tg.file, why)
                            .field(format!("paths.{path}{}{place}.servers", if place.is_empty() { "" } else { "." }))
                            .help("add the host to `allowed_hosts` in the manifest's [api], or leave the operation out with --operation, --tag or --path-prefix"),
                    );
                    continue;
                }
            };
            let sent_path = match &target {
                Target::Prefix(prefix) => format!("{prefix}{path}"),
                _ => path.clone(),
            };
            let fn_name = method_names.unique(&base_name);
            let renamed = (fn_name != base_name)
                .then(|| rename_note(tg, &first_use, method, path, op, &base_name, &fn_name));
            first_use
                .entry(base_name.clone())
                .or_insert_with(|| format!("{} {path}", method.to_uppercase()));
            let builder = builder_names.unique(&camel(&fn_name, "Operation"));
            let mut built = operation(tg, method, &sent_path, op, &path_params, fn_name, builder);
            built.pointer = format!("/paths/{}/{method}", crate::load::escape_pointer(path));
            if let Some(note) = renamed.flatten() {
                built.doc.push(String::new());
                built.doc.push(note);
            }
            if let Target::Full(server) = target {
                built.doc.push(String::new());
                built.doc.push(format!(
                    "Sent to `{server}` through the proxy's full-URL form."
                ));
                built.server = Some(server);
            }
            ops.push(built);
        }
    }
    let unmatched = offered.unmatched(filters);
    tg.errors
        .extend(unmatched.into_iter().map(|d| d.file(&tg.file)));
    for op in &mut ops {
        if !op.errors.is_empty() {
            op.error_enum = Some(builder_names.unique(&format!("{}Error", op.builder)));
        }
    }
    ops
}

fn operation(
    tg: &mut TypeGen<'_>,
    method: &str,
    path: &str,
    op: &Value,
    path_params: &[Value],
    fn_name: String,
    builder: String,
) -> Op {
    let mut doc = doc_lines(&[str_of(op, "summary"), str_of(op, "description")]);
    if !doc.is_empty() {
        doc.push(String::new());
    }
    doc.push(format!(
        "`{} {}`",
        method.to_uppercase(),
        path.replace('`', "'")
    ));

    // Parameters: the operation's override the path item's with the same name and location.
    let mut raw_params: Vec<Value> = Vec::new();
    let own: Vec<Value> = op
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for p in path_params.iter().chain(own.iter()) {
        let Some(p) = tg.deref(p).cloned() else {
            continue;
        };
        let key = (
            str_of(&p, "name").map(str::to_string),
            str_of(&p, "in").map(str::to_string),
        );
        raw_params.retain(|q| {
            (
                str_of(q, "name").map(str::to_string),
                str_of(q, "in").map(str::to_string),
            ) != key
        });
        raw_params.push(p);
    }
    // The builder's own methods are reserved so that no parameter setter shadows them.
    let mut field_names = Namer::with_reserved(&[
        "client",
        "body",
        "content_type",
        "send_with_response",
        "into_request",
        "decode_error",
        "pages",
        "items",
        "next_url",
        "next_page",
        "page_items",
    ]);
    let mut params = Vec::new();
    let mut skipped = Vec::new();
    for p in &raw_params {
        let Some(wire) = str_of(p, "name") else {
            continue;
        };
        let location = match str_of(p, "in") {
            Some("path") => In::Path,
            Some("query") => In::Query,
            Some("header") => In::Header,
            _ => {
                skipped.push(wire.to_string());
                continue;
            }
        };
        if location == In::Path && !path.contains(&format!("{{{wire}}}")) {
            continue;
        }
        if location == In::Header
            && ["accept", "content-type", "authorization"]
                .contains(&wire.to_ascii_lowercase().as_str())
        {
            continue;
        }
        let schema = p
            .get("schema")
            .cloned()
            .or_else(|| {
                p.get("content")
                    .and_then(Value::as_object)
                    .and_then(|c| c.values().next())
                    .and_then(|m| m.get("schema"))
                    .cloned()
            })
            .unwrap_or_else(|| p.clone());
        let name = field_names.unique(&snake(wire, "param"));
        let mut ty = tg.ty(&schema, &builder, &camel(wire, "Param"));
        let note = tg.note.take();
        if location == In::Path {
            // A path segment is never absent.
            if let Ty::Option(inner) = ty {
                ty = *inner;
            }
        }
        let mut pdoc = doc_lines(&[str_of(p, "description")]);
        if let Some(note) = note {
            pdoc.push(note);
        }
        let explode = p
            .get("explode")
            .and_then(Value::as_bool)
            .unwrap_or(str_of(p, "style").is_none_or(|s| s == "form"));
        params.push(Param {
            name,
            wire: wire.to_string(),
            location,
            required: location == In::Path || p.get("required") == Some(&Value::Bool(true)),
            ty,
            explode,
            doc: pdoc,
        });
    }
    // Path template variables the spec forgot to declare are still required strings.
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let var = &rest[start + 1..start + len];
        if !params
            .iter()
            .any(|p| p.location == In::Path && p.wire == var)
        {
            params.push(Param {
                name: field_names.unique(&snake(var, "param")),
                wire: var.to_string(),
                location: In::Path,
                ty: Ty::String,
                required: true,
                explode: false,
                doc: Vec::new(),
            });
        }
        rest = &rest[start + len + 1..];
    }
    // Arguments follow the path template, then the spec's order.
    params.sort_by_key(|p| match p.location {
        In::Path => path.find(&format!("{{{}}}", p.wire)).unwrap_or(0),
        _ => usize::MAX,
    });
    if !skipped.is_empty() {
        doc.push(String::new());
        doc.push(format!(
            "Cookie parameters are not sent: {}.",
            skipped.join(", ")
        ));
    }

    let body = op
        .get("requestBody")
        .and_then(|b| tg.deref(b).cloned())
        .and_then(|b| {
            let content = b.get("content").and_then(Value::as_object)?;
            let (media, m) = pick_media(content)?;
            let required = b.get("required") == Some(&Value::Bool(true));
            let bdoc = doc_lines(&[str_of(&b, "description")]);
            let schema = m.get("schema");
            let kind = if is_json(media) {
                match schema {
                    Some(s) => BodyKind::Json(tg.ty(s, &builder, "Request")),
                    None => BodyKind::Json(Ty::Value),
                }
            } else if media.starts_with("application/x-www-form-urlencoded") && schema.is_some() {
                BodyKind::Form(tg.ty(schema.unwrap_or(&Value::Null), &builder, "Request"))
            } else {
                BodyKind::Raw(media.clone())
            };
            tg.note = None;
            Some(Body {
                kind,
                required,
                doc: bdoc,
            })
        });

    let mut success: Vec<Resp> = Vec::new();
    let mut errors = Vec::new();
    let mut untyped_success = false;
    let mut redirects = false;
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        for (code, r) in responses {
            let Some(r) = tg.deref(r).cloned() else {
                continue;
            };
            let code_up = code.to_ascii_uppercase();
            redirects |= code_up.starts_with('3');
            let content = r
                .get("content")
                .and_then(Value::as_object)
                .filter(|c| !c.is_empty());
            if code_up.starts_with('2') {
                let member = if success.is_empty() {
                    "Response".to_string()
                } else {
                    format!("Response{code_up}")
                };
                let resp = match content.and_then(pick_media) {
                    None => Resp::Unit,
                    Some((media, m)) if is_json(media) => match m.get("schema") {
                        Some(s) => Resp::Json(tg.ty(s, &builder, &member)),
                        None => Resp::Json(Ty::Value),
                    },
                    Some(_) => Resp::Bytes,
                };
                tg.note = None;
                success.push(resp);
            } else if code_up.starts_with('4') || code_up.starts_with('5') || code_up == "DEFAULT" {
                let Some((media, m)) = content.and_then(pick_media) else {
                    continue;
                };
                if !is_json(media) {
                    continue;
                }
                let status = if code_up == "DEFAULT" {
                    Status::Default
                } else if let Ok(n) = code_up.parse::<u16>() {
                    Status::Code(n)
                } else if code_up.ends_with("XX") {
                    Status::Range(code_up[..1].parse::<u16>().unwrap_or(5) * 100)
                } else {
                    continue;
                };
                let variant = match status {
                    Status::Code(n) => format!("Status{n}"),
                    Status::Range(n) => format!("Status{}xx", n / 100),
                    Status::Default => "Default".into(),
                };
                let ty = match m.get("schema") {
                    Some(s) => tg.ty(s, &builder, &variant),
                    None => Ty::Value,
                };
                tg.note = None;
                // `4xx` and `4XX`, or `404` twice in a YAML spec, name one variant.
                if !errors.iter().any(|(v, _, _)| *v == variant) {
                    errors.push((variant, status, ty));
                }
            }
        }
    }
    let response = merge_success(success, &mut untyped_success);
    if untyped_success {
        doc.push(String::new());
        doc.push("Untyped: the success responses have different types.".into());
    }
    Op {
        pointer: String::new(),
        method: method.to_uppercase(),
        path: path.to_string(),
        fn_name,
        builder,
        doc,
        deprecated: op.get("deprecated") == Some(&Value::Bool(true)),
        params,
        body,
        response,
        errors,
        error_enum: None,
        server: None,
        redirects,
    }
}

/// One success type for all 2xx answers: `Option<T>` when some have no body, `Value` when they differ.
fn merge_success(success: Vec<Resp>, untyped: &mut bool) -> Resp {
    let mut json: Vec<Ty> = Vec::new();
    let mut unit = false;
    let mut bytes = false;
    for r in success {
        match r {
            Resp::Unit => unit = true,
            Resp::Bytes => bytes = true,
            Resp::Json(t) => {
                if !json.contains(&t) {
                    json.push(t)
                }
            }
        }
    }
    match (json.len(), bytes) {
        (0, false) => Resp::Unit,
        (0, true) => Resp::Bytes,
        (1, false) => {
            let t = json.remove(0);
            if unit {
                Resp::Json(match t {
                    Ty::Option(_) | Ty::Value => t,
                    other => Ty::Option(Box::new(other)),
                })
            } else {
                Resp::Json(t)
            }
        }
        _ => {
            *untyped = true;
            Resp::Json(Ty::Value)
        }
    }
}

fn is_string(t: &Ty) -> bool {
    matches!(t, Ty::String)
}

/// The client's methods and the `builders` module.
pub(crate) fn render(ops: &[Op], defs: &[Def]) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let types = quote!(types::);
    let types_root = quote!(types::);
    let mut methods = Vec::new();
    let mut items = Vec::new();
    for op in ops {
        let fn_name = ident(&op.fn_name);
        let builder = ident(&op.builder);
        let doc = doc_attrs(&op.doc);
        let dep = if op.deprecated {
            quote!(#[deprecated])
        } else {
            quote!()
        };
        let required: Vec<&Param> = op.params.iter().filter(|p| p.required).collect();
        let optional: Vec<&Param> = op.params.iter().filter(|p| !p.required).collect();
        let body_required = op.body.as_ref().is_some_and(|b| b.required);
        let paging = paging_of(op, defs);
        let follows_urls = paging
            .as_ref()
            .is_some_and(|p| !matches!(p.next, Next::Cursor { .. }));

        // Client method.
        let mut args = Vec::new();
        let mut inits = Vec::new();
        for p in &required {
            let n = ident(&p.name);
            if is_string(&p.ty) {
                args.push(quote!(#n: impl Into<String>));
                inits.push(quote!(#n: #n.into(),));
            } else {
                let t = ty_tokens(&p.ty, defs, None, &types_root);
                args.push(quote!(#n: #t));
                inits.push(quote!(#n,));
            }
        }
        for p in &optional {
            let n = ident(&p.name);
            inits.push(quote!(#n: None,));
        }
        let body_field_ty = op.body.as_ref().map(|b| match &b.kind {
            BodyKind::Json(t) | BodyKind::Form(t) => (
                ty_tokens(t, defs, None, &types),
                ty_tokens(t, defs, None, &types_root),
            ),
            BodyKind::Raw(_) => (
                quote!(::paragon_sdk::__private::bytes::Bytes),
                quote!(::paragon_sdk::__private::bytes::Bytes),
            ),
        });
        if let Some((_, root_t)) = &body_field_ty {
            if body_required {
                args.push(quote!(body: #root_t));
                inits.push(quote!(body: Some(body),));
            } else {
                inits.push(quote!(body: None,));
            }
        }
        if let Some(Body {
            kind: BodyKind::Raw(media),
            ..
        }) = &op.body
        {
            inits.push(quote!(content_type: String::from(#media),));
        }
        if follows_urls {
            inits.push(quote!(next_url: None,));
        }
        methods.push(quote!(
            #doc #dep
            pub fn #fn_name(&self, #(#args),*) -> builders::#builder<'_> {
                builders::#builder { client: self, #(#inits)* }
            }
        ));

        // Builder struct.
        let mut fields = vec![quote!(pub(super) client: &'a super::Client,)];
        let mut setters = Vec::new();
        for p in &op.params {
            let n = ident(&p.name);
            let t = ty_tokens(&p.ty, defs, None, &types);
            if p.required {
                fields.push(quote!(pub(super) #n: #t,));
            } else {
                let inner = match &p.ty {
                    Ty::Option(i) => ty_tokens(i, defs, None, &types),
                    _ => t.clone(),
                };
                fields.push(quote!(pub(super) #n: Option<#inner>,));
                let pdoc = doc_attrs(&p.doc);
                let setter = if matches!(p.ty, Ty::String) {
                    quote!(pub fn #n(mut self, value: impl Into<String>) -> Self {
                        self.#n = Some(value.into());
                        self
                    })
                } else {
                    quote!(pub fn #n(mut self, value: #inner) -> Self {
                        self.#n = Some(value);
                        self
                    })
                };
                setters.push(quote!(#pdoc #setter));
            }
        }
        if let (Some(b), Some((t, _))) = (&op.body, &body_field_ty) {
            fields.push(quote!(pub(super) body: Option<#t>,));
            if !b.required {
                let bdoc = doc_attrs(&b.doc);
                setters.push(quote!(
                    #bdoc
                    pub fn body(mut self, value: #t) -> Self {
                        self.body = Some(value);
                        self
                    }
                ));
            }
            if let BodyKind::Raw(_) = b.kind {
                fields.push(quote!(pub(super) content_type: String,));
                setters.push(quote!(
                    /// Sets the body's media type (for `multipart/form-data`, include the boundary).
                    pub fn content_type(mut self, value: impl Into<String>) -> Self {
                        self.content_type = value.into();
                        self
                    }
                ));
            }
        }

        if follows_urls {
            fields.push(quote!(pub(super) next_url: Option<String>,));
        }

        // Sending.
        let (fmt, path_args) = path_format(&op.path, &op.params);
        let path_expr = if path_args.is_empty() {
            quote!(#fmt)
        } else {
            quote!(&::std::format!(#fmt, #(#path_args),*))
        };
        let method = ident(&op.method);
        let query: Vec<TokenStream> = op
            .params
            .iter()
            .filter(|p| p.location == In::Query)
            .map(|p| {
                let n = ident(&p.name);
                let wire = &p.wire;
                let explode = p.explode;
                quote!(super::__query(&mut query, #wire, &self.#n, #explode);)
            })
            .collect();
        let query_stmt = if let Some(server) = &op.server {
            // The proxy drops the route's query when the full-URL header replaces the path, so
            // the query travels inside that URL.
            quote!(
                let mut query = Vec::new();
                #(#query)*
                request = ::paragon_sdk::__private::codegen::on_server(request, #server, path, &query);
            )
        } else if query.is_empty() {
            quote!()
        } else {
            quote!(
                let mut query = Vec::new();
                #(#query)*
                request = request.query(&query);
            )
        };
        let headers = op
            .params
            .iter()
            .filter(|p| p.location == In::Header)
            .map(|p| {
                let n = ident(&p.name);
                let wire = &p.wire;
                quote!(if let Some(value) = super::__text(&self.#n) {
                    request = request.header(#wire, value);
                })
            });
        let body_stmt = match op.body.as_ref().map(|b| &b.kind) {
            None => quote!(),
            Some(BodyKind::Json(_)) => quote!(if let Some(body) = &self.body {
                request = request.json(body);
            }),
            Some(BodyKind::Form(_)) => quote!(if let Some(body) = &self.body {
                request = request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(super::__form(body));
            }),
            Some(BodyKind::Raw(_)) => quote!(if let Some(body) = self.body {
                request = request.header("content-type", self.content_type).body(body);
            }),
        };
        let (ok_ty, read_fn) = match &op.response {
            Resp::Unit => (quote!(()), quote!(super::__read_unit)),
            Resp::Bytes => (
                quote!(::paragon_sdk::__private::bytes::Bytes),
                quote!(super::__read_bytes),
            ),
            Resp::Json(t) => (ty_tokens(t, defs, None, &types), quote!(super::__read_json)),
        };
        let reads_body = !matches!(op.response, Resp::Unit);
        let (err_ty, decode, decode_fn) = match &op.error_enum {
            None => (quote!(Infallible), quote!(super::__no_error), quote!()),
            Some(e) => {
                let (item, decode_fn) = error_enum(op, e, defs, &types);
                items.push(item);
                let e = ident(e);
                (quote!(#e), quote!(Self::decode_error), decode_fn)
            }
        };
        let bdoc = format!(
            " Request builder for [`Client::{}`](super::Client::{}): set optional parameters, then `.await` it (or `.send_with_response().await` for the status and headers too).",
            crate::names::unraw(&op.fn_name),
            op.fn_name
        );
        let mutable = if query.is_empty()
            && !follows_urls
            && op.body.is_none()
            && !op.params.iter().any(|p| p.location == In::Header)
        {
            quote!()
        } else {
            quote!(mut)
        };
        let request_stmt = if op.server.is_some() {
            quote!(
                let path: &str = #path_expr;
                let mut request = super::__request(self.client, ::paragon_sdk::Method::#method, path);
            )
        } else {
            quote!(let #mutable request = super::__request(self.client, ::paragon_sdk::Method::#method, #path_expr);)
        };
        let next_url_stmt = if follows_urls {
            quote!(if let Some(url) = self.next_url {
                request = request.full_url(url);
            })
        } else {
            quote!()
        };
        let (derive_clone, streams) = match &paging {
            Some(paging) => (
                quote!(#[derive(::std::clone::Clone)]),
                streams(op, paging, &ok_ty, &err_ty, defs, &types),
            ),
            None => (quote!(), quote!()),
        };
        let redirects = op.redirects;
        let rdoc = if redirects {
            " Sends for the provider's status and headers beside the typed body; a documented 3xx is an answer too."
        } else {
            " Sends for the provider's status and headers (`Link`, rate limits) beside the typed body."
        };
        items.push(quote!(
            #[doc = #bdoc]
            #[must_use = "a request builder does nothing until awaited"]
            #derive_clone
            pub struct #builder<'a> { #(#fields)* }
            impl<'a> #builder<'a> {
                #(#setters)*
                #[doc = #rdoc]
                pub fn send_with_response(self) -> ::paragon_sdk::WithResponse<#ok_ty, #err_ty> {
                    super::__send_with_response(self.into_request(), #decode, #read_fn, #redirects)
                }
                fn into_request(self) -> ::paragon_sdk::ProxyRequest {
                    #request_stmt
                    #query_stmt
                    #(#headers)*
                    #body_stmt
                    #next_url_stmt
                    request
                }
                #decode_fn
                #streams
            }
            impl<'a> ::std::future::IntoFuture for #builder<'a> {
                type Output = Result<#ok_ty, super::Error<#err_ty>>;
                type IntoFuture = ::paragon_sdk::BodyOnly<#ok_ty, #err_ty>;
                fn into_future(self) -> Self::IntoFuture {
                    super::__send_body(self.into_request(), #decode, #read_fn, #reads_body)
                }
            }
        ));
    }
    (methods, items)
}

/// How the operation pages, if it does (see [`crate::pagination`]).
fn paging_of(op: &Op, defs: &[Def]) -> Option<Paging> {
    // An `Option` body (some success answers have none) has no page to read.
    let Resp::Json(body) = &op.response else {
        return None;
    };
    if matches!(body, Ty::Option(_)) {
        return None;
    }
    let query: Vec<QueryParam<'_>> = op
        .params
        .iter()
        .filter(|p| p.location == In::Query)
        .map(|p| QueryParam {
            name: &p.name,
            wire: &p.wire,
            ty: &p.ty,
        })
        .collect();
    crate::pagination::detect(&op.method, body, &query, defs)
}

/// The builder's `pages`, `items`, and the two functions they walk the pages with.
fn streams(
    op: &Op,
    paging: &Paging,
    page_ty: &TokenStream,
    err_ty: &TokenStream,
    defs: &[Def],
    types: &TokenStream,
) -> TokenStream {
    let item_ty = ty_tokens(paging.item(), defs, None, types);
    let required = |name: &str| op.params.iter().any(|p| p.name == name && p.required);
    let set = |name: &str, value: TokenStream| {
        let n = ident(name);
        if required(name) {
            quote!(self.#n = #value;)
        } else {
            quote!(self.#n = Some(#value);)
        }
    };
    let text = |field: &str, optional: bool| {
        let f = ident(field);
        if optional {
            quote!(let next = answer.body().#f.clone().filter(|t| !t.is_empty())?;)
        } else {
            quote!(
                let next = answer.body().#f.clone();
                if next.is_empty() {
                    return None;
                }
            )
        }
    };
    let (items_expr, count_expr) = match &paging.items {
        Items::Body(_) => (quote!(page), quote!(answer.body().len())),
        Items::Field {
            field, optional, ..
        } => {
            let f = ident(field);
            if *optional {
                (
                    quote!(page.#f.unwrap_or_default()),
                    quote!(answer.body().#f.as_ref().map_or(0, |items| items.len())),
                )
            } else {
                (quote!(page.#f), quote!(answer.body().#f.len()))
            }
        }
    };
    let next_body = match &paging.next {
        Next::Cursor {
            field,
            optional,
            param,
        } => {
            let take = text(field, *optional);
            let set = set(param, quote!(next));
            quote!(#take #set Some(self))
        }
        Next::Url { field, optional } => {
            let take = text(field, *optional);
            quote!(#take self.next_url = Some(next); Some(self))
        }
        Next::Page { param } => {
            let n = ident(param);
            let current = if required(param) {
                quote!(self.#n)
            } else {
                quote!(self.#n.unwrap_or(1))
            };
            let set = set(param, quote!(#current + 1));
            quote!(
                if let Some(url) = answer.next_link() {
                    self.next_url = Some(url);
                    return Some(self);
                }
                if self.next_url.is_some() || answer.headers().contains_key("link") || #count_expr == 0 {
                    return None;
                }
                #set
                Some(self)
            )
        }
    };
    let pdoc = format!(" {}", paging.doc());
    quote!(
        #[doc = #pdoc]
        /// At most `max_pages` pages; the stream ends after an error.
        pub fn pages(self, max_pages: usize) -> ::paragon_sdk::Pages<Self, #page_ty, #err_ty> {
            ::paragon_sdk::__private::pagination::pages(self, max_pages, Self::send_with_response, Self::next_page)
        }
        /// The items of [`pages`](Self::pages), at most `max_items`; an empty page ends the stream.
        pub fn items(self, max_items: usize) -> ::paragon_sdk::Items<Self, #page_ty, #item_ty, #err_ty> {
            ::paragon_sdk::__private::pagination::items(self, max_items, Self::send_with_response, Self::next_page, Self::page_items)
        }
        fn next_page(mut self, answer: &::paragon_sdk::OperationResponse<#page_ty>) -> Option<Self> {
            #next_body
        }
        fn page_items(page: #page_ty) -> Vec<#item_ty> {
            #items_expr
        }
    )
}

/// The enum of an operation's documented error bodies, and the builder's `decode_error`,
/// which picks its variant by status: exact codes first, then ranges, then `default`.
fn error_enum(
    op: &Op,
    name: &str,
    defs: &[Def],
    types: &TokenStream,
) -> (TokenStream, TokenStream) {
    let e = ident(name);
    let mut arms = Vec::new();
    for pass in 0..3 {
        for (variant, status, _) in &op.errors {
            let v = ident(variant);
            let pat = match (pass, status) {
                (0, Status::Code(n)) => quote!(#n),
                (1, Status::Range(n)) => {
                    let hi = n + 99;
                    quote!(#n..=#hi)
                }
                (2, Status::Default) => quote!(_),
                _ => continue,
            };
            arms.push(quote!(#pat => e.provider_json().map(#e::#v),));
        }
    }
    let has_default = op
        .errors
        .iter()
        .any(|(_, s, _)| matches!(s, Status::Default));
    let fallback = if has_default {
        quote!()
    } else {
        quote!(_ => None,)
    };
    let variants = op.errors.iter().map(|(v, status, t)| {
        let vi = ident(v);
        let t = ty_tokens(t, defs, None, types);
        let d = match status {
            Status::Code(n) => format!(" Status {n}."),
            Status::Range(n) => format!(" A {}xx status.", n / 100),
            Status::Default => " Any other error status.".to_string(),
        };
        quote!(#[doc = #d] #vi(#t),)
    });
    let edoc = format!(
        " The documented error responses of [`Client::{}`](super::Client::{}).",
        crate::names::unraw(&op.fn_name),
        op.fn_name
    );
    let item = quote!(
        #[doc = #edoc]
        #[derive(::std::fmt::Debug, ::std::clone::Clone)]
        pub enum #e { #(#variants)* }
    );
    let decode_fn = quote!(
        fn decode_error(e: &::paragon_sdk::Error) -> Option<#e> {
            match e.provider_response()?.0.as_u16() {
                #(#arms)*
                #fallback
            }
        }
    );
    (item, decode_fn)
}

/// `format!` string and arguments for a path template.
fn path_format(path: &str, params: &[Param]) -> (Literal, Vec<TokenStream>) {
    let mut fmt = String::new();
    let mut args = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        fmt.push_str(&rest[..start].replace('}', "}}"));
        let var = &rest[start + 1..start + len];
        match params
            .iter()
            .find(|p| p.location == In::Path && p.wire == var)
        {
            Some(p) => {
                let n = ident(&p.name);
                fmt.push_str("{}");
                args.push(quote!(super::__segment(&self.#n)));
            }
            None => fmt.push_str(&format!("{{{{{var}}}}}")),
        }
        rest = &rest[start + len + 1..];
    }
    fmt.push_str(&rest.replace('{', "{{").replace('}', "}}"));
    if args.is_empty() {
        fmt = fmt.replace("{{", "{").replace("}}", "}");
    }
    (Literal::string(&fmt), args)
}
