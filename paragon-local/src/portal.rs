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
use crate::html::{self, Notice};
use crate::integration::Integration;
use crate::proxy::{Outgoing, pick_credential, send_authorized};
use crate::session::{self, Session};
use crate::state::{AppState, Shared};
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use paragon_manifest::Auth;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

pub(crate) fn router() -> axum::Router<Shared> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/connect/{integration}", get(show))
        .route("/connect/{integration}/enable", post(enable))
        .route("/connect/{integration}/test", post(test))
        .route("/connect/{integration}/disconnect", post(disconnect))
        .merge(crate::configure::router())
        .merge(crate::reconnect::router())
}

fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    html::message(status, title, message, None)
}

pub(crate) fn see_other(to: &str) -> Response {
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

async fn render(
    app: &AppState,
    session: &Session,
    integration: &Integration,
    notice: Notice,
    status: StatusCode,
) -> Response {
    let errors = crate::configure::FormErrors::default();
    render_page(app, session, integration, notice, status, &errors).await
}

/// The portal page, with a refused settings form's messages next to its fields.
pub(crate) async fn render_page(
    app: &AppState,
    session: &Session,
    integration: &Integration,
    notice: Notice,
    status: StatusCode,
    errors: &crate::configure::FormErrors,
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
            return html::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Store error",
                &e.to_string(),
                Some(&user.user_id),
            );
        }
    };
    let m = &integration.manifest;
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
    let (base, csrf) = (
        session::page_path(app, integration),
        session.csrf_token(app),
    );
    let configure =
        crate::configure::section(app, integration, user, &accounts, &base, &csrf, errors).await;
    let page = html::PortalPage {
        name: m.name(),
        description: m.description(),
        color: m.color(),
        icon_svg: m.icon_svg(),
        test_endpoint: m.test_endpoint(),
        user: &user.user_id,
        notice: &notice,
        accounts: &accounts,
        base: &base,
        csrf: &csrf,
        inputs: m.inputs(),
        oauth: matches!(m.auth(), Auth::OAuth(_)),
        form_extra: &form_extra,
        configure,
    };
    html::portal(status, &page)
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
        return Err(Box::new(html::message(
            StatusCode::FORBIDDEN,
            "Form expired",
            "The form's CSRF token is missing or wrong. Reload the page and try again.",
            Some(&session.user.user_id),
        )));
    }
    Ok(session)
}

/// The integration a form was posted to and the session that posted it, CSRF checked: the
/// prologue of every portal form handler.
pub(crate) fn posted_form(
    app: &AppState,
    slug: &str,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(std::sync::Arc<Integration>, Session), Box<Response>> {
    let integration = integration_or_404(app, slug)?;
    let session = form_session(app, headers, &integration, form)?;
    Ok((integration, session))
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
    let (integration, session) = match posted_form(&app, &slug, &headers, &form) {
        Ok(signed) => signed,
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
        Auth::OAuth(_) => flows::start_oauth(&app, user, &integration, &values, Some(&base), None)
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
    let (integration, session) = match posted_form(&app, &slug, &headers, &form) {
        Ok(signed) => signed,
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
    let (integration, session) = match posted_form(&app, &slug, &headers, &form) {
        Ok(signed) => signed,
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
        return html::message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Store error",
            &e.to_string(),
            Some(&user.user_id),
        );
    }
    see_other(&session::page_path(&app, &integration))
}
