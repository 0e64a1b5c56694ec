//! What the official JavaScript SDK (`@useparagon/connect`) needs from the server, checked at
//! the HTTP level: CORS on every route and the response shapes it reads. The SDK itself runs
//! against the server in `examples/tests/js_sdk_browser.rs`.

mod common;

use common::*;
use reqwest::{Method, header};

const APP: &str = "http://localhost:5173";

async fn preflight(env: &Env, url: &str, origin: &str, method: &str) -> reqwest::Response {
    env.http
        .request(Method::OPTIONS, url)
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, method)
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "authorization,content-type,x-paragon-sdk-version",
        )
        .send()
        .await
        .expect("preflight")
}

#[tokio::test]
async fn preflights_are_answered_before_authentication_and_never_proxied() {
    let env = start().await;
    let proxy = env.project("/sdk/proxy/custom.tasklab/tasks");
    for url in [
        env.project("/sdk/me"),
        env.project("/sdk/integrations"),
        proxy.clone(),
        env.url(&format!(
            "/v2/projects/{}/sdk/events/trigger",
            env.server.project_id()
        )),
        env.url("/no/such/route"),
    ] {
        let res = preflight(&env, &url, APP, "POST").await;
        assert!(res.status().is_success(), "{url}: {}", res.status());
        let h = res.headers();
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], APP, "{url}");
        let allowed = h[header::ACCESS_CONTROL_ALLOW_HEADERS].to_str().unwrap();
        assert!(allowed.contains("authorization"), "{url}: {allowed}");
        let methods = h[header::ACCESS_CONTROL_ALLOW_METHODS].to_str().unwrap();
        assert!(
            methods.contains("PATCH") && methods.contains("DELETE"),
            "{methods}"
        );
    }
    // The proxy's preflight reached no provider.
    assert_eq!(env.provider.stats().api_calls, 0);
}

#[tokio::test]
async fn actual_calls_carry_the_allow_origin_header() {
    let env = start().await;
    let res = env
        .http
        .get(env.project("/sdk/me"))
        .bearer_auth(env.token("ada"))
        .header(header::ORIGIN, "http://127.0.0.1:41234")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "http://127.0.0.1:41234"
    );
    // An error answer carries it too, so the page can read the message.
    let res = env
        .http
        .get(env.project("/sdk/me"))
        .header(header::ORIGIN, APP)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], APP);
}

#[tokio::test]
async fn other_origins_get_no_cors_headers() {
    let env = start().await;
    for origin in [
        "https://evil.example",
        "http://localhost.evil.example",
        "null",
    ] {
        let res = preflight(&env, &env.project("/sdk/me"), origin, "GET").await;
        assert!(
            res.headers()
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .is_none(),
            "{origin} was allowed"
        );
    }
}

#[tokio::test]
async fn the_allow_list_is_exact_and_loopback_needs_development_mode() {
    let env = start_with(paragon_fake_provider::FakeProvider::builder(), |b| {
        b.dev(false)
            .project_key(paragon_local::ProjectKey::generate())
            .encryption_key(paragon_local::EncryptionKey::generate())
            .allowed_origin("https://app.example.com/")
    })
    .await;
    let me = env.project("/sdk/me");
    let allowed = |res: &reqwest::Response| {
        res.headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let res = preflight(&env, &me, "https://app.example.com", "GET").await;
    assert_eq!(allowed(&res).as_deref(), Some("https://app.example.com"));
    for origin in [
        APP,
        "https://app.example.com:8443",
        "http://app.example.com",
    ] {
        let res = preflight(&env, &me, origin, "GET").await;
        assert_eq!(allowed(&res), None, "{origin}");
    }
}

#[tokio::test]
async fn a_malformed_allowed_origin_is_refused_at_start() {
    let err = paragon_local::LocalServer::builder()
        .dev(true)
        .allowed_origin("https://app.example.com/path")
        .start()
        .await
        .expect_err("an origin with a path");
    assert!(
        err.to_string().contains("https://app.example.com/path"),
        "{err}"
    );
}
