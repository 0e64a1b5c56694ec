//! The calls Paragon addresses by integration UUID (`POST /sdk/credentials`, `build-oauth`,
//! `DELETE /sdk/integrations/{id}`) refuse a slug here as in the cloud, saying where the UUID
//! is found, so code relying on slugs fails locally too.

use crate::common;

use common::start;
use reqwest::Method;
use serde_json::{Value, json};

/// A refusal of `slug` that names the UUID and `/sdk/integrations`.
fn assert_refused(status: u16, body: &Value, slug: &str) {
    assert_eq!(status, 400, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(slug), "{message}");
    assert!(message.contains("UUID"), "{message}");
    assert!(message.contains("/sdk/integrations"), "{message}");
}

#[tokio::test]
async fn slugs_are_refused_where_paragon_takes_the_integration_uuid() {
    let env = start().await;
    let key = env.provider.api_keys()[0].to_string();
    let credentials = env.project("/sdk/credentials");

    let by_slug = json!({"integrationId": "custom.tasklabkeys", "payload": {"api_key": key}});
    let (status, body) = env
        .call("ada", Method::POST, &credentials, Some(by_slug), &[])
        .await;
    assert_refused(status, &body, "custom.tasklabkeys");

    let build = |id: &str| {
        format!(
            "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={id}",
            env.server.url(),
            env.server.project_id()
        )
    };
    for slug in ["custom.tasklab", "tasklab"] {
        let (status, body) = env.call("ada", Method::GET, &build(slug), None, &[]).await;
        assert_refused(status, &body, slug);
    }

    // Nothing was stored by the refused calls; the UUID connects.
    let (_, listed) = env.call("ada", Method::GET, &credentials, None, &[]).await;
    assert_eq!(listed, json!([]));
    let id = env.id("custom.tasklabkeys");
    let by_id = json!({"integrationId": id, "payload": {"api_key": key}});
    let (status, body) = env
        .call("ada", Method::POST, &credentials, Some(by_id), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = env
        .call(
            "ada",
            Method::GET,
            &build(&env.id("custom.tasklab")),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Uninstall by slug is refused and removes nothing; by UUID it disconnects.
    let uninstall = |i: &str| env.project(&format!("/sdk/integrations/{i}"));
    let (status, body) = env
        .call(
            "ada",
            Method::DELETE,
            &uninstall("custom.tasklabkeys"),
            None,
            &[],
        )
        .await;
    assert_refused(status, &body, "custom.tasklabkeys");
    let (_, listed) = env.call("ada", Method::GET, &credentials, None, &[]).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let (status, body) = env
        .call("ada", Method::DELETE, &uninstall(&id), None, &[])
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, listed) = env.call("ada", Method::GET, &credentials, None, &[]).await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn an_unknown_integration_id_points_to_the_listing() {
    let env = start().await;
    let (status, body) = env
        .call(
            "ada",
            Method::DELETE,
            &env.project("/sdk/integrations/6f1c2b0e-0000-4000-8000-000000000000"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("/sdk/integrations")),
        "{body}"
    );
}
