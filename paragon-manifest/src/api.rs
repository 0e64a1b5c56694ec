//! Step 4 of a definition: the provider's API (base URL, authorization, headers, test endpoint).

use base64::Engine as _;

use crate::render::{RenderContext, RenderError};
use crate::secret::Secret;
use crate::template::{Reference, Template};

/// The `[api]` table.
#[derive(Clone, Debug)]
pub struct Api {
    pub(crate) base_url: Template,
    /// The alternatives after the first, when `base_url` is an array.
    pub(crate) base_url_fallbacks: Vec<Template>,
    pub(crate) test_endpoint: String,
    pub(crate) authorization: ApiAuthorization,
    /// Further placements of the credential beside `authorization`'s own (`params`, `body`).
    pub(crate) also: Vec<ApiAuthorization>,
    pub(crate) headers: Vec<DefaultHeader>,
    pub(crate) allowed_hosts: Vec<String>,
    pub(crate) url_inputs: Vec<String>,
}

/// One `[api.headers]` entry: a template, or alternatives (`["{input.version}", "2024-01-01"]`)
/// of which the first whose references all have values is sent; when none has, the header is
/// left out.
#[derive(Clone, Debug)]
pub struct DefaultHeader {
    pub(crate) name: String,
    pub(crate) alternatives: Vec<Template>,
    pub(crate) optional: bool,
}

impl DefaultHeader {
    /// The header name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The templates, in order (one unless written as an array).
    pub fn alternatives(&self) -> &[Template] {
        &self.alternatives
    }

    /// Whether the header is left out when no alternative has values (written as an array).
    pub fn optional(&self) -> bool {
        self.optional
    }
}

/// How each API request is authorized (`api.authorization`, chosen by `type`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ApiAuthorization {
    /// `type = "none"`.
    None,
    /// `type = "bearer"`: `Authorization: Bearer <token>`.
    Bearer {
        /// The token, e.g. `{credential.access_token}`.
        token: Template,
    },
    /// `type = "basic"`: `Authorization: Basic base64(username:password)`, or that encoded
    /// pair under another scheme (`scheme = "Userkeyauth"`) or header (`header =
    /// "client-auth-token"`, `scheme = ""` for the bare value).
    Basic {
        /// The username, e.g. `{input.api_key}`.
        username: Template,
        /// The password (default empty).
        password: Template,
        /// What precedes the encoded pair (default `Basic`; empty: nothing).
        scheme: String,
        /// The header that carries it (default `Authorization`).
        header: String,
    },
    /// `type = "headers"`: named headers, e.g. `X-Api-Key = "{input.api_key}"`.
    Headers(Vec<(String, Template)>),
    /// `type = "query"`: named query parameters, e.g. `api_key = "{input.api_key}"`.
    Query(Vec<(String, Template)>),
    /// `type = "body"`: members merged into every JSON request body, e.g.
    /// `key = "{input.api_key}"` (tables nest: `auth = { key = "{input.api_key}" }`).
    Body(Vec<(String, BodyTemplate)>),
}

/// One member of a `body` authorization: a template, or a table of more members.
#[derive(Clone, Debug)]
pub enum BodyTemplate {
    /// A string member, e.g. `"{input.api_key}"`.
    Text(Template),
    /// A nested object, e.g. `auth = { key = "{input.api_key}" }`.
    Object(Vec<(String, BodyTemplate)>),
}

impl BodyTemplate {
    fn templates<'a>(&'a self, out: &mut Vec<&'a Template>) {
        match self {
            BodyTemplate::Text(t) => out.push(t),
            BodyTemplate::Object(members) => members.iter().for_each(|(_, m)| m.templates(out)),
        }
    }

    fn render(&self, ctx: &RenderContext<'_>) -> Result<BodyValue, RenderError> {
        Ok(match self {
            BodyTemplate::Text(t) => BodyValue::Text(Secret::new(t.render(ctx)?)),
            BodyTemplate::Object(members) => BodyValue::Object(render_members(members, ctx)?),
        })
    }
}

fn render_members(
    members: &[(String, BodyTemplate)],
    ctx: &RenderContext<'_>,
) -> Result<Vec<(String, BodyValue)>, RenderError> {
    members
        .iter()
        .map(|(name, m)| Ok((name.clone(), m.render(ctx)?)))
        .collect()
}

/// A rendered body member: its strings are [`Secret`]s, so `Debug` hides them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyValue {
    /// A JSON string.
    Text(Secret),
    /// A JSON object, members by name.
    Object(Vec<(String, BodyValue)>),
}

impl ApiAuthorization {
    /// The manifest's `type`: `none`, `bearer`, `basic`, `headers`, `query` or `body`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ApiAuthorization::None => "none",
            ApiAuthorization::Bearer { .. } => "bearer",
            ApiAuthorization::Basic { .. } => "basic",
            ApiAuthorization::Headers(_) => "headers",
            ApiAuthorization::Query(_) => "query",
            ApiAuthorization::Body(_) => "body",
        }
    }

    /// Every template of this placement, in file order.
    pub fn templates(&self) -> Vec<&Template> {
        let mut out = Vec::new();
        match self {
            ApiAuthorization::None => {}
            ApiAuthorization::Bearer { token } => out.push(token),
            ApiAuthorization::Basic {
                username, password, ..
            } => out.extend([username, password]),
            ApiAuthorization::Headers(pairs) | ApiAuthorization::Query(pairs) => {
                out.extend(pairs.iter().map(|(_, t)| t));
            }
            ApiAuthorization::Body(members) => {
                members.iter().for_each(|(_, m)| m.templates(&mut out));
            }
        }
        out
    }

    pub(crate) fn render_into(
        &self,
        ctx: &RenderContext<'_>,
        out: &mut RenderedAuth,
    ) -> Result<(), RenderError> {
        match self {
            ApiAuthorization::None => {}
            ApiAuthorization::Bearer { token } => {
                let token = header_value(token, ctx, "api.authorization.token")?;
                out.headers.push((
                    "Authorization".into(),
                    Secret::new(format!("Bearer {token}")),
                ));
            }
            ApiAuthorization::Basic {
                username,
                password,
                scheme,
                header,
            } => {
                let user = username.render(ctx)?;
                let pass = password.render(ctx)?;
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
                let value = if scheme.is_empty() {
                    encoded
                } else {
                    format!("{scheme} {encoded}")
                };
                out.headers.push((header.clone(), Secret::new(value)));
            }
            ApiAuthorization::Headers(headers) => {
                for (name, t) in headers {
                    let field = format!("api.authorization.headers.{name}");
                    out.headers
                        .push((name.clone(), Secret::new(header_value(t, ctx, &field)?)));
                }
            }
            ApiAuthorization::Query(params) => {
                for (name, t) in params {
                    out.query.push((name.clone(), Secret::new(t.render(ctx)?)));
                }
            }
            ApiAuthorization::Body(members) => out.body.extend(render_members(members, ctx)?),
        }
        Ok(())
    }
}

/// The authorization to add to one API request. Values are [`Secret`]s: `Debug` hides them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RenderedAuth {
    /// Headers to set, e.g. `("Authorization", "Bearer …")`.
    pub headers: Vec<(String, Secret)>,
    /// Query parameters to append, e.g. `("api_key", "…")`.
    pub query: Vec<(String, Secret)>,
    /// Members to merge into the request's JSON object body, e.g. `("key", "…")`. Like
    /// Nango's `proxy.body`: only for `POST`, `PUT`, `PATCH` and `DELETE`; a request without a
    /// body gets an object of these alone; these win over the caller's members of that name.
    pub body: Vec<(String, BodyValue)>,
}

impl RenderedAuth {
    /// Appends the query parameters to `url`.
    ///
    /// ```
    /// use paragon_manifest::{RenderedAuth, Secret, Url};
    ///
    /// let query = vec![("key".into(), Secret::new("k 1"))];
    /// let auth = RenderedAuth { headers: vec![], query, body: vec![] };
    /// let mut url = Url::parse("https://api.trello.com/1/members/me?fields=id").unwrap();
    /// auth.append_query(&mut url);
    /// assert_eq!(url.as_str(), "https://api.trello.com/1/members/me?fields=id&key=k+1");
    /// ```
    pub fn append_query(&self, url: &mut url::Url) {
        if self.query.is_empty() {
            return;
        }
        let mut pairs = url.query_pairs_mut();
        for (name, value) in &self.query {
            pairs.append_pair(name, value.expose());
        }
    }
}

impl Api {
    /// The base URL template (the first alternative when `base_url` is an array).
    pub fn base_url_template(&self) -> &Template {
        &self.base_url
    }

    /// Every base URL alternative, in order: the first whose references all have values is
    /// used. One unless `base_url` is written as an array.
    pub fn base_url_alternatives(&self) -> impl Iterator<Item = &Template> {
        std::iter::once(&self.base_url).chain(&self.base_url_fallbacks)
    }

    /// The base URL alternative a request with `ctx` uses: the first whose references all have
    /// values (the last one otherwise, whose missing value is then the error).
    pub(crate) fn base_url_for(&self, ctx: &RenderContext<'_>) -> &Template {
        crate::url_alternatives::choose(self.base_url_alternatives(), ctx).unwrap_or(&self.base_url)
    }

    /// The test endpoint: a path relative to the base URL answered by `GET`.
    pub fn test_endpoint(&self) -> &str {
        &self.test_endpoint
    }

    /// Hosts besides the base URL's that a full-URL request may send the credential to
    /// (`allowed_hosts`, over https only).
    pub fn allowed_hosts(&self) -> &[String] {
        &self.allowed_hosts
    }

    /// Whether `url` is on one of the [`allowed_hosts`](Self::allowed_hosts) and passes the
    /// manifest's URL rule (https, or http on a loopback host), so a full-URL request to it may
    /// carry the credential. The base URL's own host is the caller's check.
    ///
    /// ```
    /// use paragon_manifest::{Manifest, Url};
    ///
    /// let github = Manifest::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/github"))?;
    /// let upload = Url::parse("https://uploads.github.com/repos/o/r/releases/1/assets")?;
    /// assert!(github.api().allows_url(&upload));
    /// assert!(!github.api().allows_url(&Url::parse("http://uploads.github.com/")?));
    /// assert!(!github.api().allows_url(&Url::parse("https://evil.example/")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allows_url(&self, url: &url::Url) -> bool {
        url.host_str().is_some_and(|host| {
            self.allowed_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host))
        }) && crate::url_rule::check(url).is_ok()
    }

    /// How requests are authorized: the placement `type` names. See
    /// [`authorizations`](Self::authorizations) for every placement.
    pub fn authorization(&self) -> &ApiAuthorization {
        &self.authorization
    }

    /// Every placement of the credential, `type`'s first, then the query parameters (`params`)
    /// and body members (`body`) written beside another type.
    pub fn authorizations(&self) -> impl Iterator<Item = &ApiAuthorization> {
        std::iter::once(&self.authorization).chain(&self.also)
    }

    /// The default headers, in file order.
    pub fn headers(&self) -> &[DefaultHeader] {
        &self.headers
    }

    /// Every reference in the API setup (base URL, authorization, default headers), e.g. to
    /// know whether rendering needs the user's metadata.
    ///
    /// ```
    /// use paragon_manifest::{Manifest, Reference};
    ///
    /// let m = Manifest::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/freshdesk")).unwrap();
    /// let refs: Vec<String> = m.api().references().map(|r| r.to_string()).collect();
    /// assert_eq!(refs, ["{input.domain}", "{input.api_key}"]);
    /// assert!(!m.api().references().any(|r| matches!(r, Reference::User(_))));
    /// ```
    pub fn references(&self) -> impl Iterator<Item = &Reference> {
        let authorization: Vec<&Template> = self
            .authorizations()
            .flat_map(ApiAuthorization::templates)
            .collect();
        std::iter::once(&self.base_url)
            .chain(authorization)
            .chain(self.headers.iter().flat_map(|h| &h.alternatives))
            .flat_map(Template::references)
    }

    pub(crate) fn render_authorization(
        &self,
        ctx: &RenderContext<'_>,
    ) -> Result<RenderedAuth, RenderError> {
        let mut out = RenderedAuth::default();
        for placement in self.authorizations() {
            placement.render_into(ctx, &mut out)?;
        }
        Ok(out)
    }

    pub(crate) fn render_headers(
        &self,
        ctx: &RenderContext<'_>,
    ) -> Result<Vec<(String, String)>, RenderError> {
        let mut out = Vec::new();
        for header in &self.headers {
            let field = format!("api.headers.{}", header.name);
            if let Some(value) = first_with_values(header, ctx, &field)? {
                out.push((header.name.clone(), value));
            }
        }
        Ok(out)
    }
}

impl Api {
    pub(crate) fn render_available_headers(
        &self,
        ctx: &RenderContext<'_>,
    ) -> Result<Vec<(String, String)>, RenderError> {
        let mut out = Vec::new();
        for header in &self.headers {
            let field = format!("api.headers.{}", header.name);
            match first_with_values(header, ctx, &field) {
                Ok(Some(value)) => out.push((header.name.clone(), value)),
                Ok(None) | Err(RenderError::Missing(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// The first alternative whose references all have values; `None` when none has and the
/// header is optional.
fn first_with_values(
    header: &DefaultHeader,
    ctx: &RenderContext<'_>,
    field: &str,
) -> Result<Option<String>, RenderError> {
    crate::alternatives::first_with_values(&header.alternatives, header.optional, |t| {
        header_value(t, ctx, field)
    })
}

pub(crate) fn header_value(
    template: &Template,
    ctx: &RenderContext<'_>,
    field: &str,
) -> Result<String, RenderError> {
    let value = template.render(ctx)?;
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(RenderError::InvalidHeaderValue {
            field: field.to_owned(),
        });
    }
    Ok(value)
}
