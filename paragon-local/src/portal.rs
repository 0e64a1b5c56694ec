//! The Connect Portal: `GET /connect/{integration}?code=<single-use sign-in code>`.
//!
//! The page shows the integration (name, description, SVG icon, accent color), who is signed
//! in, the user's accounts with "Send test request" and "Disconnect", and an "Enable" form
//! (OAuth, or the manifest's input fields). Sign-in and the session are [`crate::session`]'s:
//! the code is exchanged at once for a session cookie and the browser is redirected to a URL
//! without it; every form carries a CSRF token bound to that session. No script runs on the
//! page; everything shown is escaped; the CSP allows only the page's own style.

use crate::auth::{Access, User};
use crate::error::ApiError;
use crate::flows::{self, create_credential};
use crate::integration::Integration;
use crate::proxy::{Outgoing, pick_credential, send_authorized};
use crate::session::{self, Session};
use crate::state::{AppState, Shared};
use crate::store::{Credential, Status};
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use paragon_manifest::{Auth, InputKind};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

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

pub(crate) fn router() -> axum::Router<Shared> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/connect/{integration}", get(show))
        .route("/connect/{integration}/enable", post(enable))
        .route("/connect/{integration}/test", post(test))
        .route("/connect/{integration}/disconnect", post(disconnect))
}

fn html_response(status: StatusCode, body: String, nonce: &str, form_extra: &str) -> Response {
    let mut r = (status, Html(body)).into_response();
    security_headers(r.headers_mut(), Some((nonce, form_extra)));
    r
}

fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    let nonce = B64.encode(rand::random::<[u8; 16]>());
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         </head><body><h1>{t}</h1><p>{m}</p></body></html>",
        t = escape(title),
        m = escape(message)
    );
    html_response(status, body, &nonce, "")
}

fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Deserialize)]
pub(crate) struct ShowQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default, rename = "credentialId")]
    credential_id: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// What to show above the accounts list.
enum Notice {
    None,
    Error(String),
    Test {
        credential: String,
        status: u16,
        body: String,
    },
}

async fn show(
    State(app): State<Shared>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ShowQuery>,
) -> Response {
    let Some(integration) = app.integrations.get(&slug).cloned() else {
        return message_page(
            StatusCode::NOT_FOUND,
            "Unknown integration",
            &format!("There is no integration {slug:?} here."),
        );
    };
    if q.token.is_some() {
        // A full user token in a URL leaks through history, logs and Referer, and signs in
        // whoever opens the link (login CSRF): refused, with no session set.
        return message_page(
            StatusCode::BAD_REQUEST,
            "Sign-in by token is not supported",
            "Portal links no longer carry a user token. Ask the app for a sign-in link: it \
             mints a single-use code with POST /projects/{project id}/sdk/portal/codes.",
        );
    }
    if let Some(code) = q.code.as_deref() {
        // Exchange the code for a session and drop it from the URL (history, Referer).
        return match session::redeem(&app, code, &integration).await {
            Ok(cookie) => {
                let mut r = see_other(&session::page_path(&app, &integration));
                if let Ok(v) = HeaderValue::from_str(&cookie) {
                    r.headers_mut().insert(header::SET_COOKIE, v);
                }
                r
            }
            Err(e) => message_page(StatusCode::UNAUTHORIZED, "Sign-in failed", e.message()),
        };
    }
    let Some(session) = session::current(&app, &headers, &integration.slug) else {
        return message_page(
            StatusCode::UNAUTHORIZED,
            "Sign-in needed",
            "Open this page with a sign-in link from the app (links work once and expire; \
             the session may have ended).",
        );
    };
    // Just connected through OAuth: run the test endpoint right away.
    let notice = if let Some(error) = q.error {
        Notice::Error(error)
    } else if let Some(id) = q.credential_id {
        run_test(&app, &session.user, &integration, &id).await
    } else {
        Notice::None
    };
    render(&app, &session, &integration, notice, StatusCode::OK).await
}

async fn run_test(app: &AppState, user: &User, integration: &Integration, id: &str) -> Notice {
    let credential = match pick_credential(app, user, integration, Some(id)).await {
        Ok(c) => c,
        Err(e) => return Notice::Error(e.message().to_string()),
    };
    let out = Outgoing {
        method: Method::GET,
        target: integration.manifest.test_endpoint().to_string(),
        headers: HeaderMap::new(),
        body: Bytes::new(),
    };
    match send_authorized(app, integration, credential, &out).await {
        Ok(answer) => {
            let mut body = String::from_utf8_lossy(&answer.body).into_owned();
            if body.len() > 2000 {
                let mut cut = 2000;
                while !body.is_char_boundary(cut) {
                    cut -= 1;
                }
                body.truncate(cut);
                body.push_str(" …");
            }
            Notice::Test {
                credential: id.to_string(),
                status: answer.status.as_u16(),
                body,
            }
        }
        Err(e) => Notice::Error(format!("Test request failed: {}", e.message())),
    }
}

/// A `#RRGGBB` color, or a neutral one.
fn safe_color(c: &str) -> &str {
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok { c } else { "#4B5563" }
}

async fn render(
    app: &AppState,
    session: &Session,
    integration: &Integration,
    notice: Notice,
    status: StatusCode,
) -> Response {
    let user = &session.user;
    let accounts = match app
        .store
        .list_credentials(&user.project_id, &user.user_id, Some(&integration.slug))
        .await
    {
        // Accounts the signed-in token may not read are not shown.
        Ok(a) => a
            .into_iter()
            .filter(|c| {
                user.check(&c.integration, Some(&c.id), Access::Read)
                    .is_ok()
            })
            .collect::<Vec<_>>(),
        Err(e) => {
            return message_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Store error",
                &e.to_string(),
            );
        }
    };
    let m = &integration.manifest;
    let csrf = session.csrf_token(app);
    let nonce = B64.encode(rand::random::<[u8; 16]>());
    let base = session::page_path(app, integration);
    let icon = base64::engine::general_purpose::STANDARD.encode(m.icon_svg());
    let mut html = String::with_capacity(8192);
    html.push_str(&format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Connect {name}</title><style nonce=\"{nonce}\">\
         :root{{--accent:{color}}}body{{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#111}}\
         header{{display:flex;gap:1rem;align-items:center;border-bottom:4px solid var(--accent);padding-bottom:1rem}}\
         button{{background:var(--accent);color:#fff;border:0;border-radius:.4rem;padding:.5rem 1rem;cursor:pointer}}\
         button.secondary{{background:#e5e7eb;color:#111}}label{{display:block;margin:.6rem 0 .2rem}}\
         input,select{{width:100%;padding:.4rem;box-sizing:border-box}}li{{margin:.8rem 0}}\
         .error{{background:#fee2e2;padding:.8rem;border-radius:.4rem}}.result{{background:#f3f4f6;padding:.8rem;border-radius:.4rem}}\
         pre{{white-space:pre-wrap;word-break:break-all}}form.inline{{display:inline}}\
         </style></head><body><main><header><img alt=\"\" width=\"48\" height=\"48\" \
         src=\"data:image/svg+xml;base64,{icon}\"><div><h1>{name}</h1><p>{description}</p></div></header>\
         <p class=\"who\">Signed in as <strong>{who}</strong></p>",
        who = escape(&user.user_id),
        name = escape(m.name()),
        description = escape(m.description()),
        color = safe_color(m.color()),
    ));
    match &notice {
        Notice::None => {}
        Notice::Error(e) => html.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(e)
        )),
        Notice::Test {
            credential,
            status,
            body,
        } => html.push_str(&format!(
            "<section class=\"result\"><h2>Test request</h2><p>GET {} for account {} answered \
             <strong>{}</strong>{}</p><pre>{}</pre></section>",
            escape(m.test_endpoint()),
            escape(credential),
            status,
            if (200..300).contains(status) {
                " — the connection works."
            } else {
                ""
            },
            escape(body)
        )),
    }
    html.push_str("<section><h2>Your accounts</h2>");
    if accounts.is_empty() {
        html.push_str("<p>No account connected yet.</p>");
    } else {
        html.push_str("<ul>");
        for c in &accounts {
            html.push_str(&account_item(&base, &csrf, c));
        }
        html.push_str("</ul>");
    }
    html.push_str("</section><section><h2>Connect an account</h2>");
    html.push_str(&format!(
        "<form method=\"post\" action=\"{}/enable\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(&base),
        escape(&csrf)
    ));
    for f in m.inputs() {
        let id = format!("in-{}", f.key());
        html.push_str(&format!(
            "<label for=\"{}\">{}</label>",
            escape(&id),
            escape(f.label())
        ));
        let required = if f.required() { " required" } else { "" };
        match f.kind() {
            InputKind::Select { options } => {
                html.push_str(&format!(
                    "<select id=\"{}\" name=\"{}\"{required}>",
                    escape(&id),
                    escape(f.key())
                ));
                for o in options {
                    let selected = if f.default_value() == Some(o.as_str()) {
                        " selected"
                    } else {
                        ""
                    };
                    html.push_str(&format!("<option{selected}>{}</option>", escape(o)));
                }
                html.push_str("</select>");
            }
            kind => {
                let ty = match kind {
                    InputKind::Password => "password",
                    InputKind::Url => "url",
                    _ if f.secret() => "password",
                    _ => "text",
                };
                html.push_str(&format!(
                    "<input id=\"{}\" name=\"{}\" type=\"{ty}\" autocomplete=\"off\" value=\"{}\"{required}>",
                    escape(&id),
                    escape(f.key()),
                    escape(f.default_value().unwrap_or(""))
                ));
            }
        }
        if let Some(help) = f.help() {
            html.push_str(&format!("<small>{}</small>", escape(help)));
        }
    }
    let action = match m.auth() {
        Auth::OAuth(_) => "Enable (sign in with the provider)",
        _ => "Enable",
    };
    html.push_str(&format!(
        "<p><button type=\"submit\">{action}</button></p></form></section></main></body></html>"
    ));
    // The Enable form of an OAuth integration redirects to the provider's origin.
    let form_extra = match m.auth() {
        Auth::OAuth(o) => {
            let secret = crate::store::Secret::default();
            o.authorization_url(&integration.context(&app.secrets, &secret, None))
                .map(|u| format!("https: {}", u.origin().ascii_serialization()))
                .unwrap_or_else(|_| "https:".to_string())
        }
        _ => String::new(),
    };
    html_response(status, html, &nonce, &form_extra)
}

fn account_item(base: &str, csrf: &str, c: &Credential) -> String {
    let status = match c.status {
        Status::Valid => "Connected".to_string(),
        Status::Invalid => format!(
            "Needs reconnecting ({})",
            c.status_reason.as_deref().unwrap_or("invalid")
        ),
    };
    let hidden = format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"credential\" value=\"{}\">",
        escape(csrf),
        escape(&c.id)
    );
    format!(
        "<li><strong>{}</strong> — account {} (since {}) \
         <form class=\"inline\" method=\"post\" action=\"{b}/test\">{hidden}<button type=\"submit\">Send test request</button></form> \
         <form class=\"inline\" method=\"post\" action=\"{b}/disconnect\">{hidden}<button class=\"secondary\" type=\"submit\">Disconnect</button></form></li>",
        escape(&status),
        escape(&c.id),
        escape(&crate::api::date(c.created_at)),
        b = escape(base),
    )
}

/// The session of a form post, with its CSRF token checked.
fn form_session(
    app: &AppState,
    headers: &HeaderMap,
    integration: &Integration,
    form: &HashMap<String, String>,
) -> Result<Session, Box<Response>> {
    let Some(session) = session::current(app, headers, &integration.slug) else {
        return Err(Box::new(message_page(
            StatusCode::UNAUTHORIZED,
            "Session expired",
            "Open the page again with a fresh sign-in link from the app.",
        )));
    };
    let given = form.get("csrf").map(String::as_str).unwrap_or("");
    if !session.csrf_ok(app, given) {
        return Err(Box::new(message_page(
            StatusCode::FORBIDDEN,
            "Form expired",
            "The form's CSRF token is missing or wrong. Reload the page and try again.",
        )));
    }
    Ok(session)
}

fn integration_or_404(
    app: &AppState,
    slug: &str,
) -> Result<std::sync::Arc<Integration>, Box<Response>> {
    app.integrations.get(slug).cloned().ok_or_else(|| {
        Box::new(message_page(
            StatusCode::NOT_FOUND,
            "Unknown integration",
            "No such integration.",
        ))
    })
}

async fn enable(
    State(app): State<Shared>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let integration = match integration_or_404(&app, &slug) {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let session = match form_session(&app, &headers, &integration, &form) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let user = &session.user;
    let values: Map<String, Value> = integration
        .manifest
        .inputs()
        .iter()
        .filter_map(|f| {
            form.get(f.key())
                .map(|v| (f.key().to_string(), Value::String(v.clone())))
        })
        .collect();
    let base = session::page_path(&app, &integration);
    let result: Result<String, ApiError> = match integration.manifest.auth() {
        Auth::OAuth(_) => flows::start_oauth(&app, user, &integration, &values, Some(&base))
            .await
            .map(|u| u.to_string()),
        _ => create_credential(&app, user, &integration, &values, Map::new())
            .await
            .map(|c| format!("{base}?credentialId={}", c.id)),
    };
    match result {
        Ok(to) => {
            let mut r = see_other(&to);
            // A flow started here, for the signed-in user, is bound to this browser: the
            // callback finishes it without asking (see `connect::callback`).
            let state = url::Url::parse(&to).ok().and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "state")
                    .map(|(_, v)| v.into_owned())
            });
            let cookie = matches!(integration.manifest.auth(), Auth::OAuth(_))
                .then_some(state)
                .flatten()
                .map(|s| flows::flow_cookie(&app, &s));
            if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => {
            render(
                &app,
                &session,
                &integration,
                Notice::Error(e.message().to_string()),
                e.status(),
            )
            .await
        }
    }
}

async fn test(
    State(app): State<Shared>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let integration = match integration_or_404(&app, &slug) {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let session = match form_session(&app, &headers, &integration, &form) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let user = &session.user;
    let id = form.get("credential").cloned().unwrap_or_default();
    let notice = run_test(&app, user, &integration, &id).await;
    render(&app, &session, &integration, notice, StatusCode::OK).await
}

async fn disconnect(
    State(app): State<Shared>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let integration = match integration_or_404(&app, &slug) {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let session = match form_session(&app, &headers, &integration, &form) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let user = &session.user;
    let id = form.get("credential").cloned().unwrap_or_default();
    let owned = matches!(
        app.store.get_credential(&user.project_id, &user.user_id, &id).await,
        Ok(Some(c)) if c.integration == integration.slug
            && user.check(&c.integration, Some(&c.id), Access::Write).is_ok()
    );
    if !owned {
        let notice = Notice::Error(format!("No account {id:?} to disconnect."));
        return render(&app, &session, &integration, notice, StatusCode::NOT_FOUND).await;
    }
    if let Err(e) = app
        .store
        .delete_credential(&user.project_id, &user.user_id, &id)
        .await
    {
        return message_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Store error",
            &e.to_string(),
        );
    }
    see_other(&session::page_path(&app, &integration))
}
