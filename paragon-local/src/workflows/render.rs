//! Rendering a workflow's templates over a run's data, as JSON.

use paragon_manifest::Secrets;
use paragon_manifest::workflow::{Part, Ref, Root, Template, Value as WfValue};
use serde_json::{Map, Value};
use std::sync::Mutex;

/// What templates see: `{"trigger": …, "steps": {key: {"output": …}}, "user": …,
/// "settings": …}`, and the environment secrets.
pub(crate) struct Scope<'a> {
    pub data: &'a Value,
    pub secrets: &'a (dyn Secrets + Sync),
    /// Every secret value rendered, so what is stored can be redacted.
    pub used_secrets: &'a Mutex<Vec<String>>,
}

impl Scope<'_> {
    fn lookup(&self, r: &Ref) -> Result<Value, String> {
        if r.root == Root::Env {
            let name = r.path.join(".");
            let value = self
                .secrets
                .secret(&name)
                .ok_or_else(|| format!("`{r}`: the environment secret {name} is not set"))?;
            self.note_secret(&value);
            return Ok(Value::String(value));
        }
        let mut at = self
            .data
            .get(r.root.as_str())
            .ok_or_else(|| format!("`{r}` has no value in this run"))?;
        for segment in &r.path {
            let next = match at {
                Value::Object(m) => m.get(segment),
                Value::Array(a) => segment.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            };
            at = next.ok_or_else(|| format!("`{r}` has no value in this run (no `{segment}`)"))?;
        }
        Ok(at.clone())
    }

    /// Remembers a secret value, so the history never stores it (shorter values would redact
    /// ordinary text).
    pub(crate) fn note_secret(&self, value: &str) {
        if value.len() < 4 {
            return;
        }
        let mut used = self.used_secrets.lock().unwrap_or_else(|e| e.into_inner());
        if !used.iter().any(|u| u == value) {
            used.push(value.to_owned());
        }
    }

    /// A template as text: referenced strings as they are, other values as JSON.
    pub(crate) fn text(&self, t: &Template) -> Result<String, String> {
        let mut out = String::new();
        for part in t.parts() {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Ref(r) => match self.lookup(r)? {
                    Value::String(s) => out.push_str(&s),
                    Value::Null => {}
                    other => out.push_str(&other.to_string()),
                },
            }
        }
        Ok(out)
    }

    /// A value: a string that is one whole reference becomes the referenced value itself.
    pub(crate) fn value(&self, v: &WfValue) -> Result<Value, String> {
        Ok(match v {
            WfValue::Text(t) => match t.whole_ref() {
                Some(r) => self.lookup(r)?,
                None => Value::String(self.text(t)?),
            },
            WfValue::Integer(i) => Value::from(*i),
            WfValue::Float(f) => Value::from(*f),
            WfValue::Bool(b) => Value::Bool(*b),
            WfValue::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.value(i))
                    .collect::<Result<_, _>>()?,
            ),
            WfValue::Table(entries) => {
                let mut m = Map::new();
                for (k, v) in entries {
                    m.insert(k.clone(), self.value(v)?);
                }
                Value::Object(m)
            }
            _ => Value::Null,
        })
    }
}

/// The value at a dotted path (`next_cursor`, `data.items`); the empty path is the value.
pub(crate) fn at_path<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .filter(|s| !s.is_empty())
        .try_fold(value, |v, seg| match v {
            Value::Object(m) => m.get(seg),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        })
}

/// `text` with every secret value replaced by `***`, for what the history stores.
pub(crate) fn redact(text: String, secrets: &Mutex<Vec<String>>) -> String {
    let secrets = secrets.lock().unwrap_or_else(|e| e.into_inner());
    secrets.iter().fold(text, |t, s| {
        if t.contains(s.as_str()) {
            t.replace(s.as_str(), "***")
        } else {
            t
        }
    })
}

/// A JSON value with secret values redacted (re-parsed; unchanged when it has none).
pub(crate) fn redact_value(v: &Value, secrets: &Mutex<Vec<String>>) -> Value {
    let text = v.to_string();
    let red = redact(text.clone(), secrets);
    if red == text {
        return v.clone();
    }
    serde_json::from_str(&red).unwrap_or(Value::String("***".into()))
}
