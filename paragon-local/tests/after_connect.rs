//! `[[auth.after_connect]]` end to end: right after a user connects, the server GETs Task
//! Lab's `/oauth/metadata` with the new credential, keeps the account's site for the base URL
//! and its id as the credential's providerId; an answer without the values refuses the
//! connection and stores nothing.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;
use serde_json::{Value, json};

const SLUG: &str = "custom.tasklabsites";

async fn credentials(env: &Env, user: &str) -> Vec<Value> {
    let (status, list) = env
        .call(
            user,
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200, "{list}");
    list.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_site_read_after_connecting_forms_the_base_url_and_the_account_id_is_reported() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.specs(specs().join("tasklab-sites"))
    })
    .await;
    env.connect_oauth("alice", SLUG).await;

    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");
    let account = me["output"]["id"].as_str().expect("account id").to_owned();
    let call = env.provider.stats().last_api_request.expect("a call");
    assert_eq!(call.path, format!("/sites/site-{account}/v1/me"));

    let listed = credentials(&env, "alice").await;
    let credential = listed
        .iter()
        .find(|c| c["integrationType"] == SLUG)
        .expect("the credential");
    assert_eq!(credential["providerId"], account.as_str(), "{credential}");
    assert!(
        !credential.to_string().contains("site-"),
        "the captured value stays in the secret: {credential}"
    );
}

/// An API-key integration whose after-connect request points at a value Task Lab's answer
/// does not have.
fn keys_reading(pointer: &str) -> String {
    format!(
        r##"
name = "Task Lab Key Sites"
description = "Task Lab with an API key and a site read after connecting."
icon = "icon.svg"
color = "#0F766E"

[auth]
type = "api_key"

[[auth.after_connect]]
url = "{{env.TASKLAB_URL}}/oauth/metadata"
capture = {{ site = "{pointer}" }}

[[inputs]]
key = "api_key"
label = "API key"
kind = "password"

[api]
base_url = "{{env.TASKLAB_URL}}/sites/{{credential.site}}/v1"
test_endpoint = "/me"
authorization = {{ type = "headers", headers = {{ "X-Api-Key" = "{{input.api_key}}" }} }}
"##
    )
}

async fn connect_key(env: &Env, user: &str) -> (u16, Value) {
    let key = env.provider.api_keys()[0].to_string();
    env.call(
        user,
        Method::POST,
        &env.project("/sdk/credentials"),
        Some(json!({
            "integrationId": env.id("custom.tasklabkeysites"),
            "payload": {"api_key": key},
        })),
        &[],
    )
    .await
}

#[tokio::test]
async fn an_api_key_connection_reads_its_site_with_the_key() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.manifest(manifest(&keys_reading("/site")))
    })
    .await;
    let (status, created) = connect_key(&env, "bob").await;
    assert_eq!(status, 200, "{created}");
    let (status, me) = env
        .proxy("bob", Method::GET, "custom.tasklabkeysites", "/me")
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["output"]["via"], "x-api-key", "{me}");
    let call = env.provider.stats().last_api_request.expect("a call");
    assert_eq!(call.path, "/sites/site-key-1/v1/me");
}

#[tokio::test]
async fn an_answer_without_the_value_refuses_the_connection_and_stores_nothing() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.manifest(manifest(&keys_reading("/region")))
    })
    .await;
    let (status, refused) = connect_key(&env, "carol").await;
    assert_eq!(status, 502, "{refused}");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("auth.after_connect[0]") && message.contains("`/region`"),
        "{refused}"
    );
    assert!(
        !message.contains(env.provider.api_keys()[0]),
        "no key in the message: {refused}"
    );
    assert!(credentials(&env, "carol").await.is_empty());
}
