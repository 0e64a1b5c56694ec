//! Lowering operations: one [`Op`] per kept operation of the spec, with the types its
//! parameters, body and responses use built on the way ([`TypeGen`]).

use crate::filters::{Filters, Offered};
use crate::ir::{Alternate, Op, Param, Resp};
use crate::lower::media::media_words;
use crate::lower::parameters::parameters;
use crate::lower::responses::{Responses, request_body, responses};
use crate::lower::schemas::{TypeGen, doc_lines};
use crate::lower::spec::{METHODS, Operation, PathItem};
use crate::names::{Namer, camel, snake, unraw};
use crate::servers::{Servers, Target};
use serde_json::Value;
use std::collections::HashMap;

/// A warning (and the doc note) for an operation renamed because its id was taken: specs that
/// repeat an `operationId` are wrong, but the rename must not be silent.
fn rename_note(
    tg: &mut TypeGen<'_>,
    first_use: &HashMap<String, String>,
    method: &str,
    path: &str,
    op: Operation<'_>,
    base_name: &str,
    fn_name: &str,
) -> Option<String> {
    let id = op.id()?;
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
        let Some(item) = tg.deref(item).map(PathItem) else {
            continue;
        };
        for method in METHODS {
            let Some(op) = item.operation(method) else {
                continue;
            };
            let base_name = match op.id().filter(|s| !s.trim().is_empty()) {
                Some(id) => snake(id, "operation"),
                None => snake(&format!("{method} {path}"), "operation"),
            };
            offered.add(path, op, &base_name);
            if !filters.keeps(path, op, &base_name) {
                continue;
            }
            let own_servers = op.servers();
            let target = match servers.target(own_servers.or(item.servers())) {
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
            let mut built = operation(
                tg,
                method,
                &sent_path,
                op,
                item.parameters(),
                fn_name,
                builder,
            );
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

/// One operation: its doc, parameters, request body and responses.
fn operation(
    tg: &mut TypeGen<'_>,
    method: &str,
    path: &str,
    op: Operation<'_>,
    path_params: &[Value],
    fn_name: String,
    builder: String,
) -> Op {
    let mut doc = doc_lines(&[op.summary(), op.description()]);
    if !doc.is_empty() {
        doc.push(String::new());
    }
    doc.push(format!(
        "`{} {}`",
        method.to_uppercase(),
        path.replace('`', "'")
    ));
    let (params, skipped) = parameters(tg, op, path_params, path, &builder);
    if !skipped.is_empty() {
        doc.push(String::new());
        doc.push(format!(
            "Cookie parameters are not sent: {}.",
            skipped.join(", ")
        ));
    }
    let body = request_body(tg, op, &builder);
    let Responses {
        response,
        errors,
        redirects,
        untyped,
        alternates,
    } = responses(tg, op, &builder);
    let alternates = name_alternates(alternates, &params);
    if untyped {
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
        deprecated: op.deprecated(),
        params,
        body,
        response,
        alternates,
        errors,
        error_enum: None,
        server: None,
        redirects,
    }
}

/// Names the `send_*` call of each other media type of the success answer: from the media
/// type's words, unique among the builder's methods (each also has a `_with_response` twin).
fn name_alternates(alternates: Vec<(String, Resp)>, params: &[Param]) -> Vec<Alternate> {
    let mut taken: Vec<String> = vec!["send_with_response".into()];
    taken.extend(params.iter().map(|p| unraw(&p.name).to_string()));
    alternates
        .into_iter()
        .map(|(media, response)| {
            // `snake` keeps keywords apart with `r#`, which `send_` already does.
            let base = format!("send_{}", unraw(&snake(&media_words(&media), "other")));
            let free =
                |c: &String| !taken.contains(c) && !taken.contains(&format!("{c}_with_response"));
            let method = std::iter::once(base.clone())
                .chain((2..).map(|n| format!("{base}_{n}")))
                .find(free)
                .unwrap_or(base);
            taken.push(format!("{method}_with_response"));
            taken.push(method.clone());
            Alternate {
                media,
                method,
                response,
            }
        })
        .collect()
}
