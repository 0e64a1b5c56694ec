//! Issue 12, the server half: each test drives one finding through HTTP or the binary and
//! fails when its fix is reverted.

use crate::common;

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
            .append_pair("integrationId", &env.id("custom.tasklab"))
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
            // Enable and disable refuse workflows the server does not have.
            .workflow(
                paragon_manifest::workflow::Workflow::parse(
                    "id = \"wf-1\"\nname = \"Log\"\n[trigger]\ntype = \"request\"\n",
                    "specs/tasklab/workflows/log.toml",
                    &paragon_manifest::workflow::Context::default(),
                )
                .unwrap(),
            )
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

/// Sends `method url` with `token` and an optional JSON body and headers.
async fn send(
    env: &Env,
    token: &str,
    method: Method,
    url: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = env.http.request(method, url).bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Two API-key accounts of alice on `custom.tasklabkeys`: (first id, second id).
async fn two_key_accounts(env: &Env) -> (String, String) {
    let url = env.project("/sdk/credentials");
    let mut ids = Vec::new();
    for key in ["key-one", "key-two"] {
        let (status, body) = env
            .call(
                "alice",
                Method::POST,
                &url,
                Some(json!({"integrationId": env.id("custom.tasklabkeys"), "payload": {"api_key": key}})),
                &[],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    (ids[0].clone(), ids[1].clone())
}

fn keys_provider() -> paragon_fake_provider::FakeProviderBuilder {
    paragon_fake_provider::FakeProvider::builder().api_keys(["key-one", "key-two"])
}

/// Finding 5: a per-credential `false` holds when the header is left out (the default account
/// is one the token may use), for an uninstall of every account, and in `/sdk/me`.
#[tokio::test]
async fn a_forbidden_credential_is_never_used_or_deleted_by_default() {
    let env = start_with(keys_provider(), |b| b).await;
    let (first, second) = two_key_accounts(&env).await;
    let restricted = token_with(
        &env,
        json!({"urn:useparagon:connect:permissions": {
            "integration:*": true,
            format!("credential:{first}"): false,
        }}),
    );
    let proxy = env.project("/sdk/proxy/custom.tasklabkeys/me");
    let (status, body) = send(&env, &restricted, Method::GET, &proxy, None, &[]).await;
    assert_eq!(status, 200, "{body}");
    let sent = env.provider.stats().last_api_request.unwrap();
    assert_eq!(
        sent.header("x-api-key"),
        Some("key-two"),
        "used the forbidden account"
    );
    let (status, _) = send(
        &env,
        &restricted,
        Method::GET,
        &proxy,
        None,
        &[("X-Paragon-Credential", &first)],
    )
    .await;
    assert_eq!(status, 403);

    let (status, body) = send(
        &env,
        &restricted,
        Method::DELETE,
        &env.project(&format!(
            "/sdk/integrations/{}",
            env.id("custom.tasklabkeys")
        )),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (_, all) = env
        .call(
            "alice",
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await;
    assert_eq!(
        all.as_array().unwrap().len(),
        2,
        "an uninstall went through: {all}"
    );

    let (_, me) = send(
        &env,
        &restricted,
        Method::GET,
        &env.project("/sdk/me"),
        None,
        &[],
    )
    .await;
    let shown: Vec<&str> = me["integrations"]["custom.tasklabkeys"]["allCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(shown, [second.as_str()], "{me}");

    // Only the forbidden account left: nothing may be used by default.
    env.call(
        "alice",
        Method::DELETE,
        &env.project(&format!("/sdk/credentials/{second}")),
        None,
        &[],
    )
    .await;
    let (status, body) = send(&env, &restricted, Method::GET, &proxy, None, &[]).await;
    assert_eq!(status, 403, "{body}");
}

/// Finding 16: a read-only token reads through the proxy but cannot write through it, and
/// user-wide writes (metadata, events, workflows) need `integration:*`.
#[tokio::test]
async fn read_only_and_integration_scoped_tokens_stay_in_their_lane() {
    let env = start_with(keys_provider(), |b| b).await;
    two_key_accounts(&env).await;
    let read_only = token_with(
        &env,
        json!({"urn:useparagon:connect:permissions": {"integration:*": ["credential:read"]}}),
    );
    let tasks = env.project("/sdk/proxy/custom.tasklabkeys/tasks");
    assert_eq!(
        send(&env, &read_only, Method::GET, &tasks, None, &[])
            .await
            .0,
        200
    );
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let (status, body) = send(
            &env,
            &read_only,
            method.clone(),
            &tasks,
            Some(json!({"title": "x"})),
            &[],
        )
        .await;
        assert_eq!(status, 403, "{method} went through: {body}");
    }

    let scoped = token_with(
        &env,
        json!({"urn:useparagon:connect:permissions": {"integration:custom.tasklabkeys": true}}),
    );
    let writes = [
        (
            Method::PATCH,
            env.project("/sdk/me"),
            Some(json!({"meta": {"a": 1}})),
        ),
        (
            Method::POST,
            env.project("/sdk/events/trigger"),
            Some(json!({"name": "e", "payload": {}})),
        ),
        (Method::POST, env.project("/sdk/workflows/wf-1"), None),
        (Method::DELETE, env.project("/sdk/workflows/wf-1"), None),
        (
            Method::POST,
            env.project("/sdk/triggers/wf-1"),
            Some(json!({})),
        ),
    ];
    for (method, url, body) in &writes {
        let (status, answer) = send(&env, &scoped, method.clone(), url, body.clone(), &[]).await;
        assert_eq!(status, 403, "{method} {url}: {answer}");
    }
    let full = token_with(
        &env,
        json!({"urn:useparagon:connect:permissions": {"integration:*": true}}),
    );
    for (method, url, body) in &writes {
        let (status, answer) = send(&env, &full, method.clone(), url, body.clone(), &[]).await;
        // Past the permission check, `wf-1` is a workflow this server does not have (a
        // trigger, an enable or a disable of it is a 404).
        let expected_404 = url.ends_with("/wf-1");
        assert!(
            if expected_404 {
                status == 404
            } else {
                status < 300
            },
            "{method} {url}: {status} {answer}"
        );
    }
    // /sdk/integrations lists only what the token may see.
    let (_, list) = send(
        &env,
        &scoped,
        Method::GET,
        &env.project("/sdk/integrations"),
        None,
        &[],
    )
    .await;
    let slugs: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["customIntegration"]["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["custom.tasklabkeys"], "{list}");
}

/// Reads from `tcp` until the server closes it; returns what it sent, or `None` if it kept
/// the connection open for `patience`.
async fn read_until_closed(
    tcp: &mut tokio::net::TcpStream,
    patience: std::time::Duration,
) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let read = tokio::time::timeout(patience, tcp.read_to_end(&mut got)).await;
    match read {
        Ok(_) => Some(String::from_utf8_lossy(&got).into_owned()),
        Err(_) => None,
    }
}

/// Finding 11: a client that sends part of its headers and then nothing (slowloris) is
/// disconnected after `--header-read-timeout`, by the binary as configured from its flags.
#[tokio::test]
async fn the_binary_drops_a_slowloris_connection() {
    use std::io::BufRead;
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let mut child = paragon_local_bin()
        .args([
            "serve",
            "--dev",
            "--listen",
            "127.0.0.1:0",
            "--header-read-timeout",
            "1",
            "--specs",
            &specs().join("tasklab-keys").display().to_string(),
        ])
        .env("TASKLAB_URL", "http://127.0.0.1:9")
        .current_dir(dir.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr).lines();
    let url = loop {
        let line = lines.next().expect("server output").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let addr = url.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let closed = read_until_closed(&mut tcp, std::time::Duration::from_secs(8)).await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        closed.is_some(),
        "the connection stayed open with incomplete headers"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// Finding 11: a body that stops arriving is refused after the body-read timeout; past the
/// connection limit a client waits until a slot frees.
#[tokio::test]
async fn stalled_bodies_time_out_and_connections_are_bounded() {
    use tokio::io::AsyncWriteExt;
    let env = start_with(paragon_fake_provider::FakeProvider::builder(), |b| {
        b.request_body_timeout(std::time::Duration::from_millis(500))
            .max_connections(1)
    })
    .await;
    let addr = env.server.addr();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PATCH /projects/proj-test/sdk/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"meta\":",
        env.token("alice")
    );
    tcp.write_all(head.as_bytes()).await.unwrap();

    // The stalled connection holds the only slot: another client is not served meanwhile.
    let waiting = tokio::spawn({
        let url = env.url("/healthz");
        async move {
            let started = std::time::Instant::now();
            let res = reqwest::get(&url).await.unwrap();
            (res.status().as_u16(), started.elapsed())
        }
    });

    let answer = read_until_closed(&mut tcp, std::time::Duration::from_secs(5))
        .await
        .expect("the stalled request was never answered");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("not received within"), "{answer}");
    drop(tcp);
    let (status, waited) = waiting.await.unwrap();
    assert_eq!(status, 200);
    assert!(
        waited >= std::time::Duration::from_millis(300),
        "served at once although the only slot was taken ({waited:?})"
    );
}

/// The encryption key of `tests/fixtures/store-v1.db` (a test key, used nowhere else).
const FIXTURE_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Finding 13: `tests/fixtures/store-v1.db` was written by the server as it was before this
/// change (secrets sealed by the `aes-gcm` crate, bound to the credential id only): project
/// `proj-fixture`, user `alice`, two `custom.tasklabkeys` accounts with the API keys `key-one`
/// and `key-two`, under [`FIXTURE_KEY`]; `store-v1-signing-key.pem` is that project's (test)
/// signing key. It must stay readable, and after `rekey` too.
#[tokio::test]
async fn a_store_written_before_aws_lc_and_the_new_binding_stays_readable() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    std::fs::copy(fixtures.join("store-v1.db"), &db).unwrap();
    let pem = std::fs::read_to_string(fixtures.join("store-v1-signing-key.pem")).unwrap();
    let key = paragon_local::ProjectKey::from_private_pem(&pem).unwrap();
    let enc = paragon_local::EncryptionKey::parse(FIXTURE_KEY).unwrap();
    let start = |db: String| {
        let key = key.clone();
        let enc = enc.clone();
        async move {
            start_with(keys_provider(), move |b| {
                b.dev(false)
                    .project_id("proj-fixture")
                    .project_key(key)
                    .encryption_key(enc)
                    .database_url(db)
            })
            .await
        }
    };
    let check = |env: Env| async move {
        let (status, list) = env
            .call(
                "alice",
                Method::GET,
                &env.project("/sdk/credentials"),
                None,
                &[],
            )
            .await;
        assert_eq!(status, 200, "{list}");
        let ids: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids.len(), 2, "{list}");
        let mut sent = Vec::new();
        for id in &ids {
            let (status, body) = env
                .call(
                    "alice",
                    Method::GET,
                    &env.project("/sdk/proxy/custom.tasklabkeys/me"),
                    None,
                    &[("X-Paragon-Credential", id)],
                )
                .await;
            assert_eq!(status, 200, "{body}");
            let last = env.provider.stats().last_api_request.unwrap();
            sent.push(last.header("x-api-key").unwrap().to_string());
        }
        sent.sort();
        assert_eq!(sent, ["key-one", "key-two"]);
        env.server.shutdown().await;
    };
    check(start(db.display().to_string()).await).await;
    let report = paragon_local::rekey(&db.display().to_string(), &enc, &[])
        .await
        .unwrap();
    assert!(report.is_complete(), "{report}");
    assert_eq!(
        report.reencrypted, 2,
        "old rows moved to the new binding: {report}"
    );
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    use sqlx::Row;
    let old: i64 = sqlx::query("SELECT COUNT(*) AS n FROM credentials WHERE aad_version < 2")
        .fetch_one(&pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    pool.close().await;
    assert_eq!(old, 0, "rows still bound to their id only after rekey");
    check(start(db.display().to_string()).await).await;
}

/// Finding 13: a secret is bound to its project, user, integration and id, so a row moved to
/// another user in the database (or a ciphertext copied between rows) does not open for them.
#[tokio::test]
async fn a_credential_row_moved_to_another_user_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let url = db.display().to_string();
    let env = start_with(keys_provider(), |b| {
        b.database_url(url.clone())
            .credential_cache_ttl(std::time::Duration::ZERO)
    })
    .await;
    let (first, _) = two_key_accounts(&env).await;

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{url}"))
        .await
        .unwrap();
    sqlx::query("UPDATE credentials SET user_id = 'mallory' WHERE id = $1")
        .bind(&first)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let before = env.provider.stats().api_calls;
    let (status, body) = env
        .call(
            "mallory",
            Method::GET,
            &env.project("/sdk/proxy/custom.tasklabkeys/me"),
            None,
            &[("X-Paragon-Credential", &first)],
        )
        .await;
    assert!(status >= 500, "the moved secret was used: {status} {body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("authentication"),
        "{body}"
    );
    assert_eq!(
        env.provider.stats().api_calls,
        before,
        "the key reached the provider"
    );
    // alice's other account is untouched.
    let (status, list) = env
        .call(
            "alice",
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await;
    assert_eq!((status, list.as_array().unwrap().len()), (200, 1), "{list}");
}

/// Finding 1: an authorization URL from `build-oauth` (the API) handed to someone else does not
/// link their provider account to the caller silently: the browser that comes back to
/// `/oauth` is shown the app user's name and must confirm, and cancelling connects nothing.
#[tokio::test]
async fn an_api_started_flow_needs_the_browser_to_confirm_the_app_user() {
    let env = start().await;
    let build = format!(
        "{}/v2/projects/proj-test/sdk/actions/build-oauth?integrationId={id}",
        env.server.url(),
        id = env.id("custom.tasklab"),
    );
    let credentials = env.project("/sdk/credentials");
    for (decision, connected) in [("deny", 0), ("allow", 1)] {
        let (status, body) = env.call("mallory", Method::GET, &build, None, &[]).await;
        assert_eq!(status, 200, "{body}");
        let authorize = body["redirectUrl"].as_str().unwrap();
        // The victim's browser: approves at the provider, lands on /oauth.
        let victim = reqwest::Client::new();
        let res = victim.get(authorize).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let page = res.text().await.unwrap();
        assert!(page.contains("<strong>mallory</strong>"), "{page}");
        let (_, list) = env
            .call("mallory", Method::GET, &credentials, None, &[])
            .await;
        assert_eq!(list, json!([]), "connected before the browser confirmed");

        let id = confirmation_id(&page).expect("a confirmation form");
        let res = victim
            .post(env.url("/oauth/confirm"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[
                ("confirmation", id.as_str()),
                ("decision", decision),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let (_, list) = env
            .call("mallory", Method::GET, &credentials, None, &[])
            .await;
        assert_eq!(
            list.as_array().unwrap().len(),
            connected,
            "{decision}: {list}"
        );
        // The confirmation is single-use.
        let again = victim
            .post(env.url("/oauth/confirm"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[
                ("confirmation", id.as_str()),
                ("decision", "allow"),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 400);
    }
}

/// Finding 14 (part): the portal page says who is signed in, so a browser signed in as
/// someone else (a link minted for another user) shows it.
#[tokio::test]
async fn the_portal_page_names_the_signed_in_user() {
    let env = start().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let link = env.portal_code("grace<b>", "custom.tasklabkeys").await["url"]
        .as_str()
        .unwrap()
        .to_string();
    let res = http.get(&link).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = http
        .get(env.url("/connect/custom.tasklabkeys"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Signed in as <strong>grace&lt;b&gt;</strong>"),
        "{page}"
    );
}

/// Two manifests with one slug: the server refuses to start, naming the slug and the file.
#[tokio::test]
async fn a_duplicate_slug_is_refused_at_start() {
    let spec = specs().join("tasklab-keys");
    let err = paragon_local::LocalServer::builder()
        .dev(true)
        .process_env(false)
        .specs(&spec)
        .specs(&spec)
        .start()
        .await
        .expect_err("two integrations with one slug");
    assert!(
        matches!(err, paragon_local::StartError::Manifest { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("custom.tasklabkeys") && text.contains("tasklab-keys"),
        "{text}"
    );
}

/// Finding 14 with finding 5: a token whose permissions do not allow connecting an
/// integration mints no portal code for it, and a code carries its token's permissions.
#[tokio::test]
async fn a_read_only_token_mints_no_portal_code() {
    let env = start().await;
    let read_only = token_with(
        &env,
        json!({"urn:useparagon:connect:permissions": {"integration:*": ["credential:read"]}}),
    );
    let (status, body) = send(
        &env,
        &read_only,
        Method::POST,
        &env.project("/sdk/portal/codes"),
        Some(json!({"integration": "custom.tasklabkeys"})),
        &[],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = send(
        &env,
        &read_only,
        Method::POST,
        &env.project("/sdk/portal/codes"),
        Some(json!({"integration": "custom.nosuch"})),
        &[],
    )
    .await;
    assert_eq!(status, 404, "{body}");
}

/// A portal code minted by a token that has expired since opens no session: the session
/// would outlive what the token allowed.
#[tokio::test]
async fn a_portal_code_dies_with_its_token() {
    let env = start().await;
    let short = token_with(&env, json!({"exp": now() + 1}));
    let (status, minted) = send(
        &env,
        &short,
        Method::POST,
        &env.project("/sdk/portal/codes"),
        Some(json!({"integration": "custom.tasklabkeys"})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{minted}");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(minted["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get(reqwest::header::SET_COOKIE).is_none());
}
