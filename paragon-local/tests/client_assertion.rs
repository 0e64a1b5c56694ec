//! `client_auth = "private_key_jwt"` end to end: the code exchange (and every refresh) carries
//! a JWT signed with the owner's key from an environment secret, which Task Lab verifies with
//! the public key; no client secret is sent. A key Task Lab does not hold is refused.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;

const SLUG: &str = "custom.tasklabsigned";
const PRIVATE_KEY: &str = include_str!("fixtures/assertion-es256.key.pem");
const PUBLIC_KEY: &str = include_str!("fixtures/assertion-es256.pub.pem");
const OTHER_KEY: &str = include_str!("fixtures/assertion-other.key.pem");

async fn signed_env(key: &str) -> Env {
    let provider = FakeProvider::builder().client_assertion_key(PUBLIC_KEY);
    start_with(provider, |b| {
        b.secret("TASKLAB_ASSERTION_KEY", key)
            .specs(specs().join("tasklab-signed"))
    })
    .await
}

/// The form fields of the last token request Task Lab received.
fn last_token_form(env: &Env) -> Vec<(String, String)> {
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
async fn the_code_exchange_is_authenticated_by_a_signed_assertion() {
    let env = signed_env(PRIVATE_KEY).await;
    env.connect_oauth("alice", SLUG).await;
    let form = last_token_form(&env);
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("grant_type"), Some("authorization_code"));
    assert_eq!(
        field("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(field("client_id"), Some(env.provider.client_id()));
    assert_eq!(field("client_secret"), None, "no secret is sent: {form:?}");
    let jwt = field("client_assertion").expect("an assertion");
    let header = jwt.split('.').next().unwrap();
    use base64::Engine as _;
    let header: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], "tasklab-1");

    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["output"]["auth"], "oauth", "{me}");
}

#[tokio::test]
async fn an_assertion_signed_with_another_key_is_refused() {
    let env = signed_env(OTHER_KEY).await;
    let url = format!(
        "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={}",
        env.server.url(),
        env.server.project_id(),
        env.id(SLUG)
    );
    let (status, body) = env.call("bob", Method::GET, &url, None, &[]).await;
    assert_eq!(status, 200, "{body}");
    let res = env
        .http
        .get(body["redirectUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let (_, page) = env.confirm_in_browser(res, "allow").await;
    assert!(
        page.contains("the assertion does not verify"),
        "Task Lab's refusal is shown: {page}"
    );
    assert!(!page.contains("BEGIN PRIVATE KEY"), "{page}");
    let (_, creds) = env
        .call(
            "bob",
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await;
    assert_eq!(creds, serde_json::json!([]), "nothing is stored");
}
