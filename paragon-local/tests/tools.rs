//! ActionKit tools for custom integrations, through HTTP and through `paragon-sdk`'s
//! `actionkit_tools` / `run_tool`, against Task Lab: list, run valid and invalid, unknown names.

use crate::common;

use common::*;
use paragon_sdk::{Error, Method, Paragon, SigningKey};
use reqwest::Method as HttpMethod;
use serde_json::{Value, json};

fn sdk(env: &Env) -> Paragon {
    Paragon::builder()
        .ignore_env()
        .project_id(env.server.project_id())
        .signing_key(SigningKey::from_pem(env.server.signing_key_pem().unwrap()).unwrap())
        .base_url(env.server.url())
        .build()
        .unwrap()
}

async fn titles(alice: &Paragon) -> Vec<String> {
    let tasks: Value = alice
        .request("custom.tasklab", Method::GET, "/tasks")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn tasklab_tools_through_the_sdk() {
    let env = start().await;
    env.connect_oauth("alice", "custom.tasklab").await;
    let alice = sdk(&env).user("alice");

    let listed = alice.actionkit_tools(&["custom.tasklab"]).await.unwrap();
    let names: Vec<&str> = listed.tools["custom.tasklab"]
        .iter()
        .map(|t| t.function.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "TASKLAB_GET_ME",
            "TASKLAB_LIST_TASKS",
            "TASKLAB_CREATE_TASK",
            "TASKLAB_GET_TASK",
            "TASKLAB_UPDATE_TASK"
        ]
    );
    let create = &listed.tools["custom.tasklab"][2];
    assert_eq!(create.kind, "function");
    assert_eq!(create.function.parameters["required"], json!(["body"]));

    let created = alice
        .run_tool(
            "TASKLAB_CREATE_TASK",
            &json!({"body": {"title": "Call the bank", "status": "todo"}}),
        )
        .await
        .unwrap();
    assert_eq!(created["title"], "Call the bank");
    assert!(titles(&alice).await.contains(&"Call the bank".to_string()));

    // A path parameter, percent-encoded into the path.
    let id = created["id"].as_str().unwrap();
    let got = alice
        .run_tool("TASKLAB_GET_TASK", &json!({"id": id}))
        .await
        .unwrap();
    assert_eq!(got["id"], created["id"]);

    // Parameters that fail the schema never reach Task Lab.
    let before = env.provider.stats();
    let err = alice
        .run_tool("TASKLAB_CREATE_TASK", &json!({"body": {"title": ""}}))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`body` at /body/title") && text.contains("shorter than 1 character"),
        "{text}"
    );
    assert_eq!(format!("{:?}", env.provider.stats()), format!("{before:?}"));
    assert_eq!(titles(&alice).await, ["Call the bank"]);

    let err = alice
        .run_tool("TASKLAB_CREATE_TSK", &json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("did you mean TASKLAB_CREATE_TASK?"),
        "{err}"
    );
}

#[tokio::test]
async fn tools_over_http() {
    let env = start().await;
    env.connect_oauth("bob", "custom.tasklab").await;
    let tools = env.project("/tools");

    // Without `integrations`: the user's connected ones; an unknown one is an error entry.
    let (status, body) = env
        .call(
            "bob",
            HttpMethod::GET,
            &format!("{tools}?format=json_schema"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tools"].as_object().unwrap().len(), 1, "{body}");
    assert!(body["tools"]["custom.tasklab"].is_array());
    let (_, body) = env
        .call(
            "bob",
            HttpMethod::GET,
            &format!("{tools}?format=json_schema&integrations=custom.nope"),
            None,
            &[],
        )
        .await;
    assert_eq!(body["errors"][0]["integration"], "custom.nope", "{body}");
    let (status, _) = env
        .call(
            "bob",
            HttpMethod::GET,
            &format!("{tools}?format=yaml"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 400);

    // The missing required property is named, and so is an unknown one.
    let (status, body) = env
        .call(
            "bob",
            HttpMethod::POST,
            &tools,
            Some(json!({"tool": "TASKLAB_CREATE_TASK", "parameters": {"titel": "x"}})),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let problems = body["meta"]["problems"].as_array().unwrap();
    let named: Vec<&str> = problems
        .iter()
        .map(|p| p["parameter"].as_str().unwrap())
        .collect();
    assert!(
        named.contains(&"body") && named.contains(&"titel"),
        "{body}"
    );

    // The older `action` key runs too; a query parameter is sent.
    let (status, body) = env
        .call(
            "bob",
            HttpMethod::POST,
            &tools,
            Some(json!({"action": "TASKLAB_CREATE_TASK", "parameters": {"body": {"title": "Done one", "status": "done"}}})),
            &[],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = env
        .call(
            "bob",
            HttpMethod::POST,
            &tools,
            Some(
                json!({"tool": "TASKLAB_LIST_TASKS", "parameters": {"status": "done", "limit": 5}}),
            ),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body[0]["title"], "Done one");

    // A user who has not connected Task Lab gets the proxy's error, not someone's data.
    let (status, body) = env
        .call(
            "carol",
            HttpMethod::POST,
            &tools,
            Some(json!({"tool": "TASKLAB_GET_ME", "parameters": {}})),
            &[],
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["code"], "integration_not_enabled");
}

#[tokio::test]
async fn hostile_path_parameters_stay_in_their_segment() {
    let env = start().await;
    env.connect_oauth("erin", "custom.tasklab").await;
    let tools = env.project("/tools");
    let run = |id: &str| serde_json::json!({"tool": "TASKLAB_GET_TASK", "parameters": {"id": id}});
    // Dot segments, plain or behind an escaped slash, are refused before anything is sent.
    let before = format!("{:?}", env.provider.stats());
    for id in ["..", "../me"] {
        let (status, body) = env
            .call("erin", HttpMethod::POST, &tools, Some(run(id)), &[])
            .await;
        assert_eq!(status, 400, "{id}: {body}");
    }
    assert_eq!(format!("{:?}", env.provider.stats()), before);
    // `?`, `#` and `/` are escaped: Task Lab looks up one (missing) task, not another path.
    let (status, body) = env
        .call(
            "erin",
            HttpMethod::POST,
            &tools,
            Some(run("x/y?limit=1#z")),
            &[],
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(body.get("id").is_none(), "{body}");
}
