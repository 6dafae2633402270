//! How [`Multipart`] and [`UploadFile`] appear in the OpenAPI document.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::{AnyForm, Multipart, MultipartError, UploadFile};
use crate::openapi::{Operation, OperationInput, OperationOutput};

/// A `multipart/form-data` body of the form `F`; `400` for a body that is
/// not well-formed multipart, `413` past a limit, `415` for another content
/// type, and the `422` of [`MultipartError::missing`].
impl<F: JsonSchema> OperationInput for Multipart<F> {
    fn operation_input(op: &mut Operation<'_>) {
        let schema = op.input_schema::<F>();
        op.request_body("multipart/form-data", schema);
        MultipartError::operation_output(op);
    }
}

/// `400`, `413`, `415`, and `422` in FastAPI's shape.
impl OperationOutput for MultipartError {
    fn operation_output(op: &mut Operation<'_>) {
        op.error(400, "The body is not well-formed multipart");
        op.error(
            413,
            "The body, a field, or the number of parts is over its limit",
        );
        op.error(415, "The body's Content-Type is not multipart/form-data");
        op.validation_error();
    }
}

/// A file in a form: `{"type": "string", "format": "binary"}`, as FastAPI
/// documents its `UploadFile`, so Swagger UI offers a file picker.
///
/// ```
/// use atode::multipart::UploadFile;
/// use schemars::JsonSchema;
///
/// #[derive(JsonSchema)]
/// struct Form {
///     file: UploadFile,
///     note: Option<String>,
/// }
///
/// let schema = schemars::schema_for!(Form);
/// assert_eq!(schema.as_value()["properties"]["file"]["format"], "binary");
/// ```
impl JsonSchema for UploadFile {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "UploadFile".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "format": "binary" })
    }
}

/// Any object: a form whose fields the handler alone knows.
impl JsonSchema for AnyForm {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "AnyForm".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "object" })
    }
}
