//! Token refresh under faults: callers that give up, provider outages, providers that keep
//! answering 401. Everything runs against Task Lab's rotating refresh tokens.

mod common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::{Method, StatusCode};
use std::time::Duration;

/// The credential's status as `/sdk/credentials/{id}` shows it.
async fn status_of(env: &Env, user: &str, id: &str) -> String {
    let (_, c) = env
        .call(
            user,
            Method::GET,
            &env.project(&format!("/sdk/credentials/{id}")),
            None,
            &[],
        )
        .await;
    c["status"].as_str().unwrap_or("?").to_string()
}

#[tokio::test]
async fn a_caller_that_disconnects_mid_refresh_does_not_lose_the_rotated_tokens() {
    let env = start_with(FakeProvider::builder().rotate_refresh_tokens(true), |b| b).await;
    let id = env.connect_oauth("alice", "custom.tasklab").await;
    env.provider.revoke_access_tokens();
    // The provider rotates the refresh token at once but answers only after 800 ms; the caller
    // gives up after 200 ms and closes its connection.
    env.provider
        .delay_next_token_responses(1, Duration::from_millis(800));
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let gave_up = impatient
        .get(env.project("/sdk/proxy/custom.tasklab/me"))
        .bearer_auth(env.token("alice"))
        .send()
        .await;
    assert!(gave_up.is_err(), "the caller should have timed out");
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let patient = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let res = patient
        .get(env.project("/sdk/proxy/custom.tasklab/me"))
        .bearer_auth(env.token("alice"))
        .send()
        .await
        .expect("second call");
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(status_of(&env, "alice", &id).await, "VALID");
    assert_eq!(env.provider.stats().token_requests.refresh_token, 1);
}
