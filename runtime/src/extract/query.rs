//! `Query<T>`: the query string, deserialized.

use serde::de::DeserializeOwned;

use super::urlencoded::from_urlencoded;
use super::{FromRequestParts, RequestParts, ValidationError};

/// The query string deserialized into `T` with serde. A field that is
/// missing or does not parse is a `422` naming it, in FastAPI's shape
/// (`"loc": ["query", "limit"]`); every bad value is listed at once. A
/// query of more than [`App::max_fields`](crate::App::max_fields) pairs
/// (1,000 by default) is a `422` of `"type": "too_many_fields"`.
///
/// ```
/// use atode::{get, Query};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Search {
///     q: String,
///     limit: Option<u32>,
/// }
///
/// #[get("/search")]
/// async fn search(Query(search): Query<Search>) -> String {
///     format!("{} (up to {})", search.q, search.limit.unwrap_or(10))
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts for Query<T> {
    type Rejection = ValidationError;

    const INPUT: bool = true;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, ValidationError> {
        from_urlencoded(
            parts.uri().query().unwrap_or_default(),
            "query",
            parts.max_fields(),
        )
        .map(Query)
    }
}
