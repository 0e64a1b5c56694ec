//! Two replicas on one PostgreSQL store share workflow runs through leases: 1,000 runs, each
//! step executed exactly once. Run when `PARAGON_TEST_DATABASE_URL=postgres://…` is set.

mod common;

use common::*;
use paragon_fake_provider::FakeProvider;
use paragon_local::{EncryptionKey, ProjectKey, RunningServer};
use paragon_manifest::workflow::{Context, Workflow};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Step `a` runs where the event arrived; the delay gives the run back to the store, and
/// whichever replica claims it first runs step `b`.
const SHARED: &str = r#"
name = "Shared"
default_enabled = true
[trigger]
type = "app_event"
event = "Task Completed"
[[steps]]
key = "a"
type = "function"
rust = "count"
parameters = { n = "{trigger.body.n}", step = "a" }
[[steps]]
key = "pause"
type = "delay"
duration = "1ms"
[[steps]]
key = "b"
type = "function"
rust = "count"
parameters = { n = "{trigger.body.n}", step = "b" }
"#;

/// (n, step) → executions, and executions per replica.
type Counts = Arc<Mutex<(HashMap<(i64, String), u32>, HashMap<&'static str, u32>)>>;

#[tokio::test]
async fn two_replicas_run_1000_workflows_with_each_step_once() {
    let Some(db) = postgres_url("two_replicas_run_1000_workflows_with_each_step_once") else {
        return;
    };
    let provider = FakeProvider::builder().start().await.unwrap();
    let project = format!("pg-wf-{}", uuid::Uuid::new_v4());
    let (key, enc) = (ProjectKey::generate(), EncryptionKey::generate());
    let ctx = Context {
        integration: "custom.tasklab".into(),
        events: vec!["Task Completed".into()],
        ..Default::default()
    };
    let wf = Workflow::parse(SHARED, "specs/tasklab/workflows/shared.toml", &ctx).unwrap();
    let counts: Counts = Arc::default();
    let replica = |name: &'static str| {
        let counts = counts.clone();
        server_for(&provider)
            .dev(false)
            .project_id(&project)
            .project_key(key.clone())
            .encryption_key(enc.clone())
            .database_url(&db)
            .workflow(wf.clone())
            .workflow_poll_interval(Duration::from_millis(20))
            .function("count", move |p: Value| {
                let counts = counts.clone();
                async move {
                    let n = p["n"].as_i64().ok_or("n")?;
                    let step = p["step"].as_str().ok_or("step")?.to_owned();
                    let mut c = counts.lock().unwrap();
                    *c.0.entry((n, step)).or_default() += 1;
                    *c.1.entry(name).or_default() += 1;
                    Ok(json!(n))
                }
            })
    };
    let a: RunningServer = replica("a").start().await.unwrap();
    let b: RunningServer = replica("b").start().await.unwrap();
    let http = reqwest::Client::new();
    let token = a.token("u").unwrap();
    const RUNS: i64 = 1000;
    for n in 0..RUNS {
        let server = if n % 2 == 0 { &a } else { &b };
        let url = format!("{}/projects/{project}/sdk/events/trigger", server.url());
        let res = http
            .request(Method::POST, url)
            .bearer_auth(&token)
            .json(&json!({"name": "Task Completed", "payload": {"n": n}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = counts
            .lock()
            .unwrap()
            .0
            .iter()
            .filter(|((_, s), _)| s == "b")
            .count() as i64;
        if done == RUNS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{done} of {RUNS} runs reached step b"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let any duplicate show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (per_step, per_replica) = counts.lock().unwrap().clone();
    assert_eq!(per_step.len() as i64, 2 * RUNS);
    let doubled: Vec<_> = per_step.iter().filter(|(_, c)| **c != 1).collect();
    assert!(
        doubled.is_empty(),
        "steps executed more than once: {doubled:?}"
    );
    assert!(
        per_replica.get("a").copied().unwrap_or(0) > 0
            && per_replica.get("b").copied().unwrap_or(0) > 0,
        "{per_replica:?}"
    );
    let list = format!(
        "{}/projects/{project}/task-history/workflow-executions?status=FAILED",
        a.url()
    );
    let failed: Value = http
        .get(list)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(failed["data"], json!([]));
    a.shutdown().await;
    b.shutdown().await;
}
