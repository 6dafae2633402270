//! Query strings: whatever the client sends, deserializing it into the
//! shapes handlers ask for ends in a value or a `422`, never a panic.

use std::collections::HashMap;

use atode::__private::fuzz::query;
use atode::{IntoResponse, StatusCode, ValidationError};
use serde::Deserialize;

/// A handler's query with a field of each kind the deserializer treats
/// differently.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // Read only through `Debug`: deserializing is the test.
struct Search {
    q: Option<String>,
    page: u32,
    exact: bool,
    limit: Option<u32>,
    score: Option<f64>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    ids: Vec<u32>,
    order: Option<Order>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Order {
    Asc,
    Desc,
}

/// Catches the rest of the query beside named fields, through serde's
/// buffering, which asks the deserializer for `any`.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // Read only through `Debug`.
struct Flattened {
    page: Option<u32>,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

/// Runs every shape over `data`; panics on a broken invariant.
pub fn check(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let _ = settle(query::<HashMap<String, String>>(raw));
    let _ = settle(query::<Vec<(String, String)>>(raw));
    let _ = settle(query::<Search>(raw));
    let _ = settle(query::<Flattened>(raw));
}

/// A failure must say what failed, and become a `422`.
pub(crate) fn settle<T: std::fmt::Debug>(result: Result<T, ValidationError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            assert!(!error.details().is_empty(), "a 422 that lists no problem");
            let response = error.into_response();
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
            None
        }
    }
}
