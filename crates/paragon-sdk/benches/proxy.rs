//! SDK overhead against bare reqwest, token cache cost, and raw minting cost.
//!
//! Run with `cargo bench -p paragon-sdk --bench proxy`. Both proxy benchmarks make the same
//! exchange with the same local server, one connection kept alive, and decode the same JSON.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::header;
use criterion::{Criterion, criterion_group, criterion_main};
use paragon_sdk::{Method, Paragon, SigningKey, TokenOptions};

const KEY: &str = include_str!("../tests/fixtures/test-only-private-pkcs8.pem");
const BODY: &str = r#"{"output":[{"id":"t1","title":"Write docs","done":false},{"id":"t2","title":"Ship","done":true}]}"#;

/// Serves the canned answer on its own thread and runtime, so the client's runtime only runs
/// the client.
fn start_server() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = Router::new()
                .fallback(|| async { ([(header::CONTENT_TYPE, "application/json")], BODY) });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn proxy(c: &mut Criterion) {
    let addr = start_server();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = format!("http://{addr}");
    let key = SigningKey::from_pem(KEY).unwrap();
    let token = key.mint("p", "user-42", &TokenOptions::new()).unwrap();

    let sdk_token = Paragon::builder()
        .ignore_env()
        .project_id("p")
        .base_url(&base)
        .user_token(token.expose())
        .build()
        .unwrap();
    let sdk_key = Paragon::builder()
        .ignore_env()
        .project_id("p")
        .base_url(&base)
        .signing_key(key.clone())
        .build()
        .unwrap();
    let alice = sdk_key.user("user-42");
    let bare = reqwest::Client::new();
    let url = format!("{base}/projects/p/sdk/proxy/custom.tasklab/v1/tasks?limit=5");
    let bearer = format!("Bearer {}", token.expose());

    let mut group = c.benchmark_group("proxy_get");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("bare_reqwest", |b| {
        b.to_async(&rt).iter(|| async {
            let res = bare
                .get(&url)
                .header(header::AUTHORIZATION, &bearer)
                .header(header::ACCEPT, "application/json")
                .header("x-paragon-sdk-version", "rust-0.1.0")
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success());
            let body = res.bytes().await.unwrap();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            black_box(v["output"].clone())
        })
    });
    group.bench_function("sdk_user_token", |b| {
        b.to_async(&rt).iter(|| async {
            let v: serde_json::Value = sdk_token
                .request("custom.tasklab", Method::GET, "/v1/tasks")
                .query(&[("limit", "5")])
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            black_box(v)
        })
    });
    group.bench_function("sdk_signing_key_cached", |b| {
        b.to_async(&rt).iter(|| async {
            let v: serde_json::Value = alice
                .request("custom.tasklab", Method::GET, "/v1/tasks")
                .query(&[("limit", "5")])
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            black_box(v)
        })
    });
    group.finish();
}

fn tokens(c: &mut Criterion) {
    let key = SigningKey::from_pem(KEY).unwrap();
    let paragon = Paragon::builder()
        .ignore_env()
        .project_id("p")
        .signing_key(key.clone())
        .build()
        .unwrap();
    paragon.user("user-42").user_token().unwrap();
    let mut group = c.benchmark_group("token");
    group.bench_function("cached_per_request", |b| {
        b.iter(|| black_box(paragon.user(black_box("user-42")).user_token().unwrap()))
    });
    let options = TokenOptions::new();
    group.bench_function("mint_rs256", |b| {
        b.iter(|| black_box(key.mint("p", black_box("user-42"), &options).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, proxy, tokens);
criterion_main!(benches);
