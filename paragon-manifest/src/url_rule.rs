//! The one rule for every URL in a manifest: absolute `https`, or `http` on a loopback host.

use url::{Host, Url};

use crate::template::{Part, Template};

/// Parses `s` and applies the rule; the error is the reason, without the URL (it may hold secrets).
pub(crate) fn parse_checked(s: &str) -> Result<Url, String> {
    let url = Url::parse(s).map_err(|e| format!("not an absolute URL ({e})"))?;
    check(&url)?;
    Ok(url)
}

pub(crate) fn check(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if url.host().is_some_and(|h| is_loopback(&h)) => Ok(()),
        "http" => Err("plain `http` is only allowed for loopback hosts".into()),
        other => Err(format!("the scheme must be `https`, not `{other}`")),
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Checks a URL template before any value is known.
///
/// A template that starts with a reference (`{env.TASKLAB_URL}/v1`) cannot be checked now: it is
/// checked once rendered. Otherwise every reference is replaced by a placeholder; when the host
/// depends on a reference, `http` is refused (the host might not be a loopback one).
pub(crate) fn check_template(template: &Template) -> Result<(), String> {
    if matches!(template.parts().first(), Some(Part::Ref(_))) {
        return Ok(());
    }
    let a = Url::parse(&template.render_placeholder("a"))
        .map_err(|e| format!("not an absolute URL ({e})"))?;
    check(&a)?;
    if a.scheme() == "http" {
        let b = Url::parse(&template.render_placeholder("b"))
            .map_err(|e| format!("not an absolute URL ({e})"))?;
        if a.host() != b.host() {
            return Err("plain `http` is only allowed for a fixed loopback host".into());
        }
    }
    Ok(())
}

/// Whether the reference at the end of `prefix` (the template's text before it, references
/// replaced) lands in the URL's path: after the authority and before any `?` or `#`, or at the
/// head, where it forms the origin and whatever path follows it.
fn lands_in_path(prefix: &str) -> bool {
    let Some((_, rest)) = prefix.split_once("://") else {
        return true;
    };
    rest.contains('/') && !rest.contains(['?', '#'])
}

/// The references of `template` that land in its URL's path.
pub(crate) fn path_references(template: &Template) -> Vec<&crate::template::Reference> {
    let mut prefix = String::new();
    let mut out = Vec::new();
    for part in template.parts() {
        match part {
            Part::Literal(text) => prefix.push_str(text),
            Part::Ref(r) => {
                if lands_in_path(&prefix) {
                    out.push(r);
                }
                prefix.push('x');
            }
        }
    }
    out
}

/// Whether `value` holds a `.` or `..` path segment, also percent-encoded (once or more) or
/// behind a backslash: URL parsers and servers collapse those, moving a request elsewhere.
pub(crate) fn has_dot_segment(value: &str) -> bool {
    let mut v = value.to_string();
    // Each round peels one level of percent-encoding (`%252e` → `%2e` → `.`).
    for _ in 0..4 {
        if v.split(['/', '\\']).any(|s| s == "." || s == "..") {
            return true;
        }
        let decoded = percent_encoding::percent_decode_str(&v)
            .decode_utf8_lossy()
            .into_owned();
        if decoded == v {
            return false;
        }
        v = decoded;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_in_any_encoding() {
        for bad in [
            "..",
            ".",
            "%2e%2E",
            "%252e%252e",
            "a/../b",
            "a\\..",
            "%2e",
            "x/%2E",
        ] {
            assert!(has_dot_segment(bad), "{bad}");
        }
        for good in ["acme", "a.b", "...", "v1.2", "%2e%2e%2e"] {
            assert!(!has_dot_segment(good), "{good}");
        }
    }

    #[test]
    fn which_references_land_in_the_path() {
        let t =
            Template::parse("https://{input.sub}.example.com/w/{input.ws}/x?q={input.q}#{input.f}")
                .unwrap();
        let names: Vec<&str> = path_references(&t).iter().map(|r| r.name()).collect();
        assert_eq!(names, ["ws"]);
        let t = Template::parse("{input.instance}/api/{env.V}").unwrap();
        let names: Vec<&str> = path_references(&t).iter().map(|r| r.name()).collect();
        assert_eq!(names, ["instance", "V"]);
    }

    #[test]
    fn the_rule() {
        assert!(parse_checked("https://api.github.com").is_ok());
        assert!(parse_checked("http://127.0.0.1:8080/v1").is_ok());
        assert!(parse_checked("http://127.9.0.1/").is_ok());
        assert!(parse_checked("http://[::1]:3000").is_ok());
        assert!(parse_checked("http://localhost:3000").is_ok());
        assert!(parse_checked("http://example.com").is_err());
        assert!(parse_checked("ftp://example.com").is_err());
        assert!(parse_checked("/relative").is_err());
        let t = |s: &str| check_template(&Template::parse(s).unwrap());
        assert!(t("{env.URL}/v1").is_ok());
        assert!(t("https://{input.subdomain}.zendesk.com").is_ok());
        assert!(t("http://{input.host}/x").is_err());
        assert!(t("http://localhost:{input.port}/x").is_err());
        assert!(t("http://localhost/{input.x}").is_ok());
        assert!(t("www.example.com/{input.x}").is_err());
    }
}
