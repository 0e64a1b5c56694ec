//! The `paragon-local` binary: development mode and configuration errors.

use crate::common;

use common::paragon_local_bin as bin;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn specs() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs").to_string()
}

#[test]
fn dev_mode_generates_keys_and_prints_how_to_mint_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args([
            "serve",
            "--dev",
            "--listen",
            "127.0.0.1:0",
            "--specs",
            &specs(),
        ])
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("paragon token") || Instant::now() > deadline {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen.contains("export PARAGON_PROJECT_ID="), "{seen}");
    assert!(
        seen.contains("PARAGON_SIGNING_KEY_FILE=.paragon-local-dev/signing-key.pem"),
        "{seen}"
    );
    let pem =
        std::fs::read_to_string(dir.path().join(".paragon-local-dev/signing-key.pem")).unwrap();
    assert!(pem.contains("BEGIN PRIVATE KEY"));
    assert!(dir.path().join("paragon-local.db").is_file());
}

#[test]
fn secrets_a_manifest_needs_but_the_environment_lacks_are_named_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let tasklab = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/tasklab");
    let mut child = bin()
        .args([
            "serve",
            "--dev",
            "--listen",
            "127.0.0.1:0",
            "--specs",
            tasklab,
        ])
        .env("TASKLAB_URL", "http://127.0.0.1:9")
        .env_remove("TASKLAB_CLIENT_ID")
        .env_remove("TASKLAB_CLIENT_SECRET")
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("paragon token") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        seen.contains(
            "custom.tasklab: not set in the environment: TASKLAB_CLIENT_ID, TASKLAB_CLIENT_SECRET"
        ),
        "{seen}"
    );
    assert!(!seen.contains("TASKLAB_URL"), "TASKLAB_URL is set: {seen}");
}

#[test]
fn missing_encryption_key_outside_dev_mode_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let key = paragon_local::ProjectKey::generate();
    let out = bin()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--specs",
            &specs(),
            "--project-id",
            "p1",
        ])
        .env(
            "PARAGON_SIGNING_KEY",
            key.private_pem().unwrap().replace('\n', "\\n"),
        )
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PARAGON_LOCAL_ENCRYPTION_KEY"), "{err}");
    assert!(
        !err.contains("PRIVATE KEY"),
        "the key must not be echoed: {err}"
    );
}

/// Starts `paragon-local serve --dev` in `dir`; returns the child and its URL.
fn serve_dev(dir: &std::path::Path) -> (std::process::Child, String) {
    let (child, url, _) = serve_specs(dir, std::path::Path::new(&specs()));
    (child, url)
}

/// The project id and a token for `kim`, minted with the key development mode wrote in `dir`.
fn dev_token(dir: &std::path::Path) -> (String, String) {
    let dev = dir.join(".paragon-local-dev");
    let project = std::fs::read_to_string(dev.join("project-id")).unwrap();
    let project = project.trim().to_owned();
    let pem = std::fs::read_to_string(dev.join("signing-key.pem")).unwrap();
    let token = paragon_local::ProjectKey::from_private_pem(&pem)
        .unwrap()
        .mint(&project, "kim", Duration::from_secs(600))
        .unwrap();
    (project, token)
}

#[tokio::test]
async fn a_killed_process_loses_no_committed_credential() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = serve_dev(dir.path());
    let (project, token) = dev_token(dir.path());
    let http = reqwest::Client::new();
    let credentials = |url: &str| format!("{url}/projects/{}/sdk/credentials", project);
    let integration =
        common::listed_integration_id(&http, &url, &project, &token, "custom.tasklabkeys").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let res = http
            .post(credentials(&url))
            .bearer_auth(&token)
            .json(&serde_json::json!({"integrationId": integration, "payload": {"api_key": format!("k{i}")}}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        let body: serde_json::Value = res.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    // SIGKILL: no graceful shutdown, no pool close, no checkpoint.
    child.kill().unwrap();
    child.wait().unwrap();
    let (mut child, url) = serve_dev(dir.path());
    let list: serde_json::Value = http
        .get(credentials(&url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let kept: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(kept, ids.iter().map(String::as_str).collect::<Vec<_>>());
}

/// Starts `paragon-local serve --dev` on `specs` in `dir`; returns the child, its URL and what
/// it wrote to stderr before listening.
fn serve_specs(
    dir: &std::path::Path,
    specs: &std::path::Path,
) -> (std::process::Child, String, String) {
    let mut child = bin()
        .args(["serve", "--dev", "--listen", "127.0.0.1:0", "--specs"])
        .arg(specs)
        .env("TASKLAB_URL", "http://127.0.0.1:9")
        .env_remove("RUST_LOG")
        .current_dir(dir)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = String::new();
    let url = loop {
        let line = lines.next().expect("server output").unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, url, seen)
}

/// Renaming an integration whose manifest has no `slug` moves it to a new slug: its users'
/// credentials stay under the old one. The server says so at start, naming the manifest and
/// the line that keeps them; with that line the credential is the user's again.
#[tokio::test]
async fn a_rename_that_strands_credentials_is_named_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path().join("specs");
    let keys = specs.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let original = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/tasklab-keys");
    for file in ["integration.toml", "icon.svg", "openapi.yaml"] {
        std::fs::copy(format!("{original}/{file}"), keys.join(file)).unwrap();
    }
    let manifest = std::fs::read_to_string(keys.join("integration.toml")).unwrap();
    let (mut child, url, seen) = serve_specs(dir.path(), &specs);
    assert!(!seen.contains("no loaded manifest"), "{seen}");
    let (project, token) = dev_token(dir.path());
    let http = reqwest::Client::new();
    let credentials = |url: &str| format!("{url}/projects/{}/sdk/credentials", project);
    let integration =
        common::listed_integration_id(&http, &url, &project, &token, "custom.tasklabkeys").await;
    let res = http
        .post(credentials(&url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"integrationId": integration, "payload": {"api_key": "k"}}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    child.kill().unwrap();
    child.wait().unwrap();

    let renamed = manifest.replace("name = \"Task Lab Keys\"", "name = \"Task Lab Keyz\"");
    std::fs::write(keys.join("integration.toml"), &renamed).unwrap();
    let (mut child, _, seen) = serve_specs(dir.path(), &specs);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        seen.contains("the store holds 1 credential of `custom.tasklabkeys`, which no loaded manifest has")
            && seen.contains("if \"Task Lab Keyz\" (now `custom.tasklabkeyz`) was renamed from it, write `slug = \"tasklabkeys\"`"),
        "{seen}"
    );

    let pinned = renamed.replace(
        "name = \"Task Lab Keyz\"",
        "name = \"Task Lab Keyz\"\nslug = \"tasklabkeys\"",
    );
    std::fs::write(keys.join("integration.toml"), pinned).unwrap();
    let (mut child, url, seen) = serve_specs(dir.path(), &specs);
    let list: serde_json::Value = http
        .get(credentials(&url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!seen.contains("no loaded manifest"), "{seen}");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
}
