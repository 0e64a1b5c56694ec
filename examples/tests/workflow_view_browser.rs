//! The workflow view in a real browser: headless Chromium driven over WebDriver
//! (`chromedriver` + `fantoccini`) against the in-process demo, signed in with the project's
//! key. A run that failed at its second step is opened on its graph (the first step green,
//! the second red, each with its duration), the failed step's details are one click away,
//! and once the cause is fixed the run is replayed from that step and succeeds.
//!
//! Screenshots go to `<target dir>/workflow-screenshots/` (the portal test empties its own
//! folder). Skipped (and passing) without `chromium` and `chromedriver` on `PATH`,
//! unless `PARAGON_REQUIRE_BROWSER=1`.

mod chromium;
mod steps;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chromium::{Driver, capabilities, on_path, screenshots_dir, unix_nanos};
use fantoccini::{ClientBuilder, Locator};
use paragon_examples::Demo;
use paragon_examples::demo::{TASKLAB, specs_dir};
use paragon_local::ProjectKey;
use paragon_manifest::workflow::{Context, Workflow};
use serde_json::{Value, json};
use steps::{Steps, check};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

const WAIT: Duration = Duration::from_secs(20);

/// A run that creates a task, then checks it with a Rust function that fails while
/// `broken` is set.
const CHECK_TASKS: &str = r#"
name = "Check new tasks"
description = "Creates the task, then checks it"
default_enabled = true

[trigger]
type = "app_event"
event = "Task Completed"

[[steps]]
key = "create"
type = "integration_request"
method = "POST"
path = "/tasks"
body = { title = "{trigger.body.title}" }

[[steps]]
key = "check"
type = "function"
rust = "check"
parameters = { id = "{steps.create.output.body.id}", note = "{env.TASKLAB_CLIENT_SECRET}" }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_view_in_chromium() {
    let required = std::env::var("PARAGON_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let (Some(chromium), Some(chromedriver)) = (
        on_path(&["chromium", "chromium-browser", "google-chrome"]),
        on_path(&["chromedriver"]),
    ) else {
        assert!(
            !required,
            "PARAGON_REQUIRE_BROWSER=1 but chromium or chromedriver is not on PATH \
             (Debian: apt-get install -y chromium chromium-driver)"
        );
        println!("skipped: install chromium chromium-driver to run the workflow view browser test");
        return;
    };
    let shots = screenshots_dir("workflow-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshots folder");
    let profile = std::env::temp_dir().join(format!(
        "paragon-workflows-chromium-{}-{}",
        std::process::id(),
        unix_nanos()
    ));
    let driver = Driver::start(&chromedriver, &shots.join("chromedriver-workflows.log"))
        .await
        .expect("start chromedriver");
    let client = ClientBuilder::rustls()
        .expect("TLS setup")
        .capabilities(capabilities(&chromium, &profile))
        .connect(&driver.url)
        .await
        .expect("open a Chromium session");

    let broken = Arc::new(AtomicBool::new(true));
    let demo = start_demo(broken.clone()).await.expect("demo servers");
    let steps = Steps {
        client: &client,
        shots: &shots,
        count: 0,
    };
    let outcome = run(steps, &demo, &broken).await;

    let _ = client.close().await;
    drop(driver);
    let _ = std::fs::remove_dir_all(&profile);
    demo.shutdown().await;
    if let Err(e) = outcome {
        panic!("{e}\n(screenshots so far: {})", shots.display());
    }
    println!("screenshots: {}", shots.display());
}

async fn start_demo(broken: Arc<AtomicBool>) -> Result<Demo> {
    let ctx = Context {
        integration: TASKLAB.into(),
        integrations: vec![TASKLAB.into()],
        events: vec!["Task Created".into(), "Task Completed".into()],
        settings: Vec::new(),
    };
    let wf = Workflow::parse(
        CHECK_TASKS,
        "specs/tasklab/workflows/check_tasks.toml",
        &ctx,
    )
    .map_err(|d| d.to_string())?;
    Demo::start_with(move |server| {
        server
            .specs(specs_dir().join("tasklab"))
            .workflow(wf)
            .function("check", move |p: Value| {
                let broken = broken.load(Ordering::SeqCst);
                async move {
                    if broken {
                        Err("the checker is down".to_owned())
                    } else {
                        Ok(json!({ "checked": p["id"] }))
                    }
                }
            })
    })
    .await
}

/// The sign-in link the project's key holder gets for the view.
async fn developer_link(demo: &Demo) -> Result<String> {
    let key = ProjectKey::from_private_pem(demo.signing_key_pem())?;
    let token = key.mint_developer(demo.project_id(), Duration::from_secs(600))?;
    let url = format!("{}/projects/{}/dev/codes", demo.url(), demo.project_id());
    let res = demo
        .http_client()
        .post(url)
        .bearer_auth(token)
        .send()
        .await?;
    let body: Value = res.error_for_status()?.json().await?;
    Ok(body["url"].as_str().ok_or("no url")?.to_owned())
}

async fn run(mut steps: Steps<'_>, demo: &Demo, broken: &AtomicBool) -> Result {
    demo.connect_oauth("alice", TASKLAB, "alice").await?;
    let url = format!(
        "{}/projects/{}/sdk/events/trigger",
        demo.url(),
        demo.project_id()
    );
    demo.http_client()
        .post(url)
        .bearer_auth(demo.user_token("alice")?)
        .json(&json!({"name": "Task Completed", "payload": {"title": "Water the plants"}}))
        .send()
        .await?
        .error_for_status()?;

    steps.open(&developer_link(demo).await?).await?;
    steps.expect_text("h1", "Workflows").await?;
    steps.shot("workflows-list").await?;
    steps
        .click("a[href*='/dev/workflows/']:not([href$='.svg'])")
        .await?;
    // Wait for the run to end, reloading the workflow's page.
    reload_until(
        &steps,
        "table.runs .status-FAILED",
        "the failed run never showed up",
    )
    .await?;
    steps.shot("workflows-graph-and-runs").await?;

    steps.click("table.runs td a").await?;
    steps.expect_text("span.run-status", "FAILED").await?;
    let first = steps.find("g.node[data-key='create']").await?;
    let second = steps.find("g.node[data-key='check']").await?;
    check(
        first.attr("data-status").await?.as_deref() == Some("SUCCEEDED")
            && second.attr("data-status").await?.as_deref() == Some("FAILED"),
        "the steps are not coloured by outcome",
    )?;
    let red = steps.find("g.node[data-key='check'] rect").await?;
    check(
        red.attr("fill").await?.as_deref() == Some("#fee2e2"),
        "the failed step is not red",
    )?;
    steps
        .expect_text("g.node[data-key='create'] text.outcome", "SUCCEEDED · ")
        .await?;
    steps
        .expect_text("g.node[data-key='check'] text.outcome", " ms")
        .await?;
    steps.shot("workflows-failed-run").await?;

    // One click on the failed node shows its input and error, the secret redacted.
    steps.find("a[href='#step-check']").await?.click().await?;
    let details = steps.find("section#step-check").await?;
    check(
        details.is_displayed().await?,
        "the step's details did not open",
    )?;
    steps
        .expect_text("section#step-check", "the checker is down")
        .await?;
    steps
        .expect_text("section#step-check", "\"note\": \"***\"")
        .await?;
    let source = steps.client.source().await?;
    check(
        !source.contains(demo.provider().client_secret()),
        "the secret is on the page",
    )?;
    steps.shot("workflows-failed-step").await?;

    // The cause is fixed; the run is replayed from its failed step.
    broken.store(false, Ordering::SeqCst);
    steps.click("form[action$='/replay'] button").await?;
    reload_until(
        &steps,
        "span.run-status .status-SUCCEEDED",
        "the replay did not succeed",
    )
    .await?;
    steps
        .find("g.node[data-key='check'][data-status='SUCCEEDED']")
        .await?;
    steps.expect_text("span.run-status", "SUCCEEDED").await?;
    steps
        .expect_text("main, body", "from its failed step")
        .await?;
    steps.shot("workflows-replayed").await?;
    Ok(())
}

/// Reloads the page until `css` is on it.
async fn reload_until(steps: &Steps<'_>, css: &str, failure: &str) -> Result {
    let deadline = Instant::now() + WAIT;
    while steps.client.find(Locator::Css(css)).await.is_err() {
        check(Instant::now() < deadline, failure)?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        steps.client.refresh().await?;
    }
    Ok(())
}
