//! Keeps requests on their route: integration names, identifiers, API paths and header values
//! are checked before anything is sent.

use std::borrow::Cow;

use http::Uri;

use crate::error::{Error, Result};

/// An integration name as the proxy route takes it: `salesforce`, `custom.tasklab`, or a
/// custom integration by id, `custom/<uuid>`.
pub(crate) fn integration(name: &str) -> Result<&str> {
    if let Some(uuid) = name.strip_prefix("custom/") {
        let ok = !uuid.is_empty()
            && uuid.len() <= 64
            && uuid.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        return if ok {
            Ok(name)
        } else {
            Err(Error::InvalidRequest(format!(
                "integration {name:?} is not valid: expected `custom/<uuid>`"
            )))
        };
    }
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..");
    if ok {
        Ok(name)
    } else {
        Err(Error::InvalidRequest(format!(
            "integration name {name:?} is not valid: expected letters, digits, '.', '-' or '_' (e.g. `salesforce`, `custom.tasklab`)"
        )))
    }
}

/// An identifier placed in a URL path segment (credential, workflow, integration id).
pub(crate) fn id<'a>(what: &str, value: &'a str) -> Result<&'a str> {
    let ok = !value.is_empty()
        && value != "."
        && value != ".."
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
    if ok {
        Ok(value)
    } else {
        Err(Error::InvalidRequest(format!(
            "{what} {value:?} is not valid: expected letters, digits, '.', '-', '_' or ':'"
        )))
    }
}

/// A provider API path for the proxy route: a leading `/` is added; a query string may follow.
///
/// Rejected: absolute URLs (use the explicit override), backslashes, control characters, and
/// `.`/`..` segments, also when percent-encoded, which could climb out of the proxy route.
pub(crate) fn api_path(path: &str) -> Result<Cow<'_, str>> {
    let bad = |why: &str| {
        Err(Error::InvalidRequest(format!(
            "API path {:?} {why}",
            shorten(path)
        )))
    };
    if path.chars().any(|c| c.is_control()) {
        return bad("contains a control character (CR, LF, ...)");
    }
    if path.contains('\\') {
        return bad("contains a backslash");
    }
    if path.starts_with("//") || has_scheme(path) {
        return bad(
            "is an absolute URL; use `.full_url(..)` to call a URL outside the integration's base URL",
        );
    }
    if path.contains('#') {
        return bad("contains a fragment ('#')");
    }
    let route = path.split_once('?').map_or(path, |(route, _)| route);
    for segment in route.split('/') {
        if segment == "." || segment == ".." {
            return bad("contains a '.' or '..' segment");
        }
        if !segment.contains('%') {
            continue;
        }
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        if decoded.chars().any(|c| c.is_control()) || decoded.contains('\\') {
            return bad("contains an encoded control character or backslash");
        }
        if decoded.split('/').any(|part| part == "." || part == "..") {
            return bad("contains a '.' or '..' segment");
        }
    }
    if path.starts_with('/') {
        Ok(Cow::Borrowed(path))
    } else {
        Ok(Cow::Owned(format!("/{path}")))
    }
}

/// A full URL for the explicit override: absolute http(s), no control characters.
pub(crate) fn full_url(url: &str) -> Result<Uri> {
    if url.chars().any(|c| c.is_control()) {
        return Err(Error::InvalidRequest(
            "the override URL contains a control character".into(),
        ));
    }
    let parsed = crate::transport::uri(url).map_err(|e| {
        Error::InvalidRequest(format!("override URL {:?} is not a URL: {e}", shorten(url)))
    })?;
    if !matches!(parsed.scheme_str(), Some("http" | "https")) || parsed.host().is_none() {
        return Err(Error::InvalidRequest(format!(
            "override URL {:?} must be http(s)",
            shorten(url)
        )));
    }
    Ok(parsed)
}

/// The path without its query string, for traces (query values may be sensitive).
pub(crate) fn without_query(path: &str) -> &str {
    path.split_once('?').map(|(p, _)| p).unwrap_or(path)
}

fn has_scheme(path: &str) -> bool {
    match path.split_once(':') {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && !scheme.contains('/')
                && scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(120).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_paths() {
        assert_eq!(api_path("/user").unwrap(), "/user");
        assert_eq!(api_path("v1/tasks?limit=5").unwrap(), "/v1/tasks?limit=5");
        assert_eq!(
            api_path("/projects/group%2Fname/x..y").unwrap(),
            "/projects/group%2Fname/x..y"
        );
        assert_eq!(api_path("/search?q=../x").unwrap(), "/search?q=../x");
    }

    #[test]
    fn rejects_escapes() {
        for p in [
            "/../admin",
            "/a/..",
            "/a/%2e%2E/b",
            "/a/.%2e",
            "/a%2f..%2fb",
            "/a\\b",
            "/a\r\nX-Evil: 1",
            "https://evil.example/x",
            "//evil.example/x",
            "/a#frag",
            "/a/./b",
        ] {
            assert!(api_path(p).is_err(), "{p:?} should be rejected");
        }
    }

    #[test]
    fn integration_names() {
        assert!(integration("custom.tasklab").is_ok());
        assert!(integration("salesforce").is_ok());
        assert!(integration("custom/6f1c2a9e-0000-4000-8000-000000000001").is_ok());
        for bad in [
            "",
            "custom/x",
            "custom/../a",
            "custom/",
            "..",
            "a..b",
            "custom.x?y",
            "a b",
            ".x",
            "x/y",
        ] {
            assert!(integration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids() {
        assert!(id("credential id", "3f2a-11").is_ok());
        assert!(id("credential id", "../x").is_err());
        assert!(id("credential id", "").is_err());
    }
}
