//! Issue 12, the server half: each test drives one finding through HTTP or the binary and
//! fails when its fix is reverted.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A token for `alice` with the given claims on top of valid `sub`/`exp`/`aud`.
fn token_with(env: &Env, extra: Value) -> String {
    let pem = env.server.signing_key_pem().unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let mut claims = json!({"sub": "alice", "exp": now() + 600, "aud": "useparagon.com/proj-test"});
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .unwrap()
}

async fn status_with(env: &Env, token: &str, method: Method, url: &str) -> (u16, String) {
    let res = env
        .http
        .request(method, url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Finding 6: `/<tab>/evil.example/` passes a "starts with one slash" check, and a browser
/// drops the tab and goes to `//evil.example/`.
#[tokio::test]
async fn redirect_urls_a_browser_would_rewrite_are_refused() {
    let env = start().await;
    let build = |redirect: &str| {
        let mut url = url::Url::parse(&format!(
            "{}/v2/projects/proj-test/sdk/actions/build-oauth",
            env.server.url()
        ))
        .unwrap();
        url.query_pairs_mut()
            .append_pair("integrationId", "custom.tasklab")
            .append_pair("redirectUrl", redirect);
        url.to_string()
    };
    for bad in [
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/ /evil.example/",
        "/\\evil.example/",
        "//evil.example/",
        "https://evil.example/",
    ] {
        let (status, body) = env.call("alice", Method::GET, &build(bad), None, &[]).await;
        assert_eq!(status, 400, "{bad:?} accepted: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("redirectUrl"),
            "{body}"
        );
    }
    for good in ["/done?x=1", "http://localhost:3000/done"] {
        let (status, body) = env
            .call("alice", Method::GET, &build(good), None, &[])
            .await;
        assert_eq!(status, 200, "{good:?} refused: {body}");
    }
}

/// Finding 12: `nbf` in the future, a permissions claim that is not an object (fail closed).
#[tokio::test]
async fn tokens_not_yet_valid_or_with_malformed_permissions_are_refused() {
    let env = start().await;
    env.connect_oauth("alice", "custom.tasklab").await;
    let me = env.project("/sdk/me");

    let early = token_with(&env, json!({"nbf": now() + 3600}));
    let (status, body) = status_with(&env, &early, Method::GET, &me).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("nbf"), "{body}");

    let proxy = env.project("/sdk/proxy/custom.tasklab/tasks");
    for malformed in [json!("all"), json!(true), json!(["credential:write"])] {
        let t = token_with(
            &env,
            json!({"urn:useparagon:connect:permissions": malformed}),
        );
        let (status, body) = status_with(&env, &t, Method::GET, &proxy).await;
        assert_eq!(status, 403, "{malformed}: {body}");
        let (status, body) =
            status_with(&env, &t, Method::GET, &env.project("/sdk/credentials")).await;
        assert_eq!((status, body.as_str()), (200, "[]"), "{malformed}");
    }
    let ok = token_with(&env, json!({}));
    assert_eq!(status_with(&env, &ok, Method::GET, &proxy).await.0, 200);
}

/// Finding 12: a server configured to require `aud` refuses tokens without one.
#[tokio::test]
async fn a_required_audience_refuses_tokens_without_one() {
    let env = start_with(paragon_fake_provider::FakeProvider::builder(), |b| {
        b.require_audience(true)
    })
    .await;
    let me = env.project("/sdk/me");
    let bare = token_with(&env, json!({"aud": null}));
    let (status, body) = status_with(&env, &bare, Method::GET, &me).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("aud"), "{body}");
    assert_eq!(
        status_with(&env, &env.token("alice"), Method::GET, &me)
            .await
            .0,
        200
    );

    // Without the setting the same token is accepted (Paragon's default).
    let lax = start().await;
    let bare = token_with(&lax, json!({"aud": null}));
    assert_eq!(
        status_with(&lax, &bare, Method::GET, &lax.project("/sdk/me"))
            .await
            .0,
        200
    );
}
