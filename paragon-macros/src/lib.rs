//! Declare a Paragon custom integration in Rust source and get a typed client at compile time.
//!
//! `#[derive(Integration)]` implements `paragon_sdk::Integration` (the `custom.` name, the
//! test endpoint, the definition) from attributes or from a manifest file, and
//! `#[endpoints(Type)]` turns a trait of annotated `async fn`s into a typed client:
//!
//! ```no_run
//! use paragon_macros::{Integration, endpoints};
//! use paragon_sdk::{Integration as _, Paragon};
//!
//! #[derive(Integration)]
//! #[integration(
//!     name = "GitHub",
//!     base_url = "https://api.github.com",
//!     test_endpoint = "/user",
//!     auth = oauth2(
//!         authorization_url = "https://github.com/login/oauth/authorize",
//!         token_url = "https://github.com/login/oauth/access_token",
//!         client_id = "{env.GITHUB_CLIENT_ID}",
//!         client_secret = "{env.GITHUB_CLIENT_SECRET}",
//!         scopes = ["read:user", "repo"],
//!     ),
//!     authorization = bearer(token = "{credential.access_token}"),
//!     headers("Accept" = "application/vnd.github+json"),
//! )]
//! struct GitHub;
//!
//! #[derive(serde::Deserialize)]
//! struct User { login: String }
//!
//! #[derive(serde::Serialize)]
//! struct NewIssue { title: String }
//!
//! #[derive(serde::Deserialize)]
//! struct Issue { number: u64 }
//!
//! /// GitHub's REST API, as much as this app needs.
//! #[endpoints(GitHub)]
//! trait GitHubApi {
//!     /// A user by login.
//!     #[get("/users/{username}")]
//!     async fn user(&self, username: &str) -> User;
//!
//!     #[post("/repos/{owner}/{repo}/issues")]
//!     async fn create_issue(&self, owner: &str, repo: &str, #[body] issue: &NewIssue) -> Issue;
//! }
//!
//! # async fn run() -> paragon_sdk::Result<()> {
//! assert_eq!(GitHub::NAME, "custom.github");
//! let paragon = Paragon::from_env().user("alice");
//! let octocat = GitHub::client(&paragon).user("octocat").await?;
//! println!("{}", octocat.login);
//! let issue = GitHub::client(&paragon)
//!     .create_issue("octocat", "hello", &NewIssue { title: "Hi".into() })
//!     .await?;
//! println!("#{}", issue.number);
//! # Ok(()) }
//! ```
//!
//! # The attribute
//!
//! Every manifest field (see `paragon-manifest`) has an attribute form, validated by the same
//! rules — a mistake is a compile error on the attribute that wrote it:
//!
//! | attribute | manifest |
//! |---|---|
//! | `name`, `description`, `icon`, `color` | the same top-level fields |
//! | `auth = oauth2(...)` / `client_credentials(...)` / `api_key` / `none` | `[auth]`, `type` and its fields |
//! | `input(key = "...", label = "...", ...)`, repeated | one `[[inputs]]` each |
//! | `base_url`, `test_endpoint` | `[api]` fields |
//! | `authorization = bearer(token = ...)` / `basic(...)` / `headers("X-Key" = ...)` / `query(key = ...)` / `body(key = ..., auth(account = ...))` / `none`; `params(...)` / `body(...)` inside another type, `scheme = ...` / `header = ...` inside `basic(...)` | `api.authorization` |
//! | `headers("Accept" = "...")` | `[api.headers]` |
//!
//! Inline, `description` defaults to `"The <name> integration."`, `color` to `#4B5563` and
//! `icon` to a neutral icon shipped with this crate; `icon = "assets/github.svg"` is relative
//! to the crate's folder (`CARGO_MANIFEST_DIR`). Either way the icon is written inline in
//! `definition_toml()`, so the definition parses from anywhere.
//!
//! From files, instead: `#[integration(manifest = "specs/github/integration.toml")]`. Add
//! `spec = "specs/github/openapi.json"` (optionally `tags = [...]`, `operations = [...]`,
//! `path_prefixes = [...]`, `module = "github"`) for the typed operations `paragon-codegen`
//! generates, in a module named after the type (`GitHub` → `git_hub`, or `module`), with
//! `GitHub::client(&paragon)` returning its `Client`. Paths are relative to the crate's folder;
//! editing a file read recompiles the crate.
//!
//! # Endpoints
//!
//! In an `#[endpoints(Type)]` trait each method is `async fn name(&self, ...) -> T;` with one of
//! `#[get]`, `#[post]`, `#[put]`, `#[patch]`, `#[delete]`, `#[head]`, `#[options]` and a path
//! relative to the base URL. `{param}`s bind to arguments of the same name (any `Display`
//! type, percent-encoded as one segment); a `#[body]` argument is sent as JSON and a `#[query]`
//! argument (anything `serde` encodes as a form) as query parameters. The method returns
//! `paragon_sdk::Result<T>`, decoding the JSON answer (`T = ()` ignores it). The trait becomes
//! a client struct of the same name, and `Type::client(&paragon)` returns it — so a type has
//! either an `#[endpoints]` trait or a `spec`, not both.
//!
//! Your own types need serde's derive: a `#[body]` or `#[query]` argument's type
//! `#[derive(serde::Serialize)]`, a return type `#[derive(serde::Deserialize)]` (add `serde` with
//! its `derive` feature to your `Cargo.toml`). Without it the compiler reports that the type
//! does not implement `Serialize` or `DeserializeOwned` at the argument or return type. A GET or
//! HEAD endpoint takes no `#[body]` (send the fields as `#[query]`), and a misspelled method
//! attribute (`#[gett]`) is reported where it is written, with the method it probably meant.
//!
//! # Tools for AI agents
//!
//! `#[endpoints(Type, tools)]` (with `paragon-sdk`'s `tools` feature) also implements
//! `paragon_sdk::EndpointSpec` for the type: `Type::openapi()` is an OpenAPI 3.1 document of
//! the endpoints (operation id = the method's name, summary and description = its doc comment,
//! path parameters, one query parameter per field of a `#[query]` type, the `#[body]` type as
//! a JSON body), with JSON Schemas from `schemars`, which the local server turns into tools as
//! it does a provider's spec. Every argument and body type then needs
//! `#[derive(schemars::JsonSchema)]`; a missing one is reported at the type. Without `tools`
//! nothing needs it. An endpoint of a `tools` trait cannot have type parameters.
//!
//! The expansion names only `::paragon_sdk` and `::std` paths: depending on `paragon-sdk` is
//! enough.
#![forbid(unsafe_code)]

mod ast;
mod endpoint_spec;
mod endpoints;
mod errors;
mod expand;
mod inline;
mod model;
mod valid;

use proc_macro::TokenStream;

/// Implements `paragon_sdk::Integration` from `#[integration(...)]`; see the
/// [crate documentation](crate).
#[proc_macro_derive(Integration, attributes(integration))]
pub fn derive_integration(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive(&input)
        .unwrap_or_else(|e| fallback(&input, e))
        .into()
}

/// On a mistake, the error and beside it the trait impl with empty values, as thiserror does:
/// the type's other uses (`GitHub::NAME`, `paragon.integration::<GitHub>()`) still compile, so
/// only the real mistake is reported, not four follow-on errors wherever the type is used.
fn fallback(input: &syn::DeriveInput, error: syn::Error) -> proc_macro2::TokenStream {
    let error = error.into_compile_error();
    if !input.generics.params.is_empty() {
        return error;
    }
    let ident = &input.ident;
    quote::quote! {
        #error
        impl ::paragon_sdk::Integration for #ident {
            const NAME: &'static str = "";
            const TEST_ENDPOINT: &'static str = "";
        }
    }
}

fn derive(input: &syn::DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let model = model::Model::from_input(input)?;
    let checked = valid::check(&model)?;
    Ok(expand::integration(&model, &checked))
}

/// Turns a trait of annotated `async fn`s into a typed client for an integration type:
/// `#[endpoints(GitHub)] trait GitHubApi { ... }`; see the [crate documentation](crate).
#[proc_macro_attribute]
pub fn endpoints(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = syn::parse_macro_input!(item as syn::ItemTrait);
    endpoints::expand(attr.into(), item)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

#[cfg(test)]
mod tests;
