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

#[cfg(test)]
mod tests {
    use super::*;

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
