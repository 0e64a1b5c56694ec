//! Helpers shared by the integration tests: a browser-less OAuth client.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::HashMap;

use paragon_fake_provider::RunningProvider;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

/// An RFC 7636 verifier and its S256 challenge, computed independently
/// (Python `hashlib.sha256` + urlsafe base64 without padding).
pub(crate) const VERIFIER: &str = "tasklab-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
pub(crate) const CHALLENGE: &str = "mxHzm8LAvFOlInx1FgjlDZ7vW7sXqi7GwvGkJfZxvJk";
pub(crate) const REDIRECT_URI: &str = "https://app.example/oauth/callback";

/// A client that shows redirects instead of following them.
pub(crate) fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The standard authorization request parameters with PKCE, plus `extra`.
pub(crate) fn authorize_params<'a>(
    provider: &'a RunningProvider,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", provider.client_id()),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "tasks:read tasks:write"),
        ("state", "st-123"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    params
}

/// GETs the consent page and returns its HTML.
pub(crate) async fn consent_page(
    provider: &RunningProvider,
    params: &[(&str, &str)],
) -> (StatusCode, String) {
    let response = client()
        .get(provider.authorize_url())
        .query(params)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The value of the consent form's hidden anti-forgery field.
pub(crate) fn hidden_request_id(html: &str) -> String {
    let marker = "name=\"request\" value=\"";
    let start = html
        .find(marker)
        .expect("consent page has the hidden request field")
        + marker.len();
    let len = html[start..].find('"').unwrap();
    html[start..start + len].to_owned()
}

/// Posts the consent form.
pub(crate) async fn decide(
    provider: &RunningProvider,
    request_id: &str,
    decision: &str,
    username: &str,
) -> Response {
    client()
        .post(provider.authorize_url())
        .form(&[
            ("request", request_id),
            ("decision", decision),
            ("username", username),
        ])
        .send()
        .await
        .unwrap()
}

/// The query parameters of a redirect's `Location`, after checking it goes to `REDIRECT_URI`.
pub(crate) fn redirect_params(response: &Response) -> HashMap<String, String> {
    let location = response.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    assert_eq!(
        &url[..url::Position::AfterPath],
        REDIRECT_URI,
        "redirect target"
    );
    url.query_pairs().into_owned().collect()
}

/// Runs the consent flow (PKCE, approve as `username`) and returns the code.
pub(crate) async fn authorization_code(provider: &RunningProvider, username: &str) -> String {
    let (status, html) = consent_page(provider, &authorize_params(provider, &[])).await;
    assert_eq!(status, StatusCode::OK);
    let response = decide(provider, &hidden_request_id(&html), "allow", username).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    redirect_params(&response).remove("code").unwrap()
}

/// POSTs a form to the token endpoint with the client's Basic credentials.
pub(crate) async fn token_request(provider: &RunningProvider, form: &[(&str, &str)]) -> Response {
    client()
        .post(provider.token_url())
        .basic_auth(provider.client_id(), Some(provider.client_secret()))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The whole authorization-code flow; returns the token answer.
pub(crate) async fn tokens(provider: &RunningProvider, username: &str) -> Value {
    let code = authorization_code(provider, username).await;
    let response = token_request(
        provider,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// `GET {api}/me` with a bearer token; returns the status, the WWW-Authenticate header and the body.
pub(crate) async fn me_with_token(
    provider: &RunningProvider,
    token: &str,
) -> (StatusCode, Option<String>, Value) {
    let response = client()
        .get(format!("{}/me", provider.api_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status(), challenge, response.json().await.unwrap())
}
