//! The SDK against a hostile or huge answer: it follows no redirect and reads bounded bodies.

use crate::common;

use common::*;
use paragon_sdk::{Error, Method, Paragon, SigningKey};
use serde_json::json;

fn sdk(env: &Env, max_body: Option<usize>) -> Paragon {
    let mut builder = Paragon::builder()
        .ignore_env()
        .project_id(env.server.project_id())
        .signing_key(SigningKey::from_pem(env.server.signing_key_pem().unwrap()).unwrap())
        .base_url(env.server.url());
    if let Some(limit) = max_body {
        builder = builder.max_response_body(limit);
    }
    builder.build().unwrap()
}

async fn connect_keys(env: &Env, user: &str) {
    let (status, body) = env
        .call(
            user,
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(json!({
                "integrationId": env.id("custom.tasklabkeys"),
                "payload": { "api_key": env.provider.api_keys()[0] }
            })),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_provider_redirect_into_another_integration_is_not_followed() {
    let env = start().await;
    connect_keys(&env, "alice").await;
    // Alice also has the OAuth integration: a followed redirect would reach it with her token.
    env.connect_oauth("alice", "custom.tasklab").await;
    let other = format!(
        "/projects/{}/sdk/proxy/custom.tasklab/echo/stolen",
        env.server.project_id()
    );
    let calls_before = env.provider.stats().api_calls;
    let err = sdk(&env, None)
        .user("alice")
        .request("custom.tasklabkeys", Method::POST, "/redirect")
        .query(&[("status", "307"), ("location", other.as_str())])
        .raw()
        .json(&json!({"secret": "body"}))
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::Provider {
            status, headers, ..
        } => {
            assert_eq!(status.as_u16(), 307);
            assert_eq!(
                headers.get("location").and_then(|v| v.to_str().ok()),
                Some(other.as_str())
            );
        }
        other => panic!("expected the 307 as a provider answer, got {other:?}"),
    }
    // Only the redirecting call reached Task Lab.
    assert_eq!(env.provider.stats().api_calls, calls_before + 1);
}

#[tokio::test]
async fn success_bodies_are_read_up_to_the_configured_limit() {
    let env = start().await;
    connect_keys(&env, "alice").await;
    let alice = sdk(&env, Some(4096)).user("alice");
    let small = alice
        .request("custom.tasklabkeys", Method::GET, "/bytes")
        .query(&[("size", "1000")])
        .raw()
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(small.len(), 1000);
    let big = alice
        .request("custom.tasklabkeys", Method::GET, "/bytes")
        .query(&[("size", "100000")])
        .raw()
        .send()
        .await
        .unwrap()
        .bytes()
        .await;
    assert!(
        matches!(big, Err(Error::BodyTooLarge { limit: 4096 })),
        "{:?}",
        big.map(|b| b.len())
    );
    // The typed API calls are bounded too.
    let err = sdk(&env, Some(16))
        .user("alice")
        .credentials()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BodyTooLarge { limit: 16 }), "{err:?}");
}
