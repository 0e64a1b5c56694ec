//! TypeScript text: string literals, workflow templates as expressions, values as literals.

use paragon_manifest::workflow::{Part, Ref, Root, Template, Value};

/// A single-quoted TypeScript string literal.
pub(crate) fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The text of a template literal's literal part (backticks and `${` escaped).
fn template_text(s: &str) -> String {
    string(s)
        .trim_matches('\'')
        .replace("\\'", "'")
        .replace('`', "\\`")
        .replace("${", "\\${")
}

/// A property name: bare when it is an identifier, else quoted.
pub(crate) fn key(k: &str) -> String {
    let ident = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if ident { k.to_owned() } else { string(k) }
}

/// A property access path after an expression (`.a.b`, `['odd key']`, `[0]`).
fn access(path: &[String]) -> String {
    path.iter()
        .map(|p| {
            if p.parse::<usize>().is_ok() {
                format!("[{p}]")
            } else if key(p) == *p {
                format!(".{p}")
            } else {
                format!("[{}]", string(p))
            }
        })
        .collect()
}

/// The TypeScript variable holding a step (`create` → `createStep`).
pub(crate) fn step_var(key: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in key.chars() {
        if c == '_' || c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out.push_str("Step");
    out
}

/// How references are written in a workflow's `define`.
pub(crate) struct Refs<'a> {
    /// The Request trigger's output is `{ request: { body, query, headers } }`, an event's is
    /// the payload.
    pub request_trigger: bool,
    /// Whether a step's key is a request (its output body is `output.response.body`).
    pub is_request: &'a dyn Fn(&str) -> bool,
}

impl Refs<'_> {
    /// A reference as an expression over the steps, the context and the user.
    pub(crate) fn reference(&self, r: &Ref) -> String {
        match r.root {
            Root::Trigger => match r.path.split_first() {
                Some((first, rest)) if first == "body" && !self.request_trigger => {
                    format!("triggerStep.output{}", access(rest))
                }
                _ => format!("triggerStep.output.request{}", access(&r.path)),
            },
            Root::Steps => {
                let (step, rest) = r
                    .path
                    .split_first()
                    .map_or(("", &[][..]), |(s, r)| (s.as_str(), r));
                let rest = match rest.split_first() {
                    Some((o, tail)) if o == "output" => match tail.split_first() {
                        Some((b, tail)) if b == "body" && (self.is_request)(step) => {
                            format!(".output.response.body{}", access(tail))
                        }
                        _ => format!(".output{}", access(tail)),
                    },
                    _ => access(rest),
                };
                format!("{}{rest}", step_var(step))
            }
            Root::Settings => format!(
                "context.getInput({}){}",
                string(r.path.first().map_or("", String::as_str)),
                access(r.path.get(1..).unwrap_or(&[]))
            ),
            Root::User => format!("connectUser.meta{}", access(&r.path)),
            Root::Env => format!(
                "context.getEnvironmentSecret({})",
                string(&r.path.join("."))
            ),
            _ => "undefined".to_owned(),
        }
    }

    /// A template: one whole reference is the referenced value; anything else a template
    /// literal (or a plain string without references).
    pub(crate) fn template(&self, t: &Template) -> String {
        if let Some(r) = t.whole_ref() {
            return self.reference(r);
        }
        if t.parts().iter().all(|p| matches!(p, Part::Literal(_))) {
            let text: String = t
                .parts()
                .iter()
                .map(|p| match p {
                    Part::Literal(s) => s.as_str(),
                    _ => "",
                })
                .collect();
            return string(&text);
        }
        let mut out = String::from("`");
        for p in t.parts() {
            match p {
                Part::Literal(s) => out.push_str(&template_text(s)),
                Part::Ref(r) => {
                    out.push_str("${");
                    out.push_str(&self.reference(r));
                    out.push('}');
                }
            }
        }
        out.push('`');
        out
    }

    /// A value as a TypeScript literal, its templates as expressions.
    pub(crate) fn value(&self, v: &Value) -> String {
        match v {
            Value::Text(t) => self.template(t),
            Value::Integer(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Array(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|i| self.value(i))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Value::Table(entries) => {
                if entries.is_empty() {
                    return "{}".to_owned();
                }
                let fields: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", key(k), self.value(v)))
                    .collect();
                format!("{{ {} }}", fields.join(", "))
            }
            _ => "null".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_keys_are_quoted_safely() {
        assert_eq!(string("it's `a`\n${x}"), "'it\\'s `a`\\n${x}'");
        assert_eq!(template_text("a`b${c}"), "a\\`b\\${c}");
        assert_eq!(key("title"), "title");
        assert_eq!(key("X-Trace"), "'X-Trace'");
        assert_eq!(step_var("is_urgent"), "isUrgentStep");
    }
}
