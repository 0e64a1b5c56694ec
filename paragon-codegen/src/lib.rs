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
//! (OpenAPI 3.1 shapes to 3.0) → `ir` (named Rust types from schemas) → `types` and
//! `operations` (tokens) → `render` (syn + prettyplease). Errors are
//! [`paragon_manifest::Diagnostics`], printed compiler style. What a published spec gets wrong
//! in one corner (a `$ref` that does not resolve, a cycle of `$ref`s, a repeated `operationId`)
//! is a warning instead, in [`Generated::warnings`] and in a comment at the affected item, and
//! the rest generates.
#![forbid(unsafe_code)]

mod allof;
mod generator;
mod ir;
mod load;
mod names;
mod normalize;
mod operations;
mod refs;
mod render;
mod servers;
mod suggest;
mod types;
mod yaml;

pub use generator::{Generated, Generator};
pub use paragon_manifest::{Diagnostic, Diagnostics};
