//! The trailing-slash rule: a path no route matches, whose twin with its
//! last slash added or removed a route does match (for any method), is
//! answered `307 Temporary Redirect` to that twin, query kept, as
//! FastAPI's (Starlette's) `redirect_slashes` does. `307` keeps the method
//! and the body, so a `POST` that follows it is the same `POST`.
//!
//! It costs a request no route matches one more look-up, and nothing else:
//! a path that matches is never redirected.

use std::borrow::Cow;

use crate::response::Redirect;
use crate::{IntoResponse, Response};

/// `path` with its last slash toggled (`/users` and `/users/`, each the
/// other's), when the twin is a path of this server to send a client to.
pub(super) fn twin(path: &str) -> Option<Cow<'_, str>> {
    let twin = match path.strip_suffix('/') {
        Some(stripped) => Cow::Borrowed(stripped),
        None => Cow::Owned(format!("{path}/")),
    };
    // A `Location` that starts with `//`, or `/\` that browsers read alike,
    // names another host: `//evil.example/` would send the client there.
    let elsewhere = twin.starts_with("//") || twin.starts_with("/\\");
    (twin.starts_with('/') && !elsewhere).then_some(twin)
}

/// The `307` to `path`, with the request's `query`.
pub(super) fn redirect(path: &str, query: Option<&str>) -> Response {
    match query {
        Some(query) => Redirect::temporary(&format!("{path}?{query}")).into_response(),
        None => Redirect::temporary(path).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_slash_toggles() {
        assert_eq!(twin("/api/v1/users").as_deref(), Some("/api/v1/users/"));
        assert_eq!(twin("/api/v1/users/").as_deref(), Some("/api/v1/users"));
        assert_eq!(twin("/a//").as_deref(), Some("/a/"));
        // The root has no twin: the empty path is no path.
        assert_eq!(twin("/"), None);
    }

    #[test]
    fn a_twin_that_would_name_another_host_is_none() {
        for path in [
            "//evil.example",
            "//evil.example/",
            "/\\evil.example",
            "///",
        ] {
            assert_eq!(twin(path), None, "{path}");
        }
        // `//` is the root's twin: the root is on this server.
        assert_eq!(twin("//").as_deref(), Some("/"));
    }

    #[test]
    fn the_redirect_keeps_the_query() {
        let response = redirect("/users/", Some("page=2&q=a%20b"));
        assert_eq!(response.status(), 307);
        assert_eq!(response.headers()["location"], "/users/?page=2&q=a%20b");
        assert_eq!(redirect("/users", None).headers()["location"], "/users");
    }
}
