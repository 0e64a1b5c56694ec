//! What the proxy refuses, rewrites and hands back: traversal, dot-segment inputs, redirects,
//! host refusals, query credentials, hop-by-hop headers.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A manifest of Task Lab with an API key, with `base_url` and `authorization` as given.
fn keys_manifest(name: &str, base_url: &str, authorization: &str, extra_inputs: &str) -> String {
    format!(
        r##"name = "{name}"
description = "Task Lab for proxy tests."
icon = "icon.svg"
color = "#0F766E"

[auth]
type = "api_key"

[[inputs]]
key = "api_key"
label = "API key"
kind = "password"
{extra_inputs}
[api]
base_url = "{base_url}"
test_endpoint = "/me"
authorization = {authorization}
"##
    )
}

/// Connects `user` to `slug` with Task Lab's API key (and `inputs`); returns the answer.
async fn connect_key(env: &Env, user: &str, slug: &str, inputs: Value) -> (u16, Value) {
    let mut payload = json!({ "api_key": env.provider.api_keys()[0] });
    payload
        .as_object_mut()
        .unwrap()
        .extend(inputs.as_object().unwrap().clone());
    env.call(
        user,
        Method::POST,
        &env.project("/sdk/credentials"),
        Some(json!({ "integrationId": env.id(slug), "payload": payload })),
        &[],
    )
    .await
}

/// A GET sent byte for byte (HTTP clients normalize `..` away before sending).
async fn raw_get(env: &Env, path: &str, user: &str) -> (u16, String) {
    let addr = env.server.url().trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        env.token(user)
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn an_encoded_question_mark_cannot_end_the_path_before_a_traversal() {
    let env = start().await;
    let (status, body) = connect_key(&env, "alice", "custom.tasklabkeys", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let pid = env.server.project_id().to_string();
    for target in [
        "x%3F/../../oauth/authorize",
        "x%3f/%2e%2e/%2e%2e/oauth/authorize",
        "x%23/../../oauth/authorize",
    ] {
        let (status, answer) = raw_get(
            &env,
            &format!("/projects/{pid}/sdk/proxy/custom.tasklabkeys/{target}"),
            "alice",
        )
        .await;
        assert_eq!(status, 400, "{target}: {answer}");
        assert!(answer.contains("path traversal"), "{target}: {answer}");
    }
}

#[tokio::test]
async fn a_dot_segment_input_that_lands_in_a_path_is_refused_at_connect_time() {
    let workspace_input = "\n[[inputs]]\nkey = \"workspace\"\nlabel = \"Workspace\"\n";
    let env = start_with(FakeProvider::builder(), |b| {
        b.manifest(manifest(&keys_manifest(
            "Task Lab Workspaces",
            "{env.TASKLAB_URL}/v1/echo/workspaces/{input.workspace}",
            r#"{ type = "headers", headers = { "X-Api-Key" = "{input.api_key}" } }"#,
            workspace_input,
        )))
    })
    .await;
    let slug = "custom.tasklabworkspaces";
    for bad in ["..", ".", "%2e%2e", "%2E", "%252e%252e", "a/../b"] {
        let (status, body) = connect_key(&env, "alice", slug, json!({ "workspace": bad })).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.to_string().contains("`..`"), "{bad}: {body}");
    }
    let (status, body) = connect_key(&env, "alice", slug, json!({ "workspace": "acme.v2" })).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = env.proxy("alice", Method::GET, slug, "/tasks").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["path"], "/v1/echo/workspaces/acme.v2/tasks");
}

#[tokio::test]
async fn a_provider_redirect_comes_back_with_its_location_outside_raw_mode() {
    let env = start().await;
    connect_key(&env, "alice", "custom.tasklabkeys", json!({})).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirects
        .get(env.project(
            "/sdk/proxy/custom.tasklabkeys/redirect?status=302&location=https%3A%2F%2Felsewhere.example%2Fnext",
        ))
        .bearer_auth(env.token("alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("https://elsewhere.example/next")
    );
}

#[tokio::test]
async fn a_refused_host_has_its_own_error_code_not_the_permissions_one() {
    let env = start().await;
    connect_key(&env, "alice", "custom.tasklabkeys", json!({})).await;
    let port = env.provider.addr().port();
    let other = format!("http://127.0.0.2:{port}/v1/me");
    let (status, body) = env
        .call(
            "alice",
            Method::GET,
            &env.project("/sdk/proxy/custom.tasklabkeys/me"),
            None,
            &[("X-Paragon-Proxy-Url", &other)],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "host_not_allowed", "{body}");
}

#[tokio::test]
async fn the_manifests_query_credential_replaces_the_callers_same_named_parameter() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.manifest(manifest(&keys_manifest(
            "Task Lab Query",
            "{env.TASKLAB_URL}/v1",
            r#"{ type = "query", params = { api_key = "{input.api_key}" } }"#,
            "",
        )))
    })
    .await;
    let slug = "custom.tasklabquery";
    let (status, body) = connect_key(&env, "alice", slug, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = env
        .proxy(
            "alice",
            Method::GET,
            slug,
            "/echo?api_key=callers&b=x%20y&c",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let key = env.provider.api_keys()[0].to_string();
    assert_eq!(body["output"]["args"]["api_key"], key, "{body}");
    let query = body["output"]["query"].as_str().unwrap();
    assert!(!query.contains("callers"), "{query}");
    assert!(query.starts_with("b=x%20y&c&api_key="), "{query}");
}

#[tokio::test]
async fn an_encoded_control_character_in_a_query_value_is_forwarded_as_sent() {
    let env = start().await;
    connect_key(&env, "alice", "custom.tasklabkeys", json!({})).await;
    let (status, body) = env
        .proxy(
            "alice",
            Method::GET,
            "custom.tasklabkeys",
            "/echo?note=line1%0Aline2",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["query"], "note=line1%0Aline2", "{body}");
    assert_eq!(body["output"]["args"]["note"], "line1\nline2", "{body}");
    // In the path it stays refused.
    let (status, body) = env
        .proxy("alice", Method::GET, "custom.tasklabkeys", "/echo/a%0Ab")
        .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn headers_named_in_connection_are_not_forwarded() {
    let env = start().await;
    connect_key(&env, "alice", "custom.tasklabkeys", json!({})).await;
    let (status, body) = env
        .call(
            "alice",
            Method::GET,
            &env.project("/sdk/proxy/custom.tasklabkeys/echo"),
            None,
            &[
                ("Connection", "keep-alive, X-Hop-Secret"),
                ("X-Hop-Secret", "for the next hop only"),
                ("X-Kept", "1"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let headers = &body["output"]["headers"];
    assert_eq!(headers["x-kept"], "1", "{body}");
    assert!(headers.get("x-hop-secret").is_none(), "{body}");
}
