//! What starts runs: app events, request triggers, new credentials, and the enablement rules
//! they share; `/sdk/me`'s workflow state.

use super::Loaded;
use super::engine;
use super::store::{self, NewEvent, NewRun, Write};
use crate::error::ApiError;
use crate::state::{AppState, Shared};
use crate::store::{Credential, new_id, now_ms};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use paragon_manifest::workflow::Trigger;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Whether `wf` runs for a user, given their explicit choices.
pub(crate) fn enabled(w: &Loaded, states: &[(String, bool)]) -> bool {
    states
        .iter()
        .find(|(id, _)| *id == w.id)
        .map_or(w.wf.default_enabled(), |(_, on)| *on)
}

/// Runs of `workflows` for `user_id`, all with the same trigger input.
fn new_runs(
    app: &AppState,
    user_id: &str,
    workflows: &[&Arc<Loaded>],
    trigger_kind: &str,
    input: &Value,
) -> Vec<NewRun> {
    workflows
        .iter()
        .map(|w| NewRun {
            id: new_id(),
            project_id: app.project_id.clone(),
            user_id: user_id.to_owned(),
            workflow_id: w.id.clone(),
            trigger_kind: trigger_kind.to_owned(),
            input: input.clone(),
            replay_of: None,
        })
        .collect()
}

/// When a run leased now by this replica lapses.
fn lease_until(app: &AppState) -> i64 {
    now_ms() + app.workflows.config.lease.as_millis() as i64
}

/// `POST /sdk/events/trigger`: records the event and starts every enabled workflow of the
/// user subscribed to it; returns `(event id, run ids)` once both are durably recorded (one
/// commit).
pub(crate) async fn app_event(
    app: &Shared,
    user_id: &str,
    event: &str,
    payload: &Value,
) -> Result<(String, Vec<String>), ApiError> {
    let subscribed: Vec<&Arc<Loaded>> = app
        .workflows
        .workflows
        .iter()
        .filter(|w| matches!(w.wf.trigger(), Trigger::AppEvent { event: e } if e == event))
        .collect();
    let chosen: Vec<&Arc<Loaded>> = if subscribed.is_empty() {
        subscribed
    } else {
        let states = store::user_states(&app.store, &app.project_id, user_id).await?;
        subscribed
            .into_iter()
            .filter(|w| enabled(w, &states))
            .collect()
    };
    let input = json!({ "body": payload });
    let runs = new_runs(app, user_id, &chosen, "app_event", &input);
    let ids: Vec<String> = runs.iter().map(|r| r.id.clone()).collect();
    let event = NewEvent {
        id: new_id(),
        project_id: app.project_id.clone(),
        user_id: user_id.to_owned(),
        name: event.to_owned(),
        payload: payload.clone(),
    };
    let event_id = event.id.clone();
    let write = Write::Event {
        event,
        runs,
        owner: app.workflows.owner.clone(),
        lease_until: lease_until(app),
    };
    app.workflows.writer.write(&app.store, write).await?;
    for id in &ids {
        engine::spawn(app, id.clone());
    }
    Ok((event_id, ids))
}

/// A new credential: records runs of the integration's Integration Enabled workflows for its
/// user, unleased, so the next poll of any replica's worker starts them.
pub(crate) async fn credential_created(app: &AppState, c: &Credential) {
    let wanted: Vec<&Arc<Loaded>> = app
        .workflows
        .workflows
        .iter()
        .filter(|w| {
            w.wf.integration() == c.integration && *w.wf.trigger() == Trigger::IntegrationEnabled
        })
        .collect();
    if wanted.is_empty() {
        return;
    }
    let input = json!({ "body": { "credentialId": c.id, "integration": c.integration, "providerId": c.provider_id } });
    let result = async {
        let states = store::user_states(&app.store, &app.project_id, &c.user_id).await?;
        let chosen: Vec<&Arc<Loaded>> =
            wanted.into_iter().filter(|w| enabled(w, &states)).collect();
        let runs = new_runs(app, &c.user_id, &chosen, "integration_enabled", &input);
        let write = Write::InsertRuns {
            runs,
            owner: String::new(),
            lease_until: 0,
        };
        app.workflows.writer.write(&app.store, write).await
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "cannot start Integration Enabled workflows");
    }
}

/// Headers a workflow may read: never the caller's credentials.
fn visible_headers(headers: &HeaderMap) -> Map<String, Value> {
    headers
        .iter()
        .filter(|(n, _)| {
            !matches!(
                n.as_str(),
                "authorization" | "cookie" | "proxy-authorization"
            ) && !n.as_str().starts_with("x-paragon-")
        })
        .filter_map(|(n, v)| {
            Some((
                n.as_str().to_owned(),
                Value::String(v.to_str().ok()?.to_owned()),
            ))
        })
        .collect()
}

/// The workflow `workflow_id`, or the 404 that says it does not exist (Request triggers,
/// enable and disable: a choice about a workflow that does not exist would be stored and
/// never read).
pub(crate) fn known<'a>(app: &'a AppState, workflow_id: &str) -> Result<&'a Arc<Loaded>, ApiError> {
    app.workflows
        .find(workflow_id)
        .ok_or_else(|| ApiError::not_found(format!("no workflow {workflow_id:?} on this server")))
}

/// `POST /sdk/triggers/{workflowId}`: the Response step's answer, or 202 at once when the
/// workflow has none.
pub(crate) async fn request(
    app: &Shared,
    user_id: &str,
    workflow_id: &str,
    query: BTreeMap<String, String>,
    headers: &HeaderMap,
    body: Value,
) -> Result<Response, ApiError> {
    let w = known(app, workflow_id)?.clone();
    if *w.wf.trigger() != Trigger::Request {
        return Err(ApiError::bad_request(format!(
            "workflow {workflow_id:?} ({}) is started by a `{}` trigger, not by requests",
            w.wf.name(),
            w.wf.trigger().type_name()
        )));
    }
    let states = store::user_states(&app.store, &app.project_id, user_id).await?;
    if !enabled(&w, &states) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "workflow_disabled",
            format!(
                "workflow {workflow_id:?} ({}) is disabled for this user: enable it with POST /sdk/workflows/{workflow_id}",
                w.wf.name()
            ),
        ));
    }
    let input = json!({ "body": body, "query": query, "headers": visible_headers(headers) });
    let id = new_id();
    // Registered before the run starts, so a fast Response step is never missed.
    let limit = app.workflows.config.response_timeout;
    let deadline = now_ms() + limit.as_millis() as i64;
    let answer =
        w.wf.has_response()
            .then(|| app.workflows.wait_for(&id, deadline));
    let run = NewRun {
        id: id.clone(),
        project_id: app.project_id.clone(),
        user_id: user_id.to_owned(),
        workflow_id: w.id.clone(),
        trigger_kind: "request".into(),
        input,
        replay_of: None,
    };
    let write = Write::InsertRuns {
        runs: vec![run],
        owner: app.workflows.owner.clone(),
        lease_until: lease_until(app),
    };
    app.workflows.writer.write(&app.store, write).await?;
    engine::spawn(app, id.clone());
    let Some(answer) = answer else {
        return Ok((
            StatusCode::ACCEPTED,
            axum::Json(json!({ "executionId": id })),
        )
            .into_response());
    };
    let answer = tokio::time::timeout(limit, answer).await;
    app.workflows.forget(&id);
    match answer {
        Ok(Ok(Ok(out))) => {
            let status = out
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| StatusCode::from_u16(s as u16).ok())
                .unwrap_or(StatusCode::OK);
            let body = out.get("body").cloned().unwrap_or(Value::Null);
            Ok((status, axum::Json(body)).into_response())
        }
        Ok(Ok(Err(why))) => {
            Err(
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "workflow_failed", why)
                    .with_meta(json!({ "executionId": id })),
            )
        }
        // The run paused on a Delay that ends past the limit: the same answer, without
        // holding the caller until the limit.
        Ok(Err(_)) => Err(timed_out(
            &id,
            format!(
                "the workflow waits on a Delay step that ends after the {limit:?} limit for its Response step; it goes on running"
            ),
        )),
        Err(_) => Err(timed_out(
            &id,
            format!(
                "the workflow did not reach its Response step within {limit:?}; it goes on running"
            ),
        )),
    }
}

/// The answer past the Response step's time limit: 504, with the execution to look up.
fn timed_out(run_id: &str, why: String) -> ApiError {
    ApiError::new(StatusCode::GATEWAY_TIMEOUT, "workflow_timeout", why)
        .with_meta(json!({ "executionId": run_id }))
}

/// `/sdk/me`'s workflow state: per integration slug, `{workflowId: {enabled, settings}}`.
pub(crate) async fn me_state(
    app: &Shared,
    user_id: &str,
) -> Result<BTreeMap<String, Map<String, Value>>, ApiError> {
    let states = store::user_states(&app.store, &app.project_id, user_id).await?;
    let mut out: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for w in &app.workflows.workflows {
        out.entry(w.wf.integration().to_owned()).or_default().insert(
            w.id.clone(),
            json!({ "enabled": enabled(w, &states), "name": w.wf.name(), "hidden": w.wf.hidden() }),
        );
    }
    Ok(out)
}
