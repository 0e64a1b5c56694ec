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
    let a = Url::parse(&with_placeholders(template, "a", '1'))
        .map_err(|e| format!("not an absolute URL ({e})"))?;
    check(&a)?;
    if a.scheme() == "http" {
        let b = Url::parse(&with_placeholders(template, "b", '2'))
            .map_err(|e| format!("not an absolute URL ({e})"))?;
        if a.host() != b.host() || a.port() != b.port() {
            return Err("plain `http` is only allowed for a fixed loopback host and port".into());
        }
    }
    Ok(())
}

/// The template with each reference replaced by `letter`, or by a digit where the reference is
/// the port (`https://{input.host}:{input.port}/`): a letter there would be an invalid port.
fn with_placeholders(template: &Template, letter: &str, digit: char) -> String {
    let mut out = String::new();
    for part in template.parts() {
        match part {
            Part::Literal(text) => out.push_str(text),
            Part::Ref(_) if out.contains("://") && lands_in_host(&out) && port_follows(&out) => {
                out.push(digit)
            }
            Part::Ref(_) => out.push_str(letter),
        }
    }
    out
}

/// Whether text appended to `prefix` (which is inside the authority) is the port: the
/// authority so far ends in a `:` that is not inside an IPv6 literal.
fn port_follows(prefix: &str) -> bool {
    let authority = prefix.rsplit_once("://").map_or(prefix, |(_, a)| a);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let after_ipv6 = host.rsplit_once(']').map_or(host, |(_, rest)| rest);
    after_ipv6.ends_with(':')
        && (host.starts_with('[') || !after_ipv6[..after_ipv6.len() - 1].contains(':'))
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

/// Whether a reference after `prefix` is part of the URL's host: before any `/`, `?` or `#`
/// (at the head it forms the origin), or after `://` and before the path, query or fragment.
fn lands_in_host(prefix: &str) -> bool {
    let rest = prefix.split_once("://").map_or(prefix, |(_, rest)| rest);
    !rest.contains(['/', '?', '#'])
}

/// Whether a value the manifest does not fix (`{input.*}`, `{user.*}`, `{credential.*}`) forms
/// part of the URL's host.
pub(crate) fn host_from_values(template: &Template) -> bool {
    let mut prefix = String::new();
    for part in template.parts() {
        match part {
            Part::Literal(text) => prefix.push_str(text),
            Part::Ref(crate::template::Reference::Env(_)) => prefix.push('x'),
            Part::Ref(_) if lands_in_host(&prefix) => return true,
            Part::Ref(_) => prefix.push('x'),
        }
    }
    false
}

/// The end user's value (`{input.*}` or `{user.*}`) that forms part of the URL's host, if
/// any, and whether the host is still held to a fixed domain: every such value is followed by
/// a literal suffix of at least two labels (`https://{input.sub}.zendesk.com`), and none is a
/// `url` input (inserted unescaped, it could end the host early).
pub(crate) fn end_user_host<'t>(
    template: &'t Template,
    url_inputs: &[String],
) -> Option<(&'t crate::template::Reference, bool)> {
    use crate::template::Reference;
    let mut prefix = String::new();
    let mut found = None;
    let mut held = true;
    // The host's text after the last end-user value, while still in the host.
    let mut tail: Option<String> = None;
    for part in template.parts() {
        match part {
            Part::Literal(text) => {
                if let Some(t) = tail.as_mut() {
                    match text.find(['/', '?', '#', ':']) {
                        Some(end) => {
                            t.push_str(&text[..end]);
                            held &= t.starts_with('.') && t.matches('.').count() >= 2;
                            tail = None;
                        }
                        None => t.push_str(text),
                    }
                }
                prefix.push_str(text);
            }
            Part::Ref(r) => {
                let in_host = lands_in_host(&prefix);
                match r {
                    Reference::Input(_) | Reference::User(_) | Reference::Setting(_) if in_host => {
                        found.get_or_insert(r);
                        held &= !matches!(r, Reference::Input(k) if url_inputs.contains(k));
                        tail = Some(String::new());
                    }
                    // Another value inside the suffix: the suffix is not fixed.
                    _ if tail.is_some() => held = false,
                    _ => {}
                }
                prefix.push('x');
            }
        }
    }
    if let Some(t) = tail {
        held &= t.starts_with('.') && t.matches('.').count() >= 2;
    }
    found.map(|r| (r, held))
}

/// The first `host` input of `template` that does not stand right after `scheme://` (where it
/// forms the whole host, port and base path): anywhere else its unescaped value could add
/// query parameters or change the host.
pub(crate) fn misplaced_host<'t>(
    template: &'t Template,
    host_inputs: &[String],
) -> Option<&'t crate::template::Reference> {
    let mut prefix = String::new();
    for part in template.parts() {
        match part {
            Part::Literal(text) => prefix.push_str(text),
            Part::Ref(r) => {
                let is_host =
                    matches!(r, crate::template::Reference::Input(k) if host_inputs.contains(k));
                if is_host && !right_after_scheme(&prefix) {
                    return Some(r);
                }
                prefix.push('x');
            }
        }
    }
    None
}

/// Whether `prefix` is exactly a scheme and `://` (the authority starts next).
fn right_after_scheme(prefix: &str) -> bool {
    prefix
        .strip_suffix("://")
        .is_some_and(|scheme| !scheme.is_empty() && !scheme.contains(['/', '?', '#']))
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
    fn hosts_from_values() {
        for (s, expected) in [
            ("{env.TASKLAB_URL}/v1", false),
            ("https://api.example.com/{input.x}", false),
            ("https://{input.sub}.example.com/v1", true),
            ("{input.instance}/api", true),
            ("{credential.instance_url}/services", true),
            ("{env.TASKLAB_URL}/v1/w/{input.workspace}", false),
            ("https://{user.region}.example.com", true),
        ] {
            assert_eq!(
                Template::parse(s).unwrap().host_from_values(),
                expected,
                "{s}"
            );
        }
    }

    #[test]
    fn end_user_values_in_the_host() {
        let host = |s: &str| {
            let t = Template::parse(s).unwrap();
            end_user_host(&t, &["u".to_string()]).map(|(r, held)| (r.name().to_string(), held))
        };
        assert_eq!(
            host("https://{input.sub}.zendesk.com/oauth/token"),
            Some(("sub".into(), true))
        );
        assert_eq!(
            host("https://{input.sub}.zendesk.com"),
            Some(("sub".into(), true))
        );
        assert_eq!(
            host("{input.instance}/oauth/token"),
            Some(("instance".into(), false))
        );
        assert_eq!(
            host("https://{input.host}/oauth/token"),
            Some(("host".into(), false))
        );
        assert_eq!(
            host("https://{input.sub}.com/t"),
            Some(("sub".into(), false))
        );
        assert_eq!(
            host("https://{user.region}.acme.example/t"),
            Some(("region".into(), true))
        );
        assert_eq!(
            host("https://{input.u}.acme.example/t"),
            Some(("u".into(), false))
        );
        // Each value is one label under example.com: still held (values are percent-encoded).
        assert_eq!(
            host("https://{input.a}.{input.b}.example.com/t"),
            Some(("a".into(), true))
        );
        assert_eq!(
            host("https://{input.a}.{env.DOMAIN}/t"),
            Some(("a".into(), false))
        );
        assert_eq!(host("https://login.example.com/{input.tenant}/token"), None);
        assert_eq!(host("{env.URL}/token"), None);
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
        assert!(t("https://{input.host}:{input.port}/api").is_ok());
        assert!(t("https://api.example.com:{input.port}").is_ok());
        assert!(t("https://[::1]:{input.port}/x").is_ok());
    }
}
