//! The values templates are rendered with, and what goes wrong when one is missing.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasher;

use crate::secret::Secret;
use crate::template::Reference;

/// Where `{env.<NAME>}` values come from.
///
/// [`ProcessEnv`] reads the process environment; a `HashMap`/`BTreeMap` of names to values, or a
/// closure `Fn(&str) -> Option<String>`, lets tests and servers keep secrets per instance.
pub trait Secrets {
    /// The value of the secret `name`, if set.
    fn secret(&self, name: &str) -> Option<String>;
}

/// Secrets from the process environment (`std::env::var`).
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessEnv;

impl Secrets for ProcessEnv {
    fn secret(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<S: BuildHasher> Secrets for HashMap<String, String, S> {
    fn secret(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

impl Secrets for BTreeMap<String, String> {
    fn secret(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

impl<F: Fn(&str) -> Option<String>> Secrets for F {
    fn secret(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// Everything a template may refer to: the user's inputs, their credential, the owner's
/// secrets and the user's metadata.
///
/// ```
/// use std::collections::HashMap;
/// use paragon_manifest::{RenderContext, Template};
///
/// let secrets = HashMap::from([("TASKLAB_URL".to_string(), "http://127.0.0.1:4000".to_string())]);
/// let ctx = RenderContext::new()
///     .with_secrets(&secrets)
///     .access_token("tok")
///     .user("Email", "alice@example.com");
/// let t = Template::parse("{env.TASKLAB_URL}/v1?as={user.Email}").unwrap();
/// assert_eq!(t.render(&ctx).unwrap(), "http://127.0.0.1:4000/v1?as=alice@example.com");
/// ```
#[derive(Clone)]
pub struct RenderContext<'a> {
    inputs: BTreeMap<String, Secret>,
    credential: BTreeMap<String, Secret>,
    user: BTreeMap<String, String>,
    settings: BTreeMap<String, String>,
    secrets: &'a dyn Secrets,
}

impl RenderContext<'static> {
    /// An empty context whose secrets come from the process environment.
    pub fn new() -> Self {
        RenderContext {
            inputs: BTreeMap::new(),
            credential: BTreeMap::new(),
            user: BTreeMap::new(),
            settings: BTreeMap::new(),
            secrets: &ProcessEnv,
        }
    }
}

impl Default for RenderContext<'static> {
    fn default() -> Self {
        RenderContext::new()
    }
}

impl<'a> RenderContext<'a> {
    /// Takes `{env.*}` values from `secrets` instead of the process environment.
    pub fn with_secrets<'b>(self, secrets: &'b dyn Secrets) -> RenderContext<'b> {
        RenderContext {
            inputs: self.inputs,
            credential: self.credential,
            user: self.user,
            settings: self.settings,
            secrets,
        }
    }

    /// Sets the end user's value for the input `key` (`{input.key}`).
    pub fn input(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.inputs.insert(key.into(), Secret::new(value));
        self
    }

    /// Sets several inputs at once.
    pub fn inputs<K: Into<String>, V: Into<String>>(
        mut self,
        values: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        for (k, v) in values {
            self.inputs.insert(k.into(), Secret::new(v));
        }
        self
    }

    /// Sets the credential value `name` (`{credential.name}`), e.g. a captured `instance_url`.
    pub fn credential(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.credential.insert(name.into(), Secret::new(value));
        self
    }

    /// Sets `{credential.access_token}`.
    pub fn access_token(self, token: impl Into<String>) -> Self {
        self.credential("access_token", token)
    }

    /// Sets the end user's setting `key` (`{settings.key}`), as
    /// [`SettingValue::to_template_text`](crate::SettingValue::to_template_text) writes it.
    pub fn setting(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.insert(key.into(), value.into());
        self
    }

    /// Sets the user metadata value `key` (`{user.key}`).
    pub fn user(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.user.insert(key.into(), value.into());
        self
    }

    /// The value a reference stands for.
    pub fn lookup(&self, reference: &Reference) -> Result<String, RenderError> {
        let value = match reference {
            Reference::Input(k) => self.inputs.get(k).map(|s| s.expose().to_owned()),
            Reference::Credential(k) => self.credential.get(k).map(|s| s.expose().to_owned()),
            Reference::Env(k) => self.secrets.secret(k),
            Reference::User(k) => self.user.get(k).cloned(),
            Reference::Setting(k) => self.settings.get(k).cloned(),
        };
        value.ok_or_else(|| RenderError::Missing(reference.clone()))
    }
}

/// Shows which values are set, never the values.
impl fmt::Debug for RenderContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderContext")
            .field("inputs", &self.inputs.keys().collect::<Vec<_>>())
            .field("credential", &self.credential.keys().collect::<Vec<_>>())
            .field("user", &self.user.keys().collect::<Vec<_>>())
            .field("settings", &self.settings.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Why a template could not be rendered. Never contains a rendered value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The context has no value for a reference.
    #[error("{}", missing_message(.0))]
    Missing(Reference),
    /// The rendered URL is not a valid absolute `https` URL (or `http` on a loopback host).
    #[error("`{field}` did not render to a valid URL: {reason}")]
    InvalidUrl {
        /// The manifest field, e.g. `api.base_url`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A rendered header name or value contains a line break or another control character.
    #[error("`{field}` rendered to a value that contains a control character")]
    InvalidHeaderValue {
        /// The manifest field, e.g. `api.authorization.headers.X-Api-Key`.
        field: String,
    },
    /// The integration does not use the kind of authentication the call needs.
    #[error("the integration does not use {0} authentication")]
    NotApplicable(&'static str),
}

fn missing_message(reference: &Reference) -> String {
    match reference {
        Reference::Input(k) => format!("no value for the input `{k}` ({reference})"),
        Reference::Credential(k) => {
            format!("the credential has no value `{k}` ({reference})")
        }
        Reference::Env(k) => format!("the environment secret `{k}` is not set ({reference})"),
        Reference::User(k) => format!("the user has no metadata `{k}` ({reference})"),
        Reference::Setting(k) => format!("the user has not set `{k}` ({reference})"),
    }
}
