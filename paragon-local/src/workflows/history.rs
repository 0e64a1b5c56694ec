//! Task History, shaped like Paragon's: workflow executions, their step executions, replay.
//!
//! `GET /projects/{pid}/task-history/workflow-executions?workflowId=&status=&startDate=&endDate=&limit=&offset=`,
//! `GET …/workflow-executions/{id}`, `GET …/workflow-executions/{id}/step-executions`,
//! `POST …/workflow-executions/{id}/replay`. A user token sees its own user's runs.
//! The developer view replays from the failed step instead ([`resume_failed`]).

use super::engine;
use super::store::{self, NewRun, Run, RunFilter, StepRow, Write};
use crate::api::date;
use crate::auth::User;
use crate::error::ApiError;
use crate::permissions::Caller;
use crate::state::Shared;
use crate::store::{new_id, now_ms};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;

fn execution_json(r: &Run, steps: Option<&[StepRow]>) -> Value {
    let mut v = json!({
        "id": r.id,
        "userId": r.user_id,
        "workflowId": r.workflow_id,
        "status": r.status,
        "trigger": r.trigger_kind,
        "runDuration": r.ended_at.map(|e| e - r.created_at),
        "dateStarted": date(r.created_at),
        "dateEnded": r.ended_at.map(date),
        "dateResumes": r.wake_at.map(date),
        "error": r.error,
        "replayOf": r.replay_of,
    });
    if let Some(steps) = steps {
        v["taskCount"] = json!(
            steps
                .iter()
                .filter(|s| s.status == store::SUCCEEDED)
                .count()
        );
    }
    v
}

fn step_json(run_id: &str, s: &StepRow) -> Value {
    json!({
        "id": format!("{run_id}:{}", s.step_key),
        "workflowExecutionId": run_id,
        "stepKey": s.step_key,
        "status": s.status,
        "attempt": s.attempt,
        "idempotencyKey": s.idempotency_key,
        "input": s.input,
        "output": s.output,
        "error": s.error,
        "dateStarted": date(s.started_at),
        "dateEnded": s.ended_at.map(date),
        "dateResumes": s.wake_at.map(date),
    })
}

fn time_param(q: &HashMap<String, String>, name: &str) -> Result<Option<i64>, ApiError> {
    let Some(v) = q.get(name) else {
        return Ok(None);
    };
    if let Ok(ms) = v.parse::<i64>() {
        return Ok(Some(ms));
    }
    humantime::parse_rfc3339_weak(v)
        .map(|t| {
            Some(
                t.duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64),
            )
        })
        .map_err(|_| {
            ApiError::bad_request(format!(
                "query parameter `{name}` must be an RFC 3339 time or milliseconds, got {v:?}"
            ))
        })
}

/// `GET …/workflow-executions`.
pub(crate) async fn list(
    State(app): State<Shared>,
    Path(pid): Path<String>,
    Caller(user): Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    if let Some(other) = q.get("userId").filter(|u| **u != user.user_id) {
        return Err(ApiError::forbidden(format!(
            "a user token only sees its own executions, not those of {other:?}"
        )));
    }
    let status = q.get("status").map(|s| s.to_ascii_uppercase());
    if let Some(s) = &status
        && ![
            store::EXECUTING,
            store::DELAYED,
            store::SUCCEEDED,
            store::FAILED,
        ]
        .contains(&s.as_str())
    {
        return Err(ApiError::bad_request(format!(
            "unknown status {s:?}: EXECUTING, DELAYED, SUCCEEDED or FAILED"
        )));
    }
    let number = |name: &str, default: i64, max: i64| -> Result<i64, ApiError> {
        match q.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "query parameter `{name}` must be a whole number from 0 to {max}"
                    ))
                }),
        }
    };
    let filter = RunFilter {
        project_id: pid,
        user_id: Some(user.user_id),
        workflow_id: q.get("workflowId").cloned(),
        status,
        after: time_param(&q, "startDate")?,
        before: time_param(&q, "endDate")?,
        limit: number("limit", 50, 500)?,
        offset: number("offset", 0, i64::MAX)?,
    };
    let runs = store::list_runs(&app.store, &filter).await?;
    let data: Vec<Value> = runs.iter().map(|r| execution_json(r, None)).collect();
    Ok(Json(json!({ "data": data })))
}

async fn own_run(app: &Shared, pid: &str, user: &User, id: &str) -> Result<Run, ApiError> {
    store::get_run(&app.store, pid, id)
        .await?
        .filter(|r| r.user_id == user.user_id)
        .ok_or_else(|| ApiError::not_found(format!("no workflow execution {id:?} of this user")))
}

/// `GET …/workflow-executions/{id}`.
pub(crate) async fn get(
    State(app): State<Shared>,
    Path((pid, id)): Path<(String, String)>,
    Caller(user): Caller,
) -> Result<Json<Value>, ApiError> {
    let run = own_run(&app, &pid, &user, &id).await?;
    let steps = store::steps(&app.store, &id).await?;
    let mut v = execution_json(&run, Some(&steps));
    v["response"] = run.response.clone().unwrap_or(Value::Null);
    Ok(Json(v))
}

/// `GET …/workflow-executions/{id}/step-executions`.
pub(crate) async fn step_executions(
    State(app): State<Shared>,
    Path((pid, id)): Path<(String, String)>,
    Caller(user): Caller,
) -> Result<Json<Value>, ApiError> {
    own_run(&app, &pid, &user, &id).await?;
    let steps = store::steps(&app.store, &id).await?;
    Ok(Json(
        json!({ "data": steps.iter().map(|s| step_json(&id, s)).collect::<Vec<_>>() }),
    ))
}

/// `POST …/workflow-executions/{id}/replay`: a new run with the same trigger input.
pub(crate) async fn replay(
    State(app): State<Shared>,
    Path((pid, id)): Path<(String, String)>,
    Caller(user): Caller,
) -> Result<Response, ApiError> {
    let run = own_run(&app, &pid, &user, &id).await?;
    if run.status != store::FAILED {
        return Err(ApiError::bad_request(format!(
            "execution {id:?} is {}: only a FAILED execution can be replayed",
            run.status
        )));
    }
    let new_run = new_id();
    let write = Write::InsertRuns {
        runs: vec![NewRun {
            id: new_run.clone(),
            project_id: run.project_id.clone(),
            user_id: run.user_id.clone(),
            workflow_id: run.workflow_id.clone(),
            trigger_kind: run.trigger_kind.clone(),
            input: run.input.clone(),
            replay_of: Some(run.id.clone()),
        }],
        owner: app.workflows.owner.clone(),
        lease_until: now_ms() + app.workflows.config.lease.as_millis() as i64,
    };
    app.workflows.writer.write(&app.store, write).await?;
    engine::spawn(&app, new_run.clone());
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": new_run, "replayOf": run.id, "status": store::EXECUTING })),
    )
        .into_response())
}

/// Replays a FAILED run from its failed step: a new run with the same trigger input whose
/// finished steps are copied from the original, so the engine resumes at the first step that
/// did not succeed (their effects are not repeated). Later steps read the copied outputs as
/// recorded, with secrets redacted. Returns the new run's id.
pub(crate) async fn resume_failed(app: &Shared, run: &Run) -> Result<String, ApiError> {
    if run.status != store::FAILED {
        return Err(ApiError::bad_request(format!(
            "execution {:?} is {}: only a FAILED execution can be replayed",
            run.id, run.status
        )));
    }
    let finished: Vec<StepRow> = store::steps(&app.store, &run.id)
        .await?
        .into_iter()
        .filter(|s| s.status == store::SUCCEEDED)
        .collect();
    let new_run = new_id();
    let write = Write::Resume {
        run: NewRun {
            id: new_run.clone(),
            project_id: run.project_id.clone(),
            user_id: run.user_id.clone(),
            workflow_id: run.workflow_id.clone(),
            trigger_kind: run.trigger_kind.clone(),
            input: run.input.clone(),
            replay_of: Some(run.id.clone()),
        },
        steps: finished,
        owner: app.workflows.owner.clone(),
        lease_until: now_ms() + app.workflows.config.lease.as_millis() as i64,
    };
    app.workflows.writer.write(&app.store, write).await?;
    engine::spawn(app, new_run.clone());
    Ok(new_run)
}
