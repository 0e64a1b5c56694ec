//! Paragon User Tokens: the signing key, minting (RS256 JWTs), permissions and the per-user cache.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use http::HeaderValue;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::secret::Secret;

/// The claim that carries a token's permissions.
pub const PERMISSIONS_CLAIM: &str = "urn:useparagon:connect:permissions";

/// Tokens live one hour unless configured otherwise.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);

/// A Paragon User Token (a JWT). `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct UserToken(Secret);

impl UserToken {
    /// Wraps a token obtained elsewhere.
    pub fn new(token: impl Into<String>) -> Self {
        UserToken(Secret::new(token.into()))
    }

    /// The token text, for an `Authorization` header or a terminal that asked for it.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for UserToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserToken([redacted])")
    }
}

impl fmt::Display for UserToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The project's RSA signing key, used to mint user tokens (RS256).
///
/// Accepts PKCS#8 (`BEGIN PRIVATE KEY`) and PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM; literal `\n`
/// sequences (as keys kept in environment variables often have) are unescaped. The key is
/// checked by signing once, so a bad key fails here rather than at the first request.
/// `Debug` never prints key material.
#[derive(Clone)]
pub struct SigningKey(Arc<RsaKeyPair>);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

impl SigningKey {
    /// Parses a PEM private key.
    ///
    /// ```no_run
    /// # fn main() -> paragon_sdk::Result<()> {
    /// let pem = std::fs::read_to_string("signing-key.pem").unwrap();
    /// let key = paragon_sdk::SigningKey::from_pem(&pem)?;
    /// # Ok(()) }
    /// ```
    pub fn from_pem(pem: impl AsRef<str>) -> Result<SigningKey> {
        Self::from_pem_for(pem.as_ref(), "signing_key")
    }

    /// Reads and parses a PEM private key file.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<SigningKey> {
        Self::from_pem_file_for(path.as_ref(), "signing_key")
    }

    pub(crate) fn from_pem_file_for(path: &Path, setting: &str) -> Result<SigningKey> {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| Error::config(setting, format!("cannot read {}: {e}", path.display())))?;
        Self::from_pem_for(&pem, setting)
    }

    pub(crate) fn from_pem_for(pem: &str, setting: &str) -> Result<SigningKey> {
        let pem = pem
            .trim()
            .trim_matches('"')
            .replace("\\n", "\n")
            .replace("\r\n", "\n");
        // The parsers' messages never contain key material.
        let block = pem::parse(pem.as_bytes()).map_err(|e| {
            Error::config(
                setting,
                format!("expected an RSA private key in PEM form (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----): {e}"),
            )
        })?;
        let key = match block.tag() {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(block.contents()),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(block.contents()),
            other => {
                return Err(Error::config(
                    setting,
                    format!("expected an RSA private key in PEM form (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----), found -----BEGIN {other}-----"),
                ));
            }
        }
        .map_err(|e| Error::config(setting, format!("not a usable RSA private key: {e}")))?;
        let key = SigningKey(Arc::new(key));
        key.sign(&Map::new()).map_err(|_| {
            Error::config(
                setting,
                "the RSA private key cannot sign (malformed or too small)",
            )
        })?;
        Ok(key)
    }

    /// Mints a token for `user_id` in `project_id`: `sub`, `iat`, `exp`, `aud =
    /// useparagon.com/{project_id}`, and the options' permissions and extra claims.
    ///
    /// This signs (about a millisecond); [`crate::Paragon`] caches the result per user.
    pub fn mint(
        &self,
        project_id: &str,
        user_id: &str,
        options: &TokenOptions,
    ) -> Result<UserToken> {
        Ok(self
            .mint_at(project_id, user_id, options, SystemTime::now())?
            .0)
    }

    fn mint_at(
        &self,
        project_id: &str,
        user_id: &str,
        options: &TokenOptions,
        now: SystemTime,
    ) -> Result<(UserToken, u64)> {
        if user_id.is_empty() {
            return Err(Error::config("user", "the user id is empty"));
        }
        let iat = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let exp = iat + options.ttl.as_secs().max(1);
        let mut claims = options.extra_claims.clone();
        claims.insert("sub".into(), Value::String(user_id.to_owned()));
        claims.insert("iat".into(), Value::from(iat));
        claims.insert("exp".into(), Value::from(exp));
        claims.insert(
            "aud".into(),
            Value::String(format!("useparagon.com/{project_id}")),
        );
        if let Some(p) = &options.permissions {
            claims.insert(PERMISSIONS_CLAIM.into(), Value::Object(p.0.clone()));
        }
        Ok((self.sign(&claims)?, exp))
    }

    /// An RS256 JWT (RFC 7519) over `claims`: `base64url(header).base64url(claims).signature`.
    fn sign(&self, claims: &Map<String, Value>) -> Result<UserToken> {
        const HEADER: &str = r#"{"alg":"RS256","typ":"JWT"}"#;
        let claims = serde_json::to_vec(claims)
            .map_err(|e| Error::config("signing_key", format!("signing failed: {e}")))?;
        let mut jwt = B64URL.encode(HEADER);
        jwt.push('.');
        B64URL.encode_string(claims, &mut jwt);
        let mut signature = vec![0; self.0.public_modulus_len()];
        self.0
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                jwt.as_bytes(),
                &mut signature,
            )
            .map_err(|_| Error::config("signing_key", "signing failed"))?;
        jwt.push('.');
        B64URL.encode_string(signature, &mut jwt);
        Ok(UserToken::new(jwt))
    }
}

/// The claims of a JWT, decoded without verifying its signature.
pub(crate) fn unverified_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&B64URL.decode(payload).ok()?).ok()
}

/// What a user token may do: the `urn:useparagon:connect:permissions` claim.
///
/// Keys are scopes (`integration:*`, `integration:salesforce`, `credential:<uuid>`,
/// `configuration:ext:<id>`); values are `true` or a list of permissions. The more specific key
/// wins on Paragon's side.
///
/// ```
/// use paragon_sdk::Permissions;
/// let p = Permissions::new()
///     .allow("integration:*")
///     .grant("integration:salesforce", ["credential:read"]);
/// # let _ = p;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Permissions(Map<String, Value>);

impl Permissions {
    /// No permissions listed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows everything within `scope` (`"scope": true`).
    pub fn allow(mut self, scope: impl Into<String>) -> Self {
        self.0.insert(scope.into(), Value::Bool(true));
        self
    }

    /// Grants the listed permissions within `scope` (`"scope": ["credential:write", …]`).
    pub fn grant<I, S>(mut self, scope: impl Into<String>, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let list = permissions
            .into_iter()
            .map(|p| Value::String(p.into()))
            .collect();
        self.0.insert(scope.into(), Value::Array(list));
        self
    }
}

/// How tokens are minted: lifetime, permissions, extra claims.
#[derive(Debug, Clone)]
pub struct TokenOptions {
    ttl: Duration,
    permissions: Option<Permissions>,
    extra_claims: Map<String, Value>,
}

impl Default for TokenOptions {
    fn default() -> Self {
        TokenOptions {
            ttl: DEFAULT_TOKEN_TTL,
            permissions: None,
            extra_claims: Map::new(),
        }
    }
}

impl TokenOptions {
    /// One-hour tokens, no permissions claim, no extra claims.
    pub fn new() -> Self {
        Self::default()
    }

    /// The token lifetime (`exp - iat`); at least one second.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl.max(Duration::from_secs(1));
        self
    }

    /// The permissions claim.
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = Some(permissions);
        self
    }

    /// An extra claim. `sub`, `iat`, `exp`, `aud` and the permissions claim are set by the
    /// minter and win over extra claims of the same name.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra_claims.insert(name.into(), value.into());
        self
    }

    /// The configured lifetime.
    pub fn lifetime(&self) -> Duration {
        self.ttl
    }

    /// Re-mint when less than this remains: 60 s, or 10% of the lifetime when that is shorter.
    fn refresh_margin(&self) -> Duration {
        Duration::from_secs(60).min(self.ttl / 10)
    }
}

/// Above this many cached users, expired entries are dropped on insert.
const PRUNE_ABOVE: usize = 10_000;

struct Cached {
    bearer: Bearer,
    refresh_at: Instant,
}

/// A token and its ready `Authorization` value, shared: a request clones the `Arc`, not the
/// token text.
pub(crate) type Bearer = Arc<(UserToken, HeaderValue)>;

/// Signed tokens per user, shared by every handle of one [`crate::Paragon`].
#[derive(Default)]
pub(crate) struct TokenCache {
    entries: Mutex<HashMap<String, Cached>>,
}

impl TokenCache {
    /// The cached token (and its ready `Authorization` header) for `user_id`, minted when absent
    /// or close to expiry. The lock is not held while signing.
    pub(crate) fn get(
        &self,
        key: &SigningKey,
        project_id: &str,
        user_id: &str,
        options: &TokenOptions,
    ) -> Result<Bearer> {
        let now = Instant::now();
        if let Some(hit) = self.lock().get(user_id)
            && hit.refresh_at > now
        {
            return Ok(hit.bearer.clone());
        }
        let (token, _exp) = key.mint_at(project_id, user_id, options, SystemTime::now())?;
        let bearer = Arc::new((token.clone(), bearer(&token)?));
        let refresh_at = now + options.ttl.saturating_sub(options.refresh_margin());
        let mut entries = self.lock();
        if entries.len() > PRUNE_ABOVE {
            entries.retain(|_, c| c.refresh_at > now);
        }
        entries.insert(
            user_id.to_owned(),
            Cached {
                bearer: bearer.clone(),
                refresh_at,
            },
        );
        Ok(bearer)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        // A panic while holding the lock cannot leave the map inconsistent.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `Bearer <token>` as a sensitive header value.
pub(crate) fn bearer(token: &UserToken) -> Result<HeaderValue> {
    let mut v = HeaderValue::try_from(format!("Bearer {}", token.expose())).map_err(|_| {
        Error::config(
            "token",
            "the user token has characters not allowed in a header",
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_margin_is_ten_percent_for_short_lifetimes() {
        let o = TokenOptions::new().ttl(Duration::from_secs(100));
        assert_eq!(o.refresh_margin(), Duration::from_secs(10));
        assert_eq!(
            TokenOptions::new().refresh_margin(),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn rejects_public_keys_and_garbage() {
        let err =
            SigningKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
                .unwrap_err();
        assert!(err.to_string().contains("signing_key"), "{err}");
        let err = SigningKey::from_pem(
            "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----",
        )
        .unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err}");
    }
}
