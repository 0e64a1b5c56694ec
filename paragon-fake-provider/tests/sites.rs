//! Sites known after connecting: `GET /oauth/metadata` says where an account lives, and the
//! API under `/sites/{site}/v1` answers that account only.

mod common;

use common::client;
use paragon_fake_provider::{FakeProvider, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn metadata_names_the_site_that_serves_the_account() {
    let provider = FakeProvider::builder()
        .api_keys(["key-one", "key-two"])
        .start()
        .await
        .unwrap();
    let http = client();
    let metadata: Value = http
        .get(format!("{}/oauth/metadata", provider.url()))
        .header("X-Api-Key", "key-two")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        metadata,
        json!({"site": "site-key-2", "account": {"id": "key-2", "name": "API key 2"}})
    );

    let on_site = |site: &str, key: &str| {
        http.post(format!("{}/sites/{site}/v1/tasks", provider.url()))
            .header("X-Api-Key", key.to_owned())
            .json(&json!({"title": "On its site"}))
            .send()
    };
    let created = on_site("site-key-2", "key-two").await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let task: Value = created.json().await.unwrap();
    let one = http
        .get(format!(
            "{}/sites/site-key-2/v1/tasks/{}",
            provider.url(),
            task["id"].as_str().unwrap()
        ))
        .header("X-Api-Key", "key-two")
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), StatusCode::OK, "a task route under a site");

    let elsewhere = on_site("site-key-1", "key-two").await.unwrap();
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
    let body: Value = elsewhere.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_site");

    let anonymous = http
        .get(format!("{}/sites/site-key-2/v1/me", provider.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let no_token = http
        .get(format!("{}/oauth/metadata", provider.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
}
