//! `callback_code` and `callback_capture`: the code under the provider's name on the redirect
//! back, and a realm from that redirect kept in the credential for later requests.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;

const SLUG: &str = "custom.tasklabrealms";

#[tokio::test]
async fn the_realm_from_the_callback_goes_with_every_request() {
    let provider = FakeProvider::builder()
        .code_param("auth_code")
        .callback_realm("eu-2");
    let env = start_with(provider, |b| b.specs(specs().join("tasklab-realm"))).await;
    env.connect_oauth("alice", SLUG).await;
    let (status, echo) = env.proxy("alice", Method::GET, SLUG, "/echo").await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(
        echo["output"]["headers"]["x-tasklab-realm"], "eu-2",
        "{echo}"
    );
}
