//! Which list operations get `pages(max)` and `items(max)` streams, and how each finds its
//! next page. Detection is conservative: an operation gets streams only when one rule below
//! matches it exactly, and its doc says which.
//!
//! Every rule needs a `GET` whose success body is JSON and whose items are either the body
//! (an array) or the one array property of the body (an object with exactly one).
//!
//! 1. **Next cursor**: the body has a string property `next_cursor`, `nextCursor`,
//!    `next_page_token`, `nextPageToken`, `next_token` or `nextToken`, and the operation a query
//!    parameter `cursor`, `page_token`, `pageToken`, `next_token`, `nextToken` or `after`: the
//!    next request sets that parameter to the property's value, until it is absent or empty.
//! 2. **Next URL**: the body has a string property `next`, `next_url`, `nextUrl`,
//!    `next_link`, `nextLink` or `@odata.nextLink`: the next request goes to that URL (through
//!    the proxy's full-URL form), until it is absent or empty.
//! 3. **Page number**: the operation has an integer query parameter `page`: the next request
//!    follows the answer's RFC 8288 `Link: rel="next"` (GitHub's way); an answer with a `Link`
//!    header but no `next` is the last; without a `Link` header, the next request asks for
//!    `page + 1`, until a page is empty.
//!
//! The streams send through `send_with_response()` (the provider's raw answer), since the
//! `Link` header is the provider's.

use crate::ir::{Def, DefKind, Ty};

const CURSOR_FIELDS: &[&str] = &[
    "next_cursor",
    "nextCursor",
    "next_page_token",
    "nextPageToken",
    "next_token",
    "nextToken",
];
const CURSOR_PARAMS: &[&str] = &[
    "cursor",
    "page_token",
    "pageToken",
    "next_token",
    "nextToken",
    "after",
];
const URL_FIELDS: &[&str] = &[
    "next",
    "next_url",
    "nextUrl",
    "next_link",
    "nextLink",
    "@odata.nextLink",
];

/// A query parameter of the operation, as pagination sees it.
pub(crate) struct QueryParam<'a> {
    /// Its field in the builder.
    pub(crate) name: &'a str,
    /// Its name on the wire.
    pub(crate) wire: &'a str,
    pub(crate) ty: &'a Ty,
}

/// How the next page is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// The body's `field` (its Rust name; `Option` when `optional`) goes into the query
    /// parameter whose builder field is `param`.
    Cursor {
        field: String,
        optional: bool,
        param: String,
    },
    /// The body's `field` is the next page's URL.
    Url { field: String, optional: bool },
    /// `Link: rel="next"`, else the builder field `param` (the page number) plus one.
    Page { param: String },
}

/// Where a page's items are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Items {
    /// The body is the array.
    Body(Ty),
    /// The body's property `field` (its Rust name; `Option` when `optional`) holds them.
    Field {
        field: String,
        optional: bool,
        item: Ty,
    },
}

/// What an operation's streams need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Paging {
    pub(crate) next: Next,
    pub(crate) items: Items,
}

impl Paging {
    /// One line for the operation's doc: which rule matched.
    pub(crate) fn doc(&self) -> String {
        let how = match &self.next {
            Next::Cursor { field, param, .. } => {
                format!("the body's `{field}` is sent as `{param}`")
            }
            Next::Url { field, .. } => format!("the body's `{field}` is the next page's URL"),
            Next::Page { param } => {
                format!("`Link: rel=\"next\"`, else `{param}` plus one until a page is empty")
            }
        };
        format!(
            "Paginated: `.pages(max)` and `.items(max)` stream the pages and their items ({how})."
        )
    }

    /// The type of one item.
    pub(crate) fn item(&self) -> &Ty {
        match &self.items {
            Items::Body(t) | Items::Field { item: t, .. } => t,
        }
    }
}

/// The rule an operation matches, if any.
pub(crate) fn detect(
    method: &str,
    body: &Ty,
    query: &[QueryParam<'_>],
    defs: &[Def],
) -> Option<Paging> {
    if !method.eq_ignore_ascii_case("get") {
        return None;
    }
    // A body that may be `null` (an optional type, or an alias of one) has no page to read.
    if let Ty::Vec(item) = body {
        let next = page_param(query)?;
        return Some(Paging {
            next,
            items: Items::Body((**item).clone()),
        });
    }
    let fields = struct_fields(body, defs)?;
    let arrays: Vec<_> = fields
        .iter()
        .filter(|f| matches!(strip(&f.ty), Ty::Vec(_)))
        .collect();
    let [array] = arrays.as_slice() else {
        return None;
    };
    let Ty::Vec(item) = strip(&array.ty) else {
        return None;
    };
    let items = Items::Field {
        field: array.name.clone(),
        optional: is_optional(array),
        item: (**item).clone(),
    };
    let string_field = |names: &[&str]| {
        fields
            .iter()
            .find(|f| names.contains(&f.wire.as_str()) && matches!(strip(&f.ty), Ty::String))
    };
    let cursor_param = query
        .iter()
        .find(|p| CURSOR_PARAMS.contains(&p.wire) && matches!(strip(p.ty), Ty::String));
    let next = if let (Some(f), Some(p)) = (string_field(CURSOR_FIELDS), cursor_param) {
        Next::Cursor {
            field: f.name.clone(),
            optional: is_optional(f),
            param: p.name.to_string(),
        }
    } else if let Some(f) = string_field(URL_FIELDS) {
        Next::Url {
            field: f.name.clone(),
            optional: is_optional(f),
        }
    } else {
        page_param(query)?
    };
    Some(Paging { next, items })
}

fn page_param(query: &[QueryParam<'_>]) -> Option<Next> {
    query
        .iter()
        .find(|p| p.wire == "page" && matches!(strip(p.ty), Ty::I64 | Ty::U64))
        .map(|p| Next::Page {
            param: p.name.to_string(),
        })
}

fn strip(t: &Ty) -> &Ty {
    match t {
        Ty::Option(inner) => strip(inner),
        other => other,
    }
}

fn is_optional(f: &crate::ir::Field) -> bool {
    f.optional || matches!(f.ty, Ty::Option(_))
}

/// The fields of the struct `t` names (through aliases, none of them optional).
fn struct_fields<'d>(t: &Ty, defs: &'d [Def]) -> Option<&'d [crate::ir::Field]> {
    let mut t = t;
    for _ in 0..8 {
        let Ty::Named(id) = t else {
            return None;
        };
        match &defs.get(*id)?.kind {
            DefKind::Struct { fields, .. } => return Some(fields),
            DefKind::Alias(inner) => t = inner,
            _ => return None,
        }
    }
    None
}
