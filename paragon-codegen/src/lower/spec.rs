//! A typed, borrowed view of the OpenAPI nodes operation lowering reads: path items,
//! operations, parameters, request bodies, responses and media types, over the normalized
//! document. Each accessor reads one field the way lowering always has (a field of the wrong
//! JSON type reads as absent), so a vendor's odd node degrades that field alone, never the
//! document. Schemas are read by [`crate::lower::schemas`].

use serde_json::{Map, Value};

/// The HTTP methods a path item may hold, in the order operations are generated.
pub(crate) const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn str_field<'a>(node: &'a Value, key: &str) -> Option<&'a str> {
    node.get(key).and_then(Value::as_str)
}

fn true_field(node: &Value, key: &str) -> bool {
    node.get(key) == Some(&Value::Bool(true))
}

fn array_field<'a>(node: &'a Value, key: &str) -> &'a [Value] {
    node.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A path item (`paths./pets`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PathItem<'a>(pub(crate) &'a Value);

impl<'a> PathItem<'a> {
    /// The parameters every operation of the path shares.
    pub(crate) fn parameters(self) -> &'a [Value] {
        array_field(self.0, "parameters")
    }

    /// The path's own `servers`, if any.
    pub(crate) fn servers(self) -> Option<&'a Value> {
        self.0.get("servers")
    }

    /// The operation of `method` (lower case), when it is an object.
    pub(crate) fn operation(self, method: &str) -> Option<Operation<'a>> {
        self.0.get(method).filter(|o| o.is_object()).map(Operation)
    }
}

/// An operation (`paths./pets.get`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Operation<'a>(pub(crate) &'a Value);

impl<'a> Operation<'a> {
    /// `operationId`, as written (possibly blank).
    pub(crate) fn id(self) -> Option<&'a str> {
        str_field(self.0, "operationId")
    }

    /// `summary`.
    pub(crate) fn summary(self) -> Option<&'a str> {
        str_field(self.0, "summary")
    }

    /// `description`.
    pub(crate) fn description(self) -> Option<&'a str> {
        str_field(self.0, "description")
    }

    /// The `tags` that are strings.
    pub(crate) fn tags(self) -> impl Iterator<Item = &'a str> {
        array_field(self.0, "tags").iter().filter_map(Value::as_str)
    }

    /// `deprecated: true`.
    pub(crate) fn deprecated(self) -> bool {
        true_field(self.0, "deprecated")
    }

    /// The operation's own parameters (each may be a `$ref`).
    pub(crate) fn parameters(self) -> &'a [Value] {
        array_field(self.0, "parameters")
    }

    /// The operation's own `servers`, when it lists at least one.
    pub(crate) fn servers(self) -> Option<&'a Value> {
        self.0
            .get("servers")
            .filter(|s| s.as_array().is_some_and(|a| !a.is_empty()))
    }

    /// `requestBody` (possibly a `$ref`).
    pub(crate) fn request_body(self) -> Option<&'a Value> {
        self.0.get("requestBody")
    }

    /// `responses`, by status as written (each may be a `$ref`).
    pub(crate) fn responses(self) -> impl Iterator<Item = (&'a String, &'a Value)> {
        self.0
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
    }
}

/// A parameter, its `$ref` followed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parameter<'a>(pub(crate) &'a Value);

impl<'a> Parameter<'a> {
    /// `name`.
    pub(crate) fn name(self) -> Option<&'a str> {
        str_field(self.0, "name")
    }

    /// `in`, as written (`path`, `query`, `header`, `cookie`).
    pub(crate) fn location(self) -> Option<&'a str> {
        str_field(self.0, "in")
    }

    /// `description`.
    pub(crate) fn description(self) -> Option<&'a str> {
        str_field(self.0, "description")
    }

    /// `required: true`.
    pub(crate) fn required(self) -> bool {
        true_field(self.0, "required")
    }

    /// The parameter's schema: `schema`, else its first `content` entry's (OpenAPI's other
    /// form), else the parameter itself (Swagger 2's inline form, which some specs keep).
    pub(crate) fn schema(self) -> &'a Value {
        self.0
            .get("schema")
            .or_else(|| {
                self.0
                    .get("content")
                    .and_then(Value::as_object)
                    .and_then(|c| c.values().next())
                    .and_then(|m| m.get("schema"))
            })
            .unwrap_or(self.0)
    }

    /// Whether each value of an array is its own `name=value` pair: `explode`, by default
    /// true for the `form` style (the query's default) and false for the others.
    pub(crate) fn explode(self) -> bool {
        self.0
            .get("explode")
            .and_then(Value::as_bool)
            .unwrap_or(str_field(self.0, "style").is_none_or(|s| s == "form"))
    }
}

/// A request body, its `$ref` followed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestBody<'a>(pub(crate) &'a Value);

impl<'a> RequestBody<'a> {
    /// `content`, by media type.
    pub(crate) fn content(self) -> Option<&'a Map<String, Value>> {
        self.0.get("content").and_then(Value::as_object)
    }

    /// `required: true`.
    pub(crate) fn required(self) -> bool {
        true_field(self.0, "required")
    }

    /// `description`.
    pub(crate) fn description(self) -> Option<&'a str> {
        str_field(self.0, "description")
    }
}

/// A response, its `$ref` followed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Response<'a>(pub(crate) &'a Value);

impl<'a> Response<'a> {
    /// `content`, by media type, when it lists at least one.
    pub(crate) fn content(self) -> Option<&'a Map<String, Value>> {
        self.0
            .get("content")
            .and_then(Value::as_object)
            .filter(|c| !c.is_empty())
    }
}

/// A media type entry of a `content` map.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MediaType<'a>(pub(crate) &'a Value);

impl<'a> MediaType<'a> {
    /// `schema`.
    pub(crate) fn schema(self) -> Option<&'a Value> {
        self.0.get("schema")
    }
}

/// A schema object (normalized to its 3.0 shape), read field by field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schema<'a>(pub(crate) &'a Map<String, Value>);

impl<'a> Schema<'a> {
    /// `$ref`, when it is a string.
    pub(crate) fn reference(self) -> Option<&'a str> {
        self.0.get("$ref").and_then(Value::as_str)
    }

    /// Whether the schema has a `$ref` key at all.
    pub(crate) fn mentions_reference(self) -> bool {
        self.0.contains_key("$ref")
    }

    /// `enum`'s values, when it is a list.
    pub(crate) fn enum_values(self) -> Option<&'a [Value]> {
        self.0
            .get("enum")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
    }

    /// The values of an `enum` whose values (`null` aside) are all strings, at least one.
    pub(crate) fn string_enum(self) -> Option<Vec<&'a str>> {
        let values = self.enum_values()?;
        let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        let non_null = values.iter().filter(|v| !v.is_null()).count();
        (!strings.is_empty() && strings.len() == non_null).then_some(strings)
    }

    /// The members of `oneOf`, then of `anyOf`, for each that is a list.
    pub(crate) fn unions(self) -> impl Iterator<Item = &'a [Value]> {
        ["oneOf", "anyOf"]
            .into_iter()
            .filter_map(move |k| self.0.get(k).and_then(Value::as_array))
            .map(Vec::as_slice)
    }

    /// `allOf`'s members, when it is a list.
    pub(crate) fn all_of(self) -> Option<&'a [Value]> {
        self.0
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
    }

    /// `type`, when it is a string.
    pub(crate) fn type_name(self) -> Option<&'a str> {
        self.0.get("type").and_then(Value::as_str)
    }

    /// Whether `type` is given (of any JSON type).
    pub(crate) fn has_type(self) -> bool {
        self.0.get("type").is_some()
    }

    /// Whether this is an object schema: `type: object`, or no `type` at all.
    pub(crate) fn is_object(self) -> bool {
        matches!(self.type_name(), Some("object") | None)
    }

    /// `properties`, when it is a map.
    pub(crate) fn properties(self) -> Option<&'a Map<String, Value>> {
        self.0.get("properties").and_then(Value::as_object)
    }

    /// Whether `properties` names at least one property.
    pub(crate) fn has_properties(self) -> bool {
        self.properties().is_some_and(|p| !p.is_empty())
    }

    /// `required`'s names that are strings.
    pub(crate) fn required(self) -> Vec<&'a str> {
        self.0
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// `items`.
    pub(crate) fn items(self) -> Option<&'a Value> {
        self.0.get("items")
    }

    /// `additionalProperties`, as written.
    pub(crate) fn additional_properties(self) -> Option<&'a Value> {
        self.0.get("additionalProperties")
    }

    /// `deprecated: true`.
    pub(crate) fn deprecated(self) -> bool {
        self.0.get("deprecated") == Some(&Value::Bool(true))
    }

    /// `nullable: true` (or Swagger's `x-nullable: true`).
    pub(crate) fn nullable(self) -> bool {
        self.0.get("nullable") == Some(&Value::Bool(true))
            || self.0.get("x-nullable") == Some(&Value::Bool(true))
    }

    /// Whether an integer's `format` is an unsigned one (`uint64`, `uint32`, ...).
    pub(crate) fn unsigned(self) -> bool {
        matches!(
            self.0.get("format").and_then(Value::as_str),
            Some("uint64" | "uint32" | "uint16" | "uint8" | "uint")
        )
    }

    /// The discriminator's `propertyName` and its `mapping`, if any.
    pub(crate) fn discriminator(self) -> Option<(&'a str, Option<&'a Map<String, Value>>)> {
        let d = self.0.get("discriminator")?;
        let property = d.get("propertyName").and_then(Value::as_str)?;
        Some((property, d.get("mapping").and_then(Value::as_object)))
    }
}
