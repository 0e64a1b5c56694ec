//! The Connect Portal: `GET /connect/{integration}?token=<user token>`.

use axum::http::{HeaderMap, HeaderValue, header};

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Strict headers for every HTML page: a CSP allowing only this page's own nonce'd style,
/// data: images (the SVG icon, which cannot run script as an image) and forms posting to this
/// server (plus the provider's authorization origin the Enable form redirects to).
pub(crate) fn security_headers(headers: &mut HeaderMap, nonce_and_form: Option<(&str, &str)>) {
    let csp = match nonce_and_form {
        Some((nonce, form_extra)) => format!(
            "default-src 'none'; style-src 'nonce-{nonce}'; img-src data:; \
             form-action 'self' {form_extra}; frame-ancestors 'none'; base-uri 'none'"
        ),
        None => "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
            .to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
}

pub(crate) fn router() -> axum::Router<crate::state::Shared> {
    axum::Router::new()
}
