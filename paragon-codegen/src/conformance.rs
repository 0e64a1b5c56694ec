//! The conformance harness: the spec's own examples as the test of the generated client.
//!
//! [`Generator::conformance`](crate::Generator::conformance) writes, beside the client, a
//! `cases` module listing every JSON example of a response, a request body or a component
//! schema, each with the generated type the typed call decodes it into. A harness crate
//! (`scripts/conformance.sh` makes one) runs them with `main` (feature `conformance`):
//! each example is decoded exactly as `paragon-sdk` decodes a body, request bodies are encoded
//! back, and each failure is a `Finding` with the operation, the status, the JSON pointer of
//! the first mismatch and whether the spec's own JSON Schema accepts the example.

#[cfg(feature = "conformance")]
mod check;
#[cfg(feature = "conformance")]
pub use check::{Finding, Report, decode, main, round_trip, run};

use crate::emit::types::ty_tokens;
use crate::ir::Op;
use crate::ir::{Def, Ty};
use crate::load::{escape_pointer, resolve_pointer};
use crate::lower::media::pick_media;
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

/// What an example is an example of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A response body.
    Response,
    /// A request body.
    Request,
    /// A component schema (`components.schemas.*.example`).
    Schema,
}

/// Where the first mismatch of a decode is, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// A JSON pointer into the example (`/items/0/login`; empty: the example itself).
    pub pointer: String,
    /// serde's message (`missing field `id``).
    pub message: String,
}

/// How a case is checked.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// Decoded into the response or schema type.
    Decode(fn(&Value) -> Result<(), Mismatch>),
    /// Decoded into the request type and encoded back to the same JSON.
    RoundTrip(fn(&Value) -> Result<(), Mismatch>),
    /// The typed call cannot decode this example; the reason.
    Unreachable(&'static str),
}

/// One example of the spec and the generated type it must decode into.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// The operation's id (or generated method name); the component's name for a schema.
    pub operation: &'static str,
    /// The response status (`200`, `default`); empty for requests and schemas.
    pub status: &'static str,
    /// Response, request or schema.
    pub kind: Kind,
    /// The example's media type; empty for schemas.
    pub media: &'static str,
    /// JSON pointer to the example's value in the spec.
    pub example: &'static str,
    /// JSON pointer to the schema the example is for; empty when there is none.
    pub schema: &'static str,
    /// How it is checked.
    pub check: Check,
}

/// Why the typed call does not decode an example of another media type.
const OTHER_MEDIA: &str = "another media type than the one the typed call decodes";
/// Why the typed call does not decode an example of a status it does not type.
const UNTYPED_STATUS: &str = "a status whose body the typed call does not decode as JSON";

/// The `cases` module: a `CASES` static listing every example of the operations generated and
/// of the component schemas that have a type, and how many there are.
pub(crate) fn cases(
    root: &Value,
    ops: &[Op],
    defs: &[Def],
    components: &[(String, usize)],
) -> (TokenStream, usize) {
    let types = quote!(crate::client::types::);
    let ty = |t: &Ty| ty_tokens(t, defs, None, &types);
    let mut out = Vec::new();
    for op in ops {
        let Some(spec_op) = resolve_pointer(root, op.pointer()) else {
            continue;
        };
        let name = spec_op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or(op.fn_name());
        if let Some(responses) = spec_op.get("responses").and_then(Value::as_object) {
            for (status, r) in responses {
                let base = format!("{}/responses/{}", op.pointer(), escape_pointer(status));
                let (r, base) = follow(root, r, base);
                for example in examples(root, r, &base) {
                    // Another media type is decoded as its own `send_*` call decodes it.
                    let decoded = if example.reachable {
                        op.decoded(status)
                    } else {
                        op.decoded_as(&example.media)
                            .filter(|_| status.starts_with('2'))
                    };
                    let check = |reachable: bool| match decoded {
                        Some(t) => {
                            let t = ty(t);
                            quote!(Check::Decode(decode::<#t>))
                        }
                        None if reachable => quote!(Check::Unreachable(#UNTYPED_STATUS)),
                        None => quote!(Check::Unreachable(#OTHER_MEDIA)),
                    };
                    out.push(case(name, status, quote!(Response), &example, &check));
                }
            }
        }
        if let Some(body) = spec_op.get("requestBody") {
            let base = format!("{}/requestBody", op.pointer());
            let (body, base) = follow(root, body, base);
            // An optional body is an `Option` in the builder: `null` is the call without one.
            let optional = op.body.as_ref().is_some_and(|b| !b.required);
            let check = |reachable: bool| match op.body_ty().filter(|_| reachable) {
                Some(t) if optional => {
                    let t = ty(t);
                    quote!(Check::RoundTrip(round_trip::<::core::option::Option<#t>>))
                }
                Some(t) => {
                    let t = ty(t);
                    quote!(Check::RoundTrip(round_trip::<#t>))
                }
                _ => quote!(Check::Unreachable(#OTHER_MEDIA)),
            };
            for example in examples(root, body, &base) {
                out.push(case(name, "", quote!(Request), &example, &check));
            }
        }
    }
    for (component, id) in components {
        let pointer = format!("/components/schemas/{}", escape_pointer(component));
        if resolve_pointer(root, &format!("{pointer}/example")).is_none() {
            continue;
        }
        let t = ty(&Ty::Named(*id));
        let example = Example {
            media: String::new(),
            value: format!("{pointer}/example"),
            schema: pointer,
            reachable: true,
        };
        let check = |_: bool| quote!(Check::Decode(decode::<#t>));
        out.push(case(component, "", quote!(Schema), &example, &check));
    }
    let count = out.len();
    let tokens = quote! {
        use ::paragon_codegen::conformance::{Case, Check, Kind, decode, round_trip};

        /// Every JSON example of the spec, with the generated type it must decode into.
        pub static CASES: &[Case] = &[#(#out),*];
    };
    (tokens, count)
}

fn case(
    name: &str,
    status: &str,
    kind: TokenStream,
    example: &Example,
    check: &dyn Fn(bool) -> TokenStream,
) -> TokenStream {
    let (media, value, schema) = (&example.media, &example.value, &example.schema);
    let check = check(example.reachable);
    quote! {
        Case {
            operation: #name,
            status: #status,
            kind: Kind::#kind,
            media: #media,
            example: #value,
            schema: #schema,
            check: #check,
        }
    }
}

/// One example in a `content` map.
struct Example {
    media: String,
    /// Pointer to the example's value.
    value: String,
    /// Pointer to the media type's schema (empty without one).
    schema: String,
    /// Whether the media type is the one the typed call uses.
    reachable: bool,
}

/// The JSON examples (`example`, and each of `examples`) of a response or request body at
/// `base`.
fn examples(root: &Value, holder: &Value, base: &str) -> Vec<Example> {
    let Some(content) = holder.get("content").and_then(Value::as_object) else {
        return Vec::new();
    };
    let picked = pick_media(content).map(|(m, _)| m.clone());
    let mut out = Vec::new();
    for (media, m) in content {
        if !crate::lower::media::is_json(media) {
            continue;
        }
        let at = format!("{base}/content/{}", escape_pointer(media));
        let schema = if m.get("schema").is_some() {
            format!("{at}/schema")
        } else {
            String::new()
        };
        let mut values = Vec::new();
        if m.get("example").is_some() {
            values.push(format!("{at}/example"));
        }
        if let Some(named) = m.get("examples").and_then(Value::as_object) {
            for (key, e) in named {
                let (e, e_at) = follow(root, e, format!("{at}/examples/{}", escape_pointer(key)));
                if e.get("value").is_some() {
                    values.push(format!("{e_at}/value"));
                }
            }
        }
        for value in values {
            out.push(Example {
                media: media.clone(),
                value,
                schema: schema.clone(),
                reachable: picked.as_deref() == Some(media.as_str()),
            });
        }
    }
    out
}

/// Follows a local `$ref` (a few hops), returning the node and its pointer.
fn follow<'v>(root: &'v Value, mut node: &'v Value, mut at: String) -> (&'v Value, String) {
    for _ in 0..8 {
        let Some(r) = node.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(target) = r.strip_prefix('#').and_then(|p| resolve_pointer(root, p)) else {
            break;
        };
        at = r[1..].to_string();
        node = target;
    }
    (node, at)
}
