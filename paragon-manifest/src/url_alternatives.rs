//! A URL written as alternatives (`["https://app.{input.region}.example.com/oauth",
//! "https://app.example.com/oauth"]`): the first whose references all have values is used.
//! `api.base_url` and the `[auth]` URLs share this rule.

use std::ops::Range;

use toml::de::DeValue;

use crate::parse::{Declared, Reader, Table};
use crate::render::RenderContext;
use crate::template::Template;

/// The alternatives of one URL field, in order; never empty (one unless written as an array).
#[derive(Clone, Debug)]
pub(crate) struct UrlAlternatives(Vec<Template>);

/// One alternative as written: its text, position and field (`auth.token_url[1]`), for the
/// checks that come after reading.
pub(crate) struct Written {
    pub(crate) text: String,
    pub(crate) span: Range<usize>,
    pub(crate) field: String,
}

impl UrlAlternatives {
    /// The first alternative (the only one unless the field is an array).
    pub(crate) fn first(&self) -> &Template {
        &self.0[0]
    }

    /// Every alternative, in order.
    pub(crate) fn all(&self) -> &[Template] {
        &self.0
    }

    /// The alternative a request with `ctx` uses.
    pub(crate) fn chosen(&self, ctx: &RenderContext<'_>) -> &Template {
        choose(self.0.iter(), ctx).unwrap_or(self.first())
    }
}

/// The first of `alternatives` whose references all have values in `ctx`, else the last one
/// (whose missing value is then the error a render reports).
pub(crate) fn choose<'t>(
    alternatives: impl Iterator<Item = &'t Template>,
    ctx: &RenderContext<'_>,
) -> Option<&'t Template> {
    let mut last = None;
    for t in alternatives {
        if t.references().all(|r| ctx.lookup(r).is_ok()) {
            return Some(t);
        }
        last = Some(t);
    }
    last
}

/// A URL field of `table` (`key`): a template, or an array of alternatives of which every one
/// is checked like a single URL. Before the last alternative an optional input without a
/// default is fine (without a value the next one is used); the last must always have values.
/// `None` when absent or wrong (a wrong one is reported; `required` reports an absent one).
pub(crate) fn read(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    key: &str,
    declared: &Declared,
    credential_allowed: bool,
    example: &str,
) -> Option<(UrlAlternatives, Vec<Written>)> {
    let field = t.field(key);
    let items = match t.get(key).map(|v| (v, v.get_ref())) {
        None => {
            r.missing(t, key, example);
            return None;
        }
        Some((v, DeValue::Array(items))) if items.is_empty() => {
            r.error(
                v.span(),
                &field,
                format!("`{field}` has no alternatives"),
                "write one URL, or alternatives of which the first with values is used: \
                 [\"https://app.{input.region}.example.com/…\", \"https://app.example.com/…\"]",
            );
            return None;
        }
        Some((_, DeValue::Array(items))) => items,
        Some((v, _)) => {
            let (text, span) = r.string(v, &field)?;
            let template = r.url_template(&text, &span, &field, declared, credential_allowed)?;
            let written = Written { text, span, field };
            return Some((UrlAlternatives(vec![template]), vec![written]));
        }
    };
    let relaxed = declared.relaxed();
    let before = r.count();
    let (mut out, mut written) = (Vec::new(), Vec::new());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let Some((text, span)) = r.string(item, &at) else {
            continue;
        };
        let rules = if i + 1 == items.len() {
            declared
        } else {
            &relaxed
        };
        out.extend(r.url_template(&text, &span, &at, rules, credential_allowed));
        written.push(Written {
            text,
            span,
            field: at,
        });
    }
    (r.count() == before).then_some((UrlAlternatives(out), written))
}
