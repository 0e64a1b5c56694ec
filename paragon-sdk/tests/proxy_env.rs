//! Proxies from the environment (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`) and
//! `ParagonBuilder::no_proxy`. One test in this binary, so nothing else reads the environment
//! while it changes.

#![allow(unsafe_code)] // edition 2024 makes changing the environment unsafe; see SAFETY below

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use paragon_sdk::{Error, Method, Paragon};
use serde_json::{Value, json};

/// What a server saw: method, request target, `Proxy-Authorization`.
type Seen = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

/// A server that records each request and answers `{"output": {"from": name}}`; a `CONNECT` is
/// refused with 403, so a tunnel never opens (no TLS server is needed to see it asked for).
fn serve(listener: std::net::TcpListener, name: &'static str) -> Seen {
    let seen = Seen::default();
    let record = seen.clone();
    let app = Router::new().fallback(move |request: Request| {
        let record = record.clone();
        async move {
            let auth = request
                .headers()
                .get(header::PROXY_AUTHORIZATION)
                .map(|v| v.to_str().unwrap().to_owned());
            let method = request.method().to_string();
            record
                .lock()
                .unwrap()
                .push((method.clone(), request.uri().to_string(), auth));
            if method == "CONNECT" {
                return (StatusCode::FORBIDDEN, String::new());
            }
            (
                StatusCode::OK,
                json!({"output": {"from": name}}).to_string(),
            )
        }
    });
    listener.set_nonblocking(true).unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    seen
}

async fn from(paragon: &Paragon) -> paragon_sdk::Result<String> {
    let v: Value = paragon
        .request("custom.tasklab", Method::GET, "/v1/tasks")
        .await?
        .json()
        .await?;
    Ok(v["from"].as_str().unwrap_or_default().to_owned())
}

fn client(base: &str) -> paragon_sdk::ParagonBuilder {
    Paragon::builder()
        .ignore_env()
        .project_id("p")
        .user_token("a-token")
        .base_url(base)
}

#[test]
fn proxies_come_from_the_environment() {
    let paragon_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let paragon_port = paragon_listener.local_addr().unwrap().port();
    let proxy_port = proxy_listener.local_addr().unwrap().port();
    let proxy = format!("http://alice:s%20cret@127.0.0.1:{proxy_port}");
    // SAFETY: no runtime and no other thread exist yet, and this binary has a single test.
    unsafe {
        for v in [
            "ALL_PROXY",
            "all_proxy",
            "http_proxy",
            "https_proxy",
            "no_proxy",
        ] {
            std::env::remove_var(v);
        }
        std::env::set_var("HTTP_PROXY", &proxy);
        std::env::set_var("HTTPS_PROXY", &proxy);
        std::env::set_var("NO_PROXY", "localhost");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let at_paragon = serve(paragon_listener, "paragon");
        let at_proxy = serve(proxy_listener, "proxy");
        let basic = "Basic YWxpY2U6cyBjcmV0"; // alice:s cret
        let target =
            format!("http://127.0.0.1:{paragon_port}/projects/p/sdk/proxy/custom.tasklab/v1/tasks");

        // Plain http: the request goes to the proxy, in absolute form, with its credentials.
        let proxied = client(&format!("http://127.0.0.1:{paragon_port}"))
            .build()
            .unwrap();
        assert_eq!(from(&proxied).await.unwrap(), "proxy");
        let seen = at_proxy.lock().unwrap().pop().unwrap();
        assert_eq!(seen, ("GET".into(), target.clone(), Some(basic.into())));
        assert!(at_paragon.lock().unwrap().is_empty());

        // `no_proxy()` ignores the environment.
        let direct = client(&format!("http://127.0.0.1:{paragon_port}"))
            .no_proxy()
            .build()
            .unwrap();
        assert_eq!(from(&direct).await.unwrap(), "paragon");
        let seen = at_paragon.lock().unwrap().pop().unwrap();
        assert_eq!(seen.2, None, "no proxy credentials reach Paragon");

        // NO_PROXY names hosts that are reached directly.
        let listed = client(&format!("http://localhost:{paragon_port}"))
            .build()
            .unwrap();
        assert_eq!(from(&listed).await.unwrap(), "paragon");

        // https: a CONNECT tunnel to the destination, authenticated; the proxy's refusal is a
        // transport error that names no URL.
        let tunneled = client(&format!("https://127.0.0.1:{paragon_port}"))
            .retry(paragon_sdk::RetryPolicy::none())
            .build()
            .unwrap();
        let err = from(&tunneled).await.unwrap_err();
        assert!(matches!(err, Error::Transport(_)), "{err:?}");
        assert!(!format!("{err:?}").contains("/projects/"), "{err:?}");
        let seen = at_proxy.lock().unwrap().pop().unwrap();
        assert_eq!(
            seen,
            (
                "CONNECT".into(),
                format!("127.0.0.1:{paragon_port}"),
                Some(basic.into())
            )
        );
    });
}
