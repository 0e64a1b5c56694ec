//! Hosts that end users (or token answers) choose never reach loopback, private, link-local or
//! metadata addresses; hosts the manifest fixes may. Refusals are decided before connecting:
//! names are pinned with `LocalServerBuilder::resolve`, so no packet leaves loopback.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

/// Task Lab keyed by a header, with the whole base URL from the end user's `instance` input.
const INSTANCE_MANIFEST: &str = r##"name = "Task Lab Instance"
description = "Task Lab at a URL the end user gives."
icon = "icon.svg"
color = "#0F766E"

[auth]
type = "api_key"

[[inputs]]
key = "instance"
label = "Instance URL"
kind = "url"

[[inputs]]
key = "api_key"
label = "API key"
kind = "password"

[api]
base_url = "{input.instance}/v1"
test_endpoint = "/me"
authorization = { type = "headers", headers = { "X-Api-Key" = "{input.api_key}" } }
"##;

/// Client credentials where the end user gives the token endpoint and the client.
const MACHINE_MANIFEST: &str = r##"name = "Task Lab Machine"
description = "Client credentials at a URL the end user gives."
icon = "icon.svg"
color = "#0F766E"

[auth]
type = "client_credentials"
token_url = "{input.instance}/oauth/token"
client_id = "{input.client_id}"
client_secret = "{input.client_secret}"

[[inputs]]
key = "instance"
label = "Instance URL"
kind = "url"

[[inputs]]
key = "client_id"
label = "Client ID"

[[inputs]]
key = "client_secret"
label = "Client secret"
kind = "password"

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##;

async fn env_with_instance() -> Env {
    start_with(FakeProvider::builder(), |b| {
        b.manifest(manifest(INSTANCE_MANIFEST))
            .manifest(manifest(MACHINE_MANIFEST))
            .resolve("internal.test", [IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))])
            .resolve(
                "metadata.test",
                [IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254))],
            )
    })
    .await
}

async fn connect_instance(env: &Env, user: &str, instance: &str) {
    let (status, body) = env
        .call(
            user,
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(json!({
                "integrationId": env.id("custom.tasklabinstance"),
                "payload": { "instance": instance, "api_key": env.provider.api_keys()[0] }
            })),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_instance_url_on_loopback_is_refused_and_nothing_reaches_it() {
    let env = env_with_instance().await;
    let port = env.provider.addr().port();
    for (user, instance) in [
        ("alice", env.provider.url().to_string()),
        ("bob", format!("http://localhost:{port}")),
        ("carol", format!("https://[::1]:{port}")),
    ] {
        connect_instance(&env, user, &instance).await;
        let (status, body) = env
            .proxy(user, Method::GET, "custom.tasklabinstance", "/me")
            .await;
        assert_eq!(status, 403, "{instance}: {body}");
        assert_eq!(body["code"], "host_not_allowed", "{instance}: {body}");
    }
    assert_eq!(env.provider.stats().api_calls, 0);
    // The manifest's own loopback host (an `{env.*}` URL) stays reachable.
    let (status, body) = env
        .call(
            "dave",
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(json!({
                "integrationId": env.id("custom.tasklabkeys"),
                "payload": { "api_key": env.provider.api_keys()[0] }
            })),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = env
        .proxy("dave", Method::GET, "custom.tasklabkeys", "/me")
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn names_that_resolve_to_private_or_metadata_addresses_are_refused_before_connecting() {
    let env = env_with_instance().await;
    for (user, instance) in [
        ("alice", "https://internal.test"),
        ("bob", "https://metadata.test"),
        ("carol", "https://10.0.0.1"),
        ("dave", "https://169.254.169.254"),
    ] {
        connect_instance(&env, user, instance).await;
        let started = Instant::now();
        let (status, body) = env
            .proxy(user, Method::GET, "custom.tasklabinstance", "/me")
            .await;
        assert_eq!(status, 403, "{instance}: {body}");
        assert_eq!(body["code"], "host_not_allowed", "{instance}: {body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap_or("")
                .contains("no public address"),
            "{instance}: {body}"
        );
        // Decided before any connection attempt (nothing listens there to answer quickly).
        assert!(started.elapsed() < Duration::from_secs(2), "{instance}");
    }
}

#[tokio::test]
async fn a_token_url_an_end_user_points_at_loopback_is_refused() {
    let env = env_with_instance().await;
    let (status, body) = env
        .call(
            "alice",
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(json!({
                "integrationId": env.id("custom.tasklabmachine"),
                "payload": {
                    "instance": env.provider.url(),
                    "client_id": env.provider.client_id(),
                    "client_secret": env.provider.client_secret(),
                }
            })),
            &[],
        )
        .await;
    assert_ne!(status, 200, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("no public address"),
        "{body}"
    );
    assert_eq!(env.provider.stats().token_requests.client_credentials, 0);
}
