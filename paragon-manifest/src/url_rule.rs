//! The one rule for every URL in a manifest: absolute `https`, or `http` on a loopback host.

use url::{Host, Url};

use crate::template::{Part, Reference, Template};

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

/// The references of `template` that form part of its URL's host (or the whole origin).
pub(crate) fn host_references(template: &Template) -> Vec<&Reference> {
    let mut prefix = String::new();
    let mut out = Vec::new();
    for part in template.parts() {
        match part {
            Part::Literal(text) => prefix.push_str(text),
            Part::Ref(r) => {
                if lands_in_host(&prefix) {
                    out.push(r);
                }
                prefix.push('x');
            }
        }
    }
    out
}

/// The inputs whose kind matters to the host rule of [`open_host`].
pub(crate) struct HostInputs<'d> {
    /// `url` and `host` inputs: inserted unescaped, they may end the host early.
    pub(crate) url: &'d [String],
    /// `subdomain` inputs: one DNS label, checked on entry.
    pub(crate) subdomain: &'d [String],
    /// `select` inputs and their options: a finite set of values the manifest names.
    pub(crate) selects: &'d [(String, Vec<String>)],
}

/// Option combinations of the selects in one host beyond which the rule gives up.
const MAX_COMBINATIONS: usize = 256;

/// Second-level labels under which the public registers names (`co.uk`, `com.au`): a value
/// right before `.co.uk` would choose the registrable domain itself.
const PUBLIC_SECOND_LEVEL: &[&str] = &[
    "ac", "co", "com", "edu", "go", "gob", "gov", "mil", "ne", "net", "or", "org",
];

/// An end user's value that can make the URL's host any host: the reference and why.
pub(crate) struct OpenHost<'t> {
    pub(crate) reference: &'t Reference,
    pub(crate) why: String,
}

/// Checks that the end user's values (`{input.*}`, `{user.*}`, `{settings.*}`) in the URL's
/// host keep it among hosts the manifest names. Each allowed form keeps the owner's client
/// secret and the user's codes at the provider's own hosts:
///
/// - every such value is a `select` input, and every combination of options is a valid host
///   (a finite set the manifest lists);
/// - the last such value is followed by a fixed registrable domain: `.example.com` right after
///   it (`https://{input.sub}.zendesk.com`), or, for a `subdomain` input, the rest of its label
///   and then the domain (`https://{input.p}-api.centrastage.net`); selects may stand in that
///   domain (`auth.{input.region}.{input.cloud}.example.com`), each option tried.
///
/// A value that chooses the domain itself (`api.amazon.{input.ext}` with a free input, a whole
/// host, a `url` input) is open.
pub(crate) fn open_host<'t>(
    template: &'t Template,
    inputs: &HostInputs<'_>,
) -> Result<(), OpenHost<'t>> {
    let host = host_parts(template);
    let select_of = |r: &Reference| match r {
        Reference::Input(k) => inputs.selects.iter().find(|(s, _)| s == k),
        _ => None,
    };
    let mut selects: Vec<&(String, Vec<String>)> = Vec::new();
    for r in host.iter().filter_map(HostPart::end_user) {
        if let Some(s) = select_of(r)
            && !selects.iter().any(|(k, _)| k == &s.0)
        {
            selects.push(s);
        }
    }
    let Some(first) = host.iter().find_map(HostPart::end_user) else {
        return Ok(());
    };
    let combinations: usize = selects.iter().map(|(_, o)| o.len().max(1)).product();
    if combinations > MAX_COMBINATIONS {
        return Err(OpenHost {
            reference: first,
            why: format!("its selects make more than {MAX_COMBINATIONS} hosts to check"),
        });
    }
    for n in 0..combinations {
        let mut rest = n;
        let chosen: Vec<(&str, &str)> = selects
            .iter()
            .map(|(k, options)| {
                let o = &options[rest % options.len()];
                rest /= options.len();
                (k.as_str(), o.as_str())
            })
            .collect();
        bounded(&host, &chosen, inputs)?;
    }
    Ok(())
}

/// One piece of a URL's host.
enum HostPart<'t> {
    Text(String),
    /// A value of the owner (`{env.*}`) or the credential: not the end user's choice now.
    Owner,
    /// The end user's value.
    Value(&'t Reference),
}

impl<'t> HostPart<'t> {
    fn end_user(&self) -> Option<&'t Reference> {
        match self {
            HostPart::Value(r) => Some(r),
            _ => None,
        }
    }
}

/// The pieces of `template` that form its URL's host name (up to a port, path, query or
/// fragment); the whole origin when the template starts with a reference.
fn host_parts(template: &Template) -> Vec<HostPart<'_>> {
    let origin_from_ref = matches!(template.parts().first(), Some(Part::Ref(_)));
    let in_host_name = |prefix: &str| match prefix.split_once("://") {
        Some((_, rest)) => !rest.contains(['/', '?', '#', ':']),
        None => origin_from_ref && !prefix.contains(['/', '?', '#', ':']),
    };
    let mut prefix = String::new();
    let mut out = Vec::new();
    for part in template.parts() {
        match part {
            Part::Literal(text) => {
                let mut piece = String::new();
                for c in text.chars() {
                    if in_host_name(&prefix) && !matches!(c, '/' | '?' | '#' | ':') {
                        piece.push(c);
                    }
                    prefix.push(c);
                }
                if !piece.is_empty() {
                    out.push(HostPart::Text(piece));
                }
            }
            Part::Ref(r) => {
                if in_host_name(&prefix) {
                    out.push(match r {
                        Reference::Input(_) | Reference::User(_) | Reference::Setting(_) => {
                            HostPart::Value(r)
                        }
                        _ => HostPart::Owner,
                    });
                }
                prefix.push('x');
            }
        }
    }
    out
}

/// One combination of select options (`chosen`) applied to the host: the rule for the values
/// left.
fn bounded<'t>(
    host: &[HostPart<'t>],
    chosen: &[(&str, &str)],
    inputs: &HostInputs<'_>,
) -> Result<(), OpenHost<'t>> {
    let option = |r: &Reference| match r {
        Reference::Input(k) => chosen.iter().find(|(c, _)| c == k).map(|(_, o)| *o),
        _ => None,
    };
    let last_free = host
        .iter()
        .rposition(|p| matches!(p, HostPart::Value(r) if option(r).is_none()));
    let Some(last) = last_free else {
        // Only selects: the manifest lists every host.
        let mut text = String::new();
        for part in host {
            match part {
                HostPart::Text(t) => text.push_str(t),
                HostPart::Owner => text.push('x'),
                HostPart::Value(r) => {
                    let o = option(r).unwrap_or_default();
                    if !o.split('.').all(crate::input::is_dns_label) {
                        return Err(OpenHost {
                            reference: r,
                            why: format!("its option `{o}` is not part of a host name"),
                        });
                    }
                    text.push_str(o);
                }
            }
        }
        return valid_host(&text).map_err(|why| OpenHost {
            reference: host.iter().find_map(HostPart::end_user).expect("a select"),
            why,
        });
    };
    let HostPart::Value(reference) = &host[last] else {
        unreachable!("rposition found a value")
    };
    let open = |why: String| OpenHost { reference, why };
    if let Reference::Input(k) = reference
        && inputs.url.contains(k)
    {
        return Err(open("a `url` or `host` input is a whole host".into()));
    }
    let mut tail = String::new();
    for part in &host[last + 1..] {
        match part {
            HostPart::Text(t) => tail.push_str(t),
            HostPart::Value(r) if option(r).is_some() => tail.push_str(option(r).unwrap_or("")),
            _ => return Err(open("another value follows it in the host".into())),
        }
    }
    let (label_rest, domain) = tail.split_once('.').unwrap_or((tail.as_str(), ""));
    if !registrable(domain) {
        return Err(open(if domain.is_empty() {
            "no fixed domain follows it".into()
        } else {
            format!("`{domain}` after it is not a domain of one owner")
        }));
    }
    let subdomain = matches!(reference, Reference::Input(k) if inputs.subdomain.contains(k));
    if !label_rest.is_empty() && !subdomain {
        return Err(open(format!(
            "it is part of the name `…{label_rest}`, so it must be a `subdomain` input"
        )));
    }
    Ok(())
}

/// Whether `domain` (`example.com`) is a fixed domain someone registered: two labels or more,
/// not a public second level such as `co.uk`.
fn registrable(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| crate::input::is_dns_label(l))
        && !(labels.len() == 2 && labels[1].len() == 2 && PUBLIC_SECOND_LEVEL.contains(&labels[0]))
}

/// Whether `host` (placeholders for owner values) is a host name URLs accept.
fn valid_host(host: &str) -> Result<(), String> {
    match Url::parse(&format!("https://{host}/")).map(|u| u.host_str().map(str::to_owned)) {
        Ok(Some(h)) if !h.is_empty() => Ok(()),
        _ => Err(format!("`{host}` is not a valid host")),
    }
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
        let selects = vec![
            (
                "env".to_string(),
                vec!["live".to_string(), "test".to_string()],
            ),
            (
                "domain".to_string(),
                vec!["api.example.com".to_string(), "api.example.eu".to_string()],
            ),
            (
                "tld".to_string(),
                vec!["com".to_string(), "com.au".to_string()],
            ),
            (
                "bad".to_string(),
                vec!["ok".to_string(), "evil.com/".to_string()],
            ),
        ];
        let inputs = HostInputs {
            url: &["u".to_string()],
            subdomain: &["site".to_string()],
            selects: &selects,
        };
        let open = |s: &str| {
            let t = Template::parse(s).unwrap();
            open_host(&t, &inputs)
                .err()
                .map(|o| (o.reference.name().to_string(), o.why))
        };
        for held in [
            "https://{input.sub}.zendesk.com/oauth/token",
            "https://{input.sub}.zendesk.com",
            "https://{user.region}.acme.example/t",
            "https://{input.a}.{input.b}.example.com/t",
            "https://ca-{input.free}.adyen.com/t",
            "https://app.{input.region}.intercom.com/oauth",
            "https://{input.site}-api.centrastage.net/auth",
            "https://{input.domain}/oauth/token",
            "https://oauth.battle.{input.tld}/authorize",
            "https://ca-{input.env}.adyen.com/t",
            "https://auth.{input.r}.{input.env}.example.com/t",
            "https://{input.site}-{input.env}.example.com:8443/t",
            "https://login.example.com/{input.tenant}/token",
            "{env.URL}/token",
        ] {
            assert_eq!(open(held), None, "{held}");
        }
        for (refused, name) in [
            ("{input.instance}/oauth/token", "instance"),
            ("https://{input.host}/oauth/token", "host"),
            ("https://{input.sub}.com/t", "sub"),
            ("https://{input.sub}.co.uk/t", "sub"),
            ("https://api.amazon.{input.ext}/t", "ext"),
            ("https://{input.u}.acme.example/t", "u"),
            ("https://{input.a}.{env.DOMAIN}/t", "a"),
            ("https://{input.p}-api.centrastage.net/t", "p"),
            ("https://{input.bad}.example.com/t", "bad"),
            ("https://{input.site}-api.{input.ext}/t", "ext"),
        ] {
            assert_eq!(
                open(refused).map(|o| o.0),
                Some(name.to_string()),
                "{refused}"
            );
        }
        assert!(
            open("https://{input.p}-api.centrastage.net/t")
                .unwrap()
                .1
                .contains("subdomain")
        );
        assert!(
            open("https://{input.bad}.example.com/t")
                .unwrap()
                .1
                .contains("evil.com/")
        );
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
