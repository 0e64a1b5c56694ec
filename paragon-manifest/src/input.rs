//! The fields an end user fills in when connecting (API keys, a subdomain, a client id…).

use regex::Regex;

/// One `[[inputs]]` field.
#[derive(Clone, Debug)]
pub struct InputField {
    pub(crate) key: String,
    pub(crate) label: String,
    pub(crate) kind: InputKind,
    pub(crate) required: bool,
    pub(crate) pattern: Option<Regex>,
    pub(crate) default: Option<String>,
    pub(crate) help: Option<String>,
    pub(crate) secret: bool,
}

/// How an input is shown and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// Free text.
    Text,
    /// Hidden text (API keys, passwords).
    Password,
    /// A URL.
    Url,
    /// A host of a self-hosted product: `host`, `host:port` or `host/path`, inserted unescaped
    /// into URL templates (`https://{input.server}/api`) and checked on entry.
    Host,
    /// One DNS label (`acme`, `eu`), for a host the manifest holds to its provider's domain
    /// (`https://{input.site}-api.example.com`): letters, digits, `-` and `_`, checked on entry.
    Subdomain,
    /// One of fixed options.
    Select {
        /// The allowed values, in display order.
        options: Vec<String>,
    },
}

impl InputKind {
    /// The name used in the manifest: `text`, `password`, `url`, `host`, `subdomain` or
    /// `select`.
    pub fn as_str(&self) -> &'static str {
        match self {
            InputKind::Text => "text",
            InputKind::Password => "password",
            InputKind::Url => "url",
            InputKind::Host => "host",
            InputKind::Subdomain => "subdomain",
            InputKind::Select { .. } => "select",
        }
    }
}

/// Why an end user's value for an input is refused. Never contains the value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// A required input has no value (or an empty one).
    #[error("`{label}` is required")]
    Missing {
        /// The field's label.
        label: String,
    },
    /// The value does not match the field's pattern.
    #[error("`{label}` must match `{pattern}`")]
    Pattern {
        /// The field's label.
        label: String,
        /// The pattern as written in the manifest.
        pattern: String,
    },
    /// A select value that is not one of the options.
    #[error("`{label}` must be one of: {options}")]
    NotAnOption {
        /// The field's label.
        label: String,
        /// The options, comma separated.
        options: String,
    },
    /// An input that lands in a URL path is `.` or `..` (in any encoding), which would move
    /// requests to another path of the provider.
    #[error("`{label}` must not be `.` or `..` (in any encoding): it is part of a URL path")]
    DotSegment {
        /// The field's label.
        label: String,
    },
    /// A `host` input that is not a host, `host:port` or `host/path`.
    #[error(
        "`{label}` must be a host such as `example.com`, `example.com:8443` or `example.com/base`: {reason}"
    )]
    Host {
        /// The field's label.
        label: String,
        /// What is wrong.
        reason: String,
    },
    /// A `subdomain` input that is not one DNS label.
    #[error(
        "`{label}` must be a single name such as `acme`: letters, digits, `-` and `_`, at most 63, no dots"
    )]
    Subdomain {
        /// The field's label.
        label: String,
    },
    /// A `url` input that is not an absolute `https` URL (or `http` on a loopback host).
    #[error("`{label}` must be an absolute https URL: {reason}")]
    Url {
        /// The field's label.
        label: String,
        /// What is wrong.
        reason: String,
    },
}

impl InputField {
    /// The key templates use: `{input.<key>}`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The label shown to the end user.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// How the field is shown.
    pub fn kind(&self) -> &InputKind {
        &self.kind
    }

    /// Whether a value is required (default `true`).
    pub fn required(&self) -> bool {
        self.required
    }

    /// The pattern a value must match entirely, as written.
    pub fn pattern(&self) -> Option<&str> {
        self.pattern.as_ref().map(|r| {
            let s = r.as_str();
            // Stored as `^(?:pattern)$` so that it matches the whole value.
            &s[4..s.len() - 2]
        })
    }

    /// The value used when the end user gives none.
    pub fn default_value(&self) -> Option<&str> {
        self.default.as_deref()
    }

    /// Help text shown under the field.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// Whether the value is a secret (never displayed again, redacted in logs). Defaults to
    /// `true` for `password` inputs.
    pub fn secret(&self) -> bool {
        self.secret
    }

    /// Checks an end user's value (`None` or empty: not given; the default then applies).
    ///
    /// ```
    /// let m = paragon_manifest::Manifest::load(concat!(
    ///     env!("CARGO_MANIFEST_DIR"),
    ///     "/tests/specs/zendesk"
    /// ))
    /// .unwrap();
    /// let subdomain = m.input("subdomain").unwrap();
    /// assert!(subdomain.check(Some("acme")).is_ok());
    /// assert!(subdomain.check(Some("evil.com/")).is_err());
    /// assert!(subdomain.check(None).is_err());
    /// ```
    pub fn check(&self, value: Option<&str>) -> Result<(), InputError> {
        let value = match value.filter(|v| !v.is_empty()).or(self.default.as_deref()) {
            Some(v) => v,
            None if self.required => {
                return Err(InputError::Missing {
                    label: self.label.clone(),
                });
            }
            None => return Ok(()),
        };
        if let InputKind::Select { options } = &self.kind
            && !options.iter().any(|o| o == value)
        {
            return Err(InputError::NotAnOption {
                label: self.label.clone(),
                options: options.join(", "),
            });
        }
        if self.kind == InputKind::Url
            && let Err(reason) = crate::url_rule::parse_checked(value)
        {
            return Err(InputError::Url {
                label: self.label.clone(),
                reason,
            });
        }
        if self.kind == InputKind::Host
            && let Err(reason) = check_host(value)
        {
            return Err(InputError::Host {
                label: self.label.clone(),
                reason: reason.to_owned(),
            });
        }
        if self.kind == InputKind::Subdomain && !is_dns_label(value) {
            return Err(InputError::Subdomain {
                label: self.label.clone(),
            });
        }
        if let Some(re) = &self.pattern
            && !re.is_match(value)
        {
            return Err(InputError::Pattern {
                label: self.label.clone(),
                pattern: self.pattern().unwrap_or_default().to_owned(),
            });
        }
        Ok(())
    }
}

/// Whether `value` is one DNS label: 1 to 63 letters, digits, `-` or `_` (the underscore some
/// providers' tenant names have), so that it cannot add a label or leave the host.
pub(crate) fn is_dns_label(value: &str) -> bool {
    (1..=63).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// Checks a `host` input's value. It is inserted unescaped after `https://`, so anything that
/// would end the host early or change its meaning is refused: userinfo, a query, a fragment,
/// backslashes, whitespace and control characters, a scheme, and `.`/`..` path segments.
fn check_host(value: &str) -> Result<(), &'static str> {
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains spaces or control characters");
    }
    if value.contains("://") {
        return Err("write it without a scheme such as `https://`");
    }
    if let Some(c) = value.chars().find(|c| matches!(c, '@' | '?' | '#' | '\\')) {
        return Err(match c {
            '@' => "it must not contain `@` (user information)",
            '?' => "it must not contain `?` (a query)",
            '#' => "it must not contain `#` (a fragment)",
            _ => "it must not contain `\\`",
        });
    }
    let (authority, path) = value.split_once('/').unwrap_or((value, ""));
    if authority.is_empty() {
        return Err("the host is empty");
    }
    if crate::url_rule::has_dot_segment(path) {
        return Err("its path must not contain `.` or `..` segments");
    }
    let url = url::Url::parse(&format!("https://{authority}/"))
        .map_err(|_| "it is not a valid host name or address")?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the host is empty");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn dns_labels() {
        for good in ["acme", "eu", "merlot", "a_b-1", &"a".repeat(63)] {
            assert!(super::is_dns_label(good), "{good}");
        }
        for bad in ["", "a.b", "evil.com/", "a:1", "a b", "é", &"a".repeat(64)] {
            assert!(!super::is_dns_label(bad), "{bad}");
        }
    }

    #[test]
    fn host_values() {
        for good in [
            "example.com",
            "git.example.com:8443",
            "example.com/jira",
            "10.0.0.1",
            "[::1]:80",
        ] {
            assert_eq!(super::check_host(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "user@example.com",
            "example.com?x=1",
            "example.com#x",
            "example.com\\x",
            "https://example.com",
            "exa mple.com",
            "example.com/../admin",
            ":80",
            "example.com:99999",
        ] {
            assert!(super::check_host(bad).is_err(), "{bad}");
        }
    }
}
