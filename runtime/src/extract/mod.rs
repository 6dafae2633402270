//! Extractors: handler parameters built from the request.
//!
//! A handler parameter that is neither a path parameter nor
//! [`BackgroundTasks`](crate::BackgroundTasks) is an extractor. The last
//! one may read the body ([`FromRequest`]), the others see only the
//! request head ([`FromRequestParts`]).
//!
//! Extractors run before the handler, in two rounds, each in the order the
//! parameters are written: first the dependencies (`BearerToken`,
//! `BasicAuth`, `State`, your own extractors), then the request's inputs
//! (the path parameters, `Query`, `TypedHeader`, the body last), as
//! FastAPI solves dependencies before it validates parameters. So a
//! request without its token is a `401`, whatever else is wrong with it;
//! see [`FromRequestParts::INPUT`].
//!
//! | extractor | gives | rejection |
//! | --- | --- | --- |
//! | [`Json<T>`](crate::Json) | the JSON body | 415, 413, 422 |
//! | [`Form<T>`] | a urlencoded body | 415, 413, 422 |
//! | [`Query<T>`] | the query string | 422 |
//! | `Bytes`, `String` | the raw body | 413, 400 |
//! | [`HeaderMap`](http::HeaderMap), [`Method`](http::Method), [`Uri`](http::Uri), [`Version`](http::Version) | the request head | none |
//! | [`TypedHeader<T>`] | one header, parsed | 422 |
//! | [`BearerToken`], [`BasicAuth`] | `Authorization`'s credentials | 401 with `WWW-Authenticate` |
//! | [`State<T>`] | app state | a start-up error if never given ([`App::check`](crate::App::check), run by `serve` and `TestClient`); `500` only in an app served unchecked |
//! | [`RemoteAddr`] | the client's address | 500 without a socket |
//! | `CookieJar`, `SignedCookieJar`, `PrivateCookieJar` | the request's cookies (`atode::cookies`, feature `cookies`) | none: bad pairs are skipped |
//! | [`LastEventId`](crate::sse::LastEventId) | `Last-Event-ID` ([`sse`](crate::sse)) | 422 |
//! | `Option<T>`, `Result<T, T::Rejection>` | extraction that may fail | none |

mod auth;
mod body;
pub(crate) mod decode;
mod form;
mod from_request;
mod head;
mod header;
mod optional;
mod parts;
pub(crate) mod path;
mod query;
mod rejection;
mod state;
pub(crate) mod urlencoded;
#[doc(hidden)]
pub mod validated;

pub use auth::BasicAuth;
pub use body::BodyRejection;
pub use form::{Form, FormRejection};
pub use from_request::{FromRequest, FromRequestParts};

// Only tell `FromRequest`'s two kinds of implementation apart; inferred.
#[doc(hidden)]
pub use from_request::{ViaParts, ViaRequest};
pub use head::{NoRemoteAddr, RemoteAddr};
pub use header::{BearerToken, Header, TypedHeader, UserAgent};
pub use parts::RequestParts;
pub use query::Query;
pub use rejection::{ErrorDetail, ValidationError};
pub use state::{MissingState, Requirements, State};
pub use urlencoded::DEFAULT_MAX_FIELDS;

pub(crate) use state::StateMap;

pub(crate) use body::{has_content_type, read_body};
pub use path::PathParam;
pub(crate) use path::PathParams;
#[doc(hidden)]
pub use path::PathParser;
