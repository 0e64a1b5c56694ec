//! Media types: which of a `content` map's entries the typed call uses, and how the `send_*`
//! call of another one is named.

use serde_json::Value;

/// Whether `media` is JSON (`application/json`, `*+json`, `*/json`, `*/*`).
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

/// The distinctive words of a media type, for its `send_*` call: the subtype without parameters,
/// a `vnd.` prefix or a `+json` suffix (`application/vnd.github.diff` → `github.diff`,
/// `application/sarif+json` → `sarif`).
pub(crate) fn media_words(media: &str) -> String {
    let essence = media.split(';').next().unwrap_or("").trim();
    let subtype = essence.split_once('/').map_or(essence, |(_, s)| s);
    let subtype = subtype.strip_prefix("vnd.").unwrap_or(subtype);
    let subtype = subtype.strip_suffix("+json").unwrap_or(subtype);
    subtype.to_string()
}

#[cfg(test)]
mod tests {
    use super::media_words;

    #[test]
    fn media_words_keep_what_tells_types_apart() {
        assert_eq!(media_words("application/sarif+json"), "sarif");
        assert_eq!(
            media_words("application/vnd.github.v3.star+json"),
            "github.v3.star"
        );
        assert_eq!(media_words("application/vnd.github.diff"), "github.diff");
        assert_eq!(media_words("text/plain; charset=utf-8"), "plain");
    }
}
