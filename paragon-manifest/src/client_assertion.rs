//! Client authentication by a signed JWT (`client_auth = "private_key_jwt"`, RFC 7523 §2.2):
//! instead of a client secret, each token request carries an assertion the server signs with
//! the client's private key (`[auth.client_assertion]`).

use crate::render::{RenderContext, RenderError};
use crate::secret::Secret;
use crate::template::Template;

/// The signing algorithms an assertion may use (JWS names).
pub const ASSERTION_ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
];

/// `[auth.client_assertion]`: the key that signs the client's assertions, its algorithm and
/// the key id providers use to pick the public key.
#[derive(Clone, Debug)]
pub struct ClientAssertion {
    pub(crate) key: Template,
    pub(crate) algorithm: &'static str,
    pub(crate) key_id: Option<Template>,
}

impl ClientAssertion {
    /// The private key, PEM (PKCS#8 `PRIVATE KEY`, or `RSA PRIVATE KEY` / `EC PRIVATE KEY`).
    pub fn key(&self, ctx: &RenderContext<'_>) -> Result<Secret, RenderError> {
        self.key.render(ctx).map(Secret::new)
    }

    /// The JWS algorithm (`RS256` by default), one of [`ASSERTION_ALGORITHMS`].
    pub fn algorithm(&self) -> &'static str {
        self.algorithm
    }

    /// The `kid` header, when the manifest sets `key_id`.
    pub fn key_id(&self, ctx: &RenderContext<'_>) -> Result<Option<String>, RenderError> {
        self.key_id.as_ref().map(|t| t.render(ctx)).transpose()
    }
}
