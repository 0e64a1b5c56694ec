//! `#[endpoints(Type, tools)]`: the declared endpoints as an OpenAPI document
//! (`EndpointSpec::openapi`), and the tools `paragon-codegen` lowers it to, as the local
//! server does, each schema valid against the 2020-12 meta-schema.

use paragon_codegen::{Location, ToolGenerator};
use paragon_macros::{Integration, endpoints};
use paragon_manifest::Manifest;
use paragon_sdk::schemars::JsonSchema;
use paragon_sdk::{EndpointSpec, Integration as _};
use serde::Serialize;
use serde_json::json;

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
struct NewTask<'a> {
    /// What the task is about.
    #[schemars(length(min = 1))]
    title: &'a str,
    /// `todo` (the default), `in_progress` or `done`.
    status: Option<Status>,
}

/// Only its schema is read here.
#[allow(dead_code)]
#[derive(Serialize, JsonSchema)]
#[schemars(crate = "paragon_sdk::schemars")]
#[serde(rename_all = "snake_case")]
enum Status {
    Todo,
    InProgress,
    Done,
}

#[derive(Serialize, JsonSchema)]
#[schemars(crate = "paragon_sdk::schemars")]
struct ListQuery {
    /// The most tasks to return.
    limit: u32,
    status: Option<Status>,
}

/// The Task Lab API, declared by hand.
#[endpoints(TaskLabKeys, tools)]
trait TaskLabApi {
    /// Creates a task
    /// in the caller's list.
    ///
    /// The title must not be empty.
    #[post("/tasks")]
    async fn create_task(&self, #[body] task: &NewTask<'_>) -> serde_json::Value;

    /// A task by id.
    #[get("/tasks/{id}")]
    async fn task(&self, id: &str) -> serde_json::Value;

    #[get("/tasks")]
    async fn tasks(&self, #[query] query: &ListQuery) -> Vec<serde_json::Value>;

    /// Deletes a task.
    #[delete("/tasks/{id}")]
    async fn delete_task(&self, id: &str);

    #[get("/echo/{first}/{second}")]
    async fn echo(&self, first: &str, second: u32);
}

#[test]
fn the_document_describes_every_declared_endpoint() {
    let doc = TaskLabKeys::openapi();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "custom.tasklabkeys");
    let create = &doc["paths"]["/tasks"]["post"];
    assert_eq!(create["operationId"], "create_task");
    assert_eq!(create["summary"], "Creates a task in the caller's list.");
    assert_eq!(create["description"], "The title must not be empty.");
    let body = &create["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(body["$ref"], "#/components/schemas/NewTask");
    let new_task = &doc["components"]["schemas"]["NewTask"];
    assert_eq!(new_task["properties"]["title"]["minLength"], 1);
    assert_eq!(
        new_task["properties"]["title"]["description"],
        "What the task is about."
    );
    assert_eq!(new_task["required"], json!(["title"]));
    assert_eq!(doc["paths"]["/tasks/{id}"]["get"]["operationId"], "task");
    assert_eq!(
        doc["paths"]["/tasks/{id}"]["delete"]["operationId"],
        "delete_task"
    );
    // A query type's fields are the query parameters.
    let params = &doc["paths"]["/tasks"]["get"]["parameters"];
    assert_eq!(params[0]["name"], "limit");
    assert_eq!(params[0]["in"], "query");
    assert_eq!(params[0]["required"], true);
    assert_eq!(params[0]["description"], "The most tasks to return.");
    assert_eq!(params[1]["name"], "status");
    assert_eq!(params[1]["required"], false);
}

#[test]
fn the_document_lowers_to_tools_as_a_spec_does() {
    let manifest = Manifest::parse(
        TaskLabKeys::definition_toml().unwrap(),
        "derived/integration.toml",
    )
    .unwrap();
    let set = ToolGenerator::for_document(manifest, TaskLabKeys::openapi())
        .generate()
        .unwrap_or_else(|d| panic!("{d}"));
    assert!(set.warnings.is_empty(), "{}", set.warnings_text());
    for tool in &set.tools {
        if let Err(e) = jsonschema::draft202012::meta::validate(&tool.parameters) {
            panic!("{}: the schema is not valid 2020-12: {e}", tool.name);
        }
        if let Err(e) = jsonschema::draft202012::new(&tool.parameters) {
            panic!("{}: the schema does not compile: {e}", tool.name);
        }
    }
    // Every method, DELETE included: the trait is the developer's list.
    let mut names: Vec<&str> = set.tools.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "TASKLABKEYS_CREATE_TASK",
            "TASKLABKEYS_DELETE_TASK",
            "TASKLABKEYS_ECHO",
            "TASKLABKEYS_TASK",
            "TASKLABKEYS_TASKS",
        ]
    );

    let create = set.get("TASKLABKEYS_CREATE_TASK").unwrap();
    assert_eq!(
        create.description,
        "Creates a task in the caller's list.\n\nThe title must not be empty."
    );
    assert_eq!(create.request.method, "POST");
    assert_eq!(create.request.path, "/tasks");
    assert_eq!(create.parameters["required"], json!(["body"]));
    assert_eq!(
        create.parameters["properties"]["body"]["$ref"],
        "#/$defs/NewTask"
    );
    assert_eq!(
        create.parameters["$defs"]["Status"]["enum"],
        json!(["todo", "in_progress", "done"])
    );

    let echo = set.get("TASKLABKEYS_ECHO").unwrap();
    assert_eq!(echo.request.path, "/echo/{first}/{second}");
    assert_eq!(echo.request.inputs[1].location, Location::Path);
    assert_eq!(echo.parameters["required"], json!(["first", "second"]));
    assert_eq!(
        echo.parameters["properties"]["second"]["type"], "integer",
        "{}",
        echo.parameters
    );

    let tasks = set.get("TASKLABKEYS_TASKS").unwrap();
    assert_eq!(tasks.parameters["required"], json!(["limit"]));
    assert_eq!(tasks.request.inputs[0].location, Location::Query);
}
