//! The developer view (a local-server extension, signed in with the project's key: see
//! `session`): every workflow drawn as a graph, its runs newest first (filtered by user and
//! status), a run on the same graph with each step coloured by outcome and its duration, each
//! step's input and output (secrets redacted as stored) one click away, and a failed run
//! replayed from its failed step. Rendered on the server as HTML and SVG; no script.
//!
//! `GET /dev/sign-in?code=`, `/dev/workflows`, `/dev/workflows/{id}?user=&status=`,
//! `/dev/workflows/{id}/graph.svg`, `/dev/runs/{id}`, `POST /dev/runs/{id}/replay`.

mod pages;
mod session;

pub(crate) use session::mint_code;

use crate::html;
use crate::state::Shared;
use crate::workflows::draw::{self, StepOutcome};
use crate::workflows::history::resume_failed;
use crate::workflows::store::{self, RunFilter, StepRow};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use session::Developer;
use std::collections::HashMap;

/// Runs listed on a workflow's page.
const RUNS_SHOWN: i64 = 100;

pub(crate) fn router() -> axum::Router<Shared> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/dev/sign-in", get(sign_in))
        .route("/dev/workflows", get(workflows))
        .route("/dev/workflows/{id}", get(workflow))
        .route("/dev/workflows/{id}/graph.svg", get(graph_svg))
        .route("/dev/runs/{id}", get(run))
        .route("/dev/runs/{id}/replay", post(replay))
}

fn see_other(to: &str, cookie: Option<&str>) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    for (name, value) in [(header::LOCATION, Some(to)), (header::SET_COOKIE, cookie)] {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            r.headers_mut().insert(name, v);
        }
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn not_found(what: &str) -> Response {
    html::message(StatusCode::NOT_FOUND, "Not found", what, None)
}

#[derive(Deserialize)]
struct SignIn {
    code: Option<String>,
}

async fn sign_in(State(app): State<Shared>, Query(q): Query<SignIn>) -> Response {
    let Some(code) = q.code else {
        return html::message(
            StatusCode::BAD_REQUEST,
            "Sign-in",
            "No `code` in the link.",
            None,
        );
    };
    match session::redeem(&app, &code).await {
        Ok(cookie) => see_other(&format!("{}/workflows", session::base(&app)), Some(&cookie)),
        Err(why) => html::message(StatusCode::UNAUTHORIZED, "Sign-in failed", why, None),
    }
}

async fn workflows(State(app): State<Shared>, _dev: Developer) -> Response {
    pages::workflows(&session::base(&app), &app.workflows.workflows)
}

#[derive(Deserialize)]
struct RunQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    status: String,
}

const STATUSES: [&str; 4] = [
    store::EXECUTING,
    store::DELAYED,
    store::SUCCEEDED,
    store::FAILED,
];

async fn workflow(
    State(app): State<Shared>,
    _dev: Developer,
    Path(id): Path<String>,
    Query(q): Query<RunQuery>,
) -> Response {
    let Some(loaded) = app.workflows.find(&id) else {
        return not_found("No workflow with this id on this server.");
    };
    let user = q.user.trim();
    let status = q.status.trim().to_ascii_uppercase();
    if !status.is_empty() && !STATUSES.contains(&status.as_str()) {
        return html::message(
            StatusCode::BAD_REQUEST,
            "Unknown status",
            "The status filter is one of EXECUTING, DELAYED, SUCCEEDED or FAILED.",
            None,
        );
    }
    let filter = RunFilter {
        project_id: app.project_id.clone(),
        user_id: (!user.is_empty()).then(|| user.to_owned()),
        workflow_id: Some(id.clone()),
        status: (!status.is_empty()).then(|| status.clone()),
        limit: RUNS_SHOWN,
        ..RunFilter::default()
    };
    match store::list_runs(&app.store, &filter).await {
        Ok(runs) => pages::workflow(&session::base(&app), loaded, &runs, user, &status),
        Err(e) => html::message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Store error",
            &e.to_string(),
            None,
        ),
    }
}

async fn graph_svg(State(app): State<Shared>, _dev: Developer, Path(id): Path<String>) -> Response {
    match app.workflows.find(&id) {
        Some(loaded) => (
            [(header::CONTENT_TYPE, "image/svg+xml")],
            draw::workflow_svg(&loaded.wf),
        )
            .into_response(),
        None => not_found("No workflow with this id on this server."),
    }
}

/// Each step's outcome from its rows (fan-out items, `key[i]`, folded into their step): the
/// worst status and the time from the first start to the last end.
fn outcomes(rows: &[StepRow]) -> HashMap<String, StepOutcome> {
    let rank = |s: &str| match s {
        store::FAILED => 3,
        store::EXECUTING | store::DELAYED => 2,
        _ => 1,
    };
    let mut spans: HashMap<String, (String, i64, Option<i64>)> = HashMap::new();
    for r in rows {
        let key = r
            .step_key
            .split('[')
            .next()
            .unwrap_or(&r.step_key)
            .to_owned();
        let entry = spans
            .entry(key)
            .or_insert_with(|| (r.status.clone(), r.started_at, r.ended_at));
        if rank(&r.status) > rank(&entry.0) {
            entry.0 = r.status.clone();
        }
        entry.1 = entry.1.min(r.started_at);
        entry.2 = match (entry.2, r.ended_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
    }
    spans
        .into_iter()
        .map(|(k, (status, start, end))| {
            let duration_ms = end.map(|e| e - start);
            (
                k,
                StepOutcome {
                    status,
                    duration_ms,
                },
            )
        })
        .collect()
}

async fn run(State(app): State<Shared>, dev: Developer, Path(id): Path<String>) -> Response {
    let found = match store::get_run(&app.store, &app.project_id, &id).await {
        Ok(found) => found,
        Err(e) => {
            return html::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Store error",
                &e.to_string(),
                None,
            );
        }
    };
    let Some(run) = found else {
        return not_found("No workflow run with this id.");
    };
    let Some(loaded) = app.workflows.find(&run.workflow_id) else {
        return not_found("This run's workflow is not defined on this server any more.");
    };
    let rows = match store::steps(&app.store, &id).await {
        Ok(rows) => rows,
        Err(e) => {
            return html::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Store error",
                &e.to_string(),
                None,
            );
        }
    };
    let page = pages::RunPage {
        base: &session::base(&app),
        loaded,
        run: &run,
        rows: &rows,
        outcomes: &outcomes(&rows),
        csrf: &dev.csrf_token(&app),
    };
    pages::run(&page)
}

#[derive(Deserialize)]
struct ReplayForm {
    #[serde(default)]
    csrf: String,
}

async fn replay(
    State(app): State<Shared>,
    dev: Developer,
    Path(id): Path<String>,
    Form(form): Form<ReplayForm>,
) -> Response {
    if !dev.csrf_ok(&app, &form.csrf) {
        return html::message(
            StatusCode::FORBIDDEN,
            "Refused",
            "The form's CSRF token is missing or wrong.",
            None,
        );
    }
    let run = match store::get_run(&app.store, &app.project_id, &id).await {
        Ok(Some(run)) => run,
        Ok(None) => return not_found("No workflow run with this id."),
        Err(e) => {
            return html::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Store error",
                &e.to_string(),
                None,
            );
        }
    };
    match resume_failed(&app, &run).await {
        Ok(new_run) => see_other(&format!("{}/runs/{new_run}", session::base(&app)), None),
        Err(e) => html::message(StatusCode::BAD_REQUEST, "Cannot replay", e.message(), None),
    }
}
