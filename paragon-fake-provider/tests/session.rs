//! `POST /auth/session`: the session's single-use refresh token (in a body at
//! `/auth/session/refresh`, or as a bearer at `/auth/session`), and the login's cookies.

mod common;

use common::client;
use paragon_fake_provider::{FakeProvider, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn a_session_refresh_token_renews_once_either_way() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let http = client();
    let key = provider.api_keys()[0].to_string();
    let session = http
        .post(format!("{}/auth/session", provider.url()))
        .json(&json!({ "api_key": key }))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), StatusCode::OK);
    let cookies: Vec<String> = session
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        cookies,
        [
            "tl_node=node-1; Path=/; HttpOnly",
            "tl_account=key-1; Path=/; Secure"
        ]
    );
    let body: Value = session.json().await.unwrap();
    let first = body["session"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let by_body = |token: String| {
        http.post(format!("{}/auth/session/refresh", provider.url()))
            .json(&json!({ "refresh_token": token }))
            .send()
    };
    let renewed = by_body(first.clone()).await.unwrap();
    assert_eq!(renewed.status(), StatusCode::OK);
    assert!(
        renewed.headers().get("set-cookie").is_none(),
        "a renewal sets no cookie"
    );
    let renewed: Value = renewed.json().await.unwrap();
    let second = renewed["session"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
    // Used up.
    let again = by_body(first).await.unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);

    let by_bearer = |token: &str| {
        http.post(format!("{}/auth/session", provider.url()))
            .bearer_auth(token)
            .json(&json!({}))
            .send()
    };
    assert_eq!(by_bearer(&second).await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        by_bearer(&second).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let stats = provider.stats().token_requests;
    assert_eq!((stats.session, stats.session_refresh), (1, 4));
}
