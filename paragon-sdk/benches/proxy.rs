//! SDK overhead against bare reqwest, token cache cost, and raw minting cost.
//!
//! Run with `cargo bench -p paragon-sdk --bench proxy`. The three proxy benchmarks make the same
//! exchange with the same local server, one connection kept alive, and decode the same JSON.

#![allow(unsafe_code)] // OS calls below, each with its SAFETY comment

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

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

    let bare_call = || async {
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
        black_box(v["output"].clone());
    };
    let sdk_call = |p: &Paragon| {
        let request = p
            .request("custom.tasklab", Method::GET, "/v1/tasks")
            .query(&[("limit", "5")]);
        async move {
            let v: serde_json::Value = request.await.unwrap().json().await.unwrap();
            black_box(v);
        }
    };

    let variants: [(&str, Option<&Paragon>); 3] = [
        ("bare_reqwest", None),
        ("sdk_user_token", Some(&sdk_token)),
        ("sdk_signing_key_cached", Some(&alice)),
    ];
    let (bare_call, sdk_call) = (&bare_call, &sdk_call);
    let run = |variant: Option<&Paragon>| {
        let sdk = variant.map(sdk_call);
        async move {
            match sdk {
                Some(call) => call.await,
                None => bare_call().await,
            }
        }
    };
    let (variants, run) = (&variants, &run);
    // Every iteration of every benchmark runs all three exchanges, in an order that rotates
    // with the iteration, and times only its own: all three see the same machine load, server
    // state and warm connection, and none is always first or last (measured one after the
    // other, whichever ran third was slower whatever it was). `proxy_get` is wall-clock time;
    // `proxy_get_client_cpu` is the CPU time of the client thread (the server runs on another
    // thread), which a loaded machine does not blur.
    for (group_name, clock) in [
        ("proxy_get", wall as fn() -> Duration),
        ("proxy_get_client_cpu", thread_cpu),
    ] {
        let mut group = c.benchmark_group(group_name);
        group.measurement_time(Duration::from_secs(10));
        for (own, (name, _)) in variants.iter().enumerate() {
            group.bench_function(*name, |b| {
                b.to_async(&rt).iter_custom(|iters| async move {
                    let mut total = Duration::ZERO;
                    for i in 0..iters {
                        for k in 0..variants.len() {
                            let which = (i as usize + k) % variants.len();
                            if which == own {
                                let t = clock();
                                run(variants[which].1).await;
                                total += clock() - t;
                            } else {
                                run(variants[which].1).await;
                            }
                        }
                    }
                    total
                })
            });
        }
        group.finish();
    }
}

/// Wall-clock time since a fixed start.
fn wall() -> Duration {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// CPU time consumed by the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill in.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
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
