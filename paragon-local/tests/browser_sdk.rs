//! What the official JavaScript SDK (`@useparagon/connect`) needs from the server, checked at
//! the HTTP level: CORS on every route and the response shapes it reads. The SDK itself runs
//! against the server in `examples/tests/js_sdk_browser.rs`.

use crate::common;

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

fn by_slug<'a>(list: &'a serde_json::Value, slug: &str) -> &'a serde_json::Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|i| i["customIntegration"]["slug"] == slug)
        .unwrap_or_else(|| panic!("no {slug} in {list}"))
}

#[tokio::test]
async fn integrations_carry_configs_workflows_input_fields_and_a_served_icon() {
    let env = start().await;
    let (status, list) = env
        .call(
            "ada",
            Method::GET,
            &env.project("/sdk/integrations"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200);
    let oauth = by_slug(&list, "custom.tasklab");
    assert_eq!(oauth["type"], "custom");
    let values = &oauth["configs"][0]["values"];
    assert_eq!(values["accentColor"], oauth["brandColor"]);
    // The manifest's Markdown overview, as the cloud's portal shows it (not the description).
    let overview = values["overview"].as_str().unwrap();
    assert!(
        overview.contains("Keep your app's tasks and your **Task Lab** board in step."),
        "{overview}"
    );
    let meta = values["workflowMeta"].as_object().unwrap();
    let workflows = oauth["workflows"].as_array().unwrap();
    assert_eq!(meta.len(), workflows.len(), "{oauth}");
    assert!(!workflows.is_empty());
    for w in workflows {
        let id = w["id"].as_str().unwrap();
        assert_eq!(meta[id]["id"], id);
    }

    let keys = by_slug(&list, "custom.tasklabkeys");
    let fields = keys["customIntegration"]["inputFields"].as_array().unwrap();
    let api_key = fields
        .iter()
        .find(|f| f["id"] == "api_key")
        .expect("api_key");
    assert_eq!(api_key["type"], "PASSWORD");
    assert_eq!(api_key["required"], true);
    assert!(
        keys.get("inputs").is_none(),
        "the old top-level list is gone"
    );

    let icon = keys["customIntegration"]["icon"].as_str().unwrap();
    assert!(
        icon.starts_with(env.server.url()) && icon.ends_with(".svg"),
        "{icon}"
    );
    let res = env.http.get(icon).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "image/svg+xml");
    let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("sandbox"), "{csp}");
    assert!(res.text().await.unwrap().contains("<svg"));
    let missing = env
        .http
        .get(env.url("/icons/nope.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn me_names_the_project_and_credentials_have_a_default_configuration() {
    let env = start().await;
    let (_, list) = env
        .call(
            "ada",
            Method::GET,
            &env.project("/sdk/integrations"),
            None,
            &[],
        )
        .await;
    let id = by_slug(&list, "custom.tasklabkeys")["id"].clone();
    let key = env.provider.api_keys()[0].to_string();
    // The SDK's install flow sends its own flag among the inputs.
    let (status, created) = env
        .call(
            "ada",
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(serde_json::json!({
                "integrationId": id,
                "payload": {"api_key": key, "skipPostOAuthInputs": false},
            })),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let default = &created["configurations"][0];
    assert_eq!(default["isDefault"], true);
    assert_eq!(default["connectCredentialId"], created["id"]);

    let (status, me) = env
        .call("ada", Method::GET, &env.project("/sdk/me"), None, &[])
        .await;
    assert_eq!(status, 200);
    assert_eq!(me["project"]["id"], env.server.project_id());
    let features = me["project"]["accessibleFeatures"].as_array().unwrap();
    assert!(features.contains(&"headless-cp".into()), "{me}");
    let state = &me["integrations"]["custom.tasklabkeys"];
    assert_eq!(state["credentialId"], created["id"]);
    assert_eq!(state["credentialConfigId"], default["id"]);
    assert_eq!(
        state["allCredentials"][0]["configurations"][0]["id"],
        default["id"]
    );
}

#[tokio::test]
async fn content_type_auto_is_resolved_before_the_provider() {
    let env = start().await;
    let (_, list) = env
        .call(
            "ada",
            Method::GET,
            &env.project("/sdk/integrations"),
            None,
            &[],
        )
        .await;
    let id = by_slug(&list, "custom.tasklabkeys")["id"].clone();
    let key = env.provider.api_keys()[0].to_string();
    env.call(
        "ada",
        Method::POST,
        &env.project("/sdk/credentials"),
        Some(serde_json::json!({"integrationId": id, "payload": {"api_key": key}})),
        &[],
    )
    .await;
    let echo = env.project("/sdk/proxy/custom.tasklabkeys/echo");
    let send = |body: &'static str| {
        env.http
            .post(&echo)
            .bearer_auth(env.token("ada"))
            .header(header::CONTENT_TYPE, "auto")
            .body(body)
    };
    let seen = |v: serde_json::Value| v["output"]["headers"]["content-type"].clone();
    let json: serde_json::Value = send("{\"a\":1}")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen(json), "application/json");
    let text: serde_json::Value = send("hello").send().await.unwrap().json().await.unwrap();
    assert_eq!(seen(text), "text/plain; charset=utf-8");
    let empty: serde_json::Value = send("").send().await.unwrap().json().await.unwrap();
    assert_eq!(seen(empty), serde_json::Value::Null);
}

/// The SDK's popup URL for `slug`, carrying `token` and the app's origin.
fn nonce_url(env: &Env, slug: &str, origin: &str, token: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("action", slug)
        .append_pair("integrationId", &env.id(slug))
        .append_pair("originForPostMessage", origin)
        .append_pair("userToken", token)
        .finish();
    env.project(&format!("/sdk/actions/oauth-nonce?{query}"))
}

/// The SDK's `build-oauth` fetch with its `oauthMetaKeyId`; the provider's authorization URL.
async fn build_oauth(env: &Env, user: &str, key: &str) -> String {
    let url = format!(
        "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={id}&oauthMetaKeyId={key}",
        env.server.url(),
        env.server.project_id(),
        id = env.id("custom.tasklab"),
    );
    let (status, body) = env.call(user, Method::GET, &url, None, &[]).await;
    assert_eq!(status, 200, "{body}");
    body["redirectUrl"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_popup_page_binds_the_browser_and_the_callback_closes_it() {
    let env = start().await;
    let session = env.project("/sdk/actions/session-id/k3y");
    let (status, _) = env.call("ada", Method::GET, &session, None, &[]).await;
    assert_eq!(status, 404, "nothing finished yet");

    // The SDK sends the integration's UUID, as the cloud requires; a slug is refused here too.
    let by_slug = nonce_url(&env, "custom.tasklab", APP, &env.token("ada")).replace(
        &format!("integrationId={}", env.id("custom.tasklab")),
        "integrationId=custom.tasklab",
    );
    let res = env.http.get(by_slug).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("UUID"));

    let res = env
        .http
        .get(nonce_url(&env, "custom.tasklab", APP, &env.token("ada")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    let cookie = h[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("paragon_local_sdk_flow=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && cookie.contains("Path=/oauth"),
        "{cookie}"
    );
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("script-src 'nonce-") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert!(
        h.get("cross-origin-opener-policy").is_none(),
        "the opener must stay reachable"
    );
    let page = res.text().await.unwrap();
    assert!(
        page.contains("oauth-nonce-loaded") && page.contains(APP),
        "{page}"
    );
    assert!(
        page.contains("history.replaceState"),
        "the token leaves the address bar"
    );

    // The provider's redirect reaches /oauth in the browser holding the binding: done at once.
    let authorize = build_oauth(&env, "ada", "k3y").await;
    let to_callback = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = to_callback.get(&authorize).send().await.unwrap();
    let callback = res.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    let res = env
        .http
        .get(&callback)
        .header(header::COOKIE, cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cleared = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cleared.contains("Max-Age=0"),
        "the binding is used up: {cleared}"
    );
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Connected") && page.contains("window.close()"),
        "{page}"
    );

    let (status, body) = env.call("ada", Method::GET, &session, None, &[]).await;
    assert_eq!(status, 200, "{body}");
    let id = body["connectCredentialId"].as_str().unwrap();
    let (status, _) = env
        .call(
            "ada",
            Method::GET,
            &env.project(&format!("/sdk/credentials/{id}")),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200);
    // Another user asking with the same key learns nothing.
    let (status, _) = env.call("bob", Method::GET, &session, None, &[]).await;
    assert_eq!(status, 404);
    // The SDK's DELETE forgets it.
    let (status, _) = env.call("ada", Method::DELETE, &session, None, &[]).await;
    assert_eq!(status, 200);
    let (status, _) = env.call("ada", Method::GET, &session, None, &[]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_callback_in_another_browser_asks_to_confirm() {
    let env = start().await;
    // Another user's binding, or none at all, does not finish ada's flow.
    let res = env
        .http
        .get(nonce_url(
            &env,
            "custom.tasklab",
            APP,
            &env.token("mallory"),
        ))
        .send()
        .await
        .unwrap();
    let mallory = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    let authorize = build_oauth(&env, "ada", "k3y").await;
    let res = env
        .http
        .get(&authorize)
        .header(header::COOKIE, mallory.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(confirmation_id(&page).is_some(), "{page}");
    let (status, _) = env
        .call(
            "ada",
            Method::GET,
            &env.project("/sdk/actions/session-id/k3y"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_popup_page_refuses_bad_tokens_and_other_origins() {
    let env = start().await;
    for (origin, token, status) in [
        (APP, "not-a-token".to_string(), 401),
        ("https://evil.example", env.token("ada"), 403),
    ] {
        let res = env
            .http
            .get(nonce_url(&env, "custom.tasklab", origin, &token))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{origin}");
        assert!(res.headers().get(header::SET_COOKIE).is_none());
        let page = res.text().await.unwrap();
        assert!(!page.contains("oauth-nonce-loaded"), "{page}");
    }
    let url = format!(
        "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={id}&oauthMetaKeyId=a%3Cb",
        env.server.url(),
        env.server.project_id(),
        id = env.id("custom.tasklab"),
    );
    let (status, body) = env.call("ada", Method::GET, &url, None, &[]).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn the_default_configuration_shows_the_workflow_switches() {
    let env = start().await;
    let id = env.connect_oauth("ada", "custom.tasklab").await;
    let (_, list) = env
        .call(
            "ada",
            Method::GET,
            &env.project("/sdk/integrations"),
            None,
            &[],
        )
        .await;
    let workflow = by_slug(&list, "custom.tasklab")["workflows"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let disable = env.project(&format!("/sdk/workflows/{workflow}"));
    let (status, _) = env.call("ada", Method::DELETE, &disable, None, &[]).await;
    assert!(status < 300, "{status}");
    let (_, credential) = env
        .call(
            "ada",
            Method::GET,
            &env.project(&format!("/sdk/credentials/{id}")),
            None,
            &[],
        )
        .await;
    let settings = &credential["configurations"][0]["workflowSettings"];
    assert_eq!(settings[&workflow]["enabled"], false, "{credential}");
    let others = settings
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| **k != workflow);
    assert!(
        others.clone().count() > 0 && others.into_iter().all(|(_, w)| w["enabled"] == true),
        "{settings}"
    );
    let (_, me) = env
        .call("ada", Method::GET, &env.project("/sdk/me"), None, &[])
        .await;
    let state = &me["integrations"]["custom.tasklab"];
    assert_eq!(
        state["allCredentials"][0]["configurations"][0]["workflowSettings"],
        *settings
    );
    assert_eq!(state["configuredWorkflows"], *settings);
}
