//! Rotating the encryption key: previous keys read old secrets, `rekey` moves every secret
//! (credentials and pending OAuth states) to the current key, and nothing is lost on the way.
//! The scenario runs on a SQLite file, and on PostgreSQL when `PARAGON_TEST_DATABASE_URL` is set.

mod common;

use common::paragon_local_bin as bin;
use common::*;
use paragon_fake_provider::FakeProvider;
use paragon_local::{EncryptionKey, LocalServerBuilder, ProjectKey};
use reqwest::Method;
use serde_json::json;
use std::process::Command;

/// A project's fixed configuration; only the encryption keys change between restarts.
struct Deployment {
    project: String,
    project_key: ProjectKey,
    database_url: String,
}

impl Deployment {
    fn new(database_url: &str) -> Self {
        Self {
            project: format!("rot-{}", uuid::Uuid::new_v4()),
            project_key: ProjectKey::generate(),
            database_url: database_url.to_string(),
        }
    }

    fn keys(
        &self,
        current: &EncryptionKey,
        previous: &[&EncryptionKey],
    ) -> impl FnOnce(LocalServerBuilder) -> LocalServerBuilder {
        let (project, project_key, db) = (
            self.project.clone(),
            self.project_key.clone(),
            self.database_url.clone(),
        );
        let current = current.clone();
        let previous: Vec<EncryptionKey> = previous.iter().map(|k| (*k).clone()).collect();
        move |b| {
            b.dev(false)
                .project_id(project)
                .project_key(project_key)
                .database_url(db)
                .encryption_key(current)
                .previous_encryption_keys(previous)
        }
    }

    async fn start(
        &self,
        current: &EncryptionKey,
        previous: &[&EncryptionKey],
        provider: paragon_fake_provider::FakeProviderBuilder,
    ) -> Env {
        start_with(provider, self.keys(current, previous)).await
    }
}

/// Stops the server and starts it again over the same store with other keys.
async fn restart(
    env: Env,
    configure: impl FnOnce(LocalServerBuilder) -> LocalServerBuilder,
) -> Env {
    let Env {
        provider,
        server,
        http,
    } = env;
    server.shutdown().await;
    let server = configure(server_for(&provider))
        .start()
        .await
        .expect("restart");
    Env {
        provider,
        server,
        http,
    }
}

async fn credential_ids(env: &Env, user: &str) -> Vec<String> {
    let (status, body) = env
        .call(
            user,
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .expect("credential list")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

fn assert_no_key_material(text: &str, keys: &[&EncryptionKey]) {
    for key in keys {
        assert!(
            !text.contains(&key.to_base64()),
            "key material leaked: {text}"
        );
    }
}

/// Connect with key A; B alone cannot read; B + previous A can; rekey; B alone can again.
async fn rotate(db: &str, shared_database: bool) {
    let deployment = Deployment::new(db);
    let (a, b) = (EncryptionKey::generate(), EncryptionKey::generate());
    let env = deployment.start(&a, &[], FakeProvider::builder()).await;

    // An API-key credential for bob and a pending OAuth authorization for carol, under A.
    let api_key = env.provider.api_keys()[0].to_string();
    let (status, body) = env
        .call(
            "bob",
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(json!({"integrationId": env.id("custom.tasklabkeys"), "payload": {"api_key": api_key}})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let before = credential_ids(&env, "bob").await;
    assert_eq!(before.len(), 1);
    let (status, body) = env
        .proxy("bob", Method::GET, "custom.tasklabkeys", "/me")
        .await;
    assert_eq!(status, 200, "{body}");
    let build_oauth = format!(
        "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={id}",
        env.server.url(),
        deployment.project,
        id = env.id("custom.tasklab"),
    );
    let (status, body) = env
        .call("carol", Method::GET, &build_oauth, None, &[])
        .await;
    assert_eq!(status, 200, "{body}");
    let authorize = body["redirectUrl"]
        .as_str()
        .expect("redirectUrl")
        .to_string();
    let first_url = env.server.url().to_string();

    // The new key alone: a clear error naming the key id the secret needs.
    let env = restart(env, deployment.keys(&b, &[])).await;
    let (status, body) = env
        .proxy("bob", Method::GET, "custom.tasklabkeys", "/me")
        .await;
    assert_eq!(status, 500, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("encrypted with key id {}", a.id())),
        "{message}"
    );
    assert!(
        message.contains("PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS"),
        "{message}"
    );
    assert_no_key_material(&body.to_string(), &[&a, &b]);

    // The new key plus the old one as a previous key: reads work.
    let env = restart(env, deployment.keys(&b, &[&a])).await;
    let (status, body) = env
        .proxy("bob", Method::GET, "custom.tasklabkeys", "/me")
        .await;
    assert_eq!(status, 200, "{body}");

    // Re-encrypt: the credential and the pending OAuth state move to B.
    let report = env.server.rekey().await.expect("rekey");
    assert_eq!(report.reencrypted, 2, "{report}");
    assert_eq!(report.corrupt, 0, "{report}");
    assert_eq!(report.remaining_previous, 0, "{report}");
    assert!(!report.unknown_keys.contains_key(&a.id()), "{report}");
    if !shared_database {
        assert!(report.is_complete(), "{report}");
    }
    let again = env.server.rekey().await.expect("second rekey");
    assert_eq!(again.reencrypted, 0, "{again}");

    // The old key is gone: everything still works, nothing was lost.
    let env = restart(env, deployment.keys(&b, &[])).await;
    let (status, body) = env
        .proxy("bob", Method::GET, "custom.tasklabkeys", "/me")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(credential_ids(&env, "bob").await, before);

    // Carol approves now: the callback (sent to the first server's address, which the provider
    // was given) reads the pending state written under A, re-encrypted under B.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirects
        .get(&authorize)
        .send()
        .await
        .expect("authorize");
    let location = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("redirect to the callback")
        .to_string();
    let callback = location.replacen(&first_url, env.server.url(), 1);
    assert_ne!(callback, location, "{location}");
    let res = env.http.get(&callback).send().await.expect("callback");
    // Started through the API: the browser confirms (issue 12, finding 1).
    let (status, page) = env.confirm_in_browser(res, "allow").await;
    assert!(
        status.is_success() && page.contains("Connected"),
        "{status} {page}"
    );
    let (status, body) = env
        .proxy("carol", Method::GET, "custom.tasklab", "/me")
        .await;
    assert_eq!(status, 200, "{body}");
    env.server.shutdown().await;
}

#[tokio::test]
async fn rotation_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    rotate(db.to_str().unwrap(), false).await;
}

#[tokio::test]
async fn rotation_on_postgres() {
    if let Some(url) = postgres_url("rotation_on_postgres") {
        rotate(&url, true).await;
    }
}

/// Rekey racing refreshes that rotate refresh tokens: a row a refresh rewrote after rekey read
/// it must keep the new refresh token (the swap on the old ciphertext loses), or the next
/// refresh presents a token the provider already retired.
async fn rekey_during_refreshes(db: &str, shared_database: bool) {
    let deployment = Deployment::new(db);
    let (a, b) = (EncryptionKey::generate(), EncryptionKey::generate());
    let env = deployment.start(&a, &[], FakeProvider::builder()).await;
    let users: Vec<String> = (0..40).map(|i| format!("user-{i}")).collect();
    for user in &users {
        env.connect_oauth(user, "custom.tasklab").await;
    }
    let env = restart(env, deployment.keys(&b, &[&a])).await;

    // Every call now refreshes (and rotates the refresh token) while rekey runs.
    env.provider.revoke_access_tokens();
    let calls = futures_util::future::join_all(
        users
            .iter()
            .map(|u| env.proxy(u, Method::GET, "custom.tasklab", "/me")),
    );
    let (answers, report) = tokio::join!(calls, env.server.rekey());
    let report = report.expect("rekey");
    for (status, body) in answers {
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(report.remaining_previous, 0, "{report}");
    assert_eq!(report.corrupt, 0, "{report}");
    assert!(!report.unknown_keys.contains_key(&a.id()), "{report}");
    if !shared_database {
        assert!(report.is_complete(), "{report}");
    }

    // The stored refresh tokens are the latest ones: another round of refreshes works, also
    // with the old key gone.
    let env = restart(env, deployment.keys(&b, &[])).await;
    env.provider.revoke_access_tokens();
    for user in &users {
        let (status, body) = env.proxy(user, Method::GET, "custom.tasklab", "/me").await;
        assert_eq!(status, 200, "{user}: {body}");
    }
    env.server.shutdown().await;
}

#[tokio::test]
async fn rekey_during_refreshes_keeps_every_rotated_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    rekey_during_refreshes(db.to_str().unwrap(), false).await;
}

#[tokio::test]
async fn rekey_during_refreshes_on_postgres() {
    if let Some(url) = postgres_url("rekey_during_refreshes_on_postgres") {
        rekey_during_refreshes(&url, true).await;
    }
}

/// `rekey` killed (SIGKILL) once it reported its first batch: what it committed stays, a second
/// run finishes the rest, and every credential reads with the new key alone.
#[tokio::test]
async fn killed_rekey_loses_nothing_and_a_second_run_finishes() {
    const N: usize = 400;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let db = db.to_str().unwrap();
    let deployment = Deployment::new(db);
    let (a, b) = (EncryptionKey::generate(), EncryptionKey::generate());
    let env = deployment.start(&a, &[], FakeProvider::builder()).await;
    let api_key = env.provider.api_keys()[0].to_string();
    let credentials = env.project("/sdk/credentials");
    let create = || {
        env.call(
            "dan",
            Method::POST,
            &credentials,
            Some(json!({"integrationId": env.id("custom.tasklabkeys"), "payload": {"api_key": api_key}})),
            &[],
        )
    };
    for _ in 0..N / 20 {
        for (status, body) in futures_util::future::join_all((0..20).map(|_| create())).await {
            assert_eq!(status, 200, "{body}");
        }
    }
    let before = credential_ids(&env, "dan").await;
    assert_eq!(before.len(), N);
    let Env {
        provider,
        server,
        http,
    } = env;
    server.shutdown().await;

    let rekey = || {
        let mut c = bin();
        c.args(["rekey", "--database-url", db])
            .env("PARAGON_LOCAL_ENCRYPTION_KEY", b.to_base64())
            .env("PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS", a.to_base64());
        c
    };
    let mut child = rekey()
        .env("RUST_LOG", "paragon_local=info")
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    for line in std::io::BufRead::lines(stderr) {
        if line.unwrap().contains("re-encrypted a batch") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let (ok, out, err) = run(&mut rekey());
    assert!(ok, "{out}{err}");
    let done: usize = out
        .split("re-encrypted ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {out}"));
    assert!(done < N, "the first run's batch was lost: {out}");

    let server = deployment.keys(&b, &[])(server_for(&provider))
        .start()
        .await
        .unwrap();
    let env = Env {
        provider,
        server,
        http,
    };
    assert_eq!(credential_ids(&env, "dan").await, before);
    let (status, body) = env
        .proxy("dan", Method::GET, "custom.tasklabkeys", "/me")
        .await;
    assert_eq!(status, 200, "{body}");
    env.server.shutdown().await;
}

/// Runs the binary; returns (success, stdout, stderr).
fn run(command: &mut Command) -> (bool, String, String) {
    let out = command.output().expect("run paragon-local");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn rekey_command_reports_and_fails_on_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let db = db.to_str().unwrap();
    let deployment = Deployment::new(db);
    let (a, b, c) = (
        EncryptionKey::generate(),
        EncryptionKey::generate(),
        EncryptionKey::generate(),
    );
    let env = deployment.start(&a, &[], FakeProvider::builder()).await;
    let api_key = env.provider.api_keys()[0].to_string();
    let (status, body) = env
        .call(
            "bob",
            Method::POST,
            &env.project("/sdk/credentials"),
            Some(json!({"integrationId": env.id("custom.tasklabkeys"), "payload": {"api_key": api_key}})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let Env {
        provider,
        server,
        http,
    } = env;
    server.shutdown().await;

    // Only the new key: the secret under A is reported, by key id, and the exit is non-zero.
    let (ok, out, err) = run(bin()
        .args(["rekey", "--database-url", db])
        .env("PARAGON_LOCAL_ENCRYPTION_KEY", b.to_base64()));
    assert!(!ok, "{out}{err}");
    assert!(out.contains("re-encrypted 0 secret(s)"), "{out}");
    assert!(out.contains("1 remain under unknown keys"), "{out}");
    assert!(out.contains(&a.id()), "{out}");
    assert!(err.contains("cannot be decrypted"), "{err}");
    assert_no_key_material(&(out.clone() + &err), &[&a, &b]);

    // A server given A as a previous key says at startup that secrets still use it.
    let mut child = bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", db])
        .args([
            "--specs",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs"),
        ])
        .args(["--project-id", &deployment.project])
        .env(
            "PARAGON_SIGNING_KEY",
            deployment.project_key.private_pem().unwrap(),
        )
        .env("PARAGON_LOCAL_ENCRYPTION_KEY", b.to_base64())
        .env("PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS", a.to_base64())
        .env("RUST_LOG", "paragon_local=info")
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = String::new();
    for line in std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap())) {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if line.contains("listening on") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        log.contains("stored secrets still use a previous encryption key")
            && log.contains("secrets=1"),
        "{log}"
    );
    assert_no_key_material(&log, &[&a, &b]);

    // With A as a previous key (flag): re-encrypted, exit 0.
    let (ok, out, err) = run(bin()
        .args(["rekey", "--database-url", db, "--previous-encryption-key"])
        .arg(a.to_base64())
        .env("PARAGON_LOCAL_ENCRYPTION_KEY", b.to_base64()));
    assert!(ok, "{out}{err}");
    assert!(out.contains("re-encrypted 1 secret(s)"), "{out}");
    assert!(out.contains("0 remain under unknown keys"), "{out}");
    assert_no_key_material(&(out.clone() + &err), &[&a, &b]);

    // Idempotent; the environment variable takes a comma-separated list.
    let (ok, out, err) = run(bin()
        .args(["rekey", "--database-url", db])
        .env("PARAGON_LOCAL_ENCRYPTION_KEY", b.to_base64())
        .env(
            "PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS",
            format!("{}, {}", c.to_base64(), a.to_base64()),
        ));
    assert!(ok, "{out}{err}");
    assert!(out.contains("re-encrypted 0 secret(s)"), "{out}");

    // The old key can go.
    let server = deployment.keys(&b, &[])(server_for(&provider))
        .start()
        .await
        .unwrap();
    let env = Env {
        provider,
        server,
        http,
    };
    let (status, body) = env
        .proxy("bob", Method::GET, "custom.tasklabkeys", "/me")
        .await;
    assert_eq!(status, 200, "{body}");

    // A mistyped path is not created empty.
    let missing = dir.path().join("typo.db");
    let (ok, _, err) = run(bin()
        .args(["rekey", "--database-url", missing.to_str().unwrap()])
        .env("PARAGON_LOCAL_ENCRYPTION_KEY", b.to_base64()));
    assert!(!ok && err.contains("no database at"), "{err}");
    assert!(!missing.exists());
    env.server.shutdown().await;
}

#[test]
fn bad_previous_key_is_a_configuration_error_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let good = EncryptionKey::generate();
    let signing = ProjectKey::generate();
    let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs");
    // `serve`, the list in the environment: the second entry is wrong.
    let (ok, out, err) = run(bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--specs", specs])
        .args(["--project-id", "p1"])
        .env(
            "PARAGON_SIGNING_KEY",
            signing.private_pem().unwrap().replace('\n', "\\n"),
        )
        .env("PARAGON_LOCAL_ENCRYPTION_KEY", good.to_base64())
        .env(
            "PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS",
            format!("{},not-a-key-zzz", good.to_base64()),
        )
        .current_dir(dir.path()));
    assert!(!ok, "{out}{err}");
    assert!(
        err.contains("PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS")
            && err.contains("--previous-encryption-key")
            && err.contains("key #2")
            && err.contains("base64"),
        "{err}"
    );
    assert!(!err.contains("not-a-key-zzz"), "{err}");
    assert_no_key_material(&err, &[&good]);
    assert!(!dir.path().join("paragon-local.db").exists());

    // `rekey`, the flag: a key of the wrong length.
    let (ok, _, err) = run(bin()
        .args(["rekey", "--database-url", "unused.db"])
        .args(["--encryption-key", &good.to_base64()])
        .args(["--previous-encryption-key", "c2hvcnQ="])
        .current_dir(dir.path()));
    assert!(!ok);
    assert!(
        err.contains("--previous-encryption-key") && err.contains("32 bytes"),
        "{err}"
    );

    // `--help` shows where keys come from, never their values.
    let (ok, out, _) = run(bin()
        .args(["serve", "--help"])
        .env("PARAGON_LOCAL_ENCRYPTION_KEY", good.to_base64())
        .env("PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS", good.to_base64()));
    assert!(ok);
    assert!(
        out.contains("PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS"),
        "{out}"
    );
    assert_no_key_material(&out, &[&good]);
}
