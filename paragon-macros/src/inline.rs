//! Stage 2a: inline attributes → manifest TOML, remembering which tokens wrote each field.
//!
//! The manifest crate is the one place that knows the rules; this module only translates, so
//! its diagnostics (by field path, e.g. `auth.token_url`) can be pointed back at the attribute.

use std::fmt::Write as _;

use proc_macro2::TokenStream;

use crate::ast::{Entry, Kind, Value};
use crate::errors::Errors;

/// Shown when the attribute gives no `color`.
pub(crate) const DEFAULT_COLOR: &str = "#4B5563";
/// The neutral icon used when the attribute gives no `icon`, written inline so the definition
/// needs no file (and no path baked in when this crate was compiled).
pub(crate) const DEFAULT_ICON: &str = include_str!("../assets/default-icon.svg");

/// Generated manifest text and the tokens behind each field path.
pub(crate) struct Toml {
    pub(crate) text: String,
    /// The line naming the user's icon file (`icon = "assets/github.svg"`), if any.
    icon_line: Option<String>,
    spans: Vec<(String, TokenStream)>,
}

impl Toml {
    /// Whether the attribute names an icon file (relative to the crate's folder).
    pub(crate) fn has_icon_file(&self) -> bool {
        self.icon_line.is_some()
    }

    /// The text with the icon file's SVG written inline, so the definition is self-contained.
    pub(crate) fn with_inline_icon(&self, svg: &str) -> String {
        let Some(icon_line) = &self.icon_line else {
            return self.text.clone();
        };
        let inline = format!("icon = {}", toml_string(svg));
        let mut replaced = false;
        let mut out = String::with_capacity(self.text.len() + svg.len());
        for line in self.text.lines() {
            if !replaced && line == icon_line {
                out.push_str(&inline);
                replaced = true;
            } else {
                out.push_str(line);
            }
            out.push('\n');
        }
        out
    }

    /// The tokens that wrote `field`, or its closest recorded parent (`auth.token_url` → `auth`).
    pub(crate) fn tokens_for(&self, field: &str) -> Option<&TokenStream> {
        let mut field = field;
        loop {
            if let Some((_, t)) = self.spans.iter().find(|(f, _)| f == field) {
                return Some(t);
            }
            let cut = field.rfind(['.', '['])?;
            field = &field[..cut];
        }
    }
}

/// Translates the inline entries. Values that have no TOML form (a bare word where a string
/// is expected) are reported here; everything else is left to the manifest's validation.
pub(crate) fn to_toml(entries: &[Entry]) -> syn::Result<Toml> {
    let mut w = Writer::default();
    let mut root = String::new();
    let mut auth = None;
    let mut inputs = Vec::new();
    let mut api = String::new();
    let mut name = None;
    let has = |k: &str| entries.iter().any(|e| e.key == k);
    let (has_description, has_icon, has_color) = (has("description"), has("icon"), has("color"));
    let mut icon_line = None;

    for entry in entries {
        let key = entry.key.as_str();
        match key {
            "name" | "description" | "icon" | "color" => {
                if key == "name"
                    && let Kind::Str(s) = &entry.value.kind
                {
                    name = Some(s.value());
                }
                let v = w.value(key, &entry.value);
                if key == "icon" {
                    icon_line = Some(format!("icon = {v}"));
                }
                writeln!(root, "{key} = {v}").ok();
                w.record(key, &entry.tokens);
            }
            "base_url" | "test_endpoint" => {
                let path = format!("api.{key}");
                let v = w.value(&path, &entry.value);
                writeln!(api, "{key} = {v}").ok();
                w.record(&path, &entry.tokens);
            }
            "auth" => {
                w.record("auth", &entry.tokens);
                auth = Some(w.typed("auth", &entry.value, None, |t| match t {
                    "oauth2" => "oauth",
                    other => other,
                }));
            }
            "authorization" => {
                let path = "api.authorization";
                w.record(path, &entry.tokens);
                let table = w.typed(
                    path,
                    &entry.value,
                    Some(&|ty| match ty {
                        "headers" => Some("headers"),
                        "query" => Some("params"),
                        "body" => Some("body"),
                        _ => None,
                    }),
                    |t| t,
                );
                writeln!(api, "authorization = {table}").ok();
            }
            "headers" => {
                let path = "api.headers";
                w.record(path, &entry.tokens);
                match &entry.value.kind {
                    Kind::Table(list) => {
                        let table = w.table(path, list);
                        writeln!(api, "headers = {table}").ok();
                    }
                    _ => w.errors.push(syn::Error::new_spanned(
                        &entry.value.tokens,
                        "write the default headers as `headers(\"Accept\" = \"application/json\")`",
                    )),
                }
            }
            "input" => {
                let path = format!("inputs[{}]", inputs.len());
                w.record(&path, &entry.tokens);
                match &entry.value.kind {
                    Kind::Table(list) => inputs.push(w.table(&path, list)),
                    _ => w.errors.push(syn::Error::new_spanned(
                        &entry.value.tokens,
                        "write an input as `input(key = \"api_key\", label = \"API key\", kind = \"password\")`",
                    )),
                }
            }
            _ => {}
        }
    }

    let mut text = String::from("# Declared with #[derive(Integration)].\n");
    text.push_str(&root);
    if !has_description && let Some(name) = &name {
        writeln!(
            text,
            "description = {}",
            toml_string(&format!("The {name} integration."))
        )
        .ok();
    }
    if !has_icon {
        writeln!(text, "icon = {}", toml_string(DEFAULT_ICON)).ok();
    }
    if !has_color {
        writeln!(text, "color = {}", toml_string(DEFAULT_COLOR)).ok();
    }
    // Tables are built as inline tables, then written one field per line.
    if let Some(auth) = auth {
        writeln!(text, "\n[auth]").ok();
        for line in split_inline(&auth) {
            writeln!(text, "{line}").ok();
        }
    }
    for input in &inputs {
        writeln!(text, "\n[[inputs]]").ok();
        for line in split_inline(input) {
            writeln!(text, "{line}").ok();
        }
    }
    writeln!(text, "\n[api]\n{api}").ok();
    w.errors.finish()?;
    Ok(Toml {
        text: text.trim_end().to_owned() + "\n",
        icon_line,
        spans: w.spans,
    })
}

#[derive(Default)]
struct Writer {
    spans: Vec<(String, TokenStream)>,
    errors: Errors,
}

type Nest<'a> = Option<&'a dyn Fn(&str) -> Option<&'static str>>;

impl Writer {
    fn record(&mut self, field: &str, tokens: &TokenStream) {
        self.spans.push((field.to_owned(), tokens.clone()));
    }

    /// `word` or `word(entries)` → `{ type = "word", … }`. `nest`: for some types the
    /// arguments are a map under one key (`headers("X-Api-Key" = …)` → `headers = { … }`).
    fn typed(
        &mut self,
        path: &str,
        value: &Value,
        nest: Nest<'_>,
        rename: impl Fn(&str) -> &str,
    ) -> String {
        let (word, args) = match &value.kind {
            Kind::Word(w) => (w, &[][..]),
            Kind::Call(w, args) => (w, &args[..]),
            _ => {
                let example = if path == "auth" {
                    "auth = oauth2(...), auth = client_credentials(...), auth = api_key or auth = none"
                } else {
                    "authorization = bearer(token = \"{credential.access_token}\"), headers(\"X-Api-Key\" = \"{input.api_key}\"), query(...), basic(...), body(...) or none"
                };
                let found = match &value.kind {
                    Kind::Str(s) => format!(", not the string \"{}\"", s.value()),
                    _ => String::new(),
                };
                self.errors.push(syn::Error::new_spanned(
                    &value.tokens,
                    format!(
                        "`{}` takes a method name{found}\nhelp: write e.g. {example}",
                        path.rsplit('.').next().unwrap_or(path)
                    ),
                ));
                return "{}".into();
            }
        };
        let ty = rename(&word.to_string()).to_owned();
        let type_path = format!("{path}.type");
        self.record(&type_path, &quote::quote!(#word));
        let mut out = format!("{{ type = {}", toml_string(&ty));
        let nested = nest.and_then(|f| f(&ty));
        match nested {
            Some(key) if !args.iter().any(|e| e.key == key) && !args.is_empty() => {
                let sub = format!("{path}.{key}");
                self.record(&sub, &value.tokens);
                let table = self.table(&sub, args);
                write!(out, ", {key} = {table}").ok();
            }
            _ => {
                let body = self.entries(path, args);
                if !body.is_empty() {
                    write!(out, ", {body}").ok();
                }
            }
        }
        out.push_str(" }");
        out
    }

    fn table(&mut self, path: &str, entries: &[Entry]) -> String {
        format!("{{ {} }}", self.entries(path, entries))
    }

    fn entries(&mut self, path: &str, entries: &[Entry]) -> String {
        let mut seen: Vec<&str> = Vec::new();
        let mut parts = Vec::new();
        for e in entries {
            if seen.contains(&e.key.as_str()) {
                self.errors.push(syn::Error::new(
                    e.key_span,
                    format!(
                        "duplicate key `{}`\nhelp: give each key once; remove this one",
                        e.key
                    ),
                ));
                continue;
            }
            seen.push(&e.key);
            let field = format!("{path}.{}", e.key);
            self.record(&field, &e.tokens);
            let v = self.value(&field, &e.value);
            parts.push(format!("{} = {v}", toml_key(&e.key)));
        }
        parts.join(", ")
    }

    fn value(&mut self, path: &str, value: &Value) -> String {
        match &value.kind {
            Kind::Str(s) => toml_string(&s.value()),
            Kind::Bool(b) => b.value.to_string(),
            Kind::Int(i) => i.base10_digits().to_owned(),
            Kind::Array(items) => {
                let mut parts = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let field = format!("{path}[{i}]");
                    self.record(&field, &item.tokens);
                    parts.push(self.value(&field, item));
                }
                format!("[{}]", parts.join(", "))
            }
            Kind::Table(entries) => self.table(path, entries),
            Kind::Word(w) => {
                self.errors.push(syn::Error::new(
                    w.span(),
                    format!(
                        "expected a value, found the word `{w}`\nhelp: write a string: \"{w}\""
                    ),
                ));
                "\"\"".into()
            }
            Kind::Call(w, _) => {
                self.errors.push(syn::Error::new(
                    w.span(),
                    format!("`{w}(...)` is not allowed here\nhelp: write a string, a list `[...]` or a table `key(...)`"),
                ));
                "\"\"".into()
            }
        }
    }
}

/// The fields of an inline table `{ a = 1, b = 2 }` as lines `a = 1`, `b = 2`.
fn split_inline(table: &str) -> Vec<String> {
    let body = table
        .strip_prefix("{ ")
        .and_then(|t| t.strip_suffix(" }"))
        .unwrap_or("");
    // Split at top-level commas only (strings, arrays and tables may hold commas).
    let mut out = Vec::new();
    let (mut depth, mut in_str, mut escaped, mut start) = (0i32, false, false, 0);
    for (i, c) in body.char_indices() {
        if in_str {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(body[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
    }
    if !body[start..].trim().is_empty() {
        out.push(body[start..].trim().to_owned());
    }
    out
}

/// A TOML key: bare when it can be, quoted otherwise (`"X-Api-Key"` stays bare, `"a b"` not).
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        toml_string(key)
    }
}

/// A TOML basic string.
pub(crate) fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                write!(out, "\\u{:04X}", c as u32).ok();
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
