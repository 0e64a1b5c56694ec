//! The embedded default every example runs on: Task Lab and the local Connect server,
//! in-process on ephemeral loopback ports, and demo users connected to them.

use std::path::PathBuf;

use paragon_fake_provider::{DEFAULT_API_KEY, FakeProvider, RunningProvider};
use paragon_local::{LocalServer, LocalServerBuilder, RunningServer};
use paragon_sdk::api::{NewCredential, OAuthOptions};
use paragon_sdk::{Paragon, SigningKey};

use crate::Result;

/// The OAuth integration of `specs/tasklab`.
pub const TASKLAB: &str = "custom.tasklab";
/// The API-key integration of `specs/tasklab-keys`.
pub const TASKLAB_KEYS: &str = "custom.tasklabkeys";
/// The API key Task Lab accepts.
pub const API_KEY: &str = DEFAULT_API_KEY;

/// The repository's `specs/` folder.
pub fn specs_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../specs"))
}

/// Task Lab (the fake provider) and a local Connect server wired to it, both in this process.
///
/// The server runs in development mode (it generates the project id, the signing key and the
/// encryption key) with the provider's URL and OAuth client passed as secrets — never through
/// the process environment. Dropping the demo stops both servers.
///
/// ```no_run
/// # async fn run() -> paragon_examples::Result<()> {
/// use paragon_examples::Demo;
/// use paragon_examples::demo::TASKLAB;
/// use paragon_sdk::Method;
///
/// let demo = Demo::start().await?;
/// demo.connect_oauth("alice", TASKLAB, "ada").await?;
/// let me: serde_json::Value =
///     demo.paragon().user("alice").request(TASKLAB, Method::GET, "/me").await?.json().await?;
/// assert_eq!(me["id"], "ada");
/// # Ok(()) }
/// ```
pub struct Demo {
    provider: RunningProvider,
    server: RunningServer,
    paragon: Paragon,
    http: reqwest::Client,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demo")
            .field("provider", &self.provider.url())
            .field("server", &self.server.url())
            .finish_non_exhaustive()
    }
}

impl Demo {
    /// Serves the two demo integrations, `specs/tasklab` (OAuth) and `specs/tasklab-keys`
    /// (API key).
    pub async fn start() -> Result<Demo> {
        Demo::start_with(|server| {
            server
                .specs(specs_dir().join("tasklab"))
                .specs(specs_dir().join("tasklab-keys"))
        })
        .await
    }

    /// Serves what `configure` adds to the server (specs folders, or manifests built in code).
    pub async fn start_with(
        configure: impl FnOnce(LocalServerBuilder) -> LocalServerBuilder,
    ) -> Result<Demo> {
        let provider = FakeProvider::builder().start().await?;
        let server = LocalServer::builder()
            .dev(true)
            .process_env(false)
            .secret("TASKLAB_URL", provider.url())
            .secret("TASKLAB_CLIENT_ID", provider.client_id())
            .secret("TASKLAB_CLIENT_SECRET", provider.client_secret());
        let server = configure(server).start().await?;
        let pem = server
            .signing_key_pem()
            .ok_or("the local server in development mode has no signing key")?;
        // Loopback only: an HTTP proxy from the environment must not see these calls.
        let http = reqwest::Client::builder().no_proxy().build()?;
        // What a service builds from PARAGON_PROJECT_ID and PARAGON_SIGNING_KEY, pointed at the
        // local server instead of Paragon's cloud.
        let paragon = Paragon::builder()
            .ignore_env()
            .project_id(server.project_id())
            .signing_key(SigningKey::from_pem(pem)?)
            .base_url(server.url())
            .no_proxy()
            .build()?;
        Ok(Demo {
            provider,
            server,
            paragon,
            http,
        })
    }

    /// A client holding the project's signing key: `.user(id)` acts for any user.
    pub fn paragon(&self) -> &Paragon {
        &self.paragon
    }

    /// The local Connect server's URL (every Paragon service is served there).
    pub fn url(&self) -> &str {
        self.server.url()
    }

    /// The project id the local server generated.
    pub fn project_id(&self) -> &str {
        self.server.project_id()
    }

    /// The project's signing key as PEM (what `PARAGON_SIGNING_KEY` holds in production).
    pub fn signing_key_pem(&self) -> &str {
        self.server.signing_key_pem().unwrap_or_default()
    }

    /// An HTTP client for the demo's loopback servers (it ignores `HTTP_PROXY`).
    pub fn http_client(&self) -> reqwest::Client {
        self.http.clone()
    }

    /// Task Lab, the fake provider.
    pub fn provider(&self) -> &RunningProvider {
        &self.provider
    }

    /// A one-hour Paragon User Token for `user`, as your back end hands to its front end.
    pub fn user_token(&self, user: &str) -> Result<String> {
        Ok(self.paragon.user(user).user_token()?.expose().to_owned())
    }

    /// A single-use sign-in link to `integration`'s Connect Portal page for `user`, valid for
    /// two minutes: what a back end hands its front end instead of a URL holding the user
    /// token (a paragon-local extension, `POST /projects/{pid}/sdk/portal/codes`).
    pub async fn portal_link(&self, user: &str, integration: &str) -> Result<String> {
        let answer: serde_json::Value = self
            .http
            .post(format!(
                "{}/projects/{}/sdk/portal/codes",
                self.url(),
                self.project_id()
            ))
            .bearer_auth(self.user_token(user)?)
            .json(&serde_json::json!({ "integration": integration }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let url = answer["url"]
            .as_str()
            .ok_or("no url in the portal code answer")?;
        Ok(url.to_owned())
    }

    /// Connects `user` to an API-key integration with Task Lab's key; returns the credential id.
    pub async fn connect_api_key(&self, user: &str, integration: &str) -> Result<String> {
        let credential = self
            .paragon
            .user(user)
            .create_credential(&NewCredential::new(integration).value("api_key", API_KEY))
            .await?;
        Ok(credential.id)
    }

    /// Connects `user` to an OAuth integration the way the Connect Portal's "Enable" does, with
    /// the browser's part done by this client: ask Paragon for the authorization URL, open the
    /// provider's consent page, approve as `provider_account`, and follow the redirect to the
    /// Connect server's `/oauth`, which exchanges the code. Returns the credential id.
    pub async fn connect_oauth(
        &self,
        user: &str,
        integration: &str,
        provider_account: &str,
    ) -> Result<String> {
        let paragon = self.paragon.user(user);
        let authorize = paragon
            .build_oauth(integration, &OAuthOptions::new())
            .await?;

        let page = self
            .http
            .get(&authorize)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        let request = hidden_field(&page, "request")
            .ok_or("the provider's consent page has no `request` field")?;
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("request", &request)
            .append_pair("decision", "allow")
            .append_pair("username", provider_account)
            .finish();
        // The answer is a redirect to `<server>/oauth?code=…&state=…`, which reqwest follows.
        let callback = self
            .http
            .post(self.provider.authorize_url())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form)
            .send()
            .await?;
        let mut status = callback.status();
        let mut landed = callback.url().clone();
        let mut body = callback.text().await?;
        // A flow started through the API (not the portal) asks the browser to confirm the
        // app user it connects the account to; this client is that browser and confirms.
        if let Some(confirmation) = hidden_field(&body, "confirmation") {
            let form = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("confirmation", &confirmation)
                .append_pair("decision", "allow")
                .finish();
            let confirmed = self
                .http
                .post(landed.join("/oauth/confirm")?)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(form)
                .send()
                .await?;
            status = confirmed.status();
            landed = confirmed.url().clone();
            body = confirmed.text().await?;
        }
        let landed = landed.path().to_owned();
        if !status.is_success() || !body.contains("Connected") {
            return Err(format!("connecting {integration} ended at {landed} with {status}").into());
        }

        let me = paragon.me().await?;
        let state = me.integrations.get(integration);
        state
            .and_then(|s| s.all_credentials.last().map(|c| c.id.clone()))
            .or_else(|| state.and_then(|s| s.credential_id.clone()))
            .ok_or_else(|| format!("no {integration} credential after the OAuth callback").into())
    }

    /// Stops both servers.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
        self.provider.shutdown().await;
    }
}

/// The value of `<input type="hidden" name="{name}" value="…">` in a page.
fn hidden_field(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    let len = page[start..].find('"')?;
    Some(page[start..start + len].to_owned())
}
