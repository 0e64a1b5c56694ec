//! Building, starting and stopping the server.

use crate::api::{connect, credentials, events, integrations, portal, tools, users};
use crate::auth::ProjectKey;
use crate::crypto::{Cipher, EncryptionKey};
use crate::error::{ApiError, StartError};
use crate::integration::Integrations;
use crate::refresh::Refresher;
use crate::serve::ServeLimits;
use crate::state::{AppState, Limits, SecretsLookup, Shared};
use crate::store::Store;
use crate::upstream::Upstream;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{any, get, post};
use paragon_manifest::Manifest;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

/// The local Connect server. Start one with [`LocalServer::builder`].
#[derive(Debug, Clone, Copy)]
pub struct LocalServer;

impl LocalServer {
    /// A builder with the defaults: listen on `127.0.0.1:0` (an ephemeral port), an in-memory
    /// SQLite store, the process environment as the secrets lookup, 30 s upstream timeout,
    /// 10 MiB body limits, and *not* development mode.
    pub fn builder() -> LocalServerBuilder {
        LocalServerBuilder {
            specs: Vec::new(),
            manifests: Vec::new(),
            documents: BTreeMap::new(),
            project_id: None,
            project_key: None,
            database_url: None,
            encryption_key: None,
            previous_encryption_keys: Vec::new(),
            dev: false,
            secrets: BTreeMap::new(),
            process_env: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            upstream_timeout: Duration::from_secs(30),
            credential_cache_ttl: crate::store::DEFAULT_CACHE_TTL,
            max_request_body: 10 * 1024 * 1024,
            max_response_body: 10 * 1024 * 1024,
            require_audience: false,
            workflows: Vec::new(),
            functions: BTreeMap::new(),
            engine: crate::workflows::EngineConfig::default(),
            serve: ServeLimits::default(),
            pins: HashMap::new(),
            portal_code_ttl: crate::session::DEFAULT_CODE_TTL,
            allowed_origins: Vec::new(),
        }
    }
}

/// Configures a [`LocalServer`].
pub struct LocalServerBuilder {
    specs: Vec<PathBuf>,
    manifests: Vec<Manifest>,
    /// In-memory OpenAPI documents, by the slug of the manifest they belong to.
    documents: BTreeMap<String, serde_json::Value>,
    project_id: Option<String>,
    project_key: Option<ProjectKey>,
    database_url: Option<String>,
    encryption_key: Option<EncryptionKey>,
    previous_encryption_keys: Vec<EncryptionKey>,
    dev: bool,
    secrets: BTreeMap<String, String>,
    process_env: bool,
    listen: SocketAddr,
    public_url: Option<String>,
    upstream_timeout: Duration,
    credential_cache_ttl: Duration,
    max_request_body: usize,
    max_response_body: usize,
    require_audience: bool,
    workflows: Vec<paragon_manifest::workflow::Workflow>,
    functions: BTreeMap<String, crate::workflows::StepFunction>,
    engine: crate::workflows::EngineConfig,
    serve: ServeLimits,
    pins: HashMap<String, Vec<IpAddr>>,
    portal_code_ttl: Duration,
    allowed_origins: Vec<String>,
}

impl fmt::Debug for LocalServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalServerBuilder")
            .field("specs", &self.specs)
            .field(
                "manifests",
                &self.manifests.iter().map(|m| m.slug()).collect::<Vec<_>>(),
            )
            .field("project_id", &self.project_id)
            .field("dev", &self.dev)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

impl LocalServerBuilder {
    /// Serves every integration under `dir`: `dir/<name>/integration.toml` (or `dir` itself
    /// when it holds an `integration.toml`).
    pub fn specs(mut self, dir: impl Into<PathBuf>) -> Self {
        self.specs.push(dir.into());
        self
    }

    /// Serves one already-loaded integration (tests build them with `Manifest::parse`).
    pub fn manifest(mut self, manifest: Manifest) -> Self {
        self.manifests.push(manifest);
        self
    }

    /// Serves one integration whose OpenAPI document is in memory rather than a file beside
    /// the manifest: a derived integration, `manifest` parsed from its `definition_toml()` and
    /// `document` its `paragon_sdk::EndpointSpec::openapi()`. Its tools are the document's
    /// operations, every method (they are the endpoints its developer declared for tools),
    /// unless the manifest has a `[tools] allow` list.
    pub fn manifest_with_document(
        mut self,
        manifest: Manifest,
        document: serde_json::Value,
    ) -> Self {
        self.documents.insert(manifest.slug(), document);
        self.manifests.push(manifest);
        self
    }

    /// The project id (`PARAGON_PROJECT_ID`). Generated in development mode when unset.
    pub fn project_id(mut self, id: impl Into<String>) -> Self {
        self.project_id = Some(id.into());
        self
    }

    /// The project's key: the signing key (verifies and mints) or only its public half.
    /// Generated in development mode when unset.
    pub fn project_key(mut self, key: ProjectKey) -> Self {
        self.project_key = Some(key);
        self
    }

    /// Where credentials live: a SQLite file path, `sqlite:…`, or `postgres://…`.
    /// Default: an in-memory SQLite database (gone when the server stops).
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.database_url = Some(url.into());
        self
    }

    /// The key that encrypts secrets at rest. Required outside development mode.
    pub fn encryption_key(mut self, key: EncryptionKey) -> Self {
        self.encryption_key = Some(key);
        self
    }

    /// Keys from before a rotation (`PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS`): used only to
    /// read secrets written with them, never to write. Each call adds to the list.
    /// [`RunningServer::rekey`] (or `paragon-local rekey`) re-encrypts those secrets with the
    /// current key, after which the previous keys can go.
    ///
    /// ```no_run
    /// use paragon_local::{EncryptionKey, LocalServer};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let new_key = EncryptionKey::parse(&std::env::var("NEW_KEY")?)?;
    /// let old_key = EncryptionKey::parse(&std::env::var("OLD_KEY")?)?;
    /// let server = LocalServer::builder()
    ///     .database_url("paragon-local.db")
    ///     .encryption_key(new_key) // writes, and reads what it wrote
    ///     .previous_encryption_keys([old_key]) // reads what the old key wrote
    ///     .project_id("my-project")
    ///     .dev(true)
    ///     .start()
    ///     .await?;
    /// let report = server.rekey().await?; // everything under the new key
    /// assert!(report.is_complete());
    /// # Ok(())
    /// # }
    /// ```
    pub fn previous_encryption_keys(
        mut self,
        keys: impl IntoIterator<Item = EncryptionKey>,
    ) -> Self {
        self.previous_encryption_keys.extend(keys);
        self
    }

    /// Development mode: generate what is missing (project id, project key, encryption key).
    pub fn dev(mut self, dev: bool) -> Self {
        self.dev = dev;
        self
    }

    /// An environment secret for manifest templates (`{env.NAME}`), taking precedence over
    /// the process environment. Tests use this instead of `std::env::set_var`.
    pub fn secret(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.secrets.insert(name.into(), value.into());
        self
    }

    /// Whether `{env.NAME}` falls back to the process environment (default `true`).
    pub fn process_env(mut self, enabled: bool) -> Self {
        self.process_env = enabled;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// The URL browsers and providers reach this server at (default `http://<bound address>`);
    /// OAuth's `redirect_uri` is `<public url>/oauth`. It may end in a path
    /// (`https://host/paragon`) when a reverse proxy serves the server there and strips that
    /// prefix: every link, form action, redirect and cookie path the server emits carries it.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }

    /// A browser origin (`https://app.example.com`) whose pages may call every route (CORS,
    /// as the official JavaScript SDK does) and frame the Connect Portal (`/ui`). Each call
    /// adds one. In development mode any loopback origin (`http://localhost:<port>`,
    /// `http://127.0.0.1:<port>`, `http://[::1]:<port>`) is allowed as well.
    pub fn allowed_origin(mut self, origin: impl Into<String>) -> Self {
        self.allowed_origins.push(origin.into());
        self
    }

    /// How long a Connect Portal sign-in code stays valid (default two minutes). Each code
    /// works once, whatever its lifetime.
    pub fn portal_code_ttl(mut self, ttl: Duration) -> Self {
        self.portal_code_ttl = ttl;
        self
    }

    /// Resolves `host` to `addrs` for upstream calls, before DNS (like curl's `--resolve`):
    /// split-horizon names, and tests that must decide addresses without sending a packet.
    /// Hosts that end users or tokens choose are still refused when every address is
    /// loopback, private, link-local or unique-local.
    pub fn resolve(
        mut self,
        host: impl Into<String>,
        addrs: impl IntoIterator<Item = IpAddr>,
    ) -> Self {
        let host = host.into().trim_end_matches('.').to_ascii_lowercase();
        self.pins.insert(host, addrs.into_iter().collect());
        self
    }

    /// Timeout of every upstream call (provider API and token endpoint). Default 30 s.
    pub fn upstream_timeout(mut self, timeout: Duration) -> Self {
        self.upstream_timeout = timeout;
        self
    }

    /// How long the proxy reuses a user's credentials read from the store (default 1 s;
    /// `Duration::ZERO` reads the store on every request). Every write invalidates them at
    /// once, on PostgreSQL on every replica too (`LISTEN`/`NOTIFY`); this only bounds how long
    /// a missed notification can leave a stale entry behind.
    pub fn credential_cache_ttl(mut self, ttl: Duration) -> Self {
        self.credential_cache_ttl = ttl;
        self
    }

    /// Largest request body accepted (default 10 MiB).
    pub fn max_request_body(mut self, bytes: usize) -> Self {
        self.max_request_body = bytes;
        self
    }

    /// Largest provider response relayed (default 10 MiB).
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// How long a client has to send a request's headers, from the connection's start or the
    /// end of its previous response (default 10 s): a client that trickles headers (slowloris)
    /// is disconnected.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.serve.header_read_timeout = timeout;
        self
    }

    /// How long a request body may take to arrive (default 30 s); then the request is refused
    /// (400, "data was not received within the designated timeout") and the connection closed.
    pub fn request_body_timeout(mut self, timeout: Duration) -> Self {
        self.serve.body_timeout = timeout;
        self
    }

    /// How long a whole request may take, provider calls included (default 120 s, above the
    /// upstream timeout so a renewal and its retry fit); then 408.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.serve.request_timeout = timeout;
        self
    }

    /// Connections served at once (default 1024). Further clients wait in the listen backlog
    /// until one closes.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.serve.max_connections = connections.max(1);
        self
    }

    /// Refuse user tokens that carry no `aud` claim (default: accepted, as Paragon's own
    /// examples mint some without one). A token with an `aud` must always name this project
    /// (`useparagon.com/<project id>`).
    pub fn require_audience(mut self, required: bool) -> Self {
        self.require_audience = required;
        self
    }

    /// Runs a workflow built in Rust ([`Workflow::builder`](paragon_manifest::workflow::Workflow::builder)),
    /// beside those found under the specs folders (`<integration>/workflows/*.toml`).
    pub fn workflow(mut self, workflow: paragon_manifest::workflow::Workflow) -> Self {
        self.workflows.push(workflow);
        self
    }

    /// Registers a Rust function that workflow steps call by name (`type = "function"`,
    /// `rust = "<name>"`): it gets the step's rendered `parameters` and returns its output,
    /// or an error message that fails the step.
    ///
    /// ```
    /// use paragon_local::LocalServer;
    /// use serde_json::{Value, json};
    ///
    /// let builder = LocalServer::builder().function("double", |p: Value| async move {
    ///     let n = p["n"].as_i64().ok_or("`n` must be a number")?;
    ///     Ok(json!(n * 2))
    /// });
    /// ```
    pub fn function<F, Fut>(mut self, name: impl Into<String>, f: F) -> Self
    where
        F: Fn(serde_json::Value) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<serde_json::Value, String>> + Send + 'static,
    {
        let f: crate::workflows::StepFunction = Arc::new(move |v| Box::pin(f(v)));
        self.functions.insert(name.into(), f);
        self
    }

    /// How long a replica holds a workflow run without renewing its lease (default 30 s):
    /// after a crash, another replica (or the restarted one) resumes the run this long after
    /// the last renewal.
    pub fn workflow_lease(mut self, lease: Duration) -> Self {
        self.engine.lease = lease;
        self
    }

    /// How often the workflow worker looks for due timers, schedules and orphaned runs
    /// (default 500 ms).
    pub fn workflow_poll_interval(mut self, poll: Duration) -> Self {
        self.engine.poll = poll;
        self
    }

    /// Time limit of one JavaScript function step (default 5 s).
    pub fn function_time_limit(mut self, limit: Duration) -> Self {
        self.engine.js.time = limit;
        self
    }

    /// Memory limit of one JavaScript function step (default 64 MiB).
    pub fn function_memory_limit(mut self, bytes: usize) -> Self {
        self.engine.js.memory = bytes;
        self
    }

    /// How long a Request trigger waits for its Response step (default 55 s, as Paragon).
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.engine.response_timeout = timeout;
        self
    }

    /// Loads the manifests, opens and migrates the store, binds the address and serves.
    pub async fn start(self) -> Result<RunningServer, StartError> {
        let mut manifests = self.manifests;
        for dir in &self.specs {
            manifests.extend(load_specs(dir)?);
        }
        refuse_reserved_env(&manifests)?;
        let integrations = Integrations::new(manifests, self.documents)?;
        let origins = crate::cors::BrowserOrigins::new(&self.allowed_origins, self.dev)
            .map_err(StartError::Config)?;
        let slugs: Vec<String> = integrations.iter().map(|i| i.slug.clone()).collect();
        let mut workflows = self.workflows;
        for dir in &self.specs {
            let found = crate::workflows::load_dir(dir, &slugs)
                .map_err(|(path, message)| StartError::Manifest { path, message })?;
            workflows.extend(found);
        }
        let engine = crate::workflows::Engine::new(workflows, self.functions, self.engine);
        let project_id = match (self.project_id, self.dev) {
            (Some(id), _) if !id.trim().is_empty() => id.trim().to_string(),
            (_, true) => uuid::Uuid::new_v4().to_string(),
            _ => {
                return Err(StartError::Config(
                    "no project id: set PARAGON_PROJECT_ID (or --project-id), or use development mode"
                        .into(),
                ));
            }
        };
        let key = match (self.project_key, self.dev) {
            (Some(k), _) => k,
            (None, true) => ProjectKey::generate(),
            (None, false) => {
                return Err(StartError::Config(
                    "no project key: set PARAGON_SIGNING_KEY (PEM) or PARAGON_PUBLIC_KEY_FILE, \
                     or use development mode"
                        .into(),
                ));
            }
        };
        let encryption_key = match (self.encryption_key, self.dev) {
            (Some(k), _) => k,
            (None, true) => EncryptionKey::generate(),
            (None, false) => {
                return Err(StartError::Config(
                    "no encryption key for credentials at rest: set PARAGON_LOCAL_ENCRYPTION_KEY \
                     (32 bytes as base64, e.g. `openssl rand -base64 32`), or use development \
                     mode (--dev / PARAGON_LOCAL_DEV=1)"
                        .into(),
                ));
            }
        };
        let location = self
            .database_url
            .unwrap_or_else(|| "sqlite::memory:".to_string());
        let cipher = Cipher::with_previous(&encryption_key, &self.previous_encryption_keys);
        let store = Store::open(&location, cipher, self.credential_cache_ttl).await?;
        if let Err(e) = store.log_key_usage().await {
            tracing::warn!(error = %e, "cannot count stored secrets per encryption key");
        }
        crate::renamed::warn(&store, &project_id, &integrations).await;
        let listener = TcpListener::bind(self.listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: self.listen.to_string(),
                source,
            })?;
        let mut addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: self.listen.to_string(),
            source,
        })?;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let url = format!("http://{addr}");
        let public_url = self
            .public_url
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_else(|| url.clone());
        let public_path = url::Url::parse(&public_url)
            .map_err(|e| StartError::Config(format!("the public URL {public_url:?}: {e}")))?
            .path()
            .trim_end_matches('/')
            .to_string();
        let http = Upstream::new(
            self.upstream_timeout,
            self.upstream_timeout.min(Duration::from_secs(10)),
            Arc::new(self.pins),
        )
        .map_err(StartError::Config)?;
        let portal_key = {
            let k = aws_lc_rs::hmac::Key::new(
                aws_lc_rs::hmac::HMAC_SHA256,
                encryption_key.to_base64().as_bytes(),
            );
            let tag = aws_lc_rs::hmac::sign(&k, b"paragon-local portal sessions v1");
            let mut out = [0u8; 32];
            out.copy_from_slice(&tag.as_ref()[..32]);
            out
        };
        let secrets = SecretsLookup {
            explicit: self.secrets,
            process_env: self.process_env,
        };
        let state: Shared = Arc::new(AppState {
            project_id: project_id.clone(),
            key: key.clone(),
            store: store.clone(),
            integrations,
            refresher: Refresher::new(store.clone(), http.clone(), secrets.clone()),
            secrets,
            http,
            public_url,
            public_path,
            portal_code_ttl: self.portal_code_ttl,
            limits: Limits {
                max_request_body: self.max_request_body,
                max_response_body: self.max_response_body,
            },
            portal_key,
            require_aud: self.require_audience,
            verified: Default::default(),
            workflows: engine,
            origins,
        });
        let worker = crate::workflows::spawn_worker(Arc::downgrade(&state));
        let app = router(state.clone(), self.max_request_body, &self.serve);
        let (shutdown, signal) = oneshot::channel::<()>();
        let limits = self.serve;
        let task = tokio::spawn(crate::serve::serve(listener, app, limits, signal));
        tracing::info!(%url, project_id = %project_id, backend = ?store.backend(), "paragon-local listening");
        let missing_secrets: Vec<(String, Vec<String>)> = state
            .integrations
            .iter()
            .filter_map(|i| {
                let names: Vec<String> = i
                    .manifest
                    .env_names()
                    .iter()
                    .filter(|name| {
                        paragon_manifest::Secrets::secret(&state.secrets, name).is_none()
                    })
                    .cloned()
                    .collect();
                (!names.is_empty()).then(|| (i.slug.clone(), names))
            })
            .collect();
        for (slug, names) in &missing_secrets {
            tracing::warn!(integration = %slug, missing = %names.join(", "), "environment secrets the manifest uses are not set");
        }
        Ok(RunningServer {
            state,
            addr,
            url,
            project_id,
            key,
            encryption_key,
            store,
            missing_secrets,
            shutdown: Some(shutdown),
            task: Some(task),
            worker,
        })
    }
}

/// A manifest that names one of the server's own secrets in `{env.*}` is refused at start,
/// rather than left to fail (or leak) at its first call.
fn refuse_reserved_env(manifests: &[Manifest]) -> Result<(), StartError> {
    for m in manifests {
        if let Some(name) = m
            .env_names()
            .iter()
            .find(|n| crate::secrets::RESERVED_ENV.contains(&n.as_str()))
        {
            return Err(StartError::Config(format!(
                "integration {}: `{{env.{name}}}` names one of this server's own secrets, \
                 which manifests cannot read",
                m.slug()
            )));
        }
    }
    Ok(())
}

fn load_specs(dir: &Path) -> Result<Vec<Manifest>, StartError> {
    let load = |path: &Path| {
        Manifest::load(path).map_err(|d| StartError::Manifest {
            path: path.display().to_string(),
            message: d.to_string(),
        })
    };
    if dir.join("integration.toml").is_file() {
        return Ok(vec![load(dir)?]);
    }
    let entries = std::fs::read_dir(dir).map_err(|e| {
        StartError::Config(format!(
            "cannot read the specs folder {}: {e}",
            dir.display()
        ))
    })?;
    let mut folders: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("integration.toml").is_file())
        .collect();
    folders.sort();
    folders.iter().map(|p| load(p)).collect()
}

fn router(state: Shared, body_limit: usize, limits: &ServeLimits) -> Router {
    let project = Router::new()
        .route(
            "/sdk/proxy/{*rest}",
            any(crate::proxy::handle).layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::permissions::guard_proxy,
            )),
        )
        .route("/sdk/me", get(users::me).patch(users::set_meta))
        .route("/sdk/integrations", get(integrations::list))
        .route("/sdk/portal/codes", post(portal::mint_code))
        .route("/dev/codes", post(crate::devview::mint_code))
        .route("/sdk/actions/oauth-nonce", get(crate::popup::nonce_page))
        .route(
            "/sdk/actions/session-id/{key}",
            get(crate::popup::session).delete(crate::popup::forget),
        )
        .route(
            "/sdk/integrations/{integration}",
            axum::routing::delete(users::uninstall),
        )
        .route(
            "/sdk/credentials",
            get(credentials::list).post(credentials::create),
        )
        .route(
            "/sdk/credentials/{id}",
            get(credentials::get)
                .patch(credentials::update)
                .delete(credentials::delete),
        )
        .route(
            "/sdk/credentials/{id}/configurations",
            post(credentials::create_configuration)
                .patch(credentials::update_configuration)
                .delete(credentials::delete_configuration),
        )
        .route(
            "/sdk/workflows/{workflow}",
            post(events::workflow_enable).delete(events::workflow_disable),
        )
        .route("/sdk/actions", post(events::actions))
        .route("/sdk/events/trigger", post(events::event))
        .route("/sdk/triggers/{workflow}", post(events::trigger))
        .route("/tools", get(tools::list).post(tools::run))
        .route("/mcp", axum::routing::any(crate::mcp::handle))
        .route(
            "/task-history/workflow-executions",
            get(crate::workflows::history::list),
        )
        .route(
            "/task-history/workflow-executions/{id}",
            get(crate::workflows::history::get),
        )
        .route(
            "/task-history/workflow-executions/{id}/step-executions",
            get(crate::workflows::history::step_executions),
        )
        .route(
            "/task-history/workflow-executions/{id}/replay",
            post(crate::workflows::history::replay),
        )
        .route("/triggers", get(events::triggers));
    let v2 = Router::new()
        .route("/sdk/events/trigger", post(events::event))
        .route("/sdk/actions/build-oauth", get(connect::build_oauth));
    let cors = state.origins.layer();
    Router::new()
        .nest("/projects/{pid}", project)
        .nest("/v2/projects/{pid}", v2)
        .route("/oauth", get(connect::callback))
        .route("/oauth/confirm", post(connect::confirm))
        .merge(crate::portal::router())
        .merge(crate::portal_frame::router())
        .merge(crate::devview::router())
        .route("/icons/{file}", get(integrations::icon))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|| async { ApiError::not_found("no such endpoint on the local Connect server") })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyTimeoutLayer::new(limits.body_timeout))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(crate::serve::trace_layer())
        // Outermost: a preflight is answered here, before authentication and the proxy.
        .layer(cors)
        .with_state(state)
}

/// A started server. Dropping it stops serving; [`RunningServer::shutdown`] also waits.
pub struct RunningServer {
    /// What the handlers share, for the MCP stdio server.
    state: Shared,
    addr: SocketAddr,
    url: String,
    project_id: String,
    key: ProjectKey,
    encryption_key: EncryptionKey,
    store: Store,
    missing_secrets: Vec<(String, Vec<String>)>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// The workflow worker (claims runs, fires schedules).
    worker: JoinHandle<()>,
}

impl fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningServer")
            .field("url", &self.url)
            .field("project_id", &self.project_id)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// The base URL of every service (`http://127.0.0.1:<port>`): point all the
    /// `PARAGON_*_URL` variables (or the SDK's `api_url`, `proxy_url`, …) at it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Which database the credential store uses.
    pub fn backend(&self) -> crate::store::Backend {
        self.store.backend()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Integrations whose manifest uses environment secrets (`{env.NAME}`) that are not set,
    /// with those names: calls that need them fail until the server is given them.
    pub fn missing_secrets(&self) -> &[(String, Vec<String>)] {
        &self.missing_secrets
    }

    /// The project id the server serves.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The UUID of the integration named `slug` (`custom.tasklab`, or `tasklab`), as
    /// `GET /sdk/integrations` lists it: the id that `POST /sdk/credentials`, `build-oauth` and
    /// `DELETE /sdk/integrations/{id}` take.
    pub fn integration_id(&self, slug: &str) -> Option<String> {
        self.state.integrations.get(slug).map(|i| i.id.clone())
    }

    /// The project's key (to mint tokens in tests, when the private half is known).
    pub fn project_key(&self) -> &ProjectKey {
        &self.key
    }

    /// The project's signing key as PEM, if the server knows it (given or generated).
    pub fn signing_key_pem(&self) -> Option<&str> {
        self.key.private_pem()
    }

    /// The encryption key in use (to restart a development server over the same store).
    pub fn encryption_key(&self) -> &EncryptionKey {
        &self.encryption_key
    }

    /// Re-encrypts every secret stored under a previous key with the current key, while the
    /// server keeps serving: see [`crate::rekey`].
    pub async fn rekey(&self) -> Result<crate::store::RekeyReport, crate::store::StoreError> {
        self.store.rekey().await
    }

    /// Mints a one-hour user token for `user_id` (fails if only the public key is known).
    pub fn token(&self, user_id: &str) -> Result<String, crate::auth::KeyError> {
        self.key
            .mint(&self.project_id, user_id, Duration::from_secs(3600))
    }

    /// Stops accepting connections, waits for in-flight requests (up to 5 s) and closes the
    /// store.
    pub async fn shutdown(mut self) {
        self.worker.abort();
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        self.store.close().await;
    }

    /// Serves MCP over stdin/stdout for the user `token` names (a Paragon user token for this
    /// project), until the client closes stdin: the user's tools, as on `/projects/{pid}/mcp`.
    pub async fn serve_mcp_stdio(&self, token: &str) -> Result<(), String> {
        crate::mcp::serve_stdio(self.state.clone(), &self.project_id, token).await
    }

    /// Serves until Ctrl-C / SIGTERM, then shuts down gracefully.
    pub async fn run_until_signal(self) {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(t) => t,
                    Err(_) => {
                        let _ = ctrl_c.await;
                        return self.shutdown().await;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        self.shutdown().await;
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.worker.abort();
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
    }
}
