//! The `paragon` binary against a local server: arguments, environment, output, exit codes.

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../paragon-sdk/tests/fixtures");
const SPECS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs");

#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    uri: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct Shared {
    seen: Arc<Mutex<Vec<Seen>>>,
    reply: (u16, Vec<(&'static str, &'static str)>, Bytes),
}

async fn handle(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let uri = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    s.seen.lock().unwrap().push(Seen {
        method,
        uri,
        headers,
        body,
    });
    let mut res = Response::builder().status(s.reply.0);
    for (k, v) in &s.reply.1 {
        res = res.header(*k, *v);
    }
    res.body(Body::from(s.reply.2.clone())).unwrap()
}

struct Server {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    async fn start(
        status: u16,
        headers: Vec<(&'static str, &'static str)>,
        body: impl Into<Bytes>,
    ) -> Server {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            seen: seen.clone(),
            reply: (status, headers, body.into()),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, Router::new().fallback(handle).with_state(shared))
                .await
                .unwrap()
        });
        Server { addr, seen }
    }

    fn json(status: u16, body: Value) -> impl Future<Output = Server> {
        Server::start(
            status,
            vec![("content-type", "application/json")],
            body.to_string(),
        )
    }

    fn only(&self) -> Seen {
        let seen = self.seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        seen[0].clone()
    }

    /// Runs `paragon args…` with the environment pointing every service at this server.
    async fn run(&self, args: &[&str]) -> Output {
        let url = format!("http://{}", self.addr);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_paragon"));
        for (k, _) in std::env::vars() {
            if k.starts_with("PARAGON_") {
                cmd.env_remove(k);
            }
        }
        cmd.args(args)
            .env("PARAGON_PROJECT_ID", "proj-1")
            .env(
                "PARAGON_SIGNING_KEY_FILE",
                format!("{FIXTURES}/test-only-private-pkcs8.pem"),
            )
            .env("PARAGON_USER_ID", "env-user")
            .env("PARAGON_API_URL", &url)
            .env("PARAGON_PROXY_URL", &url)
            .env("PARAGON_EVENTS_URL", &url)
            .env("PARAGON_ACTIONKIT_URL", &url);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn claims(token: &str) -> Value {
    let public = std::fs::read(format!("{FIXTURES}/test-only-public.pem")).unwrap();
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(&public).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&["useparagon.com/proj-1"]);
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .unwrap()
        .claims
}

#[tokio::test]
async fn token_prints_a_signed_token() {
    let server = Server::json(200, json!({})).await;
    let out = server
        .run(&["token", "--user", "user-42", "--ttl", "300"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let c = claims(stdout(&out).trim());
    assert_eq!(c["sub"], "user-42");
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 300);
    let out = server.run(&["token"]).await;
    assert_eq!(claims(stdout(&out).trim())["sub"], "env-user");
}

#[tokio::test]
async fn request_prints_the_unwrapped_output() {
    let server = Server::json(200, json!({"output": {"tasks": [{"id": "t1"}]}})).await;
    let out = server
        .run(&[
            "request",
            "custom.tasklab",
            "get",
            "/v1/tasks",
            "--user",
            "user-42",
            "-q",
            "limit=5",
            "-q",
            "q=a b",
            "-H",
            "X-Trace: abc",
            "--credential",
            "cred-1",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&out)).unwrap(),
        json!({"tasks": [{"id": "t1"}]})
    );
    assert!(
        stdout(&out).contains("\n  \"tasks\""),
        "pretty-printed: {}",
        stdout(&out)
    );
    let seen = server.only();
    assert_eq!(seen.method, Method::GET);
    assert_eq!(
        seen.uri,
        "/projects/proj-1/sdk/proxy/custom.tasklab/v1/tasks?limit=5&q=a+b"
    );
    assert_eq!(seen.headers["x-trace"], "abc");
    assert_eq!(seen.headers["x-paragon-credential"], "cred-1");
    let bearer = seen.headers["authorization"]
        .to_str()
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap()
        .to_owned();
    assert_eq!(claims(&bearer)["sub"], "user-42");
}

#[tokio::test]
async fn request_sends_json_bodies() {
    let server = Server::json(201, json!({"output": {"id": "t9"}})).await;
    let out = server
        .run(&[
            "request",
            "custom.tasklab",
            "POST",
            "v1/tasks",
            "--data",
            r#"{"title":"Write docs"}"#,
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let seen = server.only();
    assert_eq!(seen.method, Method::POST);
    assert_eq!(seen.headers["content-type"], "application/json");
    assert_eq!(
        serde_json::from_slice::<Value>(&seen.body).unwrap(),
        json!({"title": "Write docs"})
    );

    let dir = std::env::temp_dir().join(format!("paragon-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.json");
    std::fs::write(&file, r#"{"from":"file"}"#).unwrap();
    let server = Server::json(200, json!({"output": null})).await;
    let out = server
        .run(&[
            "request",
            "custom.tasklab",
            "PUT",
            "/v1/tasks/1",
            "--data-file",
            file.to_str().unwrap(),
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        serde_json::from_slice::<Value>(&server.only().body).unwrap(),
        json!({"from": "file"})
    );
    std::fs::remove_dir_all(dir).ok();

    let out = server
        .run(&[
            "request",
            "custom.tasklab",
            "POST",
            "/x",
            "--data",
            "{not json",
        ])
        .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: --data is not valid JSON"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn raw_prints_bytes_as_received() {
    let body: Vec<u8> = (0..=255u8).collect();
    let server = Server::start(
        200,
        vec![("content-type", "application/octet-stream")],
        body.clone(),
    )
    .await;
    let out = server
        .run(&["request", "custom.tasklab", "GET", "/files/1", "--raw"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, body);
    assert_eq!(server.only().headers["x-paragon-use-raw-response"], "1");
}

#[tokio::test]
async fn failures_exit_1_with_the_error_on_stderr() {
    let server = Server::json(
        404,
        json!({"message": "Integration not enabled for user.", "code": "integration_not_enabled", "status": 404}),
    )
    .await;
    let out = server
        .run(&["request", "custom.tasklab", "GET", "/x"])
        .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    // The stub answers 404 to the integration list too, so no suggestion: who and where.
    assert!(
        stderr(&out)
            .starts_with("error: custom.tasklab is not connected for the user \"env-user\""),
        "{}",
        stderr(&out)
    );

    let out = server
        .run(&["request", "custom.tasklab", "GET", "/../admin"])
        .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("'..'"), "{}", stderr(&out));
}

#[tokio::test]
async fn usage_errors_exit_2_and_help_has_examples() {
    let server = Server::json(200, json!({})).await;
    let out = server.run(&["request", "custom.tasklab"]).await;
    assert_eq!(out.status.code(), Some(2));
    for cmd in [
        "token",
        "request",
        "me",
        "integrations",
        "event",
        "workflow",
        "test",
    ] {
        let out = server.run(&[cmd, "--help"]).await;
        assert!(out.status.success());
        assert!(
            stdout(&out).contains("Example"),
            "{cmd} --help: {}",
            stdout(&out)
        );
    }
    assert!(server.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn me_integrations_event_workflow() {
    let server = Server::json(
        200,
        json!({"authenticated": true, "userId": "env-user", "integrations": {}, "meta": {}}),
    )
    .await;
    let out = server.run(&["me"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let me: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(me["userId"], "env-user");
    assert_eq!(server.only().uri, "/projects/proj-1/sdk/me");

    let server = Server::json(
        200,
        json!([{"id": "i1", "type": "custom", "customIntegration": {"slug": "tasklab"}}]),
    )
    .await;
    let out = server.run(&["integrations"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&out)).unwrap()[0]["id"],
        "i1"
    );

    let server = Server::start(201, vec![], "").await;
    let out = server
        .run(&["event", "Contact Created", r#"{"email":"a@example.com"}"#])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let seen = server.only();
    assert_eq!(seen.uri, "/v2/projects/proj-1/sdk/events/trigger");
    assert_eq!(
        serde_json::from_slice::<Value>(&seen.body).unwrap(),
        json!({"name": "Contact Created", "payload": {"email": "a@example.com"}})
    );

    let server = Server::json(200, json!({"answer": 42})).await;
    let out = server.run(&["workflow", "wf-1", r#"{"q": 1}"#]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&out)).unwrap(),
        json!({"answer": 42})
    );
    assert_eq!(server.only().uri, "/projects/proj-1/sdk/triggers/wf-1");

    let server = Server::start(202, vec![], "").await;
    let out = server.run(&["workflow", "wf-1"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("202"));
}

#[tokio::test]
async fn test_command_reports_outcomes() {
    let server = Server::json(200, json!({"output": {"id": "me"}})).await;
    let out = server
        .run(&["test", "custom.tasklab", "--path", "/v1/me"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ok:"), "{}", stdout(&out));
    assert_eq!(
        server.only().uri,
        "/projects/proj-1/sdk/proxy/custom.tasklab/v1/me"
    );

    // The test endpoint and slug from the Task Lab manifest.
    let server = Server::json(401, json!({"error": "invalid_token"})).await;
    let out = server
        .run(&["test", "--manifest", &format!("{SPECS}/tasklab")])
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("failed:"), "{}", stdout(&out));
    assert_eq!(
        server.only().uri,
        "/projects/proj-1/sdk/proxy/custom.tasklab/me"
    );
}
