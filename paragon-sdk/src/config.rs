//! Where Paragon lives: service URLs (cloud, on-prem host, one override per service) and the
//! environment variables the SDK reads.

use http::Uri;

use crate::error::{Error, Result};

/// `PARAGON_PROJECT_ID`: the Paragon project id.
pub const ENV_PROJECT_ID: &str = "PARAGON_PROJECT_ID";
/// `PARAGON_USER_TOKEN`: a ready-made Paragon User Token.
pub const ENV_USER_TOKEN: &str = "PARAGON_USER_TOKEN";
/// `PARAGON_SIGNING_KEY`: the project's RSA signing key as PEM text (literal `\n` accepted).
pub const ENV_SIGNING_KEY: &str = "PARAGON_SIGNING_KEY";
/// `PARAGON_SIGNING_KEY_FILE`: a file holding the signing key PEM.
pub const ENV_SIGNING_KEY_FILE: &str = "PARAGON_SIGNING_KEY_FILE";
/// `PARAGON_USER_ID`: the user to mint tokens for when no handle names one.
pub const ENV_USER_ID: &str = "PARAGON_USER_ID";
/// `PARAGON_HOST`: an on-prem installation's host (`example.com` → `https://zeus.example.com`, ...).
pub const ENV_HOST: &str = "PARAGON_HOST";
/// `PARAGON_API_URL`: overrides the api (zeus) service URL.
pub const ENV_API_URL: &str = "PARAGON_API_URL";
/// `PARAGON_PROXY_URL`: overrides the proxy service URL.
pub const ENV_PROXY_URL: &str = "PARAGON_PROXY_URL";
/// `PARAGON_EVENTS_URL`: overrides the events (hermes) service URL.
pub const ENV_EVENTS_URL: &str = "PARAGON_EVENTS_URL";
/// `PARAGON_ACTIONKIT_URL`: overrides the ActionKit service URL.
pub const ENV_ACTIONKIT_URL: &str = "PARAGON_ACTIONKIT_URL";
/// `PARAGON_PASSPORT_URL`: overrides the passport (OAuth redirect) service URL.
pub const ENV_PASSPORT_URL: &str = "PARAGON_PASSPORT_URL";

/// The base URLs of Paragon's services. Cloud defaults; see [`ServiceUrls::on_prem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUrls {
    /// Users, credentials, integrations (`zeus`).
    pub api: Uri,
    /// Proxy requests to providers.
    pub proxy: Uri,
    /// App events and workflow triggers (`hermes`).
    pub events: Uri,
    /// ActionKit tools and triggers.
    pub actionkit: Uri,
    /// OAuth redirects (`{passport}/oauth`).
    pub passport: Uri,
}

impl Default for ServiceUrls {
    fn default() -> Self {
        ServiceUrls::cloud()
    }
}

impl ServiceUrls {
    /// Paragon's cloud.
    pub fn cloud() -> Self {
        let u = Uri::from_static;
        ServiceUrls {
            api: u("https://zeus.useparagon.com"),
            proxy: u("https://proxy.useparagon.com"),
            events: u("https://hermes.useparagon.com"),
            actionkit: u("https://actionkit.useparagon.com"),
            passport: u("https://passport.useparagon.com"),
        }
    }

    /// An on-prem installation at `host` (`example.com`): `https://zeus.example.com`,
    /// `https://worker-proxy.example.com`, `https://hermes.example.com`,
    /// `https://worker-actionkit.example.com`, `https://passport.example.com`.
    ///
    /// `host` may carry a port; a scheme (`http://`) is kept if given, otherwise https.
    pub fn on_prem(host: &str) -> Result<Self> {
        Self::on_prem_for(host, "host")
    }

    pub(crate) fn on_prem_for(host: &str, setting: &str) -> Result<Self> {
        let host = host.trim();
        let (scheme, bare) = match host.split_once("://") {
            Some((scheme, rest)) => (scheme, rest),
            None => ("https", host),
        };
        let bare = bare.trim_end_matches('/');
        if bare.is_empty()
            || bare.contains(['/', '?', '#', '@'])
            || !matches!(scheme, "http" | "https")
        {
            return Err(Error::config(
                setting,
                format!("{host:?} is not a host name like `example.com`"),
            ));
        }
        let u = |prefix: &str| parse_url(&format!("{scheme}://{prefix}.{bare}"), setting);
        Ok(ServiceUrls {
            api: u("zeus")?,
            proxy: u("worker-proxy")?,
            events: u("hermes")?,
            actionkit: u("worker-actionkit")?,
            passport: u("passport")?,
        })
    }

    /// Every service at one address (a local Connect server serves them all).
    pub fn all_at(url: &str) -> Result<Self> {
        let url = parse_url(url, "base_url")?;
        Ok(ServiceUrls {
            api: url.clone(),
            proxy: url.clone(),
            events: url.clone(),
            actionkit: url.clone(),
            passport: url,
        })
    }
}

/// Parses a service base URL: absolute http(s), no query or fragment.
pub(crate) fn parse_url(text: &str, setting: &str) -> Result<Uri> {
    let trimmed = text.trim();
    if trimmed.contains('#') {
        return Err(Error::config(
            setting,
            format!("{text:?} must not have a query or fragment"),
        ));
    }
    let url: Uri = trimmed
        .parse()
        .map_err(|e| Error::config(setting, format!("{text:?} is not a URL: {e}")))?;
    if !matches!(url.scheme_str(), Some("http" | "https")) || url.host().is_none_or(str::is_empty) {
        return Err(Error::config(
            setting,
            format!("{text:?} must be an http:// or https:// URL"),
        ));
    }
    if url.query().is_some() {
        return Err(Error::config(
            setting,
            format!("{text:?} must not have a query or fragment"),
        ));
    }
    Ok(url)
}

/// Joins a base URL and a path that starts with `/` without doubling slashes.
pub(crate) fn join(base: &Uri, path: &str) -> String {
    let base = base.to_string();
    let base = base.trim_end_matches('/');
    let mut out = String::with_capacity(base.len() + path.len());
    out.push_str(base);
    out.push_str(path);
    out
}

/// Reads an environment variable; unset and empty are both `None`, non-UTF-8 is an error.
pub(crate) fn env_var(name: &str) -> Result<Option<String>> {
    match std::env::var(name) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::config(name, "is not valid UTF-8")),
    }
}

/// Service URLs from the environment: `PARAGON_HOST` first, then one override per service.
pub(crate) fn urls_from_env() -> Result<ServiceUrls> {
    let mut urls = match env_var(ENV_HOST)? {
        Some(host) => ServiceUrls::on_prem_for(&host, ENV_HOST)?,
        None => ServiceUrls::cloud(),
    };
    for (name, slot) in [
        (ENV_API_URL, &mut urls.api),
        (ENV_PROXY_URL, &mut urls.proxy),
        (ENV_EVENTS_URL, &mut urls.events),
        (ENV_ACTIONKIT_URL, &mut urls.actionkit),
        (ENV_PASSPORT_URL, &mut urls.passport),
    ] {
        if let Some(v) = env_var(name)? {
            *slot = parse_url(&v, name)?;
        }
    }
    Ok(urls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_prem_maps_every_service() {
        let urls = ServiceUrls::on_prem("example.com").unwrap();
        assert_eq!(urls.api.to_string(), "https://zeus.example.com/");
        assert_eq!(urls.proxy.to_string(), "https://worker-proxy.example.com/");
        assert_eq!(urls.events.to_string(), "https://hermes.example.com/");
        assert_eq!(
            urls.actionkit.to_string(),
            "https://worker-actionkit.example.com/"
        );
        assert_eq!(urls.passport.to_string(), "https://passport.example.com/");
    }

    #[test]
    fn on_prem_rejects_paths() {
        let err = ServiceUrls::on_prem("example.com/evil").unwrap_err();
        assert!(err.to_string().contains("host"), "{err}");
    }

    #[test]
    fn join_does_not_double_slashes() {
        let base = Uri::from_static("http://127.0.0.1:8080/base/");
        assert_eq!(
            join(&base, "/projects/p"),
            "http://127.0.0.1:8080/base/projects/p"
        );
    }
}
