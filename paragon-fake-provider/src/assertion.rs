//! Client authentication by a signed JWT (`private_key_jwt`, RFC 7523 §2.2 and OpenID Connect
//! Core §9): the token request carries `client_assertion_type =
//! urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and `client_assertion`, a JWT the
//! client signed with its private key. Task Lab verifies it with the public key it was given
//! ([`FakeProviderBuilder::client_assertion_key`](crate::FakeProviderBuilder::client_assertion_key)).

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

use crate::state::Shared;

/// The assertion type RFC 7523 §2.2 names.
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    jti: String,
}

/// Verifies the request's assertion; returns the client id it authenticates, or why not.
pub(crate) fn authenticate(
    state: &Shared,
    params: &HashMap<String, String>,
) -> Result<String, String> {
    let kind = params.get("client_assertion_type").map(String::as_str);
    if kind != Some(JWT_BEARER) {
        return Err(format!("client_assertion_type must be `{JWT_BEARER}`"));
    }
    let jwt = params
        .get("client_assertion")
        .ok_or("missing `client_assertion`")?;
    let pem = state
        .config
        .client_assertion_key
        .as_deref()
        .ok_or("this client has no key registered for signed assertions")?;
    let header = decode_header(jwt).map_err(|e| format!("the assertion is not a JWT: {e}"))?;
    let key = match header.alg {
        Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(pem.as_bytes()),
        _ => DecodingKey::from_rsa_pem(pem.as_bytes()),
    }
    .map_err(|e| format!("the registered key is unusable: {e}"))?;
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[format!("{}/oauth/token", state.base_url)]);
    validation.set_issuer(&[state.config.client_id.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    let claims = decode::<Claims>(jwt, &key, &validation)
        .map_err(|e| format!("the assertion does not verify: {e}"))?
        .claims;
    if claims.sub != claims.iss {
        return Err("the assertion's `sub` must be the client id, as its `iss` is".into());
    }
    if let Some(id) = params.get("client_id")
        && *id != claims.iss
    {
        return Err("client_id differs from the assertion's issuer".into());
    }
    if !state.lock().assertion_ids.insert(claims.jti) {
        return Err("the assertion's `jti` was used before".into());
    }
    Ok(claims.iss)
}
