//! What a client-credentials token request may say about the token it asks for, the shape of
//! Auth0's and Pax8's: `audience`, the API the token is for (Task Lab's is its `/v1` URL),
//! and `organization`, a tenant that must exist. Both are optional, but a value that is sent
//! must be right: an empty one names nothing and is refused, as those providers refuse it.

use std::collections::HashMap;

use crate::oauth::{OAuthError, oauth_error};
use crate::state::Shared;

/// The organizations Task Lab knows.
pub const ORGANIZATIONS: &[&str] = &["org_7", "org_blue"];

/// Checks the request's `audience` and `organization`, when present.
pub(crate) fn check(state: &Shared, params: &HashMap<String, String>) -> Result<(), OAuthError> {
    if let Some(audience) = params.get("audience") {
        let api = format!("{}/v1", state.base_url);
        if *audience != api {
            return Err(oauth_error(
                "invalid_request",
                format!("unknown audience `{audience}`: this server's API is `{api}`"),
            ));
        }
    }
    if let Some(organization) = params.get("organization")
        && !ORGANIZATIONS.contains(&organization.as_str())
    {
        return Err(oauth_error(
            "invalid_request",
            format!("no organization named `{organization}`"),
        ));
    }
    Ok(())
}
