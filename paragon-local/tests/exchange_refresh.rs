//! A token exchange renewed with a refresh token (`refresh_token_path` and `[auth.refresh]`):
//! a user connects with an API key, which Task Lab's `POST /auth/session` trades for a session
//! token and a single-use refresh token; renewals send that refresh token, never the key again.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const BODY: &str = "custom.tasklabrenewedsessions";
const BEARER: &str = "custom.tasklabbearerrenewal";

async fn renew_env(provider: paragon_fake_provider::FakeProviderBuilder) -> Env {
    start_with(provider, |b| {
        b.specs(specs().join("tasklab-renew"))
            .specs(specs().join("tasklab-renew-header"))
    })
    .await
}

async fn connect(env: &Env, slug: &str, user: &str) -> Value {
    let key = env.provider.api_keys()[0].to_string();
    let (status, created) = env
        .call(
            user,
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(json!({"integrationId": env.id(slug), "payload": {"api_key": key}})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{created}");
    created
}

fn counts(env: &Env) -> (u64, u64) {
    let stats = env.provider.stats().token_requests;
    (stats.session, stats.session_refresh)
}

/// The JSON body of Task Lab's last token request.
fn last_body(env: &Env) -> Value {
    let request = env.provider.stats().last_token_request.unwrap();
    serde_json::from_slice(&request.body).unwrap()
}

#[tokio::test]
async fn a_refused_token_is_renewed_with_the_refresh_token_not_the_key() {
    let env = renew_env(FakeProvider::builder()).await;
    let created = connect(&env, BODY, "alice").await;
    assert!(!created.to_string().contains("tl_sr_"), "{created}");
    assert_eq!(created["providerId"], "key-1", "{created}");
    assert_eq!(counts(&env), (1, 0));

    env.provider.revoke_access_tokens();
    let (status, me) = env.proxy("alice", Method::GET, BODY, "/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["output"]["id"], "key-1", "{me}");
    assert_eq!(counts(&env), (1, 1));
    let refresh = env.provider.stats().last_token_request.unwrap();
    assert_eq!(refresh.path, "/auth/session/refresh");
    assert_eq!(refresh.header("content-type"), Some("application/json"));
    let body = last_body(&env);
    let sent = body["refresh_token"].as_str().unwrap();
    assert!(sent.starts_with("tl_sr_"), "{body}");
    assert_eq!(
        body.as_object().unwrap().len(),
        1,
        "only the refresh token: {body}"
    );

    // The login's cookies outlive the renewal, whose answer set none.
    let (status, echo) = env.proxy("alice", Method::GET, BODY, "/echo").await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(
        echo["output"]["headers"]["cookie"], "tl_node=node-1; tl_account=key-1",
        "{echo}"
    );
}

/// Task Lab's refresh tokens are single-use: a second renewal works only with the one the
/// first renewal's answer carried, so it must have been stored.
#[tokio::test]
async fn each_renewal_stores_the_rotated_refresh_token() {
    let env = renew_env(FakeProvider::builder().access_token_ttl(Duration::from_secs(1))).await;
    connect(&env, BODY, "bob").await;
    let mut used = Vec::new();
    for round in 1..=2 {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let (status, me) = env.proxy("bob", Method::GET, BODY, "/me").await;
        assert_eq!(status, 200, "round {round}: {me}");
        assert_eq!(counts(&env), (1, round), "round {round}");
        used.push(last_body(&env)["refresh_token"].clone());
    }
    assert_ne!(used[0], used[1]);
}

/// A refresh the provider refuses is final, as in Nango: the key is not exchanged again, and
/// the credential is marked invalid until the user reconnects.
#[tokio::test]
async fn a_refused_refresh_invalidates_the_credential_without_exchanging_again() {
    let env = renew_env(FakeProvider::builder()).await;
    connect(&env, BODY, "carol").await;
    env.provider.revoke_refresh_tokens();
    env.provider.revoke_access_tokens();
    let (status, body) = env.proxy("carol", Method::GET, BODY, "/me").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "credential_invalid", "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("the token refresh answered 401 Unauthorized"),
        "{body}"
    );
    assert_eq!(counts(&env), (1, 1));
}

/// `[auth.refresh]` with `headers` only: sent to the exchange's URL with an empty body and
/// the refresh token as a bearer, in place of the exchange's own headers.
#[tokio::test]
async fn refresh_headers_replace_the_exchanges_and_carry_the_refresh_token() {
    let env = renew_env(FakeProvider::builder()).await;
    connect(&env, BEARER, "dave").await;
    let exchange = env.provider.stats().last_token_request.unwrap();
    assert_eq!(exchange.header("x-tasklab-client"), Some("paragon"));

    env.provider.revoke_access_tokens();
    let (status, me) = env.proxy("dave", Method::GET, BEARER, "/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(counts(&env), (1, 1));
    let refresh = env.provider.stats().last_token_request.unwrap();
    assert_eq!(refresh.path, "/auth/session");
    let authorization = refresh.header("authorization").unwrap();
    assert!(
        authorization.starts_with("Bearer tl_sr_"),
        "{authorization}"
    );
    assert_eq!(refresh.header("x-tasklab-client"), None);
    assert_eq!(last_body(&env), json!({}));
}

/// The refresh token is sealed at rest like an OAuth one: the SQLite file never holds it.
#[tokio::test]
async fn the_refresh_token_is_not_stored_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let env = start_with(FakeProvider::builder(), |b| {
        b.specs(specs().join("tasklab-renew"))
            .database_url(path.display().to_string())
    })
    .await;
    connect(&env, BODY, "erin").await;
    env.provider.revoke_access_tokens();
    let (status, _) = env.proxy("erin", Method::GET, BODY, "/me").await;
    assert_eq!(status, 200);
    drop(env);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(6).any(|w| w == b"tl_sr_"),
            "a refresh token in the clear"
        );
    }
}
