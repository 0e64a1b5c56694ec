//! `POST /projects/{pid}/sdk/portal/codes`: a single-use Connect Portal sign-in link (a
//! local-server extension; Paragon's cloud opens its portal from the frontend SDK instead).

use crate::api::{date, parse_body};
use crate::error::ApiError;
use crate::permissions::Caller;
use crate::session;
use crate::state::Shared;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MintCode {
    /// The integration whose portal page the code opens (slug or id).
    integration: String,
}

/// Mints a code for the caller → `201 {"code", "url", "expiresAt"}`; `url` is the portal
/// page that redeems it.
pub(crate) async fn mint_code(
    State(app): State<Shared>,
    Caller(user): Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: MintCode = parse_body(&body)?;
    let integration = app.integration(&request.integration)?.clone();
    let minted = session::mint_code(&app, &user, &integration).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "code": minted.code,
            "url": minted.url,
            "expiresAt": date(minted.expires_at_ms),
        })),
    ))
}
