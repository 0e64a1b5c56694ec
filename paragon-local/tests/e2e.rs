//! End to end: the local server against the fake provider, over real HTTP on loopback.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn oauth_connect_and_proxy() {
    let env = start().await;
    let id = env.connect_oauth("alice", "custom.tasklab").await;
    let stats = env.provider.stats();
    assert_eq!(stats.token_requests.authorization_code, 1);
    // PKCE and the body client auth, as the manifest says.
    let token_req = stats.last_token_request.expect("token request");
    let body = String::from_utf8_lossy(&token_req.body).to_string();
    assert!(body.contains("code_verifier="), "{body}");

    let (status, body) = env
        .proxy("alice", Method::GET, "custom.tasklab", "/me")
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["output"].is_object(), "{body}");
    let api = env.provider.stats().last_api_request.expect("api request");
    assert!(
        api.header("authorization")
            .unwrap_or("")
            .starts_with("Bearer ")
    );
    assert_eq!(api.path, "/v1/me");

    let url = env.project("/sdk/proxy/custom.tasklab/tasks");
    let (status, created) = env
        .call(
            "alice",
            Method::POST,
            &url,
            Some(json!({"title": "write tests"})),
            &[],
        )
        .await;
    assert!(status == 200 || status == 201, "{status} {created}");
    let (status, list) = env
        .proxy("alice", Method::GET, "custom.tasklab", "/tasks")
        .await;
    assert_eq!(status, 200);
    assert!(list.to_string().contains("write tests"), "{list}");

    // The docs' other form: /sdk/proxy/custom/{integrationUuid}/{apiPath}.
    let (_, integrations) = env
        .call(
            "alice",
            Method::GET,
            &env.project("/sdk/integrations"),
            None,
            &[],
        )
        .await;
    let uuid = integrations
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["customIntegration"]["slug"] == "custom.tasklab")
        .and_then(|i| i["id"].as_str())
        .unwrap()
        .to_string();
    let (status, body) = env
        .proxy("alice", Method::GET, &format!("custom/{uuid}"), "/me")
        .await;
    assert_eq!(status, 200, "{body}");

    // Raw mode: the provider's own body, no envelope.
    let (status, raw) = env
        .call(
            "alice",
            Method::GET,
            &env.project("/sdk/proxy/custom.tasklab/me"),
            None,
            &[("X-Paragon-Use-Raw-Response", "1")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(raw.get("output").is_none(), "{raw}");

    let (status, me) = env
        .call("alice", Method::GET, &env.project("/sdk/me"), None, &[])
        .await;
    assert_eq!(status, 200);
    assert_eq!(me["userId"], "alice");
    assert_eq!(me["integrations"]["custom.tasklab"]["enabled"], true);
    assert_eq!(
        me["integrations"]["custom.tasklab"]["credentialId"],
        id.as_str()
    );
    assert!(me["integrations"]["custom.tasklab-keys"].is_null());
    assert_eq!(me["integrations"]["custom.tasklabkeys"]["enabled"], false);
    // Secrets never appear in API answers.
    let creds = env
        .call(
            "alice",
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await
        .1;
    assert!(!creds.to_string().contains("tl_"), "{creds}");
}

#[tokio::test]
async fn refresh_race_is_single_flight() {
    let env = start_with(
        // The renewed token must not itself be due while the 50 calls run on a slow machine.
        FakeProvider::builder().access_token_ttl(Duration::from_secs(4)),
        |b| b,
    )
    .await;
    env.connect_oauth("alice", "custom.tasklab").await;
    tokio::time::sleep(Duration::from_millis(4100)).await;
    let before = env.provider.stats().token_requests.refresh_token;
    let calls = (0..50).map(|_| env.proxy("alice", Method::GET, "custom.tasklab", "/me"));
    let results = futures_util::future::join_all(calls).await;
    for (status, body) in &results {
        assert_eq!(*status, 200, "{body}");
    }
    assert_eq!(
        env.provider.stats().token_requests.refresh_token - before,
        1
    );
}

#[tokio::test]
async fn provider_401_refreshes_once_then_retries() {
    let env = start().await;
    env.connect_oauth("alice", "custom.tasklab").await;
    env.provider.revoke_access_tokens();
    let calls = (0..20).map(|_| env.proxy("alice", Method::GET, "custom.tasklab", "/me"));
    for (status, body) in futures_util::future::join_all(calls).await {
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(env.provider.stats().token_requests.refresh_token, 1);
}

#[tokio::test]
async fn failed_refresh_marks_the_credential_invalid() {
    let env = start().await;
    let id = env.connect_oauth("alice", "custom.tasklab").await;
    env.provider.revoke_access_tokens();
    env.provider.revoke_refresh_tokens();
    let (status, body) = env
        .proxy("alice", Method::GET, "custom.tasklab", "/me")
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "credential_invalid");
    assert_eq!(body["meta"]["isIntegrationError"], true);
    let (_, c) = env
        .call(
            "alice",
            Method::GET,
            &env.project(&format!("/sdk/credentials/{id}")),
            None,
            &[],
        )
        .await;
    assert_eq!(c["status"], "INVALID");
    assert!(
        c["statusReason"]
            .as_str()
            .unwrap_or("")
            .contains("invalid_grant"),
        "{c}"
    );
}

#[tokio::test]
async fn api_keys_and_picking_an_account() {
    let env = start().await;
    let key = env.provider.api_keys()[0].to_string();
    let url = env.project("/sdk/credentials");
    let (status, bad) = env
        .call(
            "bob",
            Method::POST,
            &url,
            Some(json!({"integrationId": env.id("custom.tasklabkeys"), "payload": {}})),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{bad}");
    assert!(
        bad["message"].as_str().unwrap().contains("API key"),
        "{bad}"
    );
    // Header injection through an input value.
    let (status, bad) = env
        .call(
            "bob",
            Method::POST,
            &url,
            Some(json!({"integrationId": env.id("custom.tasklabkeys"), "payload": {"api_key": "k\r\nX-Evil: 1"}})),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{bad}");
    assert!(
        bad["message"]
            .as_str()
            .unwrap()
            .contains("control character"),
        "{bad}"
    );
    let (status, wrong) = env
        .call(
            "bob",
            Method::POST,
            &url,
            Some(json!({"integrationId": env.id("custom.tasklabkeys"), "payload": {"api_key": "nope"}})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{wrong}");
    let (status, good) = env
        .call(
            "bob",
            Method::POST,
            &url,
            Some(
                json!({"integrationId": env.id("custom.tasklabkeys"), "payload": {"api_key": key}}),
            ),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{good}");
    let good_id = good["id"].as_str().unwrap();
    let wrong_id = wrong["id"].as_str().unwrap();
    let proxy = env.project("/sdk/proxy/custom.tasklabkeys/me");
    let (status, body) = env
        .call(
            "bob",
            Method::GET,
            &proxy,
            None,
            &[("X-Paragon-Credential", good_id)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let sent = env.provider.stats().last_api_request.unwrap();
    assert_eq!(sent.header("x-api-key"), Some(key.as_str()));
    assert!(
        sent.header("authorization").is_none(),
        "the user token must not reach the provider"
    );
    // The wrong key: the provider's 401 comes back as a non-2xx with its body.
    let (status, body) = env
        .call(
            "bob",
            Method::GET,
            &proxy,
            None,
            &[("X-Paragon-Credential", wrong_id)],
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(body.get("output").is_some(), "{body}");
}

#[tokio::test]
async fn client_credentials() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.manifest(manifest(
            r##"
name = "Task Lab Machine"
description = "Task Lab with the client credentials grant."
icon = "icon.svg"
color = "#123456"

[auth]
type = "client_credentials"
token_url = "{env.TASKLAB_URL}/oauth/token"
client_id = "{input.client_id}"
client_secret = "{input.client_secret}"
scopes = ["tasks:read"]
client_auth = "basic"

[[inputs]]
key = "client_id"
label = "Client ID"
kind = "text"

[[inputs]]
key = "client_secret"
label = "Client secret"
kind = "password"
secret = true

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##,
        ))
    })
    .await;
    let url = env.project("/sdk/credentials");
    let payload = |secret: &str| {
        json!({"integrationId": env.id("custom.tasklabmachine"),
               "payload": {"client_id": env.provider.client_id(), "client_secret": secret}})
    };
    let (status, body) = env
        .call("carol", Method::POST, &url, Some(payload("wrong")), &[])
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = env
        .call(
            "carol",
            Method::POST,
            &url,
            Some(payload(env.provider.client_secret())),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token_req = env.provider.stats().last_token_request.unwrap();
    assert!(
        token_req
            .header("authorization")
            .unwrap_or("")
            .starts_with("Basic ")
    );
    let (status, body) = env
        .proxy("carol", Method::GET, "custom.tasklabmachine", "/me")
        .await;
    assert_eq!(status, 200, "{body}");
    // Renewed on a provider 401.
    env.provider.revoke_access_tokens();
    let (status, body) = env
        .proxy("carol", Method::GET, "custom.tasklabmachine", "/me")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(env.provider.stats().token_requests.client_credentials, 3);
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_refused() {
    let env = start().await;
    let url = env.project("/sdk/me");
    let other = paragon_local::ProjectKey::generate();
    let forged = other
        .mint("proj-test", "alice", Duration::from_secs(60))
        .unwrap();
    let res = env.http.get(&url).bearer_auth(forged).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("signature"),
        "{body}"
    );

    // Expired an hour ago.
    let pem = env.server.signing_key_pem().unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"sub": "alice", "iat": now - 7200, "exp": now - 3600, "aud": "useparagon.com/proj-test"});
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .unwrap();
    let res = env
        .http
        .get(&url)
        .bearer_auth(expired)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("expired"));

    // Another project's audience, and another project in the path.
    let claims = json!({"sub": "alice", "exp": now + 600, "aud": "useparagon.com/other"});
    let foreign = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .unwrap();
    assert_eq!(
        env.http
            .get(&url)
            .bearer_auth(foreign)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let res = env
        .http
        .get(env.url("/projects/other/sdk/me"))
        .bearer_auth(env.token("alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // No token at all.
    assert_eq!(env.http.get(&url).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn users_cannot_reach_each_others_credentials() {
    let env = start().await;
    let id = env.connect_oauth("alice", "custom.tasklab").await;
    let cred = env.project(&format!("/sdk/credentials/{id}"));
    assert_eq!(
        env.call("mallory", Method::GET, &cred, None, &[]).await.0,
        404
    );
    assert_eq!(
        env.call("mallory", Method::DELETE, &cred, None, &[])
            .await
            .0,
        404
    );
    assert_eq!(
        env.call(
            "mallory",
            Method::PATCH,
            &cred,
            Some(json!({"config": {}})),
            &[]
        )
        .await
        .0,
        404
    );
    let proxy = env.project("/sdk/proxy/custom.tasklab/me");
    let (status, body) = env
        .call(
            "mallory",
            Method::GET,
            &proxy,
            None,
            &[("X-Paragon-Credential", &id)],
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = env.call("mallory", Method::GET, &proxy, None, &[]).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "integration_not_enabled");
    let (_, list) = env
        .call(
            "mallory",
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await;
    assert_eq!(list, json!([]));
    // Alice still can.
    assert_eq!(
        env.call("alice", Method::GET, &cred, None, &[]).await.0,
        200
    );
}

#[tokio::test]
async fn unsafe_targets_are_refused() {
    let env = start().await;
    env.connect_oauth("alice", "custom.tasklab").await;
    let proxy = env.project("/sdk/proxy/custom.tasklab/me");
    let (status, body) = env
        .call(
            "alice",
            Method::GET,
            &proxy,
            None,
            &[("X-Paragon-Proxy-Url", "https://evil.example.com/steal")],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    // Same host as the base URL: allowed.
    let same = format!("{}/v1/me", env.provider.url());
    let (status, body) = env
        .call(
            "alice",
            Method::GET,
            &proxy,
            None,
            &[("X-Paragon-Proxy-Url", &same)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // (The client already normalizes a literal `/a/../b`, so send what survives it.)
    for bad in ["/..%2Foauth", "/x%0d%0aInjected:%20yes", "/a%5c..%5cb"] {
        let (status, body) = env.proxy("alice", Method::GET, "custom.tasklab", bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    for bad in ["/../oauth/token", "/a/%2e%2e/%2E%2e/oauth/token"] {
        let (status, body) = env
            .call(
                "alice",
                Method::GET,
                &proxy,
                None,
                &[("X-Paragon-Proxy-Url", bad)],
            )
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
}

#[tokio::test]
async fn restart_keeps_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let provider = FakeProvider::builder()
        .auto_approve(true)
        .start()
        .await
        .unwrap();
    let key = paragon_local::ProjectKey::generate();
    let enc = paragon_local::EncryptionKey::generate();
    let build = |provider: &paragon_fake_provider::RunningProvider| {
        server_for(provider)
            .dev(false)
            .project_key(key.clone())
            .encryption_key(enc.clone())
            .database_url(db.to_str().unwrap())
    };
    let server = build(&provider).start().await.unwrap();
    let env = Env {
        provider,
        server,
        http: reqwest::Client::new(),
    };
    let id = env.connect_oauth("alice", "custom.tasklab").await;
    let Env {
        provider,
        server,
        http,
    } = env;
    server.shutdown().await;
    let server = build(&provider).start().await.unwrap();
    let env = Env {
        provider,
        server,
        http,
    };
    let (status, body) = env
        .proxy("alice", Method::GET, "custom.tasklab", "/me")
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, me) = env
        .call("alice", Method::GET, &env.project("/sdk/me"), None, &[])
        .await;
    assert_eq!(
        me["integrations"]["custom.tasklab"]["credentialId"],
        id.as_str()
    );
}

#[tokio::test]
async fn missing_encryption_key_is_a_clear_error() {
    let err = paragon_local::LocalServer::builder()
        .project_id("p")
        .project_key(paragon_local::ProjectKey::generate())
        .start()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("PARAGON_LOCAL_ENCRYPTION_KEY"),
        "{err}"
    );
}

#[tokio::test]
async fn bodies_over_the_limits_are_refused() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.max_request_body(1024).max_response_body(64)
    })
    .await;
    env.connect_oauth("alice", "custom.tasklab").await;
    let url = env.project("/sdk/proxy/custom.tasklab/tasks");
    let big = serde_json::json!({ "title": "x".repeat(4096) });
    let (status, body) = env.call("alice", Method::POST, &url, Some(big), &[]).await;
    assert_eq!(status, 413, "{body}");
    // The provider's /me answer is larger than 64 bytes.
    let (status, body) = env
        .proxy("alice", Method::GET, "custom.tasklab", "/me")
        .await;
    assert_eq!(status, 502, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("limit"),
        "{body}"
    );
}

#[tokio::test]
async fn a_slow_provider_answers_504_after_the_upstream_timeout() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.upstream_timeout(Duration::from_millis(300))
    })
    .await;
    env.connect_oauth("alice", "custom.tasklab").await;
    env.provider.delay_next(1, Duration::from_secs(3));
    let started = std::time::Instant::now();
    let (status, body) = env
        .proxy("alice", Method::GET, "custom.tasklab", "/me")
        .await;
    assert_eq!(status, 504, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("timed out"), "{body}");
    assert!(!message.contains("127.0.0.1"), "no URL in errors: {body}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the deadline held"
    );
    // The next call is not delayed and goes through.
    let (status, body) = env
        .proxy("alice", Method::GET, "custom.tasklab", "/me")
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn full_urls_reach_the_manifests_allowed_hosts_only() {
    // The base URL is on 127.0.0.1; the manifest also allows `localhost` (the same provider).
    let env = start_with(FakeProvider::builder(), |b| {
        b.manifest(manifest(
            r##"name = "Task Lab Hosts"
description = "Task Lab with a second allowed host."
icon = "icon.svg"
color = "#0F766E"

[auth]
type = "api_key"

[[inputs]]
key = "api_key"
label = "API key"
kind = "password"

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
allowed_hosts = ["localhost"]
authorization = { type = "headers", headers = { "X-Api-Key" = "{input.api_key}" } }
"##,
        ))
    })
    .await;
    let key = env.provider.api_keys()[0].to_string();
    let (status, body) = env
        .call(
            "alice",
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(json!({"integrationId": env.id("custom.tasklabhosts"), "payload": {"api_key": key}})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let proxy = env.project("/sdk/proxy/custom.tasklabhosts/me");
    let port = env.provider.addr().port();

    let allowed = format!("http://localhost:{port}/v1/echo/uploads");
    let (status, body) = env
        .call(
            "alice",
            Method::GET,
            &proxy,
            None,
            &[("X-Paragon-Proxy-Url", &allowed)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["headers"]["x-api-key"], key, "{body}");

    let other = format!("http://127.0.0.2:{port}/v1/echo/uploads");
    let (status, body) = env
        .call(
            "alice",
            Method::GET,
            &proxy,
            None,
            &[("X-Paragon-Proxy-Url", &other)],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("allowed_hosts"),
        "{body}"
    );
}
