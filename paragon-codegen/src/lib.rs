//! Typed Rust clients from an integration manifest and the provider's OpenAPI spec; every call
//! goes through `paragon-sdk`'s proxy request.
//!
//! In a build script (depend on this crate with `default-features = false` to skip the CLI):
//!
//! ```no_run
//! // build.rs: `fn main()` holds
//! if let Err(errors) = paragon_codegen::Generator::new("specs/github").tag("repos").generate() {
//!     eprintln!("{errors}");
//!     std::process::exit(1);
//! }
//! ```
//!
//! and in the crate, one line: `include!(concat!(env!("OUT_DIR"), "/github.rs"));` then
//!
//! ```ignore
//! let github = github::Client::new(paragon.user("alice"));
//! let repos = github.repos_list_for_user("octocat").per_page(50).await?;
//! ```
//!
//! Every builder can also be sent with `.send_with_response()`, for a
//! `paragon_sdk::OperationResponse<T>`: the provider's status and headers (`Link`, rate limits,
//! a documented redirect's `Location`) beside the typed body.
//!
//! # Pagination
//!
//! A list operation's builder also offers `.pages(max_pages)` and `.items(max_items)`, streams
//! that fetch the next page until there is none or the cap is reached. Detection is
//! conservative: a `GET` with a JSON success body whose items are the body (an array) or the
//! body's only array property, and one of these, checked in this order:
//!
//! 1. a next cursor: a string property `next_cursor`, `nextCursor`, `next_page_token`,
//!    `nextPageToken`, `next_token` or `nextToken` in the body, with a string query parameter
//!    `cursor`, `page_token`, `pageToken`, `next_token`, `nextToken` or `after`, which the next
//!    request sets to it, until it is absent or empty;
//! 2. a next URL: a string property `next`, `next_url`, `nextUrl`, `next_link`, `nextLink` or
//!    `@odata.nextLink` in the body, which the next request goes to (through the proxy's
//!    full-URL form), until it is absent or empty;
//! 3. a page number: an integer query parameter `page` (GitHub's list operations): the next
//!    request follows the answer's RFC 8288 `Link: rel="next"`; an answer with a `Link` header
//!    but no `next` is the last; without a `Link` header the next request asks for `page + 1`,
//!    until a page is empty.
//!
//! Anything else gets no streams (an array with a `cursor` parameter but no cursor in the
//! answer, say), and the methods' doc says which rule matched. The streams send like
//! `send_with_response()`, since `Link` is the provider's header; an empty page ends
//! `items()`.
//!
//! Without a manifest, from a bare spec, as a module file:
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("paragon-codegen-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let spec = dir.join("pets.yaml");
//! std::fs::write(&spec, r##"
//! openapi: 3.0.3
//! info: { title: Pets, version: "1" }
//! paths:
//!   /pets/{id}:
//!     get:
//!       operationId: getPet
//!       parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
//!       responses:
//!         "200":
//!           description: ok
//!           content: { application/json: { schema: { $ref: "#/components/schemas/Pet" } } }
//! components:
//!   schemas:
//!     Pet: { type: object, required: [name], properties: { name: { type: string } } }
//! "##)?;
//! let generated = paragon_codegen::Generator::from_spec(&spec, "Pets").render()?;
//! assert!(generated.source.contains("pub fn get_pet(&self, id: impl Into<String>)"));
//! assert!(generated.source.contains("pub const INTEGRATION: &str = \"custom.pets\";"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The pipeline, one module per stage: `load` (JSON/YAML, sibling-file refs) → `normalize`
//! (OpenAPI 3.1 shapes to 3.0) → `lower` (spec → IR: `lower::schemas` builds named Rust types,
//! `lower::operations` one operation each from its parameters, body and responses) → `ir` (the
//! types and operations, neither spec nor tokens) → `cycles` and `serde_direction` (analyses of
//! the IR: what to box, which serde traits each type derives) → `emit` (IR → tokens: `types`,
//! `builders`; then syn + prettyplease). Errors are
//! [`paragon_manifest::Diagnostics`], printed compiler style. What a published spec gets wrong
//! in one corner (a `$ref` that does not resolve, a cycle of `$ref`s, a repeated `operationId`)
//! is a warning instead, in [`Generated::warnings`] and in a comment at the affected item, and
//! the rest generates.
//!
//! The spec's own examples test the generated types: see [`conformance`] and
//! `scripts/conformance.sh`.
#![forbid(unsafe_code)]

pub mod conformance;
mod cycles;
mod emit;
mod filters;
mod generator;
mod ir;
mod load;
mod lower;
mod names;
mod normalize;
mod pagination;
#[cfg(feature = "cli")]
pub mod paragraph;
mod refs;
mod serde_direction;
mod servers;
mod suggest;
mod tools;
mod yaml;

pub use generator::{Conformance, Generated, Generator};
pub use paragon_manifest::{Diagnostic, Diagnostics};
pub use tools::{
    Location, MAX_NAME_LEN, Tool, ToolBody, ToolGenerator, ToolInput, ToolLimits, ToolRequest,
    ToolSet,
};
