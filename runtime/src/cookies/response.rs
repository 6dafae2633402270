//! A jar returned beside a body: `(jar, T)` and `(StatusCode, jar, T)` set
//! the jar's changes as `Set-Cookie` headers on `T`'s response.

use http::{HeaderValue, StatusCode, header};

use super::CookieJar;
use crate::{IntoResponse, Response};

/// Appends a `Set-Cookie` header per cookie added or removed since the jar
/// was read, after any the inner response set. A cookie that cannot be a
/// header (a control character in its path, say) is the server's mistake:
/// a logged `500`, as for any invalid header a handler returns.
fn set_cookies(jar: &cookie::CookieJar, mut response: Response) -> Response {
    for cookie in jar.delta() {
        match HeaderValue::try_from(cookie.encoded().to_string()) {
            Ok(value) => {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            Err(error) => {
                tracing::error!(
                    target: "atode::cookies",
                    cookie = cookie.name(),
                    %error,
                    "a handler set a cookie that cannot be a Set-Cookie header"
                );
                return crate::response::server_mistake(response);
            }
        }
    }
    response
}

macro_rules! jar_responses {
    ($($(#[$cfg:meta])* $jar:ty),*) => {$(
        $(#[$cfg])*
        /// `T`'s response, with the jar's changes as `Set-Cookie` headers.
        impl<T: IntoResponse> IntoResponse for ($jar, T) {
            fn into_response(self) -> Response {
                let (jar, inner) = self;
                set_cookies(&jar.jar, inner.into_response())
            }
        }

        $(#[$cfg])*
        /// `T`'s response at `status`, with the jar's changes as
        /// `Set-Cookie` headers.
        impl<T: IntoResponse> IntoResponse for (StatusCode, $jar, T) {
            fn into_response(self) -> Response {
                let (status, jar, inner) = self;
                let mut response = (jar, inner).into_response();
                // A cookie that could not be set already made this a 500.
                if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
                    *response.status_mut() = status;
                }
                response
            }
        }

        $(#[$cfg])*
        #[cfg(feature = "openapi")]
        /// `T`: the jar adds only headers.
        impl<T: crate::openapi::OperationOutput> crate::openapi::OperationOutput for ($jar, T) {
            fn operation_output(op: &mut crate::openapi::Operation<'_>) {
                T::operation_output(op);
            }
        }

        $(#[$cfg])*
        #[cfg(feature = "openapi")]
        /// `T`, at a status chosen at run time.
        impl<T: crate::openapi::OperationOutput> crate::openapi::OperationOutput for (StatusCode, $jar, T) {
            fn operation_output(op: &mut crate::openapi::Operation<'_>) {
                op.with_status_at_run_time(T::operation_output);
            }
        }

        $(#[$cfg])*
        #[cfg(feature = "openapi")]
        /// Reads no named cookie, and never rejects: nothing to document.
        impl crate::openapi::OperationInput for $jar {
            fn operation_input(_: &mut crate::openapi::Operation<'_>) {}
        }
    )*};
}

jar_responses!(
    CookieJar,
    #[cfg(feature = "cookies-secure")]
    super::SignedCookieJar,
    #[cfg(feature = "cookies-secure")]
    super::PrivateCookieJar
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cookies::Cookie;

    #[test]
    fn every_change_is_one_set_cookie_header_after_the_inner_ones() {
        let inner = ([("set-cookie", "from=inner")], "body");
        let jar = CookieJar::new().add(("a", "1")).add(("b", "two words"));
        let response = (StatusCode::CREATED, jar, inner).into_response();
        assert_eq!(response.status(), StatusCode::CREATED);
        let mut set: Vec<&str> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|value| value.to_str().unwrap())
            .collect();
        assert_eq!(set.remove(0), "from=inner");
        set.sort();
        assert_eq!(set, ["a=1", "b=two%20words"]);
    }

    #[test]
    fn a_cookie_that_cannot_be_a_header_is_a_500() {
        let jar = CookieJar::new().add(Cookie::build(("a", "1")).path("/\n"));
        let response = (StatusCode::CREATED, jar, "body").into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
