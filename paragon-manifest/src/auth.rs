//! Steps 2 and 3 of a definition: the authentication method and its setup.

use url::Url;

use crate::alternatives::{Entry, any_conditional, render_params};
use crate::callback_value::CallbackValue;
use crate::client_assertion::ClientAssertion;
use crate::exchange::{Encoding, TokenExchange};
use crate::registration::{Registration, RegistrationRequest};
use crate::render::{RenderContext, RenderError};
use crate::secret::Secret;
use crate::template::{Reference, Template};
use crate::token_response::ExpiresInUnit;
use crate::url_alternatives::UrlAlternatives;

/// How the end user connects their account (`[auth]`, chosen by `type`).
#[derive(Clone, Debug)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per loaded manifest, read in place: boxing would only add a pointer hop"
)]
pub enum Auth {
    /// `type = "oauth"`: OAuth 2.0 authorization code.
    OAuth(OAuth),
    /// `type = "api_key"`: the end user fills in the `[[inputs]]`.
    ApiKey,
    /// `type = "client_credentials"`: OAuth 2.0 client credentials; the end user enters the
    /// client id and secret as inputs.
    ClientCredentials(ClientCredentials),
    /// `type = "token_exchange"`: the end user's inputs are exchanged for an access token at
    /// a URL, again when it expires or the API refuses it.
    TokenExchange(TokenExchange),
    /// `type = "none"`.
    None,
}

impl Auth {
    /// The manifest's `type`: `oauth`, `api_key`, `client_credentials` or `none`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Auth::OAuth(_) => "oauth",
            Auth::ApiKey => "api_key",
            Auth::ClientCredentials(_) => "client_credentials",
            Auth::TokenExchange(_) => "token_exchange",
            Auth::None => "none",
        }
    }

    /// Paragon's name for the method (`authenticationType`): `oauth`, `api_key`,
    /// `oauth_client_credential` or `none`. A token exchange is `api_key`: its credential is
    /// created from the end user's inputs, as an API key's is.
    pub fn paragon_type(&self) -> &'static str {
        match self {
            Auth::ClientCredentials(_) => "oauth_client_credential",
            Auth::TokenExchange(_) => "api_key",
            other => other.as_str(),
        }
    }

    /// The OAuth setup, when `type = "oauth"`.
    pub fn oauth(&self) -> Option<&OAuth> {
        match self {
            Auth::OAuth(o) => Some(o),
            _ => None,
        }
    }

    /// The client credentials setup, when `type = "client_credentials"`.
    pub fn client_credentials(&self) -> Option<&ClientCredentials> {
        match self {
            Auth::ClientCredentials(c) => Some(c),
            _ => None,
        }
    }

    /// The token exchange setup, when `type = "token_exchange"`.
    pub fn token_exchange(&self) -> Option<&TokenExchange> {
        match self {
            Auth::TokenExchange(t) => Some(t),
            _ => None,
        }
    }

    /// Whether the credential holds an access token (`{credential.access_token}`).
    pub fn has_access_token(&self) -> bool {
        matches!(
            self,
            Auth::OAuth(_) | Auth::ClientCredentials(_) | Auth::TokenExchange(_)
        )
    }

    /// Where the account's id at the provider is in the token response (or the token
    /// exchange's answer): a JSON pointer (`provider_id = "/account/id"`), Paragon's
    /// `providerId`.
    pub fn provider_id_path(&self) -> Option<&str> {
        match self {
            Auth::OAuth(o) => o.provider_id.as_deref(),
            Auth::TokenExchange(t) => t.provider_id.as_deref(),
            _ => None,
        }
    }

    /// Token-response values kept in the credential (`{credential.<name>}`).
    pub fn capture(&self) -> &[String] {
        match self {
            Auth::OAuth(o) => &o.capture,
            Auth::ClientCredentials(c) => &c.capture,
            _ => &[],
        }
    }

    /// Token-response values kept in the credential, each with the JSON pointer (RFC 6901)
    /// it is read at: `/instance_url` for `capture = ["instance_url"]`, `/team/id` for
    /// `capture = { team_id = "/team/id" }`.
    pub fn capture_at(&self) -> &[(String, String)] {
        match self {
            Auth::OAuth(o) => &o.capture_at,
            Auth::ClientCredentials(c) => &c.capture_at,
            _ => &[],
        }
    }

    /// `alternate_token_path` (OAuth): the JSON pointer the access token is read at when the
    /// token response has no top-level `access_token` (Slack's user tokens, under
    /// `/authed_user`). An object there gives `access_token`, `refresh_token`, `token_type`
    /// and `expires_in`; a string is the token itself.
    pub fn alternate_token_path(&self) -> Option<&str> {
        match self {
            Auth::OAuth(o) => o.alternate_token_path.as_deref(),
            _ => None,
        }
    }
}

/// Where the client id and secret go in token requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// `client_auth = "body"`: `client_id` / `client_secret` form fields (the default).
    #[default]
    Body,
    /// `client_auth = "basic"`: an `Authorization: Basic` header.
    Basic,
    /// `client_auth = "private_key_jwt"`: `client_id` and a JWT signed with the client's
    /// private key (`[auth.client_assertion]`, RFC 7523), no secret.
    PrivateKeyJwt,
}

/// OAuth 2.0 authorization code setup.
#[derive(Clone, Debug)]
pub struct OAuth {
    pub(crate) authorization_url: UrlAlternatives,
    pub(crate) token_url: UrlAlternatives,
    pub(crate) refresh_url: Option<UrlAlternatives>,
    pub(crate) client_id: Template,
    pub(crate) client_secret: Template,
    pub(crate) scopes: Vec<String>,
    pub(crate) scope_separator: String,
    pub(crate) pkce: bool,
    pub(crate) client_auth: ClientAuth,
    pub(crate) token_encoding: Encoding,
    pub(crate) authorization_params: Vec<Entry>,
    /// Provider names for the authorization request's own parameters (`client_id` → `app_id`).
    pub(crate) authorization_param_names: Vec<(String, String)>,
    pub(crate) token_params: Vec<Entry>,
    pub(crate) refresh_params: Option<Vec<Entry>>,
    pub(crate) provider_id: Option<String>,
    pub(crate) capture: Vec<String>,
    pub(crate) capture_at: Vec<(String, String)>,
    /// `alternate_token_path`: where the token is when the answer has no `access_token`.
    pub(crate) alternate_token_path: Option<String>,
    pub(crate) callback_capture: Vec<CallbackValue>,
    pub(crate) callback_code: String,
    /// The authorization request's `response_type` (`code` unless the provider names it
    /// otherwise).
    pub(crate) response_type: String,
    /// The authorization request's parameter for a fresh random value (`authorization_nonce`).
    pub(crate) nonce_param: Option<String>,
    /// Dynamic client registration; when set, `client_id` / `client_secret` refer to the
    /// registered client in the credential.
    pub(crate) registration: Option<Registration>,
    pub(crate) client_assertion: Option<ClientAssertion>,
    pub(crate) url_inputs: Vec<String>,
}

/// The grant a `client_credentials` setup asks tokens with (`grant`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum TokenGrant {
    /// `grant = "client_credentials"` (the default): the client's own access.
    ClientCredentials,
    /// `grant = "password"` (RFC 6749 §4.3): the end user's username and password, from
    /// inputs; the tokens' refresh token renews, else the grant is asked again.
    Password {
        /// `username`, e.g. `{input.username}`.
        username: Template,
        /// `password`, e.g. `{input.password}` (a secret input).
        password: Template,
    },
    /// `grant = "refresh_token"`: a refresh token the end user pasted (`refresh_token`, a
    /// secret input) gets the first access token; the provider's answers renew it after.
    RefreshToken {
        /// `refresh_token`, e.g. `{input.refresh_token}`.
        refresh_token: Template,
    },
}

/// OAuth 2.0 client credentials setup.
#[derive(Clone, Debug)]
pub struct ClientCredentials {
    pub(crate) grant: TokenGrant,
    pub(crate) token_url: UrlAlternatives,
    pub(crate) client_id: Template,
    pub(crate) client_secret: Template,
    pub(crate) scopes: Vec<String>,
    pub(crate) scope_separator: String,
    pub(crate) client_auth: ClientAuth,
    pub(crate) token_encoding: Encoding,
    pub(crate) token_params: Vec<Entry>,
    pub(crate) capture: Vec<String>,
    pub(crate) capture_at: Vec<(String, String)>,
    pub(crate) client_assertion: Option<ClientAssertion>,
    pub(crate) url_inputs: Vec<String>,
    pub(crate) expires_in_unit: ExpiresInUnit,
}

/// What the provider's authorization URL needs besides the manifest.
#[derive(Clone, Debug)]
pub struct AuthorizeRequest<'a> {
    /// Where the provider sends the browser back (Paragon's is `{passport}/oauth`).
    pub redirect_uri: &'a str,
    /// The opaque `state` value.
    pub state: &'a str,
    /// The PKCE S256 code challenge; required when the manifest sets `pkce = true`.
    pub code_challenge: Option<&'a str>,
    /// A fresh random value (at least 128 bits) for the manifest's `authorization_nonce`
    /// parameter, generated for this authorization only; ignored without one.
    pub nonce: Option<&'a str>,
}

impl OAuth {
    /// The authorization URL template (the first alternative when written as an array).
    pub fn authorization_url_template(&self) -> &Template {
        self.authorization_url.first()
    }

    /// The token URL template (the first alternative when written as an array).
    pub fn token_url_template(&self) -> &Template {
        self.token_url.first()
    }

    /// The refresh URL template, when it differs from the token URL (the first alternative
    /// when written as an array).
    pub fn refresh_url_template(&self) -> Option<&Template> {
        self.refresh_url.as_ref().map(UrlAlternatives::first)
    }

    /// Every alternative of the authorization URL, in order: the first whose references all
    /// have values is used. One unless `authorization_url` is written as an array.
    pub fn authorization_url_alternatives(&self) -> &[Template] {
        self.authorization_url.all()
    }

    /// Every alternative of the token URL, in order (see
    /// [`authorization_url_alternatives`](Self::authorization_url_alternatives)).
    pub fn token_url_alternatives(&self) -> &[Template] {
        self.token_url.all()
    }

    /// Every alternative of `refresh_url`, when set.
    pub fn refresh_url_alternatives(&self) -> Option<&[Template]> {
        self.refresh_url.as_ref().map(UrlAlternatives::all)
    }

    /// The template a refresh with `ctx` uses: the chosen `refresh_url` alternative, else the
    /// chosen token URL alternative.
    pub fn refresh_url_chosen(&self, ctx: &RenderContext<'_>) -> &Template {
        self.refresh_url
            .as_ref()
            .unwrap_or(&self.token_url)
            .chosen(ctx)
    }

    /// The token URL template a code exchange with `ctx` uses.
    pub fn token_url_chosen(&self, ctx: &RenderContext<'_>) -> &Template {
        self.token_url.chosen(ctx)
    }

    /// Whether the host of `template` (one of this setup's URLs) may be one the end user
    /// chose: an input, user metadata, a captured value, or a callback value not held to
    /// `one_of`. Literal hosts, `{env.*}` and callback values held to the owner's list are
    /// the owner's. The local server keeps requests to a user's host off private addresses.
    pub fn host_chosen_by_user(&self, template: &Template) -> bool {
        let held: Vec<String> = self
            .callback_capture
            .iter()
            .filter(|c| !c.one_of.is_empty())
            .map(|c| c.name.clone())
            .collect();
        crate::url_rule::host_references(template)
            .into_iter()
            .any(|r| {
                !matches!(r, Reference::Env(_))
                    && !matches!(r, Reference::Credential(n) if held.contains(n))
            })
    }

    /// The scopes, in order.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The separator between scopes in the `scope` parameter (default `" "`).
    pub fn scope_separator(&self) -> &str {
        &self.scope_separator
    }

    /// The `scope` parameter: the scopes joined by the separator.
    pub fn scope(&self) -> String {
        self.scopes.join(&self.scope_separator)
    }

    /// Whether the code exchange uses PKCE (S256).
    pub fn pkce(&self) -> bool {
        self.pkce
    }

    /// Where the client id and secret go in token requests.
    pub fn client_auth(&self) -> ClientAuth {
        self.client_auth
    }

    /// How token requests (code exchange and refresh) send their parameters
    /// (`token_encoding`, default form).
    pub fn token_encoding(&self) -> Encoding {
        self.token_encoding
    }

    /// Token-response values kept in the credential.
    pub fn capture(&self) -> &[String] {
        &self.capture
    }

    /// Values of the provider's redirect back (the callback's query) kept in the credential,
    /// e.g. a realm or data-centre id (`callback_capture = ["realmId"]`), each with its query
    /// parameter and the values it is held to.
    pub fn callback_capture(&self) -> &[CallbackValue] {
        &self.callback_capture
    }

    /// The callback's parameter that holds the authorization code (`callback_code`, default
    /// `code`).
    pub fn callback_code(&self) -> &str {
        &self.callback_code
    }

    /// The key that signs the client's assertions, with `client_auth = "private_key_jwt"`.
    pub fn client_assertion(&self) -> Option<&ClientAssertion> {
        self.client_assertion.as_ref()
    }

    /// The authorization request's `response_type` (`response_type`, default `code`): some
    /// providers name the authorization code otherwise (`auth_code`).
    pub fn response_type(&self) -> &str {
        &self.response_type
    }

    /// The authorization request's parameter that carries a fresh random value each time
    /// (`authorization_nonce`, e.g. `nonce`); the caller generates it
    /// ([`AuthorizeRequest::nonce`]).
    pub fn nonce_param(&self) -> Option<&str> {
        self.nonce_param.as_deref()
    }

    /// Dynamic client registration (`registration_url`), when the client is registered at
    /// connect time rather than set by the owner.
    pub fn registration(&self) -> Option<&Registration> {
        self.registration.as_ref()
    }

    /// The RFC 7591 registration request for a client redirected to `redirect_uri`, when the
    /// manifest sets `registration_url`. The issued `client_id` / `client_secret` go into the
    /// render context as credential values ([`REGISTERED_CLIENT_ID`](crate::REGISTERED_CLIENT_ID),
    /// [`REGISTERED_CLIENT_SECRET`](crate::REGISTERED_CLIENT_SECRET)) for
    /// [`client_id`](Self::client_id) and [`client_secret`](Self::client_secret).
    pub fn registration_request(&self, redirect_uri: &str) -> Option<RegistrationRequest> {
        let scope = (!self.scopes.is_empty()).then(|| self.scope());
        self.registration
            .as_ref()
            .map(|r| r.request(redirect_uri, self.client_auth, scope))
    }

    /// The rendered authorization URL (without the request's parameters).
    pub fn authorization_url(&self, ctx: &RenderContext<'_>) -> Result<Url, RenderError> {
        render_url(
            self.authorization_url.chosen(ctx),
            ctx,
            "auth.authorization_url",
            &self.url_inputs,
        )
    }

    /// The rendered token URL (the first alternative whose references all have values).
    pub fn token_url(&self, ctx: &RenderContext<'_>) -> Result<Url, RenderError> {
        let t = self.token_url.chosen(ctx);
        render_url(t, ctx, "auth.token_url", &self.url_inputs)
    }

    /// The rendered refresh URL: `refresh_url`, or the token URL when not set.
    pub fn refresh_url(&self, ctx: &RenderContext<'_>) -> Result<Url, RenderError> {
        match &self.refresh_url {
            Some(t) => render_url(t.chosen(ctx), ctx, "auth.refresh_url", &self.url_inputs),
            None => self.token_url(ctx),
        }
    }

    /// The rendered client id (a registered client's comes from the credential values).
    pub fn client_id(&self, ctx: &RenderContext<'_>) -> Result<String, RenderError> {
        self.client_id.render(ctx)
    }

    /// The rendered client secret (a registered client's comes from the credential values).
    pub fn client_secret(&self, ctx: &RenderContext<'_>) -> Result<Secret, RenderError> {
        self.client_secret.render(ctx).map(Secret::new)
    }

    /// The rendered extra parameters of the authorization request: for each, the first
    /// alternative whose references all have values; one that refers to an optional input
    /// without a value (or whose alternatives all lack one) is left out.
    pub fn authorization_params(
        &self,
        ctx: &RenderContext<'_>,
    ) -> Result<Vec<(String, String)>, RenderError> {
        render_params(&self.authorization_params, ctx)
    }

    /// The rendered extra parameters of token requests (alternatives and optional inputs as
    /// in [`authorization_params`](Self::authorization_params)).
    pub fn token_params(
        &self,
        ctx: &RenderContext<'_>,
    ) -> Result<Vec<(String, String)>, RenderError> {
        render_params(&self.token_params, ctx)
    }

    /// The rendered extra parameters of refresh requests: `refresh_params` when the manifest
    /// sets it (some providers want others on refresh than on the code exchange), else the
    /// token parameters.
    pub fn refresh_params(
        &self,
        ctx: &RenderContext<'_>,
    ) -> Result<Vec<(String, String)>, RenderError> {
        render_params(
            self.refresh_params.as_ref().unwrap_or(&self.token_params),
            ctx,
        )
    }

    /// The tables of `authorization_params`, `token_params` and `refresh_params` that have a
    /// parameter written as alternatives or left out without a value.
    pub fn conditional_params(&self) -> Vec<&'static str> {
        let tables = [
            ("authorization_params", Some(&self.authorization_params)),
            ("token_params", Some(&self.token_params)),
            ("refresh_params", self.refresh_params.as_ref()),
        ];
        tables
            .into_iter()
            .filter(|(_, e)| e.is_some_and(|e| any_conditional(e)))
            .map(|(name, _)| name)
            .collect()
    }

    /// Whether the manifest sets `[auth.refresh_params]` (parameters sent on refresh instead
    /// of the token parameters).
    pub fn has_refresh_params(&self) -> bool {
        self.refresh_params.is_some()
    }

    /// The name the provider uses for the authorization request's parameter `name`
    /// (`[auth.authorization_param_names]`, e.g. `client_id` → `app_id`).
    pub fn authorization_param_name<'a>(&'a self, name: &'a str) -> &'a str {
        self.authorization_param_names
            .iter()
            .find(|(k, _)| k == name)
            .map_or(name, |(_, v)| v.as_str())
    }

    /// The full URL to send the end user's browser to: the authorization URL with
    /// `response_type=code` (or the manifest's `response_type`), `client_id`, `redirect_uri`, `scope` (when there are scopes),
    /// `state`, the PKCE challenge (`code_challenge_method=S256`) and the extra parameters,
    /// each protocol parameter under the provider's name for it. When the authorization URL
    /// has a fragment (a single-page app's route, `https://app.example/#/oauth/authorize`), the
    /// query goes after the route, inside the fragment (`#/oauth/authorize?response_type=code&…`).
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use paragon_manifest::{AuthorizeRequest, Manifest, RenderContext};
    ///
    /// let m = Manifest::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/tasklab")).unwrap();
    /// let secrets = HashMap::from([
    ///     ("TASKLAB_URL".to_string(), "http://127.0.0.1:4000".to_string()),
    ///     ("TASKLAB_CLIENT_ID".to_string(), "demo".to_string()),
    /// ]);
    /// let ctx = RenderContext::new().with_secrets(&secrets);
    /// let url = m.auth().oauth().unwrap().authorize_url(&ctx, &AuthorizeRequest {
    ///     redirect_uri: "http://127.0.0.1:5000/oauth",
    ///     state: "s1",
    ///     code_challenge: Some("abc"),
    ///     nonce: None,
    /// }).unwrap();
    /// assert_eq!(
    ///     url.as_str(),
    ///     "http://127.0.0.1:4000/oauth/authorize?response_type=code&client_id=demo\
    ///      &redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Foauth&scope=tasks%3Aread+tasks%3Awrite\
    ///      &state=s1&code_challenge=abc&code_challenge_method=S256"
    /// );
    /// ```
    pub fn authorize_url(
        &self,
        ctx: &RenderContext<'_>,
        request: &AuthorizeRequest<'_>,
    ) -> Result<Url, RenderError> {
        let mut url = self.authorization_url(ctx)?;
        let client_id = self.client_id(ctx)?;
        let extra = self.authorization_params(ctx)?;
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        let name = |n| self.authorization_param_name(n);
        q.append_pair(name("response_type"), &self.response_type)
            .append_pair(name("client_id"), &client_id)
            .append_pair(name("redirect_uri"), request.redirect_uri);
        if !self.scopes.is_empty() {
            q.append_pair(name("scope"), &self.scope());
        }
        q.append_pair(name("state"), request.state);
        if self.pkce
            && let Some(challenge) = request.code_challenge
        {
            q.append_pair("code_challenge", challenge)
                .append_pair("code_challenge_method", "S256");
        }
        if let (Some(name), Some(nonce)) = (&self.nonce_param, request.nonce) {
            q.append_pair(name, nonce);
        }
        q.extend_pairs(&extra);
        let params = q.finish();
        let query = match url.query() {
            Some(fixed) if !fixed.is_empty() => format!("{fixed}&{params}"),
            _ => params,
        };
        // A single-page app routes by the fragment (`https://app.example/#/oauth/authorize`):
        // the query, which its page reads, follows the route there, as Nango builds it.
        match url.fragment().map(str::to_owned) {
            Some(route) => {
                let separator = if route.contains('?') { '&' } else { '?' };
                url.set_query(None);
                url.set_fragment(Some(&format!("{route}{separator}{query}")));
            }
            None => url.set_query(Some(&query)),
        }
        Ok(url)
    }
}

impl ClientCredentials {
    /// The token URL template (the first alternative when written as an array).
    pub fn token_url_template(&self) -> &Template {
        self.token_url.first()
    }

    /// Every alternative of the token URL, in order: the first whose references all have
    /// values is used.
    pub fn token_url_alternatives(&self) -> &[Template] {
        self.token_url.all()
    }

    /// The token URL template a request with `ctx` uses.
    pub fn token_url_chosen(&self, ctx: &RenderContext<'_>) -> &Template {
        self.token_url.chosen(ctx)
    }

    /// The scopes, in order.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The separator between scopes in the `scope` parameter (default `" "`).
    pub fn scope_separator(&self) -> &str {
        &self.scope_separator
    }

    /// The `scope` parameter: the scopes joined by the separator.
    pub fn scope(&self) -> String {
        self.scopes.join(&self.scope_separator)
    }

    /// Where the client id and secret go in the token request.
    pub fn client_auth(&self) -> ClientAuth {
        self.client_auth
    }

    /// How the token request sends its parameters (`token_encoding`, default form).
    pub fn token_encoding(&self) -> Encoding {
        self.token_encoding
    }

    /// Token-response values kept in the credential.
    pub fn capture(&self) -> &[String] {
        &self.capture
    }

    /// The unit of the token response's `expires_in` (`expires_in_unit`, default seconds).
    pub fn expires_in_unit(&self) -> ExpiresInUnit {
        self.expires_in_unit
    }

    /// The key that signs the client's assertions, with `client_auth = "private_key_jwt"`.
    pub fn client_assertion(&self) -> Option<&ClientAssertion> {
        self.client_assertion.as_ref()
    }

    /// Whether a token parameter is written as alternatives or left out without a value.
    pub fn has_conditional_params(&self) -> bool {
        any_conditional(&self.token_params)
    }

    /// The grant tokens are asked with (`grant`, default client credentials).
    pub fn grant(&self) -> &TokenGrant {
        &self.grant
    }

    /// The rendered token URL (the first alternative whose references all have values).
    pub fn token_url(&self, ctx: &RenderContext<'_>) -> Result<Url, RenderError> {
        let t = self.token_url.chosen(ctx);
        render_url(t, ctx, "auth.token_url", &self.url_inputs)
    }

    /// The rendered client id (usually the end user's input).
    pub fn client_id(&self, ctx: &RenderContext<'_>) -> Result<String, RenderError> {
        self.client_id.render(ctx)
    }

    /// The rendered client secret (usually the end user's input).
    pub fn client_secret(&self, ctx: &RenderContext<'_>) -> Result<Secret, RenderError> {
        self.client_secret.render(ctx).map(Secret::new)
    }

    /// The rendered extra parameters of the token request: for each, the first alternative
    /// whose references all have values; one that refers to an optional input without a value
    /// is left out.
    pub fn token_params(
        &self,
        ctx: &RenderContext<'_>,
    ) -> Result<Vec<(String, String)>, RenderError> {
        render_params(&self.token_params, ctx)
    }
}

pub(crate) fn render_url(
    template: &Template,
    ctx: &RenderContext<'_>,
    field: &str,
    url_inputs: &[String],
) -> Result<Url, RenderError> {
    let rendered = template.render_url(ctx, url_inputs)?;
    crate::url_rule::parse_checked(&rendered).map_err(|reason| RenderError::InvalidUrl {
        field: field.to_owned(),
        reason,
    })
}
