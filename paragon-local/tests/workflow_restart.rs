//! Durability through the binary: `kill -9` in the middle of a run, then a restart that
//! resumes it at the first unfinished step (the in-flight one again, with the same
//! idempotency key), and a Delay whose timer survives the restart.

use crate::common;

use common::paragon_local_bin;
use paragon_fake_provider::{FakeProvider, RunningProvider};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const RESUME: &str = r#"
name = "Resume"
default_enabled = true
[trigger]
type = "app_event"
event = "Go"
[[steps]]
key = "first"
type = "integration_request"
method = "POST"
path = "/tasks"
body = { title = "first" }
[[steps]]
key = "slow"
type = "integration_request"
path = "/echo/slow"
headers = { "X-Fake-Delay-Ms" = "1500" }
[[steps]]
key = "last"
type = "integration_request"
method = "POST"
path = "/tasks"
body = { title = "last" }
"#;

const WAIT: &str = r#"
name = "Wait"
default_enabled = true
[trigger]
type = "app_event"
event = "Wait"
[[steps]]
key = "pause"
type = "delay"
duration = "2s"
[[steps]]
key = "after"
type = "integration_request"
method = "POST"
path = "/tasks"
body = { title = "after the delay" }
"#;

/// A specs folder with Task Lab Keys, its two workflows and the events.
fn specs(dir: &Path) -> String {
    let root = dir.join("specs");
    let keys = root.join("tasklab-keys");
    std::fs::create_dir_all(keys.join("workflows")).unwrap();
    let shipped = common::specs().join("tasklab-keys");
    for f in ["integration.toml", "icon.svg"] {
        std::fs::copy(shipped.join(f), keys.join(f)).unwrap();
    }
    std::fs::write(keys.join("workflows/resume.toml"), RESUME).unwrap();
    std::fs::write(keys.join("workflows/wait.toml"), WAIT).unwrap();
    std::fs::write(
        root.join("events.toml"),
        "[[events]]\nname = \"Go\"\n[[events]]\nname = \"Wait\"\n",
    )
    .unwrap();
    root.display().to_string()
}

fn serve(dir: &Path, provider: &RunningProvider) -> (Child, String) {
    let mut child = paragon_local_bin()
        .args([
            "serve",
            "--dev",
            "--listen",
            "127.0.0.1:0",
            "--workflow-lease",
            "1",
            "--specs",
        ])
        .arg(specs(dir))
        .env("TASKLAB_URL", provider.url())
        .env("RUST_LOG", "info")
        .current_dir(dir)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("server output").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

struct Client {
    http: reqwest::Client,
    token: String,
    project: String,
}

impl Client {
    fn new(dir: &Path) -> Client {
        let dev = dir.join(".paragon-local-dev");
        let project = std::fs::read_to_string(dev.join("project-id"))
            .unwrap()
            .trim()
            .to_owned();
        let pem = std::fs::read_to_string(dev.join("signing-key.pem")).unwrap();
        let token = paragon_local::ProjectKey::from_private_pem(&pem)
            .unwrap()
            .mint(&project, "kim", Duration::from_secs(600))
            .unwrap();
        Client {
            http: reqwest::Client::new(),
            token,
            project,
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let mut req = self
            .http
            .request(method, format!("{url}/projects/{}{path}", self.project))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap()
    }

    async fn run(&self, url: &str, id: &str) -> Value {
        self.call(
            reqwest::Method::GET,
            url,
            &format!("/task-history/workflow-executions/{id}"),
            None,
        )
        .await
    }

    async fn steps(&self, url: &str, id: &str) -> Vec<Value> {
        let path = format!("/task-history/workflow-executions/{id}/step-executions");
        self.call(reqwest::Method::GET, url, &path, None).await["data"]
            .as_array()
            .unwrap()
            .clone()
    }

    async fn event(&self, url: &str, name: &str) -> String {
        let body = self
            .call(
                reqwest::Method::POST,
                url,
                "/sdk/events/trigger",
                Some(json!({"name": name, "payload": {}})),
            )
            .await;
        body["workflowExecutionIds"][0].as_str().unwrap().to_owned()
    }
}

async fn until<F: AsyncFnMut() -> bool>(what: &str, mut f: F) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn kill(mut child: Child) {
    // SIGKILL: no graceful shutdown, no lease release.
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn kill_9_mid_run_resumes_at_the_first_unfinished_step_and_delays_survive() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (child, url) = serve(dir.path(), &provider);
    let c = Client::new(dir.path());
    let key = provider.api_keys()[0].to_string();
    let id =
        common::listed_integration_id(&c.http, &url, &c.project, &c.token, "custom.tasklabkeys")
            .await;
    c.call(
        reqwest::Method::POST,
        &url,
        "/sdk/credentials",
        Some(json!({"integrationId": id, "payload": {"api_key": key}})),
    )
    .await;

    let resume = c.event(&url, "Go").await;
    let wait = c.event(&url, "Wait").await;
    // The slow step is in flight at the provider; the delay is recorded as a timer.
    until("the slow step in flight", async || {
        provider
            .stats()
            .last_api_request
            .is_some_and(|r| r.path == "/v1/echo/slow")
    })
    .await;
    until("the delay recorded", async || {
        c.run(&url, &wait).await["status"] == "DELAYED"
    })
    .await;
    let first_key = provider.stats().last_api_request.unwrap().headers["idempotency-key"].clone();
    kill(child);

    let (child, url) = serve(dir.path(), &provider);
    until("the resumed run", async || {
        c.run(&url, &resume).await["status"] == "SUCCEEDED"
    })
    .await;
    until("the delayed run", async || {
        c.run(&url, &wait).await["status"] == "SUCCEEDED"
    })
    .await;
    let steps = c.steps(&url, &resume).await;
    let attempts: Vec<(String, i64)> = steps
        .iter()
        .map(|s| {
            (
                s["stepKey"].as_str().unwrap().to_owned(),
                s["attempt"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [("first".into(), 1), ("slow".into(), 2), ("last".into(), 1)],
        "only the in-flight step ran again"
    );
    let slow = &steps[1];
    assert_eq!(
        slow["idempotencyKey"],
        first_key.to_str().unwrap(),
        "the same idempotency key on the second try"
    );
    let (_, tasks) = (
        (),
        c.call(
            reqwest::Method::GET,
            &url,
            "/sdk/proxy/custom.tasklabkeys/tasks",
            None,
        )
        .await,
    );
    let mut titles: Vec<&str> = tasks["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        ["after the delay", "first", "last"],
        "no step was lost or doubled"
    );
    let pause = &c.steps(&url, &wait).await[0];
    assert_eq!(pause["status"], "SUCCEEDED");
    kill(child);
}
