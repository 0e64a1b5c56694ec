//! Identifier sanitising: Rust keywords, invalid characters and collisions, resolved the same way
//! on every run.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span};
use std::collections::HashSet;

/// Keywords of any edition (2015–2024) and reserved words.
const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen", "union",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Spells out leading signs and keeps only ASCII letters, digits and separators, so that
/// `+1` and `-1` (GitHub's reactions) stay distinct.
fn words(raw: &str) -> String {
    let mut s = String::with_capacity(raw.len() + 8);
    for (i, c) in raw.chars().enumerate() {
        match c {
            '+' if i == 0 => s.push_str("plus "),
            '-' if i == 0 => s.push_str("minus "),
            c if c.is_ascii_alphanumeric() => s.push(c),
            _ => s.push(' '),
        }
    }
    s
}

/// A `snake_case` identifier for `raw` (fields, methods, parameters), `fallback` when nothing is left.
pub(crate) fn snake(raw: &str, fallback: &str) -> String {
    let mut s = words(raw).to_snake_case();
    if s.is_empty() {
        s = fallback.to_string();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'n');
    }
    keyword_safe(s)
}

/// An `UpperCamelCase` identifier for `raw` (types, variants), `fallback` when nothing is left.
pub(crate) fn camel(raw: &str, fallback: &str) -> String {
    let mut s = words(raw).to_upper_camel_case();
    if s.is_empty() {
        s = fallback.to_string();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'V');
    }
    if s == "Self" {
        s.push_str("Value");
    }
    s
}

fn keyword_safe(s: String) -> String {
    if NOT_RAW.contains(&s.as_str()) {
        format!("{s}_value")
    } else if KEYWORDS.contains(&s.as_str()) {
        format!("r#{s}")
    } else {
        s
    }
}

/// The name as written in source, without any `r#`.
pub(crate) fn unraw(s: &str) -> &str {
    s.strip_prefix("r#").unwrap_or(s)
}

/// Makes an `Ident` from a name produced by this module.
pub(crate) fn ident(s: &str) -> Ident {
    match s.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(s, Span::call_site()),
    }
}

/// Hands out unique names in one namespace: the second `foo` becomes `foo2` (`foo_2` for snake case).
#[derive(Default)]
pub(crate) struct Namer {
    taken: HashSet<String>,
}

impl Namer {
    /// A namer in which `reserved` are already taken.
    pub(crate) fn with_reserved(reserved: &[&str]) -> Self {
        Namer {
            taken: reserved.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Whether `name` is already handed out.
    pub(crate) fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(unraw(name))
    }

    /// `base`, or `base` with the first free numeric suffix.
    pub(crate) fn unique(&mut self, base: &str) -> String {
        let plain = unraw(base);
        if self.taken.insert(plain.to_string()) {
            return base.to_string();
        }
        let sep = if plain.contains('_') || plain.starts_with(|c: char| c.is_ascii_lowercase()) {
            "_"
        } else {
            ""
        };
        let mut n = 2;
        loop {
            let candidate = format!("{plain}{sep}{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_signs() {
        assert_eq!(snake("type", "f"), "r#type");
        assert_eq!(snake("self", "f"), "self_value");
        assert_eq!(snake("+1", "f"), "plus_1");
        assert_eq!(snake("-1", "f"), "minus_1");
        assert_eq!(snake("2fa", "f"), "n2fa");
        assert_eq!(snake("été", "f"), "t");
        assert_eq!(snake("***", "field"), "field");
        assert_eq!(camel("self", "T"), "SelfValue");
        assert_eq!(camel("2xx", "T"), "V2xx");
        assert_eq!(camel("foo-bar_baz", "T"), "FooBarBaz");
    }

    #[test]
    fn collisions_get_suffixes_in_order() {
        let mut n = Namer::with_reserved(&["new"]);
        assert_eq!(n.unique("new"), "new_2");
        assert_eq!(n.unique("r#type"), "r#type");
        assert_eq!(n.unique("r#type"), "type_2");
        assert_eq!(n.unique("Foo"), "Foo");
        assert_eq!(n.unique("Foo"), "Foo2");
    }
}
