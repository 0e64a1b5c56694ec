//! Saying where a `$ref` that does not resolve is, and what it probably meant: the values are
//! JSON by then, so the position is found again in the file's text.

use crate::load::resolve_pointer;
use crate::suggest;
use paragon_manifest::Diagnostic;
use serde_json::Value;
use std::ops::Range;

/// The byte range of the first `$ref` keyword whose value is `target` in `text` (JSON or YAML).
pub(crate) fn locate(text: &str, target: &str) -> Option<Range<usize>> {
    let mut from = 0;
    while let Some(found) = text[from..].find("$ref") {
        let start = from + found;
        let end = start + "$ref".len();
        if value_after(&text[end..]) == Some(target) {
            return Some(start..end);
        }
        from = end;
    }
    None
}

/// The value after a `$ref` keyword: `": "v"`, `: 'v'` or `: v` up to the line's end.
fn value_after(rest: &str) -> Option<&str> {
    let rest = rest.trim_start_matches(['"', '\'']).trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    match rest.chars().next()? {
        quote @ ('"' | '\'') => {
            let inner = &rest[1..];
            inner.find(quote).map(|end| &inner[..end])
        }
        _ => Some(rest.split(['\n', ',', '}']).next()?.trim()),
    }
}

/// The existing pointer nearest to `pointer` (one after `#`) in `doc`: a sibling of its last
/// segment, e.g. `/components/schemas/Booking` for `/components/schemas/Bookng`.
pub(crate) fn nearest(doc: &Value, pointer: &str) -> Option<String> {
    let (parent, last) = pointer.rsplit_once('/')?;
    let keys = resolve_pointer(doc, parent)?.as_object()?;
    let near = suggest::nearest(last, keys.keys().map(String::as_str), 1);
    near.first()
        .map(|k| format!("{parent}/{}", crate::load::escape_pointer(k)))
}

/// Places `diagnostic` at the `$ref` whose value is `target` in `text`, and says which existing
/// pointer of `doc` it probably meant.
pub(crate) fn explain(
    mut diagnostic: Diagnostic,
    text: Option<&str>,
    target: &str,
    doc: Option<&Value>,
) -> Diagnostic {
    if let Some(text) = text
        && let Some(range) = locate(text, target)
    {
        diagnostic = diagnostic.span(text, range);
    }
    let pointer = target.split_once('#').map_or("", |(_, p)| p);
    let file = target.split_once('#').map_or(target, |(f, _)| f);
    match doc.and_then(|d| nearest(d, pointer)) {
        Some(near) => diagnostic.help(format!("did you mean `{file}#{near}`?")),
        None => diagnostic.help("the JSON pointer after `#` must name an object of the spec"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_ref_in_yaml_and_json() {
        let yaml = "a:\n  schema:\n    $ref: '#/components/schemas/Pet'\n";
        let r = locate(yaml, "#/components/schemas/Pet").unwrap();
        assert_eq!(&yaml[r.clone()], "$ref");
        assert_eq!(yaml[..r.start].matches('\n').count(), 2);
        let json = r##"{"x": {"$ref": "#/a"}, "y": {"$ref" : "#/b"}}"##;
        let r = locate(json, "#/b").unwrap();
        assert_eq!(&json[r.start..r.end], "$ref");
        assert!(r.start > 20);
    }

    #[test]
    fn nearest_sibling_name() {
        let doc = json!({"components": {"schemas": {"Booking": {}, "Room": {}}}});
        assert_eq!(
            nearest(&doc, "/components/schemas/Bookng").as_deref(),
            Some("/components/schemas/Booking")
        );
    }
}
