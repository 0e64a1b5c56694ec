//! Starting an OAuth connection (`build-oauth`) and finishing it (`GET /oauth`).

use crate::error::ApiError;
use crate::flows::{self, bound_to_this_browser, start_oauth};
use crate::html;
use crate::permissions::Caller;
use crate::state::{AppState, Shared};
use crate::store::PendingOAuth;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BuildOAuth {
    #[serde(default)]
    action: Option<String>,
    integration_id: String,
    #[serde(default)]
    end_user_supplied_values: Option<String>,
    #[serde(default)]
    redirect_url: Option<String>,
    /// The official SDK's key for its popup flow (see [`crate::popup`]).
    #[serde(default)]
    oauth_meta_key_id: Option<String>,
}

/// `GET /v2/projects/{pid}/sdk/actions/build-oauth` → `{"redirectUrl": <authorization URL>}`.
pub(crate) async fn build_oauth(
    State(app): State<Shared>,
    Caller(user): Caller,
    Query(q): Query<BuildOAuth>,
) -> Result<Json<Value>, ApiError> {
    if q.action.as_deref().is_some_and(|a| a != "custom") {
        return Err(ApiError::bad_request("only action=custom is supported"));
    }
    let integration = app.integration_by_id(&q.integration_id)?.clone();
    let values: Map<String, Value> = match q.end_user_supplied_values.as_deref() {
        None | Some("") => Map::new(),
        Some(s) => serde_json::from_str(s).map_err(|e| {
            ApiError::bad_request(format!("endUserSuppliedValues is not a JSON object: {e}"))
        })?,
    };
    let url = start_oauth(
        &app,
        &user,
        &integration,
        &values,
        q.redirect_url.as_deref(),
        q.oauth_meta_key_id.as_deref(),
    )
    .await?;
    Ok(Json(json!({ "redirectUrl": url.as_str() })))
}

#[derive(Deserialize)]
pub(crate) struct Callback {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    html::message(status, title, message, None)
}

fn redirect(to: &str, params: &[(&str, &str)]) -> Response {
    let mut target = to.to_string();
    let sep = if target.contains('?') { '&' } else { '?' };
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    target.push(sep);
    target.push_str(&query);
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = header::HeaderValue::from_str(&target) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}

/// `GET /oauth?code=…&state=…`: the provider's redirect. A flow started by the portal in this
/// browser finishes at once; any other (started through the API, so its authorization URL
/// may have been handed to someone else) first asks this browser to confirm, naming the app
/// user the account would be connected to (RFC 9700 §4.7: bind the flow to the user agent).
pub(crate) async fn callback(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    let Some(state) = q.state.as_deref().filter(|s| !s.is_empty()) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Connection failed",
            "The provider sent no state.",
        );
    };
    let mut pending = match app.store.take_oauth_state(state).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Connection failed",
                "This authorization is unknown, already used or expired. Start again.",
            );
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let oauth = app
        .integrations
        .get(&pending.integration)
        .and_then(|i| i.manifest.auth().oauth().cloned());
    let mut refused = None;
    let code = match &oauth {
        Some(o) => {
            let ctx = paragon_manifest::RenderContext::new().with_secrets(&app.secrets);
            let query = crate::oauth::from_callback(o, raw.as_deref(), &ctx);
            pending.callback = query.kept;
            refused = query.refused;
            query.code
        }
        None => q.code.clone(),
    };
    let fail = |message: String| -> Response {
        match &pending.redirect_url {
            Some(to) => redirect(to, &[("error", &message)]),
            None => page(StatusCode::BAD_REQUEST, "Connection failed", &message),
        }
    };
    if let Some(error) = &q.error {
        let mut message = format!("The provider answered: {error}");
        if let Some(d) = &q.error_description {
            message.push_str(&format!(" ({d})"));
        }
        return fail(message);
    }
    let Some(code) = code.as_deref().filter(|c| !c.is_empty()) else {
        return fail("The provider sent no authorization code.".into());
    };
    if let Some(param) = refused {
        // The browser carries the redirect and can change it: a value the manifest does not
        // list (a host, say) must not reach a token request.
        return fail(format!(
            "The redirect back carried a `{param}` the integration does not allow; nothing was stored."
        ));
    }
    if !bound_to_this_browser(&app, &headers, state)
        && !crate::popup::bound(&app, &headers, &pending)
    {
        return ask_to_confirm(&app, pending, code).await;
    }
    complete(&app, &pending, code).await
}

/// Keeps the flow (with its code) under a new one-time id for five minutes and asks the
/// browser whether to connect the account to the named app user.
async fn ask_to_confirm(app: &AppState, pending: PendingOAuth, code: &str) -> Response {
    let (id, pending) = match flows::hold_for_confirmation(app, pending, code).await {
        Ok(held) => held,
        Err(e) => return e.into_response(),
    };
    let name = app
        .integrations
        .get(&pending.integration)
        .map_or(pending.integration.clone(), |i| {
            i.manifest.name().to_string()
        });
    html::confirm(&name, &pending.user_id, &id, &app.public_path)
}

/// `POST /oauth/confirm`: the browser's answer to [`ask_to_confirm`].
pub(crate) async fn confirm(
    State(app): State<Shared>,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> Response {
    let id = form.get("confirmation").map(String::as_str).unwrap_or("");
    let pending = match app.store.take_oauth_state(id).await {
        Ok(Some(p)) if p.code.is_some() => p,
        Ok(_) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Connection failed",
                "This confirmation is unknown, already used or expired. Start again.",
            );
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let code = pending.code.clone().unwrap_or_default();
    if form.get("decision").map(String::as_str) != Some("allow") {
        let message = "The connection was cancelled.";
        return match &pending.redirect_url {
            Some(to) => redirect(to, &[("error", message)]),
            None => page(StatusCode::OK, "Cancelled", message),
        };
    }
    complete(&app, &pending, &code).await
}

/// Exchanges the code, stores the credential and sends the browser on.
async fn complete(app: &AppState, pending: &PendingOAuth, code: &str) -> Response {
    let fail = |message: String| -> Response {
        match &pending.redirect_url {
            Some(to) => redirect(to, &[("error", &message)]),
            None => page(StatusCode::BAD_REQUEST, "Connection failed", &message),
        }
    };
    match flows::exchange_code(app, pending, code).await {
        Ok(c) => match &pending.redirect_url {
            Some(to) => redirect(to, &[("credentialId", &c.id)]),
            None => crate::popup::finish(app, pending, &c.id).await,
        },
        Err(e) => fail(e.message().to_string()),
    }
}
