//! A derived integration's endpoints as tools for AI agents (`#[endpoints(Type, tools)]`),
//! served by the local Connect server from `Type::openapi()` through the same path as a
//! provider's spec: listed over HTTP (ActionKit's `GET /tools`), through the SDK's
//! `actionkit_tools` and over MCP (the reference Python SDK), run with `run_tool` against
//! Task Lab with alice's API key, and refused before anything is sent when a parameter fails
//! the schema that `schemars` derived from the body type.

use paragon_fake_provider::{DEFAULT_API_KEY, FakeProvider, RunningProvider};
use paragon_local::{LocalServer, RunningServer};
use paragon_manifest::Manifest;
use paragon_sdk::api::NewCredential;
use paragon_sdk::schemars::JsonSchema;
use paragon_sdk::{EndpointSpec, Integration, Paragon, SigningKey, endpoints};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Task Lab with API keys, declared inline.
#[derive(Integration)]
#[integration(
    name = "Task Lab Keys",
    auth = api_key,
    input(key = "api_key", label = "API key", kind = "password", secret = true),
    base_url = "{env.TASKLAB_URL}/v1",
    test_endpoint = "/me",
    authorization = headers("X-Api-Key" = "{input.api_key}"),
)]
struct TaskLabKeys;

/// A task to create.
#[derive(Serialize, JsonSchema)]
#[schemars(crate = "paragon_sdk::schemars")]
struct NewTask {
    /// What the task is about.
    #[schemars(length(min = 1))]
    title: String,
    /// Where it starts (`todo` when left out).
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
}

/// A task's status.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(crate = "paragon_sdk::schemars")]
#[serde(rename_all = "snake_case")]
enum Status {
    Todo,
    InProgress,
    Done,
}

/// Which tasks to list.
#[derive(Serialize, JsonSchema)]
#[schemars(crate = "paragon_sdk::schemars")]
struct ListQuery {
    /// Only tasks in this status.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Task {
    title: String,
    status: Status,
}

/// The Task Lab API, declared by hand and offered to agents.
#[endpoints(TaskLabKeys, tools)]
trait TaskLabApi {
    /// Creates a task in the user's Task Lab.
    #[post("/tasks")]
    async fn create_task(&self, #[body] task: &NewTask) -> Task;

    /// A task by its id.
    #[get("/tasks/{id}")]
    async fn task(&self, id: &str) -> Task;

    /// The user's tasks.
    ///
    /// Optionally only those in one status.
    #[get("/tasks")]
    async fn tasks(&self, #[query] query: &ListQuery) -> Vec<Task>;
}

const NAME: &str = "custom.tasklabkeys";

struct Env {
    provider: RunningProvider,
    server: RunningServer,
    alice: Paragon,
}

/// Task Lab, a local server serving the derived definition with its document, and alice
/// connected with an API key.
async fn start() -> Env {
    let provider = FakeProvider::builder()
        .start()
        .await
        .expect("fake provider");
    let manifest = Manifest::parse(
        TaskLabKeys::definition_toml().expect("definition"),
        "derived/integration.toml",
    )
    .unwrap_or_else(|d| panic!("derived definition: {d}"));
    let server = LocalServer::builder()
        .dev(true)
        .process_env(false)
        .secret("TASKLAB_URL", provider.url())
        .manifest_with_document(manifest, TaskLabKeys::openapi())
        .start()
        .await
        .expect("local server");
    let alice = Paragon::builder()
        .ignore_env()
        .project_id(server.project_id())
        .signing_key(SigningKey::from_pem(server.signing_key_pem().expect("pem")).expect("key"))
        .base_url(server.url())
        .build()
        .expect("sdk")
        .user("alice");
    alice
        .create_credential(&NewCredential::new(TaskLabKeys::NAME).value("api_key", DEFAULT_API_KEY))
        .await
        .expect("connect alice");
    Env {
        provider,
        server,
        alice,
    }
}

fn sorted(mut names: Vec<&str>) -> Vec<&str> {
    names.sort_unstable();
    names
}

const TOOLS: [&str; 3] = [
    "TASKLABKEYS_CREATE_TASK",
    "TASKLABKEYS_TASK",
    "TASKLABKEYS_TASKS",
];

#[tokio::test]
async fn declared_endpoints_are_listed_over_http_and_through_the_sdk() {
    let env = start().await;
    assert_eq!(TaskLabKeys::NAME, NAME);

    let url = format!(
        "{}/projects/{}/tools?format=json_schema&integrations={NAME}",
        env.server.url(),
        env.server.project_id()
    );
    let res = reqwest::Client::new()
        .get(&url)
        .bearer_auth(env.server.token("alice").expect("token"))
        .send()
        .await
        .expect("GET /tools");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["errors"], json!([]));
    let listed = body["tools"][NAME]
        .as_array()
        .expect("the integration's tools");
    let names = sorted(
        listed
            .iter()
            .map(|t| t["function"]["name"].as_str().unwrap())
            .collect(),
    );
    assert_eq!(names, TOOLS);
    let create = listed
        .iter()
        .find(|t| t["function"]["name"] == "TASKLABKEYS_CREATE_TASK")
        .unwrap();
    assert_eq!(create["type"], "function");
    assert_eq!(
        create["function"]["description"],
        "Creates a task in the user's Task Lab."
    );
    let parameters = &create["function"]["parameters"];
    assert_eq!(parameters["required"], json!(["body"]));
    let new_task = &parameters["$defs"]["NewTask"];
    assert_eq!(new_task["properties"]["title"]["minLength"], 1);
    assert_eq!(new_task["required"], json!(["title"]));

    let sdk = env.alice.actionkit_tools(&[NAME]).await.expect("tools");
    let names = sorted(
        sdk.tools[NAME]
            .iter()
            .map(|t| t.function.name.as_str())
            .collect(),
    );
    assert_eq!(names, TOOLS);
    let tasks = sdk.tools[NAME]
        .iter()
        .find(|t| t.function.name == "TASKLABKEYS_TASKS")
        .unwrap();
    assert_eq!(
        tasks.function.description.as_deref(),
        Some("The user's tasks.\n\nOptionally only those in one status.")
    );
    assert_eq!(
        tasks.function.parameters["properties"]["status"]["description"],
        "Only tasks in this status."
    );
}

#[tokio::test]
async fn run_tool_creates_a_task_in_task_lab() {
    let env = start().await;
    let created = env
        .alice
        .run_tool(
            "TASKLABKEYS_CREATE_TASK",
            &json!({"body": {"title": "Filed by a tool", "status": "in_progress"}}),
        )
        .await
        .expect("run TASKLABKEYS_CREATE_TASK");
    assert_eq!(created["title"], "Filed by a tool");
    let id = created["id"].as_str().expect("an id");

    // The task is in Task Lab, read back through the derived typed client.
    let api = TaskLabKeys::client(&env.alice);
    let task = api.task(id).await.expect("the task");
    assert_eq!(task.title, "Filed by a tool");
    assert_eq!(task.status, Status::InProgress);

    // A path parameter and a query parameter, through tools too.
    let got = env
        .alice
        .run_tool("TASKLABKEYS_TASK", &json!({"id": id}))
        .await
        .expect("run TASKLABKEYS_TASK");
    assert_eq!(got["id"], id);
    let listed = env
        .alice
        .run_tool("TASKLABKEYS_TASKS", &json!({"status": "in_progress"}))
        .await
        .expect("run TASKLABKEYS_TASKS");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let none = env
        .alice
        .run_tool("TASKLABKEYS_TASKS", &json!({"status": "done"}))
        .await
        .expect("run TASKLABKEYS_TASKS");
    assert_eq!(none, json!([]));
}

#[tokio::test]
async fn parameters_the_schema_refuses_never_reach_task_lab() {
    let env = start().await;
    let before = format!("{:?}", env.provider.stats());
    for (parameters, named) in [
        (json!({"body": {"title": ""}}), "`body` at /body/title"),
        (
            json!({"body": {"title": "Later", "status": "someday"}}),
            "`body` at /body/status",
        ),
        (json!({"body": {"title": "x"}, "priority": 1}), "`priority`"),
    ] {
        let err = env
            .alice
            .run_tool("TASKLABKEYS_CREATE_TASK", &parameters)
            .await
            .expect_err("refused");
        let text = err.to_string();
        assert!(
            text.contains("invalid parameters for TASKLABKEYS_CREATE_TASK") && text.contains(named),
            "{parameters}: {text}"
        );
    }
    let err = env
        .alice
        .run_tool("TASKLABKEYS_TASK", &json!({}))
        .await
        .expect_err("the id is required");
    assert!(err.to_string().contains("`id`"), "{err}");
    assert_eq!(format!("{:?}", env.provider.stats()), before);
    let tasks = TaskLabKeys::client(&env.alice)
        .tasks(&ListQuery { status: None })
        .await
        .expect("tasks");
    assert_eq!(tasks, []);
}

/// The reference MCP client (Python SDK, installed by scripts/test.sh into
/// `.cache/mcp-venv`); skipped without it unless CI=true.
fn python() -> Option<PathBuf> {
    let venv = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../.cache/mcp-venv/bin/python"
    ));
    if venv.exists() {
        return Some(venv);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the MCP client is missing: scripts/test.sh installs it into .cache/mcp-venv"
    );
    eprintln!("skipped: python -m venv .cache/mcp-venv && .cache/mcp-venv/bin/pip install mcp");
    None
}

#[tokio::test]
async fn an_mcp_client_lists_and_calls_the_declared_endpoints() {
    let Some(python) = python() else {
        return;
    };
    let env = start().await;
    let url = format!(
        "{}/projects/{}/mcp",
        env.server.url(),
        env.server.project_id()
    );
    let out = tokio::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../paragon-local/tests/mcp/client.py"
        ))
        .args(["http", &url, &env.server.token("alice").expect("token")])
        .env("TOOL_PREFIX", "TASKLABKEYS_")
        .output()
        .await
        .expect("run the MCP client");
    assert!(
        out.status.success(),
        "the MCP client failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out: Value = serde_json::from_slice(&out.stdout).expect("the client's JSON");
    let names = sorted(
        out["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect(),
    );
    assert_eq!(names, TOOLS);
    assert_eq!(out["created"]["isError"], false, "{}", out["created"]);
    assert_eq!(
        out["created"]["structuredContent"]["title"],
        "Filed by an agent"
    );
    assert_eq!(out["refused"]["isError"], true);
    let refused = out["refused"]["content"][0]["text"].as_str().unwrap();
    assert!(refused.contains("`body` at /body/title"), "{refused}");
    let unknown = out["unknown"]["content"][0]["text"].as_str().unwrap();
    assert!(
        unknown.contains("did you mean TASKLABKEYS_CREATE_TASK?"),
        "{unknown}"
    );
    let tasks = TaskLabKeys::client(&env.alice)
        .tasks(&ListQuery {
            status: Some(Status::Todo),
        })
        .await
        .expect("tasks");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].title, "Filed by an agent");
}
