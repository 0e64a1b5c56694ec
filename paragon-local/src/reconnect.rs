//! Reconnect in place: `POST /connect/{integration}/reconnect` re-authorizes the signed-in
//! user's INVALID OAuth credential into the same credential (same id, settings and workflow
//! states), where "Enable" would create a second one beside it. The flow is bound to this
//! browser by the same cookie as "Enable"'s.

use crate::flows;
use crate::portal::{posted_form, render_page, see_other};
use crate::state::Shared;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use std::collections::HashMap;

pub(crate) fn router() -> axum::Router<Shared> {
    axum::Router::new().route(
        "/connect/{integration}/reconnect",
        axum::routing::post(reconnect),
    )
}

async fn reconnect(
    State(app): State<Shared>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (integration, session) = match posted_form(&app, &slug, &headers, &form) {
        Ok(signed) => signed,
        Err(r) => return *r,
    };
    let id = form.get("credential").map(String::as_str).unwrap_or("");
    let base = crate::session::page_path(&app, &integration);
    let started = flows::start_reconnect(&app, &session.user, &integration, id, Some(&base)).await;
    match started {
        Ok(url) => {
            let mut r = see_other(url.as_str());
            let state = url
                .query_pairs()
                .find(|(k, _)| k == "state")
                .map(|(_, v)| flows::flow_cookie(&app, &v));
            if let Some(v) = state.and_then(|c| HeaderValue::from_str(&c).ok()) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => {
            let notice = crate::html::Notice::Error(e.message().to_string());
            let errors = crate::configure::FormErrors::default();
            render_page(&app, &session, &integration, notice, e.status(), &errors).await
        }
    }
}
