//! Where an operation is sent. OpenAPI lets a path item or an operation name its own `servers`
//! (GitHub's `repos/upload-release-asset` lives on `https://uploads.github.com`). The proxy adds
//! the integration's base URL to a path, so an operation on the base URL stays a path, one under
//! it (or on a relative server such as `/v2`) gets a longer path, and one on another host goes
//! through the proxy's full-URL form, which only hosts the manifest allows may receive.

use paragon_manifest::{Api, Url};
use serde_json::Value;

/// Where an operation's requests go.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Target {
    /// The integration's base URL plus the operation's path.
    Base,
    /// The base URL plus this prefix plus the path (a relative server, or one below the base).
    Prefix(String),
    /// This absolute server URL plus the path, through the proxy's full-URL form.
    Full(String),
}

/// What an operation's `servers` are compared with: the spec's own top-level server and the
/// manifest's base URL and allowed hosts.
pub(crate) struct Servers<'m> {
    top: Option<String>,
    base: Option<String>,
    api: Option<&'m Api>,
}

impl<'m> Servers<'m> {
    /// The rules of a spec (its top-level `servers`) and, when there is one, its manifest.
    pub(crate) fn new(root: &Value, api: Option<&'m Api>) -> Self {
        Servers {
            top: root.get("servers").and_then(first_url),
            base: api
                .and_then(|a| a.base_url_template().literal())
                .map(|b| b.trim_end_matches('/').to_string()),
            api,
        }
    }

    /// The target of an operation given its own `servers` (or, without them, its path item's).
    /// The error says why the operation cannot be called through the proxy.
    pub(crate) fn target(&self, servers: Option<&Value>) -> Result<Target, String> {
        let Some(url) = servers.and_then(first_url) else {
            return Ok(Target::Base);
        };
        if url.is_empty() {
            return Ok(Target::Base);
        }
        if url.starts_with('/') {
            return Ok(Target::Prefix(url));
        }
        for known in [&self.top, &self.base].into_iter().flatten() {
            if url.eq_ignore_ascii_case(known) {
                return Ok(Target::Base);
            }
            if let Some(rest) = url.strip_prefix(known.as_str())
                && rest.starts_with('/')
            {
                return Ok(Target::Prefix(rest.to_string()));
            }
        }
        let parsed = Url::parse(&url).map_err(|e| format!("server URL `{url}` is invalid: {e}"))?;
        let Some(api) = self.api else {
            return Ok(Target::Full(url));
        };
        let base_host = self
            .base
            .as_deref()
            .and_then(|b| Url::parse(b).ok())
            .and_then(|b| b.host_str().map(str::to_ascii_lowercase));
        let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
        if api.allows_url(&parsed) || base_host.as_deref() == Some(host.as_str()) {
            return Ok(Target::Full(url));
        }
        Err(format!(
            "the operation is served from `{url}`, a host the manifest does not allow"
        ))
    }
}

/// The first server's URL, its variables replaced by their defaults, without a trailing `/`.
fn first_url(servers: &Value) -> Option<String> {
    let server = servers.as_array()?.first()?;
    let mut url = server.get("url")?.as_str()?.to_string();
    if let Some(vars) = server.get("variables").and_then(Value::as_object) {
        for (name, var) in vars {
            if let Some(default) = var.get("default").and_then(Value::as_str) {
                url = url.replace(&format!("{{{name}}}"), default);
            }
        }
    }
    Some(url.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(top: &str, op: Value) -> Result<Target, String> {
        let root = json!({"servers": [{"url": top}]});
        Servers::new(&root, None).target(Some(&op))
    }

    #[test]
    fn servers_below_or_beside_the_base() {
        let top = "https://api.example.com/";
        assert_eq!(target(top, json!([])), Ok(Target::Base));
        assert_eq!(
            target(top, json!([{"url": "https://API.example.com"}])),
            Ok(Target::Base)
        );
        assert_eq!(
            target(top, json!([{"url": "/v2/"}])),
            Ok(Target::Prefix("/v2".into()))
        );
        assert_eq!(
            target(top, json!([{"url": "https://api.example.com/beta"}])),
            Ok(Target::Prefix("/beta".into()))
        );
        assert_eq!(
            target(
                top,
                json!([{"url": "https://{region}.example.com", "variables": {"region": {"default": "eu"}}}])
            ),
            Ok(Target::Full("https://eu.example.com".into()))
        );
        assert!(target(top, json!([{"url": "https://[bad"}])).is_err());
    }
}
