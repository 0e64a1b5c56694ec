//! Other grants on a `client_credentials` setup, end to end. `grant = "password"`: the user's
//! Task Lab username and password become tokens at connect time (wrong ones are refused and
//! nothing is stored), requests carry the token, and the refresh token renews it when Task
//! Lab stops accepting it. `grant = "refresh_token"`: a refresh token the user pasted
//! connects, and the rotated one Task Lab issues replaces it.

use crate::common;

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

/// A refresh token for Task Lab's default user, as a user would copy it from the provider:
/// the authorization code flow run directly against Task Lab (which approves by itself here).
async fn refresh_token_from_task_lab(env: &Env) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect_uri = "http://127.0.0.1:9/callback";
    let approved = http
        .get(format!("{}/oauth/authorize", env.provider.url()))
        .query(&[
            ("response_type", "code"),
            ("client_id", env.provider.client_id()),
            ("redirect_uri", redirect_uri),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    let location = approved.headers()["location"].to_str().unwrap().to_owned();
    let code = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {location}"));
    let tokens: Value = http
        .post(format!("{}/oauth/token", env.provider.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri),
            ("client_id", env.provider.client_id()),
            ("client_secret", env.provider.client_secret()),
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

const PASTED: &str = r##"name = "Task Lab Pasted"
description = "Task Lab connected with a refresh token the user pasted."
icon = "icon.svg"
color = "#6D28D9"

[auth]
type = "client_credentials"
grant = "refresh_token"
token_url = "{env.TASKLAB_URL}/oauth/token"
client_id = "{env.TASKLAB_CLIENT_ID}"
client_secret = "{env.TASKLAB_CLIENT_SECRET}"
refresh_token = "{input.refresh_token}"

[[inputs]]
key = "refresh_token"
label = "Refresh token"
kind = "password"

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##;

#[tokio::test]
async fn a_pasted_refresh_token_connects_and_its_rotations_are_kept() {
    let env = start_with(FakeProvider::builder(), |b| b.manifest(manifest(PASTED))).await;
    let pasted = refresh_token_from_task_lab(&env).await;
    let (status, created) = env
        .call(
            "carol",
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(json!({
                "integrationId": env.id("custom.tasklabpasted"),
                "payload": {"refresh_token": pasted},
            })),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(env.provider.stats().token_requests.refresh_token, 1);
    let (status, me) = env
        .proxy("carol", Method::GET, "custom.tasklabpasted", "/me")
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["output"]["auth"], "oauth", "{me}");

    // Task Lab rotated the pasted token away: renewing uses the one it issued instead.
    env.provider.revoke_access_tokens();
    let (status, me) = env
        .proxy("carol", Method::GET, "custom.tasklabpasted", "/me")
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(env.provider.stats().token_requests.refresh_token, 2);
}
