//! `[auth] authorization_nonce`: a parameter of the authorization request that carries a fresh
//! random value each time (Hubstaff's `nonce`), which the server generates and never stores.

use toml::de::DeValue;

use crate::parse::{Reader, Table};

/// Parameters the flow sets itself, which a nonce may not replace.
const FLOW_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

/// The nonce parameter's name, `Some(None)` when not set; `None` when what is written is
/// refused. It may not repeat a name of `[auth.authorization_params]`.
pub(crate) fn read(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<Option<String>> {
    let field = t.field("authorization_nonce");
    let Some((name, span)) = r.opt_string(t, "authorization_nonce") else {
        return t.get("authorization_nonce").is_none().then_some(None);
    };
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !valid {
        r.error(
            span,
            &field,
            format!("`{name}` is not a parameter name"),
            "use letters, digits, `_`, `-` or `.`, e.g. \"nonce\"",
        );
        return None;
    }
    if FLOW_PARAMS.contains(&name.as_str()) {
        r.error(
            span,
            &field,
            format!("`{name}` is a parameter the flow sets itself"),
            "name another parameter, e.g. \"nonce\"",
        );
        return None;
    }
    let in_params = match t.get("authorization_params").map(|v| v.get_ref()) {
        Some(DeValue::Table(params)) => params.contains_key(name.as_str()),
        _ => false,
    };
    if in_params {
        r.error(
            span,
            &field,
            format!("`{name}` is also set in `auth.authorization_params`"),
            format!("remove `{name}` from `auth.authorization_params`: the nonce is its value"),
        );
        return None;
    }
    Some(Some(name))
}
