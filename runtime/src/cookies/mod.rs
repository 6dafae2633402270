//! Cookies: read from the request by an extractor, set and removed by
//! returning the jar beside the body (`(jar, body)`, or
//! `(StatusCode, jar, body)`).
//!
//! | jar | what the client can do | feature |
//! | --- | --- | --- |
//! | [`CookieJar`] | read and change the values | `cookies` (default) |
//! | [`SignedCookieJar`] | read the values; a changed one reads as absent | `cookies-secure` |
//! | [`PrivateCookieJar`] | nothing: values are encrypted; a changed one reads as absent | `cookies-secure` |
//!
//! No jar rejects a request (never a `400` or `422`): a pair of the
//! `Cookie` header that does not parse is skipped, as are signed or
//! private cookies that fail their check, because browsers send what other
//! scripts and old deployments left, and one stray cookie must not lock a
//! user out. A handler that needs a cookie answers its own status when
//! `get` returns `None`. The signed and private jars take their [`Key`]
//! from app state (`App::state(key)`); an app that lacks it fails to start.
//!
//! The types are the [`cookie`](https://docs.rs/cookie) crate's, re-exported:
//!
//! ```
//! use atode::cookies::{Cookie, CookieJar};
//! use atode::{get, routes, App, HttpError, Json, testing::TestClient};
//!
//! #[get("/visits")]
//! async fn visits(jar: CookieJar) -> Result<(CookieJar, Json<u32>), HttpError> {
//!     let seen: u32 = match jar.get("visits") {
//!         Some(cookie) => cookie.value().parse().map_err(|_| HttpError::bad_request("visits is not a number"))?,
//!         None => 0,
//!     };
//!     let jar = jar.add(Cookie::build(("visits", (seen + 1).to_string())).path("/"));
//!     Ok((jar, Json(seen + 1)))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = TestClient::new(App::new().routes(routes![visits]));
//! let response = client.get("/visits").header("cookie", "visits=2").await;
//! assert_eq!(response.text(), "3");
//! assert_eq!(response.header("set-cookie"), Some("visits=3; Path=/"));
//! # }
//! ```

mod jar;
mod parse;
#[cfg(feature = "cookies-secure")]
mod private;
mod response;
#[cfg(feature = "cookies-secure")]
mod signed;

pub use jar::CookieJar;
#[cfg(feature = "cookies-secure")]
pub use private::PrivateCookieJar;
#[cfg(feature = "cookies-secure")]
pub use signed::SignedCookieJar;

/// The key that signs and encrypts cookies: give it to the app with
/// `App::state(key)`. Make one with `Key::generate()` (a new one per run:
/// cookies do not survive a restart), or load 64 secret bytes with
/// `Key::from(&bytes)`, or derive one from 32 with `Key::derive_from`.
#[cfg(feature = "cookies-secure")]
pub use cookie::Key;
pub use cookie::{Cookie, CookieBuilder, Expiration, SameSite};
