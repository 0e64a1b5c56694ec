//! The one model of a Paragon custom integration definition.
//!
//! A custom integration lives in a folder, `specs/<name>/`, holding an `integration.toml`, an
//! `icon.svg` and optionally the provider's OpenAPI spec. The manifest follows Paragon's four
//! steps: basic info (name, description, icon, accent color), the authentication method, its
//! setup, and the API setup (base URL, API authorization, default headers, test endpoint).
//!
//! [`Manifest::load`] reads and validates it, reporting every problem at once as
//! [`Diagnostics`] with file, line, column, field and a fix. Values in URLs, headers and
//! parameters are [`Template`]s over the user's inputs (`{input.subdomain}`), the credential
//! (`{credential.access_token}`, captured token-response values), environment secrets
//! (`{env.NAME}`), user metadata (`{user.Email}`) and the user's settings
//! (`{settings.team}`); they are rendered with a [`RenderContext`].
//!
//! This crate has no HTTP stack, so build scripts and proc macros can use it.
//!
//! ```
//! use std::collections::HashMap;
//! use paragon_manifest::{Manifest, RenderContext};
//!
//! let manifest = Manifest::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/tasklab"))?;
//! assert_eq!(manifest.slug(), "custom.tasklab");
//! assert_eq!(manifest.test_endpoint(), "/me");
//!
//! // The local server passes its own secrets; the default is the process environment.
//! let secrets = HashMap::from([("TASKLAB_URL".to_string(), "http://127.0.0.1:4000".to_string())]);
//! let ctx = RenderContext::new().with_secrets(&secrets).access_token("t0k3n");
//! assert_eq!(manifest.test_url(&ctx)?.as_str(), "http://127.0.0.1:4000/v1/me");
//!
//! let auth = manifest.authorization(&ctx)?;
//! assert_eq!(auth.headers[0].0, "Authorization");
//! assert_eq!(auth.headers[0].1.expose(), "Bearer t0k3n");
//! assert!(!format!("{auth:?}").contains("t0k3n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The file
//!
//! ```toml
//! # Step 1, basic info. The slug is `custom.` + the name's letters and digits, lowercased.
//! name = "Zendesk"                      # → custom.zendesk
//! # slug = "zendesk"                    # fixed slug (Paragon keeps it across renames);
//! #                                     # default: derived from the name; paragon-local
//! #                                     # warns at start when a rename strands credentials
//! description = "Read and update tickets."
//! icon = "icon.svg"                     # beside this file (or an inline "<svg …>…</svg>")
//! color = "#03363D"                     # accent color, #RRGGBB
//! # spec = "openapi.json"               # default: openapi.{json,yaml,yml} beside this file
//! # overview = """                      # Markdown the Connect Portal shows (sanitized:
//! # Syncs **tickets**."""               # no raw HTML, event handler or script URL passes)
//!
//! # Steps 2 and 3, authentication: type = "oauth" | "api_key" | "client_credentials" |
//! # "token_exchange" | "none".
//! [auth]
//! type = "oauth"
//! authorization_url = "https://{input.subdomain}.zendesk.com/oauth/authorizations/new"
//! #   a single-page app's route in the fragment ("https://app.example/#/oauth/authorize"):
//! #   the query goes after the route (`#/oauth/authorize?response_type=code&…`)
//! token_url = "https://{input.subdomain}.zendesk.com/oauth/tokens"
//! client_id = "{env.ZENDESK_CLIENT_ID}"         # a reference, never a literal; inputs
//!                                               # for the user's own (self-hosted) OAuth app
//! client_secret = "{env.ZENDESK_CLIENT_SECRET}"
//! scopes = ["read", "write"]
//! scope_separator = " "                 # default " "
//! pkce = false                          # default false (S256 when true)
//! client_auth = "body"                  # "body" (default) | "basic" | "private_key_jwt"
//! # [auth.client_assertion]             # with "private_key_jwt" (oauth, client_credentials):
//! # key = "{env.ZENDESK_PRIVATE_KEY}"   #   PEM private key ({env.*}, or a secret input for
//! # algorithm = "RS256"                 #   client credentials); RS/PS 256-512, ES256/384
//! # key_id = "key-1"                    #   the JWT's `kid` header (optional template)
//! token_encoding = "form"               # "form" (default) | "json" | "query": how the code
//!                                       # exchange, refresh and client credentials send
//!                                       # their parameters
//! # refresh_url = "{credential.instance_url}/oauth/token"  # default: token_url; may use
//! #                                     # captured values (refreshing has a credential)
//! # capture = ["instance_url"]          # token-response values → {credential.instance_url}
//! # callback_capture = ["realmId"]      # values of the redirect back's query (a realm, a
//! #                                     # data centre) → {credential.realmId}; or a table:
//! #   { name = "accounts_server", param = "accounts-server", one_of = ["https://accounts.example.com",
//! #   "https://accounts.example.eu"] }: the query's parameter, and the values allowed (literal
//! #   or {env.*}); or { name = "domain_prefix", kind = "subdomain" }: one DNS label, which may
//! #   stand before a fixed domain (https://{credential.domain_prefix}.example.com). The browser
//! #   can change the query, so only a held value makes a host, and a redirect with another
//! #   value fails. token_url may use callback values.
//! # authorization_url, token_url, refresh_url: also alternatives, the first whose references
//! #   all have values is used, e.g. token_url = ["https://accounts.example.{input.region}/token",
//! #   "{credential.accounts_server}/token"]; each alternative under the host rules
//! # callback_code = "code"              # the redirect back's parameter holding the code
//! # response_type = "code"              # the authorization request's response_type: the
//! #                                     # provider's word for the code ("auth_code"); never
//! #                                     # "token" / "id_token" (tokens in the browser)
//! # authorization_nonce = "nonce"       # an authorization parameter the server fills with
//! #                                     # a fresh random value (256 bits) each time, kept
//! #                                     # nowhere (Hubstaff's `nonce`)
//! # provider_id = "/user/id"            # JSON pointer to the account's id in the token
//! #                                     # response: Paragon's providerId (token_exchange too)
//! # registration_url = "https://mcp.example/register"  # RFC 7591: register a client when a
//! #                                     # user connects, instead of client_id/client_secret
//! # client_name = "Notes"               # the registered client's name; default: `name`
//! # [[auth.after_connect]]: a GET with the new credential before it is stored (any type but
//! #   "none"); url = "/me" (under api.base_url) or an absolute URL on the manifest's host,
//! #   capture = { site = "/site" } → {credential.site}, provider_id = "/account/id"
//! # [auth.authorization_params] / [auth.token_params]: extra parameters (templates, or
//! # alternatives as in [api.headers]), never the flow's own: response_type, client_id,
//! # redirect_uri, state, grant_type (grant_type may go in authorization_params: the
//! # authorization request has none of its own); one whose optional input has no value is
//! # left out
//! # [auth.refresh_params]: sent on refresh instead of token_params (default: token_params)
//! # [auth.authorization_param_names]: the provider's names for response_type, client_id,
//! #   redirect_uri, scope and state on the authorization URL, e.g. client_id = "app_id"
//!
//! # Fields the end user fills in: API keys, a subdomain, a client id and secret…
//! [[inputs]]
//! key = "subdomain"                     # {input.subdomain}
//! label = "Zendesk subdomain"
//! kind = "text"                         # "text" (default) | "password" | "url" | "host" |
//!                                       # "subdomain" | "select"; a host
//!                                       # (`git.example.com:8443/base`) goes right after
//!                                       # `https://` in URL templates; a subdomain is one
//!                                       # DNS label (`acme`: letters, digits, `-`, `_`)
//! required = true                       # default true; an optional input without a
//!                                       # default may have no value: a parameter or
//!                                       # header using it is then left out; anywhere
//!                                       # else (a URL, a credential) it needs a default
//! pattern = "[a-z0-9][a-z0-9-]*"        # must match the whole value
//! secret = false                        # default: true for kind = "password"
//! help = "The part before .zendesk.com"
//! # default = "…"; options = ["…"] (select only)
//!
//! # What the end user configures once connected (Paragon's integration-level user settings),
//! # stored per credential as `sharedSettings` and read as {settings.<key>} by `[api]`
//! # templates and workflows.
//! [[settings]]
//! key = "team"                          # {settings.team}
//! label = "Team"
//! kind = "text"                         # "text" (default) | "url" | "number" | "boolean" |
//!                                       # "select" (options = […]) | "field_mapping"
//!                                       # (fields = ["title", …]: the app's fields, each
//!                                       # mapped to a provider field); no "password": a
//!                                       # secret is an input (encrypted at rest)
//! required = false                      # default false
//! pattern = "[a-z]+"                    # text only; the whole value must match
//! default = "core"                      # in the kind's TOML type: 10, true, "daily"
//! help = "Tickets are filed for this team"
//! # A template may use a setting with a value always (a default, or required), never a
//! # field mapping; like {credential.*}, only where a credential exists ([api], refresh_url).
//!
//! # Step 4, API setup.
//! [api]
//! base_url = "https://{input.subdomain}.zendesk.com/api/v2"
//! # base_url = ["{credential.instance_url}", "https://api.example.com"]  # alternatives: the
//! #                                     # first whose references all have values is used;
//! #                                     # only the last must always have them
//! test_endpoint = "/users/me"           # a path answered by GET
//! allowed_hosts = ["uploads.example.com"]  # optional: other hosts full-URL requests may reach
//! authorization = { type = "bearer", token = "{credential.access_token}" }
//! # { type = "basic", username = "{input.api_key}", password = "X" }
//! #   scheme = "Userkeyauth"            # default "Basic"; "" for the encoded pair alone
//! #   header = "client-auth-token"      # default "Authorization"
//! # { type = "headers", headers = { "X-Api-Key" = "{input.api_key}" } }
//! # { type = "query", params = { api_key = "{input.api_key}" } }
//! # { type = "body", body = { key = "{input.api_key}" } }  # members of every JSON body
//! # { type = "none" }                   # the default only when auth.type = "none"
//! # Beside any type but "none": params = { … } (also in the query), body = { … } (also in
//! # the body), e.g. { type = "bearer", token = "…", params = { shop = "{input.shop}" } }
//!
//! [api.headers]                         # sent with every request (templates)
//! "X-Api-Version" = "2024-01-01"
//! # Alternatives: the first whose references all have values is sent; with none, the header
//! # is left out. A header whose optional input has no value is left out too.
//! "X-Zendesk-Version" = ["{input.api_version}", "2024-01-01"]
//! "X-On-Behalf-Of" = "{input.team}"
//!
//! [tools]                               # optional: the operations AI agents may call
//! allow = ["listTickets", "createTicket"]   # spec operation ids; without it, only GETs
//! ```
//!
//! A fixed header that is not a credential (`Accept`, a version) goes in `[api.headers]`; every
//! value of an `authorization` refers to the credential, an input or an environment secret.
//!
//! Where the credential goes ([`Api::authorizations`]): `type` names one place, and `params`
//! and `body` beside it add others, for APIs that take a key in a header and the account in
//! the query (Judge.me, Quickbase). `type = "body"` (or `body` beside another type) merges its
//! members, templates or tables of more members ([`BodyTemplate`]), into the JSON object body
//! of every `POST`, `PUT`, `PATCH` and `DELETE` as Nango's `proxy.body` does: a request
//! without a body gets an object of these members alone, they win over the caller's members
//! of the same name, a `GET` carries none, and a body that is not a JSON object is refused.
//! A `basic` pair, `base64(username:password)`, may go under another scheme or header
//! (Redtail's `Userkeyauth`, Workday's `ID`, ConnectSecure's bare `client-auth-token`), here
//! and in a token exchange's `basic`:
//!
//! ```toml
//! [api.authorization]
//! type = "body"
//! body = { key = "{input.api_key}", auth = { account = "{input.account}" } }
//!
//! # [api.authorization]
//! # type = "basic"
//! # header = "client-auth-token"
//! # scheme = ""                         # the encoded pair alone
//! # username = "{input.tenant}+{input.username}"
//! # password = "{input.password}"
//! # params = { workspace = "{input.workspace}" }
//! ```
//! A port may come from an input (`https://{input.host_name}:{input.port}/api`), but then only over
//! `https`.
//!
//! URLs must be absolute `https` (`http` only for `127.0.0.0/8`, `::1` and `localhost`); a URL
//! that starts with a reference (`{env.TASKLAB_URL}/v1`) is checked once rendered. In URLs,
//! `input` and `user` values are percent-encoded (except inputs of kind `url`, which are whole
//! URLs, and of kind `host`, which are checked on entry: no userinfo, `?`, `#`, `\`, spaces,
//! scheme or dot segments), so an end user cannot move a request to another host. `{{` and `}}` are literal braces.
//!
//! End users choose inputs, so the `[auth]` URLs keep the app's client secret on the provider's
//! hosts: an OAuth or client-credentials URL whose host comes from an input (or `{user.*}`) is
//! refused unless the manifest names the hosts it may be, or the client id and secret are
//! inputs too (a self-hosted product's own OAuth app). The manifest names them with
//!
//! - a `select` input whose every option makes a valid host (`https://{input.domain}/oauth`
//!   with `options = ["api.example.com", "api.example.eu"]`, or
//!   `https://accounts.example.{input.tld}/oauth` with `options = ["com", "eu"]`);
//! - a value followed by a fixed registrable domain (`https://{input.subdomain}.zendesk.com/…`,
//!   `https://app.{input.region}.intercom.com/…`; not a public suffix such as `.co.uk`), or,
//!   inside a name, a `subdomain` input followed by the rest of the name and the domain
//!   (`https://{input.platform}-api.centrastage.net/…`).
//!
//! A value that chooses the domain itself (`https://api.amazon.{input.tld}` with a text input,
//! a whole host) is refused. An
//! input that lands in a URL path is refused at connect time when it is `.` or `..` in any
//! encoding ([`Manifest::check_input`]).
//!
//! Dynamic client registration (MCP-style servers that know no client in advance): with
//! `registration_url` and without `client_id` / `client_secret`, the server POSTs the client's
//! metadata there as each user connects ([`RegistrationRequest`]: its `client_name`, the
//! server's callback as the only redirect URI, `authorization_code` and `refresh_token`, and
//! `client_secret_post` or `client_secret_basic` after `client_auth`). The issued id and secret
//! belong to that user's credential, as [`REGISTERED_CLIENT_ID`] and
//! [`REGISTERED_CLIENT_SECRET`], and serve the authorization, the code exchange and every
//! refresh:
//!
//! ```toml
//! [auth]
//! type = "oauth"
//! authorization_url = "https://mcp.example/authorize"
//! token_url = "https://mcp.example/token"
//! registration_url = "https://mcp.example/register"
//! scopes = ["read"]
//! pkce = true
//! ```
//!
//! Values read after connecting: some APIs say only once a user has connected where the
//! account lives (a data centre, a site, an instance URL) or who it is. Each
//! `[[auth.after_connect]]` entry ([`AfterConnect`]) is a GET the server makes with the new
//! credential, in file order, before storing it: `url` is a path under `api.base_url` or an
//! absolute URL whose host is the manifest's (a literal or `{env.*}`, never a value a user or
//! the provider chooses); the request carries `api.authorization` and the `[api.headers]` that
//! have values yet. `capture` names JSON pointers (RFC 6901) into the answer, each a text or a
//! number, kept encrypted with the credential as `{credential.<name>}` for the API's templates
//! and later entries; `provider_id` points at the account's id, Paragon's `providerId` (one
//! place in the manifest says where it is). A connection whose answer lacks a value is
//! refused and nothing is stored. `api.authorization` cannot use these values (it authorizes
//! the requests that read them), nor can a base URL under which an entry's path would go:
//!
//! ```toml
//! [[auth.after_connect]]
//! url = "https://login.mailchimp.com/oauth2/metadata"
//! capture = { dc = "/dc" }              # → {credential.dc}
//! provider_id = "/user_id"
//!
//! [api]
//! base_url = "https://{credential.dc}.api.mailchimp.com/3.0"
//! ```
//!
//! Values that may be missing: a request parameter (`[auth.authorization_params]`,
//! `[auth.token_params]`, `[auth.refresh_params]`, a token exchange's `[auth.params]`) or a
//! header (`[api.headers]`, a token exchange's `[auth.headers]`) is a template or an array of
//! alternatives, of which the first whose references all have values is sent. One that
//! refers to an optional input without a default is left out of the request when the user
//! gave no value (an empty one included), rather than sent empty; so are alternatives none
//! of which has values. Where leaving a value out is impossible (a URL's host or path, a
//! client id or secret, `api.authorization`, a grant's username or password) an optional
//! input needs a default, and the validator says so. The user's metadata (`{user.*}`), which
//! the developer sets per user, serves as an override before a fixed value:
//!
//! ```toml
//! [auth.token_params]
//! audience = ["{user.audience}", "https://api.example.com"]   # Auth0, Pax8
//! organization = "{input.organization}"                       # optional: left out if empty
//!
//! [auth.authorization_params]
//! grant_type = "authorization_code"     # Jira Data Center wants it on the authorization URL
//! ```
//!
//! `grant_type` is refused in `token_params` and `refresh_params` (the flow sets it there) but
//! allowed in `authorization_params`: RFC 6749 §4.1.1 gives the authorization request no
//! `grant_type`, so a value there is only ever the provider's own.
//!
//! Client authentication by signed assertion (`private_key_jwt`, RFC 7523 §2.2): with
//! `client_auth = "private_key_jwt"` no client secret exists (one is refused); every token
//! request (code exchange, refresh, client credentials) sends `client_id`,
//! `client_assertion_type = urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and a JWT
//! the server signs with [`ClientAssertion`]'s key: `iss` and `sub` the client id, `aud` the
//! token URL, a five-minute `exp`, a random `jti`, `kid` when `key_id` is set:
//!
//! ```toml
//! [auth]
//! type = "client_credentials"
//! token_url = "https://account.example/oauth2/token"
//! client_id = "{input.client_id}"
//! client_auth = "private_key_jwt"
//!
//! [auth.client_assertion]
//! key = "{env.EXAMPLE_PRIVATE_KEY}"
//! algorithm = "ES256"
//! key_id = "{input.key_id}"
//! ```
//!
//! Client credentials: the end user's client id and secret are inputs, e.g.
//! `client_id = "{input.client_id}"`, and the token is `{credential.access_token}`. The
//! same setup asks with another grant ([`TokenGrant`]): `grant = "password"` (RFC 6749 §4.3)
//! sends the end user's `username` and `password` (templates; the password a secret input),
//! `grant = "refresh_token"` a refresh token the user pasted (`refresh_token`, a secret
//! input); either way the provider's refresh token renews the access token, and without one
//! the grant is asked again:
//!
//! ```toml
//! [auth]
//! type = "client_credentials"
//! grant = "password"                    # "client_credentials" (default) | "password" |
//!                                       # "refresh_token"
//! token_url = "https://erp.example/identity/connect/token"
//! client_id = "{env.ERP_CLIENT_ID}"
//! client_secret = "{env.ERP_CLIENT_SECRET}"
//! username = "{input.username}"
//! password = "{input.password}"         # an input with kind = "password"
//! # expires_in_unit = "milliseconds"    # the token response's expires_in: "seconds"
//! #                                     # (default, RFC 6749) | "milliseconds" (Fiserv)
//! ```
//!
//! Token exchange: the end user's inputs are sent to a URL whose JSON answer holds a token
//! (session tokens traded for an API key or a password). The token is
//! `{credential.access_token}`; the server exchanges again when it expires or the API answers
//! 401. The request's values are templates over inputs and environment secrets. When the
//! answer also holds a refresh token (`refresh_token_path`), `[auth.refresh]` renews the token
//! with it instead ([`ExchangeRefresh`]): its templates may use `{credential.refresh_token}`
//! and must send it; a refresh the provider refuses is final (the user reconnects), and an
//! answer without a refresh token makes the next renewal an exchange again.
//!
//! ```toml
//! [auth]
//! type = "token_exchange"
//! url = "{env.TASKLAB_URL}/auth/session"
//! method = "POST"                       # "POST" (default) | "GET" (parameters in the query)
//! encoding = "json"                     # "form" (default) | "json" | "query"
//! token_path = "/session/token"         # JSON pointer (RFC 6901) into the answer
//! expires_in_path = "/session/expires_in"  # seconds; or expires_at_path (Unix seconds or
//!                                       # RFC 3339), or lifetime = 3600; none: until a 401
//! # basic = { username = "{input.username}", password = "{input.password}" }
//! #                                     # (scheme = "ID", header = "…" as in [api])
//!
//! [auth.params]                         # the request's parameters
//! api_key = "{input.api_key}"
//!
//! # [auth.headers]                      # extra headers on the exchange request
//! # "X-Client-Id" = "{env.EXAMPLE_CLIENT_ID}"
//!
//! # refresh_token_path = "/session/refresh_token"  # JSON pointer to a refresh token
//! # [auth.refresh]                      # sent instead of the exchange when there is one,
//! #                                     # with the exchange's method and encoding
//! # url = "{env.TASKLAB_URL}/auth/session/refresh"  # default: the exchange's url
//! # params = { refresh_token = "{credential.refresh_token}" }  # default: none
//! # headers = { Authorization = "Bearer {credential.refresh_token}" }  # default: the
//! #                                     # exchange's headers (and basic)
//!
//! # capture_headers = { cookies = "set-cookie" }  # the answer's headers → {credential.cookies}:
//! #                                     # "set-cookie" keeps `a=1; b=2` (a Cookie header's
//! #                                     # value), another header its first value
//! ```
//!
//! A manifest with problems:
//!
//! ```
//! let err = paragon_manifest::Manifest::parse("name = \"Demo\"\ncolor = \"blue\"\n", "demo.toml")
//!     .unwrap_err();
//! let text = err.to_string();
//! assert!(text.contains("error: accent color must be `#RRGGBB`\n  --> demo.toml:2:9"));
//! assert!(text.contains("missing field `description`"));
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod after_connect;
mod alternatives;
mod api;
mod auth;
mod callback_value;
mod client_assertion;
mod diagnostic;
mod discover;
mod exchange;
mod files;
mod icon;
mod input;
mod manifest;
mod parse;
mod read_after_connect;
mod read_entries;
mod read_exchange_refresh;
mod read_nonce;
mod read_placements;
mod read_response_type;
mod read_settings;
mod registration;
mod render;
mod secret;
mod setting;
mod template;
mod token_response;
mod tools;
mod url_alternatives;
mod url_rule;
#[cfg(feature = "workflows")]
#[cfg_attr(docsrs, doc(cfg(feature = "workflows")))]
pub mod workflow;

pub use after_connect::AfterConnect;
pub use api::{Api, ApiAuthorization, BodyTemplate, BodyValue, DefaultHeader, RenderedAuth};
pub use auth::{Auth, AuthorizeRequest, ClientAuth, ClientCredentials, OAuth, TokenGrant};
pub use callback_value::CallbackValue;
pub use client_assertion::{ASSERTION_ALGORITHMS, ClientAssertion};
pub use diagnostic::{Diagnostic, Diagnostics, Snippet};
pub use discover::{discover, validate_paths};
pub use exchange::{
    Encoding, ExchangeMethod, ExchangeRefresh, ExchangeRequest, Expiry, TokenExchange,
};
pub use input::{InputError, InputField, InputKind};
pub use manifest::{MANIFEST_FILE, Manifest, slug};
pub use registration::{
    REGISTERED_CLIENT_ID, REGISTERED_CLIENT_SECRET, Registration, RegistrationRequest,
};
pub use render::{ProcessEnv, RenderContext, RenderError, Secrets};
pub use secret::Secret;
pub use setting::{SettingError, SettingField, SettingKind, SettingValue};
pub use template::{Part, Reference, Template, TemplateError};
pub use token_response::ExpiresInUnit;
pub use tools::{AllowedOperation, Tools};
pub use url::Url;
