//! Named request values (parameters and headers) that may fall back or be left out: a
//! template, or alternatives (`["{user.audience}", "https://api.example.com"]`) of which the
//! first whose references all have values is sent. One rule for `[api.headers]`, the `[auth]`
//! request parameters and a token exchange's headers.

use crate::render::{RenderContext, RenderError};
use crate::template::Template;

/// One named value of a request.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// The parameter or header name.
    pub(crate) name: String,
    /// The templates, in order (one unless written as an array).
    pub(crate) alternatives: Vec<Template>,
    /// Whether the entry is left out when no alternative has values: written as an array, or
    /// referring to an optional input without a default (which may have no value).
    pub(crate) optional: bool,
}

impl Entry {
    /// A value always sent: one template, an error when it has no value.
    pub(crate) fn required(name: String, template: Template) -> Self {
        Self {
            name,
            alternatives: vec![template],
            optional: false,
        }
    }
}

/// The first of `alternatives` that `render` renders with every reference set; `None` when
/// none has values and the entry is `optional`, else the last missing value as the error.
/// Errors other than a missing value (a control character in a header) are returned as is.
pub(crate) fn first_with_values(
    alternatives: &[Template],
    optional: bool,
    render: impl Fn(&Template) -> Result<String, RenderError>,
) -> Result<Option<String>, RenderError> {
    let mut missing = None;
    for t in alternatives {
        match render(t) {
            Ok(v) => return Ok(Some(v)),
            Err(e @ RenderError::Missing(_)) => missing = Some(e),
            Err(e) => return Err(e),
        }
    }
    match missing {
        Some(e) if !optional => Err(e),
        _ => Ok(None),
    }
}

/// The entries that have a value, rendered as parameters (inserted as is; the caller encodes).
pub(crate) fn render_params(
    entries: &[Entry],
    ctx: &RenderContext<'_>,
) -> Result<Vec<(String, String)>, RenderError> {
    let mut out = Vec::new();
    for entry in entries {
        if let Some(value) =
            first_with_values(&entry.alternatives, entry.optional, |t| t.render(ctx))?
        {
            out.push((entry.name.clone(), value));
        }
    }
    Ok(out)
}

/// The entries that have a value, rendered as headers of the table `table` (a value with a
/// line break or another control character is an error naming `table.<name>`).
pub(crate) fn render_headers(
    entries: &[Entry],
    ctx: &RenderContext<'_>,
    table: &str,
) -> Result<Vec<(String, String)>, RenderError> {
    let mut out = Vec::new();
    for entry in entries {
        let field = format!("{table}.{}", entry.name);
        let render = |t: &Template| crate::api::header_value(t, ctx, &field);
        if let Some(value) = first_with_values(&entry.alternatives, entry.optional, render)? {
            out.push((entry.name.clone(), value));
        }
    }
    Ok(out)
}

/// Whether any entry falls back or may be left out (what a target without alternatives, such
/// as Paragon's custom integration form, cannot express).
pub(crate) fn any_conditional(entries: &[Entry]) -> bool {
    entries
        .iter()
        .any(|e| e.optional || e.alternatives.len() > 1)
}
