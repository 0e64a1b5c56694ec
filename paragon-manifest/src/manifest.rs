//! The validated integration definition and what can be rendered from it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use url::Url;

use crate::after_connect::AfterConnect;
use crate::api::{Api, RenderedAuth};
use crate::auth::{Auth, render_url};
use crate::diagnostic::Diagnostics;
use crate::input::{InputError, InputField};
use crate::render::{RenderContext, RenderError};
use crate::setting::SettingField;
use crate::template::{Reference, Template};
use crate::tools::Tools;

/// The file name of a manifest inside its integration folder.
pub const MANIFEST_FILE: &str = "integration.toml";

/// Manifests larger than this are refused (they are a few kilobytes).
pub(crate) const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A custom integration definition, loaded from `specs/<name>/integration.toml` and validated.
///
/// Every `Manifest` is valid: the only way to get one is [`Manifest::load`] or
/// [`Manifest::parse`], which report every problem at once as [`Diagnostics`].
#[derive(Clone, Debug)]
pub struct Manifest {
    pub(crate) file: PathBuf,
    pub(crate) slug: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) icon_path: Option<PathBuf>,
    pub(crate) icon_svg: String,
    pub(crate) color: String,
    pub(crate) spec: Option<PathBuf>,
    pub(crate) auth: Auth,
    pub(crate) after_connect: Vec<AfterConnect>,
    pub(crate) inputs: Vec<InputField>,
    pub(crate) settings: Vec<SettingField>,
    pub(crate) overview: Option<String>,
    pub(crate) api: Api,
    pub(crate) tools: Option<Tools>,
    pub(crate) env_names: Vec<String>,
}

impl Manifest {
    /// Loads and validates a manifest: `path` is an `integration.toml` or the folder holding it.
    ///
    /// The icon (and the OpenAPI spec, when named) are read relative to the manifest's folder.
    pub fn load(path: impl AsRef<Path>) -> Result<Manifest, Diagnostics> {
        let path = path.as_ref();
        let file = if path.is_dir() {
            path.join(MANIFEST_FILE)
        } else {
            path.to_path_buf()
        };
        let source = crate::files::read_limited(&file, MAX_FILE_BYTES)
            .map_err(|e| Diagnostics::for_file(&file, format!("cannot read the manifest: {e}")))?;
        Manifest::parse(&source, file)
    }

    /// Validates manifest text. `file` names it in diagnostics and locates the icon and the
    /// spec (relative to its folder).
    pub fn parse(source: &str, file: impl Into<PathBuf>) -> Result<Manifest, Diagnostics> {
        crate::parse::parse(source, file.into())
    }

    /// The manifest file it was read from.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The integration's folder.
    pub fn dir(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new(""))
    }

    /// The display name, e.g. `Task Lab`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The slug Paragon uses in URLs: `custom.` and the manifest's `slug`, or, without one,
    /// the name with every run of non-alphanumerics removed, lowercased (`Task Lab` →
    /// `custom.tasklab`). Paragon keeps an integration's slug when it is renamed, so a renamed
    /// integration keeps its users' credentials by writing the old slug.
    pub fn slug(&self) -> String {
        self.slug.clone()
    }

    /// The description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The icon file, when the manifest names one (an icon written inline has none).
    pub fn icon_path(&self) -> Option<&Path> {
        self.icon_path.as_deref()
    }

    /// The icon, an SVG document.
    pub fn icon_svg(&self) -> &str {
        &self.icon_svg
    }

    /// The environment secrets (`{env.NAME}`) the manifest uses anywhere, sorted: what a
    /// server must be given, such as OAuth client ids and secrets or a provider's URL.
    ///
    /// ```
    /// use paragon_manifest::Manifest;
    ///
    /// let m = Manifest::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/tasklab")).unwrap();
    /// assert_eq!(m.env_names(), ["TASKLAB_CLIENT_ID", "TASKLAB_CLIENT_SECRET", "TASKLAB_URL"]);
    /// ```
    pub fn env_names(&self) -> &[String] {
        &self.env_names
    }

    /// The accent color, `#RRGGBB`.
    pub fn color(&self) -> &str {
        &self.color
    }

    /// The provider's OpenAPI spec: `spec` from the manifest, else an `openapi.json`,
    /// `openapi.yaml` or `openapi.yml` beside the manifest, if one exists.
    pub fn spec_path(&self) -> Option<PathBuf> {
        self.spec.clone()
    }

    /// The authentication method and its setup.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The requests made with a new credential right after connecting
    /// (`[[auth.after_connect]]`), in order: each may use the values earlier ones captured.
    pub fn after_connect(&self) -> &[AfterConnect] {
        &self.after_connect
    }

    /// The end user's input fields, in file order.
    pub fn inputs(&self) -> &[InputField] {
        &self.inputs
    }

    /// Checks an end user's value for `field`: the field's own rules ([`InputField::check`]),
    /// and, when the input lands in the path of one of the manifest's URLs (base URL, OAuth or
    /// token URLs), no `.` or `..` segment in any encoding.
    pub fn check_input(&self, field: &InputField, value: Option<&str>) -> Result<(), InputError> {
        field.check(value)?;
        match value {
            Some(v) if self.input_in_path(field.key()) && crate::url_rule::has_dot_segment(v) => {
                Err(InputError::DotSegment {
                    label: field.label().to_string(),
                })
            }
            _ => Ok(()),
        }
    }

    /// Whether `{input.<key>}` appears in the path of one of the manifest's URL templates.
    fn input_in_path(&self, key: &str) -> bool {
        let mut templates: Vec<&Template> = self.api.base_url_alternatives().collect();
        match &self.auth {
            Auth::OAuth(o) => {
                templates.push(o.authorization_url_template());
                templates.push(o.token_url_template());
                templates.extend(o.refresh_url_template());
            }
            Auth::ClientCredentials(cc) => templates.push(cc.token_url_template()),
            Auth::TokenExchange(te) => templates.push(te.url_template()),
            _ => {}
        }
        templates.into_iter().any(|t| {
            crate::url_rule::path_references(t)
                .iter()
                .any(|r| matches!(r, Reference::Input(k) if k == key))
        })
    }

    /// The end user's settings (`[[settings]]`), in file order: configured in the Connect
    /// Portal once connected, stored per credential as `sharedSettings`.
    pub fn settings(&self) -> &[SettingField] {
        &self.settings
    }

    /// The keys of [`Manifest::settings`]: what `{settings.<key>}` may name
    /// (`workflow::Context::settings`).
    pub fn setting_keys(&self) -> Vec<String> {
        self.settings.iter().map(|s| s.key().to_owned()).collect()
    }

    /// The setting `key`.
    pub fn setting(&self, key: &str) -> Option<&SettingField> {
        self.settings.iter().find(|s| s.key() == key)
    }

    /// The overview the Connect Portal shows, as written (Markdown; render it sanitized).
    pub fn overview(&self) -> Option<&str> {
        self.overview.as_deref()
    }

    /// The input field `key`.
    pub fn input(&self, key: &str) -> Option<&InputField> {
        self.inputs.iter().find(|i| i.key() == key)
    }

    /// Checks an end user's values against every input field and applies the defaults: the
    /// values to store and render with (`RenderContext::inputs`), or every refused field with
    /// its key. Keys that are not declared inputs are left out.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use paragon_manifest::Manifest;
    ///
    /// let m = Manifest::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/salesforce")).unwrap();
    /// let given: HashMap<&str, &str> = HashMap::new();
    /// let values = m.resolve_inputs(|key| given.get(key).copied()).unwrap();
    /// assert_eq!(values["environment"], "login"); // the default
    ///
    /// let given = HashMap::from([("environment", "staging")]);
    /// let errors = m.resolve_inputs(|key| given.get(key).copied()).unwrap_err();
    /// assert_eq!(errors[0].0, "environment");
    /// assert_eq!(errors[0].1.to_string(), "`Environment` must be one of: login, test");
    /// ```
    pub fn resolve_inputs<'v>(
        &self,
        value: impl Fn(&str) -> Option<&'v str>,
    ) -> Result<BTreeMap<String, String>, Vec<(String, InputError)>> {
        let mut values = BTreeMap::new();
        let mut errors = Vec::new();
        for field in &self.inputs {
            let given = value(field.key()).filter(|v| !v.is_empty());
            match field.check(given) {
                Err(e) => errors.push((field.key().to_owned(), e)),
                Ok(()) => {
                    if let Some(v) = given.or(field.default_value()) {
                        values.insert(field.key().to_owned(), v.to_owned());
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(errors)
        }
    }

    /// The API setup.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// The `[tools]` table: which operations agents may call as tools. `None` when the
    /// manifest has none, and then only the spec's `GET` operations are tools.
    pub fn tools(&self) -> Option<&Tools> {
        self.tools.as_ref()
    }

    /// The path "Send test request" GETs, relative to the base URL, e.g. `/me`.
    pub fn test_endpoint(&self) -> &str {
        &self.api.test_endpoint
    }

    /// The rendered base URL (checked: absolute `https`, or `http` on a loopback host): of
    /// alternatives, the first whose references all have values.
    pub fn base_url(&self, ctx: &RenderContext<'_>) -> Result<Url, RenderError> {
        render_url(
            self.api.base_url_for(ctx),
            ctx,
            "api.base_url",
            &self.api.url_inputs,
        )
    }

    /// The URL of `path` under the base URL: `https://api.example.com/v1` + `/me` →
    /// `https://api.example.com/v1/me` (the base URL's path is kept; `path` may carry a query).
    pub fn endpoint_url(&self, ctx: &RenderContext<'_>, path: &str) -> Result<Url, RenderError> {
        let base = self.base_url(ctx)?;
        let joined = format!(
            "{}/{}",
            base.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        crate::url_rule::parse_checked(&joined).map_err(|reason| RenderError::InvalidUrl {
            field: "api.base_url".into(),
            reason,
        })
    }

    /// The URL "Send test request" GETs: [`Manifest::endpoint_url`] of the test endpoint.
    pub fn test_url(&self, ctx: &RenderContext<'_>) -> Result<Url, RenderError> {
        self.endpoint_url(ctx, &self.api.test_endpoint)
    }

    /// The rendered API authorization (headers and query parameters) for a credential.
    pub fn authorization(&self, ctx: &RenderContext<'_>) -> Result<RenderedAuth, RenderError> {
        self.api.render_authorization(ctx)
    }

    /// The default headers an after-connect request carries: those of `[api.headers]` whose
    /// values exist yet (a header that needs a value the request itself captures is left out).
    pub fn after_connect_headers(
        &self,
        ctx: &RenderContext<'_>,
    ) -> Result<Vec<(String, String)>, RenderError> {
        self.api.render_available_headers(ctx)
    }

    /// The rendered default headers (`[api.headers]`), in file order.
    pub fn default_headers(
        &self,
        ctx: &RenderContext<'_>,
    ) -> Result<Vec<(String, String)>, RenderError> {
        self.api.render_headers(ctx)
    }
}

/// The slug for a display name: `custom.` and the name with every run of non-alphanumerics
/// removed, lowercased.
///
/// ```
/// assert_eq!(paragon_manifest::slug("Task Lab"), "custom.tasklab");
/// assert_eq!(paragon_manifest::slug("Acme CRM (v2)"), "custom.acmecrmv2");
/// ```
pub fn slug(name: &str) -> String {
    let mut out = String::from("custom.");
    out.extend(
        name.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase()),
    );
    out
}
