//! Reading where `api.authorization` puts the credential beyond its `type`'s own place: the
//! query parameters (`params`) and JSON body members (`body`) written beside another type, a
//! `body` authorization, and the scheme and header of an encoded `basic` pair.

use toml::de::DeValue;

use crate::api::{ApiAuthorization, BodyTemplate};
use crate::parse::{
    Declared, Reader, Table, Value, is_header_name, literal_secret, named_values, user_value,
};

/// The authorization types, for "did you mean".
pub(crate) const TYPES: &[&str] = &["none", "bearer", "basic", "headers", "query", "body"];

/// Body members nest at most this deep (`auth = { key = … }` is two levels).
const MAX_DEPTH: usize = 4;

/// `scheme` (default `Basic`; empty for the bare encoded pair) and `header` (default
/// `Authorization`) of a `basic` pair.
pub(crate) fn scheme_and_header(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<(String, String)> {
    let scheme = match r.opt_string(t, "scheme") {
        None if t.get("scheme").is_some() => None,
        None => Some("Basic".to_owned()),
        Some((s, _)) if s.is_empty() || is_header_name(&s) => Some(s),
        Some((s, span)) => {
            r.error(
                span,
                &t.field("scheme"),
                format!("`{s}` is not an authorization scheme"),
                "one word of letters, digits and `-` (e.g. \"Basic\", \"Userkeyauth\"), or \"\" for the encoded pair alone",
            );
            None
        }
    };
    let header = match r.opt_string(t, "header") {
        None if t.get("header").is_some() => None,
        None => Some("Authorization".to_owned()),
        Some((h, _)) if is_header_name(&h) => Some(h),
        Some((h, span)) => {
            r.error(
                span,
                &t.field("header"),
                format!("`{h}` is not a valid HTTP header name"),
                "use letters, digits and `-`, e.g. \"client-auth-token\"",
            );
            None
        }
    };
    Some((scheme?, header?))
}

/// The placements written beside `ty`: `params` (unless `ty` is `query`, whose own they are)
/// and `body` (unless `ty` is `body`).
pub(crate) fn also(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    ty: &str,
    declared: &Declared,
) -> Option<Vec<ApiAuthorization>> {
    let mut out = Vec::new();
    let mut ok = true;
    if ty != "query" && ty != "none" && t.get("params").is_some() {
        match named_values(r, t, "params", declared) {
            Some(pairs) => out.push(ApiAuthorization::Query(pairs)),
            None => ok = false,
        }
    }
    if ty != "body" && ty != "none" && t.get("body").is_some() {
        match body(r, t, declared) {
            Some(members) => out.push(ApiAuthorization::Body(members)),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// `body = { … }`: members merged into every JSON request body, each a template referring to
/// the credential, an input or an environment secret, or a table of more members.
pub(crate) fn body(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    declared: &Declared,
) -> Option<Vec<(String, BodyTemplate)>> {
    if t.get("body").is_none() {
        r.missing(t, "body", "e.g. body = { key = \"{input.api_key}\" }");
        return None;
    }
    let table = r.opt_table(t, "body")?;
    let before = r.count();
    let members = members(r, &table, declared, 1);
    (r.count() == before).then_some(members)
}

fn members(
    r: &mut Reader<'_>,
    table: &Table<'_, '_>,
    declared: &Declared,
    depth: usize,
) -> Vec<(String, BodyTemplate)> {
    if table.map.is_empty() {
        r.error(
            table.span.clone(),
            &table.path,
            format!("`{}` is empty", table.path),
            "name at least one member, e.g. key = \"{input.api_key}\"",
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for (key, value) in table.map.iter() {
        let name: &str = key.get_ref();
        let field = table.field(name);
        if name.is_empty() {
            r.error(
                key.span(),
                &field,
                "empty member name",
                "give the member a name",
            );
            continue;
        }
        let member = match value.get_ref() {
            DeValue::Table(map) if depth < MAX_DEPTH => {
                let nested = Table {
                    map,
                    span: value.span(),
                    path: field.clone(),
                };
                Some(BodyTemplate::Object(members(
                    r,
                    &nested,
                    declared,
                    depth + 1,
                )))
            }
            DeValue::Table(_) => {
                r.error(
                    value.span(),
                    &field,
                    format!("`{field}` nests deeper than {MAX_DEPTH} levels"),
                    "flatten the body's members",
                );
                None
            }
            DeValue::String(_) => leaf(r, value, &field, declared),
            _ => {
                r.wrong_type(value, &field, "a string or a table");
                None
            }
        };
        out.extend(member.map(|m| (name.to_owned(), m)));
    }
    out
}

/// A string member: a template that is no literal and no user metadata.
fn leaf(
    r: &mut Reader<'_>,
    value: &Value<'_>,
    field: &str,
    declared: &Declared,
) -> Option<BodyTemplate> {
    let (text, span) = r.string(value, field)?;
    let template = r.template(&text, &span, field, declared, true)?;
    if template.literal().is_some() {
        literal_secret(r, span, field);
        return None;
    }
    if user_value(r, &template, span, field).is_some() {
        return None;
    }
    Some(BodyTemplate::Text(template))
}
