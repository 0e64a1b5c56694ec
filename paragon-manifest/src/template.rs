//! Templates such as `https://{input.subdomain}.zendesk.com/api/v2`, parsed once at load.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::render::{RenderContext, RenderError};

/// A string with `{namespace.name}` references; `{{` and `}}` stand for literal braces.
///
/// ```
/// use paragon_manifest::{Reference, RenderContext, Template};
///
/// let t = Template::parse("https://{input.subdomain}.zendesk.com/api/v2").unwrap();
/// assert_eq!(t.references().collect::<Vec<_>>(), [&Reference::Input("subdomain".into())]);
/// let ctx = RenderContext::new().input("subdomain", "acme");
/// assert_eq!(t.render(&ctx).unwrap(), "https://acme.zendesk.com/api/v2");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

/// One piece of a [`Template`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Text copied as is (escapes already resolved).
    Literal(String),
    /// A value looked up when rendering.
    Ref(Reference),
}

/// What a template can refer to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reference {
    /// `{input.<key>}`: a field the end user filled in (declared in `[[inputs]]`).
    Input(String),
    /// `{credential.access_token}` or `{credential.<captured>}`: the user's credential.
    Credential(String),
    /// `{env.<NAME>}`: an environment secret of the integration's owner.
    Env(String),
    /// `{user.<key>}`: the connected user's metadata.
    User(String),
    /// `{settings.<key>}`: one of the end user's `[[settings]]`, stored on the credential.
    Setting(String),
}

impl Reference {
    /// The namespace: `input`, `credential`, `env`, `user` or `settings`.
    pub fn namespace(&self) -> &'static str {
        match self {
            Reference::Input(_) => "input",
            Reference::Credential(_) => "credential",
            Reference::Env(_) => "env",
            Reference::User(_) => "user",
            Reference::Setting(_) => "settings",
        }
    }

    /// The name after the dot.
    pub fn name(&self) -> &str {
        match self {
            Reference::Input(n)
            | Reference::Credential(n)
            | Reference::Env(n)
            | Reference::User(n)
            | Reference::Setting(n) => n,
        }
    }
}

/// Prints the reference as written in a template, e.g. `{input.subdomain}`.
impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}.{}}}", self.namespace(), self.name())
    }
}

/// Why a template string is malformed; offsets are bytes into the template string.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct TemplateError {
    /// Byte offset of the problem in the template string.
    pub offset: usize,
    /// Byte length of the offending part (at least 1 unless the string is empty).
    pub len: usize,
    /// What is wrong.
    pub message: String,
    /// What would fix it.
    pub help: String,
}

/// Characters of end-user values that are escaped inside URLs: everything but `A-Z a-z 0-9 - . _ ~`.
const URL_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl Template {
    /// Parses a template.
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let parts = scan(source, parse_reference)?
            .into_iter()
            .map(|p| match p {
                Piece::Literal(s) => Part::Literal(s),
                Piece::Ref(r) => Part::Ref(r),
            })
            .collect();
        Ok(Template {
            source: source.to_owned(),
            parts,
        })
    }

    /// A template from parts already known to be valid, written as `source`.
    pub(crate) fn from_parts(source: String, parts: Vec<Part>) -> Template {
        Template { source, parts }
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The parsed pieces, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Whether, as a URL, the host depends on a value the manifest does not fix: an
    /// `{input.*}`, `{user.*}` or `{credential.*}` reference in the host (or forming the whole
    /// origin). Such a host may point anywhere, so the local server refuses private and
    /// loopback addresses for it; literal and `{env.*}` hosts are the owner's.
    pub fn host_from_values(&self) -> bool {
        crate::url_rule::host_from_values(self)
    }

    /// Every reference, in order of appearance.
    pub fn references(&self) -> impl Iterator<Item = &Reference> {
        self.parts.iter().filter_map(|p| match p {
            Part::Ref(r) => Some(r),
            Part::Literal(_) => None,
        })
    }

    /// The text when the template has no reference (escapes resolved), else `None`.
    pub fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Ref(_) => return None,
            }
        }
        Some(out)
    }

    /// Renders the template, inserting every value as is.
    pub fn render(&self, ctx: &RenderContext<'_>) -> Result<String, RenderError> {
        self.render_with(ctx, None)
    }

    /// Renders for use as a URL: end-user values (`input`, `user`) are percent-encoded so they
    /// cannot change the URL's structure (a subdomain of `evil.com/` cannot move the host).
    /// Secrets and credential values (e.g. Salesforce's `instance_url`) go in as is, and so do
    /// the inputs named in `url_inputs` (inputs of kind `url`, e.g. a self-hosted server's
    /// address, which are whole URLs checked on entry).
    pub fn render_url(
        &self,
        ctx: &RenderContext<'_>,
        url_inputs: &[String],
    ) -> Result<String, RenderError> {
        self.render_with(ctx, Some(url_inputs))
    }

    fn render_with(
        &self,
        ctx: &RenderContext<'_>,
        url_inputs: Option<&[String]>,
    ) -> Result<String, RenderError> {
        let mut out = String::with_capacity(self.source.len());
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Ref(r) => {
                    let value = ctx.lookup(r)?;
                    let encode = match (url_inputs, r) {
                        (Some(raw), Reference::Input(key)) => !raw.contains(key),
                        (Some(_), Reference::User(_) | Reference::Setting(_)) => true,
                        _ => false,
                    };
                    if encode {
                        out.extend(utf8_percent_encode(&value, URL_COMPONENT));
                    } else {
                        out.push_str(&value);
                    }
                }
            }
        }
        Ok(out)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// A piece of a template as [`scan`] finds it: text, or a reference its caller parsed.
pub(crate) enum Piece<R> {
    /// Text copied as is (escapes already resolved).
    Literal(String),
    /// The parsed text between `{` and `}`.
    Ref(R),
}

/// Splits `source` into literal text and references, resolving `{{` and `}}`: the one template
/// syntax of manifests and workflows, which differ only in what a reference may name
/// (`reference` parses the text between the braces; the offset and length of its error are
/// replaced by the reference's place in `source`).
pub(crate) fn scan<R>(
    source: &str,
    reference: impl Fn(&str) -> Result<R, TemplateError>,
) -> Result<Vec<Piece<R>>, TemplateError> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let bytes = source.as_bytes();
    let mut i = 0;
    while i < source.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                literal.push('{');
                i += 2;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                literal.push('}');
                i += 2;
            }
            b'}' => {
                return Err(TemplateError {
                    offset: i,
                    len: 1,
                    message: "unmatched `}` in template".into(),
                    help: "write `}}` for a literal brace".into(),
                });
            }
            b'{' => {
                let close = source[i + 1..].find(['}', '{']).map(|j| i + 1 + j);
                let Some(close) = close.filter(|&c| bytes[c] == b'}') else {
                    return Err(TemplateError {
                        offset: i,
                        len: close.unwrap_or(source.len()) - i,
                        message: "unclosed `{` in template".into(),
                        help: "close the reference with `}`, or write `{{` for a literal brace"
                            .into(),
                    });
                };
                let parsed = reference(&source[i + 1..close]).map_err(|e| TemplateError {
                    offset: i,
                    len: close + 1 - i,
                    ..e
                })?;
                if !literal.is_empty() {
                    parts.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                parts.push(Piece::Ref(parsed));
                i = close + 1;
            }
            _ => {
                let next = source[i..].find(['{', '}']).map_or(source.len(), |j| i + j);
                literal.push_str(&source[i..next]);
                i = next;
            }
        }
    }
    if !literal.is_empty() {
        parts.push(Piece::Literal(literal));
    }
    Ok(parts)
}

impl std::str::FromStr for Template {
    type Err = TemplateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Template::parse(s)
    }
}

fn parse_reference(inner: &str) -> Result<Reference, TemplateError> {
    let err = |message: String, help: &str| TemplateError {
        offset: 0,
        len: 0,
        message,
        help: help.to_owned(),
    };
    const KINDS: &str = "write `{input.<key>}`, `{credential.<name>}`, `{env.<NAME>}`, `{user.<key>}` or `{settings.<key>}`";
    if inner.trim() != inner || inner.is_empty() {
        return Err(err(
            format!("malformed reference `{{{inner}}}`"),
            "write the reference without spaces, e.g. `{input.subdomain}`",
        ));
    }
    let Some((namespace, name)) = inner.split_once('.') else {
        return Err(err(
            format!("reference `{{{inner}}}` has no namespace"),
            KINDS,
        ));
    };
    let identifier = |s: &str| {
        let mut chars = s.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let metadata_key = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let reference = match namespace {
        "input" => Reference::Input(name.to_owned()),
        "credential" => Reference::Credential(name.to_owned()),
        "env" => Reference::Env(name.to_owned()),
        "user" => Reference::User(name.to_owned()),
        "settings" => Reference::Setting(name.to_owned()),
        _ => {
            return Err(err(
                format!("unknown reference namespace `{namespace}` in `{{{inner}}}`"),
                KINDS,
            ));
        }
    };
    let valid = match &reference {
        Reference::User(n) => metadata_key(n),
        other => identifier(other.name()),
    };
    if !valid {
        return Err(err(
            format!("malformed name `{name}` in reference `{{{inner}}}`"),
            "names are letters, digits and `_` (user metadata keys may also use `-`), e.g. `{env.TASKLAB_URL}`",
        ));
    }
    Ok(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_parts() {
        let t = Template::parse("a{{b}}{env.X}c").unwrap();
        assert_eq!(
            t.parts(),
            [
                Part::Literal("a{b}".into()),
                Part::Ref(Reference::Env("X".into())),
                Part::Literal("c".into())
            ]
        );
        assert_eq!(Template::parse("{{x}}").unwrap().literal().unwrap(), "{x}");
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = Template::parse("ab{input.x").unwrap_err();
        assert_eq!(
            (e.offset, e.message.as_str()),
            (2, "unclosed `{` in template")
        );
        let e = Template::parse("ab}").unwrap_err();
        assert_eq!(e.offset, 2);
        let e = Template::parse("x{secret.Y}").unwrap_err();
        assert_eq!((e.offset, e.len), (1, 10));
        assert!(e.message.contains("unknown reference namespace `secret`"));
        let e = Template::parse("{ input.x }").unwrap_err();
        assert!(e.message.contains("malformed"));
        let e = Template::parse("{env.A-B}").unwrap_err();
        assert!(e.message.contains("malformed name"));
        let e = Template::parse("{a{input.x}").unwrap_err();
        assert_eq!(e.offset, 0);
    }
}
