//! Token refresh under faults: callers that give up, provider outages, providers that keep
//! answering 401. Everything runs against Task Lab's rotating refresh tokens.

use crate::common;

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

#[tokio::test]
async fn a_token_endpoint_outage_is_retried_later_not_marked_invalid() {
    let env = start().await;
    let id = env.connect_oauth("alice", "custom.tasklab").await;
    env.provider.revoke_access_tokens();
    env.provider
        .fail_next_token_requests(1, reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let (status, body) = env
        .proxy("alice", Method::GET, "custom.tasklab", "/me")
        .await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["meta"]["isIntegrationError"], true, "{body}");
    assert_eq!(status_of(&env, "alice", &id).await, "VALID");

    // Backing off: the next call does not ask the token endpoint again at once.
    let (status, body) = env
        .proxy("alice", Method::GET, "custom.tasklab", "/me")
        .await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("next attempt"),
        "{body}"
    );
    assert_eq!(env.provider.stats().token_requests.refresh_token, 1);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = env
        .proxy("alice", Method::GET, "custom.tasklab", "/me")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(env.provider.stats().token_requests.refresh_token, 2);
}

#[tokio::test]
async fn server_errors_and_invalid_client_are_told_apart() {
    let env = start().await;
    let id = env.connect_oauth("alice", "custom.tasklab").await;
    env.provider.revoke_access_tokens();
    // 500 `server_error`: transient.
    env.provider
        .fail_next_token_requests(1, reqwest::StatusCode::INTERNAL_SERVER_ERROR);
    let (status, body) = env
        .proxy("alice", Method::GET, "custom.tasklab", "/me")
        .await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(status_of(&env, "alice", &id).await, "VALID");
    // 401 `invalid_client`: final.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    env.provider
        .fail_next_token_requests(1, reqwest::StatusCode::UNAUTHORIZED);
    let (status, body) = env
        .proxy("alice", Method::GET, "custom.tasklab", "/me")
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "credential_invalid", "{body}");
    assert_eq!(status_of(&env, "alice", &id).await, "INVALID");
}

#[tokio::test]
async fn a_provider_that_keeps_answering_401_costs_one_refresh() {
    let env = start().await;
    env.connect_oauth("alice", "custom.tasklab").await;
    env.provider
        .fail_next(20, reqwest::StatusCode::UNAUTHORIZED);
    for _ in 0..5 {
        let (status, body) = env
            .proxy("alice", Method::GET, "custom.tasklab", "/me")
            .await;
        assert_eq!(status, 401, "{body}");
    }
    assert_eq!(env.provider.stats().token_requests.refresh_token, 1);
}

/// The year of an RFC 3339 date.
fn year(date: &serde_json::Value) -> i64 {
    date.as_str()
        .and_then(|d| d.get(..4))
        .and_then(|y| y.parse().ok())
        .unwrap_or_else(|| panic!("not a date: {date}"))
}

#[tokio::test]
async fn absurd_expires_in_values_are_capped_and_every_answer_still_renders() {
    for expires_in in [u64::MAX, 1_000_000_000_000] {
        let env = start_with(
            FakeProvider::builder().advertise_expires_in(expires_in),
            |b| b,
        )
        .await;
        let id = env.connect_oauth("alice", "custom.tasklab").await;
        let (status, c) = env
            .call(
                "alice",
                Method::GET,
                &env.project(&format!("/sdk/credentials/{id}")),
                None,
                &[],
            )
            .await;
        assert_eq!(status, 200, "{c}");
        let this_year = year(&serde_json::json!(
            humantime::format_rfc3339(std::time::SystemTime::now()).to_string()
        ));
        // Capped at a year: renewed yearly, and always a date that can be written.
        assert!(
            year(&c["dateValidUntil"]) <= this_year + 1,
            "{expires_in}: {c}"
        );
        for path in ["/sdk/credentials", "/sdk/me"] {
            let (status, body) = env
                .call("alice", Method::GET, &env.project(path), None, &[])
                .await;
            assert_eq!(status, 200, "{path}: {body}");
        }
        let (status, body) = env
            .proxy("alice", Method::GET, "custom.tasklab", "/me")
            .await;
        assert_eq!(status, 200, "{body}");
    }
}
