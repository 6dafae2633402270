//! `LastEventId`: the id a reconnecting `EventSource` sends back.

use http::{HeaderName, HeaderValue};

use crate::extract::{Header, TypedHeader};
use crate::{FromRequestParts, RequestParts, ValidationError};

/// The `Last-Event-ID` header: the id of the last event a reconnecting
/// browser received, so the stream can resume after it.
///
/// Take it as `Option<LastEventId>`: a first connection has none. Taken
/// bare, a request without it is a `422` (`"loc": ["header",
/// "last-event-id"]`), as for any [`TypedHeader`]; so is one whose value
/// is not UTF-8. The id is the client's: parse it, and treat one that does
/// not parse as you would a first connection.
///
/// ```
/// use atode::sse::LastEventId;
/// use atode::{get, routes, App, testing::TestClient};
///
/// #[get("/resume")]
/// async fn resume(last: Option<LastEventId>) -> String {
///     match last {
///         Some(LastEventId(id)) => format!("after {id}"),
///         None => "from the start".to_owned(),
///     }
/// }
///
/// #[get("/strict")]
/// async fn strict(LastEventId(id): LastEventId) -> String {
///     id
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![resume, strict]));
/// assert_eq!(client.get("/resume").header("last-event-id", "41").await.text(), "after 41");
/// assert_eq!(client.get("/resume").await.text(), "from the start");
/// assert_eq!(client.get("/strict").await.status(), 422);
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastEventId(pub String);

impl Header for LastEventId {
    const NAME: HeaderName = HeaderName::from_static("last-event-id");

    /// Any UTF-8 text: an id may be any text without line breaks, and
    /// browsers send it back as UTF-8.
    fn decode(value: &HeaderValue) -> Result<Self, String> {
        std::str::from_utf8(value.as_bytes())
            .map(|id| LastEventId(id.to_owned()))
            .map_err(|_| "Last-Event-ID is not UTF-8".to_owned())
    }
}

impl FromRequestParts for LastEventId {
    type Rejection = ValidationError;

    const INPUT: bool = true;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, ValidationError> {
        TypedHeader::<LastEventId>::from_request_parts(parts)
            .await
            .map(|TypedHeader(id)| id)
    }
}

/// The `Last-Event-ID` header parameter and its `422`.
#[cfg(feature = "openapi")]
impl crate::openapi::OperationInput for LastEventId {
    fn operation_input(op: &mut crate::openapi::Operation<'_>) {
        <TypedHeader<LastEventId> as crate::openapi::OperationInput>::operation_input(op);
    }
}
