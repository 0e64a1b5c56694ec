//! Where Paragon lives: the cloud (default), an on-prem host, or one URL per service.
//!
//! The same settings exist as builder calls and as environment variables:
//!
//! | builder | environment | effect |
//! |---|---|---|
//! | (nothing) | (nothing) | Paragon's cloud: `https://zeus.useparagon.com`, … |
//! | `.host("paragon.example.com")` | `PARAGON_HOST` | `https://zeus.paragon.example.com`, `https://worker-proxy.…`, … |
//! | `.api_url(..)`, `.proxy_url(..)`, `.events_url(..)`, `.actionkit_url(..)`, `.passport_url(..)` | `PARAGON_API_URL`, `PARAGON_PROXY_URL`, … | one service moved (applied after the host) |
//! | `.base_url(..)` | — | every service at one address (a local Connect server) |
//!
//! [`run`] prints the URLs each form resolves to (nothing is sent to those hosts), then makes
//! real calls with per-service URLs pointing at a local Connect server.

use paragon_sdk::{Method, Paragon, ServiceUrls, SigningKey};
use serde_json::Value;

use crate::demo::{Demo, TASKLAB_KEYS};
use crate::{Out, Result};

fn show(out: &mut Out, urls: &ServiceUrls) {
    out.line(format!("  api (users, credentials)  {}", urls.api));
    out.line(format!("  proxy                     {}", urls.proxy));
    out.line(format!("  events                    {}", urls.events));
    out.line(format!("  actionkit                 {}", urls.actionkit));
    out.line(format!("  passport (OAuth redirect) {}", urls.passport));
}

/// Prints the cloud, on-prem and per-service configurations, then calls a local server
/// configured service by service.
pub async fn run(out: &mut Out) -> Result<()> {
    // `ignore_env()` so what the process environment holds does not change the printout.
    out.heading("Paragon's cloud (the default)");
    let cloud = Paragon::builder()
        .ignore_env()
        .user_token("a-user-token")
        .build()?;
    show(out, cloud.urls()?);

    out.heading("On-prem: .host(\"paragon.example.com\") or PARAGON_HOST=paragon.example.com");
    let on_prem = Paragon::builder()
        .ignore_env()
        .host("paragon.example.com")
        .user_token("a-user-token")
        .build()?;
    show(out, on_prem.urls()?);

    out.heading("On-prem with the proxy elsewhere: .host(..).proxy_url(..)");
    let split = Paragon::builder()
        .ignore_env()
        .host("paragon.example.com")
        .proxy_url("https://proxy.internal.example.com:8443")
        .user_token("a-user-token")
        .build()?;
    show(out, split.urls()?);

    out.heading("Per-service URLs at a local Connect server, used for real");
    let demo = Demo::start().await?;
    let paragon = Paragon::builder()
        .ignore_env()
        .project_id(demo.project_id())
        .signing_key(SigningKey::from_pem(demo.signing_key_pem())?)
        .api_url(demo.url())
        .proxy_url(demo.url())
        .events_url(demo.url())
        .actionkit_url(demo.url())
        .passport_url(demo.url())
        .no_proxy()
        .build()?;
    show(out, paragon.urls()?);
    out.line(format!(
        "  OAuth redirect URL to register with providers: {}",
        paragon.oauth_redirect_url()?
    ));
    let alice = paragon.user("alice");
    demo.connect_api_key("alice", TASKLAB_KEYS).await?;
    let me = alice.me().await?;
    out.line(format!(
        "api:   GET /sdk/me -> user {:?}, {} enabled: {}",
        me.user_id.as_deref().unwrap_or(""),
        TASKLAB_KEYS,
        me.integrations
            .get(TASKLAB_KEYS)
            .is_some_and(|state| state.enabled)
    ));
    let who: Value = alice
        .request(TASKLAB_KEYS, Method::GET, "/me")
        .await?
        .json()
        .await?;
    out.line(format!(
        "proxy: GET /me -> Task Lab user {} via {}",
        who["id"], who["via"]
    ));
    alice
        .send_event("Task Created", &serde_json::json!({ "title": "x" }))
        .await?;
    out.line("events: app event \"Task Created\" accepted");

    demo.shutdown().await;
    Ok(())
}
