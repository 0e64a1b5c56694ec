//! An MCP server (the `rmcp` crate) offering one user's tools (`crate::tools`): `tools/list`
//! gives the tools of the integrations the user has connected, `tools/call` runs one through
//! the same path as ActionKit's `POST /tools` (schema check, proxy, the user's credential).
//!
//! Over streamable HTTP it is `POST /projects/{pid}/mcp`, stateless: every request carries the
//! user's Paragon user token (`Authorization: Bearer`), checked like any Connect API call. Over
//! stdio (`paragon-local mcp`) the user is the one whose token started it.

use crate::api::tools;
use crate::auth::{Access, User};
use crate::permissions::Caller;
use crate::state::Shared;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, InitializeResult,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;
use std::sync::Arc;

/// One MCP session's handler.
#[derive(Clone)]
pub(crate) struct ToolServer {
    app: Shared,
    /// The user of a stdio server; over HTTP each request's token says.
    user: Option<User>,
}

impl ToolServer {
    /// A handler acting for `user` (stdio), or for each HTTP request's caller (`None`).
    pub(crate) fn new(app: Shared, user: Option<User>) -> Self {
        ToolServer { app, user }
    }

    fn user(&self, ctx: &RequestContext<RoleServer>) -> Result<User, ErrorData> {
        if let Some(u) = &self.user {
            return Ok(u.clone());
        }
        ctx.extensions
            .get::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<User>())
            .cloned()
            .ok_or_else(|| ErrorData::invalid_request("no Paragon user token", None))
    }
}

impl ServerHandler for ToolServer {
    fn get_info(&self) -> ServerConfig {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_instructions(
                "Tools that call third-party APIs for the connected user through Paragon.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let user = self.user(&ctx)?;
        user.check_user_wide(Access::Read).map_err(forbidden)?;
        let mut connected: Vec<String> = self
            .app
            .store
            .cached_credentials(&user.project_id, &user.user_id)
            .await
            .map_err(|e| {
                ErrorData::internal_error(
                    crate::error::ApiError::from(e).message().to_string(),
                    None,
                )
            })?
            .iter()
            .map(|c| c.integration.clone())
            .collect();
        connected.sort();
        connected.dedup();
        let mut listed = Vec::new();
        for slug in connected {
            let Some(integration) = self.app.integrations.get(&slug).cloned() else {
                continue;
            };
            let served = tools::tools_of(integration)
                .await
                .map_err(|m| ErrorData::internal_error(m, None))?;
            for t in &served.set.tools {
                let schema = t.parameters.as_object().cloned().unwrap_or_default();
                listed.push(rmcp::model::Tool::new(
                    t.name.clone(),
                    t.description.clone(),
                    Arc::new(schema),
                ));
            }
        }
        Ok(ListToolsResult::with_all_items(listed))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let user = self.user(&ctx)?;
        let parameters = Value::Object(request.arguments.unwrap_or_default());
        let result = async {
            let (integration, served) = tools::find(&self.app, &request.name).await?;
            user.check(&integration.slug, None, Access::Write)?;
            tools::call(
                &self.app,
                &user,
                &integration,
                &served,
                &request.name,
                &parameters,
            )
            .await
        }
        .await;
        // What went wrong is the agent's to read and fix (a parameter, a name), so it is a
        // tool error with the message, not a protocol error the client would hide.
        let result = match result {
            Ok((status, body)) => {
                let text = String::from_utf8_lossy(&body).into_owned();
                let mut r = if status.is_success() {
                    CallToolResult::success(vec![ContentBlock::text(text)])
                } else {
                    CallToolResult::error(vec![ContentBlock::text(format!(
                        "the provider answered {status}: {text}"
                    ))])
                };
                if let Ok(v @ Value::Object(_)) = serde_json::from_slice::<Value>(&body) {
                    r.structured_content = Some(v);
                }
                r
            }
            Err(e) => CallToolResult::error(vec![ContentBlock::text(e.message().to_string())]),
        };
        Ok(CallToolResponse::Complete(result))
    }
}

fn forbidden(e: crate::error::ApiError) -> ErrorData {
    ErrorData::invalid_request(e.message().to_string(), None)
}

/// `/projects/{pid}/mcp`: the caller's token is checked (the `Caller` extractor) before the
/// MCP service sees the request, and the user rides along in the request's extensions.
pub(crate) async fn handle(
    State(app): State<Shared>,
    Caller(user): Caller,
    mut request: Request,
) -> Response {
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::never::NeverSessionManager,
    };
    request.extensions_mut().insert(user);
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        // The server's own limits and host checks already apply to this route.
        .disable_allowed_hosts()
        .with_max_request_body_bytes(app.limits.max_request_body);
    let handler = ToolServer::new(app, None);
    let service = StreamableHttpService::new(
        move || Ok(handler.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    service.handle(request).await.into_response()
}

/// The stdio server for the user `token` names, until the client closes stdin.
pub(crate) async fn serve_stdio(app: Shared, project_id: &str, token: &str) -> Result<(), String> {
    use rmcp::ServiceExt;
    let mut headers = axum::http::HeaderMap::new();
    let value = axum::http::HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| "the user token is not a header value".to_string())?;
    headers.insert(axum::http::header::AUTHORIZATION, value);
    let user = app
        .user(project_id, &headers)
        .map_err(|e| format!("the user token is refused: {}", e.message()))?;
    let running = ToolServer::new(app, Some(user))
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| format!("MCP over stdio: {e}"))?;
    running
        .waiting()
        .await
        .map_err(|e| format!("MCP over stdio: {e}"))?;
    Ok(())
}
