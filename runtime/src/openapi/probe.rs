//! How the route macros' generated code asks a handler's types to describe
//! themselves without requiring that they can: for each type `T` it calls
//! `(&Probe::<T>::new()).method(..)`, and method resolution picks the impl
//! on `Probe<T>` when `T` implements the trait, else the one on
//! `&Probe<T>`, which records a gap. No bound is added to any handler.
//! Not a public API.

use std::marker::PhantomData;

use schemars::JsonSchema;
use serde_json::json;

use super::{Operation, OperationInput, OperationOutput, ParameterIn};

pub struct Probe<T: ?Sized>(PhantomData<fn() -> PhantomData<T>>);

impl<T: ?Sized> Probe<T> {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Probe(PhantomData)
    }
}

/// A path parameter whose type has a schema.
pub trait PathSchema {
    fn path_parameter(&self, op: &mut Operation<'_>, name: &str);
}

impl<T: JsonSchema> PathSchema for Probe<T> {
    fn path_parameter(&self, op: &mut Operation<'_>, name: &str) {
        let mut schema = op.input_schema::<T>();
        segment(&mut schema);
        op.parameter(ParameterIn::Path, name, schema, true);
    }
}

/// Any other path parameter: text, parsed with `FromStr`.
pub trait PathText {
    fn path_parameter(&self, op: &mut Operation<'_>, name: &str);
}

impl<T> PathText for &Probe<T> {
    fn path_parameter(&self, op: &mut Operation<'_>, name: &str) {
        let mut schema = json!({ "type": "string" });
        segment(&mut schema);
        op.parameter(ParameterIn::Path, name, schema, true);
    }
}

/// A path segment is never empty: an empty one matches no route.
fn segment(schema: &mut serde_json::Value) {
    if let Some(schema) = schema.as_object_mut() {
        if schema.get("type").and_then(|t| t.as_str()) == Some("string") {
            schema.entry("minLength").or_insert(json!(1));
        }
    }
}

/// Path parameters can fail to parse: the `422`.
pub fn path_rejects(op: &mut Operation<'_>) {
    op.validation_error();
}

/// An extractor that describes itself.
pub trait Input {
    fn input(&self, op: &mut Operation<'_>, param: &str);
}

impl<T: OperationInput> Input for Probe<T> {
    fn input(&self, op: &mut Operation<'_>, _: &str) {
        T::operation_input(op);
    }
}

/// One that does not: a gap.
pub trait InputGap {
    fn input(&self, op: &mut Operation<'_>, param: &str);
}

impl<T> InputGap for &Probe<T> {
    fn input(&self, op: &mut Operation<'_>, param: &str) {
        op.gap(format!(
            "parameter `{param}` is not described: its type implements no `OperationInput` \
             (for `Json<T>`, `Query<T>` and `Form<T>`: `T` derives no `JsonSchema`)"
        ));
    }
}

/// A return type that describes itself.
pub trait Output {
    fn output(&self, op: &mut Operation<'_>, ty: &str);
}

impl<T: OperationOutput> Output for Probe<T> {
    fn output(&self, op: &mut Operation<'_>, _: &str) {
        T::operation_output(op);
    }
}

/// One that does not: documented as `default`, and a gap.
pub trait OutputGap {
    fn output(&self, op: &mut Operation<'_>, ty: &str);
}

impl<T> OutputGap for &Probe<T> {
    fn output(&self, op: &mut Operation<'_>, ty: &str) {
        output_gap(op, ty);
    }
}

/// What the probe sees in place of an `impl Trait` in a return type: a
/// type that implements no trait but `Stream`, whose items are the
/// `Item = ...` the `impl Trait` names (an untyped event's when it names
/// none). So `Sse<impl Stream<Item = Result<JsonEvent<T>, E>>>` documents
/// `T`, and `impl IntoResponse` or `Json<impl Serialize>` is a gap.
pub struct Opaque<Item = Result<crate::sse::Event, std::convert::Infallible>> {
    never: std::convert::Infallible,
    item: PhantomData<fn() -> Item>,
}

impl<Item> futures_core::Stream for Opaque<Item> {
    type Item = Item;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Item>> {
        // No value of this type exists: the probe only names it.
        match self.never {}
    }
}

/// A return type that describes nothing.
pub fn output_gap(op: &mut Operation<'_>, ty: &str) {
    op.response(super::Status::Default, "Default Response");
    op.gap(format!(
        "return type `{ty}` is not described: it implements no `OperationOutput` \
         (for `Json<T>`: `T` derives no `JsonSchema`)"
    ));
}
