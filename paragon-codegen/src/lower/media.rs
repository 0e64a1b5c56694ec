//! Media types: which of a `content` map's entries the typed call uses.

use serde_json::Value;

pub(crate) fn is_json(media: &str) -> bool {
    let m = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    m == "application/json"
        || m.ends_with("+json")
        || m == "*/*"
        || m == "text/json"
        || m.ends_with("/json")
}

/// The media type we use from a `content` map: JSON first, then form, then anything.
pub(crate) fn pick_media(content: &serde_json::Map<String, Value>) -> Option<(&String, &Value)> {
    content
        .iter()
        .find(|(m, _)| is_json(m) && !m.starts_with("*/*"))
        .or_else(|| content.iter().find(|(m, _)| is_json(m)))
        .or_else(|| {
            content
                .iter()
                .find(|(m, _)| m.starts_with("application/x-www-form-urlencoded"))
        })
        .or_else(|| content.iter().next())
}
