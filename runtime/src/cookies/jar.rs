//! `CookieJar`: the request's cookies, and the changes to send back.

use std::convert::Infallible;

use cookie::Cookie;

use crate::{FromRequestParts, RequestParts};

/// The request's cookies, as an extractor; and, returned beside a body as
/// `(jar, body)`, the cookies to set or remove, as `Set-Cookie` headers.
///
/// It never rejects a request: a pair of the `Cookie` header that does not
/// parse is skipped (browsers send junk that other scripts left), and where
/// a name repeats the first one counts. Values are percent-decoded when
/// read and percent-encoded when set, so any text round-trips.
///
/// ```
/// use atode::cookies::{Cookie, CookieJar};
/// use atode::{get, post, routes, App, testing::TestClient};
///
/// #[post("/login/<name>")]
/// async fn login(name: String, jar: CookieJar) -> (CookieJar, &'static str) {
///     (jar.add(Cookie::build(("user", name)).path("/").http_only(true)), "welcome")
/// }
///
/// #[get("/me")]
/// async fn me(jar: CookieJar) -> String {
///     jar.get("user").map_or("nobody".to_owned(), |user| user.value().to_owned())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![login, me]));
/// let response = client.post("/login/ada").await;
/// assert_eq!(response.header("set-cookie"), Some("user=ada; HttpOnly; Path=/"));
/// assert_eq!(client.get("/me").header("cookie", "user=ada").await.text(), "ada");
/// assert_eq!(client.get("/me").header("cookie", "junk; user=ada").await.text(), "ada");
/// assert_eq!(client.get("/me").await.text(), "nobody");
/// # }
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a changed jar sets nothing unless it is returned in the response"]
pub struct CookieJar {
    pub(super) jar: cookie::CookieJar,
}

impl CookieJar {
    /// An empty jar, to set cookies without reading any.
    ///
    /// ```
    /// use atode::cookies::CookieJar;
    /// use atode::IntoResponse;
    ///
    /// let response = (CookieJar::new().add(("theme", "dark")), "ok").into_response();
    /// assert_eq!(response.headers()["set-cookie"], "theme=dark");
    /// ```
    pub fn new() -> Self {
        CookieJar::default()
    }

    /// The jar of the request's `headers`, as the extractor reads it.
    ///
    /// ```
    /// use atode::cookies::CookieJar;
    /// use atode::HeaderMap;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("cookie", "a=1; b=2".parse().unwrap());
    /// let jar = CookieJar::from_headers(&headers);
    /// assert_eq!(jar.get("b").map(|cookie| cookie.value()), Some("2"));
    /// ```
    pub fn from_headers(headers: &http::HeaderMap) -> Self {
        CookieJar {
            jar: super::parse::cookies(headers),
        }
    }

    /// The cookie called `name`: one the request sent, or one added since.
    ///
    /// ```
    /// use atode::cookies::CookieJar;
    ///
    /// let jar = CookieJar::new().add(("a", "1"));
    /// assert_eq!(jar.get("a").unwrap().value(), "1");
    /// assert!(jar.get("b").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<&Cookie<'static>> {
        self.jar.get(name)
    }

    /// Adds (or replaces) a cookie: a `Set-Cookie` header in the response
    /// the jar is returned in. A cookie's attributes are as given; set
    /// `.path("/")` for one that every path of the site should see.
    ///
    /// ```
    /// use atode::cookies::{Cookie, CookieJar, SameSite};
    /// use atode::IntoResponse;
    ///
    /// let session = Cookie::build(("session", "abc")).path("/").secure(true).same_site(SameSite::Lax);
    /// let response = (CookieJar::new().add(session), "ok").into_response();
    /// assert_eq!(response.headers()["set-cookie"], "session=abc; SameSite=Lax; Secure; Path=/");
    /// ```
    // `add`, as the `cookie` crate's jars name it; not arithmetic.
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
        self.jar.add(cookie);
        self
    }

    /// Removes a cookie the request sent: the response tells the browser
    /// to drop it (an empty value that expired in the past). Give the same
    /// path and domain it was set with, or the browser keeps it.
    ///
    /// ```
    /// use atode::cookies::{Cookie, CookieJar};
    /// use atode::{HeaderMap, IntoResponse};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("cookie", "session=abc".parse().unwrap());
    /// let jar = CookieJar::from_headers(&headers).remove(Cookie::build("session").path("/"));
    /// assert!(jar.get("session").is_none());
    /// let response = (jar, "logged out").into_response();
    /// let set = response.headers()["set-cookie"].to_str().unwrap();
    /// assert!(set.starts_with("session=; Path=/; Max-Age=0; Expires="), "{set}");
    /// ```
    pub fn remove(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
        self.jar.remove(cookie);
        self
    }

    /// Every cookie in the jar.
    ///
    /// ```
    /// use atode::cookies::CookieJar;
    ///
    /// let jar = CookieJar::new().add(("a", "1")).add(("b", "2"));
    /// let mut names: Vec<&str> = jar.iter().map(|cookie| cookie.name()).collect();
    /// names.sort();
    /// assert_eq!(names, ["a", "b"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &Cookie<'static>> {
        self.jar.iter()
    }
}

impl FromRequestParts for CookieJar {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(CookieJar::from_headers(parts.headers()))
    }
}
