//! A single-page app's authorization screen, the shape of Apollo's and SHOPLINE's: the page
//! at `/app/` routes by its URL's fragment, so the authorization request is
//! `/app/#/oauth/authorize?response_type=code&…`, a URL whose route and query the server never
//! sees (a browser does not send the fragment). The page's script reads them and goes on to
//! the consent page; any other route is shown as unknown.

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// The route the page knows, inside the fragment.
pub const AUTHORIZE_ROUTE: &str = "/oauth/authorize";

/// `GET /app/`.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/app/", get(page))
}

/// The page: its script sends the browser to the consent page with the fragment's query.
async fn page() -> Response {
    let script = format!(
        "const h = location.hash.slice(1), q = h.indexOf('?');\n\
         const route = q < 0 ? h : h.slice(0, q);\n\
         if (route === '{AUTHORIZE_ROUTE}' && q >= 0) {{ location.replace('/oauth/authorize' + h.slice(q)); }}\n\
         else {{ document.body.textContent = 'Unknown route: ' + route; }}"
    );
    let html = format!(
        "<!doctype html><html><head><title>Task Lab</title></head><body>Loading…<script>{script}</script></body></html>"
    );
    let mut response = Html(html).into_response();
    response.headers_mut().insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; script-src 'unsafe-inline'"),
    );
    response
}
