//! `[auth.authorization_param_names]`: the authorization URL carries the client id under the
//! provider's name (`app_id`), against a Task Lab that reads only that name.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;

#[tokio::test]
async fn a_user_connects_when_the_provider_names_the_client_id_app_id() {
    let env = start_with(FakeProvider::builder().client_id_param("app_id"), |b| {
        b.specs(specs().join("tasklab-appid"))
    })
    .await;
    env.connect_oauth("alice", "custom.tasklabappid").await;
    let (status, me) = env
        .proxy("alice", Method::GET, "custom.tasklabappid", "/me")
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["output"]["id"], "ada", "{me}");
}
