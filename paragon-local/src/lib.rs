//! A local Paragon Connect server: the same wire protocol as Paragon's cloud, so
//! `paragon-sdk`, the `paragon` CLI and generated clients work against it unchanged when the
//! `PARAGON_*_URL` variables (or the SDK's URL options) point at it.
//!
//! One address serves every service's paths:
//!
//! - **Proxy** — `ANY /projects/{pid}/sdk/proxy/{integration}/{apiPath}` with the
//!   `{"output": …}` envelope, raw mode (`X-Paragon-Use-Raw-Response: 1`),
//!   `X-Paragon-Credential` and `X-Paragon-Proxy-Url`. The base URL and authorization come
//!   from the integration's manifest (`paragon-manifest`), rendered per credential.
//! - **Users API** — `/sdk/me`, `/sdk/integrations`, `/sdk/credentials` (+ configurations),
//!   `/sdk/workflows`, `/sdk/actions`; ActionKit answers with empty tool lists.
//! - **Workflows** — the workflows of `specs/<integration>/workflows/*.toml` (see
//!   `paragon_manifest::workflow`) and those given to [`LocalServerBuilder::workflow`] run on
//!   app events (`POST /sdk/events/trigger`), request triggers (`POST /sdk/triggers/{id}`,
//!   answered by the Response step, or 202), schedules and new credentials, durably: every run
//!   and step execution is a row, a step's result is committed before the next starts, and a
//!   run survives `kill -9` (it resumes at the first unfinished step once its lease lapses).
//!   History: `GET /projects/{pid}/task-history/workflow-executions` (and `/{id}`,
//!   `/{id}/step-executions`, `POST /{id}/replay`).
//! - **OAuth without a browser page** — `GET /v2/projects/{pid}/sdk/actions/build-oauth`
//!   returns the provider's authorization URL (state, PKCE as the manifest says, scopes,
//!   extra parameters, `redirect_uri = <server>/oauth`); the provider's redirect to `/oauth`
//!   exchanges the code and stores the credential: at once when the portal started the flow in
//!   that browser, else after the browser confirms the app user (`POST /oauth/confirm`).
//! - **Connect Portal** — `GET /connect/{integration}?code=<sign-in code>`, the code minted
//!   by `POST /projects/{pid}/sdk/portal/codes` (a local-server extension, with the user's
//!   token): single-use, two minutes, exchanged for a session cookie.
//!
//! Managed authentication: OAuth 2.0 authorization code with refresh ahead of expiry and once
//! after a provider 401, single-flight per credential (also across replicas sharing a
//! PostgreSQL store), rotated refresh tokens committed before use, a failed refresh marking
//! the credential `INVALID` with the reason; OAuth client credentials with the end user's
//! client id and secret; API keys and other input fields.
//!
//! User tokens are verified (RS256 with the project's key, `exp`, `nbf`, `aud` when present or
//! required, the project id in the path; the permissions claim per credential) and every store query is scoped by project and user, so a user can
//! never reach another user's credentials. Secrets are encrypted at rest with AES-256-GCM, bound
//! to their project, user, integration and id.
//! Replicas sharing a PostgreSQL store announce every credential write to each other
//! (`LISTEN`/`NOTIFY`), so a disconnect through one is honoured by all at once.
//! Credentials are only sent to the integration's own base-URL host; path traversal and header
//! injection are refused; bodies have size limits and upstream calls have timeouts.
//!
//! # Starting a server in a test
//!
//! ```
//! use paragon_local::LocalServer;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/tasklab-keys");
//! let server = LocalServer::builder()
//!     .dev(true) // generate the project key and the encryption key
//!     .project_id("my-project")
//!     .specs(specs)
//!     .secret("TASKLAB_URL", "http://127.0.0.1:9") // what `{env.TASKLAB_URL}` renders to
//!     .start()
//!     .await?;
//!
//! let token = server.token("alice")?; // a one-hour user token signed with the project key
//! let me: serde_json::Value = reqwest::Client::new()
//!     .get(format!("{}/projects/my-project/sdk/me", server.url()))
//!     .bearer_auth(token)
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(me["userId"], "alice");
//! assert_eq!(me["integrations"]["custom.tasklabkeys"]["enabled"], false);
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Running it
//!
//! ```text
//! paragon-local serve --specs specs --listen 127.0.0.1:8787 --dev
//! ```
//!
//! Configuration by flags or environment: `PARAGON_PROJECT_ID`, `PARAGON_SIGNING_KEY` (or
//! `PARAGON_SIGNING_KEY_FILE`, or only the public half with `PARAGON_PUBLIC_KEY_FILE`),
//! `PARAGON_LOCAL_DATABASE_URL` (a SQLite file, default `paragon-local.db`, or
//! `postgres://…`), `PARAGON_LOCAL_ENCRYPTION_KEY` (32 bytes, base64 or hex; required outside
//! development mode) and `PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS` (see below),
//! `PARAGON_LOCAL_DEV=1`, `PARAGON_LOCAL_PUBLIC_URL`, and the environment
//! secrets the manifests name (`TASKLAB_CLIENT_ID`, …). In development mode, what is missing
//! is generated once into `.paragon-local-dev/` and the server prints how to mint tokens.
//!
//! # Rotating the encryption key
//!
//! Every stored secret records the id (a fingerprint) of the key that encrypted it. Besides
//! the current key, a server can hold *previous* keys, only used to read what they encrypted
//! (`PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS`, comma-separated, or repeated
//! `--previous-encryption-key`; [`LocalServerBuilder::previous_encryption_keys`] in code).
//! New secrets, refreshed tokens and re-encrypted values always use the current key.
//!
//! 1. Generate the new key (`openssl rand -base64 32`), set it as
//!    `PARAGON_LOCAL_ENCRYPTION_KEY` and move the old one to
//!    `PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS`; restart every server. (With several replicas,
//!    first give every replica the new key as a previous key, so each can read what the
//!    others write during the switch.)
//! 2. Run `paragon-local rekey` with the same database and key settings. It re-encrypts every
//!    secret (credentials and pending OAuth authorizations) under the current key, one row at
//!    a time with a compare-and-swap, so it is safe while servers run and safe to interrupt:
//!    run it again to finish. It prints how many secrets it re-encrypted and how many are
//!    under keys it does not have, and exits non-zero unless everything is now under the
//!    current key. In code: [`rekey`] or [`RunningServer::rekey`].
//! 3. Drop the old key from `PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS` and restart.
//!
//! A secret under a key that is not configured is never guessed at: reading it fails with an
//! error naming the key id it needs (never key material), and at startup the server logs how
//! many secrets still use a previous or unknown key. Connect Portal sessions are signed with
//! a key derived from the current key, so open portal pages must be reloaded after a rotation.
//!
//! ```text
//! PARAGON_LOCAL_ENCRYPTION_KEY=$NEW PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS=$OLD paragon-local serve
//! PARAGON_LOCAL_ENCRYPTION_KEY=$NEW PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS=$OLD paragon-local rekey
//! PARAGON_LOCAL_ENCRYPTION_KEY=$NEW paragon-local serve
//! ```
#![forbid(unsafe_code)]

mod after_connect;
mod api;
mod auth;
mod body_credential;
mod cache;
mod client_assertion;
mod configure;
mod cors;
mod crypto;
mod devview;
mod error;
mod exchange;
mod flows;
mod html;
mod integration;
mod mcp;
mod oauth;
mod permissions;
mod popup;
mod portal;
mod portal_frame;
mod proxy;
mod reconnect;
mod refresh;
mod registration;
mod renamed;
mod resolve;
mod secrets;
mod serve;
mod server;
mod session;
mod settings;
mod state;
mod store;
mod token_reading;
mod tools;
mod upstream;
mod workflows;

pub use auth::{KeyError, ProjectKey};
pub use crypto::{CryptoError, EncryptionKey, EncryptionKeyError};
pub use error::StartError;
pub use server::{LocalServer, LocalServerBuilder, RunningServer};
pub use store::{Backend, RekeyReport, StoreError, rekey};
pub use workflows::StepFunction;
pub use workflows::draw::workflow_svg;
pub use workflows::workflow_id;
