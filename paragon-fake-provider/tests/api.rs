//! The `/v1` REST API: API-key styles, tasks, echo, bytes, failure injection, stats.

mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::client;
use paragon_fake_provider::{DEFAULT_API_KEY, FakeProvider, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn every_api_key_style_authenticates() {
    let provider = FakeProvider::builder()
        .api_keys(["key-one", "key-two"])
        .start()
        .await
        .unwrap();
    let me = format!("{}/me", provider.api_url());
    let http = client();
    let requests = [
        ("x-api-key", http.get(&me).header("X-Api-Key", "key-two")),
        ("query", http.get(&me).query(&[("api_key", "key-two")])),
        ("basic", http.get(&me).basic_auth("key-two", Some("X"))),
        // The same pair under another scheme, and alone in its own header.
        (
            "keypair",
            http.get(&me).header(
                "Authorization",
                format!("Keypair {}", STANDARD.encode("key-two:acme")),
            ),
        ),
        (
            "x-keypair",
            http.get(&me)
                .header("X-Keypair", STANDARD.encode("key-two:acme")),
        ),
    ];
    for (via, request) in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{via}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["auth"], "api_key");
        assert_eq!(body["via"], via);
        assert_eq!(body["id"], "key-2");
        assert_eq!(body["scopes"], json!(["tasks:read", "tasks:write"]));
    }

    let wrong = http
        .get(&me)
        .header("X-Api-Key", DEFAULT_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong.status(),
        StatusCode::UNAUTHORIZED,
        "the default key was replaced"
    );
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key");

    let anonymous = http.get(&me).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Bearer realm=\"tasklab\""
    );
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");

    let unknown_token = http
        .get(&me)
        .bearer_auth("tl_at_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_token.status(), StatusCode::UNAUTHORIZED);
    assert!(
        unknown_token.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
}

/// A request builder against `{api}{path}` authenticated with `key`.
fn call(
    provider: &paragon_fake_provider::RunningProvider,
    method: reqwest::Method,
    path: &str,
    key: &str,
) -> reqwest::RequestBuilder {
    client()
        .request(method, format!("{}{path}", provider.api_url()))
        .header("X-Api-Key", key)
}

#[tokio::test]
async fn tasks_crud() {
    let provider = FakeProvider::builder().start().await.unwrap();
    use reqwest::Method;
    let key = DEFAULT_API_KEY;

    let created = call(&provider, Method::POST, "/tasks", key)
        .json(&json!({"title": "Write tests"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let task: Value = created.json().await.unwrap();
    assert_eq!(task["title"], "Write tests");
    assert_eq!(task["status"], "todo");
    let id = task["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/tasks/{id}"));

    let done = call(&provider, Method::POST, "/tasks", key)
        .json(&json!({"title": "Ship", "status": "done"}))
        .send()
        .await
        .unwrap();
    let done: Value = done.json().await.unwrap();

    let all: Value = call(&provider, Method::GET, "/tasks", key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all, json!([task, done]), "listed in creation order");
    let only_done: Value = call(&provider, Method::GET, "/tasks?status=done", key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(only_done, json!([done]));
    let first: Value = call(&provider, Method::GET, "/tasks?limit=1", key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first, json!([task]));

    let got: Value = call(&provider, Method::GET, &format!("/tasks/{id}"), key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, task);

    let patched = call(&provider, Method::PATCH, &format!("/tasks/{id}"), key)
        .json(&json!({"status": "in_progress"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(
        patched,
        json!({"id": id, "title": "Write tests", "status": "in_progress"})
    );

    let deleted = call(&provider, Method::DELETE, &format!("/tasks/{id}"), key)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    for method in [Method::GET, Method::DELETE] {
        let missing = call(&provider, method, &format!("/tasks/{id}"), key)
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let body: Value = missing.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
        assert!(body["error"]["message"].as_str().unwrap().contains(&id));
    }
}

#[tokio::test]
async fn invalid_task_input_is_a_400_saying_what_is_wrong() {
    let provider = FakeProvider::builder().start().await.unwrap();
    use reqwest::Method;
    let key = DEFAULT_API_KEY;
    let cases = [
        (
            Method::POST,
            "/tasks",
            Some(json!({"status": "todo"})),
            "missing field `title`",
        ),
        (
            Method::POST,
            "/tasks",
            Some(json!({"title": "x", "priority": 1})),
            "unknown field `priority`",
        ),
        (
            Method::POST,
            "/tasks",
            Some(json!({"title": "x", "status": "later"})),
            "unknown variant `later`",
        ),
        (
            Method::POST,
            "/tasks",
            Some(json!({"title": "  "})),
            "non-blank",
        ),
        (Method::GET, "/tasks?limit=0", None, "`limit`"),
        (Method::GET, "/tasks?status=open", None, "`status`"),
    ];
    for (method, path, body, expected) in cases {
        let mut request = call(&provider, method, path, key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{path} {expected}"
        );
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "invalid_request");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{message}");
    }
    let unknown_route = call(&provider, Method::GET, "/nothing-here", key)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_route.status(), StatusCode::NOT_FOUND);
    let error: Value = unknown_route.json().await.unwrap();
    assert_eq!(error["error"]["code"], "not_found");
}

#[tokio::test]
async fn tasks_belong_to_the_caller() {
    let provider = FakeProvider::builder()
        .api_keys(["k1", "k2"])
        .start()
        .await
        .unwrap();
    use reqwest::Method;
    let task: Value = call(&provider, Method::POST, "/tasks", "k1")
        .json(&json!({"title": "mine"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = task["id"].as_str().unwrap();
    let other = call(&provider, Method::GET, &format!("/tasks/{id}"), "k2")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    let list: Value = call(&provider, Method::GET, "/tasks", "k2")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn echo_returns_the_request_as_received() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let response = client()
        .put(format!(
            "{}/echo/a%2Fb/c?x=1&y=two%20words",
            provider.api_url()
        ))
        .header("X-Api-Key", DEFAULT_API_KEY)
        .header("X-Custom", "forwarded")
        .json(&json!({"hello": "world"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let echo: Value = response.json().await.unwrap();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/v1/echo/a%2Fb/c");
    assert_eq!(echo["query"], "x=1&y=two%20words");
    assert_eq!(echo["args"], json!({"x": "1", "y": "two words"}));
    assert_eq!(echo["headers"]["x-custom"], "forwarded");
    assert_eq!(echo["headers"]["x-api-key"], DEFAULT_API_KEY);
    assert_eq!(echo["headers"]["content-type"], "application/json");
    assert_eq!(echo["json"], json!({"hello": "world"}));
    assert_eq!(echo["body"], r#"{"hello":"world"}"#);
    assert_eq!(echo["principal"], "key-1");

    let plain: Value = client()
        .get(format!("{}/echo", provider.api_url()))
        .header("X-Api-Key", DEFAULT_API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plain["method"], "GET");
    assert_eq!(plain["query"], Value::Null);
    assert_eq!(plain["json"], Value::Null);
}

#[tokio::test]
async fn bytes_are_deterministic_binary() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let response = client()
        .get(format!("{}/bytes?size=600", provider.api_url()))
        .header("X-Api-Key", DEFAULT_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len(), 600);
    assert_eq!(&body[..3], &[0, 1, 2]);
    assert_eq!(body[255], 255);
    assert_eq!(body[256], 0);
    assert_eq!(body[599], (599 % 256) as u8);
}

#[tokio::test]
async fn failure_headers_inject_errors() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let me = format!("{}/me", provider.api_url());
    for code in [401u16, 429, 500, 503] {
        // Injected failures apply before authentication: no credential needed.
        let response = client()
            .get(&me)
            .header("X-Fake-Fail", code.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), code);
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            retry_after.as_deref(),
            if code == 429 || code == 503 {
                Some("1")
            } else {
                None
            },
            "{code}"
        );
        if code == 401 {
            assert!(
                response.headers()["www-authenticate"]
                    .to_str()
                    .unwrap()
                    .contains("invalid_token")
            );
        }
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("X-Fake-Fail")
        );
    }
    for (header, value) in [
        ("X-Fake-Fail", "200"),
        ("X-Fake-Fail", "soon"),
        ("X-Fake-Delay-Ms", "-5"),
    ] {
        let response = client()
            .get(&me)
            .header(header, value)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{header}: {value}"
        );
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains(header));
    }
}

#[tokio::test]
async fn delay_header_and_delay_next_slow_the_answer() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let me = format!("{}/me", provider.api_url());
    let started = Instant::now();
    let response = client()
        .get(&me)
        .header("X-Api-Key", DEFAULT_API_KEY)
        .header("X-Fake-Delay-Ms", "300")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    provider.delay_next(1, Duration::from_millis(300));
    let timed_out = client()
        .get(&me)
        .header("X-Api-Key", DEFAULT_API_KEY)
        .timeout(Duration::from_millis(100))
        .send()
        .await;
    assert!(timed_out.unwrap_err().is_timeout());
}

#[tokio::test]
async fn fail_next_fails_exactly_n_calls() {
    let provider = FakeProvider::builder().start().await.unwrap();
    provider.fail_next(2, StatusCode::SERVICE_UNAVAILABLE);
    provider.fail_next(1, StatusCode::TOO_MANY_REQUESTS);
    let me = format!("{}/me", provider.api_url());
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = client()
            .get(&me)
            .header("X-Api-Key", DEFAULT_API_KEY)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [503, 503, 429, 200]);
    assert_eq!(provider.stats().api_calls, 4);
}

#[tokio::test]
async fn stats_record_the_last_api_request_without_leaking_it_in_debug() {
    let provider = FakeProvider::builder().start().await.unwrap();
    assert!(provider.stats().last_api_request.is_none());
    client()
        .post(format!("{}/tasks?via=test", provider.api_url()))
        .header("X-Api-Key", DEFAULT_API_KEY)
        .header("X-Trace", "abc")
        .json(&json!({"title": "t"}))
        .send()
        .await
        .unwrap();
    let stats = provider.stats();
    assert_eq!(stats.api_calls, 1);
    let last = stats.last_api_request.unwrap();
    assert_eq!(last.method, reqwest::Method::POST);
    assert_eq!(last.path, "/v1/tasks");
    assert_eq!(last.query.as_deref(), Some("via=test"));
    assert_eq!(last.header("x-trace"), Some("abc"));
    assert_eq!(last.body, br#"{"title":"t"}"#);
    let debug = format!("{last:?} {provider:?}");
    assert!(!debug.contains(DEFAULT_API_KEY), "{debug}");
    assert!(!debug.contains(provider.client_secret()), "{debug}");
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let url = format!("{}/me", provider.api_url());
    provider.shutdown().await;
    let result = client()
        .get(&url)
        .header("X-Api-Key", DEFAULT_API_KEY)
        .send()
        .await;
    assert!(result.unwrap_err().is_connect());
}

#[tokio::test]
async fn start_on_serves_a_given_listener() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let provider = FakeProvider::default().start_on(listener).await.unwrap();
    assert_eq!(provider.url(), format!("http://127.0.0.1:{port}"));
    let response = client()
        .get(format!("{}/me", provider.api_url()))
        .header("X-Api-Key", DEFAULT_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_rpc_api_takes_its_key_in_the_body() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let ping = format!("{}/rpc/users/ping", provider.url());
    let http = client();
    let ok: Value = http
        .post(&ping)
        .json(&json!({ "key": DEFAULT_API_KEY, "limit": 1 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        ok,
        json!({ "method": "users/ping", "principal": "key-1", "params": { "limit": 1 } })
    );
    for (body, status, code) in [
        (
            json!({ "limit": 1 }),
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
        ),
        (
            json!({ "key": "nope" }),
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
        ),
        (
            json!([DEFAULT_API_KEY]),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ] {
        let response = http.post(&ping).json(&body).send().await.unwrap();
        assert_eq!(response.status(), status, "{body}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["error"]["code"], code, "{body}");
    }
}
