//! The generated code adds no warning, even with the allow-by-default lints
//! a careful crate turns on.
#![deny(warnings)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    unused_qualifications,
    unused_results,
    unused_extern_crates,
    unused_import_braces,
    unused_lifetimes,
    single_use_lifetimes,
    elided_lifetimes_in_paths,
    explicit_outlives_requirements,
    let_underscore_drop,
    meta_variable_misuse,
    non_ascii_idents,
    trivial_casts,
    trivial_numeric_casts,
    unsafe_code,
    variant_size_differences,
    redundant_lifetimes,
    unit_bindings,
    redundant_imports
)]

use atode::{App, BackgroundTasks, Json, State, get, post, route, routes};

fn note(line: String) {
    drop(line);
}

/// A public handler with path parameters, an extractor and tasks.
#[post("/items/<id>/<rest..>")]
pub async fn create(
    id: u32,
    rest: String,
    state: State<u8>,
    tasks: BackgroundTasks,
    body: Json<String>,
) -> String {
    tasks.add_task(note, (format!("{id} {rest} {}", body.0),));
    state.0.to_string()
}

/// No parameters at all.
#[route(GET, HEAD, "/")]
pub(crate) async fn index() {}

#[get("/private/<name>")]
async fn private(name: String) -> String {
    name
}

mod nested {
    /// A handler in a module, listed by its path.
    #[atode::delete("/nested/<id>")]
    pub(crate) async fn remove(id: u64) -> atode::StatusCode {
        if id == 0 {
            atode::StatusCode::NOT_FOUND
        } else {
            atode::StatusCode::NO_CONTENT
        }
    }

    /// Another, listed from the crate root.
    #[atode::get("/nested")]
    pub(crate) async fn list() -> &'static str {
        "nested"
    }
}

fn main() {
    drop(App::new().state(7_u8).routes(routes![
        create,
        index,
        private,
        nested::remove,
        crate::nested::list
    ]));
}
