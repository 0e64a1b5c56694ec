//! Keeps `specs/tasklab*/openapi.yaml` honest: both parse as OpenAPI 3.0,
//! describe the same API, and every documented operation answers the provider's
//! real responses with a documented status and a body matching its schema.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use common::client;
use paragon_fake_provider::{DEFAULT_API_KEY, FakeProvider};
use serde_json::{Value, json};

fn load(name: &str) -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../specs/{name}/openapi.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    let typed: openapiv3::OpenAPI =
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(typed.openapi, "3.0.3");
    serde_norway::from_str(&text).unwrap()
}

/// Follows `$ref` pointers inside the spec.
fn resolve<'a>(spec: &'a Value, mut node: &'a Value) -> &'a Value {
    while let Some(pointer) = node.get("$ref").and_then(Value::as_str) {
        node = spec
            .pointer(pointer.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {pointer}"));
    }
    node
}

/// A small JSON-schema check: types, required and undeclared properties, enums, nullability.
fn check(spec: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(spec, schema);
    if value.is_null() && schema["nullable"] == json!(true) {
        return Ok(());
    }
    match schema["type"].as_str() {
        Some("object") => {
            let object = value
                .as_object()
                .ok_or(format!("{at}: expected an object, got {value}"))?;
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap();
                if !object.contains_key(name) {
                    return Err(format!("{at}: missing required property `{name}`"));
                }
            }
            for (name, item) in object {
                let declared = schema["properties"]
                    .get(name)
                    .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()));
                let declared =
                    declared.ok_or(format!("{at}: property `{name}` is not in the schema"))?;
                check(spec, declared, item, &format!("{at}.{name}"))?;
            }
            Ok(())
        }
        Some("array") => {
            let items = value
                .as_array()
                .ok_or(format!("{at}: expected an array, got {value}"))?;
            for (i, item) in items.iter().enumerate() {
                check(spec, &schema["items"], item, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        Some("string") => {
            let text = value
                .as_str()
                .ok_or(format!("{at}: expected a string, got {value}"))?;
            match schema["enum"].as_array() {
                Some(values) if !values.contains(&json!(text)) => {
                    Err(format!("{at}: `{text}` is not in {values:?}"))
                }
                _ => Ok(()),
            }
        }
        Some("integer") if !value.is_i64() && !value.is_u64() => {
            Err(format!("{at}: expected an integer, got {value}"))
        }
        _ => Ok(()),
    }
}

fn without_security(mut value: Value) -> Value {
    match &mut value {
        Value::Object(map) => {
            map.remove("security");
            for item in map.values_mut() {
                *item = without_security(item.take());
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| *item = without_security(item.take())),
        _ => {}
    }
    value
}

#[test]
fn both_specs_describe_the_same_api() {
    let oauth = load("tasklab");
    let keys = load("tasklab-keys");
    assert_eq!(
        without_security(oauth["paths"].clone()),
        without_security(keys["paths"].clone())
    );
    for part in ["schemas", "parameters", "responses"] {
        assert_eq!(
            oauth["components"][part], keys["components"][part],
            "components.{part}"
        );
    }
    assert_eq!(keys["security"], json!([{"apiKeyHeader": []}]));
}

#[tokio::test]
async fn documented_operations_match_the_provider() {
    let spec = load("tasklab");
    let provider = FakeProvider::builder().start().await.unwrap();
    let http = client();
    let task: Value = http
        .post(format!("{}/tasks", provider.api_url()))
        .header("X-Api-Key", DEFAULT_API_KEY)
        .json(&json!({"title": "documented"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = task["id"].as_str().unwrap();

    // operationId → (concrete path, body, credential?, expected status)
    let cases: Vec<(&str, String, Option<Value>, bool, u16)> = vec![
        ("getMe", "/me".into(), None, true, 200),
        ("getMe", "/me".into(), None, false, 401),
        (
            "listTasks",
            "/tasks?limit=10&status=todo".into(),
            None,
            true,
            200,
        ),
        ("listTasks", "/tasks?limit=1000".into(), None, true, 400),
        (
            "createTask",
            "/tasks".into(),
            Some(json!({"title": "t", "status": "done"})),
            true,
            201,
        ),
        (
            "createTask",
            "/tasks".into(),
            Some(json!({"nope": 1})),
            true,
            400,
        ),
        ("getTask", format!("/tasks/{id}"), None, true, 200),
        ("getTask", "/tasks/task_999".into(), None, true, 404),
        (
            "updateTask",
            format!("/tasks/{id}"),
            Some(json!({"title": "renamed"})),
            true,
            200,
        ),
        ("deleteTask", format!("/tasks/{id}"), None, true, 204),
        ("deleteTask", format!("/tasks/{id}"), None, true, 404),
        ("echoGet", "/echo?a=1".into(), None, true, 200),
        (
            "echoPost",
            "/echo".into(),
            Some(json!({"any": ["json"]})),
            true,
            200,
        ),
        ("getBytes", "/bytes?size=8".into(), None, true, 200),
        (
            "listTaskPages",
            "/task-pages?limit=1".into(),
            None,
            true,
            200,
        ),
        (
            "listTaskPages",
            "/task-pages?cursor=%20".into(),
            None,
            true,
            400,
        ),
    ];

    // operationId → (path template, method, operation)
    let mut documented = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if method != "parameters" {
                let operation_id = operation["operationId"].as_str().unwrap();
                documented.insert(operation_id, (path, method, operation));
            }
        }
    }
    for (operation_id, concrete, body, authenticated, expected) in &cases {
        let (path, method, operation) = documented[operation_id];
        let template = path.split('{').next().unwrap();
        assert!(
            concrete.starts_with(template),
            "{operation_id}: {concrete} is not {path}"
        );
        let mut request = http.request(
            method.to_uppercase().parse().unwrap(),
            format!("{}{concrete}", provider.api_url()),
        );
        if *authenticated {
            request = request.header("X-Api-Key", DEFAULT_API_KEY);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        assert_eq!(status, *expected, "{operation_id} {concrete}");
        let documented_response = operation["responses"]
            .get(status.to_string())
            .unwrap_or_else(|| panic!("{operation_id}: status {status} is not documented"));
        let documented_response = resolve(&spec, documented_response);
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.bytes().await.unwrap();
        match documented_response.get("content") {
            None => assert!(bytes.is_empty(), "{operation_id}: undocumented body"),
            Some(content) => {
                let content_type = content_type.unwrap();
                let media = content
                    .get(&content_type)
                    .unwrap_or_else(|| panic!("{operation_id}: {content_type} is not documented"));
                if content_type == "application/json" {
                    let value: Value = serde_json::from_slice(&bytes).unwrap();
                    check(&spec, &media["schema"], &value, operation_id).unwrap();
                }
            }
        }
    }
    let tested: BTreeSet<&str> = cases.iter().map(|c| c.0).collect();
    assert_eq!(
        documented.keys().copied().collect::<BTreeSet<_>>(),
        tested,
        "every documented operation is exercised, and only those"
    );
}
