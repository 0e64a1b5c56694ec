//! Failure injection and request recording for every `/v1` call.
//!
//! Per request: `X-Fake-Fail: <status>` answers with that error status and
//! `X-Fake-Delay-Ms: <n>` waits first. Programmatically: the queues filled by
//! [`RunningProvider::fail_next`](crate::RunningProvider::fail_next) and
//! [`RunningProvider::delay_next`](crate::RunningProvider::delay_next), which
//! apply to the next calls whatever their headers.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::ApiError;
use crate::state::{AppState, RecordedRequest};

/// Requests larger than this are refused rather than buffered.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Longest delay a header may ask for, so a typo cannot hang a test run.
const MAX_DELAY_MS: u64 = 60_000;

/// Middleware: counts and records the call, then applies planned or requested failures.
pub(crate) async fn inject(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("request body is larger than {MAX_BODY} bytes or could not be read"),
            )
            .into_response();
        }
    };
    // Inside the `/v1` nest the URI lacks its prefix; record it as sent.
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |original| &original.0);
    let recorded = RecordedRequest {
        method: parts.method.clone(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers: parts.headers.clone(),
        body: body.to_vec(),
    };
    let (planned_delay, planned_failure) = {
        let mut inner = state.lock();
        inner.stats.api_calls += 1;
        inner.stats.last_api_request = Some(recorded);
        (
            inner.planned_delays.pop_front(),
            inner.planned_failures.pop_front(),
        )
    };

    let requested_delay = match header_delay(&parts.headers) {
        Ok(delay) => delay,
        Err(error) => return error.into_response(),
    };
    let requested_failure = match header_failure(&parts.headers) {
        Ok(status) => status,
        Err(error) => return error.into_response(),
    };

    let delay = planned_delay.unwrap_or_default() + requested_delay.unwrap_or_default();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = planned_failure {
        return failure_response(status, "a planned failure (fail_next)");
    }
    if let Some(status) = requested_failure {
        return failure_response(status, "the X-Fake-Fail header");
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

fn header_delay(headers: &HeaderMap) -> Result<Option<Duration>, ApiError> {
    let Some(value) = headers.get("x-fake-delay-ms") else {
        return Ok(None);
    };
    let ms = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| *ms <= MAX_DELAY_MS)
        .ok_or_else(|| {
            ApiError::invalid_request(format!(
                "header X-Fake-Delay-Ms must be a whole number of milliseconds from 0 to {MAX_DELAY_MS}"
            ))
        })?;
    Ok(Some(Duration::from_millis(ms)))
}

fn header_failure(headers: &HeaderMap) -> Result<Option<StatusCode>, ApiError> {
    let Some(value) = headers.get("x-fake-fail") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .filter(|status| status.is_client_error() || status.is_server_error())
        .map(Some)
        .ok_or_else(|| {
            ApiError::invalid_request(
                "header X-Fake-Fail must be an error status from 400 to 599 (e.g. 401, 429, 500, 503)",
            )
        })
}

/// The answer to an injected failure: a JSON error, with `Retry-After: 1` on
/// 429 and 503 and a bearer challenge on 401, like a real API.
fn failure_response(status: StatusCode, cause: &str) -> Response {
    let code = match status {
        StatusCode::UNAUTHORIZED => "invalid_token",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        _ => "injected_failure",
    };
    let mut error = ApiError::new(
        status,
        code,
        format!("injected {} by {cause}", status.as_u16()),
    );
    if status == StatusCode::UNAUTHORIZED {
        error = error.with_challenge(
            "Bearer realm=\"tasklab\", error=\"invalid_token\", error_description=\"injected failure\"",
        );
    }
    let mut response = error.into_response();
    if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("1"));
    }
    response
}
