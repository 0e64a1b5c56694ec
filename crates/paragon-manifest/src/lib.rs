//! The one model of a Paragon custom integration definition.
//!
//! A custom integration lives in a folder, `specs/<name>/`, holding an `integration.toml`, an
//! `icon.svg` and optionally the provider's OpenAPI spec. The manifest follows Paragon's four
//! steps: basic info (name, description, icon, accent color), the authentication method, its
//! setup, and the API setup (base URL, API authorization, default headers, test endpoint).
//!
//! [`Manifest::load`] reads and validates it, reporting every problem at once as
//! [`Diagnostics`] with file, line, column, field and a fix. Values in URLs, headers and
//! parameters are [`Template`]s over the user's inputs (`{input.subdomain}`), the credential
//! (`{credential.access_token}`, captured token-response values), environment secrets
//! (`{env.NAME}`) and user metadata (`{user.Email}`); they are rendered with a
//! [`RenderContext`].
//!
//! This crate has no HTTP stack, so build scripts and proc macros can use it.
//!
//! ```
//! use std::collections::HashMap;
//! use paragon_manifest::{Manifest, RenderContext};
//!
//! let manifest = Manifest::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs/tasklab"))?;
//! assert_eq!(manifest.slug(), "custom.tasklab");
//! assert_eq!(manifest.test_endpoint(), "/me");
//!
//! // The local server passes its own secrets; the default is the process environment.
//! let secrets = HashMap::from([("TASKLAB_URL".to_string(), "http://127.0.0.1:4000".to_string())]);
//! let ctx = RenderContext::new().with_secrets(&secrets).access_token("t0k3n");
//! assert_eq!(manifest.test_url(&ctx)?.as_str(), "http://127.0.0.1:4000/v1/me");
//!
//! let auth = manifest.authorization(&ctx)?;
//! assert_eq!(auth.headers[0].0, "Authorization");
//! assert_eq!(auth.headers[0].1.expose(), "Bearer t0k3n");
//! assert!(!format!("{auth:?}").contains("t0k3n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A manifest with problems:
//!
//! ```
//! let err = paragon_manifest::Manifest::parse("name = \"Demo\"\ncolor = \"blue\"\n", "demo.toml")
//!     .unwrap_err();
//! let text = err.to_string();
//! assert!(text.contains("error: accent color must be `#RRGGBB`\n  --> demo.toml:2:9"));
//! assert!(text.contains("missing field `description`"));
//! ```
#![warn(missing_docs)]

mod api;
mod auth;
mod diagnostic;
mod discover;
mod files;
mod icon;
mod input;
mod manifest;
mod parse;
mod render;
mod secret;
mod template;
mod url_rule;

pub use api::{Api, ApiAuthorization, RenderedAuth};
pub use auth::{Auth, AuthorizeRequest, ClientAuth, ClientCredentials, OAuth};
pub use diagnostic::{Diagnostic, Diagnostics, Snippet};
pub use discover::{discover, validate_paths};
pub use input::{InputError, InputField, InputKind};
pub use manifest::{MANIFEST_FILE, Manifest, slug};
pub use render::{ProcessEnv, RenderContext, RenderError, Secrets};
pub use secret::Secret;
pub use template::{Part, Reference, Template, TemplateError};
pub use url::Url;
