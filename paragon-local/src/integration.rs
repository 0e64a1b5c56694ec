//! The integrations this server serves: one [`Manifest`] each, found by slug or by id.

use paragon_manifest::{Manifest, Reference, RenderContext, Secrets};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use crate::store::Secret;
use crate::tools::ServedTools;
use crate::upstream::Reach;

/// One integration and what the server derives from its manifest once.
#[derive(Debug)]
pub(crate) struct Integration {
    pub manifest: Manifest,
    pub slug: String,
    /// A stable id (UUID v5 of the slug), so the same integration has the same id on every
    /// replica and across restarts.
    pub id: String,
    /// Whether rendering needs the user's metadata (`{user.*}`), which costs a store read.
    pub needs_user_meta: bool,
    /// Who chose the base URL's host, hence which addresses the proxy may reach.
    pub base_reach: Reach,
    /// Its OpenAPI document when it is in memory (a derived integration's declared
    /// endpoints), in place of a spec file beside the manifest.
    document: Option<Value>,
    /// Its tools for AI agents, generated on first use: reading a large spec takes a moment
    /// that a server start should not pay for integrations no agent uses.
    tools: std::sync::OnceLock<Result<Arc<ServedTools>, String>>,
}

/// The namespace for integration ids (a fixed random UUID).
const ID_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6f1c_2b0e_8a0d_4f5e_9a41_37d2_c1e5_90ab);

impl Integration {
    pub(crate) fn new(manifest: Manifest, document: Option<Value>) -> Self {
        let slug = manifest.slug();
        let id = uuid::Uuid::new_v5(&ID_NAMESPACE, slug.as_bytes()).to_string();
        let api = manifest.api();
        let mut refs: Vec<&Reference> = api
            .base_url_alternatives()
            .flat_map(|t| t.references())
            .collect();
        for placement in api.authorizations() {
            refs.extend(
                placement
                    .templates()
                    .into_iter()
                    .flat_map(|t| t.references()),
            );
        }
        for header in api.headers() {
            refs.extend(header.alternatives().iter().flat_map(|t| t.references()));
        }
        let needs_user_meta = refs.iter().any(|r| matches!(r, Reference::User(_)));
        // Any alternative may be the one used: the widest reach of them all.
        let base_reach = if api
            .base_url_alternatives()
            .any(|t| crate::refresh::reach_of(t) == crate::upstream::Reach::Public)
        {
            crate::upstream::Reach::Public
        } else {
            crate::upstream::Reach::Owner
        };
        Self {
            manifest,
            slug,
            id,
            needs_user_meta,
            base_reach,
            document,
            tools: std::sync::OnceLock::new(),
        }
    }

    /// The integration's tools (generated on the first call, blocking: call it from
    /// `spawn_blocking`); the error says why its spec gives none.
    pub(crate) fn tools(&self) -> Result<Arc<ServedTools>, String> {
        self.tools
            .get_or_init(|| {
                ServedTools::generate(&self.manifest, self.document.as_ref()).map(Arc::new)
            })
            .clone()
    }

    /// The prefix of its tools' names, `TASKLAB_` (ActionKit's `<INTEGRATION>_<ACTION>`).
    pub(crate) fn tool_prefix(&self) -> String {
        let short = self.slug.strip_prefix("custom.").unwrap_or(&self.slug);
        format!("{}_", short.to_ascii_uppercase())
    }

    /// The template context for one credential: its inputs (with declared defaults), tokens,
    /// captured values, the user's metadata and the environment secrets.
    pub(crate) fn context<'a>(
        &self,
        secrets: &'a dyn Secrets,
        secret: &Secret,
        meta: Option<&Value>,
    ) -> RenderContext<'a> {
        let mut ctx = RenderContext::new().with_secrets(secrets);
        ctx = ctx.inputs(input_values(&self.manifest, &secret.inputs));
        if let Some(token) = &secret.access_token {
            ctx = ctx.access_token(token.clone());
        }
        for (k, v) in &secret.captured {
            ctx = ctx.credential(k.clone(), v.clone());
        }
        if let Some(Value::Object(meta)) = meta {
            for (k, v) in meta {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                ctx = ctx.user(k.clone(), v);
            }
        }
        ctx
    }

    /// [`Integration::context`] for a stored credential, with its `{settings.*}` (stored
    /// `sharedSettings`, else the manifest's defaults).
    pub(crate) fn credential_context<'a>(
        &self,
        secrets: &'a dyn Secrets,
        c: &crate::store::Credential,
        meta: Option<&Value>,
    ) -> RenderContext<'a> {
        let mut ctx = self.context(secrets, &c.secret, meta);
        for (key, value) in crate::settings::effective(&self.manifest, &c.config) {
            let text = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            ctx = ctx.setting(key, text);
        }
        ctx
    }
}

/// The user's input values, with the manifest's defaults for the ones left out. An optional
/// input left empty has no value at all, so the templates that use it fall back or are left
/// out rather than sending an empty value.
pub(crate) fn input_values(
    manifest: &Manifest,
    inputs: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut out = inputs.clone();
    out.retain(|_, v| !v.is_empty());
    for field in manifest.inputs() {
        if let Some(default) = field.default_value()
            && out.get(field.key()).is_none_or(|v| v.is_empty())
        {
            out.insert(field.key().to_string(), default.to_string());
        }
    }
    out
}

/// All integrations, by slug and by id.
#[derive(Debug, Default)]
pub(crate) struct Integrations {
    list: Vec<Arc<Integration>>,
    index: HashMap<String, Arc<Integration>>,
}

/// Two manifests with one slug: the second could never be reached.
#[derive(Debug, thiserror::Error)]
#[error("another integration already has the slug {slug}")]
pub(crate) struct DuplicateSlug {
    pub slug: String,
    /// The second manifest with that slug.
    pub file: PathBuf,
}

impl From<DuplicateSlug> for crate::error::StartError {
    fn from(e: DuplicateSlug) -> Self {
        crate::error::StartError::Manifest {
            path: e.file.display().to_string(),
            message: e.to_string(),
        }
    }
}

impl Integrations {
    /// The integrations of `manifests`, each with its in-memory OpenAPI document from
    /// `documents` (by slug) when it has one.
    pub(crate) fn new(
        manifests: Vec<Manifest>,
        mut documents: BTreeMap<String, Value>,
    ) -> Result<Self, DuplicateSlug> {
        let mut out = Integrations::default();
        for m in manifests {
            let document = documents.remove(&m.slug());
            let i = Arc::new(Integration::new(m, document));
            if out.index.contains_key(&i.slug) {
                return Err(DuplicateSlug {
                    slug: i.slug.clone(),
                    file: i.manifest.file().to_path_buf(),
                });
            }
            out.index.insert(i.slug.clone(), i.clone());
            out.index.insert(i.id.clone(), i.clone());
            out.list.push(i);
        }
        Ok(out)
    }

    /// Finds an integration by slug (`custom.tasklab`), bare name (`tasklab`) or id.
    pub(crate) fn get(&self, key: &str) -> Option<&Arc<Integration>> {
        self.index
            .get(key)
            .or_else(|| self.index.get(&format!("custom.{key}")))
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<Integration>> {
        self.list.iter()
    }
}
