//! `token_encoding`: OAuth token requests (code exchange, refresh, client credentials) sent as
//! a JSON object or in the query instead of a form, end to end against Task Lab.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const SLUG: &str = "custom.tasklabjson";

fn last_token_request(env: &Env) -> paragon_fake_provider::RecordedRequest {
    env.provider
        .stats()
        .last_token_request
        .expect("a token request")
}

#[tokio::test]
async fn code_exchange_and_refresh_send_json() {
    let env = start_with(
        FakeProvider::builder().access_token_ttl(Duration::from_secs(2)),
        |b| b.specs(specs().join("tasklab-json")),
    )
    .await;
    env.connect_oauth("alice", SLUG).await;
    let exchange = last_token_request(&env);
    assert_eq!(exchange.header("content-type"), Some("application/json"));
    let sent: Value = serde_json::from_slice(&exchange.body).expect("a JSON body");
    assert_eq!(sent["grant_type"], "authorization_code", "{sent}");
    assert!(sent["code_verifier"].is_string(), "{sent}");
    // token_params on the code exchange...
    assert_eq!(sent["resource"], "tasks", "{sent}");
    assert!(sent.get("keep_session").is_none(), "{sent}");

    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");
    // `provider_id = "/account/id"`: the account at the provider, as Paragon's providerId.
    let (_, list) = env
        .call(
            "alice",
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await;
    assert_eq!(list[0]["providerId"], "ada", "{list}");

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");
    let refresh = last_token_request(&env);
    assert_eq!(refresh.header("content-type"), Some("application/json"));
    let sent: Value = serde_json::from_slice(&refresh.body).expect("a JSON body");
    assert_eq!(sent["grant_type"], "refresh_token", "{sent}");
    // ...refresh_params on the refresh.
    assert_eq!(sent["keep_session"], "true", "{sent}");
    assert_eq!(env.provider.stats().token_requests.refresh_token, 1);
}

#[tokio::test]
async fn client_credentials_in_the_query() {
    let m = manifest(
        r##"name = "Task Lab Machines"
description = "Client credentials sent in the token URL's query."
icon = "icon.svg"
color = "#112233"

[auth]
type = "client_credentials"
token_url = "{env.TASKLAB_URL}/oauth/token"
client_id = "{input.client_id}"
client_secret = "{input.client_secret}"
token_encoding = "query"

[[inputs]]
key = "client_id"
label = "Client ID"

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
    let (status, created) = env
        .call(
            "bob",
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(json!({
                "integrationId": env.id("custom.tasklabmachines"),
                "payload": {
                    "client_id": env.provider.client_id(),
                    "client_secret": env.provider.client_secret(),
                },
            })),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let request = last_token_request(&env);
    assert!(request.body.is_empty());
    let query = request.query.expect("a query");
    assert!(query.contains("grant_type=client_credentials"), "the query");
    let (status, me) = env
        .proxy("bob", Method::GET, "custom.tasklabmachines", "/me")
        .await;
    assert_eq!(status, 200, "{me}");
}
