//! Paging through a list with the generated Task Lab client: `list_task_pages` answers
//! `{"tasks": […], "next_cursor": …}`, which the generator recognises (a next cursor in the
//! body, a `cursor` query parameter), so its builder offers `.items(max)` and `.pages(max)`
//! streams that send the cursor back until it is `null`, or the cap is reached.

use crate::demo::{Demo, TASKLAB};
use crate::typed_client::tasklab;
use crate::{Out, Result};
use paragon_sdk::__private::futures_util::{StreamExt, TryStreamExt};
use tasklab::types::NewTask;

/// Connects alice to Task Lab, creates seven tasks, then walks them three to a page: every
/// item, the pages, and a capped stream.
pub async fn run(out: &mut Out) -> Result<()> {
    let demo = Demo::start().await?;
    demo.connect_oauth("alice", TASKLAB, "ada").await?;
    let tasklab = tasklab::Client::new(demo.paragon().user("alice"));
    for n in 1..=7 {
        let task = NewTask {
            title: format!("Task {n}"),
            status: None,
        };
        tasklab.create_task(task).await?;
    }

    out.heading("list_task_pages().limit(3).items(100)");
    let titles: Vec<String> = tasklab
        .list_task_pages()
        .limit(3)
        .items(100)
        .map_ok(|task| task.title)
        .try_collect()
        .await?;
    out.line(titles.join(", "));

    out.heading("list_task_pages().limit(3).pages(10)");
    let mut pages = tasklab.list_task_pages().limit(3).pages(10);
    while let Some(page) = pages.next().await {
        let page = page?;
        out.line(format!(
            "{} tasks, next_cursor {:?}",
            page.tasks.len(),
            page.next_cursor
        ));
    }

    out.heading("list_task_pages().limit(3).items(4)");
    let first: Vec<String> = tasklab
        .list_task_pages()
        .limit(3)
        .items(4)
        .map_ok(|task| task.title)
        .try_collect()
        .await?;
    out.line(first.join(", "));

    demo.shutdown().await;
    Ok(())
}
