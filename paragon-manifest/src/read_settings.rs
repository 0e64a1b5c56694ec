//! Reading `[[settings]]` and `overview` from `integration.toml`, every problem at once.

use std::collections::BTreeSet;

use toml::de::DeValue;

use crate::parse::{Reader, Table, Value, closest, is_identifier, quote_list};
use crate::setting::{SettingField, SettingKind, SettingValue};

const SETTING_KEYS: &[&str] = &[
    "key", "label", "kind", "required", "pattern", "default", "help", "options", "fields",
];

/// The manifest's `[[settings]]`, in file order.
pub(crate) fn settings(r: &mut Reader<'_>, root: &Table<'_, '_>) -> Vec<SettingField> {
    let Some(value) = root.get("settings") else {
        return Vec::new();
    };
    let DeValue::Array(items) = value.get_ref() else {
        r.wrong_type(value, "settings", "an array of tables (`[[settings]]`)");
        return Vec::new();
    };
    let mut out: Vec<SettingField> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("settings[{i}]");
        let DeValue::Table(map) = item.get_ref() else {
            r.wrong_type(item, &path, "a table");
            continue;
        };
        let t = Table {
            map,
            span: item.span(),
            path,
        };
        if let Some(field) = setting(r, &t, &out) {
            out.push(field);
        }
    }
    out
}

/// The optional `overview`: Markdown the Connect Portal shows above the settings.
pub(crate) fn overview(r: &mut Reader<'_>, root: &Table<'_, '_>) -> Option<String> {
    r.opt_string(root, "overview").map(|(s, _)| s)
}

fn setting(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    earlier: &[SettingField],
) -> Option<SettingField> {
    r.check_keys(t, SETTING_KEYS, &[], "");
    let key = r
        .req_string(t, "key", "e.g. key = \"project\"")
        .and_then(|(k, span)| {
            if !is_identifier(&k) {
                r.error(
                    span,
                    &t.field("key"),
                    format!("setting key `{k}` is not a name templates can use"),
                    "use letters, digits and `_`, starting with a letter, e.g. \"project\"",
                );
                None
            } else if earlier.iter().any(|s| s.key == k) {
                r.error(
                    span,
                    &t.field("key"),
                    format!("duplicate setting key `{k}`"),
                    "each setting needs its own key",
                );
                None
            } else {
                Some(k)
            }
        });
    let label = r.req_string(t, "label", "e.g. label = \"Project\"");
    let kind = kind(r, t);
    let required = r.opt_bool(t, "required").unwrap_or(false);
    let help = r.opt_string(t, "help").map(|(h, _)| h);
    let pattern = pattern(r, t, kind.as_ref());
    let (key, (label, _), kind) = (key?, label?, kind?);
    let field = SettingField {
        key,
        label,
        kind,
        required,
        pattern,
        default: None,
        help,
    };
    let default = t.get("default").and_then(|v| default(r, t, v, &field));
    Some(SettingField { default, ..field })
}

fn kind(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<SettingKind> {
    let kind = r.opt_string(t, "kind");
    let name = kind.as_ref().map_or("text".to_owned(), |(k, _)| k.clone());
    let name = name.as_str();
    let list = |r: &mut Reader<'_>, key: &str, example: &str| -> Option<Vec<String>> {
        let Some(items) = r.opt_string_array(t, key) else {
            r.missing(t, key, format!("e.g. {key} = {example}"));
            return None;
        };
        let mut seen = BTreeSet::new();
        for (o, span) in &items {
            if !seen.insert(o.clone()) {
                r.error(
                    span.clone(),
                    &t.field(key),
                    format!("`{o}` is listed twice"),
                    "remove it",
                );
            }
        }
        if items.is_empty() {
            let span = t.get(key).map_or(t.span.clone(), |v| v.span());
            r.error(
                span,
                &t.field(key),
                format!("`{key}` is empty"),
                format!("e.g. {key} = {example}"),
            );
            return None;
        }
        Some(items.into_iter().map(|(o, _)| o).collect())
    };
    let parsed = match name {
        "select" => SettingKind::Select {
            options: list(r, "options", "[\"daily\", \"weekly\"]")?,
        },
        "field_mapping" => SettingKind::FieldMapping {
            fields: list(r, "fields", "[\"title\", \"due_date\"]")?,
        },
        "text" => SettingKind::Text,
        "password" => {
            let span = kind.as_ref().map_or(t.span.clone(), |(_, s)| s.clone());
            r.error(
                span,
                &t.field("kind"),
                "a setting cannot be a password: settings are stored and reported in the clear",
                "declare the secret in [[inputs]] (encrypted at rest), or use kind = \"text\"",
            );
            return None;
        }
        "url" => SettingKind::Url,
        "number" => SettingKind::Number,
        "boolean" => SettingKind::Boolean,
        other => {
            let span = kind.as_ref().map_or(t.span.clone(), |(_, s)| s.clone());
            let help = match closest(other, &SettingKind::NAMES) {
                Some(k) => format!("did you mean \"{k}\"?"),
                None => format!("expected one of: {}", quote_list(&SettingKind::NAMES)),
            };
            r.error(
                span,
                &t.field("kind"),
                format!("unknown setting kind `{other}`"),
                help,
            );
            return None;
        }
    };
    for (key, applies) in [("options", "select"), ("fields", "field_mapping")] {
        if name != applies
            && let Some((k, _)) = t.map.get_key_value(key)
        {
            r.error(
                k.span(),
                &t.field(key),
                format!("`{key}` only applies to `kind = \"{applies}\"`"),
                format!("remove `{key}`, or set kind = \"{applies}\""),
            );
        }
    }
    Some(parsed)
}

fn pattern(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    kind: Option<&SettingKind>,
) -> Option<regex::Regex> {
    let (p, span) = r.opt_string(t, "pattern")?;
    if !matches!(kind, Some(SettingKind::Text) | None) {
        r.error(
            span,
            &t.field("pattern"),
            "`pattern` only applies to `text` settings",
            "remove `pattern`",
        );
        return None;
    }
    match regex::RegexBuilder::new(&format!("^(?:{p})$"))
        .size_limit(1 << 20)
        .build()
    {
        Ok(re) => Some(re),
        Err(e) => {
            r.error(
                span,
                &t.field("pattern"),
                format!("invalid pattern: {}", crate::parse::pattern_error(&e)),
                "write a regular expression the whole value must match, e.g. \"[A-Z]+-[0-9]+\"",
            );
            None
        }
    }
}

/// The default, written as the kind's own TOML type (`default = 10`, `default = true`, a
/// string otherwise) and checked as an end user's value would be.
fn default(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    v: &Value<'_>,
    field: &SettingField,
) -> Option<SettingValue> {
    let written = match (v.get_ref(), &field.kind) {
        (DeValue::Boolean(b), SettingKind::Boolean) => Some(b.to_string()),
        (DeValue::Integer(_) | DeValue::Float(_), SettingKind::Number) => {
            Some(r.src[v.span()].replace('_', ""))
        }
        (DeValue::String(s), k)
            if !matches!(
                k,
                SettingKind::Boolean | SettingKind::Number | SettingKind::FieldMapping { .. }
            ) =>
        {
            Some(s.to_string())
        }
        _ => None,
    };
    let Some(written) = written else {
        let expected = match field.kind {
            SettingKind::Boolean => "`true` or `false`",
            SettingKind::Number => "a number",
            SettingKind::FieldMapping { .. } => "nothing: a field mapping has no default",
            _ => "a string",
        };
        r.wrong_type(v, &t.field("default"), expected);
        return None;
    };
    match field.scalar(&written) {
        Ok(value) => Some(value),
        Err(e) => {
            r.error(
                v.span(),
                &t.field("default"),
                format!("the default value is not accepted: {e}"),
                "change the default or the rule",
            );
            None
        }
    }
}
