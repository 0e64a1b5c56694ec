//! Paragon User Tokens: the project's RSA key and RS256 verification of a caller's token.

use crate::error::ApiError;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value};
use std::fmt;
use std::time::Duration;

/// Why a project key could not be read, or a token not minted. The messages never include
/// key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not PEM.
    #[error("not a PEM private key: {0}")]
    NotPem(String),
    /// PEM, but not a private key block this server reads.
    #[error("expected `BEGIN PRIVATE KEY` or `BEGIN RSA PRIVATE KEY`, found `BEGIN {0}`")]
    UnexpectedBlock(String),
    /// A private key block that does not hold an RSA key.
    #[error("not an RSA private key: {0}")]
    NotRsa(String),
    /// An RSA key the signing side refuses.
    #[error("RSA private key rejected: {0}")]
    Rejected(String),
    /// Not an RSA public key in PEM.
    #[error("not an RSA public key in PEM: {0}")]
    NotPublicKey(String),
    /// Only the public half is configured.
    #[error("only the public key is configured; cannot mint tokens")]
    PublicOnly,
    /// Signing the token failed.
    #[error("cannot sign the user token: {0}")]
    Signing(String),
}

/// The project's key: always the public half (to verify user tokens), and the private half
/// when it was given or generated (to mint tokens in tests and development). `Debug` never
/// shows the private key.
#[derive(Clone)]
pub struct ProjectKey {
    decoding: DecodingKey,
    private_pem: Option<String>,
}

impl fmt::Debug for ProjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProjectKey")
            .field("private", &self.private_pem.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// Keys kept in environment variables often carry literal `\n` sequences.
fn unescape_pem(text: &str) -> String {
    text.trim().replace("\\r\\n", "\n").replace("\\n", "\n")
}

impl ProjectKey {
    /// The project's signing key as PEM (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1
    /// `BEGIN RSA PRIVATE KEY`; literal `\n` sequences are unescaped).
    pub fn from_private_pem(text: &str) -> Result<Self, KeyError> {
        let text = unescape_pem(text);
        let pem = pem::parse(&text).map_err(|e| KeyError::NotPem(e.to_string()))?;
        let pair = match pem.tag() {
            "PRIVATE KEY" => KeyPair::from_pkcs8(pem.contents()),
            "RSA PRIVATE KEY" => KeyPair::from_der(pem.contents()),
            other => return Err(KeyError::UnexpectedBlock(other.to_string())),
        }
        .map_err(|e| KeyError::NotRsa(e.to_string()))?;
        // Check now that the signing side accepts it too, so minting never fails later.
        EncodingKey::from_rsa_pem(text.as_bytes())
            .map_err(|e| KeyError::Rejected(e.to_string()))?;
        Ok(Self::from_pair(&pair, text))
    }

    fn from_pair(pair: &KeyPair, private_pem: String) -> Self {
        use aws_lc_rs::signature::KeyPair as _;
        let public = pair.public_key();
        let decoding = DecodingKey::from_rsa_raw_components(
            public.modulus().big_endian_without_leading_zero(),
            public.exponent().big_endian_without_leading_zero(),
        );
        Self {
            decoding,
            private_pem: Some(private_pem),
        }
    }

    /// Only the public half (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`): the server
    /// verifies tokens but cannot mint them.
    pub fn from_public_pem(text: &str) -> Result<Self, KeyError> {
        let text = unescape_pem(text);
        let decoding = DecodingKey::from_rsa_pem(text.as_bytes())
            .map_err(|e| KeyError::NotPublicKey(e.to_string()))?;
        Ok(Self {
            decoding,
            private_pem: None,
        })
    }

    /// A fresh 2048-bit key (development mode and tests). Generated in-process with
    /// `aws-lc-rs`, which `jsonwebtoken` already links, so no `openssl` binary is needed.
    pub fn generate() -> Self {
        // Key generation only fails if the system RNG is broken: nothing sensible to do then.
        #[allow(clippy::expect_used)]
        let pair = KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation");
        #[allow(clippy::expect_used)]
        let der = pair.as_der().expect("PKCS#8 encoding");
        let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref()));
        Self::from_pair(&pair, pem)
    }

    /// The private key as PKCS#8 PEM, if this key has it.
    pub fn private_pem(&self) -> Option<&str> {
        self.private_pem.as_deref()
    }

    /// Mints a user token for `user_id` valid for `ttl`, with `aud = useparagon.com/{project}`.
    /// Fails if only the public half is known.
    pub fn mint(&self, project_id: &str, user_id: &str, ttl: Duration) -> Result<String, KeyError> {
        self.sign(user_id, &format!("useparagon.com/{project_id}"), ttl)
    }

    /// Mints a developer token valid for `ttl`: what the project's key holder presents to
    /// `POST /projects/{pid}/dev/codes` to open the workflow view (a local-server extension).
    /// Its audience, `paragon-local/developer/{project}`, is one no user token has, so it
    /// acts for no user and a user token cannot open the view. Fails with only the public half.
    pub fn mint_developer(&self, project_id: &str, ttl: Duration) -> Result<String, KeyError> {
        self.sign("developer", &developer_audience(project_id), ttl)
    }

    fn sign(&self, sub: &str, aud: &str, ttl: Duration) -> Result<String, KeyError> {
        let pem = self.private_pem.as_deref().ok_or(KeyError::PublicOnly)?;
        let key = EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|e| KeyError::Signing(e.to_string()))?;
        let now = crate::store::now_ms() / 1000;
        let claims = serde_json::json!({
            "sub": sub,
            "iat": now,
            "exp": now + ttl.as_secs() as i64,
            "aud": aud,
        });
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key)
            .map_err(|e| KeyError::Signing(e.to_string()))
    }

    /// Verifies a developer token for `project_id` (RS256, `exp`, and exactly the developer
    /// audience); returns its `exp` (seconds).
    pub(crate) fn verify_developer(&self, token: &str, project_id: &str) -> Result<i64, ApiError> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 5;
        validation.validate_nbf = true;
        validation.set_audience(&[developer_audience(project_id)]);
        validation.set_required_spec_claims(&["exp", "aud"]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &self.decoding, &validation)
            .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            ApiError::unauthorized(match e.kind() {
                ErrorKind::ExpiredSignature => "the developer token has expired".to_string(),
                ErrorKind::InvalidAudience | ErrorKind::MissingRequiredClaim(_) => format!(
                    "not a developer token: its `aud` must be {}",
                    developer_audience(project_id)
                ),
                ErrorKind::InvalidSignature => {
                    "the developer token's signature does not match the project's key".into()
                }
                _ => format!("invalid developer token: {e}"),
            })
        })?;
        Ok(data.claims.get("exp").and_then(Value::as_i64).unwrap_or(0))
    }

    /// Verifies a bearer token for `project_id`: RS256 signature, `exp`, `nbf` when present,
    /// `aud` when present (or always, when `require_aud`).
    pub(crate) fn verify(
        &self,
        token: &str,
        project_id: &str,
        require_aud: bool,
    ) -> Result<User, ApiError> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 5;
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &self.decoding, &validation)
            .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            let why = match e.kind() {
                ErrorKind::ExpiredSignature => "the user token has expired".to_string(),
                ErrorKind::ImmatureSignature => {
                    "the user token is not valid yet (its `nbf` is in the future)".to_string()
                }
                ErrorKind::InvalidSignature => {
                    "the user token's signature does not match the project's key".to_string()
                }
                ErrorKind::InvalidAlgorithm => "the user token must be signed with RS256".into(),
                ErrorKind::MissingRequiredClaim(c) => format!("the user token has no `{c}` claim"),
                _ => format!("invalid user token: {e}"),
            };
            ApiError::unauthorized(why)
        })?;
        let claims = data.claims;
        let expected = format!("useparagon.com/{project_id}");
        match claims.get("aud") {
            None if require_aud => {
                return Err(ApiError::unauthorized(format!(
                    "the user token has no `aud` claim (this server requires {expected})"
                )));
            }
            None => {}
            Some(Value::String(a)) if *a == expected => {}
            Some(Value::Array(list)) if list.iter().any(|a| a.as_str() == Some(&expected)) => {}
            Some(_) => {
                return Err(ApiError::unauthorized(format!(
                    "the user token's audience is not {expected}"
                )));
            }
        }
        let user_id = match claims.get("sub") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => {
                return Err(ApiError::unauthorized(
                    "the user token's `sub` must be a non-empty string",
                ));
            }
        };
        // A claim that is present but not an object is a token minted wrong: it grants
        // nothing rather than everything (fail closed).
        let permissions = match claims.get(PERMISSIONS_CLAIM) {
            None => None,
            Some(Value::Object(map)) => Some(map.clone()),
            Some(_) => Some(Map::new()),
        };
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
        Ok(User {
            project_id: project_id.to_string(),
            user_id,
            exp,
            permissions,
        })
    }
}

/// The audience of developer tokens ([`ProjectKey::mint_developer`]).
fn developer_audience(project_id: &str) -> String {
    format!("paragon-local/developer/{project_id}")
}

/// The token claim holding per-integration and per-credential permissions.
const PERMISSIONS_CLAIM: &str = "urn:useparagon:connect:permissions";

/// The caller, from a verified token.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub project_id: String,
    pub user_id: String,
    /// The token's `exp` (seconds).
    pub exp: i64,
    permissions: Option<Map<String, Value>>,
}

/// What a call does, for the token's permissions claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

impl User {
    /// A user known from a portal session, with the permissions of the token that opened it
    /// (so a `credential:<id>: false` still holds in the portal).
    pub(crate) fn from_session(
        project_id: String,
        user_id: String,
        exp: i64,
        permissions: Option<Map<String, Value>>,
    ) -> Self {
        Self {
            project_id,
            user_id,
            exp,
            permissions,
        }
    }

    /// The token's permissions claim, if it had one.
    pub(crate) fn permissions(&self) -> Option<&Map<String, Value>> {
        self.permissions.as_ref()
    }

    /// Whether the token carried a permissions claim (and so is restricted).
    pub(crate) fn has_permissions(&self) -> bool {
        self.permissions.is_some()
    }

    /// Calls about the user rather than one integration (metadata, app events, workflows):
    /// allowed without a permissions claim, or when its least specific scope,
    /// `integration:*`, allows `access`.
    pub(crate) fn check_user_wide(&self, access: Access) -> Result<(), ApiError> {
        let Some(perms) = &self.permissions else {
            return Ok(());
        };
        if allows(perms.get("integration:*"), access) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "the user token's permissions do not allow this call (it needs `integration:*`)",
            ))
        }
    }

    /// Checks the optional permissions claim for an integration (and credential): the most
    /// specific key wins (`credential:<id>` over `integration:<name>` over `integration:*`).
    /// A value `true` allows everything; a list allows reads, and writes if it holds
    /// `credential:write`.
    /// The user a workflow run acts for: the engine already knows who (the run's row), and
    /// a workflow is not limited by a token's permissions claim.
    pub(crate) fn for_workflow(project_id: &str, user_id: &str) -> User {
        User {
            project_id: project_id.to_owned(),
            user_id: user_id.to_owned(),
            exp: i64::MAX,
            permissions: None,
        }
    }

    pub(crate) fn check(
        &self,
        integration: &str,
        credential: Option<&str>,
        access: Access,
    ) -> Result<(), ApiError> {
        let Some(perms) = &self.permissions else {
            return Ok(());
        };
        let short = integration.strip_prefix("custom.").unwrap_or(integration);
        let keys = [
            credential.map(|c| format!("credential:{c}")),
            Some(format!("integration:{integration}")),
            Some(format!("integration:{short}")),
            Some("integration:*".to_string()),
        ];
        let found = keys.iter().flatten().find_map(|k| perms.get(k));
        if allows(found, access) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "the user token's permissions do not allow this call on {integration}"
            )))
        }
    }
}

/// What one permissions value grants: `true` everything, a list reads (and writes with
/// `credential:write`), anything else nothing.
fn allows(value: Option<&Value>, access: Access) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::Array(list)) => {
            access == Access::Read || list.iter().any(|p| p.as_str() == Some("credential:write"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_with(perms: Value) -> User {
        User {
            project_id: "p".into(),
            user_id: "u".into(),
            exp: 0,
            permissions: perms.as_object().cloned(),
        }
    }

    #[test]
    fn permissions_most_specific_key_wins() {
        let u = user_with(serde_json::json!({
            "integration:*": ["credential:read"],
            "integration:custom.tasklab": true,
            "credential:c-1": false,
        }));
        assert!(u.check("custom.tasklab", None, Access::Write).is_ok());
        assert!(
            u.check("custom.tasklab", Some("c-1"), Access::Read)
                .is_err()
        );
        assert!(u.check("custom.other", None, Access::Read).is_ok());
        let e = u.check("custom.other", None, Access::Write).unwrap_err();
        assert_eq!(e.status().as_u16(), 403);
        let none = user_with(serde_json::json!({ "integration:custom.a": true }));
        assert!(none.check("custom.b", None, Access::Read).is_err());
        assert!(
            user_with(Value::Null)
                .check("custom.b", None, Access::Write)
                .is_ok()
        );
    }

    #[test]
    fn mint_verify_and_reject() {
        let key = ProjectKey::generate();
        let t = key.mint("p1", "alice", Duration::from_secs(60)).unwrap();
        let u = key.verify(&t, "p1", false).unwrap();
        assert_eq!(u.user_id, "alice");
        // Wrong project in the path: audience mismatch.
        assert_eq!(
            key.verify(&t, "p2", false).unwrap_err().status().as_u16(),
            401
        );
        // Another key's signature.
        let other = ProjectKey::generate();
        let forged = other.mint("p1", "alice", Duration::from_secs(60)).unwrap();
        let e = key.verify(&forged, "p1", false).unwrap_err();
        assert!(e.message().contains("signature"), "{}", e.message());
        // Public-only key verifies but cannot mint.
        let pem = key.private_pem().unwrap();
        let reloaded = ProjectKey::from_private_pem(&pem.replace('\n', "\\n")).unwrap();
        assert!(reloaded.verify(&t, "p1", false).is_ok());
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }
}
