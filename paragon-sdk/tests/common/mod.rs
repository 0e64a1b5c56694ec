//! A scripted local HTTP server for the SDK's tests: it answers with queued replies and
//! records every request as it arrived on the wire.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::Value;

pub(crate) const PRIVATE_PKCS8: &str = include_str!("../fixtures/test-only-private-pkcs8.pem");
pub(crate) const PRIVATE_PKCS1: &str = include_str!("../fixtures/test-only-private-pkcs1.pem");
pub(crate) const PUBLIC: &str = include_str!("../fixtures/test-only-public.pem");
pub(crate) const PROJECT: &str = "proj-1";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub method: Method,
    /// Path and query, as sent.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn bearer(&self) -> String {
        self.header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
            .expect("bearer token")
            .to_owned()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON request body")
    }
}

/// A reply to send.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub delay: Duration,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from(body.to_string()),
            delay: Duration::ZERO,
        }
    }

    /// `{"output": body}` with 200.
    pub(crate) fn output(body: Value) -> Reply {
        Reply::json(200, serde_json::json!({ "output": body }))
    }

    pub(crate) fn bytes(status: u16, body: impl Into<Bytes>) -> Reply {
        Reply {
            status,
            headers: vec![],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub(crate) fn delayed(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

#[derive(Clone, Default)]
struct Shared {
    requests: Arc<Mutex<Vec<Recorded>>>,
    replies: Arc<Mutex<VecDeque<Reply>>>,
}

/// The server; it stops when the test's runtime ends.
pub(crate) struct Server {
    pub addr: SocketAddr,
    shared: Shared,
}

impl Server {
    /// Starts on 127.0.0.1 with an ephemeral port. Replies are used in order; the last one
    /// repeats.
    pub(crate) async fn start(replies: Vec<Reply>) -> Server {
        Server::start_on("127.0.0.1:0".parse().unwrap(), replies).await
    }

    /// Starts on a given address.
    pub(crate) async fn start_on(addr: SocketAddr, replies: Vec<Reply>) -> Server {
        let shared = Shared::default();
        shared.replies.lock().unwrap().extend(replies);
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { addr, shared }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    pub(crate) fn only_request(&self) -> Recorded {
        let all = self.requests();
        assert_eq!(all.len(), 1, "expected exactly one request, got {all:#?}");
        all.into_iter().next().unwrap()
    }

    /// A client for this server with the test signing key.
    pub(crate) fn keyed_client(&self) -> paragon_sdk::Paragon {
        self.builder()
            .signing_key(paragon_sdk::SigningKey::from_pem(PRIVATE_PKCS8).unwrap())
            .build()
            .unwrap()
    }

    /// A client for this server with a fixed user token.
    pub(crate) fn token_client(&self, token: &str) -> paragon_sdk::Paragon {
        self.builder().user_token(token).build().unwrap()
    }

    pub(crate) fn builder(&self) -> paragon_sdk::ParagonBuilder {
        paragon_sdk::Paragon::builder()
            .ignore_env()
            .project_id(PROJECT)
            .base_url(self.url())
            .retry(
                paragon_sdk::RetryPolicy::new()
                    .base_delay(Duration::from_millis(10))
                    .max_delay(Duration::from_secs(2)),
            )
    }
}

async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let uri = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    shared.requests.lock().unwrap().push(Recorded {
        method,
        uri,
        headers,
        body,
    });
    let reply = {
        let mut replies = shared.replies.lock().unwrap();
        if replies.len() > 1 {
            replies.pop_front()
        } else {
            replies.front().cloned()
        }
    };
    let reply = reply.unwrap_or_else(|| Reply::output(Value::Null));
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut res = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (k, v) in &reply.headers {
        res = res.header(k, v);
    }
    res.body(Body::from(reply.body)).unwrap()
}

/// Verifies a token's RS256 signature with the test public key and returns its claims.
pub(crate) fn verify(token: &str) -> Value {
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[format!("useparagon.com/{PROJECT}")]);
    validation.set_required_spec_claims(&["exp", "sub", "aud", "iat"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("token verifies with the public key")
        .claims
}
