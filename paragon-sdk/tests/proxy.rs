//! Proxy requests against a local server: wire form, tokens, bodies, raw and streaming answers.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{PRIVATE_PKCS1, PRIVATE_PKCS8, PROJECT, Reply, Server, verify};
use futures_util::StreamExt;
use paragon_sdk::{Error, Method, Paragon, Permissions, SigningKey};
use serde_json::json;

#[tokio::test]
async fn proxy_request_has_the_documented_wire_form() {
    let server = Server::start(vec![Reply::output(
        json!([{"id": "t1", "title": "Write docs"}]),
    )])
    .await;
    let paragon = server.keyed_client();

    #[derive(serde::Deserialize, Debug)]
    struct Task {
        id: String,
        title: String,
    }
    let tasks: Vec<Task> = paragon
        .user("user-42")
        .request("custom.tasklab", Method::GET, "/v1/tasks")
        .query(&[("limit", "5"), ("q", "a b&c")])
        .header("X-Trace", "abc")
        .credential("cred-1")
        .configuration("conf-9")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        (tasks[0].id.as_str(), tasks[0].title.as_str()),
        ("t1", "Write docs")
    );

    let req = server.only_request();
    assert_eq!(req.method, Method::GET);
    assert_eq!(
        req.uri,
        format!("/projects/{PROJECT}/sdk/proxy/custom.tasklab/v1/tasks?limit=5&q=a+b%26c")
    );
    assert_eq!(req.header("x-trace"), Some("abc"));
    assert_eq!(req.header("x-paragon-credential"), Some("cred-1"));
    assert_eq!(req.header("x-paragon-configuration-id"), Some("conf-9"));
    assert_eq!(req.header("accept"), Some("application/json"));
    assert!(
        req.header("x-paragon-sdk-version")
            .is_some_and(|v| v.starts_with("rust-"))
    );
    assert_eq!(req.header("x-paragon-use-raw-response"), None);

    let claims = verify(&req.bearer());
    assert_eq!(claims["sub"], "user-42");
    assert_eq!(claims["aud"], format!("useparagon.com/{PROJECT}"));
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(exp - iat, 3600);
    assert!(claims.get(paragon_sdk::PERMISSIONS_CLAIM).is_none());
}

#[tokio::test]
async fn every_method_and_json_body_goes_through() {
    let server = Server::start(vec![Reply::output(json!({"ok": true}))]).await;
    let paragon = server.token_client("static-token");
    for method in [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
    ] {
        let res = paragon
            .request("salesforce", method.clone(), "services/data")
            .json(&json!({"name": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 7);
    for (req, method) in reqs
        .iter()
        .zip(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
    {
        assert_eq!(req.method.as_str(), method);
        assert_eq!(
            req.uri,
            format!("/projects/{PROJECT}/sdk/proxy/salesforce/services/data")
        );
        assert_eq!(req.header("authorization"), Some("Bearer static-token"));
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.json(), json!({"name": "x"}));
    }
}

#[tokio::test]
async fn tokens_are_cached_per_user_and_carry_options() {
    let server = Server::start(vec![Reply::output(json!(null))]).await;
    let paragon = server
        .builder()
        .signing_key(SigningKey::from_pem(PRIVATE_PKCS1).unwrap())
        .token_ttl(Duration::from_secs(600))
        .permissions(
            Permissions::new()
                .allow("integration:*")
                .grant("integration:salesforce", ["credential:read"]),
        )
        .claim("tenant", "acme")
        .build()
        .unwrap();
    let alice = paragon.user("alice");
    for _ in 0..3 {
        alice
            .request("custom.tasklab", Method::GET, "/me")
            .await
            .unwrap();
    }
    paragon
        .user("bob")
        .request("custom.tasklab", Method::GET, "/me")
        .await
        .unwrap();

    let reqs = server.requests();
    let tokens: Vec<String> = reqs.iter().map(|r| r.bearer()).collect();
    assert_eq!(tokens[0], tokens[1], "the same user's token is reused");
    assert_eq!(tokens[1], tokens[2]);
    assert_ne!(tokens[0], tokens[3], "another user gets their own token");
    assert_eq!(alice.user_token().unwrap().expose(), tokens[0]);

    let claims = verify(&tokens[0]);
    assert_eq!(claims["sub"], "alice");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        600
    );
    assert_eq!(claims["tenant"], "acme");
    assert_eq!(
        claims[paragon_sdk::PERMISSIONS_CLAIM],
        json!({"integration:*": true, "integration:salesforce": ["credential:read"]})
    );
    assert_eq!(verify(&tokens[3])["sub"], "bob");
}

#[tokio::test]
async fn short_lived_tokens_are_reminted_before_expiry() {
    let server = Server::start(vec![Reply::output(json!(null))]).await;
    // 2 s lifetime: re-minted once less than 10% (0.2 s) remains, i.e. after 1.8 s.
    let paragon = server
        .builder()
        .signing_key(SigningKey::from_pem(PRIVATE_PKCS8).unwrap())
        .token_ttl(Duration::from_secs(2))
        .build()
        .unwrap()
        .user("carol");
    let first = paragon.user_token().unwrap();
    assert_eq!(paragon.user_token().unwrap(), first);
    tokio::time::sleep(Duration::from_millis(1900)).await;
    // iat has second resolution: wait into the next second so the new token differs.
    let second = paragon.user_token().unwrap();
    assert_ne!(second, first, "re-minted near expiry");
    assert_eq!(verify(second.expose())["sub"], "carol");
}

#[tokio::test]
async fn pem_with_literal_backslash_n_is_accepted() {
    let escaped = PRIVATE_PKCS8.trim().replace('\n', "\\n");
    let key = SigningKey::from_pem(&escaped).unwrap();
    let token = key
        .mint(PROJECT, "dave", &paragon_sdk::TokenOptions::new())
        .unwrap();
    assert_eq!(verify(token.expose())["sub"], "dave");
}

#[tokio::test]
async fn raw_mode_returns_binary_body_and_provider_headers() {
    let png: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let server = Server::start(vec![
        Reply::bytes(200, png.clone()).header("content-type", "image/png"),
    ])
    .await;
    let paragon = server.token_client("t");
    let res = paragon
        .request("custom.tasklab", Method::GET, "/files/1")
        .raw()
        .await
        .unwrap();
    assert!(res.is_raw());
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap(), Bytes::from(png));
    assert_eq!(
        server.only_request().header("x-paragon-use-raw-response"),
        Some("1")
    );
}

#[tokio::test]
async fn raw_json_is_decoded_without_envelope_and_text_works() {
    let server = Server::start(vec![
        Reply::json(200, json!({"output": "kept", "x": 1})),
        Reply::json(200, json!({"output": {"a": 1}})),
    ])
    .await;
    let paragon = server.token_client("t");
    let raw: serde_json::Value = paragon
        .request("custom.tasklab", Method::GET, "/x")
        .raw()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw, json!({"output": "kept", "x": 1}));
    let text = paragon
        .request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, r#"{"output":{"a":1}}"#);
}

#[tokio::test]
async fn streaming_request_and_response_bodies() {
    let big: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
    let server = Server::start(vec![Reply::bytes(200, big.clone())]).await;
    let paragon = server.token_client("t");
    let chunks = futures_util::stream::iter(
        (0..10).map(|i| Ok::<_, std::io::Error>(Bytes::from(format!("chunk-{i};")))),
    );
    let res = paragon
        .request("custom.tasklab", Method::POST, "/upload")
        .header("content-type", "text/plain")
        .body_stream(chunks)
        .raw()
        .await
        .unwrap();
    let mut stream = res.bytes_stream();
    let mut received = Vec::new();
    let mut pieces = 0;
    while let Some(chunk) = stream.next().await {
        received.extend_from_slice(&chunk.unwrap());
        pieces += 1;
    }
    assert_eq!(received, big);
    assert!(pieces > 1, "the answer arrived in several chunks");
    let req = server.only_request();
    let expected: String = (0..10).map(|i| format!("chunk-{i};")).collect();
    assert_eq!(req.body, Bytes::from(expected));
}

#[tokio::test]
async fn streaming_bodies_are_not_retried() {
    let server = Server::start(vec![Reply::json(
        503,
        json!({"message": "busy", "code": "x"}),
    )])
    .await;
    let paragon = server.token_client("t");
    let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"data"))]);
    let err = paragon
        .request("custom.tasklab", Method::PUT, "/upload")
        .body_stream(chunks)
        .await
        .unwrap_err();
    assert_eq!(
        err.status(),
        Some(paragon_sdk::StatusCode::SERVICE_UNAVAILABLE)
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_callers_accept_header_replaces_the_json_default() {
    let server = Server::start(vec![Reply::output(json!({}))]).await;
    let paragon = server.token_client("t");
    paragon
        .request("custom.tasklab", Method::GET, "/analyses/1")
        .header("Accept", "application/sarif+json")
        .await
        .unwrap();
    let req = server.only_request();
    assert_eq!(req.header("accept"), Some("application/sarif+json"));
}

#[tokio::test]
async fn full_url_override_travels_in_its_header() {
    let server = Server::start(vec![Reply::output(json!({}))]).await;
    let paragon = server.token_client("t");
    paragon
        .request("custom.tasklab", Method::GET, "/")
        .full_url("https://uploads.example.com/v2/files?x=1")
        .await
        .unwrap();
    let req = server.only_request();
    assert_eq!(
        req.header("x-paragon-proxy-url"),
        Some("https://uploads.example.com/v2/files?x=1")
    );
    assert_eq!(
        req.uri,
        format!("/projects/{PROJECT}/sdk/proxy/custom.tasklab/")
    );
}

#[tokio::test]
async fn unsafe_paths_headers_and_names_are_refused_before_sending() {
    let server = Server::start(vec![Reply::output(json!({}))]).await;
    let paragon = server.token_client("t");
    let cases = [
        paragon.request("custom.tasklab", Method::GET, "/../../admin"),
        paragon.request("custom.tasklab", Method::GET, "/v1/%2e%2e/admin"),
        paragon.request("custom.tasklab", Method::GET, "/v1\\admin"),
        paragon.request("custom.tasklab", Method::GET, "/v1\r\nX-Injected: 1"),
        paragon.request("custom.tasklab", Method::GET, "https://evil.example/steal"),
        paragon.request("custom.tasklab", Method::GET, "//evil.example/steal"),
        paragon.request("custom/../admin", Method::GET, "/v1"),
        paragon.request("", Method::GET, "/v1"),
        paragon
            .request("custom.tasklab", Method::GET, "/v1")
            .header("X-Evil", "a\r\nb: c"),
        paragon
            .request("custom.tasklab", Method::GET, "/v1")
            .header("Authorization", "Bearer other"),
        paragon
            .request("custom.tasklab", Method::GET, "/v1")
            .credential("a\nb"),
        paragon
            .request("custom.tasklab", Method::GET, "/v1")
            .full_url("file:///etc/passwd"),
    ];
    for request in cases {
        let described = format!("{request:?}");
        let err = request.await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest(_)),
            "{described}: {err:?}"
        );
    }
    assert!(server.requests().is_empty(), "nothing reached the server");
}

#[tokio::test]
async fn secrets_never_show_in_debug_or_errors() {
    let server = Server::start(vec![Reply::json(
        401,
        json!({"message": "Token expired", "code": "401", "status": 401}),
    )])
    .await;
    let paragon = server.keyed_client().user("erin");
    let token = paragon.user_token().unwrap();
    let err = paragon
        .request("custom.tasklab", Method::GET, "/me")
        .await
        .unwrap_err();
    let key = SigningKey::from_pem(PRIVATE_PKCS8).unwrap();
    let static_client = server.token_client("sekrit-token-value");
    let texts = [
        format!("{paragon:?}"),
        format!("{static_client:?}"),
        format!("{err:?}"),
        err.to_string(),
        format!("{token:?}"),
        format!("{token}"),
        format!("{key:?}"),
    ];
    let key_line = PRIVATE_PKCS8.lines().nth(1).unwrap();
    for text in texts {
        assert!(!text.contains(token.expose()), "{text}");
        assert!(!text.contains("sekrit"), "{text}");
        assert!(!text.contains(key_line), "{text}");
    }
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn new_reads_project_from_token_audience() {
    let key = SigningKey::from_pem(PRIVATE_PKCS8).unwrap();
    let token = key
        .mint("proj-from-aud", "frank", &paragon_sdk::TokenOptions::new())
        .unwrap();
    let paragon = Paragon::builder()
        .ignore_env()
        .user_token(token.expose())
        .build()
        .unwrap();
    assert_eq!(paragon.project_id().unwrap(), "proj-from-aud");
}

#[tokio::test]
async fn paths_with_spaces_and_non_ascii_are_percent_encoded() {
    let server = Server::start(vec![Reply::output(json!({}))]).await;
    let paragon = server.keyed_client();
    paragon
        .user("user-42")
        .request(
            "custom.tasklab",
            Method::GET,
            "/v1/tasks/new task ü?q=\"x\"",
        )
        .await
        .unwrap();
    assert_eq!(
        server.only_request().uri,
        format!(
            "/projects/{PROJECT}/sdk/proxy/custom.tasklab/v1/tasks/new%20task%20%C3%BC?q=%22x%22"
        )
    );
}
