//! Workflows: enable, disable, trigger.

use http::{Method, StatusCode};
use serde::Serialize;
use serde_json::Value;

use crate::Paragon;
use crate::client::Service;
use crate::error::{Error, Result};
use crate::path;

/// What triggering a workflow returned.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WorkflowOutcome {
    /// The workflow's response body (`null` when it was empty).
    Response(Value),
    /// 202: the workflow runs but sends no response.
    Accepted,
}

impl Paragon {
    /// Enables a workflow for the user (`POST /sdk/workflows/{id}`).
    pub async fn enable_workflow(&self, workflow_id: &str) -> Result<()> {
        let id = path::id("workflow id", workflow_id)?;
        let call = self.project_call(
            Service::Api,
            Method::POST,
            "",
            &format!("/sdk/workflows/{id}"),
        )?;
        self.api_call_unit(call).await
    }

    /// Disables a workflow for the user (`DELETE /sdk/workflows/{id}`).
    pub async fn disable_workflow(&self, workflow_id: &str) -> Result<()> {
        let id = path::id("workflow id", workflow_id)?;
        let call = self.project_call(
            Service::Api,
            Method::DELETE,
            "",
            &format!("/sdk/workflows/{id}"),
        )?;
        self.api_call_unit(call).await
    }

    /// Triggers a workflow with a request trigger
    /// (`POST {events}/projects/{pid}/sdk/triggers/{id}`), waiting for its response (Paragon
    /// allows 55 s). Not retried: a workflow run is not idempotent.
    pub async fn trigger_workflow<P: Serialize + ?Sized>(
        &self,
        workflow_id: &str,
        payload: &P,
    ) -> Result<WorkflowOutcome> {
        self.trigger_workflow_with_query(workflow_id, &(), payload)
            .await
    }

    /// [`trigger_workflow`](Self::trigger_workflow) with query parameters.
    pub async fn trigger_workflow_with_query<Q: Serialize + ?Sized, P: Serialize + ?Sized>(
        &self,
        workflow_id: &str,
        query: &Q,
        payload: &P,
    ) -> Result<WorkflowOutcome> {
        let id = path::id("workflow id", workflow_id)?;
        let mut call = self
            .project_call(
                Service::Events,
                Method::POST,
                "",
                &format!("/sdk/triggers/{id}"),
            )?
            .json(payload)?;
        let query = serde_urlencoded::to_string(query)
            .map_err(|e| Error::InvalidRequest(format!("cannot encode the query: {e}")))?;
        if !query.is_empty() {
            call.url.push('?');
            call.url.push_str(&query);
        }
        let res = self.execute(call).await?;
        if res.response.status() == StatusCode::ACCEPTED {
            let _ = crate::client::read_body(res, self.max_body()).await;
            return Ok(WorkflowOutcome::Accepted);
        }
        let body = crate::client::read_body(res, self.max_body()).await?;
        Ok(WorkflowOutcome::Response(crate::response::decode_json(
            &body,
        )?))
    }
}
