//! The PostgreSQL backend, run when `PARAGON_TEST_DATABASE_URL=postgres://…` is set (CI starts
//! a server); otherwise each test prints that it was skipped.

mod common;

use common::*;
use paragon_fake_provider::FakeProvider;
use paragon_fake_provider::RunningProvider;
use paragon_local::{EncryptionKey, LocalServerBuilder, ProjectKey};
use reqwest::Method;

/// One project on the shared PostgreSQL store: every replica gets the same project id, project
/// key and encryption key.
struct Deployment {
    db: String,
    project: String,
    key: ProjectKey,
    enc: EncryptionKey,
}

impl Deployment {
    fn new(db: String) -> Self {
        Self {
            db,
            project: format!("pg-{}", uuid::Uuid::new_v4()),
            key: ProjectKey::generate(),
            enc: EncryptionKey::generate(),
        }
    }

    fn replica(&self, provider: &RunningProvider) -> LocalServerBuilder {
        server_for(provider)
            .dev(false)
            .project_id(&self.project)
            .project_key(self.key.clone())
            .encryption_key(self.enc.clone())
            .database_url(&self.db)
    }
}

/// Two replicas behind one store: a connection made through one is usable through the other,
/// and a token the provider stopped accepting is refreshed exactly once for 50 calls spread
/// over both (the cross-replica lease; revoking instead of waiting for expiry keeps the test
/// independent of how fast a debug build opens PostgreSQL connections).
#[tokio::test]
async fn two_replicas_share_credentials_and_refresh_once() {
    let Some(db) = postgres_url("two_replicas_share_credentials_and_refresh_once") else {
        return;
    };
    let provider = FakeProvider::builder()
        .auto_approve(true)
        .start()
        .await
        .unwrap();
    let deployment = Deployment::new(db);
    let project = deployment.project.clone();
    let replica = |provider: &RunningProvider| deployment.replica(provider);
    let a = replica(&provider).start().await.unwrap();
    let b = replica(&provider).start().await.unwrap();
    let b_url = b.url().to_string();
    let env = Env {
        provider,
        server: a,
        http: reqwest::Client::new(),
    };
    env.connect_oauth("alice", "custom.tasklab").await;
    env.provider.revoke_access_tokens();
    let before = env.provider.stats().token_requests.refresh_token;
    let calls = (0..50).map(|i| {
        let base = if i % 2 == 0 {
            env.server.url().to_string()
        } else {
            b_url.clone()
        };
        let url = format!("{base}/projects/{project}/sdk/proxy/custom.tasklab/me");
        let env = &env;
        async move { env.call("alice", Method::GET, &url, None, &[]).await }
    });
    let started = std::time::Instant::now();
    for (status, body) in futures_util::future::join_all(calls).await {
        assert_eq!(status, 200, "{body}");
    }
    let refreshes = env.provider.stats().token_requests.refresh_token - before;
    assert_eq!(refreshes, 1, "50 calls took {:?}", started.elapsed());

    b.shutdown().await;
}

/// A disconnect through one replica is seen by the other at once (`LISTEN`/`NOTIFY`), even
/// with a credential cache that would otherwise keep the old list for an hour.
#[tokio::test]
async fn a_disconnect_on_one_replica_reaches_the_other_at_once() {
    let Some(db) = postgres_url("a_disconnect_on_one_replica_reaches_the_other_at_once") else {
        return;
    };
    let provider = FakeProvider::builder()
        .auto_approve(true)
        .start()
        .await
        .unwrap();
    let deployment = Deployment::new(db);
    let project = deployment.project.clone();
    let replica = |provider: &RunningProvider| {
        deployment
            .replica(provider)
            .credential_cache_ttl(std::time::Duration::from_secs(3600))
    };
    let a = replica(&provider).start().await.unwrap();
    let b = replica(&provider).start().await.unwrap();
    let b_url = b.url().to_string();
    let env = Env {
        provider,
        server: a,
        http: reqwest::Client::new(),
    };
    env.connect_oauth("alice", "custom.tasklab").await;
    // Warm both replicas' caches.
    let proxy_b = format!("{b_url}/projects/{project}/sdk/proxy/custom.tasklab/me");
    let (status, body) = env.call("alice", Method::GET, &proxy_b, None, &[]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = env
        .proxy("alice", Method::GET, "custom.tasklab", "/me")
        .await;
    assert_eq!(status, 200, "{body}");

    // Disconnect through A; B must stop using the credential (the notification arrives
    // asynchronously, so poll; without it B would keep the cached list for an hour).
    let uninstall = env.project(&format!("/sdk/integrations/{}", env.id("custom.tasklab")));
    let (status, body) = env
        .call("alice", Method::DELETE, &uninstall, None, &[])
        .await;
    assert_eq!(status, 200, "{body}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, body) = env.call("alice", Method::GET, &proxy_b, None, &[]).await;
        if status == 404 {
            assert_eq!(body["code"], "integration_not_enabled", "{body}");
            break;
        }
        assert_eq!(status, 200, "{body}");
        assert!(
            std::time::Instant::now() < deadline,
            "replica B still uses a credential disconnected through replica A"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    b.shutdown().await;
}

#[tokio::test]
async fn postgres_restart_keeps_credentials() {
    let Some(db) = postgres_url("postgres_restart_keeps_credentials") else {
        return;
    };
    let provider = FakeProvider::builder()
        .auto_approve(true)
        .start()
        .await
        .unwrap();
    let deployment = Deployment::new(db);
    let build = |provider: &RunningProvider| deployment.replica(provider);
    let server = build(&provider).start().await.unwrap();
    let env = Env {
        provider,
        server,
        http: reqwest::Client::new(),
    };
    let key_url = env.project("/sdk/credentials");
    let api_key = env.provider.api_keys()[0].to_string();
    let (status, body) = env
        .call(
            "bob",
            Method::POST,
            &key_url,
            Some(serde_json::json!({"integrationId": env.id("custom.tasklabkeys"), "payload": {"api_key": api_key}})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    env.connect_oauth("bob", "custom.tasklab").await;
    let Env {
        provider,
        server,
        http,
    } = env;
    server.shutdown().await;
    let server = build(&provider).start().await.unwrap();
    let env = Env {
        provider,
        server,
        http,
    };
    for slug in ["custom.tasklab", "custom.tasklabkeys"] {
        let (status, body) = env.proxy("bob", Method::GET, slug, "/me").await;
        assert_eq!(status, 200, "{slug}: {body}");
    }
    // Isolation holds on this backend too.
    let (status, _) = env.proxy("eve", Method::GET, "custom.tasklab", "/me").await;
    assert_eq!(status, 404);
}

/// A portal sign-in code minted through one replica works once across both: the other
/// replica redeems it, and a second redemption on the first is refused.
#[tokio::test]
async fn a_portal_code_works_once_across_replicas() {
    let Some(db) = postgres_url("a_portal_code_works_once_across_replicas") else {
        return;
    };
    let provider = FakeProvider::builder().start().await.unwrap();
    let deployment = Deployment::new(db);
    let b = deployment.replica(&provider).start().await.unwrap();
    let env = Env {
        server: deployment.replica(&provider).start().await.unwrap(),
        provider,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    };
    let minted = env.portal_code("olga", "custom.tasklabkeys").await;
    let path_and_query = minted["url"]
        .as_str()
        .unwrap()
        .strip_prefix(env.server.url())
        .unwrap()
        .to_string();
    let first = env
        .http
        .get(format!("{}{path_and_query}", b.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 303);
    let again = env.http.get(env.url(&path_and_query)).send().await.unwrap();
    assert_eq!(again.status(), 401);
    b.shutdown().await;
}

/// The official SDK's OAuth popup finished through one replica (binding page and callback
/// there) is answered by the other's `session-id` (store migration 0006 on PostgreSQL).
#[tokio::test]
async fn an_sdk_popup_flow_is_seen_by_every_replica() {
    let Some(db) = postgres_url("an_sdk_popup_flow_is_seen_by_every_replica") else {
        return;
    };
    let provider = FakeProvider::builder()
        .auto_approve(true)
        .start()
        .await
        .unwrap();
    let deployment = Deployment::new(db);
    let b = deployment.replica(&provider).start().await.unwrap();
    let env = Env {
        server: deployment
            .replica(&provider)
            .allowed_origin("https://app.example.com")
            .start()
            .await
            .unwrap(),
        provider,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    };
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("integrationId", &env.id("custom.tasklab"))
        .append_pair("originForPostMessage", "https://app.example.com")
        .append_pair("userToken", &env.token("pia"))
        .finish();
    let res = env
        .http
        .get(env.project(&format!("/sdk/actions/oauth-nonce?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let build = format!(
        "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={id}&oauthMetaKeyId=pgkey",
        env.server.url(),
        env.server.project_id(),
        id = env.id("custom.tasklab"),
    );
    let (status, body) = env.call("pia", Method::GET, &build, None, &[]).await;
    assert_eq!(status, 200, "{body}");
    let res = env
        .http
        .get(body["redirectUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let callback = res.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    let res = env
        .http
        .get(&callback)
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let session = format!(
        "{}/projects/{}/sdk/actions/session-id/pgkey",
        b.url(),
        env.server.project_id()
    );
    let (status, body) = env.call("pia", Method::GET, &session, None, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["connectCredentialId"].is_string(), "{body}");
    b.shutdown().await;
}
