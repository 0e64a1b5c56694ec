//! Stage 2: rewrite OpenAPI 3.1 schema shapes into their 3.0 equivalents, one schema node at a
//! time, so that the rest of the pipeline only knows 3.0.
//!
//! We read specs as `serde_json::Value` rather than through `openapiv3`: real specs stray from the
//! standard in many small ways (a number where a string belongs, unknown keys, 3.1 shapes) and a
//! lenient reader that ignores what it does not use generates far more of them.

use serde_json::{Map, Value};
use std::borrow::Cow;

/// Returns the 3.0 shape of one schema object (`type` arrays with `null` become `nullable`,
/// `const` becomes a one-value `enum`, `{"type": "null"}` members of `oneOf`/`anyOf` become
/// `nullable`). Borrows when nothing needs to change.
pub(crate) fn schema(v: &Value) -> Cow<'_, Value> {
    let Some(obj) = v.as_object() else {
        return Cow::Borrowed(v);
    };
    let needs = matches!(obj.get("type"), Some(Value::Array(_)))
        || obj.contains_key("const")
        || ["oneOf", "anyOf"].iter().any(|k| {
            obj.get(*k)
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(is_null_schema))
        });
    if !needs {
        return Cow::Borrowed(v);
    }
    let mut obj = obj.clone();
    if let Some(Value::Array(types)) = obj.get("type").cloned() {
        let non_null: Vec<Value> = types
            .iter()
            .filter(|t| t.as_str() != Some("null"))
            .cloned()
            .collect();
        if non_null.len() != types.len() {
            obj.insert("nullable".into(), Value::Bool(true));
        }
        match non_null.len() {
            1 => {
                obj.insert("type".into(), non_null[0].clone());
            }
            0 => {
                obj.remove("type");
            }
            _ => {
                // Several types: a union of one schema per type, each keeping the keywords it uses.
                obj.remove("type");
                let variants = non_null
                    .iter()
                    .map(|t| {
                        let mut m = Map::new();
                        m.insert("type".into(), t.clone());
                        for k in [
                            "items",
                            "properties",
                            "additionalProperties",
                            "required",
                            "format",
                            "enum",
                        ] {
                            if let Some(x) = obj.get(k) {
                                m.insert(k.into(), x.clone());
                            }
                        }
                        Value::Object(m)
                    })
                    .collect();
                obj.insert("anyOf".into(), Value::Array(variants));
            }
        }
    }
    if let Some(c) = obj.remove("const") {
        if c.is_null() {
            obj.insert("nullable".into(), Value::Bool(true));
        } else {
            obj.entry("enum").or_insert(Value::Array(vec![c]));
        }
    }
    for k in ["oneOf", "anyOf"] {
        if let Some(Value::Array(members)) = obj.get(k)
            && members.iter().any(is_null_schema)
        {
            let kept: Vec<Value> = members
                .iter()
                .filter(|m| !is_null_schema(m))
                .cloned()
                .collect();
            obj.insert(k.into(), Value::Array(kept));
            obj.insert("nullable".into(), Value::Bool(true));
        }
    }
    Cow::Owned(Value::Object(obj))
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
        || v.get("type")
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() == 1 && a[0].as_str() == Some("null"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_array_with_null_becomes_nullable() {
        let v = json!({"type": ["string", "null"], "const": "x"});
        assert_eq!(
            schema(&v).into_owned(),
            json!({"type": "string", "nullable": true, "enum": ["x"]})
        );
    }

    #[test]
    fn null_member_of_any_of_becomes_nullable() {
        let v = json!({"anyOf": [{"$ref": "#/a"}, {"type": "null"}]});
        assert_eq!(
            schema(&v).into_owned(),
            json!({"anyOf": [{"$ref": "#/a"}], "nullable": true})
        );
    }
}
