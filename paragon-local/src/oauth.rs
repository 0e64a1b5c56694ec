//! Token requests to a provider through the `oauth2` crate: authorization code (with PKCE),
//! refresh, and client credentials. HTTP goes through the [`Upstream`] client (no redirects,
//! a timeout, a size limit) via `oauth2`'s async HTTP seam.

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeVerifier, RedirectUrl, RefreshToken, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse,
};
use paragon_manifest::{ClientAuth, Encoding};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::client_assertion::{AssertionKey, JWT_BEARER};
use crate::store::now_ms;
use crate::token_reading::TokenReading;
use crate::upstream::{Reach, Upstream};
use bytes::Bytes;
use http::StatusCode;

/// Every extra field of a token response, so the manifest's `capture` list can pick some.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Extra {
    #[serde(flatten)]
    fields: Map<String, Value>,
}
impl ExtraTokenFields for Extra {}

type Response = StandardTokenResponse<Extra, BasicTokenType>;
type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    Response,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Where and how to ask for tokens.
pub(crate) struct TokenEndpoint {
    pub url: url::Url,
    pub client_id: String,
    pub client_secret: String,
    pub client_auth: ClientAuth,
    /// The key that signs an assertion in place of the secret (`private_key_jwt`).
    pub client_assertion: Option<AssertionKey>,
    pub extra_params: Vec<(String, String)>,
    /// How the parameters are sent (the `oauth2` crate writes a form; JSON and query are
    /// rewritten from it just before sending).
    pub encoding: Encoding,
    /// Who chose the token URL's host (an end user's instance URL reaches public addresses
    /// only).
    pub reach: Reach,
    /// How the answer is read (an `expires_in` in milliseconds).
    pub reading: TokenReading,
}

impl fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("url", &self.url.as_str())
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The grant to ask for.
pub(crate) enum Grant<'a> {
    Code {
        code: &'a str,
        pkce_verifier: Option<&'a str>,
        redirect_uri: &'a str,
    },
    Refresh {
        refresh_token: &'a str,
    },
    ClientCredentials {
        scopes: &'a [String],
    },
    /// RFC 6749 §4.3: the end user's username and password.
    Password {
        username: String,
        password: String,
        scopes: &'a [String],
    },
}

/// What a successful token response gave.
#[derive(Clone)]
pub(crate) struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<i64>,
    pub captured: BTreeMap<String, String>,
    /// The whole answer's non-standard fields (the exchange's whole answer), for the
    /// manifest's `provider_id` pointer.
    pub extra: Value,
}

impl Tokens {
    /// The account's id at the provider, at the manifest's `provider_id` pointer.
    pub(crate) fn provider_id(&self, pointer: Option<&str>) -> Option<String> {
        text_at(&self.extra, pointer?)
    }
}

/// A non-empty string, or a number as written, at `pointer` of a provider's JSON answer: an
/// account id or a captured value.
pub(crate) fn text_at(body: &Value, pointer: &str) -> Option<String> {
    match body.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Why a token request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    /// The provider refused the grant for good (`invalid_grant`, `invalid_client`,
    /// `unauthorized_client` with 400 or 401): retrying won't help.
    #[error("the provider refused the token request: {0}")]
    Rejected(String),
    /// The provider could not be reached, failed, asked to retry or answered garbage: may
    /// work later.
    #[error("the token request failed: {0}")]
    Unavailable(String),
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct HttpError(String);

/// Largest token response read.
const MAX_TOKEN_RESPONSE: usize = 256 * 1024;

pub(crate) async fn request_token(
    http: &Upstream,
    endpoint: &TokenEndpoint,
    grant: Grant<'_>,
    capture: &[(String, String)],
) -> Result<Tokens, TokenError> {
    let mut client: OAuthClient = oauth2::Client::new(ClientId::new(endpoint.client_id.clone()))
        .set_auth_type(match endpoint.client_auth {
            ClientAuth::Basic => AuthType::BasicAuth,
            _ => AuthType::RequestBody,
        })
        .set_token_uri(oauth2::TokenUrl::from_url(endpoint.url.clone()));
    let mut extra_params = endpoint.extra_params.clone();
    match &endpoint.client_assertion {
        // The body then names the client (`client_id`) beside its signed assertion.
        Some(key) => {
            let assertion = key.sign(&endpoint.client_id, endpoint.url.as_str())?;
            extra_params.push(("client_assertion_type".into(), JWT_BEARER.into()));
            extra_params.push(("client_assertion".into(), assertion));
        }
        None => {
            client = client.set_client_secret(ClientSecret::new(endpoint.client_secret.clone()));
        }
    }
    let owned = http.clone();
    let reach = endpoint.reach;
    let encoding = endpoint.encoding;
    let reading = endpoint.reading.clone();
    // The answer's status decides whether an OAuth error is final; `oauth2` does not keep it.
    let status = Arc::new(Mutex::new(None));
    let seen = status.clone();
    let call = move |request: oauth2::HttpRequest| {
        let http = owned.clone();
        let seen = seen.clone();
        let reading = reading.clone();
        async move {
            let request = encode(request, encoding)?;
            let answer = send(&http, request, reach).await?;
            *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(answer.status());
            Ok::<_, HttpError>(answer.map(|body| reading.normalise(body)))
        }
    };
    let result = match grant {
        Grant::Code {
            code,
            pkce_verifier,
            redirect_uri,
        } => {
            let redirect = RedirectUrl::new(redirect_uri.to_string())
                .map_err(|e| TokenError::Unavailable(format!("bad redirect URI: {e}")))?;
            let mut req = client
                .exchange_code(AuthorizationCode::new(code.to_string()))
                .set_redirect_uri(std::borrow::Cow::Owned(redirect));
            if let Some(v) = pkce_verifier {
                req = req.set_pkce_verifier(PkceCodeVerifier::new(v.to_string()));
            }
            for (k, v) in &extra_params {
                req = req.add_extra_param(k.clone(), v.clone());
            }
            req.request_async(&call).await
        }
        Grant::Refresh { refresh_token } => {
            let token = RefreshToken::new(refresh_token.to_string());
            let mut req = client.exchange_refresh_token(&token);
            for (k, v) in &extra_params {
                req = req.add_extra_param(k.clone(), v.clone());
            }
            req.request_async(&call).await
        }
        Grant::Password {
            username,
            password,
            scopes,
        } => {
            let username = oauth2::ResourceOwnerUsername::new(username);
            let password = oauth2::ResourceOwnerPassword::new(password);
            let mut req = client.exchange_password(&username, &password);
            req = req.add_scopes(scopes.iter().map(|s| Scope::new(s.clone())));
            for (k, v) in &extra_params {
                req = req.add_extra_param(k.clone(), v.clone());
            }
            req.request_async(&call).await
        }
        Grant::ClientCredentials { scopes } => {
            let mut req = client.exchange_client_credentials();
            req = req.add_scopes(scopes.iter().map(|s| Scope::new(s.clone())));
            for (k, v) in &extra_params {
                req = req.add_extra_param(k.clone(), v.clone());
            }
            req.request_async(&call).await
        }
    };
    let status = *status.lock().unwrap_or_else(|e| e.into_inner());
    let response = result.map_err(|e| classify(e, status))?;
    let extra = Value::Object(response.extra_fields().fields.clone());
    let mut captured = BTreeMap::new();
    for (name, pointer) in capture {
        let v = match extra.pointer(pointer) {
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => continue,
            Some(other) => other.to_string(),
        };
        captured.insert(name.clone(), v);
    }
    Ok(Tokens {
        access_token: response.access_token().secret().clone(),
        refresh_token: response.refresh_token().map(|t| t.secret().clone()),
        expires_at: response
            .expires_in()
            .map(|d| endpoint.reading.expires_at(d)),
        captured,
        extra,
    })
}

/// What the provider's redirect back (the callback's raw query) carries: the code, under the
/// manifest's `callback_code` name, and the values its `callback_capture` keeps, by name.
pub(crate) struct CallbackQuery {
    pub code: Option<String>,
    pub kept: BTreeMap<String, String>,
    /// The query parameter of a value outside its `one_of`: the connection must fail, and
    /// nothing is stored or requested with it.
    pub refused: Option<String>,
}

/// Reads the callback's query; `ctx` renders the `{env.*}` of the values allowed.
pub(crate) fn from_callback(
    oauth: &paragon_manifest::OAuth,
    raw_query: Option<&str>,
    ctx: &paragon_manifest::RenderContext<'_>,
) -> CallbackQuery {
    let mut out = CallbackQuery {
        code: None,
        kept: BTreeMap::new(),
        refused: None,
    };
    for (k, v) in url::form_urlencoded::parse(raw_query.unwrap_or("").as_bytes()) {
        if k == oauth.callback_code() {
            out.code = Some(v.into_owned());
            continue;
        }
        let Some(value) = oauth.callback_capture().iter().find(|c| c.param() == k) else {
            continue;
        };
        if v.is_empty() {
            continue;
        }
        // A listed value that cannot be rendered (a missing secret) allows nothing.
        if value.allows(&v, ctx).unwrap_or(false) {
            out.kept.insert(value.name().to_owned(), v.into_owned());
        } else {
            out.refused.get_or_insert_with(|| k.into_owned());
        }
    }
    out
}

/// The longest access-token lifetime believed: a provider's `expires_in` beyond a year (or one
/// that would overflow) is taken as a year, so the expiry stays a formattable date and the
/// token is renewed at least yearly.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// The expiry (ms since the epoch) of a token that lives `expires_in`, saturated and capped.
pub(crate) fn expiry(expires_in: Duration) -> i64 {
    let ms = i64::try_from(expires_in.min(MAX_LIFETIME).as_millis()).unwrap_or(i64::MAX);
    now_ms().saturating_add(ms)
}

/// OAuth errors after which the grant is dead for good (RFC 6749 §5.2), when answered with
/// 400 or 401. Anything else (`temporarily_unavailable`, `server_error`, a 5xx, an unreadable
/// answer) may pass and is retried later.
const FINAL_ERRORS: [&str; 3] = ["invalid_grant", "invalid_client", "unauthorized_client"];

fn classify(
    e: oauth2::RequestTokenError<HttpError, BasicErrorResponse>,
    status: Option<StatusCode>,
) -> TokenError {
    match e {
        oauth2::RequestTokenError::ServerResponse(r) => {
            let code = r.error().to_string();
            let mut msg = code.clone();
            if let Some(d) = r.error_description() {
                msg.push_str(": ");
                msg.push_str(d);
            }
            let final_status = matches!(
                status,
                Some(StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED)
            );
            if final_status && FINAL_ERRORS.contains(&code.as_str()) {
                TokenError::Rejected(msg)
            } else {
                let status = status.map_or(String::new(), |s| format!(" ({s})"));
                TokenError::Unavailable(format!("the provider answered {msg}{status}"))
            }
        }
        oauth2::RequestTokenError::Request(e) => TokenError::Unavailable(e.to_string()),
        oauth2::RequestTokenError::Parse(e, _) => {
            TokenError::Unavailable(format!("unreadable token response: {e}"))
        }
        oauth2::RequestTokenError::Other(e) => TokenError::Unavailable(e),
    }
}

/// Rewrites the form-encoded token request `oauth2` built into the manifest's encoding: a JSON
/// object of the same fields, or the fields appended to the URL's query with no body.
fn encode(
    request: oauth2::HttpRequest,
    encoding: Encoding,
) -> Result<oauth2::HttpRequest, HttpError> {
    if encoding == Encoding::Form {
        return Ok(request);
    }
    let (mut parts, body) = request.into_parts();
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    parts.headers.remove(http::header::CONTENT_LENGTH);
    let body = if encoding == Encoding::Json {
        let object: Map<String, Value> = fields
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        parts.headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        serde_json::to_vec(&object).map_err(|e| HttpError(e.to_string()))?
    } else {
        let mut url =
            url::Url::parse(&parts.uri.to_string()).map_err(|e| HttpError(e.to_string()))?;
        url.query_pairs_mut().extend_pairs(&fields);
        parts.uri = url
            .as_str()
            .parse()
            .map_err(|e: http::uri::InvalidUri| HttpError(e.to_string()))?;
        parts.headers.remove(http::header::CONTENT_TYPE);
        Vec::new()
    };
    Ok(http::Request::from_parts(parts, body))
}

async fn send(
    http: &Upstream,
    request: oauth2::HttpRequest,
    reach: Reach,
) -> Result<oauth2::HttpResponse, HttpError> {
    let answer = http
        .send(request.map(Bytes::from), MAX_TOKEN_RESPONSE, reach)
        .await
        .map_err(|e| HttpError(e.to_string()))?;
    let mut out = http::Response::new(answer.body.to_vec());
    *out.status_mut() = answer.status;
    *out.headers_mut() = answer.headers;
    Ok(out)
}
