//! "Send test request": a `GET` of the integration's test endpoint through the proxy, as the
//! Connect Portal's button and `paragon test` do. Four ways to ask, and what a failure says.

use paragon_manifest::Manifest;
use paragon_sdk::Integration as _;
use paragon_sdk::api::TestOutcome;

use crate::demo::{Demo, TASKLAB, TASKLAB_KEYS, specs_dir};
use crate::derived::TaskLabKeys;
use crate::typed_client::tasklab;
use crate::{Out, Result};

fn show(out: &mut Out, what: &str, outcome: &TestOutcome) {
    let verdict = match (outcome.is_success(), &outcome.reason) {
        (true, _) => "the connection works".to_owned(),
        (false, Some(reason)) => format!("failed: {reason}"),
        (false, None) => "failed".to_owned(),
    };
    out.line(format!("{what}: {} — {verdict}", outcome.status));
}

/// Connects alice to both demo integrations and sends their test requests; bob has connected
/// nothing, so his test reports why it failed.
pub async fn run(out: &mut Out) -> Result<()> {
    let demo = Demo::start().await?;
    demo.connect_api_key("alice", TASKLAB_KEYS).await?;
    demo.connect_oauth("alice", TASKLAB, "ada").await?;
    let alice = demo.paragon().user("alice");

    out.heading("From the manifest (what `paragon test --manifest specs/tasklab-keys` does)");
    let manifest = Manifest::load(specs_dir().join("tasklab-keys"))?;
    out.line(format!(
        "{} tests with GET {}",
        manifest.slug(),
        manifest.test_endpoint()
    ));
    let outcome = alice
        .test_connection(&manifest.slug(), manifest.test_endpoint())
        .await?;
    show(
        out,
        "paragon.test_connection(slug, test_endpoint)",
        &outcome,
    );

    out.heading("From a #[derive(Integration)] type");
    let outcome = TaskLabKeys::test_connection(&alice).await?;
    show(out, "TaskLabKeys::test_connection(&paragon)", &outcome);

    out.heading("From the generated client");
    match tasklab::Client::new(alice.clone()).test_connection().await {
        Ok(()) => out.line("tasklab::Client::test_connection(): the connection works"),
        Err(e) => out.line(format!("tasklab::Client::test_connection(): failed: {e}")),
    }

    out.heading("A user who has not connected");
    let bob = demo.paragon().user("bob");
    let outcome = TaskLabKeys::test_connection(&bob).await?;
    show(out, "TaskLabKeys::test_connection(&bob)", &outcome);

    out.heading("The same from a shell");
    out.line("With PARAGON_PROJECT_ID and PARAGON_SIGNING_KEY set (and PARAGON_API_URL/PARAGON_PROXY_URL");
    out.line("for a local server):  paragon test --manifest specs/tasklab-keys --user alice");

    demo.shutdown().await;
    Ok(())
}
