//! Token exchange (`type = "token_exchange"`): the end user's inputs are sent to a URL whose
//! answer holds an access token, which then authorizes API calls like an OAuth token.

use url::Url;

use crate::alternatives::{Entry, render_headers, render_params};
use crate::auth::render_url;
use crate::render::{RenderContext, RenderError};
use crate::secret::Secret;
use crate::template::Template;

/// The HTTP method of the exchange request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExchangeMethod {
    /// `method = "POST"` (the default).
    #[default]
    Post,
    /// `method = "GET"`: the parameters go in the query.
    Get,
}

/// How the parameters of a token request are sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    /// `encoding = "form"`: an `application/x-www-form-urlencoded` body (the default).
    #[default]
    Form,
    /// `encoding = "json"`: a JSON object of strings.
    Json,
    /// `encoding = "query"`: the URL's query, with no body.
    Query,
}

/// When an exchanged token expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// Unknown: the token is exchanged again only after the API refuses it (401).
    Unknown,
    /// `expires_in_path`: a JSON pointer to a number of seconds from now.
    InPath(String),
    /// `expires_at_path`: a JSON pointer to an absolute time (Unix seconds or RFC 3339).
    AtPath(String),
    /// `lifetime`: a fixed number of seconds.
    Lifetime(u64),
}

/// The `[auth]` setup of a token exchange.
#[derive(Clone, Debug)]
pub struct TokenExchange {
    pub(crate) url: Template,
    pub(crate) method: ExchangeMethod,
    pub(crate) encoding: Encoding,
    pub(crate) params: Vec<Entry>,
    pub(crate) headers: Vec<Entry>,
    pub(crate) basic: Option<crate::api::ApiAuthorization>,
    pub(crate) token_path: String,
    pub(crate) expiry: Expiry,
    pub(crate) provider_id: Option<String>,
    pub(crate) url_inputs: Vec<String>,
    pub(crate) refresh_token_path: Option<String>,
    pub(crate) refresh: Option<ExchangeRefresh>,
    pub(crate) header_captures: Vec<(String, String)>,
}

/// `[auth.refresh]` of a token exchange: how a refresh token from the exchange's answer
/// renews the access token, instead of exchanging the inputs again. Its templates may use
/// `{credential.refresh_token}`.
#[derive(Clone, Debug)]
pub struct ExchangeRefresh {
    /// `url`; `None`: the exchange's URL.
    pub(crate) url: Option<Template>,
    /// `params`, sent with the exchange's method and encoding; none when left out.
    pub(crate) params: Vec<Entry>,
    /// `headers`; `None`: the exchange's headers (and its `basic` one).
    pub(crate) headers: Option<Vec<Entry>>,
}

impl ExchangeRefresh {
    /// Every template of the refresh: its URL, parameters and headers.
    pub(crate) fn templates(&self) -> impl Iterator<Item = &Template> {
        self.url
            .iter()
            .chain(self.params.iter().flat_map(|e| &e.alternatives))
            .chain(self.headers.iter().flatten().flat_map(|e| &e.alternatives))
    }
}

/// A rendered exchange request. Header values and the body are [`Secret`]s (they carry the
/// end user's keys or passwords), so `Debug` hides them.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ExchangeRequest {
    /// The method.
    pub method: ExchangeMethod,
    /// The URL, with the parameters in its query for `GET` or `encoding = "query"`.
    pub url: Url,
    /// Headers to send (the `basic` one included).
    pub headers: Vec<(String, Secret)>,
    /// The body and its content type, for form and JSON encodings.
    pub body: Option<(&'static str, Secret)>,
}

impl TokenExchange {
    /// The URL template.
    pub fn url_template(&self) -> &Template {
        &self.url
    }

    /// The method.
    pub fn method(&self) -> ExchangeMethod {
        self.method
    }

    /// How the parameters are sent.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The JSON pointer (RFC 6901) of the token in the answer, e.g. `/data/token`.
    pub fn token_path(&self) -> &str {
        &self.token_path
    }

    /// When the token expires.
    pub fn expiry(&self) -> &Expiry {
        &self.expiry
    }

    /// The JSON pointer of the refresh token in the answer (`refresh_token_path`), when the
    /// exchange gives one.
    pub fn refresh_token_path(&self) -> Option<&str> {
        self.refresh_token_path.as_deref()
    }

    /// Values kept from the answer's headers (`capture_headers`): each `{credential.<name>}`
    /// with its lowercase header name. `set-cookie` keeps every cookie's `name=value`, joined
    /// by `; ` as a `Cookie` header takes them; another header, its first value.
    pub fn header_captures(&self) -> &[(String, String)] {
        &self.header_captures
    }

    /// How a refresh token renews the token (`[auth.refresh]`), when the provider takes one.
    pub fn refresh(&self) -> Option<&ExchangeRefresh> {
        self.refresh.as_ref()
    }

    /// The URL template a refresh is sent to: `[auth.refresh]`'s `url`, else the exchange's.
    pub fn refresh_url_template(&self) -> &Template {
        self.refresh
            .as_ref()
            .and_then(|r| r.url.as_ref())
            .unwrap_or(&self.url)
    }

    /// Renders the refresh request for `ctx`, which must hold the stored refresh token as the
    /// credential value `refresh_token`. `None` when the manifest has no `[auth.refresh]`.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use paragon_manifest::{Manifest, RenderContext};
    ///
    /// let m = Manifest::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/tasklab-renew")).unwrap();
    /// let secrets = HashMap::from([("TASKLAB_URL".to_string(), "http://127.0.0.1:4000".to_string())]);
    /// let ctx = RenderContext::new()
    ///     .with_secrets(&secrets)
    ///     .input("api_key", "k1")
    ///     .credential("refresh_token", "rt-1");
    /// let te = m.auth().token_exchange().unwrap();
    /// let request = te.refresh_request(&ctx).unwrap().unwrap();
    /// assert_eq!(request.url.as_str(), "http://127.0.0.1:4000/auth/session/refresh");
    /// assert_eq!(request.body.unwrap().1.expose(), r#"{"refresh_token":"rt-1"}"#);
    /// assert!(request.headers.is_empty());
    /// ```
    pub fn refresh_request(
        &self,
        ctx: &RenderContext<'_>,
    ) -> Result<Option<ExchangeRequest>, RenderError> {
        let Some(refresh) = &self.refresh else {
            return Ok(None);
        };
        let url = render_url(
            self.refresh_url_template(),
            ctx,
            "auth.refresh.url",
            &self.url_inputs,
        )?;
        let params = render_params(&refresh.params, ctx)?;
        let headers = match &refresh.headers {
            Some(own) => render_headers(own, ctx, "auth.refresh.headers")?
                .into_iter()
                .map(|(name, value)| (name, Secret::new(value)))
                .collect(),
            None => self.exchange_headers(ctx)?,
        };
        Ok(Some(self.build(url, params, headers)))
    }

    /// Renders the request for the inputs and secrets in `ctx`.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use paragon_manifest::{Manifest, RenderContext};
    ///
    /// let m = Manifest::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/tasklab-exchange")).unwrap();
    /// let secrets = HashMap::from([("TASKLAB_URL".to_string(), "http://127.0.0.1:4000".to_string())]);
    /// let ctx = RenderContext::new().with_secrets(&secrets).input("api_key", "k\"1");
    /// let request = m.auth().token_exchange().unwrap().request(&ctx).unwrap();
    /// assert_eq!(request.url.as_str(), "http://127.0.0.1:4000/auth/session");
    /// let (content_type, body) = request.body.unwrap();
    /// assert_eq!(content_type, "application/json");
    /// assert_eq!(body.expose(), r#"{"api_key":"k\"1"}"#);
    /// ```
    pub fn request(&self, ctx: &RenderContext<'_>) -> Result<ExchangeRequest, RenderError> {
        let url = render_url(&self.url, ctx, "auth.url", &self.url_inputs)?;
        let params = render_params(&self.params, ctx)?;
        let headers = self.exchange_headers(ctx)?;
        Ok(self.build(url, params, headers))
    }

    /// The exchange's headers (one whose optional value is empty left out) and the header
    /// made from `basic`.
    fn exchange_headers(
        &self,
        ctx: &RenderContext<'_>,
    ) -> Result<Vec<(String, Secret)>, RenderError> {
        let mut headers: Vec<(String, Secret)> =
            render_headers(&self.headers, ctx, "auth.headers")?
                .into_iter()
                .map(|(name, value)| (name, Secret::new(value)))
                .collect();
        if let Some(basic) = &self.basic {
            let mut rendered = crate::api::RenderedAuth::default();
            basic.render_into(ctx, &mut rendered)?;
            headers.extend(rendered.headers);
        }
        Ok(headers)
    }

    /// The request with `params` placed as the method and encoding say.
    fn build(
        &self,
        mut url: Url,
        params: Vec<(String, String)>,
        headers: Vec<(String, Secret)>,
    ) -> ExchangeRequest {
        let in_query = self.method == ExchangeMethod::Get || self.encoding == Encoding::Query;
        let body = if in_query {
            if !params.is_empty() {
                url.query_pairs_mut().extend_pairs(&params);
            }
            None
        } else if self.encoding == Encoding::Json {
            Some(("application/json", Secret::new(json_object(&params))))
        } else {
            let form = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&params)
                .finish();
            Some(("application/x-www-form-urlencoded", Secret::new(form)))
        };
        ExchangeRequest {
            method: self.method,
            url,
            headers,
            body,
        }
    }
}

/// A JSON object of string values (this crate has no JSON library).
pub(crate) fn json_object(pairs: &[(String, String)]) -> String {
    let fields: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}:{}", json_string(k), json_string(v)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_strings_are_escaped() {
        let pairs = [("a\"b".to_string(), "x\\y\n\u{1}é".to_string())];
        assert_eq!(super::json_object(&pairs), r#"{"a\"b":"x\\y\n\u0001é"}"#);
        assert_eq!(super::json_object(&[]), "{}");
    }
}
