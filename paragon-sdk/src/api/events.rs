//! App events and dynamic field options.

use http::Method;
use serde::Serialize;
use serde_json::Value;

use crate::Paragon;
use crate::client::Service;
use crate::error::{Error, Result};

/// The body of `POST /sdk/actions`: the options of a dynamic field.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldOptionsRequest {
    action: String,
    source_key: String,
    parameters: Vec<Value>,
    pagination_parameters: Pagination,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    #[serde(skip_serializing_if = "Option::is_none")]
    page_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    search: Option<String>,
}

impl FieldOptionsRequest {
    /// Options of `source_key` for `action`.
    pub fn new(action: impl Into<String>, source_key: impl Into<String>) -> Self {
        FieldOptionsRequest {
            action: action.into(),
            source_key: source_key.into(),
            parameters: Vec::new(),
            pagination_parameters: Pagination::default(),
        }
    }

    /// A parameter (`{"cacheKey": …, "value": …}` as the field expects).
    pub fn parameter(mut self, parameter: Value) -> Self {
        self.parameters.push(parameter);
        self
    }

    /// The page to fetch.
    pub fn page_cursor(mut self, cursor: impl Into<String>) -> Self {
        self.pagination_parameters.page_cursor = Some(cursor.into());
        self
    }

    /// A search text.
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.pagination_parameters.search = Some(text.into());
        self
    }
}

impl Paragon {
    /// Sends an app event (`POST {events}/v2/projects/{pid}/sdk/events/trigger`) to the
    /// workflows that listen for `name`.
    pub async fn send_event<P: Serialize + ?Sized>(&self, name: &str, payload: &P) -> Result<()> {
        if name.is_empty() {
            return Err(Error::InvalidRequest("the event name is empty".into()));
        }
        let payload = serde_json::to_value(payload)
            .map_err(|e| Error::InvalidRequest(format!("cannot encode the event payload: {e}")))?;
        let call = self
            .project_call(Service::Events, Method::POST, "/v2", "/sdk/events/trigger")?
            .json(&serde_json::json!({ "name": name, "payload": payload }))?;
        self.api_call_unit(call).await
    }

    /// The options of a dynamic field (`POST /sdk/actions`), as Paragon returns them.
    pub async fn field_options(&self, request: &FieldOptionsRequest) -> Result<Value> {
        let call = self
            .project_call(Service::Api, Method::POST, "", "/sdk/actions")?
            .json(request)?;
        self.api_call(call).await
    }
}
