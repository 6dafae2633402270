//! `SignedCookieJar`: cookies the client can read but not change.

use cookie::{Cookie, Key};

use super::parse;
use crate::extract::{MissingState, Requirements};
use crate::{FromRequestParts, RequestParts};

/// Cookies signed with the app's [`Key`] (HMAC-SHA256): the client can
/// read their values, and any change to one makes it read as absent.
/// Reads and sets as [`CookieJar`](super::CookieJar) does; only the
/// cookies whose signature checks out are seen.
///
/// The key is app state: give it with `App::state(key)`. An app whose
/// routes take this jar and that has no key fails to start (its
/// [`App::check`](crate::App::check) names the missing `Key`). Keep the key
/// secret and stable: a new key makes every cookie signed with the old one
/// read as absent.
///
/// It never rejects a request: a tampered, unsigned or malformed cookie is
/// simply not in the jar.
///
/// ```
/// use atode::cookies::{Key, SignedCookieJar};
/// use atode::{get, post, routes, App, testing::TestClient};
///
/// #[post("/login/<name>")]
/// async fn login(name: String, jar: SignedCookieJar) -> (SignedCookieJar, &'static str) {
///     (jar.add(("user", name)), "welcome")
/// }
///
/// #[get("/me")]
/// async fn me(jar: SignedCookieJar) -> String {
///     jar.get("user").map_or("nobody".to_owned(), |user| user.value().to_owned())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = App::new().state(Key::generate()).routes(routes![login, me]);
/// let client = TestClient::new(app);
/// let set = client.post("/login/ada").await.header("set-cookie").unwrap().to_owned();
/// assert!(set.starts_with("user=") && set.ends_with("ada"), "the value stays readable: {set}");
/// assert_eq!(client.get("/me").header("cookie", &set).await.text(), "ada");
/// let forged = set.replace("ada", "eve");
/// assert_eq!(client.get("/me").header("cookie", &forged).await.text(), "nobody");
/// # }
/// ```
#[derive(Clone)]
#[must_use = "a changed jar sets nothing unless it is returned in the response"]
pub struct SignedCookieJar {
    pub(super) jar: cookie::CookieJar,
    key: Key,
}

impl SignedCookieJar {
    /// The signed cookies of `headers`, checked with `key`.
    ///
    /// ```
    /// use atode::cookies::{Key, SignedCookieJar};
    /// use atode::HeaderMap;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("cookie", "user=not-signed".parse().unwrap());
    /// assert!(SignedCookieJar::from_headers(&headers, Key::generate()).get("user").is_none());
    /// ```
    pub fn from_headers(headers: &http::HeaderMap, key: Key) -> Self {
        SignedCookieJar {
            jar: parse::cookies(headers),
            key,
        }
    }

    /// The cookie called `name`, if its signature checks out (or it was
    /// added since), with its plain value.
    pub fn get(&self, name: &str) -> Option<Cookie<'static>> {
        self.jar.signed(&self.key).get(name)
    }

    /// Adds (or replaces) a cookie, signed: a `Set-Cookie` header in the
    /// response the jar is returned in.
    // `add`, as the `cookie` crate's jars name it; not arithmetic.
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
        self.jar.signed_mut(&self.key).add(cookie);
        self
    }

    /// Removes a cookie the request sent (give the path and domain it was
    /// set with), as [`CookieJar::remove`](super::CookieJar::remove) does.
    pub fn remove(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
        self.jar.signed_mut(&self.key).remove(cookie);
        self
    }

    /// Every cookie whose signature checks out, with its plain value.
    pub fn iter(&self) -> impl Iterator<Item = Cookie<'static>> + '_ {
        let signed = self.jar.signed(&self.key);
        self.jar
            .iter()
            .filter_map(move |cookie| signed.get(cookie.name()))
    }
}

impl std::fmt::Debug for SignedCookieJar {
    /// Shows the cookies, never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedCookieJar")
            .field("jar", &self.jar)
            .finish_non_exhaustive()
    }
}

impl FromRequestParts for SignedCookieJar {
    type Rejection = MissingState;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, MissingState> {
        let key = parts.state::<Key>()?.clone();
        Ok(SignedCookieJar::from_headers(parts.headers(), key))
    }

    fn requirements(needs: &mut Requirements) {
        needs.state::<Key>();
    }
}
