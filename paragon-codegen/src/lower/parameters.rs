//! Lowering an operation's parameters: the path item's and the operation's, merged, each typed;
//! path template variables the spec forgot to declare added as strings.

use crate::ir::{In, Param, Ty};
use crate::lower::schemas::{TypeGen, doc_lines};
use crate::lower::spec::{Operation, Parameter};
use crate::names::{Namer, camel, snake};
use serde_json::Value;

/// The builder's own methods: no parameter setter may shadow them.
const BUILDER_METHODS: &[&str] = &[
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
];

/// The parameters the builder takes, in argument order, and the names of the cookie parameters
/// it does not send.
pub(crate) fn parameters(
    tg: &mut TypeGen<'_>,
    op: Operation<'_>,
    path_params: &[Value],
    path: &str,
    builder: &str,
) -> (Vec<Param>, Vec<String>) {
    let mut field_names = Namer::with_reserved(BUILDER_METHODS);
    let mut params = Vec::new();
    let mut skipped = Vec::new();
    for p in &merged(tg, op, path_params) {
        let p = Parameter(p);
        let Some(wire) = p.name() else {
            continue;
        };
        let location = match p.location() {
            Some("path") => In::Path,
            Some("query") => In::Query,
            Some("header") => In::Header,
            _ => {
                skipped.push(wire.to_string());
                continue;
            }
        };
        if sent_elsewhere(location, wire, path) {
            continue;
        }
        let name = field_names.unique(&snake(wire, "param"));
        params.push(parameter(tg, p, wire, location, name, builder));
    }
    undeclared_path_variables(path, &mut params, &mut field_names);
    // Arguments follow the path template, then the spec's order.
    params.sort_by_key(|p| match p.location {
        In::Path => path.find(&format!("{{{}}}", p.wire)).unwrap_or(0),
        _ => usize::MAX,
    });
    (params, skipped)
}

/// The path item's parameters and the operation's, which override those with the same name
/// and location.
fn merged<'t: 'v, 'v>(
    tg: &mut TypeGen<'t>,
    op: Operation<'v>,
    path_params: &'v [Value],
) -> Vec<&'v Value> {
    let mut raw_params: Vec<&Value> = Vec::new();
    for p in path_params.iter().chain(op.parameters()) {
        let Some(p) = tg.deref(p) else {
            continue;
        };
        raw_params.retain(|q| !same_parameter(q, p));
        raw_params.push(p);
    }
    raw_params
}

/// Whether two parameters have the same name and location, so one overrides the other.
fn same_parameter(a: &Value, b: &Value) -> bool {
    let (a, b) = (Parameter(a), Parameter(b));
    (a.name(), a.location()) == (b.name(), b.location())
}

/// A parameter the builder does not take: a path parameter the template does not use, or a
/// header the SDK sets itself.
fn sent_elsewhere(location: In, wire: &str, path: &str) -> bool {
    match location {
        In::Path => !path.contains(&format!("{{{wire}}}")),
        In::Header => ["accept", "content-type", "authorization"]
            .contains(&wire.to_ascii_lowercase().as_str()),
        In::Query => false,
    }
}

/// One declared parameter, typed from its `schema` (or its `content`'s, or itself).
fn parameter(
    tg: &mut TypeGen<'_>,
    p: Parameter<'_>,
    wire: &str,
    location: In,
    name: String,
    builder: &str,
) -> Param {
    let mut ty = tg.ty(p.schema(), builder, &camel(wire, "Param"));
    let note = tg.note.take();
    if location == In::Path {
        // A path segment is never absent.
        if let Ty::Option(inner) = ty {
            ty = *inner;
        }
    }
    let mut doc = doc_lines(&[p.description()]);
    if let Some(note) = note {
        doc.push(note);
    }
    Param {
        name,
        wire: wire.to_string(),
        location,
        required: location == In::Path || p.required(),
        ty,
        explode: p.explode(),
        doc,
    }
}

/// Path template variables the spec forgot to declare are still required strings.
fn undeclared_path_variables(path: &str, params: &mut Vec<Param>, field_names: &mut Namer) {
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
}
