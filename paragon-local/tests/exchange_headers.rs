//! `capture_headers` end to end: Task Lab's session answer sets cookies, which the local
//! server keeps with the credential and sends back with every API call, as SAP Business One's
//! Service Layer needs.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;
use serde_json::json;

const SLUG: &str = "custom.tasklabcookies";

#[tokio::test]
async fn the_exchanges_cookies_go_with_every_call() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.specs(specs().join("tasklab-cookies"))
    })
    .await;
    let key = env.provider.api_keys()[0].to_string();
    let (status, created) = env
        .call(
            "alice",
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(json!({"integrationId": env.id(SLUG), "payload": {"api_key": key}})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert!(!created.to_string().contains("tl_node"), "{created}");
    let (status, echo) = env.proxy("alice", Method::GET, SLUG, "/echo").await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(
        echo["output"]["headers"]["cookie"], "tl_node=node-1; tl_account=key-1",
        "{echo}"
    );

    // Exchanged again after a 401 (a new login), the answer's cookies are kept again.
    env.provider.revoke_access_tokens();
    let (status, echo) = env.proxy("alice", Method::GET, SLUG, "/echo").await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(env.provider.stats().token_requests.session, 2);
    assert_eq!(
        echo["output"]["headers"]["cookie"], "tl_node=node-1; tl_account=key-1",
        "{echo}"
    );
}
