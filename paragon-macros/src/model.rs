//! Stage 1 (continued): the derive input as a model — which keys were given, once each.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{DeriveInput, Ident, LitStr, Visibility};

use crate::ast::{Entries, Entry, Kind, Value};
use crate::errors::{Errors, closest};

/// Keys that describe the integration inline (they map to manifest fields).
pub(crate) const INLINE_KEYS: &[&str] = &[
    "name",
    "description",
    "icon",
    "color",
    "auth",
    "input",
    "base_url",
    "test_endpoint",
    "authorization",
    "headers",
];

/// Keys about files and generated code.
const FILE_KEYS: &[&str] = &[
    "manifest",
    "spec",
    "tags",
    "operations",
    "path_prefixes",
    "module",
];

/// The derive input: the type and its `#[integration(...)]` entries.
pub(crate) struct Model {
    pub(crate) ident: Ident,
    pub(crate) vis: Visibility,
    /// The whole attribute, for errors about something missing.
    pub(crate) attr_tokens: TokenStream,
    /// Inline entries in source order (`input` may repeat).
    pub(crate) inline: Vec<Entry>,
    pub(crate) manifest: Option<LitStr>,
    pub(crate) spec: Option<Spec>,
}

/// `spec = "…"` and what to keep of it.
pub(crate) struct Spec {
    pub(crate) path: LitStr,
    pub(crate) tags: Vec<String>,
    pub(crate) operations: Vec<String>,
    pub(crate) path_prefixes: Vec<String>,
    pub(crate) module: Option<LitStr>,
}

impl Model {
    /// Reads the derive input, reporting every problem found.
    pub(crate) fn from_input(input: &DeriveInput) -> Result<Model, syn::Error> {
        let mut errors = Errors::default();
        if !input.generics.params.is_empty() {
            errors.push(syn::Error::new_spanned(
                &input.generics,
                "an integration type cannot be generic\nhelp: declare it as a plain type, e.g. `struct GitHub;`",
            ));
        }
        let mut entries = Vec::new();
        let mut attr_tokens = TokenStream::new();
        for attr in input
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("integration"))
        {
            attr_tokens.extend(attr.to_token_stream());
            match attr.parse_args::<Entries>() {
                Ok(Entries(list)) => entries.extend(list),
                Err(e) => errors.push(e),
            }
        }
        if attr_tokens.is_empty() {
            errors.push(syn::Error::new_spanned(
                &input.ident,
                "missing `#[integration(...)]`\nhelp: add e.g. #[integration(name = \"GitHub\", base_url = \"https://api.github.com\", ...)] or #[integration(manifest = \"specs/github/integration.toml\")]",
            ));
            attr_tokens = input.ident.to_token_stream();
        }

        let mut seen: HashMap<String, proc_macro2::Span> = HashMap::new();
        let mut inline = Vec::new();
        let mut file: HashMap<String, Entry> = HashMap::new();
        for entry in entries {
            let known_inline = INLINE_KEYS.contains(&entry.key.as_str());
            let known_file = FILE_KEYS.contains(&entry.key.as_str());
            if !known_inline && !known_file {
                let all: Vec<&str> = INLINE_KEYS.iter().chain(FILE_KEYS).copied().collect();
                let help = match closest(&entry.key, &all) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("expected one of: {}", all.join(", ")),
                };
                errors.push(syn::Error::new(
                    entry.key_span,
                    format!("unknown key `{}`\nhelp: {help}", entry.key),
                ));
                continue;
            }
            if entry.key != "input" && seen.contains_key(&entry.key) {
                errors.push(syn::Error::new(
                    entry.key_span,
                    format!(
                        "duplicate key `{}`\nhelp: give each key once; remove this one",
                        entry.key
                    ),
                ));
                continue;
            }
            seen.insert(entry.key.clone(), entry.key_span);
            if known_inline {
                inline.push(entry);
            } else {
                file.insert(entry.key.clone(), entry);
            }
        }

        let string = |key: &str, errors: &mut Errors| -> Option<LitStr> {
            let entry = file.get(key)?;
            match &entry.value.kind {
                Kind::Str(s) => Some(s.clone()),
                _ => {
                    errors.push(syn::Error::new_spanned(
                        &entry.value.tokens,
                        format!("`{key}` takes a string, e.g. {key} = \"{}\"", example(key)),
                    ));
                    None
                }
            }
        };
        let manifest = string("manifest", &mut errors);
        let spec_path = string("spec", &mut errors);
        let module = string("module", &mut errors);
        if let Some(m) = &module
            && syn::parse_str::<Ident>(&m.value()).is_err()
        {
            errors.push(syn::Error::new(
                m.span(),
                "`module` must be a Rust identifier\nhelp: e.g. module = \"github\"",
            ));
        }
        let list = |key: &str, errors: &mut Errors| -> Vec<String> {
            let Some(entry) = file.get(key) else {
                return Vec::new();
            };
            strings(&entry.value).unwrap_or_else(|| {
                errors.push(syn::Error::new_spanned(
                    &entry.value.tokens,
                    format!(
                        "`{key}` takes a list of strings, e.g. {key} = [\"{}\"]",
                        example(key)
                    ),
                ));
                Vec::new()
            })
        };
        let tags = list("tags", &mut errors);
        let operations = list("operations", &mut errors);
        let path_prefixes = list("path_prefixes", &mut errors);
        if spec_path.is_none() {
            for key in ["tags", "operations", "path_prefixes", "module"] {
                if let Some(entry) = file.get(key) {
                    errors.push(syn::Error::new(
                        entry.key_span,
                        format!("`{key}` applies to the operations of a spec, and no `spec` is given\nhelp: add spec = \"specs/<name>/openapi.json\", or remove `{key}`"),
                    ));
                }
            }
        }
        if manifest.is_some() {
            for entry in &inline {
                errors.push(syn::Error::new(
                    entry.key_span,
                    format!(
                        "`{}` comes from the manifest file\nhelp: set it in the manifest, or remove `manifest = ...` to declare the integration inline",
                        entry.key
                    ),
                ));
            }
        }
        let spec = spec_path.map(|path| Spec {
            path,
            tags,
            operations,
            path_prefixes,
            module,
        });
        errors.finish()?;
        Ok(Model {
            ident: input.ident.clone(),
            vis: input.vis.clone(),
            attr_tokens,
            inline,
            manifest,
            spec,
        })
    }
}

fn strings(value: &Value) -> Option<Vec<String>> {
    match &value.kind {
        Kind::Array(items) => items
            .iter()
            .map(|v| match &v.kind {
                Kind::Str(s) => Some(s.value()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn example(key: &str) -> &'static str {
    match key {
        "manifest" => "specs/github/integration.toml",
        "spec" => "specs/github/openapi.json",
        "module" => "github",
        "tags" => "repos",
        "operations" => "repos/get",
        _ => "/repos",
    }
}
