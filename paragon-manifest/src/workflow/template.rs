//! Workflow templates: the manifest's `{namespace.name}` syntax over a workflow's data
//! (`{trigger.body.email}`, `{steps.fetch.output.body.id}`, `{user.Email}`,
//! `{settings.project}`, `{env.NAME}`), and the TOML values built from them.

use std::fmt;

use crate::template::{Piece, TemplateError};

/// Where a [`Ref`] starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Root {
    /// `{trigger.…}`: what started the run (`body`, `query`, `headers`).
    Trigger,
    /// `{steps.<key>.…}`: an earlier step's result (`output`, or `item`/`index` in a fan-out).
    Steps,
    /// `{user.<key>}`: the connected user's metadata.
    User,
    /// `{settings.<key>}`: a value of the workflow's user settings.
    Settings,
    /// `{env.<NAME>}`: an environment secret of the integration's owner.
    Env,
}

impl Root {
    /// The namespace as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Root::Trigger => "trigger",
            Root::Steps => "steps",
            Root::User => "user",
            Root::Settings => "settings",
            Root::Env => "env",
        }
    }

    const ALL: [Root; 5] = [
        Root::Trigger,
        Root::Steps,
        Root::User,
        Root::Settings,
        Root::Env,
    ];
}

/// A reference to a value of the run: a root and a dotted path under it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ref {
    /// The namespace.
    pub root: Root,
    /// The path after the namespace, e.g. `["fetch", "output", "body", "id"]`. Array elements
    /// are numeric segments (`items.0.id`).
    pub path: Vec<String>,
}

impl Ref {
    /// For `{steps.<key>…}`, the step's key.
    pub fn step(&self) -> Option<&str> {
        match self.root {
            Root::Steps => self.path.first().map(String::as_str),
            _ => None,
        }
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}", self.root.as_str())?;
        for p in &self.path {
            write!(f, ".{p}")?;
        }
        write!(f, "}}")
    }
}

/// One piece of a [`Template`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Text copied as is.
    Literal(String),
    /// A value of the run.
    Ref(Ref),
}

/// A string with references to the run's data; `{{` and `}}` are literal braces.
///
/// ```
/// use paragon_manifest::workflow::{Root, Template};
///
/// let t = Template::parse("Hello {trigger.body.name}").unwrap();
/// let r = t.references().next().unwrap();
/// assert_eq!((r.root, r.path.join(".")), (Root::Trigger, "body.name".to_string()));
/// assert!(Template::parse("{step.x}").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

impl Template {
    /// Parses a template.
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let parts = crate::template::scan(source, |inner| {
            parse_ref(inner).map_err(|(message, help)| error(0, 0, &message, &help))
        })?
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

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The parsed pieces, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Every reference, in order of appearance.
    pub fn references(&self) -> impl Iterator<Item = &Ref> {
        self.parts.iter().filter_map(|p| match p {
            Part::Ref(r) => Some(r),
            Part::Literal(_) => None,
        })
    }

    /// The reference when the template is exactly one reference: it then stands for the
    /// value itself (an object, a number…), not its text.
    pub fn whole_ref(&self) -> Option<&Ref> {
        match self.parts.as_slice() {
            [Part::Ref(r)] => Some(r),
            _ => None,
        }
    }
}

fn error(offset: usize, len: usize, message: &str, help: &str) -> TemplateError {
    TemplateError {
        offset,
        len,
        message: message.into(),
        help: help.into(),
    }
}

fn parse_ref(inner: &str) -> Result<Ref, (String, String)> {
    let mut segments = inner.trim().split('.');
    let root_name = segments.next().unwrap_or("");
    let Some(root) = Root::ALL.into_iter().find(|r| r.as_str() == root_name) else {
        let names: Vec<&str> = Root::ALL.iter().map(|r| r.as_str()).collect();
        let help = match crate::parse::closest(root_name, &names) {
            Some(s) => format!("did you mean `{{{s}.…}}`?"),
            None => format!("start with one of: {}", crate::parse::quote_list(&names)),
        };
        return Err((format!("unknown reference `{{{inner}}}`"), help));
    };
    let path: Vec<String> = segments.map(str::to_owned).collect();
    if path.is_empty() || path.iter().any(|s| s.is_empty()) {
        return Err((
            format!("incomplete reference `{{{inner}}}`"),
            format!("name a value, e.g. `{{{}.name}}`", root.as_str()),
        ));
    }
    Ok(Ref { root, path })
}

/// A value written in a workflow file (a request body, function parameters, a response):
/// TOML's shape, with every string a [`Template`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// A string; a string that is one whole reference stands for the referenced value.
    Text(Template),
    /// An integer.
    Integer(i64),
    /// A float.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// An array.
    Array(Vec<Value>),
    /// A table, keys in file order.
    Table(Vec<(String, Value)>),
}

impl Value {
    /// A text value from a template string (panics on a malformed one: for builders with
    /// literal templates; files go through validation).
    pub fn text(template: &str) -> Value {
        Value::Text(
            Template::parse(template).unwrap_or_else(|e| panic!("bad template {template:?}: {e}")),
        )
    }

    /// Every reference inside, depth first.
    pub fn references(&self) -> Vec<&Ref> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Ref>) {
        match self {
            Value::Text(t) => out.extend(t.references()),
            Value::Array(items) => items.iter().for_each(|v| v.collect(out)),
            Value::Table(entries) => entries.iter().for_each(|(_, v)| v.collect(out)),
            Value::Integer(_) | Value::Float(_) | Value::Bool(_) => {}
        }
    }
}
