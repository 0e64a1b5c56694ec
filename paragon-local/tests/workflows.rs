//! Workflows through HTTP: app events, request triggers with and without a Response step,
//! Integration Enabled, JavaScript and Rust function steps, retries and continue-on-error,
//! fan-out, delays, enablement and the Task History API. Task Lab runs in-process.

use crate::common;

use common::{Env, start_with};
use paragon_fake_provider::FakeProvider;
use paragon_manifest::workflow::{Context, Workflow};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn ctx() -> Context {
    Context {
        integration: "custom.tasklab".into(),
        integrations: vec!["custom.tasklab".into(), "custom.tasklabkeys".into()],
        events: vec!["Task Created".into(), "Task Completed".into()],
        settings: Vec::new(),
    }
}

/// A workflow of `integration` from TOML text (key `key`).
fn workflow(integration: &str, key: &str, toml: &str) -> Workflow {
    let ctx = Context {
        integration: integration.into(),
        ..ctx()
    };
    Workflow::parse(toml, format!("specs/x/workflows/{key}.toml"), &ctx)
        .unwrap_or_else(|d| panic!("{d}"))
}

async fn start(extra: Vec<Workflow>) -> Env {
    start_with(FakeProvider::builder(), move |mut b| {
        for w in extra {
            b = b.workflow(w);
        }
        b.function_time_limit(Duration::from_millis(300))
            .workflow_poll_interval(Duration::from_millis(50))
            .function("shout", |p: Value| async move {
                let s = p["text"].as_str().ok_or("`text` must be a string")?;
                Ok(json!(s.to_uppercase()))
            })
    })
    .await
}

/// The workflow id `/sdk/me` reports for `name` under `integration`.
async fn workflow_id(env: &Env, user: &str, integration: &str, name: &str) -> String {
    let (_, me) = env
        .call(user, Method::GET, &env.project("/sdk/me"), None, &[])
        .await;
    let wfs = me["integrations"][integration]["configuredWorkflows"]
        .as_object()
        .expect("configuredWorkflows");
    wfs.iter()
        .find(|(_, w)| w["name"] == name)
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("no workflow {name}: {me}"))
}

/// Polls the history until the execution ends (or 10 s).
async fn finished(env: &Env, user: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = env.project(&format!("/task-history/workflow-executions/{id}"));
        let (status, run) = env.call(user, Method::GET, &url, None, &[]).await;
        assert_eq!(status, 200, "{run}");
        if run["status"] == "SUCCEEDED" || run["status"] == "FAILED" {
            return run;
        }
        assert!(
            Instant::now() < deadline,
            "execution {id} did not end: {run}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn steps_of(env: &Env, user: &str, id: &str) -> Vec<Value> {
    let url = env.project(&format!(
        "/task-history/workflow-executions/{id}/step-executions"
    ));
    let (status, body) = env.call(user, Method::GET, &url, None, &[]).await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

async fn tasks(env: &Env, user: &str) -> Vec<Value> {
    let (status, body) = env
        .proxy(user, Method::GET, "custom.tasklab", "/tasks")
        .await;
    assert_eq!(status, 200, "{body}");
    body["output"].as_array().unwrap().clone()
}

async fn event(env: &Env, user: &str, name: &str, payload: Value) -> Vec<String> {
    let (status, body) = env
        .call(
            user,
            Method::POST,
            &env.project("/sdk/events/trigger"),
            Some(json!({"name": name, "payload": payload})),
            &[],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["workflowExecutionIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_app_event_runs_the_shipped_mirror_workflow() {
    let env = start(vec![]).await;
    env.connect_oauth("alice", "custom.tasklab").await;
    let runs = event(
        &env,
        "alice",
        "Task Created",
        json!({"title": "Call the plumber", "priority": "high"}),
    )
    .await;
    assert_eq!(runs.len(), 1, "one subscribed, default-enabled workflow");
    let run = finished(&env, "alice", &runs[0]).await;
    assert_eq!(run["status"], "SUCCEEDED", "{run}");
    assert_eq!(run["taskCount"], 4, "{run}");
    let created = tasks(&env, "alice").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["title"], "[app] Call the plumber");
    assert_eq!(created[0]["status"], "in_progress", "the urgent branch ran");
    let steps = steps_of(&env, "alice", &runs[0]).await;
    let keys: Vec<&str> = steps
        .iter()
        .map(|s| s["stepKey"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["create", "summary", "is_urgent", "start"]);
    assert_eq!(steps[2]["output"], json!({"result": true}));
    assert!(steps.iter().all(|s| s["status"] == "SUCCEEDED"));

    // Not urgent: the conditional's false branch is empty. Another user's event runs nothing
    // of alice's.
    let runs = event(
        &env,
        "alice",
        "Task Created",
        json!({"title": "Later", "priority": "low"}),
    )
    .await;
    finished(&env, "alice", &runs[0]).await;
    let later = tasks(&env, "alice")
        .await
        .into_iter()
        .find(|t| t["title"] == "[app] Later")
        .unwrap();
    assert_eq!(later["status"], "todo");
    assert_eq!(steps_of(&env, "alice", &runs[0]).await.len(), 3);
}

#[tokio::test]
async fn disabled_workflows_and_unknown_events_start_nothing() {
    let env = start(vec![]).await;
    env.connect_oauth("alice", "custom.tasklab").await;
    let id = workflow_id(&env, "alice", "custom.tasklab", "Mirror app tasks").await;
    let url = env.project(&format!("/sdk/workflows/{id}"));
    let (status, _) = env.call("alice", Method::DELETE, &url, None, &[]).await;
    assert_eq!(status, 200);
    let (_, me) = env
        .call("alice", Method::GET, &env.project("/sdk/me"), None, &[])
        .await;
    assert_eq!(
        me["integrations"]["custom.tasklab"]["configuredWorkflows"][&id]["enabled"],
        false
    );
    assert!(
        event(&env, "alice", "Task Created", json!({"title": "x"}))
            .await
            .is_empty()
    );
    assert!(
        event(&env, "alice", "Something Else", json!({}))
            .await
            .is_empty()
    );
    env.call("alice", Method::POST, &url, None, &[]).await;
    assert_eq!(
        event(&env, "alice", "Task Created", json!({"title": "x"}))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_request_trigger_answers_with_its_response_step() {
    let env = start(vec![]).await;
    env.connect_oauth("alice", "custom.tasklab").await;
    for title in ["one", "two"] {
        let url = env.project("/sdk/proxy/custom.tasklab/tasks");
        let (status, _) = env
            .call(
                "alice",
                Method::POST,
                &url,
                Some(json!({"title": title})),
                &[],
            )
            .await;
        assert_eq!(status, 201);
    }
    let id = workflow_id(&env, "alice", "custom.tasklab", "Open tasks").await;
    let url = env.project(&format!("/sdk/triggers/{id}"));
    let (status, body) = env
        .call(
            "alice",
            Method::POST,
            &url,
            Some(json!({"status": "todo"})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"open": 2, "titles": ["one", "two"]}));

    // A malformed body, an unknown workflow and a disabled one.
    let res = env
        .http
        .post(&url)
        .bearer_auth(env.token("alice"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("invalid JSON body at line 1")
    );
    let (status, body) = env
        .call(
            "alice",
            Method::POST,
            &env.project("/sdk/triggers/nope"),
            Some(json!({})),
            &[],
        )
        .await;
    assert_eq!(status, 404, "{body}");
    env.call(
        "alice",
        Method::DELETE,
        &env.project(&format!("/sdk/workflows/{id}")),
        None,
        &[],
    )
    .await;
    let (status, body) = env
        .call("alice", Method::POST, &url, Some(json!({})), &[])
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("disabled for this user"),
        "{body}"
    );
}

const NO_RESPONSE: &str = r#"
id = "wf-no-response"
default_enabled = true
name = "Log"
[trigger]
type = "request"
[[steps]]
key = "note"
type = "function"
rust = "shout"
parameters = { text = "{trigger.body.text}" }
"#;

#[tokio::test]
async fn a_request_trigger_without_response_answers_202_and_runs() {
    let env = start(vec![workflow("custom.tasklab", "log", NO_RESPONSE)]).await;
    let (status, body) = env
        .call(
            "bob",
            Method::POST,
            &env.project("/sdk/triggers/wf-no-response?x=1"),
            Some(json!({"text": "hi"})),
            &[],
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let id = body["executionId"].as_str().unwrap().to_owned();
    let run = finished(&env, "bob", &id).await;
    assert_eq!(run["status"], "SUCCEEDED", "{run}");
    let steps = steps_of(&env, "bob", &id).await;
    assert_eq!(
        steps[0]["output"], "HI",
        "the Rust function registered on the builder ran"
    );
}

/// A Request-triggered workflow that waits `{wait}` before its Response step.
fn paused(id: &str, wait: &str) -> Workflow {
    let toml = format!(
        r#"
id = "{id}"
default_enabled = true
name = "{id}"
[trigger]
type = "request"
[[steps]]
key = "wait"
type = "delay"
duration = "{wait}"
[[steps]]
key = "answer"
type = "response"
status = 200
body = {{ waited = "{wait}" }}
"#
    );
    workflow("custom.tasklab", id, &toml)
}

#[tokio::test]
async fn a_delay_past_the_response_limit_answers_at_once_and_a_short_one_answers_after_it() {
    let env = start(vec![paused("wf-long", "1h"), paused("wf-short", "1s")]).await;
    let url = env.project("/sdk/triggers/wf-long");
    // Past the 55 s limit: the caller cannot get the Response step's answer in time, so it
    // gets the timeout answer (with the execution id) now, not after 55 s.
    let asked = Instant::now();
    let (status, body) = env
        .call("bob", Method::POST, &url, Some(json!({})), &[])
        .await;
    assert_eq!(status, 504, "{body}");
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "answered after {:?}",
        asked.elapsed()
    );
    assert!(
        body["message"].as_str().unwrap().contains("Delay"),
        "{body}"
    );
    let id = body["meta"]["executionId"].as_str().unwrap();
    let run_url = env.project(&format!("/task-history/workflow-executions/{id}"));
    let (_, run) = env.call("bob", Method::GET, &run_url, None, &[]).await;
    assert_eq!(run["status"], "DELAYED", "{run}");
    // Within the limit: the caller waits for the Response step.
    let url = env.project("/sdk/triggers/wf-short");
    let (status, body) = env
        .call("bob", Method::POST, &url, Some(json!({})), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"waited": "1s"}));
}

#[tokio::test]
async fn enable_and_disable_refuse_an_unknown_workflow() {
    let env = start(vec![workflow("custom.tasklab", "log", NO_RESPONSE)]).await;
    for method in [Method::POST, Method::DELETE] {
        let url = env.project("/sdk/workflows/no-such-workflow");
        let (status, body) = env.call("bob", method.clone(), &url, None, &[]).await;
        assert_eq!(status, 404, "{method}: {body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("no workflow \"no-such-workflow\""),
            "{body}"
        );
        let url = env.project("/sdk/workflows/wf-no-response");
        let (status, body) = env.call("bob", method.clone(), &url, None, &[]).await;
        assert_eq!(status, 200, "{method}: {body}");
    }
}

const LOOPS: &str = r#"
id = "wf-loop"
default_enabled = true
name = "Loops"
[trigger]
type = "request"
[[steps]]
key = "spin"
type = "function"
code = "function yourFunction(parameters) { while (true) {} }"
[[steps]]
key = "answer"
type = "response"
body = { never = true }
"#;

#[tokio::test]
async fn a_function_that_loops_forever_is_cut_by_its_time_limit() {
    let env = start(vec![workflow("custom.tasklab", "loops", LOOPS)]).await;
    let started = Instant::now();
    let (status, body) = env
        .call(
            "bob",
            Method::POST,
            &env.project("/sdk/triggers/wf-loop"),
            Some(json!({})),
            &[],
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(status, 500, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("step `spin` failed: the function ran longer than its 300ms limit"),
        "{body}"
    );
    let id = body["meta"]["executionId"].as_str().unwrap();
    let run = finished(&env, "bob", id).await;
    assert_eq!(run["status"], "FAILED");
    let steps = steps_of(&env, "bob", id).await;
    assert_eq!(steps.len(), 1, "nothing after the failed step ran");
}

const RETRIES: &str = r#"
id = "wf-retries"
default_enabled = true
name = "Retries"
[trigger]
type = "request"
[[steps]]
key = "flaky"
type = "integration_request"
method = "POST"
path = "/tasks"
body = { title = "{trigger.body.title}" }
retry = { attempts = 2, backoff = "10ms" }
[[steps]]
key = "missing"
type = "integration_request"
path = "/tasks/does-not-exist"
continue_on_error = true
[[steps]]
key = "answer"
type = "response"
status = 201
body = { id = "{steps.flaky.output.body.id}", missing = "{steps.missing.output}" }
"#;

#[tokio::test]
async fn retries_and_continue_on_error_follow_the_step_settings() {
    let env = start(vec![workflow("custom.tasklab", "retries", RETRIES)]).await;
    env.connect_oauth("alice", "custom.tasklab").await;
    env.provider
        .fail_next(2, axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    let (status, body) = env
        .call(
            "alice",
            Method::POST,
            &env.project("/sdk/triggers/wf-retries"),
            Some(json!({"title": "retried"})),
            &[],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(body["id"].is_string(), "{body}");
    assert_eq!(body["missing"], Value::Null);
    assert_eq!(tasks(&env, "alice").await.len(), 1, "created once");
    let (_, list) = env
        .call(
            "alice",
            Method::GET,
            &env.project("/task-history/workflow-executions?workflowId=wf-retries"),
            None,
            &[],
        )
        .await;
    let id = list["data"][0]["id"].as_str().unwrap().to_owned();
    let steps = steps_of(&env, "alice", &id).await;
    let flaky = steps.iter().find(|s| s["stepKey"] == "flaky").unwrap();
    assert_eq!(
        (flaky["attempt"].as_i64(), flaky["status"].as_str()),
        (Some(3), Some("SUCCEEDED"))
    );
    let missing = steps.iter().find(|s| s["stepKey"] == "missing").unwrap();
    assert_eq!(missing["status"], "FAILED");
    assert!(
        missing["error"]
            .as_str()
            .unwrap()
            .contains("custom.tasklab answered 404"),
        "{missing}"
    );
}

const FAN_OUT: &str = r#"
id = "wf-fan-out"
default_enabled = true
name = "Fan out"
[trigger]
type = "request"
[[steps]]
key = "each"
type = "fan_out"
items = "{trigger.body.titles}"
concurrency = 8
steps = ["create"]
[[steps]]
key = "create"
type = "integration_request"
method = "POST"
path = "/tasks"
body = { title = "{steps.each.item}" }
[[steps]]
key = "answer"
type = "response"
body = { count = "{steps.each.output.count}" }
"#;

#[tokio::test]
async fn a_fan_out_of_100_runs_each_branch_once() {
    let env = start(vec![workflow("custom.tasklab", "fan", FAN_OUT)]).await;
    env.connect_oauth("alice", "custom.tasklab").await;
    let titles: Vec<String> = (0..100).map(|i| format!("task {i}")).collect();
    let (status, body) = env
        .call(
            "alice",
            Method::POST,
            &env.project("/sdk/triggers/wf-fan-out"),
            Some(json!({"titles": titles})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["count"], 100);
    let url = env.project("/sdk/proxy/custom.tasklab/tasks?limit=100");
    let (_, all) = env.call("alice", Method::GET, &url, None, &[]).await;
    let mut got: Vec<String> = all["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect();
    got.sort();
    let mut want = titles.clone();
    want.sort();
    assert_eq!(got, want, "every element once");
}

const ON_CONNECT: &str = r#"
id = "wf-on-connect"
name = "Welcome"
default_enabled = true
[trigger]
type = "integration_enabled"
[[steps]]
key = "welcome"
type = "integration_request"
method = "POST"
path = "/tasks"
body = { title = "Welcome {user.Name}" }
"#;

#[tokio::test]
async fn integration_enabled_runs_when_a_credential_is_created() {
    let env = start(vec![workflow(
        "custom.tasklabkeys",
        "on_connect",
        ON_CONNECT,
    )])
    .await;
    let key = env.provider.api_keys()[0].to_string();
    env.call(
        "carol",
        Method::PATCH,
        &env.project("/sdk/me"),
        Some(json!({"meta": {"Name": "Carol"}})),
        &[],
    )
    .await;
    let (status, c) = env
        .call(
            "carol",
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(
                json!({"integrationId": env.id("custom.tasklabkeys"), "payload": {"api_key": key}}),
            ),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{c}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let run = loop {
        let (_, list) = env
            .call(
                "carol",
                Method::GET,
                &env.project("/task-history/workflow-executions?status=SUCCEEDED"),
                None,
                &[],
            )
            .await;
        if let Some(r) = list["data"].as_array().and_then(|a| a.first()).cloned() {
            break r;
        }
        assert!(Instant::now() < deadline, "no run: {list}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(run["workflowId"], "wf-on-connect");
    assert_eq!(run["trigger"], "integration_enabled");
    let (_, tasks) = env
        .proxy("carol", Method::GET, "custom.tasklabkeys", "/tasks")
        .await;
    assert_eq!(tasks["output"][0]["title"], "Welcome Carol");
}

const FAILS_THEN_REPLAY: &str = r#"
id = "wf-replay"
default_enabled = true
name = "Replay"
[trigger]
type = "request"
[[steps]]
key = "create"
type = "integration_request"
method = "POST"
path = "/tasks"
body = { title = "{trigger.body.title}" }
"#;

#[tokio::test]
async fn history_filters_and_replays_a_failed_run() {
    let env = start(vec![workflow(
        "custom.tasklab",
        "replay",
        FAILS_THEN_REPLAY,
    )])
    .await;
    // No credential yet: the integration request fails clearly.
    let (status, body) = env
        .call(
            "dave",
            Method::POST,
            &env.project("/sdk/triggers/wf-replay"),
            Some(json!({"title": "again"})),
            &[],
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let id = body["executionId"].as_str().unwrap().to_owned();
    let run = finished(&env, "dave", &id).await;
    assert_eq!(run["status"], "FAILED");
    assert!(
        run["error"]
            .as_str()
            .unwrap()
            .contains("Integration not enabled for user"),
        "{run}"
    );
    let (_, failed) = env
        .call(
            "dave",
            Method::GET,
            &env.project("/task-history/workflow-executions?status=failed&workflowId=wf-replay"),
            None,
            &[],
        )
        .await;
    assert_eq!(failed["data"].as_array().unwrap().len(), 1);
    let (_, none) = env
        .call(
            "dave",
            Method::GET,
            &env.project("/task-history/workflow-executions?startDate=2999-01-01T00:00:00Z"),
            None,
            &[],
        )
        .await;
    assert!(none["data"].as_array().unwrap().is_empty());
    let (status, _) = env
        .call(
            "dave",
            Method::GET,
            &env.project("/task-history/workflow-executions?userId=alice"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = env
        .call(
            "erin",
            Method::GET,
            &env.project(&format!("/task-history/workflow-executions/{id}")),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 404, "another user's execution is not found");

    env.connect_oauth("dave", "custom.tasklab").await;
    let url = env.project(&format!("/task-history/workflow-executions/{id}/replay"));
    let (status, replay) = env.call("dave", Method::POST, &url, None, &[]).await;
    assert_eq!(status, 201, "{replay}");
    let again = finished(&env, "dave", replay["id"].as_str().unwrap()).await;
    assert_eq!(again["status"], "SUCCEEDED", "{again}");
    assert_eq!(again["replayOf"], id.as_str());
    assert_eq!(tasks(&env, "dave").await[0]["title"], "again");
    let (status, _) = env
        .call(
            "dave",
            Method::POST,
            &env.project(&format!(
                "/task-history/workflow-executions/{}/replay",
                replay["id"].as_str().unwrap()
            )),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 400, "only failed runs are replayed");
}

const PAGES: &str = r#"
id = "wf-pages"
name = "All tasks"
default_enabled = true
[trigger]
type = "request"
[[steps]]
key = "all"
type = "integration_request"
path = "/task-pages"
query = { limit = "3" }
pagination = { next = "next_cursor", param = "cursor", items = "tasks" }
[[steps]]
key = "answer"
type = "response"
body = { pages = "{steps.all.output.pages}", tasks = "{steps.all.output.body}" }
"#;

#[tokio::test]
async fn pagination_reads_every_page() {
    let env = start(vec![workflow("custom.tasklab", "pages", PAGES)]).await;
    env.connect_oauth("alice", "custom.tasklab").await;
    for i in 0..7 {
        let url = env.project("/sdk/proxy/custom.tasklab/tasks");
        env.call(
            "alice",
            Method::POST,
            &url,
            Some(json!({"title": format!("t{i}")})),
            &[],
        )
        .await;
    }
    let (status, body) = env
        .call(
            "alice",
            Method::POST,
            &env.project("/sdk/triggers/wf-pages"),
            Some(json!({})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["pages"], 3, "3 + 3 + 1");
    let titles: Vec<&str> = body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["t0", "t1", "t2", "t3", "t4", "t5", "t6"]);
}

#[tokio::test]
async fn the_server_refuses_to_start_with_a_bad_workflow() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("tasklab-keys");
    std::fs::create_dir_all(folder.join("workflows")).unwrap();
    for f in ["integration.toml", "icon.svg"] {
        std::fs::copy(common::specs().join("tasklab-keys").join(f), folder.join(f)).unwrap();
    }
    std::fs::write(
        folder.join("workflows/bad.toml"),
        "name = \"Bad\"\n[trigger]\ntype = \"app_event\"\nevent = \"Nobody Sends This\"\n",
    )
    .unwrap();
    let err = paragon_local::LocalServer::builder()
        .dev(true)
        .process_env(false)
        .specs(dir.path())
        .start()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown app event `Nobody Sends This`"),
        "{err}"
    );
    assert!(err.contains("workflows/bad.toml:4:9"), "{err}");
}

const EVERY_SECOND: &str = r#"
id = "wf-tick"
name = "Every second"
default_enabled = true
[trigger]
type = "schedule"
cron = "* * * * * *"
timezone = "Europe/Paris"
[[steps]]
key = "note"
type = "function"
rust = "shout"
parameters = { text = "{trigger.body.scheduledAt}" }
"#;

#[tokio::test]
async fn a_schedule_fires_once_per_tick_across_two_servers_on_one_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db").display().to_string();
    let provider = FakeProvider::builder().start().await.unwrap();
    let (key, enc) = (
        paragon_local::ProjectKey::generate(),
        paragon_local::EncryptionKey::generate(),
    );
    let wf = workflow("custom.tasklabkeys", "tick", EVERY_SECOND);
    let server = || {
        common::server_for(&provider)
            .dev(false)
            .project_id("proj-tick")
            .project_key(key.clone())
            .encryption_key(enc.clone())
            .database_url(&db)
            .workflow(wf.clone())
            .workflow_poll_interval(Duration::from_millis(100))
            .function("shout", |p: Value| async move { Ok(p["text"].clone()) })
    };
    let a = server().start().await.unwrap();
    let b = server().start().await.unwrap();
    let http = reqwest::Client::new();
    let token = a.token("sam").unwrap();
    let api_key = provider.api_keys()[0].to_string();
    let res = http
        .post(format!("{}/projects/proj-tick/sdk/credentials", a.url()))
        .bearer_auth(&token)
        .json(&json!({"integrationId": a.integration_id("custom.tasklabkeys").unwrap(), "payload": {"api_key": api_key}}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let list: Value = http
        .get(format!(
            "{}/projects/proj-tick/task-history/workflow-executions?workflowId=wf-tick",
            b.url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let runs = list["data"].as_array().unwrap();
    assert!(runs.len() >= 2, "{list}");
    let mut ticks = Vec::new();
    for r in runs.iter().filter(|r| r["status"] == "SUCCEEDED") {
        let url = format!(
            "{}/projects/proj-tick/task-history/workflow-executions/{}/step-executions",
            a.url(),
            r["id"].as_str().unwrap()
        );
        let steps: Value = http
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ticks.push(steps["data"][0]["output"].as_str().unwrap().to_owned());
    }
    let mut unique = ticks.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ticks.len(), "a tick ran twice: {ticks:?}");
    assert!(
        ticks.iter().all(|t| t.ends_with(".000Z")),
        "ticks fall on whole seconds: {ticks:?}"
    );
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn the_sdk_reads_history_replays_and_sees_workflow_state() {
    use paragon_sdk::api::ExecutionQuery;
    let env = start(vec![workflow(
        "custom.tasklab",
        "replay",
        FAILS_THEN_REPLAY,
    )])
    .await;
    let paragon = paragon_sdk::Paragon::builder()
        .ignore_env()
        .project_id(env.server.project_id())
        .signing_key(
            paragon_sdk::SigningKey::from_pem(env.server.signing_key_pem().unwrap()).unwrap(),
        )
        .base_url(env.server.url())
        .build()
        .unwrap()
        .user("fay");
    let me = paragon.me().await.unwrap();
    let state = &me.integrations["custom.tasklab"].configured_workflows["wf-replay"];
    assert!(state.enabled);
    assert_eq!(state.name.as_deref(), Some("Replay"));
    paragon
        .trigger_workflow("wf-replay", &json!({"title": "via sdk"}))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let failed = loop {
        let list = paragon
            .workflow_executions(&ExecutionQuery::new().workflow("wf-replay").status("FAILED"))
            .await
            .unwrap();
        if let Some(e) = list.into_iter().next() {
            break e;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(failed.user_id, "fay");
    let steps = paragon.step_executions(&failed.id).await.unwrap();
    assert_eq!(steps[0].step_key, "create");
    assert!(
        steps[0]
            .error
            .as_deref()
            .unwrap()
            .contains("Integration not enabled")
    );
    let one = paragon.workflow_execution(&failed.id).await.unwrap();
    assert_eq!(one.task_count, Some(0));
    env.connect_oauth("fay", "custom.tasklab").await;
    let replay = paragon.replay_execution(&failed.id).await.unwrap();
    assert_eq!(replay.replay_of.as_deref(), Some(failed.id.as_str()));
    let done = finished(&env, "fay", &replay.id).await;
    assert_eq!(done["status"], "SUCCEEDED");
}

const ECHO: &str = r#"
id = "wf-echo"
name = "Echo"
default_enabled = true
[trigger]
type = "request"
[[steps]]
key = "echo"
type = "integration_request"
method = "POST"
path = "/echo"
body = { client_secret = "{env.TASKLAB_CLIENT_SECRET}" }
[[steps]]
key = "answer"
type = "response"
body = { ok = true }
"#;

#[tokio::test]
async fn secrets_never_reach_the_history() {
    let env = start(vec![workflow("custom.tasklabkeys", "echo", ECHO)]).await;
    let key = env.provider.api_keys()[0].to_string();
    let (status, _) = env
        .call(
            "gus",
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(
                json!({"integrationId": env.id("custom.tasklabkeys"), "payload": {"api_key": key}}),
            ),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = env
        .call(
            "gus",
            Method::POST,
            &env.project("/sdk/triggers/wf-echo"),
            Some(json!({})),
            &[("x-trace", "t1")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = env
        .call(
            "gus",
            Method::GET,
            &env.project("/task-history/workflow-executions"),
            None,
            &[],
        )
        .await;
    let id = list["data"][0]["id"].as_str().unwrap().to_owned();
    let (_, run) = env
        .call(
            "gus",
            Method::GET,
            &env.project(&format!("/task-history/workflow-executions/{id}")),
            None,
            &[],
        )
        .await;
    let steps = steps_of(&env, "gus", &id).await;
    let stored = format!("{run} {}", Value::Array(steps.clone()));
    let secret = env.provider.client_secret().to_owned();
    // The provider saw both (the echo answers with its headers and body)...
    let echo = &steps[0]["output"]["body"];
    assert_eq!(echo["headers"]["x-api-key"], "***", "{echo}");
    assert_eq!(echo["json"]["client_secret"], "***", "{echo}");
    // ...and nothing the server stored holds either, nor the caller's token.
    for s in [key.as_str(), secret.as_str(), env.token("gus").as_str()] {
        assert!(
            !stored.contains(s),
            "a secret reached the history: {stored}"
        );
    }
    assert_eq!(steps[0]["input"]["body"]["client_secret"], "***");
}

const FETCH_ANY_URL: &str = r#"
id = "wf-fetch-any"
default_enabled = true
name = "Fetches a URL from the trigger"
[trigger]
type = "request"
[[steps]]
key = "fetch"
type = "request"
method = "GET"
url = "{trigger.body.url}"
[[steps]]
key = "answer"
type = "response"
body = { fetched = "{steps.fetch.output.status}" }
"#;

/// A plain Request step whose URL comes from the trigger's body (an end user's value) may reach
/// public addresses only, like a proxied host chosen by an end user: the server's own loopback
/// listener is refused before any connection.
#[tokio::test]
async fn a_request_step_to_a_url_from_the_trigger_cannot_reach_loopback() {
    let env = start(vec![workflow("custom.tasklab", "fetch", FETCH_ANY_URL)]).await;
    // The server's own health check answers 200 to anyone: reaching it would succeed.
    let own = env.url("/healthz");
    let (status, body) = env
        .call(
            "bob",
            Method::POST,
            &env.project("/sdk/triggers/wf-fetch-any"),
            Some(json!({ "url": own })),
            &[],
        )
        .await;
    assert_ne!(status, 200, "the step reached loopback: {body}");
    let id = body["meta"]["executionId"]
        .as_str()
        .or_else(|| body["executionId"].as_str())
        .unwrap_or_else(|| panic!("no execution id: {body}"))
        .to_owned();
    let run = finished(&env, "bob", &id).await;
    assert_eq!(run["status"], "FAILED", "{run}");
    let steps = steps_of(&env, "bob", &id).await;
    let error = steps[0]["error"].to_string();
    assert!(error.contains("127.0.0.1"), "{error}");
}
