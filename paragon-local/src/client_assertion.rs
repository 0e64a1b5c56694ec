//! Client authentication by signed assertion (`client_auth = "private_key_jwt"`, RFC 7523
//! §2.2): every token request (code exchange, refresh, client credentials) carries a fresh
//! JWT signed with the manifest's key in place of a client secret.

use std::fmt;
use std::str::FromStr;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use paragon_manifest::{ClientAssertion, RenderContext, RenderError};
use serde_json::json;

use crate::oauth::TokenError;
use crate::store::now_ms;

/// `client_assertion_type` for a JWT (RFC 7523 §2.2).
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: long enough for one request.
const LIFETIME_SECS: i64 = 300;

/// The rendered signing key of a manifest's `[auth.client_assertion]`.
pub(crate) struct AssertionKey {
    pem: String,
    algorithm: &'static str,
    key_id: Option<String>,
}

impl fmt::Debug for AssertionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssertionKey")
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl AssertionKey {
    /// The key of `assertion` rendered with `ctx`.
    pub(crate) fn render(
        assertion: &ClientAssertion,
        ctx: &RenderContext<'_>,
    ) -> Result<AssertionKey, RenderError> {
        Ok(AssertionKey {
            pem: assertion.key(ctx)?.into_exposed(),
            algorithm: assertion.algorithm(),
            key_id: assertion.key_id(ctx)?,
        })
    }

    /// A single-use assertion for `client_id` addressed to the token endpoint `audience`.
    pub(crate) fn sign(&self, client_id: &str, audience: &str) -> Result<String, TokenError> {
        let unusable = |e: jsonwebtoken::errors::Error| {
            TokenError::Rejected(format!(
                "the client assertion key (auth.client_assertion.key) is not a usable {} private key in PEM: {e}",
                self.algorithm
            ))
        };
        let algorithm = Algorithm::from_str(self.algorithm).map_err(unusable)?;
        let key = match algorithm {
            Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(self.pem.as_bytes()),
            _ => EncodingKey::from_rsa_pem(self.pem.as_bytes()),
        }
        .map_err(unusable)?;
        let mut header = Header::new(algorithm);
        header.kid = self.key_id.clone();
        let now = now_ms() / 1000;
        let claims = json!({
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "iat": now,
            "exp": now + LIFETIME_SECS,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        jsonwebtoken::encode(&header, &claims, &key).map_err(unusable)
    }
}
