//! What `paragon` says when something goes wrong: causes and the service called, who must
//! connect what and where, the closest integration name, and fixes in the CLI's own flags.

use std::process::{Command, Output};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{any, get};
use serde_json::json;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../paragon-sdk/tests/fixtures");

/// A Connect API that lists two custom integrations and answers every proxy call with `proxy`.
async fn connect_api(proxy: (StatusCode, serde_json::Value)) -> String {
    let integrations = json!([
        {"id": "1", "type": "custom", "customIntegration": {"slug": "tasklab"}, "isActive": true},
        {"id": "2", "type": "custom", "customIntegration": {"slug": "tasklabkeys"}, "isActive": true},
    ]);
    let app = Router::new()
        .route(
            "/projects/proj-1/sdk/integrations",
            get(move || async move { axum::Json(integrations) }),
        )
        .route(
            "/projects/proj-1/sdk/proxy/{*rest}",
            any(move || async move { (proxy.0, axum::Json(proxy.1)) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Runs `paragon args…` against `url`, with a signing key and `env`.
async fn run(url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_paragon"));
    for (k, _) in std::env::vars() {
        if k.starts_with("PARAGON_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args)
        .env("PARAGON_PROJECT_ID", "proj-1")
        .env(
            "PARAGON_SIGNING_KEY_FILE",
            format!("{FIXTURES}/test-only-private-pkcs8.pem"),
        )
        .env("PARAGON_API_URL", url)
        .env("PARAGON_PROXY_URL", url)
        .env("PARAGON_EVENTS_URL", url)
        .env("PARAGON_ACTIONKIT_URL", url);
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn an_unreachable_service_prints_the_causes_and_the_url_without_the_query() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let out = run(
        &url,
        &[
            "request",
            "custom.tasklab",
            "GET",
            "/tasks?page=2",
            "-q",
            "api_key=SECRET",
            "--user",
            "alice",
        ],
        &[],
    )
    .await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.to_lowercase().contains("connection refused"), "{err}");
    assert!(
        err.contains(&format!(
            "{url}/projects/proj-1/sdk/proxy/custom.tasklab/tasks"
        )),
        "{err}"
    );
    assert!(!err.contains("SECRET") && !err.contains("page=2"), "{err}");
}

#[tokio::test]
async fn not_enabled_names_the_user_and_where_to_connect() {
    let url = connect_api((
        StatusCode::NOT_FOUND,
        json!({"message": "Integration not enabled for user.", "code": "integration_not_enabled", "status": 404}),
    ))
    .await;
    let out = run(
        &url,
        &["request", "custom.tasklab", "GET", "/me", "--user", "alice"],
        &[],
    )
    .await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("\"alice\""), "{err}");
    assert!(
        err.contains(&format!("{url}/connect/custom.tasklab")),
        "{err}"
    );
}

#[tokio::test]
async fn an_unknown_integration_suggests_the_closest() {
    let url = connect_api((
        StatusCode::NOT_FOUND,
        json!({"message": "no integration \"custom.tasklab-keys\" on this server", "code": "not_found", "status": 404}),
    ))
    .await;
    let out = run(
        &url,
        &[
            "request",
            "custom.tasklab-keys",
            "GET",
            "/me",
            "--user",
            "alice",
        ],
        &[],
    )
    .await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("did you mean \"custom.tasklabkeys\""), "{err}");
}

#[tokio::test]
async fn configuration_problems_speak_in_flags() {
    let url = connect_api((StatusCode::OK, json!({}))).await;
    let out = run(&url, &["me"], &[]).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--user"), "{err}");
    assert!(
        !err.contains(".user(") && !err.contains("ParagonBuilder"),
        "{err}"
    );
}

#[tokio::test]
async fn an_invalid_manifest_prints_each_error_once() {
    let dir = std::env::temp_dir().join(format!("paragon-cli-messages-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/tasklab-keys");
    std::fs::copy(format!("{specs}/icon.svg"), dir.join("icon.svg")).unwrap();
    let source = std::fs::read_to_string(format!("{specs}/integration.toml")).unwrap();
    let bad = source.replacen(
        "kind = \"password\"",
        "kind = \"password\"\npattern = \"[a-z\"",
        1,
    );
    assert_ne!(bad, source, "the spec has no password input to break");
    std::fs::write(dir.join("integration.toml"), bad).unwrap();
    let url = connect_api((StatusCode::OK, json!({}))).await;
    let out = run(
        &url,
        &[
            "test",
            "--manifest",
            dir.to_str().unwrap(),
            "--user",
            "alice",
        ],
        &[],
    )
    .await;
    std::fs::remove_dir_all(&dir).unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let first = err.lines().next().unwrap();
    assert_eq!(
        first,
        format!("error: the manifest `{}` is invalid:", dir.display())
    );
    let second = err.lines().nth(1).unwrap();
    assert_eq!(second, "error: invalid pattern: unclosed character class");
}
