//! Where `api.authorization` puts the credential, end to end against Task Lab: members of
//! every JSON request body (`type = "body"`), an encoded pair under another scheme or header,
//! and query parameters beside a header.

use crate::common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;
use serde_json::{Value, json};

const RPC: &str = "custom.tasklabrpc";
const KEYPAIR: &str = "custom.tasklabkeypair";

async fn connect(env: &Env, user: &str, slug: &str, payload: Value) {
    let (status, body) = env
        .call(
            user,
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(json!({ "integrationId": env.id(slug), "payload": payload })),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn rpc_env() -> Env {
    let env = start_with(FakeProvider::builder(), |b| {
        b.specs(specs().join("tasklab-rpc"))
    })
    .await;
    let key = env.provider.api_keys()[0].to_owned();
    connect(
        &env,
        "alice",
        RPC,
        json!({ "api_key": key, "account": "acme" }),
    )
    .await;
    env
}

/// A proxy request with a raw body and content type.
async fn send_raw(env: &Env, path: &str, content_type: &str, body: &str) -> (u16, Value) {
    let res = env
        .http
        .post(env.project(&format!("/sdk/proxy/{RPC}{path}")))
        .bearer_auth(env.token("alice"))
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .expect("proxy");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_key_is_merged_into_every_json_body() {
    let env = rpc_env().await;
    let url = env.project(&format!("/sdk/proxy/{RPC}/users/ping"));
    // The caller's members stay; the manifest's win over a caller's `key`.
    let sent = json!({ "limit": 1, "key": "forged", "account": "mine" });
    let (status, body) = env.call("alice", Method::POST, &url, Some(sent), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["principal"], "key-1", "{body}");
    assert_eq!(body["output"]["method"], "users/ping", "{body}");
    assert_eq!(
        body["output"]["params"],
        json!({ "limit": 1, "account": { "name": "acme" } })
    );

    // A request without a body gets an object of the credential's members alone.
    let (status, body) = env.call("alice", Method::DELETE, &url, None, &[]).await;
    assert_eq!(status, 405, "Task Lab's RPC takes POST only: {body}");
    let (status, body) = env.call("alice", Method::POST, &url, None, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["output"]["params"],
        json!({ "account": { "name": "acme" } })
    );

    // A GET has no body to carry it (as with Nango's proxy): the provider sees no key.
    let (status, body) = env.proxy("alice", Method::GET, RPC, "/users/ping").await;
    assert_eq!(status, 405, "{body}");
}

#[tokio::test]
async fn a_body_that_cannot_carry_the_key_is_refused() {
    let env = rpc_env().await;
    let key = env.provider.api_keys()[0].to_owned();
    let cases = [
        ("text/plain", "hello", "a `text/plain` body cannot carry it"),
        (
            "application/json",
            "[1, 2]",
            "the request body is a JSON array, not an object",
        ),
        (
            "application/json",
            "{\"a\":",
            "the request body is not JSON",
        ),
    ];
    for (content_type, sent, expected) in cases {
        let (status, body) = send_raw(&env, "/users/ping", content_type, sent).await;
        assert_eq!(status, 400, "{sent}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{sent}: {message}");
        assert!(message.contains("JSON object body"), "{message}");
        assert!(!body.to_string().contains(&key), "the key leaked: {body}");
    }
}

#[tokio::test]
async fn an_encoded_pair_under_another_scheme_and_a_query_parameter_go_together() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.specs(specs().join("tasklab-keypair"))
    })
    .await;
    let key = env.provider.api_keys()[0].to_owned();
    let payload = json!({ "api_key": key, "account": "acme", "workspace": "ws-1" });
    connect(&env, "alice", KEYPAIR, payload).await;

    let (status, me) = env.proxy("alice", Method::GET, KEYPAIR, "/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["output"]["via"], "keypair", "{me}");

    let (status, echo) = env.proxy("alice", Method::GET, KEYPAIR, "/echo?x=1").await;
    assert_eq!(status, 200, "{echo}");
    let expected = format!("Keypair {}", STANDARD.encode(format!("{key}:acme")));
    assert_eq!(
        echo["output"]["headers"]["authorization"],
        expected.as_str()
    );
    assert_eq!(
        echo["output"]["args"],
        json!({ "x": "1", "workspace": "ws-1" })
    );
}

#[tokio::test]
async fn the_bare_encoded_pair_goes_in_its_own_header() {
    let m = manifest(
        r##"name = "Task Lab Bare Pair"
description = "The encoded pair alone in X-Keypair."
icon = "icon.svg"
color = "#112233"

[auth]
type = "api_key"

[[inputs]]
key = "api_key"
label = "API key"
kind = "password"

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "basic", header = "X-Keypair", scheme = "", username = "{input.api_key}", password = "x" }
"##,
    );
    let env = start_with(FakeProvider::builder(), |b| b.manifest(m)).await;
    let key = env.provider.api_keys()[0].to_owned();
    connect(
        &env,
        "alice",
        "custom.tasklabbarepair",
        json!({ "api_key": key }),
    )
    .await;
    let (status, me) = env
        .proxy("alice", Method::GET, "custom.tasklabbarepair", "/me")
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["output"]["via"], "x-keypair", "{me}");
}

#[tokio::test]
async fn a_token_exchange_sends_its_pair_under_another_scheme() {
    let m = manifest(
        r##"name = "Task Lab ID Exchange"
description = "A session token asked with an ID-scheme client pair."
icon = "icon.svg"
color = "#112233"

[auth]
type = "token_exchange"
url = "{env.TASKLAB_URL}/auth/session"
encoding = "json"
token_path = "/session/token"
basic = { scheme = "ID", username = "{input.client_id}", password = "{input.client_secret}" }

[auth.params]
api_key = "{input.api_key}"

[[inputs]]
key = "api_key"
label = "API key"
kind = "password"

[[inputs]]
key = "client_id"
label = "Client id"

[[inputs]]
key = "client_secret"
label = "Client secret"
kind = "password"

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##,
    );
    let env = start_with(FakeProvider::builder(), |b| b.manifest(m)).await;
    let key = env.provider.api_keys()[0].to_owned();
    let payload = json!({ "api_key": key, "client_id": "c1", "client_secret": "s:2" });
    connect(&env, "alice", "custom.tasklabidexchange", payload).await;
    let exchange = env
        .provider
        .stats()
        .last_token_request
        .expect("an exchange");
    let expected = format!("ID {}", STANDARD.encode("c1:s:2"));
    assert_eq!(exchange.header("authorization"), Some(expected.as_str()));
    let (status, me) = env
        .proxy("alice", Method::GET, "custom.tasklabidexchange", "/me")
        .await;
    assert_eq!(status, 200, "{me}");
}
