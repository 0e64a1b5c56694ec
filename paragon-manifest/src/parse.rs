//! Reading `integration.toml`: one pass over the spanned TOML tree that collects every problem.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::alternatives::Entry;
use crate::api::{Api, ApiAuthorization, DefaultHeader};
use crate::auth::{Auth, ClientAuth, ClientCredentials, OAuth, TokenGrant};
use crate::client_assertion::ClientAssertion;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::exchange::{Encoding, ExchangeMethod, Expiry, TokenExchange};
use crate::input::{InputField, InputKind};
use crate::manifest::Manifest;
use crate::registration::{
    REGISTERED_CLIENT_ID, REGISTERED_CLIENT_SECRET, Registration, credential_template,
};
use crate::setting::SettingKind;
use crate::template::{Part, Reference, Template};
use crate::token_response::ExpiresInUnit;
use crate::url_alternatives::{UrlAlternatives, Written};

pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

const TOP_LEVEL_KEYS: &[&str] = &[
    "name",
    "slug",
    "description",
    "icon",
    "color",
    "spec",
    "auth",
    "inputs",
    "settings",
    "overview",
    "api",
    "tools",
];
const SPEC_DEFAULTS: [&str; 3] = ["openapi.json", "openapi.yaml", "openapi.yml"];

/// A table being read, with its position and dotted path.
pub(crate) struct Table<'a, 'i> {
    pub(crate) map: &'a DeTable<'i>,
    pub(crate) span: Range<usize>,
    pub(crate) path: String,
}

impl<'a, 'i> Table<'a, 'i> {
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value<'i>> {
        self.map.get(key)
    }

    pub(crate) fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

/// What templates may refer to, known once inputs and auth are read.
#[derive(Clone)]
pub(crate) struct Declared {
    inputs: Vec<String>,
    /// Inputs of kind `url` or `host`: inserted into URL templates without escaping.
    pub(crate) url_inputs: Vec<String>,
    /// Inputs of kind `host`: they may only stand right after `https://`.
    host_inputs: Vec<String>,
    /// Inputs of kind `subdomain`: one DNS label, checked on entry.
    subdomain_inputs: Vec<String>,
    /// Inputs of kind `select`, with their options.
    selects: Vec<(String, Vec<String>)>,
    /// Optional inputs without a default: they may have no value when a template is rendered.
    optional: Vec<String>,
    pub(crate) captures: Vec<String>,
    /// The token response's captured values with the JSON pointers they are read at.
    capture_at: Vec<(String, String)>,
    /// A token exchange's values read from its answer's headers, with the header names.
    header_captures: Vec<(String, String)>,
    /// `callback_capture` entries: known at the code exchange, and the end user's to change.
    callback: Vec<crate::callback_value::CallbackValue>,
    auth_type: Option<&'static str>,
    /// `[[settings]]` keys, and those templates cannot use: field mappings and optional
    /// settings without a default, which may have no text.
    settings: Vec<String>,
    unusable_settings: Vec<(String, &'static str)>,
}

impl Declared {
    /// The same rules where a missing value falls back or leaves the value out: optional
    /// inputs without a default are allowed.
    pub(crate) fn relaxed(&self) -> Declared {
        Declared {
            optional: Vec::new(),
            ..self.clone()
        }
    }

    /// Whether `key` is an optional input without a default (it may have no value).
    pub(crate) fn is_optional(&self, key: &str) -> bool {
        self.optional.iter().any(|k| k == key)
    }
}

pub(crate) struct Reader<'s> {
    pub(crate) src: &'s str,
    pub(crate) file: &'s Path,
    pub(crate) diags: Diagnostics,
    /// "missing field" problems, kept apart until the end: a field the user misspelled is
    /// reported once, as the unknown field with its suggestion, not also as missing.
    missing: Vec<Diagnostic>,
    /// Fields (dotted paths) an unknown key's "did you mean" suggested.
    suggested: Vec<String>,
    /// Every `{env.NAME}` the templates use.
    env_names: std::collections::BTreeSet<String>,
}

impl<'s> Reader<'s> {
    /// A reader of `src`, which diagnostics name `file`.
    pub(crate) fn new(src: &'s str, file: &'s Path) -> Reader<'s> {
        Reader {
            src,
            file,
            diags: Diagnostics::new(),
            missing: Vec::new(),
            suggested: Vec::new(),
            env_names: Default::default(),
        }
    }

    /// How many problems were found so far.
    pub(crate) fn count(&self) -> usize {
        self.diags.len() + self.missing.len()
    }

    /// Every problem, sorted, without "missing" ones a suggestion already explains.
    pub(crate) fn finish(mut self) -> Diagnostics {
        for d in std::mem::take(&mut self.missing) {
            if !self.suggested.contains(&d.field) {
                self.diags.push(d);
            }
        }
        self.diags.sort();
        self.diags
    }

    pub(crate) fn error(
        &mut self,
        span: Range<usize>,
        field: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let help = help.into();
        let mut d = Diagnostic::error(message)
            .file(self.file)
            .span(self.src, span)
            .field(field);
        if !help.is_empty() {
            d = d.help(help);
        }
        self.diags.push(d);
    }

    /// Reports keys of `table` not in `allowed`. `others` are keys that exist for another
    /// variant, with the note explaining why they do not apply here.
    pub(crate) fn check_keys(
        &mut self,
        table: &Table<'_, '_>,
        allowed: &[&str],
        others: &[&str],
        note: &str,
    ) {
        for (key, _) in table.map.iter() {
            let k: &str = key.get_ref();
            if allowed.contains(&k) {
                continue;
            }
            let field = table.field(k);
            if others.contains(&k) {
                self.error(
                    key.span(),
                    &field,
                    format!("field `{k}` does not apply {note}"),
                    "remove it",
                );
                continue;
            }
            let help = match closest(k, allowed) {
                Some(s) => {
                    self.suggested.push(table.field(s));
                    format!("did you mean `{s}`?")
                }
                None if !table.path.is_empty() && TOP_LEVEL_KEYS.contains(&k) => format!(
                    "keys after a `[table]` header belong to that table: move `{k}` above the first header"
                ),
                None => format!("expected one of: {}", quote_list(allowed)),
            };
            self.error(key.span(), &field, format!("unknown field `{k}`"), help);
        }
    }

    pub(crate) fn missing(&mut self, table: &Table<'_, '_>, key: &str, help: impl Into<String>) {
        let field = table.field(key);
        if table.path.is_empty() {
            // A missing top-level field has no place in the file: point at its start.
            let d = Diagnostic::error(format!("missing field `{key}`"))
                .file(self.file)
                .at(1, 1)
                .field(field)
                .help(help);
            self.missing.push(d);
            return;
        }
        let before = self.diags.len();
        self.error(
            table.span.clone(),
            &field,
            format!("missing field `{key}` in `{}`", table.path),
            help,
        );
        self.missing.extend(self.diags.0.drain(before..));
    }

    pub(crate) fn wrong_type(&mut self, value: &Value<'_>, field: &str, expected: &str) {
        self.error(
            value.span(),
            field,
            format!(
                "expected {expected}, found {}",
                article(value.get_ref().type_str())
            ),
            "",
        );
    }

    pub(crate) fn string(
        &mut self,
        value: &Value<'_>,
        field: &str,
    ) -> Option<(String, Range<usize>)> {
        match value.get_ref() {
            DeValue::String(s) => Some((s.to_string(), value.span())),
            _ => {
                self.wrong_type(value, field, "a string");
                None
            }
        }
    }

    pub(crate) fn req_string(
        &mut self,
        table: &Table<'_, '_>,
        key: &str,
        help: &str,
    ) -> Option<(String, Range<usize>)> {
        match table.get(key) {
            Some(v) => self.string(v, &table.field(key)),
            None => {
                self.missing(table, key, help);
                None
            }
        }
    }

    pub(crate) fn opt_string(
        &mut self,
        table: &Table<'_, '_>,
        key: &str,
    ) -> Option<(String, Range<usize>)> {
        table
            .get(key)
            .and_then(|v| self.string(v, &table.field(key)))
    }

    pub(crate) fn opt_bool(&mut self, table: &Table<'_, '_>, key: &str) -> Option<bool> {
        let v = table.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(v, &table.field(key), "`true` or `false`");
                None
            }
        }
    }

    pub(crate) fn opt_string_array(
        &mut self,
        table: &Table<'_, '_>,
        key: &str,
    ) -> Option<Vec<(String, Range<usize>)>> {
        let v = table.get(key)?;
        let field = table.field(key);
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(v, &field, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(s) = self.string(item, &format!("{field}[{i}]")) {
                out.push(s);
            }
        }
        Some(out)
    }

    pub(crate) fn opt_table<'a, 'i>(
        &mut self,
        table: &Table<'a, 'i>,
        key: &str,
    ) -> Option<Table<'a, 'i>> {
        let v = table.get(key)?;
        let field = table.field(key);
        match v.get_ref() {
            DeValue::Table(map) => Some(Table {
                map,
                span: v.span(),
                path: field,
            }),
            _ => {
                self.wrong_type(v, &field, "a table");
                None
            }
        }
    }

    /// The span of bytes `offset..offset + len` of a string value, when the raw TOML maps
    /// one to one (no escapes); else the whole value.
    pub(crate) fn inner_span(
        &self,
        span: &Range<usize>,
        offset: usize,
        len: usize,
    ) -> Range<usize> {
        let raw = self.src.get(span.clone()).unwrap_or("");
        let simple = (raw.starts_with('"') && !raw.starts_with("\"\"\"") && !raw.contains('\\'))
            || (raw.starts_with('\'') && !raw.starts_with("'''"));
        if simple && span.start + 1 + offset + len < span.end {
            let start = span.start + 1 + offset;
            start..start + len.max(1)
        } else {
            span.clone()
        }
    }

    /// Records the `{env.*}` names of `template` (the secrets the manifest needs).
    pub(crate) fn note_env_names(&mut self, template: &Template) {
        for reference in template.references() {
            if let Reference::Env(name) = reference {
                self.env_names.insert(name.clone());
            }
        }
    }

    /// Parses a template and checks its references against what is declared.
    pub(crate) fn template(
        &mut self,
        text: &str,
        span: &Range<usize>,
        field: &str,
        declared: &Declared,
        credential_allowed: bool,
    ) -> Option<Template> {
        let template = match Template::parse(text) {
            Ok(t) => t,
            Err(e) => {
                let at = self.inner_span(span, e.offset, e.len);
                self.error(at, field, e.message, e.help);
                return None;
            }
        };
        let mut ok = true;
        for reference in template.references() {
            if let Reference::Env(name) = reference {
                self.env_names.insert(name.clone());
            }
            if let Err((message, help)) = check_reference(reference, declared, credential_allowed) {
                let at = self.reference_span(text, span, reference);
                self.error(at, field, message, help);
                ok = false;
            }
        }
        ok.then_some(template)
    }

    pub(crate) fn reference_span(
        &self,
        text: &str,
        span: &Range<usize>,
        reference: &Reference,
    ) -> Range<usize> {
        let written = reference.to_string();
        match text.find(&written) {
            Some(offset) => self.inner_span(span, offset, written.len()),
            None => span.clone(),
        }
    }

    /// A URL template: parsed, references checked, and the URL rule applied when it can be.
    pub(crate) fn url_template(
        &mut self,
        text: &str,
        span: &Range<usize>,
        field: &str,
        declared: &Declared,
        credential_allowed: bool,
    ) -> Option<Template> {
        if text.trim().is_empty() {
            self.error(
                span.clone(),
                field,
                format!("`{field}` is empty"),
                "write an absolute https URL, e.g. \"https://api.example.com/v1\"",
            );
            return None;
        }
        let template = self.template(text, span, field, declared, credential_allowed)?;
        if let Some(misplaced) = crate::url_rule::misplaced_host(&template, &declared.host_inputs) {
            let at = self.reference_span(text, span, misplaced);
            self.error(
                at,
                field,
                format!("the host input `{misplaced}` must come right after `https://`"),
                format!("write \"https://{misplaced}/…\", or make the input kind = \"text\""),
            );
            return None;
        }
        if let Err(reason) = crate::url_rule::check_template(&template) {
            self.error(
                span.clone(),
                field,
                format!("`{field}` must be an absolute https URL: {reason}"),
                "write e.g. \"https://api.example.com/v1\" (http only for 127.0.0.1, ::1 or localhost), or start with a secret such as \"{env.EXAMPLE_URL}/v1\"",
            );
            return None;
        }
        Some(template)
    }

    /// A table of names to templates (parameters, headers).
    pub(crate) fn template_map(
        &mut self,
        table: &Table<'_, '_>,
        declared: &Declared,
        credential_allowed: bool,
        header_names: bool,
    ) -> Vec<(String, Template)> {
        let mut out = Vec::new();
        for (key, value) in table.map.iter() {
            let name: &str = key.get_ref();
            let field = table.field(name);
            if header_names && !is_header_name(name) {
                self.error(
                    key.span(),
                    &field,
                    format!("`{name}` is not a valid HTTP header name"),
                    "use letters, digits and `-`, e.g. \"X-Api-Key\"",
                );
                continue;
            }
            if name.is_empty() {
                self.error(
                    key.span(),
                    &field,
                    "empty parameter name",
                    "give the parameter a name",
                );
                continue;
            }
            let Some((text, span)) = self.string(value, &field) else {
                continue;
            };
            if header_names && text.chars().any(|c| c.is_control() && c != '\t') {
                self.error(
                    span,
                    &field,
                    "header values cannot contain line breaks or control characters",
                    "remove them",
                );
                continue;
            }
            if let Some(t) = self.template(&text, &span, &field, declared, credential_allowed) {
                out.push((name.to_owned(), t));
            }
        }
        out
    }
}

fn check_reference(
    reference: &Reference,
    declared: &Declared,
    credential_allowed: bool,
) -> Result<(), (String, String)> {
    match reference {
        Reference::Input(key) if !declared.inputs.iter().any(|k| k == key) => {
            let help = match closest(key, &declared.inputs) {
                Some(k) => format!("did you mean `{{input.{k}}}`?"),
                None => format!("declare it: [[inputs]] key = \"{key}\""),
            };
            Err((format!("`{reference}` refers to an undeclared input"), help))
        }
        Reference::Input(key) if declared.optional.iter().any(|k| k == key) => Err((
            format!("`{reference}` may have no value: the input is optional and has no default"),
            "give the input a `default`, or make it required (remove `required = false`)".into(),
        )),
        Reference::Setting(_) if !credential_allowed => Err((
            format!(
                "`{reference}` cannot be used here: settings are stored on the credential, and there is none yet"
            ),
            "use settings in `[api]` (base URL, authorization, headers) or `refresh_url`".into(),
        )),
        Reference::Setting(key) if !declared.settings.iter().any(|k| k == key) => {
            let help = match closest(key, &declared.settings) {
                Some(k) => format!("did you mean `{{settings.{k}}}`?"),
                None => format!("declare it: [[settings]] key = \"{key}\""),
            };
            Err((
                format!("`{reference}` refers to an undeclared setting"),
                help,
            ))
        }
        Reference::Setting(key) => {
            match declared.unusable_settings.iter().find(|(k, _)| k == key) {
                Some((_, why)) => Err((
                    format!("`{reference}` cannot be used in a template: {why}"),
                    "give the setting a `default`, or make it `required = true`".into(),
                )),
                None => Ok(()),
            }
        }
        Reference::Credential(_) if !credential_allowed => Err((
            format!("`{reference}` cannot be used here: there is no credential yet"),
            "use inputs, environment secrets or user metadata".into(),
        )),
        Reference::Credential(name) if name == "access_token" => match declared.auth_type {
            Some("oauth" | "client_credentials" | "token_exchange") | None => Ok(()),
            Some(other) => Err((
                format!("`{reference}` needs OAuth authentication, but `auth.type` is `{other}`"),
                "refer to an input instead, e.g. `{input.api_key}`".into(),
            )),
        },
        Reference::Credential(name) if !declared.captures.iter().any(|c| c == name) => Err((
            format!("`{reference}` is not captured from the token response"),
            format!("add \"{name}\" to `auth.capture`, or use `{{credential.access_token}}`"),
        )),
        _ => Ok(()),
    }
}

/// Parses and validates a manifest; see [`Manifest::parse`].
pub(crate) fn parse(source: &str, file: PathBuf) -> Result<Manifest, Diagnostics> {
    let mut r = Reader::new(source, &file);
    let (root, errors) = DeTable::parse_recoverable(source);
    if !errors.is_empty() {
        for e in errors {
            r.error(
                e.span().unwrap_or(0..0),
                "",
                format!("invalid TOML: {}", e.message()),
                "",
            );
        }
        return Err(r.finish());
    }
    let root = Table {
        map: root.get_ref(),
        span: 0..0,
        path: String::new(),
    };
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    r.check_keys(
        &root,
        &[
            "name",
            "slug",
            "description",
            "icon",
            "color",
            "spec",
            "auth",
            "inputs",
            "settings",
            "overview",
            "api",
            "tools",
        ],
        &[],
        "",
    );

    let name = basic_name(&mut r, &root);
    let slug = explicit_slug(&mut r, &root);
    let description = r
        .req_string(
            &root,
            "description",
            "describe the integration in one sentence",
        )
        .and_then(|(d, span)| non_empty(&mut r, d, span, "description"));
    let icon = icon(&mut r, &root, &dir);
    let color = color(&mut r, &root);
    let spec = spec(&mut r, &root, &dir);

    let (inputs, input_keys) = inputs(&mut r, &root);
    let settings = crate::read_settings::settings(&mut r, &root);
    let overview = crate::read_settings::overview(&mut r, &root);
    let auth_table = match root.get("auth") {
        Some(_) => r.opt_table(&root, "auth"),
        None => {
            r.missing(
                &root,
                "auth",
                "add an `[auth]` table with `type = \"oauth\"`, \"api_key\", \"client_credentials\" or \"none\"",
            );
            None
        }
    };
    let auth_type = auth_table.as_ref().and_then(|t| auth_type(&mut r, t));
    let capture_at = auth_table
        .as_ref()
        .filter(|_| matches!(auth_type, Some("oauth" | "client_credentials")))
        .map(|t| capture(&mut r, t))
        .unwrap_or_default();
    let mut captures: Vec<String> = capture_at.iter().map(|(n, _)| n.clone()).collect();
    let callback_captures = auth_table
        .as_ref()
        .filter(|_| auth_type == Some("oauth"))
        .map(|t| {
            crate::callback_value::read(&mut r, t, |r, name, span, earlier| {
                capture_name_ok(r, t, "callback_capture", name, span, &captures, earlier)
            })
        })
        .unwrap_or_default();
    captures.extend(callback_captures.iter().map(|c| c.name.clone()));
    let header_captures = auth_table
        .as_ref()
        .filter(|_| auth_type == Some("token_exchange"))
        .map(|t| crate::read_exchange_refresh::header_captures(&mut r, t))
        .unwrap_or_default();
    captures.extend(header_captures.iter().map(|(n, _)| n.clone()));
    let mut declared = Declared {
        inputs: input_keys,
        url_inputs: inputs
            .iter()
            .filter(|i| matches!(i.kind, InputKind::Url | InputKind::Host))
            .map(|i| i.key.clone())
            .collect(),
        host_inputs: inputs
            .iter()
            .filter(|i| i.kind == InputKind::Host)
            .map(|i| i.key.clone())
            .collect(),
        subdomain_inputs: inputs
            .iter()
            .filter(|i| i.kind == InputKind::Subdomain)
            .map(|i| i.key.clone())
            .collect(),
        selects: inputs
            .iter()
            .filter_map(|i| match &i.kind {
                InputKind::Select { options } => Some((i.key.clone(), options.clone())),
                _ => None,
            })
            .collect(),
        optional: inputs
            .iter()
            .filter(|i| !i.required && i.default.is_none())
            .map(|i| i.key.clone())
            .collect(),
        captures,
        capture_at,
        header_captures,
        callback: callback_captures.clone(),
        auth_type,
        settings: settings.iter().map(|s| s.key().to_owned()).collect(),
        unusable_settings: settings
            .iter()
            .filter_map(|s| {
                let why = match s.kind() {
                    SettingKind::FieldMapping { .. } => "it is a field mapping, not one value",
                    _ if !s.required() && s.default_value().is_none() => {
                        "it is optional and has no default, so it may have no value"
                    }
                    _ => return None,
                };
                Some((s.key().to_owned(), why))
            })
            .collect(),
    };
    let auth = match (&auth_table, auth_type) {
        (Some(t), Some(ty)) => auth(&mut r, t, ty, &declared, &inputs)
            .map(|a| with_callback_capture(a, callback_captures)),
        _ => None,
    };
    let after_connect = match (&auth_table, auth_type) {
        (Some(t), Some(ty)) if ty != "none" => {
            let mut taken = declared.captures.clone();
            if t.get("registration_url").is_some() {
                taken.extend([REGISTERED_CLIENT_ID, REGISTERED_CLIENT_SECRET].map(String::from));
            }
            let provider_id_elsewhere = t.get("provider_id").is_some();
            crate::read_after_connect::read(&mut r, t, &declared, &taken, provider_id_elsewhere)
        }
        _ => Default::default(),
    };
    // The API's templates may use what the after-connect requests read.
    declared.captures.extend(after_connect.names().cloned());
    let api = match root.get("api") {
        Some(_) => r
            .opt_table(&root, "api")
            .and_then(|t| api(&mut r, &t, &declared)),
        None => {
            r.missing(
                &root,
                "api",
                "add an `[api]` table with `base_url` and `test_endpoint`",
            );
            None
        }
    };
    if let Some(api) = &api {
        crate::read_after_connect::check_against_api(&mut r, &after_connect, api);
    }
    let tools = match root.get("tools") {
        Some(_) => r
            .opt_table(&root, "tools")
            .and_then(|t| crate::tools::parse(&mut r, &t)),
        None => None,
    };

    let env_names: Vec<String> = std::mem::take(&mut r.env_names).into_iter().collect();
    if r.count() == 0
        && let Some(slug) = slug
        && let (Some(name), Some(description), Some((icon_path, icon_svg)), Some(color)) =
            (name, description, icon, color)
        && let (Some(auth), Some(api)) = (auth, api)
    {
        let auth = with_client_name(auth, &name);
        return Ok(Manifest {
            file,
            slug: slug.unwrap_or_else(|| crate::manifest::slug(&name)),
            name,
            description,
            icon_path,
            icon_svg,
            color,
            spec,
            auth,
            after_connect: after_connect.entries,
            inputs,
            settings,
            overview,
            api,
            tools,
            env_names,
        });
    }
    if r.count() == 0 {
        // Every missing part reports a diagnostic; this guards against a gap in that rule.
        r.diags
            .push(Diagnostic::error("the manifest is incomplete").file(&file));
    }
    Err(r.finish())
}

fn non_empty(r: &mut Reader<'_>, s: String, span: Range<usize>, field: &str) -> Option<String> {
    if s.trim().is_empty() {
        r.error(span, field, format!("`{field}` is empty"), "write a value");
        None
    } else {
        Some(s)
    }
}

/// `slug`: Paragon fixes an integration's slug when it is created, so renaming must not move
/// it. Without the field the slug is derived from the name. `Some(None)`: not given.
fn explicit_slug(r: &mut Reader<'_>, root: &Table<'_, '_>) -> Option<Option<String>> {
    let Some((slug, span)) = r.opt_string(root, "slug") else {
        return root.get("slug").is_none().then_some(None);
    };
    let bare = slug.strip_prefix("custom.").unwrap_or(&slug);
    if bare.is_empty()
        || !bare
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        let derived = crate::manifest::slug(bare);
        let suggestion = derived.trim_start_matches("custom.");
        r.error(
            span,
            "slug",
            "the slug must be lowercase letters and digits",
            if suggestion.is_empty() {
                "e.g. slug = \"tasklab\" (used as `custom.tasklab`)".to_owned()
            } else {
                format!("write slug = \"{suggestion}\" (used as `custom.{suggestion}`)")
            },
        );
        return None;
    }
    Some(Some(format!("custom.{bare}")))
}

fn basic_name(r: &mut Reader<'_>, root: &Table<'_, '_>) -> Option<String> {
    let (name, span) = r.req_string(
        root,
        "name",
        "name the integration, e.g. name = \"Task Lab\"",
    )?;
    if !name.chars().any(|c| c.is_ascii_alphanumeric()) {
        r.error(
            span,
            "name",
            "the name needs at least one ASCII letter or digit (the slug is made of them)",
            "e.g. name = \"Task Lab\" (slug `custom.tasklab`)",
        );
        return None;
    }
    if name.chars().any(char::is_control) {
        r.error(
            span,
            "name",
            "the name contains control characters",
            "remove them",
        );
        return None;
    }
    Some(name)
}

/// The icon: a path to an SVG file beside the manifest, or an SVG document written inline
/// (a value starting with `<`), which keeps a generated definition self-contained.
fn icon(r: &mut Reader<'_>, root: &Table<'_, '_>, dir: &Path) -> Option<(Option<PathBuf>, String)> {
    let (value, span) = r.req_string(
        root,
        "icon",
        "name the SVG icon beside the manifest, e.g. icon = \"icon.svg\"",
    )?;
    let (path, text) = if value.trim_start().starts_with('<') {
        if value.len() as u64 > crate::icon::MAX_ICON_BYTES {
            r.error(
                span,
                "icon",
                format!(
                    "the inline icon is larger than {} bytes",
                    crate::icon::MAX_ICON_BYTES
                ),
                "use a smaller SVG",
            );
            return None;
        }
        (None, value)
    } else {
        let path = match crate::files::resolve_inside(dir, &value) {
            Ok(p) => p,
            Err(reason) => {
                r.error(
                    span,
                    "icon",
                    format!("bad icon path: {reason}"),
                    "e.g. icon = \"icon.svg\"",
                );
                return None;
            }
        };
        match crate::files::read_limited(&path, crate::icon::MAX_ICON_BYTES) {
            Ok(t) => (Some(path), t),
            Err(reason) => {
                r.error(
                    span,
                    "icon",
                    format!("cannot read the icon `{}`: {reason}", path.display()),
                    "put an SVG file beside integration.toml",
                );
                return None;
            }
        }
    };
    if let Err(reason) = crate::icon::check_svg(&text) {
        r.error(
            span,
            "icon",
            format!("the icon is not an SVG document: {reason}"),
            "use an SVG file whose root is <svg xmlns=\"http://www.w3.org/2000/svg\" …>",
        );
        return None;
    }
    Some((path, text))
}

fn color(r: &mut Reader<'_>, root: &Table<'_, '_>) -> Option<String> {
    let (color, span) = r.req_string(
        root,
        "color",
        "give an accent color, e.g. color = \"#24292F\"",
    )?;
    let hex = color.strip_prefix('#').unwrap_or("");
    if color.len() != 7 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        r.error(
            span,
            "color",
            "accent color must be `#RRGGBB`",
            "write six hex digits, e.g. \"#24292F\"",
        );
        return None;
    }
    Some(color)
}

fn spec(r: &mut Reader<'_>, root: &Table<'_, '_>, dir: &Path) -> Option<PathBuf> {
    let Some((rel, span)) = r.opt_string(root, "spec") else {
        return SPEC_DEFAULTS
            .iter()
            .map(|name| dir.join(name))
            .find(|p| p.is_file());
    };
    let path = match crate::files::resolve_inside(dir, &rel) {
        Ok(p) => p,
        Err(reason) => {
            r.error(
                span,
                "spec",
                format!("bad spec path: {reason}"),
                "e.g. spec = \"openapi.json\"",
            );
            return None;
        }
    };
    let ext_ok = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "json" | "yaml" | "yml"));
    if !ext_ok {
        r.error(
            span,
            "spec",
            "the spec must be an OpenAPI document ending in .json, .yaml or .yml",
            "e.g. spec = \"openapi.json\"",
        );
        return None;
    }
    if !path.is_file() {
        r.error(
            span,
            "spec",
            format!("the spec `{}` does not exist", path.display()),
            "put the OpenAPI document beside integration.toml, or remove `spec`",
        );
        return None;
    }
    Some(path)
}

const INPUT_KEYS: &[&str] = &[
    "key", "label", "kind", "required", "pattern", "default", "help", "secret", "options",
];

/// The valid input fields, and every key declared (also by fields with other problems, so that
/// their references do not pile up more errors).
fn inputs(r: &mut Reader<'_>, root: &Table<'_, '_>) -> (Vec<InputField>, Vec<String>) {
    let Some(value) = root.get("inputs") else {
        return (Vec::new(), Vec::new());
    };
    let DeValue::Array(items) = value.get_ref() else {
        r.wrong_type(value, "inputs", "an array of tables (`[[inputs]]`)");
        return (Vec::new(), Vec::new());
    };
    let mut out: Vec<InputField> = Vec::new();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("inputs[{i}]");
        let DeValue::Table(map) = item.get_ref() else {
            r.wrong_type(item, &path, "a table");
            continue;
        };
        let t = Table {
            map,
            span: item.span(),
            path,
        };
        r.check_keys(&t, INPUT_KEYS, &[], "");
        let key = r.req_string(&t, "key", "e.g. key = \"api_key\"");
        if let Some((k, span)) = &key {
            if !is_identifier(k) {
                r.error(
                    span.clone(),
                    &t.field("key"),
                    format!("input key `{k}` is not a name templates can use"),
                    "use letters, digits and `_`, starting with a letter, e.g. \"api_key\"",
                );
            } else if let Some((_, line)) = seen.iter().find(|(s, _)| s == k) {
                r.error(
                    span.clone(),
                    &t.field("key"),
                    format!("duplicate input key `{k}`"),
                    format!("each input needs its own key; `{k}` is first declared on line {line}"),
                );
            } else {
                let line = r.src[..span.start.min(r.src.len())].matches('\n').count() + 1;
                seen.push((k.clone(), line));
            }
        }
        let label = r
            .req_string(&t, "label", "e.g. label = \"API key\"")
            .and_then(|(l, span)| non_empty(r, l, span, &t.field("label")));
        let kind = input_kind(r, &t);
        let required = r.opt_bool(&t, "required").unwrap_or(true);
        let secret = r
            .opt_bool(&t, "secret")
            .unwrap_or(matches!(kind, Some(InputKind::Password)));
        let help = r.opt_string(&t, "help").map(|(h, _)| h);
        let pattern = r.opt_string(&t, "pattern").and_then(|(p, span)| {
            match regex::RegexBuilder::new(&format!("^(?:{p})$"))
                .size_limit(1 << 20)
                .build()
            {
                Ok(re) => Some(re),
                Err(e) => {
                    let reason = pattern_error(&e);
                    r.error(
                        span,
                        &t.field("pattern"),
                        format!("invalid pattern: {}", reason.trim()),
                        "write a regular expression the whole value must match, e.g. \"[a-z0-9-]+\"",
                    );
                    None
                }
            }
        });
        let default = r.opt_string(&t, "default");
        let (Some((key, _)), Some(label), Some(kind)) = (key, label, kind) else {
            continue;
        };
        let field = InputField {
            key,
            label,
            kind,
            required,
            pattern,
            default: None,
            help,
            secret,
        };
        let default = default.and_then(|(d, span)| match field.check(Some(&d)) {
            _ if d.is_empty() => {
                r.error(
                    span,
                    &t.field("default"),
                    "the default value is empty",
                    "remove `default` (an input without one stays empty), or write a value",
                );
                None
            }
            Ok(()) => Some(d),
            Err(e) => {
                r.error(
                    span,
                    &t.field("default"),
                    format!("the default value is not accepted: {e}"),
                    "change the default or the rule",
                );
                None
            }
        });
        out.push(InputField { default, ..field });
    }
    (out, seen.into_iter().map(|(k, _)| k).collect())
}

/// The regex crate's reason without its own `error: ` prefix, which would follow ours.
pub(crate) fn pattern_error(e: &regex::Error) -> String {
    let text = match e {
        regex::Error::Syntax(s) => s.lines().last().unwrap_or("").to_owned(),
        other => other.to_string(),
    };
    let text = text.trim();
    text.strip_prefix("error:")
        .unwrap_or(text)
        .trim()
        .to_owned()
}

fn input_kind(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<InputKind> {
    let kind = r.opt_string(t, "kind");
    let options = r.opt_string_array(t, "options");
    let kind_name = kind.as_ref().map_or("text".to_owned(), |(k, _)| k.clone());
    match kind_name.as_str() {
        "select" => {
            let Some(options) = options else {
                r.missing(
                    t,
                    "options",
                    "list the choices, e.g. options = [\"us\", \"eu\"]",
                );
                return None;
            };
            if options.is_empty() {
                r.error(
                    t.get("options").map_or(t.span.clone(), |v| v.span()),
                    &t.field("options"),
                    "a select input needs at least one option",
                    "e.g. options = [\"us\", \"eu\"]",
                );
                return None;
            }
            let mut seen = BTreeSet::new();
            for (o, span) in &options {
                if !seen.insert(o.as_str()) {
                    r.error(
                        span.clone(),
                        &t.field("options"),
                        format!("duplicate option `{o}`"),
                        "remove it",
                    );
                }
            }
            Some(InputKind::Select {
                options: options.into_iter().map(|(o, _)| o).collect(),
            })
        }
        "text" | "password" | "url" | "host" | "subdomain" => {
            if t.get("options").is_some()
                && let Some((key, _)) = t.map.get_key_value("options")
            {
                r.error(
                    key.span(),
                    &t.field("options"),
                    "`options` only apply to `kind = \"select\"`",
                    "remove `options`, or set kind = \"select\"",
                );
            }
            Some(match kind_name.as_str() {
                "password" => InputKind::Password,
                "url" => InputKind::Url,
                "host" => InputKind::Host,
                "subdomain" => InputKind::Subdomain,
                _ => InputKind::Text,
            })
        }
        other => {
            let span = kind.map_or(t.span.clone(), |(_, s)| s);
            let kinds = ["text", "password", "url", "host", "subdomain", "select"];
            let help = match closest(other, &kinds) {
                Some(k) => format!("did you mean \"{k}\"?"),
                None => format!("expected one of: {}", quote_list(&kinds)),
            };
            r.error(
                span,
                &t.field("kind"),
                format!("unknown input kind `{other}`"),
                help,
            );
            None
        }
    }
}

const OAUTH_KEYS: &[&str] = &[
    "type",
    "authorization_url",
    "token_url",
    "refresh_url",
    "client_id",
    "client_secret",
    "scopes",
    "scope_separator",
    "pkce",
    "client_auth",
    "token_encoding",
    "authorization_params",
    "authorization_param_names",
    "token_params",
    "refresh_params",
    "provider_id",
    "capture",
    "callback_capture",
    "callback_code",
    "alternate_token_path",
    "response_type",
    "authorization_nonce",
    "registration_url",
    "client_name",
    "after_connect",
    "client_assertion",
];
const CLIENT_CREDENTIALS_KEYS: &[&str] = &[
    "type",
    "token_url",
    "client_id",
    "client_secret",
    "scopes",
    "scope_separator",
    "client_auth",
    "token_encoding",
    "token_params",
    "capture",
    "after_connect",
    "client_assertion",
    "grant",
    "username",
    "password",
    "refresh_token",
    "expires_in_unit",
];

const TOKEN_EXCHANGE_KEYS: &[&str] = &[
    "type",
    "url",
    "method",
    "encoding",
    "params",
    "headers",
    "basic",
    "token_path",
    "expires_in_path",
    "expires_at_path",
    "lifetime",
    "provider_id",
    "after_connect",
    "refresh_token_path",
    "refresh",
    "capture_headers",
];

/// `type = "token_exchange"`: see [`TokenExchange`].
fn token_exchange(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    declared: &Declared,
) -> Option<TokenExchange> {
    let note = "to `type = \"token_exchange\"` authentication";
    r.check_keys(t, TOKEN_EXCHANGE_KEYS, OAUTH_KEYS, note);
    let url = url_field(r, t, "url", declared, true, false);
    let method = choice(
        r,
        t,
        "method",
        &[("POST", ExchangeMethod::Post), ("GET", ExchangeMethod::Get)],
    );
    let encoding = choice(
        r,
        t,
        "encoding",
        &[
            ("form", Encoding::Form),
            ("json", Encoding::Json),
            ("query", Encoding::Query),
        ],
    );
    let params = params(r, t, "params", declared);
    let headers = match t.get("headers") {
        Some(_) => {
            let before = r.count();
            let map = r.opt_table(t, "headers");
            map.map(|h| crate::read_entries::entries(r, &h, declared, true, false))
                .filter(|_| r.count() == before)
        }
        None => Some(Vec::new()),
    };
    let basic = exchange_basic(r, t, declared);
    let token_path = r
        .req_string(
            t,
            "token_path",
            "point at the token in the answer, e.g. token_path = \"/access_token\"",
        )
        .and_then(|(p, span)| json_pointer(r, p, span, "auth.token_path"));
    let expiry = expiry(r, t);
    let provider_id = provider_id(r, t);
    let renewal = crate::read_exchange_refresh::read(r, t, declared);
    let uses_env = params
        .iter()
        .flatten()
        .chain(headers.iter().flatten())
        .flat_map(|e| &e.alternatives)
        .chain(basic.iter().flatten().flat_map(ApiAuthorization::templates))
        .chain(
            renewal
                .iter()
                .flat_map(|(_, r)| r.iter().flat_map(|r| r.templates())),
        )
        .any(|t| t.references().any(|r| matches!(r, Reference::Env(_))));
    if uses_env {
        refuse_end_user_host(r, t, "url", url.as_ref(), declared);
    }
    let (refresh_token_path, refresh) = renewal?;
    Some(TokenExchange {
        url: url?,
        method: method?,
        encoding: encoding?,
        params: params?,
        headers: headers?,
        basic: basic?,
        token_path: token_path?,
        expiry: expiry?,
        provider_id: provider_id?,
        url_inputs: declared.url_inputs.clone(),
        refresh_token_path,
        refresh,
        header_captures: declared.header_captures.clone(),
    })
}

/// `token_encoding`: how OAuth token requests send their parameters.
fn token_encoding(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<Encoding> {
    choice(
        r,
        t,
        "token_encoding",
        &[
            ("form", Encoding::Form),
            ("json", Encoding::Json),
            ("query", Encoding::Query),
        ],
    )
}

/// An optional string field with a fixed set of values (the first is the default).
fn choice<T: Copy>(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    key: &str,
    options: &[(&str, T)],
) -> Option<T> {
    if t.get(key).is_none() {
        return options.first().map(|(_, v)| *v);
    }
    let (value, span) = r.opt_string(t, key)?;
    if let Some((_, v)) = options.iter().find(|(name, _)| *name == value) {
        return Some(*v);
    }
    let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
    let help = match closest(&value, &names) {
        Some(s) => format!("did you mean \"{s}\"?"),
        None => format!("expected one of: {}", quote_list(&names)),
    };
    r.error(
        span,
        &t.field(key),
        format!("unknown {key} `{value}`"),
        help,
    );
    None
}

/// `basic = { username = "…", password = "…" }`: an `Authorization: Basic` header (or the
/// encoded pair under another `scheme` or `header`).
fn exchange_basic(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    declared: &Declared,
) -> Option<Option<ApiAuthorization>> {
    if t.get("basic").is_none() {
        return Some(None);
    }
    let b = r.opt_table(t, "basic")?;
    r.check_keys(&b, &["username", "password", "scheme", "header"], &[], "");
    let part = |r: &mut Reader<'_>, key: &str, required: bool| -> Option<Template> {
        let found = if required {
            r.req_string(&b, key, "e.g. username = \"{input.username}\"")
        } else {
            r.opt_string(&b, key)
        };
        match found {
            Some((text, span)) => r.template(&text, &span, &b.field(key), declared, false),
            None if required => None,
            None => Template::parse("").ok(),
        }
    };
    let username = part(r, "username", true);
    let password = part(r, "password", false);
    let (scheme, header) = crate::read_placements::scheme_and_header(r, &b)?;
    Some(Some(ApiAuthorization::Basic {
        username: username?,
        password: password?,
        scheme,
        header,
    }))
}

/// `provider_id`: a JSON pointer to the account's id at the provider in the token answer.
fn provider_id(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<Option<String>> {
    if t.get("provider_id").is_none() {
        return Some(None);
    }
    let (p, span) = r.opt_string(t, "provider_id")?;
    json_pointer(r, p, span, "auth.provider_id").map(Some)
}

/// A JSON pointer (RFC 6901) into the exchange's answer.
pub(crate) fn json_pointer(
    r: &mut Reader<'_>,
    p: String,
    span: Range<usize>,
    field: &str,
) -> Option<String> {
    if p.starts_with('/') && !p.contains("~2") && !p.ends_with('~') {
        return Some(p);
    }
    let hint = if p.is_empty() {
        "the pointer is empty".to_owned()
    } else if p.starts_with('/') {
        "`~` must be followed by 0 or 1".to_owned()
    } else {
        format!("write \"/{}\"", p.replace('.', "/"))
    };
    r.error(
        span,
        field,
        format!("`{field}` must be a JSON pointer starting with `/`"),
        hint,
    );
    None
}

/// When the exchanged token expires: at most one of `expires_in_path`, `expires_at_path` and
/// `lifetime`.
fn expiry(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<Expiry> {
    let set: Vec<&str> = ["expires_in_path", "expires_at_path", "lifetime"]
        .into_iter()
        .filter(|k| t.get(k).is_some())
        .collect();
    if set.len() > 1 {
        let span = t.get(set[1]).map_or(t.span.clone(), |v| v.span());
        r.error(
            span,
            &t.field(set[1]),
            format!(
                "`{}` and `{}` both say when the token expires",
                set[0], set[1]
            ),
            "keep one",
        );
        return None;
    }
    match set.first().copied() {
        None => Some(Expiry::Unknown),
        Some("lifetime") => {
            let v = t.get("lifetime")?;
            match v.get_ref() {
                DeValue::Integer(i) => match i.to_string().parse::<u64>() {
                    Ok(n) if n > 0 => Some(Expiry::Lifetime(n)),
                    _ => {
                        r.error(
                            v.span(),
                            "auth.lifetime",
                            "the lifetime must be a positive number of seconds",
                            "e.g. lifetime = 3600",
                        );
                        None
                    }
                },
                _ => {
                    r.wrong_type(v, "auth.lifetime", "a number of seconds");
                    None
                }
            }
        }
        Some(key) => {
            let (p, span) = r.opt_string(t, key)?;
            let field = t.field(key);
            let p = json_pointer(r, p, span, &field)?;
            Some(if key == "expires_in_path" {
                Expiry::InPath(p)
            } else {
                Expiry::AtPath(p)
            })
        }
    }
}

fn auth_type(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<&'static str> {
    let (ty, span) = r.req_string(
        t,
        "type",
        "choose the method: type = \"oauth\", \"api_key\", \"client_credentials\", \"token_exchange\" or \"none\"",
    )?;
    match ty.as_str() {
        "oauth" => Some("oauth"),
        "api_key" => Some("api_key"),
        "client_credentials" => Some("client_credentials"),
        "token_exchange" => Some("token_exchange"),
        "none" => Some("none"),
        other => {
            let help = match other {
                "oauth2" | "oauth_code" | "authorization_code" => "write \"oauth\"".to_owned(),
                "oauth_client_credential" | "oauth_client_credentials" => {
                    "write \"client_credentials\"".to_owned()
                }
                "api_keys" | "apikey" | "api-key" => "write \"api_key\"".to_owned(),
                _ => {
                    let types = [
                        "oauth",
                        "api_key",
                        "client_credentials",
                        "token_exchange",
                        "none",
                    ];
                    match closest(other, &types) {
                        Some(t) => format!("did you mean \"{t}\"?"),
                        None => "expected one of: \"oauth\", \"api_key\", \"client_credentials\", \"token_exchange\", \"none\""
                            .to_owned(),
                    }
                }
            };
            r.error(
                span,
                "auth.type",
                format!("unknown authentication type `{other}`"),
                help,
            );
            None
        }
    }
}

/// The OAuth setup's `capture` holds token-response values only; callback values are kept
/// apart (both are `{credential.<name>}` in templates).
fn with_callback_capture(auth: Auth, callback: Vec<crate::callback_value::CallbackValue>) -> Auth {
    match auth {
        Auth::OAuth(mut o) => {
            o.capture.retain(|c| !callback.iter().any(|v| &v.name == c));
            o.callback_capture = callback;
            Auth::OAuth(o)
        }
        other => other,
    }
}

/// `capture`: token-response values kept in the credential, each with the JSON pointer it is
/// read at: `capture = ["instance_url"]` reads `/instance_url`, `capture = { team_id =
/// "/team/id" }` a nested value. (`callback_capture` has its own reader, `callback_value`.)
fn capture(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Vec<(String, String)> {
    let (mut names, mut out) = (Vec::new(), Vec::new());
    for (name, span, pointer) in capture_entries(r, t) {
        if capture_name_ok(r, t, "capture", &name, span, &[], &names)
            && let Some(pointer) = pointer
        {
            names.push(name.clone());
            out.push((name, pointer));
        }
    }
    out
}

/// The entries of `capture`: names with their span and pointer (`None` when the pointer is
/// wrong, which is reported).
fn capture_entries(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
) -> Vec<(String, Range<usize>, Option<String>)> {
    let key = "capture";
    let nested = matches!(t.get(key).map(|v| v.get_ref()), Some(DeValue::Table(_)));
    if !nested {
        let names = r.opt_string_array(t, key).unwrap_or_default();
        return names
            .into_iter()
            .map(|(name, span)| {
                let pointer = format!("/{name}");
                (name, span, Some(pointer))
            })
            .collect();
    }
    let Some(table) = r.opt_table(t, key) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, value) in table.map.iter() {
        let field = table.field(name.get_ref());
        let pointer = r
            .string(value, &field)
            .and_then(|(p, span)| json_pointer(r, p, span, &field));
        out.push((name.get_ref().to_string(), name.span(), pointer));
    }
    out
}

/// Whether `name` may be captured under `auth.<key>`: reported when not. `taken` are names
/// captured elsewhere, `earlier` those before it in the same list.
fn capture_name_ok(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    key: &str,
    name: &str,
    span: Range<usize>,
    taken: &[String],
    earlier: &[String],
) -> bool {
    let field = format!("auth.{key}");
    let problem = if taken.iter().any(|n| n == name) {
        Some((
            format!("`{name}` is also in `auth.capture`"),
            "capture each value from one place".to_owned(),
        ))
    } else if !is_identifier(name) {
        Some((
            format!("`{name}` is not a name templates can use"),
            if key == "callback_capture" {
                "use letters, digits and `_`; the query parameter may be named otherwise: { name = \"accounts_server\", param = \"accounts-server\" }".to_owned()
            } else {
                "use letters, digits and `_`, e.g. \"instance_url\"".to_owned()
            },
        ))
    } else if name == "access_token" {
        Some((
            "`access_token` is always kept; it need not be captured".to_owned(),
            "remove it".to_owned(),
        ))
    } else if t.get("registration_url").is_some()
        && [REGISTERED_CLIENT_ID, REGISTERED_CLIENT_SECRET].contains(&name)
    {
        Some((
            format!(
                "`{name}` is the client registered at `registration_url`; it cannot be captured too"
            ),
            "capture the value under another name, or remove it".to_owned(),
        ))
    } else if earlier.iter().any(|n| n == name) {
        Some((
            format!("`{name}` is captured twice"),
            "remove one".to_owned(),
        ))
    } else {
        None
    };
    match problem {
        Some((message, help)) => {
            r.error(span, &field, message, help);
            false
        }
        None => true,
    }
}

fn auth(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    ty: &'static str,
    declared: &Declared,
    inputs: &[InputField],
) -> Option<Auth> {
    let note = format!("to `type = \"{ty}\"` authentication");
    match ty {
        "none" | "api_key" => {
            // An API key's requests carry a credential an after-connect request can use.
            let allowed: &[&str] = if ty == "api_key" {
                &["type", "after_connect"]
            } else {
                &["type"]
            };
            let all: Vec<&str> = OAUTH_KEYS
                .iter()
                .copied()
                .filter(|k| !allowed.contains(k))
                .collect();
            r.check_keys(t, allowed, &all, &note);
            if ty == "api_key" && inputs.is_empty() {
                r.error(
                    t.span.clone(),
                    "inputs",
                    "`api_key` authentication needs at least one `[[inputs]]` field for the key",
                    "add [[inputs]] key = \"api_key\", label = \"API key\", kind = \"password\"",
                );
                return None;
            }
            Some(if ty == "none" {
                Auth::None
            } else {
                Auth::ApiKey
            })
        }
        "token_exchange" => token_exchange(r, t, declared).map(Auth::TokenExchange),
        "client_credentials" => {
            r.check_keys(t, CLIENT_CREDENTIALS_KEYS, OAUTH_KEYS, &note);
            let token_url = url_choice(r, t, "token_url", declared, false);
            let client_id = client_value(r, t, "client_id", ty, declared, inputs);
            let client_auth = client_auth(r, t);
            let client_assertion = client_assertion(r, t, ty, client_auth, declared, inputs);
            let client_secret = match client_auth {
                Some(ClientAuth::PrivateKeyJwt) => no_secret(r, t),
                // A wrong `client_auth` is reported; whether a secret is due is unknown.
                None if t.get("client_secret").is_none() => None,
                _ => client_value(r, t, "client_secret", ty, declared, inputs),
            };
            let (scopes, scope_separator) = scopes(r, t);
            let token_encoding = token_encoding(r, t);
            let token_params = params(r, t, "token_params", declared);
            let grant = token_grant(r, t, declared, inputs);
            let expires_in_unit = choice(
                r,
                t,
                "expires_in_unit",
                &[
                    ("seconds", ExpiresInUnit::Seconds),
                    ("milliseconds", ExpiresInUnit::Milliseconds),
                ],
            );
            // With a signed assertion, the key stands where the secret would.
            let secret_or_key = match &client_assertion {
                Some(Some(a)) => Some(&a.key),
                _ => client_secret.as_ref(),
            };
            let owner_client = owner_client(client_id.as_ref(), secret_or_key);
            if owner_client {
                refuse_end_user_hosts(r, "token_url", token_url.as_ref(), declared);
            }
            Some(Auth::ClientCredentials(ClientCredentials {
                grant: grant?,
                token_url: token_url?.0,
                client_id: client_id?,
                client_secret: client_secret?,
                scopes: scopes?,
                scope_separator,
                client_auth: client_auth?,
                token_encoding: token_encoding?,
                token_params: token_params?,
                capture: declared.captures.clone(),
                capture_at: declared.capture_at.clone(),
                client_assertion: client_assertion?,
                url_inputs: declared.url_inputs.clone(),
                expires_in_unit: expires_in_unit?,
            }))
        }
        _ => {
            r.check_keys(t, OAUTH_KEYS, &[], "");
            let authorization_url = url_choice(r, t, "authorization_url", declared, false);
            let token_url = token_url_after_callback(r, t, declared);
            let refresh_url = match t.get("refresh_url") {
                // Refreshing happens with a credential, so its captured values may be used.
                Some(_) => Some(url_choice(r, t, "refresh_url", declared, true)?),
                None => None,
            };
            let registration = registration(r, t, declared);
            let client_auth = client_auth(r, t);
            let client_assertion = client_assertion(r, t, ty, client_auth, declared, inputs);
            // With `registration_url`, even a wrong one, the owner's client is not expected.
            let (client_id, client_secret) = match &registration {
                Some(None) => (
                    client_value(r, t, "client_id", ty, declared, inputs),
                    match client_auth {
                        Some(ClientAuth::PrivateKeyJwt) => no_secret(r, t),
                        // A wrong `client_auth` is reported; whether a secret is due is unknown.
                        None if t.get("client_secret").is_none() => None,
                        _ => client_value(r, t, "client_secret", ty, declared, inputs),
                    },
                ),
                _ => (
                    Some(credential_template(REGISTERED_CLIENT_ID)),
                    Some(credential_template(REGISTERED_CLIENT_SECRET)),
                ),
            };
            let (scopes, scope_separator) = scopes(r, t);
            let pkce = r.opt_bool(t, "pkce").unwrap_or(false);
            if matches!(registration, Some(Some(_)))
                && client_auth == Some(ClientAuth::PrivateKeyJwt)
                && let Some(v) = t.get("client_auth")
            {
                r.error(
                    v.span(),
                    "auth.client_auth",
                    "`private_key_jwt` beside `registration_url`: a client registered at connect time has no key of the owner's",
                    "use client_auth = \"body\" or \"basic\" with registration_url",
                );
            }
            let token_encoding = token_encoding(r, t);
            let authorization_params = params(r, t, "authorization_params", declared);
            let authorization_param_names = param_names(r, t);
            let provider_id = provider_id(r, t);
            let alternate_token_path = match t.get("alternate_token_path") {
                None => Some(None),
                Some(_) => r
                    .opt_string(t, "alternate_token_path")
                    .and_then(|(p, span)| {
                        json_pointer(r, p, span, "auth.alternate_token_path").map(Some)
                    }),
            };
            let callback_code = callback_code(r, t);
            let response_type = crate::read_response_type::read(r, t);
            let nonce_param = crate::read_nonce::read(r, t);
            let token_params = params(r, t, "token_params", declared);
            let refresh_params = match t.get("refresh_params") {
                Some(_) => params(r, t, "refresh_params", declared).map(Some),
                None => Some(None),
            };
            // A registered client is the provider's own grant to this user: no owner secret
            // goes to the URLs, so they may be the user's host.
            let registered = matches!(registration, Some(Some(_)));
            if !registered && owner_client(client_id.as_ref(), client_secret.as_ref()) {
                for (key, url) in [
                    ("authorization_url", authorization_url.as_ref()),
                    ("token_url", token_url.as_ref()),
                    ("refresh_url", refresh_url.as_ref()),
                ] {
                    refuse_end_user_hosts(r, key, url, declared);
                }
            }
            Some(Auth::OAuth(OAuth {
                authorization_url: authorization_url?.0,
                token_url: token_url?.0,
                refresh_url: refresh_url.map(|(u, _)| u),
                client_id: client_id?,
                client_secret: client_secret?,
                scopes: scopes?,
                scope_separator,
                pkce,
                client_auth: client_auth?,
                token_encoding: token_encoding?,
                authorization_params: authorization_params?,
                authorization_param_names: authorization_param_names?,
                token_params: token_params?,
                refresh_params: refresh_params?,
                provider_id: provider_id?,
                capture: declared.captures.clone(),
                capture_at: declared.capture_at.clone(),
                alternate_token_path: alternate_token_path?,
                callback_capture: Vec::new(),
                callback_code: callback_code?,
                response_type: response_type?,
                nonce_param: nonce_param?,
                registration: registration?,
                client_assertion: client_assertion?,
                url_inputs: declared.url_inputs.clone(),
            }))
        }
    }
}

/// `registration_url` (and `client_name`): dynamic client registration. `Some(None)` when
/// the manifest has none; `None` when what it has is wrong. The owner's `client_id` /
/// `client_secret` contradict a registered client and are refused beside it.
fn registration(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    declared: &Declared,
) -> Option<Option<Registration>> {
    let name = r.opt_string(t, "client_name");
    if t.get("registration_url").is_none() {
        if let Some((_, span)) = name {
            r.error(
                span,
                &t.field("client_name"),
                "`client_name` names a client registered at connect time, but there is no `registration_url`",
                "add registration_url = \"https://…/register\", or remove client_name",
            );
        }
        return Some(None);
    }
    let mut ok = true;
    for key in ["client_id", "client_secret"] {
        if let Some(value) = t.get(key) {
            ok = false;
            r.error(
                value.span(),
                &t.field(key),
                format!("`{key}` beside `registration_url`: the client is registered when a user connects, so its id and secret are issued then"),
                format!("remove `{key}`, or remove `registration_url` to use the owner's client"),
            );
        }
    }
    let client_name = match name {
        Some((n, span)) if n.trim().is_empty() => {
            r.error(
                span,
                &t.field("client_name"),
                "`client_name` is empty",
                "name the client as users will see it on the consent page, or remove client_name to use the integration's name",
            );
            ok = false;
            String::new()
        }
        Some((n, _)) => n,
        None => String::new(),
    };
    let url = url_field(r, t, "registration_url", declared, true, false)?;
    ok.then(|| {
        Some(Registration {
            url,
            client_name,
            url_inputs: declared.url_inputs.clone(),
        })
    })
}

/// A registered client without `client_name` is registered under the integration's name.
fn with_client_name(mut auth: Auth, name: &str) -> Auth {
    if let Auth::OAuth(o) = &mut auth
        && let Some(r) = &mut o.registration
        && r.client_name.is_empty()
    {
        r.client_name = name.to_owned();
    }
    auth
}

/// `callback_code`: the callback's parameter holding the code (default `code`).
fn callback_code(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<String> {
    let Some((name, span)) = r.opt_string(t, "callback_code") else {
        return t.get("callback_code").is_none().then(|| "code".to_owned());
    };
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if valid {
        return Some(name);
    }
    r.error(
        span,
        "auth.callback_code",
        format!("`{name}` is not a parameter name"),
        "use letters, digits, `_`, `-` or `.`, e.g. \"auth_code\"",
    );
    None
}

/// Whether the client id or secret is the owner's (not both end-user inputs): then the OAuth
/// URLs must not send them to a host an end user picks.
fn owner_client(id: Option<&Template>, secret: Option<&Template>) -> bool {
    let from_input = |t: Option<&Template>| {
        t.is_some_and(|t| matches!(t.parts(), [Part::Ref(Reference::Input(_))]))
    };
    !(from_input(id) && from_input(secret))
}

/// Refuses an `[auth]` URL any of whose alternatives takes its host from an end user (an
/// input, user metadata, a setting, or a value of the OAuth callback's query) unless the
/// manifest holds it to hosts it names (see `url_rule::open_host`, and a callback value's
/// `one_of`): the owner's client secret (and the user's codes and refresh tokens) would go to
/// whatever host the user names.
fn refuse_end_user_hosts(
    r: &mut Reader<'_>,
    key: &str,
    url: Option<&(UrlAlternatives, Vec<Written>)>,
    declared: &Declared,
) {
    let Some((alternatives, written)) = url else {
        return;
    };
    for (template, w) in alternatives.all().iter().zip(written) {
        if let Err((reference, message, help)) = callback_host(key, template, declared) {
            let at = r.reference_span(&w.text, &w.span, &reference);
            r.error(at, &w.field, message, help);
            continue;
        }
        open_end_user_host(r, key, template, w, declared);
    }
}

/// A callback value in the host of `template` (the `[auth]` URL `key`) that is refused: the
/// reference, the message and the fix. It must be held to `one_of`, and each allowed value
/// must make a valid URL on a host the manifest names.
fn callback_host(
    key: &str,
    template: &Template,
    declared: &Declared,
) -> Result<(), (Reference, String, String)> {
    for reference in crate::url_rule::host_references(template) {
        let Reference::Credential(name) = reference else {
            continue;
        };
        let Some(value) = declared.callback.iter().find(|c| &c.name == name) else {
            continue;
        };
        if value.one_of.is_empty() && !value.subdomain {
            return Err((
                reference.clone(),
                format!(
                    "the host of `{key}` comes from `{reference}`, a value of the OAuth \
                     callback's query, which the end user's browser carries and can change: the \
                     app's client secret would be sent to any host a user names"
                ),
                format!(
                    "hold it to the hosts you name: callback_capture = [{{ name = \"{name}\", \
                     one_of = [\"https://accounts.example.com\", \"https://accounts.example.eu\"] }}], \
                     or, before your provider's domain (\"https://{reference}.example.com/…\"), \
                     {{ name = \"{name}\", kind = \"subdomain\" }}"
                ),
            ));
        }
        if value.one_of.is_empty() {
            if let Err(why) = subdomain_host(template, reference, declared) {
                return Err((
                    reference.clone(),
                    format!(
                        "the host of `{key}` comes from `{reference}`, a value of the OAuth \
                         callback's query ({why}): the app's client secret would be sent to any \
                         host a user names"
                    ),
                    "a subdomain value must be followed by your provider's fixed domain: \
                     \"https://{credential.x}.example.com/…\", or hold it to one_of"
                        .into(),
                ));
            }
            continue;
        }
        for allowed in &value.one_of {
            let with = substitute(template, reference, allowed);
            let inputs = crate::url_rule::HostInputs {
                url: &declared.url_inputs,
                subdomain: &declared.subdomain_inputs,
                selects: &declared.selects,
            };
            let open = crate::url_rule::open_host(&with, &inputs)
                .err()
                .map(|o| o.why);
            if let Some(reason) = crate::url_rule::check_template(&with).err().or(open) {
                return Err((
                    reference.clone(),
                    format!(
                        "`{reference}` in the host of `{key}`: its allowed value `{}` makes no \
                         valid URL ({reason})",
                        allowed.as_str()
                    ),
                    "write each value of `one_of` as the part of the URL it stands for, e.g. \
                     \"https://accounts.example.eu\""
                        .into(),
                ));
            }
        }
    }
    Ok(())
}

/// [`refuse_end_user_hosts`] for a URL written as one template (a token exchange's `url`, its
/// refresh's).
pub(crate) fn refuse_end_user_host(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    key: &str,
    template: Option<&Template>,
    declared: &Declared,
) {
    let Some(template) = template else { return };
    let Some((text, span)) = r.opt_string(t, key) else {
        return;
    };
    let field = t.field(key);
    open_end_user_host(r, key, template, &Written { text, span, field }, declared);
}

/// The host rule for a callback value of one DNS label (`kind = "subdomain"`): the rule of a
/// `subdomain` input, which it is checked like when the callback arrives.
fn subdomain_host(
    template: &Template,
    reference: &Reference,
    declared: &Declared,
) -> Result<(), String> {
    // Named so no input can be: `open_host` then sees it as one more subdomain input.
    let stand_in = Reference::Input(format!("callback value {}", reference.name()));
    let with = substitute(
        template,
        reference,
        &Template::from_parts(stand_in.to_string(), vec![Part::Ref(stand_in.clone())]),
    );
    let mut subdomains = declared.subdomain_inputs.clone();
    subdomains.push(stand_in.name().to_owned());
    let inputs = crate::url_rule::HostInputs {
        url: &declared.url_inputs,
        subdomain: &subdomains,
        selects: &declared.selects,
    };
    crate::url_rule::open_host(&with, &inputs).map_err(|o| o.why)
}

/// `template` with `reference` replaced by `value`'s parts.
fn substitute(template: &Template, reference: &Reference, value: &Template) -> Template {
    let mut parts = Vec::new();
    for part in template.parts() {
        match part {
            Part::Ref(r) if r == reference => parts.extend(value.parts().iter().cloned()),
            other => parts.push(other.clone()),
        }
    }
    let source = template
        .as_str()
        .replace(&reference.to_string(), value.as_str());
    Template::from_parts(source, parts)
}

/// Refuses one alternative whose host an end user's value can make any host.
fn open_end_user_host(
    r: &mut Reader<'_>,
    key: &str,
    template: &Template,
    w: &Written,
    declared: &Declared,
) {
    let inputs = crate::url_rule::HostInputs {
        url: &declared.url_inputs,
        subdomain: &declared.subdomain_inputs,
        selects: &declared.selects,
    };
    let Err(open) = crate::url_rule::open_host(template, &inputs) else {
        return;
    };
    let value = format!(
        "{{{}.{}}}",
        open.reference.namespace(),
        open.reference.name()
    );
    let at = r.reference_span(&w.text, &w.span, open.reference);
    r.error(
        at,
        &w.field,
        format!(
            "the host of `{key}` comes from the end user's `{value}` ({}): the app's client \
             secret would be sent to any host a user names",
            open.why
        ),
        format!(
            "hold the host to hosts you name: make `{value}` a `select` input listing them \
             (options = [\"api.example.com\", \"api.example.eu\"]), or follow it with your \
             provider's domain (\"https://{value}.example.com/…\", or \
             \"https://{value}-api.example.com/…\" with kind = \"subdomain\"); for a \
             self-hosted product with its own OAuth app, take client_id and client_secret from \
             inputs too"
        ),
    );
}

/// An `[auth]` URL that may be written as alternatives (`authorization_url`, `token_url`,
/// `refresh_url`); `credential_allowed`: it is used with a credential (refresh).
fn url_choice(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    key: &str,
    declared: &Declared,
    credential_allowed: bool,
) -> Option<(UrlAlternatives, Vec<Written>)> {
    let example = format!(
        "e.g. {key} = \"https://example.com/oauth/{}\"",
        if key == "authorization_url" {
            "authorize"
        } else {
            "token"
        }
    );
    crate::url_alternatives::read(r, t, key, declared, credential_allowed, &example)
}

/// OAuth's `token_url`: at the code exchange there is no credential yet, but the callback's
/// values (`callback_capture`) are known, so those, and only those, may be used.
fn token_url_after_callback(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    declared: &Declared,
) -> Option<(UrlAlternatives, Vec<Written>)> {
    if declared.callback.is_empty() {
        return url_choice(r, t, "token_url", declared, false);
    }
    let (alternatives, written) = url_choice(r, t, "token_url", declared, true)?;
    let before = r.count();
    for (template, w) in alternatives.all().iter().zip(&written) {
        for reference in template.references() {
            let from_callback = matches!(reference, Reference::Credential(n)
                if declared.callback.iter().any(|c| &c.name == n));
            if from_callback
                || !matches!(reference, Reference::Credential(_) | Reference::Setting(_))
            {
                continue;
            }
            let at = r.reference_span(&w.text, &w.span, reference);
            r.error(
                at,
                &w.field,
                format!("`{reference}` cannot be used here: at the code exchange there is no credential yet, only the callback's values (`callback_capture`)"),
                "use inputs, environment secrets, user metadata or a callback value; a refresh may use it in `refresh_url`",
            );
        }
    }
    (r.count() == before).then_some((alternatives, written))
}

/// A required URL field of `[auth]` (`required == false`: present but optional).
fn url_field(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    key: &str,
    declared: &Declared,
    required: bool,
    credential_allowed: bool,
) -> Option<Template> {
    let help = format!(
        "e.g. {key} = \"https://example.com/oauth/{}\"",
        if key == "authorization_url" {
            "authorize"
        } else {
            "token"
        }
    );
    let (text, span) = if required {
        r.req_string(t, key, &help)?
    } else {
        r.opt_string(t, key)?
    };
    r.url_template(&text, &span, &t.field(key), declared, credential_allowed)
}

/// `client_id` / `client_secret`: a single reference, never a literal. OAuth apps keep them in
/// environment secrets; client credentials usually come from the end user's inputs.
fn client_value(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    key: &str,
    ty: &str,
    declared: &Declared,
    inputs: &[InputField],
) -> Option<Template> {
    let name = key.to_ascii_uppercase();
    let help = if ty == "oauth" {
        format!(
            "reference an environment secret: `{{env.EXAMPLE_{name}}}` (or, for the end user's own OAuth app, an input: `{{input.{key}}}`)"
        )
    } else {
        format!("reference an input or an environment secret: `{{input.{key}}}`")
    };
    let (text, span) = r.req_string(t, key, &help)?;
    let field = t.field(key);
    let template = r.template(&text, &span, &field, declared, false)?;
    let what = key.replace('_', " ");
    match template.parts() {
        [Part::Ref(Reference::Env(_))] => Some(template),
        // OAuth too: a self-hosted product's own OAuth app is the end user's to enter.
        [Part::Ref(Reference::Input(k))] => {
            let secret_input = inputs.iter().find(|i| &i.key == k);
            if key == "client_secret" && secret_input.is_some_and(|i| !i.secret) {
                r.error(
                    span,
                    &field,
                    format!("the input `{k}` holds the client secret but is not marked secret"),
                    format!("set `secret = true` (or kind = \"password\") on the input `{k}`"),
                );
                return None;
            }
            Some(template)
        }
        parts if parts.iter().all(|p| matches!(p, Part::Literal(_))) => {
            r.error(
                span,
                &field,
                format!("literal {what} in the manifest"),
                help,
            );
            None
        }
        _ => {
            r.error(
                span,
                &field,
                format!("`{field}` must be a single reference to an environment secret or an input, nothing else"),
                help,
            );
            None
        }
    }
}

fn scopes(r: &mut Reader<'_>, t: &Table<'_, '_>) -> (Option<Vec<String>>, String) {
    let separator = match r.opt_string(t, "scope_separator") {
        Some((s, _)) if !s.is_empty() => s,
        Some((_, span)) => {
            r.error(
                span,
                "auth.scope_separator",
                "the scope separator is empty",
                "e.g. \" \" or \",\"",
            );
            " ".to_owned()
        }
        None => " ".to_owned(),
    };
    let Some(list) = r.opt_string_array(t, "scopes") else {
        let ok = t.get("scopes").is_none();
        return (ok.then(Vec::new), separator);
    };
    let mut out = Vec::new();
    let mut ok = true;
    for (i, (scope, span)) in list.into_iter().enumerate() {
        let field = format!("auth.scopes[{i}]");
        if scope.is_empty() || scope.chars().any(char::is_whitespace) || scope.contains(&separator)
        {
            r.error(
                span,
                &field,
                format!("scope `{scope}` is empty or contains a space or the separator"),
                "write one scope per string, e.g. scopes = [\"read:user\", \"repo\"]",
            );
            ok = false;
        } else {
            out.push(scope);
        }
    }
    (ok.then_some(out), separator)
}

fn client_auth(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<ClientAuth> {
    if t.get("client_auth").is_none() {
        return Some(ClientAuth::Body);
    }
    let (s, span) = r.opt_string(t, "client_auth")?;
    match s.as_str() {
        "body" => Some(ClientAuth::Body),
        "basic" => Some(ClientAuth::Basic),
        "private_key_jwt" => Some(ClientAuth::PrivateKeyJwt),
        other => {
            let help = match closest(other, &["body", "basic", "private_key_jwt"]) {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => "expected \"body\" (form fields), \"basic\" (an `Authorization: Basic` header) or \"private_key_jwt\" (a signed assertion)".to_owned(),
            };
            r.error(
                span,
                "auth.client_auth",
                format!("unknown client authentication `{other}`"),
                help,
            );
            None
        }
    }
}

/// `grant` and the values it needs: `username` / `password` for `"password"`,
/// `refresh_token` for `"refresh_token"`, each a template over inputs or environment secrets
/// (a secret input for the password and the refresh token). A value for another grant is
/// refused.
fn token_grant(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    declared: &Declared,
    inputs: &[InputField],
) -> Option<TokenGrant> {
    let kind = choice(
        r,
        t,
        "grant",
        &[
            ("client_credentials", "client_credentials"),
            ("password", "password"),
            ("refresh_token", "refresh_token"),
        ],
    );
    let wanted: &[&str] = match kind {
        Some("password") => &["username", "password"],
        Some("refresh_token") => &["refresh_token"],
        _ => &[],
    };
    for key in ["username", "password", "refresh_token"] {
        if let Some(v) = t.get(key)
            && kind.is_some()
            && !wanted.contains(&key)
        {
            r.error(
                v.span(),
                &t.field(key),
                format!(
                    "`{key}` is only used with grant = \"{}\"",
                    if key == "refresh_token" {
                        "refresh_token"
                    } else {
                        "password"
                    }
                ),
                "set that grant, or remove the field",
            );
        }
    }
    let value = |r: &mut Reader<'_>, key: &str, secret: bool| -> Option<Template> {
        let (text, span) = r.req_string(t, key, &format!("e.g. {key} = \"{{input.{key}}}\""))?;
        let field = t.field(key);
        let template = r.template(&text, &span, &field, declared, false)?;
        let plain = template.references().find_map(|reference| match reference {
            Reference::Input(k) if inputs.iter().any(|i| &i.key == k && !i.secret) => Some(k),
            _ => None,
        });
        if secret && let Some(k) = plain {
            r.error(
                span,
                &field,
                format!(
                    "the input `{k}` holds the {} but is not marked secret",
                    key.replace('_', " ")
                ),
                format!("set `secret = true` (or kind = \"password\") on the input `{k}`"),
            );
            return None;
        }
        Some(template)
    };
    match kind? {
        "password" => {
            let username = value(r, "username", false);
            let password = value(r, "password", true);
            Some(TokenGrant::Password {
                username: username?,
                password: password?,
            })
        }
        "refresh_token" => Some(TokenGrant::RefreshToken {
            refresh_token: value(r, "refresh_token", true)?,
        }),
        _ => Some(TokenGrant::ClientCredentials),
    }
}

/// With `private_key_jwt` no client secret is sent: one in the manifest would be a mistake.
fn no_secret(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<Template> {
    if let Some(v) = t.get("client_secret") {
        r.error(
            v.span(),
            "auth.client_secret",
            "`client_secret` beside client_auth = \"private_key_jwt\": the client authenticates with a signed assertion, no secret is sent",
            "remove client_secret, or choose client_auth = \"body\" or \"basic\"",
        );
        return None;
    }
    Template::parse("").ok()
}

/// `[auth.client_assertion]`: required with `client_auth = "private_key_jwt"`, refused
/// without it. `None` when it is wrong; `Some(None)` when there is none.
fn client_assertion(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    ty: &str,
    client_auth: Option<ClientAuth>,
    declared: &Declared,
    inputs: &[InputField],
) -> Option<Option<ClientAssertion>> {
    let signed = client_auth == Some(ClientAuth::PrivateKeyJwt);
    let Some(value) = t.get("client_assertion") else {
        if signed {
            r.missing(
                t,
                "client_assertion",
                "client_auth = \"private_key_jwt\" signs with a key: add [auth.client_assertion] key = \"{env.EXAMPLE_PRIVATE_KEY}\"",
            );
            return None;
        }
        return Some(None);
    };
    if !signed {
        if client_auth.is_some() {
            r.error(
                value.span(),
                "auth.client_assertion",
                "`client_assertion` is only used with client_auth = \"private_key_jwt\"",
                "add client_auth = \"private_key_jwt\", or remove [auth.client_assertion]",
            );
        }
        return None;
    }
    let a = r.opt_table(t, "client_assertion")?;
    r.check_keys(&a, &["key", "algorithm", "key_id"], &[], "");
    let key = client_value(r, &a, "key", ty, declared, inputs);
    if let Some(Part::Ref(Reference::Input(k))) = key.as_ref().and_then(|k| k.parts().first())
        && inputs.iter().any(|i| &i.key == k && !i.secret)
        && let Some(v) = a.get("key")
    {
        r.error(
            v.span(),
            "auth.client_assertion.key",
            format!("the input `{k}` holds a private key but is not marked secret"),
            format!("set `secret = true` (or kind = \"password\") on the input `{k}`"),
        );
        return None;
    }
    let algorithm = if a.get("algorithm").is_none() {
        Some("RS256")
    } else {
        let (name, span) = r.opt_string(&a, "algorithm")?;
        let found = crate::client_assertion::ASSERTION_ALGORITHMS
            .iter()
            .find(|n| **n == name)
            .copied();
        if found.is_none() {
            let help = match closest(
                &name.to_ascii_uppercase(),
                crate::client_assertion::ASSERTION_ALGORITHMS,
            ) {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => format!(
                    "expected one of: {}",
                    quote_list(crate::client_assertion::ASSERTION_ALGORITHMS)
                ),
            };
            r.error(
                span,
                "auth.client_assertion.algorithm",
                format!("unknown signing algorithm `{name}`"),
                help,
            );
        }
        found
    };
    let key_id = match r.opt_string(&a, "key_id") {
        Some((text, span)) => {
            Some(r.template(&text, &span, &a.field("key_id"), declared, false)?)
        }
        None if a.get("key_id").is_some() => return None,
        None => None,
    };
    Some(Some(ClientAssertion {
        key: key?,
        algorithm: algorithm?,
        key_id,
    }))
}

fn params(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    key: &str,
    declared: &Declared,
) -> Option<Vec<Entry>> {
    if t.get(key).is_none() {
        return Some(Vec::new());
    }
    let table = r.opt_table(t, key)?;
    let before = r.count();
    for (name, _) in table.map.iter() {
        let name: &str = name.get_ref();
        // A token exchange's parameters are all its own. `grant_type` is a parameter of the
        // token request only (RFC 6749 §4.1.3): the authorization request has none of its own
        // (§4.1.1), so a provider that wants one there (Jira Data Center) gets it.
        let own = key != "params"
            && PROTOCOL_PARAMS.contains(&name)
            && !(key == "authorization_params" && name == "grant_type");
        if own {
            let span = table
                .map
                .get_key_value(name)
                .map_or(table.span.clone(), |(k, _)| k.span());
            r.error(
                span,
                &table.field(name),
                format!("`{name}` is a protocol parameter: the server sets it itself"),
                format!("remove `{name}` from `auth.{key}`"),
            );
        }
    }
    let out = crate::read_entries::entries(r, &table, declared, false, false);
    (r.count() == before).then_some(out)
}

/// `[auth.authorization_param_names]`: the provider's names for the authorization request's
/// own parameters, e.g. `client_id = "app_id"`.
fn param_names(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<Vec<(String, String)>> {
    const RENAMEABLE: &[&str] = &[
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
    ];
    if t.get("authorization_param_names").is_none() {
        return Some(Vec::new());
    }
    let table = r.opt_table(t, "authorization_param_names")?;
    let before = r.count();
    r.check_keys(&table, RENAMEABLE, &[], "");
    let mut out = Vec::new();
    for (key, value) in table.map.iter() {
        let name: &str = key.get_ref();
        let field = table.field(name);
        let Some((renamed, span)) = r.string(value, &field) else {
            continue;
        };
        let valid = !renamed.is_empty()
            && renamed
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            r.error(
                span,
                &field,
                format!("`{renamed}` is not a parameter name"),
                "use letters, digits, `_`, `-` or `.`, e.g. \"app_id\"",
            );
            continue;
        }
        out.push((name.to_owned(), renamed));
    }
    (r.count() == before).then_some(out)
}

/// Parameters of the authorization and token requests that the OAuth flow itself sets: a
/// manifest value would be sent twice (or replace the flow's), and providers refuse that.
const PROTOCOL_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "grant_type",
];

const API_KEYS: &[&str] = &[
    "base_url",
    "test_endpoint",
    "authorization",
    "headers",
    "allowed_hosts",
];

fn api(r: &mut Reader<'_>, t: &Table<'_, '_>, declared: &Declared) -> Option<Api> {
    r.check_keys(t, API_KEYS, &[], "");
    let base_url = base_url(r, t, declared);
    let test_endpoint = test_endpoint(r, t);
    let authorization = match t.get("authorization") {
        Some(_) => r
            .opt_table(t, "authorization")
            .and_then(|a| authorization(r, &a, declared)),
        None if declared.auth_type == Some("none") => Some((ApiAuthorization::None, Vec::new())),
        None => {
            let example = match declared.auth_type {
                Some("api_key") => {
                    "authorization = { type = \"headers\", headers = { \"X-Api-Key\" = \"{input.api_key}\" } }"
                }
                _ => "authorization = { type = \"bearer\", token = \"{credential.access_token}\" }",
            };
            r.missing(
                t,
                "authorization",
                format!("say how requests are authorized, e.g. {example}"),
            );
            None
        }
    };
    let headers = match t.get("headers") {
        Some(_) => {
            let before = r.count();
            let map = r.opt_table(t, "headers");
            map.map(|h| default_headers(r, &h, declared))
                .filter(|_| r.count() == before)
        }
        None => Some(Vec::new()),
    };
    let allowed_hosts = allowed_hosts(r, t);
    let (base_url, base_url_fallbacks) = base_url?;
    let (authorization, also) = authorization?;
    Some(Api {
        base_url,
        base_url_fallbacks,
        test_endpoint: test_endpoint?,
        authorization,
        also,
        headers: headers?,
        allowed_hosts: allowed_hosts?,
        url_inputs: declared.url_inputs.clone(),
    })
}

/// `base_url`: a URL template, or an array of alternatives of which the first whose
/// references all have values is used (`["{credential.instance_url}", "https://api.example.com"]`).
/// Before the last alternative an optional input without a default is fine: without a value,
/// the next one is used; the last must always have values.
fn base_url(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    declared: &Declared,
) -> Option<(Template, Vec<Template>)> {
    const EXAMPLE: &str = "e.g. base_url = \"https://api.example.com/v1\"";
    let items = match t.get("base_url").map(|v| (v, v.get_ref())) {
        Some((v, DeValue::Array(items))) if items.is_empty() => {
            r.error(
                v.span(),
                "api.base_url",
                "`api.base_url` has no alternatives",
                "e.g. [\"{credential.instance_url}\", \"https://api.example.com\"]: the first with values is used",
            );
            return None;
        }
        Some((_, DeValue::Array(items))) => items,
        _ => {
            let (text, span) = r.req_string(t, "base_url", EXAMPLE)?;
            return r
                .url_template(&text, &span, "api.base_url", declared, true)
                .map(|b| (b, Vec::new()));
        }
    };
    let relaxed = Declared {
        optional: Vec::new(),
        ..declared.clone()
    };
    let before = r.count();
    let mut alternatives = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = format!("api.base_url[{i}]");
        let Some((text, span)) = r.string(item, &field) else {
            continue;
        };
        let rules = if i + 1 == items.len() {
            declared
        } else {
            &relaxed
        };
        alternatives.extend(r.url_template(&text, &span, &field, rules, true));
    }
    if r.count() != before {
        return None;
    }
    let first = alternatives.remove(0);
    Some((first, alternatives))
}

/// `[api.headers]`: each value a template, or an array of alternatives ([`Entry`]): without a
/// value for an optional input, the next alternative is used, or the header is left out.
fn default_headers(
    r: &mut Reader<'_>,
    table: &Table<'_, '_>,
    declared: &Declared,
) -> Vec<DefaultHeader> {
    crate::read_entries::entries(r, table, declared, true, true)
        .into_iter()
        .map(|e| DefaultHeader {
            name: e.name,
            alternatives: e.alternatives,
            optional: e.optional,
        })
        .collect()
}

/// `allowed_hosts`: further hosts a full-URL request may carry the credential to (GitHub's
/// `uploads.github.com`, say). Plain lowercase host names: no scheme, port, path or wildcard.
fn allowed_hosts(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<Vec<String>> {
    let Some(list) = r.opt_string_array(t, "allowed_hosts") else {
        return t.get("allowed_hosts").is_none().then(Vec::new);
    };
    let mut out = Vec::new();
    let mut ok = true;
    for (i, (host, span)) in list.into_iter().enumerate() {
        let valid = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            });
        if valid {
            out.push(host);
        } else {
            ok = false;
            r.error(
                span,
                &format!("api.allowed_hosts[{i}]"),
                format!("`{host}` is not a host name"),
                "write the lowercase host alone, without scheme, port or path, e.g. \"uploads.github.com\"",
            );
        }
    }
    ok.then_some(out)
}

fn test_endpoint(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<String> {
    let (path, span) = r.req_string(
        t,
        "test_endpoint",
        "name a path that answers GET with the connected account, e.g. test_endpoint = \"/me\"",
    )?;
    let problem = if !path.starts_with('/') {
        Some("must start with `/`")
    } else if path.starts_with("//") {
        Some("must not start with `//`")
    } else if path.contains("://") {
        Some("must not be an absolute URL")
    } else if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("must not contain spaces or control characters")
    } else if path.contains(['{', '}']) {
        Some("cannot use templates")
    } else if path.contains('#') {
        Some("must not contain a fragment (`#`)")
    } else {
        None
    };
    if let Some(problem) = problem {
        r.error(
            span,
            "api.test_endpoint",
            format!("the test endpoint must be a path relative to the base URL: it {problem}"),
            "e.g. test_endpoint = \"/users/me\"",
        );
        return None;
    }
    Some(path)
}

const AUTHORIZATION_KEYS: &[&str] = &[
    "type", "token", "username", "password", "scheme", "header", "headers", "params", "body",
];

/// `api.authorization`: the placement `type` names, and the further placements (`params`,
/// `body`) written beside it.
fn authorization(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    declared: &Declared,
) -> Option<(ApiAuthorization, Vec<ApiAuthorization>)> {
    let (ty, span) = r.req_string(
        t,
        "type",
        "choose: type = \"bearer\", \"basic\", \"headers\", \"query\", \"body\" or \"none\"",
    )?;
    let allowed: &[&str] = match ty.as_str() {
        "none" => &["type"],
        "bearer" => &["type", "token", "params", "body"],
        "basic" => &[
            "type", "username", "password", "scheme", "header", "params", "body",
        ],
        "headers" => &["type", "headers", "params", "body"],
        "query" => &["type", "params", "body"],
        "body" => &["type", "body", "params"],
        other => {
            r.check_keys(t, AUTHORIZATION_KEYS, &[], "");
            let help = match closest(other, crate::read_placements::TYPES) {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => "expected one of: \"none\", \"bearer\", \"basic\", \"headers\", \"query\", \"body\"".to_owned(),
            };
            r.error(
                span,
                "api.authorization.type",
                format!("unknown API authorization `{other}`"),
                help,
            );
            return None;
        }
    };
    r.check_keys(
        t,
        allowed,
        AUTHORIZATION_KEYS,
        &format!("to `type = \"{ty}\"`"),
    );
    let placement = placement(r, t, &ty, declared);
    let also = crate::read_placements::also(r, t, &ty, declared);
    Some((placement?, also?))
}

/// The placement `type` names.
fn placement(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    ty: &str,
    declared: &Declared,
) -> Option<ApiAuthorization> {
    let secret_value =
        |r: &mut Reader<'_>, key: &str, help: &str| -> Option<(Template, Range<usize>)> {
            let (text, span) = r.req_string(t, key, help)?;
            let template = r.template(&text, &span, &t.field(key), declared, true)?;
            Some((template, span))
        };
    match ty {
        "none" => Some(ApiAuthorization::None),
        "bearer" => {
            let (token, span) =
                secret_value(r, "token", "e.g. token = \"{credential.access_token}\"")?;
            if token.literal().is_some() {
                literal_secret(r, span, "api.authorization.token");
                return None;
            }
            if user_value(r, &token, span, "api.authorization.token").is_some() {
                return None;
            }
            Some(ApiAuthorization::Bearer { token })
        }
        "basic" => {
            let username = secret_value(r, "username", "e.g. username = \"{input.api_key}\"");
            let password = match t.get("password") {
                Some(_) => secret_value(r, "password", "").map(Some),
                None => Some(None),
            };
            let form = crate::read_placements::scheme_and_header(r, t);
            let ((username, span), password, (scheme, header)) = (username?, password?, form?);
            let mut refused = user_value(r, &username, span.clone(), "api.authorization.username");
            if let Some((p, p_span)) = &password {
                refused = refused.or(user_value(
                    r,
                    p,
                    p_span.clone(),
                    "api.authorization.password",
                ));
            }
            if refused.is_some() {
                return None;
            }
            let password = password.map(|(p, _)| p);
            let all_literal = username.literal().is_some()
                && password.as_ref().is_none_or(|p| p.literal().is_some());
            if all_literal {
                literal_secret(r, span, "api.authorization.username");
                return None;
            }
            let empty = Template::parse("").ok()?;
            Some(ApiAuthorization::Basic {
                username,
                password: password.unwrap_or(empty),
                scheme,
                header,
            })
        }
        "headers" => named_values(r, t, "headers", declared).map(ApiAuthorization::Headers),
        "query" => named_values(r, t, "params", declared).map(ApiAuthorization::Query),
        "body" => crate::read_placements::body(r, t, declared).map(ApiAuthorization::Body),
        _ => None,
    }
}

pub(crate) fn literal_secret(r: &mut Reader<'_>, span: Range<usize>, field: &str) {
    r.error(
        span,
        field,
        format!("literal secret in `{field}`"),
        "refer to the credential, an input or an environment secret, e.g. \"{credential.access_token}\" or \"{input.api_key}\"",
    );
}

/// `{user.*}` is the app user's metadata, which the end user can write (PATCH /sdk/me): in an
/// authorization value it would let them choose the credential that is sent.
pub(crate) fn user_value(
    r: &mut Reader<'_>,
    template: &Template,
    span: Range<usize>,
    field: &str,
) -> Option<()> {
    let used = template
        .references()
        .find(|v| matches!(v, crate::template::Reference::User(_)))?;
    r.error(
        span,
        field,
        format!("`{{user.{}}}` in `{field}`", used.name()),
        "user metadata is writable by the end user: authorize with the credential, an input or an environment secret",
    );
    Some(())
}

/// `headers = { … }` or `params = { … }` of an authorization: names to templates, each
/// referring to the credential, an input or an environment secret.
pub(crate) fn named_values(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    map_key: &str,
    declared: &Declared,
) -> Option<Vec<(String, Template)>> {
    let headers = map_key == "headers";
    let Some(map) = t.get(map_key).and_then(|_| r.opt_table(t, map_key)) else {
        if t.get(map_key).is_none() {
            let example = if headers {
                "headers = { \"X-Api-Key\" = \"{input.api_key}\" }"
            } else {
                "params = { api_key = \"{input.api_key}\" }"
            };
            r.missing(t, map_key, format!("e.g. {example}"));
        }
        return None;
    };
    let before = r.count();
    let pairs = r.template_map(&map, declared, true, headers);
    if r.count() != before {
        return None;
    }
    if pairs.is_empty() {
        r.error(
            map.span.clone(),
            &map.path,
            format!("`{}` is empty", map.path),
            "name at least one",
        );
        return None;
    }
    let mut ok = true;
    for (name, template) in &pairs {
        let field = map.field(name);
        let span = map.get(name).map_or(map.span.clone(), |v| v.span());
        if template.literal().is_some() && headers {
            r.error(
                span,
                &field,
                format!("literal value in `{field}`"),
                format!(
                    "a fixed header belongs in `[api.headers]` (`\"{name}\" = \"…\"` there); \
                     an authorization header refers to the credential, an input or an \
                     environment secret, e.g. \"{{input.api_key}}\""
                ),
            );
            ok = false;
        } else if template.literal().is_some() {
            literal_secret(r, span, &field);
            ok = false;
        } else if user_value(r, template, span, &field).is_some() {
            ok = false;
        }
    }
    ok.then_some(pairs)
}

pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(crate) fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

pub(crate) fn article(type_str: &str) -> String {
    match type_str {
        "integer" | "array" => format!("an {type_str}"),
        other => format!("a {other}"),
    }
}

pub(crate) fn quote_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The candidate closest to `word`, if close enough to be a likely typo.
pub(crate) fn closest<'c, S: AsRef<str>>(word: &str, candidates: &'c [S]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(word, c.as_ref()), c.as_ref()))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}
