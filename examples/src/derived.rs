//! `#[derive(Integration)]`: a custom integration declared in Rust, inline or from files.
//!
//! - [`TaskLabKeys`] is declared inline: every field of `integration.toml` as an attribute,
//!   checked at compile time, with a hand-written typed API ([`TaskLabKeysApi`]) whose
//!   endpoints are also tools for AI agents (`#[endpoints(TaskLabKeys, tools)]`).
//! - [`TaskLab`] reads `specs/tasklab/integration.toml` and generates its operations from
//!   `specs/tasklab/openapi.yaml` into the module `tasklab_api`.
//!
//! The local Connect server in [`run`] serves the inline type's own definition
//! ([`Integration::definition_toml`]) with its endpoints' OpenAPI document
//! ([`EndpointSpec::openapi`]), so what the macro checked is what the proxy and the tools use.

use paragon_manifest::Manifest;
use paragon_sdk::schemars::JsonSchema;
use paragon_sdk::{EndpointSpec, Integration, endpoints};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::demo::{Demo, specs_dir};
use crate::{Out, Result};

/// Task Lab with an API key, declared inline (the same integration as `specs/tasklab-keys`).
#[derive(Debug, Integration)]
#[integration(
    name = "Task Lab Keys",
    description = "Manage tasks in Task Lab with an API key instead of OAuth.",
    icon = "assets/tasklab-keys.svg",
    color = "#0F766E",
    auth = api_key,
    input(key = "api_key", label = "API key", kind = "password", secret = true),
    base_url = "{env.TASKLAB_URL}/v1",
    test_endpoint = "/me",
    authorization = headers("X-Api-Key" = "{input.api_key}"),
)]
pub struct TaskLabKeys;

/// Task Lab with OAuth, from its manifest and OpenAPI spec.
#[derive(Debug, Integration)]
#[integration(
    manifest = "../specs/tasklab/integration.toml",
    spec = "../specs/tasklab/openapi.yaml",
    module = "tasklab_api"
)]
pub struct TaskLab;

/// The Task Lab caller, as `GET /me` describes it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Me {
    /// `key-<n>` for an API key, the account name for OAuth.
    pub id: String,
    /// How the credential reached Task Lab (`x-api-key`, `bearer`).
    pub via: String,
}

/// A task.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Task {
    /// Its id, e.g. `task_1`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// `todo`, `in_progress` or `done`.
    pub status: String,
}

/// The body of `POST /tasks`.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(crate = "paragon_sdk::schemars")]
pub struct NewTask<'a> {
    /// The title.
    #[schemars(length(min = 1))]
    pub title: &'a str,
}

/// The query of `GET /tasks`.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(crate = "paragon_sdk::schemars")]
pub struct ListTasks {
    /// The most tasks to return.
    #[schemars(range(min = 1, max = 100))]
    pub limit: u32,
}

/// The part of Task Lab's API this app uses, declared by hand, and offered to agents as tools.
#[endpoints(TaskLabKeys, tools)]
pub trait TaskLabKeysApi {
    /// The caller.
    #[get("/me")]
    async fn me(&self) -> Me;

    /// Creates a task.
    #[post("/tasks")]
    async fn create_task(&self, #[body] task: &NewTask<'_>) -> Task;

    /// Lists tasks.
    #[get("/tasks")]
    async fn tasks(&self, #[query] query: &ListTasks) -> Vec<Task>;
}

/// The manifest a derived type carries, parsed for the local server. Its icon path is
/// relative to this crate's folder, as in the attribute.
pub fn served_manifest<I: paragon_sdk::Integration>() -> Result<Manifest> {
    let toml = I::definition_toml().ok_or("the integration has no definition")?;
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/integration.toml");
    Ok(Manifest::parse(toml, file)?)
}

/// Serves both derived integrations, connects alice to each, and calls them through their
/// typed clients.
pub async fn run(out: &mut Out) -> Result<()> {
    let inline = served_manifest::<TaskLabKeys>()?;
    let demo = Demo::start_with(|server| {
        server
            .manifest_with_document(inline, TaskLabKeys::openapi())
            .specs(specs_dir().join("tasklab"))
    })
    .await?;
    let alice = demo.paragon().user("alice");

    out.heading("Inline: #[derive(Integration)] #[integration(name = \"Task Lab Keys\", ...)]");
    out.line(format!(
        "TaskLabKeys::NAME = {:?}, TEST_ENDPOINT = {:?}",
        TaskLabKeys::NAME,
        TaskLabKeys::TEST_ENDPOINT
    ));
    out.line("The definition the macro checked and the local server serves:");
    for line in TaskLabKeys::definition_toml().unwrap_or_default().lines() {
        out.line(format!("    {line}"));
    }
    demo.connect_api_key("alice", TaskLabKeys::NAME).await?;
    let api = TaskLabKeys::client(&alice);
    let me = api.me().await?;
    out.line(format!("me(): {} via {}", me.id, me.via));
    let task = api
        .create_task(&NewTask {
            title: "Declared inline",
        })
        .await?;
    out.line(format!("create_task(): {} {:?}", task.id, task.title));
    let tasks = api.tasks(&ListTasks { limit: 5 }).await?;
    out.line(format!("tasks(): {} task(s)", tasks.len()));

    out.heading("Tools: #[endpoints(TaskLabKeys, tools)]");
    let listed = alice.actionkit_tools(&[TaskLabKeys::NAME]).await?;
    for tool in listed.tools.get(TaskLabKeys::NAME).into_iter().flatten() {
        let description = tool.function.description.as_deref().unwrap_or_default();
        out.line(format!("{}: {description}", tool.function.name));
    }
    let created = alice
        .run_tool(
            "TASKLABKEYS_CREATE_TASK",
            &json!({"body": {"title": "Filed through a tool"}}),
        )
        .await?;
    out.line(format!(
        "run_tool(\"TASKLABKEYS_CREATE_TASK\"): {} {}",
        created["id"], created["title"]
    ));
    match alice
        .run_tool("TASKLABKEYS_TASKS", &json!({"limit": 0}))
        .await
    {
        Ok(v) => out.line(format!("unexpectedly accepted: {v}")),
        Err(e) => out.line(format!("refused: {e}")),
    }

    out.heading("From files: #[integration(manifest = \"...\", spec = \"...\")]");
    out.line(format!(
        "TaskLab::NAME = {:?}, TEST_ENDPOINT = {:?}",
        TaskLab::NAME,
        TaskLab::TEST_ENDPOINT
    ));
    demo.connect_oauth("alice", TaskLab::NAME, "ada").await?;
    let tasklab = TaskLab::client(&alice);
    let me = tasklab.get_me().await?;
    out.line(format!("get_me(): {} <{}>", me.name, me.email));
    let task = tasklab
        .create_task(tasklab_api::types::NewTask {
            title: "Generated from the spec".into(),
            status: None,
        })
        .await?;
    out.line(format!("create_task(): {} {:?}", task.id, task.title));
    let outcome = TaskLab::test_connection(&alice).await?;
    out.line(format!(
        "TaskLab::test_connection(): {}",
        if outcome.is_success() { "ok" } else { "failed" }
    ));

    demo.shutdown().await;
    Ok(())
}
