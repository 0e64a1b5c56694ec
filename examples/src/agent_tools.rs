//! Tools for AI agents: what an agent loop does with ActionKit. It lists the tools of alice's
//! Task Lab (generated from the manifest's `[tools] allow` list and the spec), hands one to the
//! "model" (here, fixed arguments), runs it with `run_tool` (alice's managed credential, the
//! parameters checked against the tool's JSON Schema first) and shows a refused call.

use crate::demo::{Demo, TASKLAB};
use crate::{Out, Result};
use serde_json::json;

/// Connects alice to Task Lab, lists her tools, creates a task through `TASKLAB_CREATE_TASK`,
/// then sends parameters the schema refuses.
pub async fn run(out: &mut Out) -> Result<()> {
    let demo = Demo::start().await?;
    demo.connect_oauth("alice", TASKLAB, "ada").await?;
    let alice = demo.paragon().user("alice");

    out.heading("actionkit_tools(&[\"custom.tasklab\"])");
    let listed = alice.actionkit_tools(&[TASKLAB]).await?;
    for tool in listed.tools.get(TASKLAB).into_iter().flatten() {
        let description = tool.function.description.as_deref().unwrap_or_default();
        let summary = description.lines().next().unwrap_or_default();
        out.line(format!("{}: {summary}", tool.function.name));
    }

    out.heading("run_tool(\"TASKLAB_CREATE_TASK\", ...)");
    let created = alice
        .run_tool(
            "TASKLAB_CREATE_TASK",
            &json!({"body": {"title": "Reply to the auditor", "status": "todo"}}),
        )
        .await?;
    out.line(format!(
        "created {} ({})",
        created["title"], created["status"]
    ));

    out.heading("run_tool(\"TASKLAB_LIST_TASKS\", ...)");
    let tasks = alice
        .run_tool("TASKLAB_LIST_TASKS", &json!({"status": "todo"}))
        .await?;
    let titles: Vec<&str> = tasks
        .as_array()
        .map(|a| a.iter().filter_map(|t| t["title"].as_str()).collect())
        .unwrap_or_default();
    out.line(titles.join(", "));

    out.heading("A refused call");
    match alice
        .run_tool("TASKLAB_CREATE_TASK", &json!({"body": {"title": ""}}))
        .await
    {
        Ok(v) => out.line(format!("unexpectedly accepted: {v}")),
        Err(e) => out.line(e.to_string()),
    }

    demo.shutdown().await;
    Ok(())
}
