//! `allOf` as refinement. The members of an `allOf` all hold at once, so where two of them
//! describe the same property the type is what satisfies both: a later member narrows what an
//! earlier one left loose. The common list envelope
//! `allOf: [Collection, {properties: {data: {items: {$ref: Booking}}}}]`, where `Collection`
//! says only `data: array of object`, types `data` as `Vec<Booking>`, not as a vector of maps.

use serde_json::{Map, Value};

/// How deep `allOf`s may nest inside each other before the schema is left untyped.
const MAX_DEPTH: usize = 16;

/// Merges the `allOf` `members` of a schema whose other keywords are `own` into one object
/// schema. Members are applied in order, each refining the ones before it; the schema's own
/// `properties` and `required` refine them all. `resolve` follows `$ref`s. The error says why the
/// schema cannot be one object (it is then typed as untyped JSON).
pub(crate) fn merge(
    own: &Map<String, Value>,
    members: &[Value],
    resolve: &mut dyn FnMut(&Value) -> Option<Value>,
) -> Result<Map<String, Value>, String> {
    let mut acc = Map::new();
    for member in members {
        absorb(&mut acc, member, 0, resolve)?;
    }
    refine_object(&mut acc, own);
    let mut merged = Map::new();
    merged.insert("type".into(), Value::String("object".into()));
    for key in ["properties", "required", "additionalProperties"] {
        let value = acc.remove(key);
        let value = match key {
            "properties" => Some(value.unwrap_or_else(|| Value::Object(Map::new()))),
            "required" => Some(value.unwrap_or_else(|| Value::Array(Vec::new()))),
            _ => value,
        };
        if let Some(v) = value {
            merged.insert(key.into(), v);
        }
    }
    Ok(merged)
}

/// Folds one member (and the `allOf` it holds itself, which comes first: it is what the member
/// refines) into `acc`.
fn absorb(
    acc: &mut Map<String, Value>,
    member: &Value,
    depth: usize,
    resolve: &mut dyn FnMut(&Value) -> Option<Value>,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("`allOf` nests too deeply".into());
    }
    let Some(resolved) = resolve(member) else {
        return Err("an `allOf` member does not resolve".into());
    };
    let Some(obj) = resolved.as_object() else {
        return Ok(());
    };
    if obj.contains_key("oneOf") || obj.contains_key("anyOf") {
        return Err("`allOf` with a `oneOf`/`anyOf` member".into());
    }
    match obj.get("type").and_then(Value::as_str) {
        None | Some("object") => {}
        Some(other) => return Err(format!("`allOf` with a member of type `{other}`")),
    }
    if let Some(Value::Array(inner)) = obj.get("allOf") {
        for m in inner {
            absorb(acc, m, depth + 1, resolve)?;
        }
    }
    refine_object(acc, obj);
    Ok(())
}

/// Adds an object member's `properties`, `required` and `additionalProperties` to `acc`.
fn refine_object(acc: &mut Map<String, Value>, obj: &Map<String, Value>) {
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        let entry = acc
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(acc_props) = entry {
            merge_properties(acc_props, props);
        }
    }
    if let Some(req) = obj.get("required").and_then(Value::as_array) {
        let entry = acc
            .entry("required")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(acc_req) = entry {
            for r in req {
                if !acc_req.contains(r) {
                    acc_req.push(r.clone());
                }
            }
        }
    }
    if let Some(addl) = obj.get("additionalProperties").filter(|a| a.is_object()) {
        let refined = match acc.get("additionalProperties") {
            Some(old) => refine(old, addl),
            None => addl.clone(),
        };
        acc.insert("additionalProperties".into(), refined);
    }
}

fn merge_properties(acc: &mut Map<String, Value>, props: &Map<String, Value>) {
    for (name, schema) in props {
        let refined = match acc.get(name) {
            Some(old) => refine(old, schema),
            None => schema.clone(),
        };
        acc.insert(name.clone(), refined);
    }
}

/// The schema of a value that satisfies both `earlier` and `later`, as far as its Rust type goes.
fn refine(earlier: &Value, later: &Value) -> Value {
    let (Some(a), Some(b)) = (earlier.as_object(), later.as_object()) else {
        return later.clone();
    };
    match (a.get("$ref"), b.get("$ref")) {
        (_, Some(_)) if !has_shape(a) => return later.clone(),
        (Some(ra), Some(rb)) if ra == rb => return later.clone(),
        (Some(_), None) if !has_shape(b) => return earlier.clone(),
        (Some(_), _) | (_, Some(_)) => {
            // Two shapes at once (a named type and more): an `allOf` of both, merged where used.
            let both = Value::Array(vec![earlier.clone(), later.clone()]);
            return Value::Object(Map::from_iter([("allOf".to_string(), both)]));
        }
        (None, None) => {}
    }
    let mut out = a.clone();
    for (key, value) in b {
        let refined = match (key.as_str(), out.get(key)) {
            ("properties", Some(Value::Object(old))) => {
                let mut props = old.clone();
                if let Some(new) = value.as_object() {
                    merge_properties(&mut props, new);
                }
                Value::Object(props)
            }
            ("required", Some(Value::Array(old))) => {
                let mut req = old.clone();
                for r in value.as_array().into_iter().flatten() {
                    if !req.contains(r) {
                        req.push(r.clone());
                    }
                }
                Value::Array(req)
            }
            ("items" | "additionalProperties", Some(old)) => refine(old, value),
            _ => value.clone(),
        };
        out.insert(key.clone(), refined);
    }
    Value::Object(out)
}

/// Whether a schema says more than "some value of this type": a reference, properties, a
/// union or an enumeration. A schema without shape is refined by replacing it.
fn has_shape(obj: &Map<String, Value>) -> bool {
    let non_empty = |k: &str| match obj.get(k) {
        Some(Value::Object(m)) => !m.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
        None => false,
    };
    ["$ref", "properties", "oneOf", "anyOf", "allOf", "enum"]
        .iter()
        .any(|k| non_empty(k))
        || obj
            .get("items")
            .and_then(Value::as_object)
            .is_some_and(has_shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merged(own: Value, members: Value) -> Value {
        let own = own.as_object().unwrap().clone();
        let members = members.as_array().unwrap().clone();
        Value::Object(merge(&own, &members, &mut |v| Some(v.clone())).unwrap())
    }

    #[test]
    fn a_later_member_refines_an_array_of_objects() {
        let out = merged(
            json!({}),
            json!([
                {"type": "object", "required": ["data"],
                 "properties": {"data": {"type": "array", "items": {"type": "object"}}}},
                {"properties": {"data": {"items": {"$ref": "#/components/schemas/Booking"}}}}
            ]),
        );
        assert_eq!(
            out["properties"]["data"],
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Booking"}})
        );
        assert_eq!(out["required"], json!(["data"]));
    }

    #[test]
    fn two_named_types_on_one_property_are_both_kept() {
        let out = merged(
            json!({}),
            json!([
                {"properties": {"owner": {"$ref": "#/a"}}},
                {"properties": {"owner": {"$ref": "#/b"}}}
            ]),
        );
        assert_eq!(
            out["properties"]["owner"],
            json!({"allOf": [{"$ref": "#/a"}, {"$ref": "#/b"}]})
        );
    }
}
