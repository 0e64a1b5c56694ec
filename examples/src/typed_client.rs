//! The typed client `build.rs` generates from `specs/tasklab` (the manifest and its
//! `openapi.yaml`): one method per operation, typed request and answer bodies, and the
//! documented error bodies decoded.
//!
//! `examples/build.rs` is four lines around
//! `paragon_codegen::Generator::new("../specs/tasklab").generate()`, which writes
//! `$OUT_DIR/tasklab.rs`; this module includes it:
//!
//! ```text
//! include!(concat!(env!("OUT_DIR"), "/tasklab.rs"));
//! ```

use crate::demo::{Demo, TASKLAB};
use crate::{Out, Result};

include!(concat!(env!("OUT_DIR"), "/tasklab.rs"));

use tasklab::builders::GetTaskError;
use tasklab::types::{NewTask, TaskStatus, TaskUpdate};

/// Connects alice to Task Lab with OAuth, then walks through the generated client: who am I,
/// create, list with a filter, update, delete, and a documented 404 decoded into its type.
pub async fn run(out: &mut Out) -> Result<()> {
    let demo = Demo::start().await?;
    demo.connect_oauth("alice", TASKLAB, "ada").await?;

    // One line builds the client, from any Paragon user handle.
    let tasklab = tasklab::Client::new(demo.paragon().user("alice"));
    out.line(format!(
        "Generated client for {} (test endpoint {})",
        tasklab::INTEGRATION,
        tasklab::TEST_ENDPOINT
    ));

    out.heading("get_me()");
    let me = tasklab.get_me().await?;
    out.line(format!(
        "{} <{}> via {:?}, scopes {:?}",
        me.name, me.email, me.auth, me.scopes
    ));

    out.heading("create_task(NewTask { .. })");
    let task = tasklab
        .create_task(NewTask {
            title: "Read the generated code".into(),
            status: Some(TaskStatus::InProgress),
        })
        .await?;
    out.line(format!(
        "created {} {:?} ({:?})",
        task.id, task.title, task.status
    ));

    out.heading("list_tasks().status(InProgress).limit(10)");
    let tasks = tasklab
        .list_tasks()
        .status(TaskStatus::InProgress)
        .limit(10)
        .await?;
    for t in &tasks {
        out.line(format!("- {} {:?} ({:?})", t.id, t.title, t.status));
    }

    out.heading("update_task(id, TaskUpdate { .. })");
    let done = tasklab
        .update_task(
            task.id.clone(),
            TaskUpdate {
                status: Some(TaskStatus::Done),
                title: None,
            },
        )
        .await?;
    out.line(format!("{} is now {:?}", done.id, done.status));

    out.heading("delete_task(id), then get_task(id): a documented 404");
    tasklab.delete_task(task.id.clone()).await?;
    match tasklab.get_task(task.id.clone()).await {
        Err(tasklab::Error::Api(GetTaskError::Status404(body))) => out.line(format!(
            "typed error body: code {:?}, message {:?}",
            body.error.code, body.error.message
        )),
        other => return Err(format!("expected the documented 404, got {other:?}").into()),
    }

    demo.shutdown().await;
    Ok(())
}
