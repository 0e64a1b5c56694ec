//! Issue 12, the server half: each test drives one finding through HTTP or the binary and
//! fails when its fix is reverted.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A token for `alice` with the given claims on top of valid `sub`/`exp`/`aud`.
fn token_with(env: &Env, extra: Value) -> String {
    let pem = env.server.signing_key_pem().unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let mut claims = json!({"sub": "alice", "exp": now() + 600, "aud": "useparagon.com/proj-test"});
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .unwrap()
}

async fn status_with(env: &Env, token: &str, method: Method, url: &str) -> (u16, String) {
    let res = env
        .http
        .request(method, url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Finding 6: `/<tab>/evil.example/` passes a "starts with one slash" check, and a browser
/// drops the tab and goes to `//evil.example/`.
#[tokio::test]
async fn redirect_urls_a_browser_would_rewrite_are_refused() {
    let env = start().await;
    let build = |redirect: &str| {
        let mut url = url::Url::parse(&format!(
            "{}/v2/projects/proj-test/sdk/actions/build-oauth",
            env.server.url()
        ))
        .unwrap();
        url.query_pairs_mut()
            .append_pair("integrationId", "custom.tasklab")
            .append_pair("redirectUrl", redirect);
        url.to_string()
    };
    for bad in [
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/ /evil.example/",
        "/\\evil.example/",
        "//evil.example/",
        "https://evil.example/",
    ] {
        let (status, body) = env.call("alice", Method::GET, &build(bad), None, &[]).await;
        assert_eq!(status, 400, "{bad:?} accepted: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("redirectUrl"),
            "{body}"
        );
    }
    for good in ["/done?x=1", "http://localhost:3000/done"] {
        let (status, body) = env
            .call("alice", Method::GET, &build(good), None, &[])
            .await;
        assert_eq!(status, 200, "{good:?} refused: {body}");
    }
}

/// Finding 12: `nbf` in the future, a permissions claim that is not an object (fail closed).
#[tokio::test]
async fn tokens_not_yet_valid_or_with_malformed_permissions_are_refused() {
    let env = start().await;
    env.connect_oauth("alice", "custom.tasklab").await;
    let me = env.project("/sdk/me");

    let early = token_with(&env, json!({"nbf": now() + 3600}));
    let (status, body) = status_with(&env, &early, Method::GET, &me).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("nbf"), "{body}");

    let proxy = env.project("/sdk/proxy/custom.tasklab/tasks");
    for malformed in [json!("all"), json!(true), json!(["credential:write"])] {
        let t = token_with(
            &env,
            json!({"urn:useparagon:connect:permissions": malformed}),
        );
        let (status, body) = status_with(&env, &t, Method::GET, &proxy).await;
        assert_eq!(status, 403, "{malformed}: {body}");
        let (status, body) =
            status_with(&env, &t, Method::GET, &env.project("/sdk/credentials")).await;
        assert_eq!((status, body.as_str()), (200, "[]"), "{malformed}");
    }
    let ok = token_with(&env, json!({}));
    assert_eq!(status_with(&env, &ok, Method::GET, &proxy).await.0, 200);
}

/// Finding 12: a server configured to require `aud` refuses tokens without one.
#[tokio::test]
async fn a_required_audience_refuses_tokens_without_one() {
    let env = start_with(paragon_fake_provider::FakeProvider::builder(), |b| {
        b.require_audience(true)
    })
    .await;
    let me = env.project("/sdk/me");
    let bare = token_with(&env, json!({"aud": null}));
    let (status, body) = status_with(&env, &bare, Method::GET, &me).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("aud"), "{body}");
    assert_eq!(
        status_with(&env, &env.token("alice"), Method::GET, &me)
            .await
            .0,
        200
    );

    // Without the setting the same token is accepted (Paragon's default).
    let lax = start().await;
    let bare = token_with(&lax, json!({"aud": null}));
    assert_eq!(
        status_with(&lax, &bare, Method::GET, &lax.project("/sdk/me"))
            .await
            .0,
        200
    );
}

/// Finding 18 (server part): metadata is rendered into headers, so a line break is refused at
/// `PATCH /sdk/me`, with the JSON pointer of the value.
#[tokio::test]
async fn user_metadata_with_line_breaks_is_refused() {
    let env = start().await;
    let me = env.project("/sdk/me");
    let (status, body) = env
        .call(
            "alice",
            Method::PATCH,
            &me,
            Some(json!({"meta": {"org": {"name": "Acme\r\nX-Evil: 1"}}})),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("/meta/org/name"),
        "{body}"
    );
    let (_, body) = env.call("alice", Method::GET, &me, None, &[]).await;
    assert_eq!(body["meta"], json!({}), "nothing stored");
    let (status, _) = env
        .call(
            "alice",
            Method::PATCH,
            &me,
            Some(json!({"meta": {"org": "Acme"}})),
            &[],
        )
        .await;
    assert_eq!(status, 200);
}

/// Finding 19: the SQLite file holds every secret, sealed, and the metadata in the clear:
/// it is created readable by its owner only; the expiry sweep of OAuth states uses an index.
#[cfg(unix)]
#[tokio::test]
async fn the_database_file_is_private_and_the_state_sweep_is_indexed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let provider = paragon_fake_provider::FakeProvider::builder()
        .start()
        .await
        .unwrap();
    let server = server_for(&provider)
        .database_url(path.display().to_string())
        .start()
        .await
        .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "database file mode {mode:o}");
    drop(server);

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    use sqlx::Row;
    let plan: Vec<String> =
        sqlx::query("EXPLAIN QUERY PLAN DELETE FROM oauth_states WHERE expires_at < 1")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>("detail").unwrap())
            .collect();
    assert!(
        plan.iter().any(|d| d.contains("INDEX")),
        "the sweep scans the table: {plan:?}"
    );
}

/// Finding 19: `{env.*}` cannot name the server's own secrets; such a manifest is refused at
/// start instead of sending the key to a provider.
#[tokio::test]
async fn manifests_cannot_read_the_servers_own_secrets() {
    let leaky = manifest(
        r##"
name = "Leaky"
description = "Sends the server's key as its API key."
icon = "icon.svg"
color = "#0F766E"

[auth]
type = "api_key"

[[inputs]]
key = "api_key"
label = "API key"

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "headers", headers = { "X-Api-Key" = "{env.PARAGON_LOCAL_ENCRYPTION_KEY}" } }
"##,
    );
    let provider = paragon_fake_provider::FakeProvider::builder()
        .start()
        .await
        .unwrap();
    let err = server_for(&provider)
        .secret("PARAGON_LOCAL_ENCRYPTION_KEY", "c2VjcmV0")
        .manifest(leaky)
        .start()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("env.PARAGON_LOCAL_ENCRYPTION_KEY"), "{err}");
}

/// Finding 19: concurrent metadata merges and workflow switches lose nothing on PostgreSQL.
#[tokio::test]
async fn concurrent_metadata_and_workflow_writes_lose_nothing_on_postgres() {
    let Some(db) = postgres_url("concurrent_metadata_and_workflow_writes_lose_nothing_on_postgres")
    else {
        return;
    };
    let env = start_with(paragon_fake_provider::FakeProvider::builder(), |b| {
        b.dev(false)
            .project_id(format!("pg-{}", uuid::Uuid::new_v4()))
            .project_key(paragon_local::ProjectKey::generate())
            .encryption_key(paragon_local::EncryptionKey::generate())
            .database_url(db)
    })
    .await;
    let me = env.project("/sdk/me");
    let env = &env;
    let patches = (0..24).map(|i| {
        let me = me.clone();
        async move {
            env.call(
                "alice",
                Method::PATCH,
                &me,
                Some(json!({"meta": {format!("k{i}"): i}})),
                &[],
            )
            .await
        }
    });
    for (status, body) in futures_util::future::join_all(patches).await {
        assert_eq!(status, 200, "{body}");
    }
    let (_, body) = env.call("alice", Method::GET, &me, None, &[]).await;
    let meta = body["meta"].as_object().unwrap();
    assert_eq!(meta.len(), 24, "lost updates: {meta:?}");

    let wf = env.project("/sdk/workflows/wf-1");
    let switches = (0..16).map(|i| {
        let wf = wf.clone();
        let method = if i % 2 == 0 {
            Method::POST
        } else {
            Method::DELETE
        };
        async move { env.call("bob", method, &wf, None, &[]).await }
    });
    for (status, body) in futures_util::future::join_all(switches).await {
        assert_eq!(status, 200, "{body}");
    }
}
