//! RFC 8288 `Link` headers: the `rel="next"` target that paginated APIs (GitHub's among them)
//! answer with.

use http::HeaderMap;

/// The target of the first `rel="next"` link among the `Link` headers.
pub(crate) fn next(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| find(value, "next"))
}

/// The target of the first link in `header` whose `rel` lists `rel`.
fn find(header: &str, rel: &str) -> Option<String> {
    let mut rest = header;
    loop {
        // A target is `<…>` and may itself hold commas and semicolons.
        let start = rest.find('<')?;
        let end = start + rest[start..].find('>')?;
        let target = &rest[start + 1..end];
        let after = &rest[end + 1..];
        let params_end = after.find('<').unwrap_or(after.len());
        let params = &after[..params_end];
        if params.split(';').any(|p| has_rel(p, rel)) {
            return Some(target.trim().to_string());
        }
        rest = &after[params_end..];
    }
}

/// Whether one link parameter is `rel` listing `wanted` (`rel="next last"`, `REL=next`).
fn has_rel(param: &str, wanted: &str) -> bool {
    let Some((name, value)) = param.split_once('=') else {
        return false;
    };
    name.trim().eq_ignore_ascii_case("rel")
        && value
            .trim()
            .trim_end_matches(',')
            .trim()
            .trim_matches('"')
            .split_ascii_whitespace()
            .any(|r| r.eq_ignore_ascii_case(wanted))
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn github_style_links() {
        let header = r#"<https://api.github.com/user/repos?page=3&per_page=2>; rel="next", <https://api.github.com/user/repos?page=50>; rel="last""#;
        assert_eq!(
            find(header, "next").as_deref(),
            Some("https://api.github.com/user/repos?page=3&per_page=2")
        );
        assert_eq!(
            find(header, "last").as_deref(),
            Some("https://api.github.com/user/repos?page=50")
        );
        assert_eq!(find(header, "prev"), None);
    }

    #[test]
    fn commas_in_targets_unquoted_and_multiple_rels() {
        let header = "<https://x.test/a?ids=1,2>; rel=prev, <https://x.test/b?ids=3,4>; title=\"a; b\"; REL=\"last next\"";
        assert_eq!(
            find(header, "next").as_deref(),
            Some("https://x.test/b?ids=3,4")
        );
        assert_eq!(
            find(header, "prev").as_deref(),
            Some("https://x.test/a?ids=1,2")
        );
        assert_eq!(find("garbage", "next"), None);
        assert_eq!(find("<unterminated; rel=next", "next"), None);
    }
}
