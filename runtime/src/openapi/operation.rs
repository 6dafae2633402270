//! [`Operation`]: one route method's entry in the document, as the types
//! of its handler describe it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde_json::{Map, Value, json};

use super::schemas::Schemas;

/// Where a parameter is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParameterIn {
    /// A segment of the path (`/items/{id}`).
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

impl ParameterIn {
    fn as_str(self) -> &'static str {
        match self {
            ParameterIn::Path => "path",
            ParameterIn::Query => "query",
            ParameterIn::Header => "header",
            ParameterIn::Cookie => "cookie",
        }
    }
}

/// Which responses an entry describes: one status, a class of them
/// (`3XX`), or every status not listed (`default`).
///
/// ```
/// use atode::openapi::Status;
///
/// assert_eq!(Status::from(404).key(), "404");
/// assert_eq!(Status::Class(3).key(), "3XX");
/// assert_eq!(Status::Default.key(), "default");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// One status code.
    Code(u16),
    /// Every code of a class: `Class(3)` is `3XX`.
    Class(u8),
    /// Every status the operation lists no entry for.
    Default,
}

impl Status {
    /// The key of this entry in an operation's `responses`.
    pub fn key(self) -> String {
        match self {
            Status::Code(code) => code.to_string(),
            Status::Class(class) => format!("{class}XX"),
            Status::Default => "default".to_owned(),
        }
    }
}

impl From<u16> for Status {
    fn from(code: u16) -> Self {
        Status::Code(code)
    }
}

impl From<http::StatusCode> for Status {
    fn from(code: http::StatusCode) -> Self {
        Status::Code(code.as_u16())
    }
}

/// One operation (a method of a path) of the document, being described by
/// its handler's types: each extractor's
/// [`OperationInput`](super::OperationInput) adds what it reads and how it
/// rejects, the return type's [`OperationOutput`](super::OperationOutput)
/// adds the responses.
///
/// An extractor of your own documents itself through it; see
/// [`OperationInput`](super::OperationInput) for a whole example.
pub struct Operation<'a> {
    pub(crate) schemas: &'a mut Schemas,
    pub(crate) parameters: Vec<Value>,
    pub(crate) request_body: Option<Map<String, Value>>,
    pub(crate) responses: BTreeMap<String, Map<String, Value>>,
    pub(crate) security: Vec<Value>,
    pub(crate) security_schemes: &'a mut Map<String, Value>,
    pub(crate) gaps: Vec<String>,
    /// The status the response being described answers with.
    pub(crate) status: Status,
    /// The route's success status: `200`, or `status = ...` in its attribute.
    pub(crate) success: Status,
    /// `status = ...` in the route's attribute, if given.
    pub(crate) declared: Option<Status>,
    pub(crate) success_description: &'static str,
    /// `errors = [...]` in the route's attribute: the statuses its
    /// `HttpError`s answer with.
    pub(crate) errors: &'static [u16],
    /// Whether an `HttpError` among the route's responses documented
    /// `errors`: declared statuses nothing raises are a gap.
    pub(crate) errors_described: bool,
    /// Inside an `Option<T>` or `Result<T, _>` extractor: what `T` reads is
    /// not required, and its rejections never reach the client.
    pub(crate) optional: bool,
}

impl<'a> Operation<'a> {
    pub(crate) fn new(
        schemas: &'a mut Schemas,
        security_schemes: &'a mut Map<String, Value>,
        declared: Option<Status>,
        success_description: &'static str,
    ) -> Self {
        let success = declared.unwrap_or(Status::Code(200));
        Operation {
            schemas,
            parameters: Vec::new(),
            request_body: None,
            responses: BTreeMap::new(),
            security: Vec::new(),
            security_schemes,
            gaps: Vec::new(),
            status: success,
            success,
            declared,
            success_description,
            errors: &[],
            errors_described: false,
            optional: false,
        }
    }

    /// `T`'s schema as clients send it (serde's `Deserialize` side); a
    /// `$ref` into `components/schemas` for a named type.
    pub fn input_schema<T: JsonSchema + ?Sized>(&mut self) -> Value {
        self.schemas.input::<T>()
    }

    /// `T`'s schema as the app answers it (serde's `Serialize` side).
    pub fn output_schema<T: JsonSchema + ?Sized>(&mut self) -> Value {
        self.schemas.output::<T>()
    }

    /// Adds a parameter. Inside an optional extractor it is never required.
    pub fn parameter(&mut self, location: ParameterIn, name: &str, schema: Value, required: bool) {
        let required = location == ParameterIn::Path || (required && !self.optional);
        self.parameters.push(json!({
            "name": name,
            "in": location.as_str(),
            "required": required,
            "schema": schema,
        }));
    }

    /// Adds one query parameter per field of `T`, a struct: what
    /// [`Query<T>`](crate::Query) reads. A field is required unless it is
    /// an `Option` or has a default. A `T` whose schema is no object with
    /// properties is reported as a gap.
    pub fn query_parameters<T: JsonSchema>(&mut self) {
        let schema = self.schemas.input_inline::<T>();
        let schema = match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => self
                .schemas
                .input_definition(reference)
                .cloned()
                .unwrap_or(schema),
            None => schema,
        };
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            self.gap(format!(
                "the query type `{}` is not a struct of named fields, so its parameters cannot be listed",
                T::schema_name()
            ));
            return;
        };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, field) in properties {
            let mut field = field.clone();
            let description = field
                .as_object_mut()
                .and_then(|field| field.remove("description"));
            self.parameter(
                ParameterIn::Query,
                name,
                field,
                required.contains(&name.as_str()),
            );
            if let (Some(description), Some(Value::Object(parameter))) =
                (description, self.parameters.last_mut())
            {
                parameter.insert("description".to_owned(), description);
            }
        }
    }

    /// Sets the request body's schema for `media_type`; a second media type
    /// is a second way to send it. Required unless inside an optional
    /// extractor.
    pub fn request_body(&mut self, media_type: &str, schema: Value) {
        let optional = self.optional;
        let body = self.request_body.get_or_insert_with(|| {
            let mut body = Map::new();
            body.insert("content".to_owned(), Value::Object(Map::new()));
            body.insert("required".to_owned(), Value::Bool(!optional));
            body
        });
        if let Some(Value::Object(content)) = body.get_mut("content") {
            add_content(content, media_type, schema);
        }
    }

    /// The response entry for `status`, created with `description` if
    /// missing, to add content and headers to.
    ///
    /// ```
    /// use atode::openapi::{Operation, OperationOutput};
    /// use atode::{IntoResponse, Response, StatusCode};
    ///
    /// /// Answers `204` with no body, or `409` when the item exists.
    /// struct Created(bool);
    ///
    /// impl IntoResponse for Created {
    ///     fn into_response(self) -> Response {
    ///         if self.0 { StatusCode::NO_CONTENT } else { StatusCode::CONFLICT }.into_response()
    ///     }
    /// }
    ///
    /// impl OperationOutput for Created {
    ///     fn operation_output(op: &mut Operation<'_>) {
    ///         op.response(204, "Created");
    ///         op.response(409, "The item exists already");
    ///     }
    /// }
    /// ```
    pub fn response(&mut self, status: impl Into<Status>, description: &str) -> ResponseEntry<'_> {
        let entry = self
            .responses
            .entry(status.into().key())
            .or_insert_with(|| {
                let mut entry = Map::new();
                entry.insert("description".to_owned(), Value::from(description));
                entry
            });
        ResponseEntry { entry }
    }

    /// The entry for the response being described: the route's success
    /// status (`200`, or `status = ...` in its attribute) for a handler's
    /// return type, `default` for the error side of a `Result`.
    pub fn this_response(&mut self) -> ResponseEntry<'_> {
        let description = if self.status == self.success {
            self.success_description
        } else {
            "Default Response"
        };
        self.response(self.status, description)
    }

    /// Describes, with `f`, a response whose status is chosen at run time
    /// (`(StatusCode, T)`): the route's `status = ...` when it gives one and
    /// this is its success response, else `default`.
    pub fn with_status_at_run_time(&mut self, f: impl FnOnce(&mut Self)) {
        let status = match self.declared {
            Some(declared) if self.status == self.success => declared,
            _ => Status::Default,
        };
        self.with_status(status, f);
    }

    /// Describes, with `f`, a response that answers with `status`: what
    /// [`this_response`](Operation::this_response) gives inside `f`.
    pub fn with_status(&mut self, status: Status, f: impl FnOnce(&mut Self)) {
        let outer = std::mem::replace(&mut self.status, status);
        f(self);
        self.status = outer;
    }

    /// Describes, with `f`, an extractor whose failure the handler gets as
    /// a value (`Option<T>`, `Result<T, _>`): nothing `f` adds is required,
    /// and the rejections it adds are left out.
    pub fn optional(&mut self, f: impl FnOnce(&mut Self)) {
        let outer = std::mem::replace(&mut self.optional, true);
        f(self);
        self.optional = outer;
    }

    /// Adds the `422` that atode answers when the request does not parse,
    /// in FastAPI's shape (`HTTPValidationError`).
    pub fn validation_error(&mut self) {
        if self.optional {
            return;
        }
        let schema = self
            .schemas
            .fixed("ValidationError", validation_error_schema);
        self.schemas.fixed("HTTPValidationError", || {
            json!({
                "title": "HTTPValidationError",
                "type": "object",
                "properties": {
                    "detail": { "title": "Detail", "type": "array", "items": schema },
                },
            })
        });
        let reference = json!({ "$ref": "#/components/schemas/HTTPValidationError" });
        self.response(422, "Validation Error").json(reference);
    }

    /// Adds an error response whose body is atode's `{"detail": "..."}`.
    pub fn error(&mut self, status: impl Into<Status>, description: &str) {
        if self.optional {
            return;
        }
        let schema = self.http_error();
        self.response(status, description).json(schema);
    }

    /// The `$ref` of atode's `{"detail": "..."}` body.
    pub(crate) fn http_error(&mut self) -> Value {
        self.schemas.fixed("HTTPError", || {
            json!({
                "title": "HTTPError",
                "type": "object",
                "required": ["detail"],
                "properties": { "detail": { "title": "Detail", "type": "string" } },
            })
        })
    }

    /// Requires the security scheme `name` (an OpenAPI Security Scheme
    /// object, added to `components/securitySchemes`) for this operation.
    ///
    /// ```
    /// use atode::openapi::{Operation, OperationInput};
    /// use serde_json::json;
    ///
    /// struct ApiKey(String);
    ///
    /// impl OperationInput for ApiKey {
    ///     fn operation_input(op: &mut Operation<'_>) {
    ///         op.security("apiKey", json!({ "type": "apiKey", "in": "header", "name": "x-api-key" }));
    ///         op.error(401, "Missing or unknown API key");
    ///     }
    /// }
    /// ```
    /// Inside an optional extractor (`Option<BearerToken>`), the operation
    /// may also be called without it (`{}` among the requirements).
    pub fn security(&mut self, name: &str, scheme: Value) {
        self.security_schemes.insert(name.to_owned(), scheme);
        let mut requirements = vec![json!({ name: [] })];
        if self.optional {
            requirements.push(json!({}));
        }
        for requirement in requirements {
            if !self.security.contains(&requirement) {
                self.security.push(requirement);
            }
        }
    }

    /// Says that part of the operation could not be described, listed by
    /// [`App::openapi_gaps`](crate::App::openapi_gaps).
    pub fn gap(&mut self, what: impl Into<String>) {
        self.gaps.push(what.into());
    }
}

/// One entry of an operation's `responses`, from
/// [`Operation::response`].
pub struct ResponseEntry<'o> {
    entry: &'o mut Map<String, Value>,
}

impl ResponseEntry<'_> {
    /// Adds a body of `media_type` with `schema`. A second schema for the
    /// same media type makes it either (`anyOf`).
    pub fn content(self, media_type: &str, schema: Value) -> Self {
        let content = self
            .entry
            .entry("content")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(content) = content {
            add_content(content, media_type, schema);
        }
        self
    }

    /// Adds an `application/json` body with `schema`.
    pub fn json(self, schema: Value) -> Self {
        self.content("application/json", schema)
    }

    /// Adds a response header with `schema`.
    pub fn header(self, name: &str, schema: Value) -> Self {
        let headers = self
            .entry
            .entry("headers")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(headers) = headers {
            headers.insert(name.to_owned(), json!({ "schema": schema }));
        }
        self
    }
}

fn add_content(content: &mut Map<String, Value>, media_type: &str, schema: Value) {
    match content.get_mut(media_type) {
        None => {
            content.insert(media_type.to_owned(), json!({ "schema": schema }));
        }
        Some(Value::Object(media)) => {
            let existing = media.remove("schema").unwrap_or(Value::Bool(true));
            let merged = match existing {
                same if same == schema => same,
                Value::Object(mut any) if any.len() == 1 && any.contains_key("anyOf") => {
                    if let Some(Value::Array(options)) = any.get_mut("anyOf") {
                        if !options.contains(&schema) {
                            options.push(schema);
                        }
                    }
                    Value::Object(any)
                }
                other => json!({ "anyOf": [other, schema] }),
            };
            media.insert("schema".to_owned(), merged);
        }
        Some(_) => {}
    }
}

/// One problem in a `422`'s `detail`, as atode (and FastAPI) answers it.
fn validation_error_schema() -> Value {
    json!({
        "title": "ValidationError",
        "type": "object",
        "required": ["loc", "msg", "type"],
        "properties": {
            "loc": {
                "title": "Location",
                "type": "array",
                "items": { "anyOf": [{ "type": "string" }, { "type": "integer" }] },
            },
            "msg": { "title": "Message", "type": "string" },
            "type": { "title": "Error Type", "type": "string" },
            "input": { "title": "Input" },
            "ctx": { "title": "Context", "type": "object" },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `f` added: the parameters, the request body and the responses.
    type Added = (
        Vec<Value>,
        Option<Map<String, Value>>,
        BTreeMap<String, Map<String, Value>>,
    );

    fn with_op(f: impl FnOnce(&mut Operation<'_>)) -> Added {
        let mut schemas = Schemas::new();
        let mut schemes = Map::new();
        let mut op = Operation::new(&mut schemas, &mut schemes, None, "Successful Response");
        f(&mut op);
        (op.parameters, op.request_body, op.responses)
    }

    #[test]
    fn two_schemas_for_one_response_are_either() {
        let (_, _, responses) = with_op(|op| {
            op.this_response().json(json!({ "type": "string" }));
            op.this_response().json(json!({ "type": "integer" }));
            op.this_response().json(json!({ "type": "string" }));
            op.this_response().json(json!({ "type": "boolean" }));
        });
        assert_eq!(
            responses["200"]["content"]["application/json"]["schema"],
            json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }, { "type": "boolean" }] })
        );
    }

    #[test]
    fn inside_an_optional_extractor_nothing_is_required_or_rejected() {
        let (parameters, body, responses) = with_op(|op| {
            op.optional(|op| {
                op.parameter(ParameterIn::Query, "q", json!({}), true);
                op.parameter(ParameterIn::Path, "id", json!({}), true);
                op.request_body("application/json", json!({}));
                op.validation_error();
                op.error(413, "too large");
            });
            op.parameter(ParameterIn::Header, "x", json!({}), true);
        });
        let required: Vec<&Value> = parameters.iter().map(|p| &p["required"]).collect();
        // A path parameter is required whatever wraps it: the path has it.
        assert_eq!(required, [&json!(false), &json!(true), &json!(true)]);
        assert_eq!(body.unwrap()["required"], false);
        assert!(responses.is_empty(), "{responses:?}");
    }

    #[test]
    fn a_status_chosen_at_run_time_is_the_declared_one_or_default() {
        let mut schemas = Schemas::new();
        let mut schemes = Map::new();
        let mut op = Operation::new(&mut schemas, &mut schemes, Some(Status::Code(201)), "Made");
        op.with_status_at_run_time(|op| {
            op.this_response();
        });
        op.with_status(Status::Default, |op| {
            op.with_status_at_run_time(|op| {
                op.this_response();
            });
        });
        let keys: Vec<&String> = op.responses.keys().collect();
        assert_eq!(keys, ["201", "default"]);
        assert_eq!(op.responses["201"]["description"], "Made");
    }
}
