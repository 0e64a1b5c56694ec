//! The end user's own OAuth app (a self-hosted product's, registered in their instance): the
//! client id and secret are inputs entered before the authorization, and serve the
//! authorization URL and the code exchange against Task Lab.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;
use serde_json::json;

const SLUG: &str = "custom.tasklabownapp";

const MANIFEST: &str = r##"name = "Task Lab Own App"
description = "Task Lab through an OAuth app the end user registered."
icon = "icon.svg"
color = "#6D28D9"

[auth]
type = "oauth"
authorization_url = "{env.TASKLAB_URL}/oauth/authorize"
token_url = "{env.TASKLAB_URL}/oauth/token"
client_id = "{input.client_id}"
client_secret = "{input.client_secret}"
scopes = ["tasks:read"]
pkce = true

[[inputs]]
key = "client_id"
label = "Client ID"

[[inputs]]
key = "client_secret"
label = "Client secret"
kind = "password"

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##;

/// The manifest in a folder of its own, with Task Lab's icon.
fn spec_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("integration.toml"), MANIFEST).expect("manifest");
    std::fs::copy(
        specs().join("tasklab").join("icon.svg"),
        dir.path().join("icon.svg"),
    )
    .expect("icon");
    dir
}

/// Starts the authorization with the user's client and follows it to the callback; returns
/// the authorization URL and the callback page.
async fn connect(env: &Env, user: &str, client_id: &str, secret: &str) -> (String, String) {
    let values = json!({ "client_id": client_id, "client_secret": secret }).to_string();
    let mut url = reqwest::Url::parse(&format!(
        "{}/v2/projects/{}/sdk/actions/build-oauth",
        env.server.url(),
        env.server.project_id()
    ))
    .unwrap();
    url.query_pairs_mut()
        .append_pair("action", "custom")
        .append_pair("integrationId", &env.id(SLUG))
        .append_pair("endUserSuppliedValues", &values);
    let (status, body) = env.call(user, Method::GET, url.as_str(), None, &[]).await;
    assert_eq!(status, 200, "build-oauth: {body}");
    let auth_url = body["redirectUrl"]
        .as_str()
        .expect("redirectUrl")
        .to_string();
    let res = env.http.get(&auth_url).send().await.expect("authorize");
    let (_, page) = env.confirm_in_browser(res, "allow").await;
    (auth_url, page)
}

#[tokio::test]
async fn a_user_connects_through_the_oauth_app_they_entered() {
    let dir = spec_dir();
    let env = start_with(FakeProvider::builder(), |b| b.specs(dir.path())).await;
    let (client_id, secret) = (
        env.provider.client_id().to_owned(),
        env.provider.client_secret().to_owned(),
    );
    let (auth_url, page) = connect(&env, "alice", &client_id, &secret).await;
    let sent = reqwest::Url::parse(&auth_url).unwrap();
    assert!(
        sent.query_pairs()
            .any(|(k, v)| k == "client_id" && v == client_id),
        "{auth_url}"
    );
    assert!(
        !auth_url.contains(&secret),
        "the secret never goes in a URL"
    );
    assert!(page.contains("Connected"), "{page}");
    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");

    // Another user's wrong secret: Task Lab refuses the exchange, and nothing is stored.
    let (_, page) = connect(&env, "bob", &client_id, "not-the-secret").await;
    assert!(!page.contains("Connected"), "{page}");
    let (_, creds) = env
        .call(
            "bob",
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await;
    assert_eq!(creds.as_array().map(Vec::len), Some(0), "{creds}");
}
