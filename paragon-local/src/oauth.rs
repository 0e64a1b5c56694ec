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
use paragon_manifest::ClientAuth;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

use crate::store::now_ms;
use crate::upstream::Upstream;
use bytes::Bytes;

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
    pub extra_params: Vec<(String, String)>,
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
}

/// What a successful token response gave.
#[derive(Clone)]
pub(crate) struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<i64>,
    pub captured: BTreeMap<String, String>,
}

/// Why a token request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    /// The provider answered with an OAuth error (e.g. `invalid_grant`): retrying won't help.
    #[error("the provider refused the token request: {0}")]
    Rejected(String),
    /// The provider could not be reached or answered garbage: may work later.
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
    capture: &[String],
) -> Result<Tokens, TokenError> {
    let client: OAuthClient = oauth2::Client::new(ClientId::new(endpoint.client_id.clone()))
        .set_client_secret(ClientSecret::new(endpoint.client_secret.clone()))
        .set_auth_type(match endpoint.client_auth {
            ClientAuth::Basic => AuthType::BasicAuth,
            _ => AuthType::RequestBody,
        })
        .set_token_uri(oauth2::TokenUrl::from_url(endpoint.url.clone()));
    let owned = http.clone();
    let call = move |request: oauth2::HttpRequest| {
        let http = owned.clone();
        async move { send(&http, request).await }
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
            for (k, v) in &endpoint.extra_params {
                req = req.add_extra_param(k.clone(), v.clone());
            }
            req.request_async(&call).await
        }
        Grant::Refresh { refresh_token } => {
            let token = RefreshToken::new(refresh_token.to_string());
            let mut req = client.exchange_refresh_token(&token);
            for (k, v) in &endpoint.extra_params {
                req = req.add_extra_param(k.clone(), v.clone());
            }
            req.request_async(&call).await
        }
        Grant::ClientCredentials { scopes } => {
            let mut req = client.exchange_client_credentials();
            req = req.add_scopes(scopes.iter().map(|s| Scope::new(s.clone())));
            for (k, v) in &endpoint.extra_params {
                req = req.add_extra_param(k.clone(), v.clone());
            }
            req.request_async(&call).await
        }
    };
    let response = result.map_err(|e| match e {
        oauth2::RequestTokenError::ServerResponse(r) => {
            let mut msg = r.error().to_string();
            if let Some(d) = r.error_description() {
                msg.push_str(": ");
                msg.push_str(d);
            }
            TokenError::Rejected(msg)
        }
        oauth2::RequestTokenError::Request(e) => TokenError::Unavailable(e.to_string()),
        oauth2::RequestTokenError::Parse(e, _) => {
            TokenError::Unavailable(format!("unreadable token response: {e}"))
        }
        oauth2::RequestTokenError::Other(e) => TokenError::Unavailable(e),
    })?;
    let mut captured = BTreeMap::new();
    for name in capture {
        if let Some(v) = response.extra_fields().fields.get(name) {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            captured.insert(name.clone(), v);
        }
    }
    Ok(Tokens {
        access_token: response.access_token().secret().clone(),
        refresh_token: response.refresh_token().map(|t| t.secret().clone()),
        expires_at: response
            .expires_in()
            .map(|d| now_ms() + d.as_millis() as i64),
        captured,
    })
}

async fn send(
    http: &Upstream,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, HttpError> {
    let answer = http
        .send(request.map(Bytes::from), MAX_TOKEN_RESPONSE)
        .await
        .map_err(|e| HttpError(e.to_string()))?;
    let mut out = http::Response::new(answer.body.to_vec());
    *out.status_mut() = answer.status;
    *out.headers_mut() = answer.headers;
    Ok(out)
}
