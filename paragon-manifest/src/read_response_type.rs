//! `[auth] response_type`: the value of the authorization request's `response_type` when the
//! provider names the authorization code otherwise (Follow Up Boss: `auth_code`).

use crate::parse::{Reader, Table};

/// The flow's own, RFC 6749 §4.1.1.
pub(crate) const DEFAULT: &str = "code";

/// Response types that return tokens to the browser (the implicit grant, OpenID Connect's
/// `id_token`): RFC 9700 §2.1.2 rules the implicit grant out, and the callback would not
/// carry the code the server exchanges.
const TOKENS_IN_THE_BROWSER: &[&str] = &["token", "id_token"];

/// The response type, `code` when not set; `None` when what is written is refused.
pub(crate) fn read(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<String> {
    let field = t.field("response_type");
    let Some((value, span)) = r.opt_string(t, "response_type") else {
        return t.get("response_type").is_none().then(|| DEFAULT.to_owned());
    };
    let word = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if !word {
        r.error(
            span,
            &field,
            format!("`{value}` is not a response type the code flow can use"),
            "write one word of letters, digits, `_` or `-`, e.g. \"auth_code\": a list such as \"code id_token\" returns values in the URL fragment, which the server never receives",
        );
        return None;
    }
    if TOKENS_IN_THE_BROWSER.contains(&value.as_str()) {
        r.error(
            span,
            &field,
            format!("`response_type = \"{value}\"` returns tokens to the browser"),
            "the server exchanges an authorization code (RFC 9700 rules out the implicit grant): leave response_type out for \"code\", or name the provider's word for it",
        );
        return None;
    }
    Some(value)
}
