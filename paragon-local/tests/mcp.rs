//! The MCP server checked by an MCP client no one here wrote: the reference Python SDK (`mcp`
//! from PyPI, installed by scripts/test.sh into `.cache/mcp-venv`) lists Task Lab's tools for a
//! connected user and calls `TASKLAB_CREATE_TASK` valid and invalid; the task is then in Task
//! Lab. Skipped without the venv, unless CI=true.

mod common;

use common::*;
use serde_json::Value;
use std::path::PathBuf;

fn python() -> Option<PathBuf> {
    let venv = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.cache/mcp-venv/bin/python"));
    if venv.exists() {
        return Some(venv);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the MCP client is missing: scripts/test.sh installs it into .cache/mcp-venv"
    );
    eprintln!("skipped: python -m venv .cache/mcp-venv && .cache/mcp-venv/bin/pip install mcp");
    None
}

async fn run_client(args: Vec<String>) -> Value {
    let python = python().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/client.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .args(args)
        .output()
        .await
        .expect("run the MCP client");
    assert!(
        out.status.success(),
        "the MCP client failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the client's JSON")
}

#[track_caller]
fn check_answers(out: &Value) {
    let names: Vec<&str> = out["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"TASKLAB_CREATE_TASK"), "{names:?}");
    assert!(!names.contains(&"TASKLAB_DELETE_TASK"), "not in the allow-list");
    let create = out["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "TASKLAB_CREATE_TASK")
        .unwrap();
    assert_eq!(create["inputSchema"]["required"][0], "body");

    assert_eq!(out["created"]["isError"], false, "{}", out["created"]);
    assert_eq!(out["created"]["structuredContent"]["title"], "Filed by an agent");
    assert_eq!(out["refused"]["isError"], true);
    let refused = out["refused"]["content"][0]["text"].as_str().unwrap();
    assert!(refused.contains("`body` at /body/title"), "{refused}");
    let unknown = out["unknown"]["content"][0]["text"].as_str().unwrap();
    assert!(unknown.contains("did you mean TASKLAB_CREATE_TASK?"), "{unknown}");
}

#[tokio::test]
async fn the_python_sdk_lists_and_calls_tools_over_streamable_http() {
    if python().is_none() {
        return;
    }
    let env = start().await;
    env.connect_oauth("alice", "custom.tasklab").await;
    let url = env.project("/mcp");
    let out = run_client(vec!["http".into(), url.clone(), env.token("alice")]).await;
    check_answers(&out);

    // The task is in Task Lab, seen through the proxy.
    let (status, tasks) = env
        .call(
            "alice",
            reqwest::Method::GET,
            &env.project("/sdk/proxy/custom.tasklab/tasks"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200);
    let titles: Vec<&str> = tasks["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Filed by an agent"]);

    // Without a user token there is no MCP session at all.
    let res = env.http.post(&url).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(res.status(), 401);
}
