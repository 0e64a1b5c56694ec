//! Reading what a token exchange keeps besides its token, from `integration.toml`, every
//! problem at once: its renewal by refresh token (`refresh_token_path` and `[auth.refresh]`)
//! and values of its answer's headers (`capture_headers`).

use crate::alternatives::Entry;
use crate::exchange::ExchangeRefresh;
use crate::parse::{
    Declared, Reader, Table, is_header_name, is_identifier, json_pointer, refuse_end_user_host,
};
use crate::template::{Reference, Template};

const KEYS: &[&str] = &["url", "params", "headers"];

/// The name `[auth.refresh]` templates use for the stored refresh token.
const REFRESH_TOKEN: &str = "refresh_token";

/// `refresh_token_path` and `[auth.refresh]`, when the manifest has them.
pub(crate) type Renewal = (Option<String>, Option<ExchangeRefresh>);

/// `refresh_token_path` and `[auth.refresh]`: both or neither. `None` when something is wrong.
pub(crate) fn read(
    r: &mut Reader<'_>,
    auth: &Table<'_, '_>,
    declared: &Declared,
) -> Option<Renewal> {
    let path = match auth.get("refresh_token_path") {
        None => None,
        Some(_) => {
            let (p, span) = r.opt_string(auth, "refresh_token_path")?;
            Some(json_pointer(r, p, span, "auth.refresh_token_path")?)
        }
    };
    let refresh = match auth.get("refresh") {
        None => None,
        Some(_) => Some(refresh(r, auth, declared)?),
    };
    match (&path, &refresh) {
        (Some(_), None) => {
            let span = auth.get("refresh_token_path").map(|v| v.span())?;
            r.error(
                span,
                "auth.refresh_token_path",
                "the refresh token is read but never sent: there is no `[auth.refresh]`",
                "add [auth.refresh] with params = { refresh_token = \"{credential.refresh_token}\" }, or remove refresh_token_path",
            );
            None
        }
        (None, Some(_)) => {
            let span = auth.get("refresh").map(|v| v.span())?;
            r.error(
                span,
                "auth.refresh",
                "`[auth.refresh]` needs a refresh token, but the exchange reads none",
                "point at it in the exchange's answer, e.g. refresh_token_path = \"/refresh_token\"",
            );
            None
        }
        _ => Some((path, refresh)),
    }
}

/// `[auth.refresh]`: `url`, `params`, `headers`, whose templates may use
/// `{credential.refresh_token}` and must send it.
fn refresh(
    r: &mut Reader<'_>,
    auth: &Table<'_, '_>,
    declared: &Declared,
) -> Option<ExchangeRefresh> {
    let t = r.opt_table(auth, "refresh")?;
    let before = r.count();
    r.check_keys(&t, KEYS, &[], "to `[auth.refresh]`");
    let mut known = declared.clone();
    known.captures = vec![REFRESH_TOKEN.to_owned()];
    let url = match t.get("url") {
        None => None,
        Some(_) => {
            let (text, span) = r.opt_string(&t, "url")?;
            let url = r.url_template(&text, &span, &t.field("url"), &known, true)?;
            if sends_refresh_token(&url) {
                r.error(
                    span,
                    "auth.refresh.url",
                    "the refresh token would be in a URL, which logs and proxies keep",
                    "send it in `params` or `headers`",
                );
                return None;
            }
            Some(url)
        }
    };
    let params = map(r, &t, "params", &known, false).unwrap_or_default();
    let headers = map(r, &t, "headers", &known, true);
    if r.count() != before {
        return None;
    }
    let sent = params
        .iter()
        .chain(headers.iter().flatten())
        .flat_map(|e| &e.alternatives)
        .any(sends_refresh_token);
    if !sent {
        r.error(
            t.span.clone(),
            "auth.refresh",
            "the refresh sends no refresh token",
            "use {credential.refresh_token} in `params` or `headers`, e.g. params = { refresh_token = \"{credential.refresh_token}\" }",
        );
        return None;
    }
    let refresh = ExchangeRefresh {
        url,
        params,
        headers,
    };
    let uses_env = refresh
        .templates()
        .any(|t| t.references().any(|r| matches!(r, Reference::Env(_))));
    if uses_env {
        refuse_end_user_host(r, &t, "url", refresh.url.as_ref(), declared);
    }
    (r.count() == before).then_some(refresh)
}

/// A table of templates, each always sent; `None` when absent (or wrong: the problem is
/// reported).
fn map(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    key: &str,
    known: &Declared,
    header_names: bool,
) -> Option<Vec<Entry>> {
    t.get(key)?;
    let table = r.opt_table(t, key)?;
    let pairs = r.template_map(&table, known, true, header_names);
    Some(
        pairs
            .into_iter()
            .map(|(n, t)| Entry::required(n, t))
            .collect(),
    )
}

fn sends_refresh_token(t: &Template) -> bool {
    t.references()
        .any(|r| matches!(r, Reference::Credential(name) if name == REFRESH_TOKEN))
}

/// `capture_headers = { cookies = "set-cookie" }`: values of the exchange answer's headers
/// kept as `{credential.<name>}`, each name with its lowercase header name.
pub(crate) fn header_captures(r: &mut Reader<'_>, auth: &Table<'_, '_>) -> Vec<(String, String)> {
    if auth.get("capture_headers").is_none() {
        return Vec::new();
    }
    let Some(table) = r.opt_table(auth, "capture_headers") else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in table.map.iter() {
        let field = table.field(name.get_ref());
        let Some((header, span)) = r.string(value, &field) else {
            continue;
        };
        let name = name.get_ref().to_string();
        let problem = if !is_identifier(&name) {
            Some((
                format!("`{name}` is not a name templates can use"),
                "use letters, digits and `_`, e.g. cookies = \"set-cookie\"".to_owned(),
            ))
        } else if ["access_token", REFRESH_TOKEN].contains(&name.as_str()) {
            Some((
                format!("`{name}` is the token itself; it cannot be read from a header"),
                "capture the header under another name".to_owned(),
            ))
        } else if !is_header_name(&header) {
            Some((
                format!("`{header}` is not a valid HTTP header name"),
                "name the answer's header, e.g. \"set-cookie\"".to_owned(),
            ))
        } else {
            None
        };
        match problem {
            Some((message, help)) => r.error(span, &field, message, help),
            None => out.push((name, header.to_ascii_lowercase())),
        }
    }
    out
}
