//! Dynamic client registration (RFC 7591): `registration_url` in an OAuth `[auth]`. The
//! server registers a client at that URL when a user connects, instead of using the owner's
//! `client_id` / `client_secret`; the issued client is kept in the user's credential as
//! `{credential.client_id}` and `{credential.client_secret}` and used for the code exchange
//! and every refresh.

use url::Url;

use crate::auth::{ClientAuth, render_url};
use crate::render::{RenderContext, RenderError};
use crate::template::{Part, Reference, Template};

/// The credential value holding the registered client's id.
pub const REGISTERED_CLIENT_ID: &str = "client_id";

/// The credential value holding the registered client's secret.
pub const REGISTERED_CLIENT_SECRET: &str = "client_secret";

/// Where and as whom a client is registered at connect time (`registration_url`,
/// `client_name`).
#[derive(Clone, Debug)]
pub struct Registration {
    pub(crate) url: Template,
    pub(crate) client_name: String,
    pub(crate) url_inputs: Vec<String>,
}

/// The client metadata of a registration request (RFC 7591 §2), sent as a JSON object.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistrationRequest {
    /// `client_name`: the manifest's `client_name`, else the integration's name.
    pub client_name: String,
    /// `redirect_uris`: the server's OAuth callback, the only one the client may use.
    pub redirect_uris: Vec<String>,
    /// `grant_types`: `authorization_code` and `refresh_token`.
    pub grant_types: Vec<&'static str>,
    /// `response_types`: `code`.
    pub response_types: Vec<&'static str>,
    /// `token_endpoint_auth_method`: `client_secret_post` for `client_auth = "body"`,
    /// `client_secret_basic` for `"basic"`.
    pub token_endpoint_auth_method: &'static str,
    /// `scope`: the manifest's scopes joined by its separator, when there are any.
    pub scope: Option<String>,
}

impl Registration {
    /// The registration URL template.
    pub fn url_template(&self) -> &Template {
        &self.url
    }

    /// The rendered registration URL.
    pub fn url(&self, ctx: &RenderContext<'_>) -> Result<Url, RenderError> {
        render_url(&self.url, ctx, "auth.registration_url", &self.url_inputs)
    }

    /// The name the client is registered under.
    pub fn client_name(&self) -> &str {
        &self.client_name
    }

    /// The registration request for a client whose only redirect URI is `redirect_uri`.
    pub(crate) fn request(
        &self,
        redirect_uri: &str,
        client_auth: ClientAuth,
        scope: Option<String>,
    ) -> RegistrationRequest {
        RegistrationRequest {
            client_name: self.client_name.clone(),
            redirect_uris: vec![redirect_uri.to_owned()],
            grant_types: vec!["authorization_code", "refresh_token"],
            response_types: vec!["code"],
            token_endpoint_auth_method: match client_auth {
                ClientAuth::Body => "client_secret_post",
                ClientAuth::Basic => "client_secret_basic",
                // Refused beside `registration_url` by the validator: no key to register.
                ClientAuth::PrivateKeyJwt => "private_key_jwt",
            },
            scope,
        }
    }
}

/// `{credential.<name>}`: how the OAuth setup refers to the registered client.
pub(crate) fn credential_template(name: &str) -> Template {
    Template::from_parts(
        format!("{{credential.{name}}}"),
        vec![Part::Ref(Reference::Credential(name.to_owned()))],
    )
}
