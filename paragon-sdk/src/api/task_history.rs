//! Task History: workflow executions, their step executions, replay of a failed execution
//! (`/projects/{pid}/task-history/workflow-executions`).

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::null_default;
use crate::Paragon;
use crate::client::Service;
use crate::error::{Error, Result};
use crate::path;

/// One run of a workflow.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WorkflowExecution {
    /// The execution id.
    #[serde(default)]
    pub id: String,
    /// The connected user it ran for.
    #[serde(default)]
    pub user_id: String,
    /// The workflow.
    #[serde(default)]
    pub workflow_id: String,
    /// `EXECUTING`, `DELAYED`, `SUCCEEDED` or `FAILED`.
    #[serde(default)]
    pub status: String,
    /// Steps that succeeded (present on single executions).
    #[serde(default)]
    pub task_count: Option<u64>,
    /// Milliseconds from start to end, once ended.
    #[serde(default)]
    pub run_duration: Option<u64>,
    /// RFC 3339 start time.
    #[serde(default)]
    pub date_started: Option<String>,
    /// RFC 3339 end time, once ended.
    #[serde(default)]
    pub date_ended: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// The execution this one replays.
    #[serde(default)]
    pub replay_of: Option<String>,
}

/// One step of an execution.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StepExecution {
    /// `<execution id>:<step key>`.
    #[serde(default)]
    pub id: String,
    /// The step's key (`create`, or `create[3]` inside a fan-out).
    #[serde(default)]
    pub step_key: String,
    /// `EXECUTING`, `DELAYED`, `SUCCEEDED` or `FAILED`.
    #[serde(default)]
    pub status: String,
    /// Which try this is (1 for the first).
    #[serde(default)]
    pub attempt: u32,
    /// The key the step sends as `Idempotency-Key`, stable across retries and restarts.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// What the step received (secrets redacted).
    #[serde(default)]
    pub input: Value,
    /// What it produced (secrets redacted).
    #[serde(default)]
    pub output: Value,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// RFC 3339 start time.
    #[serde(default)]
    pub date_started: Option<String>,
    /// RFC 3339 end time.
    #[serde(default)]
    pub date_ended: Option<String>,
}

/// Which executions to list; every filter is optional.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ExecutionQuery {
    /// Only this workflow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
    /// Only this status (`FAILED`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Started at or after (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// Started at or before (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// At most this many (server default 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Skip this many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

impl ExecutionQuery {
    /// No filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only `workflow_id`.
    pub fn workflow(mut self, workflow_id: impl Into<String>) -> Self {
        self.workflow_id = Some(workflow_id.into());
        self
    }

    /// Only `status`.
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Started in `[start, end]` (RFC 3339; either may be open).
    pub fn between(mut self, start: Option<String>, end: Option<String>) -> Self {
        self.start_date = start;
        self.end_date = end;
        self
    }

    /// Paging.
    pub fn page(mut self, limit: u32, offset: u64) -> Self {
        self.limit = Some(limit);
        self.offset = Some(offset);
        self
    }
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
struct Page<T> {
    #[serde(default, deserialize_with = "null_default")]
    data: Vec<T>,
}

const BASE: &str = "/task-history/workflow-executions";

impl Paragon {
    /// The user's workflow executions, newest first.
    pub async fn workflow_executions(
        &self,
        query: &ExecutionQuery,
    ) -> Result<Vec<WorkflowExecution>> {
        let mut call = self.project_call(Service::Api, Method::GET, "", BASE)?;
        let q = serde_urlencoded::to_string(query)
            .map_err(|e| Error::InvalidRequest(format!("cannot encode the query: {e}")))?;
        if !q.is_empty() {
            call.url.push('?');
            call.url.push_str(&q);
        }
        Ok(self.api_call::<Page<WorkflowExecution>>(call).await?.data)
    }

    /// One execution.
    pub async fn workflow_execution(&self, execution_id: &str) -> Result<WorkflowExecution> {
        let id = path::id("execution id", execution_id)?;
        let call = self.project_call(Service::Api, Method::GET, "", &format!("{BASE}/{id}"))?;
        self.api_call(call).await
    }

    /// The step executions of an execution.
    pub async fn step_executions(&self, execution_id: &str) -> Result<Vec<StepExecution>> {
        let id = path::id("execution id", execution_id)?;
        let path = format!("{BASE}/{id}/step-executions");
        let call = self.project_call(Service::Api, Method::GET, "", &path)?;
        Ok(self.api_call::<Page<StepExecution>>(call).await?.data)
    }

    /// Runs a failed execution again with the same trigger input; returns the new execution.
    /// Not retried: a replay is not idempotent.
    pub async fn replay_execution(&self, execution_id: &str) -> Result<WorkflowExecution> {
        let id = path::id("execution id", execution_id)?;
        let path = format!("{BASE}/{id}/replay");
        let call = self.project_call(Service::Api, Method::POST, "", &path)?;
        self.api_call(call).await
    }
}
