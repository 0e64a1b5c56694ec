//! The MCP server checked by an MCP client no one here wrote: the reference Python SDK (`mcp`
//! from PyPI, installed by scripts/test.sh into `.cache/mcp-venv`) lists Task Lab's tools for a
//! connected user and calls `TASKLAB_CREATE_TASK` valid and invalid; the task is then in Task
//! Lab. Skipped without the venv, unless CI=true.

use crate::common;

use common::*;
use serde_json::Value;
use std::path::PathBuf;

fn python() -> Option<PathBuf> {
    let venv = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../.cache/mcp-venv/bin/python"
    ));
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

async fn run_client(args: Vec<String>, env: &[(&str, &str)]) -> Value {
    let python = python().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/client.py");
    let mut command = tokio::process::Command::new(python);
    for var in [
        "PARAGON_PROJECT_ID",
        "PARAGON_SIGNING_KEY",
        "PARAGON_LOCAL_DATABASE_URL",
    ] {
        command.env_remove(var);
    }
    let out = command
        .arg(script)
        .args(args)
        .envs(env.iter().copied())
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
    assert!(
        !names.contains(&"TASKLAB_DELETE_TASK"),
        "not in the allow-list"
    );
    let create = out["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "TASKLAB_CREATE_TASK")
        .unwrap();
    assert_eq!(create["inputSchema"]["required"][0], "body");

    assert_eq!(out["created"]["isError"], false, "{}", out["created"]);
    assert_eq!(
        out["created"]["structuredContent"]["title"],
        "Filed by an agent"
    );
    assert_eq!(out["refused"]["isError"], true);
    let refused = out["refused"]["content"][0]["text"].as_str().unwrap();
    assert!(refused.contains("`body` at /body/title"), "{refused}");
    let unknown = out["unknown"]["content"][0]["text"].as_str().unwrap();
    assert!(
        unknown.contains("did you mean TASKLAB_CREATE_TASK?"),
        "{unknown}"
    );
}

#[tokio::test]
async fn the_python_sdk_lists_and_calls_tools_over_streamable_http() {
    if python().is_none() {
        return;
    }
    let env = start().await;
    env.connect_oauth("alice", "custom.tasklab").await;
    let url = env.project("/mcp");
    let out = run_client(vec!["http".into(), url.clone(), env.token("alice")], &[]).await;
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
    let res = env
        .http
        .post(&url)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn the_python_sdk_lists_and_calls_tools_over_stdio() {
    if python().is_none() {
        return;
    }
    // The server of the test and `paragon-local mcp` share one store, as a deployment would.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let key = paragon_local::EncryptionKey::generate();
    let env = start_with(paragon_fake_provider::FakeProvider::builder(), |b| {
        b.database_url(db.to_str().unwrap())
            .encryption_key(key.clone())
    })
    .await;
    env.connect_oauth("dana", "custom.tasklab").await;
    let pem = dir.path().join("signing-key.pem");
    std::fs::write(&pem, env.server.signing_key_pem().unwrap()).unwrap();
    let args = vec![
        "stdio".to_string(),
        env!("CARGO_BIN_EXE_paragon-local").to_string(),
        "mcp".into(),
        "--specs".into(),
        specs().join("tasklab").to_str().unwrap().into(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--database-url".into(),
        db.to_str().unwrap().into(),
        "--encryption-key".into(),
        key.to_base64(),
        "--project-id".into(),
        env.server.project_id().into(),
        "--signing-key-file".into(),
        pem.to_str().unwrap().into(),
        "--token".into(),
        env.token("dana"),
    ];
    let secrets = [
        ("TASKLAB_URL", env.provider.url()),
        ("TASKLAB_CLIENT_ID", env.provider.client_id()),
        ("TASKLAB_CLIENT_SECRET", env.provider.client_secret()),
        ("RUST_LOG", "off"),
    ];
    let out = run_client(args, &secrets).await;
    check_answers(&out);
}
