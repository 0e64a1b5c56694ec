//! Lowering an operation's request body and responses: the success type the typed call returns
//! (one for all 2xx answers) and the documented error bodies it decodes.

use crate::ir::{Body, BodyKind, Resp, Status, Ty};
use crate::lower::media::{is_json, media_words, pick_media};
use crate::lower::schemas::{TypeGen, doc_lines};
use crate::lower::spec::{MediaType, Operation, RequestBody, Response};
use crate::names::camel;
use serde_json::{Map, Value};

/// The request body, in the media type the builder sends (JSON, then a form, then raw bytes).
pub(crate) fn request_body(tg: &mut TypeGen<'_>, op: Operation<'_>, builder: &str) -> Option<Body> {
    let b = RequestBody(op.request_body().and_then(|b| tg.deref(b))?);
    let (media, m) = pick_media(b.content()?)?;
    let required = b.required();
    let doc = doc_lines(&[b.description()]);
    let schema = MediaType(m).schema();
    let kind = if is_json(media) {
        match schema {
            Some(s) => BodyKind::Json(tg.ty(s, builder, "Request")),
            None => BodyKind::Json(Ty::Value),
        }
    } else if media.starts_with("application/x-www-form-urlencoded") && schema.is_some() {
        BodyKind::Form(tg.ty(schema.unwrap_or(&Value::Null), builder, "Request"))
    } else {
        BodyKind::Raw(media.clone())
    };
    tg.note = None;
    Some(Body {
        kind,
        required,
        doc,
    })
}

/// What an operation answers, as the typed call reads it.
pub(crate) struct Responses {
    /// The one success type.
    pub(crate) response: Resp,
    /// The documented error bodies: variant name, status, type.
    pub(crate) errors: Vec<(String, Status, Ty)>,
    /// Whether a 3xx is documented.
    pub(crate) redirects: bool,
    /// Whether the success answers have different types, so the success type is untyped.
    pub(crate) untyped: bool,
    /// The success answers' other media types and what each decodes into, the first 2xx
    /// that lists a media type giving its type.
    pub(crate) alternates: Vec<(String, Resp)>,
}

/// The success type and the error bodies of an operation's `responses`.
pub(crate) fn responses(tg: &mut TypeGen<'_>, op: Operation<'_>, builder: &str) -> Responses {
    let mut success: Vec<Resp> = Vec::new();
    let mut errors = Vec::new();
    let mut redirects = false;
    let mut alternates = Vec::new();
    for (code, r) in op.responses() {
        let Some(r) = tg.deref(r).map(Response) else {
            continue;
        };
        let code = code.to_ascii_uppercase();
        redirects |= code.starts_with('3');
        let content = r.content();
        if code.starts_with('2') {
            let member = if success.is_empty() {
                "Response".to_string()
            } else {
                format!("Response{code}")
            };
            success.push(success_body(tg, content, builder, &member));
            other_media(tg, content, builder, &member, &mut alternates);
        } else if code.starts_with('4') || code.starts_with('5') || code == "DEFAULT" {
            let Some(error) = error_body(tg, &code, content, builder) else {
                continue;
            };
            // `4xx` and `4XX`, or `404` twice in a YAML spec, name one variant.
            if !errors.iter().any(|(v, _, _)| *v == error.0) {
                errors.push(error);
            }
        }
    }
    let mut untyped = false;
    let response = merge_success(success, &mut untyped);
    Responses {
        response,
        errors,
        redirects,
        untyped,
        alternates,
    }
}

/// The media types of a 2xx answer other than the one the typed call decodes, each with the
/// type of its own schema (bytes when it is not JSON), added to `out` unless already there.
fn other_media(
    tg: &mut TypeGen<'_>,
    content: Option<&Map<String, Value>>,
    builder: &str,
    member: &str,
    out: &mut Vec<(String, Resp)>,
) {
    let Some(content) = content else {
        return;
    };
    let picked = pick_media(content).map(|(m, _)| m);
    for (media, m) in content {
        // `*/*` asks for nothing in particular: the typed call's own answer.
        if Some(media) == picked || media.starts_with("*/*") || out.iter().any(|(o, _)| o == media)
        {
            continue;
        }
        let resp = match MediaType(m).schema() {
            Some(s) if is_json(media) => {
                let member = format!("{member}{}", camel(&media_words(media), "Other"));
                Resp::Json(tg.ty(s, builder, &member))
            }
            None if is_json(media) => Resp::Json(Ty::Value),
            _ => Resp::Bytes,
        };
        tg.note = None;
        out.push((media.clone(), resp));
    }
}

/// What one 2xx answer holds: nothing, JSON of a type, or bytes.
fn success_body(
    tg: &mut TypeGen<'_>,
    content: Option<&Map<String, Value>>,
    builder: &str,
    member: &str,
) -> Resp {
    let resp = match content.and_then(pick_media) {
        None => Resp::Unit,
        Some((media, m)) if is_json(media) => match MediaType(m).schema() {
            Some(s) => Resp::Json(tg.ty(s, builder, member)),
            None => Resp::Json(Ty::Value),
        },
        Some(_) => Resp::Bytes,
    };
    tg.note = None;
    resp
}

/// A documented JSON error body of status `code` (upper case): its variant, status and type.
fn error_body(
    tg: &mut TypeGen<'_>,
    code: &str,
    content: Option<&Map<String, Value>>,
    builder: &str,
) -> Option<(String, Status, Ty)> {
    let (media, m) = content.and_then(pick_media)?;
    if !is_json(media) {
        return None;
    }
    let status = if code == "DEFAULT" {
        Status::Default
    } else if let Ok(n) = code.parse::<u16>() {
        Status::Code(n)
    } else if code.ends_with("XX") {
        Status::Range(code[..1].parse::<u16>().unwrap_or(5) * 100)
    } else {
        return None;
    };
    let variant = match status {
        Status::Code(n) => format!("Status{n}"),
        Status::Range(n) => format!("Status{}xx", n / 100),
        Status::Default => "Default".into(),
    };
    let ty = match MediaType(m).schema() {
        Some(s) => tg.ty(s, builder, &variant),
        None => Ty::Value,
    };
    tg.note = None;
    Some((variant, status, ty))
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
