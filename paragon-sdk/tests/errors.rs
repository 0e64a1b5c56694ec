//! Error kinds, retries and timeouts against a local server.

mod common;

use std::time::{Duration, Instant};

use common::{Reply, Server};
use paragon_sdk::{Error, Method, RetryPolicy, StatusCode};
use serde_json::json;

fn paragon_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        json!({"message": message, "code": code, "status": status, "meta": {}}),
    )
}

#[tokio::test]
async fn each_answer_maps_to_its_error_kind() {
    type Check = fn(&Error) -> bool;
    let cases: Vec<(Reply, Check)> = vec![
        (paragon_error(401, "401", "Token expired"), |e| {
            matches!(e, Error::Unauthorized(_))
        }),
        (paragon_error(403, "403", "Forbidden"), |e| {
            matches!(e, Error::Unauthorized(_))
        }),
        (
            paragon_error(
                404,
                "integration_not_enabled",
                "Integration not enabled for user.",
            ),
            |e| matches!(e, Error::IntegrationNotEnabled(_)),
        ),
        (
            paragon_error(403, "7210", "Not allowed by token permissions"),
            |e| matches!(e, Error::PermissionDenied(_)),
        ),
        (paragon_error(404, "404", "Credential not found"), |e| {
            matches!(e, Error::NotFound(_))
        }),
        (paragon_error(500, "500", "Internal error"), |e| {
            matches!(e, Error::Server(_))
        }),
        (
            Reply::json(
                400,
                json!({"message": "Provider said no", "code": "x", "status": 400, "meta": {"isIntegrationError": true}}),
            ),
            |e| matches!(e, Error::Provider { status, .. } if *status == StatusCode::BAD_REQUEST),
        ),
        (
            // A provider's own error body passes through the proxy.
            Reply::json(
                422,
                json!({"message": "title is required", "documentation_url": "https://docs"}),
            ),
            |e| matches!(e, Error::Provider { status, .. } if status.as_u16() == 422),
        ),
        (
            // So does one with a `code` of its own: only Paragon's full shape is Paragon's.
            Reply::json(404, json!({"message": "No such task", "code": "not_found"})),
            |e| matches!(e, Error::Provider { status, .. } if status.as_u16() == 404),
        ),
        (
            Reply::json(
                400,
                json!({"message": ["title must be a string", {"message": "due is invalid"}], "code": "400", "status": 400}),
            ),
            |e| matches!(e, Error::Api(api) if api.message == "title must be a string; due is invalid" && api.details.len() == 2),
        ),
    ];
    for (reply, check) in cases {
        let server = Server::start(vec![reply.clone()]).await;
        let err = server
            .token_client("t")
            .request("custom.tasklab", Method::GET, "/v1/x")
            .await
            .unwrap_err();
        assert!(check(&err), "{} {:?} → {err:?}", reply.status, reply.body);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(reply.status));
    }
}

#[tokio::test]
async fn api_routes_classify_by_status_too() {
    let server = Server::start(vec![Reply::bytes(404, "")]).await;
    let err = server
        .token_client("t")
        .credential("c-1")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    let api = err.api_error().unwrap();
    assert_eq!(api.message, "Not Found");
}

#[tokio::test]
async fn provider_error_body_is_decodable() {
    #[derive(serde::Deserialize)]
    struct ProviderError {
        error: String,
    }
    let server = Server::start(vec![Reply::json(
        409,
        json!({"output": {"error": "duplicate"}}),
    )])
    .await;
    let err = server
        .token_client("t")
        .request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap_err();
    let (status, body) = err.provider_response().unwrap();
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(!body.is_empty());
    assert_eq!(
        err.provider_json::<ProviderError>().unwrap().error,
        "duplicate"
    );
}

#[tokio::test]
async fn decode_errors_carry_a_snippet() {
    let server = Server::start(vec![Reply::bytes(200, "<html>maintenance</html>")]).await;
    let err = server
        .token_client("t")
        .request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap_err();
    match err {
        Error::Decode { snippet, .. } => assert!(snippet.contains("maintenance"), "{snippet}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn retries_429_honouring_retry_after() {
    let server = Server::start(vec![
        paragon_error(429, "429", "slow down").header("retry-after", "1"),
        Reply::output(json!("ok")),
    ])
    .await;
    let started = Instant::now();
    let out: String = server
        .token_client("t")
        .request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(out, "ok");
    assert_eq!(server.requests().len(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retries_503_then_succeeds() {
    let server = Server::start(vec![
        Reply::bytes(503, "unavailable"),
        Reply::output(json!(1)),
    ])
    .await;
    let res = server
        .token_client("t")
        .request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn attempts_are_bounded() {
    let server = Server::start(vec![Reply::bytes(502, "bad gateway")]).await;
    let err = server
        .token_client("t")
        .request("custom.tasklab", Method::DELETE, "/x")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_GATEWAY));
    assert_eq!(server.requests().len(), 3, "default policy: 3 attempts");

    let server = Server::start(vec![Reply::bytes(504, "")]).await;
    let paragon = server
        .builder()
        .user_token("t")
        .retry(
            RetryPolicy::new()
                .max_attempts(5)
                .base_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    paragon
        .request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap_err();
    assert_eq!(server.requests().len(), 5);
}

#[tokio::test]
async fn long_retry_after_stops_retrying_and_is_reported() {
    let server = Server::start(vec![
        paragon_error(429, "429", "later").header("retry-after", "120"),
    ])
    .await;
    let err = server
        .token_client("t")
        .request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(matches!(err, Error::RateLimited { .. }));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn post_is_not_retried_unless_marked_idempotent() {
    let server = Server::start(vec![Reply::bytes(503, ""), Reply::output(json!(1))]).await;
    let paragon = server.token_client("t");
    let err = paragon
        .request("custom.tasklab", Method::POST, "/x")
        .json(&json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(server.requests().len(), 1);

    let server = Server::start(vec![Reply::bytes(503, ""), Reply::output(json!(1))]).await;
    let paragon = server.token_client("t");
    paragon
        .request("custom.tasklab", Method::PATCH, "/x")
        .idempotent(true)
        .json(&json!({}))
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn other_4xx_are_never_retried() {
    for status in [400, 401, 403, 404, 409, 422] {
        let server = Server::start(vec![Reply::bytes(status, "no")]).await;
        server
            .token_client("t")
            .request("custom.tasklab", Method::GET, "/x")
            .await
            .unwrap_err();
        assert_eq!(server.requests().len(), 1, "status {status}");
    }
}

#[tokio::test]
async fn slow_answers_time_out() {
    let server = Server::start(vec![
        Reply::output(json!(1)).delayed(Duration::from_secs(5)),
    ])
    .await;
    let paragon = server
        .builder()
        .user_token("t")
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let err = paragon
        .request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn connection_failures_are_transport_errors() {
    // Bind then drop a listener: the port refuses connections.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let paragon = paragon_sdk::Paragon::builder()
        .ignore_env()
        .project_id("p")
        .user_token("t")
        .base_url(format!("http://{addr}"))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = paragon
        .request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(!format!("{err:?}").contains("Bearer"));
}

#[tokio::test]
async fn connection_failures_are_retried() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let paragon = paragon_sdk::Paragon::builder()
        .ignore_env()
        .project_id("p")
        .user_token("t")
        .base_url(format!("http://{addr}"))
        .retry(
            RetryPolicy::new()
                .max_attempts(10)
                .base_delay(Duration::from_millis(200))
                .max_delay(Duration::from_millis(200)),
        )
        .build()
        .unwrap();
    // The server comes up shortly after the first attempt was refused.
    let server = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Server::start_on(addr, vec![Reply::output(json!("up"))]).await
    });
    let out: String = paragon
        .request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(out, "up");
    assert_eq!(server.await.unwrap().requests().len(), 1);
}

#[tokio::test]
async fn configuration_errors_name_the_setting() {
    let server = Server::start(vec![Reply::output(json!(1))]).await;
    // A signing key but nobody to act for.
    let err = server
        .keyed_client()
        .request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config { setting, .. } if setting == "PARAGON_USER_ID"),
        "{err:?}"
    );
    // A user handle without a signing key.
    let err = server.token_client("t").user("u").me().await.unwrap_err();
    assert!(
        matches!(&err, Error::Config { setting, .. } if setting == "PARAGON_SIGNING_KEY"),
        "{err:?}"
    );
    // No project id.
    let paragon = paragon_sdk::Paragon::builder()
        .ignore_env()
        .user_token("not-a-jwt")
        .base_url(server.url())
        .build()
        .unwrap();
    let err = paragon.me().await.unwrap_err();
    assert!(
        matches!(&err, Error::Config { setting, .. } if setting == "PARAGON_PROJECT_ID"),
        "{err:?}"
    );
    // A malformed URL fails the builder.
    let err = paragon_sdk::Paragon::builder()
        .ignore_env()
        .proxy_url("ftp://x")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("proxy_url"), "{err}");
    assert!(server.requests().is_empty());
}
