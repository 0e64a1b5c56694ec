//! Shared test setup: a fake provider and a local server wired to it.
#![allow(dead_code)]

use paragon_fake_provider::{FakeProvider, FakeProviderBuilder, RunningProvider};
use paragon_local::{LocalServer, LocalServerBuilder, RunningServer};
use paragon_manifest::Manifest;
use reqwest::Method;
use serde_json::Value;
use std::path::PathBuf;

/// The PostgreSQL URL for `test` when `PARAGON_TEST_DATABASE_URL=postgres://…` is set (CI starts
/// a server); otherwise says on the real stderr (not captured by the harness) that `test` is
/// skipped.
pub(crate) fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("PARAGON_TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => Some(url),
        _ => {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: PARAGON_TEST_DATABASE_URL (postgres://…) is not set"
            );
            None
        }
    }
}

/// The `paragon-local` binary, with none of the configuration variables of the environment
/// the tests run in.
pub(crate) fn paragon_local_bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_paragon-local"));
    for var in [
        "PARAGON_PROJECT_ID",
        "PARAGON_SIGNING_KEY",
        "PARAGON_SIGNING_KEY_FILE",
        "PARAGON_PUBLIC_KEY_FILE",
        "PARAGON_LOCAL_ENCRYPTION_KEY",
        "PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS",
        "PARAGON_LOCAL_DEV",
        "PARAGON_LOCAL_DATABASE_URL",
    ] {
        c.env_remove(var);
    }
    c.env("RUST_LOG", "off");
    c
}

/// An `application/x-www-form-urlencoded` body.
pub(crate) fn form_body(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The one-time id of `/oauth`'s confirmation form, if the page is one.
pub(crate) fn confirmation_id(page: &str) -> Option<String> {
    let start =
        page.find("name=\"confirmation\" value=\"")? + "name=\"confirmation\" value=\"".len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].to_string())
}

pub(crate) fn specs() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs"))
}

/// A manifest from TOML text, resolved in the tasklab folder (for its icon).
pub(crate) fn manifest(toml: &str) -> Manifest {
    Manifest::parse(toml, specs().join("tasklab/test-integration.toml"))
        .unwrap_or_else(|d| panic!("test manifest: {d}"))
}

pub(crate) struct Env {
    pub provider: RunningProvider,
    pub server: RunningServer,
    pub http: reqwest::Client,
}

pub(crate) fn server_for(provider: &RunningProvider) -> LocalServerBuilder {
    LocalServer::builder()
        .dev(true)
        .project_id("proj-test")
        .process_env(false)
        .secret("TASKLAB_URL", provider.url())
        .secret("TASKLAB_CLIENT_ID", provider.client_id())
        .secret("TASKLAB_CLIENT_SECRET", provider.client_secret())
        .specs(specs().join("tasklab"))
        .specs(specs().join("tasklab-keys"))
}

pub(crate) async fn start_with(
    provider: FakeProviderBuilder,
    server: impl FnOnce(LocalServerBuilder) -> LocalServerBuilder,
) -> Env {
    let provider = provider
        .auto_approve(true)
        .start()
        .await
        .expect("fake provider");
    let server = server(server_for(&provider))
        .start()
        .await
        .expect("local server");
    Env {
        provider,
        server,
        http: reqwest::Client::new(),
    }
}

pub(crate) async fn start() -> Env {
    start_with(FakeProvider::builder(), |b| b).await
}

impl Env {
    pub(crate) fn token(&self, user: &str) -> String {
        self.server.token(user).expect("mint")
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.url(), path)
    }

    /// The UUID of the integration `slug`, which the credential, build-oauth and uninstall
    /// calls take (the server refuses slugs there, as the cloud does).
    pub(crate) fn id(&self, slug: &str) -> String {
        self.server
            .integration_id(slug)
            .unwrap_or_else(|| panic!("no integration {slug}"))
    }

    pub(crate) fn project(&self, path: &str) -> String {
        format!(
            "{}/projects/{}{}",
            self.server.url(),
            self.server.project_id(),
            path
        )
    }

    /// A call to the server as `user`; returns (status, JSON body or null).
    pub(crate) async fn call(
        &self,
        user: &str,
        method: Method,
        url: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut req = self.http.request(method, url).bearer_auth(self.token(user));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Mints a single-use portal sign-in code for `user` on `slug`'s page; returns the answer
    /// (`code`, `url`, `expiresAt`).
    pub(crate) async fn portal_code(&self, user: &str, slug: &str) -> Value {
        let (status, body) = self
            .call(
                user,
                Method::POST,
                &self.project("/sdk/portal/codes"),
                Some(serde_json::json!({ "integration": slug })),
                &[],
            )
            .await;
        assert_eq!(status, 201, "portal code: {body}");
        body
    }

    /// Connects `user` to the OAuth integration `slug` the way the quickstart does:
    /// build-oauth, then follow the provider's (auto-approving) redirect to `/oauth`.
    pub(crate) async fn connect_oauth(&self, user: &str, slug: &str) -> String {
        let url = format!(
            "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={}",
            self.server.url(),
            self.server.project_id(),
            self.id(slug)
        );
        let (status, body) = self.call(user, Method::GET, &url, None, &[]).await;
        assert_eq!(status, 200, "build-oauth: {body}");
        let auth_url = body["redirectUrl"]
            .as_str()
            .expect("redirectUrl")
            .to_string();
        let res = self.http.get(&auth_url).send().await.expect("authorize");
        let final_url = res.url().clone();
        let (status, page) = self.confirm_in_browser(res, "allow").await;
        assert!(status.is_success(), "callback {final_url}: {status} {page}");
        assert!(page.contains("Connected"), "{page}");
        let (_, creds) = self
            .call(
                user,
                Method::GET,
                &self.project("/sdk/credentials"),
                None,
                &[],
            )
            .await;
        creds
            .as_array()
            .and_then(|a| a.iter().rev().find(|c| c["integrationType"] == slug))
            .and_then(|c| c["id"].as_str())
            .expect("credential after callback")
            .to_string()
    }

    /// The browser's part after the provider's redirect to `/oauth`: a flow started through
    /// the API asks the browser to confirm; answer `decision` (`allow` or `deny`). Returns the
    /// final status and page.
    pub(crate) async fn confirm_in_browser(
        &self,
        res: reqwest::Response,
        decision: &str,
    ) -> (reqwest::StatusCode, String) {
        let status = res.status();
        let page = res.text().await.unwrap_or_default();
        let Some(id) = confirmation_id(&page) else {
            return (status, page);
        };
        let res = self
            .http
            .post(self.url("/oauth/confirm"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[
                ("confirmation", id.as_str()),
                ("decision", decision),
            ]))
            .send()
            .await
            .expect("confirm");
        let status = res.status();
        (status, res.text().await.unwrap_or_default())
    }

    pub(crate) async fn proxy(
        &self,
        user: &str,
        method: Method,
        slug: &str,
        path: &str,
    ) -> (u16, Value) {
        let url = self.project(&format!("/sdk/proxy/{slug}{path}"));
        self.call(user, method, &url, None, &[]).await
    }
}

/// The UUID of the integration `slug`, read from `GET /sdk/integrations` as a client of a
/// server in another process would.
pub(crate) async fn listed_integration_id(
    http: &reqwest::Client,
    url: &str,
    project: &str,
    token: &str,
    slug: &str,
) -> String {
    let list: Value = http
        .get(format!("{url}/projects/{project}/sdk/integrations"))
        .bearer_auth(token)
        .send()
        .await
        .expect("list integrations")
        .json()
        .await
        .expect("integrations JSON");
    list.as_array()
        .into_iter()
        .flatten()
        .find(|i| i["customIntegration"]["slug"] == slug)
        .and_then(|i| i["id"].as_str())
        .unwrap_or_else(|| panic!("no integration {slug} in {list}"))
        .to_owned()
}
