//! `Option<T>` and `Result<T, T::Rejection>`: extraction that may fail
//! without failing the request.

use std::convert::Infallible;

use super::{FromRequest, FromRequestParts, RequestParts, ViaRequest};
use crate::Body;

/// `None` where `T` would have rejected the request.
///
/// ```
/// use atode::{get, Query};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Page {
///     page: u32,
/// }
///
/// #[get("/list")]
/// async fn list(page: Option<Query<Page>>) -> String {
///     page.map_or(1, |Query(p)| p.page).to_string()
/// }
/// ```
impl<T: FromRequestParts + Send> FromRequestParts for Option<T> {
    type Rejection = Infallible;

    const INPUT: bool = T::INPUT;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(T::from_request_parts(parts).await.ok())
    }
}

/// `None` where the body extractor `T` would have rejected the request.
impl<T: FromRequest<ViaRequest> + Send> FromRequest<ViaRequest> for Option<T> {
    type Rejection = Infallible;

    const INPUT: bool = T::INPUT;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, Infallible> {
        Ok(T::from_request(parts, body).await.ok())
    }
}

/// The rejection itself, for a handler that answers it its own way.
///
/// ```
/// use atode::{post, Json, JsonRejection};
///
/// #[post("/lenient")]
/// async fn lenient(body: Result<Json<serde_json::Value>, JsonRejection>) -> String {
///     match body {
///         Ok(Json(value)) => value.to_string(),
///         Err(rejection) => format!("no JSON: {rejection:?}"),
///     }
/// }
/// ```
impl<T> FromRequestParts for Result<T, T::Rejection>
where
    T: FromRequestParts + Send,
    T::Rejection: Send,
{
    type Rejection = Infallible;

    const INPUT: bool = T::INPUT;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(T::from_request_parts(parts).await)
    }
}

/// The body extractor's rejection itself.
impl<T> FromRequest<ViaRequest> for Result<T, T::Rejection>
where
    T: FromRequest<ViaRequest> + Send,
    T::Rejection: Send,
{
    type Rejection = Infallible;

    const INPUT: bool = T::INPUT;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, Infallible> {
        Ok(T::from_request(parts, body).await)
    }
}
