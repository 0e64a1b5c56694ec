//! Inputs of kind `host` (self-hosted products): checked when the user connects, inserted
//! unescaped after `https://`, and held to the server's private-address rules for hosts that
//! end users choose.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr};

const SLUG: &str = "custom.tasklabselfhosted";

async fn connect(env: &Env, user: &str, server: &str) -> (u16, Value) {
    env.call(
        user,
        Method::POST,
        &env.project("/sdk/credentials"),
        Some(json!({
            "integrationId": env.id(SLUG),
            "payload": { "server": server, "api_key": env.provider.api_keys()[0] }
        })),
        &[],
    )
    .await
}

#[tokio::test]
async fn a_host_that_is_not_a_host_is_refused_at_connect() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.specs(specs().join("tasklab-selfhosted"))
    })
    .await;
    let (status, body) = connect(&env, "alice", "me@evil.example").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["message"],
        "invalid input values: server: `Server` must be a host such as `example.com`, `example.com:8443` or `example.com/base`: it must not contain `@` (user information)"
    );
}

#[tokio::test]
async fn a_chosen_host_on_private_addresses_is_never_reached() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.specs(specs().join("tasklab-selfhosted")).resolve(
            "tasks.internal.test",
            [IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7))],
        )
    })
    .await;
    let port = env.provider.addr().port();
    for (user, server) in [
        ("bob", "tasks.internal.test:8443/base".to_string()),
        ("carol", format!("127.0.0.1:{port}")),
    ] {
        let (status, body) = connect(&env, user, &server).await;
        assert_eq!(status, 200, "{server}: {body}");
        let (status, body) = env.proxy(user, Method::GET, SLUG, "/me").await;
        assert_eq!(status, 403, "{server}: {body}");
        assert_eq!(body["code"], "host_not_allowed", "{server}: {body}");
    }
    assert_eq!(env.provider.stats().api_calls, 0);
}
