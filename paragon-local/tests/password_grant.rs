//! `grant = "password"` end to end: the user's Task Lab username and password become tokens at
//! connect time (wrong ones are refused and nothing is stored), requests carry the token, and
//! the refresh token renews it when Task Lab stops accepting it.

mod common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;
use serde_json::{Value, json};

const SLUG: &str = "custom.tasklabpassword";

async fn connect(env: &Env, user: &str, username: &str, password: &str) -> (u16, Value) {
    env.call(
        user,
        Method::POST,
        &env.project("/sdk/credentials"),
        Some(json!({
            "integrationId": env.id(SLUG),
            "payload": {"username": username, "password": password},
        })),
        &[],
    )
    .await
}

async fn password_env() -> Env {
    let provider = FakeProvider::builder().resource_owner("grace", "hopper-1906");
    start_with(provider, |b| b.specs(specs().join("tasklab-password"))).await
}

#[tokio::test]
async fn the_users_password_becomes_tokens_that_refresh() {
    let env = password_env().await;
    let (status, created) = connect(&env, "alice", "grace", "hopper-1906").await;
    assert_eq!(status, 200, "{created}");
    assert!(!created.to_string().contains("hopper-1906"), "{created}");
    assert_eq!(env.provider.stats().token_requests.password, 1);
    let form = env.provider.stats().last_token_request.unwrap();
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&form.body)
        .into_owned()
        .collect();
    assert!(
        fields.contains(&("grant_type".into(), "password".into())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("username".into(), "grace".into())),
        "{fields:?}"
    );

    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["output"]["id"], "grace", "{me}");

    // Task Lab forgets the access token: the refresh token renews it, no password is sent.
    env.provider.revoke_access_tokens();
    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(env.provider.stats().token_requests.refresh_token, 1);
    assert_eq!(env.provider.stats().token_requests.password, 1);
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_nothing_is_stored() {
    let env = password_env().await;
    let (status, refused) = connect(&env, "bob", "grace", "wrong").await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("wrong password"),
        "{refused}"
    );
    let (_, creds) = env
        .call(
            "bob",
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await;
    assert_eq!(creds, json!([]));
}
