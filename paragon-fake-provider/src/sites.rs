//! Accounts that live on a site only known after connecting, the shape of Mailchimp's data
//! centres, Atlassian's cloud ids or Sophos' data regions: `GET /oauth/metadata` (with the
//! new token or key) says which site the account is on and its id, and the API answers for
//! that account only under `/sites/{site}/v1`. A manifest describes it with
//! `[[auth.after_connect]]`.

use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::api::{ApiError, Caller, authenticate};
use crate::state::AppState;

/// `GET /oauth/metadata`.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/oauth/metadata", get(metadata))
}

/// The site an account lives on: derived from its id, so each account has its own.
pub(crate) fn site_of(account_id: &str) -> String {
    let name: String = account_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("site-{name}")
}

async fn metadata(caller: Caller) -> Json<Value> {
    let id = &caller.principal.id;
    Json(json!({
        "site": site_of(id),
        "account": { "id": id, "name": caller.principal.name },
    }))
}

/// Middleware for `/sites/{site}/v1`: a caller on another site (or none) gets a 404, as an
/// API on another data centre would know nothing of the account. Unauthenticated calls go on
/// to the API, which answers them with its 401.
pub(crate) async fn only_own_site(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    request: Request,
    next: Next,
) -> Response {
    let site = site_in(&uri);
    let headers: &HeaderMap = request.headers();
    if let Ok(caller) = authenticate(&state, headers, uri.query())
        && site.as_deref() != Some(site_of(&caller.principal.id).as_str())
    {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_site",
            format!(
                "this account is not on site {}: ask GET /oauth/metadata where it is",
                site.unwrap_or_default()
            ),
        )
        .into_response();
    }
    next.run(request).await
}

fn site_in(uri: &Uri) -> Option<String> {
    let rest = uri.path().strip_prefix("/sites/")?;
    rest.split('/').next().map(str::to_owned)
}
