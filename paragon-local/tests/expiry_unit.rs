//! `expires_in_unit = "milliseconds"` end to end: Task Lab answers `expires_in` in
//! milliseconds (as Fiserv does), and the local server renews the token before that lifetime
//! runs out instead of believing it lasts a thousand times longer.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

const SLUG: &str = "custom.tasklabmilliseconds";

#[tokio::test]
async fn a_lifetime_in_milliseconds_is_renewed_before_the_api_refuses_it() {
    let provider = FakeProvider::builder()
        .expires_in_milliseconds(true)
        .access_token_ttl(Duration::from_secs(2));
    let env = start_with(provider, |b| b.specs(specs().join("tasklab-millis"))).await;
    let payload = json!({
        "client_id": env.provider.client_id(),
        "client_secret": env.provider.client_secret(),
    });
    let (status, created) = env
        .call(
            "alice",
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(json!({"integrationId": env.id(SLUG), "payload": payload})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");
    let stats = env.provider.stats();
    assert_eq!(stats.token_requests.client_credentials, 2);
    // Renewed ahead: Task Lab never saw the expired token (read as 2,000 seconds, it would
    // have been sent, refused with 401, and the call retried).
    assert_eq!(stats.api_calls, 2);
}
