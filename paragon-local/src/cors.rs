//! Which browser origins may call the server from their pages (CORS) and, later, frame its
//! Connect Portal: the configured allow-list, plus any loopback origin in development mode.
//!
//! The official JavaScript SDK (`@useparagon/connect`) calls every service from the app's own
//! page, so each call it sends with an `Authorization` header is preflighted. Preflights are
//! answered by the outermost layer, before authentication, and never reach the proxy (a
//! provider is never asked about an `OPTIONS` the browser invented).

use axum::http::{HeaderName, HeaderValue, Method, request::Parts};
use std::time::Duration;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// The origins browsers may call the server from.
#[derive(Debug, Clone, Default)]
pub(crate) struct BrowserOrigins {
    /// Exact origins (`scheme://host[:port]`, lowercase, no trailing slash).
    listed: Vec<String>,
    /// Development mode: any `http(s)://localhost|127.0.0.0/8|[::1][:port]` too.
    loopback: bool,
}

impl BrowserOrigins {
    /// The allow-list, each entry checked to be an origin (`https://app.example.com`, no path).
    pub(crate) fn new(listed: &[String], loopback: bool) -> Result<Self, String> {
        let listed = listed
            .iter()
            .map(|o| normalize(o))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BrowserOrigins { listed, loopback })
    }

    /// Whether a page served from `origin` (the `Origin` header's value) is allowed.
    pub(crate) fn allows(&self, origin: &str) -> bool {
        let Ok(parsed) = url::Url::parse(origin) else {
            return false;
        };
        // An `Origin` header is exactly `scheme://host[:port]`; anything else is refused.
        let exact = parsed.origin().ascii_serialization();
        if !matches!(parsed.scheme(), "http" | "https") || exact != origin.to_ascii_lowercase() {
            return false;
        }
        self.listed.contains(&exact) || self.loopback && is_loopback(&parsed)
    }

    /// The exactly listed origins (normalized).
    pub(crate) fn listed(&self) -> &[String] {
        &self.listed
    }

    /// Whether every loopback origin is allowed too (development mode).
    pub(crate) fn loopback(&self) -> bool {
        self.loopback
    }

    /// The layer answering preflights and adding `Access-Control-Allow-Origin` for allowed
    /// origins. No credentials mode: the SDK authenticates with a bearer header, and the
    /// portal's session cookie must never be sent by another site's script.
    pub(crate) fn layer(&self) -> CorsLayer {
        let origins = self.clone();
        CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(
                move |origin: &HeaderValue, _: &Parts| {
                    origin.to_str().is_ok_and(|o| origins.allows(o))
                },
            ))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::HEAD,
            ])
            // The proxy passes the app's own headers through to the provider, so whatever
            // the page asks to send is allowed, as the cloud does.
            .allow_headers(AllowHeaders::mirror_request())
            .expose_headers([HeaderName::from_static("content-type")])
            .max_age(Duration::from_secs(600))
    }
}

/// `scheme://host[:port]` of a configured origin, or what is wrong with it.
fn normalize(origin: &str) -> Result<String, String> {
    let trimmed = origin.trim().trim_end_matches('/');
    let parsed = url::Url::parse(trimmed)
        .map_err(|e| format!("the allowed origin {origin:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(format!(
            "the allowed origin {origin:?} must be http(s)://host[:port]"
        ));
    }
    if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "the allowed origin {origin:?} has a path, query or fragment: an origin is only \
             scheme://host[:port]"
        ));
    }
    Ok(parsed.origin().ascii_serialization())
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
