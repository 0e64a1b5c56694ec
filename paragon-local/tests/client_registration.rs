//! `registration_url` (RFC 7591 dynamic client registration): each connection registers its
//! own OAuth client at Task Lab, and the issued client is used for the authorization, the code
//! exchange and every refresh, without its secret showing in what the API answers.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;
use std::collections::HashMap;

const SLUG: &str = "custom.tasklabregistered";

/// The form fields of Task Lab's last token request.
fn last_token_form(env: &Env) -> HashMap<String, String> {
    let request = env
        .provider
        .stats()
        .last_token_request
        .expect("a token request");
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

#[tokio::test]
async fn a_registered_client_connects_makes_requests_and_refreshes() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.specs(specs().join("tasklab-dcr"))
    })
    .await;
    env.connect_oauth("alice", SLUG).await;
    assert_eq!(env.provider.stats().registrations, 1);
    let exchange = last_token_form(&env);
    assert_eq!(exchange["grant_type"], "authorization_code");
    let client_id = exchange["client_id"].clone();
    let client_secret = exchange["client_secret"].clone();
    assert!(client_id.starts_with("tl_client_"), "{client_id}");
    assert_ne!(client_id, env.provider.client_id());

    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");

    // The API refuses the token: the credential is refreshed with the registered client.
    env.provider.revoke_access_tokens();
    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(env.provider.stats().token_requests.refresh_token, 1);
    let refresh = last_token_form(&env);
    assert_eq!(refresh["grant_type"], "refresh_token");
    assert_eq!(refresh["client_id"], client_id);
    assert_eq!(refresh["client_secret"], client_secret);

    // The issued secret stays inside the server.
    let (_, credentials) = env
        .call(
            "alice",
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await;
    assert!(
        !credentials.to_string().contains(&client_secret),
        "{credentials}"
    );
}

#[tokio::test]
async fn each_connection_registers_its_own_client() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.specs(specs().join("tasklab-dcr"))
    })
    .await;
    env.connect_oauth("alice", SLUG).await;
    let first = last_token_form(&env)["client_id"].clone();
    env.connect_oauth("bob", SLUG).await;
    let second = last_token_form(&env)["client_id"].clone();
    assert_eq!(env.provider.stats().registrations, 2);
    assert_ne!(first, second);
    let (status, me) = env.proxy("bob", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");
}

#[tokio::test]
async fn the_authorization_url_names_the_registered_client() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.specs(specs().join("tasklab-dcr"))
    })
    .await;
    let url = format!(
        "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={}",
        env.server.url(),
        env.server.project_id(),
        env.id(SLUG)
    );
    let (status, body) = env.call("alice", Method::GET, &url, None, &[]).await;
    assert_eq!(status, 200, "{body}");
    let authorize = url::Url::parse(body["redirectUrl"].as_str().unwrap()).unwrap();
    let params: HashMap<String, String> = authorize.query_pairs().into_owned().collect();
    assert!(params["client_id"].starts_with("tl_client_"), "{authorize}");
    assert!(!params.contains_key("client_secret"), "{authorize}");
    assert_eq!(env.provider.stats().registrations, 1);
}

#[tokio::test]
async fn a_refused_registration_is_reported_with_the_providers_answer() {
    let m = manifest(
        r##"name = "Task Lab Nowhere"
description = "A registration endpoint that does not exist."
icon = "icon.svg"
color = "#112233"

[auth]
type = "oauth"
authorization_url = "{env.TASKLAB_URL}/oauth/authorize"
token_url = "{env.TASKLAB_URL}/oauth/token"
registration_url = "{env.TASKLAB_URL}/oauth/nowhere"

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##,
    );
    let env = start_with(FakeProvider::builder(), |b| b.manifest(m)).await;
    let url = format!(
        "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={}",
        env.server.url(),
        env.server.project_id(),
        env.id("custom.tasklabnowhere")
    );
    let (status, body) = env.call("alice", Method::GET, &url, None, &[]).await;
    assert_eq!(status, 502, "{body}");
    assert!(
        body.to_string()
            .contains("the provider refused to register a client (404 Not Found)"),
        "{body}"
    );
    assert_eq!(env.provider.stats().registrations, 0);
}
