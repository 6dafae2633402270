//! Extractors: handler parameters built from the request.
//!
//! A handler parameter that is neither a path parameter nor
//! [`BackgroundTasks`](crate::BackgroundTasks) is an extractor. Extractors
//! run in the order the parameters are written, before the handler; the
//! last one may read the body ([`FromRequest`]), the others see only the
//! request head ([`FromRequestParts`]).

mod from_request;
mod parts;
mod path;
mod rejection;
mod state;

pub use from_request::{FromRequest, FromRequestParts, ViaParts, ViaRequest};
pub use parts::RequestParts;
pub use rejection::{ErrorDetail, ValidationError};
pub use state::State;

pub(crate) use path::{PathErrors, PathParams};
