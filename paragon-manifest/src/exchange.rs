//! Token exchange (`type = "token_exchange"`): the end user's inputs are sent to a URL whose
//! answer holds an access token, which then authorizes API calls like an OAuth token.

use base64::Engine as _;
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
    pub(crate) basic: Option<(Template, Template)>,
    pub(crate) token_path: String,
    pub(crate) expiry: Expiry,
    pub(crate) provider_id: Option<String>,
    pub(crate) url_inputs: Vec<String>,
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
        let mut url = render_url(&self.url, ctx, "auth.url", &self.url_inputs)?;
        let params = render_params(&self.params, ctx)?;
        let mut headers: Vec<(String, Secret)> =
            render_headers(&self.headers, ctx, "auth.headers")?
                .into_iter()
                .map(|(name, value)| (name, Secret::new(value)))
                .collect();
        if let Some((user, pass)) = &self.basic {
            let pair = format!("{}:{}", user.render(ctx)?, pass.render(ctx)?);
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            headers.push((
                "Authorization".into(),
                Secret::new(format!("Basic {encoded}")),
            ));
        }
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
        Ok(ExchangeRequest {
            method: self.method,
            url,
            headers,
            body,
        })
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
