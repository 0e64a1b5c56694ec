//! Reading tables of named request values (`[api.headers]`, `[auth.token_params]`, …) whose
//! values may be alternatives or refer to optional inputs ([`Entry`]).

use std::ops::Range;

use toml::de::DeValue;

use crate::alternatives::Entry;
use crate::parse::{Declared, Reader, Table, Value, is_header_name};
use crate::template::{Reference, Template};

/// Every entry of `table`, each a string (a template) or an array of alternatives. An
/// optional input without a default may be used in any of them: without a value, the next
/// alternative is used, or the entry is left out. `headers`: names are HTTP header names and
/// values may hold no control character.
pub(crate) fn entries(
    r: &mut Reader<'_>,
    table: &Table<'_, '_>,
    declared: &Declared,
    headers: bool,
    credential_allowed: bool,
) -> Vec<Entry> {
    let relaxed = declared.relaxed();
    let mut out = Vec::new();
    for (key, value) in table.map.iter() {
        let name: &str = key.get_ref();
        let field = table.field(name);
        if !entry_name(r, name, key.span(), &field, headers) {
            continue;
        }
        let entry = match value.get_ref() {
            DeValue::Array(items) if items.is_empty() => {
                r.error(
                    value.span(),
                    &field,
                    format!("`{field}` has no alternatives"),
                    "e.g. [\"{input.version}\", \"2024-01-01\"]: the first with values is sent",
                );
                continue;
            }
            DeValue::Array(items) => {
                let mut alternatives = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let item_field = format!("{field}[{i}]");
                    alternatives.extend(value_template(
                        r,
                        item,
                        &item_field,
                        &relaxed,
                        headers,
                        credential_allowed,
                    ));
                }
                Entry {
                    name: name.to_owned(),
                    alternatives,
                    optional: true,
                }
            }
            _ => {
                let Some(template) =
                    value_template(r, value, &field, &relaxed, headers, credential_allowed)
                else {
                    continue;
                };
                Entry {
                    name: name.to_owned(),
                    optional: uses_optional_input(&template, declared),
                    alternatives: vec![template],
                }
            }
        };
        out.push(entry);
    }
    out
}

/// One value: a string parsed as a template, its references checked.
fn value_template(
    r: &mut Reader<'_>,
    value: &Value<'_>,
    field: &str,
    declared: &Declared,
    headers: bool,
    credential_allowed: bool,
) -> Option<Template> {
    let (text, span) = r.string(value, field)?;
    if headers && text.chars().any(|c| c.is_control() && c != '\t') {
        r.error(
            span,
            field,
            "header values cannot contain line breaks or control characters",
            "remove them",
        );
        return None;
    }
    r.template(&text, &span, field, declared, credential_allowed)
}

/// Whether the name is a valid entry name, reporting it when not.
fn entry_name(
    r: &mut Reader<'_>,
    name: &str,
    span: Range<usize>,
    field: &str,
    headers: bool,
) -> bool {
    if headers && !is_header_name(name) {
        r.error(
            span,
            field,
            format!("`{name}` is not a valid HTTP header name"),
            "use letters, digits and `-`, e.g. \"X-Api-Key\"",
        );
        return false;
    }
    if name.is_empty() {
        r.error(
            span,
            field,
            "empty parameter name",
            "give the parameter a name",
        );
        return false;
    }
    true
}

/// Whether the template refers to an optional input without a default, which may have no
/// value: the entry is then left out.
fn uses_optional_input(template: &Template, declared: &Declared) -> bool {
    template
        .references()
        .any(|r| matches!(r, Reference::Input(key) if declared.is_optional(key)))
}
