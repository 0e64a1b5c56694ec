//! `alternate_token_path` and nested `capture` end to end: Task Lab answers token requests as
//! Slack does for user tokens (`authed_user.access_token`, no top-level one, the team under
//! `team.id`); the local server reads the token there, refreshes it with the refresh token
//! found beside it, and sends the captured team id with every request.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::Method;

const SLUG: &str = "custom.tasklabusertokens";

#[tokio::test]
async fn the_nested_user_token_and_team_id_are_used_and_refreshed() {
    let provider = FakeProvider::builder().nested_user_tokens(true);
    let env = start_with(provider, |b| b.specs(specs().join("tasklab-usertoken"))).await;
    env.connect_oauth("alice", SLUG).await;
    let (status, echo) = env.proxy("alice", Method::GET, SLUG, "/echo").await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(
        echo["output"]["headers"]["x-tasklab-team"], "team-ada",
        "{echo}"
    );
    let authorization = echo["output"]["headers"]["authorization"].as_str().unwrap();
    assert!(
        authorization.starts_with("Bearer tl_at_"),
        "{authorization}"
    );

    // The refresh token came from `authed_user` too: a refused token is refreshed with it.
    env.provider.revoke_access_tokens();
    let (status, me) = env.proxy("alice", Method::GET, SLUG, "/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(env.provider.stats().token_requests.refresh_token, 1);
}

/// Without `alternate_token_path` such an answer has no token where the manifest looks: the
/// connection fails and nothing is stored.
#[tokio::test]
async fn an_answer_without_a_token_where_the_manifest_looks_is_refused() {
    let provider = FakeProvider::builder().nested_user_tokens(true);
    let env = start_with(provider, |b| b).await;
    let url = format!(
        "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={}",
        env.server.url(),
        env.server.project_id(),
        env.id("custom.tasklab")
    );
    let (status, body) = env.call("bob", Method::GET, &url, None, &[]).await;
    assert_eq!(status, 200, "build-oauth: {body}");
    let res = env
        .http
        .get(body["redirectUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let (status, page) = env.confirm_in_browser(res, "allow").await;
    assert!(!page.contains("Connected"), "{status} {page}");
    assert_eq!(env.provider.stats().token_requests.authorization_code, 1);
    let (_, creds) = env
        .call(
            "bob",
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await;
    assert_eq!(creds, serde_json::json!([]), "{creds}");
}
