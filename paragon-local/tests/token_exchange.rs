//! `type = "token_exchange"` end to end: a user connects with an API key that the local server
//! exchanges at Task Lab's `POST /auth/session` for a session token, requests go out with that
//! token, and it is exchanged again when it expires or Task Lab refuses it.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const SLUG: &str = "custom.tasklabsessions";

async fn exchange_env(provider: paragon_fake_provider::FakeProviderBuilder) -> Env {
    start_with(provider, |b| b.specs(specs().join("tasklab-exchange"))).await
}

async fn connect(env: &Env, user: &str, key: &str) -> (u16, Value) {
    env.call(
        user,
        Method::POST,
        &env.project("/sdk/credentials"),
        Some(json!({"integrationId": env.id(SLUG), "payload": {"api_key": key}})),
        &[],
    )
    .await
}

fn sessions(env: &Env) -> u64 {
    env.provider.stats().token_requests.session
}

#[tokio::test]
async fn a_user_connects_and_requests_carry_the_exchanged_token() {
    let env = exchange_env(FakeProvider::builder()).await;
    let key = env.provider.api_keys()[0].to_string();
    let (status, created) = connect(&env, "alice", &key).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(sessions(&env), 1);
    let exchange = env.provider.stats().last_token_request.unwrap();
    assert_eq!(exchange.path, "/auth/session");
    assert_eq!(exchange.header("content-type"), Some("application/json"));
    let sent: Value = serde_json::from_slice(&exchange.body).unwrap();
    assert_eq!(sent, json!({"api_key": key}));
    assert!(!created.to_string().contains("tl_st_"), "{created}");
    assert_eq!(created["providerId"], "key-1", "{created}");

    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["output"]["via"], "bearer", "{me}");
    assert_eq!(me["output"]["id"], "key-1", "{me}");
    let call = env.provider.stats().last_api_request.unwrap();
    let authorization = call.header("authorization").unwrap();
    assert!(
        authorization.starts_with("Bearer tl_st_"),
        "{authorization}"
    );
    // The token is reused while it lasts.
    env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(sessions(&env), 1);
}

#[tokio::test]
async fn inputs_the_provider_refuses_are_refused_at_connect() {
    let env = exchange_env(FakeProvider::builder()).await;
    let (status, body) = connect(&env, "bob", "not-a-key").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "invalid_credentials", "{body}");
    assert_eq!(
        body["message"],
        "the provider refused these values: the token exchange answered 401 Unauthorized"
    );
    let (_, list) = env
        .call(
            "bob",
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await;
    assert_eq!(list, json!([]), "{list}");
}

#[tokio::test]
async fn an_expired_token_is_exchanged_again() {
    let env = exchange_env(FakeProvider::builder().access_token_ttl(Duration::from_secs(2))).await;
    let key = env.provider.api_keys()[0].to_string();
    assert_eq!(connect(&env, "carol", &key).await.0, 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, me) = env.proxy("carol", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(sessions(&env), 2);
}

#[tokio::test]
async fn a_refused_token_is_exchanged_again_once() {
    let env = exchange_env(FakeProvider::builder()).await;
    let key = env.provider.api_keys()[0].to_string();
    assert_eq!(connect(&env, "dave", &key).await.0, 200);
    env.provider.revoke_access_tokens();
    let (status, me) = env.proxy("dave", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(sessions(&env), 2);
}

/// `[api.headers]` alternatives: the version header falls back to its fixed value, and the
/// team header is left out for a user who gave no team.
#[tokio::test]
async fn header_alternatives_fall_back_or_leave_the_header_out() {
    let env = exchange_env(FakeProvider::builder()).await;
    let key = env.provider.api_keys()[0].to_string();
    let with_team =
        json!({"integrationId": env.id(SLUG), "payload": {"api_key": key, "team": "blue"}});
    let (status, body) = env
        .call(
            "erin",
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(with_team),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(connect(&env, "frank", &key).await.0, 200);

    let (status, echo) = env.proxy("erin", Method::GET, SLUG, "/echo").await;
    assert_eq!(status, 200, "{echo}");
    let headers = &echo["output"]["headers"];
    assert_eq!(headers["x-tasklab-team"], "blue", "{headers}");
    assert_eq!(headers["x-tasklab-version"], "2024-01-01", "{headers}");

    let (status, echo) = env.proxy("frank", Method::GET, SLUG, "/echo").await;
    assert_eq!(status, 200, "{echo}");
    let headers = &echo["output"]["headers"];
    assert!(headers.get("x-tasklab-team").is_none(), "{headers}");
    assert_eq!(headers["x-tasklab-version"], "2024-01-01", "{headers}");
}
