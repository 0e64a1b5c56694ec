//! Values kept from the provider's redirect back to the callback (`callback_capture`): a realm,
//! or the server to ask tokens from (Zoho's `accounts-server`), held to the values the manifest
//! lists when it must be.

use std::ops::Range;

use toml::de::DeValue;

use crate::parse::{Reader, Table};
use crate::render::{RenderContext, RenderError};
use crate::template::{Reference, Template};

/// One `callback_capture` entry: `"realmId"`, or `{ name = "accounts_server", param =
/// "accounts-server", one_of = ["https://accounts.zoho.com", "https://accounts.zoho.eu"] }`,
/// or `{ name = "domain_prefix", kind = "subdomain" }`.
///
/// The callback's query reaches the server through the end user's browser, which can change
/// it: a value there is the end user's choice. Only a held value may form a host: one of
/// `one_of`, or one DNS label (`kind = "subdomain"`) before the provider's fixed domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackValue {
    pub(crate) name: String,
    pub(crate) param: String,
    pub(crate) one_of: Vec<Template>,
    pub(crate) subdomain: bool,
}

impl CallbackValue {
    /// The name templates use: `{credential.<name>}`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The callback's query parameter holding the value (`param`, default the name).
    pub fn param(&self) -> &str {
        &self.param
    }

    /// The values allowed (`one_of`: literal or `{env.*}` templates); empty when any is.
    pub fn one_of(&self) -> &[Template] {
        &self.one_of
    }

    /// Whether the value must be one DNS label (`kind = "subdomain"`: letters, digits, `-`,
    /// `_`), so it can stand before a fixed domain in a host.
    pub fn is_subdomain(&self) -> bool {
        self.subdomain
    }

    /// Whether `value` may be kept: one DNS label with `kind = "subdomain"`, and, when `one_of`
    /// lists values, exactly one of them rendered with `ctx` (whose secrets fill `{env.*}`).
    ///
    /// ```
    /// use paragon_manifest::{Manifest, RenderContext};
    ///
    /// let m = Manifest::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/tasklab-accounts"))?;
    /// let accounts = &m.auth().oauth().unwrap().callback_capture()[0];
    /// assert_eq!(accounts.param(), "accounts-server");
    /// let secrets = std::collections::HashMap::from([
    ///     ("TASKLAB_URL".to_string(), "http://127.0.0.1:4000".to_string()),
    /// ]);
    /// let ctx = RenderContext::new().with_secrets(&secrets);
    /// assert!(accounts.allows("http://127.0.0.1:4000", &ctx)?);
    /// assert!(accounts.allows("https://accounts.tasklab.eu", &ctx)?);
    /// assert!(!accounts.allows("https://evil.example", &ctx)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allows(&self, value: &str, ctx: &RenderContext<'_>) -> Result<bool, RenderError> {
        if self.subdomain && !crate::input::is_dns_label(value) {
            return Ok(false);
        }
        if self.one_of.is_empty() {
            return Ok(true);
        }
        for allowed in &self.one_of {
            if allowed.render(ctx)? == value {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

const KEYS: &[&str] = &["name", "param", "one_of", "kind"];

/// `auth.callback_capture`; `check_name` reports a name that cannot be captured (taken,
/// not an identifier…) and says whether it can.
pub(crate) fn read(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    mut check_name: impl FnMut(&mut Reader<'_>, &str, Range<usize>, &[String]) -> bool,
) -> Vec<CallbackValue> {
    let Some(v) = t.get("callback_capture") else {
        return Vec::new();
    };
    let field = t.field("callback_capture");
    let DeValue::Array(items) = v.get_ref() else {
        r.wrong_type(
            v,
            &field,
            "an array of names or { name, param, one_of, kind } tables",
        );
        return Vec::new();
    };
    let mut out: Vec<CallbackValue> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let entry = match item.get_ref() {
            DeValue::String(s) => Some(CallbackValue {
                name: s.to_string(),
                param: s.to_string(),
                one_of: Vec::new(),
                subdomain: false,
            })
            .map(|c| (c, item.span())),
            DeValue::Table(map) => entry(
                r,
                &Table {
                    map,
                    span: item.span(),
                    path: at.clone(),
                },
            ),
            _ => {
                r.wrong_type(item, &at, "a name or a { name, param, one_of, kind } table");
                None
            }
        };
        let Some((value, name_span)) = entry else {
            continue;
        };
        let taken: Vec<String> = out.iter().map(|c| c.name.clone()).collect();
        if !check_name(r, &value.name, name_span.clone(), &taken) {
            continue;
        }
        if let Some(first) = out.iter().find(|c| c.param == value.param) {
            // One query parameter, one value: a second entry would silently get nothing.
            r.error(
                name_span,
                &at,
                format!(
                    "the callback's `{}` is already kept as `{}`",
                    value.param, first.name
                ),
                "keep each query parameter once",
            );
            continue;
        }
        out.push(value);
    }
    out
}

/// One `{ name, param, one_of, kind }` table, with the span of its name.
fn entry(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<(CallbackValue, Range<usize>)> {
    r.check_keys(t, KEYS, &[], "");
    let before = r.count();
    let name = r.req_string(t, "name", "e.g. name = \"accounts_server\"");
    let param = match r.opt_string(t, "param") {
        Some((p, span)) if p.is_empty() || p.chars().any(char::is_control) => {
            r.error(
                span,
                &t.field("param"),
                "`param` must name a query parameter (not empty, no control characters)",
                "e.g. param = \"accounts-server\"",
            );
            None
        }
        other => other.map(|(p, _)| p),
    };
    let one_of = one_of(r, t);
    let subdomain = match r.opt_string(t, "kind") {
        Some((k, _)) if k == "subdomain" => true,
        Some((k, span)) => {
            r.error(
                span,
                &t.field("kind"),
                format!("unknown callback value kind `{k}`"),
                "the one kind is \"subdomain\" (one DNS label, checked when the callback arrives); remove kind for any text",
            );
            false
        }
        None => false,
    };
    let (name, span) = name?;
    (r.count() == before).then(|| {
        let param = param.unwrap_or_else(|| name.clone());
        let value = CallbackValue {
            name,
            param,
            one_of,
            subdomain,
        };
        (value, span)
    })
}

/// `one_of`: the values allowed, each a literal or made of `{env.*}` (the owner's values).
fn one_of(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Vec<Template> {
    let field = t.field("one_of");
    let Some(items) = r.opt_string_array(t, "one_of") else {
        return Vec::new();
    };
    if items.is_empty()
        && let Some(v) = t.get("one_of")
    {
        r.error(
            v.span(),
            &field,
            "`one_of` lists no value, so no callback could connect",
            "list the values allowed, e.g. one_of = [\"https://accounts.example.com\", \"https://accounts.example.eu\"], or remove one_of",
        );
    }
    let mut out = Vec::new();
    for (i, (text, span)) in items.into_iter().enumerate() {
        let at = format!("{field}[{i}]");
        if text.trim().is_empty() {
            r.error(span, &at, "an empty value in `one_of`", "remove it");
            continue;
        }
        let template = match Template::parse(&text) {
            Ok(t) => t,
            Err(e) => {
                let at_span = r.inner_span(&span, e.offset, e.len);
                r.error(at_span, &at, e.message, e.help);
                continue;
            }
        };
        if let Some(other) = template
            .references()
            .find(|r| !matches!(r, Reference::Env(_)))
        {
            r.error(
                span,
                &at,
                format!(
                    "`{other}` in `one_of`: the values allowed are the manifest owner's, literal or `{{env.*}}`"
                ),
                "write the value itself, e.g. \"https://accounts.example.eu\"",
            );
            continue;
        }
        r.note_env_names(&template);
        out.push(template);
    }
    out
}
