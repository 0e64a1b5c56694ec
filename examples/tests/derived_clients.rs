//! Derived clients calling the fake provider through the local Connect server's proxy, over
//! real HTTP on loopback.

use paragon_fake_provider::{DEFAULT_API_KEY, FakeProvider, RunningProvider};
use paragon_local::{LocalServer, RunningServer};
use paragon_manifest::Manifest;
use paragon_sdk::api::NewCredential;
use paragon_sdk::{Error, Paragon, SigningKey};
use paragon_sdk::{Integration, endpoints};
use serde::{Deserialize, Serialize};

/// Task Lab with API keys, declared inline.
#[derive(Integration)]
#[integration(
    name = "Task Lab Keys",
    description = "Manage tasks in Task Lab with an API key instead of OAuth.",
    color = "#0F766E",
    auth = api_key,
    input(key = "api_key", label = "API key", kind = "password", secret = true),
    base_url = "{env.TASKLAB_URL}/v1",
    test_endpoint = "/me",
    authorization = headers("X-Api-Key" = "{input.api_key}"),
    headers("X-Client" = "paragon-macros"),
)]
struct TaskLabKeys;

#[derive(Debug, Deserialize)]
struct Me {
    id: String,
    via: String,
}

#[derive(Serialize)]
struct NewTask<'a> {
    title: &'a str,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Task {
    id: String,
    title: String,
    status: String,
}

#[derive(Serialize)]
struct ListQuery {
    limit: u32,
    status: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
struct Echo {
    path: String,
    query: Option<String>,
    headers: serde_json::Value,
}

/// The Task Lab API, declared by hand.
#[endpoints(TaskLabKeys)]
trait TaskLabApi {
    #[get("/me")]
    async fn me(&self) -> Me;

    #[post("/tasks")]
    async fn create_task(&self, #[body] task: &NewTask<'_>) -> Task;

    #[get("/tasks/{id}")]
    async fn task(&self, id: &str) -> Task;

    #[get("/tasks")]
    async fn tasks(&self, #[query] query: &ListQuery) -> Vec<Task>;

    #[delete("/tasks/{id}")]
    async fn delete_task(&self, id: &str);

    #[get("/echo/{first}/{second}")]
    async fn echo(&self, first: &str, second: u32) -> Echo;
}

/// The same integration from its manifest file, with the operations generated from the spec.
#[derive(Integration)]
#[integration(
    manifest = "../specs/tasklab-keys/integration.toml",
    spec = "../specs/tasklab/openapi.yaml",
    module = "tasklab"
)]
struct FromFiles;

struct Env {
    _provider: RunningProvider,
    _server: RunningServer,
    alice: Paragon,
}

/// A fake provider, a local server serving the derived definition, and alice connected with
/// an API key through the SDK.
async fn start() -> Env {
    let provider = FakeProvider::builder()
        .start()
        .await
        .expect("fake provider");
    // The derived definition is self-contained (its icon is inline): any file name will do.
    let file = "derived/integration.toml";
    let manifest = Manifest::parse(TaskLabKeys::definition_toml().expect("definition"), file)
        .unwrap_or_else(|d| panic!("derived definition: {d}"));
    let server = LocalServer::builder()
        .dev(true)
        .process_env(false)
        .secret("TASKLAB_URL", provider.url())
        .manifest(manifest)
        .start()
        .await
        .expect("local server");
    let paragon = Paragon::builder()
        .ignore_env()
        .project_id(server.project_id())
        .signing_key(SigningKey::from_pem(server.signing_key_pem().expect("pem")).expect("key"))
        .base_url(server.url())
        .build()
        .expect("sdk");
    let alice = paragon.user("alice");
    alice
        .create_credential(&NewCredential::new(TaskLabKeys::NAME).value("api_key", DEFAULT_API_KEY))
        .await
        .expect("connect alice");
    Env {
        _provider: provider,
        _server: server,
        alice,
    }
}

#[tokio::test]
async fn endpoints_call_the_provider_through_the_proxy() {
    let env = start().await;
    let api = TaskLabKeys::client(&env.alice);

    let me = api.me().await.expect("me");
    assert_eq!(me.via, "x-api-key");
    assert!(me.id.starts_with("key-"), "{me:?}");

    let created = api
        .create_task(&NewTask {
            title: "write the macro",
        })
        .await
        .expect("create");
    assert_eq!(created.title, "write the macro");
    assert_eq!(api.task(&created.id).await.expect("get"), created);

    let listed = api
        .tasks(&ListQuery {
            limit: 5,
            status: Some("todo"),
        })
        .await
        .expect("list");
    assert_eq!(listed, vec![created]);

    api.delete_task(&listed[0].id).await.expect("delete");
    match api.task(&listed[0].id).await {
        Err(Error::Provider { status, .. }) => assert_eq!(status, 404),
        other => panic!("expected a 404 from the provider, got {other:?}"),
    }
}

#[tokio::test]
async fn path_parameters_are_encoded_and_default_headers_sent() {
    let env = start().await;
    let echo = TaskLabKeys::client(&env.alice)
        .echo("a b/c?d#e", 7)
        .await
        .expect("echo");
    assert_eq!(echo.path, "/v1/echo/a%20b%2Fc%3Fd%23e/7");
    assert_eq!(echo.query, None);
    assert_eq!(echo.headers["x-client"], "paragon-macros");
}

#[tokio::test]
async fn test_connection_and_generated_operations() {
    let env = start().await;
    let outcome = TaskLabKeys::test_connection(&env.alice)
        .await
        .expect("test");
    assert!(outcome.is_success(), "{outcome:?}");

    // The spec's typed operations, for the integration of the same name.
    assert_eq!(FromFiles::NAME, TaskLabKeys::NAME);
    let client = FromFiles::client(&env.alice);
    let me = client.get_me().await.expect("get_me");
    assert!(me.id.starts_with("key-"));
    let task = client
        .create_task(tasklab::types::NewTask {
            status: None,
            title: "typed".into(),
        })
        .await
        .expect("create_task");
    assert_eq!(
        client
            .get_task(task.id.clone())
            .await
            .expect("get_task")
            .title,
        "typed"
    );
}
