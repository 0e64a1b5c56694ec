//! Dynamic client registration (RFC 7591): a registered client goes through consent, the
//! code exchange and refresh with the client it was issued; bad metadata is refused by
//! field; codes and redirect URIs stay bound to the client that registered them.

mod common;

use common::*;
use paragon_fake_provider::{FakeProvider, RunningProvider};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn register(provider: &RunningProvider, metadata: Value) -> (StatusCode, Value) {
    let response = client()
        .post(provider.registration_url())
        .json(&metadata)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

/// POSTs a form to the token endpoint authenticated by `client_id`/`client_secret` in the
/// body (`client_secret_post`), as the registered clients here asked.
async fn post_token(provider: &RunningProvider, form: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(provider.token_url())
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Approves a consent page for `client_id` and returns the code.
async fn code_for(provider: &RunningProvider, client_id: &str) -> String {
    let mut params = authorize_params(provider, &[]);
    params[1] = ("client_id", client_id);
    let (status, html) = consent_page(provider, &params).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Notes App"),
        "the page names the registered client"
    );
    let response = decide(provider, &hidden_request_id(&html), "allow", "ada").await;
    redirect_params(&response)["code"].clone()
}

async fn exchange(
    provider: &RunningProvider,
    id: &str,
    secret: &str,
    code: &str,
) -> reqwest::Response {
    post_token(
        provider,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
            ("client_id", id),
            ("client_secret", secret),
        ],
    )
    .await
}

#[tokio::test]
async fn a_registered_client_connects_and_refreshes() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let (status, issued) = register(
        &provider,
        json!({
            "client_name": "Notes App",
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "client_secret_post",
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert_eq!(issued["redirect_uris"], json!([REDIRECT_URI]));
    assert_eq!(issued["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(issued["client_secret_expires_at"], 0);
    let id = issued["client_id"].as_str().unwrap();
    let secret = issued["client_secret"].as_str().unwrap();
    assert_ne!(id, provider.client_id());

    let code = code_for(&provider, id).await;
    let response = exchange(&provider, id, secret, &code).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    let (status, _, me) = me_with_token(&provider, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], "ada");

    let refreshed = post_token(
        &provider,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    assert_eq!(provider.stats().registrations, 1);
}

#[tokio::test]
async fn codes_and_refresh_tokens_are_bound_to_their_client() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let metadata = json!({ "client_name": "Notes App", "redirect_uris": [REDIRECT_URI] });
    let (_, first) = register(&provider, metadata.clone()).await;
    let (_, second) = register(&provider, metadata).await;
    let code = code_for(&provider, first["client_id"].as_str().unwrap()).await;

    let stolen = exchange(
        &provider,
        second["client_id"].as_str().unwrap(),
        second["client_secret"].as_str().unwrap(),
        &code,
    )
    .await;
    assert_eq!(stolen.status(), StatusCode::BAD_REQUEST);
    let error: Value = stolen.json().await.unwrap();
    assert_eq!(error["error"], "invalid_grant");
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("another client")
    );

    let wrong_secret = exchange(
        &provider,
        first["client_id"].as_str().unwrap(),
        second["client_secret"].as_str().unwrap(),
        "any",
    )
    .await;
    assert_eq!(wrong_secret.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_registered_client_may_use_only_its_redirect_uris() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let (_, issued) = register(
        &provider,
        json!({ "redirect_uris": ["https://other.example/cb"] }),
    )
    .await;
    let mut params = authorize_params(&provider, &[]);
    params[1] = ("client_id", issued["client_id"].as_str().unwrap());
    let (status, html) = consent_page(&provider, &params).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("is not one this client registered"), "{html}");
}

#[tokio::test]
async fn bad_metadata_is_refused_naming_the_field() {
    let provider = FakeProvider::builder().start().await.unwrap();
    for (metadata, error, field) in [
        (
            json!({}),
            "invalid_redirect_uri",
            "redirect_uris is required",
        ),
        (
            json!({ "redirect_uris": [] }),
            "invalid_redirect_uri",
            "must not be empty",
        ),
        (
            json!({ "redirect_uris": ["https://a.example/cb#frag"] }),
            "invalid_redirect_uri",
            "redirect_uris/0",
        ),
        (
            json!({ "redirect_uris": [REDIRECT_URI], "grant_types": ["password"] }),
            "invalid_client_metadata",
            "grant_types/0",
        ),
        (
            json!({ "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none" }),
            "invalid_client_metadata",
            "token_endpoint_auth_method",
        ),
        (json!([1]), "invalid_client_metadata", "JSON object"),
    ] {
        let (status, body) = register(&provider, metadata.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{metadata}");
        assert_eq!(body["error"], error, "{metadata}");
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(field), "{metadata}: {description}");
    }
    assert_eq!(provider.stats().registrations, 0);
}
