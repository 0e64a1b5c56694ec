//! `[auth]` URL alternatives and a callback value held to `one_of`: a provider with data
//! centres (Zoho's shape) sends the browser back with the accounts server to exchange the code
//! at. A listed server gets the code and, later, the refresh; an unlisted one fails the
//! connection before any token request, with nothing stored.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;

const SLUG: &str = "custom.tasklabaccounts";

async fn credentials(env: &Env, user: &str) -> serde_json::Value {
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
    list
}

#[tokio::test]
async fn a_listed_accounts_server_exchanges_the_code_and_refreshes() {
    // No region chosen: the global authorization URL, then the redirect's accounts server.
    let provider = FakeProvider::builder().callback_token_server("accounts-server", None);
    let env = start_with(provider, |b| b.specs(specs().join("tasklab-accounts"))).await;
    env.connect_oauth("alice", SLUG).await;
    assert_eq!(env.provider.stats().token_requests.authorization_code, 1);

    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");

    // The API refuses the token: the refresh goes to the accounts server kept from the
    // redirect, which the token URL's second alternative names.
    env.provider.revoke_access_tokens();
    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(env.provider.stats().token_requests.refresh_token, 1);
}

#[tokio::test]
async fn an_unlisted_accounts_server_fails_the_connection_and_gets_nothing() {
    let evil = FakeProvider::default()
        .start()
        .await
        .expect("second provider");
    let provider = FakeProvider::builder()
        .callback_token_server("accounts-server", Some(evil.url().to_string()));
    let env = start_with(provider, |b| b.specs(specs().join("tasklab-accounts"))).await;
    let url = format!(
        "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={}",
        env.server.url(),
        env.server.project_id(),
        env.id(SLUG)
    );
    let (status, body) = env.call("alice", Method::GET, &url, None, &[]).await;
    assert_eq!(status, 200, "build-oauth: {body}");
    let res = env
        .http
        .get(body["redirectUrl"].as_str().expect("redirectUrl"))
        .send()
        .await
        .expect("authorize");
    let (status, page) = env.confirm_in_browser(res, "allow").await;
    assert_eq!(status, 400, "{page}");
    assert!(
        page.contains("`accounts-server` the integration does not allow"),
        "{page}"
    );
    assert!(
        !page.contains(evil.url()),
        "the refused value is not echoed: {page}"
    );

    // No token request anywhere, and no credential.
    let asked = |p: &paragon_fake_provider::RunningProvider| {
        let t = p.stats().token_requests;
        t.authorization_code + t.refresh_token + t.other
    };
    assert_eq!(asked(&evil), 0);
    assert_eq!(asked(&env.provider), 0);
    assert_eq!(credentials(&env, "alice").await, serde_json::json!([]));
}

#[tokio::test]
async fn a_callback_subdomain_must_be_one_dns_label() {
    for (realm, connects) in [("eu-2", true), ("evil.example", false)] {
        let provider = FakeProvider::builder()
            .code_param("auth_code")
            .callback_realm(realm);
        // Task Lab Realms holds the realm to one DNS label (`kind = "subdomain"`).
        let env = start_with(provider, |b| b.specs(specs().join("tasklab-realm"))).await;
        let url = format!(
            "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={}",
            env.server.url(),
            env.server.project_id(),
            env.id("custom.tasklabrealms")
        );
        let (_, body) = env.call("alice", Method::GET, &url, None, &[]).await;
        let res = env
            .http
            .get(body["redirectUrl"].as_str().expect("redirectUrl"))
            .send()
            .await
            .expect("authorize");
        let (status, page) = env.confirm_in_browser(res, "allow").await;
        let stored = credentials(&env, "alice").await;
        if connects {
            assert!(page.contains("Connected"), "{page}");
            assert_eq!(stored.as_array().map(Vec::len), Some(1), "{stored}");
        } else {
            assert_eq!(status, 400, "{page}");
            assert!(
                page.contains("`realm` the integration does not allow"),
                "{page}"
            );
            assert_eq!(stored, serde_json::json!([]));
            assert_eq!(env.provider.stats().token_requests.authorization_code, 0);
        }
    }
}
