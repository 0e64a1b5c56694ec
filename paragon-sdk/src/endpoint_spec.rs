//! Endpoints declared in Rust as an OpenAPI document (feature `tools`), so that an
//! `#[endpoints(Type, tools)]` trait becomes tools for AI agents by the same path as a
//! provider's spec: the local server (or `paragon-codegen`'s `ToolGenerator`) lowers the
//! document to tool definitions.
//!
//! The schemas come from [`schemars`]: a path argument's type, each field of a `#[query]`
//! argument's type (one query parameter per field) and the `#[body]` argument's type, so those
//! types `#[derive(schemars::JsonSchema)]`. Doc comments become descriptions: the method's
//! first paragraph is the operation's summary, the rest its description, and a field's doc
//! comment its property's.

use crate::Integration;
use serde_json::Value;

/// An integration whose hand-declared endpoints (`#[endpoints(Type, tools)]`) are described as
/// an OpenAPI 3.1 document.
///
/// ```
/// use paragon_sdk::{EndpointSpec, Integration};
///
/// struct TaskLab;
///
/// impl Integration for TaskLab {
///     const NAME: &'static str = "custom.tasklab";
///     const TEST_ENDPOINT: &'static str = "/me";
/// }
///
/// impl EndpointSpec for TaskLab {
///     fn openapi() -> serde_json::Value {
///         let mut doc = paragon_sdk::__private::openapi::Document::new(Self::NAME);
///         doc.operation("get", "/tasks/{id}", "task", "A task by id.", "")
///             .path_param::<str>("id")
///             .add();
///         doc.finish()
///     }
/// }
///
/// let doc = TaskLab::openapi();
/// assert_eq!(doc["paths"]["/tasks/{id}"]["get"]["operationId"], "task");
/// ```
pub trait EndpointSpec: Integration {
    /// The endpoints as an OpenAPI 3.1 document: one operation per method (`operationId` the
    /// method's name), path and query parameters and the JSON body with their JSON Schemas
    /// (2020-12, shared types under `components.schemas`).
    fn openapi() -> Value;
}

/// What `#[endpoints(Type, tools)]` output calls to build the document. Not a stable API.
pub mod codegen {
    use schemars::generate::{SchemaGenerator, SchemaSettings};
    use serde_json::{Map, Value, json};

    /// A type whose JSON Schema a tool's input can carry.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` has no JSON Schema, which `#[endpoints(.., tools)]` needs for a tool's input",
        label = "this type needs `#[derive(schemars::JsonSchema)]`",
        note = "derive it (`schemars` 1.x, also re-exported as `paragon_sdk::schemars`), or remove `tools` from `#[endpoints(..)]`"
    )]
    pub trait ToolSchema {
        /// The schema, or a `$ref` to it in the generator's definitions.
        fn subschema(generator: &mut SchemaGenerator) -> Value;
        /// The schema itself, never a `$ref`.
        fn schema(generator: &mut SchemaGenerator) -> Value;
    }

    impl<T: schemars::JsonSchema + ?Sized> ToolSchema for T {
        fn subschema(generator: &mut SchemaGenerator) -> Value {
            generator.subschema_for::<T>().to_value()
        }
        fn schema(generator: &mut SchemaGenerator) -> Value {
            T::json_schema(generator).to_value()
        }
    }

    /// The document being built: its paths and one schema generator for every type.
    pub struct Document {
        title: String,
        paths: Map<String, Value>,
        generator: SchemaGenerator,
    }

    /// One operation being built; [`Operation::add`] puts it in the document.
    pub struct Operation<'a> {
        document: &'a mut Document,
        method: &'static str,
        path: &'static str,
        operation: Map<String, Value>,
        parameters: Vec<Value>,
    }

    impl Document {
        /// An empty document for the integration `title` (its name, `custom.tasklab`).
        pub fn new(title: &str) -> Self {
            let mut settings = SchemaSettings::draft2020_12();
            // Shared types live where an OpenAPI document keeps them, so `$ref`s resolve in it.
            settings.definitions_path = "/components/schemas".into();
            Document {
                title: title.to_string(),
                paths: Map::new(),
                generator: settings.into_generator(),
            }
        }

        /// Starts the operation `method path` (`"post"`, `"/tasks/{id}"`).
        pub fn operation(
            &mut self,
            method: &'static str,
            path: &'static str,
            id: &str,
            summary: &str,
            description: &str,
        ) -> Operation<'_> {
            let mut operation = Map::new();
            operation.insert("operationId".into(), id.into());
            for (key, text) in [("summary", summary), ("description", description)] {
                if !text.is_empty() {
                    operation.insert(key.into(), text.into());
                }
            }
            operation.insert(
                "responses".into(),
                json!({"default": {"description": "The provider's answer."}}),
            );
            Operation {
                document: self,
                method,
                path,
                operation,
                parameters: Vec::new(),
            }
        }

        /// The OpenAPI 3.1 document.
        pub fn finish(mut self) -> Value {
            let schemas = self.generator.take_definitions(true);
            json!({
                "openapi": "3.1.0",
                "info": {"title": self.title, "version": "1"},
                "paths": self.paths,
                "components": {"schemas": schemas},
            })
        }
    }

    impl Operation<'_> {
        /// A required path parameter `{name}` of type `T`.
        pub fn path_param<T: ToolSchema + ?Sized>(mut self, name: &str) -> Self {
            let schema = T::subschema(&mut self.document.generator);
            self.parameters.push(json!({
                "name": name,
                "in": "path",
                "required": true,
                "schema": schema,
            }));
            self
        }

        /// A `#[query]` argument of type `T`: one query parameter per property of its object
        /// schema, required as the schema says. (A map's free keys are not tool inputs: they
        /// have no names to describe.)
        pub fn query<T: ToolSchema + ?Sized>(mut self) -> Self {
            let schema = T::schema(&mut self.document.generator);
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    let mut parameter = json!({
                        "name": name,
                        "in": "query",
                        "required": required.contains(&name.as_str()),
                        "schema": property,
                    });
                    if let Some(d) = property.get("description") {
                        parameter["description"] = d.clone();
                    }
                    self.parameters.push(parameter);
                }
            }
            self
        }

        /// The `#[body]` argument of type `T`, sent as JSON.
        pub fn body<T: ToolSchema + ?Sized>(mut self) -> Self {
            let schema = T::subschema(&mut self.document.generator);
            self.operation.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": schema}}}),
            );
            self
        }

        /// Puts the operation in its document.
        pub fn add(mut self) {
            if !self.parameters.is_empty() {
                self.operation
                    .insert("parameters".into(), Value::Array(self.parameters));
            }
            let item = self
                .document
                .paths
                .entry(self.path)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(item) = item.as_object_mut() {
                item.insert(self.method.into(), Value::Object(self.operation));
            }
        }
    }
}
