//! Stage 2: validation by `paragon-manifest` (and generation by `paragon-codegen`), with every
//! problem turned into a compile error at the tokens that caused it.

use std::path::{Path, PathBuf};

use paragon_codegen::Generator;
use paragon_manifest::{Diagnostic, Manifest};
use proc_macro2::TokenStream;
use syn::{Ident, LitStr};

use crate::errors::Errors;
use crate::inline;
use crate::model::{Model, Spec};

/// A validated integration: what the expansion needs.
pub(crate) struct Checked {
    pub(crate) slug: String,
    pub(crate) test_endpoint: String,
    pub(crate) definition: Definition,
    /// Files read: the expansion makes the crate depend on them, so edits recompile it.
    pub(crate) tracked: Vec<PathBuf>,
    pub(crate) client: Option<Client>,
}

/// Where the manifest text comes from.
pub(crate) enum Definition {
    /// Built from the attributes.
    Text(String),
    /// A manifest file (absolute path).
    File(PathBuf),
}

/// The typed operations generated from a spec.
pub(crate) struct Client {
    pub(crate) module: Ident,
    pub(crate) items: TokenStream,
}

pub(crate) fn check(model: &Model) -> syn::Result<Checked> {
    let (manifest, definition) = match &model.manifest {
        Some(lit) => {
            let path = crate_dir(lit.span())?.join(lit.value());
            if !path.exists() {
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "the manifest `{}` does not exist\nhelp: paths are relative to the crate's folder (CARGO_MANIFEST_DIR); name an integration.toml or its folder",
                        lit.value()
                    ),
                ));
            }
            let manifest = Manifest::load(&path)
                .map_err(|diags| file_errors(lit, "invalid manifest", diags.0.iter(), &path))?;
            let file = manifest.file().to_path_buf();
            (manifest, Definition::File(file))
        }
        None => inline_manifest(model)?,
    };
    let mut tracked = Vec::new();
    if let Definition::File(f) = &definition {
        tracked.push(f.clone());
    }
    if let Some(icon) = manifest.icon_path() {
        tracked.push(icon.to_path_buf());
    }
    let client = match &model.spec {
        Some(spec) => {
            let (client, files) = generate(model, spec, &manifest)?;
            tracked.extend(files);
            Some(client)
        }
        None => None,
    };
    tracked.sort();
    tracked.dedup();
    Ok(Checked {
        slug: manifest.slug(),
        test_endpoint: manifest.test_endpoint().to_owned(),
        definition,
        tracked,
        client,
    })
}

/// Builds the manifest from the attributes and validates it, pointing each problem at the
/// attribute that wrote the field.
fn inline_manifest(model: &Model) -> syn::Result<(Manifest, Definition)> {
    let toml = inline::to_toml(&model.inline)?;
    // A user's icon file is relative to the crate; the default icon is written inline.
    let dir = if toml.has_icon_file() {
        crate_dir(proc_macro2::Span::call_site())?
    } else {
        PathBuf::new()
    };
    match Manifest::parse(&toml.text, dir.join("integration.toml")) {
        Ok(m) => {
            let text = toml.with_inline_icon(m.icon_svg());
            Ok((m, Definition::Text(text)))
        }
        Err(diags) => {
            let mut errors = Errors::default();
            for d in diags.0.iter() {
                let tokens = toml.tokens_for(&d.field).unwrap_or(&model.attr_tokens);
                let mut message = d.message.clone();
                if let Some(help) = attribute_help(&d.field, d.help.as_deref()) {
                    message.push_str("\nhelp: ");
                    message.push_str(&help);
                }
                errors.push(syn::Error::new_spanned(tokens, message));
            }
            errors.finish()?;
            Err(syn::Error::new_spanned(
                &model.attr_tokens,
                "the integration is invalid",
            ))
        }
    }
}

/// The manifest's help, reworded where it speaks of TOML tables.
fn attribute_help(field: &str, help: Option<&str>) -> Option<String> {
    let reworded = match field {
        "auth" => {
            "add e.g. `auth = oauth2(...)`, `auth = client_credentials(...)`, `auth = api_key` or `auth = none`"
        }
        "inputs" => "add e.g. `input(key = \"api_key\", label = \"API key\", kind = \"password\")`",
        "api.authorization" if help.is_some_and(|h| h.contains("say how requests")) => {
            "say how requests are authorized, e.g. `authorization = bearer(token = \"{credential.access_token}\")` or `authorization = headers(\"X-Api-Key\" = \"{input.api_key}\")`"
        }
        _ => return help.map(inputs_as_attribute),
    };
    Some(reworded.to_owned())
}

/// `[[inputs]] key = "api_key"` (manifest syntax) → `input(key = "api_key", ...)`.
fn inputs_as_attribute(help: &str) -> String {
    const TOML: &str = "[[inputs]] key = ";
    match help.find(TOML) {
        Some(at) => {
            let rest = &help[at + TOML.len()..];
            let end = rest[1..].find('"').map_or(rest.len(), |i| i + 2);
            format!(
                "{}`input(key = {}, label = \"...\")`{}",
                &help[..at],
                &rest[..end],
                &rest[end..]
            )
        }
        None => help.to_owned(),
    }
}

/// Runs the code generator over the spec.
fn generate(
    model: &Model,
    spec: &Spec,
    manifest: &Manifest,
) -> syn::Result<(Client, Vec<PathBuf>)> {
    let dir = crate_dir(spec.path.span())?;
    let path = dir.join(spec.path.value());
    if !path.is_file() {
        return Err(syn::Error::new(
            spec.path.span(),
            format!(
                "the spec `{}` does not exist\nhelp: paths are relative to the crate's folder (CARGO_MANIFEST_DIR)",
                spec.path.value()
            ),
        ));
    }
    let module = match &spec.module {
        Some(m) => m.value(),
        None => heck::ToSnakeCase::to_snake_case(model.ident.to_string().as_str()),
    };
    let mut generator = match &model.manifest {
        Some(_) => Generator::new(manifest.file()).spec(&path),
        None => Generator::from_spec(&path, manifest.name()),
    };
    generator = generator.module_name(&module);
    for tag in &spec.tags {
        generator = generator.tag(tag);
    }
    for op in &spec.operations {
        generator = generator.operation(op);
    }
    for prefix in &spec.path_prefixes {
        generator = generator.path_prefix(prefix);
    }
    let generated = generator
        .render()
        .map_err(|diags| file_errors(&spec.path, "invalid spec", diags.0.iter(), &path))?;
    // Lexing is enough (the generator already parsed it); a full syn parse would double the cost.
    let items: TokenStream = generated.source.parse().map_err(|e| {
        syn::Error::new(
            spec.path.span(),
            format!("paragon-codegen produced code that does not lex: {e}"),
        )
    })?;
    let module = Ident::new(&module, spec.path.span());
    Ok((Client { module, items }, generated.files))
}

/// One compile error per diagnostic, at `lit`, each naming its own file, line and column.
fn file_errors<'d>(
    lit: &LitStr,
    what: &str,
    diags: impl Iterator<Item = &'d Diagnostic>,
    path: &Path,
) -> syn::Error {
    let base = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let shown = |p: &Path| -> String {
        let p = if p.as_os_str().is_empty() { path } else { p };
        base.as_deref()
            .and_then(|b| p.strip_prefix(b).ok())
            .unwrap_or(p)
            .display()
            .to_string()
    };
    let mut errors = Errors::default();
    for d in diags {
        let at = if d.line == 0 {
            shown(&d.file)
        } else {
            format!("{}:{}:{}", shown(&d.file), d.line, d.column)
        };
        let field = if d.field.is_empty() {
            String::new()
        } else {
            format!(" (field `{}`)", d.field)
        };
        let mut message = format!("{what}: {at}: {}{field}", d.message);
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        errors.push(syn::Error::new(lit.span(), message));
    }
    if errors.is_empty() {
        errors.push(syn::Error::new(
            lit.span(),
            format!("{what}: {}", shown(path)),
        ));
    }
    match errors.finish() {
        Err(e) => e,
        Ok(()) => syn::Error::new(lit.span(), what.to_owned()),
    }
}

/// The folder of the crate being compiled: relative paths in the attribute start there.
fn crate_dir(span: proc_macro2::Span) -> syn::Result<PathBuf> {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| {
            syn::Error::new(
                span,
                "CARGO_MANIFEST_DIR is not set\nhelp: build with cargo, or give paths from the crate root",
            )
        })
}
