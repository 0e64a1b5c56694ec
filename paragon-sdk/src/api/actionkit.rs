//! ActionKit: tools an AI agent can call on the user's behalf, and triggers.

use std::collections::BTreeMap;

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::null_default;
use crate::Paragon;
use crate::client::Service;
use crate::error::{Error, Result};

/// The tools available to the user, per integration.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Tools {
    /// Tools by integration name.
    #[serde(default, deserialize_with = "null_default")]
    pub tools: BTreeMap<String, Vec<Tool>>,
    /// Integrations whose tools could not be listed.
    #[serde(default, deserialize_with = "null_default")]
    pub errors: Vec<Value>,
}

/// One tool, in the function-calling format.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Tool {
    /// `function`.
    #[serde(default, rename = "type", deserialize_with = "null_default")]
    pub kind: String,
    /// The function.
    #[serde(default)]
    pub function: ToolFunction,
}

/// A tool's name, description and JSON Schema parameters.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[non_exhaustive]
pub struct ToolFunction {
    /// The name to run it by (`SLACK_SEND_MESSAGE`).
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// What it does.
    #[serde(default)]
    pub description: Option<String>,
    /// Its parameters as JSON Schema.
    #[serde(default)]
    pub parameters: Value,
}

fn integrations_query(integrations: &[&str]) -> String {
    if integrations.is_empty() {
        String::new()
    } else {
        serde_urlencoded::to_string([("integrations", integrations.join(","))]).unwrap_or_default()
    }
}

impl Paragon {
    /// The ActionKit tools for `integrations` (all connected ones when empty), in JSON Schema
    /// format (`GET {actionkit}/projects/{pid}/tools`).
    pub async fn actionkit_tools(&self, integrations: &[&str]) -> Result<Tools> {
        let mut call = self.project_call(Service::ActionKit, Method::GET, "", "/tools")?;
        call.url.push_str("?format=json_schema");
        let q = integrations_query(integrations);
        if !q.is_empty() {
            call.url.push('&');
            call.url.push_str(&q);
        }
        self.api_call(call).await
    }

    /// Runs a tool (`POST {actionkit}/projects/{pid}/tools`) and returns its output.
    /// Not retried unless the tool is known to be idempotent: there is no way to say so here.
    pub async fn run_tool<P: Serialize + ?Sized>(
        &self,
        tool: &str,
        parameters: &P,
    ) -> Result<Value> {
        if tool.is_empty() {
            return Err(Error::InvalidRequest("the tool name is empty".into()));
        }
        let parameters = serde_json::to_value(parameters).map_err(|e| {
            Error::InvalidRequest(format!("cannot encode the tool parameters: {e}"))
        })?;
        let call = self
            .project_call(Service::ActionKit, Method::POST, "", "/tools")?
            .json(&serde_json::json!({ "tool": tool, "parameters": parameters }))?;
        self.api_call(call).await
    }

    /// The ActionKit triggers for `integrations` (`GET {actionkit}/projects/{pid}/triggers`).
    pub async fn actionkit_triggers(&self, integrations: &[&str]) -> Result<Value> {
        let mut call = self.project_call(Service::ActionKit, Method::GET, "", "/triggers")?;
        let q = integrations_query(integrations);
        if !q.is_empty() {
            call.url.push('?');
            call.url.push_str(&q);
        }
        self.api_call(call).await
    }
}
