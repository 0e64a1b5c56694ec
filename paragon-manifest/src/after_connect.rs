//! Values read from the API right after connecting: `[[auth.after_connect]]`. Some APIs
//! only say after the authorization where the account lives (a data centre, a site, an
//! instance URL) or who it is: each entry is a GET made with the new credential whose JSON
//! answer fills `{credential.<name>}` values (and optionally Paragon's `providerId`) that the
//! base URL, headers and later entries use.

use url::Url;

use crate::auth::render_url;
use crate::manifest::Manifest;
use crate::render::{RenderContext, RenderError};
use crate::template::Template;

/// One `[[auth.after_connect]]` request: where to GET and which values its answer holds.
#[derive(Clone, Debug)]
pub struct AfterConnect {
    pub(crate) url: Template,
    /// A path under `api.base_url` rather than an absolute URL.
    pub(crate) relative: bool,
    pub(crate) capture: Vec<(String, String)>,
    pub(crate) provider_id: Option<String>,
    pub(crate) url_inputs: Vec<String>,
    pub(crate) index: usize,
}

impl AfterConnect {
    /// The `url` template as written: a path under the API's base URL (`/me`) or an absolute
    /// URL on a host the manifest names (a literal or `{env.*}`).
    pub fn url_template(&self) -> &Template {
        &self.url
    }

    /// Whether the URL is a path under `api.base_url`.
    pub fn is_relative(&self) -> bool {
        self.relative
    }

    /// The rendered URL to GET, with the credential as it is so far (the values earlier
    /// entries captured included).
    pub fn url(&self, manifest: &Manifest, ctx: &RenderContext<'_>) -> Result<Url, RenderError> {
        let field = format!("auth.after_connect[{}].url", self.index);
        if self.relative {
            let path = self.url.render_url(ctx, &self.url_inputs)?;
            manifest.endpoint_url(ctx, &path)
        } else {
            render_url(&self.url, ctx, &field, &self.url_inputs)
        }
    }

    /// The values kept from the answer: each credential value's name and the JSON pointer
    /// (RFC 6901) to it, in file order.
    pub fn capture(&self) -> &[(String, String)] {
        &self.capture
    }

    /// The JSON pointer to the account's id at the provider (Paragon's `providerId`).
    pub fn provider_id(&self) -> Option<&str> {
        self.provider_id.as_deref()
    }

    /// The entry's position in `[[auth.after_connect]]`, for messages
    /// (`auth.after_connect[0]`).
    pub fn index(&self) -> usize {
        self.index
    }
}
