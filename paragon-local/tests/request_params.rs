//! What the authorization and token requests send, end to end against Task Lab (issue 15).
//! Client credentials whose token request names an audience (alternatives: the user's
//! metadata, else Task Lab's API) and an optional organization, left out when the user leaves
//! it empty:
//! Task Lab refuses an empty or unknown organization and a wrong audience. And an
//! authorization screen that is a single-page app routed by the URL's fragment: the flow's
//! query goes after the route, where the page's script reads it.

use crate::common;

use common::*;
use paragon_fake_provider::{AUTHORIZE_ROUTE, FakeProvider, ORGANIZATIONS};
use reqwest::Method;
use serde_json::{Value, json};

const AUDIENCE: &str = "custom.tasklabaudience";
const SPA: &str = "custom.tasklabapp";

async fn audience_env() -> Env {
    start_with(FakeProvider::builder(), |b| {
        b.specs(specs().join("tasklab-audience"))
            .specs(specs().join("tasklab-spa"))
    })
    .await
}

async fn connect(env: &Env, user: &str, extra: Value) -> (u16, Value) {
    let mut payload = json!({
        "client_id": env.provider.client_id(),
        "client_secret": env.provider.client_secret(),
    });
    for (k, v) in extra.as_object().unwrap() {
        payload[k] = v.clone();
    }
    env.call(
        user,
        Method::POST,
        &env.project("/sdk/credentials"),
        Some(json!({ "integrationId": env.id(AUDIENCE), "payload": payload })),
        &[],
    )
    .await
}

/// Sets the user's metadata `audience`, as a developer does with `PATCH /sdk/me`.
async fn set_audience(env: &Env, user: &str, audience: &str) {
    let (status, body) = env
        .call(
            user,
            Method::PATCH,
            &env.project("/sdk/me"),
            Some(json!({ "meta": { "audience": audience } })),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The parameters of the last token request Task Lab received (a JSON object).
fn last_token_params(env: &Env) -> serde_json::Map<String, Value> {
    let request = env
        .provider
        .stats()
        .last_token_request
        .expect("a token request");
    serde_json::from_slice(&request.body).expect("a JSON token request")
}

#[tokio::test]
async fn an_empty_organization_is_left_out_and_the_audience_falls_back() {
    let env = audience_env().await;
    let (status, created) = connect(&env, "alice", json!({ "organization": "" })).await;
    assert_eq!(status, 200, "{created}");
    let params = last_token_params(&env);
    assert_eq!(params["grant_type"], "client_credentials", "{params:?}");
    assert_eq!(
        params["audience"],
        format!("{}/v1", env.provider.url()),
        "{params:?}"
    );
    assert!(!params.contains_key("organization"), "{params:?}");
    let (status, me) = env.proxy("alice", Method::GET, AUDIENCE, "/me").await;
    assert_eq!(status, 200, "{me}");
}

#[tokio::test]
async fn a_given_organization_and_audience_are_sent() {
    let env = audience_env().await;
    let audience = format!("{}/v1", env.provider.url());
    let organization = ORGANIZATIONS[0];
    set_audience(&env, "bob", &audience).await;
    let (status, created) = connect(&env, "bob", json!({ "organization": organization })).await;
    assert_eq!(status, 200, "{created}");
    let params = last_token_params(&env);
    assert_eq!(params["organization"], organization, "{params:?}");
    assert_eq!(params["audience"], audience, "{params:?}");
    let (status, me) = env.proxy("bob", Method::GET, AUDIENCE, "/me").await;
    assert_eq!(status, 200, "{me}");
    // Renewing sends the same parameters, the user's metadata included.
    env.provider.revoke_access_tokens();
    let (status, me) = env.proxy("bob", Method::GET, AUDIENCE, "/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(env.provider.stats().token_requests.client_credentials, 2);
    let params = last_token_params(&env);
    assert_eq!(params["organization"], organization, "{params:?}");
    assert_eq!(params["audience"], audience, "{params:?}");
}

#[tokio::test]
async fn the_first_alternative_with_a_value_wins_and_task_lab_judges_it() {
    let env = audience_env().await;
    // The user's audience comes before the fallback: a wrong one is sent, and refused.
    set_audience(&env, "carol", "https://elsewhere.example/v1").await;
    let (status, refused) = connect(&env, "carol", json!({})).await;
    // Task Lab calls the request invalid (not the client), which the server reports as the
    // provider's error.
    assert_eq!(status, 502, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("unknown audience `https://elsewhere.example/v1`"),
        "{refused}"
    );
    set_audience(&env, "carol", &format!("{}/v1", env.provider.url())).await;
    let (status, refused) = connect(&env, "carol", json!({ "organization": "org_none" })).await;
    assert_eq!(status, 502, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no organization named `org_none`"),
        "{refused}"
    );
    let (_, creds) = env
        .call(
            "carol",
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await;
    assert_eq!(creds, json!([]), "nothing is stored for refused values");
}

#[tokio::test]
async fn a_user_connects_through_a_single_page_apps_fragment_route() {
    let env = audience_env().await;
    let url = format!(
        "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={}",
        env.server.url(),
        env.server.project_id(),
        env.id(SPA)
    );
    let (status, body) = env.call("dana", Method::GET, &url, None, &[]).await;
    assert_eq!(status, 200, "build-oauth: {body}");
    let authorize = url::Url::parse(body["redirectUrl"].as_str().unwrap()).unwrap();
    assert_eq!(authorize.path(), "/app/", "{authorize}");
    assert_eq!(
        authorize.query(),
        None,
        "the query is in the fragment: {authorize}"
    );
    let fragment = authorize.fragment().expect("a fragment route");
    let (route, query) = fragment.split_once('?').expect("a query after the route");
    assert_eq!(route, AUTHORIZE_ROUTE);
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    for name in [
        "response_type",
        "client_id",
        "redirect_uri",
        "state",
        "code_challenge",
    ] {
        assert!(names.contains(&name), "{name} in {fragment}");
    }

    // The page a browser loads (without the fragment, which browsers keep to themselves)...
    let mut page_url = authorize.clone();
    page_url.set_fragment(None);
    let page = env.http.get(page_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("location.hash"), "{page}");
    // ...then goes where its script sends it: the consent page with the fragment's query.
    let consent = format!("{}/oauth/authorize?{query}", env.provider.url());
    let res = env.http.get(consent).send().await.unwrap();
    let (status, page) = env.confirm_in_browser(res, "allow").await;
    assert!(status.is_success(), "{status} {page}");
    assert!(page.contains("Connected"), "{page}");
    let (status, me) = env.proxy("dana", Method::GET, SPA, "/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["output"]["id"], "ada", "{me}");
}

#[tokio::test]
async fn a_user_connects_to_a_provider_that_names_the_code_auth_code() {
    let env = start_with(FakeProvider::builder().response_type("auth_code"), |b| {
        b.specs(specs().join("tasklab-authcode"))
    })
    .await;
    env.connect_oauth("erin", "custom.tasklabauthcode").await;
    let (status, me) = env
        .proxy("erin", Method::GET, "custom.tasklabauthcode", "/me")
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["output"]["id"], "ada", "{me}");
}

#[tokio::test]
async fn each_authorization_carries_a_fresh_nonce() {
    let env = start_with(FakeProvider::builder().require_nonce("nonce"), |b| {
        b.specs(specs().join("tasklab-nonce"))
    })
    .await;
    // Task Lab refuses a missing, short or repeated nonce: two connections pass.
    env.connect_oauth("finn", "custom.tasklabnonce").await;
    env.connect_oauth("gail", "custom.tasklabnonce").await;
    let (status, me) = env
        .proxy("gail", Method::GET, "custom.tasklabnonce", "/me")
        .await;
    assert_eq!(status, 200, "{me}");
    let url = format!(
        "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={}",
        env.server.url(),
        env.server.project_id(),
        env.id("custom.tasklabnonce")
    );
    let nonce = |body: Value| {
        let url = url::Url::parse(body["redirectUrl"].as_str().unwrap()).unwrap();
        url.query_pairs()
            .find(|(k, _)| k == "nonce")
            .map(|(_, v)| v.into_owned())
            .expect("a nonce")
    };
    let (_, first) = env.call("finn", Method::GET, &url, None, &[]).await;
    let (_, second) = env.call("finn", Method::GET, &url, None, &[]).await;
    let (first, second) = (nonce(first), nonce(second));
    assert_ne!(first, second);
    assert!(first.len() >= 22, "{first}");
}

/// Task Lab's OAuth with the account chosen by `login_hint`: the user's metadata, else `ada`.
const LOGIN_HINT: &str = r##"name = "Task Lab Hinted"
description = "Task Lab whose authorization request hints the account."
icon = "icon.svg"
color = "#334155"

[auth]
type = "oauth"
authorization_url = "{env.TASKLAB_URL}/oauth/authorize"
token_url = "{env.TASKLAB_URL}/oauth/token"
client_id = "{env.TASKLAB_CLIENT_ID}"
client_secret = "{env.TASKLAB_CLIENT_SECRET}"
scopes = ["tasks:read"]
pkce = true

[auth.authorization_params]
login_hint = ["{user.account}", "ada"]

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##;

#[tokio::test]
async fn the_authorization_request_reads_the_users_metadata() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.manifest(manifest(LOGIN_HINT))
    })
    .await;
    let (status, body) = env
        .call(
            "hana",
            Method::PATCH,
            &env.project("/sdk/me"),
            Some(json!({ "meta": { "account": "grace" } })),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    env.connect_oauth("hana", "custom.tasklabhinted").await;
    env.connect_oauth("ivan", "custom.tasklabhinted").await;
    // Task Lab approves as the hinted account: the metadata's, else the fallback.
    let (_, me) = env
        .proxy("hana", Method::GET, "custom.tasklabhinted", "/me")
        .await;
    assert_eq!(me["output"]["id"], "grace", "{me}");
    let (_, me) = env
        .proxy("ivan", Method::GET, "custom.tasklabhinted", "/me")
        .await;
    assert_eq!(me["output"]["id"], "ada", "{me}");
}
