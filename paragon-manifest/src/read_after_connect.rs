//! Reading `[[auth.after_connect]]` from `integration.toml`, every problem at once.

use std::ops::Range;

use toml::de::DeValue;

use crate::after_connect::AfterConnect;
use crate::api::{Api, ApiAuthorization};
use crate::parse::{Declared, Reader, Table, is_identifier, json_pointer};
use crate::template::{Reference, Template};

const KEYS: &[&str] = &["url", "capture", "provider_id"];

/// What was read, with the positions the checks against `[api]` point at.
#[derive(Default)]
pub(crate) struct Read {
    pub(crate) entries: Vec<AfterConnect>,
    /// Every captured name with its entry's index and the span of its key.
    names: Vec<(String, usize, Range<usize>)>,
    /// Each relative entry's index and the span of its `url`.
    relative_urls: Vec<(usize, Range<usize>)>,
    /// Whether every entry was read without a problem.
    pub(crate) ok: bool,
}

impl Read {
    /// The names the entries capture: `{credential.<name>}` for the API's templates.
    pub(crate) fn names(&self) -> impl Iterator<Item = &String> {
        self.names.iter().map(|(n, _, _)| n)
    }
}

/// `[[auth.after_connect]]`. `taken` are credential values already named (the token
/// response's and the callback's captures, a registered client); `provider_id_elsewhere`:
/// the token response already gives the provider id.
pub(crate) fn read(
    r: &mut Reader<'_>,
    auth: &Table<'_, '_>,
    declared: &Declared,
    taken: &[String],
    provider_id_elsewhere: bool,
) -> Read {
    let mut out = Read {
        ok: true,
        ..Read::default()
    };
    let Some(value) = auth.get("after_connect") else {
        return out;
    };
    let DeValue::Array(items) = value.get_ref() else {
        r.wrong_type(
            value,
            "auth.after_connect",
            "an array of tables (`[[auth.after_connect]]`)",
        );
        out.ok = false;
        return out;
    };
    let mut provider_id_at: Option<String> =
        provider_id_elsewhere.then(|| "auth.provider_id".into());
    for (index, item) in items.iter().enumerate() {
        let path = format!("auth.after_connect[{index}]");
        let DeValue::Table(map) = item.get_ref() else {
            r.wrong_type(item, &path, "a table");
            out.ok = false;
            continue;
        };
        let t = Table {
            map,
            span: item.span(),
            path,
        };
        let before = r.count();
        // Earlier entries' values may be used; this one's and later ones' are not known yet.
        let mut known = declared.clone();
        known.captures.extend(out.names().cloned());
        let entry = entry(r, &t, &known, index, taken, &mut out, &mut provider_id_at);
        match entry {
            Some(e) if r.count() == before => out.entries.push(e),
            _ => out.ok = false,
        }
    }
    out
}

fn entry(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    known: &Declared,
    index: usize,
    taken: &[String],
    out: &mut Read,
    provider_id_at: &mut Option<String>,
) -> Option<AfterConnect> {
    r.check_keys(t, KEYS, &[], "");
    let url = url(r, t, known, index, out);
    let capture = capture(r, t, index, taken, out);
    let provider_id = provider_id(r, t, provider_id_at);
    if t.get("capture").is_none() && t.get("provider_id").is_none() {
        r.error(
            t.span.clone(),
            &t.path,
            format!("`{}` reads nothing from the answer", t.path),
            "add capture = { name = \"/json/pointer\" } or provider_id = \"/id\"",
        );
    }
    let (url, relative) = url?;
    Some(AfterConnect {
        url,
        relative,
        capture: capture?,
        provider_id: provider_id?,
        url_inputs: known.url_inputs.clone(),
        index,
    })
}

/// `url`: a path under `api.base_url`, or an absolute URL whose host the manifest names.
fn url(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    known: &Declared,
    index: usize,
    out: &mut Read,
) -> Option<(Template, bool)> {
    let (text, span) = r.req_string(
        t,
        "url",
        "a path under the API's base URL (url = \"/me\") or an absolute URL (url = \"https://login.example.com/metadata\")",
    )?;
    let field = t.field("url");
    if !text.starts_with('/') {
        let template = r.url_template(&text, &span, &field, known, true)?;
        if template.host_from_values() {
            r.error(
                span,
                &field,
                "the host of an after-connect URL comes from a value the end user or the provider chooses, and the new credential would go to it",
                "write the host in the manifest (a literal or {env.*}), or use a path under `api.base_url`",
            );
            return None;
        }
        return Some((template, false));
    }
    let problem = if text.starts_with("//") {
        Some("must not start with `//`")
    } else if text.contains("://") {
        Some("must not hold a URL after the `/`")
    } else if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("must not contain spaces or control characters")
    } else if text.contains('#') {
        Some("must not contain a fragment (`#`)")
    } else {
        None
    };
    if let Some(problem) = problem {
        r.error(
            span,
            &field,
            format!("a path under the API's base URL {problem}"),
            "e.g. url = \"/me\"",
        );
        return None;
    }
    let template = r.template(&text, &span, &field, known, true)?;
    out.relative_urls.push((index, span));
    Some((template, true))
}

/// `capture = { name = "/pointer", … }`.
fn capture(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    index: usize,
    taken: &[String],
    out: &mut Read,
) -> Option<Vec<(String, String)>> {
    if t.get("capture").is_none() {
        return Some(Vec::new());
    }
    let table = r.opt_table(t, "capture")?;
    let mut ok = true;
    let mut pairs = Vec::new();
    for (key, value) in table.map.iter() {
        let name: &str = key.get_ref();
        let field = table.field(name);
        let problem = if !is_identifier(name) {
            Some((
                format!("`{name}` is not a name templates can use"),
                "use letters, digits and `_`, e.g. instance_url",
            ))
        } else if name == "access_token" {
            Some((
                "`access_token` is the credential's token; an after-connect answer cannot replace it".to_owned(),
                "capture the value under another name",
            ))
        } else if taken.iter().any(|n| n == name) || out.names().any(|n| n == name) {
            Some((
                format!("`{name}` is already a credential value (captured elsewhere)"),
                "capture each value from one place, or name this one differently",
            ))
        } else {
            None
        };
        if let Some((message, help)) = problem {
            r.error(key.span(), &field, message, help);
            ok = false;
            continue;
        }
        // The name is known even when its pointer is wrong, so its uses are not reported too.
        out.names.push((name.to_owned(), index, key.span()));
        let pointer = r
            .string(value, &field)
            .and_then(|(pointer, span)| json_pointer(r, pointer, span, &field));
        match pointer {
            Some(p) => pairs.push((name.to_owned(), p)),
            None => ok = false,
        }
    }
    ok.then_some(pairs)
}

/// `provider_id`: a JSON pointer to the account's id; one place in the manifest says it.
fn provider_id(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    provider_id_at: &mut Option<String>,
) -> Option<Option<String>> {
    let Some(value) = t.get("provider_id") else {
        return Some(None);
    };
    let field = t.field("provider_id");
    if let Some(first) = provider_id_at.as_ref() {
        r.error(
            value.span(),
            &field,
            format!("`{first}` already says where the provider id is"),
            "keep one `provider_id`",
        );
        return None;
    }
    *provider_id_at = Some(field.clone());
    let (pointer, span) = r.string(value, &field)?;
    json_pointer(r, pointer, span, &field).map(Some)
}

/// What the API setup may not need from after-connect values: its authorization carries
/// the requests that read them, and a path is resolved under a base URL that must not need
/// this entry's or a later entry's values.
pub(crate) fn check_against_api(r: &mut Reader<'_>, read: &Read, api: &Api) {
    let authorization: Vec<&Template> = api
        .authorizations()
        .flat_map(ApiAuthorization::templates)
        .collect();
    let uses = |templates: &[&Template], name: &str| {
        templates
            .iter()
            .flat_map(|t| t.references())
            .any(|r| matches!(r, Reference::Credential(n) if n == name))
    };
    for (name, index, span) in &read.names {
        if uses(&authorization, name) {
            r.error(
                span.clone(),
                &format!("auth.after_connect[{index}].capture.{name}"),
                format!("`api.authorization` uses `{{credential.{name}}}`, but after-connect requests are authorized by `api.authorization`, before the value is read"),
                "authorize with the token or inputs, and use the value in the base URL or `[api.headers]`",
            );
        }
    }
    for (index, span) in &read.relative_urls {
        let needed = read
            .names
            .iter()
            .filter(|(_, at, _)| at >= index)
            .find(|(name, _, _)| uses(&[api.base_url_template()], name));
        if let Some((name, _, _)) = needed {
            r.error(
                span.clone(),
                &format!("auth.after_connect[{index}].url"),
                format!("this path is under `api.base_url`, which needs `{{credential.{name}}}`, read by this or a later after-connect request"),
                "write an absolute URL, e.g. url = \"https://login.example.com/metadata\"",
            );
        }
    }
}
