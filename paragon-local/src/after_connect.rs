//! Values read from the API right after connecting (`[[auth.after_connect]]`): each entry is
//! a GET made with the new credential, in order, before the credential is stored; its JSON
//! answer fills credential values (encrypted at rest with the rest of the secret) and the
//! provider id. A connection whose values cannot be read is refused, so no credential exists
//! that the base URL or headers cannot serve.

use bytes::Bytes;
use http::{HeaderValue, Request, StatusCode, header};
use paragon_manifest::AfterConnect;
use serde_json::Value;

use crate::error::ApiError;
use crate::integration::Integration;
use crate::oauth::text_at;
use crate::refresh::reach_of;
use crate::state::AppState;
use crate::store::Credential;

/// Largest answer read: account metadata, never a listing.
const MAX_ANSWER: usize = 256 * 1024;

/// Makes the manifest's after-connect requests with `c`'s credential and keeps what they read
/// in `c`.
pub(crate) async fn read(
    app: &AppState,
    integration: &Integration,
    c: &mut Credential,
) -> Result<(), ApiError> {
    let entries = integration.manifest.after_connect();
    // Read once: the entries run for one user, and nothing here changes the metadata.
    let meta = if integration.needs_user_meta && !entries.is_empty() {
        Some(app.store.user_meta(&c.project_id, &c.user_id).await?)
    } else {
        None
    };
    for entry in entries {
        let request = request(app, integration, c, meta.as_ref(), entry)?;
        let reach = if entry.is_relative() {
            integration.base_reach
        } else {
            reach_of(entry.url_template())
        };
        let answer = app
            .http
            .send(request, MAX_ANSWER, reach)
            .await
            .map_err(|e| failed(integration, entry, e.to_string()))?;
        if !answer.status.is_success() {
            return Err(failed(
                integration,
                entry,
                format!("the provider answered {}", answer.status),
            ));
        }
        let body: Value = serde_json::from_slice(&answer.body)
            .map_err(|e| failed(integration, entry, format!("the answer is not JSON: {e}")))?;
        keep(integration, entry, &body, c)?;
    }
    Ok(())
}

/// The GET for `entry` (sync: the render context borrows non-`Send` data): the API's
/// authorization and the default headers that have values yet.
fn request(
    app: &AppState,
    integration: &Integration,
    c: &Credential,
    meta: Option<&Value>,
    entry: &AfterConnect,
) -> Result<Request<Bytes>, ApiError> {
    let manifest = &integration.manifest;
    let ctx = integration.credential_context(&app.secrets, c, meta);
    let render = |e: paragon_manifest::RenderError| {
        ApiError::bad_request(format!(
            "{}: auth.after_connect[{}]: {e}",
            integration.slug,
            entry.index()
        ))
    };
    let mut url = entry.url(manifest, &ctx).map_err(render)?;
    let auth = manifest.authorization(&ctx).map_err(render)?;
    auth.append_query(&mut url);
    let mut request = Request::get(url.as_str())
        .body(Bytes::new())
        .map_err(|e| failed(integration, entry, format!("unusable URL: {e}")))?;
    let headers = request.headers_mut();
    headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    let defaults = manifest.after_connect_headers(&ctx).map_err(render)?;
    crate::proxy::insert_manifest_headers(headers, &defaults, &auth)?;
    Ok(request)
}

/// Keeps the captured values and the provider id of one answer in `c`.
fn keep(
    integration: &Integration,
    entry: &AfterConnect,
    body: &Value,
    c: &mut Credential,
) -> Result<(), ApiError> {
    for (name, pointer) in entry.capture() {
        let value = text_at(body, pointer).ok_or_else(|| {
            failed(
                integration,
                entry,
                format!("the answer has no text or number at `{pointer}` (capture.{name})"),
            )
        })?;
        c.secret.captured.insert(name.clone(), value);
    }
    if let Some(pointer) = entry.provider_id() {
        c.provider_id = Some(text_at(body, pointer).ok_or_else(|| {
            failed(
                integration,
                entry,
                format!("the answer has no text or number at `{pointer}` (provider_id)"),
            )
        })?);
    }
    Ok(())
}

/// The connection fails with the entry named by its manifest position and URL as written
/// (never as rendered: a query may hold the credential).
fn failed(integration: &Integration, entry: &AfterConnect, why: String) -> ApiError {
    ApiError::integration(
        StatusCode::BAD_GATEWAY,
        format!(
            "{}: the request after connecting (auth.after_connect[{}], GET {}) failed: {why}",
            integration.slug,
            entry.index(),
            entry.url_template().as_str()
        ),
    )
}
