//! Workflows: the two example workflows of `specs/tasklab/workflows/`, run by the local server.
//!
//! 1. Start Task Lab and the local Connect server (which loads the workflows beside the
//!    integration and checks them against `specs/events.toml`), and connect `alice` with OAuth.
//! 2. Send the app event `Task Created`: "Mirror app tasks" creates the task in alice's Task
//!    Lab, shapes it in a JavaScript function, and starts it when the event says it is urgent.
//! 3. Call "Open tasks" with a Request trigger: its Response step answers with the count and
//!    titles of alice's open tasks.
//! 4. Read the run of step 2 back from the Task History API.

use std::time::Duration;

use paragon_sdk::api::ExecutionQuery;
use serde_json::json;

use crate::demo::{Demo, TASKLAB};
use crate::{Out, Result};

/// Runs the example, writing to `out`.
pub async fn run(out: &mut Out) -> Result<()> {
    let demo = Demo::start().await?;
    demo.connect_oauth("alice", TASKLAB, "ada").await?;
    let alice = demo.paragon().user("alice");
    let me = alice.me().await?;
    let workflows = &me.integrations[TASKLAB].configured_workflows;
    let id_of = |name: &str| {
        workflows
            .iter()
            .find(|(_, w)| w.name.as_deref() == Some(name))
            .map(|(id, _)| id.clone())
            .ok_or_else(|| format!("the server has no workflow {name:?}"))
    };
    out.heading("The workflows of specs/tasklab/workflows/");
    for (id, w) in workflows {
        let state = if w.enabled { "enabled" } else { "disabled" };
        out.line(format!(
            "{id}  {:<18} {state}",
            w.name.as_deref().unwrap_or("?")
        ));
    }

    out.heading("1. An app event starts \"Mirror app tasks\"");
    out.line(
        "    alice.send_event(\"Task Created\", &json!({\"title\": …, \"priority\": \"high\"}))",
    );
    alice
        .send_event(
            "Task Created",
            &json!({"title": "Call the plumber", "priority": "high"}),
        )
        .await?;
    let mirror = id_of("Mirror app tasks")?;
    let run = finished(&alice, &mirror).await?;
    out.line(format!("execution {} {}", run.id, run.status));
    for step in alice.step_executions(&run.id).await? {
        out.line(format!("  {:<10} {}", step.step_key, step.status));
    }

    out.heading("2. A Request trigger answered by \"Open tasks\"");
    out.line("    alice.trigger_workflow(open_tasks, &json!({\"status\": \"in_progress\"}))");
    let outcome = alice
        .trigger_workflow(&id_of("Open tasks")?, &json!({"status": "in_progress"}))
        .await?;
    out.line(format!("{outcome:?}"));
    demo.shutdown().await;
    Ok(())
}

/// Waits for the newest execution of `workflow` to end.
async fn finished(
    alice: &paragon_sdk::Paragon,
    workflow: &str,
) -> Result<paragon_sdk::api::WorkflowExecution> {
    for _ in 0..200 {
        let runs = alice
            .workflow_executions(&ExecutionQuery::new().workflow(workflow))
            .await?;
        if let Some(run) = runs
            .into_iter()
            .next()
            .filter(|r| r.status == "SUCCEEDED" || r.status == "FAILED")
        {
            return Ok(run);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the workflow did not finish in 10 s".into())
}
