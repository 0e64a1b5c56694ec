//! End to end through `paragon-sdk`, the client the project ships, against the local server
//! and the fake provider: every auth shape of `specs/`, errors as typed SDK errors.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use paragon_sdk::api::{NewCredential, OAuthOptions};
use paragon_sdk::{Error, Method, Paragon, SigningKey};
use serde_json::{Value, json};

fn sdk(env: &Env) -> Paragon {
    Paragon::builder()
        .ignore_env()
        .project_id(env.server.project_id())
        .signing_key(SigningKey::from_pem(env.server.signing_key_pem().unwrap()).unwrap())
        .base_url(env.server.url())
        .build()
        .unwrap()
}

/// build-oauth through the SDK, then the browser's part: follow the provider's redirect.
async fn connect(paragon: &Paragon, slug: &str) {
    let url = paragon
        .build_oauth(slug, &OAuthOptions::new())
        .await
        .unwrap();
    let page = reqwest::get(&url).await.unwrap();
    assert!(page.status().is_success(), "{}", page.status());
    // Started through the API, so the browser confirms (see `GET /oauth`).
    let callback = page.url().clone();
    let text = page.text().await.unwrap();
    let id = confirmation_id(&text).expect("a confirmation page");
    let confirm = callback.join("/oauth/confirm").unwrap();
    let done = reqwest::Client::new()
        .post(confirm)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("confirmation", id.as_str()),
            ("decision", "allow"),
        ]))
        .send()
        .await
        .unwrap();
    assert!(done.status().is_success(), "{}", done.status());
}

#[tokio::test]
async fn oauth_integration_through_the_sdk() {
    let env = start().await;
    let paragon = sdk(&env);
    let alice = paragon.user("alice");
    let err = alice
        .request("custom.tasklab", Method::GET, "/tasks")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IntegrationNotEnabled(_)), "{err:?}");

    connect(&alice, "custom.tasklab").await;
    let created: Value = alice
        .request("custom.tasklab", Method::POST, "/tasks")
        .json(&json!({"title": "from the sdk"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["title"], "from the sdk");
    let tasks: Value = alice
        .request("custom.tasklab", Method::GET, "/tasks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(tasks.to_string().contains("from the sdk"), "{tasks}");

    let me = alice.me().await.unwrap();
    assert!(me.integrations["custom.tasklab"].enabled);
    let outcome = alice
        .test_connection("custom.tasklab", "/me")
        .await
        .unwrap();
    assert!(outcome.is_success());

    // Another user of the same project sees nothing of alice's.
    let bob = paragon.user("bob");
    assert!(bob.credentials().await.unwrap().is_empty());
    let id = &alice.credentials().await.unwrap()[0].id;
    let err = bob.credential(id).await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn api_key_integration_through_the_sdk() {
    let env = start().await;
    let carol = sdk(&env).user("carol");
    let key = env.provider.api_keys()[0].to_string();
    let c = carol
        .create_credential(&NewCredential::new("custom.tasklabkeys").value("api_key", key))
        .await
        .unwrap();
    let res = carol
        .request("custom.tasklabkeys", Method::GET, "/me")
        .credential(&c.id)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    // A configuration: the server answers with the credential, as the cloud does, and the SDK
    // returns the configuration it created, not the credential.
    let first = carol
        .create_configuration(&c.id, Some("team-a"))
        .await
        .unwrap();
    let second = carol.create_configuration(&c.id, None).await.unwrap();
    assert_eq!(first.external_id.as_deref(), Some("team-a"));
    assert_ne!(first.id, c.id);
    assert_ne!(second.id, first.id);
    let listed = carol.credential(&c.id).await.unwrap().configurations;
    assert!(listed.iter().any(|k| k.id == first.id) && listed.iter().any(|k| k.id == second.id));
    // A provider error is the provider's, with its status.
    let err = carol
        .request("custom.tasklabkeys", Method::GET, "/tasks/does-not-exist")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Provider { status, .. } if status.as_u16() == 404),
        "{err:?}"
    );
    carol
        .send_event("Task Created", &json!({"id": 1}))
        .await
        .unwrap();
    carol
        .uninstall("custom.tasklabkeys", Some(&c.id))
        .await
        .unwrap();
    assert!(carol.credentials().await.unwrap().is_empty());
}

#[tokio::test]
async fn forged_key_is_unauthorized_for_the_sdk() {
    let env = start().await;
    let other = paragon_local::ProjectKey::generate();
    let forged = Paragon::builder()
        .ignore_env()
        .project_id(env.server.project_id())
        .signing_key(SigningKey::from_pem(other.private_pem().unwrap()).unwrap())
        .base_url(env.server.url())
        .build()
        .unwrap()
        .user("alice");
    let err = forged.me().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn client_credentials_shape_through_the_sdk() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.manifest(manifest(
            r##"
name = "Task Lab Machine"
description = "Task Lab with the client credentials grant."
icon = "icon.svg"
color = "#123456"

[auth]
type = "client_credentials"
token_url = "{env.TASKLAB_URL}/oauth/token"
client_id = "{input.client_id}"
client_secret = "{input.client_secret}"
scopes = ["tasks:read", "tasks:write"]

[[inputs]]
key = "client_id"
label = "Client ID"
kind = "text"

[[inputs]]
key = "client_secret"
label = "Client secret"
kind = "password"

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##,
        ))
    })
    .await;
    let dan = sdk(&env).user("dan");
    dan.create_credential(
        &NewCredential::new("custom.tasklabmachine")
            .value("client_id", env.provider.client_id())
            .value("client_secret", env.provider.client_secret()),
    )
    .await
    .unwrap();
    let res = dan
        .request("custom.tasklabmachine", Method::GET, "/me")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
}

#[tokio::test]
async fn workflows_events_and_actionkit_through_the_sdk() {
    let wf = paragon_manifest::workflow::Workflow::parse(
        "id = \"wf-1\"\nname = \"Log\"\n[trigger]\ntype = \"request\"\n",
        "specs/tasklab/workflows/log.toml",
        &paragon_manifest::workflow::Context::default(),
    )
    .unwrap();
    let env = start_with(FakeProvider::builder(), |b| b.workflow(wf)).await;
    let erin = sdk(&env).user("erin");
    // Not enabled by default: refused until the user enables it.
    let err = erin
        .trigger_workflow("wf-1", &json!({"a": 1}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("disabled for this user"), "{err}");
    erin.enable_workflow("wf-1").await.unwrap();
    let outcome = erin
        .trigger_workflow("wf-1", &json!({"a": 1}))
        .await
        .unwrap();
    assert!(
        matches!(outcome, paragon_sdk::api::WorkflowOutcome::Accepted),
        "{outcome:?}"
    );
    erin.disable_workflow("wf-1").await.unwrap();
    assert!(erin.trigger_workflow("wf-1", &json!({})).await.is_err());
    erin.send_event("Signed Up", &json!({"plan": "pro"}))
        .await
        .unwrap();
    let tools = erin.actionkit_tools(&["custom.tasklab"]).await.unwrap();
    assert!(format!("{tools:?}").contains("custom.tasklab"), "{tools:?}");
    erin.set_metadata(&json!({"Email": "erin@example.com"}))
        .await
        .unwrap();
    assert_eq!(erin.me().await.unwrap().meta["Email"], "erin@example.com");
}
